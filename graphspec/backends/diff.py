"""A semantic diff of two specs: what changed in the graphs, for code review.

`diff_specs(old, new)` compares the two root models (or the model named with
`model=`) and the nested models they use, as the Keras graphs they describe,
not as text: a reformat, a comment, a renamed const that evaluates to the same
value change nothing. Matching is by Keras layer name (graphspec derives the
names deterministically from the spec, docs/language.md "Layer names in
Keras"); a layer left unmatched is paired with a layer of the other side that
has the same type and the same position among the layers of that type (in
topological order) when the two also agree in their arguments or in their
inputs: a renamed layer, not a removed one and an added one.

Reported per model: inputs added, removed, renamed, reordered, reshaped or
retyped; outputs added, removed, renamed, reordered and their shapes; layers
added, removed, renamed, retyped; argument changes (an argument written with
its default value is the same as not writing it); connectivity (the tensors a
layer is called on); and the consequences: each layer's output shape and
parameter count, the model's totals, and the `compile` / `fit` settings.

Keras-free, like the rest of the static front end. `render_text` writes the
compact report, `to_json` a JSON document; the `graphspec diff` command (plain
two-file form, git's external-diff form and a textconv form) is
graphspec/cli/gitdiff.py; docs/diff.md describes all three.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from graphspec.graph import upstream

__all__ = ["Change", "ModelDiff", "SpecDiff", "diff_specs", "render_text", "render_listing", "to_json",
           "to_dict", "NO_CHANGES"]

NO_CHANGES = "no changes to the graph"


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Call:
    """A call written as a value (`Adam(3e-4)`, `L2(1e-4)`).

    Compared by its effective arguments: positional ones bound to names where the
    catalogue knows the signature, those equal to their defaults left out.
    Shown as written (`shown`).
    """

    callee: str
    args: tuple = ()  # positional arguments that no known signature names
    kwargs: tuple = ()  # (name, value) pairs, defaults left out
    shown: Optional[tuple] = None  # (args, kwargs) as written, for display
    bound: tuple = ()  # (name, value) pairs: positional arguments bound to names, defaults kept

    def __eq__(self, other):
        return (isinstance(other, Call) and self.callee == other.callee and _eq(self.args, other.args)
                and _eq(dict(self.kwargs), dict(other.kwargs)))

    def __hash__(self):
        return hash(self.callee)


def _eq(a: Any, b: Any) -> bool:
    """Equality of normalized values: `True` is not `1`; tuples and lists compare by items."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_eq(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_eq(a[k], b[k]) for k in a)
    if isinstance(a, Call) or isinstance(b, Call):
        return isinstance(a, Call) and isinstance(b, Call) and a == b
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return False
    return a == b


def _known_default(param) -> Tuple[bool, Any]:
    """(known, default) of a catalogue Param: required params and opaque defaults are unknown."""
    from graphspec.catalog.signatures import Opaque

    if param is None or param.required or isinstance(param.default, Opaque):
        return False, None
    return True, param.default


def _is_default(value: Any, default: Any) -> bool:
    if _eq(value, default):
        return True
    # `strides=1` is Keras's `(1, 1)`: an int stands for a tuple of that int.
    return (isinstance(default, tuple) and default and isinstance(value, int) and not isinstance(value, bool)
            and all(_eq(d, value) for d in default))


def _layer_param(type_name: str, name: str):
    from graphspec.catalog.signatures import base_layer_param, layer_signature

    sig = layer_signature(type_name)
    param = sig.param(name) if sig is not None else None
    if param is None and sig is not None:
        param = base_layer_param(name)
    return param


def _object_signature(callee: str):
    from graphspec.catalog.signatures import layer_signature, object_kinds_of, object_signature

    try:
        for kind in object_kinds_of(callee):
            sig = object_signature(kind, callee)
            if sig is not None:
                return sig
        return layer_signature(callee)
    except (ValueError, KeyError):  # an unknown name: compare as written
        return None


