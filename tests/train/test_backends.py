"""Other Keras backends and more than one device, each run as a user runs it: a subprocess with
KERAS_BACKEND (and two logical CPU devices), compared with what TensorFlow computes on one device."""

from __future__ import annotations

import csv
import importlib.util

import numpy as np
import pytest

from graphspec import api
from tests.conftest import SPECS, run_cli

pytestmark = pytest.mark.slow

needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")

SEED = SPECS / "seeds" / "fashion_cnn.gspec"

REG = """\
model reg {
    input features: (3,)
    output target = features -> Dense(8, activation="relu") -> Dense(1)
    compile {
        optimizer = SGD(learning_rate=0.01)
        loss = "mse"
    }
    fit {
        epochs = 1
        batch_size = 64
        callbacks = [CSVLogger(filename="log.csv")]
    }
}
"""


def _randomised(model, seed=3):
    rng = np.random.default_rng(seed)
    for v in model.weights:
        v.assign((rng.standard_normal(v.shape) * 0.1).astype("float32"))
    return model


@needs_jax
def test_seed_spec_under_jax_matches_tensorflow(tmp_path):
    spec = api.load(SEED)
    model = _randomised(spec.to_keras())
    model.save_weights(tmp_path / "w.weights.h5")
    rng = np.random.default_rng(0)
    x = rng.random((8, 28, 28, 1)).astype("float32")
    labels = np.eye(10, dtype="float32")[rng.integers(0, 10, 8)]
    np.savez(tmp_path / "data.npz", image=x, label=labels)
    expected = model.predict(x, verbose=0)
    env = {"KERAS_BACKEND": "jax"}

    predicted = run_cli("predict", str(SEED), "--weights", "w.weights.h5", "--data", "data.npz", "-o", "p.npz",
                        cwd=tmp_path, env=env)
    assert predicted.returncode == 0, predicted.stderr
    with np.load(tmp_path / "p.npz") as out:
        np.testing.assert_allclose(out["label"], expected, rtol=1e-5, atol=1e-6)

    fitted = run_cli("fit", str(SEED), "--data", "data.npz", "--epochs", "1", "--batch-size", "8",
                     "-o", "jax.keras", cwd=tmp_path, env=env)
    assert fitted.returncode == 0, fitted.stderr
    probe = run_cli("evaluate", "jax.keras", "--data", "data.npz", "--format", "json", cwd=tmp_path, env=env)
    assert probe.returncode == 0, probe.stderr

    import keras

    loaded = keras.models.load_model(tmp_path / "jax.keras", safe_mode=True)  # saved by JAX, loaded by TF
    assert loaded.count_params() == model.count_params() == sum(spec.model.param_counts())


def _loss(folder) -> float:
    with open(folder / "log.csv", newline="") as f:
        return float(next(csv.DictReader(f))["loss"])


def _one_step(tmp_path, env, *distribute):
    folder = tmp_path / ("multi" if distribute else "single")
    folder.mkdir()
    (folder / "reg.gspec").write_text(REG, encoding="utf-8")
    proc = run_cli("fit", "reg.gspec", "--data", str(tmp_path / "d.npz"), "--weights", str(tmp_path / "w.keras"),
                   "-o", "m.keras", *distribute, cwd=folder, env=env)
    assert proc.returncode == 0, proc.stderr
    return folder, _loss(folder)


def _setup(tmp_path):
    (tmp_path / "reg.gspec").write_text(REG, encoding="utf-8")
    model = _randomised(api.load(tmp_path / "reg.gspec").to_keras())
    model.save(tmp_path / "w.keras")
    x = np.random.default_rng(1).random((64, 3)).astype("float32")
    np.savez(tmp_path / "d.npz", features=x, target=x.sum(axis=1, keepdims=True))
    return x


@pytest.mark.parametrize("backend,strategy", [
    ("tensorflow", "mirrored"),
    pytest.param("jax", "data-parallel", marks=needs_jax),
])
def test_two_devices_give_the_loss_of_one(tmp_path, backend, strategy):
    import keras

    x = _setup(tmp_path)
    env = {"KERAS_BACKEND": backend}
    single, one = _one_step(tmp_path, env)
    multi, two = _one_step(tmp_path, env, "--distribute", strategy, "--devices", "2")
    assert two == pytest.approx(one, rel=1e-5)
    # The model trained on two devices loads on one and computes what the one-device model does.
    a = keras.models.load_model(single / "m.keras", safe_mode=True)
    b = keras.models.load_model(multi / "m.keras", safe_mode=True)
    np.testing.assert_allclose(b.predict(x, verbose=0), a.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_distribute_on_the_wrong_backend_is_one_line(tmp_path):
    x = _setup(tmp_path)
    assert x.shape == (64, 3)
    proc = run_cli("fit", "reg.gspec", "--data", "d.npz", "--distribute", "data-parallel", cwd=tmp_path,
                   env={"KERAS_BACKEND": "tensorflow"})
    assert proc.returncode == 2
    assert "--distribute data-parallel runs on the jax backend; this is tensorflow" in proc.stderr


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="torch is installed here")
def test_an_uninstalled_backend_is_one_line_with_the_install_command(tmp_path):
    _setup(tmp_path)
    proc = run_cli("fit", "reg.gspec", "--data", "d.npz", cwd=tmp_path, env={"KERAS_BACKEND": "torch"})
    assert proc.returncode == 2
    assert "pip install torch" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
