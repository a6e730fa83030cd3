"""The syntax tree of one .gspec file: plain classes, each with its source span."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Union

from graphspec.source import Source, Span

# ---------------------------------------------------------------- values


@dataclass
class Literal:
    value: object  # int, float, str, bool or None
    span: Span


@dataclass
class Ref:
    name: str
    span: Span


@dataclass
class BinOp:
    op: str  # + - * / // %
    left: "Expr"
    right: "Expr"
    span: Span


@dataclass
class Neg:
    op: str  # - or +
    operand: "Expr"
    span: Span


@dataclass
class TupleExpr:
    items: List["Expr"]
    span: Span


@dataclass
class ListExpr:
    items: List["Expr"]
    span: Span


@dataclass
class DictExpr:
    keys: List[Tuple[str, Span]]
    values: List["Expr"]
    span: Span


@dataclass
class Kwarg:
    name: str
    name_span: Span
    value: "Expr"


@dataclass
class Call:
    name: str
    name_span: Span
    args: List["Expr"]
    kwargs: List[Kwarg]
    span: Span


Expr = Union[Literal, Ref, BinOp, Neg, TupleExpr, ListExpr, DictExpr, Call]

# ---------------------------------------------------------------- chains


@dataclass
class NameSource:
    name: str
    span: Span


@dataclass
class TupleSource:
    items: List["Chain"]
    span: Span


@dataclass
class StepName:
    name: str
    span: Span


@dataclass
class Chain:
    source: Union[NameSource, TupleSource, "Chain"]
    steps: List[Union[StepName, Call]]
    span: Span


# ---------------------------------------------------------------- statements


@dataclass
class InputStmt:
    name: str
    name_span: Span
    shape: Optional[Expr]
    dtype: Optional[str]
    dtype_span: Optional[Span]
    span: Span


@dataclass
class LayerStmt:
    name: str
    name_span: Span
    call: Call
    span: Span


@dataclass
class OutputStmt:
    name: str
    name_span: Span
    chain: Optional[Chain]
    span: Span


@dataclass
class BindStmt:
    targets: List[Tuple[str, Span]]
    chain: Chain
    span: Span


@dataclass
class Setting:
    key: str
    key_span: Span
    value: Expr


@dataclass
class SettingsStmt:
    kind: str  # "compile" or "fit"
    settings: List[Setting]
    span: Span


@dataclass
class RepeatStmt:
    count: Expr
    index: Optional[Tuple[str, Span]]
    body: List["Stmt"]
    span: Span


Stmt = Union[InputStmt, LayerStmt, OutputStmt, BindStmt, SettingsStmt, RepeatStmt]

# ---------------------------------------------------------------- top level


@dataclass
class Import:
    path: str
    span: Span


@dataclass
class ConstDef:
    name: str
    name_span: Span
    value: Expr
    span: Span


@dataclass
class Param:
    name: str
    span: Span
    default: Optional[Expr]


@dataclass
class BlockDef:
    name: str
    name_span: Span
    params: List[Param]
    body: List[Stmt]
    span: Span


@dataclass
class ModelDef:
    name: str
    name_span: Span
    extends: Optional[Tuple[str, Span]]
    body: List[Stmt]
    span: Span


@dataclass
class Module:
    """One parsed file."""

    source: Source
    imports: List[Import] = field(default_factory=list)
    consts: List[ConstDef] = field(default_factory=list)
    blocks: List[BlockDef] = field(default_factory=list)
    models: List[ModelDef] = field(default_factory=list)
