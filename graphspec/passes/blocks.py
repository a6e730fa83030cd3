"""Block uses: binding a block's arguments, then expanding its body in a frame of its own."""

from __future__ import annotations

from graphspec.diagnostics import codes
from graphspec.diagnostics.diagnostic import Label
from graphspec.limits import MAX_EXPANSION_DEPTH
from graphspec.passes.frame import Binding, Frame, counted
from graphspec.passes.values import contains_invalid, read_names
from graphspec.source import Span
from graphspec.suggest import did_you_mean
from graphspec.syntax import ast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional

__all__ = ["BlockExpansion"]


_UNSET = object()
_NO_NAMES = frozenset()


class _Parts:
    """A block definition as its uses read it (the `input` lines, the other statements, whether
    an `output` is written anywhere in the body, the parameters by name): found once per model
    rather than at each of its uses (one check of each seed and zoo spec: 514 uses of 28 blocks)."""

    __slots__ = ("block", "inputs", "statements", "has_outputs", "params", "constant", "defaults")

    def __init__(self, block: ast.BlockDef):
        self.block = block  # kept alive: the cache is keyed by its id
        self.inputs = [s for s in block.body if isinstance(s, ast.InputStmt)]
        self.statements = [s for s in block.body if not isinstance(s, ast.InputStmt)]
        self.has_outputs = any(isinstance(s, ast.OutputStmt) for s in ast.walk_stmts(block.body))
        self.params = {p.name: p for p in block.params}
        # A default that reads no name (`strides=1`) has one value for every use: evaluated at the first
        # use, not at each (a Frame and an evaluator each; conv_bn is used 94 times in inception_v3).
        self.constant = {p.name for p in block.params if p.default is not None and read_names(p.default) == _NO_NAMES}
        self.defaults: Dict[str, object] = {}  # the constant defaults evaluated without a problem


