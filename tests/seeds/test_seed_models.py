"""The seed specs build the same models as the hand-written Keras references.

For every spec in specs/seeds/, graphspec's model is compared with the function
of the same stem in references.py: parameter count, inputs (names, shapes,
dtypes, order), outputs (names, order, shapes) and weights. The seeds with a
compile block come back compiled and train for one epoch on a few random
samples; for the multi-output ones, the total loss is checked to be the
weighted sum of the per-output losses that the spec's `loss_weights` say.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import graphspec

ROOT = Path(__file__).parents[2]
SEEDS = ROOT / "specs" / "seeds"
CUSTOM = ROOT / "specs" / "custom"

N_SAMPLES = 8
SEQ_LEN = 16
# social_profile's trunk (three valid Conv1D stages, two MaxPooling1D(5)) needs
# at least 269 time steps before GlobalMaxPooling1D sees a non-empty sequence.
SEQ_LEN_BY_SEED = {"social_profile": 300}

# Callbacks that would write into the working directory during a test run.
FILE_WRITING_CALLBACKS = (
    keras.callbacks.ModelCheckpoint,
    keras.callbacks.CSVLogger,
    keras.callbacks.TensorBoard,
    keras.callbacks.BackupAndRestore,
)

# The `loss_weights` each multi-output trained spec sets (default 1.0).
LOSS_WEIGHTS = {
    "branched_regressor": {"y1_output": 1.0, "y2_output": 1.0},
    "ticket_router": {"priority": 1.0, "department": 0.2},
    # extends ticket_router: the parent's weights merged with the child's
    "ticket_router_v2": {"priority": 1.0, "department": 0.2, "difficulty": 0.5},
    "ticket_sequences": {"priority": 1.0, "department": 0.2},
    "social_profile": {"age": 0.25, "income": 1.0, "gender": 10.0},
}


def _import_path(name: str, path: Path):
    """Imports a Python file by path, once per test session."""
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


_refs = _import_path("graphspec_seed_references", Path(__file__).with_name("references.py"))
REFERENCES = _refs.REFERENCES
TRAINED = _refs.TRAINED
STEMS = sorted(REFERENCES)


@functools.lru_cache(maxsize=None)
def _spec(stem: str):
    return graphspec.load(SEEDS / f"{stem}.gspec")


@functools.lru_cache(maxsize=None)
def _built(stem: str) -> keras.Model:
    """graphspec's model for a seed, built once and shared by the read-only tests."""
    return _spec(stem).to_keras()


@functools.lru_cache(maxsize=None)
def _reference(stem: str) -> keras.Model:
    return REFERENCES[stem]()


# -- comparisons --------------------------------------------------------------


def _inputs(model: keras.Model):
    return [(t.name, tuple(t.shape), t.dtype) for t in model.inputs]


def _input_layer_names(model: keras.Model):
    return sorted(layer.name for layer in model.layers if isinstance(layer, keras.layers.InputLayer))


def _outputs(model: keras.Model):
    return list(zip(model.output_names, [tuple(t.shape) for t in model.outputs]))


def _weight_summary(weights):
    shapes = sorted(tuple(w.shape) for w in weights)
    return len(weights), int(sum(np.prod(s, dtype=np.int64) for s in shapes)), shapes


# -- random data --------------------------------------------------------------


def _all_layers(model: keras.Model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)


def _input_data(stem: str, rng: np.random.Generator) -> dict:
    """Random inputs keyed by input name; int inputs hold ids inside every Embedding's vocab."""
    reference = _reference(stem)
    seq_len = SEQ_LEN_BY_SEED.get(stem, SEQ_LEN)
    vocab = min(
        (layer.input_dim for layer in _all_layers(reference) if isinstance(layer, keras.layers.Embedding)),
        default=2,
    )
    data = {}
    for tensor in reference.inputs:
        shape = (N_SAMPLES, *(seq_len if d is None else d for d in tensor.shape[1:]))
        if "int" in tensor.dtype:
            data[tensor.name] = rng.integers(0, vocab, size=shape).astype(tensor.dtype)
        else:
            data[tensor.name] = rng.random(shape).astype(tensor.dtype)
    return data


def _target_data(stem: str, rng: np.random.Generator) -> dict:
    """Random targets keyed by output name: one-hot for softmax, 0/1 for sigmoid, else real."""
    reference = _reference(stem)
    data = {}
    for name, tensor in zip(reference.output_names, reference.outputs):
        shape = (N_SAMPLES, *tensor.shape[1:])
        activation = getattr(getattr(reference.get_layer(name), "activation", None), "__name__", "")
        if activation == "softmax":
            data[name] = np.eye(shape[-1], dtype="float32")[rng.integers(0, shape[-1], size=shape[:-1])]
        elif activation == "sigmoid":
            data[name] = rng.integers(0, 2, size=shape).astype("float32")
        else:
            data[name] = rng.standard_normal(shape).astype("float32")
    return data


def _as_targets(model: keras.Model, targets: dict):
    """Targets as fit/evaluate take them for this model.

    A dict keyed by output name, except for a single-output model: Keras 3.15
    rejects a dict of targets for a model whose outputs are a list, and a
    one-element list works whatever structure the outputs have.
    """
    if len(model.outputs) == 1:
        return [targets[model.output_names[0]]]
    return targets


