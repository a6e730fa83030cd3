"""Pictures of a model: Mermaid and Graphviz text, SVG/PNG through Graphviz's `dot`.

No Keras import: pictures are drawn from the IR alone, with the static shapes.
A shared layer or a nested model is one node with an edge per use; a block
expansion or a nested model is drawn as one node, or with `expand=True` as a
labelled cluster holding its layers.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Dict, List, Optional, Tuple

MAX_ARGS = 3  # key arguments shown on a node
MAX_ARG_CHARS = 24


def _fmt(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_fmt(v) for v in value)
        return f"({inner}{',' if len(value) == 1 else ''})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, dict) and "call" in value:  # a call as JSON
        return f"{value['call']}(...)"
    callee = getattr(value, "callee", None)
    if callee is not None:
        return f"{callee}(...)"
    return str(value)


def _shape(shape) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _args(config: dict) -> str:
    parts = []
    for key, value in config.items():
        if key in ("name", "dtype", "trainable"):
            continue
        text = f"{key}={_fmt(value)}"
        parts.append(text if len(text) <= MAX_ARG_CHARS else text[: MAX_ARG_CHARS - 3] + "...")
        if len(parts) == MAX_ARGS:
            break
    more = ", ..." if len([k for k in config if k not in ("name", "dtype", "trainable")]) > MAX_ARGS else ""
    return ", ".join(parts) + more


class _Scene:
    """Nodes, clusters and edges of one model, ready to print in either syntax."""

    def __init__(self, spec, model_name: str, expand: bool):
        self.spec = spec
        self.expand = expand
        self.nodes: Dict[str, Tuple[str, str]] = {}  # id -> (label lines joined by \n, shape kind)
        self.clusters: Dict[Tuple[str, ...], List[str]] = {}  # cluster path -> node ids
        self.cluster_labels: Dict[Tuple[str, ...], str] = {}
        self.edges: List[Tuple[str, str]] = []
        self._draw(model_name, prefix="", path=())

    def _node(self, nid: str, label: str, kind: str, path: Tuple[str, ...]) -> None:
        if nid not in self.nodes:
            self.nodes[nid] = (label, kind)
            self.clusters.setdefault(path, []).append(nid)

    def _edge(self, a: str, b: str) -> None:
        if a != b and (a, b) not in self.edges:
            self.edges.append((a, b))

    def _draw(self, model_name: str, prefix: str, path: Tuple[str, ...]) -> Dict[str, object]:
        """Draw a model; return where its inputs enter and its outputs leave (for nesting)."""
        ir = self.spec.models[model_name]
        producer: Dict[int, str] = {}  # tensor id -> node id that produces it
        entry: Dict[int, str] = {}
        for inp in ir.inputs:
            nid = f"{prefix}in_{inp.name}"
            self._node(nid, f"{inp.name}\n{_shape((None,) + tuple(inp.shape))} {inp.dtype}", "input", path)
            producer[inp.tensor] = nid
            entry[inp.tensor] = nid
        for node in ir.nodes:
            layer = ir.layers[node.layer]
            shapes = " ".join(_shape(ir.tensors[t].shape) for t in node.outputs)
            scope = tuple(inst for inst, _ in layer.scope)
            if layer.kind == "model" and self.expand:
                inner = self._draw(layer.model, f"{prefix}{layer.name}__", path + (f"{prefix}{layer.name}",))
                self.cluster_labels[path + (f"{prefix}{layer.name}",)] = f"model {layer.model}"
                for t, target in zip(node.inputs, inner["inputs"]):
                    self._edge(producer[t], target)
                for t, source in zip(node.outputs, inner["outputs"]):
                    producer[t] = source
                continue
            if scope and not self.expand:
                # The whole outermost block expansion is one node.
                inst, block = layer.scope[0]
                nid = f"{prefix}blk_{inst}"
                self._node(nid, "", "block", path)
                self.nodes[nid] = (f"{inst}\nblock {block}\n{shapes}", "block")  # the latest outputs win
                for t in node.inputs:
                    self._edge(producer[t], nid)
                for t in node.outputs:
                    producer[t] = nid
                continue
            nid = f"{prefix}l{layer.id}"
            kind = "model" if layer.kind == "model" else ("shared" if layer.shared else "layer")
            if layer.kind == "model":
                label = f"{layer.name}\nmodel {layer.model}\n{shapes}"
            else:
                label = f"{layer.name}\n{layer.type}({_args(layer.config)})\n{shapes}"
            cluster = path + tuple(f"{prefix}{inst}" for inst in scope)
            for i, (inst, block) in enumerate(layer.scope):
                self.cluster_labels[path + tuple(f"{prefix}{s}" for s, _ in layer.scope[: i + 1])] = \
                    f"{inst} ({block})"
            if nid in self.nodes and layer.shared:
                # A shared layer's later uses: one node, more edges; list every use's shape.
                old, k = self.nodes[nid]
                if shapes not in old.split("\n")[-1]:
                    self.nodes[nid] = (old + " " + shapes, k)
            self._node(nid, label, kind, cluster)
            for t in node.inputs:
                self._edge(producer[t], nid)
            for t in node.outputs:
                producer[t] = nid
        outputs = []
        for out in ir.outputs:
            if path:  # a nested model's outputs connect straight to its user
                outputs.append(producer[out.tensor])
                continue
            nid = f"{prefix}out_{out.name}"
            self._node(nid, f"{out.name}\n{_shape(ir.tensors[out.tensor].shape)}", "output", path)
            self._edge(producer[out.tensor], nid)
            outputs.append(nid)
        return {"inputs": [entry[i.tensor] for i in ir.inputs], "outputs": outputs}


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;").replace("\n", "<br/>")


_MERMAID_SHAPES = {"input": ('(["', '"])'), "output": ('(["', '"])'), "block": ('[["', '"]]'),
                   "model": ('[["', '"]]'), "shared": ('{{"', '"}}'), "layer": ('["', '"]')}


def to_mermaid(spec, model_name: Optional[str] = None, expand: bool = False) -> str:
    """The model as a Mermaid flowchart."""
    scene = _Scene(spec, model_name or spec.root, expand)
    lines = ["flowchart TD"]
    ids = {nid: f"n{i}" for i, nid in enumerate(scene.nodes)}

    def emit(path: Tuple[str, ...], indent: str) -> None:
        for nid in scene.clusters.get(path, []):
            label, kind = scene.nodes[nid]
            left, right = _MERMAID_SHAPES[kind]
            lines.append(f"{indent}{ids[nid]}{left}{_mermaid_text(label)}{right}")
        children = sorted({p[: len(path) + 1] for p in scene.clusters if len(p) > len(path) and p[: len(path)] == path},
                          key=_first_seen(scene))
        for child in children:
            cid = "c_" + "_".join(child).replace("-", "_")
            lines.append(f'{indent}subgraph {cid}["{_mermaid_text(scene.cluster_labels.get(child, child[-1]))}"]')
            emit(child, indent + "    ")
            lines.append(f"{indent}end")

    emit((), "    ")
    for a, b in scene.edges:
        lines.append(f"    {ids[a]} --> {ids[b]}")
    return "\n".join(lines) + "\n"


def _first_seen(scene: _Scene):
    order = {p: i for i, p in enumerate(scene.clusters)}
    return lambda p: min((i for q, i in order.items() if q[: len(p)] == p), default=0)


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


_DOT_SHAPES = {"input": 'shape=oval, style=filled, fillcolor="#e8f0fe"',
               "output": 'shape=oval, style=filled, fillcolor="#e6f4ea"',
               "block": 'shape=box3d, style=filled, fillcolor="#fef7e0"',
               "model": 'shape=box3d, style=filled, fillcolor="#f3e8fd"',
               "shared": 'shape=hexagon, style=filled, fillcolor="#fce8e6"',
               "layer": 'shape=box, style="rounded"'}


def to_dot(spec, model_name: Optional[str] = None, expand: bool = False) -> str:
    """The model as Graphviz DOT text."""
    name = model_name or spec.root
    scene = _Scene(spec, name, expand)
    ids = {nid: f"n{i}" for i, nid in enumerate(scene.nodes)}
    lines = [f'digraph "{_dot_text(name)}" {{', "    rankdir=TB;",
         '    graph [fontname="Helvetica", fontsize=11];', '    node [fontname="Helvetica", fontsize=10];',
             '    edge [color="#5f6368"];']

    def emit(path: Tuple[str, ...], indent: str) -> None:
        for nid in scene.clusters.get(path, []):
            label, kind = scene.nodes[nid]
            lines.append(f'{indent}{ids[nid]} [label="{_dot_text(label)}", {_DOT_SHAPES[kind]}];')
        children = sorted({p[: len(path) + 1] for p in scene.clusters if len(p) > len(path) and p[: len(path)] == path},
                          key=_first_seen(scene))
        for child in children:
            cid = "cluster_" + "_".join(child)
            lines.append(f'{indent}subgraph "{_dot_text(cid)}" {{')
            lines.append(f'{indent}    label="{_dot_text(scene.cluster_labels.get(child, child[-1]))}"; '
                         f'style="rounded,dashed"; color="#9aa0a6";')
            emit(child, indent + "    ")
            lines.append(f"{indent}}}")

    emit((), "    ")
    for a, b in scene.edges:
        lines.append(f"    {ids[a]} -> {ids[b]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


class GraphvizMissing(RuntimeError):
    """Graphviz's `dot` is needed for SVG/PNG and is not on the PATH."""


def render(dot_text: str, fmt: str) -> bytes:
    """Run Graphviz's `dot` to turn DOT text into `svg` or `png` bytes."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing(
            "drawing SVG or PNG needs Graphviz's `dot` program, which is not on the PATH: install Graphviz "
            "(Debian/Ubuntu: `apt-get install graphviz`, macOS: `brew install graphviz`, conda: "
            "`conda install graphviz`), or write Mermaid (.mmd) or DOT (.dot) text, which needs nothing")
    done = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"dot failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


FORMATS = (".mmd", ".dot", ".svg", ".png")


def picture(spec, suffix: str, model_name: Optional[str] = None, expand: bool = False) -> bytes:
    """The picture for an output file suffix (.mmd, .dot, .svg, .png)."""
    if suffix == ".mmd":
        return to_mermaid(spec, model_name, expand).encode("utf-8")
    dot = to_dot(spec, model_name, expand)
    if suffix == ".dot":
        return dot.encode("utf-8")
    return render(dot, suffix[1:])
