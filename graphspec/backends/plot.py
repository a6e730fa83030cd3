"""Pictures of a model: Mermaid and Graphviz text; SVG/PNG drawn by graphspec itself (svg.py,
PNG through the pip-installable `resvg-py`), or by Graphviz's `dot` when asked (`engine="graphviz"`).

No Keras import: pictures are drawn from the IR alone, with the static shapes.
A shared layer or a nested model is one node with an edge per use; a block
expansion or a nested model is drawn as one node, or with `expand=True` as a
labelled cluster holding its layers.

Every label is kept as a tuple of lines of plain text until it is printed; each
output syntax escapes each line for itself (`_LABEL_ESCAPES`), so that no name,
string argument or hand-edited IR value can close a label, start a statement or
inject markup into the SVG that Graphviz draws from the DOT text. Identifiers
in the output (`n0`, `c0`, `cluster_0`) are generated, never taken from the spec.

Every input of every step is an edge: a shared layer used twice gets two incoming edges, and a
Concatenate of one layer's two uses two edges from it. A block drawn as one node gets one edge per
tensor entering it, however many of its layers read that tensor. Edges are (source, target, port)
triples, the port being the input's ordinal at the target.

Drawing is linear in the model's size: edges are a dict keyed by what they carry, a shared
layer's shapes a list joined once, clusters a tree built once.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Dict, List, Optional, Tuple

from graphspec.catalog.ops import OPERATORS
from graphspec.text import label_value, safe_text, shape_text

MAX_ARGS = 3  # key arguments shown on a node
MAX_ARG_CHARS = 24
_HIDDEN_ARGS = ("name", "dtype", "trainable")

Lines = Tuple[str, ...]
Path = Tuple[int, ...]  # a cluster: the indices of the clusters enclosing it, outermost first


def _args(config: dict) -> str:
    shown = [key for key in config if key not in _HIDDEN_ARGS]
    parts = []
    for key in shown[:MAX_ARGS]:
        text = f"{safe_text(key)}={label_value(config[key])}"
        parts.append(text if len(text) <= MAX_ARG_CHARS else text[: MAX_ARG_CHARS - 3] + "...")
    return ", ".join(parts) + (", ..." if len(shown) > MAX_ARGS else "")


class _Node:
    """One box: its label lines, its kind, and (for a shared layer) every use's shapes."""

    __slots__ = ("head", "kind", "shapes")

    def __init__(self, head: Lines, kind: str, shapes: str = ""):
        self.head = head
        self.kind = kind
        self.shapes: List[str] = [shapes] if shapes else []

    def add_shapes(self, shapes: str) -> None:
        if shapes not in self.shapes:  # a handful per node: the uses' distinct shapes
            self.shapes.append(shapes)

    def label(self) -> Lines:
        return self.head + ((" ".join(self.shapes),) if self.shapes else ())


