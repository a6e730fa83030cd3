"""Value functions and indexing: int, round, abs, min, max, shape(x), value[i]."""

import pytest

import graphspec
from graphspec.diagnostics.diagnostic import Diagnostics, SpecError
from graphspec.passes.check import check_text

TRANSITION = """
const widths = (16, 32, 64)
block transition(reduction=0.5) {
    input x
    output y = x -> Conv2D(int(shape(x)[-1] * reduction), 1) -> AveragePooling2D(2)
}
model m {
    input img: (32, 32, 64)
    h = img -> transition()
    h = h -> Conv2D(widths[-1], 3, padding="same") -> transition(0.25)
    output o = h -> Conv2D(max(widths[0], 8), min(3, shape(h)[1])) -> Flatten() -> Dense(abs(-4))
}
"""


def _codes(text):
    diags = Diagnostics()
    check_text(text, diags)
    return [d.code for d in diags.items if d.is_error]


def test_functions_and_indexing_compute_arguments():
    spec = graphspec.loads(TRANSITION)
    convs = [l for l in spec.model.layers if l.type == "Conv2D"]
    assert [c.config["filters"] for c in convs] == [32, 64, 16, 16]
    assert convs[-1].config["kernel_size"] == 3
    dense = [l for l in spec.model.layers if l.type == "Dense"][0]
    assert dense.config["units"] == 4


def test_functions_build_the_same_shapes_as_keras():
    spec = graphspec.loads(TRANSITION)
    model = spec.to_keras()
    assert model.count_params() == sum(spec.model.param_counts())
    assert tuple(model.outputs[0].shape) == spec.model.tensors[spec.model.outputs[0].tensor].shape


@pytest.mark.parametrize("snippet, code", [
    ('Dense(int("a"))', "E250"),
    ("Dense(min())", "E250"),
    ("Dense(shape(nope)[1])", "E201"),
    ("Dense(shape(x)[7])", "E250"),
    ("Dense(shape(x)[0])", "E302"),  # the batch axis is None: not a number for Dense
    ("Dense((1, 2)[1.5])", "E250"),
    ("Dense(int(3, 4))", "E250"),
    ("Dense(max(x=1))", "E250"),
])
def test_function_mistakes_are_diagnostics(snippet, code):
    text = f"model m {{ input x: (8,)  output y = x -> {snippet} }}"
    assert code in _codes(text)


def test_shape_of_an_unknown_size_is_none():
    with pytest.raises(SpecError) as err:
        graphspec.loads("model m { input x: (None, 8)  output y = x -> Flatten() -> Dense(shape(x)[1]) }")
    assert any(d.code in ("E302", "E250", "E305") for d in err.value.diagnostics)
