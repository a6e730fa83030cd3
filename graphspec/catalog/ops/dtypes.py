"""Keras's dtype promotion, ported from keras/src/backend/common/dtypes.py (no Keras import).

A dtype is a Keras dtype string ("float32", "int64", "bool", ...). The two weak types
"int" and "float" stand for Python scalars (`x * 0.5`, `x + 1`), which Keras promotes
weakly: a Python float next to a float16 tensor stays float16. The checker models the
TensorFlow backend with floatx float32, as the capture does.
"""

from __future__ import annotations

import functools

from graphspec.catalog.base import ShapeError
from graphspec.diagnostics import codes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, FrozenSet

FLOATX = "float32"
BOOL_TYPES = ("bool",)
INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
WEAK_TYPES = ("int", "float")
COMPLEX_TYPES = ("complex64", "complex128")
FLOAT8_TYPES = ("float8_e4m3fn", "float8_e5m2")
ALLOWED_DTYPES = ("float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
                  "int32", "int64", "bfloat16", "bool", "string", "float8_e4m3fn", "float8_e5m2",
                  "complex64", "complex128")
# What a Python scalar becomes once it is a tensor of its own (TensorFlow backend).
PYTHON_DTYPES = {"int": "int64", "float": "float32", "bool": "bool"}
# Keras keeps 64-bit results 32-bit as JAX does, except int64/float64 on TensorFlow.
BIT64_TO_BIT32 = {"uint64": "uint32", "complex128": "complex64"}


def _lattice() -> Dict[str, tuple]:
    b1, = BOOL_TYPES
    u1, u2, u4, u8, i1, i2, i4, i8 = INT_TYPES
    bf, f2, f4, f8 = FLOAT_TYPES
    i_, f_ = WEAK_TYPES
    c64, c128 = COMPLEX_TYPES
    return {b1: (i_,), u1: (i2, u2), u2: (i4, u4), u4: (i8, u8), u8: (f_,), i_: (u1, i1, c64), i1: (i2,),
            i2: (i4,), i4: (i8,), i8: (f_,), f_: (bf, f2), bf: (f4,), f2: (f4,), f4: (f8, c64), f8: (c128,),
            c64: (c128,), c128: ()}


def _upper_bounds() -> Dict[str, FrozenSet[str]]:
    lattice = _lattice()
    bounds = {n: {n} for n in lattice}
    for n in lattice:
        while True:
            new = set().union(*(lattice[b] for b in bounds[n]))
            if new <= bounds[n]:
                break
            bounds[n] |= new
    return {n: frozenset(b) for n, b in bounds.items()}


UPPER_BOUNDS = _upper_bounds()


def _no_path(dtypes) -> ShapeError:
    shown = ", ".join(f'"{d}"' for d in dtypes)
    return ShapeError(f"the dtypes ({shown}) have no implicit promotion in Keras",
                      help='cast one of them first, e.g. ops.cast(dtype="float32")', code=codes.E401)


@functools.lru_cache(maxsize=512)
def _least_upper_bound(*nodes: str) -> str:
    n = set(nodes)
    if any(d not in UPPER_BOUNDS for d in n):
        raise _no_path(nodes)
    common = frozenset.intersection(*(UPPER_BOUNDS[d] for d in n))
    lub = (common & n) or {c for c in common if common <= UPPER_BOUNDS[c]}
    if len(lub) != 1:
        raise _no_path(nodes)
    return next(iter(lub))


def _strong(dtype: str) -> str:
    """The dtype a weak type stands for when every operand is weak."""
    return PYTHON_DTYPES.get(dtype, dtype)


def _weak_of(dtype: str) -> str:
    if dtype == "bool":
        return dtype
    for kind in ("float", "int", "complex"):
        if kind in dtype:
            return kind
    raise _no_path((dtype,))


def _resolve_weak(dtype: str, precision: str = FLOATX[-2:]) -> str:
    head = "f" if dtype == "bfloat16" else dtype[:1]
    return {"b": "bool", "i": f"int{precision}", "u": f"uint{precision}"}.get(head, f"float{precision}")


def is_weak(dtype: str) -> bool:
    """A Python scalar's dtype ("int" or "float")."""
    return dtype in WEAK_TYPES


def result_type(*dtypes: str) -> str:
    """keras.backend.result_type: the dtype of an op over operands of these dtypes (weak "int"/"float")."""
    if not dtypes:
        return FLOATX
    dtypes = tuple(FLOATX if d is None else d for d in dtypes)
    if any(d in FLOAT8_TYPES for d in dtypes):
        raise ShapeError(f"there is no implicit conversion from float8 dtypes; received {dtypes}",
                         help='cast the float8 tensor first: ops.cast(dtype="float32")', code=codes.E401)
    weak = tuple(is_weak(d) for d in dtypes)
    # A weak type's concrete dtype (what standardize_dtype gives for int / float).
    concrete = tuple(_strong(d) for d in dtypes)
    if len(concrete) == 1:
        out, out_weak = concrete[0], weak[0]
    elif len(set(concrete)) == 1 and not all(weak):
        out, out_weak = concrete[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(*sorted(set(concrete))), True
    else:
        out = _least_upper_bound(*sorted({_weak_of(d) if w else d for d, w in zip(concrete, weak)}))
        out_weak = out in WEAK_TYPES
    out_weak = out != "bool" and out_weak
    if out_weak:
        out = _resolve_weak(out)
    return BIT64_TO_BIT32.get(out, out)


def standardize(dtype) -> str:
    """A dtype argument as Keras standardises it ("float" -> "float32", "int" -> "int64")."""
    from graphspec.catalog.base import ArgError

    if dtype is None:
        return FLOATX
    if not isinstance(dtype, str):
        raise ArgError("dtype", f"`dtype` must be a dtype name such as \"float32\"; received {dtype!r}")
    name = {"int": "int64"}.get(dtype, dtype)  # Keras's PYTHON_DTYPES_MAP knows the string "int" only
    if name not in ALLOWED_DTYPES:
        from graphspec.suggest import did_you_mean

        from graphspec.text import quote

        raise ArgError("dtype", f"invalid dtype {quote(dtype)}", code=codes.E305,
                       help=did_you_mean(dtype, ALLOWED_DTYPES) or f"use one of {', '.join(ALLOWED_DTYPES)}")
    return name


def is_float(dtype: str) -> bool:
    return dtype == "float" or dtype in FLOAT_TYPES or dtype in FLOAT8_TYPES


def is_int(dtype: str) -> bool:
    return dtype == "int" or dtype in INT_TYPES
