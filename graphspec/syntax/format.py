"""`graphspec fmt`: one canonical layout of a spec, printed from its syntax tree.

The formatter never re-parses text: it prints the tree of graphspec.syntax and puts
back the comments found by graphspec.syntax.comments.scan_comments. The rules:

- 4-space indent, one statement (and one `compile`/`fit` setting) per line; at most
  88 columns where the layout allows it.
- Top level: `import` lines first, then consts, blocks and models in the order of
  the source (never sorted); one blank line between items, except that consecutive
  `import` lines and consecutive `const` lines keep the blank lines of the source
  (none or one). Inside a body the source's blank lines between statements are kept,
  at most one in a row; none after `{` or before `}`.
- A chain stays on one line when the whole statement fits in 88 columns; otherwise its
  source stands alone on the first line and every step goes on its own line, starting
  with `-> ` and indented 4 more than the statement. A tuple source that does not fit
  puts one element per line (each a chain, laid out by the same rule, with a trailing
  comma) and its closing `)` carries the steps when they fit on that line.
- A call, tuple, list or dict that does not fit puts one item per line, with a
  trailing comma, its closing bracket back at the opening line's indent.
- Literals: strings double-quoted (escapes redone), integers in decimal, floats as
  written (`1e-3` stays `1e-3`; only `1E3` -> `1e3` and `1.` -> `1.0`), single-element
  tuples `(3,)`, dict keys bare when they are names. Operators get one space each side
  and parentheses only where precedence needs them.
- Comments are never dropped. A comment on a line of its own stays above the statement
  (or chain step, tuple element, list item, `}`) that follows it; a comment after code
  stays at the end of the line that holds the code before it. A comment between two
  steps of a chain, or between two elements of a tuple source, keeps that chain or
  tuple broken over lines, so that the comment stays where it was. A comment inside
  a step's argument list (or any value) that is printed on one line moves to the end
  of that line, or above it when it stood on a line of its own.
"""

from __future__ import annotations

import bisect
import re

from graphspec.source import Source
from graphspec.text import KEYWORDS, quote
from graphspec.syntax import ast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional, Sequence, Tuple

__all__ = ["format_module", "format_source", "format_tree", "FormatError", "WIDTH", "INDENT"]

WIDTH = 88
INDENT = 4

if TYPE_CHECKING:
    Pos = Tuple[int, int]  # (line, col), 1-based like spans

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

_PREC_ATOM, _PREC_UNARY = 4, 3


class FormatError(Exception):
    """A syntax-tree node the formatter does not know (the language grew, the formatter did not)."""

    def __init__(self, message: str, node=None):
        span = getattr(node, "span", None)
        super().__init__(f"{span}: {message}" if span is not None else message)
_PREC = {"or": -2, "and": -1, "==": 0, "!=": 0, "<": 0, "<=": 0, ">": 0, ">=": 0,
         "+": 1, "-": 1, "*": 2, "/": 2, "//": 2, "%": 2}
_PREC_NOT = -0.5  # `not` binds looser than a comparison, tighter than `and`
_NONASSOC = frozenset({"==", "!=", "<", "<=", ">", ">="})  # `a == b == c` is not in the language


def _at(span) -> Optional[Pos]:
    """Where a span starts; None for a node built without one (format_tree)."""
    return None if span is None else (span.line, span.col)


def _at_end(span) -> Optional[Pos]:
    return None if span is None else (span.end_line, span.end_col)


def _line(node) -> Optional[int]:
    return None if node.span is None else node.span.line


def _start(node) -> Optional[Pos]:
    if isinstance(node, ast.Kwarg):
        return _at(node.name_span)
    return _at(node.span)


def _end(node) -> Optional[Pos]:
    if isinstance(node, ast.Kwarg):
        return _end(node.value)
    return _at_end(node.span)


def _before(pos: Optional[Pos]) -> Optional[Pos]:
    """The position of the last character of a span ending (exclusively) at `pos`."""
    return None if pos is None else (pos[0], max(pos[1] - 1, 1))


# ---------------------------------------------------------------- literals


