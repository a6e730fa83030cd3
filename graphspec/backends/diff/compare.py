"""The changes between two models: each side's graph view, then inputs, outputs, layers, settings.

`diff_specs(old, new)` compares the two root models (or the models named `model=`) and,
through them, the nested models they use; the result (`SpecDiff` of `ModelDiff`s of
`Change`s) is what graphspec/backends/diff/render.py writes as text or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from graphspec.backends.diff.match import pair_inputs, pair_layers, same_sources, translate
from graphspec.backends.diff.normalise import (Call, Missing, call_signature, drop_layer_arg, eq, fmt,
                                               known_default, layer_param, norm)
from graphspec.graph import upstream

__all__ = ["Change", "ModelDiff", "SpecDiff", "diff_specs"]


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class Change:
    """One difference.

    op: "+" added, "-" removed, "~" changed. kind: "model" (renamed), "input", "inputs"
    (order), "output", "outputs" (order), "layer", "arg", "connections", "shape",
    "params", "compile", "fit". subject: the input, output or layer name (the new one
    where both exist) or the setting's path. field: what of the subject changed
    ("name", "shape", "dtype", "type", an argument name, ...). old/new: the values
    (None on the side where the thing does not exist); default: an argument's
    default, where the catalogue knows it.
    """

    op: str
    kind: str
    subject: str
    field: Optional[str] = None
    old: Any = None
    new: Any = None
    default: Any = None
    has_default: bool = False


@dataclass
class ModelDiff:
    """The differences of one model: the root, or a nested model it uses."""

    old: Optional[str]
    new: Optional[str]
    role: str  # "root" | "nested"
    changes: List[Change] = field(default_factory=list)
    old_params: Tuple[int, int] = (0, 0)  # (trainable, non-trainable)
    new_params: Tuple[int, int] = (0, 0)

    @property
    def status(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed" if self.changes else "unchanged"

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass
class SpecDiff:
    """Every model's differences, the root first."""

    models: List[ModelDiff]
    old_file: Optional[str] = None
    new_file: Optional[str] = None

    @property
    def changed(self) -> bool:
        return any(m.changed for m in self.models)


# --------------------------------------------------------------------------- one side's graph


@dataclass(eq=False)
class _Layer:
    # Slotted (one per layer of each side, at up to 200,000 layers); eq=False: compared by identity.
    __slots__ = ("name", "type", "kind", "model", "written", "config", "calls", "order", "typepos", "params",
                 "labels")
    name: str
    type: str  # Keras class name; "Model" for a nested model
    kind: str
    model: Optional[str]
    written: Dict[str, Any]  # the arguments as written (normalized values), `name=` left out
    config: Dict[str, Any]  # the effective arguments: those equal to their defaults left out
    calls: Tuple[Tuple[tuple, tuple], ...]  # per call: (source keys, output shapes)
    order: int
    typepos: int
    params: Tuple[int, int]
    labels: Any  # source key -> its label (`layer`, `layer[i]`, `layer#k`), the side's _Graph.label

    def call_text(self) -> str:
        if self.kind == "model":
            return f"model {self.model}"
        return fmt(Call(self.type, (), tuple(self.written.items())))

    def sources(self) -> List[List[str]]:
        """Per call, the tensors it reads: an input's name, or `layer`, `layer[i]` (output i), `layer#k` (call k)."""
        return [[self.labels(k) for k in keys] for keys, _ in self.calls]

    def shapes(self):
        per_call = [list(shapes) if len(shapes) != 1 else shapes[0] for _, shapes in self.calls]
        return per_call[0] if len(per_call) == 1 else per_call


def _params(layer) -> Tuple[int, int]:
    """(trainable, non-trainable) of a layer of either IR form (the checked graph's or the API's)."""
    params = getattr(layer, "params", None)
    return tuple(params) if params is not None else (layer.trainable_params, layer.non_trainable_params)


