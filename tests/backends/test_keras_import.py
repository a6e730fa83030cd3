"""Importing Keras models as specs: `graphspec.from_keras(model)` and `graphspec import`.

Every imported spec must check and build again (`graphspec.loads(text).to_keras()`)
into a model with the same parameter count and, once the weights are copied over
layer by layer, the same outputs on the same random input. Layers are paired by
walking both graphs from the outputs in step (graphspec's layer order and names
differ from Keras's), skipping the weightless `Identity` layers that graphspec adds
to name an output. The texts are also checked for idiom: no argument equal to its
Keras default, chains rather than a line per layer, shared layers declared once.
"""

from __future__ import annotations

import gc
import importlib.util
import re
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers

import graphspec
from graphspec import cli
from graphspec.backends import keras_import
from graphspec.backends.keras_import import KerasImportError, from_keras
from graphspec.catalog import signatures
from graphspec.catalog.base import CallValue

REFERENCES_FILE = Path(__file__).parents[1] / "seeds" / "references.py"


def _references():
    """tests/seeds/references.py, shared with the seed tests (one module per session)."""
    name = "graphspec_seed_references"
    if name not in sys.modules:
        module_spec = importlib.util.spec_from_file_location(name, REFERENCES_FILE)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        try:
            module_spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name].REFERENCES


REFERENCES = _references()
SEQ_LEN = {"social_profile": 300}  # its Conv1D/MaxPooling1D trunk needs 269 steps or more


# --------------------------------------------------------------------------- helpers


def _call_tensors(node) -> list:
    """The input tensors of a call, in the order a spec writes them (masks left out)."""
    out = [x for x in keras.tree.flatten(node.arguments.args) if isinstance(x, keras.KerasTensor)]
    out += [node.arguments.kwargs[k] for k in ("query", "value", "key")
            if isinstance(node.arguments.kwargs.get(k), keras.KerasTensor)]
    return out


def _graph(model):
    return model._functional if isinstance(model, keras.Sequential) else model


def _pairs(old, new, found=None) -> dict:
    """id(old layer) -> (old layer, new layer), by walking both graphs from the outputs."""
    found = {} if found is None else found
    g_old, g_new = _graph(old), _graph(new)
    assert len(g_old.outputs) == len(g_new.outputs)
    seen = set()
    stack = list(zip(g_old.outputs, g_new.outputs))
    while stack:
        t_old, t_new = stack.pop()
        h_old, h_new = t_old._keras_history, t_new._keras_history
        # graphspec names an output that has no layer of its own with an Identity layer
        while isinstance(h_new.operation, layers.Identity) and not isinstance(h_old.operation, layers.Identity):
            t_new = _call_tensors(h_new.operation._inbound_nodes[h_new.node_index])[0]
            h_new = t_new._keras_history
        op_old, op_new = h_old.operation, h_new.operation
        if isinstance(op_old, layers.InputLayer):
            assert isinstance(op_new, layers.InputLayer), (op_old, op_new)
            continue
        if (id(op_old), h_old.node_index) in seen:
            continue
        seen.add((id(op_old), h_old.node_index))
        assert h_old.tensor_index == h_new.tensor_index
        if isinstance(op_old, keras.Model):
            assert isinstance(op_new, keras.Model), (op_old, op_new)
            if id(op_old) not in found:
                found[id(op_old)] = None
                _pairs(op_old, op_new, found)
        else:
            assert type(op_old) is type(op_new), (op_old, op_new)
            previous = found.setdefault(id(op_old), (op_old, op_new))
            assert previous[1] is op_new, f"{op_old.name} is shared in Keras but not in the spec"
        ins_old = _call_tensors(op_old._inbound_nodes[h_old.node_index])
        ins_new = _call_tensors(op_new._inbound_nodes[h_new.node_index])
        assert len(ins_old) == len(ins_new), op_old.name
        stack.extend(zip(ins_old, ins_new))
    return found


def _copy_weights(old, new) -> None:
    copied = 0
    for pair in _pairs(old, new).values():
        if pair is None:
            continue
        weights = pair[0].get_weights()
        if weights:
            pair[1].set_weights(weights)
            copied += sum(w.size for w in weights)
    assert copied == old.count_params()


