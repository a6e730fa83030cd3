"""Permute's `dims` must be a permutation of 1..n, as Keras's Permute.__init__ demands: graphspec
refuses the rest with E305 (dims=[2] on a rank-2 input once reached the shape rule and failed
there with an IndexError, found by tests/security/test_argument_types.py), and agrees with Keras on
the shape of every permutation it accepts."""

from __future__ import annotations

import pytest

from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.passes.check import check_text


def _check(dims: str):
    diags = Diagnostics()
    program, _ = check_text(f"model m {{\n    input x: (4, 5)\n    output y = x -> Permute({dims})\n}}\n", diags)
    return program, [d.code for d in diags.sorted()]


@pytest.mark.parametrize("dims", [[2], [1, 3], [0, 1], [2, 2], [3, 1, 2, 4, 6]])
def test_a_dims_that_is_no_permutation_is_refused_as_keras_refuses_it(dims):
    keras = pytest.importorskip("keras")
    with pytest.raises(ValueError, match="Invalid permutation"):
        keras.layers.Permute(dims)
    program, found = _check(str(dims))
    assert program is None and found == ["E305"]


@pytest.mark.parametrize("dims", ["(1, 2)", "(2, 1)", "[2, 1]"])
def test_a_permutation_has_the_shape_keras_gives(dims):
    keras = pytest.importorskip("keras")
    program, found = _check(dims)
    assert found == []
    graph = program.models["m"]
    expected = keras.layers.Permute(eval(dims)).compute_output_shape((None, 4, 5))
    assert graph.tensors[graph.outputs[0].tensor].shape == tuple(expected)
