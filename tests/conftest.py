"""Helpers shared by every test folder: running the CLI, loading a module by path, goldens."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# One switch for every golden test: GRAPHSPEC_UPDATE_GOLDENS=1 rewrites the goldens.
UPDATE_GOLDENS = os.environ.get("GRAPHSPEC_UPDATE_GOLDENS") == "1"


@pytest.fixture(autouse=True, scope="module")
def _keras_state_freed_after_each_module():
    """Keras keeps what every model built in its global state: a test worker that ran many building
    modules could not build ConvNeXt later (ResourceExhaustedError). Freed after each module."""
    yield
    keras = sys.modules.get("keras")
    if keras is not None:
        import gc

        keras.backend.clear_session()
        gc.collect()


def run_cli(*args: str, cwd: Path, env: Optional[Dict[str, str]] = None, script: bool = False,
            timeout: float = 120, input: Optional[str] = None) -> subprocess.CompletedProcess:
    """Run `python -m graphspec ARGS` (or the installed script) as a user would; never a traceback."""
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    base.update(env or {})
    exe = [str(Path(sys.executable).with_name("graphspec"))] if script else [sys.executable, "-m", "graphspec"]
    proc = subprocess.run([*exe, *args], cwd=cwd, env=base, capture_output=True, text=True,
                          timeout=timeout, input=input)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def load_module(path: Path, name: Optional[str] = None):
    """Import a Python file by path (scripts/, benchmarks/, fixtures) without putting it on sys.path."""
    name = name or "_gs_" + path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def check_golden(path: Path, actual: str) -> None:
    """Compare text with a golden file, or rewrite it under GRAPHSPEC_UPDATE_GOLDENS=1."""
    if UPDATE_GOLDENS:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.is_file():
        pytest.fail(f"no golden {path.name}; create it with GRAPHSPEC_UPDATE_GOLDENS=1")
    assert actual == path.read_text(encoding="utf-8"), (
        f"output differs from {path.name} (rerun with GRAPHSPEC_UPDATE_GOLDENS=1 if the change is intended)")
