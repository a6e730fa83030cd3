"""`graphspec explain`: every code explained by the real CLI, and every example really
triggers its code."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graphspec import cli
from graphspec.diagnostics import codes
from graphspec.diagnostics.codes import CLI, CODES, DESCRIPTION, FRAGMENT, SPEC

ROOT = Path(__file__).parents[2]


def _explain(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graphspec", "explain", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def explained() -> dict:
    """`graphspec explain CODE` for every code, run as subprocesses in parallel."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip(CODES, pool.map(_explain, CODES)))


@pytest.mark.parametrize("code", list(CODES))
def test_explain_every_code(code: str, explained: dict):
    proc = explained[code]
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    info = CODES[code]
    out = proc.stdout
    assert out.startswith(f"{code}: {info.title} ({info.severity})")
    for heading in ("What it means", "Example", "How to fix it"):
        assert f"\n{heading}\n" in out
    for line in info.example.splitlines():  # the example, indented, line for line
        assert line.strip() in out
    assert info.fix.split("\n")[0] in out
    assert not any(line != line.rstrip() for line in out.splitlines()), "trailing whitespace"


def test_explain_is_case_insensitive():
    proc = _explain("e401")
    assert proc.returncode == 0 and proc.stdout.startswith("E401: ")


@pytest.mark.parametrize("wrong,closest", [("E41", "E401"), ("E2100", "E210"), ("W105", "W104")])
def test_unknown_code_suggests_the_closest(wrong: str, closest: str):
    proc = _explain(wrong)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert wrong in lines[0] and f"did you mean `{closest}`?" in lines[0]


def test_unknown_code_without_a_close_one():
    proc = _explain("nonsense")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "--list" in proc.stderr


def test_explain_list():
    proc = _explain("--list")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == len(CODES)
    for line, (code, info) in zip(lines, CODES.items()):
        assert re.fullmatch(rf"{code}\s+{info.severity}\s+{re.escape(info.title)}", line), line


def test_explain_needs_a_code_or_list():
    proc = _explain()
    assert proc.returncode == 2
    assert "--list" in proc.stderr


# --------------------------------------------------------------------------- examples


def _run(argv, cwd: Path, monkeypatch):
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("NO_COLOR", "1")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("code", list(CODES))
def test_example_triggers_its_code(code: str, tmp_path: Path, monkeypatch):
    info = CODES[code]
    assert info.example_kind in (SPEC, CLI, FRAGMENT, DESCRIPTION)
    if not info.runnable:
        pytest.skip(f"{code}'s example is a {info.example_kind}, not something to run")
    if info.example_kind == CLI:
        argv = shlex.split(info.example)
    else:
        argv = shlex.split(info.command)
        target = next(a for a in argv if a.endswith(".gspec"))
        (tmp_path / target).write_text(info.example + "\n", encoding="utf-8")
    assert argv[0] == "graphspec"
    status, out = _run(argv[1:], tmp_path, monkeypatch)
    codes = re.findall(r"^(?:error|warning)\[([EW]\d{3})\]", out, re.M)
    assert codes and set(codes) == {code}, f"{code}'s example reports {codes}:\n{out}"
    assert "Traceback" not in out
    assert status == (2 if code == "E001" else 1 if code.startswith("E") else 0)


def test_every_code_has_a_complete_record():
    for code, info in CODES.items():
        assert re.fullmatch(r"[EW]\d{3}", code)
        assert getattr(codes, code) is info and info.id == code  # one object per code, named by its id
        assert info.title and info.what and info.example and info.fix, code
        assert info.title == info.title.strip() and not info.title.endswith(".")
        assert len(info.what) >= 60, f"{code}: the explanation is too thin"


def test_a_warning_says_how_to_silence_it_and_an_error_does_not():
    from conftest import ROOT, run_cli

    warning = run_cli("explain", "W101", cwd=ROOT)
    assert warning.returncode == 0
    assert "Silencing it\n  `# gspec: ignore[W101]`" in warning.stdout and 'ignore = ["W101"]' in warning.stdout
    error = run_cli("explain", "E401", cwd=ROOT)
    assert "Silencing" not in error.stdout
