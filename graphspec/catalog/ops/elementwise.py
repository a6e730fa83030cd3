"""Element-wise ops and the arithmetic operators (ported from keras/src/ops/numpy.py, math.py)."""

from __future__ import annotations

from graphspec.catalog.ops import OpEntry
from graphspec.catalog.ops._broadcast import broadcast_many, broadcast_shapes
from graphspec.catalog.ops.dtypes import FLOATX, PYTHON_DTYPES, result_type
from graphspec.diagnostics import codes


def std(dtype: str) -> str:
    """A tensor's dtype as Keras's standardize_dtype gives it (a weak scalar as its tensor dtype)."""
    return PYTHON_DTYPES.get(dtype, dtype)


def same_shape(config, shapes):
    return tuple(shapes[0])


def binary_shape(config, shapes):
    return broadcast_shapes(shapes[0], shapes[1])


def binary_dtype(config, dtypes):
    return result_type(dtypes[0], dtypes[1])


def divide_dtype(config, dtypes):
    return result_type(dtypes[0], dtypes[1], "float")


def mod_dtype(config, dtypes):
    out = result_type(dtypes[0], dtypes[1])
    return "int32" if out == "bool" else out


def same_dtype(config, dtypes):
    return std(dtypes[0])


def bool_to_int32(config, dtypes):
    d = std(dtypes[0])
    return "int32" if d == "bool" else d


def float_unless_int64(config, dtypes):
    """sqrt, log, tanh: int64 becomes floatx, everything else promotes with a Python float."""
    d = std(dtypes[0])
    return FLOATX if d == "int64" else result_type(d, "float")


def exp_dtype(config, dtypes):
    d = std(dtypes[0])
    return FLOATX if "int" in d or d == "bool" else d


def _where_arity(n: int) -> None:
    if n not in (1, 3):
        from graphspec.catalog.base import ShapeError

        raise ShapeError(f"ops.where takes a condition alone or with both x1 and x2; received {n} tensors",
                         help="pass (condition, x1, x2), or the condition alone", code=codes.E402)


def where_shape(config, shapes):
    _where_arity(len(shapes))
    return broadcast_many(list(shapes) + [()] * (3 - len(shapes)))


def where_dtype(config, dtypes):
    _where_arity(len(dtypes))
    # The condition alone: Keras promotes the string "int" (not Python's weak int), i.e. int64.
    return "int64" if len(dtypes) == 1 else result_type(dtypes[1], dtypes[2])


def _binary(name: str, summary: str, dtype=binary_dtype) -> OpEntry:
    return OpEntry(name, name, ("x1", "x2"), False, binary_shape, dtype, summary)


def _unary(name: str, summary: str, dtype=same_dtype, keras: str = "") -> OpEntry:
    return OpEntry(name, keras or name, ("x",), False, same_shape, dtype, summary)


BROADCAST = "broadcast of the two shapes"
ENTRIES = [
    _binary("add", f"x1 + x2: {BROADCAST}; dtype by Keras promotion"),
    _binary("subtract", f"x1 - x2: {BROADCAST}; dtype by Keras promotion"),
    _binary("multiply", f"x1 * x2: {BROADCAST}; dtype by Keras promotion"),
    _binary("divide", f"x1 / x2: {BROADCAST}; dtype promoted with float", divide_dtype),
    _binary("floor_divide", f"x1 // x2: {BROADCAST}; dtype by Keras promotion"),
    _binary("mod", f"x1 % x2: {BROADCAST}; bool becomes int32", mod_dtype),
    _binary("power", f"x1 ** x2: {BROADCAST}; dtype by Keras promotion"),
    _binary("maximum", f"element-wise maximum: {BROADCAST}"),
    _binary("minimum", f"element-wise minimum: {BROADCAST}"),
    _unary("negative", "-x: same shape and dtype"),
    _unary("abs", "same shape and dtype", keras="abs"),
    _unary("sqrt", "same shape; int64 -> float32, others promoted with float", float_unless_int64),
    _unary("log", "same shape; int64 -> float32, others promoted with float", float_unless_int64),
    _unary("tanh", "same shape; int64 -> float32, others promoted with float", float_unless_int64),
    _unary("square", "same shape and dtype; bool -> int32", bool_to_int32),
    _unary("exp", "same shape; int and bool -> float32", exp_dtype),
    _unary("erf", "same shape and dtype"),
    OpEntry("clip", "clip", ("x",), False, same_shape, bool_to_int32,
            "clip(x_min, x_max): same shape and dtype; bool -> int32"),
    OpEntry("where", "where", ("condition", "x1", "x2"), False, where_shape, where_dtype,
            "where(condition, x1, x2): broadcast of the three shapes; dtype of x1 and x2 promoted"),
]
