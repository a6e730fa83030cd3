"""The model zoo matches keras.applications exactly.

Every spec in specs/zoo/ must build, with `to_keras()`, a model with the same
parameter count, trainable / non-trainable split, weight shapes (as a multiset),
input shapes and output shapes as the keras.applications model it reproduces,
built with `weights=None` and the default top (1000 classes, softmax). The
static summary (`graphspec summary --format json`, computed from the checked IR
without building anything) must give the same totals as the real Keras model.

Each pair of models (graphspec's and Keras's) is built once per module; the
pairs are built one after the other and freed in between (VGG19 alone holds
143M parameters). A missing zoo file is a failure, never a skip.
"""

from __future__ import annotations

import gc
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import keras
import pytest

import graphspec
from graphspec import cli
from graphspec.backends.summary import summarize

pytestmark = pytest.mark.slow

ZOO = Path(__file__).parents[2] / "specs" / "zoo"

# spec stem -> keras.applications constructor
ZOO_MODELS = {
    "resnet50": "ResNet50",
    "vgg19": "VGG19",
    "densenet121": "DenseNet121",
    "inception_v3": "InceptionV3",
    "mobilenet_v2": "MobileNetV2",
    "mobilenet_v3_small": "MobileNetV3Small",
    "convnext_tiny": "ConvNeXtTiny",
}

# The default input size of each application (include_top=True fixes it, except for MobileNetV3,
# which takes any image size).
INPUT_SHAPES = {
    "resnet50": (224, 224, 3),
    "vgg19": (224, 224, 3),
    "densenet121": (224, 224, 3),
    "inception_v3": (299, 299, 3),
    "mobilenet_v2": (224, 224, 3),
    "mobilenet_v3_small": (None, None, 3),
    "convnext_tiny": (224, 224, 3),
}

# Models whose top is not a softmax Dense: MobileNetV3's classifier is a 1x1 Conv2D on the pooled
# 1 x 1 map, a Flatten, then a softmax Activation (Keras's layer "predictions").
CONV_TOPS = {"mobilenet_v3_small"}


def _path(stem: str) -> Path:
    return ZOO / f"{stem}.gspec"


def _size(weights) -> int:
    return sum(math.prod(w.shape) for w in weights)


def _shapes(weights) -> list:
    return sorted(tuple(int(d) for d in w.shape) for w in weights)


def _io_shapes(tensors) -> list:
    return [tuple(t.shape) for t in tensors]


@pytest.fixture(scope="module", params=sorted(ZOO_MODELS))
def stem(request) -> str:
    return request.param


@dataclass
class Built:
    """One zoo entry, built once: the spec, graphspec's model and Keras's model."""

    spec: object = None
    ours: object = None
    reference: object = None
    error: Optional[str] = None


@pytest.fixture(scope="module")
def built(stem):
    """The zoo entry `stem`, built once per module and freed after its tests.

    A missing or broken spec is not raised here (that would make every test an
    ERROR at setup): it is kept, and each test fails with it via `_need`.
    """
    path = _path(stem)
    entry = Built()
    if not path.is_file():
        entry.error = f"zoo spec {path} is missing"
    else:
        try:
            entry.spec = graphspec.load(path)
            entry.ours = entry.spec.to_keras()
        except graphspec.SpecError as exc:
            entry.error = f"zoo spec {path} does not check:\n{exc}"
        except Exception as exc:  # noqa: BLE001 -- a failure of this entry, not of the module
            entry.error = f"zoo spec {path} does not build: {type(exc).__name__}: {exc}"
    if entry.error is None:
        entry.reference = getattr(keras.applications, ZOO_MODELS[stem])(weights=None)
    yield entry
    entry.spec = entry.ours = entry.reference = None
    keras.backend.clear_session()
    gc.collect()


def _need(entry: Built) -> Built:
    if entry.error:
        pytest.fail(entry.error, pytrace=False)
    return entry


def test_zoo_folder_holds_exactly_the_zoo():
    """Every zoo model has its file, and every file in the folder is tested here."""
    missing = [s for s in ZOO_MODELS if not _path(s).is_file()]
    assert not missing, f"missing zoo specs: {', '.join(f'specs/zoo/{s}.gspec' for s in missing)}"
    untested = sorted(p.stem for p in ZOO.glob("*.gspec") if p.stem not in ZOO_MODELS)
    assert not untested, f"zoo specs without a keras.applications reference in this test: {untested}"


def test_param_counts(built):
    ours, reference = _need(built).ours, built.reference
    assert ours.count_params() == reference.count_params()
    assert _size(ours.trainable_weights) == _size(reference.trainable_weights)
    assert _size(ours.non_trainable_weights) == _size(reference.non_trainable_weights)


def test_weight_shapes(built):
    """The same weights, shape for shape (sorted multisets), trainable and not."""
    ours, reference = _need(built).ours, built.reference
    assert _shapes(ours.trainable_weights) == _shapes(reference.trainable_weights)
    assert _shapes(ours.non_trainable_weights) == _shapes(reference.non_trainable_weights)


def test_input_and_output_shapes(stem, built):
    ours, reference = _need(built).ours, built.reference
    assert _io_shapes(ours.inputs) == _io_shapes(reference.inputs) == [(None,) + INPUT_SHAPES[stem]]
    assert _io_shapes(ours.outputs) == _io_shapes(reference.outputs) == [(None, 1000)]


def test_classifier_is_softmax(stem, built):
    """The default top: a 1000-unit Dense with a softmax (MobileNetV3: 1000 1x1 filters, then a softmax)."""
    ours = _need(built).ours
    last = ours.layers[-1]
    if stem in CONV_TOPS:
        logits, flatten = ours.layers[-3], ours.layers[-2]
        assert isinstance(logits, keras.layers.Conv2D) and logits.filters == 1000
        assert isinstance(flatten, keras.layers.Flatten)
        assert isinstance(last, keras.layers.Activation)
    else:
        assert isinstance(last, keras.layers.Dense)
        assert last.units == 1000
    assert last.activation is keras.activations.softmax


def test_static_summary_equals_keras(built):
    """The IR's parameter totals (no Keras involved) equal the built model's."""
    reference = _need(built).reference
    summary = summarize(built.spec)
    assert summary["total_params"] == reference.count_params()
    assert summary["trainable_params"] == _size(reference.trainable_weights)
    assert summary["non_trainable_params"] == _size(reference.non_trainable_weights)


def test_cli_summary_json_equals_keras(stem, built, capsys):
    """`graphspec summary --format json FILE` reports Keras's totals."""
    reference = _need(built).reference
    status = cli.main(["summary", "--format", "json", str(_path(stem))])
    out = capsys.readouterr().out
    assert status == 0, out
    summary = json.loads(out)
    assert summary["total_params"] == reference.count_params()
    assert summary["trainable_params"] == _size(reference.trainable_weights)
    assert summary["non_trainable_params"] == _size(reference.non_trainable_weights)
