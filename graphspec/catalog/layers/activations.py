"""Activation layers: ReLU, LeakyReLU, ELU, Softmax, PReLU."""

from __future__ import annotations

from graphspec.catalog.base import LayerEntry, ShapeError
from graphspec.catalog.layers._util import fmt, fmt_value, norm_axis, prod


def same_shape(config, inputs):
    return tuple(inputs[0])


def softmax_shape(config, inputs):
    # Keras's symbolic build accepts any axis; an axis out of range fails on the first call.
    shape = tuple(inputs[0])
    axis = config.get("axis", -1)
    for a in axis if isinstance(axis, (list, tuple)) else [axis]:
        if norm_axis(a, len(shape)) is None:
            raise ShapeError(
                f"axis {a} is out of range for an input of rank {len(shape)}; received shape {fmt(shape)}",
                f"choose an axis between {-len(shape)} and {len(shape) - 1}",
            )
    return shape


def _prelu_alpha(config, shape):
    """The shape of PReLU's alpha: the input without the batch axis, shared axes set to 1."""
    alpha = list(shape[1:])
    shared = config.get("shared_axes")
    if shared is not None:
        for i in shared if isinstance(shared, (list, tuple)) else [shared]:
            if not -len(alpha) <= i - 1 < len(alpha):
                raise ShapeError(
                    f"shared axis {i} is out of range for an input of rank {len(shape)}; received shape {fmt(shape)}",
                    f"shared_axes counts from 1 (the axis after the batch axis) to {len(shape) - 1}",
                )
            alpha[i - 1] = 1
    if any(d is None for d in alpha):
        raise ShapeError(
            f"PReLU learns one slope per position, so every axis it does not share must be defined; "
            f"received shape {fmt(shape)}" + (f" with shared_axes={fmt_value(shared)}" if shared is not None else ""),
            "share the variable-size axes, e.g. `PReLU(shared_axes=[1])` for a variable-length sequence",
        )
    return alpha


def prelu_shape(config, inputs):
    _prelu_alpha(config, tuple(inputs[0]))
    return tuple(inputs[0])


def prelu_params(config, inputs):
    return prod(_prelu_alpha(config, tuple(inputs[0]))), 0


ENTRIES = [
    LayerEntry(name="ReLU", shape=same_shape, summary="any shape -> the same shape"),
    LayerEntry(name="LeakyReLU", shape=same_shape, summary="any shape -> the same shape"),
    LayerEntry(name="ELU", shape=same_shape, summary="any shape -> the same shape"),
    LayerEntry(name="Softmax", shape=softmax_shape, summary="any shape -> the same shape; `axis` must exist"),
    LayerEntry(
        name="PReLU",
        shape=prelu_shape,
        params=prelu_params,
        summary="any shape -> the same shape; one slope per position (shared_axes share it), so those dims must "
        "be defined",
    ),
]
