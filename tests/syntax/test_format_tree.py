"""format_tree lays out a tree built without spans (as an importer builds it) exactly as
format_source lays out the text it was parsed from: for every spec of the repository, with its
comments taken out (a span-less tree has none) and its items in kind order (it keeps no other),
the parsed tree with every span removed and the blank lines given explicitly prints the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.record import Record
from graphspec.source import Source, Span
from graphspec.syntax import ast
from graphspec.syntax.comments import scan_comments
from graphspec.syntax.format import format_source, format_tree
from graphspec.syntax.parse import parse

ROOT = Path(__file__).parents[2]
SPECS = sorted([*(ROOT / "tests" / "fixtures").rglob("*.gspec"), *(ROOT / "specs").rglob("*.gspec")])


def _parse(text: str):
    diags = Diagnostics()
    module = parse(Source("<test>", text), diags)
    return None if module is None or diags.has_errors else module


def _without_comments(text: str) -> str:
    """`text` with every comment cut out, and the lines that held only a comment removed."""
    lines = text.split("\n")
    drop = set()
    for line, col, _ in reversed(scan_comments(text)):
        kept = lines[line - 1][: col - 1].rstrip()
        lines[line - 1] = kept
        if not kept.strip():
            drop.add(line - 1)
    return "\n".join(l for i, l in enumerate(lines) if i not in drop)


def _kind_order(text: str, module) -> str:
    """The items' text in the order a span-less module keeps: imports, consts, blocks, models."""
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    parts = []
    for group in (module.imports, module.consts, module.blocks, module.models):
        for it in group:
            s = it.span
            parts.append(text[starts[s.line - 1] + s.col - 1: starts[s.end_line - 1] + s.end_col - 1])
    # consecutive consts (and imports) keep the source's blank lines: none here, and one elsewhere
    out = []
    for group in (module.imports, module.consts):
        if group:
            out.append("\n".join(parts[: len(group)]))
            parts = parts[len(group):]
    return "\n\n".join(out + parts) + "\n"


def _children(node):
    if isinstance(node, Record):
        for f in node._fields:
            yield from _children(getattr(node, f))
            value = getattr(node, f)
            if isinstance(value, Record):
                yield value
    elif isinstance(node, (list, tuple)):
        for x in node:
            if isinstance(x, Record):
                yield x
            yield from _children(x)


def _blank_before(module, text: str) -> list:
    """The nodes the source has a blank line above (where the formatter looks for one)."""
    lines = text.split("\n")

    def blank(line: int) -> bool:
        return line > 1 and not lines[line - 2].strip()

    out = []
    items = [*module.imports, *module.consts, *module.blocks, *module.models]
    out += [it for it in items if blank(it.span.line)]
    for it in items:
        for s in ast.walk_stmts(getattr(it, "body", [])):
            if blank(s.span.line):
                out.append(s)
            if isinstance(s, ast.SettingsStmt):
                out += [x for x in s.settings if blank(x.key_span.line)]
    for node in _children(module):  # a tuple source's elements, each first on its own line
        if isinstance(node, ast.TupleSource):
            for ch in node.items:
                sp = ch.span
                if blank(sp.line) and not lines[sp.line - 1][: sp.col - 1].strip():
                    out.append(ch)
    return out


def _strip(value):
    """`value` with every span removed (in place for records; a list is made anew: the syntax tree's
    shared empty list, ast.NO_ITEMS, refuses to change)."""
    if isinstance(value, Span):
        return None
    if isinstance(value, Record):
        for f in value._fields:
            object.__setattr__(value, f, _strip(getattr(value, f)))
        return value
    if isinstance(value, tuple):
        return tuple(_strip(v) for v in value)
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _cases():
    out = []
    for path in SPECS:
        text = path.read_text(encoding="utf-8")
        if _parse(text) is None:
            continue  # a fixture of a syntax error
        out.append(pytest.param(path, id=str(path.relative_to(ROOT))))
    return out


@pytest.mark.parametrize("path", _cases())
def test_span_less_tree_formats_as_its_text(path):
    text = _without_comments(path.read_text(encoding="utf-8"))
    module = _parse(text)
    assert module is not None
    text = _kind_order(text, module)
    expected, _ = format_source(Source("<test>", text))
    if expected is None:
        pytest.skip("no longer parses once reordered")
    module = _parse(text)
    blanks = _blank_before(module, text)
    module.source = None
    _strip(module)
    assert format_tree(module, blank_before=blanks) == expected


def test_header_comments_then_a_blank_line():
    module = _strip(_parse("const a = 1\nmodel m {\n    input x: (3,)\n    output y = x\n}\n"))
    out = format_tree(module, header=["# one", "# two"])
    assert out == "# one\n# two\n\nconst a = 1\n\nmodel m {\n    input x: (3,)\n    output y = x\n}\n"


def test_built_nodes_without_spans():
    lit = lambda v, text=None: ast.Literal(v, None, text=text)  # noqa: E731
    call = ast.Call("Dense", None, [lit(8)], [ast.Kwarg("activation", None, lit("relu"))], None)
    chain = ast.Chain(ast.NameSource("x", None), [call, ast.StepName("head", None)], None)
    inp = ast.InputStmt("x", None, ast.TupleExpr([lit(4)], None), None, None, None)
    out = ast.OutputStmt("y", None, chain, None)
    rate = ast.ConstDef("rate", None, ast.BinOp("/", lit(1), lit(255), None), None)
    model = ast.ModelDef("m", None, None, [inp, out], None)
    module = ast.Module(None, consts=[rate], models=[model])
    assert format_tree(module, blank_before=[out]) == (
        'const rate = 1 / 255\n\nmodel m {\n    input x: (4,)\n\n'
        '    output y = x -> Dense(8, activation="relu") -> head\n}\n')


def test_else_without_span():
    lit = ast.Literal(True, None)
    inner = ast.InputStmt("x", None, None, None, None, None)
    stmt = ast.IfStmt(ast.Ref("flag", None), [inner], [inner], None)
    model = ast.ModelDef("m", None, None, [stmt], None)
    out = format_tree(ast.Module(None, models=[model]))
    assert out == "model m {\n    if flag {\n        input x\n    } else {\n        input x\n    }\n}\n"
    assert lit.span is None