def _number(lit: ast.Literal) -> str:
    value, text = lit.value, getattr(lit, "text", None)
    if isinstance(value, int):
        return str(value)
    if text:
        if not isinstance(value, float) or "." not in text and "e" not in text.lower():
            return text  # an integer too long to hold (kept as written; the checker refuses it)
        text = text.lower()
        mantissa, e, exponent = text.partition("e")
        if mantissa.endswith("."):
            mantissa += "0"
        return mantissa + e + exponent
    if value != value or value in (float("inf"), float("-inf")):
        return "1e999"
    return repr(value)


def literal(lit: ast.Literal) -> str:
    value = lit.value
    if value is None or isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return quote(value)
    return _number(lit)


def dict_key(key) -> str:
    if isinstance(key, int):
        return str(key)
    return key if _NAME.match(key) and key not in KEYWORDS else quote(key)


def _prec(e) -> int:
    if isinstance(e, ast.BinOp):
        return _PREC[e.op]
    if isinstance(e, ast.Neg):
        return _PREC_NOT if e.op == "not" else _PREC_UNARY
    return _PREC_ATOM


def flat_expr(e) -> str:
    """A value on one line."""
    if isinstance(e, ast.Literal):
        return literal(e)
    if isinstance(e, ast.Ref):
        return e.name
    if isinstance(e, ast.BinOp):
        p = _PREC[e.op]
        left, right = flat_expr(e.left), flat_expr(e.right)
        if _prec(e.left) < p or (e.op in _NONASSOC and _prec(e.left) == p):
            left = f"({left})"
        if _prec(e.right) <= p:
            right = f"({right})"
        return f"{left} {e.op} {right}"
    if isinstance(e, ast.Neg):
        inner = flat_expr(e.operand)
        if _prec(e.operand) < _prec(e):
            inner = f"({inner})"
        return "not " + inner if e.op == "not" else e.op + inner
    if isinstance(e, ast.TupleExpr):
        items = [flat_expr(i) for i in e.items]
        return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    if isinstance(e, ast.ListExpr):
        return "[" + ", ".join(flat_expr(i) for i in e.items) + "]"
    if isinstance(e, ast.DictExpr):
        return "{" + ", ".join(f"{dict_key(k)}: {flat_expr(v)}" for (k, _), v in zip(e.keys, e.values)) + "}"
    if isinstance(e, (ast.Call, ast.OpCall)):
        name = f"ops.{e.name}" if isinstance(e, ast.OpCall) else e.name
        return f"{name}({_flat_args(e.args, e.kwargs)})" + _flat_call_args(e)
    if isinstance(e, ast.Index):
        target = flat_expr(e.target)
        if _prec(e.target) < _PREC_ATOM:
            target = f"({target})"
        return f"{target}[{flat_expr(e.index)}]"
    raise FormatError(f"`graphspec fmt` cannot print a {type(e).__name__} value yet", e)


def _flat_args(args, kwargs) -> str:
    return ", ".join([flat_expr(a) for a in args] + [f"{k.name}={flat_expr(k.value)}" for k in kwargs])


def _flat_call_args(e) -> str:
    """A layer step's call-time arguments, `(initial_state=(h, c))`, or ''."""
    extra = getattr(e, "call_args", None)
    return "" if extra is None else f"({_flat_args(extra.args, extra.kwargs)})"


# Tensor expressions, Python's levels: + -, then * / // % @, then unary -, then **, then x[...].
_T_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2, "%": 2, "@": 2, "**": 4}
_T_UNARY, _T_POSTFIX, _T_ATOM = 3, 5, 6


def _t_prec(src) -> int:
    if isinstance(src, ast.TensorOp):
        return _T_PREC[src.op]
    if isinstance(src, ast.TensorNeg):
        return _T_UNARY
    if isinstance(src, ast.Subscript):
        return _T_POSTFIX
    return _T_ATOM


def subscript_item(item) -> str:
    """One item of a subscript on one line: `1:3`, `...`, `0`."""
    if isinstance(item, ast.EllipsisItem):
        return "..."
    if isinstance(item, ast.SliceItem):
        text = ":".join("" if p is None else flat_expr(p) for p in (item.start, item.stop))
        return text + ("" if item.step is None else ":" + flat_expr(item.step))
    return flat_expr(item)


