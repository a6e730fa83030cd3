"""Evaluating argument values: literals, arithmetic over consts and parameters, calls."""

from __future__ import annotations

from graphspec.catalog.base import UNSAFE_CLASSES, CallValue
from graphspec.diagnostics import codes
from graphspec.diagnostics.diagnostic import Diagnostics, Label
from graphspec.limits import MAX_INT, MAX_STRING, MAX_VALUE_DEPTH
from graphspec.suggest import did_you_mean
from graphspec.syntax import ast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, Optional


# Python's constants as other languages spell them (JSON, YAML, JavaScript, C).
_CONSTANTS = {"true": "True", "false": "False", "none": "None", "null": "None", "nil": "None"}
# Keras's string arguments that are not in a catalogue kind (padding, data formats, merge and interpolation modes).
_MODES = frozenset({"same", "valid", "causal", "channels_last", "channels_first", "concat", "sum", "mul", "ave",
                    "nearest", "bilinear", "bicubic", "int", "multi_hot", "one_hot", "count", "tf_idf"})


def unknown_name_help(name: str, names) -> str:
    """The `help:` for an unknown name in a value: Python's `False` for `false`, the quoted string for a
    Keras name written bare (`activation=softmax`), else the closest name in scope."""
    if name.lower() in _CONSTANTS:
        return f"did you mean `{_CONSTANTS[name.lower()]}`? (capitalised, as in Python)"
    if name in _MODES or _keras_string_name(name):
        return f"Keras names are strings: quote it, `\"{name}\"`"
    return did_you_mean(name, names) or "values may use numbers, strings, consts and block parameters"


def _keras_string_name(name: str) -> bool:
    from graphspec.catalog import signatures

    kinds = ("activations", "initializers", "regularizers", "constraints", "losses", "metrics", "optimizers")
    return any(name in signatures.string_names(kind) for kind in kinds)


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

# Functions over values, written lower case so they never shadow a Keras class.
_FUNCTIONS: Dict[str, Callable] = {
    "int": int,
    "round": round,
    "abs": abs,
    "min": min,
    "max": max,
    "shape": None,  # handled by the evaluator: needs the tensors in scope
    "str": str,  # of an int, for names built from a `repeat` index: "conv" + str(i + 1)
}

_OPS: Dict[str, Callable] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "//": lambda a, b: a // b,
    "%": lambda a, b: a % b,
}


# Comparisons and logic (conditions of `if`): `==`/`!=` on any values, order on numbers or on strings,
# `and`/`or`/`not` on bools (a spec's conditions are True or False, never Python's truthiness).
_COMPARE: Dict[str, Callable] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_LOGIC = ("and", "or")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_SCALARS = frozenset({int, float, str, bool, type(None)})


def contains_invalid(value) -> bool:
    """True when `value` or anything inside it failed to evaluate."""
    if value is INVALID:
        return True
    kind = type(value)
    if kind in _SCALARS:  # most values (every layer call's arguments are walked): no isinstance chain
        return False
    # Plain loops: a generator per container was most of the walk's cost.
    if isinstance(value, CallValue):
        for v in value.args:
            if contains_invalid(v):
                return True
        for _, v in value.kwargs:
            if contains_invalid(v):
                return True
        return False
    if isinstance(value, (list, tuple)):
        for v in value:
            if contains_invalid(v):
                return True
        return False
    if isinstance(value, dict):
        for v in value.values():
            if contains_invalid(v):
                return True
    return False


# Names that only Python code has. A call to one is refused as code (E210) wherever it is written,
# as a layer, an argument or a const, rather than reported as an unknown name; so is a call to a
# Keras class that loads or runs code (catalog.base.UNSAFE_CLASSES: Lambda, TFSMLayer, ...).
_CODE_NAMES = frozenset({"eval", "exec", "execfile", "open", "getattr", "setattr", "delattr",
                         "globals", "locals", "vars", "breakpoint", "system", "popen"}) | frozenset(UNSAFE_CLASSES)


def runs_code(name: str) -> bool:
    """True for Keras classes that load or run code, Python builtins that run or reach code, and dunder
    names (`__import__`)."""
    return name in _CODE_NAMES or (len(name) > 4 and name.startswith("__") and name.endswith("__"))


