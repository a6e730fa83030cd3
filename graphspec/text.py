"""The one value and shape writer: how graphspec spells a value, a shape or user text.

Every renderer, message and generator writes values through here, so that a value reads
the same in `graphspec fmt`, a diagnostic, a plot label and generated Python, and so
that no spelling ever lets a value out of its quotes or onto a new output line.

One quoting rule (`_quoted`): a string is double-quoted; `\\`, `"`, newline, tab and
carriage return get their backslash escapes; every other character that is not printable
(controls, bidi overrides and isolates, separators, surrogates, unassigned) becomes
`\\uXXXX` (`\\UXXXXXXXX` above the BMP). Spec strings use Python's escapes, so the same
spelling is a spec string and a Python string literal, and it is pure printable text.

Nothing here imports beyond the standard library: the static front end uses it.
"""

from __future__ import annotations

import math
import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

__all__ = ["spec_value", "python_value", "label_value", "shape_text", "safe_text", "quote",
           "dict_key", "KEYWORDS", "BIDI"]

# Words the spec parser reads as keywords (graphspec/syntax/tables.py STRINGS; tests/text/test_text.py
# keeps the two equal): never printed as a bare dict key.
KEYWORDS = frozenset("model block input layer output compile fit const import repeat as extends "
                     "if else and or not True False None".split())

# Bidi embeddings, overrides, isolates and marks: text that reorders what a reader sees.
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SHORT = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}

# What a terminal or a CI log would act on: C0/C1 controls (newline, carriage return, ESC...),
# line and paragraph separators, bidi controls, and lone surrogates (undecodable file-name
# bytes, which would also fail to encode on output).
# A pattern, compiled (and cached by `re`) on first use: a clean check never escapes anything, and
# compiling this class costs its start-up 0.5 ms.
_UNSAFE = "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff" + "".join(sorted(BIDI)) + "]"


def _escape(ch: str) -> str:
    """The visible escape of one character: `\\n`, `\\t`, `\\r`, or `\\uXXXX`/`\\UXXXXXXXX`."""
    short = _SHORT.get(ch)
    if short is not None:
        return short
    code = ord(ch)
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def quote(text: str) -> str:
    """`text` as a double-quoted string, valid both as a spec string and as a Python literal."""
    if text.isprintable() and "\\" not in text and '"' not in text:  # the common case, no per-char loop
        return f'"{text}"'
    return '"' + "".join(_escape(c) if c in _SHORT or not c.isprintable() else c for c in text) + '"'


def safe_text(s: str) -> str:
    """User text (a file name, a name, an import path) with controls and bidi characters escaped."""
    s = str(s)
    return re.sub(_UNSAFE, lambda m: _escape(m.group()), s) if re.search(_UNSAFE, s) else s


def dict_key(key: Any) -> str:
    """A dict key as a spec writes it: bare when it is a name, else a value."""
    if isinstance(key, str) and _NAME.match(key) and key not in KEYWORDS:
        return key
    return spec_value(key)


def _float_spec(value: float) -> str:
    if math.isnan(value):
        return "nan"  # no spec spelling; only ever shown, never parsed
    if math.isinf(value):
        return "1e999" if value > 0 else "-1e999"  # the spec literal that reads as infinity
    return repr(value)  # the shortest spelling that reads back as the same float


def _float_python(value: float) -> str:
    if math.isnan(value):
        return 'float("nan")'
    if math.isinf(value):
        return 'float("inf")' if value > 0 else 'float("-inf")'
    return repr(value)


def _seq(open_: str, items: list, close: str, one_tuple: bool) -> str:
    inner = ", ".join(items)
    return f"{open_}{inner},{close}" if one_tuple and len(items) == 1 else f"{open_}{inner}{close}"


def _write(value: Any, string: Callable[[str], str], number: Callable[[float], str],
           key: Callable[[Any], str], call: Callable[[Any], str], json_calls: bool = False) -> str:
    """The shared walk over values; each form says how it spells strings, floats, keys and calls."""
    def walk(v: Any) -> str:
        if v is None or isinstance(v, bool):
            return str(v)
        if isinstance(v, str):
            return string(v)
        if isinstance(v, int):
            return repr(int(v))
        if isinstance(v, float):
            return number(v)
        if isinstance(v, tuple):
            return _seq("(", [walk(i) for i in v], ")", True)
        if isinstance(v, list):
            return _seq("[", [walk(i) for i in v], "]", False)
        if isinstance(v, dict):
            if json_calls and "call" in v:  # a call as the IR's JSON writes it
                return call(v)
            return "{" + ", ".join(f"{key(k)}: {walk(i)}" for k, i in v.items()) + "}"
        if hasattr(v, "callee"):  # graphspec.catalog.base.CallValue (not imported: keep this cheap)
            return call(v)
        return safe_text(repr(v))
    return walk(value)


def _call_text(v: Any, each: Callable[[Any], str]) -> str:
    parts = [each(a) for a in v.args] + [f"{safe_text(k)}={each(i)}" for k, i in v.kwargs]
    return f"{safe_text(v.callee)}({', '.join(parts)})"


def spec_value(value: Any) -> str:
    """A value as a spec author writes it (what `graphspec fmt` prints): `"same"`, `(3,)`, `L2(0.0001)`."""
    return _write(value, quote, _float_spec, dict_key, lambda v: _call_text(v, spec_value))


def python_value(value: Any, call: Optional[Callable[[Any], str]] = None) -> str:
    """A Python expression that evaluates to `value` (a literal unless it holds calls; `call` spells those)."""
    return _write(value, quote, _float_python, python_value,
                  call or (lambda v: _call_text(v, lambda i: python_value(i, call))))


def _label_call(v: Any) -> str:
    return f"{safe_text(str(v['call'] if isinstance(v, dict) else v.callee))}(...)"


def label_value(value: Any) -> str:
    """A value in a plot or summary label: spec spelling, calls shortened to `L2(...)`."""
    return _write(value, quote, _float_spec, dict_key, _label_call, json_calls=True)


def shape_text(shape: Any) -> str:
    """A shape with its batch axis: `(None, 32, 32, 64)`, `(None, 3)`, `(None,)`; `?` when unknown."""
    if shape is None:
        return "?"
    if isinstance(shape, list) and shape and not isinstance(shape[0], (int, type(None))):
        return "[" + ", ".join(shape_text(s) for s in shape) + "]"  # several outputs or calls
    return _seq("(", ["None" if d is None else str(d) for d in shape], ")", True)
