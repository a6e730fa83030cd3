"""docs/training.md's transfer-learning walk runs as written: its Python, its spec, its commands."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.slow

DOC = ROOT / "docs" / "training.md"


def _walk():
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Transfer learning, step by step", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)


def test_the_walk_has_every_step():
    kinds = [kind for kind, _ in _walk()]
    assert kinds == ["python", "gspec", "console"]


def test_transfer_learning_walk_runs(tmp_path):
    blocks = _walk()
    for kind, body in blocks:
        if kind == "python":
            subprocess.run([sys.executable, "-c", body], cwd=tmp_path, check=True, capture_output=True, timeout=300)
        elif kind == "gspec":
            (tmp_path / "flowers.gspec").write_text(body, encoding="utf-8")
        else:
            for line in body.splitlines():
                assert line.startswith("$ graphspec "), line
                proc = run_cli(*shlex.split(line)[2:], cwd=tmp_path, timeout=300)
                assert proc.returncode == 0, (line, proc.stderr)
    assert (tmp_path / "flowers.keras").is_file()
    import numpy as np

    with np.load(tmp_path / "predictions.npz") as out:
        assert out["label"].shape == (8, 5)


def test_walk_loads_the_backbone_weights(tmp_path):
    """The walk's --weights really land in the nested backbone (not silently skipped)."""
    import keras
    import numpy as np

    import graphspec

    blocks = dict((k, b) for k, b in _walk())
    (tmp_path / "flowers.gspec").write_text(blocks["gspec"], encoding="utf-8")
    keras.utils.set_random_seed(1)
    reference = keras.applications.MobileNetV2(weights=None, include_top=False, pooling="avg")
    reference.save_weights(tmp_path / "m.weights.h5")
    spec = graphspec.load(tmp_path / "flowers.gspec", set={"include_top": False, "pooling": '"avg"'})
    model = spec.to_keras(weights=tmp_path / "m.weights.h5")
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 6405
    backbone = model.get_layer("mobilenet_v2")
    for a, b in zip(reference.weights, backbone.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
