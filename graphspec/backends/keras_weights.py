"""Load weights into a built model: by layer name, or by structure when the names differ.

A source is a `.weights.h5` file (what `model.save_weights` writes) or a `.keras` file (loaded with
`safe_mode=True`, uncompiled). Every weight-holding layer of the target is paired with one of the
source's and every variable's shape is checked before any is assigned: the first mismatch is a
`WeightsError` naming both layers and their shapes, and the model is left as it was — never
half-loaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np

from graphspec.text import safe_text, shape_text

__all__ = ["WeightsError", "Loaded", "load_weights", "weight_units"]


class WeightsError(ValueError):
    """Weights that cannot be loaded into the model as a whole; the model is unchanged."""


@dataclass(frozen=True)
class Loaded:
    """What `load_weights` did: how layers were paired, how many, and the source layers left over."""

    by: str  # "name" or "structure"
    layers: int
    variables: int
    unused: Tuple[str, ...]


def weight_units(model) -> List[Tuple[str, str, object, list]]:
    """Every weight-holding leaf layer of `model` (nested models flattened, in layer order) as
    (name, path, layer, variables); `path` is where `save_weights` files it (`layers/dense_1`: Keras
    names entries by class and position, not by layer name); a shared layer counts once."""
    import keras
    from keras.src.saving.saving_lib import _get_unique_name
    from keras.src.utils.naming import to_snake_case

    units, seen = [], set()

    def walk(m, prefix):
        used: Dict[str, int] = {}
        for layer in m.layers:
            path = f"{prefix}layers/{_get_unique_name(to_snake_case(type(layer).__name__), used)}"
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            if isinstance(layer, keras.Model):
                walk(layer, path + "/")
            elif layer.weights:
                units.append((layer.name, path, layer, list(layer.weights)))

    walk(model, "")
    return units


def _shapes(values: Sequence) -> List[tuple]:
    return [tuple(int(d) for d in v.shape) for v in values]


def _shapes_text(shapes: Sequence[tuple]) -> str:
    return "[" + ", ".join(shape_text(s) for s in shapes) + "]"


# --------------------------------------------------------------------------- reading a source


def _index(name: str) -> tuple:
    return (int(name),) if name.isdigit() else (1 << 30, name)


def _h5_units(path: str) -> List[Tuple[str, List[np.ndarray]]]:
    """A `.weights.h5` file's layers: the name after the last `layers/` of each path holding `vars`,
    with every array under it (its own `vars` first, then sub-objects', e.g. an LSTM's cell)."""
    import h5py

    groups: Dict[str, List[Tuple[str, np.ndarray]]] = {}
    order: List[str] = []

    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset):
            return
        parts = name.split("/")
        if "vars" not in parts:
            return
        where = parts.index("vars") if "layers" not in parts else len(parts) - 1 - parts[::-1].index("layers")
        head = parts[:where] if parts[where] == "vars" else parts[:where + 2]
        rest = parts[len(head):]
        key = "/".join(head)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(("/".join(rest), obj[()]))

    try:
        with h5py.File(path, "r") as f:
            f.visititems(visit)
    except OSError as exc:
        raise WeightsError(f"{safe_text(path)}: cannot read it as a .weights.h5 file: "
                           f"{safe_text(' '.join(str(exc).split()))}") from None

    def sort_key(item):
        sub = item[0].split("/")
        return (len(sub) > 2, [_index(p) for p in sub])  # own `vars/N` before sub-objects'

    return [(key, [a for _, a in sorted(groups[key], key=sort_key)]) for key in order if groups[key]]


def _keras_units(path: str) -> List[Tuple[str, List[np.ndarray]]]:
    import keras

    try:
        source = keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - whatever Keras says, as one line
        raise WeightsError(f"{safe_text(path)}: cannot load it as a Keras model (safe mode): "
                           f"{safe_text(' '.join(str(exc).split()) or type(exc).__name__)}") from None
    return [(name, [np.asarray(v) for v in variables]) for name, _, _, variables in weight_units(source)]


# suffix -> (reader, how its entries are named: "path" for save_weights files, "name" for models)
_READERS = ((".weights.h5", _h5_units, "path"), (".keras", _keras_units, "name"))


def read_units(path) -> Tuple[str, List[Tuple[str, List[np.ndarray]]]]:
    """The weight-holding layers of a `.weights.h5` or `.keras` file: (keyed by, [(key, arrays)])."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise WeightsError(f"{safe_text(path)}: no such file")
    for suffix, reader, keyed in _READERS:
        if path.endswith(suffix):
            return keyed, reader(path)
    raise WeightsError(f"{safe_text(path)}: weights come from a .weights.h5 or a .keras file")


