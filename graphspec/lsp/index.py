"""What every name of a spec's syntax tree refers to: definitions and occurrences, with spans.

The language server answers definition, rename, hover and document-symbol requests from this
index. It walks the syntax trees the loader parsed (graphspec.syntax.ast) with the same scoping
rules as the expansion pass (graphspec/passes/expand.py): a tensor name refers to its latest
binding before the use, a value name to a block parameter or `repeat` index before a const, a
step name to a `layer` of the body before a block or a model. It never evaluates anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from graphspec.passes import layers as L
from graphspec.source import Span
from graphspec.syntax import ast

TENSOR, LAYER, BLOCK, MODEL, CONST, PARAM, INDEX, IMPORT, LAYER_TYPE = (
    "tensor", "layer", "block", "model", "const", "param", "index", "import", "layer type")


@dataclass(eq=False)
class Definition:
    """One thing a name can mean, where it is defined."""

    kind: str
    name: str
    span: Optional[Span]  # None for an imported file (the definition is the whole file)
    path: Optional[Path]  # the file that defines it
    node: object = None  # the defining syntax node (InputStmt, BindStmt, BlockDef, ...)
    scope: int = 0  # the body it belongs to: tensors of one body are one name for rename
    target: int = 0  # which target of a `a, b = ...` binding
    owner: Optional[str] = None  # the model or block whose body defines it


@dataclass(eq=False)
class Occurrence:
    """A name written in the main file: a definition's own name or a use of one."""

    name: str
    span: Span
    definition: Optional[Definition]  # None: unresolved (an error, or a Keras layer type)
    kind: str  # the definition's kind, or LAYER_TYPE for a layer call such as `Dense(`
    node: object = None  # the syntax node written here (NameSource, StepName, Call, Ref, ...)
    chain: Optional[ast.Chain] = None  # for a tensor a chain's first step takes: that chain
    slot: int = 0  # which of the first step's inputs it is (`(a, b) -> Add()`: b is 1)


@dataclass
class _Scope:
    id: int
    owner: Optional[str]
    tensors: Dict[str, Definition] = field(default_factory=dict)
    layers: Dict[str, Definition] = field(default_factory=dict)
    values: Dict[str, Definition] = field(default_factory=dict)


