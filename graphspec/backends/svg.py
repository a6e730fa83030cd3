"""SVG pictures drawn by graphspec itself: no Graphviz, nothing beyond the standard library.

`render_svg(scene)` lays out a plot scene (graphspec/backends/layout.py) and writes one
self-contained SVG: Keras `plot_model`-like boxes (name, type and arguments, output shape;
dtype and parameter lines on request), inputs and outputs as coloured pills, merges
(Add, Concatenate...) as small boxes, blocks and nested models as labelled rounded
rectangles, and one curve with an arrowhead for every input of every step.

What a scene is (duck-typed, so plot.py's `_Scene` in either of its spellings works):
- `nodes`: id -> a node: an object with `.kind` and `.label()` (a tuple of lines), or a pair
  (label text with "\\n" between lines, or a tuple of lines; kind). Kinds: input, output,
  layer, shared, block, model.
- clusters: either `clusters` (path tuple -> node ids) or `members` (path -> node ids) with
  `children`; every prefix of a path is a cluster. `cluster_labels`: path -> label text.
- edges: `edges`, an iterable of (src, dst) pairs or (src, dst, port) triples. Repeats are
  drawn as distinct curves: give one entry per input (the port, the input's ordinal at the
  target, only has to tell repeats apart). `scene_for()` is plot.py's scene, which has one
  triple per input of every step.

Every piece of text is untrusted (layer names, string arguments, block names): it goes
through `graphspec.text.safe_text` (controls and bidi characters spelled out), then any
character XML cannot hold is spelled out too, then it is XML-escaped; long lines are cut,
with the whole text in the node's <title>. Element ids are generated (n0, c0), never
taken from the spec.
"""

from __future__ import annotations

import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from graphspec.backends.layout import DIRECTIONS, layout
from graphspec.text import safe_text

__all__ = ["render_svg", "scene_for", "svg_picture", "node_details", "png_from_svg", "RasteriserMissing",
           "MERGE_TYPES"]

FONT = "Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
NAME_SIZE = 12.0
TEXT_SIZE = 11.0
LINE = 15.0  # line height
PAD_X = 10.0
PAD_Y = 7.0
MIN_WIDTH = 72.0
MAX_LINE_CHARS = 48  # longer lines are cut (the whole text is in the tooltip)
LABEL_HEIGHT = 16.0  # a cluster's label strip
EDGE_COLOUR = "#5f6368"

# Layers that only combine their inputs: drawn as small boxes with the type and shape.
MERGE_TYPES = frozenset(("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"))

# kind -> (fill, stroke, corner radius, dash)
_STYLES = {
    "input": ("#e8f0fe", "#4285f4", 14.0, ""),
    "output": ("#e6f4ea", "#34a853", 14.0, ""),
    "layer": ("#ffffff", "#5f6368", 6.0, ""),
    "merge": ("#f1f3f4", "#80868b", 6.0, ""),
    "op": ("#f1f3f4", "#80868b", 14.0, ""),
    "shared": ("#fce8e6", "#ea4335", 6.0, "5,3"),
    "block": ("#fef7e0", "#f9ab00", 6.0, ""),
    "model": ("#f3e8fd", "#a142f4", 6.0, ""),
}
_CLUSTER_FILLS = ("#f8f9fa", "#f1f3f4")  # alternate by depth, so nested boxes stand apart

# Advance widths in em, a little wider than DejaVu Sans (the widest of the fonts named in FONT):
# an estimate that errs on the wide side keeps text inside its box in any of them.
_NARROW = frozenset("iljtfrI!|.,:;'`()[]{} ")
_WIDE = frozenset("mwMW@%")


def _text_width(text: str, size: float, bold: bool = False) -> float:
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.36
        elif ch in _WIDE:
            em += 0.98
        elif ch.isupper() or ch.isdigit() or ch in "=+<>_#&~^*-":
            em += 0.72
        elif ord(ch) > 0x2fff:  # CJK and the like: full width
            em += 1.0
        else:
            em += 0.64
    return em * size * (1.0 if bold else 0.92)


