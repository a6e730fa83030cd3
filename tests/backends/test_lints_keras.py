"""The lints agree with Keras (issue 11): W302 fires where Keras warns that a layer destroys a mask
and nowhere else; W303's logged quantities are exactly the keys of Keras's history; W301's
single-unit categorical crossentropy really trains with a loss of 0."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import graphspec
from conftest import FIXTURES, SPECS
from graphspec.catalog import masking
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.passes.check import check_text
from graphspec.passes.lints import logged_names

pytestmark = pytest.mark.slow

_MASKED = {
    "flatten": "input t: (12,) int32\n    output y = t -> Embedding(50, 4, mask_zero=True) -> Flatten() -> Dense(1)",
    "conv after dense": "input t: (12,) int32\n    output y = t -> Embedding(50, 4, mask_zero=True) -> Dense(4) "
                        "-> Conv1D(2, 3) -> GlobalAveragePooling1D() -> Dense(1)",
    "max pooling": "input t: (12,) int32\n    output y = t -> Embedding(50, 4, mask_zero=True) -> "
                   "GlobalMaxPooling1D() -> Dense(1)",
    "masking layer": "input s: (12, 3)\n    output y = s -> Masking() -> Dropout(0.1) -> Flatten() -> Dense(1)",
    "average pooling": "input t: (12,) int32\n    output y = t -> Embedding(50, 4, mask_zero=True) -> "
                       "GlobalAveragePooling1D() -> Dense(1)",
    "lstm": "input t: (12,) int32\n    output y = t -> Embedding(50, 4, mask_zero=True) -> LSTM(3) -> Dense(1)",
    "no mask": "input t: (12,) int32\n    output y = t -> Embedding(50, 4) -> Flatten() -> Dense(1)",
}


def _lint_types(text: str):
    diags = Diagnostics()
    check_text(text, diags)
    return sorted(re.match(r"`(\w+)`", d.message).group(1) for d in diags.items if d.code == "W302")


@pytest.mark.parametrize("name", list(_MASKED))
def test_mask_lint_fires_where_keras_warns(name: str):
    text = "model m {\n    " + _MASKED[name] + "\n}\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graphspec.loads(text).to_keras()
    keras_says = sorted(re.search(r"\(of type (\w+)\)", str(w.message)).group(1) for w in caught
                        if "destroy the mask" in str(w.message))
    assert _lint_types(text) == keras_says


def test_mask_golden_agrees_with_keras():
    text = (FIXTURES / "diagnostics" / "W302_mask_destroyed.gspec").read_text(encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graphspec.loads(text).to_keras()
    assert ["Flatten"] == _lint_types(text) == [re.search(r"\(of type (\w+)\)", str(w.message)).group(1)
                                                for w in caught if "destroy the mask" in str(w.message)]


@pytest.mark.parametrize("spec", sorted((SPECS / "seeds").glob("*.gspec")), ids=lambda p: p.stem)
def test_masking_catalogue_matches_built_layers(spec):
    """Every layer of the seed specs, built by Keras, supports masking as the catalogue says."""
    model = graphspec.load(spec).to_keras()
    for layer in model.layers:
        support = masking.supports(type(layer).__name__)
        if support is None or support == masking.UNKNOWN or type(layer).__name__ == "InputLayer":
            continue
        if isinstance(support, str):
            support = bool(getattr(layer, support))
        assert layer.supports_masking is support, (type(layer).__name__, layer.name)


_COMPILES = [
    'loss = "categorical_crossentropy"  metrics = ["accuracy"]',
    'loss = "categorical_crossentropy"  metrics = ["acc", MeanSquaredError(), AUC(name="auc")]',
    'loss = "categorical_crossentropy"  weighted_metrics = ["mae"]',
    'loss = "categorical_crossentropy"  metrics = "mae"  weighted_metrics = "mae"',
]
_TWO = [
    'loss = {a: "categorical_crossentropy", b: "mse"}  metrics = {a: ["accuracy"], b: [MeanAbsoluteError()]}',
    'loss = "mse"  metrics = ["mae"]',
    'loss = {a: "categorical_crossentropy", b: None}  metrics = {a: "accuracy"}',
    'loss = {a: "categorical_crossentropy"}  weighted_metrics = {b: ["mse"]}',
]


@pytest.mark.parametrize("compile_", _COMPILES + _TWO)
def test_logged_names_are_kerass_history(compile_: str):
    two = compile_ in _TWO
    outputs = ("    output a = x -> Dense(3, activation=\"softmax\")\n    output b = x -> Dense(1)" if two
               else "    output a = x -> Dense(3, activation=\"softmax\")")
    spec = graphspec.loads(f"model m {{\n    input x: (4,)\n{outputs}\n    compile {{ optimizer = \"adam\"  "
                           f"{compile_} }}\n}}\n")
    rng = np.random.default_rng(0)
    x = rng.random((16, 4)).astype("float32")
    a = np.eye(3, dtype="float32")[rng.integers(0, 3, 16)]
    y = [a, rng.random((16, 1)).astype("float32")] if two else a
    history = spec.to_keras().fit(x, y, epochs=1, verbose=0, validation_split=0.25).history
    predicted = logged_names(spec.models[spec.root])
    # `weighted_NAME` is a name Keras may use (for a clash), so the prediction may hold more
    assert set(history) <= predicted
    assert {n for n in predicted if "weighted_" not in n} <= set(history)


def test_categorical_crossentropy_over_one_unit_learns_nothing():
    """What W301 warns about: Keras trains it without a word, and the loss is exactly 0."""
    text = (FIXTURES / "diagnostics" / "W301_categorical_one_unit.gspec").read_text(encoding="utf-8")
    spec = graphspec.loads(text)
    rng = np.random.default_rng(0)
    x = rng.random((32, 32)).astype("float32")
    y = (rng.random((32, 1)) > 0.5).astype("float32")
    history = spec.to_keras().fit(x, y, epochs=2, verbose=0).history
    assert history["loss"] == [0.0, 0.0]
