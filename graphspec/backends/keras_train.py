"""Train, evaluate and predict with a spec's model on `.npz` data: the spec's compile and fit blocks
drive `keras.Model.fit`; the data is checked first (keras_data); an interrupted run resumes.

Resuming: while `fit` runs with an output file, after each epoch the whole model (optimizer state
included) is saved atomically to `OUTPUT.resume/epoch-NNNN.keras` and `OUTPUT.resume/state.json`
records which file and epoch, and a fingerprint of the spec. `resume=True` loads that model (safe
mode) and carries on from the next epoch; a finished run writes OUTPUT and removes the folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import keras
import numpy as np

from graphspec.atomic import write_bytes
from graphspec.backends.keras_data import Data, DataError, check_data, load_npz
from graphspec.backends.keras_distribute import strategy_scope
from graphspec.backends.keras_file import save_keras
from graphspec.text import safe_text

__all__ = ["TrainError", "DataError", "fit", "evaluate", "predict", "resume_folder", "model_signature"]

STATE = "state.json"


class TrainError(ValueError):
    """Training cannot start or resume as asked (one line; the data's problems are DataError)."""


# --------------------------------------------------------------------------- what a model expects


@dataclass(frozen=True)
class _Input:
    name: str
    shape: Tuple[Optional[int], ...]
    dtype: str


@dataclass(frozen=True)
class _Output:
    name: str
    tensor: int


@dataclass(frozen=True)
class _Tensor:
    shape: Tuple[Optional[int], ...]
    dtype: str


@dataclass(frozen=True)
class _Signature:
    """A built keras.Model's inputs and outputs in the shape of a spec's graph (what keras_data checks)."""

    name: str
    inputs: List[_Input]
    outputs: List[_Output]
    tensors: List[_Tensor]
    compile: Optional[Dict[str, Any]]


def model_signature(model) -> _Signature:
    """What `model` (e.g. loaded from a .keras file) takes and returns, for checking data against it."""
    inputs = [_Input(t.name, tuple(t.shape[1:]), str(t.dtype)) for t in model.inputs]
    tensors = [_Tensor(tuple(t.shape), str(t.dtype)) for t in model.outputs]
    outputs = [_Output(name, i) for i, name in enumerate(model.output_names)]
    loss = getattr(model, "loss", None)
    return _Signature(model.name, inputs, outputs, tensors, {"loss": loss} if loss is not None else None)


# --------------------------------------------------------------------------- data


Source = Union[str, os.PathLike, Mapping[str, Any]]


def _arrays(source: Source) -> Tuple[Dict[str, np.ndarray], str]:
    if isinstance(source, Mapping):
        return {k: np.asarray(v) for k, v in source.items()}, "the data"
    return load_npz(source), os.fspath(source)


def read(source: Source, graph, need_outputs: bool = True) -> Data:
    """Arrays from an .npz path or a dict, checked against `graph`; DataError on the first problem."""
    arrays, where = _arrays(source)
    return check_data(arrays, graph, where, need_outputs=need_outputs)


def _xy(data: Data):
    return data.x, (data.y if data.y is not None else None)


# --------------------------------------------------------------------------- resuming


def resume_folder(output) -> str:
    """Where the checkpoints of a run writing `output` are kept."""
    return os.fspath(output) + ".resume"


def fingerprint(spec, model_name: str) -> str:
    """Which spec a checkpoint belongs to: the SHA-256 of its IR (consts after `--set` included)."""
    return hashlib.sha256(spec.to_json(indent=None).encode("utf-8") + model_name.encode("utf-8")).hexdigest()


class _Checkpoint(keras.callbacks.Callback):
    """After each epoch, the whole model saved atomically, then the state that points to it."""

    def __init__(self, folder: str, print_: str):
        super().__init__()
        self.folder = folder
        self.print_ = print_

    def on_epoch_end(self, epoch, logs=None):
        name = f"epoch-{epoch + 1:04d}.keras"
        save_keras(self.model, os.path.join(self.folder, name))
        previous = _state(self.folder)
        state = {"epoch": epoch + 1, "file": name, "fingerprint": self.print_}
        write_bytes(os.path.join(self.folder, STATE), json.dumps(state).encode("utf-8"))
        if previous and previous.get("file") not in (None, name):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(self.folder, os.path.basename(previous["file"])))


def _state(folder: str) -> Optional[dict]:
    try:
        with open(os.path.join(folder, STATE), encoding="utf-8") as f:
            state = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise TrainError(f"{safe_text(folder)}: its {STATE} cannot be read ({safe_text(str(exc))}); "
                         "delete the folder to start again") from None
    if not (isinstance(state, dict) and isinstance(state.get("epoch"), int) and isinstance(state.get("file"), str)):
        raise TrainError(f"{safe_text(folder)}: its {STATE} is not a checkpoint state; delete the folder to start again")
    return state


