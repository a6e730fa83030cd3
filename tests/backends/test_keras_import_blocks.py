"""Idiomatic import (issue 13): repeated subgraphs become blocks, runs of them `repeat`, repeated
floats consts; names kept by default. Goldens for small models with repeated structure, and the
keras.applications models: at most 1.5x the lines of the hand-written zoo specs, exact round trip."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402

import graphspec  # noqa: E402
from graphspec.backends.keras_import import from_keras  # noqa: E402
from conftest import FIXTURES, ROOT, SPECS, check_golden, load_module, run_cli  # noqa: E402

GOLDENS = FIXTURES / "import"
_base = load_module(ROOT / "tests" / "backends" / "test_keras_import.py", "_gs_keras_import_base")
_round_trip = _base._round_trip


def _residual_net() -> "keras.Model":
    """Four residual units (the same wiring, widths 8, 8, 16, 16) between a stem and a head."""
    x = keras.Input((16, 16, 3), name="image")
    h = layers.Conv2D(8, 3, padding="same", name="stem")(x)
    for i, width in enumerate((8, 8, 16, 16)):
        shortcut = h if i % 2 else layers.Conv2D(width, 1, name=f"proj{i}")(h)
        y = layers.Conv2D(width, 3, padding="same", name=f"unit{i}_a")(h)
        y = layers.BatchNormalization(epsilon=1.001e-5, name=f"unit{i}_bn")(y)
        y = layers.Conv2D(width, 3, padding="same", name=f"unit{i}_b")(y)
        h = layers.Add(name=f"unit{i}_add")([shortcut, y])
        h = layers.Activation("relu", name=f"unit{i}_out")(h)
    out = layers.Dense(3, name="logits")(layers.GlobalAveragePooling2D(name="pool")(h))
    return keras.Model(x, out, name="residual_net")


def _dense_stack() -> "keras.Model":
    """Five identical concatenating units: a `repeat`."""
    x = keras.Input((8, 8, 4), name="x")
    h = x
    for i in range(5):
        y = layers.Conv2D(4, 3, padding="same")(layers.Activation("relu")(layers.BatchNormalization()(h)))
        h = layers.Concatenate()([h, y])
    return keras.Model(x, layers.GlobalMaxPooling2D(name="features")(h), name="dense_stack")


MODELS = {"residual_net": _residual_net, "dense_stack": _dense_stack}


@pytest.mark.parametrize("keep", [True, False], ids=["keep_names", "rename"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_golden_and_round_trip(name, keep):
    text, _, _ = _round_trip(MODELS[name](), keep_names=keep)
    check_golden(GOLDENS / f"{name}{'' if keep else '.rename'}.gspec", text)


def test_blocks_and_repeat():
    text = from_keras(_residual_net(), keep_names=True)
    assert text.count("block ") == 2  # with and without a projection
    assert "const epsilon = 1.001e-05" in text
    assert 'Dense(3)' in text and 'name="stem"' in text  # outside blocks, names are kept
    stack = from_keras(_dense_stack(), keep_names=False)
    assert "repeat 5 {" in stack and "name=" not in stack


def test_keep_names():
    x = keras.Input((4,), name="x")
    h = layers.Dense(8, name="features")(x)
    text = from_keras(keras.Model(x, layers.Dense(1, name="out")(h)), keep_names=True)
    assert 'name="features"' in text
    assert {"x", "features", "out"} <= {layer.name for layer in graphspec.loads(text).to_keras().layers}


def test_cli_rename(tmp_path):
    path = tmp_path / "m.keras"
    _residual_net().save(path)
    kept = run_cli("import", str(path), "-o", "-", cwd=tmp_path)  # names kept by default
    renamed = run_cli("import", str(path), "--rename", "-o", "-", cwd=tmp_path)
    assert kept.returncode == 0 and renamed.returncode == 0, kept.stderr + renamed.stderr
    assert 'name="stem"' in kept.stdout and "name=" not in renamed.stdout
    assert renamed.stdout == from_keras(keras.models.load_model(path), keep_names=False)
    assert kept.stdout == from_keras(keras.models.load_model(path))  # the same default in Python


# The applications, small inputs and no weights download: what is imported is the architecture.
APPLICATIONS = {
    "ResNet50": ("resnet50", (64, 64, 3)),
    "DenseNet121": ("densenet121", (64, 64, 3)),
    "MobileNetV2": ("mobilenet_v2", (96, 96, 3)),
    "InceptionV3": ("inception_v3", (75, 75, 3)),
}


@pytest.mark.slow
@pytest.mark.parametrize("app", sorted(APPLICATIONS))
def test_applications_short_and_exact(app):
    zoo, shape = APPLICATIONS[app]
    old = getattr(keras.applications, app)(weights=None, input_shape=shape)
    text, _, _ = _round_trip(old, keep_names=True)  # counts and outputs equal with the weights copied
    hand = len((SPECS / "zoo" / f"{zoo}.gspec").read_text(encoding="utf-8").splitlines())
    lines = len(text.splitlines())
    assert lines <= 1.5 * hand, f"{app}: {lines} lines imported, {hand} hand-written"
    assert "repeat" in text or text.count("\nblock ") >= 2
