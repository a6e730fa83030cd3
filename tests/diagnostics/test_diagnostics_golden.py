"""Golden tests: the exact text `graphspec check` prints for every diagnostic code.

Each fixture `tests/fixtures/diagnostics/<CODE>_<slug>.gspec` is checked with the
working directory set to the fixtures directory (so files print as
`E401_residual_add.gspec:4:20`), and the output must equal `<CODE>_<slug>.err`.
A fixture may start with `# args: ...` (extra command-line arguments, e.g.
`--set` or `--model`). `MULTI_<slug>.gspec` fixtures hold several independent
mistakes and name, in a `# expect: CODE ...` line, the diagnostics one run must
report, in order and with nothing else (no follow-on errors).

Inputs that cannot live in a text file (a missing file, bytes that are not UTF-8,
a file over 5 MiB, a failing shape rule) are generated in `GENERATED` below; their
goldens live next to the others.

    GRAPHSPEC_UPDATE_GOLDENS=1 pytest tests/diagnostics/test_diagnostics_golden.py

rewrites every `.err` file from the current output (read the diff before committing).
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import shlex
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest

from graphspec import cli
from graphspec.diagnostics.codes import CODES

FIXTURES = Path(__file__).parents[1] / "fixtures" / "diagnostics"
PACKAGE = Path(__file__).parents[2] / "graphspec"
UPDATE = os.environ.get("GRAPHSPEC_UPDATE_GOLDENS") == "1"
_FIXTURE_NAME = re.compile(r"^([EW]\d{3})_[a-z0-9_]+$")


# --------------------------------------------------------------------------- running


def run_cli(argv: List[str], cwd: Path, monkeypatch) -> Tuple[int, str, str]:
    """Run `graphspec ARGV` in-process in `cwd`, without colour: (status, stdout, stderr)."""
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


def fixture_args(path: Path) -> List[str]:
    """Extra CLI arguments from a leading `# args: ...` line."""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("# args:"):
            return shlex.split(line[len("# args:"):])
        if not line.startswith("#"):
            break
    return []


def reported_codes(text: str) -> List[str]:
    return re.findall(r"^(?:error|warning)\[([EW]\d{3})\]", text, re.M)


def compare_golden(golden: Path, actual: str) -> None:
    if UPDATE:
        golden.write_text(actual, encoding="utf-8")
        return
    if not golden.exists():
        pytest.fail(f"no golden {golden.name}; create it with GRAPHSPEC_UPDATE_GOLDENS=1")
    expected = golden.read_text(encoding="utf-8")
    assert actual == expected, (
        f"output differs from {golden.name} (rerun with GRAPHSPEC_UPDATE_GOLDENS=1 if the change is intended)"
        f"\n--- expected\n{expected}\n--- actual\n{actual}"
    )


def check_status(status: int, text: str) -> None:
    """Exit 2 for an unreadable command-line file, 1 for errors, 0 for warnings only."""
    codes = reported_codes(text)
    if "E001" in codes:
        assert status == 2
    elif any(c.startswith("E") for c in codes):
        assert status == 1
    else:
        assert status == 0


# --------------------------------------------------------------------------- generated inputs


def _missing_file(tmp: Path, monkeypatch) -> Tuple[List[str], Path]:
    return ["check", "missing.gspec"], tmp


def _latin1(tmp: Path, monkeypatch) -> Tuple[List[str], Path]:
    text = ("# Modèle de classification des tickets (saved as Latin-1 by an old editor)\n"
            "model tickets {\n"
            "    input features: (64,)\n"
            "    output label = features -> Dense(4, activation=\"softmax\")\n"
            "}\n")
    (tmp / "E002_latin1.gspec").write_bytes(text.encode("latin-1"))
    return ["check", "E002_latin1.gspec"], tmp


def _too_large(tmp: Path, monkeypatch) -> Tuple[List[str], Path]:
    line = b"# generated padding " + b"." * 100 + b"\n"
    data = line * (5 * 1024 * 1024 // len(line) + 1)
    assert len(data) > 5 * 1024 * 1024
    (tmp / "E003_too_large.gspec").write_bytes(data)
    return ["check", "E003_too_large.gspec"], tmp


CUSTOM_SPEC = """\
model scaled {
    input x: (16,)
    output y = x -> Scale(factor=2.0) -> Dense(1)
}
"""


def _custom_shape_function(tmp: Path, monkeypatch) -> Tuple[List[str], Path]:
    import graphspec

    class Scale:  # stands in for a Keras layer class: with both rules given, Keras is not needed
        def __init__(self, factor=1.0, **kwargs):
            self.factor = factor

    def buggy_shape(config, shapes):
        batch, width, channels = shapes[0]  # the bug: assumes a rank-3 input
        return (batch, width, channels)

    graphspec.register_layer(Scale, shape=buggy_shape, params=lambda config, shapes: (0, 0))
    (tmp / "E499_custom_shape_function.gspec").write_text(CUSTOM_SPEC, encoding="utf-8")
    return ["check", "E499_custom_shape_function.gspec"], tmp


# name of the golden (without .err) -> how to make its input: (argv, cwd)
GENERATED: Dict[str, Callable] = {
    "E001_missing_file": _missing_file,
    "E002_latin1": _latin1,
    "E003_too_large": _too_large,
    "E499_custom_shape_function": _custom_shape_function,
}


def static_fixtures() -> List[Path]:
    return sorted(FIXTURES.glob("*.gspec"))


# --------------------------------------------------------------------------- the goldens


@pytest.mark.parametrize("path", [p for p in static_fixtures() if not p.name.startswith("MULTI_")],
                         ids=lambda p: p.stem)
def test_golden(path: Path, monkeypatch):
    status, out, err = run_cli(["check", path.name, *fixture_args(path)], FIXTURES, monkeypatch)
    assert err == ""
    assert "Traceback" not in out
    compare_golden(path.with_suffix(".err"), out)
    code = path.stem.split("_")[0]
    assert code in reported_codes(out), f"{path.name} does not report {code}"
    check_status(status, out)


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_golden(name: str, tmp_path: Path, monkeypatch):
    import graphspec.custom

    saved = dict(graphspec.custom._REGISTRY)
    try:
        argv, cwd = GENERATED[name](tmp_path, monkeypatch)
        status, out, err = run_cli(argv, cwd, monkeypatch)
    finally:
        graphspec.custom._REGISTRY.clear()
        graphspec.custom._REGISTRY.update(saved)
    assert err == ""
    compare_golden(FIXTURES / f"{name}.err", out)
    assert name.split("_")[0] in reported_codes(out)
    check_status(status, out)


@pytest.mark.parametrize("path", [p for p in static_fixtures() if p.name.startswith("MULTI_")],
                         ids=lambda p: p.stem)
def test_several_errors_in_one_run(path: Path, monkeypatch):
    """Independent mistakes are all reported in one run, each once, with no cascade."""
    text = path.read_text(encoding="utf-8")
    m = re.search(r"^# expect: (.*)$", text, re.M)
    assert m, f"{path.name} needs a `# expect: CODE ...` line"
    status, out, err = run_cli(["check", path.name, *fixture_args(path)], FIXTURES, monkeypatch)
    compare_golden(path.with_suffix(".err"), out)
    assert reported_codes(out) == m.group(1).split()
    check_status(status, out)


@pytest.mark.parametrize("path", static_fixtures(), ids=lambda p: p.stem)
def test_json_matches_text(path: Path, monkeypatch):
    """`--format json` reports the same diagnostics, each with a code, message and location."""
    args = fixture_args(path)
    _, text, _ = run_cli(["check", path.name, *args], FIXTURES, monkeypatch)
    _, out, _ = run_cli(["check", path.name, "--format", "json", *args], FIXTURES, monkeypatch)
    items = json.loads(out)
    assert [d["code"] for d in items] == reported_codes(text)
    for d in items:
        assert d["message"] and d["severity"] in ("error", "warning")


# --------------------------------------------------------------------------- coverage


def _golden_names() -> set:
    return {p.stem for p in static_fixtures()} | set(GENERATED)


def test_every_code_has_a_golden():
    names = _golden_names()
    missing = [code for code in CODES if not any(n.startswith(code + "_") for n in names)]
    assert missing == [], f"codes without a golden fixture: {missing}"


def test_fixture_names_and_goldens_agree():
    names = _golden_names()
    for name in names:
        assert _FIXTURE_NAME.match(name) or name.startswith("MULTI_"), f"bad fixture name {name}"
        if not name.startswith("MULTI_"):
            assert name.split("_")[0] in CODES, f"{name}: unknown code"
    stale = sorted(p.name for p in FIXTURES.glob("*.err") if p.stem not in names)
    assert stale == [], f"goldens without a fixture: {stale}"
    if not UPDATE:
        for name in names:
            golden = FIXTURES / f"{name}.err"
            assert golden.exists(), f"missing golden {golden.name}"
            if not name.startswith("MULTI_"):
                assert f"[{name.split('_')[0]}]" in golden.read_text(encoding="utf-8"), golden.name


# Files that may still write bare code strings while another change edits them; each moves to
# `codes.EXXX` once that lands, and leaves this list (the test below fails when it is clean).
BARE_CODES_ALLOWED: set = set()  # every file names its codes as objects
_CODE_FIRST = re.compile(r"([EW]\d{3})\b")


def _code_strings(path: Path) -> List[Tuple[int, str]]:
    """(line, code) of each string literal in `path` that is a code or starts with one: "E302",
    f"E302 {message}" (a docstring is prose, not a call site, and is skipped)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            m = _CODE_FIRST.match(node.value)
            if m:
                found.append((node.lineno, m.group(1)))
    return found


