"""`graphspec compile` and `graphspec summary` run as a user runs them, and `graphspec.compile()`.

The command line is the installed console script (the `graphspec` next to this
Python, else `python -m graphspec`), run in a subprocess:

- compile of several seeds (with and without a compile block, with a nested
  model, with shared layers) writes a `.keras` file that
  `keras.models.load_model` loads in safe mode, with the same parameter count,
  output names, and compiled exactly when the spec has a compile block;
- a spec with errors exits 1 with the diagnostic on stderr and writes nothing
  (an existing output file is left as it was); an output not ending in `.keras`
  exits 2; a save that fails (missing or unwritable directory, a directory in the
  way) exits 2 and leaves no file, partial or temporary, behind;
- summary, as text and as JSON, for every seed: the JSON structure, and counts
  equal to those of the Keras model;
- the README's first set-up command, its final step exactly as written.

The Python API `graphspec.compile(path, output=...)` returns the keras.Model and
writes the file atomically.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import keras
import pytest

import graphspec
from graphspec.backends.summary import render_summary_text

pytestmark = [
    pytest.mark.slow,
    # Loading a compiled model whose optimizer has not been built yet: Keras says so, harmlessly.
    pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer"),
]

ROOT = Path(__file__).parents[2]
SPECS = ROOT / "specs"
SEEDS = ROOT / "specs" / "seeds"
README = ROOT / "README.md"
SEED_STEMS = sorted(p.stem for p in SEEDS.glob("*.gspec"))

# Seeds compiled through the CLI: a compile block (single and multi-output), none,
# a nested model used as a shared layer, a shared `layer`.
COMPILE_SEEDS = ["fashion_cnn", "ticket_router", "residual_projection", "dual_camera", "siamese_lstm"]

# The error example of the README: two branches of different shapes added.
BROKEN_SPEC = """\
model broken {
    input image: (32, 32, 64)
    x = image -> Conv2D(128, 3, strides=2, padding="same")
    y = image
    output z = (x, y) -> Add()
}
"""


def _graphspec_command() -> list:
    script = Path(sys.executable).with_name("graphspec")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "graphspec"]


GRAPHSPEC = _graphspec_command()


def run(*args, cwd=None, command=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1", TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("FORCE_COLOR", None)
    return subprocess.run([*(command or GRAPHSPEC), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=600)


@lru_cache(maxsize=None)
def _spec(stem: str):
    return graphspec.load(SEEDS / f"{stem}.gspec")


@lru_cache(maxsize=None)
def _keras_counts(stem: str) -> tuple:
    """(total, trainable, non-trainable, layer names, output names) of the seed's Keras model."""
    model = _spec(stem).to_keras()
    return (model.count_params(), _size(model.trainable_weights), _size(model.non_trainable_weights),
            [layer.name for layer in model.layers], list(model.output_names))


def _size(weights) -> int:
    return sum(math.prod(w.shape) for w in weights)


def _listing(directory: Path) -> list:
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*"))