def _sample(model, seq_len: int = 16, batch: int = 2, seed: int = 0):
    rng = np.random.default_rng(seed)
    xs = []
    for t in model.inputs:
        shape = [batch] + [seq_len if d is None else d for d in t.shape[1:]]
        dtype = keras.backend.standardize_dtype(t.dtype)
        if "int" in dtype:
            xs.append(rng.integers(0, 50, size=shape).astype(dtype))  # 0 included: masks matter
        else:
            xs.append(rng.normal(size=shape).astype(dtype))
    return xs


def _outputs(model, xs) -> list:
    """The outputs for the flat input list `xs`, passed as the model was built to take them."""
    structure = getattr(_graph(model), "_inputs_struct", xs)
    inputs = xs if isinstance(structure, (list, tuple)) else keras.tree.pack_sequence_as(structure, xs)
    return [np.asarray(y) for y in keras.tree.flatten(model(inputs, training=False))]


def _round_trip(old, seq_len: int = 16, **kwargs):
    """Import `old`, build the spec again, copy the weights; check counts and outputs."""
    text = from_keras(old, **kwargs)
    spec = graphspec.loads(text)
    new = spec.to_keras()
    assert new.count_params() == old.count_params()
    _copy_weights(old, new)
    xs = _sample(old, seq_len)
    before, after = _outputs(old, xs), _outputs(new, xs)
    assert len(before) == len(after)
    for a, b in zip(before, after):
        assert a.shape == b.shape
        assert np.allclose(a, b, atol=1e-4), float(np.max(np.abs(a - b)))
    return text, spec, new


def _collapsed(value):
    if isinstance(value, (list, tuple)) and value and len(set(map(repr, value))) == 1:
        return _collapsed(value[0])
    return value


def _redundant_arguments(spec) -> list:
    """Arguments written in the spec that only repeat the Keras default."""
    out = []
    for model in spec.models.values():
        for layer in model.layers:
            if layer.kind != "layer":
                continue
            sig = signatures.layer_signature(layer.type)
            for key, value in layer.config.items():
                param = sig.param(key) or signatures.base_layer_param(key)
                if param is None or param.required or isinstance(value, CallValue):
                    continue
                if value == param.default or _collapsed(value) == _collapsed(param.default):
                    out.append(f"{model.name}.{layer.name}: {key}={value!r}")
    return out


DEFAULT_LOOKING = re.compile(
    r"use_bias=True|activation=\"linear\"|padding=\"valid\"|data_format=|trainable=True|"
    r"GlorotUniform\(\)|Zeros\(\)|Ones\(\)|Orthogonal\(\)|dtype=\"float32\"|name=")


def _check_idiom(text: str, spec) -> None:
    assert not _redundant_arguments(spec)
    assert not DEFAULT_LOOKING.search(text), DEFAULT_LOOKING.search(text).group()


def _statements(text: str) -> int:
    """Bindings and outputs of the models (not inputs, layer declarations, settings)."""
    return len(re.findall(r"^ {4}(?!layer )(?:output )?[A-Za-z_][\w, ]*= ", text, re.M))


def _statement_budget(model, merges: bool = False) -> int:
    """A statement per output and per tensor read more than once (by layers, or as an output and
    by a layer), over `model` and the models nested in it; with `merges`, one more per input of a
    merge (a long branch into a merge gets a name of its own)."""
    reads = {}
    graph = _graph(model)
    budget = len(graph.outputs)
    for layer in graph.layers:
        if isinstance(layer, keras.Model):
            budget += _statement_budget(layer, merges)
        for node in layer._inbound_nodes:
            inputs = _call_tensors(node)
            if merges and len(inputs) > 1:
                budget += len(inputs)
            for t in inputs:
                reads[id(t)] = reads.get(id(t), 0) + 1
    for t in graph.outputs:
        reads[id(t)] = reads.get(id(t), 0) + 1
    return budget + sum(n > 1 for n in reads.values())


# --------------------------------------------------------------------------- the seeds


