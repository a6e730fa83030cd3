"""Weights of the matching keras.applications model load into each zoo spec's model and give the
same outputs (weights saved from `keras.applications.X(weights=None)` under a fixed seed)."""

from __future__ import annotations

import gc

import keras
import numpy as np
import pytest

import graphspec
from graphspec.backends.keras_weights import load_weights
from tests.conftest import SPECS

pytestmark = pytest.mark.slow

APPLICATIONS = {"resnet50": "ResNet50", "vgg19": "VGG19", "mobilenet_v2": "MobileNetV2",
                "densenet121": "DenseNet121", "inception_v3": "InceptionV3"}


@pytest.mark.parametrize("stem", sorted(APPLICATIONS))
def test_application_weights_load_into_the_zoo_spec(tmp_path, stem):
    keras.utils.set_random_seed(0)
    reference = getattr(keras.applications, APPLICATIONS[stem])(weights=None)
    path = tmp_path / f"{stem}.weights.h5"
    reference.save_weights(path)
    x = np.random.default_rng(0).random((1,) + tuple(reference.input_shape[1:])).astype("float32")
    expected = np.asarray(reference(x, training=False))
    del reference
    gc.collect()
    ours = graphspec.load(SPECS / "zoo" / f"{stem}.gspec").to_keras(weights=path)
    np.testing.assert_array_equal(np.asarray(ours(x, training=False)), expected)
    del ours
    keras.backend.clear_session()
    gc.collect()