# A layer's label marks (several outputs, several calls): four tuples shared by every layer.
_MARKS = {(a, b): (a, b) for a in (False, True) for b in (False, True)}


class _Graph:
    """The parts of a ModelIR that the diff compares, with the dead branches left out."""

    def __init__(self, ir):
        self.ir = ir
        self.name = ir.name
        _, live = upstream(ir)
        nodes = [n for n in ir.nodes if n.id in live]
        calls_of: Dict[int, list] = {}
        for n in nodes:
            calls_of.setdefault(n.layer, []).append(n)
        producer: Dict[int, tuple] = {}  # tensor -> its source key
        for inp in ir.inputs:
            producer[inp.tensor] = ("input", inp.name)
        seen_calls: Dict[int, int] = {}
        # Per layer name: (several outputs, several calls), what its labels show; labels are made only
        # when a change is rendered (one string per tensor would outweigh the graph itself).
        self._marks: Dict[str, Tuple[bool, bool]] = {}
        for n in nodes:
            layer = ir.layers[n.layer]
            call = seen_calls.get(n.layer, 0)  # which call of its layer this is (a count, not a search)
            seen_calls[n.layer] = call + 1
            self._marks.setdefault(layer.name, _MARKS[len(n.outputs) > 1, len(calls_of[n.layer]) > 1])
            for i, t in enumerate(n.outputs):
                producer[t] = ("layer", layer.name, call, i)
        self.layers: Dict[str, _Layer] = {}
        self.by_type: Dict[str, List[_Layer]] = {}  # type -> its layers in order: typepos is the index
        # Layers written alike (a `repeat` body) share one pair of argument dicts and one tuple per
        # output shape: both are read only, and one copy per layer made diff several times check's memory.
        arguments: Dict[tuple, Tuple[dict, dict]] = {}
        shapes: Dict[tuple, tuple] = {}
        label = self.label  # one bound method, not one per layer
        for n in nodes:
            layer = ir.layers[n.layer]
            if layer.name in self.layers:
                continue
            type_name = "Model" if layer.kind == "model" else layer.type
            args = {k: v for k, v in layer.config.items() if k != "name"}
            # repr, not the values: 1, 1.0 and True are equal and hash alike but normalise apart.
            shared = arguments.get((layer.kind, layer.type, repr(args)))
            if shared is None:
                written = {k: norm(v) for k, v in args.items()}
                config = written if layer.kind == "model" else {
                    k: v for k, v in written.items() if not drop_layer_arg(layer.type, k, v)}
                if config == written:
                    config = written  # one dict when no argument is dropped (never mutated)
                shared = arguments.setdefault((layer.kind, layer.type, repr(args)), (written, config))
            written, config = shared
            calls = []
            for use in calls_of[n.layer]:
                keys = tuple(producer.get(t) or ("tensor", t) for t in use.inputs)
                out_shapes = tuple(ir.tensors[t].shape for t in use.outputs)
                calls.append((keys, shapes.setdefault(out_shapes, out_shapes)))
            same_type = self.by_type.setdefault(type_name, [])
            self.layers[layer.name] = _Layer(layer.name, type_name, layer.kind, layer.model, written, config,
                                             tuple(calls), len(self.layers), len(same_type), _params(layer), label)
            same_type.append(self.layers[layer.name])
        # The live calls in topological order (the IR's own nodes, not a copy), for the structural keys.
        self.nodes = nodes
        self.output_of = {}
        for o in ir.outputs:
            self.output_of.setdefault(o.tensor, []).append(o.name)
        self.inputs = list(ir.inputs)
        self.outputs = [(o.name, ir.tensors[o.tensor].shape, producer.get(o.tensor, (None,)))
                        for o in ir.outputs]
        self.params = ir.param_counts()


    def label(self, key: tuple) -> str:
        """A source key as the diff shows it: an input's name, `layer`, `layer[i]` (output i), `layer#k` (call k)."""
        if key[0] == "input":
            return key[1]
        if key[0] == "layer":
            several_outputs, several_calls = self._marks[key[1]]
            return key[1] + (f"[{key[3]}]" if several_outputs else "") + (f"#{key[2] + 1}" if several_calls else "")
        return f"<tensor {key[1]}>"

