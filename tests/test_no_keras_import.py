"""The light core never imports Keras or TensorFlow: `graphspec check`, `summary` and `ir`
run on every spec in specs/ in a fresh interpreter, then `sys.modules` is inspected.

`check` does not import pydantic either (the IR's models are only needed by the commands
that print it), and none of them imports numpy, which the light core does not depend
on: the pre-commit hook installs only lark and pydantic.

The custom-layer spec (specs/custom/) is the one exception by design: its layer comes
from a plugin that this repository's pyproject.toml trusts ([tool.graphspec] plugins),
and the plugin is Keras code. Checking it imports the plugin, and so Keras; that is
tested as such.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALL_SPECS = sorted((ROOT / "specs").rglob("*.gspec"))
PLUGIN_SPECS = [p for p in ALL_SPECS if p.parent.name == "custom"]
SPECS = [p for p in ALL_SPECS if p not in PLUGIN_SPECS]

SCRIPT = """\
import contextlib, io, json, sys
from graphspec.cli import main

status = {}
for path in sys.argv[2:]:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        status[path] = main([sys.argv[1], path])
    assert "Traceback" not in err.getvalue(), err.getvalue()
print(json.dumps({"status": status, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def run(command: str, specs, cwd: Path = ROOT) -> dict:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, command, *map(str, specs)], cwd=cwd, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_spec_list_is_not_empty():
    assert len(SPECS) >= 10 and PLUGIN_SPECS


@pytest.mark.parametrize("command, forbidden", [
    ("check", {"keras", "tensorflow", "pydantic", "numpy"}),
    ("summary", {"keras", "tensorflow", "numpy"}),
    ("ir", {"keras", "tensorflow", "numpy"}),
])
def test_light_commands_import_no_keras(command, forbidden):
    result = run(command, SPECS)
    assert set(result["status"].values()) == {0}, result["status"]
    assert not forbidden & set(result["modules"]), sorted(forbidden & set(result["modules"]))
    # Parsing runs graphspec's own LALR driver over tables exported from lark, never lark itself
    # (tests/syntax/test_lalr_runtime.py); the statuses above show the specs were parsed.
    assert "lark" not in result["modules"]


def test_a_spec_with_errors_imports_no_keras(tmp_path):
    """Errors (an unknown layer among them) outside a project that configures plugins: still no Keras."""
    text = (ROOT / "specs" / "seeds" / "fashion_cnn.gspec").read_text(encoding="utf-8")
    (tmp_path / "typo.gspec").write_text(text.replace("Dense(100", "Dens(100").replace("(28, 28, 1)", "(28, 28)"),
                                         encoding="utf-8")
    for command in ("check", "summary"):
        result = run(command, [tmp_path / "typo.gspec"], cwd=tmp_path)
        assert set(result["status"].values()) == {1}
        assert not {"keras", "tensorflow", "numpy"} & set(result["modules"])


def test_a_plugin_spec_imports_keras_only_through_its_trusted_plugin():
    result = run("check", PLUGIN_SPECS)
    assert set(result["status"].values()) == {0}, result["status"]
    assert "keras" in result["modules"] and "simple_dense" in result["modules"]
