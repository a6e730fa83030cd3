"""The layering of the package (issue 9), enforced by import-linter's contracts in .importlinter.

Stages import downward only (source -> diagnostics -> syntax -> catalog -> passes -> IR ->
backends -> API/CLI); only graphspec.backends.keras_* (and the CLI's runtime, lazily) import
Keras or TensorFlow; the static front end and the Keras-free backends never import Pydantic.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

CONTRACTS = ROOT / ".importlinter"


def _lint_imports(cwd: Path, config: Path) -> subprocess.CompletedProcess:
    script = Path(sys.executable).parent / "lint-imports"
    if not script.is_file():
        pytest.fail("lint-imports is not installed: pip install import-linter (the `test` extra)")
    return subprocess.run([str(script), "--config", str(config), "--no-cache"], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_every_contract_is_kept():
    proc = _lint_imports(ROOT, CONTRACTS)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "3 kept, 0 broken" in proc.stdout


@pytest.mark.parametrize("culprit, module, line", [
    ("an upward import", "graphspec/passes/_layering_probe.py", "import graphspec.backends.summary\n"),
    ("Keras in the front end", "graphspec/catalog/_layering_probe.py", "import keras\n"),
    ("Pydantic in the summary", "graphspec/backends/summary.py", "import pydantic\n"),
])
def test_a_violation_breaks_a_contract(tmp_path, culprit, module, line):
    # The contracts are not vacuous: the same check on a copy of the package with one bad import fails.
    shutil.copytree(ROOT / "graphspec", tmp_path / "graphspec", ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / module
    target.write_text(line + (target.read_text() if target.exists() else ""))
    proc = _lint_imports(tmp_path, CONTRACTS)
    assert proc.returncode != 0, f"{culprit} was not caught:\n{proc.stdout[-3000:]}"
    assert "BROKEN" in proc.stdout