def _norm(value: Any) -> Any:
    """A config or settings value in comparable form: calls bound to names, defaults left out."""
    from graphspec.catalog.base import CallValue

    if isinstance(value, CallValue):
        shown = (tuple(_norm(a) for a in value.args), tuple((k, _norm(v)) for k, v in value.kwargs))
        if isinstance(value.config, dict):  # a catalogue layer: bound, defaults filled in
            bound = tuple((k, _norm(v)) for k, v in value.config.items() if k != "name")
            return Call(value.callee, (), tuple((k, v) for k, v in bound
                                               if not _drop_layer_arg(value.callee, k, v)), shown, bound)
        sig = _object_signature(value.callee)
        args = [_norm(a) for a in value.args]
        kwargs = [(k, _norm(v)) for k, v in value.kwargs]
        if sig is not None:
            positional = [p for p in sig.params if p.positional]
            if len(args) <= len(positional):
                kwargs = [(p.name, a) for p, a in zip(positional, args)] + kwargs
                args = []
        bound = tuple(kwargs)
        if sig is not None:
            kwargs = [(k, v) for k, v in kwargs if not _is_known_default(sig.param(k), v)]
        return Call(value.callee, tuple(args), tuple(kwargs), shown, bound)
    if isinstance(value, tuple):
        return tuple(_norm(v) for v in value)
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _norm(v) for k, v in value.items()}
    return value


def _is_known_default(param, value: Any) -> bool:
    known, default = _known_default(param)
    return known and _is_default(value, default)


def _drop_layer_arg(type_name: str, name: str, value: Any) -> bool:
    """`name=` is the layer's identity (a rename), and a value equal to the default is no change."""
    if name == "name":
        return True
    known, default = _known_default(_layer_param(type_name, name))
    return known and _is_default(_norm(value), default)


def fmt(value: Any) -> str:
    """A value in spec syntax: `"relu"`, `(3, 3)`, `Adam(learning_rate=0.0003)`."""
    if isinstance(value, Call):
        args, kwargs = value.shown if value.shown is not None else (value.args, value.kwargs)
        parts = [fmt(a) for a in args] + [f"{k}={fmt(v)}" for k, v in kwargs]
        return f"{value.callee}({', '.join(parts)})"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple):
        inner = ", ".join(fmt(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k if str(k).isidentifier() else fmt(str(k))}: {fmt(v)}"
                               for k, v in value.items()) + "}"
    return repr(value) if value is not None and not isinstance(value, (bool, int)) else str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Call):
        args, kwargs = value.shown if value.shown is not None else (value.args, value.kwargs)
        return {"call": value.callee, "args": [_jsonable(a) for a in args],
                "kwargs": {k: _jsonable(v) for k, v in kwargs}}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _shape(shape) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):  # several calls or outputs
        return "[" + ", ".join(_shape(s) for s in shape) + "]"
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _count(n: int) -> str:
    return f"{n:,}"


def _delta(old: int, new: int) -> str:
    return f"{new - old:+,}"


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


@dataclass
class _Layer:
    name: str
    type: str  # Keras class name; "Model" for a nested model
    kind: str
    model: Optional[str]
    written: Dict[str, Any]  # the arguments as written (normalized values), `name=` left out
    config: Dict[str, Any]  # the effective arguments: those equal to their defaults left out
    calls: List[Tuple[tuple, tuple, tuple]]  # per call: (source keys, source labels, output shapes)
    order: int
    typepos: int
    params: Tuple[int, int]

    def call_text(self) -> str:
        if self.kind == "model":
            return f"model {self.model}"
        return fmt(Call(self.type, (), tuple(self.written.items())))

    def sources(self) -> List[List[str]]:
        """Per call, the tensors it reads: an input's name, or `layer`, `layer[i]` (output i), `layer#k` (call k)."""
        return [list(labels) for _, labels, _ in self.calls]

    def sources_text(self) -> str:
        return _sources_text(self.sources())

    def shapes(self):
        per_call = [list(shapes) if len(shapes) != 1 else shapes[0] for _, _, shapes in self.calls]
        return per_call[0] if len(per_call) == 1 else per_call


