"""A model's summary from the checked IR alone: no Keras import, no model built.

The layers are listed in the order Keras's `model.summary()` lists them: the
functional graph's operations by decreasing depth from the outputs, ties broken
by the order a depth-first walk from the outputs first meets them (Keras's
`map_graph`). In the usual graph this puts the input layers first; an input that
feeds only a late layer (a side input joined near the head) appears where Keras
puts it, just before the layers at its depth.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

__all__ = ["summarize", "render_summary_text", "keras_layer_order"]


def _op_key(ir, node_key):
    """The operation a node applies: a layer, an input, or a nested model (shared by name)."""
    if isinstance(node_key, tuple):  # ("input", index)
        return node_key
    layer = ir.layers[ir.nodes[node_key].layer]
    if layer.kind == "model":
        return ("model", layer.model)
    return ("layer", layer.id)


def keras_layer_order(ir) -> List[tuple]:
    """The operations of `ir` in Keras's `model.layers` order.

    Each entry is ("input", input index), ("layer", layer id) or ("model", model name).
    A mirror of `keras.src.ops.function.map_graph`, over the IR.
    """
    producer: Dict[int, Any] = {}
    for i, inp in enumerate(ir.inputs):
        producer[inp.tensor] = ("input", i)
    for node in ir.nodes:
        for t in node.outputs:
            producer[t] = node.id

    def inputs_of(node_key):
        return () if isinstance(node_key, tuple) else ir.nodes[node_key].inputs

    # Depth-first from each output, as Keras's _build_map (iteratively: deep graphs).
    finished = set()
    in_progress = set()
    order = []  # nodes from inputs to outputs
    op_index: Dict[tuple, int] = {}
    for out in ir.outputs:
        start = producer.get(out.tensor)
        if start is None or start in finished:
            continue
        op_index.setdefault(_op_key(ir, start), len(op_index))
        in_progress.add(start)
        stack = [[start, 0]]
        while stack:
            frame = stack[-1]
            node_key, i = frame
            ins = inputs_of(node_key)
            if i < len(ins):
                frame[1] = i + 1
                child = producer.get(ins[i])
                if child is None or child in finished or child in in_progress:
                    continue
                op_index.setdefault(_op_key(ir, child), len(op_index))
                in_progress.add(child)
                stack.append([child, 0])
            else:
                stack.pop()
                in_progress.discard(node_key)
                finished.add(node_key)
                order.append(node_key)

    in_graph = set(order)
    node_depth: Dict[Any, int] = {}
    op_depth: Dict[tuple, int] = {}
    for node_key in reversed(order):
        depth = node_depth.setdefault(node_key, 0)
        op = _op_key(ir, node_key)
        depth = max(depth, op_depth.get(op, 0))
        op_depth[op] = depth
        node_depth[node_key] = depth
        for t in inputs_of(node_key):
            parent = producer.get(t)
            if parent is None or parent not in in_graph:
                continue
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))

    # Inputs that no output depends on are still layers of the model.
    for i in range(len(ir.inputs)):
        op = ("input", i)
        if op not in op_depth:
            op_depth[op] = 0
            op_index[op] = -1

    by_depth: Dict[int, List[tuple]] = {}
    for op, depth in op_depth.items():
        by_depth.setdefault(depth, []).append(op)
    ops: List[tuple] = []
    for depth in sorted(by_depth, reverse=True):
        ops.extend(sorted(by_depth[depth], key=lambda op: op_index[op]))
    return ops


def _shape(shape) -> Optional[list]:
    return None if shape is None else list(shape)


def _type_name(layer) -> str:
    if layer.kind == "model":
        return "Functional"
    if layer.kind == "op":  # as Keras lists an operation: its class (`multiply (Multiply)`)
        from graphspec.catalog.ops.keras_classes import class_for_op

        return class_for_op(layer.type) or layer.type
    if layer.kind == "custom":
        from graphspec import custom

        entry = custom.get(layer.type)
        if entry is not None:
            return getattr(entry.cls, "__name__", layer.type)
    return layer.type


def summarize(spec, model_name: Optional[str] = None) -> dict:
    """The summary of `model_name` (default: the root) as Keras's `model.summary()` gives it.

    Returns {"model", "layers": [{"name", "type", "output_shape", "params"}, ...],
    "total_params", "trainable_params", "non_trainable_params"}. An output shape is a
    list with the batch axis (None where unknown); a layer with several outputs
    gives a list of shapes, and a layer used several times (a shared layer, a
    nested model) gives the list of its uses' shapes, in call order. Counts are
    taken over the layers the outputs depend on, each shared layer once, as Keras
    counts them.
    """
    ir = spec.models[model_name or spec.root]
    uses: Dict[tuple, list] = {}
    for node in ir.nodes:
        uses.setdefault(_op_key(ir, node.id), []).append(node)
    first_layer: Dict[tuple, Any] = {}
    for layer in ir.layers:
        key = ("model", layer.model) if layer.kind == "model" else ("layer", layer.id)
        first_layer.setdefault(key, layer)

    rows = []
    trainable = non_trainable = 0
    for op in keras_layer_order(ir):
        if op[0] == "input":
            inp = ir.inputs[op[1]]
            rows.append({"name": inp.name, "type": "InputLayer",
                         "output_shape": _shape(ir.tensors[inp.tensor].shape), "params": 0})
            continue
        layer = first_layer[op]
        shapes = []
        for node in uses.get(op, ()):
            outs = [_shape(ir.tensors[t].shape) for t in node.outputs]
            shapes.append(outs[0] if len(outs) == 1 else outs)
        rows.append({"name": layer.name, "type": _type_name(layer),
                     "output_shape": shapes[0] if len(shapes) == 1 else shapes,
                     "params": layer.trainable_params + layer.non_trainable_params})
        trainable += layer.trainable_params
        non_trainable += layer.non_trainable_params
    return {"model": ir.name, "layers": rows, "total_params": trainable + non_trainable,
            "trainable_params": trainable, "non_trainable_params": non_trainable}


def _format_shape(shape) -> str:
    if shape is None:
        return "?"
    if shape and all(isinstance(s, list) or s is None for s in shape) and any(
            isinstance(s, list) for s in shape):
        return "[" + ", ".join(_format_shape(s) for s in shape) + "]"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _format_size(n_bytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n_bytes / 1024 < 1:
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.2f} PB"


def render_summary_text(summary: dict) -> str:
    """The summary as the table Keras's `model.summary()` prints.

    Memory sizes assume float32 weights (4 bytes per parameter), Keras's default.
    """
    header = ("Layer (type)", "Output Shape", "Param #")
    rows = [(f"{r['name']} ({r['type']})", _format_shape(r["output_shape"]), f"{r['params']:,}")
            for r in summary["layers"]]
    widths = [max([len(header[i])] + [len(row[i]) for row in rows]) for i in range(3)]

    def line(left, fill, mid, right):
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def cells(values, edge):
        parts = [f" {values[0]:<{widths[0]}} ", f" {values[1]:<{widths[1]}} ",
                 f" {values[2]:>{widths[2]}} "]
        return edge + edge.join(parts) + edge

    out = [f'Model: "{summary["model"]}"', line("┏", "━", "┳", "┓"), cells(header, "┃"),
           line("┡", "━", "╇", "┩")]
    for i, row in enumerate(rows):
        if i:
            out.append(line("├", "─", "┼", "┤"))
        out.append(cells(row, "│"))
    out.append(line("└", "─", "┴", "┘"))
    for label, key in (("Total", "total_params"), ("Trainable", "trainable_params"),
                       ("Non-trainable", "non_trainable_params")):
        n = summary[key]
        out.append(f" {label} params: {n:,} ({_format_size(4 * n)})")
    return "\n".join(out) + "\n"
