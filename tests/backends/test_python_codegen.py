"""Python code generation: the generated module builds the same model as to_keras()."""

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphspec
from graphspec.backends import python_codegen
from graphspec.backends.python_codegen import generate
from graphspec.text import python_value as literal  # the one Python-literal writer codegen uses

ROOT = Path(__file__).parents[2]
SPECS = sorted((ROOT / "specs").rglob("*.gspec"))
GOLDEN = ROOT / "tests" / "fixtures" / "codegen"


def _register_custom():
    path = ROOT / "specs" / "custom" / "simple_dense.py"
    name = "simple_dense"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)


def _run_generated(source: str, tmp_path: Path, root: str):
    path = tmp_path / f"generated_{root}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"generated_{root}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _compile_config(model):
    # Keras numbers optimizer names globally (adam, adam_1, ...): compare all but that.
    config = model.get_compile_config()
    opt = config.get("optimizer")
    if isinstance(opt, dict):
        opt.get("config", {}).pop("name", None)
    return config


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_generated_code_builds_the_same_model(path, tmp_path):
    if "custom" in path.parts:
        _register_custom()
    spec = graphspec.load(path)
    source = generate(spec)
    assert source == generate(spec)  # deterministic
    compile(source, str(path), "exec")
    assert "tf." not in source and "import tensorflow" not in source
    module = _run_generated(source, tmp_path, spec.root)
    # Keras names ops (`x + 3.0`) by a global count (add, add_1, ...): each build starts it afresh.
    keras.backend.clear_session()
    built = getattr(module, f"build_{spec.root}")()
    keras.backend.clear_session()
    reference = spec.to_keras()
    assert built.get_config() == reference.get_config()
    assert built.count_params() == reference.count_params()
    if spec.model.compile:
        assert built.compiled and reference.compiled
        assert _compile_config(built) == _compile_config(reference)
    assert set(module.fit_kwargs()) == set(spec.fit_kwargs())


@pytest.mark.parametrize("stem", ["dual_camera", "ticket_router_v2", "siamese_lstm"])
def test_codegen_golden(stem):
    spec = graphspec.load(ROOT / "specs" / "seeds" / f"{stem}.gspec")
    golden = GOLDEN / f"{stem}.py"
    source = generate(spec)
    if os.environ.get("GRAPHSPEC_UPDATE_GOLDENS"):
        golden.write_text(source, encoding="utf-8")
    assert source == golden.read_text(encoding="utf-8")


def test_every_statement_points_back_to_the_spec():
    spec = graphspec.load(ROOT / "specs" / "seeds" / "fashion_cnn.gspec")
    source = generate(spec)
    calls = [l for l in source.splitlines() if "= layers." in l or "keras.Input(" in l]
    assert calls and all("# fashion_cnn.gspec:" in l for l in calls)


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=4).map(tuple)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(_values)
def test_literals_read_back_exactly(value):
    assert eval(literal(value)) == value  # noqa: S307 - our own generated literal


def test_non_finite_floats():
    assert eval(literal(math.inf)) == math.inf  # noqa: S307
    assert math.isnan(eval(literal(math.nan)))  # noqa: S307


def test_cli_writes_python(tmp_path):
    out = tmp_path / "model.py"
    done = subprocess.run([sys.executable, "-m", "graphspec", "compile",
                           str(ROOT / "specs/seeds/fashion_cnn.gspec"), "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "def build_fashion_cnn():" in out.read_text()


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,12}", fullmatch=True)
       | st.sampled_from(["__debug__", "_", "__", "keras", "layers", "model", "build_m", "float", "match",
                          "type", "class", "None", "__name__", "print", "fit_kwargs"]))
def test_variables_from_any_keras_name_are_safe(name):
    import builtins
    import keyword

    ident = python_codegen._identifier(name, {"keras", "layers", "model", "build_m", "fit_kwargs"})
    assert ident.isidentifier() and ident.isascii()
    assert not keyword.iskeyword(ident) and not keyword.issoftkeyword(ident)
    assert ident not in dir(builtins) and not (ident.startswith("__") and ident.endswith("__"))
    assert ident not in {"keras", "layers", "model", "build_m", "fit_kwargs"}
    compile(f"def f():\n    {ident} = 1\n    return {ident}\n", "<t>", "exec")