def flat_tensor(src, source) -> Optional[str]:
    """A tensor expression on one line; `source(node)` prints the operands that are chain sources
    (names, tuples, bracketed chains), None where a comment keeps one broken."""
    if isinstance(src, ast.Literal):
        return literal(src)
    if isinstance(src, ast.OpCall):
        return flat_expr(src)
    if isinstance(src, ast.TensorOp):
        left, right = flat_tensor(src.left, source), flat_tensor(src.right, source)
        if left is None or right is None:
            return None
        p = _T_PREC[src.op]
        if src.op == "**":  # right-associative; its right side may be a unary minus
            left = left if _t_prec(src.left) >= _T_POSTFIX else f"({left})"
            right = right if _t_prec(src.right) >= _T_UNARY else f"({right})"
        else:
            left = left if _t_prec(src.left) >= p else f"({left})"
            right = right if _t_prec(src.right) > p else f"({right})"
        return f"{left} {src.op} {right}"
    if isinstance(src, ast.TensorNeg):
        inner = flat_tensor(src.operand, source)
        if inner is None:
            return None
        return "-" + (inner if _t_prec(src.operand) >= _T_UNARY else f"({inner})")
    if isinstance(src, ast.Subscript):
        target = flat_tensor(src.target, source)
        if target is None:
            return None
        target = target if _t_prec(src.target) >= _T_POSTFIX else f"({target})"
        return f"{target}[{', '.join(subscript_item(i) for i in src.items)}]"
    return source(src)


def _plain_source(src) -> str:
    """A chain source on one line, whatever comments it holds."""
    if isinstance(src, _EXPRESSIONS):
        return flat_tensor(src, _plain_source)
    if isinstance(src, ast.NameSource):
        return src.name
    if isinstance(src, ast.Chain):
        return "(" + _plain_chain(src) + ")"
    items = [_plain_chain(c) for c in src.items]
    return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"


def _plain_chain(ch) -> str:
    return _plain_source(ch.source) + "".join(
        " -> " + (s.name if isinstance(s, ast.StepName) else flat_expr(s)) for s in ch.steps)


_EXPRESSIONS = (ast.Literal, ast.OpCall, ast.TensorOp, ast.TensorNeg, ast.Subscript)

# ---------------------------------------------------------------- output lines


class Ln:
    """One output line: its text, and the source region it prints (for placing comments)."""

    __slots__ = ("indent", "text", "lo", "hi", "kind", "lead", "src_line", "opener", "before", "after")

    def __init__(self, indent: int, text: str, lo: Optional[Pos] = None, hi: Optional[Pos] = None,
                 kind: str = "", lead: Optional[int] = None):
        self.indent = indent
        self.text = text
        self.lo = lo
        self.hi = hi
        # "item" (top level), "stmt" (a statement or setting), "elem" (an element of a tuple
        # source), "close" (the `}` or `)` after those), "" (any other line inside a statement)
        self.kind = kind
        self.lead = indent if lead is None else lead  # indent of comments placed above this line
        self.src_line: Optional[int] = None
        self.opener = False  # ends with `{` opening a body
        self.before: List[Tuple[Pos, str]] = []
        self.after: List[str] = []


if TYPE_CHECKING:
    Frag = List[Ln]


def _one(text: str, lo: Optional[Pos] = None, hi: Optional[Pos] = None) -> Frag:
    return [Ln(0, text, lo, hi)]


def _lo(a, b):
    return b if a is None else a if b is None else min(a, b)


def _hi(a, b):
    return b if a is None else a if b is None else max(a, b)


def _cat(a: Frag, b: Frag) -> Frag:
    """`b` continuing the last line of `a`."""
    last, first = a[-1], b[0]
    last.text += first.text
    last.lo, last.hi = _lo(last.lo, first.lo), _hi(last.hi, first.hi)
    last.opener = first.opener  # the line now ends as b's first line does
    return a + b[1:]


def _width(line: Ln) -> int:
    return line.indent + len(line.text)


# ---------------------------------------------------------------- the formatter


