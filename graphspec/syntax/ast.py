"""The syntax tree of one .gspec file: plain classes, each with its source span."""

from __future__ import annotations

from graphspec.record import Record
from graphspec.source import Source, Span

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional, Tuple, Union


class _NoItems(list):
    """The empty list that every call without positional arguments, or without keywords, shares (most
    calls have one of the two empty: an empty list each cost 100,000 generated layers 10 MB). It refuses
    to change, so sharing it is safe; `+` still makes a new list."""

    __slots__ = ()

    def _refuse(self, *args, **kwargs):
        raise TypeError("this empty list is shared by many syntax-tree nodes: make a new list instead")

    append = extend = insert = pop = remove = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse


NO_ITEMS = _NoItems()

# ---------------------------------------------------------------- values


class Literal(Record):
    __slots__ = _fields = ("value", "span", "text")
    _defaults = {"text": None}
    value: object  # int, float, str, bool or None
    span: Span
    text: Optional[str]  # a number's token as written (`1e-3`), for the formatter; else None


class Ref(Record):
    __slots__ = _fields = ("name", "span")
    name: str
    span: Span


class BinOp(Record):
    __slots__ = _fields = ("op", "left", "right", "span")
    op: str  # + - * / // % == != and or
    left: "Expr"
    right: "Expr"
    span: Span


class Neg(Record):
    __slots__ = _fields = ("op", "operand", "span")
    op: str  # - or + or not
    operand: "Expr"
    span: Span


class TupleExpr(Record):
    __slots__ = _fields = ("items", "span")
    items: List["Expr"]
    span: Span


class ListExpr(Record):
    __slots__ = _fields = ("items", "span")
    items: List["Expr"]
    span: Span


class DictExpr(Record):
    __slots__ = _fields = ("keys", "values", "span")
    keys: List[Tuple[str, Span]]
    values: List["Expr"]
    span: Span


class Kwarg(Record):
    __slots__ = _fields = ("name", "name_span", "value")
    name: str
    name_span: Span
    value: "Expr"


class CallArgs(Record):
    """The second parenthesis of a layer step, `LSTM(8)(initial_state=(h, c))`: call-time arguments."""

    __slots__ = _fields = ("args", "kwargs", "span")
    args: List["Expr"]  # positional ones are refused by the checker (tensors come in through `->`)
    kwargs: List[Kwarg]
    span: Span  # from `(` to `)`


class Call(Record):
    __slots__ = _fields = ("name", "name_span", "args", "kwargs", "span", "call_args")
    _defaults = {"call_args": None}
    name: str
    name_span: Span
    args: List["Expr"]
    kwargs: List[Kwarg]
    span: Span  # the whole step, call-time arguments included
    call_args: Optional[CallArgs]  # only on a chain step


class Index(Record):
    __slots__ = _fields = ("target", "index", "span")
    target: "Expr"
    index: "Expr"
    span: Span


if TYPE_CHECKING:
    Expr = Union[Literal, Ref, BinOp, Neg, TupleExpr, ListExpr, DictExpr, Call, Index]

# ---------------------------------------------------------------- chains


class NameSource(Record):
    __slots__ = _fields = ("name", "span")
    name: str
    span: Span


class TupleSource(Record):
    __slots__ = _fields = ("items", "span")
    items: List["Chain"]
    span: Span


class StepName(Record):
    __slots__ = _fields = ("name", "span")
    name: str
    span: Span


class OpCall(Record):
    """`ops.mean(axis=1)`: a keras.ops function as a step (or, taking no tensor, as a source)."""

    __slots__ = _fields = ("name", "name_span", "args", "kwargs", "span")
    name: str  # after `ops.`
    name_span: Span  # the whole `ops.NAME`
    args: List["Expr"]  # the non-tensor arguments
    kwargs: List[Kwarg]
    span: Span


class TensorOp(Record):
    """A binary operator between tensors (or a tensor and a number): `a + b`, `x @ w`."""

    __slots__ = _fields = ("op", "left", "right", "span")
    op: str  # + - * / // % ** @
    left: "Source"
    right: "Source"
    span: Span


class TensorNeg(Record):
    __slots__ = _fields = ("operand", "span")
    operand: "Source"
    span: Span


class SliceItem(Record):
    """`start:stop:step` inside a subscript; each part optional."""

    __slots__ = _fields = ("start", "stop", "step", "span")
    start: Optional["Expr"]
    stop: Optional["Expr"]
    step: Optional["Expr"]
    span: Span


class EllipsisItem(Record):
    __slots__ = _fields = ("span",)
    span: Span


class Subscript(Record):
    """`x[:, 0]`, `x[..., :3]`, `x[:, None]`: indexing and slicing a tensor."""

    __slots__ = _fields = ("target", "items", "span")
    target: "Source"
    items: List[Union["Expr", SliceItem, EllipsisItem]]
    span: Span


