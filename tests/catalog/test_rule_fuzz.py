"""Every catalogue entry's rules over hostile argument values and input shapes (issue 11).

A spec applies one layer to one input, its arguments taken from a Keras layer test case (or filled
with 2 for each required argument) and one argument replaced by a generated value: the wrong type,
the wrong length, negative, zero, huge, nested. Checking it through the public API may only give
argument and shape diagnostics (E3xx, E4xx; E005 for a model over the parameter limit) - never
E499 (a rule of graphspec's own failing), another code, or an exception.
"""

from __future__ import annotations

import json

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphspec
from graphspec.catalog import registry, signatures
from graphspec.catalog.base import UNSAFE_CLASSES, CallValue
from graphspec.text import spec_value
from conftest import FIXTURES

# E212: a layer with several outputs (return_state=True) bound to one name - the spec's form, not a rule.
ALLOWED = ("E3", "E4", "E005", "E212")


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if "tuple" in value:
            return tuple(_decode(v) for v in value["tuple"])
        if "dict" in value:
            return {_decode(k): _decode(v) for k, v in value["dict"]}
        if "call" in value:
            return CallValue(value["call"], tuple(_decode(a) for a in value["args"]),
                             tuple((k, _decode(v)) for k, v in value["kwargs"]))
    return value


def _bases() -> dict:
    """Layer -> [(args, kwargs, input shapes without batch)] from the Keras test cases."""
    cases = json.loads((FIXTURES / "keras_layer_cases" / "cases.json").read_text(encoding="utf-8"))["cases"]
    out: dict = {}
    for case in cases:
        if case["inexpressible"] or case["call"] == "dict" or case.get("call_kwargs"):
            continue
        shapes = [tuple(i["shape"][1:]) for i in case["inputs"]]
        if any(len(s) == 0 or any(d is not None and d < 1 for d in s) for s in shapes):
            continue
        if any(i["dtype"] not in ("float32", "float64", "int32", "int64", "string", "bool") for i in case["inputs"]):
            continue
        out.setdefault(case["layer"], []).append(
            (tuple(_decode(a) for a in case["args"]), tuple((k, _decode(v)) for k, v in case["kwargs"]),
             tuple(zip(shapes, (i["dtype"] for i in case["inputs"])))))
    return out


BASES = _bases()
LAYERS = sorted(name for name in registry.names() if name not in UNSAFE_CLASSES)

small_ints = st.sampled_from([0, 1, 2, 3, -1, -2, 7, 64, 10 ** 9, 10 ** 15])
floats = st.sampled_from([0.0, 0.5, -0.5, 1.0, 1.5, -1.1, 2.0, 1e-9, 1e12, -1e12])
strings = st.sampled_from(["", "same", "valid", "relu", "int", "channels_first", "x", "float32", "invalid",
                           "/", "a b", "rmax", "int8_from_float32"])
scalars = st.one_of(small_ints, floats, strings, st.booleans(), st.none())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4).map(tuple), st.lists(inner, max_size=4),
                            st.dictionaries(strings.filter(bool), inner, max_size=3)),
    max_leaves=8)
dims = st.sampled_from([None, 1, 2, 3, 5, 8, 16])
shapes = st.lists(dims, min_size=1, max_size=4).map(tuple)


def _params(name: str) -> list:
    sig = signatures.layer_signature(name)
    if sig is None:
        return []
    entry = registry.get(name)
    skip = set(entry.layer_params) | {"name"}
    return [p.name for p in sig.params + sig.forwarded if p.name not in skip]


def _spec(name, args, kwargs, inputs) -> str:
    lines = [f"    input x{i}: {spec_value(tuple(shape))} {dtype}" for i, (shape, dtype) in enumerate(inputs)]
    source = "x0" if len(inputs) == 1 else "(" + ", ".join(f"x{i}" for i in range(len(inputs))) + ")"
    written = [spec_value(a) for a in args] + [f"{k}={spec_value(v)}" for k, v in kwargs]
    lines.append(f"    output y = {source} -> {name}({', '.join(written)})")
    return "model fuzz {\n" + "\n".join(lines) + "\n}\n"


def _default_call(name: str) -> tuple:
    sig = signatures.layer_signature(name)
    required = [p for p in sig.params if p.required] if sig else []
    return tuple(2 for p in required if p.positional), tuple((p.name, 2) for p in required if not p.positional)


def _codes(text: str) -> list:
    try:
        graphspec.loads(text)
    except graphspec.SpecError as err:
        return [d.code for d in err.diagnostics if d.is_error]
    return []


@st.composite
def layer_specs(draw):
    name = draw(st.sampled_from(LAYERS))
    bases = BASES.get(name)
    if bases:
        args, kwargs, inputs = draw(st.sampled_from(bases))
    else:
        args, kwargs = _default_call(name)
        inputs = ((draw(shapes), "float32"),) * (registry.get(name).min_inputs or 1)
    params = _params(name)
    if params and draw(st.booleans() | st.just(True)):
        param = draw(st.sampled_from(params))
        value = draw(values)
        sig = signatures.layer_signature(name)
        positional = [p.name for p in sig.positional_params][:len(args)]
        if param in positional:
            args = args[:positional.index(param)] + (value,) + args[positional.index(param) + 1:]
        else:
            kwargs = tuple((k, v) for k, v in kwargs if k != param) + ((param, value),)
    if draw(st.booleans()):
        inputs = tuple((draw(shapes), dtype) for _shape, dtype in inputs)
    return _spec(name, args, kwargs, inputs)


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(layer_specs())
def test_rules_give_only_argument_and_shape_diagnostics(text):
    codes = _codes(text)
    bad = [c for c in codes if not c.startswith(ALLOWED)]
    assert not bad, f"{bad} for\n{text}"


@pytest.mark.slow
def test_every_catalogue_layer_with_its_keras_arguments_and_each_parameter_set_to_hostile_values():
    """Deterministic sweep: every layer, every parameter, a fixed set of hostile values."""
    hostile = [0, -1, 10 ** 15, 1.5, -1e12, "invalid", True, None, (), (1,), (1, 2, 3), ((1, 2), (3, 4, 5)),
               [0.1, 0.2, 0.3], {"random_key": 1.0}, ("a", 2)]
    failures = []
    for name in LAYERS:
        bases = BASES.get(name) or [(*_default_call(name), (((8, 8, 3), "float32"),) *
                                      (registry.get(name).min_inputs or 1))]
        args, kwargs, inputs = bases[0]
        sig = signatures.layer_signature(name)
        positional = [p.name for p in sig.positional_params][:len(args)] if sig else []
        for param in _params(name):
            for value in hostile:
                if param in positional:
                    i = positional.index(param)
                    a, k = args[:i] + (value,) + args[i + 1:], kwargs
                else:
                    a, k = args, tuple((n, v) for n, v in kwargs if n != param) + ((param, value),)
                text = _spec(name, a, k, inputs)
                bad = [c for c in _codes(text) if not c.startswith(ALLOWED)]
                if bad:
                    failures.append(f"{name}({param}={spec_value(value)}): {bad}")
    assert not failures, "\n".join(failures)