class _Formatter:
    def __init__(self, module: ast.Module, comments: Sequence[Tuple[int, int, str]]):
        self.module = module
        self.src: Source = module.source
        self.comments = sorted((int(line), int(col), str(text).rstrip()) for line, col, text in comments)
        self.positions = [(line, col) for line, col, _ in self.comments]

    def mark(self, node, span=None):
        """What a line records to find the blank line above it later: its source line."""
        return (span or node.span).line

    def order(self, m: ast.Module) -> list:
        """The top-level items: imports first, then the others in the order of the source."""
        return list(m.imports) + sorted([*m.consts, *m.blocks, *m.models], key=_start)

    # comments that keep a construct broken ------------------------------------
    def forced(self, lo: Pos, hi: Pos) -> bool:
        """Is there a comment at a position in [lo, hi)?"""
        if lo is None or hi is None:
            return False
        i = bisect.bisect_left(self.positions, lo)
        return i < len(self.positions) and self.positions[i] < hi

    def gap_forced(self, items) -> bool:
        """Is there a comment between two of `items` (not inside one)? Such a comment keeps the
        items on lines of their own, so that it stays between the same two."""
        return any(self.forced(_end(a), _start(b)) for a, b in zip(items, items[1:]))

    def chain_forced(self, ch: ast.Chain) -> bool:
        return self.gap_forced([ch.source, *ch.steps])

    def tuple_forced(self, t: ast.TupleSource) -> bool:
        return self.gap_forced(t.items)

    # flat forms -----------------------------------------------------------------
    def flat_chain(self, ch: ast.Chain) -> Optional[str]:
        """The chain on one line, or None where a comment keeps part of it broken."""
        if self.chain_forced(ch):
            return None
        src = self.flat_source(ch.source)
        if src is None:
            return None
        return src + "".join(" -> " + self.flat_step(s) for s in ch.steps)

    def flat_source(self, src) -> Optional[str]:
        if isinstance(src, _EXPRESSIONS):
            return flat_tensor(src, self.flat_source)
        if isinstance(src, ast.NameSource):
            return src.name
        if isinstance(src, ast.Chain):
            inner = self.flat_chain(src)
            return None if inner is None else f"({inner})"
        if self.tuple_forced(src):
            return None
        items = [self.flat_chain(c) for c in src.items]
        if any(i is None for i in items):
            return None
        return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"

    @staticmethod
    def flat_step(step) -> str:
        """One step on one line."""
        return step.name if isinstance(step, ast.StepName) else flat_expr(step)

    # values ---------------------------------------------------------------------
    def expr(self, e, col: int, indent: int, tail: int) -> Frag:
        """A value starting at column `col` of a line indented `indent`, followed by `tail` columns."""
        text = flat_expr(e)
        parts = self._parts(e)
        if col + len(text) + tail <= WIDTH or parts is None:
            return [Ln(indent, text, _start(e), _end(e))]
        opener, closer, items, opener_hi = parts
        closer += _flat_call_args(e)
        return self._items(opener, closer, items, indent, _start(e), opener_hi, _end(e))

    def _items(self, opener: str, closer: str, items, indent: int, lo: Pos, opener_hi: Pos, end: Pos) -> Frag:
        """A bracketed list broken one item per line. `items`: (prefix, value or None, item start)."""
        inner = indent + INDENT
        lines: Frag = [Ln(indent, opener, lo, opener_hi)]
        for prefix, value, start in items:
            f = _one(prefix, start, start)
            if value is not None:
                f = _cat(f, self.expr(value, inner + len(prefix), inner, 1))
            f = _cat(f, _one(","))
            f[0].indent = f[0].lead = inner
            lines += f
        lines.append(Ln(indent, closer, _before(end), end, lead=inner))
        return lines

    def _parts(self, e):
        """How a value breaks: (opener, closer, items, end of opener) or None if it cannot."""
        if isinstance(e, (ast.Call, ast.OpCall)):
            if not e.args and not e.kwargs:
                return None
            items = [("", a, _start(a)) for a in e.args]
            items += [(f"{k.name}=", k.value, _start(k)) for k in e.kwargs]
            name = f"ops.{e.name}" if isinstance(e, ast.OpCall) else e.name
            return f"{name}(", ")", items, _at_end(e.name_span)
        if isinstance(e, (ast.TupleExpr, ast.ListExpr)) and e.items:
            brackets = "()" if isinstance(e, ast.TupleExpr) else "[]"
            return brackets[0], brackets[1], [("", i, _start(i)) for i in e.items], _start(e)
        if isinstance(e, ast.DictExpr) and e.keys:
            items = [(f"{dict_key(k)}: ", v, _at(s)) for (k, s), v in zip(e.keys, e.values)]
            return "{", "}", items, _start(e)
        return None

    # chains ---------------------------------------------------------------------
    def chain(self, ch: ast.Chain, col: int, indent: int, tail: int) -> Frag:
        text = self.flat_chain(ch)
        if text is not None and col + len(text) + tail <= WIDTH:
            return [Ln(indent, text, _start(ch.source), _end(ch))]
        if not ch.steps:
            return self.source(ch.source, col, indent, tail)
        lines = self.source(ch.source, col, indent, 0)
        steps = ch.steps
        if len(lines) > 1 and not self.gap_forced([ch.source, *steps]):
            rest = "".join(" -> " + self.flat_step(s) for s in steps)
            if _width(lines[-1]) + len(rest) + tail <= WIDTH:
                return _cat(lines, _one(rest, _start(steps[0]), _end(steps[-1])))
        inner = indent + INDENT
        for i, step in enumerate(steps):
            f = _one("-> ", _start(step), _start(step))
            t = tail if i == len(steps) - 1 else 0
            if isinstance(step, ast.StepName):
                f = _cat(f, _one(step.name, _start(step), _end(step)))
            else:
                f = _cat(f, self.expr(step, inner + 3, inner, t))
            f[0].indent = f[0].lead = inner
            lines += f
        return lines

    def source(self, src, col: int, indent: int, tail: int) -> Frag:
        if isinstance(src, ast.NameSource):
            return [Ln(indent, src.name, _start(src), _end(src))]
        text = self.flat_source(src)
        if text is not None and col + len(text) + tail <= WIDTH:
            return [Ln(indent, text, _start(src), _end(src))]
        if isinstance(src, ast.OpCall):
            return self.expr(src, col, indent, tail)
        if isinstance(src, _EXPRESSIONS):
            # An operator expression stays on one line (a comment inside it moves to its end).
            return [Ln(indent, flat_tensor(src, _plain_source), _start(src), _end(src))]
        inner = indent + INDENT
        if isinstance(src, ast.Chain):  # `(chain) -> ...`: the parentheses are kept
            lines: Frag = [Ln(indent, "(", _start(src), _start(src))]
            f = self.chain(src, inner, inner, 0)
            f[0].indent = f[0].lead = inner
            end = _end(src)
            return lines + f + [Ln(indent, ")", end, end, lead=inner)]
        lines = [Ln(indent, "(", _start(src), _start(src))]
        lines[0].opener = True
        previous = _line(src)  # where the last element (or the opening parenthesis) started
        for item in src.items:
            f = _cat(self.chain(item, inner, inner, 1), _one(","))
            f[0].indent = f[0].lead = inner
            f[0].kind = "elem"  # the source's blank lines between elements are kept
            # only a blank line between this element and the one before: one sharing its source line
            # has none of its own (the line above them is the statement's)
            line = _line(item)
            f[0].src_line = self.mark(item) if line is None or line != previous else None
            previous = line
            lines += f
        end = _end(src)
        lines.append(Ln(indent, ")", _before(end), end, kind="close", lead=inner))
        return lines

    # statements -----------------------------------------------------------------
    def body(self, stmts, indent: int) -> Frag:
        out: Frag = []
        for s in stmts:
            lines = self.stmt(s, indent)
            lines[0].indent = lines[0].lead = indent
            lines[0].kind = "stmt"
            lines[0].src_line = self.mark(s)
            out += lines
        return out

    def braced(self, header: Frag, inner: Frag, node, indent: int) -> Frag:
        """`header {`, the body lines, `}`; `header {}` when empty and without comments."""
        end = _end(node)
        close = _before(end)
        if not inner and not self.forced(header[-1].hi or _start(node), close):
            return _cat(header, _one(" {}", close, end))
        header = _cat(header, _one(" {"))
        header[-1].opener = True
        return header + inner + [Ln(indent, "}", close, end, kind="close", lead=indent + INDENT)]

    def stmt(self, s, indent: int) -> Frag:
        lo = _start(s)
        if isinstance(s, ast.InputStmt):
            head = _one(f"input {s.name}", lo, _at_end(s.name_span))
            if s.shape is None:
                return head
            head = _cat(head, _one(": "))
            dtype = f" {s.dtype}" if s.dtype else ""
            lines = _cat(head, self.expr(s.shape, _width(head[-1]) + indent, indent, len(dtype)))
            if dtype:
                lines = _cat(lines, _one(dtype, _start(s.shape), _end(s)))
            return lines
        if isinstance(s, ast.LayerStmt):
            head = _one(f"layer {s.name} = ", lo, lo)
            return _cat(head, self.expr(s.call, indent + len(head[0].text), indent, 0))
        if isinstance(s, ast.OutputStmt):
            if s.chain is None:
                return _one(f"output {s.name}", lo, _end(s))
            head = _one(f"output {s.name} = ", lo, lo)
            return _cat(head, self.chain(s.chain, indent + len(head[0].text), indent, 0))
        if isinstance(s, ast.BindStmt):
            head = _one(", ".join(t for t, _ in s.targets) + " = ", lo, lo)
            return _cat(head, self.chain(s.chain, indent + len(head[0].text), indent, 0))
        if isinstance(s, ast.SettingsStmt):
            inner = indent + INDENT
            lines: Frag = []
            for setting in s.settings:
                k = _at(setting.key_span)
                f = _one(f"{setting.key} = ", k, k)
                f = _cat(f, self.expr(setting.value, inner + len(f[0].text), inner, 0))
                f[0].indent = f[0].lead = inner
                f[0].kind = "stmt"
                f[0].src_line = self.mark(setting, setting.key_span)
                lines += f
            head = _one(s.kind, lo, None if lo is None else (lo[0], lo[1] + len(s.kind)))
            return self.braced(head, lines, s, indent)
        if isinstance(s, ast.RepeatStmt):
            text = f"repeat {flat_expr(s.count)}"
            hi = _end(s.count)
            if s.index is not None:
                text += f" as {s.index[0]}"
                hi = _at_end(s.index[1])
            return self.braced(_one(text, lo, hi), self.body(s.body, indent + INDENT), s, indent)
        if isinstance(s, ast.IfStmt):
            return self.if_stmt(s, indent)
        raise FormatError(f"`graphspec fmt` cannot print a {type(s).__name__} statement yet", s)

    def if_stmt(self, s: ast.IfStmt, indent: int) -> Frag:
        """`if COND { ... } else if COND { ... } else { ... }`, each `}` sharing its line with the `else`."""
        head = _one(f"if {flat_expr(s.cond)}", _start(s), _end(s.cond))
        inner = indent + INDENT
        if s.else_span is None and (s.span is not None or not s.orelse):
            return self.braced(head, self.body(s.body, inner), s, indent)
        els = _at(s.else_span)
        lines = self.braced(head, self.body(s.body, inner), _Until(els), indent)
        if len(s.orelse) == 1 and isinstance(s.orelse[0], ast.IfStmt):
            return _cat(lines, _cat(_one(" else "), self.if_stmt(s.orelse[0], indent)))
        word = _one(" else", els, None if els is None else (els[0], els[1] + 4))
        return _cat(lines, self.braced(word, self.body(s.orelse, inner), s, indent))

    # top level ------------------------------------------------------------------
    def item(self, it) -> Frag:
        lo = _start(it)
        if isinstance(it, ast.Import):
            return _one(f"import {quote(it.path)}", lo, _end(it))
        if isinstance(it, ast.ConstDef):
            head = _one(f"const {it.name} = ", lo, lo)
            return _cat(head, self.expr(it.value, len(head[0].text), 0, 0))
        if isinstance(it, ast.ModelDef):
            # bare when it is a name, else quoted (`model "mobilenetv2_0.35_96"`): as a dict key is
            head = _one(f"model {dict_key(it.name)}", lo, _at_end(it.name_span))
            if it.extends is not None:
                e = it.extends[1]
                head = _cat(head, _one(f" extends {it.extends[0]}", _at(e), _at_end(e)))
            return self.braced(head, self.body(it.body, INDENT), it, 0)
        if isinstance(it, ast.BlockDef):
            name_end = _at_end(it.name_span)
            head = _one(f"block {it.name}", lo, name_end)
            if it.params:
                items = [(p.name + ("=" if p.default is not None else ""), p.default, _at(p.span))
                         for p in it.params]
                flat = "(" + ", ".join(pfx + (flat_expr(v) if v is not None else "") for pfx, v, _ in items) + ")"
                last = it.params[-1]
                params_end = _end(last.default) if last.default is not None else _at_end(last.span)
                if len(head[0].text) + len(flat) + 2 <= WIDTH:
                    head = _cat(head, _one(flat, name_end, params_end))
                else:
                    broken = self._items("(", ")", items, 0, name_end, name_end, params_end)
                    broken[-1].lo = broken[-1].hi = None  # where the `)` is, the tree does not say
                    head = _cat(head, broken)
            return self.braced(head, self.body(it.body, INDENT), it, 0)
        raise FormatError(f"`graphspec fmt` cannot print a {type(it).__name__} yet", it)

    # assembling -----------------------------------------------------------------
    def run(self) -> str:
        items = self.order(self.module)
        lines: Frag = []
        kinds = []
        for it in items:
            f = self.item(it)
            f[0].kind = "item"
            f[0].src_line = self.mark(it)
            kinds.append(type(it).__name__)
            lines += f

        header, rest = self._file_header(items)
        tail: List[Tuple[Pos, str]] = []
        self._place(rest, lines, tail)
        return self._emit(header, lines, kinds, tail)

    def _file_header(self, items):
        """Comments above the first item and separated from it by a blank line stay at the top."""
        first_line = min((it.span.line for it in items), default=None)
        if first_line is None:
            return [], list(self.comments)
        blank = max((n for n in range(1, first_line) if not self.src.line_text(n).strip()), default=0)
        header = [c for c in self.comments if c[0] < blank]
        return header, [c for c in self.comments if c[0] >= blank]

    def _place(self, comments, lines: Frag, tail) -> None:
        """Attach each comment to an output line: to the line that prints the code around it, else
        above the line that prints the code after it (a comment on its own line) or at the end of
        the line that prints the code before it (a comment after code)."""
        spans = [ln for ln in lines if ln.lo is not None and ln.hi is not None]
        by_lo = sorted(spans, key=lambda ln: (ln.lo, _neg(ln.hi)))  # stable: output order breaks ties
        los = [ln.lo for ln in by_lo]
        reach = []  # the furthest `hi` of the lines up to each index of by_lo
        for ln in by_lo:
            reach.append(ln.hi if not reach or ln.hi > reach[-1] else reach[-1])
        order = {id(ln): n for n, ln in enumerate(spans)}
        by_hi = sorted(spans, key=lambda ln: (ln.hi, -order[id(ln)]))
        his = [ln.hi for ln in by_hi]
        for line, col, text in comments:
            pos = (line, col)
            own = not self.src.line_text(line)[: col - 1].strip()
            target = None
            j = bisect.bisect_right(los, pos) - 1
            while j >= 0 and reach[j] >= pos:  # the innermost line whose region holds the comment
                if by_lo[j].hi >= pos:
                    target = by_lo[j]
                    break
                j -= 1
            if target is not None:
                (target.before.append((pos, text)) if own else target.after.append(text))
            elif own:
                k = bisect.bisect_left(los, pos)
                (by_lo[k].before.append((pos, text)) if k < len(by_lo) else tail.append((pos, text)))
            else:
                k = bisect.bisect_right(his, pos) - 1
                if k >= 0:
                    by_hi[k].after.append(text)
                elif by_lo:
                    by_lo[0].before.append((pos, text))
                else:
                    tail.append((pos, text))

    def _blank_above(self, line: Optional[int]) -> bool:
        return line is not None and line > 1 and not self.src.line_text(line - 1).strip()

    def _emit(self, header, lines: Frag, kinds: List[str], tail) -> str:
        out: List[str] = []
        state = {"prev": "start"}  # start | blank | opener | text

        def put(text: str, blank: bool = False, opener: bool = False) -> None:
            if blank and state["prev"] not in ("start", "blank", "opener"):
                out.append("")
            out.append(text)
            state["prev"] = "opener" if opener else "text"

        for i, (line, _, text) in enumerate(header):
            put(text, blank=i > 0 and self._blank_above(line))
        prev_kind = "header" if header else None
        item_index = -1
        for ln in lines:
            stmt_level = ln.kind in ("item", "stmt", "elem", "close")
            ln.before.sort()
            blanks = self._group_blanks(ln) if stmt_level else [False] * (len(ln.before) + 1)
            if ln.kind == "item":
                item_index += 1
                kind = kinds[item_index]
                if prev_kind is None:
                    blanks[0] = False
                elif prev_kind == kind and kind in ("Import", "ConstDef"):
                    pass  # the source's blank line, if any
                else:
                    blanks[0] = True
                prev_kind = kind
            for (pos, text), blank in zip(ln.before, blanks):
                put(" " * ln.lead + text, blank)
            suffix = ("  " + "  ".join(ln.after)) if ln.after else ""
            put(" " * ln.indent + ln.text + suffix, blanks[-1], opener=ln.opener)
        for pos, text in sorted(tail):
            put(text, self._blank_above(pos[0]))
        return "\n".join(out) + "\n" if out else ""

    def _group_blanks(self, ln: Ln) -> List[bool]:
        """Blank lines above a statement's leading comments and the statement itself: where the
        source had one. Comments moved up from inside the statement take the statement's."""
        blanks: List[bool] = []
        moved = False
        for (line, _), _ in ln.before:
            if ln.src_line is not None and line >= ln.src_line:
                blanks.append(False if moved else self._blank_above(ln.src_line))
                moved = True
            else:
                blanks.append(self._blank_above(line))
        blanks.append(False if (moved or ln.kind == "close") else self._blank_above(ln.src_line))
        return blanks


