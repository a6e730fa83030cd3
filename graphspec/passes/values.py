"""Evaluating argument values: literals, arithmetic over consts and parameters, calls."""

from __future__ import annotations

from typing import Callable, Dict

from graphspec.catalog.base import CallValue
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.limits import MAX_INT
from graphspec.suggest import did_you_mean
from graphspec.syntax import ast


class Invalid:
    """The value of an expression that already produced a diagnostic (no cascades)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<invalid>"


INVALID = Invalid()

_OPS: Dict[str, Callable] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "//": lambda a, b: a // b,
    "%": lambda a, b: a % b,
}


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def contains_invalid(value) -> bool:
    """True when `value` or anything inside it failed to evaluate."""
    if value is INVALID:
        return True
    if isinstance(value, (list, tuple)):
        return any(contains_invalid(v) for v in value)
    if isinstance(value, dict):
        return any(contains_invalid(v) for v in value.values())
    if isinstance(value, CallValue):
        return any(contains_invalid(v) for v in value.args) or any(
            contains_invalid(v) for _, v in value.kwargs)
    return False


class Evaluator:
    """Evaluates expressions against a lookup of names (consts, parameters, indices)."""

    def __init__(self, lookup: Callable[[str], object], names: Callable[[], list], diags: Diagnostics):
        self.lookup = lookup  # returns the value, or raises KeyError
        self.names = names  # every name in scope, for suggestions
        self.diags = diags

    def eval(self, expr: ast.Expr):
        """Evaluate `expr`; report problems and return INVALID for them."""
        method = getattr(self, "_" + type(expr).__name__)
        return method(expr)

    def _Literal(self, e: ast.Literal):
        if isinstance(e.value, float) and e.value in (float("inf"), float("-inf")):
            self.diags.error("E250", "this number is too large to represent", e.span, label="overflows",
                             help="write a finite number")
            return INVALID
        if isinstance(e.value, int) and not isinstance(e.value, bool) and abs(e.value) > MAX_INT:
            self.diags.error("E250", "this integer is too large (the limit is 2**53)", e.span, label="too large")
            return INVALID
        return e.value

    def _Ref(self, e: ast.Ref):
        try:
            return self.lookup(e.name)
        except KeyError:
            self.diags.error(
                "E201", f"unknown name `{e.name}`", e.span, label="not defined",
                help=did_you_mean(e.name, self.names())
                or "values may use numbers, strings, consts and block parameters",
            )
            return INVALID

    def _BinOp(self, e: ast.BinOp):
        a, b = self.eval(e.left), self.eval(e.right)
        if a is INVALID or b is INVALID:
            return INVALID
        if not (_is_number(a) and _is_number(b)):
            self.diags.error(
                "E250", f"`{e.op}` needs two numbers; received {describe(a)} and {describe(b)}", e.span,
                label="not arithmetic", help=_arith_help(e, a, b),
            )
            return INVALID
        if e.op in ("/", "//", "%") and b == 0:
            self.diags.error("E250", "division by zero", e.span, label="the divisor is 0")
            return INVALID
        try:
            result = _OPS[e.op](a, b)
        except (OverflowError, ValueError):
            result = None
        if result is None or (_is_number(result) and abs(result) > MAX_INT):
            self.diags.error("E250", f"the result of `{e.op}` is too large (the limit is 2**53)", e.span)
            return INVALID
        return result

    def _Neg(self, e: ast.Neg):
        v = self.eval(e.operand)
        if v is INVALID:
            return INVALID
        if not _is_number(v):
            self.diags.error("E250", f"unary `{e.op}` works on numbers; received {_kind(v)}", e.span)
            return INVALID
        return -v if e.op == "-" else v

    def _TupleExpr(self, e: ast.TupleExpr):
        return tuple(self.eval(i) for i in e.items)

    def _ListExpr(self, e: ast.ListExpr):
        return [self.eval(i) for i in e.items]

    def _DictExpr(self, e: ast.DictExpr):
        out = {}
        for (key, span), value in zip(e.keys, e.values):
            if key in out:
                self.diags.error("E202", f"key `{key}` appears twice in this dict", span, label="repeated")
            out[key] = self.eval(value)
        return out

    def _Call(self, e: ast.Call):
        if e.name == "Lambda":
            self.diags.error("E210", "`Lambda` is not allowed: a spec never runs code", e.name_span,
                             label="runs Python code",
                             help="use a Keras layer that does the same, or register a custom layer "
                                  "from Python with `graphspec.register_layer`")
            return INVALID
        args = tuple(self.eval(a) for a in e.args)
        # An argument given twice is reported where the call is bound to its signature (E304).
        kwargs = [(kw.name, self.eval(kw.value)) for kw in e.kwargs]
        return CallValue(e.name, args, tuple(kwargs))


def _arith_help(e: ast.BinOp, a, b) -> str:
    """The fix for arithmetic on a non-number: a quoted number names its const."""
    for operand, value in ((e.left, a), (e.right, b)):
        if isinstance(value, str) and isinstance(operand, ast.Ref):
            try:
                float(value)
            except ValueError:
                continue
            return f"`{operand.name}` holds the string \"{value}\"; write the number without quotes"
    return "arithmetic is only for numbers, consts and block parameters"


def _kind(v) -> str:
    if isinstance(v, str):
        from graphspec.catalog.params import show

        return f"the string {show(v)}"
    if v is None:
        return "None"
    if isinstance(v, bool):
        return f"the bool {v}"
    if isinstance(v, tuple):
        return f"the tuple {v!r}"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a dict"
    if isinstance(v, CallValue):
        return f"a call to `{v.callee}`"
    return type(v).__name__


def describe(value) -> str:
    """Describe a value in a message: `the string 'relu'`, `the tuple (3, 3)`."""
    return _kind(value) if not _is_number(value) else repr(value)
