"""Differential harness over Keras's own layer tests (issue 11).

The cases in tests/fixtures/keras_layer_cases/cases.json were extracted from the pinned Keras's
`keras/src/layers/**/*_test.py` by scripts/extract_keras_layer_cases.py. Each expressible case
becomes a one-layer spec, checked by graphspec; the same layer is built by Keras itself on symbolic
inputs of the same shapes and dtypes (Keras is the oracle, not the test's expectation). Outcomes:

  agree          both accept with the same output shapes, or both reject
  wrong_shape    both accept, the shapes differ
  missed_error   graphspec accepts, Keras raises
  false_error    graphspec rejects, Keras builds
  internal_error graphspec reports E499 (its own rule failed)
  inexpressible  the case cannot be written as a spec (the reason is recorded)
"""

from __future__ import annotations

import collections
import importlib.util
import json
from pathlib import Path

import pytest

from graphspec.catalog import registry
from graphspec.catalog.base import ATTENTION, LIST, UNSAFE_CLASSES, CallValue
from graphspec.catalog.signatures import canonical_layer_name
from graphspec.text import spec_value
from conftest import FIXTURES, ROOT, load_module

CASES_FILE = FIXTURES / "keras_layer_cases" / "cases.json"
SPEC_DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
               "string")
ATTENTION_ORDER = ("query", "value", "key")


class Inexpressible(Exception):
    """A case that a spec cannot write."""


def _cases() -> list:
    return json.loads(CASES_FILE.read_text(encoding="utf-8"))["cases"]


def decode(value, call):
    """A JSON-encoded case value as Python, calls made by `call(name, args, kwargs)`."""
    if isinstance(value, list):
        return [decode(v, call) for v in value]
    if isinstance(value, dict):
        if "tuple" in value:
            return tuple(decode(v, call) for v in value["tuple"])
        if "dict" in value:
            return {decode(k, call): decode(v, call) for k, v in value["dict"]}
        if "call" in value:
            return call(value["call"], [decode(a, call) for a in value["args"]],
                        [(k, decode(v, call)) for k, v in value["kwargs"]])
    return value


def _spec_call(name, args, kwargs):
    if canonical_layer_name(name) is None or name in UNSAFE_CLASSES:
        raise Inexpressible(f"nested `{name}` is not a catalogue layer")
    return CallValue(name, tuple(args), tuple(kwargs))


def _ordered_inputs(case) -> list:
    """The case's inputs in the order graphspec hands them to the layer."""
    inputs = case["inputs"]
    if case["call"] != "dict":
        return inputs
    keys = [i["name"][:-len("_shape")] if i["name"].endswith("_shape") else i["name"] for i in inputs]
    if not set(keys) <= set(ATTENTION_ORDER) or "query" not in keys or "value" not in keys:
        raise Inexpressible(f"inputs by keyword {keys}")
    by_key = dict(zip(keys, inputs))
    return [by_key[k] for k in ATTENTION_ORDER if k in by_key]


def spec_text(case, n_outputs: int = 1) -> str:
    """The one-layer spec of a case; raises Inexpressible."""
    if case["inexpressible"]:
        raise Inexpressible(case["inexpressible"])
    layer = case["layer"]
    if layer in UNSAFE_CLASSES:
        raise Inexpressible(f"`{layer}` runs code")
    if case.get("call_kwargs"):
        raise Inexpressible("call arguments (training=, mask=, ...)")
    entry = registry.get(canonical_layer_name(layer) or layer)
    if entry is None:
        raise Inexpressible(f"`{layer}` is not in the catalogue")
    inputs = _ordered_inputs(case)
    if case["call"] == "dict" and entry.call != ATTENTION:
        raise Inexpressible("inputs by keyword")
    if case["call"] == "list" and entry.call != LIST and len(inputs) > 1:
        raise Inexpressible("a list of tensors to a layer that takes separate tensors")
    lines = []
    for i, item in enumerate(inputs):
        shape, dtype = item["shape"], item["dtype"] or "float32"
        if len(shape) < 2:
            raise Inexpressible("an input without axes besides the batch axis")
        if any(d is not None and d < 1 for d in shape[1:]):
            raise Inexpressible("an input with a zero-size axis")
        if dtype not in SPEC_DTYPES:
            raise Inexpressible(f"input dtype {dtype}")
        lines.append(f"    input x{i}: {spec_value(tuple(shape[1:]))} {dtype}")
    args = [spec_value(decode(a, _spec_call)) for a in case["args"]]
    args += [f"{k}={spec_value(decode(v, _spec_call))}" for k, v in case["kwargs"]]
    source = "x0" if len(inputs) == 1 else "(" + ", ".join(f"x{i}" for i in range(len(inputs))) + ")"
    if case["call"] == "list" and len(inputs) == 1:
        raise Inexpressible("a list of one tensor")
    step = f"{source} -> {layer}({', '.join(args)})"
    if n_outputs == 1:
        lines.append(f"    output y = {step}")
    else:
        names = [f"y{i}" for i in range(n_outputs)]
        lines.append(f"    {', '.join(names)} = {step}")
        lines += [f"    output {n}" for n in names]
    return "model case {\n" + "\n".join(lines) + "\n}\n"