class BlockExpansion:
    """Block uses (a ModelExpander part: it expands the body with `statements` and keeps
    `block_counts`, `scope` and `frozen` while a use is open)."""

    def expand_block(self, frame: Frame, block: ast.BlockDef, call: Optional[ast.Call], inputs: List[int],
                     span: Span, target: str) -> Optional[List[int]]:
        """Expand one use of `block` on `inputs`: its output tensors, or None (reported)."""
        if block.name in frame.blocks:
            chain = " -> ".join(frame.blocks[frame.blocks.index(block.name):] + (block.name,))
            self.diags.error(codes.E205, f"block `{block.name}` uses itself: {chain}", span, label="recursive use",
                             help="a block cannot expand into itself; to stack it, repeat it in the model: "
                                  f"`repeat 3 {{ h = h -> {block.name}(...) }}`")
            return None
        models = len(self.checker.building) - 1  # models this one is nested in: their expansions are open too
        if models + self.checker.open_blocks >= MAX_EXPANSION_DEPTH:
            what = "blocks and models" if models else "blocks"
            self.diags.error(codes.E205, f"{what} nested more than {MAX_EXPANSION_DEPTH} deep", span)
            return None
        budget = self.globals.budget
        if not budget.fits(budget.block_cost(block.name)):
            self.too_many_steps(span, f"block `{block.name}` expands to")
        budget.spend()
        # `trainable=` freezes every layer of the expansion, unless the block declares such a parameter.
        parts = self.block_parts(block)
        freeze = None
        if call is not None and call.kwargs and "trainable" not in parts.params:
            freeze = next((kw for kw in call.kwargs if kw.name == "trainable"), None)
        values = self.block_args(frame, block, call, span, skip=freeze)
        trainable = True if freeze is None else self.trainable_flag(frame, freeze)
        if values is None or trainable is None:
            return None
        block_inputs = parts.inputs
        if len(inputs) != len(block_inputs):
            names = ", ".join(s.name for s in block_inputs) or "none"
            self.diags.error(codes.E211, f"block `{block.name}` takes {counted(len(block_inputs), 'tensor')} ({names}); "
                                     f"received {len(inputs)}", span, label="wrong number of tensors",
                             help="the tensors before `->` fill the block's `input` lines in order")
            return None
        # Expansions are numbered per enclosing scope: residual, residual_2, residual_2_conv_bn, ...
        n = self.block_counts.get((frame.prefix, block.name), 0) + 1
        self.block_counts[(frame.prefix, block.name)] = n
        instance = f"{frame.prefix}{block.name}{'' if n == 1 else '_%d' % n}"
        prefix = instance + "_"
        inner = Frame(prefix=prefix, values=values, blocks=frame.blocks + (block.name,), is_model=False,
                      origins=self.block_origins)
        self.diags.next_instance()
        outer_scope, outer_frozen = self.scope, self.frozen
        self.scope = outer_scope + ((instance, block.name),)
        if not trainable and outer_frozen is None:
            self.frozen = span
        self.checker.open_blocks += 1
        self.diags.call_sites.append(Label(span, f"in this use of block `{block.name}`"))
        try:
            return self._expand_body(block, parts, inner, inputs)
        finally:
            self.diags.call_sites.pop()
            self.checker.open_blocks -= 1
            self.scope, self.frozen = outer_scope, outer_frozen

    def block_parts(self, block: ast.BlockDef) -> _Parts:
        """What every use of `block` reads of its definition, found at its first use in the model."""
        parts = self._block_parts.get(id(block))
        if parts is None:
            parts = self._block_parts[id(block)] = _Parts(block)
        return parts

    def _expand_body(self, block: ast.BlockDef, parts: _Parts, inner: Frame, inputs) -> Optional[List[int]]:
        for stmt, tensor in zip(parts.inputs, inputs):
            inner.tensors[stmt.name] = Binding(tensor, stmt.name_span)
            if stmt.shape is not None:
                self.diags.error(codes.E209, f"block input `{stmt.name}` takes its shape from the tensor it receives",
                                 stmt.shape.span, label="no shape here", help=f"write `input {stmt.name}`")
        self.statements(inner, parts.statements)
        has_outputs = parts.has_outputs
        if has_outputs:  # else every binding is unused, and E505 says why
            self.finish_bindings(inner)
        if not inner.outputs:
            if not has_outputs:
                self.diags.error(codes.E505, f"block `{block.name}` has no outputs", block.name_span,
                                 label="no `output` line", help=self.no_output_help(inner))
            return None
        return [t for _, t, _ in inner.outputs]

    def block_args(self, frame: Frame, block: ast.BlockDef, call: Optional[ast.Call], span: Span, skip=None):
        """The values of a block use's parameters (arguments, then defaults), or None (reported)."""
        parts = self.block_parts(block)
        params = parts.params
        values: Dict[str, object] = {}
        ok = True
        args = call.args if call else []
        kwargs = [kw for kw in call.kwargs if kw is not skip] if call else []
        if len(args) > len(block.params):
            self.diags.error(codes.E211, f"block `{block.name}` takes {counted(len(block.params), 'argument')} "
                                     f"({self.param_list(block)}); received {len(args)}",
                             args[len(block.params)].span, label="too many",
                             help="remove the extra argument" if len(args) == len(block.params) + 1
                             else "remove the extra arguments")
            ok = False
        origins = self.block_origins = {}
        ev = self.evaluator(frame) if args or kwargs else None
        for p, a in zip(block.params, args):
            self.set_reads = set()
            values[p.name] = ev.eval(a)
            origins[p.name] = frozenset(self.set_reads)
        for kw in kwargs:
            if kw.name not in params:
                self.diags.error(codes.E211, f"block `{block.name}` has no parameter `{kw.name}`", kw.name_span,
                                 label="unknown parameter",
                                 help=did_you_mean(kw.name, params) or f"its parameters: {self.param_list(block)}")
                ok = False
                continue
            if kw.name in values:
                self.diags.error(codes.E304, f"block `{block.name}` got multiple values for argument `{kw.name}`",
                                 kw.name_span, label="given again", help=f"remove one of the values for `{kw.name}`")
                ok = False
                continue
            self.set_reads = set()
            values[kw.name] = ev.eval(kw.value)
            origins[kw.name] = frozenset(self.set_reads)
        for p in block.params:
            if p.name in values:
                continue
            if p.default is None:
                self.diags.error(codes.E211, f"block `{block.name}` needs an argument for `{p.name}`", span,
                                 label="missing argument", help=f"pass it: `{block.name}({p.name}=...)`")
                ok = False
                continue
            value = parts.defaults.get(p.name, _UNSET)
            if value is _UNSET:
                # Defaults see the block's earlier parameters and the consts.
                errors, scope = self.diags.error_count, Frame(prefix="", values=dict(values))
                value = self.evaluator(scope).eval(p.default)
                if p.name in parts.constant and self.diags.error_count == errors:
                    parts.defaults[p.name] = value
            values[p.name] = value
        if not ok:
            return None
        for v in values.values():
            if contains_invalid(v):
                return None
        return values

    @staticmethod
    def param_list(block: ast.BlockDef) -> str:
        """The block's parameter names, for messages: `width, rate`, or `none`."""
        return ", ".join(p.name for p in block.params) or "none"