def code_help(name: str) -> str:
    """Why `name` is refused, and what to write instead."""
    if name == "Lambda":
        return ("use a Keras layer that does the same, or register a custom layer "
                "from Python with `graphspec.register_layer`")
    if name in UNSAFE_CLASSES:
        return (f"`{name}` {UNSAFE_CLASSES[name]}; a spec never runs code: describe the model with Keras layers, "
                "or register a custom layer from Python with `graphspec.register_layer`")
    return ("a spec is data: layers, optimizers, losses and metrics are Keras's, by name; for your own "
            "code, register a custom layer from Python with `graphspec.register_layer`")


_METHODS: dict = {}  # node class -> Evaluator's method for it


class Evaluator:
    """Evaluates expressions against a lookup of names (consts, parameters, indices)."""

    def __init__(self, lookup: Callable[[str], object], names: Callable[[], list], diags: Diagnostics,
                 shape_of: Optional[Callable[[str], object]] = None):
        self.shape_of = shape_of  # tensor name -> static shape (for `shape(x)`), or None
        self.lookup = lookup  # returns the value, or raises KeyError
        self.names = names  # every name in scope, for suggestions
        self.diags = diags
        self.depth = 0  # evaluations in progress; through consts, one evaluator nests in another's values

    def eval(self, expr: ast.Expr):
        """Evaluate `expr`; report problems and return INVALID for them."""
        method = _METHODS.get(type(expr))
        if method is None:  # the method named for the node's class, found once per class
            method = _METHODS[type(expr)] = getattr(Evaluator, "_" + type(expr).__name__)
        self.depth += 1
        try:
            if self.depth > MAX_VALUE_DEPTH:  # a const defined through consts each nested deep (limits.py)
                self.diags.error(codes.E103, f"this value is nested more than {MAX_VALUE_DEPTH} levels deep, counting "
                                 "the consts it is defined through", expr.span, label="too deep",
                                 help="give one of these consts a simpler value")
                return INVALID
            return method(self, expr)
        finally:
            self.depth -= 1

    def _Literal(self, e: ast.Literal):
        if isinstance(e.value, float) and e.value in (float("inf"), float("-inf")):
            self.diags.error(codes.E250, "this number is too large to represent", e.span, label="overflows",
                             help="write a finite number")
            return INVALID
        if isinstance(e.value, int) and not isinstance(e.value, bool) and abs(e.value) > MAX_INT:
            self.diags.error(codes.E250, "this integer is too large (the limit is 2**53)", e.span, label="too large")
            return INVALID
        return e.value

    def _Ref(self, e: ast.Ref):
        try:
            return self.lookup(e.name)
        except KeyError:
            self.diags.error(
                codes.E201, f"unknown name `{e.name}`", e.span, label="not defined",
                help=unknown_name_help(e.name, self.names()),
            )
            return INVALID

    def _BinOp(self, e: ast.BinOp):
        a, b = self.eval(e.left), self.eval(e.right)
        if a is INVALID or b is INVALID:
            return INVALID
        if e.op in _COMPARE or e.op in _LOGIC:
            return self._condition(e, a, b)
        if e.op == "+" and isinstance(a, str) and isinstance(b, str):
            if len(a) + len(b) > MAX_STRING:
                self.diags.error(codes.E250, f"the result of `+` is too long (the limit is {MAX_STRING:,} characters)",
                                 e.span, label="too long")
                return INVALID
            return a + b
        if not (_is_number(a) and _is_number(b)):
            needs = "joins two strings or adds two numbers" if e.op == "+" else "needs two numbers"
            self.diags.error(
                codes.E250, f"`{e.op}` {needs}; received {describe(a)} and {describe(b)}", e.span,
                label="not arithmetic", help=_arith_help(e, a, b),
            )
            return INVALID
        if e.op in ("/", "//", "%") and b == 0:
            self.diags.error(codes.E250, "division by zero", e.span, label="the divisor is 0")
            return INVALID
        try:
            result = _OPS[e.op](a, b)
        except (OverflowError, ValueError):
            result = None
        if result is None or (_is_number(result) and abs(result) > MAX_INT):
            self.diags.error(codes.E250, f"the result of `{e.op}` is too large (the limit is 2**53)", e.span)
            return INVALID
        return result

    def _condition(self, e: ast.BinOp, a, b):
        """`==` `!=` `<` `<=` `>` `>=` `and` `or`, typed: no ordering across kinds, no truthiness."""
        if e.op in _LOGIC:
            for value, operand in ((a, e.left), (b, e.right)):
                if not isinstance(value, bool):
                    self.diags.error(codes.E250, f"`{e.op}` needs True or False on both sides; received {describe(a)} "
                                             f"and {describe(b)}", operand.span, label="not a bool",
                                     help=bool_help(value))
                    return INVALID
            return (a and b) if e.op == "and" else (a or b)
        if e.op not in ("==", "!=") and not ((_is_number(a) and _is_number(b))
                                            or (isinstance(a, str) and isinstance(b, str))):
            self.diags.error(codes.E250, f"`{e.op}` orders two numbers or two strings; received {describe(a)} and "
                                     f"{describe(b)}", e.span, label="not comparable",
                             help="compare values of one kind, or test equality with `==`")
            return INVALID
        return _COMPARE[e.op](a, b)

    def _Neg(self, e: ast.Neg):
        v = self.eval(e.operand)
        if v is INVALID:
            return INVALID
        if e.op == "not":
            if not isinstance(v, bool):
                self.diags.error(codes.E250, f"`not` needs True or False; received {describe(v)}", e.operand.span,
                                 label="not a bool", help=bool_help(v))
                return INVALID
            return not v
        if not _is_number(v):
            self.diags.error(codes.E250, f"unary `{e.op}` works on numbers; received {_kind(v)}", e.span)
            return INVALID
        return -v if e.op == "-" else v

    def _TupleExpr(self, e: ast.TupleExpr):
        return tuple(self.eval(i) for i in e.items)

    def _ListExpr(self, e: ast.ListExpr):
        return [self.eval(i) for i in e.items]

    def _DictExpr(self, e: ast.DictExpr):
        out, first = {}, {}
        for (key, span), value in zip(e.keys, e.values):
            if key in out:
                diag = self.diags.error(codes.E202, f"key `{key}` appears twice in this dict", span, label="repeated")
                # Added to the reported record, not passed in: inside a model the diags is expand.py's
                # OncePerPlace, whose error() takes no related=; first before any block call sites.
                diag.related.insert(0, Label(first[key], "first here"))
            first.setdefault(key, span)
            out[key] = self.eval(value)
        return out

    def _Index(self, e: ast.Index):
        target, index = self.eval(e.target), self.eval(e.index)
        if target is INVALID or index is INVALID:
            return INVALID
        if isinstance(target, dict):
            if index in target:
                return target[index]
            self.diags.error(codes.E250, f"no key {describe(index)} in this dict", e.index.span, label="missing key",
                             help=did_you_mean(str(index), [str(k) for k in target]))
            return INVALID
        if not isinstance(target, (tuple, list)):
            self.diags.error(codes.E250, f"only tuples, lists and dicts can be indexed; received {describe(target)}",
                             e.target.span, label="not indexable")
            return INVALID
        if not isinstance(index, int) or isinstance(index, bool):
            self.diags.error(codes.E250, f"an index must be an integer; received {describe(index)}", e.index.span,
                             label="not an integer")
            return INVALID
        if not -len(target) <= index < len(target):
            self.diags.error(codes.E250, f"index {index} is out of range for {describe(target)} "
                                     f"(valid: {-len(target)} to {len(target) - 1})", e.index.span,
                             label="out of range")
            return INVALID
        return target[index]

    def _function(self, e: ast.Call):
        """Value functions: `int(x)`, `round(x)`, `abs(x)`, `min(...)`, `max(...)`, `shape(tensor)`."""
        if e.kwargs:
            self.diags.error(codes.E250, f"`{e.name}` takes no keyword arguments", e.kwargs[0].name_span,
                             label="not accepted")
            return INVALID
        if e.name == "shape":
            if len(e.args) != 1 or not isinstance(e.args[0], ast.Ref):
                self.diags.error(codes.E250, "`shape` takes one tensor name: `shape(x)`", e.span, label="not a tensor")
                return INVALID
            name = e.args[0].name
            shape = self.shape_of(name) if self.shape_of else None
            if shape is None:
                self.diags.error(codes.E201, f"unknown tensor `{name}`", e.args[0].span, label="not a tensor here",
                                 help="`shape(x)` reads the static shape of a tensor bound before this line")
                return INVALID
            return shape if shape is not INVALID else INVALID
        args = [self.eval(a) for a in e.args]
        if any(a is INVALID for a in args):
            return INVALID
        if e.name in ("min", "max") and len(args) == 1 and isinstance(args[0], (tuple, list)):
            args = list(args[0])
        if e.name == "str":
            return self._str(e, args)
        arity = {"int": 1, "round": 1, "abs": 1}.get(e.name)
        if (arity and len(args) != arity) or (not arity and not args):
            self.diags.error(codes.E250, f"`{e.name}` takes {'one number' if arity else 'one or more numbers'}; "
                                     f"received {len(args)} argument{'s' if len(args) != 1 else ''}", e.span)
            return INVALID
        for a, expr in zip(args, e.args if len(e.args) == len(args) else [e] * len(args)):
            if not _is_number(a):
                if a is None and e.name in ("min", "max"):
                    self.diags.error(codes.E250, f"`{e.name}` of an unknown size (None)", expr.span,
                                     help="this dimension is not known statically")
                else:
                    self.diags.error(codes.E250, f"`{e.name}` needs numbers; received {describe(a)}", expr.span,
                                     label="not a number")
                return INVALID
        return _FUNCTIONS[e.name](*args)

    def _str(self, e: ast.Call, args):
        """`str(n)`: the decimal text of an integer (names are built from indices, not from floats)."""
        if len(args) != 1 or not isinstance(args[0], int) or isinstance(args[0], bool):
            got = describe(args[0]) if len(args) == 1 else f"{len(args)} arguments"
            self.diags.error(codes.E250, f"`str` takes one integer; received {got}", e.span, label="not an integer",
                             help="write `str(int(x))` for a whole float; a string needs no `str`")
            return INVALID
        return str(args[0])

    def _Call(self, e: ast.Call):
        if e.name in _FUNCTIONS:
            return self._function(e)
        if runs_code(e.name):
            self.diags.error(codes.E210, f"`{e.name}` is not allowed: a spec never runs code", e.name_span,
                             label="loads or runs code" if e.name in UNSAFE_CLASSES else "runs Python code",
                             help=code_help(e.name))
            return INVALID
        ev = self.eval
        # Lists, not generators (a generator frame per call was a tenth of this method's time); most
        # layer calls have no keywords or no positional arguments (the shared empty ast.NO_ITEMS).
        args = tuple([ev(a) for a in e.args]) if e.args else ()
        # An argument given twice is reported where the call is bound to its signature (E304).
        kwargs = tuple([(kw.name, ev(kw.value)) for kw in e.kwargs]) if e.kwargs else ()
        return CallValue(e.name, args, kwargs)


