"""Call-time arguments of layer steps: `LSTM(64)(initial_state=(h, c))`, `Dropout(0.5)(training=True)`.

The arguments Keras takes when a layer is *called* (graphspec.catalog.calls) are written in a
second parenthesis, keyword-only; tensors in them are names bound in scope and become
graph.TensorRef values in the node's `arguments`. A call-time argument written among the
constructor's arguments (or the reverse) is reported with the right spelling.
"""

from __future__ import annotations

from graphspec import graph as g
from graphspec.catalog import calls, signatures
from graphspec.diagnostics import codes
from graphspec.passes import layers as L
from graphspec.passes.values import INVALID, contains_invalid, describe
from graphspec.suggest import did_you_mean
from graphspec.syntax import ast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional

_TENSOR_KINDS = (calls.TENSOR, calls.TENSORS)


def _constructor_params(layer_type: str) -> List[str]:
    sig = signatures.layer_signature(layer_type)
    return [p.name for p in sig.params] + list(sig.forwarded) if sig is not None else []


_CALL_ONLY: dict = {}  # layer type -> its call-time keywords that are not constructor arguments (catalogue data)


def _call_only(layer_type: str) -> frozenset:
    """The call-time keywords of `layer_type` that its constructor does not take, found once per type:
    every layer call with keywords is checked for them (listing the constructor's parameters each time
    was most of the cost)."""
    names = _CALL_ONLY.get(layer_type)
    if names is None:
        names = _CALL_ONLY[layer_type] = frozenset(calls.call_params(layer_type)) - set(_constructor_params(layer_type))
    return names


def _flat(e) -> str:
    """An argument expression on one line, for a hint: the formatter's spelling (syntax/format.py, imported
    only when a hint is written; a node it cannot print yet is `...`)."""
    from graphspec.syntax.format import FormatError, flat_expr

    try:
        return flat_expr(e)
    except FormatError:
        return "..."


