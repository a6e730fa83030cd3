"""Reductions: mean, sum, max, min, argmax (ported from keras/src/ops/numpy.py)."""

from __future__ import annotations

from graphspec.catalog.ops import OpEntry
from graphspec.catalog.ops._axes import reduce_shape
from graphspec.catalog.ops.dtypes import result_type
from graphspec.catalog.ops.elementwise import std


def reduced(config, shapes):
    return reduce_shape(shapes[0], config.get("axis"), bool(config.get("keepdims")))


def mean_dtype(config, dtypes):
    d = std(dtypes[0])
    return result_type(d, "float32") if "int" in d or d == "bool" else d


def sum_dtype(config, dtypes):
    d = result_type(std(dtypes[0]))
    return {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32", "uint16": "uint32"}.get(d, d)


def same(config, dtypes):
    return std(dtypes[0])


def int32(config, dtypes):
    return "int32"


RULE = "the axes in `axis` removed (kept as 1 with keepdims=True); all of them when axis=None"
ENTRIES = [
    OpEntry("mean", "mean", ("x",), False, reduced, mean_dtype, f"{RULE}; int and bool give float32"),
    OpEntry("sum", "sum", ("x",), False, reduced, sum_dtype, f"{RULE}; bool/int8/int16 give int32, uint8/16 uint32"),
    OpEntry("max", "max", ("x",), False, reduced, same, f"{RULE}; same dtype"),
    OpEntry("min", "min", ("x",), False, reduced, same, f"{RULE}; same dtype"),
    OpEntry("argmax", "argmax", ("x",), False, reduced, int32, f"{RULE}; int32 indices"),
]
