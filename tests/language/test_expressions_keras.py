"""Tensor expressions, keras.ops steps and call-time arguments, built by to_keras and compared with
the same model written by hand in Keras: same parameter count, identical outputs on the same input
with the weights copied, and the saved .keras file loads with safe_mode=True (issue 10)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import graphspec
from graphspec.backends.keras_builder import build

pytestmark = pytest.mark.slow


def built(text: str):
    return build(graphspec.loads(text))


def assert_same(spec_text: str, reference: keras.Model, inputs, tmp_path, deterministic: bool = True):
    """The spec's model and `reference`: equal parameters, equal outputs (weights copied), safe reload."""
    model = built(spec_text)
    assert model.count_params() == reference.count_params()
    reference.set_weights(model.get_weights())
    got, want = model.predict(inputs, verbose=0), reference.predict(inputs, verbose=0)
    got = got if isinstance(got, list) else [got]
    want = want if isinstance(want, list) else [want]
    assert len(got) == len(want)
    if deterministic:
        for a, b in zip(got, want):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    again = loaded.predict(inputs, verbose=0)
    again = again if isinstance(again, list) else [again]
    if deterministic:
        for a, b in zip(got, again):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    return model, loaded


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal((2,) + shape).astype("float32")


def test_residual_add_and_scale(tmp_path):
    spec = """model m {
        input x: (8,)
        h = (x -> Dense(8, activation="relu")) + x
        output y = h * 0.5 - 1
    }"""
    x = keras.Input((8,), name="x")
    h = keras.layers.Dense(8, activation="relu")(x) + x
    y = keras.layers.Identity(name="y")(h * 0.5 - 1)
    assert_same(spec, keras.Model(x, y), [rand(8)], tmp_path)


def test_siamese_l1_distance(tmp_path):
    spec = """model m {
        input a: (6,)
        input b: (6,)
        layer enc = Dense(4)
        d = (a -> enc) - (b -> enc) -> ops.abs()
        output y = d -> Dense(1, activation="sigmoid")
    }"""
    a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
    enc = keras.layers.Dense(4)
    d = keras.ops.abs(enc(a) - enc(b))
    y = keras.layers.Dense(1, activation="sigmoid", name="y")(d)
    assert_same(spec, keras.Model([a, b], y), [rand(6), rand(6, seed=1)], tmp_path)


def test_mean_power_matmul_and_slicing(tmp_path):
    spec = """model m {
        input x: (5, 8)
        m = x -> ops.mean(axis=1)
        s = x[:, 0, ::2] + x[:, -1, 1::2] -> Dense(8)
        g = x @ (x -> ops.transpose(axes=(0, 2, 1)))
        e = x[..., :3] -> ops.sum(axis=-1)
        n = x[:, None] -> ops.squeeze(axis=1)
        output y = (m + s) ** 2 + -m
        output z = (e, n[:, :, 0], g[:, 0] // 2 % 3) -> ops.concatenate(axis=1)
    }"""
    x = keras.Input((5, 8), name="x")
    m = keras.ops.mean(x, axis=1)
    s = keras.layers.Dense(8)(x[:, 0, ::2] + x[:, -1, 1::2])
    g = x @ keras.ops.transpose(x, axes=(0, 2, 1))
    e = keras.ops.sum(x[..., :3], axis=-1)
    n = keras.ops.squeeze(x[:, None], axis=1)
    y = keras.layers.Identity(name="y")((m + s) ** 2 + -m)
    z = keras.layers.Identity(name="z")(keras.ops.concatenate([e, n[:, :, 0], g[:, 0] // 2 % 3], axis=1))
    assert_same(spec, keras.Model(x, [y, z]), [rand(5, 8)], tmp_path)


def test_stack_and_arange(tmp_path):
    spec = """model m {
        input x: (4,)
        p = ops.arange(4)
        output y = (x, x * 2) -> ops.stack(axis=1) -> Flatten()
        output z = x + (p -> ops.cast(dtype="float32"))
    }"""
    x = keras.Input((4,), name="x")
    y = keras.layers.Flatten(name="y")(keras.ops.stack([x, x * 2], axis=1))
    z = keras.layers.Identity(name="z")(x + keras.ops.cast(keras.ops.arange(4), "float32"))
    assert_same(spec, keras.Model(x, [y, z]), [rand(4)], tmp_path)


def test_seq2seq_initial_state(tmp_path):
    spec = """model seq2seq {
        input enc_in: (7, 5)
        input dec_in: (6, 3)
        _, h, c = enc_in -> LSTM(16, return_state=True)
        dec = dec_in -> LSTM(16, return_sequences=True)(initial_state=(h, c))
        output y = dec -> Dense(3, activation="softmax")
    }"""
    enc_in, dec_in = keras.Input((7, 5), name="enc_in"), keras.Input((6, 3), name="dec_in")
    _, h, c = keras.layers.LSTM(16, return_state=True)(enc_in)
    dec = keras.layers.LSTM(16, return_sequences=True)(dec_in, initial_state=[h, c])
    y = keras.layers.Dense(3, activation="softmax", name="y")(dec)
    assert_same(spec, keras.Model([enc_in, dec_in], y), [rand(7, 5), rand(6, 3, seed=1)], tmp_path)


def test_causal_attention_and_scores(tmp_path):
    spec = """model m {
        input q: (6, 8)
        a = (q, q) -> MultiHeadAttention(2, 4)(use_causal_mask=True)
        out, scores = (a, q) -> MultiHeadAttention(2, 4)(return_attention_scores=True)
        output y = out + q
        output s = scores
    }"""
    q = keras.Input((6, 8), name="q")
    a = keras.layers.MultiHeadAttention(2, 4)(q, q, use_causal_mask=True)
    out, scores = keras.layers.MultiHeadAttention(2, 4)(a, q, return_attention_scores=True)
    y = keras.layers.Identity(name="y")(out + q)
    s = keras.layers.Identity(name="s")(scores)
    model, _ = assert_same(spec, keras.Model(q, [y, s]), [rand(6, 8)], tmp_path)
    assert tuple(model.outputs[1].shape) == (None, 2, 6, 6)


def test_mc_dropout_training_true(tmp_path):
    spec = """model m {
        input x: (64,)
        output y = x -> Dense(64) -> Dropout(0.5)(training=True)
    }"""
    x = keras.Input((64,), name="x")
    y = keras.layers.Dropout(0.5, name="y")(keras.layers.Dense(64)(x), training=True)
    model, loaded = assert_same(spec, keras.Model(x, y), [rand(64)], tmp_path, deterministic=False)
    data = rand(64)
    reference = keras.Model(x, y)
    for m in (model, loaded, reference):
        # Called directly (predict passes training=False over it, in Keras as in the spec), dropout
        # stays on: about half the units are zero.
        out = np.asarray(m(data))
        assert 0.2 < float(np.mean(out == 0)) < 0.8