def _sources_text(calls: Sequence[Sequence[str]]) -> str:
    return ", ".join(labels[0] if len(labels) == 1 else "(" + ", ".join(labels) + ")" for labels in calls)


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
        producer: Dict[int, tuple] = {}
        for inp in ir.inputs:
            producer[inp.tensor] = (("input", inp.name), inp.name)
        for n in nodes:
            layer = ir.layers[n.layer]
            uses = calls_of[n.layer]
            call = uses.index(n)
            for i, t in enumerate(n.outputs):
                label = layer.name + (f"[{i}]" if len(n.outputs) > 1 else "") + \
                    (f"#{call + 1}" if len(uses) > 1 else "")
                producer[t] = (("layer", layer.name, call, i), label)
        self.layers: Dict[str, _Layer] = {}
        typecount: Dict[str, int] = {}
        for n in nodes:
            layer = ir.layers[n.layer]
            if layer.name in self.layers:
                continue
            type_name = "Model" if layer.kind == "model" else layer.type
            written = {k: _norm(v) for k, v in layer.config.items() if k != "name"}
            config = {k: v for k, v in written.items()
                      if layer.kind == "model" or not _drop_layer_arg(layer.type, k, v)}
            calls = []
            for use in calls_of[n.layer]:
                keys = tuple(producer[t][0] if t in producer else ("tensor", t) for t in use.inputs)
                labels = tuple(producer[t][1] if t in producer else f"<tensor {t}>" for t in use.inputs)
                shapes = tuple(ir.tensors[t].shape for t in use.outputs)
                calls.append((keys, labels, shapes))
            pos = typecount.get(type_name, 0)
            typecount[type_name] = pos + 1
            self.layers[layer.name] = _Layer(layer.name, type_name, layer.kind, layer.model, written, config, calls,
                                             len(self.layers), pos, (layer.trainable_params,
                                                                     layer.non_trainable_params))
        self.by_typepos = {(l.type, l.typepos): l for l in self.layers.values()}
        # The live calls in topological order, for the structural keys: (layer name, sources, output tensors),
        # a source being ("input", name) or ("node", index in this list, output index).
        index = {n.id: i for i, n in enumerate(nodes)}
        made: Dict[int, tuple] = {inp.tensor: ("input", inp.name) for inp in ir.inputs}
        for n in nodes:
            for i, t in enumerate(n.outputs):
                made[t] = ("node", index[n.id], i)
        self.calls = [(ir.layers[n.layer].name, tuple(made.get(t, ("tensor", t)) for t in n.inputs),
                       tuple(n.outputs)) for n in nodes]
        self.output_of = {}
        for o in ir.outputs:
            self.output_of.setdefault(o.tensor, []).append(o.name)
        self.inputs = list(ir.inputs)
        self.outputs = [(o.name, ir.tensors[o.tensor].shape, producer.get(o.tensor, ((None,), None))[0])
                        for o in ir.outputs]
        self.params = ir.param_counts()


# --------------------------------------------------------------------------- comparing


def _pair_inputs(old: _Graph, new: _Graph) -> Dict[str, str]:
    """old input name -> new input name: by name, then renamed ones by position, shape and dtype."""
    new_names = {i.name for i in new.inputs}
    mapping = {i.name: i.name for i in old.inputs if i.name in new_names}
    old_left = [i for i in old.inputs if i.name not in mapping]
    new_left = [i for i in new.inputs if i.name not in mapping.values()]
    for o in old_left:
        for n in new_left:
            if (tuple(o.shape) == tuple(n.shape) and o.dtype == n.dtype
                    and old.inputs.index(o) == new.inputs.index(n)):
                mapping[o.name] = n.name
                new_left.remove(n)
                break
    return mapping


def _translate(key: tuple, inputs: Dict[str, str], layers: Dict[str, str]) -> tuple:
    """An old source key in the new side's names (unmatched ones stay distinct)."""
    if key[0] == "input":
        return ("input", inputs[key[1]]) if key[1] in inputs else ("old input", key[1])
    if key[0] == "layer":
        return ("layer", layers[key[1]], key[2], key[3]) if key[1] in layers else ("old layer",) + key[1:]
    return ("old",) + key


def _same_sources(old_l: _Layer, new_l: _Layer, inputs, layers) -> bool:
    if len(old_l.calls) != len(new_l.calls):
        return False
    return all(tuple(_translate(k, inputs, layers) for k in o[0]) == n[0]
               for o, n in zip(old_l.calls, new_l.calls))


def _vkey(value: Any) -> Any:
    """A hashable key of a normalized value, equal when `_eq` says the values are equal."""
    if isinstance(value, bool) or value is None:
        return ("const", value)
    if isinstance(value, (int, float)):
        return ("num", value)
    if isinstance(value, Call):
        return ("call", value.callee, _vkey(value.args), _vkey(dict(value.kwargs)))
    if isinstance(value, (list, tuple)):
        return ("seq",) + tuple(_vkey(v) for v in value)
    if isinstance(value, dict):
        return ("dict",) + tuple(sorted((str(k), _vkey(v)) for k, v in value.items()))
    return ("str", str(value))