# --------------------------------------------------------------------------- comparing


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _diff_args(kind: str, subject: str, prefix: str, old_bound: dict, new_bound: dict, old_eff: dict,
               new_eff: dict, default_of, out: List[Change]) -> None:
    """Arguments of a layer or a call: compared by effective value, shown as written (bound to names)."""
    for key in list(new_bound) + [k for k in old_bound if k not in new_bound]:
        if eq(old_eff.get(key, Missing), new_eff.get(key, Missing)):
            continue  # the same, or written on one side with its default value
        o, n = old_bound.get(key, Missing), new_bound.get(key, Missing)
        known, default = default_of(key)
        where = _join(prefix, key)
        if o is Missing:
            out.append(Change("+", kind, subject, where, new=n, default=default, has_default=known))
        elif n is Missing:
            out.append(Change("-", kind, subject, where, old=o, default=default, has_default=known))
        else:
            _diff_values(kind, subject, where, o, n, out)


def _call_default_of(callee: str):
    from graphspec.catalog.signatures import layer_signature

    sig = layer_signature(callee) or call_signature(callee)

    def default_of(key):
        if sig is None:
            return False, None
        param = sig.param(key)
        if param is None and sig.kind == "layer":
            param = layer_param(callee, key)
        return known_default(param)

    return default_of


def _diff_values(kind: str, subject: str, where: str, old: Any, new: Any, out: List[Change]) -> None:
    """Values, recursively: dict keys, list items of the same calls, call arguments."""
    missing = Missing
    if old is missing and new is missing:
        return
    if where == "" and (old is missing or new is missing):  # a compile or fit block added or removed
        block = new if old is missing else old
        for key, value in block.items():
            _diff_values(kind, subject, key, missing if old is missing else value,
                         value if old is missing else missing, out)
        return
    if old is missing:
        out.append(Change("+", kind, subject, where or None, new=new))
        return
    if new is missing:
        out.append(Change("-", kind, subject, where or None, old=old))
        return
    if eq(old, new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(new) + [k for k in old if k not in new]:
            _diff_values(kind, subject, _join(where, key), old.get(key, missing), new.get(key, missing), out)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new) and all(
            not isinstance(a, Call) or (isinstance(b, Call) and a.callee == b.callee) for a, b in zip(old, new)):
        for i, (a, b) in enumerate(zip(old, new)):
            _diff_values(kind, subject, f"{where}[{i}]", a, b, out)
        return
    if isinstance(old, Call) and isinstance(new, Call) and old.callee == new.callee and not old.args \
            and not new.args:
        _diff_args(kind, subject, where, dict(old.bound), dict(new.bound), dict(old.kwargs), dict(new.kwargs),
                   _call_default_of(new.callee), out)
        return
    out.append(Change("~", kind, subject, where or None, old=old, new=new))


def _added_layer(op: str, layer: _Layer) -> Change:
    return Change(op, "layer", layer.name, old=layer if op == "-" else None, new=layer if op == "+" else None)