class Chain(Record):
    __slots__ = _fields = ("source", "steps", "span")
    source: "Source"
    steps: List[Union[StepName, Call, OpCall]]
    span: Span


# What a chain starts from: a tensor name, a tuple of chains, a parenthesised chain, a number,
# an operator expression over those, a subscript, or an op that takes no tensor.
if TYPE_CHECKING:
    Source = Union[NameSource, TupleSource, Chain, Literal, TensorOp, TensorNeg, Subscript, OpCall]


# ---------------------------------------------------------------- statements


class InputStmt(Record):
    __slots__ = _fields = ("name", "name_span", "shape", "dtype", "dtype_span", "span")
    name: str
    name_span: Span
    shape: Optional[Expr]
    dtype: Optional[str]
    dtype_span: Optional[Span]
    span: Span


class LayerStmt(Record):
    __slots__ = _fields = ("name", "name_span", "call", "span")
    name: str
    name_span: Span
    call: Call
    span: Span


class OutputStmt(Record):
    __slots__ = _fields = ("name", "name_span", "chain", "span")
    name: str
    name_span: Span
    chain: Optional[Chain]
    span: Span


class BindStmt(Record):
    __slots__ = _fields = ("targets", "chain", "span")
    targets: List[Tuple[str, Span]]
    chain: Chain
    span: Span


class Setting(Record):
    __slots__ = _fields = ("key", "key_span", "value")
    key: str
    key_span: Span
    value: Expr


class SettingsStmt(Record):
    __slots__ = _fields = ("kind", "settings", "span")
    kind: str  # "compile" or "fit"
    settings: List[Setting]
    span: Span


class RepeatStmt(Record):
    __slots__ = _fields = ("count", "index", "body", "span")
    count: Expr
    index: Optional[Tuple[str, Span]]
    body: List["Stmt"]
    span: Span


class IfStmt(Record):
    __slots__ = _fields = ("cond", "body", "orelse", "span", "else_span")
    _defaults = {"else_span": None}
    cond: Expr
    body: List["Stmt"]
    orelse: List["Stmt"]  # the `else` body; `else if` is a one-statement body holding the next IfStmt
    span: Span
    else_span: Optional[Span]  # from `else` to the end (for the formatter), None without `else`


if TYPE_CHECKING:
    Stmt = Union[InputStmt, LayerStmt, OutputStmt, BindStmt, SettingsStmt, RepeatStmt, IfStmt]


def child_bodies(stmt) -> List[List["Stmt"]]:
    """The statement lists nested in a statement: a `repeat` body, an `if`'s two branches."""
    if isinstance(stmt, RepeatStmt):
        return [stmt.body]
    if isinstance(stmt, IfStmt):
        return [stmt.body, stmt.orelse]
    return []


def walk_stmts(body: List["Stmt"]):
    """Every statement of a body, those nested in `repeat` and `if` included, in source order."""
    for stmt in body:
        yield stmt
        for inner in child_bodies(stmt):
            yield from walk_stmts(inner)

# ---------------------------------------------------------------- top level


class Import(Record):
    __slots__ = _fields = ("path", "span")
    path: str
    span: Span


class ConstDef(Record):
    __slots__ = _fields = ("name", "name_span", "value", "span")
    name: str
    name_span: Span
    value: Expr
    span: Span


class Param(Record):
    __slots__ = _fields = ("name", "span", "default")
    name: str
    span: Span
    default: Optional[Expr]


class BlockDef(Record):
    __slots__ = _fields = ("name", "name_span", "params", "body", "span")
    name: str
    name_span: Span
    params: List[Param]
    body: List[Stmt]
    span: Span


class ModelDef(Record):
    __slots__ = _fields = ("name", "name_span", "extends", "body", "span")
    name: str
    name_span: Span
    extends: Optional[Tuple[str, Span]]
    body: List[Stmt]
    span: Span


class Module(Record):
    """One parsed file."""

    __slots__ = _fields = ("source", "imports", "consts", "blocks", "models")
    _defaults = {"imports": list, "consts": list, "blocks": list, "models": list}

    source: Source
    imports: List[Import]
    consts: List[ConstDef]
    blocks: List[BlockDef]
    models: List[ModelDef]

    @classmethod
    def of(cls, source: Source, items) -> "Module":
        """A module from its top-level items, in source order, sorted by kind."""
        module = cls(source)
        tables = {Import: module.imports, ConstDef: module.consts, BlockDef: module.blocks,
                  ModelDef: module.models}
        for item in items:
            table = tables.get(type(item))
            if table is not None:
                table.append(item)
        return module