def _fit_kwargs(spec) -> dict:
    """The spec's fit arguments for a quick run: one epoch, quiet, no file-writing callbacks."""
    kwargs = dict(spec.fit_kwargs())
    kwargs["epochs"] = 1
    kwargs["verbose"] = 0
    kwargs["callbacks"] = [
        cb for cb in kwargs.get("callbacks") or [] if not isinstance(cb, FILE_WRITING_CALLBACKS)
    ]
    return kwargs


# -- tests --------------------------------------------------------------------


def test_every_seed_spec_has_a_reference():
    assert sorted(p.stem for p in SEEDS.glob("*.gspec")) == STEMS
    assert TRAINED <= set(STEMS)


@pytest.mark.parametrize("stem", STEMS)
def test_param_count(stem):
    assert _built(stem).count_params() == _reference(stem).count_params()


@pytest.mark.parametrize("stem", STEMS)
def test_inputs(stem):
    model, reference = _built(stem), _reference(stem)
    assert _inputs(model) == _inputs(reference)
    assert _input_layer_names(model) == _input_layer_names(reference)


@pytest.mark.parametrize("stem", STEMS)
def test_outputs(stem):
    assert _outputs(_built(stem)) == _outputs(_reference(stem))


@pytest.mark.parametrize("stem", STEMS)
def test_weights(stem):
    model, reference = _built(stem), _reference(stem)
    assert _weight_summary(model.trainable_weights) == _weight_summary(reference.trainable_weights)
    assert _weight_summary(model.non_trainable_weights) == _weight_summary(
        reference.non_trainable_weights
    )


@pytest.mark.parametrize("stem", STEMS)
def test_compiled_iff_compile_block(stem):
    model = _built(stem)
    if stem in TRAINED:
        assert model.compiled
        assert getattr(model, "optimizer", None) is not None
    else:
        assert not model.compiled
        assert getattr(model, "optimizer", None) is None


@pytest.mark.parametrize("stem", sorted(TRAINED))
def test_fit_one_epoch(stem):
    spec = _spec(stem)
    model = spec.to_keras()
    rng = np.random.default_rng(0)
    history = model.fit(
        _input_data(stem, rng),
        _as_targets(model, _target_data(stem, rng)),
        **_fit_kwargs(spec),
    )
    assert "loss" in history.history
    assert len(history.history["loss"]) == 1
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("stem", sorted(LOSS_WEIGHTS))
def test_loss_is_weighted_sum_of_output_losses(stem):
    model = _spec(stem).to_keras()
    rng = np.random.default_rng(1)
    # One batch holds every sample, so the reported losses are exact, not running means.
    result = model.evaluate(
        _input_data(stem, rng),
        _target_data(stem, rng),
        batch_size=N_SAMPLES,
        return_dict=True,
        verbose=0,
    )
    weights = LOSS_WEIGHTS[stem]
    assert set(model.output_names) == set(weights)
    expected = sum(weight * result[f"{name}_loss"] for name, weight in weights.items())
    assert result["loss"] == pytest.approx(expected, rel=1e-4)


def test_fashion_cnn_fit_block():
    kwargs = _spec("fashion_cnn").fit_kwargs()
    assert isinstance(kwargs["epochs"], int) and kwargs["epochs"] >= 1
    assert isinstance(kwargs["batch_size"], int)
    assert 0 < kwargs["validation_split"] < 1
    (early_stopping,) = kwargs["callbacks"]
    assert isinstance(early_stopping, keras.callbacks.EarlyStopping)
    assert early_stopping.monitor == "val_loss"
    assert early_stopping.patience == 2


def test_ticket_router_v2_inherits_parent_compile():
    spec = _spec("ticket_router_v2")
    model = spec.to_keras()
    # The optimizer comes from the parent's compile block, untouched by the child.
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert model.optimizer.get_config()["learning_rate"] == pytest.approx(1e-3)
    rng = np.random.default_rng(2)
    history = model.fit(
        _input_data("ticket_router_v2", rng),
        _target_data("ticket_router_v2", rng),
        **_fit_kwargs(spec),
    )
    # Per-output losses and metrics of both the parent's and the child's outputs.
    for key in (
        "priority_loss",
        "department_loss",
        "difficulty_loss",
        "priority_mean_absolute_error",
        "department_accuracy",
        "difficulty_accuracy",
    ):
        assert key in history.history, sorted(history.history)


# -- a custom layer registered from Python -------------------------------------


def _simple_dense_module():
    return _import_path("graphspec_examples_simple_dense", CUSTOM / "simple_dense.py")


def _simple_dense_reference(module) -> keras.Model:
    features = keras.Input(shape=(20,), name="features")
    h = module.SimpleDense(32, activation="relu")(features)
    h = module.SimpleDense(16, activation="relu")(h)
    score = keras.layers.Dense(1, activation="sigmoid", name="score")(h)
    return keras.Model(inputs=[features], outputs=[score], name="simple_dense")


def test_custom_layer_spec_builds_and_fits():
    module = _simple_dense_module()
    spec = graphspec.load(CUSTOM / "simple_dense.gspec")
    model = spec.to_keras()
    reference = _simple_dense_reference(module)

    assert sum(isinstance(layer, module.SimpleDense) for layer in model.layers) == 2
    assert model.count_params() == reference.count_params()
    assert _inputs(model) == _inputs(reference)
    assert _outputs(model) == _outputs(reference)
    assert model.compiled

    rng = np.random.default_rng(3)
    x = {"features": rng.random((N_SAMPLES, 20)).astype("float32")}
    y = rng.integers(0, 2, size=(N_SAMPLES, 1)).astype("float32")
    history = model.fit(x, [y], **_fit_kwargs(spec))
    assert np.isfinite(history.history["loss"][0])
