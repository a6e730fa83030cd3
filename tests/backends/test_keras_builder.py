"""The Keras backend, on IR written directly (no parser): builder, .keras files, summary.

`G` builds a small ModelIR tersely: `x = g.input("x", (8,))`, then
`h = g.apply("Dense", x, (None, 16), units=16)` adds a layer and its call, and
`g.output("y", h)` declares an output.
"""

from __future__ import annotations

import os
import random

import keras
import numpy as np
import pytest

import graphspec.custom
from graphspec.backends import keras_custom
from graphspec.backends.keras_builder import BuildError, build, fit_kwargs, to_keras_value
from graphspec.backends.keras_file import save_keras
from graphspec.backends.summary import render_summary_text, summarize
from graphspec.catalog.base import CallValue
from graphspec.api import Spec
from graphspec.ir import InputIR, LayerIR, ModelIR, NodeIR, OutputIR, TensorIR


# -- terse IR ------------------------------------------------------------------


def call(callee, *args, **kwargs):
    """A call written in a spec, as the front end hands it over."""
    return CallValue(callee, tuple(args), tuple(kwargs.items()))


class G:
    """A ModelIR under construction."""

    def __init__(self, name):
        self.name = name
        self.inputs, self.outputs, self.layers, self.nodes, self.tensors = [], [], [], [], []
        self._counts = {}

    def _tensor(self, shape, dtype="float32", producer=None, index=0):
        self.tensors.append(TensorIR(id=len(self.tensors), shape=shape, dtype=dtype,
                                     producer=producer, index=index))
        return len(self.tensors) - 1

    def input(self, name, shape, dtype="float32"):
        t = self._tensor((None, *shape), dtype)
        self.inputs.append(InputIR(name=name, tensor=t, shape=shape, dtype=dtype))
        return t

    def layer(self, type, name=None, kind="layer", model=None, params=(0, 0), **config):
        """A layer object (not yet called); its id."""
        if name is None:
            base = (model or type).lower()
            n = self._counts.get(base, 0)
            self._counts[base] = n + 1
            name = base if n == 0 else f"{base}_{n}"
        self.layers.append(LayerIR(id=len(self.layers), name=name, type=type, kind=kind,
                                   config=config, model=model, trainable_params=params[0],
                                   non_trainable_params=params[1]))
        return len(self.layers) - 1

    def call(self, layer, inputs, *shapes, call="single"):
        """Apply layer `layer` to tensor ids; one output tensor per shape given."""
        inputs = [inputs] if isinstance(inputs, int) else list(inputs)
        node = len(self.nodes)
        outs = [self._tensor(s, producer=node, index=i) for i, s in enumerate(shapes)]
        self.nodes.append(NodeIR(id=node, layer=layer, inputs=inputs, outputs=outs, call=call))
        return outs[0] if len(outs) == 1 else outs

    def apply(self, type, inputs, shape, name=None, params=(0, 0), call="single", **config):
        """A new layer called once: its output tensor id."""
        return self.call(self.layer(type, name, params=params, **config), inputs, shape, call=call)

    def output(self, name, tensor):
        self.outputs.append(OutputIR(name=name, tensor=tensor))

    def ir(self, compile=None, fit=None):
        return ModelIR(name=self.name, inputs=self.inputs, outputs=self.outputs, layers=self.layers,
                       nodes=self.nodes, tensors=self.tensors, compile=compile, fit=fit)


def spec(*models, root=None):
    """A Spec of ModelIRs; the root is the last one unless told."""
    return Spec(root=root or models[-1].name, models={m.name: m for m in models}, files=[],
                consts={})


def input_layer_names(model):
    return [t._keras_history.operation.name for t in model.inputs]


# -- small graphs used by several tests ------------------------------------------


def mlp(compile=None, fit=None):
    g = G("mlp")
    x = g.input("x", (8,))
    h = g.apply("Dense", x, (None, 16), units=16, activation="relu", params=(144, 0))
    g.output("y", g.apply("Dense", h, (None, 4), name="y", units=4, params=(68, 0)))
    return spec(g.ir(compile, fit))


