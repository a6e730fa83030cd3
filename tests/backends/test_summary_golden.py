"""`graphspec summary` of every spec in specs/, as text and as JSON, against goldens (issue 9).

tests/fixtures/summary/<spec>.txt and <spec>.json; GRAPHSPEC_UPDATE_GOLDENS=1 rewrites them.
The numbers themselves are checked against Keras in tests/backends/test_summary.py; these
goldens pin the exact output so that a change to it is a reviewed change.
"""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, ROOT, SPECS, check_golden, run_cli

GOLDENS = FIXTURES / "summary"
ALL_SPECS = sorted(SPECS.rglob("*.gspec"))


def _plugin_args(spec):
    plugin = spec.with_suffix(".py")  # specs/custom: the spec's layers are registered by the file beside it
    return ["--plugin", str(plugin.relative_to(ROOT))] if plugin.is_file() else []


def test_every_spec_has_a_distinct_golden_name():
    assert len({p.stem for p in ALL_SPECS}) == len(ALL_SPECS) > 10


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda p: p.stem)
def test_summary_text(spec):
    proc = run_cli("summary", str(spec.relative_to(ROOT)), *_plugin_args(spec), cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "Total params:" in proc.stdout
    check_golden(GOLDENS / f"{spec.stem}.txt", proc.stdout)


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda p: p.stem)
def test_summary_json(spec):
    proc = run_cli("summary", "--format", "json", str(spec.relative_to(ROOT)), *_plugin_args(spec), cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["total_params"] == data["trainable_params"] + data["non_trainable_params"]
    assert data["total_params"] == sum(row["params"] for row in data["layers"])
    check_golden(GOLDENS / f"{spec.stem}.json", proc.stdout)