def _package_files() -> List[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert files, "no sources found: has the package moved?"
    return files


def test_every_code_named_in_the_package_is_in_the_catalogue():
    """A code a pass, the catalogue or a shape rule reports (`codes.E302`, or a string in a file not yet
    moved over) has an explanation."""
    named = set()
    for path in _package_files():
        if path == PACKAGE / "diagnostics" / "codes.py":
            continue
        named |= set(re.findall(r"\bcodes\.([EW]\d{3})\b", path.read_text(encoding="utf-8")))
        named |= {code for _, code in _code_strings(path)}
    assert named, "no codes found: has the package moved?"
    assert sorted(named - set(CODES)) == []


def test_call_sites_pass_code_objects_not_strings():
    """A code is written once, in graphspec/diagnostics/codes.py; everywhere else it is `codes.E302`
    (so its severity and explanation come with it), never a bare "E302"."""
    bare, clean = [], []
    for path in _package_files():
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "diagnostics/codes.py":
            continue
        found = [f"{rel}:{line}: {code}" for line, code in _code_strings(path)]
        if rel in BARE_CODES_ALLOWED:
            clean += [] if found else [rel]
        else:
            bare += found
    assert bare == [], "write codes.EXXX (graphspec/diagnostics/codes.py), not a bare code string:\n" + "\n".join(bare)
    assert clean == [], f"no bare code strings left in {clean}: remove them from BARE_CODES_ALLOWED"
