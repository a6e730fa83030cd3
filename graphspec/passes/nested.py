"""Models used as steps of another model: one shared Keras object per model, its `trainable`
flag, and the nesting depth limit."""

from __future__ import annotations

from graphspec import graph as g
from graphspec.catalog.base import LIST, SINGLE
from graphspec.diagnostics import codes
from graphspec.limits import MAX_EXPANSION_DEPTH
from graphspec.passes.frame import Frame, counted, fmt_shape
from graphspec.passes.values import INVALID, contains_invalid, describe
from graphspec.source import Span
from graphspec.syntax import ast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional

__all__ = ["NestedModels"]


class NestedModels:
    """A model used as a step (a ModelExpander part: it reads `checker`, `graph`, `diags`,
    `names`, `frozen`, `model_layers`, `model_uses`)."""

    @staticmethod
    def model_call_ok(step: ast.Call) -> bool:
        """True for `model(trainable=...)`: the one argument a model used as a step takes."""
        return (not step.args and step.call_args is None and len(step.kwargs) <= 1
                and all(kw.name == "trainable" for kw in step.kwargs))

    def trainable_flag(self, frame: Frame, kw) -> Optional[bool]:
        """The value of `trainable=` on a model or block use: True or False; else reported, None."""
        value = self.evaluator(frame).eval(kw.value)
        if value is INVALID or contains_invalid(value):
            return None
        if not isinstance(value, bool):
            self.diags.error(codes.E302, f"`trainable` takes True or False; received {describe(value)}", kw.value.span,
                             label="not a bool", help="write `trainable=False` to freeze it")
            return None
        return value

    def apply_model(self, name: str, inputs: List[int], span: Span, trainable: bool = True) -> Optional[List[int]]:
        """Apply model `name` (one shared layer per model) to `inputs`: its output tensors, or None."""
        sub = self.checker.graph(name, span)
        if sub is None:
            self.diags.failed()  # the nested model's errors are reported once, where it is defined
            return None
        depth = self.model_depth(name, sub)
        if len(self.checker.building) + depth > MAX_EXPANSION_DEPTH:
            # Models defined inner-first are each checked on a shallow stack, so the nesting is
            # measured here, on the graphs: the backends build nested models recursively.
            self.diags.error(codes.E206, f"models nested more than {MAX_EXPANSION_DEPTH} deep: `{name}` already holds "
                                     f"{depth} levels of models", span, label="too deep",
                             help="a model used as a layer may itself use models, up to this depth; flatten the "
                                  "hierarchy with blocks")
            return None
        if len(inputs) != len(sub.inputs):
            names = ", ".join(i.name for i in sub.inputs)
            self.diags.error(codes.E402, f"model `{name}` takes {counted(len(sub.inputs), 'input')} ({names}); "
                                     f"received {counted(len(inputs), 'tensor')}",
                             span, label="wrong number of tensors",
                             help=f"pass one tensor per input, in order: `({names}) -> {name}`"
                             if len(sub.inputs) > 1 else f"pass one tensor: `x -> {name}`")
            return None
        for t, inp in zip(inputs, sub.inputs):
            shape = self.graph.tensors[t].shape
            if shape is None:
                return None
            want = (None,) + inp.shape
            if len(shape) != len(want) or any(a is not None and b is not None and a != b
                                              for a, b in zip(shape, want)):
                self.diags.error(codes.E401, f"model `{name}` expects input `{inp.name}` of shape {fmt_shape(want)}; "
                                         f"received {fmt_shape(shape)}", span, label="incompatible shape",
                                 help=f"`{name}` declares `input {inp.name}: {fmt_shape(inp.shape)}`; give it a "
                                      "tensor of that shape (e.g. resize or reshape first)")
                return None
        self.count_node(span)
        config = {} if trainable and self.frozen is None else {"trainable": False}
        lid = self.model_layers.get(name)
        if lid is None:
            lid = len(self.graph.layers)
            layer = g.Layer(lid, self.names.allocate(name), "Model", "model", config, span, shared=True, model=name,
                            params=g.model_use_params(sub, config), origin=name)
            self.graph.layers.append(layer)
            self.model_layers[name] = lid
            self.model_uses[lid] = span
        layer = self.graph.layers[lid]
        if layer.config != config:
            # Every use calls the one nested model object, and an object has one `trainable` flag.
            this, first = ("frozen", "trainable") if config else ("trainable", "frozen")
            self.diags.error(codes.E214, f"model `{name}` is used {this} here and {first} at {self.model_uses[lid]}",
                             span, label=this,
                             notes=["every use of a model calls the same Keras object, which has one `trainable` flag"],
                             help=f"give every use the same flag (`{name}(trainable=False)` on each), or freeze a "
                                  f"separate model: `model frozen_{name} extends {name} {{}}`")
            return None
        layer.uses += 1
        node_id = len(self.graph.nodes)
        outs = [self.new_tensor(sub.tensors[o.tensor].shape, sub.tensors[o.tensor].dtype, node_id, i, span=span)
                for i, o in enumerate(sub.outputs)]
        self.graph.nodes.append(g.Node(node_id, lid, list(inputs), outs, LIST if len(inputs) > 1 else SINGLE,
                                       span))
        return outs

    def model_depth(self, name: str, sub: g.Graph) -> int:
        """How many levels of models checked model `name` holds, itself included. The models it
        uses were checked (and measured) before it was, so this reads their depths, no recursion."""
        depths = self.globals.budget.model_depth
        depth = depths.get(name)
        if depth is None:
            depth = depths[name] = 1 + max((depths.get(layer.model, 1) for layer in sub.layers
                                            if layer.kind == "model"), default=0)
        return depth