def _structure(graph: _Graph, input_names: Dict[str, str], intern: Dict[Any, int]) -> Tuple[dict, dict]:
    """Per layer name, two structural keys (ints, shared through `intern` by both sides).

    The forward key: the layer's type and effective arguments and, per call, the forward
    keys of the calls it reads (inputs by name): equal when the layer and everything
    upstream of it are the same. The backward key: the same downstream, with the
    model outputs by name. A layer whose name moved (a binding renamed, a layer
    inserted before others of its type) is paired through them.
    """
    def key(k):
        return intern.setdefault(k, len(intern))

    base = {name: key(("layer", l.type, l.model, _vkey(l.config))) for name, l in graph.layers.items()}
    fwd_node = []
    for name, sources, _ in graph.calls:
        src = tuple(("input", input_names.get(s[1], s[1])) if s[0] == "input"
                    else (fwd_node[s[1]], s[2]) if s[0] == "node" else s for s in sources)
        fwd_node.append(key(("call", base[name], src)))
    consumers: Dict[int, list] = {}
    for i, (_, sources, _) in enumerate(graph.calls):
        for slot, s in enumerate(sources):
            if s[0] == "node":
                consumers.setdefault(s[1], []).append((i, slot, s[2]))
    bwd_node = [0] * len(graph.calls)
    for i in range(len(graph.calls) - 1, -1, -1):
        name, _, outs = graph.calls[i]
        used = sorted((bwd_node[c], slot, out) for c, slot, out in consumers.get(i, ()))
        named = tuple((j, tuple(graph.output_of.get(t, ()))) for j, t in enumerate(outs))
        bwd_node[i] = key(("use", base[name], tuple(used), named))
    fwd: Dict[str, list] = {}
    bwd: Dict[str, list] = {}
    for i, (name, _, _) in enumerate(graph.calls):
        fwd.setdefault(name, []).append(fwd_node[i])
        bwd.setdefault(name, []).append(bwd_node[i])
    return ({n: key(("f",) + tuple(v)) for n, v in fwd.items()},
            {n: key(("b",) + tuple(v)) for n, v in bwd.items()})


def _pair_layers(old: _Graph, new: _Graph, inputs: Dict[str, str]) -> Dict[str, str]:
    """old layer name -> new layer name.

    In turn: the same structure upstream (forward key), the same structure downstream
    (backward key), the same name, and last the same type at the same position among
    the layers of that type with the same arguments or the same inputs. Among
    structurally equal candidates, the one of the same name wins.
    """
    intern: Dict[Any, int] = {}
    old_f, old_b = _structure(old, inputs, intern)
    new_f, new_b = _structure(new, {}, intern)
    mapping: Dict[str, str] = {}
    taken = set()

    def pair(o: str, n: str):
        mapping[o] = n
        taken.add(n)

    for old_keys, new_keys in ((old_f, new_f), (old_b, new_b)):
        groups: Dict[int, list] = {}
        for name in old.layers:
            groups.setdefault(old_keys[name], []).append(name)
        for n in new.layers:  # same name first, then in order
            if n not in taken and n in old.layers and n not in mapping and old_keys[n] == new_keys[n]:
                pair(n, n)
        for n in new.layers:
            if n in taken:
                continue
            for o in groups.get(new_keys[n], ()):
                if o not in mapping and not (o in new.layers and new_keys[o] == old_keys[o]):
                    pair(o, n)
                    break
    for n in new.layers:
        if n not in taken and n in old.layers and n not in mapping:
            pair(n, n)
    for n in new.layers.values():  # topological order: a layer's sources are paired before it
        if n.name in taken:
            continue
        o = old.by_typepos.get((n.type, n.typepos))
        if o is None or o.name in mapping:
            continue
        if _eq(o.config, n.config) or _same_sources(o, n, inputs, mapping):
            pair(o.name, n.name)
    return mapping


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _diff_args(kind: str, subject: str, prefix: str, old_bound: dict, new_bound: dict, old_eff: dict,
               new_eff: dict, default_of, out: List[Change]) -> None:
    """Arguments of a layer or a call: compared by effective value, shown as written (bound to names)."""
    for key in list(new_bound) + [k for k in old_bound if k not in new_bound]:
        if _eq(old_eff.get(key, _Missing), new_eff.get(key, _Missing)):
            continue  # the same, or written on one side with its default value
        o, n = old_bound.get(key, _Missing), new_bound.get(key, _Missing)
        known, default = default_of(key)
        where = _join(prefix, key)
        if o is _Missing:
            out.append(Change("+", kind, subject, where, new=n, default=default, has_default=known))
        elif n is _Missing:
            out.append(Change("-", kind, subject, where, old=o, default=default, has_default=known))
        else:
            _diff_values(kind, subject, where, o, n, out)