@pytest.mark.parametrize("stem", sorted(REFERENCES))
def test_seed_references_round_trip(stem):
    old = REFERENCES[stem]()
    text, spec, new = _round_trip(old, SEQ_LEN.get(stem, 16))
    _check_idiom(text, spec)
    assert new.output_names == old.output_names
    assert [t.name for t in new.inputs] == [t.name for t in old.inputs]
    # Chains, not a line per layer: a statement per output, plus one per tensor that fans out.
    assert _statements(text) <= _statement_budget(old), text


def test_seed_idioms():
    """What the hand-written seeds say, the imported ones say as well."""
    siamese = from_keras(REFERENCES["siamese_lstm"]())
    assert "layer lstm = LSTM(32)" in siamese
    assert "output same = (left -> lstm, right -> lstm)\n        -> Concatenate()" in siamese

    dual = from_keras(REFERENCES["dual_camera"]())
    assert dual.index("model encoder_net {") < dual.index("model dual_camera {")
    assert "(left -> encoder_net, right -> encoder_net)" in dual

    router = from_keras(REFERENCES["ticket_router"]())
    assert "(title, text_body, tags) -> Concatenate() -> Dense(64, activation=\"relu\")" in router
    assert "output priority = dense -> Dense(1, activation=\"sigmoid\")" in router

    inception = from_keras(REFERENCES["inception_block"]())
    assert inception.count(" = ") == 1 and "output features = (" in inception  # one tuple of branches

    fashion = from_keras(REFERENCES["fashion_cnn"]())
    assert "Conv2D(32, 3, padding=\"same\", activation=\"relu\")" in fashion
    assert "Dropout(0.4)" in fashion and "MaxPooling2D()" in fashion


# --------------------------------------------------------------------------- keras.applications

# name -> (blocks and repeats at least, lines the spec must hold). Their repeated subgraphs are
# blocks (tests/backends/test_keras_import_blocks.py checks the line counts against specs/zoo).
APPLICATIONS = {
    "ResNet50": (4, [
        "-> ZeroPadding2D(3)\n",
        "-> Conv2D(64, 7, strides=2)\n",
        "const epsilon = 1.001e-05\n",
        "-> BatchNormalization(axis=3, epsilon=epsilon)\n",
        "-> MaxPooling2D(3, strides=2)\n",
        "block residual(filters, strides=2) {\n",
        "-> Conv2D(4 * filters, 1)\n",
        "    repeat 5 {\n",
    ]),
    "MobileNetV2": (2, [
        "const max_value = 6.0\n",
        "-> ReLU(max_value=max_value)\n",
        "-> BatchNormalization(momentum=momentum)\n",
        "-> DepthwiseConv2D(3, strides=2, use_bias=False)\n",
        "-> ZeroPadding2D(((0, 1), (0, 1)))\n",
    ]),
    "InceptionV3": (3, [
        "-> BatchNormalization(axis=3, scale=False)\n",
        "-> AveragePooling2D(3, strides=1, padding=\"same\")\n",
        ") -> Concatenate(axis=3)\n",
    ]),
    "DenseNet121": (5, [
        "    output y = (x, conv2d) -> Concatenate(axis=3)\n",
        "    repeat 24 {\n",
        "-> AveragePooling2D(2)\n",
    ]),
    # EfficientNet's preprocessing layers, its swish (serialized by Keras as silu) and its
    # initializers
    "EfficientNetB0": (2, [
        "-> Rescaling(1 / 255)\n",
        "-> Normalization(axis=3)\n",
        "-> Activation(\"silu\")\n",
        "kernel_initializer=VarianceScaling(scale=2.0, mode=\"fan_out\"),\n",
        "scale=1 / 3,\n",
        "-> Dropout(rate, noise_shape=(None, 1, 1, 1))\n",  # stochastic depth, as a block parameter
        "-> Dropout(0.2)\n",
    ]),
}


@pytest.fixture(scope="module", params=sorted(APPLICATIONS))
def application(request):
    """One keras.applications model (weights=None), imported and rebuilt once per module."""
    old = getattr(keras.applications, request.param)(weights=None)
    result = _round_trip(old, keep_names=False)  # the idiom checks read the spec's own naming
    yield request.param, old, result
    del old, result
    keras.backend.clear_session()
    gc.collect()


