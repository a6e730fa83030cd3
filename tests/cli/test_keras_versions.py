"""graphspec on the oldest Keras the [keras] extra accepts (issue 13).

The catalogue is captured from one Keras (keras_signatures.json's `keras_version`, the newest of
the range, installed for the rest of the suite); pyproject.toml accepts a range of Keras 3
versions. Here the oldest of the range is installed into a folder of its own (`pip install
--no-deps --target`, put first on PYTHONPATH; TensorFlow and the rest stay as installed) and,
in subprocesses that import it: every seed spec is built with to_keras, fitted one step, saved,
loaded back in safe mode with the same weights and outputs; and `graphspec layers --coverage`
names that version and lists what differs, each layer it says only the catalogue's Keras has
really missing from keras.layers there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import graphspec
from graphspec.catalog import signatures

ROOT = Path(__file__).parents[2]
SEEDS = ROOT / "specs" / "seeds"
TIMEOUT = 1800  # seconds: eleven models built, fitted and saved on a busy two-core machine


def _keras_ranges() -> dict:
    """Every extra's Keras requirement: extra -> (lower bound, upper bound)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = {}
    for extra, requirements in project["optional-dependencies"].items():
        for requirement in requirements:
            m = re.fullmatch(r"keras>=([\d.]+),<([\d.]+)", requirement.replace(" ", ""))
            if m:
                found[extra] = (m.group(1), m.group(2))
    return found


def _oldest() -> str:
    (lower,) = {low for low, _ in _keras_ranges().values()}
    return lower


def test_every_extra_names_the_same_keras_range_and_the_catalogue_is_in_it():
    ranges = _keras_ranges()
    assert {"keras", "jax", "torch"} <= set(ranges)
    assert len(set(ranges.values())) == 1, ranges
    (low, high), = set(ranges.values())
    version = tuple(int(p) for p in signatures.keras_version().split("."))
    assert tuple(int(p) for p in low.split(".")) <= version < tuple(int(p) for p in high.split("."))


def test_coverage_lists_the_ops_the_installed_keras_lacks():
    from graphspec.catalog import listing

    captured = signatures._catalogue().data
    live = {"keras_version": "3.0.0", "layers": captured["layers"]}
    cov = listing.coverage(installed="3.0.0", live=live, missing_ops=["mean"])
    line = f"op mean: only in Keras {captured['keras_version']} (keras.ops has no such function in 3.0.0)"
    assert cov["differences"] == [line]
    assert f"  differs  {line}" in listing.render_coverage(cov)


