"""Hover text: a tensor's shape and dtype, a step's layer and parameters, a layer type's signature.

Shapes, dtypes and parameter counts are read from the checked program (the IR the passes
built for this version of the document); a spec with errors has none, and says so.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Dict, List, Optional, Tuple

from graphspec import graph as g
from graphspec.catalog import listing, registry, signatures
from graphspec.lsp import index as ix
from graphspec.lsp.analysis import Analysis
from graphspec.syntax import ast
from graphspec.text import safe_text, shape_text, spec_value

KERAS_DOCS = "https://keras.io/search.html?query={name}"
LAYERS_DOC = "https://github.com/graphspec/graphspec/blob/main/docs/layers.md"
_MAX_DEPTH = 64  # a tensor bound to a tensor bound to ...: far more than any spec writes
_UNCHECKED = "_shape not known: the spec has errors_"


def hover_text(analysis: Analysis, line: int, col: int) -> Optional[Tuple[str, ix.Occurrence]]:
    """Markdown for the name at (line, col) of the main file, and the occurrence it describes."""
    if analysis.index is None:
        return None
    occ = analysis.index.at(line, col)
    if occ is None:
        return None
    text = _KINDS.get(occ.kind, _unknown)(analysis, occ)
    return (text, occ) if text else None


# ------------------------------------------------------------------ tensors

def tensors_of(analysis: Analysis, d: ix.Definition, depth: int = 0) -> List[Tuple[g.Graph, g.Tensor]]:
    """The IR tensors a tensor definition became: one per model and block expansion that has it."""
    node = d.node
    if depth > _MAX_DEPTH or analysis.program is None:
        return []
    got: List[Tuple[g.Graph, g.Tensor]] = []
    if isinstance(node, ast.InputStmt):
        got = [(gr, gr.tensors[i.tensor]) for gr, i in analysis.inputs_at(node.span)]
    elif isinstance(node, (ast.BindStmt, ast.OutputStmt)) and node.chain is not None:
        got = _chain_result(analysis, node.chain, d.target, depth)
    return got or _consumed(analysis, d)


def _chain_result(analysis: Analysis, chain: ast.Chain, i: int, depth: int) -> List[Tuple[g.Graph, g.Tensor]]:
    """The i-th tensor a chain gives: its last step's outputs, or its source's."""
    if chain.steps:
        return [(gr, gr.tensors[n.outputs[i]]) for gr, n in analysis.nodes_at(chain.steps[-1].span)
                if i < len(n.outputs)]  # a block step has no node of its own: the caller looks at uses
    src = chain.source
    if isinstance(src, ast.TupleSource):
        return _chain_result(analysis, src.items[i], 0, depth + 1) if i < len(src.items) else []
    if isinstance(src, ast.Chain):
        return _chain_result(analysis, src, i, depth + 1)
    occ = analysis.index.of_node(src)
    return tensors_of(analysis, occ.definition, depth + 1) if occ and occ.definition else []


def _consumed(analysis: Analysis, d: ix.Definition) -> List[Tuple[g.Graph, g.Tensor]]:
    """A definition's tensors as the steps that use it received them (a block's inputs, a block's result)."""
    got = []
    for occ in analysis.index.uses_of(d):
        if occ.chain is not None and occ.chain.steps:
            for gr, n in analysis.nodes_at(occ.chain.steps[0].span):
                if occ.slot < len(n.inputs):
                    got.append((gr, gr.tensors[n.inputs[occ.slot]]))
            if got:
                return got
    return got


def _counted(items: List[str], most: int = 6) -> List[str]:
    """Distinct lines, in order, with `(×n)` when one place stands for several tensors (a block's
    expansions, a repeat's iterations); at most `most` of them, so a hover stays short."""
    counts = Counter(items)
    distinct = list(dict.fromkeys(items))
    lines = [f"{t} (×{counts[t]})" if counts[t] > 1 else t for t in distinct[:most]]
    if len(distinct) > most:
        lines.append(f"_… and {len(distinct) - most} more_")
    return lines


def _models_note(graphs) -> str:
    names = sorted({gr.name for gr in graphs})
    return f" in {', '.join(f'`{n}`' for n in names)}" if len(names) > 1 else ""


def _tensor(analysis: Analysis, occ: ix.Occurrence) -> str:
    head = f"**{safe_text(occ.name)}** — tensor"
    if occ.definition is None:
        return f"{head}\n\n_not bound here_"
    tensors = tensors_of(analysis, occ.definition)
    if not tensors:
        return f"{head}\n\n{_UNCHECKED if analysis.program is None else '_shape not known_'}"
    lines = _counted([f"`{shape_text(t.shape)}` {t.dtype}" + _producer(gr, t) for gr, t in tensors])
    return head + _models_note(gr for gr, _ in tensors) + "\n\n" + "\n\n".join(lines)


def _producer(graph: g.Graph, t: g.Tensor) -> str:
    if t.producer is None:
        return " · model input"
    layer = graph.layers[graph.nodes[t.producer].layer]
    return f" · from `{safe_text(layer.name)}` ({safe_text(layer.type)})"


# ------------------------------------------------------------------ steps and layer types

def _params(layer: g.Layer) -> str:
    trainable, frozen = layer.params
    text = f"{trainable + frozen:,} params"
    return text + (f" ({frozen:,} non-trainable)" if frozen else "")