OPAQUE = object()  # in value_refs: a part whose value comes from more than names


def value_refs(e):
    """The Ref nodes an expression's value reads, in source order, and OPAQUE for each part whose
    value comes from more than names: the tensor `shape(x)` takes, a dict, a node of another kind."""
    kind = type(e)
    if kind is ast.Ref:
        yield e
    elif kind is ast.Literal:
        return
    elif kind is ast.BinOp:
        yield from value_refs(e.left)
        yield from value_refs(e.right)
    elif kind is ast.Neg:
        yield from value_refs(e.operand)
    elif kind is ast.TupleExpr or kind is ast.ListExpr:
        for item in e.items:
            yield from value_refs(item)
    elif kind is ast.Index:
        yield from value_refs(e.target)
        yield from value_refs(e.index)
    elif kind is ast.Call and e.name != "shape":
        for a in e.args:
            yield from value_refs(a)
        for kw in e.kwargs:
            yield from value_refs(kw.value)
    else:
        yield OPAQUE


def read_names(expr) -> Optional[frozenset]:
    """The names an expression's value is computed from, or None when it reads more than names (the
    tensor of `shape(x)`, a dict, a node the evaluator does not take)."""
    names = set()
    for ref in value_refs(expr):
        if ref is OPAQUE:
            return None
        names.add(ref.name)
    return frozenset(names)


def bool_help(value) -> str:
    """The fix for a non-bool where a condition is needed: compare it."""
    if value is None:
        return "compare it: `x == None` or `x != None`"
    return f"compare it, e.g. `x == {describe(value) if _is_number(value) else repr(value)}`" if not isinstance(
        value, (tuple, list, dict)) else "compare it with `==` or `!=`"


def _arith_help(e: ast.BinOp, a, b) -> str:
    """The fix for arithmetic on a non-number: a quoted number names its const."""
    if e.op == "+" and (isinstance(a, str) or isinstance(b, str)):
        number = b if isinstance(a, str) else a
        if isinstance(number, int) and not isinstance(number, bool):
            side = e.right if isinstance(a, str) else e.left
            from graphspec.passes.call_args import _flat  # the passes' short spelling of an expression

            return f"`+` joins two strings: write `str({_flat(side)})` to join the number {number!r}"
        return "`+` joins two strings or adds two numbers"
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