@pytest.mark.slow
def test_application_round_trip(application):
    name, old, (text, spec, new) = application
    assert new.count_params() == old.count_params()  # (outputs were compared in the fixture)
    assert new.output_names == ["predictions"]


@pytest.mark.slow
def test_application_idiom(application):
    name, old, (text, spec, new) = application
    # Text only: a block parameter can carry a Keras default into one of its uses (`strides=1`).
    assert not DEFAULT_LOOKING.search(text), DEFAULT_LOOKING.search(text).group()
    n_layers = len(old.layers)
    assert _statements(text) <= _statement_budget(old, merges=True)
    assert _statements(text) < n_layers / 3, f"{name}: {_statements(text)} statements for {n_layers} layers"
    least, lines = APPLICATIONS[name]
    assert len(re.findall(r"^block |^ +repeat ", text, re.M)) >= least
    for line in lines:
        assert line in text, line


# --------------------------------------------------------------------------- shapes of models


def test_sequential():
    old = keras.Sequential([
        keras.Input((8,)),
        layers.Dense(16, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-4)),
        layers.Dropout(0.2),
        layers.Dense(3, activation="softmax"),
    ], name="seq_model")
    text, spec, _ = _round_trip(old)
    _check_idiom(text, spec)
    assert "model seq_model {" in text
    assert "Dense(16, activation=\"relu\", kernel_regularizer=L2(0.0001))" in text
    assert _statements(text) == 1


def test_shared_layer_is_declared():
    a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
    tower = layers.Dense(4, activation="tanh", name="tower")
    merged = layers.Subtract()([tower(a), tower(b)])
    old = keras.Model([a, b], layers.Dense(1, name="score")(merged), name="shared_tower")
    text, spec, new = _round_trip(old)
    _check_idiom(text, spec)
    assert "layer tower = Dense(4, activation=\"tanh\")" in text
    assert "(a -> tower, b -> tower) -> Subtract()" in text
    assert sum(isinstance(layer, layers.Dense) for layer in new.layers) == 2


def test_nested_models():
    inner = keras.Sequential([keras.Input((5,)), layers.Dense(3)], name="inner_seq")
    z = keras.Input((5,), name="z")
    heads = keras.Model(z, [layers.Dense(2, name="p")(z), layers.Dense(3, name="q")(z)], name="two_heads")
    x = keras.Input((5,), name="x")
    p, q = heads(x)
    old = keras.Model(x, [inner(x), layers.Concatenate(name="joined")([p, q]), inner(x)], name="nesting")
    text, spec, new = _round_trip(old)
    assert set(spec.models) == {"inner_seq_2", "two_heads", "nesting"}  # `inner_seq` names an output
    assert "p, q = x -> two_heads" in text
    assert "output inner_seq = x -> inner_seq_2" in text
    # Keras names both uses of `inner_seq` after it; a spec's output names are unique.
    assert old.output_names == ["inner_seq", "joined", "inner_seq"]
    assert new.output_names == ["inner_seq", "joined", "inner_seq_3"]
    assert len([layer for layer in new.layers if isinstance(layer, keras.Model)]) == 2  # one layer each


def test_model_names_are_kept_exactly():
    inner = keras.Sequential([keras.Input((5,)), layers.Dense(3)], name="inner.v2")
    x = keras.Input((5,), name="x")
    old = keras.Model(x, layers.Dense(2, name="out")(inner(x)), name="net-1.0 (b0)")
    text, spec, new = _round_trip(old)
    assert 'model "net-1.0 (b0)" {' in text and new.name == "net-1.0 (b0)"
    # A nested model is used by name in a chain, which takes an identifier.
    assert "model inner_v2 {" in text and "x -> inner_v2 -> Dense(2)" in text
    keyword = keras.Model(x, layers.Dense(2, name="out")(x), name="input")
    text, _, new = _round_trip(keyword)
    assert 'model "input" {' in text and new.name == "input"


def test_a_model_name_the_language_refuses_becomes_an_identifier():
    x = keras.Input((5,), name="x")
    old = keras.Model(x, layers.Dense(2, name="out")(x), name='bad\nname"; import os')
    text, spec, new = _round_trip(old)
    assert "model bad_name_import_os {" in text
    assert all(line.isprintable() for line in text.splitlines())  # the header comment too
    assert "`bad\\nname\"; import os`" in text.splitlines()[0]


