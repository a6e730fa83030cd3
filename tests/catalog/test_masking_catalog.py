"""graphspec/catalog/keras_masking.json is what scripts/capture_keras_masking.py reads from the pinned
Keras (regenerate with `python scripts/capture_keras_masking.py`); tests/backends/test_lints_keras.py
compares it with layers Keras builds."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, load_module
from graphspec.catalog import masking

capture = load_module(ROOT / "scripts" / "capture_keras_masking.py")


@pytest.mark.slow
def test_the_captured_file_is_fresh():
    on_disk = json.loads((ROOT / "graphspec" / "catalog" / masking.DATA_FILE).read_text(encoding="utf-8"))
    assert on_disk == capture.capture(), "stale: python scripts/capture_keras_masking.py"


@pytest.mark.parametrize("layer, supports, passes", [
    ("Dense", True, True), ("Dropout", True, True), ("Flatten", False, True), ("Conv1D", False, True),
    ("LSTM", True, False), ("GlobalAveragePooling1D", True, False), ("Embedding", "mask_zero", False),
])
def test_known_layers(layer, supports, passes):
    assert (masking.supports(layer), masking.passes_mask(layer)) == (supports, passes)


def test_a_class_keras_lacks_is_unknown():
    assert masking.supports("NoSuchLayer") is None and masking.passes_mask("NoSuchLayer") is None