class Index:
    """Definitions of a program and the occurrences of names in its main file."""

    def __init__(self, main: ast.Module, modules: List[ast.Module]):
        self.main = main
        self.occurrences: List[Occurrence] = []
        self.definitions: List[Definition] = []  # of the main file, in source order
        self.globals: Dict[str, Definition] = {}
        self._record = False
        self._path = main.source.path  # the file being walked (a parent model may be in another)
        self._scopes = 0
        self._defined_models: Dict[str, _Scope] = {}
        self._extending: List[str] = []
        self._by_node: Optional[Dict[int, Occurrence]] = None
        for module in modules:  # the loader's order: imports first; the first definition wins (E202)
            for kind, items in ((CONST, module.consts), (BLOCK, module.blocks), (MODEL, module.models)):
                for item in items:
                    self.globals.setdefault(item.name, Definition(kind, item.name, item.name_span,
                                                                  module.source.path, item))
        self._record = True
        self._module(main)

    # ------------------------------------------------------------ queries
    def at(self, line: int, col: int) -> Optional[Occurrence]:
        """The occurrence covering the 1-based (line, col) of the main file, if any."""
        after = None  # the cursor just past a name (`Dense|`) counts as on it
        for occ in self.occurrences:
            if _contains(occ.span, line, col):
                return occ
            if after is None and occ.span.end_line == line and occ.span.end_col == col:
                after = occ
        return after

    def of_node(self, node) -> Optional[Occurrence]:
        """The occurrence recorded for a syntax node (a NameSource, a StepName...)."""
        if self._by_node is None:
            self._by_node = {id(o.node): o for o in self.occurrences if o.node is not None}
        return self._by_node.get(id(node))

    def uses_of(self, definition: Definition) -> List[Occurrence]:
        """Every occurrence of the main file that refers to `definition`."""
        return [o for o in self.occurrences if o.definition is definition]

    def same_name(self, definition: Definition) -> List[Occurrence]:
        """Occurrences that rename together with `definition`: a tensor's every binding in its body, else its uses."""
        if definition.kind == TENSOR:
            return [o for o in self.occurrences if o.definition is not None and o.definition.kind == TENSOR
                    and o.definition.scope == definition.scope and o.name == definition.name]
        return self.uses_of(definition)

    def scope_names(self, line: int, col: int) -> Dict[str, Definition]:
        """The names visible at (line, col) of the main file: its body's tensors, layers and values, and globals."""
        names: Dict[str, Definition] = dict(self.globals)
        owner = None
        for d in self.definitions:
            if d.kind in (MODEL, BLOCK) and d.span is not None and d.node is not None and \
                    _contains(d.node.span, line, col):
                owner = d.name
        for d in self.definitions:
            if d.owner == owner and owner is not None and d.span is not None and \
                    (d.span.line, d.span.col) < (line, col):
                names[d.name] = d
        return names

    # ------------------------------------------------------------ walking
    def _new_scope(self, owner: Optional[str]) -> _Scope:
        self._scopes += 1
        return _Scope(self._scopes, owner)

    def _define(self, scope: Optional[_Scope], kind: str, name: str, span: Span, node, target: int = 0,
                path: Optional[Path] = None) -> Definition:
        d = Definition(kind, name, span, path or self._path, node, scope.id if scope else 0, target,
                       scope.owner if scope else None)
        if self._record:
            self.definitions.append(d)
            self._occur(name, span, d, kind, node)
        return d

    def _occur(self, name: str, span: Span, definition: Optional[Definition], kind: str, node=None,
               chain=None, slot: int = 0) -> None:
        if self._record:
            self.occurrences.append(Occurrence(name, span, definition, kind, node, chain, slot))

    def _module(self, module: ast.Module) -> None:
        for imp in module.imports:
            path = module.source.path
            target = (path.parent / imp.path) if path is not None else Path(imp.path)
            self._occur(imp.path, imp.span, Definition(IMPORT, imp.path, None, target, imp), IMPORT, imp)
        for c in module.consts:
            self._define_global(CONST, c)
            self._expr(c.value, None)
        for b in module.blocks:
            self._define_global(BLOCK, b)
            scope = self._new_scope(b.name)
            for p in b.params:
                if p.default is not None:
                    self._expr(p.default, None)
                scope.values[p.name] = self._define(scope, PARAM, p.name, p.span, p)
            self._body(b.body, scope)
        for m in module.models:
            self._define_global(MODEL, m)
            self._model(m)

    def _define_global(self, kind: str, item) -> None:
        """Record a top-level definition of the main file: the one `globals` holds, or a second one (E202)."""
        d = self.globals.get(item.name)
        if d is None or d.node is not item:
            d = Definition(kind, item.name, item.name_span, self._path, item)
        self.definitions.append(d)
        self._occur(item.name, item.name_span, d, kind, item)

    def _model(self, m: ast.ModelDef) -> _Scope:
        scope = self._new_scope(m.name)
        if m.extends is not None:
            parent, span = m.extends
            pdef = self.globals.get(parent)
            self._occur(parent, span, pdef if pdef and pdef.kind == MODEL else None, MODEL, m)
            if pdef is not None and pdef.kind == MODEL and parent not in self._extending:
                scope.tensors.update(self._parent_scope(pdef).tensors)
                scope.layers.update(self._parent_scope(pdef).layers)
        self._body(m.body, scope)
        return scope

    def _parent_scope(self, pdef: Definition) -> _Scope:
        """The bindings at the end of a parent model's body (`extends`), walked without recording."""
        if pdef.name not in self._defined_models:
            saved = self._record, self._path
            self._record, self._path = False, pdef.path
            self._extending.append(pdef.name)
            try:
                self._defined_models[pdef.name] = self._model(pdef.node)
            finally:
                self._extending.pop()
                self._record, self._path = saved
        return self._defined_models[pdef.name]

    def _body(self, stmts, scope: _Scope) -> None:
        for s in stmts:
            getattr(self, "_stmt_" + type(s).__name__)(s, scope)

    def _stmt_InputStmt(self, s: ast.InputStmt, scope: _Scope) -> None:
        if s.shape is not None:
            self._expr(s.shape, scope)
        scope.tensors[s.name] = self._define(scope, TENSOR, s.name, s.name_span, s)

    def _stmt_LayerStmt(self, s: ast.LayerStmt, scope: _Scope) -> None:
        self._call(s.call, scope)
        scope.layers[s.name] = self._define(scope, LAYER, s.name, s.name_span, s)

    def _stmt_OutputStmt(self, s: ast.OutputStmt, scope: _Scope) -> None:
        if s.chain is None:
            self._occur(s.name, s.name_span, scope.tensors.get(s.name), TENSOR, s)
            return
        self._chain(s.chain, scope)
        scope.tensors[s.name] = self._define(scope, TENSOR, s.name, s.name_span, s)

    def _stmt_BindStmt(self, s: ast.BindStmt, scope: _Scope) -> None:
        self._chain(s.chain, scope)
        for i, (name, span) in enumerate(s.targets):
            scope.tensors[name] = self._define(scope, TENSOR, name, span, s, target=i)

    def _stmt_SettingsStmt(self, s: ast.SettingsStmt, scope: _Scope) -> None:
        for setting in s.settings:
            self._expr(setting.value, scope)

    def _stmt_RepeatStmt(self, s: ast.RepeatStmt, scope: _Scope) -> None:
        self._expr(s.count, scope)
        saved = dict(scope.values)
        if s.index is not None:
            name, span = s.index
            scope.values[name] = self._define(scope, INDEX, name, span, s)
        self._body(s.body, scope)
        scope.values = saved

    def _stmt_IfStmt(self, s: ast.IfStmt, scope: _Scope) -> None:
        # Both branches are indexed: an editor shows every definition, whichever branch a build takes.
        self._expr(s.cond, scope)
        self._body(s.body, scope)
        self._body(s.orelse, scope)

    def _chain(self, c: ast.Chain, scope: _Scope, outer: Optional[ast.Chain] = None, slot: int = 0) -> None:
        """Walk a chain; `outer`/`slot`: the chain whose first step takes this one's tensor, and as which input."""
        src = c.source
        first, slot = (c, 0) if c.steps else (outer, slot)
        if isinstance(src, ast.Chain):
            self._chain(src, scope, first, slot)
        elif isinstance(src, ast.TupleSource):
            for j, item in enumerate(src.items):
                self._chain(item, scope, c if c.steps else None, j)
        else:
            self._source(src, scope, first, slot)
        for step in c.steps:
            if isinstance(step, ast.StepName):
                d = scope.layers.get(step.name) or self.globals.get(step.name)
                if d is not None and d.kind in (LAYER, BLOCK, MODEL):
                    self._occur(step.name, step.span, d, d.kind, step)
                else:
                    self._occur(step.name, step.span, None, LAYER_TYPE if L.known_layer(step.name) else TENSOR,
                                step)
            else:
                self._call(step, scope)

    def _source(self, src, scope: _Scope, first: Optional[ast.Chain], slot: int) -> None:
        """A chain's start: a tensor name, or an expression over tensors (`x + 3.0`, `x[:, 0]`, `ops.arange(8)`)."""
        if isinstance(src, ast.NameSource):
            self._occur(src.name, src.span, scope.tensors.get(src.name), TENSOR, src, first, slot)
        elif isinstance(src, ast.Chain):  # a parenthesised chain as an operand: `(x -> Dense(4)) + x`
            self._chain(src, scope)
        elif isinstance(src, ast.TupleSource):
            for item in src.items:
                self._chain(item, scope)
        elif isinstance(src, ast.TensorOp):
            self._source(src.left, scope, None, 0)
            self._source(src.right, scope, None, 0)
        elif isinstance(src, ast.TensorNeg):
            self._source(src.operand, scope, None, 0)
        elif isinstance(src, ast.Subscript):
            self._source(src.target, scope, None, 0)
            for item in src.items:
                parts = (item.start, item.stop, item.step) if isinstance(item, ast.SliceItem) else (item,)
                for part in parts:
                    if part is not None and not isinstance(part, ast.EllipsisItem):
                        self._expr(part, scope)
        elif isinstance(src, ast.OpCall):
            for e in [*src.args, *(kw.value for kw in src.kwargs)]:
                self._expr(e, scope)
        else:  # a number operand
            self._expr(src, scope)

    def _call(self, call: ast.Call, scope: Optional[_Scope]) -> None:
        d = self.globals.get(call.name)
        if d is not None and d.kind in (BLOCK, MODEL):  # a model takes `trainable=`: `backbone(trainable=False)`
            self._occur(call.name, call.name_span, d, d.kind, call)
        else:
            self._occur(call.name, call.name_span, None, LAYER_TYPE, call)
        for a in call.args:
            self._expr(a, scope)
        for kw in call.kwargs:
            self._expr(kw.value, scope)

    def _expr(self, e, scope: Optional[_Scope]) -> None:
        if isinstance(e, ast.Ref):
            d = None
            if scope is not None:
                d = scope.values.get(e.name) or scope.tensors.get(e.name)
            d = d or self.globals.get(e.name)
            self._occur(e.name, e.span, d, d.kind if d else CONST, e)
        elif isinstance(e, ast.Call):
            self._call(e, scope)
        elif isinstance(e, ast.BinOp):
            self._expr(e.left, scope)
            self._expr(e.right, scope)
        elif isinstance(e, ast.Neg):
            self._expr(e.operand, scope)
        elif isinstance(e, ast.Index):
            self._expr(e.target, scope)
            self._expr(e.index, scope)
        elif isinstance(e, (ast.TupleExpr, ast.ListExpr)):
            for item in e.items:
                self._expr(item, scope)
        elif isinstance(e, ast.DictExpr):
            for v in e.values:
                self._expr(v, scope)


def _contains(span: Span, line: int, col: int) -> bool:
    """True if the 1-based (line, col) is inside `span` (end exclusive)."""
    return (span.line, span.col) <= (line, col) < (span.end_line, span.end_col)
