"""Differential test of the ops catalogue: graphspec's static shape and dtype of every op and
operator against what `keras.ops` computes on symbolic KerasTensors, over a grid of shapes
(broadcasting, None dims, ranks 0-4, cases Keras rejects), dtypes and Python scalars."""

from __future__ import annotations

import itertools
import math
import operator
import warnings
from collections import Counter

import keras
import pytest

from graphspec.catalog import ops
from graphspec.catalog.base import ArgError, ShapeError

DTYPES = ("float32", "float16", "bfloat16", "int32", "int64", "uint8", "bool")
PY = (2, 0.5)  # Python scalars: weak "int" and "float"
SHAPES = ((), (1,), (3,), (None,), (None, 3), (2, 3), (None, 1, 4), (None, 2, 3), (2, None, 3, 1),
          (1, 1, 1, 1), (None, None, 3))
BIN_SHAPES = ((), (1,), (3,), (4,), (None,), (None, 3), (None, 4), (2, 3), (2, 1), (None, 1, 3), (None, 2, 3),
              (5, None, 1, 3))
AXES = (None, 0, 1, -1, 2, (0, 1), (1, -1), (1, 1), 4, -5)


class Scalar:
    """A Python number operand (`x + 2`): shape () and weak dtype "int"/"float" for graphspec."""

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return repr(self.value)


def T(shape, dtype="float32"):
    return (tuple(shape), dtype)


def operand(x):
    return x if isinstance(x, Scalar) else T(*x) if isinstance(x[0], tuple) else T(x)


# --------------------------------------------------------------------------- the two sides


def keras_side(name, config, inputs):
    """(shape, dtype) or a list of them from Keras, or "raise"."""
    entry = ops.get(name)
    tensors = [x.value if isinstance(x, Scalar) else keras.KerasTensor(x[0], dtype=x[1]) for x in inputs]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if name == "getitem":
                out = tensors[0][config["key"]]
            else:
                args, kwargs = ops.call_args(name, tensors, config)
                out = getattr(keras.ops, entry.keras)(*args, **kwargs)
    except Exception:  # noqa: BLE001 - any refusal counts
        return "raise"
    return _spec(out)


def _spec(out):
    if isinstance(out, (list, tuple)):
        return [_spec(o) for o in out]
    return tuple(out.shape), keras.backend.standardize_dtype(out.dtype)


def graphspec_side(name, kwargs, inputs):
    entry = ops.get(name)
    try:
        config = ops.bind(name, (), tuple(kwargs.items()))
        shapes = [() if isinstance(x, Scalar) else x[0] for x in inputs]
        dtypes = [("float" if isinstance(x.value, float) else "int") if isinstance(x, Scalar) else x[1]
                  for x in inputs]
        shape = entry.shape(config, shapes)
        dtype = entry.dtype(config, dtypes)
    except (ShapeError, ArgError):
        return config if False else "raise", None
    if isinstance(shape, list):
        return [(tuple(s), d) for s, d in zip(shape, dtype)], config
    return (tuple(shape), dtype), config


def compare(cases):
    """Run every (op, kwargs, inputs) case on both sides; return (counts, disagreements)."""
    counts, bad = Counter(), []
    for name, kwargs, inputs in cases:
        ours, config = graphspec_side(name, kwargs, inputs)
        theirs = keras_side(name, config if config is not None else _bind_or_raw(name, kwargs), inputs)
        counts[name] += 1
        if ours != theirs:
            bad.append((name, kwargs, inputs, ours, theirs))
    return counts, bad


def _bind_or_raw(name, kwargs):
    sig_defaults = {}
    try:
        sig_defaults = ops.bind(name, (), ())
    except ArgError:
        pass
    return {**sig_defaults, **kwargs}


# --------------------------------------------------------------------------- the grid

UNARY = ("abs", "sqrt", "square", "exp", "log", "tanh", "erf", "negative", "relu", "relu6", "sigmoid",
         "hard_sigmoid", "hard_silu", "silu", "gelu")
BINARY = ("add", "subtract", "multiply", "divide", "floor_divide", "mod", "power", "maximum", "minimum")
REDUCTIONS = ("mean", "sum", "max", "min", "argmax")


