"""Loading weights into a spec's model: by name, by structure, every shape checked first."""

from __future__ import annotations

import numpy as np
import pytest

from graphspec import api
from graphspec.backends.keras_weights import WeightsError
from tests.conftest import run_cli

pytestmark = pytest.mark.slow

SPEC = """\
model net {
    input x: (4,)
    output y = x -> Dense(WIDTH, name="hidden") -> BatchNormalization(name="norm") -> Dense(2, name="head")
}
"""


def _spec(folder, width=3, rename=False):
    text = SPEC.replace("WIDTH", str(width))
    if rename:
        text = text.replace('"hidden"', '"h1"').replace('"norm"', '"n1"')
    path = folder / f"net{width}{'r' if rename else ''}.gspec"
    path.write_text(text, encoding="utf-8")
    return api.load(path)


def _randomised(model, seed=1):
    rng = np.random.default_rng(seed)
    for v in model.weights:
        v.assign(rng.standard_normal(v.shape).astype("float32") + 1.0)  # BN variances stay positive-ish
    return model


@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
@pytest.mark.parametrize("rename", [False, True])
def test_weights_load_by_name_or_structure(tmp_path, suffix, rename):
    source = _randomised(_spec(tmp_path).to_keras())
    path = tmp_path / f"w{suffix}"
    source.save_weights(path) if suffix == ".weights.h5" else source.save(path)
    target = _spec(tmp_path, rename=rename).to_keras(weights=path)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    np.testing.assert_array_equal(np.asarray(target(x)), np.asarray(source(x)))


def test_a_mismatch_names_the_layer_and_loads_nothing(tmp_path):
    source = _randomised(_spec(tmp_path, width=3).to_keras())
    source.save(tmp_path / "w.keras")
    target = _spec(tmp_path, width=5).to_keras()
    before = [np.asarray(v).copy() for v in target.weights]
    from graphspec.backends.keras_weights import load_weights

    with pytest.raises(WeightsError, match=r"layer `hidden` has variable shapes \[\(4, 5\), \(5,\)\]; "
                                           r"the file's layer has \[\(4, 3\), \(3,\)\]"):
        load_weights(target, tmp_path / "w.keras")
    for b, v in zip(before, target.weights):  # never half-loaded: not even the layers before
        np.testing.assert_array_equal(b, np.asarray(v))


def test_compile_weights_cli(tmp_path):
    spec = _spec(tmp_path)
    source = _randomised(spec.to_keras())
    source.save_weights(tmp_path / "w.weights.h5")
    ok = run_cli("compile", str(tmp_path / "net3.gspec"), "--weights", "w.weights.h5", "-o", "m.keras", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    import keras

    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    for a, b in zip(source.weights, loaded.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    wide = _spec(tmp_path, width=5)
    bad = run_cli("compile", str(tmp_path / "net5.gspec"), "--weights", "w.weights.h5", "-o", "bad.keras", cwd=tmp_path)
    assert bad.returncode == 2 and "layer `hidden` has variable shapes" in bad.stderr, bad.stderr
    assert not (tmp_path / "bad.keras").exists()
    missing = run_cli("compile", str(tmp_path / "net5.gspec"), "--weights", "nope.weights.h5", "-o", "bad.keras", cwd=tmp_path)
    assert missing.returncode == 2 and "nope.weights.h5: no such file" in missing.stderr
