"""Every keras.applications model round-trips (issue 10): from_keras -> .gspec text -> check ->
to_keras gives the same parameter count, the same trainable/non-trainable split and, with the
weights copied, the same outputs. weights=None and the smallest input each application takes."""

from __future__ import annotations

import gc
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")

from conftest import ROOT, load_module  # noqa: E402

_ops = load_module(ROOT / "tests" / "backends" / "test_keras_import_ops.py", "_gs_keras_import_ops_base")

# Enumerated, not listed: a Keras release that adds an application adds a case here.
NAMES = sorted(n for n in dir(keras.applications) if n[:1].isupper() and callable(getattr(keras.applications, n)))

# The smallest side each application accepts with include_top=True and weights=None
# (keras.applications' own `min_size`); 32 for the rest.
SMALLEST_SIDE = {"InceptionV3": 75, "InceptionResNetV2": 75, "Xception": 71}

# The models whose case took 75 s or more (measured with -n 0 on a shared two-core machine;
# the whole file took 39 minutes there) run in a test of their own, still `slow` and in CI.
LARGE = {"NASNetLarge", "NASNetMobile", "InceptionResNetV2", "InceptionV3", "EfficientNetV2S",
         "EfficientNetV2M", "EfficientNetV2L", "EfficientNetB7", "ResNet152", "ResNet152V2", "ConvNeXtXLarge"}


def _check(name: str) -> None:
    side = SMALLEST_SIDE.get(name, 32)
    old = getattr(keras.applications, name)(weights=None, input_shape=(side, side, 3))
    try:
        text, new = _ops._round_trip(old, atol=1e-4)
        assert new.output_names == old.output_names
        assert new.name == old.name
    finally:
        del old
        keras.backend.clear_session()
        gc.collect()


def test_every_application_is_enumerated():
    # keras 3.15 ships 40 constructors; fewer means the enumeration above lost some.
    assert len(NAMES) >= 40, NAMES
    assert {"ResNet50", "NASNetLarge", "EfficientNetV2L", "ConvNeXtXLarge"} <= set(NAMES)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in NAMES if n not in LARGE])
def test_application_round_trip(name):
    _check(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(LARGE))
def test_large_application_round_trip(name):
    _check(name)