def graphspec_outcome(text: str):
    """("ok", [shapes]) or ("error", [codes], first message)."""
    import graphspec

    try:
        spec = graphspec.loads(text)
    except graphspec.SpecError as err:
        errors = [d for d in err.diagnostics if d.is_error]
        return ("error", [d.code for d in errors], errors[0].message if errors else "")
    graph = spec.models[spec.root]
    return ("ok", [tuple(graph.tensors[o.tensor].shape) for o in graph.outputs])


def _data(item):
    """A concrete array of an input's shape (unknown axes 4 long, batch 2) and dtype."""
    import numpy as np

    shape = [2] + [d or 4 for d in item["shape"][1:]]
    dtype = item["dtype"] or "float32"
    if dtype == "string":
        return np.full(shape, "a", dtype=object)
    if dtype == "bool":
        return np.zeros(shape, dtype=bool)
    return np.ones(shape, dtype=dtype)


def keras_outcome(case, data: bool = False):
    """("ok", [shapes]) or ("error", type, message): the layer built by Keras on symbolic inputs
    (with `data`, called on concrete arrays of those shapes and dtypes instead)."""
    import keras

    def make(name, args, kwargs):
        return getattr(keras.layers, name)(*args, **dict(kwargs))

    try:
        layer = decode({"call": case["layer"], "args": case["args"], "kwargs": case["kwargs"]}, make)
        inputs = case["inputs"]
        if data:
            tensors = [keras.ops.convert_to_tensor(_data(i)) if (i["dtype"] or "") != "string" else _data(i)
                       for i in inputs]
        else:
            tensors = [keras.Input(batch_shape=(None,) + tuple(i["shape"][1:]), dtype=i["dtype"] or "float32")
                       for i in inputs]
        if case["call"] == "dict":
            keys = [i["name"][:-len("_shape")] if i["name"].endswith("_shape") else i["name"] for i in inputs]
            out = layer(**dict(zip(keys, tensors)))
        elif case["call"] == "list":
            out = layer(tensors)
        else:
            out = layer(tensors[0])
    except Exception as exc:  # noqa: BLE001 - Keras's rejection is the outcome
        return ("error", type(exc).__name__, str(exc)[:200])
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    return ("ok", [tuple(o.shape) for o in outs])


def public_name(name: str) -> str:
    """The public keras.layers name of a class a test names by its keras.src name (GroupedQueryAttention
    is public as GroupQueryAttention)."""
    import keras

    if hasattr(keras.layers, name):
        return name
    for public in dir(keras.layers):
        obj = getattr(keras.layers, public)
        if isinstance(obj, type) and obj.__name__ == name:
            return public
    return name


def compare(case) -> tuple:
    """(category, detail) of one case."""
    if case["layer"]:
        case = {**case, "layer": public_name(case["layer"])}
    try:
        spec_text(case)
    except Inexpressible as why:
        return "inexpressible", str(why)
    oracle = keras_outcome(case)
    try:
        text = spec_text(case, len(oracle[1]) if oracle[0] == "ok" else 1)
    except Inexpressible as why:
        return "inexpressible", str(why)
    ours = graphspec_outcome(text)
    if ours[0] == "error" and "E499" in ours[1]:
        return "internal_error", ours[2]
    if ours[0] == "error" and oracle[0] == "error":
        return "agree", ""
    if ours[0] == "ok" and oracle[0] == "ok":
        if ours[1] == oracle[1]:
            return "agree", ""
        return "wrong_shape", f"graphspec {ours[1]}, Keras {oracle[1]}"
    if ours[0] == "ok":
        return "missed_error", f"Keras {oracle[1]}: {oracle[2]}"
    if ours[1][0].startswith("E4") and keras_outcome(case, data=True)[0] == "error":
        return "agree", ""  # Keras builds symbolically but fails when data flows: graphspec is right
    return "false_error", f"graphspec {ours[1][0]}: {ours[2][:200]}"


def run_all(cases) -> dict:
    """Category -> [(case id, detail)]."""
    out = collections.defaultdict(list)
    for case in cases:
        category, detail = compare(case)
        out[category].append((case["id"], detail))
    return out


def test_cases_are_the_extractors_output_for_the_installed_keras():
    """The committed cases are what the extractor reads from the installed Keras's test files."""
    spec = importlib.util.find_spec("keras")
    if spec is None or spec.origin is None:
        pytest.skip("Keras is not installed")
    src = Path(spec.origin).parent / "src" / "layers"
    extractor = load_module(ROOT / "scripts" / "extract_keras_layer_cases.py")
    assert json.loads(json.dumps(extractor.extract(src))) == _cases()


def test_cases_cover_the_keras_layer_tests():
    cases = _cases()
    assert len(cases) > 600
    assert sum(1 for c in cases if not c["inexpressible"]) > 450
    assert {c["source"] for c in cases} >= {"run_layer_test", "assertRaises"}


@pytest.mark.slow
def test_graphspec_agrees_with_keras_on_its_layer_tests(capsys):
    """Every expressible case: the same shapes, or an error on both sides."""
    results = run_all(_cases())
    counts = {k: len(v) for k, v in sorted(results.items())}
    with capsys.disabled():
        print(f"\nkeras layer cases: {counts}")
    disagreements = {k: v for k, v in results.items() if k not in ("agree", "inexpressible")}
    listing = "\n".join(f"{k}: {cid}: {detail}" for k, v in disagreements.items() for cid, detail in v)
    assert not disagreements, f"{counts}\n{listing}"
