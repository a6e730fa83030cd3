"""from_keras builds a syntax tree and hands it to the one formatter (format_tree): it never
writes spec text of its own and never parses any (issue 9)."""

from __future__ import annotations

import keras
from keras import layers

from graphspec.backends import keras_import
from graphspec.backends.keras_import import from_keras
from graphspec.syntax import format as fmt
from graphspec.syntax import parse as parse_module
from graphspec.syntax.ast import ModelDef, Module


def _model():
    inp = keras.Input((8,), name="x")
    h = layers.Dense(4, activation="relu")(inp)
    shared = layers.Dense(4)
    out = layers.Add()([shared(h), shared(h * 0.5)])
    return keras.Model(inp, layers.Dense(2, name="head")(out), name="m")


def test_the_tree_goes_to_format_tree_and_nothing_is_parsed(monkeypatch):
    seen = []
    original = fmt.format_tree

    def tree(module, header=(), blank_before=()):
        seen.append(module)
        return original(module, header=header, blank_before=blank_before)

    def refuse(*args, **kwargs):
        raise AssertionError("from_keras parsed text")

    monkeypatch.setattr(keras_import, "format_tree", tree)
    monkeypatch.setattr(parse_module, "parse", refuse)
    text = from_keras(_model())
    assert len(seen) == 1 and isinstance(seen[0], Module)
    assert [type(m) for m in seen[0].models] == [ModelDef]
    assert seen[0].models[0].span is None
    assert not hasattr(keras_import, "_canonical")
    assert text.endswith(
        "model m {\n    input x: (8,)\n\n    layer dense = Dense(4)\n\n"
        '    dense_2 = x -> Dense(4, activation="relu")\n'
        "    add_branch2 = dense_2 * 0.5 -> dense\n"
        "    output head = (dense_2 -> dense, add_branch2) -> Add() -> Dense(2)\n}\n")
    assert text.startswith("# Imported from Keras ") and "\n\nmodel m {" in text