class _TreeFormatter(_Formatter):
    """The formatter of a tree built without spans (by an importer, not parsed): no comments to
    place, the blank lines and the file's header comment given explicitly."""

    def __init__(self, module: ast.Module, header: Sequence[str], blank_before):
        super().__init__(module, ())
        self.header = [str(h).rstrip() for h in header]
        self.blank_ids = {id(n) for n in blank_before}

    def mark(self, node, span=None):
        return node  # the node itself: is it one of those given a blank line above?

    def order(self, m: ast.Module) -> list:
        return [*m.imports, *m.consts, *m.blocks, *m.models]  # the tree says no other order

    def _file_header(self, items):
        return [(n, 1, text) for n, text in enumerate(self.header, 1)], []

    def _blank_above(self, mark) -> bool:
        return mark is not None and not isinstance(mark, int) and id(mark) in self.blank_ids


class _Until:
    """A node's stand-in that ends at `pos`: the `then` body of an `if`, closed by the `}` before `else`."""

    class _Span:
        def __init__(self, pos: Pos):
            self.line = self.end_line = pos[0]
            self.col = self.end_col = pos[1]

    def __init__(self, pos: Optional[Pos]):
        self.span = None if pos is None else self._Span(pos)


def _neg(pos: Pos) -> Tuple[int, int]:
    return (-pos[0], -pos[1])


def format_module(module: ast.Module, comments) -> str:
    """The canonical text of a parsed module; `comments` from scan_comments(module.source.text)."""
    return _Formatter(module, comments).run()


def format_tree(module: ast.Module, header: Sequence[str] = (), blank_before=()) -> str:
    """The canonical text of a tree built without spans (every `span` None, as an importer makes
    it): `header` comment lines (`# ...`) at the top, one blank line above each node of
    `blank_before` (statements, settings, consts; compared by identity). Its items are printed
    imports, consts, blocks, models, each in list order."""
    return _TreeFormatter(module, header, blank_before).run()


def format_source(source: Source):
    """Parse and format one source: (formatted text or None on syntax errors, diagnostics)."""
    from graphspec.diagnostics.diagnostic import Diagnostics
    from graphspec.syntax.comments import scan_comments
    from graphspec.syntax.parse import parse

    import gc

    diags = Diagnostics()
    enabled = gc.isenabled()
    gc.disable()  # many small acyclic objects: the collector's passes only cost time (see passes.check)
    try:
        module = parse(source, diags)
        if module is None or diags.has_errors:
            return None, diags
        return format_module(module, scan_comments(source.text)), diags
    finally:
        if enabled:
            gc.enable()