def _diff_model(old_ir, new_ir, role: str) -> Tuple[ModelDiff, List[Tuple[Any, Any]]]:
    """The differences of one pair of models, and the pairs of nested models to compare next."""
    old = _Graph(old_ir) if old_ir is not None else None
    new = _Graph(new_ir) if new_ir is not None else None
    md = ModelDiff(old.name if old else None, new.name if new else None, role,
                   old_params=old.params if old else (0, 0), new_params=new.params if new else (0, 0))
    out = md.changes
    nested: List[Tuple[Any, Any]] = []
    if old is None or new is None:
        side = new if old is None else old
        op = "+" if old is None else "-"
        for inp in side.inputs:
            out.append(Change(op, "input", inp.name, **{("new" if op == "+" else "old"): inp}))
        for name, shape, _ in side.outputs:
            out.append(Change(op, "output", name, **{("new" if op == "+" else "old"): shape}))
        for layer in side.layers.values():
            out.append(_added_layer(op, layer))
            if layer.kind == "model":
                nested.append((layer.model, None) if op == "-" else (None, layer.model))
        for kind in ("compile", "fit"):
            value = norm(getattr(side.ir, kind))
            if value is not None:
                _diff_values(kind, kind, "", Missing if op == "+" else value, value if op == "+" else Missing,
                             out)
        return md, nested

    if old.name != new.name:
        out.append(Change("~", "model", new.name, "name", old.name, new.name))

    # Inputs.
    in_map = pair_inputs(old, new)
    for i in old.inputs:
        if i.name not in in_map:
            out.append(Change("-", "input", i.name, old=i))
    old_of_input = {in_map[x.name]: x for x in old.inputs if x.name in in_map}  # new name -> old input
    for i in new.inputs:
        o = old_of_input.get(i.name)
        if o is None:
            out.append(Change("+", "input", i.name, new=i))
            continue
        if o.name != i.name:
            out.append(Change("~", "input", i.name, "name", o.name, i.name))
        if tuple(o.shape) != tuple(i.shape):
            out.append(Change("~", "input", i.name, "shape", tuple(o.shape), tuple(i.shape)))
        if o.dtype != i.dtype:
            out.append(Change("~", "input", i.name, "dtype", o.dtype, i.dtype))
    common_old = [in_map[i.name] for i in old.inputs if i.name in in_map]
    common_new = [i.name for i in new.inputs if i.name in old_of_input]
    if common_old != common_new:
        out.append(Change("~", "inputs", "inputs", "order", common_old, common_new))

    # Layers are paired first: an output is renamed when its producer is paired.
    layer_map = pair_layers(old, new, in_map)

    # Outputs.
    new_out = {name: (shape, key) for name, shape, key in new.outputs}
    old_out = {name: (shape, key) for name, shape, key in old.outputs}
    out_map = {name: name for name in old_out if name in new_out}
    unpaired_new: Dict[Any, List[str]] = {}  # producer key -> new-only outputs it makes, in order
    for n_name, _, n_key in new.outputs:
        if n_name not in old_out:
            unpaired_new.setdefault(n_key, []).append(n_name)
    for name, shape, key in old.outputs:  # an old-only output renamed: the new-only one of the same producer
        if name in out_map:
            continue
        moved = translate(key, in_map, layer_map) if key[0] in ("input", "layer") else None
        candidates = unpaired_new.get(moved) if moved is not None else None
        if candidates:
            out_map[name] = candidates.pop(0)
    renamed_outputs = {o: n for o, n in out_map.items() if o != n}
    for name, shape, _ in old.outputs:
        if name not in out_map:
            out.append(Change("-", "output", name, old=shape))
    old_of_output = {n: o for o, n in out_map.items()}
    for name, shape, _ in new.outputs:
        o = old_of_output.get(name)
        if o is None:
            out.append(Change("+", "output", name, new=shape))
            continue
        if o != name:
            out.append(Change("~", "output", name, "name", o, name))
        if old_out[o][0] != shape:
            out.append(Change("~", "output", name, "shape", old_out[o][0], shape))
    common_old = [out_map[name] for name, _, _ in old.outputs if name in out_map]
    common_new = [name for name, _, _ in new.outputs if name in old_of_output]
    if common_old != common_new:
        out.append(Change("~", "outputs", "outputs", "order", common_old, common_new))

    # Layers, in the new model's order; a removed layer after the last paired layer before it.
    reverse = {n: o for o, n in layer_map.items()}
    entries = []
    anchor = -1
    for o in old.layers.values():
        if o.name in layer_map:
            anchor = new.layers[layer_map[o.name]].order
        else:
            entries.append(((anchor, 1, o.order), "-", o, None))
    for n in new.layers.values():
        o = old.layers.get(reverse[n.name]) if n.name in reverse else None
        entries.append(((n.order, 0, 0), "+" if o is None else "~", o, n))
    entries.sort(key=lambda e: e[0])
    for _, op, o, n in entries:
        if op == "-":
            out.append(_added_layer("-", o))
            if o.kind == "model":
                nested.append((o.model, None))
            continue
        if op == "+":
            out.append(_added_layer("+", n))
            if n.kind == "model":
                nested.append((None, n.model))
            continue
        if o.name != n.name and renamed_outputs.get(o.name) != n.name:
            out.append(Change("~", "layer", n.name, "name", o.name, n.name))
        if o.kind == "model" and n.kind == "model":
            pass  # another model used as this layer: its rename line and its own section say it
        elif o.type != n.type or o.model != n.model:
            out.append(Change("~", "layer", n.name, "type", o.call_text(), n.call_text()))
        else:
            _diff_args("arg", n.name, "", o.written, n.written, o.config, n.config,
                       lambda key: (False, None) if n.kind == "model" else known_default(layer_param(n.type, key)),
                       out)
        if not same_sources(o, n, in_map, layer_map):
            out.append(Change("~", "connections", n.name, "inputs", o.sources(), n.sources()))
        if o.shapes() != n.shapes():
            out.append(Change("~", "shape", n.name, "shape", o.shapes(), n.shapes()))
        if o.params != n.params:
            out.append(Change("~", "params", n.name, "params", o.params, n.params))
        if o.kind == "model" and n.kind == "model":
            nested.append((o.model, n.model))

    for kind in ("compile", "fit"):
        a, b = norm(getattr(old.ir, kind)), norm(getattr(new.ir, kind))
        if kind == "compile" and a and renamed_outputs:  # `loss = {aux: ...}` follows `output aux` renamed
            a = {k: {renamed_outputs.get(o, o): x for o, x in v.items()} if isinstance(v, dict) else v
                 for k, v in a.items()}
        _diff_values(kind, kind, "", Missing if a is None else a, Missing if b is None else b, out)
    return md, nested