# --------------------------------------------------------------------------- pairing and loading


def _pair_by_key(target, source, key: int) -> List[tuple]:
    """Pairs (name, variables, source key, arrays) when every target layer's key is in the source."""
    found = {}
    for name, arrays in source:
        found.setdefault(name, arrays)
    if not all(unit[key] in found for unit in target):
        return []
    return [(unit[0], unit[3], unit[key], found[unit[key]]) for unit in target]


def _pair_by_structure(target, source, path: str) -> List[tuple]:
    if len(target) != len(source):
        raise WeightsError(f"{safe_text(path)}: the layer names differ and the structures too: the model has "
                           f"{len(target)} layers with weights, the file {len(source)}")
    return [(t[0], t[3], s[0], s[1]) for t, s in zip(target, source)]


_KEY = {"name": 0, "path": 1}  # which field of a weight unit a file's entries are keyed by


def _plan(model, keyed: str, source, path: str):
    """(how paired, pairs) for `model` and the file's layers, every shape checked; WeightsError if not."""
    target = weight_units(model)
    pairs = _pair_by_key(target, source, _KEY[keyed])
    by = "name" if keyed == "name" else "structure"
    if not pairs:
        by = "structure"
        pairs = _pair_by_structure(target, source, path)
    for name, variables, source_name, arrays in pairs:
        want, got = _shapes(variables), _shapes(arrays)
        if want != got:
            theirs = "" if source_name == name else f" `{safe_text(source_name)}`"
            raise WeightsError(f"{safe_text(path)}: layer `{safe_text(name)}` has variable shapes "
                               f"{_shapes_text(want)}; the file's layer{theirs} has {_shapes_text(got)} "
                               f"(paired by {by}); nothing was loaded")
    return by, pairs


def _nested(model) -> list:
    """The models used as layers inside `model`, outermost first."""
    import keras

    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.append(layer)
            found.extend(_nested(layer))
    return found


def load_weights(model, path) -> Loaded:
    """Load `path` into `model` by layer name (every weight-holding layer found in the file), else by
    structure (the same layers in the same order); failing both, into the first nested model the file
    fits (a pretrained backbone inside a new model). WeightsError, with nothing assigned, on a mismatch.

    A `.weights.h5` file is keyed as Keras keys it (by class and position: its structure); a `.keras`
    file by layer name, or by order when a name is missing."""
    path = os.fspath(path)
    keyed, source = read_units(path)
    try:
        by, pairs = _plan(model, keyed, source, path)
    except WeightsError as whole:
        for inner in _nested(model):
            try:
                by, pairs = _plan(inner, keyed, source, path)
                by = f"{by}, into the nested model `{safe_text(inner.name)}`"
                break
            except WeightsError:
                continue
        else:
            raise whole from None
    for _, variables, _, arrays in pairs:  # every shape is right: now assign, all of them
        for variable, array in zip(variables, arrays):
            variable.assign(array.astype(variable.dtype, copy=False))
    used = {p[2] for p in pairs}
    unused = tuple(n for n, _ in source if n not in used)
    return Loaded(by, len(pairs), sum(len(p[1]) for p in pairs), unused)
