"""Checking a loaded IR as the checker would have: IR JSON is untrusted input.

The schema (graphspec.ir.schema) says an IR document is well formed; this says it is
safe and right to build. Every layer call and every compile and fit setting is run
through the checker's own code (passes.layers.make_layer, passes.settings) as if it
were written in a spec, so the same classes and argument values are accepted and
refused; every node's output shapes, dtypes and parameter counts are inferred again
by the catalogue's rules and must be the ones the IR states; ids, references,
topological order, names and the limits are checked. A problem is reported at its
JSON path (`models.m.layers[3].config.units`), with the checker's diagnostic code.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from graphspec import custom
from graphspec import graph as g
from graphspec.catalog import calls, ops, registry, signatures
from graphspec.catalog.base import LIST, SINGLE, ArgError, CallValue, ShapeError
from graphspec.diagnostics import codes
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.limits import MAX_EXPANSION_DEPTH, MAX_INT, MAX_NODES
from graphspec.passes import layers as L
from graphspec.passes.expand import ModelExpander
from graphspec.passes.frame import fmt_shape
from graphspec.passes.scope import model_name_problem
from graphspec.passes.settings import SettingsChecker
from graphspec.passes.tensor_ops import op_config, tensor_inputs
from graphspec.passes.values import INVALID, Evaluator, runs_code
from graphspec.source import Span
from graphspec.suggest import did_you_mean
from graphspec.syntax import ast

MAX_PROBLEMS = 20  # reported per document; the rest are counted

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _TooMany(Exception):
    """MAX_PROBLEMS reached."""


def key(base: str, name: str) -> str:
    """The JSON path of member `name` of the object at `base`."""
    if not isinstance(name, str):  # an integer key (`class_weight = {0: 1.0}`)
        return f"{base}[{name!r}]"
    part = f".{name}" if _NAME.fullmatch(name) else f"[{name!r}]"
    return (base + part) if base else part.lstrip(".")


def _span(path: str) -> Span:
    # A diagnostic's span carries the JSON path as its file: problems are reported by path.
    return Span(path, 1, 1, 1, 1)


def to_expr(value, path: str):
    """A value as the syntax tree of the same value written in a spec (for the checker's passes)."""
    span = _span(path)
    if isinstance(value, CallValue):
        return ast.Call(value.callee, span, [to_expr(v, f"{path}.args[{i}]") for i, v in enumerate(value.args)],
                        [ast.Kwarg(k, _span(key(f"{path}.kwargs", k)), to_expr(v, key(f"{path}.kwargs", k)))
                         for k, v in value.kwargs], span)
    if isinstance(value, tuple):
        return ast.TupleExpr([to_expr(v, f"{path}.tuple[{i}]") for i, v in enumerate(value)], span)
    if isinstance(value, list):
        return ast.ListExpr([to_expr(v, f"{path}[{i}]") for i, v in enumerate(value)], span)
    if isinstance(value, dict):
        return ast.DictExpr([(k, _span(key(f"{path}.dict", k))) for k in value],
                            [to_expr(v, key(f"{path}.dict", k)) for k, v in value.items()], span)
    return ast.Literal(value, span)


def _same(a, b) -> bool:
    """Equal and of the same types all the way down (1, 1.0 and True differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, CallValue):
        return a.callee == b.callee and _same(a.args, b.args) and _same(a.kwargs, b.kwargs)
    return a == b


def _index_key(value) -> bool:
    """A subscript's key as the checker makes it: a tuple of int, None, Ellipsis and slices of ints."""
    def item(v) -> bool:
        if isinstance(v, slice):
            return all(p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in (v.start, v.stop, v.step))
        return v is None or v is Ellipsis or (isinstance(v, int) and not isinstance(v, bool))

    return isinstance(value, tuple) and all(item(v) for v in value)


def _refused_call(value, path: str) -> Optional[Tuple[str, str]]:
    """(path, reason) of the first call in `value` to a class no spec may call, if any."""
    if isinstance(value, CallValue):
        name = value.callee
        if runs_code(name):
            return path, f"{codes.E210} `{name}` is not allowed: a spec never runs code"
        catalogue_layer = L.known_layer(name) is not None
        objects = [k for k in signatures.object_kinds_of(name) if k != "layers"]
        if not catalogue_layer and not objects:
            return path, (f"{codes.E220} `{name}` is not a class of the catalogue "
                          "(layers, initializers, optimizers, ...)")
        for i, v in enumerate(value.args):
            found = _refused_call(v, f"{path}.args[{i}]")
            if found:
                return found
        for k, v in value.kwargs:
            found = _refused_call(v, key(f"{path}.kwargs", k))
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _refused_call(v, f"{path}.tuple[{i}]" if isinstance(value, tuple) else f"{path}[{i}]")
            if found:
                return found
    elif isinstance(value, dict):
        for k, v in value.items():
            found = _refused_call(v, key(f"{path}.dict", k))
            if found:
                return found
    return None


class _Dtypes:
    """What ModelExpander.out_dtype reads of an expander: the graph's tensors."""

    def __init__(self, graph: g.Graph):
        self.graph = graph


class Verifier:
    """Checks one Program; `run()` returns its problems as (JSON path, message), at most MAX_PROBLEMS."""

    def __init__(self, program: g.Program):
        self.program = program
        self.problems: List[Tuple[str, str]] = []
        self.more = 0  # problems past MAX_PROBLEMS
        self.diags = Diagnostics()
        self.ev = Evaluator(self._no_name, list, self.diags)
        self.ok: Dict[str, bool] = {}  # model name -> verified without problems

    @staticmethod
    def _no_name(name: str):
        raise KeyError(name)  # an IR holds values, never names

    def problem(self, path: str, message: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.more += 1
            raise _TooMany()
        self.problems.append((path, message))

    def diagnostics_since(self, before: int, path: str) -> bool:
        """Report the checker's errors added since `before` as problems; True if there were none."""
        new = [d for d in self.diags.items[before:] if d.is_error]
        for d in new:
            where = d.span.file if d.span is not None else path
            self.problem(where, f"{d.code} {d.message}" + (f" ({d.help})" if d.help else ""))
        return not new

    def run(self) -> List[Tuple[str, str]]:
        try:
            self.check_program()
        except _TooMany:
            pass
        return self.problems

    # ------------------------------------------------------------ the program

    def check_program(self) -> None:
        p = self.program
        if p.root is None:
            self.problem("root", "names no model: give the model to build")
        elif p.root not in p.models:
            self.problem("root", f"`{p.root}` is not one of the models ({', '.join(p.models) or 'none'})")
        total = sum(len(m.nodes) for m in p.models.values())
        if total > MAX_NODES:
            self.problem("models", f"{codes.E004} the IR has {total:,} nodes; the limit is {MAX_NODES:,} "
                                   "layer applications")
            return
        for name, graph in p.models.items():
            if graph.name != name:
                self.problem(key(key("models", name), "name"), f"is `{graph.name}`; a model is keyed by its name")
        self.check_consts()
        for name in self.order():
            before = len(self.problems)
            self.check_graph(name, p.models[name])
            self.ok[name] = len(self.problems) == before

    def check_consts(self) -> None:
        """Const values are values the checker could have computed (finite, integers within 2**53)."""
        for name, value in self.program.consts.items():
            path = key("consts", name)
            if not _NAME.fullmatch(name):
                self.problem(path, f"`{name}` is not a name (letters, digits and _)")
            refused = _refused_call(value, path)
            if refused:
                self.problem(*refused)
                continue
            before = len(self.diags.items)
            self.ev.eval(to_expr(value, path))
            self.diagnostics_since(before, path)

    def order(self) -> List[str]:
        """Model names, each after the models it uses; reports unknown and cyclic uses."""
        models = self.program.models
        done: Dict[str, bool] = {}
        out: List[str] = []

        def visit(name: str, chain: List[str]) -> None:
            if done.get(name):
                return
            if name in chain:
                self.problem(key("models", name),
                             f"{codes.E206} model `{name}` uses itself: {' -> '.join(chain + [name])}")
                return
            if len(chain) >= MAX_EXPANSION_DEPTH:
                self.problem(key("models", name), f"{codes.E206} models nested more than {MAX_EXPANSION_DEPTH} deep")
                return
            for i, layer in enumerate(models[name].layers):
                if layer.kind == "model":
                    if layer.model not in models:
                        self.problem(f"{key('models', name)}.layers[{i}].model",
                                     f"`{layer.model}` is not one of the models ({', '.join(models)})")
                    else:
                        visit(layer.model, chain + [name])
            done[name] = True
            out.append(name)

        for name in models:
            visit(name, [])
        return out

    # ------------------------------------------------------------ one model

    def check_graph(self, name: str, graph: g.Graph) -> None:
        base = key("models", name)
        refused = model_name_problem(name)  # the rule a spec's `model "..."` follows
        if refused:
            self.problem(f"{base}.name", f"cannot name a model: {refused}")
        if not self.check_ids(base, graph):
            return
        tensors = graph.tensors
        defined = [False] * len(tensors)
        keras_names: Dict[str, str] = {}  # Keras name -> JSON path of what has it (inputs and layers)

        for i, t in enumerate(tensors):
            if t.shape is None:
                self.problem(f"{base}.tensors[{i}].shape", "is null: a checked IR knows every tensor's shape")
            if t.dtype not in signatures.dtype_names():
                self.problem(f"{base}.tensors[{i}].dtype", f"`{t.dtype}` is not a dtype"
                             + (f" ({did_you_mean(t.dtype, signatures.dtype_names())})"
                                if did_you_mean(t.dtype, signatures.dtype_names()) else ""))
        self.check_inputs(base, graph, defined, keras_names)
        for i, t in enumerate(tensors):
            if t.producer is None and not defined[i]:
                self.problem(f"{base}.tensors[{i}].producer", "is null, but the tensor is no model input")
        specs = self.check_layers(base, graph, keras_names)
        self.check_nodes(base, graph, specs, defined)
        self.check_outputs(base, graph, defined)
        self.check_settings(base, graph)

    def check_ids(self, base: str, graph: g.Graph) -> bool:
        ok = True
        for what in ("tensors", "layers", "nodes"):
            for i, item in enumerate(getattr(graph, what)):
                if item.id != i:
                    self.problem(f"{base}.{what}[{i}].id", f"is {item.id}; an id is the position in `{what}` ({i})")
                    ok = False
        return ok

    def tensor_ref(self, path: str, t: int, graph: g.Graph) -> bool:
        if 0 <= t < len(graph.tensors):
            return True
        self.problem(path, f"is {t}; there are {len(graph.tensors)} tensors")
        return False

    def claim_name(self, path: str, name: str, names: Dict[str, str]) -> None:
        if name in names:
            self.problem(path, f"{codes.E202} `{name}` is the name of {names[name]} too; "
                               "Keras names are unique in a model")
        else:
            names[name] = path

    def check_inputs(self, base: str, graph: g.Graph, defined: List[bool], names: Dict[str, str]) -> None:
        for k, inp in enumerate(graph.inputs):
            path = f"{base}.inputs[{k}]"
            if not _NAME.fullmatch(inp.name):
                self.problem(f"{path}.name", f"`{inp.name}` is not a name (letters, digits and _)")
            self.claim_name(f"{path}.name", inp.name, names)
            for dim in inp.shape:
                if dim is not None and not 1 <= dim <= MAX_INT:
                    self.problem(f"{path}.shape", f"{codes.E251} every size must be a positive integer or null; "
                                                  f"received {dim}")
            if inp.dtype not in signatures.dtype_names():
                self.problem(f"{path}.dtype", f"`{inp.dtype}` is not a dtype")
            if not self.tensor_ref(f"{path}.tensor", inp.tensor, graph):
                continue
            t = graph.tensors[inp.tensor]
            if defined[inp.tensor] or t.producer is not None:
                self.problem(f"{path}.tensor", f"tensor {inp.tensor} is made by a node or another input")
                continue
            if t.shape != (None,) + tuple(inp.shape) or t.dtype != inp.dtype:
                self.problem(f"{base}.tensors[{inp.tensor}]",
                             f"has shape {fmt_shape(t.shape)} and dtype {t.dtype}; input `{inp.name}` gives "
                             f"{fmt_shape((None,) + tuple(inp.shape))} and {inp.dtype}")
            defined[inp.tensor] = True

    def check_layers(self, base: str, graph: g.Graph, names: Dict[str, str]) -> Dict[int, L.LayerSpec]:
        specs: Dict[int, L.LayerSpec] = {}
        for i, layer in enumerate(graph.layers):
            path = f"{base}.layers[{i}]"
            self.claim_name(f"{path}.name", layer.name, names)
            if layer.kind == "model":
                if layer.type != "Model":
                    self.problem(f"{path}.type", f"is `{layer.type}`; a nested model's type is `Model`")
                if layer.config not in ({}, {"trainable": False}):  # `model(trainable=False)` freezes it
                    self.problem(f"{path}.config", "a nested model takes no arguments but `trainable: false`")
                continue
            if layer.model is not None:
                self.problem(f"{path}.model", f"only a layer of kind `model` names a model")
            if layer.kind == "op":
                self.check_op_layer(path, layer)
                continue
            spec = self.layer_spec(path, layer)
            if spec is not None:
                specs[i] = spec
        return specs

    def check_op_layer(self, path: str, layer: g.Layer) -> None:
        """An "op" layer: a catalogued op, its arguments bound as the checker binds them, no weights."""
        entry = ops.get(layer.type)
        if entry is None:
            hint = did_you_mean(layer.type, ops.names())
            self.problem(f"{path}.type", f"{codes.E201} unknown op `{layer.type}`" + (f" ({hint})" if hint else ""))
            return
        if layer.shared or tuple(layer.params) != (0, 0):
            self.problem(path, "an op is never shared and has no weights (`shared` false, `params` [0, 0])")
        config = op_config(entry, layer.config)
        for pname, value in layer.config.items():
            if pname not in config and not (isinstance(value, (int, float)) and not isinstance(value, bool)):
                self.problem(key(f"{path}.config", pname), "an operator's operand in the config is a number")
        if layer.type == "getitem":
            if not _index_key(config.get("key")):
                self.problem(key(f"{path}.config", "key"), "is not a tuple of integers, null, slices and ellipses")
            return
        try:
            bound = ops.bind(layer.type, (), tuple(config.items()))
        except ArgError as err:
            self.problem(key(f"{path}.config", err.param) if err.param else f"{path}.config",
                         f"{err.code} {err.message}")
            return
        if not _same(bound, config):
            self.problem(f"{path}.config", f"is not the bound arguments of `ops.{layer.type}` (every argument, "
                                           "defaults filled)")

    def layer_spec(self, path: str, layer: g.Layer) -> Optional[L.LayerSpec]:
        """The checker's validated spec of a layer's call, or None after reporting why not."""
        known = L.known_layer(layer.type)
        if known is None or runs_code(layer.type):
            hint = did_you_mean(layer.type, L.layer_names())
            self.problem(f"{path}.type", f"{codes.E220} unknown layer `{layer.type}`" + (f" ({hint})" if hint else ""))
            return None
        if known != layer.type:
            self.problem(f"{path}.type", f"is `{layer.type}`; the IR names layers by their canonical name `{known}`")
            return None
        kind = "custom" if custom.get(known) is not None else "layer"
        if layer.kind != kind:
            self.problem(f"{path}.kind", f"is `{layer.kind}`; `{known}` is a {kind} layer")
            return None
        config_path = f"{path}.config"
        for name, value in layer.config.items():
            refused = _refused_call(value, key(config_path, name))
            if refused:
                self.problem(*refused)
                return None
        call = ast.Call(layer.type, _span(f"{path}.type"), [],
                        [ast.Kwarg(k, _span(key(config_path, k)), to_expr(v, key(config_path, k)))
                         for k, v in layer.config.items()], _span(path))
        before = len(self.diags.items)
        value = self.ev.eval(call)
        if not self.diagnostics_since(before, path):
            return None
        if value is INVALID or not _same(dict(value.kwargs), layer.config):
            self.problem(config_path, "holds something other than values (a value function such as `max(...)`?)")
            return None
        spec = L.make_layer(call, value, self.diags)
        if not self.diagnostics_since(before, path) or spec is None:
            if spec is None and len(self.problems) == 0:
                self.problem(config_path, f"is not a valid configuration of `{layer.type}`")
            return None
        given = spec.explicit.get("name")
        if given is not None and given != layer.name:
            self.problem(key(config_path, "name"), f"is {given!r}, but the layer is named `{layer.name}`")
        layer.config = spec.explicit  # as the checker keeps it (inner layers bound to their signature)
        return spec

    def check_nodes(self, base: str, graph: g.Graph, specs: Dict[int, L.LayerSpec], defined: List[bool]) -> None:
        uses = [0] * len(graph.layers)
        first: Dict[int, Tuple[int, int]] = {}
        for n, node in enumerate(graph.nodes):
            path = f"{base}.nodes[{n}]"
            if not 0 <= node.layer < len(graph.layers):
                self.problem(f"{path}.layer", f"is {node.layer}; there are {len(graph.layers)} layers")
                continue
            uses[node.layer] += 1
            ok = True
            if not node.outputs:
                self.problem(f"{path}.outputs", "is empty: a node makes a tensor")
                ok = False
            for k, t in enumerate(node.inputs):
                if not self.tensor_ref(f"{path}.inputs[{k}]", t, graph):
                    ok = False
                elif not defined[t]:
                    self.problem(f"{path}.inputs[{k}]", f"tensor {t} is used before it is made "
                                                        "(nodes are in topological order)")
                    ok = False
            for name, value in node.arguments.items():
                for t in g.tensor_refs(value):
                    if not self.tensor_ref(key(f"{path}.arguments", name), t, graph):
                        ok = False
                    elif not defined[t]:
                        self.problem(key(f"{path}.arguments", name), f"tensor {t} is used before it is made "
                                                                     "(nodes are in topological order)")
                        ok = False
            made = []
            for k, t in enumerate(node.outputs):
                if not self.tensor_ref(f"{path}.outputs[{k}]", t, graph):
                    ok = False
                elif defined[t] or graph.tensors[t].producer != n or graph.tensors[t].index != k:
                    self.problem(f"{path}.outputs[{k}]", f"tensor {t} must be made once, by this node: its "
                                                         f"`producer` {n} and `index` {k}")
                    ok = False
                else:
                    made.append(t)
            for t in made:  # even when this node fails, later uses of its tensors are not errors too
                defined[t] = True
            if not ok:
                continue
            layer = graph.layers[node.layer]
            inferred = self.infer(path, graph, node, layer, specs.get(node.layer))
            if inferred is None:
                continue
            shapes, dtypes, params, call = inferred
            if node.call != call:
                self.problem(f"{path}.call", f"is `{node.call}`; `{layer.type}` is called `{call}`")
            if len(shapes) != len(node.outputs):
                self.problem(f"{path}.outputs", f"has {len(node.outputs)} tensors; `{layer.name}` makes {len(shapes)}")
                continue
            for t, shape, dtype in zip(node.outputs, shapes, dtypes):
                tensor = graph.tensors[t]
                if tensor.shape != tuple(shape):
                    self.problem(f"{base}.tensors[{t}].shape", f"is {fmt_shape(tensor.shape)}; `{layer.name}` "
                                                               f"({layer.type}) makes {fmt_shape(tuple(shape))}")
                if tensor.dtype != dtype:
                    self.problem(f"{base}.tensors[{t}].dtype", f"is {tensor.dtype}; `{layer.name}` makes {dtype}")
            if uses[node.layer] == 1:
                first[node.layer] = params
                if tuple(layer.params) != tuple(params):
                    self.problem(f"{base}.layers[{node.layer}].params",
                                 f"is {list(layer.params)}; `{layer.name}` has {list(params)} (trainable, non-trainable)")
            elif not layer.shared and layer.kind != "model":
                self.problem(f"{path}.layer", f"`{layer.name}` is called again but is not `shared`")
            elif params != first[node.layer]:
                self.problem(path, f"{codes.E401} shared layer `{layer.name}` was built for other inputs; "
                                   f"its weights do not fit these")
        for i, layer in enumerate(graph.layers):
            if layer.uses != uses[i]:
                self.problem(f"{base}.layers[{i}].uses", f"is {layer.uses}; {uses[i]} nodes call `{layer.name}`")
            if uses[i] == 0 and tuple(layer.params) != (0, 0):
                self.problem(f"{base}.layers[{i}].params", "a layer no node calls has no weights: [0, 0]")

    def infer(self, path: str, graph: g.Graph, node: g.Node, layer: g.Layer, spec: Optional[L.LayerSpec]):
        """(output shapes, dtypes, params, call convention) of a node, or None after reporting why not."""
        shapes = [graph.tensors[t].shape for t in node.inputs]
        if any(s is None for s in shapes):
            return None  # reported with the tensor
        if layer.kind == "model":
            if node.arguments:
                self.problem(f"{path}.arguments", "a nested model takes no call-time arguments")
                return None
            return self.infer_model(path, graph, node, layer, shapes)
        if layer.kind == "op":
            return self.infer_op(path, graph, node, layer)
        if spec is None:
            return None  # the layer's problems are reported
        entry = spec.entry
        n = len(node.inputs)
        if entry is not None:
            call = entry.call
            if n < entry.min_inputs or (entry.max_inputs is not None and n > entry.max_inputs):
                self.problem(f"{path}.inputs", f"{codes.E402} " + ModelExpander.arity_message(layer.type, entry, n))
                return None
        else:
            call = LIST if n > 1 else SINGLE
        try:
            result = entry.shape(spec.full, shapes) if entry is not None else spec.custom.shape(spec.full, shapes)
            params = L.param_counts(spec, shapes)
        except ShapeError as err:
            message = err.message if err.message.startswith(layer.type + " ") else f"{layer.type}: {err.message}"
            self.problem(path, f"{err.code} {message}")
            return None
        except Exception as exc:  # a rule's own failure must not become a traceback
            self.problem(path, f"{codes.E499} {layer.type}: the shape rule failed ({type(exc).__name__}: {exc})")
            return None
        outs = result if isinstance(result, list) else [result]
        if node.arguments:
            outs = self.infer_call(path, graph, node, layer, spec, shapes, outs)
            if outs is None:
                return None
        dtype = ModelExpander.out_dtype(_Dtypes(graph), layer, spec, list(node.inputs))
        return outs, [dtype] * len(outs), tuple(params), call

    def infer_call(self, path: str, graph: g.Graph, node: g.Node, layer: g.Layer, spec, shapes, outs):
        """The outputs after a call with the node's call-time arguments (checked as the checker does)."""
        params = calls.call_params(layer.type)
        shaped = {}
        for name, value in node.arguments.items():
            where = key(f"{path}.arguments", name)
            param = params.get(name)
            if param is None:
                self.problem(where, f"{codes.E301} {layer.type} takes no call-time argument `{name}`")
                return None
            refs = g.tensor_refs(value)
            if param.kind in (calls.TENSOR, calls.TENSORS):
                single = isinstance(value, g.TensorRef)
                if (param.kind == calls.TENSOR) != single or (not single and (not isinstance(value, tuple)
                                                                             or len(refs) != len(value))):
                    takes = "a tensor" if param.kind == calls.TENSOR else "a tuple of tensors"
                    self.problem(where, f"{codes.E302} `{name}` takes {takes}")
                    return None
                shaped[name] = tuple(graph.tensors[refs[0]].shape) if single else [
                    tuple(graph.tensors[t].shape) for t in refs]
            elif refs:
                self.problem(where, f"{codes.E302} `{name}` takes a value, not a tensor")
                return None
            else:
                shaped[name] = value
        try:
            return calls.apply_call(layer.type, spec.full, shapes, list(outs), shaped)
        except (ShapeError, ArgError) as err:
            self.problem(path, f"{err.code} {err.message}")
            return None

    def infer_op(self, path: str, graph: g.Graph, node: g.Node, layer: g.Layer):
        """(output shapes, dtypes, params, call) of an op node, by the op's catalogue rules."""
        entry = ops.get(layer.type)
        if entry is None:
            return None  # reported with the layer
        if node.arguments:
            self.problem(f"{path}.arguments", "an op takes no call-time arguments")
            return None
        config = op_config(entry, layer.config)
        numbers = len(layer.config) - len(config)
        if not entry.variadic and len(node.inputs) + numbers != len(entry.tensors):
            self.problem(f"{path}.inputs", f"{codes.E402} `{layer.type}` takes {len(entry.tensors)} tensors; the node "
                                           f"gives {len(node.inputs)} and the config {numbers} numbers")
            return None
        args = tensor_inputs(entry, layer.config, [graph.tensors[t] for t in node.inputs])
        shapes = [() if not isinstance(a, g.Tensor) else tuple(a.shape) for a in args]
        dtypes = [a.dtype if isinstance(a, g.Tensor) else "int" if isinstance(a, int) else "float" for a in args]
        try:
            result = entry.shape(dict(config), shapes)
            dtype = entry.dtype(dict(config), dtypes)
        except (ShapeError, ArgError) as err:
            self.problem(path, f"{err.code} {err.message}")
            return None
        outs = result if isinstance(result, list) else [result]
        dts = dtype if isinstance(dtype, list) else [dtype] * len(outs)
        return outs, dts, (0, 0), "op"

    def infer_model(self, path: str, graph: g.Graph, node: g.Node, layer: g.Layer, shapes):
        if not self.ok.get(layer.model):
            return None  # the nested model's problems are reported where it is
        sub = self.program.models[layer.model]
        if len(shapes) != len(sub.inputs):
            self.problem(f"{path}.inputs", f"{codes.E402} model `{layer.model}` takes {len(sub.inputs)} inputs; "
                                           f"received {len(shapes)}")
            return None
        for shape, inp in zip(shapes, sub.inputs):
            want = (None,) + tuple(inp.shape)
            if len(shape) != len(want) or any(a is not None and b is not None and a != b for a, b in zip(shape, want)):
                self.problem(f"{path}.inputs", f"{codes.E401} model `{layer.model}` expects input `{inp.name}` "
                                               f"of shape {fmt_shape(want)}; received {fmt_shape(shape)}")
                return None
        outs = [sub.tensors[o.tensor] for o in sub.outputs]
        call = LIST if len(shapes) > 1 else SINGLE
        return [t.shape for t in outs], [t.dtype for t in outs], tuple(g.model_use_params(sub, layer.config)), call

    def check_outputs(self, base: str, graph: g.Graph, defined: List[bool]) -> None:
        seen = set()
        inputs = {inp.tensor: inp.name for inp in graph.inputs}
        for k, out in enumerate(graph.outputs):
            path = f"{base}.outputs[{k}]"
            if not _NAME.fullmatch(out.name):
                self.problem(f"{path}.name", f"`{out.name}` is not a name (letters, digits and _)")
            if out.name in seen:
                self.problem(f"{path}.name", f"{codes.E202} output `{out.name}` is declared twice")
            seen.add(out.name)
            if not self.tensor_ref(f"{path}.tensor", out.tensor, graph) or not defined[out.tensor]:
                continue
            producer = graph.tensors[out.tensor].producer
            # Keras names an output after the layer (or input) that makes it; the builder relies on it.
            maker = inputs.get(out.tensor) if producer is None else graph.layers[graph.nodes[producer].layer].name
            if maker != out.name:
                self.problem(f"{path}.name", f"is `{out.name}`, but its tensor is made by `{maker}`: the layer "
                                             "making an output is named after it")

    def check_settings(self, base: str, graph: g.Graph) -> None:
        checker = SettingsChecker([o.name for o in graph.outputs], self.ev, self.diags)
        for kind in ("compile", "fit"):
            settings = getattr(graph, kind)
            for name, value in (settings or {}).items():
                path = key(f"{base}.{kind}", name)
                refused = _refused_call(value, path)
                if refused:
                    self.problem(*refused)
                    continue
                before = len(self.diags.items)
                result = checker.check(kind, ast.Setting(name, _span(path), to_expr(value, path)))
                if self.diagnostics_since(before, path) and (result is INVALID or not _same(result, value)):
                    self.problem(path, "holds something other than values (a value function such as `max(...)`?)")


def verify(program: g.Program) -> Tuple[List[Tuple[str, str]], int]:
    """(problems as (JSON path, message), how many more were not listed) of a decoded Program."""
    v = Verifier(program)
    return v.run(), v.more