def _model_name(spec, model: Optional[str]) -> Optional[str]:
    name = model or spec.root
    if name is None:
        raise ValueError("this spec has no root model; choose one with model=NAME")
    if name not in spec.models:
        raise ValueError(f"there is no model `{name}` in this spec")
    return name


def diff_specs(old, new, model: Optional[str] = None, old_file: Optional[str] = None,
               new_file: Optional[str] = None) -> SpecDiff:
    """The differences between two checked specs (`graphspec.load` results).

    Compares the root models (or the models named `model` on both sides) and,
    through them, the nested models they use. Either side may be None (a file
    added or removed): everything is then reported as added or removed.
    """
    if old is None and new is None:
        return SpecDiff([], old_file, new_file)
    old_root = _model_name(old, model) if old is not None else None
    new_root = _model_name(new, model) if new is not None else None
    queue = [(old_root, new_root, "root")]
    seen = set()
    models = []
    while queue:
        o_name, n_name, role = queue.pop(0)
        if (o_name, n_name) in seen:
            continue
        seen.add((o_name, n_name))
        o_ir = old.models.get(o_name) if old is not None and o_name is not None else None
        n_ir = new.models.get(n_name) if new is not None and n_name is not None else None
        if o_ir is None and n_ir is None:
            continue
        md, nested = _diff_model(o_ir, n_ir, role)
        models.append(md)
        queue.extend((a, b, "nested") for a, b in nested)
    return SpecDiff(models, old_file, new_file)