def _call_default_of(callee: str):
    from graphspec.catalog.signatures import layer_signature

    sig = layer_signature(callee) or _object_signature(callee)

    def default_of(key):
        if sig is None:
            return False, None
        param = sig.param(key)
        if param is None and sig.kind == "layer":
            param = _layer_param(callee, key)
        return _known_default(param)

    return default_of


def _diff_values(kind: str, subject: str, where: str, old: Any, new: Any, out: List[Change]) -> None:
    """Values, recursively: dict keys, list items of the same calls, call arguments."""
    missing = _Missing
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
    if _eq(old, new):
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


class _MissingType:
    def __repr__(self):
        return "<missing>"


_Missing = _MissingType()


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
            value = _norm(getattr(side.ir, kind))
            if value is not None:
                _diff_values(kind, kind, "", _Missing if op == "+" else value, value if op == "+" else _Missing,
                             out)
        return md, nested

    if old.name != new.name:
        out.append(Change("~", "model", new.name, "name", old.name, new.name))

    # Inputs.
    in_map = _pair_inputs(old, new)
    for i in old.inputs:
        if i.name not in in_map:
            out.append(Change("-", "input", i.name, old=i))
    for i in new.inputs:
        o = next((x for x in old.inputs if in_map.get(x.name) == i.name), None)
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
    common_new = [i.name for i in new.inputs if i.name in set(in_map.values())]
    if common_old != common_new:
        out.append(Change("~", "inputs", "inputs", "order", common_old, common_new))

    # Layers are paired first: an output is renamed when its producer is paired.
    layer_map = _pair_layers(old, new, in_map)

    # Outputs.
    new_out = {name: (shape, key) for name, shape, key in new.outputs}
    old_out = {name: (shape, key) for name, shape, key in old.outputs}
    out_map = {name: name for name in old_out if name in new_out}
    for name, shape, key in old.outputs:
        if name in out_map:
            continue
        moved = _translate(key, in_map, layer_map) if key[0] in ("input", "layer") else None
        for n_name, n_shape, n_key in new.outputs:
            if n_name not in out_map.values() and n_name not in old_out and moved == n_key:
                out_map[name] = n_name
                break
    renamed_outputs = {o: n for o, n in out_map.items() if o != n}
    for name, shape, _ in old.outputs:
        if name not in out_map:
            out.append(Change("-", "output", name, old=shape))
    for name, shape, _ in new.outputs:
        o = next((x for x in out_map if out_map[x] == name), None)
        if o is None:
            out.append(Change("+", "output", name, new=shape))
            continue
        if o != name:
            out.append(Change("~", "output", name, "name", o, name))
        if old_out[o][0] != shape:
            out.append(Change("~", "output", name, "shape", old_out[o][0], shape))
    common_old = [out_map[name] for name, _, _ in old.outputs if name in out_map]
    common_new = [name for name, _, _ in new.outputs if name in set(out_map.values())]
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
                       lambda key: (False, None) if n.kind == "model" else _known_default(_layer_param(n.type, key)),
                       out)
        if not _same_sources(o, n, in_map, layer_map):
            out.append(Change("~", "connections", n.name, "inputs", o.sources(), n.sources()))
        if o.shapes() != n.shapes():
            out.append(Change("~", "shape", n.name, "shape", o.shapes(), n.shapes()))
        if o.params != n.params:
            out.append(Change("~", "params", n.name, "params", o.params, n.params))
        if o.kind == "model" and n.kind == "model":
            nested.append((o.model, n.model))

    for kind in ("compile", "fit"):
        a, b = _norm(getattr(old.ir, kind)), _norm(getattr(new.ir, kind))
        if kind == "compile" and a and renamed_outputs:  # `loss = {aux: ...}` follows `output aux` renamed
            a = {k: {renamed_outputs.get(o, o): x for o, x in v.items()} if isinstance(v, dict) else v
                 for k, v in a.items()}
        _diff_values(kind, kind, "", _Missing if a is None else a, _Missing if b is None else b, out)
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