# Run in a subprocess with the oldest Keras first on sys.path: prints one JSON line.
_PROBE = r"""
import json, sys, tempfile
from pathlib import Path

import numpy as np
import keras

import graphspec

rng = np.random.default_rng(0)
out = {"keras": keras.__version__, "keras_file": keras.__file__, "layers": sorted(dir(keras.layers)),
       "seeds": {}}
folder = Path(tempfile.mkdtemp())


def every_layer(model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from every_layer(layer)


for path in sorted(Path(sys.argv[1]).glob("*.gspec")):
    model = graphspec.load(path).to_keras()
    vocab = min((l.input_dim for l in every_layer(model) if isinstance(l, keras.layers.Embedding)), default=2)
    x = {}
    for t in model.inputs:
        # 300 steps for an unknown length: social_profile's pooling needs at least 269
        shape = (4, *(300 if d is None else d for d in t.shape[1:]))
        x[t.name] = (rng.integers(0, vocab, size=shape) if "int" in t.dtype else rng.random(shape)).astype(t.dtype)
    if not model.compiled:
        model.compile(optimizer="sgd", loss="mse")
    y = [rng.random((4, *o.shape[1:])).astype("float32") for o in model.outputs]
    history = model.fit(x, y if len(y) > 1 else y[0], epochs=1, batch_size=4, verbose=0)
    saved = folder / f"{path.stem}.keras"
    model.save(saved)
    loaded = keras.saving.load_model(saved, safe_mode=True)
    same_weights = all(np.array_equal(a, b) for a, b in zip(model.get_weights(), loaded.get_weights()))
    before, after = (keras.tree.flatten(m.predict(x, verbose=0)) for m in (model, loaded))
    out["seeds"][path.stem] = {"params": model.count_params(), "loss": float(history.history["loss"][0]),
                               "same_weights": same_weights and len(model.get_weights()) == len(loaded.get_weights()),
                               "same_outputs": all(np.allclose(a, b, atol=1e-6) for a, b in zip(before, after))}
# The catalogue's layers this Keras lacks: building one is a BuildError that says why.
from graphspec.backends.keras_builder import BuildError, resolve_class
from graphspec.catalog import registry
from graphspec.catalog.layers.applications import MODULE_OF

out["lacking"] = {}
for name in registry.names():
    if name not in MODULE_OF and not hasattr(keras.layers, name):
        try:
            resolve_class(name, "layer")
            out["lacking"][name] = None
        except BuildError as exc:
            out["lacking"][name] = str(exc)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def oldest_keras(tmp_path_factory) -> dict:
    """The oldest Keras of the range, installed on its own: the environment that imports it."""
    version = _oldest()
    target = tmp_path_factory.mktemp("keras") / f"keras-{version}"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--target", str(target), f"keras=={version}"], check=True, timeout=600)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")]),
               TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow")
    return {"version": version, "target": target, "env": env}


@pytest.fixture(scope="module")
def probe(oldest_keras) -> dict:
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(SEEDS)], env=oldest_keras["env"], cwd=ROOT,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_every_seed_builds_fits_saves_and_loads_on_the_oldest_keras(oldest_keras, probe):
    assert probe["keras"] == oldest_keras["version"]
    assert Path(probe["keras_file"]).is_relative_to(oldest_keras["target"])
    assert sorted(probe["seeds"]) == sorted(p.stem for p in SEEDS.glob("*.gspec"))
    for stem, result in probe["seeds"].items():
        # the count graphspec works out statically, without Keras
        assert result["params"] == graphspec.load(SEEDS / f"{stem}.gspec").summary()["total_params"], stem
        assert result["loss"] == result["loss"] and abs(result["loss"]) != float("inf"), (stem, result)
        assert result["same_weights"] and result["same_outputs"], (stem, result)


@pytest.mark.slow
def test_coverage_names_the_oldest_keras_and_what_it_lacks(oldest_keras, probe):
    captured, installed = signatures.keras_version(), oldest_keras["version"]
    cmd = [sys.executable, "-m", "graphspec", "layers", "--coverage"]
    text = subprocess.run(cmd, env=oldest_keras["env"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert text.returncode == 0, text.stderr[-2000:]
    assert (f"installed Keras {installed} differs from the catalogue's Keras {captured}: checks use the "
            f"signatures of {captured}") in text.stdout
    differs = [line.strip()[len("differs  "):] for line in text.stdout.splitlines()
               if line.startswith("  differs  ")]
    assert differs, text.stdout
    lacking = [m.group(1) for m in map(re.compile(rf"layer (\w+): only in Keras {re.escape(captured)}$").match,
                                       differs) if m]
    for name in lacking:
        assert name not in probe["layers"], name
    assert set(probe["lacking"]) <= set(lacking)  # every supported layer it lacks is listed
    data = subprocess.run(cmd + ["--format", "json"], env=oldest_keras["env"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    cov = json.loads(data.stdout)
    assert (cov["keras_version"], cov["installed_keras_version"]) == (captured, installed)
    assert cov["differences"] == differs


@pytest.mark.slow
def test_a_layer_the_oldest_keras_lacks_is_refused_saying_so(oldest_keras, probe):
    captured, installed = signatures.keras_version(), oldest_keras["version"]
    assert probe["lacking"], f"Keras {installed} has every layer of the catalogue: nothing to compare"
    for name, message in probe["lacking"].items():
        assert message is not None, name
        assert f"unknown layer class `{name}`" in message and f"installed Keras {installed}" in message
        assert f"pip install 'keras>={captured}'" in message and "graphspec layers --coverage" in message
