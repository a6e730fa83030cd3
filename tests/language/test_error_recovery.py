"""Issue 11's error recovery, beyond the goldens: what must check clean (Keras builds it), and the
secondary locations in every output format."""

from __future__ import annotations

import json

import pytest

import graphspec
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.diagnostics.render import render_github, render_json
from graphspec.source import Source
from graphspec.syntax.parse import parse

OUTPUT_NAMED_BY_ITS_LAYER = """\
model scorer {
    input features: (8,)
    output score = features -> Dense(16, activation="relu") -> Dense(1, name="score")
}
"""

BLOCK_ERROR = """\
block head(units) {
    input x
    h = x -> Dense(units, activaton="relu")
    output y = h -> Dense(1)
}
model scorer {
    input features: (8,)
    output score = features -> head(4)
}
"""


def _errors(text: str, **kw):
    with pytest.raises(graphspec.SpecError) as info:
        graphspec.loads(text, **kw)
    return info.value.diagnostics


def test_output_may_carry_its_layers_name():
    """Keras names an output after its layer: `name=` equal to the output's name is that same name."""
    spec = graphspec.loads(OUTPUT_NAMED_BY_ITS_LAYER)
    names = [layer.name for layer in spec.model.layers]
    assert names.count("score") == 1


def test_output_named_by_its_layer_builds_in_keras():
    model = graphspec.loads(OUTPUT_NAMED_BY_ITS_LAYER).to_keras()
    assert model.output_names == ["score"]
    assert type(model.get_layer("score")).__name__ == "Dense"


def test_block_error_points_at_the_use_in_json_and_github():
    diags = _errors(BLOCK_ERROR)
    assert [d.code for d in diags] == ["E301"]
    item = json.loads(render_json(diags))[0]
    assert item["related"] == [{"span": {"file": "<string>", "line": 8, "col": 32, "end_line": 8, "end_col": 39},
                                "label": "in this use of block `head`"}]
    assert "(in this use of block `head`: <string>:8:32)" in render_github(diags)


def test_set_value_points_at_the_const_it_replaced():
    text = "const width = 8\n" + BLOCK_ERROR.replace('activaton="relu"', "").replace("head(4)", "head(width)")
    labels = [r.text for d in _errors(text, set={"width": 0}) for r in d.related]
    assert labels == ["in this use of block `head`", "replaced by `--set width=0`"]


@pytest.mark.parametrize("text", [
    "const n = 8\nmodel m {\n    input x: (n // 2,)\n    output y = x -> Dense(n // 4)\n}\n",
    "const n = 8\nconst half = 2\nmodel m {\n    input x: (8,)\n    output y = x -> Dense(n // half)\n}\n",
])
def test_floor_division_is_not_a_comment(text):
    diags = Diagnostics()
    assert parse(Source("f.gspec", text), diags) is not None
    assert diags.items == []


def test_c_comment_does_not_hide_later_syntax_errors():
    text = "model m {\n    input x: (8,)  // the features\n    output y = x -> Dense(1)\n}\nmodle n {\n}\n"
    diags = Diagnostics()
    assert parse(Source("f.gspec", text), diags) is None
    assert [(d.code, d.span.line) for d in diags.items] == [("E100", 2), ("E100", 5)]


def test_set_value_in_an_input_shape_points_at_the_const():
    text = "const width = 8\nmodel m {\n    input x: (width,)\n    output y = x -> Dense(1)\n}\n"
    (diag,) = _errors(text, set={"width": 0})
    assert diag.code == "E251"
    assert [(r.span.line, r.text) for r in diag.related] == [(1, "replaced by `--set width=0`")]
