"""The Python API reaches every tool: load, format, diff, to_python, to_mermaid, to_dot, from_keras."""

from pathlib import Path

import pytest

import graphspec

ROOT = Path(__file__).parents[2]
SEEDS = ROOT / "specs" / "seeds"


def test_format_is_canonical_and_raises_on_syntax_errors():
    messy = "model m{input x:(3,)\n output y=x->Dense(1)}"
    text = graphspec.format(messy)
    assert text == graphspec.format(text)
    assert "output y = x -> Dense(1)" in text
    with pytest.raises(graphspec.SpecError):
        graphspec.format("model m { input x: (3,")


def test_diff_between_paths():
    result = graphspec.diff(SEEDS / "ticket_router.gspec", SEEDS / "ticket_router_v2.gspec")
    from graphspec.backends.diff import render_text

    assert "difficulty" in render_text(result)


def test_spec_pictures_and_python():
    spec = graphspec.load(SEEDS / "fashion_cnn.gspec")
    assert spec.to_mermaid().startswith("flowchart TD")
    assert spec.to_dot().startswith("digraph")
    assert "def build_fashion_cnn():" in spec.to_python()


def test_from_keras_round_trip():
    import keras

    inp = keras.Input((4,), name="x")
    out = keras.layers.Dense(2, name="y")(keras.layers.Dense(8, activation="relu")(inp))
    text = graphspec.from_keras(keras.Model(inp, out))
    assert graphspec.loads(text).to_keras().count_params() == 4 * 8 + 8 + 8 * 2 + 2