def ticket_router(compile=None, fit=None):
    g = G("ticket_router")
    title, body, tags = g.input("title", (100,)), g.input("text_body", (100,)), g.input("tags", (10,))
    f = g.apply("Concatenate", [title, body, tags], (None, 210), call="list")
    f = g.apply("Dense", f, (None, 16), units=16, activation="relu", params=(3376, 0))
    g.output("priority", g.apply("Dense", f, (None, 1), name="priority", units=1,
                                 activation="sigmoid", params=(17, 0)))
    g.output("department", g.apply("Dense", f, (None, 4), name="department", units=4,
                                   activation="softmax", params=(68, 0)))
    return spec(g.ir(compile, fit))


ROUTER_COMPILE = {
    "optimizer": call("RMSprop", learning_rate=1e-3),
    "loss": {"priority": "mean_squared_error", "department": "categorical_crossentropy"},
    "loss_weights": {"priority": 1.0, "department": 0.2},
    "metrics": {"priority": ["mean_absolute_error"], "department": ["accuracy"]},
}


def router_data(n=8, seed=0):
    rng = np.random.default_rng(seed)
    x = {"title": rng.random((n, 100)), "text_body": rng.random((n, 100)), "tags": rng.random((n, 10))}
    y = {"priority": rng.integers(0, 2, (n, 1)).astype("float32"),
         "department": np.eye(4, dtype="float32")[rng.integers(0, 4, n)]}
    return x, y


def dual_camera():
    enc = G("encoder_net")
    img = enc.input("img", (16, 16, 3))
    h = enc.apply("Conv2D", img, (None, 7, 7, 4), filters=4, kernel_size=3, strides=2,
                  activation="relu", params=(112, 0))
    h = enc.apply("BatchNormalization", h, (None, 7, 7, 4), params=(8, 8))
    enc.output("features", enc.apply("GlobalAveragePooling2D", h, (None, 4), name="features"))

    g = G("dual_camera")
    left, right = g.input("left", (16, 16, 3)), g.input("right", (16, 16, 3))
    net = g.layer("Model", name="encoder_net", kind="model", model="encoder_net", params=(120, 8))
    a = g.call(net, left, (None, 4))
    b = g.call(net, right, (None, 4))
    merged = g.apply("Concatenate", [a, b], (None, 8), call="list")
    g.output("depth", g.apply("Dense", merged, (None, 1), name="depth", units=1, params=(9, 0)))
    return spec(enc.ir(), g.ir())


# -- building ------------------------------------------------------------------


def test_dense_chain():
    model = build(mlp(), "mlp")
    assert isinstance(model, keras.Model) and model.name == "mlp"
    assert input_layer_names(model) == ["x"]
    assert model.output_names == ["y"]
    assert [type(l).__name__ for l in model.layers] == ["InputLayer", "Dense", "Dense"]
    assert model.get_layer("dense").activation is keras.activations.relu
    assert model.count_params() == 144 + 68
    assert not model.compiled
    assert model.predict(np.zeros((3, 8)), verbose=0).shape == (3, 4)


def test_root_is_default_and_spec_methods_route_here():
    s = mlp()
    assert build(s).name == "mlp"
    assert s.to_keras().output_names == ["y"]
    assert s.fit_kwargs() == {}
    assert s.summary()["total_params"] == 212


def test_shared_layer_has_one_weight_set():
    g = G("siamese")
    left, right = g.input("left", (None, 6)), g.input("right", (None, 6))
    enc = g.layer("LSTM", name="encoder", units=5, params=(240, 0))
    a, b = g.call(enc, left, (None, 5)), g.call(enc, right, (None, 5))
    merged = g.apply("Concatenate", [a, b], (None, 10), call="list")
    g.output("same", g.apply("Dense", merged, (None, 1), name="same", units=1,
                             activation="sigmoid", params=(11, 0)))
    model = build(spec(g.ir()))
    assert len(model.weights) == 3 + 2  # one LSTM (kernel, recurrent, bias) + Dense
    assert len(model.get_layer("encoder")._inbound_nodes) == 2
    assert model.count_params() == 240 + 11
    assert input_layer_names(model) == ["left", "right"]
    assert model.output_names == ["same"]