@pytest.mark.slow
def test_mobilenet_v2_keeps_its_exact_name():
    old = keras.applications.MobileNetV2(alpha=0.35, input_shape=(96, 96, 3), weights=None)
    try:
        text, spec, new = _round_trip(old)
        assert old.name == new.name == "mobilenetv2_0.35_96"
        assert 'model "mobilenetv2_0.35_96" {' in text and graphspec.format(text) == text
    finally:
        del old
        keras.backend.clear_session()
        gc.collect()


def test_compiled_model():
    x = keras.Input((4,), name="x")
    h = layers.Dense(8, activation="relu")(x)
    old = keras.Model(x, [layers.Dense(1, name="a")(h), layers.Dense(2, activation="softmax", name="b")(h)])
    old.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-4),
                loss={"a": "mse", "b": "categorical_crossentropy"}, loss_weights={"a": 1.0, "b": 0.2},
                metrics={"a": ["mae"], "b": ["accuracy", keras.metrics.AUC()]})
    text, spec, new = _round_trip(old)
    block = text[text.index("compile {"):]
    assert "optimizer = Adam(learning_rate=0.0003)" in block  # float32 3e-4, written short
    assert "loss = {a: \"mse\", b: \"categorical_crossentropy\"}" in block
    assert "loss_weights = {a: 1.0, b: 0.2}" in block
    assert "metrics = {a: [\"mae\"], b: [\"accuracy\", AUC()]}" in block
    assert new.compiled and isinstance(new.optimizer, keras.optimizers.Adam)
    assert np.isclose(float(new.optimizer.learning_rate), 3e-4)
    assert new.get_compile_config()["loss_weights"] == {"a": 1.0, "b": 0.2}


def test_uncompiled_model_has_no_compile_block():
    assert "compile" not in from_keras(REFERENCES["fashion_cnn"]())


def test_wrappers_states_and_masks():
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    h = layers.Embedding(100, 8, mask_zero=True)(tokens)
    h = layers.Bidirectional(layers.LSTM(16, return_sequences=True))(h)
    h = layers.TimeDistributed(layers.Dense(4, kernel_constraint=keras.constraints.MaxNorm(3.0)))(h)
    seq, state_h, state_c = layers.LSTM(6, return_sequences=True, return_state=True, name="encoder")(h)
    state = layers.Concatenate(name="state")([state_h, state_c])
    old = keras.Model(tokens, [seq, state], name="recurrent")
    text, spec, _ = _round_trip(old)
    _check_idiom(text, spec)
    assert "input tokens: (None,) int32" in text
    assert "Embedding(100, 8, mask_zero=True)" in text
    assert "Bidirectional(LSTM(16, return_sequences=True))" in text
    assert "TimeDistributed(Dense(4, kernel_constraint=MaxNorm(3.0)))" in text
    assert re.search(r"^\s+encoder, encoder_1, encoder_2 = tokens$", text, re.M)
    assert "output state = (encoder_1, encoder_2) -> Concatenate()" in text


def test_attention_frozen_layers_and_odd_outputs():
    q, v = keras.Input((4, 8), name="query"), keras.Input((6, 8), name="value")
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=4)(q, v)
    normed = layers.LayerNormalization(trainable=False)(attended)
    wide = layers.Dense(8, dtype="float64", name="wide")(normed)
    old = keras.Model([q, v], [wide, q, layers.MultiHeadAttention(num_heads=2, key_dim=4)(q, q)], name="attn")
    text, spec, new = _round_trip(old)
    _check_idiom(text, spec)
    assert "(query, value)\n        -> MultiHeadAttention(2, 4)\n" in text  # attention_axes (set on build) left out
    assert "LayerNormalization(trainable=False)" in text
    assert "Dense(8, dtype=\"float64\")" in text
    assert new.get_layer("wide").dtype_policy.name == "float64"
    assert "output query" in text
    assert "(query, query) -> MultiHeadAttention(2, 4)" in text
    assert new.output_names == old.output_names


