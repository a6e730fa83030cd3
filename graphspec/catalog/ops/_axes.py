"""Axis arguments as Keras canonicalises them (keras/src/backend/common/backend_utils.py)."""

from __future__ import annotations

from graphspec.catalog.base import ShapeError
from graphspec.diagnostics import codes
from graphspec.text import shape_text, spec_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Sequence


def canonical(axis: int, ndim: int, shape: Sequence = None, param: str = "axis") -> int:
    """axis in [-ndim, ndim) as a non-negative index; ShapeError (with the shape) otherwise."""
    if not -ndim <= axis < ndim:
        shown = f"a tensor of shape {shape_text(tuple(shape))}" if shape is not None else f"rank {ndim}"
        valid = f"from {-ndim} to {ndim - 1}" if ndim else "none: the tensor has no axes"
        raise ShapeError(f"{param}={spec_value(axis)} is out of range for {shown}",
                         help=f"valid axes are {valid}", code=codes.E401)
    return axis + ndim if axis < 0 else axis


def as_tuple(axis) -> tuple:
    """An int-or-sequence axis argument as a tuple (Keras's to_tuple_or_list)."""
    return (axis,) if isinstance(axis, int) else tuple(axis)


def reduce_shape(shape: Sequence, axis, keepdims: bool) -> tuple:
    """keras.src.ops.operation_utils.reduce_shape."""
    shape = list(shape)
    if axis is None:
        return tuple(1 for _ in shape) if keepdims else ()
    axes = tuple(canonical(a, len(shape), shape) for a in as_tuple(axis))
    if keepdims:
        for ax in axes:
            shape[ax] = 1
        return tuple(shape)
    for ax in sorted(axes, reverse=True):
        del shape[ax]  # a repeated axis is deleted twice, as in Keras
    return tuple(shape)