def test_nested_model_used_twice_is_one_shared_model():
    s = dual_camera()
    model = build(s)
    nested = [l for l in model.layers if isinstance(l, keras.Model)]
    assert len(nested) == 1 and nested[0].name == "encoder_net"
    assert nested[0].output_names == ["features"]
    assert len(model.weights) == 4 + 2 + 2  # conv 2, batchnorm 4, dense 2
    assert model.count_params() == 120 + 8 + 9
    assert model.output_names == ["depth"]
    x = np.random.default_rng(0).random((2, 16, 16, 3)).astype("float32")
    assert model.predict({"left": x, "right": x}, verbose=0).shape == (2, 1)
    # A nested model with one input and output takes and returns single tensors.
    assert isinstance(nested[0](keras.Input((16, 16, 3))), keras.KerasTensor)


def test_nested_model_built_once_per_build_not_across_builds():
    s = dual_camera()
    a, b = build(s), build(s)
    assert a.get_layer("encoder_net") is not b.get_layer("encoder_net")


def test_merge_layers_receive_a_list():
    g = G("merge")
    a, b = g.input("a", (4,)), g.input("b", (4,))
    s = g.apply("Add", [a, b], (None, 4), call="list")
    g.output("out", g.apply("Concatenate", [s, a, b], (None, 12), name="out", call="list", axis=-1))
    model = build(spec(g.ir()))
    ones = np.ones((2, 4), "float32")
    out = model.predict({"a": ones, "b": 2 * ones}, verbose=0)
    np.testing.assert_allclose(out, np.concatenate([3 * ones, ones, 2 * ones], axis=-1))


@pytest.mark.parametrize("with_key", [False, True])
def test_attention_layers_receive_query_value_key(with_key):
    g = G("attend")
    q, v = g.input("q", (5, 8)), g.input("v", (7, 8))
    ins = [q, v]
    if with_key:
        ins.append(g.input("k", (7, 8)))
    out = g.apply("MultiHeadAttention", ins, (None, 5, 8), name="attended", call="attention",
                  num_heads=2, key_dim=4)
    g.output("attended", out)
    model = build(spec(g.ir()))
    assert tuple(model.outputs[0].shape) == (None, 5, 8)
    assert model.output_names == ["attended"]
    node = model.get_layer("attended")._inbound_nodes[0]
    assert len(node.arguments.args) == len(ins)  # positional (q, v[, k]), not one list
    assert model.count_params() == 3 * (8 * 2 * 4 + 2 * 4) + (2 * 4 * 8 + 8)  # q, k, v; output


def test_lstm_return_state_gives_three_outputs():
    g = G("stateful")
    x = g.input("x", (6, 3))
    lstm = g.layer("LSTM", units=4, return_sequences=True, return_state=True, params=(128, 0))
    seq, h, c = g.call(lstm, x, (None, 6, 4), (None, 4), (None, 4))
    g.output("pooled", g.apply("GlobalAveragePooling1D", seq, (None, 4), name="pooled"))
    g.output("h_head", g.apply("Dense", h, (None, 1), name="h_head", units=1, params=(5, 0)))
    g.output("c_head", g.apply("Dense", c, (None, 2), name="c_head", units=2, params=(10, 0)))
    model = build(spec(g.ir()))
    assert model.output_names == ["pooled", "h_head", "c_head"]
    assert [tuple(t.shape) for t in model.outputs] == [(None, 4), (None, 1), (None, 2)]
    out = model.predict(np.zeros((2, 6, 3)), verbose=0)
    assert [o.shape for o in out] == [(2, 4), (2, 1), (2, 2)]


def test_outputs_not_named_after_their_layer_are_rejected():
    # Keras names outputs after the layers producing them: three outputs of one
    # LSTM would all be called "lstm", so the front end must name (or add) layers.
    g = G("bad")
    x = g.input("x", (6, 3))
    lstm = g.layer("LSTM", units=4, return_sequences=True, return_state=True)
    seq, h, c = g.call(lstm, x, (None, 6, 4), (None, 4), (None, 4))
    for name, t in (("seq", seq), ("h", h), ("c", c)):
        g.output(name, t)
    with pytest.raises(BuildError, match="named after the output"):
        build(spec(g.ir()))


