"""Golden syntax trees: every spec in specs/ and every fmt fixture, parsed and dumped.

One golden per file in tests/fixtures/syntax (GRAPHSPEC_UPDATE_GOLDENS=1 rewrites them). The dump
shows every node, field and span, so any change to what the tree builder makes is a reviewed diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, SPECS, check_golden
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.record import Record
from graphspec.source import Source, Span
from graphspec.syntax.parse import parse

CASES = {p.relative_to(ROOT).as_posix(): p
         for p in sorted(SPECS.rglob("*.gspec")) + sorted((FIXTURES / "fmt").glob("*.gspec"))
         if not p.name.endswith(".formatted.gspec")}


def dump(node, indent: int = 0) -> str:
    """A readable, stable rendering of a syntax (sub)tree; spans as line:col-line:col."""
    pad = "  " * indent
    if isinstance(node, Source):
        return f"Source({node.name!r})"
    if isinstance(node, Span):
        return f"{node.line}:{node.col}-{node.end_line}:{node.end_col}"
    if isinstance(node, Record):
        lines = [type(node).__name__]
        for field in node._fields:
            text = dump(getattr(node, field), indent + 1)
            lines.append(f"{pad}  {field}:" + (text if text.startswith("\n") else " " + text))
        return "\n".join(lines)
    if isinstance(node, (list, tuple)):
        if not node:
            return "[]" if isinstance(node, list) else "()"
        items = (dump(item, indent + 2) for item in node)
        return "\n".join([""] + [f"{pad}  -" + (t if t.startswith("\n") else " " + t) for t in items])
    return repr(node)


@pytest.mark.parametrize("rel", sorted(CASES))
def test_syntax_tree_golden(rel):
    path = CASES[rel]
    diags = Diagnostics()
    tree = parse(Source(path.name, path.read_text(encoding="utf-8"), path), diags)
    assert tree is not None and not diags.items, [d.message for d in diags.items]
    golden = FIXTURES / "syntax" / (rel.replace("/", "__").removesuffix(".gspec") + ".tree")
    check_golden(golden, dump(tree) + "\n")
