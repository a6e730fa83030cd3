"""docs/patterns.md: every Keras pattern on the page is a spec that builds the model its Keras code
describes (issue 10).

The spec blocks are extracted from the page, so the page cannot drift. Each one is checked (no
error, no warning), built with `to_keras()` and compared with the same model written here by hand
in Keras: equal parameter counts (trainable and not), the same layer and op classes, identical
outputs with the weights copied by order; it fits one step, saves to `.keras` and loads with
`safe_mode=True` giving identical outputs, and the Python that `compile -o model.py` writes builds
the same model again.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers

import graphspec
from conftest import load_module, run_cli
from graphspec.backends.keras_builder import build
from graphspec.backends.python_codegen import generate
from graphspec.diagnostics.diagnostic import Diagnostics, SpecError
from graphspec.passes.check import check_text

pytestmark = pytest.mark.slow

PAGE = Path(__file__).parents[2] / "docs" / "patterns.md"
_FENCE = re.compile(r"^```gspec\n(.*?)^```[ \t]*$", re.S | re.M)
_MODEL = re.compile(r"^model\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)


def _page_specs():
    """{root model name: spec text} for each gspec block of the page; the root is its last model."""
    return {_MODEL.findall(text)[-1]: text for text in _FENCE.findall(PAGE.read_text(encoding="utf-8"))}


SPECS = _page_specs()
RNG = np.random.default_rng(0)


def _floats(*shape):
    return RNG.standard_normal((2,) + shape).astype("float32")


def _ints(high, *shape):
    return RNG.integers(0, high, (2,) + shape).astype("int32")


# Each pattern as Keras code: inputs in the spec's order, outputs in the spec's order.

def seq2seq():
    encoder_tokens = keras.Input((None,), dtype="int32")
    decoder_tokens = keras.Input((None,), dtype="int32")
    _, state_h, state_c = layers.LSTM(64, return_state=True)(layers.Embedding(200, 32)(encoder_tokens))
    decoded = layers.LSTM(64, return_sequences=True)(
        layers.Embedding(200, 32)(decoder_tokens), initial_state=[state_h, state_c])
    next_token = layers.Dense(200, activation="softmax")(decoded)
    return keras.Model([encoder_tokens, decoder_tokens], next_token)


def _decoder_block(x, heads, key_dim, ff):
    attn = layers.MultiHeadAttention(heads, key_dim)(x, x, use_causal_mask=True)
    x = layers.LayerNormalization()(x + attn)
    ff_out = layers.Dense(x.shape[-1])(layers.Dense(ff, activation="relu")(x))
    return layers.LayerNormalization()(x + ff_out)


def causal_decoder():
    tokens = keras.Input((16,), dtype="int32")
    h = layers.Embedding(100, 32)(tokens)
    for _ in range(2):
        h = _decoder_block(h, 4, 8, 64)
    return keras.Model(tokens, layers.Dense(100)(h))


def positional_embedding():
    tokens = keras.Input((12,), dtype="int32")
    positions = keras.ops.zeros_like(tokens) + keras.ops.arange(12)
    embedded = layers.Embedding(100, 16)(tokens) + layers.Embedding(12, 16)(positions)
    next_token = layers.Dense(100)(layers.GlobalAveragePooling1D()(embedded))
    return keras.Model(tokens, next_token)


def siamese_l1():
    image = keras.Input((12, 12, 1))
    embedding = layers.Dense(16)(layers.GlobalAveragePooling2D()(layers.Conv2D(8, 3, activation="relu")(image)))
    tower = keras.Model(image, embedding, name="tower")
    left, right = keras.Input((12, 12, 1)), keras.Input((12, 12, 1))
    distance = keras.ops.abs(tower(left) - tower(right))
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid")(distance))


def mc_dropout():
    features = keras.Input((8,))
    h = layers.Dropout(0.3, seed=1)(layers.Dense(32, activation="relu")(features), training=True)
    h = layers.Dropout(0.3, seed=2)(layers.Dense(32, activation="relu")(h), training=True)
    return keras.Model(features, layers.Dense(1)(h))


def attention_maps():
    query, context = keras.Input((6, 16)), keras.Input((10, 16))
    attended, scores = layers.MultiHeadAttention(4, 8)(query, context, return_attention_scores=True)
    label = layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling1D()(attended))
    return keras.Model([query, context], [label, scores])


def _squeeze_excite(x, ratio=4):
    channels = x.shape[-1]
    w = layers.GlobalAveragePooling2D(keepdims=True)(x)
    w = layers.Dense(channels // ratio, activation="relu")(w)
    w = layers.Dense(channels, activation="sigmoid")(w)
    return x * w


def se_net():
    image = keras.Input((16, 16, 3))
    h = layers.Conv2D(32, 3, padding="same", activation="relu")(image)
    h = _squeeze_excite(h, ratio=8)
    label = layers.Dense(10, activation="softmax")(layers.GlobalAveragePooling2D()(h))
    return keras.Model(image, label)


def _cross(x0, x):
    return x0 * layers.Dense(x.shape[-1])(x) + x


def deep_and_cross():
    features = keras.Input((13,))
    x = features
    for _ in range(3):
        x = _cross(features, x)
    deep = layers.Dense(32, activation="relu")(layers.Dense(64, activation="relu")(features))
    click = layers.Dense(1, activation="sigmoid")(layers.Concatenate()([x, deep]))
    return keras.Model(features, click)


# name: (Keras reference, inputs, targets for one training step by output, None for an untrained output)
PATTERNS = {
    "seq2seq": (seq2seq, lambda: [_ints(200, 7), _ints(200, 5)], lambda: [_ints(200, 5)]),
    "causal_decoder": (causal_decoder, lambda: [_ints(100, 16)], lambda: [_ints(100, 16)]),
    "positional_embedding": (positional_embedding, lambda: [_ints(100, 12)], lambda: [_ints(100)]),
    "siamese_l1": (siamese_l1, lambda: [_floats(12, 12, 1), _floats(12, 12, 1)],
                   lambda: [_ints(2, 1).astype("float32")]),
    "mc_dropout": (mc_dropout, lambda: [_floats(8)], lambda: [_floats(1)]),
    "attention_maps": (attention_maps, lambda: [_floats(6, 16), _floats(10, 16)], lambda: [_ints(3), None]),
    "se_net": (se_net, lambda: [_floats(16, 16, 3)], lambda: [_ints(10)]),
    "deep_and_cross": (deep_and_cross, lambda: [_floats(13)], lambda: [_ints(2, 1).astype("float32")]),
}


def _outputs(model, inputs):
    out = model.predict(inputs, verbose=0)
    return out if isinstance(out, list) else [out]


def _assert_equal_outputs(got, want):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _structure(model):
    """The classes of a model's layers and ops, nested models opened; Identity and InputLayer aside
    (graphspec adds an Identity where an output needs a name, and names its inputs)."""
    counts = Counter()
    for op in model.operations:
        if isinstance(op, keras.Model):
            counts.update(_structure(op))
        elif type(op).__name__ not in ("Identity", "InputLayer"):
            counts[type(op).__name__] += 1
    return counts


def _params(model):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return model.count_params(), trainable


def test_the_page_holds_every_pattern():
    assert set(SPECS) == set(PATTERNS)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_pattern_checks_clean(name):
    diags = Diagnostics()
    program, loader = check_text(SPECS[name], diags, name=f"{name}.gspec")
    assert not diags.items, SpecError(diags.sorted(), loader.sources).render()
    assert program is not None


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_pattern_is_formatted(name):
    assert graphspec.format(SPECS[name]) == SPECS[name], "the page shows `graphspec fmt`'s layout"


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_pattern_is_the_keras_model(name, tmp_path):
    make_reference, make_inputs, make_targets = PATTERNS[name]
    spec = graphspec.loads(SPECS[name])
    keras.utils.set_random_seed(0)
    model = spec.to_keras()
    reference = make_reference()
    assert _params(model) == _params(reference)
    assert _structure(model) == _structure(reference)
    assert [tuple(t.shape) for t in model.outputs] == [tuple(t.shape) for t in reference.outputs]
    reference.set_weights(model.get_weights())
    inputs = make_inputs()
    _assert_equal_outputs(_outputs(model, inputs), _outputs(reference, inputs))

    assert model.compiled  # by the spec's compile block
    targets = {out: t for out, t in zip(model.output_names, make_targets()) if t is not None}
    before = [w.copy() for w in model.get_weights()]
    model.fit(inputs, targets if len(model.outputs) > 1 else targets[model.output_names[0]],
              epochs=1, batch_size=2, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights())), "fit changed no weight"

    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    _assert_equal_outputs(_outputs(loaded, inputs), _outputs(model, inputs))


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_pattern_codegen_builds_the_same_model(name, tmp_path):
    source = tmp_path / f"{name}.gspec"
    source.write_text(SPECS[name], encoding="utf-8")
    spec = graphspec.load(source)
    path = tmp_path / f"generated_{name}.py"
    proc = run_cli("compile", str(source), "-o", str(path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert path.read_text(encoding="utf-8") == generate(spec)  # the command writes what the API generates
    module = load_module(path)
    keras.backend.clear_session()  # op names are numbered per session: both builds start afresh
    generated = getattr(module, f"build_{name}")()
    keras.backend.clear_session()
    reference = build(spec)
    assert generated.get_config() == reference.get_config()
    assert _params(generated) == _params(reference)
    generated.set_weights(reference.get_weights())
    inputs = PATTERNS[name][1]()
    _assert_equal_outputs(_outputs(generated, inputs), _outputs(reference, inputs))


def test_mc_dropout_samples_when_called(tmp_path):
    """`Dropout(...)(training=True)` stays on when the model is called: two calls differ, the first
    equals the Keras model's first call (same seeds), and so does a reloaded model's. `predict` passes
    training=False, which overrides the layer's own argument in Keras 3, as the page says."""
    keras.utils.set_random_seed(0)
    model = graphspec.loads(SPECS["mc_dropout"]).to_keras()
    path = tmp_path / "mc.keras"
    model.save(path)  # before any call: the seed generators' state is the initial one
    loaded = keras.saving.load_model(path, safe_mode=True)
    reference = mc_dropout()
    reference.set_weights(model.get_weights())
    x = _floats(8)
    first = model(x).numpy()
    np.testing.assert_allclose(first, reference(x).numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(first, loaded(x).numpy(), rtol=1e-6, atol=1e-6)
    assert not np.allclose(first, model(x).numpy())  # a new sample each call
    off = graphspec.loads(SPECS["mc_dropout"].replace("(training=True)", "")).to_keras()
    off.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), off.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