def _assert_no_traceback(done: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in done.stderr, done.stderr


def _assert_loads_as_spec(path: Path, stem: str) -> keras.Model:
    """The saved file loads in safe mode and is the spec's model."""
    loaded = keras.models.load_model(path)  # safe_mode=True by default
    ir = _spec(stem).model
    total, trainable, non_trainable, _, output_names = _keras_counts(stem)
    assert loaded.count_params() == total
    assert _size(loaded.trainable_weights) == trainable
    assert _size(loaded.non_trainable_weights) == non_trainable
    assert list(loaded.output_names) == [o.name for o in ir.outputs] == output_names
    assert [t.name for t in loaded.inputs] == [i.name for i in ir.inputs]
    has_compile = ir.compile is not None
    assert loaded.compiled is has_compile
    assert (getattr(loaded, "optimizer", None) is not None) is has_compile
    return loaded


# -- graphspec compile ------------------------------------------------------------------------


def test_the_compiled_seeds_cover_each_case():
    irs = {stem: _spec(stem) for stem in COMPILE_SEEDS}
    assert any(s.model.compile is not None for s in irs.values())
    assert any(s.model.compile is None for s in irs.values())
    assert any(layer.kind == "model" for s in irs.values() for layer in s.model.layers)
    assert any(layer.shared for s in irs.values() for layer in s.model.layers)


@pytest.mark.parametrize("stem", COMPILE_SEEDS)
def test_compile_writes_a_loadable_model(stem, tmp_path):
    out = tmp_path / "x.keras"
    done = run("compile", SEEDS / f"{stem}.gspec", "-o", out)
    assert done.returncode == 0, done.stderr
    _assert_no_traceback(done)
    assert out.is_file()
    assert _listing(tmp_path) == ["x.keras"]  # no temporary file left behind
    total = _keras_counts(stem)[0]
    compiled = ", compiled" if _spec(stem).model.compile is not None else ""
    assert f"wrote {out} (model `{_spec(stem).root}`, {total:,} parameters{compiled})" in done.stdout
    _assert_loads_as_spec(out, stem)


def test_compile_relative_output_in_working_directory(tmp_path):
    done = run("compile", SEEDS / "residual_projection.gspec", "-o", "model.keras", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    _assert_loads_as_spec(tmp_path / "model.keras", "residual_projection")


def test_compile_replaces_an_existing_file(tmp_path):
    out = tmp_path / "x.keras"
    out.write_bytes(b"an older model")
    done = run("compile", SEEDS / "fashion_cnn.gspec", "-o", out)
    assert done.returncode == 0, done.stderr
    _assert_loads_as_spec(out, "fashion_cnn")
    assert _listing(tmp_path) == ["x.keras"]


def test_compile_of_a_spec_with_errors(tmp_path):
    spec = tmp_path / "broken.gspec"
    spec.write_text(BROKEN_SPEC, encoding="utf-8")
    out = tmp_path / "x.keras"
    done = run("compile", spec, "-o", out)
    assert done.returncode == 1
    _assert_no_traceback(done)
    assert "error[E401]" in done.stderr
    assert "broken.gspec:5:" in done.stderr
    assert not out.exists()
    assert _listing(tmp_path) == ["broken.gspec"]


def test_compile_of_a_spec_with_errors_leaves_an_existing_file(tmp_path):
    spec = tmp_path / "broken.gspec"
    spec.write_text(BROKEN_SPEC, encoding="utf-8")
    out = tmp_path / "x.keras"
    out.write_bytes(b"the previous model")
    before = out.stat().st_mtime_ns
    done = run("compile", spec, "-o", out)
    assert done.returncode == 1
    assert "error[E401]" in done.stderr
    assert out.read_bytes() == b"the previous model"
    assert out.stat().st_mtime_ns == before
    assert _listing(tmp_path) == ["broken.gspec", "x.keras"]


def test_compile_of_a_missing_spec_is_an_io_error(tmp_path):
    out = tmp_path / "x.keras"
    done = run("compile", tmp_path / "nope.gspec", "-o", out)
    assert done.returncode == 2
    _assert_no_traceback(done)
    assert not out.exists()


@pytest.mark.parametrize("name", ["model.h5", "model", "model.keras.bak", "model.KERAS.zip"])
def test_compile_output_must_end_in_keras(name, tmp_path):
    done = run("compile", SEEDS / "fashion_cnn.gspec", "-o", tmp_path / name)
    assert done.returncode == 2
    _assert_no_traceback(done)
    assert ".keras" in done.stderr
    assert _listing(tmp_path) == []


def test_compile_into_a_missing_directory(tmp_path):
    out = tmp_path / "missing" / "x.keras"
    done = run("compile", SEEDS / "fashion_cnn.gspec", "-o", out)
    assert done.returncode == 2
    _assert_no_traceback(done)
    assert "x.keras" in done.stderr
    assert _listing(tmp_path) == []


def test_compile_over_a_directory_leaves_no_partial_file(tmp_path):
    # The model is written to a temporary file first; moving it over a directory fails.
    out = tmp_path / "x.keras"
    (out / "inside").mkdir(parents=True)
    done = run("compile", SEEDS / "fashion_cnn.gspec", "-o", out)
    assert done.returncode == 2
    _assert_no_traceback(done)
    assert "x.keras" in done.stderr
    assert _listing(tmp_path) == ["x.keras", "x.keras/inside"]


def test_compile_into_an_unwritable_directory(tmp_path):
    target = tmp_path / "readonly"
    target.mkdir()
    (target / "x.keras").write_bytes(b"the previous model")
    target.chmod(0o555)
    try:
        probe = target / "probe"
        try:
            probe.write_bytes(b"")
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.skip("permissions are not enforced for this user (root)")
        done = run("compile", SEEDS / "fashion_cnn.gspec", "-o", target / "x.keras")
        assert done.returncode == 2
        _assert_no_traceback(done)
        assert _listing(target) == ["x.keras"]
        assert (target / "x.keras").read_bytes() == b"the previous model"
    finally:
        target.chmod(0o755)


# -- graphspec summary ----------------------------------------------------------------------


@pytest.mark.parametrize("stem", SEED_STEMS)
def test_summary_json(stem):
    done = run("summary", SEEDS / f"{stem}.gspec", "--format", "json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert {"layers", "total_params", "trainable_params", "non_trainable_params"} <= set(summary)
    for row in summary["layers"]:
        assert set(row) == {"name", "type", "output_shape", "params"}, row
        assert isinstance(row["name"], str) and isinstance(row["type"], str)
        assert isinstance(row["output_shape"], list)
        assert isinstance(row["params"], int) and row["params"] >= 0
    total, trainable, non_trainable, names, _ = _keras_counts(stem)
    assert summary["total_params"] == total
    assert summary["trainable_params"] == trainable
    assert summary["non_trainable_params"] == non_trainable
    assert sum(row["params"] for row in summary["layers"]) == total
    assert [row["name"] for row in summary["layers"]] == names


@pytest.mark.parametrize("stem", SEED_STEMS)
def test_summary_text(stem):
    done = run("summary", SEEDS / f"{stem}.gspec")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    total, trainable, non_trainable, names, _ = _keras_counts(stem)
    assert text.startswith(f'Model: "{_spec(stem).root}"\n')
    assert re.search(rf"^ Total params: {total:,} \(", text, re.M)
    assert re.search(rf"^ Trainable params: {trainable:,} \(", text, re.M)
    assert re.search(rf"^ Non-trainable params: {non_trainable:,} \(", text, re.M)
    for name in names:
        assert re.search(rf"^│ {re.escape(name)} \(", text, re.M), name
    as_json = json.loads(run("summary", SEEDS / f"{stem}.gspec", "--format", "json").stdout)
    assert text == render_summary_text(as_json) + "\n"


# -- the README ----------------------------------------------------------------------------


def _readme_compile_step() -> str:
    """The final step of the first command of the README's first ```sh block (Set-up)."""
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)
    assert blocks, "README.md has no ```sh block"
    commands = [line.strip() for line in blocks[0].splitlines() if line.strip() and not line.strip().startswith("#")]
    assert commands, "the README's first ```sh block has no command"
    step = commands[0].split("&&")[-1].strip()
    assert re.match(r"\S*graphspec compile ", step), step
    return step


def test_readme_setup_compile_step(tmp_path):
    step = _readme_compile_step()
    argv = shlex.split(step)
    assert Path(argv[0]).name == "graphspec"
    shutil.copytree(SPECS, tmp_path / "specs", ignore=shutil.ignore_patterns("__pycache__"))
    done = run(*argv[1:], cwd=tmp_path)
    assert done.returncode == 0, f"`{step}` failed:\n{done.stderr}"
    out = tmp_path / argv[argv.index("-o") + 1]
    assert out.suffix == ".keras" and out.is_file()
    stem = Path(argv[argv.index("compile") + 1]).stem
    _assert_loads_as_spec(out, stem)


# -- the Python API -------------------------------------------------------------------------


def _register_simple_dense():
    path = SPECS / "custom" / "simple_dense.py"
    for name in ("simple_dense", "graphspec_examples_simple_dense"):
        module = sys.modules.get(name)
        if module is not None and Path(getattr(module, "__file__", "")).resolve() == path.resolve():
            return module
    module_spec = importlib.util.spec_from_file_location("simple_dense", path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules["simple_dense"] = module
    module_spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("stem", ["fashion_cnn", "dual_camera"])
def test_api_compile_returns_the_model_and_writes_it(stem, tmp_path):
    out = tmp_path / "x.keras"
    model = graphspec.compile(SEEDS / f"{stem}.gspec", output=out)
    assert isinstance(model, keras.Model)
    assert model.count_params() == _keras_counts(stem)[0]
    assert model.compiled is (_spec(stem).model.compile is not None)
    assert _listing(tmp_path) == ["x.keras"]
    _assert_loads_as_spec(out, stem)


def test_api_compile_without_output_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = graphspec.compile(str(SEEDS / "ticket_router.gspec"))
    assert isinstance(model, keras.Model)
    assert list(model.output_names) == ["priority", "department"]
    assert _listing(tmp_path) == []


def test_api_compile_string_output_and_custom_layer(tmp_path):
    module = _register_simple_dense()
    out = tmp_path / "custom.keras"
    model = graphspec.compile(str(SPECS / "custom" / "simple_dense.gspec"), output=str(out))
    assert any(type(layer).__name__ == "SimpleDense" for layer in model.layers)
    loaded = keras.models.load_model(out)
    assert loaded.count_params() == model.count_params()
    assert any(isinstance(layer, module.SimpleDense) or type(layer).__name__ == "SimpleDense"
               for layer in loaded.layers)


def test_api_compile_replaces_an_existing_file(tmp_path):
    out = tmp_path / "x.keras"
    out.write_bytes(b"an older model")
    graphspec.compile(SEEDS / "residual_projection.gspec", output=out)
    _assert_loads_as_spec(out, "residual_projection")
    assert _listing(tmp_path) == ["x.keras"]


def test_api_compile_failed_save_leaves_no_partial_file(tmp_path, monkeypatch):
    out = tmp_path / "x.keras"
    out.write_bytes(b"the previous model")
    written = []

    def failing_save(self, filepath, *args, **kwargs):
        written.append(Path(filepath))
        Path(filepath).write_bytes(b"half a zip")  # a partial write, then the failure
        raise RuntimeError("disk full")

    monkeypatch.setattr(keras.Model, "save", failing_save)
    with pytest.raises(RuntimeError, match="disk full"):
        graphspec.compile(SEEDS / "fashion_cnn.gspec", output=out)
    assert written and written[0] != out  # written elsewhere first, then moved
    assert written[0].parent == tmp_path
    assert out.read_bytes() == b"the previous model"
    assert _listing(tmp_path) == ["x.keras"]


def test_api_compile_rejects_an_output_without_keras_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.keras"):
        graphspec.compile(SEEDS / "fashion_cnn.gspec", output=tmp_path / "x.h5")
    assert _listing(tmp_path) == []


def test_api_compile_of_a_spec_with_errors_writes_nothing(tmp_path):
    spec = tmp_path / "broken.gspec"
    spec.write_text(BROKEN_SPEC, encoding="utf-8")
    out = tmp_path / "x.keras"
    out.write_bytes(b"the previous model")
    with pytest.raises(graphspec.SpecError) as info:
        graphspec.compile(spec, output=out)
    assert any(d.code == "E401" for d in info.value.diagnostics)
    assert out.read_bytes() == b"the previous model"
    assert _listing(tmp_path) == ["broken.gspec", "x.keras"]