def test_derived_arguments_are_kept_when_needed():
    x = keras.Input((32, 32, 3), name="x")
    h = layers.MaxPooling2D(3, strides=2)(x)  # strides default to pool_size: kept
    h = layers.AveragePooling2D(3, strides=1, padding="same")(h)
    h = layers.MaxPooling2D(3)(h)  # strides equal to pool_size: left out
    h = layers.ZeroPadding2D(((0, 1), (0, 1)))(h)
    h = layers.Conv2D(4, (3, 1), strides=(2, 2), dilation_rate=1)(h)
    old = keras.Model(x, layers.Rescaling(1.0 / 127.5, offset=-1)(h), name="derived")
    text, spec, _ = _round_trip(old)
    _check_idiom(text, spec)
    assert "MaxPooling2D(3, strides=2)" in text
    assert "AveragePooling2D(3, strides=1, padding=\"same\")" in text
    assert "-> MaxPooling2D(3)\n" in text
    assert "ZeroPadding2D(((0, 1), (0, 1)))" in text
    assert "Conv2D(4, (3, 1), strides=2)" in text
    assert "Rescaling(1 / 127.5, offset=-1)" in text


def test_keep_names():
    x = keras.Input((4,), name="x")
    h = layers.Dense(8, name="hidden")(x)
    h = layers.Dense(8, name="bottleneck")(h)
    h = layers.Dense(8)(h)  # an automatic name: not kept
    old = keras.Model(x, layers.Dense(1, name="out")(h), name="named")
    plain = from_keras(old, keep_names=False)
    assert "name=" not in plain
    text, _, new = _round_trip(old, keep_names=True)
    assert 'Dense(8, name="hidden")' in text and 'Dense(8, name="bottleneck")' in text
    assert text.count("name=") == 2  # `out` is named by its output line
    assert {"x", "hidden", "bottleneck", "out"} <= {layer.name for layer in new.layers}


