"""The messages of issue 10's constructs, golden: `graphspec check` on each tests/language/errors/*.gspec
must print exactly the .err next to it (GRAPHSPEC_UPDATE_GOLDENS=1 rewrites them)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from conftest import check_golden
from graphspec import cli

ERRORS = Path(__file__).parent / "errors"
CASES = sorted(ERRORS.glob("*.gspec"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_message(path: Path, monkeypatch):
    monkeypatch.chdir(ERRORS)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(["check", path.name])
    assert status == 1
    check_golden(path.with_suffix(".err"), out.getvalue() + err.getvalue())
