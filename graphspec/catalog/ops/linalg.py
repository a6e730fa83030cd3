"""matmul, einsum and norm (ported from keras/src/ops/numpy.py, linalg.py, operation_utils.py)."""

from __future__ import annotations

import re

from graphspec.catalog.base import ShapeError
from graphspec.catalog.ops import OpEntry
from graphspec.catalog.ops._axes import reduce_shape
from graphspec.catalog.ops._broadcast import broadcast_shapes
from graphspec.catalog.ops.dtypes import FLOATX, result_type
from graphspec.catalog.ops.elementwise import std
from graphspec.diagnostics import codes
from graphspec.text import quote, shape_text


def matmul(config, shapes):
    s1, s2 = tuple(shapes[0]), tuple(shapes[1])
    if not s1 or not s2:
        raise ShapeError(f"matmul needs tensors of rank >= 1; received shapes {shape_text(s1)} and {shape_text(s2)}",
                         help="use `*` to multiply by a scalar", code=codes.E401)
    one1, one2 = len(s1) == 1, len(s2) == 1
    a = (1, s1[0]) if one1 else s1
    b = (s2[0], 1) if one2 else s2
    if a[-1] is not None and b[-2] is not None and a[-1] != b[-2]:
        fix = ("transpose the right operand with ops.transpose" if len(b) >= 2 and b[-1] == a[-1]
               else f"make the last axis of the left operand ({a[-1]}) equal the second-to-last of the right "
                    f"({b[-2]})")
        raise ShapeError(f"cannot matmul shapes {shape_text(s1)} and {shape_text(s2)}: inner sizes "
                         f"{a[-1]} and {b[-2]} differ", help=fix, code=codes.E401)
    out = list(broadcast_shapes(a[:-2], b[:-2])) + [a[-2], b[-1]]
    if one1:
        del out[-2]
    if one2:
        del out[-1]
    return tuple(out)


def matmul_dtype(config, dtypes):
    d1, d2 = std(dtypes[0]), std(dtypes[1])
    return "int32" if d1 == d2 == "int8" else result_type(d1, d2)


def _bad(subscripts, why: str) -> ShapeError:
    return ShapeError(f"einsum subscripts {quote(subscripts)}: {why}",
                      help="write one term per operand, e.g. \"bij,bjk->bik\"", code=codes.E401)


def einsum(config, shapes):
    """Keras's Einsum.compute_output_spec, step for step (its docstring explains the steps)."""
    subscripts = config["subscripts"]
    parts = subscripts.split("->")
    if len(parts) > 2:
        raise _bad(subscripts, "at most one `->`")
    inputs, output = (parts[0], parts[1]) if len(parts) == 2 else (subscripts, None)
    specs = inputs.split(",")
    if len(specs) != len(shapes):
        raise _bad(subscripts, f"{len(specs)} input terms for {len(shapes)} operands")
    reduced, kept = set(), set()
    for s in inputs:
        if not s.isalpha():
            continue
        if s not in reduced and s not in kept:
            kept.add(s)
        elif s in kept:
            kept.remove(s)
            reduced.add(s)
    if output is not None:
        new_kept, new_reduced = set(kept), set(reduced)
        for d in kept:
            if d not in output:
                new_kept.remove(d)
                new_reduced.add(d)
        for d in reduced:
            if d in output:
                new_reduced.remove(d)
                new_kept.add(d)
        kept, reduced = new_kept, new_reduced
    target = f"...{''.join(sorted(kept))}" if output is None else output
    expanded = []
    for shape, spec in zip(shapes, specs):
        dims = [-1 if d is None else d for d in shape]
        split = spec.split("...")
        text = target
        if len(split) == 1:
            if len(dims) != len(split[0]):
                raise ShapeError(f"einsum term {quote(spec)} has {len(split[0])} axes but its operand has shape "
                                 f"{shape_text(tuple(shape))}", help="one letter per axis, batch axis included",
                                 code=codes.E401)
            for size, s in zip(dims, split[0]):
                text = text.replace(s, f"{size} ")
            text = text.replace("...", "")
        else:
            for i in range(len(split[0])):
                text = text.replace(split[0][i], f"{dims[i]} ")
            for i in range(len(split[1])):
                text = text.replace(split[1][-i - 1], f"{dims[-i - 1]} ")
            end = len(dims) if len(split[1]) == 0 else -len(split[1])
            wild = dims[len(split[0]):end]
            text = text.replace("...", f"{' '.join(str(d) for d in wild)} ")
        text = re.sub("[a-z]", "1 ", text)
        expanded.append([None if t == "-1" else int(t) for t in text.split()])
    out = tuple(expanded[0])
    for s in expanded[1:]:
        out = broadcast_shapes(out, s)
    return tuple(out)


def einsum_dtype(config, dtypes):
    kinds = sorted({std(d) for d in dtypes})
    return "int32" if kinds == ["int8"] else result_type(*kinds)


_MATRIX_ORDS = (None, "fro", "nuc", float("inf"), float("-inf"), 1, -1, 2, -2)


def norm(config, shapes):
    shape = tuple(shapes[0])
    axis = config.get("axis")
    if isinstance(axis, int):
        axis = (axis,)
    n = len(shape) if axis is None else len(axis)
    order = config.get("ord")
    if n == 1 and isinstance(order, str):
        raise ShapeError(f"ord={quote(order)} is a matrix norm; a vector norm (one axis) takes a number",
                         help="use ord=None, or give two axes", code=codes.E401)
    if n == 2 and order not in _MATRIX_ORDS:
        raise ShapeError(f"ord={order!r} is not a matrix norm", help='use None, "fro", "nuc", 1, -1, 2 or -2',
                         code=codes.E401)
    return reduce_shape(shape, axis, bool(config.get("keepdims")))


def norm_dtype(config, dtypes):
    d = std(dtypes[0])
    return FLOATX if "int" in d or d == "bool" else d


ENTRIES = [
    OpEntry("matmul", "matmul", ("x1", "x2"), False, matmul, matmul_dtype,
            "x1 @ x2: (..., n, k) @ (..., k, m) -> (..., n, m), leading axes broadcast; rank-1 operands as NumPy"),
    OpEntry("einsum", "einsum", ("operands",), True, einsum, einsum_dtype,
            "Einstein summation over the operands by `subscripts`"),
    OpEntry("norm", "norm", ("x",), False, norm, norm_dtype,
            "vector or matrix norm: the axes in `axis` removed (kept as 1 with keepdims=True); int -> float32"),
]
