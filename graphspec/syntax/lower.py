"""Lowering lark's parse tree to the syntax tree in graphspec.syntax.ast."""

from __future__ import annotations

import ast as _pyast

from lark import Token, Transformer, v_args

from graphspec.source import Source
from graphspec.syntax import ast


def _present(children):
    return [c for c in children if c is not None]


@v_args(meta=True)
class Lower(Transformer):
    """Turns each grammar rule into its syntax-tree class, with spans."""

    def __init__(self, source: Source):
        super().__init__()
        self.src = source

    # spans ----------------------------------------------------------------
    def _span(self, meta):
        return self.src.span(meta.start_pos, meta.end_pos)

    def _tok(self, tok: Token):
        return self.src.span(tok.start_pos, tok.end_pos)

    # values ---------------------------------------------------------------
    def int(self, meta, c):
        # Beyond 30 digits the value is refused later anyway (E250); this keeps Python's
        # int-from-string limit (4300 digits) from ever raising here.
        text = str(c[0])
        return ast.Literal(int(text) if len(text) <= 30 else float("inf"), self._span(meta), text)

    def float(self, meta, c):
        return ast.Literal(float(c[0]), self._span(meta), str(c[0]))

    def string(self, meta, c):
        return ast.Literal(_unquote(str(c[0])), self._span(meta))

    def true(self, meta, c):
        return ast.Literal(True, self._span(meta))

    def false(self, meta, c):
        return ast.Literal(False, self._span(meta))

    def none(self, meta, c):
        return ast.Literal(None, self._span(meta))

    def ref(self, meta, c):
        return ast.Ref(str(c[0]), self._span(meta))

    def _bin(op):  # noqa: N805 - a small factory for the five operators
        def method(self, meta, c):
            return ast.BinOp(op, c[0], c[1], self._span(meta))

        return method

    add, sub, mul = _bin("+"), _bin("-"), _bin("*")
    div, floordiv, mod = _bin("/"), _bin("//"), _bin("%")
    del _bin

    def neg(self, meta, c):
        return ast.Neg("-", c[0], self._span(meta))

    def pos(self, meta, c):
        return ast.Neg("+", c[0], self._span(meta))

    def index(self, meta, c):
        return ast.Index(c[0], c[1], self._span(meta))

    def tuple(self, meta, c):
        return ast.TupleExpr(_present(c), self._span(meta))

    def list(self, meta, c):
        return ast.ListExpr(_present(c), self._span(meta))

    def pair(self, meta, c):
        key, value = c
        text = _unquote(str(key)) if key.type == "STRING" else str(key)
        return (text, self._tok(key)), value

    def dict(self, meta, c):
        pairs = _present(c)
        return ast.DictExpr([k for k, _ in pairs], [v for _, v in pairs], self._span(meta))

    def kwarg(self, meta, c):
        return ast.Kwarg(str(c[0]), self._tok(c[0]), c[1])

    def call(self, meta, c):
        name, rest = c[0], _present(c[1:])
        args = [a for a in rest if not isinstance(a, ast.Kwarg)]
        kwargs = [a for a in rest if isinstance(a, ast.Kwarg)]
        return ast.Call(str(name), self._tok(name), args, kwargs, self._span(meta))

    # chains ---------------------------------------------------------------
    def name_source(self, meta, c):
        return ast.NameSource(str(c[0]), self._tok(c[0]))

    def group_source(self, meta, c):
        return c[0]

    def tuple_source(self, meta, c):
        return ast.TupleSource(_present(c), self._span(meta))

    def step_name(self, meta, c):
        return ast.StepName(str(c[0]), self._tok(c[0]))

    def chain(self, meta, c):
        return ast.Chain(c[0], list(c[1:]), self._span(meta))

    # statements -----------------------------------------------------------
    def input_stmt(self, meta, c):
        name, shape, dtype = c
        return ast.InputStmt(
            str(name), self._tok(name), shape,
            str(dtype) if dtype is not None else None,
            self._tok(dtype) if dtype is not None else None,
            self._span(meta),
        )

    def layer_stmt(self, meta, c):
        return ast.LayerStmt(str(c[0]), self._tok(c[0]), c[1], self._span(meta))

    def output_stmt(self, meta, c):
        return ast.OutputStmt(str(c[0]), self._tok(c[0]), c[1], self._span(meta))

    def bind_stmt(self, meta, c):
        targets = [(str(t), self._tok(t)) for t in c[:-1]]
        return ast.BindStmt(targets, c[-1], self._span(meta))

    def setting(self, meta, c):
        return ast.Setting(str(c[0]), self._tok(c[0]), c[1])

    def compile_stmt(self, meta, c):
        return ast.SettingsStmt("compile", list(c), self._span(meta))

    def fit_stmt(self, meta, c):
        return ast.SettingsStmt("fit", list(c), self._span(meta))

    def repeat_stmt(self, meta, c):
        count, index, body = c
        idx = (str(index), self._tok(index)) if index is not None else None
        return ast.RepeatStmt(count, idx, body, self._span(meta))

    def body(self, meta, c):
        return list(c)

    # top level ------------------------------------------------------------
    def import_stmt(self, meta, c):
        return ast.Import(_unquote(str(c[0])), self._span(meta))

    def const_def(self, meta, c):
        return ast.ConstDef(str(c[0]), self._tok(c[0]), c[1], self._span(meta))

    def param(self, meta, c):
        return ast.Param(str(c[0]), self._tok(c[0]), c[1])

    def block_def(self, meta, c):
        name, rest = c[0], c[1:]
        params = [p for p in rest[:-1] if p is not None]
        return ast.BlockDef(str(name), self._tok(name), params, rest[-1], self._span(meta))

    def model_def(self, meta, c):
        name, parent, body = c
        ext = (str(parent), self._tok(parent)) if parent is not None else None
        return ast.ModelDef(str(name), self._tok(name), ext, body, self._span(meta))

    def start(self, meta, c):
        return ast.Module.of(self.src, c)


def _unquote(text: str) -> str:
    # Spec strings use Python's escapes; literal_eval only ever sees a quoted string here.
    try:
        value = _pyast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text[1:-1]
    return value if isinstance(value, str) else text[1:-1]