class _Scene:
    """Nodes, clusters and edges of one model, ready to print in either syntax."""

    def __init__(self, spec, model_name: str, expand: bool):
        self.spec = spec
        self.expand = expand
        self.nodes: Dict[str, _Node] = {}  # node key -> node, in first-drawn order
        self.members: Dict[Path, List[str]] = {(): []}  # cluster -> node keys directly in it
        self.children: Dict[Path, List[Path]] = {(): []}  # cluster -> sub-clusters, in first-seen order
        self.cluster_labels: Dict[Path, str] = {}
        self._cluster_ids: Dict[Tuple[Path, str], Path] = {}  # (parent, spec-side key) -> cluster
        # (tensor, target, use) -> (source, target, port), in drawing order; `edges` lists the values.
        self._edges: Dict[Tuple[object, str, object], Tuple[str, str, int]] = {}
        self._ports: Dict[str, int] = {}
        self._draw(model_name, prefix="", path=())
        self.edges: List[Tuple[str, str, int]] = list(self._edges.values())

    def _cluster(self, parent: Path, key: str, label: str) -> Path:
        """The cluster `key` inside `parent` (created on first use); its label is the latest given."""
        path = self._cluster_ids.get((parent, key))
        if path is None:
            path = parent + (len(self._cluster_ids),)
            self._cluster_ids[(parent, key)] = path
            self.members[path] = []
            self.children[path] = []
            self.children[parent].append(path)
        self.cluster_labels[path] = label
        return path

    def _node(self, nid: str, node: _Node, path: Path) -> _Node:
        """The node `nid`, created in cluster `path` unless it exists."""
        existing = self.nodes.get(nid)
        if existing is not None:
            return existing
        self.nodes[nid] = node
        self.members[path].append(nid)
        return node

    def _edge(self, a: str, b: str, tensor: object = None, use: object = 0) -> None:
        """An edge from `a` into `b` carrying `tensor` (its `use`-th input there); once per key."""
        if a == b:
            return
        key = (tensor if tensor is not None else a, b, use)
        if key not in self._edges:
            port = self._ports.get(b, 0)
            self._ports[b] = port + 1
            self._edges[key] = (a, b, port)

    def _draw(self, model_name: str, prefix: str, path: Path) -> Dict[str, object]:
        """Draw a model; return where its inputs enter and its outputs leave (for nesting)."""
        ir = self.spec.models[model_name]
        producer: Dict[int, str] = {}  # tensor id -> node key that produces it
        entry: Dict[int, str] = {}
        for inp in ir.inputs:
            nid = f"{prefix}in_{inp.name}"
            self._node(nid, _Node((inp.name, f"{shape_text((None,) + tuple(inp.shape))} {inp.dtype}"), "input"),
                       path)
            producer[inp.tensor] = nid
            entry[inp.tensor] = nid
        for node in ir.nodes:
            layer = ir.layers[node.layer]
            shapes = " ".join(shape_text(ir.tensors[t].shape) for t in node.outputs)
            if layer.kind == "model" and self.expand:
                inner_path = self._cluster(path, f"model:{prefix}{layer.name}", f"model {layer.model}")
                inner = self._draw(layer.model, f"{prefix}{layer.name}__", inner_path)
                for t, target in zip(node.inputs, inner["inputs"]):
                    self._edge(producer[t], target, (prefix, t))
                for t, source in zip(node.outputs, inner["outputs"]):
                    producer[t] = source
                continue
            collapsed = bool(layer.scope) and not self.expand
            if collapsed:
                # The whole outermost block expansion is one node; the latest outputs' shapes win.
                inst, block = layer.scope[0]
                nid = f"{prefix}blk_{inst}"
                drawn = self._node(nid, _Node((inst, f"block {block}"), "block"), path)
                drawn.shapes = [shapes]
            else:
                nid = f"{prefix}l{layer.id}"
                frozen = " frozen" if layer.config.get("trainable", True) is False else ""  # `trainable=False`
                if layer.kind == "model":
                    kind, head = "model", (layer.name, f"model {layer.model}{frozen}")
                elif layer.kind == "op":  # a small operator node: `+`, `ops.mean(axis=1)`
                    kind, head = "op", (_op_label(layer),)
                else:
                    kind = "shared" if layer.shared else "layer"
                    head = (layer.name, f"{layer.type}({_args(layer.config)}){frozen}")
                cluster = path
                for inst, block in layer.scope:
                    cluster = self._cluster(cluster, f"block:{prefix}{inst}", f"{inst} ({block})")
                # A shared layer's later uses: one node, more edges; every use's shape listed.
                self._node(nid, _Node(head, kind), cluster).add_shapes(shapes)
            for use, t in enumerate(node.inputs):
                # Into a collapsed block, a tensor is one edge whichever of its layers reads it.
                self._edge(producer[t], nid, (prefix, t), 0 if collapsed else (id(node), use))
            for t in node.outputs:
                producer[t] = nid
        outputs = []
        for out in ir.outputs:
            if path:  # a nested model's outputs connect straight to its user
                outputs.append(producer[out.tensor])
                continue
            nid = f"{prefix}out_{out.name}"
            self._node(nid, _Node((out.name, shape_text(ir.tensors[out.tensor].shape)), "output"), path)
            self._edge(producer[out.tensor], nid, (prefix, out.tensor))
            outputs.append(nid)
        return {"inputs": [entry[i.tensor] for i in ir.inputs], "outputs": outputs}

    def walk(self, emit_node, open_cluster, close_cluster) -> None:
        """Visit clusters depth-first (iteratively: nesting is bounded, but never trust a stack)."""
        stack: List[Tuple[Path, int]] = [((), 0)]
        while stack:
            path, k = stack.pop()
            if k == 0:
                for nid in self.members[path]:
                    emit_node(nid, len(path))
            kids = self.children[path]
            if k < len(kids):
                stack.append((path, k + 1))
                open_cluster(kids[k], len(path))
                stack.append((kids[k], 0))
            elif path:
                close_cluster(path, len(path) - 1)