def test_output_that_is_an_input_keeps_the_input_name():
    g = G("passthrough")
    x = g.input("x", (3,))
    g.output("x", x)
    g.output("y", g.apply("Dense", x, (None, 2), name="y", units=2))
    model = build(spec(g.ir()))
    assert model.output_names == ["x", "y"]


def test_bidirectional_lstm_from_a_call_value():
    g = G("bi")
    x = g.input("tokens", (None, 8))
    h = g.apply("Bidirectional", x, (None, None, 12), name="bi",
                layer=call("LSTM", 6, return_sequences=True), merge_mode="concat")
    g.output("tagged", g.apply("TimeDistributed", h, (None, None, 3), name="tagged",
                               layer=call("Dense", 3)))
    model = build(spec(g.ir()))
    bi = model.get_layer("bi")
    assert isinstance(bi.forward_layer, keras.layers.LSTM) and bi.forward_layer.units == 6
    assert bi.forward_layer.return_sequences
    assert isinstance(model.get_layer("tagged").layer, keras.layers.Dense)
    assert tuple(model.outputs[0].shape) == (None, None, 3)


def test_regularizer_and_initializer_calls():
    g = G("reg")
    x = g.input("x", (4,))
    g.output("y", g.apply("Dense", x, (None, 4), name="y", units=4,
                          kernel_regularizer=call("L2", 1e-4),
                          kernel_initializer=call("Identity"),  # also a layer name
                          bias_initializer=call("Constant", 0.5)))
    model = build(spec(g.ir()))
    dense = model.get_layer("y")
    assert isinstance(dense.kernel_regularizer, keras.regularizers.L2)
    assert dense.kernel_regularizer.l2 == pytest.approx(1e-4)
    assert isinstance(dense.kernel_initializer, keras.initializers.Identity)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(dense.kernel), np.eye(4))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(dense.bias), 0.5)
    model(np.ones((1, 4), "float32"))
    assert len(model.losses) == 1


def test_to_keras_value_resolves_by_kind():
    assert isinstance(to_keras_value(call("MeanSquaredError"), "losses"), keras.losses.MeanSquaredError)
    assert isinstance(to_keras_value(call("MeanSquaredError"), "metrics"), keras.metrics.MeanSquaredError)
    assert isinstance(to_keras_value(call("HeNormal", seed=1), "initializers"), keras.initializers.HeNormal)
    adam = to_keras_value(call("Adam", learning_rate=call("ExponentialDecay", 1e-3, 100, 0.9)),
                          "optimizers")
    assert isinstance(adam, keras.optimizers.Adam)
    assert adam.get_config()["learning_rate"]["class_name"] == "ExponentialDecay"
    assert to_keras_value({"a": [1, (2, 3)]}) == {"a": [1, (2, 3)]}
    with pytest.raises(BuildError, match="NoSuchThing"):
        to_keras_value(call("NoSuchThing"), "initializers")
    with pytest.raises(BuildError):
        to_keras_value(call("deserialize", {}), "initializers")  # functions are never called
    # A call only where the value takes one, and only of that kind.
    with pytest.raises(BuildError, match="takes no call"):
        to_keras_value(call("HeNormal"))
    with pytest.raises(BuildError, match="takes an initializer"):
        to_keras_value(call("L2", 0.1), "initializers")
    with pytest.raises(BuildError, match="takes a learning-rate schedule"):
        to_keras_value(call("Adam", learning_rate=call("HeNormal")), "optimizers")
    with pytest.raises(BuildError, match="takes no call"):
        to_keras_value(call("Adam", beta_1=call("ExponentialDecay", 1e-3, 100, 0.9)), "optimizers")


def test_unknown_layer_type_is_a_build_error():
    g = G("bad")
    x = g.input("x", (4,))
    g.output("y", g.apply("Input", x, (None, 4), name="y"))  # a function, not a layer class
    with pytest.raises(BuildError, match="not a Keras layer class"):
        build(spec(g.ir()))


