"""Layer calls and their application: the checked (and cached) spec of a call, the layer it
adds, and applying a layer to tensors, which infers the output shapes and dtype."""

from __future__ import annotations

from graphspec import custom
from graphspec import graph as g
from graphspec.catalog import calls
from graphspec.catalog.base import ATTENTION, LIST, SINGLE, ArgError, ShapeError
from graphspec.catalog.dtypes_in import compute_dtype, input_dtype_problem
from graphspec.diagnostics import codes
from graphspec.limits import MAX_NODES
from graphspec.passes import layers as L
from graphspec.passes.frame import Abort, Frame, fmt_shape
from graphspec.passes.values import INVALID, code_help, contains_invalid, read_names, runs_code
from graphspec.source import Span
from graphspec.suggest import did_you_mean
from graphspec.syntax import ast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional

__all__ = ["DTYPES", "LayerApplication"]


# Layer calls checked without a problem in this process, by (name, repr of the arguments): a spec whose
# `results` remember its rules' outputs per input shapes. Its dicts are copied into each check.
_CHECKED: dict = {}
_CHECKED_LIMIT = 20_000

DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
          "bool", "string")


class _CallNode:
    """What a model's expansion knows of one layer call node (LayerApplication.layer_spec): decided by its
    name and keywords alone, once (the 1,166 layer calls of one check of each of the 16 seed and zoo
    specs come from 135 nodes); and the value of its last evaluation when that read consts only, the
    same wherever no block parameter, `repeat` index or tensor takes one of the names (967 of the
    1,166 calls: BatchNormalization(axis=bn_axis) in a block used 58 times)."""

    __slots__ = ("call", "remembered", "evaluations", "names", "value", "key", "overridden")

    def __init__(self, call: ast.Call, remembered: bool):
        self.call = call  # kept alive: the cache is keyed by its id
        self.remembered = remembered  # its checked spec may be remembered (LayerApplication.layer_type)
        # The value is kept from the second evaluation on: each node of a generated spec is evaluated
        # once, and keeping it from the first cost the 10,000-layer check 30 ms (of 150).
        self.evaluations = 0
        self.names: Optional[frozenset] = None  # what the value reads (read_names), from the second evaluation
        self.value = None  # the value, its cache key and the `--set` consts it read
        self.key = None
        self.overridden: frozenset = frozenset()

    def unshadowed(self, frame: Frame) -> bool:
        """True when every name the call reads is a const in `frame` (lookup in passes/expand.py)."""
        values, tensors = frame.values, frame.tensors
        for name in self.names:
            if name in values or name in tensors:
                return False
        return True


