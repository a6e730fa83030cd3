"""Input dtype rules (graphspec.catalog.dtypes_in) against Keras with real data (issue 11).

For every layer in the table and every dtype kind, the layer - made with the arguments of one of
Keras's own test cases - is called on a concrete tensor of that dtype: the rule must report a
problem exactly when Keras fails.
"""

from __future__ import annotations

import json

import pytest

from graphspec.catalog import dtypes_in
from conftest import FIXTURES

DTYPES = ("float32", "int32", "int64", "bool", "string")
# Layers whose Keras test cases take several inputs or none that suits: an input and arguments here.
OWN = {
    "StringLookup": ({"vocabulary": ["a", "b"]}, (2, 1)),
    "IntegerLookup": ({"vocabulary": [1, 2]}, (2, 1)),
    "CategoryEncoding": ({"num_tokens": 4, "output_mode": "one_hot"}, (2, 1)),
    "Embedding": ({"input_dim": 10, "output_dim": 2}, (2, 3)),
    "BatchNormalization": ({}, (2, 3)),
    "TextVectorization": ({"vocabulary": ["a", "b"]}, (2, 1)),
}


def _decode(value):
    import keras

    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if "tuple" in value:
            return tuple(_decode(v) for v in value["tuple"])
        if "dict" in value:
            return {_decode(k): _decode(v) for k, v in value["dict"]}
        if "call" in value:
            return getattr(keras.layers, value["call"])(*_decode(value["args"]),
                                                        **{k: _decode(v) for k, v in value["kwargs"]})
    return value


def _case(layer: str):
    """(kwargs JSON, input shape with batch) of the first single-input Keras test case of `layer`."""
    if layer in OWN:
        kwargs, shape = OWN[layer]
        return [[k, v] for k, v in kwargs.items()], shape
    cases = json.loads((FIXTURES / "keras_layer_cases" / "cases.json").read_text(encoding="utf-8"))["cases"]
    for case in cases:
        if case["layer"] == layer and not case["inexpressible"] and case["call"] == "single" \
                and not case.get("call_kwargs") and case["source"] == "run_layer_test" \
                and ["data_format", "channels_first"] not in case["kwargs"]:  # TF on CPU: NHWC only
            shape = tuple(d or 4 for d in case["inputs"][0]["shape"])
            return case["kwargs"], (shape[0] or 2,) + shape[1:]
    pytest.fail(f"no Keras test case of {layer} to measure with")


def _tensor(shape, dtype):
    import numpy as np
    import tensorflow as tf

    if dtype == "string":
        return tf.constant(np.full(shape, "a", dtype=object).astype(str))
    return tf.constant(np.ones(shape, dtype=bool if dtype == "bool" else dtype))


def _keras_fails(layer: str, kwargs, shape, dtype) -> bool:
    import keras

    made = getattr(keras.layers, layer)(**{k: _decode(v) for k, v in kwargs})
    try:
        made(_tensor(shape, dtype))
    except Exception:  # noqa: BLE001 - the failure is the measurement
        return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize("layer", sorted(dtypes_in.REJECTED))
def test_rule_matches_keras_with_real_data(layer):
    import warnings

    kwargs, shape = _case(layer)
    wrong = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dtype in DTYPES:
            predicted = dtypes_in.input_dtype_problem(layer, {}, [dtype]) is not None
            if predicted != _keras_fails(layer, kwargs, shape, dtype):
                wrong.append(f"{dtype}: graphspec {'rejects' if predicted else 'accepts'}, Keras "
                             f"{'accepts' if predicted else 'fails'}")
    assert not wrong, f"{layer}: {wrong}"


def test_problem_names_the_dtype_and_the_fix():
    message, help_ = dtypes_in.input_dtype_problem("Dense", {}, ["string"])
    assert "string" in message and "StringLookup" in help_
    message, help_ = dtypes_in.input_dtype_problem("StringLookup", {}, ["int32"])
    assert "IntegerLookup" in help_
    message, help_ = dtypes_in.input_dtype_problem("Conv2D", {}, ["int64"])
    assert "float32" in help_
    assert dtypes_in.input_dtype_problem("Embedding", {}, ["int32"]) is None
    assert dtypes_in.input_dtype_problem("Embedding", {}, ["float32"]) is None  # Keras casts float ids
    assert dtypes_in.input_dtype_problem("Reshape", {}, ["string"]) is None  # not in the table: never reported


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["float32", "mixed_float16", "mixed_bfloat16", "int8_from_mixed_bfloat16",
                                    "int4_from_float32", "float8_from_mixed_float16"])
def test_compute_dtype_of_a_policy_is_what_keras_computes_in(policy):
    import keras

    assert dtypes_in.compute_dtype(policy) == keras.dtype_policies.get(policy).compute_dtype
