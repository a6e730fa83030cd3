"""Pairing the two sides' inputs and layers: which old one is which new one (the algorithm only).

Works on the per-side graph views of graphspec/backends/diff/compare.py (`_Graph`: `inputs`,
`layers` by name in topological order, `nodes`, `output_of`, `by_type`), with values already
normalised. Every step is a dict lookup per layer or per call: linear in the graphs' size.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from graphspec.backends.diff.normalise import eq, vkey

__all__ = ["pair_inputs", "pair_layers", "same_sources", "translate"]


def pair_inputs(old: "_Graph", new: "_Graph") -> Dict[str, str]:
    """old input name -> new input name: by name, then renamed ones by position, shape and dtype."""
    new_names = {i.name for i in new.inputs}
    mapping = {i.name: i.name for i in old.inputs if i.name in new_names}
    taken = set(mapping.values())
    for pos, o in enumerate(old.inputs):  # a renamed input keeps its position
        if o.name in mapping or pos >= len(new.inputs):
            continue
        n = new.inputs[pos]
        if n.name not in taken and tuple(o.shape) == tuple(n.shape) and o.dtype == n.dtype:
            mapping[o.name] = n.name
            taken.add(n.name)
    return mapping


def translate(key: tuple, inputs: Dict[str, str], layers: Dict[str, str]) -> tuple:
    """An old source key in the new side's names (unmatched ones stay distinct)."""
    if key[0] == "input":
        return ("input", inputs[key[1]]) if key[1] in inputs else ("old input", key[1])
    if key[0] == "layer":
        return ("layer", layers[key[1]], key[2], key[3]) if key[1] in layers else ("old layer",) + key[1:]
    return ("old",) + key


def same_sources(old_l: "_Layer", new_l: "_Layer", inputs, layers) -> bool:
    if len(old_l.calls) != len(new_l.calls):
        return False
    return all(tuple(translate(k, inputs, layers) for k in o[0]) == n[0]
               for o, n in zip(old_l.calls, new_l.calls))


def _structure(graph: "_Graph", input_names: Dict[str, str], intern: Dict[Any, int]) -> Tuple[dict, dict]:
    """Per layer name, two structural keys (ints, shared through `intern` by both sides).

    The forward key: the layer's type and effective arguments and, per call, the forward
    keys of the calls it reads (inputs by name): equal when the layer and everything
    upstream of it are the same. The backward key: the same downstream, with the
    model outputs by name. A layer whose name moved (a binding renamed, a layer
    inserted before others of its type) is paired through them.

    Keys are flat tuples of ints and names, a tag first (0 layer, 1 call, 2 use, 3 and 4 a layer
    of several calls), each source two items: (forward key, output) of a call, (-1, name) of an
    input, (-2, id) of a tensor nothing makes. `intern` keeps one tuple per distinct key, and
    a layer called once has its call's key as its own: at 200,000 layers the nested tuples of
    one key per call and per layer made diff several times check's memory.
    """
    def key(k):
        return intern.setdefault(k, len(intern))

    ir = graph.ir
    layer_of = ir.layers
    # Per (type, model, config dict): layers written alike share one dict (compare.py), so one vkey each.
    bases: Dict[tuple, int] = {}

    def base(name: str) -> int:
        l = graph.layers[name]
        b = bases.get((l.type, l.model, id(l.config)))
        if b is None:
            b = bases.setdefault((l.type, l.model, id(l.config)), key((0, l.type, l.model, vkey(l.config))))
        return b

    input_of = {inp.tensor: input_names.get(inp.name, inp.name) for inp in ir.inputs}
    producer: Dict[int, tuple] = {}  # tensor -> (index of its call, output index)
    names: List[str] = []
    fwd_node: List[int] = []
    for i, n in enumerate(graph.nodes):
        name = layer_of[n.layer].name
        src = [1, base(name)]
        for t in n.inputs:
            made_by = producer.get(t)
            if made_by is not None:
                src += (fwd_node[made_by[0]], made_by[1])
            else:
                src += (-1, input_of[t]) if t in input_of else (-2, t)
        fwd_node.append(key(tuple(src)))
        names.append(name)
        for j, t in enumerate(n.outputs):
            producer[t] = (i, j)
    # Backward, each call's users are known when it is reached: every user comes later in the order.
    users: Dict[int, list] = {}
    bwd_node = [0] * len(fwd_node)
    nodes = graph.nodes
    for i in range(len(nodes) - 1, -1, -1):
        n = nodes[i]
        parts = [2, base(names[i])]
        used = sorted(users.pop(i, ()))
        parts.append(len(used))
        for u in used:
            parts.extend(u)
        parts.append(len(n.outputs))
        for t in n.outputs:
            outputs = graph.output_of.get(t, ())
            parts.append(len(outputs))
            parts.extend(outputs)
        bwd_node[i] = key(tuple(parts))
        for slot, t in enumerate(n.inputs):
            made_by = producer.get(t)
            if made_by is not None:
                users.setdefault(made_by[0], []).append((bwd_node[i], slot, made_by[1]))
    fwd: Dict[str, Any] = {}
    bwd: Dict[str, Any] = {}
    several = {name for name, (_, calls) in graph._marks.items() if calls}
    for i, name in enumerate(names):
        if name in several:
            fwd.setdefault(name, [3]).append(fwd_node[i])
            bwd.setdefault(name, [4]).append(bwd_node[i])
        else:
            fwd[name], bwd[name] = fwd_node[i], bwd_node[i]
    for name in several:
        fwd[name], bwd[name] = key(tuple(fwd[name])), key(tuple(bwd[name]))
    return fwd, bwd


def pair_layers(old: "_Graph", new: "_Graph", inputs: Dict[str, str]) -> Dict[str, str]:
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
        same_type = old.by_type.get(n.type, ())
        o = same_type[n.typepos] if n.typepos < len(same_type) else None
        if o is None or o.name in mapping:
            continue
        if eq(o.config, n.config) or same_sources(o, n, inputs, mapping):
            pair(o.name, n.name)
    return mapping