def test_input_dtypes_and_names():
    g = G("typed")
    ids = g.input("ids", (None,), "int32")
    emb = g.apply("Embedding", ids, (None, None, 4), input_dim=50, output_dim=4, params=(200, 0))
    g.output("pooled", g.apply("GlobalAveragePooling1D", emb, (None, 4), name="pooled"))
    model = build(spec(g.ir()))
    assert [(t.name, t.dtype, tuple(t.shape)) for t in model.inputs] == [("ids", "int32", (None, None))]


# -- compile and fit -------------------------------------------------------------


def test_compile_with_dict_losses_and_call_optimizer_then_fit():
    model = build(ticket_router(ROUTER_COMPILE))
    assert model.compiled
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    assert input_layer_names(model) == ["title", "text_body", "tags"]
    assert model.output_names == ["priority", "department"]
    x, y = router_data()
    history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    for key in ("loss", "priority_loss", "department_loss", "priority_mean_absolute_error",
                "department_accuracy"):
        assert key in history.history, sorted(history.history)
    result = model.evaluate(x, y, batch_size=8, return_dict=True, verbose=0)
    assert result["loss"] == pytest.approx(result["priority_loss"] + 0.2 * result["department_loss"],
                                           rel=1e-4)


def test_compile_with_loss_and_metric_objects():
    compile = {"optimizer": "adam", "loss": call("MeanSquaredError"),
               "metrics": [call("RootMeanSquaredError"), "mae"], "jit_compile": False}
    model = build(mlp(compile))
    assert isinstance(model.loss, keras.losses.MeanSquaredError)
    history = model.fit(np.zeros((4, 8)), np.zeros((4, 4)), epochs=1, verbose=0)
    assert {"loss", "root_mean_squared_error", "mae"} <= set(history.history)


def test_fit_kwargs_builds_callbacks():
    fit = {"epochs": 2, "batch_size": 4, "validation_split": 0.25, "shuffle": False,
           "callbacks": [call("EarlyStopping", monitor="val_loss", patience=2)]}
    s = mlp({"optimizer": "sgd", "loss": "mse"}, fit)
    kwargs = fit_kwargs(s, "mlp")
    assert {k: v for k, v in kwargs.items() if k != "callbacks"} == {
        "epochs": 2, "batch_size": 4, "validation_split": 0.25, "shuffle": False}
    (early,) = kwargs["callbacks"]
    assert isinstance(early, keras.callbacks.EarlyStopping)
    assert (early.monitor, early.patience) == ("val_loss", 2)
    # The spec's objects are not shared between calls: each call builds fresh ones.
    assert fit_kwargs(s)["callbacks"][0] is not early
    history = build(s).fit(np.zeros((8, 8)), np.zeros((8, 4)), verbose=0, **kwargs)
    assert "val_loss" in history.history


# -- .keras files -------------------------------------------------------------------


