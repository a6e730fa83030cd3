"""The quick look at a large file's brackets (syntax/parse.py `_brackets_fine`) never hides what the
exact scan reports: nesting past the limit (E103), or brackets left open."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SPECS
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.source import Source
from graphspec.syntax import parse

PIECES = ["(", ")", "[", "]", "{", "}", '"', "'", "#", "\n", "\\", "x", " ", "é", '"a(b"', "# (\n"]


def _exact(text: str):
    diags = Diagnostics()
    saved = parse._QUICK_SIZE
    parse._QUICK_SIZE = float("inf")  # the exact scan alone
    try:
        return parse._check_brackets(Source("t", text), diags), [d.message for d in diags.items]
    finally:
        parse._QUICK_SIZE = saved


def _nested(depth: int, width: int) -> str:
    opens, closes = "([{" * depth, "}])" * depth
    return (opens[:depth] + "x" + closes[-depth:] + " ") * width if depth else "x " * width


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60))
def test_quick_look_fine_only_when_the_exact_scan_finds_nothing(pieces):
    text = "".join(pieces)
    if parse._brackets_fine(text):
        assert _exact(text) == ([], [])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60), st.integers(0, 70))
def test_a_large_file_gets_the_exact_result(pieces, depth):
    text = "".join(pieces) + " " * parse._QUICK_SIZE + "(" * depth + ")" * depth
    diags = Diagnostics()
    quick = parse._check_brackets(Source("t", text), diags), [d.message for d in diags.items]
    assert quick == _exact(text)


def test_well_nested_brackets_pass_the_quick_look():
    for depth in range(parse._QUICK_LEVELS + 1):
        assert parse._brackets_fine(_nested(depth, 3)), depth
    assert not parse._brackets_fine(_nested(parse._QUICK_LEVELS + 1, 3))  # left to the exact scan
    assert parse._brackets_fine('f("(", \'[\')  # ({[\n')  # inside strings and comments: not brackets
    assert not parse._brackets_fine("(]")


def test_the_specs_pass_the_quick_look():
    for path in sorted(SPECS.rglob("*.gspec")):
        text = path.read_text(encoding="utf-8")
        assert parse._brackets_fine(text), path
