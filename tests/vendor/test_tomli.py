"""graphspec/vendor/tomli.py reads TOML exactly as the standard library's tomllib does: the same
values (types included) or the same TOMLDecodeError message, on tomli's own test documents, every
TOML file of the repository, hand-picked corners, and mutations of them (hypothesis)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from graphspec.vendor import tomli

tomllib = pytest.importorskip("tomllib") if sys.version_info >= (3, 11) else pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "toml"
DOCUMENTS = sorted(FIXTURES.rglob("*.toml")) + sorted(p for p in ROOT.glob("*.toml"))

CORNERS = [
    "",
    "a = 1979-05-27T07:32:00-08:00\nb = 1979-05-27T07:32:00Z\nc = 1979-05-27 07:32:00.999999\nd = 1979-05-27",
    "t = 07:32:00\nu = 00:32:00.5\nbad = 1979-02-30",
    "n = [0x1f, 0o17, 0b101, 1_000, -0, +7, 3.14, 1e3, -2E-2, inf, -inf, +nan, nan]",
    'x = 00\ny = 1__0\nz = 0x',
    's = "tab\\there \\u00e9 \\U0001F600"\nl = \'C:\\\\raw\'\nm = """\nline\\\n  joined"""',
    "[a.b]\nc = 1\n[a]\nd = 2\n[[e]]\nf = 1\n[[e]]\nf = 2",
    "a = 1\na = 2",
    "[t]\n[t]",
    "k = { x = 1, y = { z = [1, 2] } }\nk.w = 3",
    'tool.graphspec.ignore = ["W104"]\n[tool.graphspec]\nplugins = []',
    "a = \"\\x41\"",
    "a = 'unterminated",
    "= 1",
    "a = 1 # comment \x00",
    "a = [1, 2,\n  # c\n  3,]\n",
    "\ufeffa = 1",
    "a = 1\r\nb = 2\r\n",
    "a = 1\rb = 2",
]


def _outcome(module, text: str):
    try:
        return "ok", module.loads(text)
    except module.TOMLDecodeError as exc:
        return "error", str(exc)


def _same(text: str) -> None:
    mine, theirs = _outcome(tomli, text), _outcome(tomllib, text)
    assert repr(mine) == repr(theirs), (text[:200], mine, theirs)  # repr: nan != nan, 1 == True


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_documents_read_as_tomllib_reads_them(path):
    _same(path.read_bytes().decode("utf-8"))


def test_the_fixtures_are_there():
    valid = [p for p in DOCUMENTS if "valid" in p.parts and "invalid" not in p.parts]
    invalid = [p for p in DOCUMENTS if "invalid" in p.parts]
    assert len(valid) >= 10 and len(invalid) >= 40
    assert all(_outcome(tomli, p.read_bytes().decode("utf-8"))[0] == "ok" for p in valid)
    assert all(_outcome(tomli, p.read_bytes().decode("utf-8"))[0] == "error" for p in invalid)


@pytest.mark.parametrize("text", CORNERS)
def test_corners_read_as_tomllib_reads_them(text):
    _same(text)


_SEEDS = [p.read_bytes().decode("utf-8") for p in DOCUMENTS] + CORNERS


@st.composite
def _mutated(draw):
    text = draw(st.sampled_from(_SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.sampled_from(list("\"'[]{}=.,#\n\\ \t-+:_0123456789aeEfinTZxob") + ["\"\"\"", "'''", "\r\n"]))
        if kind == "insert":
            text = text[:at] + piece + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 5)):]
        else:
            text = text[:at] + piece + text[at + 1:]
    return text


@settings(max_examples=400, deadline=None)
@given(_mutated())
def test_mutated_documents_read_as_tomllib_reads_them(text):
    _same(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab=\"'[]{}.,# \n\t0129:-+eT_\\u")), max_size=40))
def test_random_text_reads_as_tomllib_reads_it(text):
    _same(text)


def test_reading_a_date_imports_datetime_only_then():
    import subprocess

    code = ("import sys; from graphspec.vendor import tomli; tomli.loads('a = 1\\nb = \"x\"');"
            "before = 'datetime' in sys.modules; v = tomli.loads('d = 1979-05-27');"
            "print(before, 'datetime' in sys.modules, type(v['d']).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.split() == ["False", "True", "date"], out.stderr