# ------------------------------------------------------------------ escaping, per output syntax

# Mermaid reads `#name;` / `#123;` as an entity, `"` ends a quoted label, `<`/`>`/`&` would be
# HTML in its labels, and a backquote starts a markdown string; `#` itself is escaped first so
# that no user text reads as one of our entities.
_MERMAID = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "`": "#96;"}
_MERMAID_RE = re.compile("[" + re.escape("".join(_MERMAID)) + "]")

# DOT: inside a quoted string `\` starts an escape (`\n`, `\N`, `\G`...) and `"` ends it; Graphviz
# also decodes HTML entities in labels, so `&`, and `<`/`>` for the SVG it draws, become entities.
_DOT = {"\\": "\\\\", '"': '\\"', "&": "&amp;", "<": "&lt;", ">": "&gt;"}
_DOT_RE = re.compile("[" + re.escape("".join(_DOT)) + "]")


def _mermaid_line(line: str) -> str:
    return _MERMAID_RE.sub(lambda m: _MERMAID[m.group()], safe_text(line))


def _dot_line(line: str) -> str:
    return _DOT_RE.sub(lambda m: _DOT[m.group()], safe_text(line))


def _mermaid_label(lines: Lines) -> str:
    return "<br/>".join(_mermaid_line(line) for line in lines)


def _dot_label(lines: Lines) -> str:
    return "\\n".join(_dot_line(line) for line in lines)


_MERMAID_SHAPES = {"input": ('(["', '"])'), "output": ('(["', '"])'), "block": ('[["', '"]]'),
                   "model": ('[["', '"]]'), "shared": ('{{"', '"}}'), "layer": ('["', '"]'), "op": ('(("', '"))')}


# op name -> the operator a spec writes for it (`add` -> `+`)
_OPERATOR_OF = {op: symbol for symbol, op in OPERATORS.items() if symbol not in ("neg", "[]")}
_OPERATOR_OF.update({"negative": "-x", "getitem": "x[...]"})


def _op_label(layer) -> str:
    """An op layer as a spec writes it: its operator, or `ops.NAME(args)`."""
    symbol = _OPERATOR_OF.get(layer.type)
    if symbol is not None:
        # a number operand is in the config: `* 0.5`, `1.0 -`
        if "x2" in layer.config:
            return f"{symbol} {label_value(layer.config['x2'])}"
        if "x1" in layer.config:
            return f"{label_value(layer.config['x1'])} {symbol}"
        return symbol
    return f"ops.{layer.type}({_args(layer.config)})"


_RANKDIR = {"TB": "TD", "LR": "LR"}  # our direction -> Mermaid's


def _direction(direction: str) -> str:
    if direction not in _RANKDIR:
        raise ValueError(f"direction must be one of {', '.join(_RANKDIR)}; received {direction!r}")
    return direction


def to_mermaid(spec, model_name: Optional[str] = None, expand: bool = False, direction: str = "TB") -> str:
    """The model as a Mermaid flowchart (direction "TB" top-to-bottom or "LR" left-to-right)."""
    scene = _Scene(spec, model_name or spec.root, expand)
    lines = [f"flowchart {_RANKDIR[_direction(direction)]}"]
    ids = {nid: f"n{i}" for i, nid in enumerate(scene.nodes)}

    def emit_node(nid: str, depth: int) -> None:
        node = scene.nodes[nid]
        left, right = _MERMAID_SHAPES[node.kind]
        lines.append(f"{'    ' * (depth + 1)}{ids[nid]}{left}{_mermaid_label(node.label())}{right}")

    def open_cluster(path: Path, depth: int) -> None:
        lines.append(f'{"    " * (depth + 1)}subgraph c{path[-1]}["{_mermaid_line(scene.cluster_labels[path])}"]')

    def close_cluster(path: Path, depth: int) -> None:
        lines.append(f"{'    ' * (depth + 1)}end")

    scene.walk(emit_node, open_cluster, close_cluster)
    lines.extend(f"    {ids[a]} --> {ids[b]}" for a, b, _ in scene.edges)
    return "\n".join(lines) + "\n"