class LayerApplication:
    """Layer calls checked and applied (a ModelExpander part: it adds to `graph`, keeps
    `specs`, `first_shapes` and the cache of checked calls)."""

    def layer_spec(self, frame: Frame, call: ast.Call) -> Optional[L.LayerSpec]:
        """The checked spec of a layer call (sharing a cached one's config dicts), or None (reported)."""
        # What the call's name and keywords alone decide is decided once per call node that a block
        # body or a `repeat` calls again and again. A node elsewhere is met once per model, and
        # remembering each (a _CallNode and a dict entry, ~290 bytes) cost a 100,000-layer generated
        # spec 45 MB for nothing.
        again = self.scope or self.repeats
        node = self._call_nodes.get(id(call)) if again else None
        if node is None:
            kind = self.layer_type(call)
            if kind is None:
                return None
            remembered = kind[1]
            if again:
                node = self._call_nodes[id(call)] = _CallNode(call, remembered)
        else:
            remembered = node.remembered
        if node is not None and node.value is not None and node.unshadowed(frame):
            value, key = node.value, node.key  # what evaluating the call again would give
            self.set_reads = set(node.overridden)
        else:
            if node is not None:
                if node.evaluations == 1:
                    node.names = read_names(call)  # None: the value reads tensors too (`shape(x)`)
                node.evaluations += 1
            errors = self.diags.error_count if node is not None and node.names is not None else 0
            before, self.set_reads = len(self.diags.items), set()
            value = self.evaluator(frame).eval(call)
            if value is INVALID or contains_invalid(value):
                self.set_origins(before)
                return None
            # The same call written again (a chain in a `repeat`, a block used many times, the same spec
            # in another file of one `check`) validates the same way: reuse the checked spec. The key is
            # the repr of the arguments, which tells 1, 1.0 and True apart (a tuple's repr, not the
            # CallValue's: Record.__repr__ was 4% of the zoo specs' check profile).
            key = (call.name, repr((value.args, value.kwargs))) if remembered else None
            if node is not None and node.names is not None and self.diags.error_count == errors \
                    and node.unshadowed(frame):
                node.value, node.key, node.overridden = value, key, frozenset(self.set_reads)
        cached = self._layer_specs.get(key) if key is not None else None
        if cached is None and key is not None:
            cached = _CHECKED.get(key)
            if cached is not None:
                # This check's graph gets config dicts of its own: a caller may change a Program's
                # layer configs, and that must not reach later checks of the process.
                cached = self._layer_specs[key] = L.LayerSpec(cached.type, cached.kind, dict(cached.explicit),
                                                              dict(cached.full), cached.entry, None, cached.results)
        if cached is not None:
            # The spec (and its config dicts) is shared by every layer of the same call: nothing changes
            # a checked spec, and add_layer's freezing makes a spec of its own. 20,000 generated layers:
            # 10.6 MiB of dict copies saved, and 1.7 MiB of LayerSpec copies.
            return cached
        before = len(self.diags.items)
        spec = L.make_layer(call, value, self.diags)
        self.set_origins(before)
        if spec is not None and key is not None and len(self.diags.items) == before:
            spec.results = {}
            if len(_CHECKED) >= _CHECKED_LIMIT:  # a language server checks for hours: start afresh
                _CHECKED.clear()
            _CHECKED[key] = L.LayerSpec(spec.type, spec.kind, dict(spec.explicit), dict(spec.full), spec.entry,
                                        None, spec.results)
            self._layer_specs[key] = spec
        return spec

    def layer_type(self, call: ast.Call) -> Optional[tuple]:
        """(the layer type a call names, whether its checked spec may be remembered), when the name and
        the keywords can make a layer; else None (reported)."""
        kind = self._layer_types.get(call.name)
        if kind is None:  # once per name in a model: 10,000 generated layers call 4 names
            if runs_code(call.name):
                self.diags.error(codes.E210, f"`{call.name}` is not allowed: a spec never runs code", call.name_span,
                                 label="runs Python code", help=code_help(call.name))
                return None
            known = L.known_layer(call.name)
            if known is None:
                if call.name in self.globals.blocks:
                    self.diags.error(codes.E209, f"`{call.name}` is a block; a `layer` declaration needs a layer",
                                     call.name_span, help="apply the block in a chain: `x -> " + call.name + "(...)`")
                    return None
                self.diags.error(codes.E220, f"unknown layer `{call.name}`", call.name_span, label="not a Keras layer",
                                 help=L.keras_model_help(call)
                                 or did_you_mean(call.name, L.layer_names() + list(self.globals.blocks))
                                 or "layers are Keras's own (`graphspec layers` lists them) or registered "
                                    "from Python with `graphspec.register_layer`")
                return None
            # Custom layers may be re-registered (also under a catalogue name an alias resolves to),
            # so their calls are always checked afresh.
            kind = self._layer_types[call.name] = (known, custom.get(call.name) is None and custom.get(known) is None)
        return kind if self.call_arguments.constructor_ok(call, kind[0]) else None

    def add_layer(self, spec: L.LayerSpec, name: str, span: Span, shared=False, origin="") -> int:
        """Add a layer to the graph (frozen inside a `trainable=False` block use): its id."""
        lid = len(self.graph.layers)
        if self.frozen is not None:  # a layer of a `trainable=False` block use: frozen as if written so
            # a spec of its own (the checked one is shared by every layer of the call), and its
            # parameter counts are not the unfrozen layers' (results None: not remembered)
            spec = L.LayerSpec(spec.type, spec.kind, {**spec.explicit, "trainable": False},
                               {**spec.full, "trainable": False}, spec.entry, spec.custom, None)
        self.graph.layers.append(g.Layer(lid, name, spec.type, spec.kind, spec.explicit, span, shared=shared,
                                         origin=origin, scope=self.scope))
        self.specs[lid] = spec
        return lid

    def count_node(self, span: Span) -> None:
        """Count one layer application against MAX_NODES; past it, report and stop expanding."""
        self.checker.node_count += 1
        if self.checker.node_count > MAX_NODES:
            self.diags.error(codes.E004, f"the spec expands to more than {MAX_NODES:,} layer applications", span,
                             label="limit reached here",
                             help="lower the `repeat` counts, or split the model into nested models")
            raise Abort()

    def apply(self, lid: int, inputs: List[int], span: Span, arguments: Optional[dict] = None) -> Optional[List[int]]:
        """Apply layer `lid` to `inputs` (with call-time `arguments`), inferring the output shapes."""
        self.count_node(span)
        tensors = self.graph.tensors
        layer = self.graph.layers[lid]
        spec = self.specs[lid]
        entry = spec.entry
        shapes = [tensors[t].shape for t in inputs]
        if None in shapes:  # a shape is a tuple, never equal to None
            return None
        call = SINGLE
        if entry is not None:
            call = entry.call
            if call == ATTENTION and arguments and ("value" in arguments or "key" in arguments):
                # `value` / `key` given by name take their places among (query, value[, key])
                named = {k: self.graph.tensors[v.tensor].shape for k, v in arguments.items()
                         if k in ("value", "key") and isinstance(v, g.TensorRef)}
                shapes = calls.attention_inputs(layer.type, shapes, named)
            n = len(shapes)
            if n < entry.min_inputs or (entry.max_inputs is not None and n > entry.max_inputs):
                self.diags.error(codes.E402, self.arity_message(layer.type, entry, n), span,
                                 label=f"{n} tensor{'s' if n != 1 else ''}",
                                 help=self.arity_help(layer.type, entry, n))
                return None
        elif len(inputs) > 1:
            call = LIST
        if entry is not None:
            problem = input_dtype_problem(layer.type, spec.full, [tensors[t].dtype for t in inputs])
            if problem is not None:
                self.diags.error(codes.E403, problem[0], span, label="wrong dtype", help=problem[1])
                return None
        try:
            if arguments or entry is None:
                result, counts = self.infer(spec, shapes), None
                if arguments:
                    result = self.call_arguments.outputs(layer, spec, shapes, result, arguments)
            else:
                result, counts = self.rules(spec, shapes)
            if counts is None and (layer.uses == 0 or layer.shared):  # counted only where they are read
                counts = L.param_counts(spec, shapes)
            if layer.uses == 0:
                layer.params = counts
                if layer.shared:
                    self.first_shapes[lid] = shapes
            elif layer.shared and counts != layer.params:
                # One layer object has one set of weights: Keras builds them for the first
                # input it sees and rejects an input that would need other weights.
                first = ", ".join(fmt_shape(s) for s in self.first_shapes.get(lid, ()))
                self.diags.error(codes.E401, f"shared layer `{layer.name}` was built for input shape {first}; "
                                         f"its weights do not fit {', '.join(fmt_shape(s) for s in shapes)}",
                                 span, label="incompatible shape",
                                 help="every use of a `layer` shares its weights, so its inputs must match; "
                                      "use a separate layer for inputs of another size")
                return None
        except (ShapeError, ArgError) as err:
            # Name the layer once (rules often start with it), and show the input shapes
            # only when the message does not already.
            message = err.message if err.message.startswith(layer.type + " ") else f"{layer.type}: {err.message}"
            shown = [fmt_shape(s) for s in shapes]
            notes = [] if all(s in message for s in shown) else [f"input shapes: {', '.join(shown)}"]
            self.diags.error(err.code, message, span, label="fails here", help=err.help, notes=notes)
            return None
        except Exception as exc:  # a rule's own bug must not become a traceback
            if spec.custom is not None:  # the user's own rule, given to graphspec.register_layer
                self.diags.error(codes.E499, f"{layer.type}: the shape function of this custom layer raised "
                                         f"{type(exc).__name__}: {exc}", span, label="shape rule failed",
                                 help="fix the `shape=` function given to `graphspec.register_layer`, or leave "
                                      "it out to let Keras compute the shape")
            else:
                self.diags.error(codes.E499, f"{layer.type}: graphspec's shape rule failed ({type(exc).__name__}: "
                                         f"{exc})", span, label="shape rule failed",
                                 help="this is a bug in graphspec; please report it with the spec that triggers it")
            return None
        layer.uses += 1
        outs = result if isinstance(result, list) else [result]
        node_id = len(self.graph.nodes)
        dtype = self.out_dtype(layer, spec, inputs)
        out_ids = [self.new_tensor(self.shape_of(s), dtype, node_id, i, span=span) for i, s in enumerate(outs)]
        self.graph.nodes.append(g.Node(node_id, lid, list(inputs), out_ids, call, span,
                                       dict(arguments) if arguments else {}))
        return out_ids

    def shape_of(self, shape) -> tuple:
        """A rule's output shape as the graph keeps it: a tuple, one object per distinct shape in a model
        (20,000 generated layers have a handful of shapes: 1.7 MiB of tuples saved)."""
        shape = tuple(shape)
        try:
            return self._shapes.setdefault(shape, shape)
        except TypeError:  # something unhashable in a custom rule's shape: kept as it is
            return shape

    def rules(self, spec: L.LayerSpec, shapes):
        """(output shapes, parameter counts) of a catalogue layer on `shapes`, remembered with the checked
        call (`spec.results`, shared by every spec of the call in the process): the catalogue's rules are
        pure, and the same layer call on the same shapes repeats (a `repeat`, a block, a generated spec,
        the same spec in many files). Raises what the rules raise (never remembered)."""
        results = spec.results
        if results is None:
            return self.infer(spec, shapes), L.param_counts(spec, shapes)
        try:
            key = tuple(shapes)
            hit = results.get(key)
        except TypeError:  # something unhashable in a shape: not remembered
            return self.infer(spec, shapes), L.param_counts(spec, shapes)
        if hit is None:
            hit = results[key] = (self.infer(spec, shapes), L.param_counts(spec, shapes))
        return hit

    def infer(self, spec: L.LayerSpec, shapes):
        """The output shape(s) of a layer on input `shapes`, by its catalogue or custom rule."""
        if spec.entry is not None:
            return spec.entry.shape(spec.full, shapes)
        return spec.custom.shape(spec.full, shapes)

    # Layers whose Keras output keeps a non-floating input's dtype (int, bool, string);
    # a floating input is cast to the layer's compute dtype, as by every other layer.
    def out_dtype(self, layer: g.Layer, spec: L.LayerSpec, inputs: List[int]) -> str:
        """The dtype of a layer's outputs on `inputs` (reads only `self.graph`: ir/verify.py calls it so)."""
        given = spec.full.get("dtype")
        # A dtype policy name such as "mixed_float16" computes in float16.
        compute = compute_dtype(given)
        if spec.entry is not None and spec.entry.dtype is not None:
            own = spec.entry.dtype(spec.full, [self.graph.tensors[t].dtype for t in inputs])
            if own is not None:
                return own
        return compute if isinstance(compute, str) else "float32"

    @staticmethod
    def arity_message(type_name: str, entry, n: int) -> str:
        """What a layer takes, and the `n` tensors it received."""
        lo, hi = entry.min_inputs, entry.max_inputs
        if hi == 1:
            return f"{type_name} takes one tensor; received {n}"
        if hi is None:
            return f"{type_name} takes at least {lo} tensors; received {n}"
        if hi == lo:
            return f"{type_name} takes {lo} tensors; received {n}"
        return f"{type_name} takes {lo} to {hi} tensors; received {n}"

    @staticmethod
    def arity_help(type_name: str, entry, n: int) -> Optional[str]:
        """How to give a layer the number of tensors it takes, where there is a usual way."""
        if entry.max_inputs == 1 and n > 1:
            return f"merge the tensors first, e.g. `(a, b) -> Concatenate() -> {type_name}(...)`"
        if n == 1 and entry.min_inputs > 1:
            if entry.call == ATTENTION:
                return f"pass query and value as a tuple: `(query, value) -> {type_name}(...)`"
            return f"start from a tuple of tensors: `(a, b) -> {type_name}()`"
        return None
