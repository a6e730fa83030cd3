"""Tensor expressions and keras.ops steps: `x + y`, `x * 0.5`, `x[:, 0]`, `x -> ops.mean(axis=1)`.

Each operator or op application becomes a layer record of kind "op" (type = the op's name in
graphspec.catalog.ops, config = its bound non-tensor arguments, plus the number operands of an
operator under their tensor parameter's name) called by one node of call convention "op". Shapes
and dtypes come from the op's catalogue entry, and errors are located at the operator.
"""

from __future__ import annotations

from graphspec import graph as g
from graphspec.catalog import ops
from graphspec.catalog.base import ArgError, ShapeError
from graphspec.diagnostics import codes
from graphspec.limits import MAX_INT
from graphspec.passes.values import INVALID, contains_invalid, describe
from graphspec.source import Span
from graphspec.syntax import ast
from graphspec.text import shape_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional, Tuple

TENSOR, NUMBER = "tensor", "number"
if TYPE_CHECKING:
    Operand = Tuple[str, object]  # (TENSOR, tensor id) or (NUMBER, int or float)

EXPRESSIONS = (ast.Literal, ast.TensorOp, ast.TensorNeg, ast.Subscript, ast.OpCall)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class TensorExpressions:
    """The expression half of one model's expansion; `ex` is its graphspec.passes.expand.ModelExpander."""

    def __init__(self, ex):
        self.ex = ex

    # ------------------------------------------------------------ sources
    def source(self, frame, src, target: str) -> Optional[List[int]]:
        """The tensors of a chain source that is an expression (see EXPRESSIONS)."""
        got = self.operand(frame, src, target)
        if got is None:
            return None
        kind, value = got
        if kind == NUMBER:
            self.ex.diags.error(codes.E209, f"a chain starts from a tensor; received the number {describe(value)}",
                                src.span, label="not a tensor",
                                help="a number may appear inside an expression with a tensor, e.g. `x * 0.5`; "
                                     "for a value, use `const`")
            return None
        return [value]

    def operand(self, frame, src, target: str) -> Optional[Operand]:
        """One operand of an operator: a tensor, or a number (a literal, const or block parameter)."""
        ex = self.ex
        if isinstance(src, ast.Literal):
            if not _is_number(src.value):
                ex.diags.error(codes.E209, f"an operator takes tensors and numbers; received {describe(src.value)}",
                               src.span, label="not a tensor or number")
                return None
            value = ex.evaluator(frame).eval(src)
            return None if value is INVALID else (NUMBER, value)
        if isinstance(src, ast.NameSource) and src.name not in frame.tensors:
            if src.name in frame.values or src.name in ex.globals.consts:
                value = ex.evaluator(frame).eval(ast.Ref(src.name, src.span))
                if value is INVALID or contains_invalid(value):
                    return None
                if not _is_number(value):
                    ex.diags.error(codes.E209, f"`{src.name}` is {describe(value)}, neither a tensor nor a number",
                                   src.span, label="not a tensor or number")
                    return None
                return NUMBER, value
        if isinstance(src, ast.TensorNeg):
            inner = self.operand(frame, src.operand, target)
            if inner is None:
                return None
            if inner[0] == NUMBER:
                return NUMBER, -inner[1]
            return self.apply("negative", [inner], {}, src.span, target)
        if isinstance(src, ast.TensorOp):
            left = self.operand(frame, src.left, target)
            right = self.operand(frame, src.right, target)
            if left is None or right is None:
                return None
            if left[0] == NUMBER and right[0] == NUMBER:  # `x * (1.0 / 6.0)`: plain arithmetic
                value = self.fold(frame, src, left[1], right[1])
                return None if value is INVALID else (NUMBER, value)
            return self.apply(ops.OPERATORS[src.op], [left, right], {}, src.span, target)
        if isinstance(src, ast.Subscript):
            return self.subscript(frame, src, target)
        if isinstance(src, ast.OpCall):
            tensors = self.op_call(frame, src, [], target)
            return None if tensors is None else (TENSOR, tensors[0])
        tensors = ex.source(frame, src, target)
        if tensors is None:
            return None
        if len(tensors) != 1:
            ex.diags.error(codes.E402, f"an operator takes one tensor on each side; this gives {len(tensors)}",
                           src.span, label=f"{len(tensors)} tensors",
                           help="merge them first, e.g. `((a, b) -> Concatenate()) + c`")
            return None
        return TENSOR, tensors[0]

    def fold(self, frame, src: ast.TensorOp, a, b):
        """Two numbers under an operator: computed as values are (the same checks and limits)."""
        if src.op in ("+", "-", "*", "/", "//", "%"):
            return self.ex.evaluator(frame).eval(ast.BinOp(src.op, ast.Literal(a, src.left.span),
                                                           ast.Literal(b, src.right.span), src.span))
        try:
            value = a ** b if src.op == "**" else None
        except (OverflowError, ZeroDivisionError):
            value = None
        if not _is_number(value) or abs(value) > MAX_INT:
            self.ex.diags.error(codes.E250, f"`{src.op}` of these numbers has no value a spec can hold", src.span,
                                label="not a number" if src.op == "@" else "out of range")
            return INVALID
        return value

    def subscript(self, frame, src: ast.Subscript, target: str) -> Optional[Operand]:
        base = self.operand(frame, src.target, target)
        ev = self.ex.evaluator(frame)
        key = []
        ok = True
        for item in src.items:
            if isinstance(item, ast.EllipsisItem):
                key.append(Ellipsis)
            elif isinstance(item, ast.SliceItem):
                parts = [None if p is None else ev.eval(p) for p in (item.start, item.stop, item.step)]
                for part, expr in zip(parts, (item.start, item.stop, item.step)):
                    if part is INVALID:
                        ok = False
                    elif part is not None and (not isinstance(part, int) or isinstance(part, bool)):
                        self.ex.diags.error(codes.E250, f"a slice bound must be an integer or empty; received "
                                                    f"{describe(part)}", expr.span, label="not an integer")
                        ok = False
                if parts[2] == 0:
                    self.ex.diags.error(codes.E250, "a slice step cannot be zero", item.step.span, label="step 0")
                    ok = False
                key.append(slice(*parts))
            else:
                value = ev.eval(item)
                if value is INVALID:
                    ok = False
                elif value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                    self.ex.diags.error(codes.E250, f"an index must be an integer, a slice, `...` or None; received "
                                                f"{describe(value)}", item.span, label="not an index")
                    ok = False
                key.append(value)
        if base is None or not ok:
            return None
        if base[0] == NUMBER:
            self.ex.diags.error(codes.E209, "only a tensor can be indexed", src.target.span, label="a number")
            return None
        return self.apply("getitem", [base], {"key": tuple(key)}, src.span, "")

    # ------------------------------------------------------------ ops as steps
    def op_call(self, frame, call: ast.OpCall, inputs: List[int], target: str) -> Optional[List[int]]:
        """`-> ops.NAME(...)` on `inputs` (none when the op starts a chain)."""
        ex = self.ex
        entry = ops.get(call.name)
        if entry is None or call.name in ops.OPERATORS.values() and call.name == "getitem":
            ex.diags.error(codes.E201, f"unknown op `ops.{call.name}`", call.name_span,
                           label="not in the ops catalogue",
                           help=(f"did you mean `ops.{ops.suggest(call.name)}`?" if ops.suggest(call.name) else None)
                           or "the ops a spec may call are listed in docs/language.md (\"Expressions, ops and "
                              "call arguments\")")
            return None
        ev = ex.evaluator(frame)
        args = tuple(ev.eval(a) for a in call.args)
        kwargs = tuple((k.name, ev.eval(k.value)) for k in call.kwargs)
        if contains_invalid(args) or any(contains_invalid(v) for _, v in kwargs):
            return None
        try:
            config = ops.bind(call.name, args, kwargs)
        except ArgError as err:
            ex.diags.error(err.code or codes.E302, err.message, self._arg_span(call, err.param), label="here",
                           help=err.help)
            return None
        n, want = len(inputs), len(entry.tensors)
        if not entry.variadic and n != want:
            names = ", ".join(entry.tensors)
            if want == 0:
                message, help_ = (f"`ops.{call.name}` takes no tensor; it starts a chain",
                                  f"write `t = ops.{call.name}(...)` on its own")
            else:
                message = (f"`ops.{call.name}` takes {want} tensor{'s' if want != 1 else ''} ({names}); "
                           f"received {n}")
                help_ = (f"pass them as a tuple: `({names}) -> ops.{call.name}(...)`" if want > 1
                         else f"one tensor: `x -> ops.{call.name}(...)`")
            ex.diags.error(codes.E402, message, call.span, label=f"{n} tensor{'s' if n != 1 else ''}", help=help_)
            return None
        if entry.variadic and n == 0:
            ex.diags.error(codes.E402, f"`ops.{call.name}` takes a tuple of tensors; received none", call.span,
                           help=f"`(a, b) -> ops.{call.name}(...)`")
            return None
        got = self.apply(call.name, [(TENSOR, t) for t in inputs], config, call.span, target, all_outputs=True)
        return None if got is None else got[1]

    @staticmethod
    def _arg_span(call: ast.OpCall, param: str) -> Span:
        for kw in call.kwargs:
            if kw.name == param:
                return kw.name_span
        return call.span

    # ------------------------------------------------------------ applying an op
    def apply(self, name: str, operands: List[Operand], config: dict, span: Span, target: str,
              all_outputs: bool = False):
        """Apply op `name`: a new "op" layer and its node; (TENSOR, first output) (or (TENSOR, all
        outputs) with all_outputs), None when the shapes do not fit (reported at `span`)."""
        ex = self.ex
        entry = ops.get(name)
        graph = ex.graph
        shapes, dtypes, inputs = [], [], []
        full = dict(config)
        params = entry.tensors if not entry.variadic else entry.tensors * max(1, len(operands))
        for pname, (kind, value) in zip(params, operands):
            if kind == NUMBER:
                shapes.append(())
                dtypes.append("int" if isinstance(value, int) else "float")
                full[pname] = value
            else:
                t = graph.tensors[value]
                if t.shape is None:
                    return None
                shapes.append(tuple(t.shape))
                dtypes.append(t.dtype)
                inputs.append(value)
        try:
            result = entry.shape(dict(config), shapes)
            dtype = entry.dtype(dict(config), dtypes)
        except (ShapeError, ArgError) as err:
            shown = [shape_text(s) for s in shapes if s != ()]
            notes = [] if all(s in err.message for s in shown) else [f"input shapes: {', '.join(shown)}"]
            ex.diags.error(getattr(err, "code", None) or codes.E401, err.message, span, label="fails here",
                           help=err.help, notes=notes)
            return None
        ex.count_node(span)
        outs = result if isinstance(result, list) else [result]
        dts = dtype if isinstance(dtype, list) else [dtype] * len(outs)
        lid = len(graph.layers)
        graph.layers.append(g.Layer(lid, ex.names.allocate(name), name, "op", full, span, params=(0, 0),
                                    origin=target, uses=1, scope=ex.scope))
        node_id = len(graph.nodes)
        out_ids = [ex.new_tensor(tuple(s), d, node_id, i, span=span) for i, (s, d) in enumerate(zip(outs, dts))]
        graph.nodes.append(g.Node(node_id, lid, inputs, out_ids, "op", span))
        return TENSOR, (out_ids if all_outputs else out_ids[0])


def tensor_inputs(entry, config: dict, inputs: list) -> list:
    """The op's tensor arguments in order: the node's tensors, with an operator's number operands
    (kept in the config under their parameter's name) in their places. Shared by the IR verifier
    and the backends, so that they read an "op" layer the same way."""
    out, it = [], iter(inputs)
    if entry.variadic:
        return list(inputs)
    for pname in entry.tensors:
        out.append(config[pname] if pname in config else next(it, None))
    return out


def op_config(entry, config: dict) -> dict:
    """An "op" layer's config without the number operands: the op's own arguments."""
    if entry.variadic:
        return dict(config)
    return {k: v for k, v in config.items() if k not in entry.tensors}
