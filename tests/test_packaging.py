"""The wheel: built from this tree with the hatchling backend (pyproject.toml), it carries
the grammar and the layer catalogue, and installed into a fresh virtual environment with
only the light core (lark, pydantic) it checks specs from a folder outside the repository,
so the grammar is found inside the installed package, not in the repository's grammar/.

Builds need hatchling and the installs need lark and pydantic from PyPI: marked slow.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 900


def _run(args, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")}
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=TIMEOUT, env=env, **kw)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", out, ROOT])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = list(out.glob("graphspec-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_contents(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "graphspec/grammar/graphspec.lark" in names
        assert "graphspec/catalog/keras_signatures.json" in names
        assert "graphspec/__main__.py" in names and "graphspec/cli/__init__.py" in names
        # The packaged grammar is the repository's, byte for byte; the catalogue is valid JSON.
        assert zf.read("graphspec/grammar/graphspec.lark") == (ROOT / "grammar" / "graphspec.lark").read_bytes()
        json.loads(zf.read("graphspec/catalog/keras_signatures.json"))
        # Every module of the package is in the wheel (a module left out breaks the installed CLI).
        modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "graphspec").rglob("*.py")}
        assert modules <= names, sorted(modules - names)
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        dist_info = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert dist_info and "graphspec = graphspec.cli:main" in zf.read(dist_info[0]).decode()
        metadata = zf.read([n for n in names if n.endswith(".dist-info/METADATA")][0]).decode()
        requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
        core = {re.split(r"[<>=!~;\[ ]", r.split(":", 1)[1].strip())[0].lower()
                for r in requires if "extra ==" not in r}
        # The light core: lark and pydantic (TOML is read by graphspec/vendor/tomli.py); never Keras.
        assert core == {"lark", "pydantic"}, core


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel and the light core from PyPI; its bin folder."""
    where = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=True, clear=True).create(where)
    bindir = where / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    proc = _run([python, "-m", "pip", "install", "--quiet", "--no-deps", wheel])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = _run([python, "-m", "pip", "install", "--quiet", "lark>=1.1.9,<2", "pydantic>=2.6,<3"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return bindir


def test_installed_wheel_checks_specs_outside_the_repository(installed, tmp_path):
    good = (ROOT / "specs" / "seeds" / "fashion_cnn.gspec").read_text(encoding="utf-8")
    (tmp_path / "good.gspec").write_text(good, encoding="utf-8")
    (tmp_path / "bad.gspec").write_text(good.replace("Dense(100", "Dens(100"), encoding="utf-8")
    graphspec = installed / "graphspec"

    proc = _run([graphspec, "check", "good.gspec"], cwd=tmp_path)
    assert proc.returncode == 0 and "All checks passed" in proc.stdout, proc.stdout + proc.stderr
    proc = _run([graphspec, "check", "bad.gspec"], cwd=tmp_path)
    assert proc.returncode == 1 and "error[E220]" in proc.stdout and "--> bad.gspec:13:12" in proc.stdout
    proc = _run([graphspec, "summary", "good.gspec"], cwd=tmp_path)
    assert proc.returncode == 0 and "fashion_cnn" in proc.stdout
    proc = _run([installed / "python", "-m", "graphspec", "--version"], cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("graphspec ")


def test_installed_wheel_finds_its_own_grammar(installed, tmp_path):
    code = ("import graphspec, sys\n"
            "from graphspec.syntax.grammar import grammar_path\n"
            "print(graphspec.__file__)\n"
            "print(grammar_path())\n"
            "print(any(m.split('.')[0] in ('keras', 'tensorflow', 'numpy') for m in sys.modules))\n")
    proc = _run([installed / "python", "-c", code], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    package, grammar, heavy = proc.stdout.strip().splitlines()
    prefix = installed.parent.resolve()
    assert Path(package).resolve().is_relative_to(prefix), package  # not this repository's graphspec
    assert Path(grammar).resolve() == Path(package).resolve().parent / "grammar" / "graphspec.lark"
    assert heavy == "False"


def test_installed_wheel_without_keras_says_how_to_get_it(installed, tmp_path):
    (tmp_path / "good.gspec").write_text((ROOT / "specs" / "seeds" / "fashion_cnn.gspec").read_text(),
                                         encoding="utf-8")
    proc = _run([installed / "graphspec", "compile", "good.gspec", "-o", "model.keras"], cwd=tmp_path)
    assert proc.returncode == 2
    assert "pip install 'graphspec[keras]'" in proc.stderr
    assert not (tmp_path / "model.keras").exists()
