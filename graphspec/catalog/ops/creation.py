"""Tensors made from others or from numbers: cast, ones_like, zeros_like, arange."""

from __future__ import annotations

import math

from graphspec.catalog.base import ShapeError
from graphspec.catalog.ops import OpEntry
from graphspec.catalog.ops.dtypes import result_type, standardize
from graphspec.catalog.ops.elementwise import same_shape, std
from graphspec.diagnostics import codes


def cast_dtype(config, dtypes):
    return standardize(config["dtype"])


def like_dtype(config, dtypes):
    return std(dtypes[0]) if config.get("dtype") is None else standardize(config["dtype"])


def _weak(v) -> str:
    return "float" if isinstance(v, float) else "int"


# The dtypes tf.range computes in (its `Tidx` attribute).
RANGE_DTYPES = ("bfloat16", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint16", "uint32",
                "uint64")


def _arange(config) -> tuple:
    """(length, dtype) of tf.range: arange has no tensor argument, so Keras computes it eagerly
    (a constant, no batch axis) and tf.range's own refusals apply."""
    start, stop, step = config["start"], config.get("stop"), config.get("step")
    if config.get("dtype") is not None:
        dtype = standardize(config["dtype"])
    else:
        values = [start] + [v for v in (stop, step) if v is not None]
        dtype = result_type(*(_weak(v) for v in values))
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if dtype not in RANGE_DTYPES:
        raise ShapeError(f"arange cannot make a {dtype} tensor", help=f"use one of {', '.join(RANGE_DTYPES)}",
                         code=codes.E401)
    numbers = (start, stop, step)
    if "int" in dtype and any(isinstance(v, float) for v in numbers):
        raise ShapeError(f"arange with dtype {dtype} needs integer start, stop and step; received "
                         f"{start!r}, {stop!r}, {step!r}", help='drop dtype, or use dtype="float32"', code=codes.E401)
    if dtype == "uint64" and any(v < 0 for v in numbers):  # TensorFlow aborts the process on it
        raise ShapeError(f"arange with dtype {dtype} cannot hold a negative start, stop or step",
                         help='use a signed dtype such as "int32"', code=codes.E401)
    if step == 0:
        raise ShapeError("arange with step=0 never ends", help="use a non-zero step", code=codes.E401)
    if (step > 0 and start > stop) or (step < 0 and start < stop):
        raise ShapeError(f"arange from {start!r} to {stop!r} with step {step!r} goes the wrong way "
                         "(TensorFlow refuses it)", help="swap start and stop, or change the sign of step",
                         code=codes.E401)
    length = (stop - start) / step
    if not math.isfinite(length):
        raise ShapeError(f"arange from {start!r} to {stop!r} with step {step!r} has no finite length",
                         help="use finite numbers", code=codes.E401)
    return math.ceil(length), dtype


def arange(config, shapes):
    return (_arange(config)[0],)


def arange_dtype(config, dtypes):
    return _arange(config)[1]


ENTRIES = [
    OpEntry("cast", "cast", ("x",), False, same_shape, cast_dtype, "same shape; dtype `dtype`"),
    OpEntry("ones_like", "ones_like", ("x",), False, same_shape, like_dtype,
            "ones of the same shape; dtype `dtype` or x's"),
    OpEntry("zeros_like", "zeros_like", ("x",), False, same_shape, like_dtype,
            "zeros of the same shape; dtype `dtype` or x's"),
    OpEntry("arange", "arange", (), False, arange, arange_dtype,
            "(ceil((stop - start) / step),), no batch axis; dtype `dtype` or int32/float32 from the numbers"),
]