def test_save_keras_round_trip_compiled(tmp_path):
    model = build(ticket_router(ROUTER_COMPILE))
    x, y = router_data()
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "router.keras"
    assert save_keras(model, path) == str(path)
    assert sorted(os.listdir(tmp_path)) == ["router.keras"]
    loaded = keras.models.load_model(path)  # safe_mode=True
    assert loaded.compiled
    assert isinstance(loaded.optimizer, keras.optimizers.RMSprop)
    assert loaded.output_names == ["priority", "department"]
    assert input_layer_names(loaded) == ["title", "text_body", "tags"]
    assert loaded.get_compile_config() == model.get_compile_config()
    for a, b in zip(model.predict(x, verbose=0), loaded.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    loaded.fit(x, y, epochs=1, verbose=0)


def test_save_keras_round_trip_nested(tmp_path):
    model = build(dual_camera())
    path = tmp_path / "dual.keras"
    save_keras(model, str(path))
    loaded = keras.models.load_model(str(path))
    x = np.random.default_rng(0).random((2, 16, 16, 3)).astype("float32")
    data = {"left": x, "right": x[::-1]}
    np.testing.assert_allclose(model.predict(data, verbose=0), loaded.predict(data, verbose=0),
                               rtol=1e-5)
    assert len(loaded.weights) == len(model.weights)


def test_save_keras_overwrites(tmp_path):
    path = tmp_path / "m.keras"
    path.write_bytes(b"old")
    save_keras(build(mlp()), path)
    assert keras.models.load_model(path).output_names == ["y"]
    assert os.listdir(tmp_path) == ["m.keras"]


def test_failed_save_leaves_no_file(tmp_path, monkeypatch):
    model = build(mlp())

    def broken_save(filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(model, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_keras(model, tmp_path / "m.keras")
    assert os.listdir(tmp_path) == []

    # An existing file is left as it was.
    (tmp_path / "m.keras").write_bytes(b"previous")
    with pytest.raises(OSError):
        save_keras(model, tmp_path / "m.keras")
    assert os.listdir(tmp_path) == ["m.keras"]
    assert (tmp_path / "m.keras").read_bytes() == b"previous"


def test_save_keras_requires_the_extension(tmp_path):
    with pytest.raises(ValueError, match=".keras"):
        save_keras(build(mlp()), tmp_path / "m.h5")
    assert os.listdir(tmp_path) == []


# -- custom layers --------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="graphspec_tests")
class Scale(keras.layers.Layer):
    """Multiplies by a learned vector: one weight per feature."""

    def __init__(self, init=1.0, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],),
                                     initializer=keras.initializers.Constant(self.init))

    def call(self, x):
        return x * self.scale

    def get_config(self):
        return {**super().get_config(), "init": self.init}


@pytest.fixture
def scale_layer():
    keras_custom.register_layer(Scale, "TestScale")
    yield Scale
    graphspec.custom.unregister_layer("TestScale")


def test_custom_layer(scale_layer, tmp_path):
    g = G("custom")
    x = g.input("x", (3,))
    h = g.call(g.layer("TestScale", name="scaled", kind="custom", init=2.0, params=(3, 0)), x,
               (None, 3))
    g.output("y", g.apply("Dense", h, (None, 1), name="y", units=1, params=(4, 0)))
    s = spec(g.ir({"optimizer": "adam", "loss": "mse"}))
    model = build(s)
    layer = model.get_layer("scaled")
    assert isinstance(layer, scale_layer) and layer.init == 2.0
    assert model.count_params() == 7
    assert summarize(s)["layers"][1]["type"] == "Scale"
    save_keras(model, tmp_path / "c.keras")
    assert isinstance(keras.models.load_model(tmp_path / "c.keras").get_layer("scaled"), Scale)


def test_unregistered_custom_layer_is_a_build_error():
    g = G("custom")
    x = g.input("x", (3,))
    g.output("y", g.call(g.layer("NotRegistered", name="y", kind="custom"), x, (None, 3)))
    with pytest.raises(BuildError, match="not registered"):
        build(spec(g.ir()))


# -- summary ------------------------------------------------------------------------------


def keras_counts(model):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return trainable, non_trainable


def keras_layer_shapes(layer):
    """Each use's output shape(s), as lists."""
    shapes = []
    for node in layer._inbound_nodes:
        outs = [list(t.shape) for t in node.output_tensors]
        shapes.append(outs[0] if len(outs) == 1 else outs)
    return shapes[0] if len(shapes) == 1 else shapes


def assert_summary_matches(s, model):
    summary = summarize(s)
    assert summary["model"] == model.name
    assert [r["name"] for r in summary["layers"]] == [l.name for l in model.layers]
    for row, layer in zip(summary["layers"], model.layers):
        assert row["type"] == type(layer).__name__
        assert row["params"] == layer.count_params(), row["name"]
        assert row["output_shape"] == keras_layer_shapes(layer), row["name"]
    assert summary["total_params"] == model.count_params()
    assert (summary["trainable_params"], summary["non_trainable_params"]) == keras_counts(model)
    return summary


def test_summary_matches_keras_with_nested_model_and_batchnorm():
    s = dual_camera()
    summary = assert_summary_matches(s, build(s))
    assert summary["non_trainable_params"] == 8
    assert summary["layers"][0] == {"name": "left", "type": "InputLayer",
                                    "output_shape": [None, 16, 16, 3], "params": 0}
    shared = next(r for r in summary["layers"] if r["name"] == "encoder_net")
    assert shared["output_shape"] == [[None, 4], [None, 4]]  # one shape per use


def test_summary_of_nested_model_alone():
    s = dual_camera()
    model = build(s, "encoder_net")
    summary = summarize(s, "encoder_net")
    assert [r["name"] for r in summary["layers"]] == [l.name for l in model.layers]
    assert summary["total_params"] == model.count_params() == 128
    assert (summary["trainable_params"], summary["non_trainable_params"]) == keras_counts(model)


def test_summary_matches_keras_with_shared_layer_multi_output_and_late_input():
    g = G("mixed")
    seq = g.input("seq", (6, 3))
    side = g.input("side", (2,))  # joins at the head: Keras lists it late
    unused = g.input("unused", (1,))  # noqa: F841 - an input no output needs
    lstm = g.layer("LSTM", units=4, return_sequences=True, return_state=True, params=(128, 0))
    s, h, c = g.call(lstm, seq, (None, 6, 4), (None, 4), (None, 4))
    shared = g.layer("Dense", name="shared", units=4, params=(20, 0))
    a, b = g.call(shared, h, (None, 4)), g.call(shared, c, (None, 4))
    pooled = g.apply("GlobalMaxPooling1D", s, (None, 4))
    joined = g.apply("Concatenate", [a, b, pooled, side], (None, 14), call="list")
    g.output("out", g.apply("Dense", joined, (None, 1), name="out", units=1, params=(15, 0)))
    sp = spec(g.ir())
    model = build(sp)
    summary = assert_summary_matches(sp, model)
    names = [r["name"] for r in summary["layers"]]
    assert names.index("side") > names.index("lstm")
    lstm_row = summary["layers"][names.index("lstm")]
    assert lstm_row["output_shape"] == [[None, 6, 4], [None, 4], [None, 4]]


def test_summary_text():
    s = dual_camera()
    text = render_summary_text(summarize(s))
    lines = text.splitlines()
    assert lines[0] == 'Model: "dual_camera"'
    assert "Layer (type)" in lines[2] and "Output Shape" in lines[2] and "Param #" in lines[2]
    assert any("encoder_net (Functional)" in line and "[(None, 4), (None, 4)]" in line
               and "128" in line for line in lines)
    assert any("left (InputLayer)" in line and "(None, 16, 16, 3)" in line for line in lines)
    assert " Total params: 137 (548.00 B)" in lines
    assert " Trainable params: 129 (516.00 B)" in lines
    assert " Non-trainable params: 8 (32.00 B)" in lines
    assert len({len(line) for line in lines[1:-4]}) == 1  # a rectangular table


def random_graph(seed):
    """A random DAG of Dense and merge layers, with shared layers and several outputs."""
    rnd = random.Random(seed)
    g = G(f"random_{seed}")
    pool = [g.input(f"in{i}", (4,)) for i in range(rnd.randint(1, 3))]
    shared = [g.layer("Dense", name=f"shared{i}", units=4, params=(20, 0))
              for i in range(rnd.randint(0, 2))]
    for _ in range(rnd.randint(3, 12)):
        r = rnd.random()
        if r < 0.3 and len(pool) > 1:
            ins = rnd.sample(pool, rnd.randint(2, min(3, len(pool))))
            t = g.apply(rnd.choice(["Add", "Average", "Maximum"]), ins, (None, 4), call="list")
        elif r < 0.5 and shared:
            t = g.call(rnd.choice(shared), rnd.choice(pool), (None, 4))
        else:
            t = g.apply("Dense", rnd.choice(pool), (None, 4), units=4, params=(20, 0))
        pool.append(t)
    for i, t in enumerate(rnd.sample(pool[-4:], min(2, len(pool[-4:])))):
        g.output(f"out{i}", g.apply("Dense", t, (None, 1), name=f"out{i}", units=1, params=(5, 0)))
    return spec(g.ir())


@pytest.mark.parametrize("seed", range(30))
def test_summary_order_matches_keras_on_random_graphs(seed):
    s = random_graph(seed)
    assert_summary_matches(s, build(s))