def unary_cases(full):
    shapes = SHAPES if full else SHAPES[:6]
    for name in UNARY:
        for shape, dtype in itertools.product(shapes, DTYPES):
            yield name, {}, [T(shape, dtype)]
    for dtype in DTYPES:
        yield "cast", {"dtype": "int32"}, [T((None, 3), dtype)]
        yield "cast", {"dtype": dtype}, [T((None, 3), "float16")]
        for like in ("ones_like", "zeros_like"):
            yield like, {}, [T((None, 2, 3), dtype)]
            yield like, {"dtype": "int8"}, [T((None, 2), dtype)]
    yield "cast", {"dtype": "nope"}, [T((None, 3))]
    for shape, dtype in itertools.product(shapes, DTYPES):
        yield "clip", {"x_min": 0, "x_max": 6}, [T(shape, dtype)]
    for lo, hi in ((0.0, 1.0), (-1, 1), (2, 1)):
        yield "clip", {"x_min": lo, "x_max": hi}, [T((None, 3), "int32")]


def binary_cases(full):
    shapes = BIN_SHAPES if full else BIN_SHAPES[::2]
    for name in BINARY:
        for a, b in itertools.product(shapes, shapes):
            yield name, {}, [T(a), T(b)]
        dtypes = DTYPES + ("int8", "int16", "uint16", "uint32", "float64") if full else \
            ("float32", "float16", "int32", "uint8", "bool")
        for d1, d2 in itertools.product(dtypes, dtypes):
            yield name, {}, [T((None, 3), d1), T((3,), d2)]
        for d, v in itertools.product(dtypes, PY):
            yield name, {}, [T((None, 3), d), Scalar(v)]
            yield name, {}, [Scalar(v), T((None, 3), d)]


MATMUL_SHAPES = ((3,), (4,), (None,), (3, 4), (4, 3), (None, 3), (None, 4), (None, 3, 4), (None, 4, 5),
                 (2, 1, 3, 4), (None, None, 4), (5, 4, 2))


def matmul_cases(full):
    for a, b in itertools.product(MATMUL_SHAPES, MATMUL_SHAPES):
        yield "matmul", {}, [T(a), T(b)]
    yield "matmul", {}, [T((None, 3)), Scalar(2)]
    for d1, d2 in itertools.product(DTYPES + ("int8",), DTYPES + ("int8",)) if full else ():
        yield "matmul", {}, [T((None, 3), d1), T((3, 2), d2)]
    yield "matmul", {}, [T((None, 3), "int8"), T((3, 2), "int8")]
    subs = [("ij,jk->ik", [(None, 3), (3, 4)]), ("bij,bjk->bik", [(None, 2, 3), (None, 3, 4)]),
            ("bij,bjk", [(None, 2, 3), (None, 3, 4)]), ("...ij,kji->...k", [(None, 3, 4), (2, 4, 3)]),
            ("ij->ji", [(None, 3)]), ("ii->i", [(3, 3)]), ("i,i->", [(3,), (3,)]), ("ij,jk->ik", [(None, 3)]),
            ("ijk->ij", [(None, 3)]), ("bqhd,bkhd->bhqk", [(None, 5, 2, 8), (None, 6, 2, 8)]),
            ("ab...,b->a...", [(None, 3, 4, 5), (3,)]), ("ij->i->j", [(None, 3)]), ("bi,bi->b", [(None, 3), (None, 4)])]
    for s, shapes in subs:
        yield "einsum", {"subscripts": s}, [T(x) for x in shapes]
    for d in DTYPES + ("int8",):
        yield "einsum", {"subscripts": "ij,jk->ik"}, [T((None, 3), d), T((3, 4), d)]
        yield "einsum", {"subscripts": "ij,jk->ik"}, [T((None, 3), d), T((3, 4), "float16")]


