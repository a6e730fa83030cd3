"""Pairing the two sides' inputs and layers: which old one is which new one (the algorithm only).

Works on the per-side graph views of graphspec/backends/diff/compare.py (`_Graph`: `inputs`,
`layers` by name in topological order, `calls`, `output_of`, `by_typepos`), with values already
normalised. Every step is a dict lookup per layer or per call: linear in the graphs' size.
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

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
    """
    def key(k):
        return intern.setdefault(k, len(intern))

    vkeys: Dict[int, Any] = {}  # id of a config dict -> its vkey: layers written alike share one dict (compare.py)
    base = {name: key(("layer", l.type, l.model, vkeys[id(l.config)] if id(l.config) in vkeys
                       else vkeys.setdefault(id(l.config), vkey(l.config))))
            for name, l in graph.layers.items()}
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
        o = old.by_typepos.get((n.type, n.typepos))
        if o is None or o.name in mapping:
            continue
        if eq(o.config, n.config) or same_sources(o, n, inputs, mapping):
            pair(o.name, n.name)
    return mapping
