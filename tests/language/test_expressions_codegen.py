"""`compile -o model.py` for expressions, ops and call-time arguments: the generated module builds the
model to_keras builds (same get_config, same parameters, same outputs with the weights copied) (issue 10)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import graphspec
from conftest import load_module
from graphspec.backends.keras_builder import build
from graphspec.backends.python_codegen import generate

pytestmark = pytest.mark.slow

SPEC = """model m {
    input x: (4, 8)
    input y: (4, 8)
    h = (x -> Dense(8)) + x
    z = x + y * 2 -> Dense(4)
    s = x[:, 0]
    v = x -> ops.mean(axis=1)
    _, hs, cs = x -> LSTM(16, return_state=True)
    dec = y -> LSTM(16, return_sequences=True)(initial_state=(hs, cs))
    att, scores = (h, x) -> MultiHeadAttention(2, 4)(return_attention_scores=True)
    c = (h, x) -> MultiHeadAttention(2, 4)(use_causal_mask=True)
    st = (x, y) -> ops.stack(axis=1) -> ops.sum(axis=1)
    e = (x, y) -> ops.einsum(subscripts="bij,bkj->bik")
    output out = (h - z[:, :, :1] -> ops.abs()) * 0.5 ** 2 + dec[:, :, :8] + v[:, None] + s[:, None] + att + c + st
    output sc = scores
    output ein = -e[..., ::2]
}"""


def test_generated_code_builds_the_same_model(tmp_path):
    spec = graphspec.loads(SPEC)
    source = generate(spec)
    assert "keras.ops.add(" in source and "initial_state=[" in source and "x[:, 0]" in source
    path = tmp_path / "generated_model.py"
    path.write_text(source, encoding="utf-8")
    module = load_module(path)
    keras.backend.clear_session()  # op names are numbered per session: both builds start afresh
    generated = module.build_m()
    keras.backend.clear_session()
    reference = build(spec)
    assert generated.get_config() == reference.get_config()
    assert generated.count_params() == reference.count_params()
    generated.set_weights(reference.get_weights())
    data = [np.random.default_rng(i).standard_normal((2, 4, 8)).astype("float32") for i in range(2)]
    for a, b in zip(generated.predict(data, verbose=0), reference.predict(data, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