def reduction_cases(full):
    shapes = SHAPES if full else SHAPES[2:8]
    for name in REDUCTIONS:
        for shape, axis, keep in itertools.product(shapes, AXES, (False, True)):
            yield name, {"axis": axis, "keepdims": keep}, [T(shape)]
        for d in DTYPES + ("int8", "int16", "uint16"):
            yield name, {"axis": -1}, [T((None, 3), d)]
    for shape, axis, keep in itertools.product(shapes, AXES, (False, True)):
        yield "norm", {"axis": axis, "keepdims": keep}, [T(shape)]
    for order, axis in itertools.product((None, 1, 2, -1, "fro", "nuc", math.inf, 3), (-1, (1, 2), None)):
        yield "norm", {"ord": order, "axis": axis}, [T((None, 2, 3))]
    for d in DTYPES:
        yield "norm", {}, [T((None, 3), d)]
    for name in ("softmax", "normalize"):
        for shape, axis in itertools.product(shapes, AXES):
            yield name, {"axis": axis}, [T(shape)]
        for d in DTYPES:
            yield name, {}, [T((None, 3), d)]


def shape_cases(full):
    shapes = SHAPES if full else SHAPES[1:8]
    for shape, axis in itertools.product(shapes, (0, 1, -1, 2, (0, 1), (1, -1), (1, 1), 5, -6)):
        yield "expand_dims", {"axis": axis}, [T(shape)]
    for shape, axis in itertools.product(shapes, (None, 0, 1, -1, (1, 2), 3, (1, 1))):
        yield "squeeze", {"axis": axis}, [T(shape)]
    for shape, new in itertools.product(shapes + ((2, 3, 4), (6,)), ((-1,), (-1, 3), (2, 3), (6,), (3, 2), (-1, -1),
                                                                   (-2, 3), (0,), (1, -1, 3), 6, (-1, 2, 2),
                                                                   (None, 3))):
        yield "reshape", {"newshape": new}, [T(shape, "int32")]
    for shape, axes in itertools.product(shapes, (None, (0, 1), (1, 0), (0, 2, 1), (2, 1, 0), (0, 0, 1),
                                                  (0, 1, 5), (-1, 0, 1), (0, 1, 2, 3), (3, 2, 1, 0))):
        yield "transpose", {"axes": axes}, [T(shape)]
    groups = [[(None, 3), (None, 3)], [(None, 3), (None, 4)], [(2, 3), (None, 3), (2, 5)], [(None, 2, 3), (None, 2, 3)],
              [(None, 2, 3), (None, 3, 3)], [(None, 3)], [(None, 3), (None, 3, 1)], [(None, None), (4, 3)]]
    for group, axis in itertools.product(groups, (0, 1, -1, 2, -3)):
        yield "concatenate", {"axis": axis}, [T(s) for s in group]
        yield "stack", {"axis": axis}, [T(s) for s in group]
    for ds in (("float32", "float16"), ("int32", "uint8"), ("bool", "bool"), ("int64", "float16")):
        yield "concatenate", {"axis": -1}, [T((None, 3), d) for d in ds]
        yield "stack", {"axis": -1}, [T((None, 3), d) for d in ds]
    for shape, sections, axis in itertools.product(((None, 6), (4, 6), (None, None, 6), (6,)),
                                                   (1, 2, 3, 4, (1,), (1, 3), (0, 5), (4, 2), 0),
                                                   (0, 1, -1, 2)):
        yield "split", {"indices_or_sections": sections, "axis": axis}, [T(shape)]
    keys = [(0,), (slice(None), 0), (Ellipsis, slice(None, 2)), (slice(None, None, 2),), (None,), (Ellipsis, None),
            (0, 0, 0, 0, 0), (Ellipsis, Ellipsis), (-1,), (5,), (slice(1, None), Ellipsis, 0),
            (slice(None), None, slice(None)), (slice(None), -1), (slice(None), 3), (slice(None), slice(None, None, -1)),
            (slice(None), slice(5, 1)), (Ellipsis, 0, 0, 0, 0), (slice(None), slice(None, None, 0)), ()]
    for shape, key in itertools.product(shapes + ((None, 4, 5),), keys):
        yield "getitem", {"key": key}, [T(shape, "int32")]
    for shape_c, dc in itertools.product(((None, 3), (3,), (None, 1), (None, 4), ()), ("bool", "float32")):
        yield "where", {}, [T(shape_c, dc), T((None, 3)), T((3,), "int32")]
        yield "where", {}, [T(shape_c, dc)]
    for d1, d2 in itertools.product(DTYPES, DTYPES[:4]):
        yield "where", {}, [T((None, 3), "bool"), T((None, 3), d1), T((None, 3), d2)]
    for v in PY:
        yield "where", {}, [T((None, 3), "bool"), T((None, 3), "float16"), Scalar(v)]
        yield "where", {}, [T((None, 3), "bool"), Scalar(v), Scalar(v)]
    for shape, n, axis, dtype in itertools.product(((None,), (None, 3), (2, 3), ()), (4,), (-1, 0, 1, 2, -2),
                                                   (None, "int32")):
        yield "one_hot", {"num_classes": n, "axis": axis, "dtype": dtype}, [T(shape, "int32")]
    for start, stop, step, dtype in ((10, None, None, None), (2, 10, 3, None), (0.5, 4, None, None),
                                     (10, 2, None, None), (10, 2, -2, None), (0, 5, 0.5, None), (5, None, None, "float16"),
                                     (0, 10, 0, None), (-3, None, None, None), (1, 2.5, 0.25, "int32")):
        yield "arange", {"start": start, "stop": stop, "step": step, "dtype": dtype}, []
    for dtype, (start, stop) in itertools.product(DTYPES + ("int8", "uint16", "float64", None), ((0, 5), (-2, 3))):
        yield "arange", {"start": start, "stop": stop, "dtype": dtype}, []


