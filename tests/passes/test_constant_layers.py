"""E404: a layer (or nested model, or output) whose tensors depend on no model input is refused.
Keras would run such a layer once while building the model and keep its output as a constant, so
the weights the checker counts would not be in the model (docs/patterns.md's positional embedding)."""

import pytest

from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.passes.check import check_text

HEAD = """
model table {
    input i: () int32
    output e = i -> Embedding(12, 4)
}
model m {
    input tokens: (12,) int32
"""


def _diags(body):
    diags = Diagnostics()
    check_text(HEAD + body + "\n}\n", diags, model="m")
    return [(d.code, d.message) for d in diags.items]


@pytest.mark.parametrize("body, message", [
    ("    p = ops.arange(12) -> Embedding(12, 4) -> Dense(4)\n    output y = (tokens -> Embedding(9, 4)) + p",
     "`Embedding` is applied to a tensor that depends on no model input; received shape (12,), made from "
     "constants alone"),
    ("    p = ops.arange(12) -> table\n    output y = (tokens -> Embedding(9, 4)) + p",
     "model `table` is applied to a tensor that depends on no model input; received shape (12,), made from "
     "constants alone"),
    ("    output y = tokens -> Embedding(9, 4)\n    output p = ops.arange(12) -> ops.cast(dtype=\"float32\")",
     "output `p` depends on no model input; received shape (12,), made from constants alone"),
])
def test_a_layer_of_constants_is_refused_once(body, message):
    assert _diags(body) == [("E404", message)]  # once: the Dense after the Embedding is not reported


def test_constants_joined_to_an_input_are_fine():
    body = """    positions = (tokens -> ops.zeros_like()) + ops.arange(12)
    scale = ops.arange(4) -> ops.cast(dtype="float32")
    output y = (tokens -> Embedding(100, 4)) + (positions -> Embedding(12, 4)) * scale"""
    assert _diags(body) == []