class CallArguments:
    """Reading and checking call-time arguments for one model's expansion (`ex`: its ModelExpander)."""

    def __init__(self, ex):
        self.ex = ex

    def constructor_ok(self, call: ast.Call, canonical: str) -> bool:
        """False (reported) when a constructor argument of layer `canonical` is one of its call-time arguments."""
        if not call.kwargs:
            return True
        call_only = _call_only(canonical)
        if not call_only:
            return True
        ok = True
        for kw in call.kwargs:
            if kw.name in call_only:
                params = calls.call_params(canonical)
                ctor = _flat(ast.Call(call.name, call.name_span, call.args,
                                      [k for k in call.kwargs if k.name not in params], call.span))
                self.ex.diags.error(codes.E301, f"`{kw.name}` is an argument of calling {call.name}, not of making it",
                                    kw.name_span, label="a call-time argument",
                                    help=f"write it in a second parenthesis: `{ctor}({kw.name}={_flat(kw.value)})`")
                ok = False
        return ok

    def read(self, frame, lid: int, kwargs: List[ast.Kwarg], positional: List[ast.Expr], step) -> Optional[dict]:
        """The `arguments` of a node calling layer `lid`, tensors as TensorRefs; None if reported."""
        ex = self.ex
        layer = ex.graph.layers[lid]
        if positional:
            first = positional[0]
            name = step.name if isinstance(step, ast.Call) and step.call_args is None else _flat(
                ast.Call(step.name, step.name_span, step.args, step.kwargs, step.span))
            ex.diags.error(codes.E402, f"{layer.type} receives its tensors through `->`, not in parentheses",
                           first.span, label="a positional argument",
                           help=f"tensors come in through `->`: write `{_flat(first)} -> {name}`; the second "
                                "parenthesis takes call-time keywords only, e.g. `(training=True)`")
            return None
        params = calls.call_params(layer.type)
        out = {}
        ok = True
        for kw in kwargs:
            param = params.get(kw.name)
            if param is None:
                if kw.name in _constructor_params(layer.type):
                    ctor = (_flat(ast.Call(step.name, step.name_span, step.args, [*step.kwargs, kw], step.span))
                            if step.call_args is not None else f"{layer.type}(..., {kw.name}={_flat(kw.value)})")
                    ex.diags.error(codes.E301, f"`{kw.name}` is an argument of making {layer.type}, not of calling it",
                                   kw.name_span, label="a constructor argument",
                                   help=f"write it in the first parenthesis: `{ctor}`")
                else:
                    ex.diags.error(codes.E301, f"{layer.type} takes no call-time argument `{kw.name}`", kw.name_span,
                                   label="unknown call argument",
                                   help=did_you_mean(kw.name, list(params))
                                   or (f"its call-time arguments: {', '.join(params)}" if params
                                       else f"{layer.type} takes no call-time arguments"))
                ok = False
                continue
            if kw.name in out:
                ex.diags.error(codes.E304, f"call-time argument `{kw.name}` is given twice", kw.name_span,
                               label="given again")
                ok = False
                continue
            value = self.value(frame, kw, param)
            if value is INVALID:
                ok = False
                continue
            out[kw.name] = value
        return out if ok else None

    def value(self, frame, kw: ast.Kwarg, param):
        """One argument's value: TensorRef(s) for a tensor parameter, else a literal."""
        ex = self.ex
        expr = kw.value
        if param.kind in _TENSOR_KINDS:
            items = expr.items if isinstance(expr, (ast.TupleExpr, ast.ListExpr)) else [expr]
            if param.kind == calls.TENSOR and len(items) != 1:
                ex.diags.error(codes.E302, f"`{kw.name}` takes one tensor; received {len(items)}", expr.span,
                               label="not one tensor", help=f"write `{kw.name}=t` with a tensor bound earlier")
                return INVALID
            refs = []
            for item in items:
                binding = frame.tensors.get(item.name) if isinstance(item, ast.Ref) else None
                if binding is None:
                    ex.diags.error(codes.E201 if isinstance(item, ast.Ref) else codes.E302,
                                   f"unknown tensor `{item.name}`" if isinstance(item, ast.Ref)
                                   else f"`{kw.name}` takes tensors by name; received `{_flat(item)}`",
                                   item.span, label="not a tensor",
                                   help=(did_you_mean(item.name, frame.tensors) if isinstance(item, ast.Ref) else None)
                                   or "bind the tensor to a name first, then pass the name")
                    return INVALID
                binding.used = True
                if ex.graph.tensors[binding.tensor].shape is None:
                    ex.diags.failed()
                    return INVALID
                refs.append(g.TensorRef(binding.tensor))
            if param.kind == calls.TENSOR:
                return refs[0]
            return tuple(refs) if isinstance(expr, ast.TupleExpr) or len(refs) != 1 else (refs[0],)
        value = ex.evaluator(frame).eval(expr)
        if value is INVALID or contains_invalid(value):
            return INVALID
        if param.kind == calls.FLAG and not isinstance(value, bool) and value is not None:
            ex.diags.error(codes.E302, f"`{kw.name}` takes True or False; received {describe(value)}", expr.span,
                           label="not a flag")
            return INVALID
        return value

    def outputs(self, layer, spec, shapes, result, arguments: dict):
        """The layer's output shapes after its call with `arguments` (catalog.calls.apply_call)."""
        tensors = self.ex.graph.tensors
        shaped = {k: _shapes(v, tensors) for k, v in arguments.items()}
        outs = result if isinstance(result, list) else [result]
        got = calls.apply_call(layer.type, spec.full, shapes, list(outs), shaped)
        return got if len(got) != 1 or isinstance(result, list) else got[0]


def _shapes(value, tensors):
    if isinstance(value, g.TensorRef):
        return tuple(tensors[value.tensor].shape)
    if isinstance(value, tuple):
        return [_shapes(v, tensors) for v in value]
    return value
