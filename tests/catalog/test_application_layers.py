"""The layers keras.applications defines outside keras.layers (LayerScale, StochasticDepth,
CustomScaleLayer): graphspec's catalogue entries against the real classes, and their captured
signatures against the classes' __init__ and call."""

from __future__ import annotations

import importlib
import inspect
import itertools
import warnings

import keras
import numpy as np
import pytest

from graphspec.catalog import calls
from graphspec.catalog.base import ArgError, ShapeError
from graphspec.catalog.layers import applications

ENTRIES = {e.name: e for e in applications.ENTRIES}


def _cls(name):
    return getattr(importlib.import_module(applications.MODULE_OF[name]), name)


SHAPES = [(None, 8), (None, 4, 8), (None, 7, 7, 96), (None, 4, 1), (None, 4, 3), (None, 3, 3, 8)]
CASES = []
for shape, (init, dim) in itertools.product(SHAPES, [(1e-6, 8), (0.5, 96), (1e-6, 1), (1e-6, 3), (1, 0)]):
    CASES.append(("LayerScale", {"init_values": init, "projection_dim": dim}, [shape]))
for shape, rate in itertools.product(SHAPES, (0.0, 0.1, 1)):
    CASES.append(("StochasticDepth", {"drop_path_rate": rate}, [shape]))
for (a, b), scale in itertools.product([((None, 8), (None, 8)), ((None, 4, 8), (None, 4, 8)), ((None, 4, 8), (None, 1, 8)),
                                        ((None, 4, 8), (None, 4, 3)), ((None, 4, 8), (None, 8)), ((None, 1), (None, 5))],
                                       (0.17, 1.0)):
    CASES.append(("CustomScaleLayer", {"scale": scale}, [a, b]))


def _keras(name, kwargs, shapes):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer = _cls(name)(**kwargs)
            xs = [keras.KerasTensor(s) for s in shapes]
            out = layer(xs if ENTRIES[name].call == "list" else xs[0])
    except Exception:  # noqa: BLE001
        return "raise"
    n_train = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    n_frozen = sum(int(np.prod(w.shape)) for w in layer.non_trainable_weights)
    return tuple(out.shape), (n_train, n_frozen)


def _ours(name, kwargs, shapes):
    entry = ENTRIES[name]
    try:
        return tuple(entry.shape(kwargs, shapes)), tuple(entry.params(kwargs, shapes))
    except (ShapeError, ArgError):
        return "raise"


def test_application_layers_agree_with_keras():
    bad = [(c, _ours(*c), _keras(*c)) for c in CASES if _ours(*c) != _keras(*c)]
    refused = sum(_ours(*c) == "raise" for c in CASES)
    print(f"\napplication layers: {len(CASES)} cases ({refused} refused by both), {len(CASES) - len(bad)} agree")
    assert refused and not bad, "\n".join(map(str, bad))


@pytest.mark.parametrize("name", sorted(applications.MODULE_OF))
def test_captured_signatures_match_the_classes(name):
    cls = _cls(name)
    assert calls.application_layers()[name] == cls.__module__ == applications.MODULE_OF[name]
    init = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "kwargs")]
    data = calls._data()["layers"][name]
    assert [p["name"] for p in data["init"]["params"]] == init
    assert data["registered_name"] == keras.saving.get_registered_name(cls) == name
    call = [p for p in inspect.signature(cls.call).parameters if p != "self"]
    assert [p["name"] for p in data["params"]] == call
    assert list(calls.call_params(name)) == call[1:]


def test_wrong_argument_types_are_argument_errors():
    for name, kwargs, shapes in [("LayerScale", {"init_values": "a", "projection_dim": 8}, [(None, 8)]),
                                 ("LayerScale", {"init_values": 0.1, "projection_dim": 8.0}, [(None, 8)]),
                                 ("LayerScale", {"init_values": 0.1, "projection_dim": -1}, [(None, 8)]),
                                 ("StochasticDepth", {"drop_path_rate": None}, [(None, 8)]),
                                 ("CustomScaleLayer", {"scale": True}, [(None, 8), (None, 8)])]:
        with pytest.raises(ArgError):
            ENTRIES[name].shape(kwargs, shapes)


@pytest.mark.slow
def test_a_model_with_them_loads_in_safe_mode(tmp_path):
    x = keras.Input((4, 8))
    y = _cls("LayerScale")(1e-6, 8)(x)
    z = _cls("CustomScaleLayer")(0.17)([x, y])
    w = _cls("StochasticDepth")(0.1)(z)
    model = keras.Model(x, w)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert [type(layer).__name__ for layer in loaded.layers[1:]] == ["LayerScale", "CustomScaleLayer",
                                                                     "StochasticDepth"]
    data = np.random.rand(2, 4, 8).astype("float32")
    np.testing.assert_allclose(loaded(data), model(data))