# ------------------------------------------------------------------ escaping
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_XML_RE = re.compile("[&<>\"']")


def _plain(text: str) -> str:
    """User text as one printable line that XML can hold (not yet escaped)."""
    text = safe_text(str(text))
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _xml(text: str) -> str:
    return _XML_RE.sub(lambda m: _XML[m.group()], text)


def _cut(text: str, limit: int = MAX_LINE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# ------------------------------------------------------------------ reading a scene
def _label_lines(node) -> Tuple[Tuple[str, ...], str]:
    label = getattr(node, "label", None)
    if callable(label):
        return tuple(label()), node.kind
    text, kind = node[0], node[1]
    return (tuple(text.split("\n")) if isinstance(text, str) else tuple(text)), kind


def _cluster_members(scene) -> Dict[tuple, List[str]]:
    members = getattr(scene, "members", None)
    if members is None:
        members = getattr(scene, "clusters", {})
    return {tuple(path): list(ids) for path, ids in members.items()}


def _edge_list(scene) -> List[Tuple[str, str]]:
    """(src, dst) per drawn edge, repeats kept; triples are ordered by their port at the target."""
    out = []
    for edge in scene.edges:
        a, b = edge[0], edge[1]
        if a != b:
            out.append((a, b))
    return out


# ------------------------------------------------------------------ node contents
class _Text:
    __slots__ = ("lines", "kind", "tooltip", "width", "height")

    def __init__(self, lines: Sequence[Tuple[str, str]], kind: str, tooltip: str):
        self.lines = lines  # (css class, text) per line
        self.kind = kind
        self.tooltip = tooltip
        widest = max((_text_width(t, NAME_SIZE if c == "name" else TEXT_SIZE, c == "name") for c, t in lines),
                     default=0.0)
        self.width = max(widest + 2 * PAD_X, MIN_WIDTH if kind not in ("merge", "op") else 40.0)
        self.height = len(lines) * LINE + 2 * PAD_Y


def _merge_type(lines: Tuple[str, ...]) -> Optional[str]:
    if len(lines) >= 2:
        head = lines[1].split("(", 1)[0]
        if head in MERGE_TYPES:
            return head
    return None


def _contents(lines: Tuple[str, ...], kind: str, extra: Dict[str, str], show_dtype: bool,
              show_params: bool) -> _Text:
    plain = [_plain(line) for line in lines]
    tooltip = "\n".join(plain)
    if kind == "layer" and _merge_type(lines):
        # A merge: its type and shape say it all; the name is in the tooltip.
        shown = [("name", _merge_type(lines))] + [("shape", _cut(t)) for t in plain[2:]]
        return _Text(shown, "merge", tooltip)
    if kind == "op":  # an operator or keras.ops call: what it computes, then its shape
        return _Text([("name", _cut(plain[0]))] + [("shape", _cut(t)) for t in plain[1:]], "op", tooltip)
    shown = []
    for i, text in enumerate(plain):
        shown.append((("name", "type", "shape")[min(i, 2)] if kind not in ("input", "output") or i == 0
                      else "shape", _cut(text)))
    if show_dtype and extra.get("dtype"):
        shown.append(("extra", _cut("dtype: " + _plain(extra["dtype"]))))
    if show_params and extra.get("params") is not None:
        shown.append(("extra", _cut("params: " + _plain(extra["params"]))))
    return _Text(shown, kind, tooltip)


# ------------------------------------------------------------------ the writer
def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _path_d(points: List[Tuple[float, float]], tb: bool) -> str:
    """Curves between rows (vertical tangents, like dot's splines), straight lines through rows."""
    parts = [f"M{_f(points[0][0])},{_f(points[0][1])}"]
    for i in range(len(points) - 1):
        (x0, y0), (x1, y1) = points[i], points[i + 1]
        if i % 2 == 0:  # between two rows
            if tb:
                ym = (y0 + y1) / 2.0
                parts.append(f"C{_f(x0)},{_f(ym)} {_f(x1)},{_f(ym)} {_f(x1)},{_f(y1)}")
            else:
                xm = (x0 + x1) / 2.0
                parts.append(f"C{_f(xm)},{_f(y0)} {_f(xm)},{_f(y1)} {_f(x1)},{_f(y1)}")
        else:  # through a row, beside its boxes
            parts.append(f"L{_f(x1)},{_f(y1)}")
    return " ".join(parts)


def render_svg(scene, direction: str = "TB", show_dtype: bool = False, show_params: bool = False,
               details: Optional[Dict[str, Dict[str, str]]] = None, title: Optional[str] = None) -> str:
    """The scene as a self-contained SVG document (direction "TB" top-to-bottom or "LR" left-to-right)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}; received {direction!r}")
    details = details if details is not None else getattr(scene, "details", None) or {}
    tb = direction == "TB"
    texts: Dict[str, _Text] = {}
    for nid, node in scene.nodes.items():
        lines, kind = _label_lines(node)
        texts[nid] = _contents(lines, kind, details.get(nid, {}), show_dtype, show_params)
    members = _cluster_members(scene)
    cluster_of = {nid: path for path, ids in members.items() for nid in ids if nid in texts}
    labels = {path: _cut(_plain(text), 60) for path, text in getattr(scene, "cluster_labels", {}).items()}
    label_sizes = {path: (_text_width(text, TEXT_SIZE, True) + 2 * PAD_X, LABEL_HEIGHT)
                   for path, text in labels.items()}
    edges = [e for e in _edge_list(scene) if e[0] in texts and e[1] in texts]
    placed = layout({nid: (t.width, t.height) for nid, t in texts.items()}, edges, cluster_of, label_sizes,
                    direction)
    ids = {nid: f"n{i}" for i, nid in enumerate(texts)}
    cids = {path: f"c{i}" for i, path in enumerate(placed.clusters)}
    w, h = _f(placed.width), _f(placed.height)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
           f'font-family="{_xml(FONT)}" font-size="{_f(TEXT_SIZE)}">']
    if title is not None:
        out.append(f"<title>{_xml(_cut(_plain(title), 200))}</title>")
    out.append('<defs><marker id="gs-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
               f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{EDGE_COLOUR}"/>'
               "</marker></defs>")
    out.append(f'<rect class="background" x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>')
    out.append('<g class="clusters">')
    for path, box in sorted(placed.clusters.items(), key=lambda pb: len(pb[0])):  # outer boxes first
        label = labels.get(path, "")
        room = box.w - 2 * 8.0
        while label and _text_width(label, TEXT_SIZE, True) > room:  # a long label left-to-right: cut to the box
            label = label[:-2] + "\u2026" if len(label) > 2 else ""
        parent = cids.get(path[:-1], "")
        out.append(f'<g class="cluster" id="{cids[path]}" data-parent="{parent}">'
                   f'<rect x="{_f(box.x)}" y="{_f(box.y)}" width="{_f(box.w)}" height="{_f(box.h)}" rx="10" '
                   f'fill="{_CLUSTER_FILLS[(len(path) - 1) % 2]}" stroke="#9aa0a6" stroke-dasharray="6,3"/>'
                   f'<text class="cluster-label" x="{_f(box.x + 8)}" y="{_f(box.y + 4 + TEXT_SIZE)}" '
                   f'font-weight="bold" fill="#5f6368">{_xml(label)}</text></g>')
    out.append("</g>")
    out.append('<g class="edges" fill="none">')
    for (a, b), points in zip(edges, placed.edges):
        if len(points) < 2:
            continue
        out.append(f'<path class="edge" data-from="{ids[a]}" data-to="{ids[b]}" d="{_path_d(points, tb)}" '
                   f'stroke="{EDGE_COLOUR}" stroke-width="1.2" marker-end="url(#gs-arrow)"/>')
    out.append("</g>")
    out.append('<g class="nodes">')
    for nid, text in texts.items():
        box = placed.nodes[nid]
        fill, stroke, radius, dash = _STYLES.get(text.kind, _STYLES["layer"])
        cluster = cids.get(cluster_of.get(nid, ()), "")
        out.append(f'<g class="node kind-{text.kind}" id="{ids[nid]}" data-cluster="{cluster}">'
                   f"<title>{_xml(text.tooltip)}</title>"
                   f'<rect class="box" x="{_f(box.x)}" y="{_f(box.y)}" width="{_f(box.w)}" height="{_f(box.h)}" '
                   f'rx="{_f(min(radius, box.h / 2))}" fill="{fill}" stroke="{stroke}" stroke-width="1.2"'
                   + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        cx = box.x + box.w / 2.0
        y = box.y + PAD_Y
        for css, line in text.lines:
            y += LINE
            size, weight, colour = (NAME_SIZE, "bold", "#202124") if css == "name" else (
                TEXT_SIZE, "normal", "#3c4043" if css == "type" else "#5f6368")
            out.append(f'<text class="{css}" x="{_f(cx)}" y="{_f(y - 4)}" text-anchor="middle" '
                       f'font-size="{_f(size)}" font-weight="{weight}" fill="{colour}">{_xml(line)}</text>')
        out.append("</g>")
    out.append("</g></svg>")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ from a spec
def scene_for(spec, model_name: Optional[str] = None, expand: bool = False):
    """plot.py's scene of a model: `edges` holds one (src, dst, port) triple per input of every step."""
    from graphspec.backends import plot

    return plot._Scene(spec, model_name or spec.root, expand)


def node_details(spec, model_name: Optional[str] = None, expand: bool = False) -> Dict[str, Dict[str, str]]:
    """dtype and parameter count per node id of the scene (ids as plot.py makes them)."""
    result: Dict[str, Dict[str, str]] = {}
    todo = [(model_name or spec.root, "", 0)]
    while todo:  # nested models, iteratively (nesting is bounded; never trust a stack)
        name, prefix, depth = todo.pop()
        ir = spec.models[name]
        for inp in ir.inputs:
            result[f"{prefix}in_{inp.name}"] = {"params": 0}  # its label already says its dtype
        for node in ir.nodes:
            layer = ir.layers[node.layer]
            if layer.kind == "model" and expand:
                if depth < 64:
                    todo.append((layer.model, f"{prefix}{layer.name}__", depth + 1))
                continue
            params = layer.trainable_params + layer.non_trainable_params
            dtypes = ", ".join(dict.fromkeys(str(getattr(ir.tensors[t], "dtype", "?")) for t in node.outputs))
            if layer.scope and not expand:
                entry = result.setdefault(f"{prefix}blk_{layer.scope[0][0]}", {"dtype": dtypes, "params": 0})
                if layer.id not in entry.setdefault("_counted", set()):
                    entry["_counted"].add(layer.id)
                    entry["params"] += params
                entry["dtype"] = dtypes
                continue
            result[f"{prefix}l{layer.id}"] = {"dtype": dtypes, "params": params}
    for entry in result.values():
        entry.pop("_counted", None)
        entry["params"] = f"{int(entry['params']):,}"
    return result


def svg_picture(spec, model_name: Optional[str] = None, expand: bool = False, direction: str = "TB",
                show_dtype: bool = False, show_params: bool = False) -> str:
    """The SVG picture of a model of a checked spec (what `graphspec plot -o m.svg` writes)."""
    name = model_name or spec.root
    scene = scene_for(spec, name, expand)
    details = node_details(spec, name, expand) if (show_dtype or show_params) else {}
    return render_svg(scene, direction, show_dtype, show_params, details, title=name)


class RasteriserMissing(RuntimeError):
    """PNG needs a rasteriser (the `resvg-py` package) that is not installed."""


def png_from_svg(svg_text: str) -> bytes:
    """PNG bytes of an SVG picture, through `resvg-py` (pip-installable, no system library)."""
    try:
        import resvg_py
    except ImportError:
        raise RasteriserMissing("writing PNG needs the `resvg-py` package: `pip install resvg-py` (or "
                                "`pip install graphspec[png]`); or write .svg, which needs nothing") from None
    return bytes(resvg_py.svg_to_bytes(svg_string=svg_text, background="#ffffff"))