def _step_lines(analysis: Analysis, occ: ix.Occurrence) -> List[str]:
    """What the step written here became: layer name and type, output shapes, dtype, parameters."""
    span = getattr(occ.node, "span", None)
    if span is None or not isinstance(occ.node, (ast.Call, ast.StepName)):
        return []
    nodes = analysis.nodes_at(span)
    lines = []
    for gr, n in nodes:
        layer = gr.layers[n.layer]
        outs = [gr.tensors[t] for t in n.outputs]
        shapes = ", ".join(shape_text(t.shape) for t in outs)
        dtype = outs[0].dtype if outs else ""
        lines.append(f"`{safe_text(layer.name)}` ({safe_text(layer.type)}) → `{shapes}` {dtype} · {_params(layer)}")
    return _counted(lines)


def signature_markdown(name: str) -> Optional[str]:
    """A layer type's signature from the captured catalogue, its shape rule and its docs links."""
    canonical = signatures.canonical_layer_name(name)
    if canonical is not None and registry.get(canonical) is not None:
        text = listing.render_text([listing.describe(canonical)])
        return (f"```\n{text}\n```\n\n[Keras docs]({KERAS_DOCS.format(name=canonical)}) · "
                f"[graphspec layers]({LAYERS_DOC}) · Keras {signatures.keras_version()}")
    for kind in signatures.object_kinds_of(name):
        sig = signatures.object_signature(kind, name)
        if sig is not None:
            params = ", ".join(p.name if p.required else f"{p.name}={p.default!r}" for p in sig.params)
            return (f"```\n{sig.name}({params})\n```\n\n{kind} · [Keras docs]({KERAS_DOCS.format(name=sig.name)})")
    return None


def _layer_type(analysis: Analysis, occ: ix.Occurrence) -> Optional[str]:
    parts = _step_lines(analysis, occ)
    sig = signature_markdown(occ.name)
    if sig is None and not parts:
        return None
    head = "\n\n".join(parts) if parts else (_UNCHECKED if analysis.program is None and
                                             isinstance(occ.node, (ast.Call, ast.StepName)) and sig else "")
    return "\n\n".join(p for p in (head, sig) if p)


def _shared_layer(analysis: Analysis, occ: ix.Occurrence) -> str:
    head = f"**{safe_text(occ.name)}** — shared layer (every use shares its weights)"
    d = occ.definition
    parts = _step_lines(analysis, occ)
    if d is not None and isinstance(d.node, ast.LayerStmt):
        call = d.node.call
        if not parts and analysis.program is not None:
            lines = []
            for gr in analysis.program.models.values():
                lines += [f"`{safe_text(la.name)}` ({safe_text(la.type)}) · {la.uses} uses · {_params(la)}"
                          for la in gr.layers if la.span == d.node.span]
            parts = _counted(lines)
        sig = signature_markdown(call.name)
        return "\n\n".join([head] + parts + ([sig] if sig else []))
    return "\n\n".join([head] + parts)


# ------------------------------------------------------------------ top-level names

def _block(analysis: Analysis, occ: ix.Occurrence) -> str:
    d = occ.definition
    b = d.node if d is not None else None
    if not isinstance(b, ast.BlockDef):
        return f"**{safe_text(occ.name)}** — block"
    params = ", ".join(p.name for p in b.params)
    ins = [s.name for s in b.body if isinstance(s, ast.InputStmt)]
    outs = [s.name for s in b.body if isinstance(s, ast.OutputStmt)]
    return (f"```\nblock {b.name}({params})\n```\n\ninputs: {', '.join(ins) or 'none'} · "
            f"outputs: {', '.join(outs) or 'none'} · every use makes new layers")


def _model(analysis: Analysis, occ: ix.Occurrence) -> str:
    head = f"**{safe_text(occ.name)}** — model"
    graph = analysis.program.models.get(occ.name) if analysis.program else None
    if graph is None:
        return head + ("\n\n" + _UNCHECKED if analysis.program is None else "")
    trainable, frozen = graph.param_counts()
    ins = ", ".join(f"{i.name}: `{shape_text(graph.tensors[i.tensor].shape)}` {i.dtype}" for i in graph.inputs)
    outs = ", ".join(f"{o.name}: `{shape_text(graph.tensors[o.tensor].shape)}`" for o in graph.outputs)
    return (f"{head}\n\ninputs: {ins}\n\noutputs: {outs}\n\n{len(graph.live_layers())} layers · "
            f"{trainable + frozen:,} params ({frozen:,} non-trainable)")


def _const(analysis: Analysis, occ: ix.Occurrence) -> Optional[str]:
    if occ.definition is None:
        return None
    head = f"**{safe_text(occ.name)}** — const"
    consts = analysis.program.consts if analysis.program else {}
    if occ.name in consts:
        return f"{head} = `{spec_value(consts[occ.name])}`"
    return head


def _value(analysis: Analysis, occ: ix.Occurrence) -> str:
    d = occ.definition
    if d is not None and isinstance(d.node, ast.Param):
        default = " (required)" if d.node.default is None else ""
        return f"**{safe_text(occ.name)}** — parameter of block `{d.owner}`{default}"
    return f"**{safe_text(occ.name)}** — `repeat` index (0, 1, ...)"


def _import(analysis: Analysis, occ: ix.Occurrence) -> str:
    d = occ.definition
    return f"import of `{safe_text(str(d.path))}`" if d is not None else "import"


def _unknown(analysis: Analysis, occ: ix.Occurrence) -> Optional[str]:
    return None


_KINDS: Dict[str, Callable[[Analysis, ix.Occurrence], Optional[str]]] = {
    ix.TENSOR: _tensor,
    ix.LAYER_TYPE: _layer_type,
    ix.LAYER: _shared_layer,
    ix.BLOCK: _block,
    ix.MODEL: _model,
    ix.CONST: _const,
    ix.PARAM: _value,
    ix.INDEX: _value,
    ix.IMPORT: _import,
}