def test_registered_custom_layer():
    @keras.saving.register_keras_serializable(package="graphspec_tests")
    class Scale(layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    x = keras.Input((3,), name="x")
    old = keras.Model(x, layers.Dense(2, name="y")(Scale(3.0)(x)), name="custom_net")
    with pytest.raises(KerasImportError, match=r"`scale` \(Scale\).*not registered"):
        from_keras(old)
    graphspec.register_layer(Scale)
    try:
        text, _, _ = _round_trip(old)
        assert "x -> Scale(3.0) -> Dense(2)" in text or "Scale(factor=3.0)" in text
    finally:
        from graphspec import custom

        custom.unregister_layer("Scale")


# --------------------------------------------------------------------------- what cannot be imported


def test_lambda_is_refused_by_name():
    x = keras.Input((4,), name="x")
    old = keras.Model(x, layers.Dense(1)(layers.Lambda(lambda t: t * 2, name="double")(x)))
    with pytest.raises(KerasImportError) as info:
        from_keras(old)
    assert [(p.layer, p.cls) for p in info.value.problems] == [("double", "Lambda")]
    assert "`double` (Lambda)" in str(info.value)


def test_every_problem_is_listed_at_once():
    class Unregistered(layers.Layer):
        def call(self, t):
            return t

    x = keras.Input((4,), name="x")
    h = layers.Lambda(lambda t: t * 2, name="double")(x)
    h = Unregistered(name="mystery")(keras.ops.cumsum(h, axis=1))  # an op outside the ops catalogue
    inner = keras.Model(x, h, name="inner")
    y = keras.Input((4,), name="y")
    old = keras.Model(y, layers.Lambda(lambda t: -t, name="negate")(inner(y)), name="outer")
    with pytest.raises(KerasImportError) as info:
        from_keras(old)
    found = {(p.model, p.layer, p.cls) for p in info.value.problems}
    assert ("inner", "double", "Lambda") in found
    assert ("inner", "mystery", "Unregistered") in found
    assert any(p.model == "inner" and p.cls == "Cumsum" and "ops catalogue" in p.reason for p in info.value.problems)
    assert ("outer", "negate", "Lambda") in found
    assert len(info.value.problems) == 4


def test_layer_outside_the_catalogue(monkeypatch):
    original = keras_import.registry.get
    monkeypatch.setattr(keras_import.registry, "get", lambda name: None if name == "Normalization" else original(name))
    x = keras.Input((3,), name="x")
    old = keras.Model(x, layers.Dense(1)(layers.Normalization(name="norm")(x)))
    with pytest.raises(KerasImportError) as info:
        from_keras(old)
    assert [(p.layer, p.cls) for p in info.value.problems] == [("norm", "Normalization")]
    assert "not in graphspec's catalogue" in str(info.value)


def test_subclassed_and_unbuilt_models():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(KerasImportError, match="subclassed model"):
        from_keras(Net())
    with pytest.raises(KerasImportError, match="no input shape"):
        from_keras(keras.Sequential([layers.Dense(2)]))
    with pytest.raises(TypeError):
        from_keras(layers.Dense(2))


def test_fixed_batch_size_is_refused():
    x = keras.Input(batch_shape=(8, 3), name="x")
    with pytest.raises(KerasImportError, match="fixed batch size"):
        from_keras(keras.Model(x, layers.Dense(1)(x)))


def test_package_level_entry_point():
    assert graphspec.from_keras is from_keras
    assert "from_keras" in graphspec.__all__


# --------------------------------------------------------------------------- the command line


def test_cli_import(tmp_path, capsys):
    old = REFERENCES["ticket_router"]()
    old.compile(optimizer="rmsprop", loss="mse")
    path = tmp_path / "router.keras"
    old.save(path)
    out = tmp_path / "router.gspec"
    assert cli.main(["import", str(path), "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    assert "model ticket_router {" in text and "compile {" in text
    new = graphspec.load(out).to_keras()
    assert new.count_params() == old.count_params()

    assert cli.main(["import", str(path), "-o", "-"]) == 0
    assert capsys.readouterr().out == text


def test_cli_import_errors(tmp_path, capsys, monkeypatch):
    assert cli.main(["import", str(tmp_path / "missing.keras"), "-o", "-"]) == 1
    assert "no such file" in capsys.readouterr().err

    bogus = tmp_path / "bogus.keras"
    bogus.write_bytes(b"not a zip file")
    assert cli.main(["import", str(bogus), "-o", "-"]) == 1
    err = capsys.readouterr().err
    assert "cannot load" in err and "Traceback" not in err

    x = keras.Input((3,), name="x")
    keras.Model(x, layers.Normalization(name="norm")(x)).save(tmp_path / "norm.keras")
    original = keras_import.registry.get
    monkeypatch.setattr(keras_import.registry, "get", lambda name: None if name == "Normalization" else original(name))
    assert cli.main(["import", str(tmp_path / "norm.keras"), "-o", str(tmp_path / "norm.gspec")]) == 1
    err = capsys.readouterr().err
    assert "`norm` (Normalization)" in err and "Traceback" not in err
    assert not (tmp_path / "norm.gspec").exists()


def test_text_is_in_the_formatter_layout():
    formatter = pytest.importorskip("graphspec.syntax.format")
    from graphspec.source import Source

    for stem in ("ticket_sequences", "dual_camera", "inception_block"):
        text = from_keras(REFERENCES[stem]())
        assert formatter.format_source(Source(f"{stem}.gspec", text))[0] == text


def test_a_layer_name_the_language_refuses_is_left_to_the_specs_naming():
    # Keras takes any name without "/"; a spec's name= takes [A-Za-z_][A-Za-z0-9_.-]* (E305 otherwise).
    x = keras.Input((5,), name="x")
    h = layers.Dense(4, name="hidden 1")(x)
    h = layers.Dense(4, name='2nd"\x1b[31m')(h)
    old = keras.Model(x, layers.Dense(2, name="out")(layers.Dense(3, name="kept.name-1")(h)), name="net")
    text, spec, new = _round_trip(old)  # loads clean: no E305
    assert 'name="kept.name-1"' in text and "hidden 1" not in text.split("\n", 2)[2]
    assert text.splitlines()[1] == ("# Named by graphspec instead (a layer name has letters, digits, `_`, `.` and "
                                    "`-`): `hidden 1`, `2nd\"\\u001b[31m`.")
    assert all(line.isprintable() for line in text.splitlines())
    assert "kept.name-1" in [layer.name for layer in new.layers]