_DOT_SHAPES = {"input": 'shape=oval, style=filled, fillcolor="#e8f0fe"',
               "output": 'shape=oval, style=filled, fillcolor="#e6f4ea"',
               "block": 'shape=box3d, style=filled, fillcolor="#fef7e0"',
               "model": 'shape=box3d, style=filled, fillcolor="#f3e8fd"',
               "shared": 'shape=hexagon, style=filled, fillcolor="#fce8e6"',
               "layer": 'shape=box, style="rounded"',
               "op": 'shape=ellipse, style=filled, fillcolor="#f1f3f4", fontsize=10'}


def to_dot(spec, model_name: Optional[str] = None, expand: bool = False, direction: str = "TB") -> str:
    """The model as Graphviz DOT text (direction "TB" top-to-bottom or "LR" left-to-right)."""
    name = model_name or spec.root
    scene = _Scene(spec, name, expand)
    ids = {nid: f"n{i}" for i, nid in enumerate(scene.nodes)}
    lines = [f'digraph "{_dot_line(name)}" {{', f"    rankdir={_direction(direction)};",
             '    graph [fontname="Helvetica", fontsize=11];', '    node [fontname="Helvetica", fontsize=10];',
             '    edge [color="#5f6368"];']

    def emit_node(nid: str, depth: int) -> None:
        node = scene.nodes[nid]
        lines.append(f'{"    " * (depth + 1)}{ids[nid]} [label="{_dot_label(node.label())}", '
                     f'{_DOT_SHAPES[node.kind]}];')

    def open_cluster(path: Path, depth: int) -> None:
        indent = "    " * (depth + 1)
        lines.append(f"{indent}subgraph cluster_{path[-1]} {{")
        lines.append(f'{indent}    label="{_dot_line(scene.cluster_labels[path])}"; '
                     f'style="rounded,dashed"; color="#9aa0a6";')

    def close_cluster(path: Path, depth: int) -> None:
        lines.append(f"{'    ' * (depth + 1)}}}")

    scene.walk(emit_node, open_cluster, close_cluster)
    lines.extend(f"    {ids[a]} -> {ids[b]};" for a, b, _ in scene.edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


class PictureError(RuntimeError):
    """A picture cannot be drawn here (a program or package missing, Graphviz failing): one line."""


class GraphvizMissing(PictureError):
    """Graphviz's `dot` is needed for `--engine graphviz` and is not on the PATH."""


def render(dot_text: str, fmt: str) -> bytes:
    """Run Graphviz's `dot` to turn DOT text into `svg` or `png` bytes."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing(
            "--engine graphviz needs Graphviz's `dot` program, which is not on the PATH: install Graphviz "
            "(Debian/Ubuntu: `apt-get install graphviz`, macOS: `brew install graphviz`, conda: "
            "`conda install graphviz`), or leave out --engine: graphspec draws .svg (and .png with "
            "`pip install 'graphspec[png]'`) itself")
    done = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, timeout=120)
    if done.returncode != 0:
        raise PictureError(f"dot failed: {safe_text(done.stderr.decode('utf-8', 'replace').strip())}")
    return done.stdout


FORMATS = (".mmd", ".dot", ".svg", ".png")
ENGINES = ("graphspec", "graphviz")  # who draws .svg/.png: graphspec itself (svg.py) or Graphviz's dot


def _graphspec_picture(spec, suffix: str, model_name: Optional[str], expand: bool, direction: str,
                       show_dtype: bool, show_params: bool) -> bytes:
    from graphspec.backends import svg

    text = svg.svg_picture(spec, model_name, expand, direction, show_dtype, show_params)
    if suffix == ".svg":
        return text.encode("utf-8")
    try:
        return svg.png_from_svg(text)
    except svg.RasteriserMissing as exc:
        raise PictureError(str(exc)) from None


def picture(spec, suffix: str, model_name: Optional[str] = None, expand: bool = False, *,
            engine: str = "graphspec", direction: str = "TB", show_dtype: bool = False,
            show_params: bool = False) -> bytes:
    """The picture for an output file suffix (.mmd, .dot, .svg, .png). `.svg`/`.png` are drawn by
    graphspec itself unless `engine="graphviz"`; the dtype and parameter lines are graphspec's own."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}; received {engine!r}")
    if suffix == ".mmd":
        return to_mermaid(spec, model_name, expand, direction).encode("utf-8")
    if suffix == ".dot":
        return to_dot(spec, model_name, expand, direction).encode("utf-8")
    if engine == "graphspec":
        return _graphspec_picture(spec, suffix, model_name, expand, direction, show_dtype, show_params)
    return render(to_dot(spec, model_name, expand, direction), suffix[1:])