# --------------------------------------------------------------------------- rendering

_RESET = "\x1b[0m"
_STYLE = {"+": "\x1b[32m", "-": "\x1b[31m", "~": "\x1b[33m", "header": "\x1b[1m", "meta": "\x1b[1m",
          "dim": "\x1b[2m"}


def _paint(text: str, style: str, color: bool) -> str:
    return f"{_STYLE[style]}{text}{_RESET}" if color else text


def _params_text(params: Tuple[int, int]) -> str:
    return f"{_count(sum(params))} params" if sum(params) != 1 else "1 param"


def _params_change(old: Tuple[int, int], new: Tuple[int, int]) -> str:
    text = f"{_count(sum(old))} -> {_count(sum(new))} ({_delta(sum(old), sum(new))})"
    if old[1] or new[1]:
        text += (f"; trainable {_count(old[0])} -> {_count(new[0])}, "
                 f"non-trainable {_count(old[1])} -> {_count(new[1])}")
    return text


def _layer_line(layer: _Layer) -> str:
    text = f"layer {layer.name}: {layer.call_text()}"
    if layer.calls:
        text += f" <- {layer.sources_text()}"
    text += f"; shape {_shape(layer.shapes())}"
    if sum(layer.params):
        text += f"; {_params_text(layer.params)}"
    return text


def _input_text(inp) -> str:
    return f"{_shape(tuple(inp.shape))} {inp.dtype}"


def change_text(c: Change) -> str:
    """One change as a report line, without the model header and colour."""
    if c.kind == "model":
        return f"~ model renamed: {c.old} -> {c.new}"
    if c.kind == "input":
        if c.op == "+":
            return f"+ input {c.subject}: {_input_text(c.new)}"
        if c.op == "-":
            return f"- input {c.subject}: {_input_text(c.old)}"
        if c.field == "name":
            return f"~ input {c.old} renamed {c.new}"
        return f"~ input {c.subject} {c.field}: {_shape(c.old) if c.field == 'shape' else c.old} -> " \
               f"{_shape(c.new) if c.field == 'shape' else c.new}"
    if c.kind in ("inputs", "outputs"):
        return f"~ {c.kind} reordered: {', '.join(c.old)} -> {', '.join(c.new)}"
    if c.kind == "output":
        if c.op == "+":
            return f"+ output {c.subject}: {_shape(c.new)}"
        if c.op == "-":
            return f"- output {c.subject}: {_shape(c.old)}"
        if c.field == "name":
            return f"~ output {c.old} renamed {c.new}"
        return f"~ output {c.subject}: {_shape(c.old)} -> {_shape(c.new)}"
    if c.kind == "layer":
        if c.op == "+":
            return "+ " + _layer_line(c.new)
        if c.op == "-":
            return "- " + _layer_line(c.old)
        if c.field == "name":
            return f"~ layer {c.old} renamed {c.new}"
        return f"~ layer {c.subject}: {c.old} -> {c.new}"
    if c.kind in ("arg", "compile", "fit"):
        path = _join(c.subject, c.field or "")
        if c.op == "+":
            return f"+ {path} = {fmt(c.new)}" + (f" (default: {fmt(c.default)})" if c.has_default else "")
        if c.op == "-":
            return f"- {path} = {fmt(c.old)}" + (f" (back to the default: {fmt(c.default)})"
                                                 if c.has_default else "")
        return f"~ {path}: {fmt(c.old)} -> {fmt(c.new)}"
    if c.kind == "connections":
        return f"~ {c.subject} inputs: {_sources_text(c.old)} -> {_sources_text(c.new)}"
    if c.kind == "shape":
        return f"~ {c.subject} shape: {_shape(c.old)} -> {_shape(c.new)}"
    if c.kind == "params":
        return f"~ {c.subject} params: {_params_change(c.old, c.new)}"
    raise ValueError(f"unknown change kind {c.kind!r}")


