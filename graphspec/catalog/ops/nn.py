"""Activations and nn ops: softmax, relu, ..., normalize, one_hot (ported from keras/src/ops/nn.py)."""

from __future__ import annotations

from graphspec.catalog.base import ShapeError
from graphspec.catalog.ops import OpEntry
from graphspec.catalog.ops._axes import as_tuple, canonical
from graphspec.catalog.ops.dtypes import FLOATX, standardize
from graphspec.catalog.ops.elementwise import same_shape, std
from graphspec.diagnostics import codes


def same_dtype(config, dtypes):
    return std(dtypes[0])


def axis_checked(config, shapes):
    """softmax, normalize: the shape unchanged once every axis in `axis` is in range."""
    shape = tuple(shapes[0])
    if config.get("axis") is not None:
        for a in as_tuple(config["axis"]):
            canonical(a, len(shape), shape)
    return shape


def floatx(config, dtypes):
    return FLOATX


def one_hot(config, shapes):
    shape = list(shapes[0])
    axis, n = config["axis"], config["num_classes"]
    if axis == -1:
        shape.append(n)
    elif 0 <= axis < len(shape):
        shape.insert(axis, n)
    else:
        raise ShapeError(f"axis={axis} is out of range for one_hot of a tensor of rank {len(shape)}",
                         help=f"use -1 or an axis from 0 to {len(shape) - 1}", code=codes.E401)
    return tuple(shape)


def one_hot_dtype(config, dtypes):
    return standardize(config.get("dtype"))


def _act(name: str, summary: str = "same shape and dtype") -> OpEntry:
    return OpEntry(name, name, ("x",), False, same_shape, same_dtype, summary)


ENTRIES = [
    _act("relu"), _act("relu6"), _act("sigmoid"), _act("hard_sigmoid"), _act("hard_silu"), _act("silu"),
    _act("gelu", "same shape and dtype (approximate=True: the tanh approximation)"),
    OpEntry("softmax", "softmax", ("x",), False, axis_checked, same_dtype,
            "same shape and dtype; `axis` (int or tuple) must be in range"),
    OpEntry("normalize", "normalize", ("x",), False, axis_checked, floatx,
            "x divided by its `order`-norm along `axis`: same shape, dtype float32"),
    OpEntry("one_hot", "one_hot", ("x",), False, one_hot, one_hot_dtype,
            "a new axis of size `num_classes` at `axis` (-1: last); dtype `dtype` (float32 by default)"),
]