def _resumed_model(folder: str, print_: str):
    state = _state(folder)
    if state is None:
        raise TrainError(f"nothing to resume: no checkpoint in {safe_text(folder)} (run without --resume)")
    if state.get("fingerprint") != print_:
        raise TrainError(f"{safe_text(folder)} holds the checkpoint of another spec (or other --set values); "
                         "run without --resume after deleting it, or resume with the spec it came from")
    path = os.path.join(folder, os.path.basename(state["file"]))
    try:
        model = keras.models.load_model(path, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - whatever Keras says, as one line
        raise TrainError(f"cannot load the checkpoint {safe_text(path)}: "
                         f"{safe_text(' '.join(str(exc).split()) or type(exc).__name__)}") from None
    return model, state["epoch"]


# --------------------------------------------------------------------------- fit, evaluate, predict


def _fit_kwargs(spec, model_name: str, epochs, batch_size, validation) -> dict:
    from graphspec.backends.keras_builder import fit_kwargs

    kwargs = fit_kwargs(spec, model_name)
    if epochs is not None:
        kwargs["epochs"] = epochs
    if batch_size is not None:
        kwargs["batch_size"] = batch_size
    if validation is not None:
        kwargs.pop("validation_split", None)
        kwargs["validation_data"] = validation
    return kwargs


def build(spec, model_name: str, weights=None, max_params: Optional[int] = None):
    """The spec's model, compiled, with `weights` loaded (keras_weights) when given."""
    from graphspec.backends.keras_builder import build as build_model

    model = build_model(spec, model_name, max_params=max_params)
    if weights is not None:
        from graphspec.backends.keras_weights import load_weights

        load_weights(model, weights)
    return model


def fit(spec, train: Source, *, model: Optional[str] = None, validation: Optional[Source] = None,
        output=None, epochs: Optional[int] = None, batch_size: Optional[int] = None,
        weights=None, resume: bool = False, distribute: Optional[str] = None, devices: int = 2,
        verbose: Any = "auto", max_params: Optional[int] = None):
    """Train the spec's model on `train` (an .npz path or a dict of arrays keyed by input and output
    names); return (model, history). With `output`, the trained model is saved there atomically."""
    model_name = model or spec.root
    graph = spec.models[model_name]
    if not graph.compile:
        raise TrainError(f"model `{model_name}` has no compile block: it cannot be trained "
                         "(add `compile { optimizer = \"adam\"  loss = \"mse\" }`)")
    train_data = read(train, graph)
    val_data = read(validation, graph) if validation is not None else None
    folder = resume_folder(output) if output is not None else None
    print_ = fingerprint(spec, model_name)
    if resume and folder is None:
        raise TrainError("--resume needs the output file (-o) of the run it continues")
    if folder is not None and not resume and _state(folder) is not None:
        raise TrainError(f"{safe_text(folder)} holds the checkpoint of an interrupted run: pass --resume to "
                         "continue it, or delete the folder to start again")
    kwargs = _fit_kwargs(spec, model_name, epochs, batch_size,
                         None if val_data is None else _xy(val_data))
    with strategy_scope(distribute, devices):
        if resume:
            keras_model, initial_epoch = _resumed_model(folder, print_)
            kwargs["initial_epoch"] = initial_epoch
        else:
            keras_model = build(spec, model_name, weights, max_params)
        if folder is not None:
            os.makedirs(folder, exist_ok=True)
            kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + [_Checkpoint(folder, print_)]
        x, y = _xy(train_data)
        history = keras_model.fit(x, y, verbose=verbose, **kwargs)
    if output is not None:
        save_keras(keras_model, output)
        shutil.rmtree(folder, ignore_errors=True)
    return keras_model, history


def _loaded(source, model_name: Optional[str] = None, weights=None, max_params: Optional[int] = None):
    """A keras.Model from a Spec (built, weights loaded) or a .keras path (safe mode)."""
    if isinstance(source, keras.Model):
        return source
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            return keras.models.load_model(path, safe_mode=True)
        except Exception as exc:  # noqa: BLE001 - whatever Keras says, as one line
            raise TrainError(f"cannot load {safe_text(path)} as a Keras model (safe mode): "
                             f"{safe_text(' '.join(str(exc).split()) or type(exc).__name__)}") from None
    return build(source, model_name or source.root, weights, max_params)


def evaluate(source, data: Source, *, model: Optional[str] = None, weights=None, max_params: Optional[int] = None,
             batch_size: Optional[int] = None, verbose: Any = "auto") -> Dict[str, float]:
    """The loss and metrics of a model (a Spec, a keras.Model or a .keras path) on `data`, by name."""
    keras_model = _loaded(source, model, weights, max_params)
    if not getattr(keras_model, "compiled", False):
        raise TrainError(f"model `{keras_model.name}` is not compiled (no compile block): it has no loss to evaluate")
    checked = read(data, model_signature(keras_model))
    x, y = _xy(checked)
    result = keras_model.evaluate(x, y, batch_size=batch_size, verbose=verbose, return_dict=True)
    return {k: float(v) for k, v in result.items()}


def predict(source, data: Source, *, model: Optional[str] = None, weights=None, max_params: Optional[int] = None,
            batch_size: Optional[int] = None, verbose: Any = "auto") -> Dict[str, np.ndarray]:
    """A model's outputs on `data`'s inputs (output arrays in it are ignored), keyed by output name."""
    keras_model = _loaded(source, model, weights, max_params)
    signature = model_signature(keras_model)
    checked = read(data, signature, need_outputs=False)
    result = keras_model.predict(checked.x, batch_size=batch_size, verbose=verbose)
    if not isinstance(result, (list, tuple)):
        result = [result]
    return {o.name: np.asarray(r) for o, r in zip(signature.outputs, result)}


def save_npz(arrays: Dict[str, np.ndarray], path) -> None:
    """Write arrays as an .npz file, atomically."""
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_bytes(path, buffer.getvalue())

