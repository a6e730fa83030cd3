"""Property tests of the ops catalogue: odd argument values and shapes raise only ShapeError or
ArgError (a located diagnostic), never another exception; binding follows the captured signatures."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphspec.catalog import ops
from graphspec.catalog.base import ArgError, ShapeError

from tests.conftest import ROOT

DIMS = st.one_of(st.none(), st.integers(0, 6), st.sampled_from([-1, 1, 10**12, 2**63]))
SHAPES = st.lists(DIMS, max_size=5).map(tuple)
DTYPES = st.sampled_from(["float32", "float16", "bfloat16", "float64", "int8", "int32", "int64", "uint8", "uint64",
                          "bool", "string", "complex64", "float8_e4m3fn", "int", "float", "nope", ""])
ATOMS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.integers(-3, 5), st.floats(allow_nan=True),
                  st.text(max_size=6), st.sampled_from([Ellipsis, slice(None), slice(1, None, -1), slice(0, 2, 0),
                                                         slice("a", 2)]))
VALUES = st.one_of(ATOMS, st.lists(ATOMS, max_size=4).map(tuple), st.lists(ATOMS, max_size=3))


def _params(name):
    from graphspec.catalog.ops._bind import signature

    params, _ = signature(ops.get(name).keras)
    return [p.name for p in params if p.name not in ops.get(name).tensors]


@pytest.mark.parametrize("name", ops.names())
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_odd_arguments_raise_only_diagnostics(name, data):
    entry = ops._entries()[name]  # the rules themselves, not the guard that catches what they miss
    params = _params(name)
    keys = st.sampled_from(params + ["bogus", entry.tensors[0] if entry.tensors else "x"]) if params else \
        st.sampled_from(["bogus"])
    kwargs = data.draw(st.lists(st.tuples(keys, VALUES), max_size=4))
    args = data.draw(st.lists(VALUES, max_size=2).map(tuple))
    n = 1 if not entry.tensors else data.draw(st.integers(0, 4)) if entry.variadic else len(entry.tensors)
    if name == "where":
        n = data.draw(st.integers(0, 4))
    shapes = data.draw(st.lists(SHAPES, min_size=n, max_size=n))
    dtypes = data.draw(st.lists(DTYPES, min_size=n, max_size=n))
    try:
        config = ops.bind(name, args, tuple(kwargs))
        shape = entry.shape(config, shapes)
        dtype = entry.dtype(config, dtypes)
    except (ShapeError, ArgError) as err:
        assert err.message and err.code.startswith("E")
        return
    assert isinstance(dtype, (str, list))
    for s in shape if isinstance(shape, list) else [shape]:
        assert isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(ops.names()), axis=st.integers(-10**6, 10**6), shape=SHAPES)
def test_huge_and_negative_axes(name, axis, shape):
    entry = ops._entries()[name]
    params = _params(name)
    if "axis" not in params:
        return
    kwargs = (("axis", axis),) + ((("subscripts", "ij"),) if name == "einsum" else ())
    try:
        config = ops.bind(name, (), kwargs)
    except ArgError:
        return  # a required argument missing (split, expand_dims are fine)
    n = len(entry.tensors) if not entry.variadic else 2
    try:
        entry.shape(config, [shape] * n)
    except (ShapeError, ArgError):
        pass


def test_bind_positional_keyword_defaults():
    assert ops.bind("mean", (1,), (("keepdims", True),)) == {"axis": 1, "keepdims": True}
    assert ops.bind("clip", (0, 6), ()) == {"x_min": 0, "x_max": 6}
    assert ops.bind("arange", (10,), ()) == {"start": 10, "stop": None, "step": None, "dtype": None}
    assert ops.bind("getitem", ((0, slice(None)),), ()) == {"key": (0, slice(None))}


@pytest.mark.parametrize("args, kwargs, param, code, words", [
    ((), (("axs", 1),), "axs", "E301", "did you mean `axis`?"),
    ((1,), (("axis", 2),), "axis", "E304", "remove one"),
    ((1, 2, 3), (), "keepdims", "E304", "name the arguments"),
    ((), (("axis", "1"),), "axis", "E302", "integer"),
    ((), (("x", 1),), "x", "E301", "through `->`"),
])
def test_bind_errors(args, kwargs, param, code, words):
    with pytest.raises(ArgError) as info:
        ops.bind("mean", args, kwargs)
    err = info.value
    assert (err.param, err.code) == (param, code)
    assert words in (err.help or "") + err.message


def test_missing_argument_and_unknown_op():
    with pytest.raises(ArgError) as info:
        ops.bind("expand_dims", (), ())
    assert info.value.code == "E303" and info.value.param == "axis"
    assert ops.suggest("expnad_dims") == "expand_dims"
    assert ops.suggest("men") == "mean"
    assert ops.get("nope") is None and ops.get(3) is None
    with pytest.raises(ArgError):
        ops.bind("nope", (), ())


def test_broadcast_failure_message_shows_shapes_and_fix():
    with pytest.raises(ShapeError) as info:
        ops.get("add").shape({}, [(None, 10, 64), (None, 10)])
    err = info.value
    assert "(None, 10, 64)" in err.message and "(None, 10)" in err.message
    assert "ops.expand_dims(axis=2)" in err.help and err.code.startswith("E4")


def test_call_args_places_tensors():
    assert ops.call_args("einsum", ["a", "b"], {"subscripts": "ij,jk"}) == (["ij,jk", "a", "b"], {})
    assert ops.call_args("stack", ["a", "b"], {"axis": 1}) == ([["a", "b"]], {"axis": 1})
    assert ops.call_args("add", ["a", "b"], {}) == (["a", "b"], {})


def test_every_entry_has_a_summary_and_a_captured_signature():
    from graphspec.catalog.ops._bind import signature

    for entry in ops.entries():
        assert entry.summary and signature(entry.keras) is not None, entry.name


def test_ops_catalogue_imports_no_keras():
    code = ("import sys, graphspec.catalog.ops as o, graphspec.catalog.calls as c\n"
            "[o.get(n) for n in o.names()]; o.bind('mean', (1,), ()); c.call_params('LSTM')\n"
            "bad = [m for m in ('keras', 'tensorflow', 'pydantic') if m in sys.modules]\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
