"""Call-time arguments (initial_state, masks, return_attention_scores, key/value, training) checked
by graphspec against real Keras: each case builds the Keras model, runs it on data (symbolic Keras
checks none of these; a wrong state or mask fails only when the model runs) and compares whether
it fails and the output shapes with what `calls.apply_call` says."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest

from graphspec.catalog import calls, registry, signatures
from graphspec.catalog.base import ArgError, CallValue, ShapeError

BATCH = 11  # equal to no size in the cases, so that broadcasting never succeeds by accident


def t(*shape, dtype="float32"):
    """A tensor argument (batch axis first, None)."""
    return ("tensor", (None,) + shape, dtype)


def b(*shape):
    return t(*shape, dtype="bool")


# (layer, constructor kwargs, tensors through `->`, call arguments, graphspec is knowingly stricter)
LSTM8, GRU8 = ("LSTM", {"units": 8}), ("GRU", {"units": 8})
X = [t(5, 3)]
CASES = [
    ("LSTM", {"units": 8}, X, {"initial_state": [t(8), t(8)]}, False),
    ("LSTM", {"units": 8, "return_sequences": True, "return_state": True}, X, {"initial_state": [t(8), t(8)]}, False),
    ("LSTM", {"units": 8}, X, {"initial_state": [t(8)]}, False),
    ("LSTM", {"units": 8}, X, {"initial_state": [t(8)] * 3}, False),
    ("LSTM", {"units": 8}, X, {"initial_state": [t(7), t(8)]}, False),
    ("LSTM", {"units": 8}, X, {"initial_state": [t(8), t(7)]}, False),
    ("LSTM", {"units": 8}, X, {"initial_state": [t(1, 8), t(1, 8)]}, False),
    ("LSTM", {"units": 8}, X, {"initial_state": [t(8, dtype="float16"), t(8)]}, False),
    ("LSTM", {"units": 8}, X, {"mask": b(5)}, False),
    ("LSTM", {"units": 8}, X, {"mask": b(4)}, False),
    ("LSTM", {"units": 8}, X, {"mask": b(5, 3)}, False),
    ("LSTM", {"units": 8}, X, {"mask": t(5)}, False),
    ("LSTM", {"units": 8}, X, {"training": True}, False),
    ("GRU", {"units": 8}, X, {"initial_state": t(8)}, False),
    ("GRU", {"units": 8}, X, {"initial_state": [t(8)]}, False),
    ("GRU", {"units": 8}, X, {"initial_state": [t(9)]}, False),
    ("GRU", {"units": 8}, X, {"initial_state": [t(8), t(8)]}, True),  # Keras ignores the second state
    ("GRU", {"units": 8, "return_sequences": True}, X, {"initial_state": t(8), "mask": b(5)}, False),
    ("SimpleRNN", {"units": 8}, X, {"initial_state": t(8)}, False),
    ("SimpleRNN", {"units": 8}, X, {"initial_state": t(4)}, False),
    ("SimpleRNN", {"units": 8}, X, {"initial_state": [t(8), t(8)]}, False),
    ("Bidirectional", {"layer": LSTM8}, X, {"initial_state": [t(8)] * 4}, False),
    ("Bidirectional", {"layer": LSTM8}, X, {"initial_state": [t(8)] * 2}, False),
    ("Bidirectional", {"layer": LSTM8}, X, {"initial_state": [t(8)] * 3 + [t(5)]}, False),
    ("Bidirectional", {"layer": GRU8}, X, {"initial_state": [t(8)] * 2}, False),
    ("Bidirectional", {"layer": GRU8}, X, {"initial_state": [t(8)]}, False),
    ("Bidirectional", {"layer": GRU8}, X, {"initial_state": [t(8)] * 3}, True),  # Keras drops the extra one
    ("Bidirectional", {"layer": GRU8}, X, {"initial_state": [t(8), t(3)]}, False),
    ("Bidirectional", {"layer": GRU8, "backward_layer": ("GRU", {"units": 8, "go_backwards": True})}, X,
     {"initial_state": [t(8), t(8)]}, False),
    ("Bidirectional", {"layer": GRU8, "backward_layer": ("LSTM", {"units": 8, "go_backwards": True})}, X,
     {"initial_state": [t(8), t(8), t(8)]}, False),
    ("Bidirectional", {"layer": GRU8, "backward_layer": ("LSTM", {"units": 8, "go_backwards": True})}, X,
     {"initial_state": [t(8), t(8)]}, False),
    ("Bidirectional", {"layer": LSTM8}, X, {"mask": b(5)}, False),
    ("Bidirectional", {"layer": LSTM8}, X, {"mask": b(3)}, False),
    ("ConvLSTM2D", {"filters": 4, "kernel_size": 3, "padding": "same"}, [t(5, 8, 8, 3)],
     {"initial_state": [t(8, 8, 4)] * 2}, False),
    ("ConvLSTM2D", {"filters": 4, "kernel_size": 3}, [t(5, 8, 8, 3)], {"initial_state": [t(6, 6, 4)] * 2}, False),
    ("ConvLSTM2D", {"filters": 4, "kernel_size": 3}, [t(5, 8, 8, 3)], {"initial_state": [t(8, 8, 4)] * 2}, False),
    ("ConvLSTM2D", {"filters": 4, "kernel_size": 3, "padding": "same"}, [t(5, 8, 8, 3)],
     {"initial_state": [t(8, 8, 5)] * 2}, False),
    ("ConvLSTM2D", {"filters": 4, "kernel_size": 3, "padding": "same"}, [t(5, 8, 8, 3)],
     {"initial_state": [t(8, 8, 4)]}, False),
    ("ConvLSTM1D", {"filters": 4, "kernel_size": 3, "return_sequences": True}, [t(5, 8, 3)],
     {"initial_state": [t(6, 4)] * 2}, False),
]
MHA = {"num_heads": 2, "key_dim": 3}
Q = [t(4, 6)]
for m in [(4, 4), (1, 4), (4, 1), (4,), (4, 5), (2, 4, 4), (1, 4, 4), (4, 4, 1)]:
    CASES.append(("MultiHeadAttention", MHA, Q, {"attention_mask": b(*m)}, False))
for m in [(4, 7), (7,), (1, 7), (4, 1), (4, 4)]:
    CASES.append(("MultiHeadAttention", MHA, Q, {"value": t(7, 6), "attention_mask": b(*m)}, False))
CASES += [
    ("MultiHeadAttention", MHA, Q, {"return_attention_scores": True}, False),
    ("MultiHeadAttention", MHA, Q, {"value": t(7, 5), "return_attention_scores": True}, False),
    ("MultiHeadAttention", MHA, Q, {"value": t(7, 5), "key": t(7, 2), "return_attention_scores": True}, False),
    ("MultiHeadAttention", MHA, Q, {"value": t(7, 5), "key": t(8, 2)}, False),
    ("MultiHeadAttention", MHA, [t(4, 6), t(7, 5)], {"key": t(7, 2), "use_causal_mask": True}, False),
    ("MultiHeadAttention", MHA, Q, {"use_causal_mask": True, "return_attention_scores": True}, False),
    ("MultiHeadAttention", MHA, Q, {"query_mask": b(4)}, False),
    ("MultiHeadAttention", MHA, Q, {"value": t(7, 6), "value_mask": b(7)}, False),
    ("MultiHeadAttention", MHA, Q, {"value": t(7, 6), "value_mask": b(4)}, False),
    ("MultiHeadAttention", MHA, Q, {"key_mask": b(4), "training": False}, False),
    ("MultiHeadAttention", {**MHA, "attention_axes": (2,)}, [t(3, 4, 6)], {"return_attention_scores": True}, False),
    ("GroupQueryAttention", {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, Q,
     {"return_attention_scores": True}, False),
    ("GroupQueryAttention", {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, Q,
     {"value": t(7, 6), "use_causal_mask": True, "return_attention_scores": True}, False),
    ("GroupQueryAttention", {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, Q,
     {"attention_mask": b(4, 4)}, False),
    ("GroupQueryAttention", {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, Q,
     {"attention_mask": b(4, 5)}, False),
    ("Attention", {}, Q, {"value": t(7, 6)}, False),
    ("Attention", {}, Q, {"value": t(7, 6), "key": t(7, 6), "return_attention_scores": True}, False),
    ("Attention", {}, Q, {"value": t(7, 6), "use_causal_mask": True}, False),
    ("Attention", {}, Q, {"value": t(7, 6), "mask": [b(4), b(7)]}, False),
    ("Attention", {}, Q, {"value": t(7, 6), "mask": [b(4), b(4)]}, False),
    ("Attention", {}, Q, {"value": t(7, 6), "mask": [b(7), b(7)]}, False),
    ("AdditiveAttention", {}, Q, {"value": t(7, 6), "return_attention_scores": True}, False),
    ("AdditiveAttention", {}, Q, {"value": t(7, 6), "mask": [b(4), b(7)], "training": True}, False),
    ("Dropout", {"rate": 0.5}, [t(3)], {"training": True}, False),
    ("BatchNormalization", {}, [t(3)], {"training": True}, False),
    ("BatchNormalization", {}, [t(3)], {"training": False}, False),
    ("GaussianNoise", {"stddev": 0.1}, [t(3)], {"training": True}, False),
]

ATTENTION = ("MultiHeadAttention", "GroupQueryAttention")
LIST_ATTENTION = ("Attention", "AdditiveAttention")


def _is_tensor(v):
    return isinstance(v, tuple) and len(v) == 3 and v[0] == "tensor"


def _keras_outputs(layer, kwargs, through, call_args):
    """Output shapes (batch None) of the real model run on data, or "raise"."""
    def make(name, kw):
        kw = {k: make(*v) if isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], dict) else v for k, v in kw.items()}
        return getattr(keras.layers, name)(**kw)

    inputs, data = [], []

    def inp(spec):
        _, shape, dtype = spec
        x = keras.Input(shape[1:], dtype=dtype)
        inputs.append(x)
        arr = np.random.rand(BATCH, *shape[1:])
        data.append((arr > 0.5) if dtype == "bool" else arr.astype(dtype))
        return x

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj = make(layer, kwargs)
            xs = [inp(s) for s in through]
            args = {k: ([inp(s) for s in v] if isinstance(v, list) else inp(v) if _is_tensor(v) else v)
                    for k, v in call_args.items()}
            if layer in LIST_ATTENTION:
                seq = xs + [args.pop("value")] + ([args.pop("key")] if "key" in args else [])
                out = obj(seq, **args)
            elif layer in ATTENTION and len(xs) == 1 and "value" not in args:
                out = obj(xs[0], xs[0], **args)
            else:
                out = obj(*xs, **args)
            model = keras.Model(inputs, out)
            result = model(data)
    except Exception:  # noqa: BLE001 - any failure counts
        return "raise"
    result = result if isinstance(result, (list, tuple)) else [result]
    return [(None,) + tuple(r.shape[1:]) for r in result]


def _config(name, kwargs):
    kw = []
    for k, v in kwargs.items():
        if isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], dict):
            inner, problems = signatures.bind_layer(v[0], (), tuple(v[1].items()))
            assert not problems
            v = CallValue(v[0], (), tuple(v[1].items()), config=inner)
        kw.append((k, v))
    config, problems = signatures.bind_layer(name, (), tuple(kw))
    assert not problems, problems
    return config


def _graphspec_outputs(layer, kwargs, through, call_args):
    config = _config(layer, kwargs)
    shapes = [s[1] for s in through]
    args = {k: ([s[1] for s in v] if isinstance(v, list) else v[1] if _is_tensor(v) else v)
            for k, v in call_args.items()}
    try:
        inputs = calls.attention_inputs(layer, shapes, args) if layer in ATTENTION + LIST_ATTENTION else shapes
        if layer in ATTENTION and len(inputs) == 1:
            inputs = inputs * 2
        out = registry.get(layer).shape(config, inputs)
        out = out if isinstance(out, list) else [out]
        return [tuple(s) for s in calls.apply_call(layer, config, shapes, out, args)]
    except (ShapeError, ArgError):
        return "raise"


@pytest.mark.slow
def test_call_arguments_agree_with_keras_runs():
    agree, stricter, bad = 0, 0, []
    for layer, kwargs, through, call_args, knowingly_stricter in CASES:
        ours = _graphspec_outputs(layer, kwargs, through, call_args)
        theirs = _keras_outputs(layer, kwargs, through, call_args)
        if knowingly_stricter:
            assert ours == "raise" and theirs != "raise", (layer, call_args, ours, theirs)
            stricter += 1
        elif ours == theirs:
            agree += 1
        else:
            bad.append((layer, kwargs, call_args, ours, theirs))
    print(f"\ncall arguments: {len(CASES)} cases, {agree} agree with Keras, {stricter} where graphspec "
          f"knowingly refuses what Keras silently ignores, {len(bad)} disagree")
    assert not bad, "\n".join(map(str, bad))
