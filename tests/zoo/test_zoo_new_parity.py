"""MobileNetV3Small and ConvNeXtTiny in the zoo are keras.applications' models, output for output.

tests/zoo/test_zoo.py checks their parameters, weight shapes and input/output shapes; this file checks
what those cannot see: the same layers of the same classes in the same order (Keras's Sequential
submodels of ConvNeXt flattened), the same preprocessing constants, and, with Keras's weights
copied by order (`set_weights(reference.get_weights())`), identical outputs on one random image.
It also loads Keras's saved weights by structure (`to_keras(weights=...)`) and imports both specs
from the standard library (`import "graphspec:zoo/..."`).
"""

from __future__ import annotations

import gc

import keras
import numpy as np
import pytest

import graphspec
from tests.conftest import SPECS, run_cli

pytestmark = pytest.mark.slow

APPLICATIONS = {"mobilenet_v3_small": "MobileNetV3Small", "convnext_tiny": "ConvNeXtTiny"}

# The file each model's weights are saved to. A `.weights.h5` file keys layers by class and position
# in their (sub)model: ConvNeXt's stem and downsampling layers sit inside Sequential submodels there,
# so the order of the flat spec's layers cannot be recovered from it; a `.keras` file holds the model,
# whose layers load by order.
SAVED_AS = {"mobilenet_v3_small": ".weights.h5", "convnext_tiny": ".keras"}


def _image() -> np.ndarray:
    # Pixels in [0, 255]: both models take raw pixels and preprocess inside.
    return np.random.default_rng(0).uniform(0.0, 255.0, (2, 224, 224, 3)).astype("float32")


def _leaf_layers(model) -> list:
    """Every layer but the inputs, nested models flattened (ConvNeXt's stem and downsampling)."""
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out.extend(_leaf_layers(layer))
        elif not isinstance(layer, keras.layers.InputLayer):
            out.append(layer)
    return out


@pytest.fixture(scope="module", params=sorted(APPLICATIONS))
def pair(request):
    """(stem, graphspec's model, Keras's model), built once per stem, freed after its tests."""
    keras.utils.set_random_seed(0)
    ours = graphspec.load(SPECS / "zoo" / f"{request.param}.gspec").to_keras()
    reference = getattr(keras.applications, APPLICATIONS[request.param])(weights=None)
    yield request.param, ours, reference
    del ours, reference
    keras.backend.clear_session()
    gc.collect()


def test_same_layer_classes_in_the_same_order(pair):
    _, ours, reference = pair
    assert [type(x).__name__ for x in _leaf_layers(ours)] == [type(x).__name__ for x in _leaf_layers(reference)]


def test_same_layer_arguments(pair):
    """Each layer's Keras config, names and the build-time input shapes aside, is Keras's own."""
    _, ours, reference = pair

    def config(layer):
        cfg = layer.get_config()
        for key in ("name", "build_config"):
            cfg.pop(key, None)
        return type(layer).__name__, cfg

    mismatched = [(config(a), config(b)) for a, b in zip(_leaf_layers(ours), _leaf_layers(reference))
                  if config(a) != config(b)]
    assert not mismatched, mismatched[:3]


def test_weights_copied_by_order_give_identical_outputs(pair):
    _, ours, reference = pair
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in reference.get_weights()]
    ours.set_weights(reference.get_weights())
    x = _image()
    np.testing.assert_array_equal(np.asarray(ours(x, training=False)), np.asarray(reference(x, training=False)))


def test_saved_keras_weights_load_by_structure(pair, tmp_path):
    """`to_keras(weights=FILE)` with the file Keras's model saves (its layer names differ from ours)."""
    stem, _, reference = pair
    path = tmp_path / f"{stem}{SAVED_AS[stem]}"
    (reference.save_weights if SAVED_AS[stem] == ".weights.h5" else reference.save)(path)
    loaded = graphspec.load(SPECS / "zoo" / f"{stem}.gspec").to_keras(weights=path)
    x = _image()
    np.testing.assert_array_equal(np.asarray(loaded(x, training=False)), np.asarray(reference(x, training=False)))


@pytest.mark.parametrize("stem", sorted(APPLICATIONS))
def test_imports_from_the_standard_library(tmp_path, stem):
    (tmp_path / "transfer.gspec").write_text(
        f'import "graphspec:zoo/{stem}.gspec"\n\n'
        "model transfer {\n"
        "    input image: (224, 224, 3)\n"
        f"    output label = image -> {stem} -> Dense(5, activation=\"softmax\")\n"
        "}\n", encoding="utf-8")
    proc = run_cli("summary", "transfer.gspec", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f'"{stem}"' in proc.stdout
