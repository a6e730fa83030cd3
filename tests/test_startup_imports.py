"""`graphspec check` (a pre-commit hook, run on every commit) imports only what checking needs
(issue 9 goal g1): no `dataclasses`, and so none of the inspect, ast, dis and tokenize it
imports; no `typing` and no `pathlib`; no TOML parser in a project whose pyproject.toml has no [tool.graphspec] table, and
neither tomllib nor the datetime it imports where one has (graphspec/vendor/tomli.py); and of
the catalogue's layer families only those that define a layer the spec uses.

Each case runs the CLI in a fresh interpreter and inspects `sys.modules` afterwards; nothing
is timed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "specs" / "seeds" / "fashion_cnn.gspec"

SCRIPT = """\
import contextlib, io, json, sys
from graphspec.cli import main

with contextlib.redirect_stdout(io.StringIO()) as out:
    status = main(["check", sys.argv[1]])
print(json.dumps({"status": status, "output": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def _check(spec: Path, cwd: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("GRAPHSPEC_NO_PLUGINS", None)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(spec)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def _project(tmp_path: Path, pyproject: str) -> Path:
    (tmp_path / ".git").mkdir()  # the project's root: the configuration search stops here
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    return tmp_path


def test_check_imports_no_dataclasses_nor_inspect(tmp_path):
    result = _check(SEED, _project(tmp_path, '[project]\nname = "app"\ndependencies = ["graphspec"]\n'))
    assert result["status"] == 0 and "All checks passed" in result["output"]
    modules = set(result["modules"])
    assert not modules & {"dataclasses", "inspect", "ast", "dis", "tokenize"}, sorted(modules)
    # typing names are for annotations only on the check path (TYPE_CHECKING blocks; ~3 ms to import)
    assert "typing" not in modules
    # paths are os.path strings on the check path (pathlib, with urllib.parse and ipaddress: ~3 ms)
    assert "pathlib" not in modules
    # graphspec only as a dependency: no table of ours, and so no TOML parser
    assert not modules & {"tomllib", "tomli", "graphspec.vendor.tomli"}
    # Dense, Conv2D, MaxPooling2D, Flatten, Dropout: not the recurrent, attention, preprocessing... families
    families = {m.rsplit(".", 1)[1] for m in modules if m.startswith("graphspec.catalog.layers.")}
    assert {"core", "conv", "pooling"} <= families and not families & {"recurrent", "preprocessing", "applications"}


def test_a_tool_graphspec_table_is_still_read(tmp_path):
    # `ignore` parsed (so the TOML parser imported) and the spec checked as before; the parser is
    # graphspec's copy of tomllib, which imports neither datetime nor tomllib itself
    result = _check(SEED, _project(tmp_path, '[project]\nname = "app"\n\n[ tool . "graphspec" ]\nignore = ["W104"]\n'))
    modules = set(result["modules"])
    assert result["status"] == 0 and "graphspec.vendor.tomli" in modules
    assert not modules & {"tomllib", "tomli", "datetime", "string", "typing", "pathlib"}, sorted(modules)
