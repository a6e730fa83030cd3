"""The zoo specs carry keras.applications' layer names, and its switches as consts (issue 12).

- Every layer of a zoo model has the name Keras gives the matching layer of
  `keras.applications.X(weights=None)`, and the same class.
- A `.keras` file saved from `X(weights=None)` under a fixed seed loads into the spec's model
  (`to_keras(weights=path)`) BY NAME, not by structure, and gives identical outputs. (A
  `.weights.h5` file cannot show this: Keras 3 keys its entries by class and position, never by
  layer name, so it always loads by structure; test_zoo_weights.py covers that.)
- `include_top`, `pooling`, `classes` and `input_shape` are consts of every spec, with Keras's
  semantics: `--set include_top=False pooling="avg"` (Python API and CLI) gives the model of
  `X(include_top=False, pooling="avg", weights=None)`: same parameters, same output shape.
"""

from __future__ import annotations

import gc
import json
from unittest import mock

import keras
import numpy as np
import pytest

import graphspec
from graphspec import cli
from graphspec.backends import keras_weights
from tests.conftest import SPECS

APPLICATIONS = {"resnet50": "ResNet50", "vgg19": "VGG19", "mobilenet_v2": "MobileNetV2",
                "densenet121": "DenseNet121", "inception_v3": "InceptionV3"}
SWITCHES = ("include_top", "pooling", "classes", "input_shape")


def _path(stem):
    return SPECS / "zoo" / f"{stem}.gspec"


def _reference(stem, **options):
    """keras.applications.X(weights=None, ...) in a fresh session: Keras numbers unnamed layers
    (InceptionV3's conv2d_N) per session, so the names are those of a first build."""
    keras.backend.clear_session()
    gc.collect()
    return getattr(keras.applications, APPLICATIONS[stem])(weights=None, **options)


def _free():
    keras.backend.clear_session()
    gc.collect()


@pytest.mark.parametrize("stem", sorted(APPLICATIONS))
def test_every_zoo_spec_has_the_switches_as_consts(stem):
    """Static: the consts exist with Keras's defaults (no Keras build)."""
    text = _path(stem).read_text(encoding="utf-8")
    for name in SWITCHES:
        assert f"\nconst {name} = " in text, (stem, name)
    spec = graphspec.load(_path(stem))
    assert spec.root == stem
    assert "if include_top {" in text


@pytest.mark.slow
@pytest.mark.parametrize("stem", sorted(APPLICATIONS))
def test_layer_names_and_classes_are_keras_s(stem):
    reference = _reference(stem)
    theirs = [(layer.name, type(layer).__name__) for layer in reference.layers[1:]]  # the input aside
    del reference
    _free()
    model = graphspec.load(_path(stem)).to_keras()
    ours = [(layer.name, type(layer).__name__) for layer in model.layers[1:]]
    del model
    _free()
    assert sorted(ours) == sorted(theirs)


@pytest.mark.slow
@pytest.mark.parametrize("stem", sorted(APPLICATIONS))
def test_keras_weights_load_by_name_and_give_identical_outputs(tmp_path, stem):
    keras.utils.set_random_seed(0)
    reference = _reference(stem)
    path = tmp_path / f"{stem}.keras"
    reference.save(path)
    x = np.random.default_rng(0).random((1,) + tuple(reference.input_shape[1:])).astype("float32")
    expected = np.asarray(reference(x, training=False))
    del reference
    _free()
    results, original = [], keras_weights.load_weights

    def recording(model, source):
        results.append(original(model, source))
        return results[-1]

    with mock.patch.object(keras_weights, "load_weights", recording):
        ours = graphspec.load(_path(stem)).to_keras(weights=path)
    (loaded,) = results
    assert loaded.by == "name", loaded
    assert loaded.unused == ()
    np.testing.assert_array_equal(np.asarray(ours(x, training=False)), expected)
    del ours
    _free()


@pytest.mark.slow
@pytest.mark.parametrize("stem", sorted(APPLICATIONS))
def test_include_top_false_with_avg_pooling_is_keras_s_backbone(stem):
    reference = _reference(stem, include_top=False, pooling="avg")
    want = (reference.count_params(), tuple(reference.output.shape), reference.layers[-1].__class__.__name__)
    del reference
    _free()
    model = graphspec.load(_path(stem), set={"include_top": False, "pooling": '"avg"'}).to_keras()
    got = (model.count_params(), tuple(model.outputs[0].shape), model.layers[-1].__class__.__name__)
    del model
    _free()
    assert got == want
    assert want[2] == "GlobalAveragePooling2D"


@pytest.mark.slow
@pytest.mark.parametrize("stem", sorted(APPLICATIONS))
def test_include_top_false_without_pooling_ends_at_keras_s_last_feature_map(stem, capsys):
    """pooling=None keeps the 4D map, its last layer named as Keras's; "max" pools it by the max."""
    reference = _reference(stem, include_top=False)
    # Keras's backbone takes any image size (None, None, 3) by default; the spec keeps input_shape.
    want = (reference.count_params(), reference.output.shape[-1], len(reference.output.shape), reference.layers[-1].name)
    del reference
    _free()
    model = graphspec.load(_path(stem), set={"include_top": False}).to_keras()
    got = (model.count_params(), model.outputs[0].shape[-1], len(model.outputs[0].shape), model.layers[-1].name)
    del model
    _free()
    assert got == want
    assert cli.main(["summary", "--format", "json", str(_path(stem)), "--set", "include_top=False",
                     "--set", 'pooling="max"']) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["total_params"] == want[0]
    assert summary["layers"][-1]["type"] == "GlobalMaxPooling2D"


@pytest.mark.slow
def test_cli_set_include_top_false_gives_the_backbone(capsys):
    """One CLI run: `graphspec summary --set include_top=False --set pooling="avg"`."""
    reference = _reference("resnet50", include_top=False, pooling="avg")
    want = reference.count_params()
    del reference
    _free()
    status = cli.main(["summary", "--format", "json", str(_path("resnet50")),
                       "--set", "include_top=False", "--set", 'pooling="avg"'])
    out = capsys.readouterr().out
    assert status == 0, out
    summary = json.loads(out)
    assert summary["total_params"] == want == 23_587_712
    assert summary["layers"][-1]["type"] == "GlobalAveragePooling2D"