FAMILIES = (unary_cases, binary_cases, matmul_cases, reduction_cases, shape_cases)


def _check(full):
    counts, bad = Counter(), []
    for family in FAMILIES:
        c, b = compare(family(full))
        counts.update(c)
        bad.extend(b)
    total = sum(counts.values())
    print(f"\nops differential ({'full' if full else 'quick'} grid): {total} cases over {len(counts)} ops, "
          f"{total - len(bad)} agree, {len(bad)} disagree")
    assert set(ops.names()) <= set(counts), f"ops without a case: {set(ops.names()) - set(counts)}"
    shown = "\n".join(f"  ops.{n}({k}) on {i}: graphspec {o}, Keras {t}" for n, k, i, o, t in bad[:30])
    assert not bad, f"{len(bad)} disagreements:\n{shown}"


def test_every_op_agrees_with_keras_quick_grid():
    _check(full=False)


@pytest.mark.slow
def test_every_op_agrees_with_keras_full_grid():
    _check(full=True)


# --------------------------------------------------------------------------- operators

PY_OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
                "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "@": operator.matmul}


@pytest.mark.parametrize("symbol", sorted(PY_OPERATORS))
def test_operator_on_keras_tensors_agrees_with_its_op(symbol):
    """`x + y` on KerasTensors (what a spec's expression means) has the shape and dtype of ops.add."""
    name = ops.OPERATORS[symbol]
    fn = PY_OPERATORS[symbol]
    cases = [((None, 3), (3,)), ((None, 3), (4,)), ((None, 2, 3), (None, 3, 2)), ((None, 3), (None, 1)),
             ((None, 3), (3, 2))]
    n = 0
    for (a, b), (d1, d2) in itertools.product(cases, (("float32", "float32"), ("float16", "int32"),
                                                      ("int32", "bool"))):
        for left, right in ((T(a, d1), T(b, d2)), (T(a, d1), Scalar(2)), (Scalar(0.5), T(a, d1))):
            if symbol == "@" and (isinstance(left, Scalar) or isinstance(right, Scalar)):
                continue
            ours, _ = graphspec_side(name, {}, [left, right])
            kl = left.value if isinstance(left, Scalar) else keras.KerasTensor(left[0], dtype=left[1])
            kr = right.value if isinstance(right, Scalar) else keras.KerasTensor(right[0], dtype=right[1])
            try:
                theirs = _spec(fn(kl, kr))
            except Exception:  # noqa: BLE001
                theirs = "raise"
            assert ours == theirs, (symbol, left, right)
            n += 1
    assert n >= 15


def test_negative_operator():
    for d in DTYPES:
        ours, _ = graphspec_side("negative", {}, [T((None, 3), d)])
        assert ours == _spec(-keras.KerasTensor((None, 3), dtype=d))


def test_every_operator_names_an_op():
    assert all(ops.get(name) is not None for name in ops.OPERATORS.values())
