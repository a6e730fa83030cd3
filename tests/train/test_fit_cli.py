"""`graphspec fit`, `evaluate` and `predict` as a user runs them: real subprocesses on real .npz files,
compared with what Keras itself computes; bad data refused before training; a resumed run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.slow

SPEC = """\
model reg {
    input features: (3,)
    output target = features -> Dense(8, activation="relu") -> Dense(1)
    compile {
        optimizer = "adam"
        loss = "mse"
        metrics = ["mae"]
    }
    fit {
        epochs = EPOCHS
        batch_size = 16
        callbacks = [CALLBACKS]
    }
}
"""


def _spec(folder: Path, epochs: int = 2, callbacks: str = "") -> Path:
    path = folder / "reg.gspec"
    path.write_text(SPEC.replace("EPOCHS", str(epochs)).replace("CALLBACKS", callbacks), encoding="utf-8")
    return path


def _data(folder: Path, n: int = 64, name: str = "train.npz", **change) -> Path:
    rng = np.random.default_rng(0)
    x = rng.random((n, 3)).astype("float32")
    arrays = {"features": x, "target": x.sum(axis=1, keepdims=True)}
    arrays.update(change)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(folder / name, **arrays)
    return folder / name


def test_fit_evaluate_predict_agree_with_keras(tmp_path):
    import keras

    spec, data = _spec(tmp_path), _data(tmp_path)
    fitted = run_cli("fit", str(spec), "--data", str(data), "--validation", str(data), "-o", "trained.keras",
                     cwd=tmp_path)
    assert fitted.returncode == 0, fitted.stderr
    assert "Epoch 2/2" in fitted.stdout  # Keras's own progress output
    assert "wrote trained.keras (model `reg`, 2 epochs run" in fitted.stdout
    assert not (tmp_path / "trained.keras.resume").exists()
    model = keras.models.load_model(tmp_path / "trained.keras", safe_mode=True)
    arrays = np.load(data)
    expected = model.evaluate(arrays["features"], arrays["target"], return_dict=True, verbose=0)

    scores = run_cli("evaluate", "trained.keras", "--data", str(data), "--format", "json", cwd=tmp_path)
    assert scores.returncode == 0, scores.stderr
    got = json.loads(scores.stdout)
    assert got["loss"] == pytest.approx(expected["loss"], rel=1e-5)
    assert got["mae"] == pytest.approx(expected["mae"], rel=1e-5)

    # The spec with the trained weights predicts what the saved model does.
    out = run_cli("predict", str(spec), "--weights", "trained.keras", "--data", str(data), "-o", "p.npz",
                  cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    with np.load(tmp_path / "p.npz") as predicted:
        assert predicted.files == ["target"]
        np.testing.assert_allclose(predicted["target"], model.predict(arrays["features"], verbose=0), rtol=1e-6)


BAD = {
    "missing key": ({"target": None}, "no array for output `target` (expected shape (N, 1) and dtype float32); "
                                      "the file holds `features`"),
    "extra key": ({"labels": np.zeros((64, 1))}, "the array `labels` is neither an input nor an output of model "
                                                 "`reg`"),
    "wrong shape": ({"features": np.zeros((64, 4), "float32")},
                    "input `features` expects shape (N, 3) and dtype float32; the file holds `features` with "
                    "shape (64, 4) and dtype float32"),
    "wrong dtype": ({"features": np.array([["a", "b", "c"]] * 64)},
                    "input `features` expects shape (N, 3) and dtype float32; the file holds `features` with "
                    "shape (64, 3) and dtype <U1"),
    "sample counts": ({"target": np.zeros((10, 1), "float32")},
                      "every array needs the same number of samples (the first axis); the file holds "
                      "`features` 64, `target` 10"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_data_is_one_line_before_training(tmp_path, case):
    change, message = BAD[case]
    spec, data = _spec(tmp_path), _data(tmp_path, **change)
    proc = run_cli("fit", str(spec), "--data", str(data), "-o", "trained.keras", cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr, proc.stderr
    assert "Epoch" not in proc.stdout  # caught before training started
    assert not (tmp_path / "trained.keras").exists()


def test_callbacks_of_the_fit_block_run(tmp_path):
    callbacks = ('EarlyStopping(monitor="loss", patience=5), ModelCheckpoint(filepath="best.keras"), '
                 'CSVLogger(filename="log.csv"), ReduceLROnPlateau(monitor="loss", patience=1)')
    spec, data = _spec(tmp_path, epochs=3, callbacks=callbacks), _data(tmp_path)
    proc = run_cli("fit", str(spec), "--data", str(data), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "not saved (no -o)" in proc.stdout
    lines = (tmp_path / "log.csv").read_text().splitlines()
    assert lines[0].startswith("epoch") and len(lines) == 4  # a header and one row per epoch
    assert lines[0].split(",")[:3] == ["epoch", "loss", "mae"]
    assert (tmp_path / "best.keras").is_file()


def _popen(*args, cwd):
    return subprocess.Popen([sys.executable, "-m", "graphspec", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_interrupted_run_resumes_from_its_last_checkpoint(tmp_path):
    spec, data = _spec(tmp_path, epochs=200), _data(tmp_path, n=4096)
    state = tmp_path / "trained.keras.resume" / "state.json"
    proc = _popen("fit", str(spec), "--data", str(data), "-o", "trained.keras", cwd=tmp_path)
    deadline = time.monotonic() + 90
    while not state.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert not (tmp_path / "trained.keras").exists()
    done = json.loads(state.read_text())["epoch"]
    assert 1 <= done < 200

    again = run_cli("fit", str(spec), "--data", str(data), "-o", "trained.keras", cwd=tmp_path)
    assert again.returncode == 2 and "pass --resume to continue it" in again.stderr

    resumed = run_cli("fit", str(spec), "--data", str(data), "-o", "trained.keras", "--epochs", str(done + 2),
                      "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"Epoch {done + 1}/{done + 2}" in resumed.stdout
    assert "Epoch 1/" not in resumed.stdout
    assert "2 epochs run" in resumed.stdout
    assert (tmp_path / "trained.keras").is_file()
    assert not state.parent.exists()


def test_resume_without_a_checkpoint_is_an_error(tmp_path):
    spec, data = _spec(tmp_path), _data(tmp_path)
    proc = run_cli("fit", str(spec), "--data", str(data), "-o", "t.keras", "--resume", cwd=tmp_path)
    assert proc.returncode == 2 and "nothing to resume" in proc.stderr


def test_python_api_fits_dicts_and_refuses_bad_data(tmp_path):
    from graphspec import api
    from graphspec.backends.keras_data import DataError

    spec = api.load(_spec(tmp_path, epochs=1))
    x = np.ones((32, 3), "float32")
    model = spec.fit({"features": x, "target": x[:, :1]}, verbose=0)
    assert len(model.history.epoch) == 1
    assert set(spec.predict({"features": x}, weights=None, verbose=0)) == {"target"}
    with pytest.raises(DataError, match="no array for input `features`"):
        api.fit(spec, {"target": x[:, :1]}, verbose=0)
