"""graphspec.text, the one value and shape writer: every fixture row in every form, and round trips.

tests/fixtures/text/values.json holds values and their spellings as a spec, generated Python,
a plot label and a diagnostic message show them. A spec spelling must parse back to the same
value, a Python spelling must evaluate back to it, and no spelling holds a character that a
terminal or CI log would act on.
"""

from __future__ import annotations

import ast as pyast
import json
import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT
from graphspec import text
from graphspec.catalog.base import CallValue
from graphspec.diagnostics.diagnostic import Diagnostic, Diagnostics
from graphspec.diagnostics.render import render_one
from graphspec.limits import MAX_INT  # the parser reads longer integer literals as too large
from graphspec.source import Source
from graphspec.syntax import ast
from graphspec.syntax.parse import parse

DATA = json.loads((FIXTURES / "text" / "values.json").read_text(encoding="utf-8"))
ROWS = DATA["values"]


def _value(src: str):
    return eval(src, {"__builtins__": {}, "Call": CallValue, "inf": math.inf})  # fixture text, ours


def _evaluate(e):
    """A spec value expression as the value it denotes (literals, tuples, lists, dicts, calls, negation)."""
    if isinstance(e, ast.Literal):
        return e.value
    if isinstance(e, ast.Neg):
        v = _evaluate(e.operand)
        return -v if e.op == "-" else v
    if isinstance(e, ast.TupleExpr):
        return tuple(_evaluate(i) for i in e.items)
    if isinstance(e, ast.ListExpr):
        return [_evaluate(i) for i in e.items]
    if isinstance(e, ast.DictExpr):
        return {k: _evaluate(v) for (k, _), v in zip(e.keys, e.values)}
    if isinstance(e, ast.Call):
        return CallValue(e.name, tuple(_evaluate(a) for a in e.args),
                         tuple((k.name, _evaluate(k.value)) for k in e.kwargs))
    raise AssertionError(f"not a value: {e!r}")


def _parse_value(spelling: str):
    diags = Diagnostics()
    module = parse(Source("t.gspec", f"const c = {spelling}\n"), diags)
    assert module is not None and not diags.items, [d.message for d in diags.items]
    return _evaluate(module.consts[0].value)


def _python_eval(spelling: str):
    try:
        return pyast.literal_eval(spelling)
    except ValueError:  # float("inf") is an expression, not a literal
        return eval(spelling, {"__builtins__": {}, "float": float})


def _printable_only(spelling: str) -> None:
    assert spelling.isprintable(), spelling
    spelling.encode("utf-8")  # no lone surrogate: it would fail to print


@pytest.mark.parametrize("row", ROWS, ids=[r["value"][:40] for r in ROWS])
def test_every_form_of_every_row(row):
    value = _value(row["value"])
    assert text.spec_value(value) == row["spec"]
    assert text.python_value(value) == row["python"]
    assert text.label_value(value) == row["label"]
    # A message quotes values as the spec does, and the text renderer prints it as it is.
    shown = render_one(Diagnostic("E999", f"received {text.spec_value(value)}", None), {})
    assert shown == f"error[E999]: received {row['message']}"
    for form in ("spec", "python", "label", "message"):
        _printable_only(row[form])


@pytest.mark.parametrize("row", ROWS, ids=[r["value"][:40] for r in ROWS])
def test_spec_spelling_parses_back(row):
    value = _value(row["value"])
    assert _parse_value(text.spec_value(value)) == value


@pytest.mark.parametrize("row", [r for r in ROWS if "Call(" not in r["value"]], ids=lambda r: r["value"][:40])
def test_python_spelling_evaluates_back(row):
    value = _value(row["value"])
    back = _python_eval(text.python_value(value))
    assert back == value and type(back) is type(value)


def test_python_value_spells_calls_through_the_callback():
    value = [CallValue("L2", (0.5,)), {"k": CallValue("Adam", (), (("beta_1", 0.8),))}]
    spelled = text.python_value(value, call=lambda c: f"keras.x.{c.callee}()")
    assert spelled == '[keras.x.L2(), {"k": keras.x.Adam()}]'


@pytest.mark.parametrize("shape, spelling", DATA["shapes"])
def test_shape_text(shape, spelling):
    if isinstance(shape, list) and shape and isinstance(shape[0], list):
        shape = [tuple(s) for s in shape]
    elif shape is not None:
        shape = tuple(shape)
    assert text.shape_text(shape) == spelling


@pytest.mark.parametrize("raw, safe", DATA["safe"])
def test_safe_text(raw, safe):
    assert text.safe_text(raw) == safe
    _printable_only(safe)


def test_keywords_are_the_parsers():
    from graphspec.syntax import tables

    words = {w for w in tables.STRINGS.values() if w.isidentifier()}
    assert words == text.KEYWORDS


def test_import_is_cheap():
    code = ("import sys; import graphspec.text; "
            "print(sorted(m for m in sys.modules if m.startswith(('graphspec.', 'pydantic', 'keras', 'lark', 'numpy'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['graphspec.text']"


# --------------------------------------------------------------------------- properties

_ANY_CHAR = st.characters(exclude_categories=())  # every code point, surrogates included
_STRINGS = st.text(_ANY_CHAR, max_size=30)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-MAX_INT, MAX_INT) | st.floats(allow_nan=False) | _STRINGS,
    lambda inner: (st.lists(inner, max_size=4) | st.lists(inner, max_size=4).map(tuple)
                   | st.dictionaries(_STRINGS, inner, max_size=4)),
    max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(_STRINGS)
def test_any_string_round_trips_in_every_form(s):
    spec = text.spec_value(s)
    _printable_only(spec)
    assert _parse_value(spec) == s
    assert pyast.literal_eval(text.python_value(s)) == s
    safe = text.safe_text(s)
    safe.encode("utf-8")
    assert not any(c in text.BIDI or c in "\n\r\x1b\x85\u2028\u2029" for c in safe)


@settings(max_examples=100, deadline=None)
@given(_VALUES)
def test_any_value_round_trips(value):
    spec = text.spec_value(value)
    _printable_only(spec)
    assert _parse_value(spec) == value
    python = text.python_value(value)
    _printable_only(python)
    assert _python_eval(python) == value


@settings(max_examples=150, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs")) | st.sampled_from(' \\"\n\t\r'),
               max_size=30))
def test_formatter_quotes_ordinary_strings_the_same(s):
    from graphspec.syntax import format as formatter

    assert text.quote(s) == formatter.quote(s)