def _header(md: ModelDiff) -> str:
    nested = " (nested)" if md.role == "nested" else ""
    if md.old is None:
        return f"model {md.new}{nested} (added)"
    if md.new is None:
        return f"model {md.old}{nested} (removed)"
    if md.old != md.new:
        return f"model {md.old} -> {md.new}{nested}"
    return f"model {md.new}{nested}"


def _totals(md: ModelDiff) -> str:
    old, new = md.old_params, md.new_params
    if md.old is not None and md.new is not None and old == new:
        text = f"params: {_count(sum(new))} (unchanged)"
        if new[1]:
            text += f"; trainable {_count(new[0])}, non-trainable {_count(new[1])}"
        return text
    return "params: " + _params_change(old, new)


def render_text(diff: SpecDiff, color: bool = False) -> str:
    """The report: per changed model a header, one `+`/`-`/`~` line per change, a totals line.

    Identical graphs give the single line `no changes to the graph`.
    """
    if not diff.changed:
        return NO_CHANGES + "\n"
    out = []
    for md in diff.models:
        if not md.changed:
            continue
        if out:
            out.append("")
        out.append(_paint(_header(md), "header", color))
        for c in md.changes:
            if c.kind == "model":
                continue  # the header says it
            out.append(_paint("  " + change_text(c), c.op, color) if color else "  " + change_text(c))
        out.append(_paint("  " + _totals(md), "dim", color) if color else "  " + _totals(md))
    return "\n".join(out) + "\n"


def render_listing(spec, model: Optional[str] = None) -> str:
    """A spec as a canonical listing, one line per input, output, layer and setting.

    It is the report of the spec against nothing, without the `+` marks: what
    `graphspec diff --textconv` prints, so that git's line diff of two listings
    is a semantic diff.
    """
    diff = diff_specs(None, spec, model=model)
    out = []
    for md in diff.models:
        if out:
            out.append("")
        out.append(f"model {md.new}" + (" (nested)" if md.role == "nested" else ""))
        for c in md.changes:
            out.append(change_text(c)[2:])
        out.append(f"params: {_count(sum(md.new_params))}" + (
            f"; trainable {_count(md.new_params[0])}, non-trainable {_count(md.new_params[1])}"
            if md.new_params[1] else ""))
    return "\n".join(out) + "\n"


def _change_json(c: Change) -> dict:
    def side(value):
        if isinstance(value, _Layer):
            return {"name": value.name, "type": value.type, "model": value.model,
                    "config": _jsonable(value.config),
                    "inputs": [list(labels) for _, labels, _ in value.calls],
                    "shape": _jsonable(value.shapes()),
                    "trainable_params": value.params[0], "non_trainable_params": value.params[1]}
        if hasattr(value, "dtype") and hasattr(value, "shape") and hasattr(value, "name"):  # an InputIR
            return {"name": value.name, "shape": _jsonable(tuple(value.shape)), "dtype": value.dtype}
        if c.kind == "params":
            return {"trainable": value[0], "non_trainable": value[1], "total": value[0] + value[1]}
        return _jsonable(value)

    out = {"op": c.op, "kind": c.kind, "subject": c.subject, "field": c.field,
           "old": side(c.old) if c.old is not None or c.op == "~" else None,
           "new": side(c.new) if c.new is not None or c.op == "~" else None}
    if c.kind in ("arg", "compile", "fit"):
        out["default"] = _jsonable(c.default) if c.has_default else None
        out["has_default"] = c.has_default
    out["text"] = change_text(c)
    return out


def _params_json(params: Tuple[int, int]) -> dict:
    return {"trainable": params[0], "non_trainable": params[1], "total": params[0] + params[1]}


def to_dict(diff: SpecDiff) -> dict:
    """The diff as JSON-ready data (see docs/diff.md for the structure)."""
    return {
        "old_file": diff.old_file,
        "new_file": diff.new_file,
        "changed": diff.changed,
        "models": [{
            "old": md.old, "new": md.new, "role": md.role, "status": md.status,
            "changes": [_change_json(c) for c in md.changes],
            "params": {"old": _params_json(md.old_params) if md.old is not None else None,
                       "new": _params_json(md.new_params) if md.new is not None else None,
                       "delta": sum(md.new_params) - sum(md.old_params)},
        } for md in diff.models],
    }


def to_json(diff: SpecDiff, indent: int = 2) -> str:
    """The diff as a JSON document."""
    return json.dumps(to_dict(diff), indent=indent)

