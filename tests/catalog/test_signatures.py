"""The captured Keras signatures, argument binding, and per-parameter value checks."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphspec.catalog import params, signatures
from graphspec.catalog.base import ArgError, CallValue
from graphspec.catalog.params import check_config, check_value
from graphspec.catalog.signatures import Opaque, Signature, bind, layer_signature

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "capture_keras_signatures.py"
DATA = ROOT / "graphspec" / "catalog" / "keras_signatures.json"


# --------------------------------------------------------------------------- helpers


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def _bind_layer(name, args=(), kwargs=()):
    return bind(layer_signature(name), list(args), list(kwargs))


def _codes(problems):
    return [p.code for p in problems]


def _only(problems, code=None):
    assert len(problems) == 1, [(p.code, p.message, p.help) for p in problems]
    if code is not None:
        assert problems[0].code == code, (problems[0].code, problems[0].message)
    return problems[0]


def _check(layer, **config):
    return check_config(layer, config)


# --------------------------------------------------------------------------- (a) data file


def test_committed_json_matches_capture_for_installed_keras(tmp_path):
    if importlib.util.find_spec("keras") is None:
        pytest.skip("keras is not importable here; the capture script needs it")
    out = tmp_path / "keras_signatures.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(out)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    fresh = out.read_text(encoding="utf-8")
    committed = DATA.read_text(encoding="utf-8")
    if fresh != committed:
        a, b = json.loads(committed), json.loads(fresh)
        changed = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        pytest.fail(
            f"{DATA.name} is stale for the installed Keras {b.get('keras_version')} "
            f"(committed: {a.get('keras_version')}); sections that differ: {changed}. "
            f"Re-run `python scripts/capture_keras_signatures.py`."
        )


def test_json_is_canonical_text():
    text = DATA.read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    assert " at 0x" not in text  # no memory addresses in reprs


def test_json_contents():
    data = json.loads(DATA.read_text(encoding="utf-8"))
    assert data["keras_version"]
    assert {p["name"] for p in data["base_layer_kwargs"]} == {
        "name",
        "dtype",
        "trainable",
        "activity_regularizer",
    }
    dense = data["layers"]["Dense"]
    assert dense["params"][0] == {
        "name": "units",
        "kind": "positional_or_keyword",
        "required": True,
        "default": None,
    }
    assert dense["var_kwargs"] is True
    assert "MaxPool2D" in data["layers"]["MaxPooling2D"]["aliases"]
    assert "Convolution2D" in data["layers"]["Conv2D"]["aliases"]
    assert "MaxPool2D" not in data["layers"]  # aliases are not keys
    conv = {p["name"]: p for p in data["layers"]["Conv2D"]["params"]}
    assert conv["strides"]["default"] == {"tuple": [1, 1]}
    for kind in ("optimizers", "losses", "metrics", "callbacks", "initializers",
                 "regularizers", "constraints"):
        assert data[kind], kind
    assert "Optimizer" not in data["optimizers"]
    assert "Loss" not in data["losses"]
    assert "Callback" not in data["callbacks"]
    for name in ("LambdaCallback", "RemoteMonitor", "BackupAndRestore", "Callback"):
        assert name not in data["callbacks"]
        assert data["excluded"]["callbacks"][name]  # with a reason
    assert "Optimizer" in data["excluded"]["optimizers"]
    strings = data["string_names"]
    assert {"adam", "rmsprop", "sgd"} <= set(strings["optimizers"])
    assert {"mse", "mean_squared_error", "categorical_crossentropy",
            "binary_crossentropy"} <= set(strings["losses"])
    assert {"accuracy", "acc", "crossentropy", "mae", "mean_absolute_error"} <= set(
        strings["metrics"]
    )
    assert {"relu", "linear", "softmax", "sigmoid", "tanh"} <= set(strings["activations"])
    assert {"glorot_uniform", "he_normal", "zeros"} <= set(strings["initializers"])
    assert {"l1", "l2"} <= set(strings["regularizers"])
    assert strings["constraints"]
    for kind, values in strings.items():
        assert values == sorted(values), kind


# --------------------------------------------------------------------------- lookups


def test_layer_lookup_by_canonical_name_and_alias():
    assert signatures.canonical_layer_name("MaxPool2D") == "MaxPooling2D"
    assert signatures.canonical_layer_name("Convolution2D") == "Conv2D"
    assert signatures.canonical_layer_name("Conv2D") == "Conv2D"
    assert signatures.canonical_layer_name("Conv9D") is None
    assert layer_signature("MaxPool2D") is layer_signature("MaxPooling2D")
    assert layer_signature("NoSuchLayer") is None
    sig = layer_signature("Dense")
    assert isinstance(sig, Signature)
    assert sig.name == "Dense" and sig.var_kwargs
    assert sig.params[0].name == "units" and sig.params[0].required
    names = signatures.layer_names()
    assert {"Dense", "Conv2D", "MaxPooling2D", "MaxPool2D", "Convolution2D"} <= set(names)
    assert names == sorted(names)


def test_defaults_are_decoded():
    conv = layer_signature("Conv2D")
    assert conv.param("strides").default == (1, 1)
    assert conv.param("padding").default == "valid"
    assert conv.param("activation").default is None
    zp = layer_signature("ZeroPadding3D")
    assert zp.param("padding").default == ((1, 1), (1, 1), (1, 1))
    assert signatures.decode_default({"repr": "<object>"}) == Opaque("<object>")
    assert repr(Opaque("<object>")) == "<object>"


def test_names_and_object_signatures():
    assert {"Adam", "adam", "RMSprop", "rmsprop", "SGD"} <= set(signatures.names("optimizers"))
    assert {"MeanSquaredError", "mse", "categorical_crossentropy"} <= set(signatures.names("losses"))
    assert {"AUC", "accuracy", "acc"} <= set(signatures.names("metrics"))
    assert {"EarlyStopping", "ModelCheckpoint"} <= set(signatures.names("callbacks"))
    assert "LambdaCallback" not in signatures.names("callbacks")
    assert {"relu", "linear"} <= set(signatures.names("activations"))
    assert {"GlorotUniform", "glorot_uniform", "he_normal"} <= set(signatures.names("initializers"))
    assert {"L2", "l2", "L1L2"} <= set(signatures.names("regularizers"))
    assert {"MaxNorm", "max_norm"} <= set(signatures.names("constraints"))
    with pytest.raises(ValueError):
        signatures.names("frobnicators")

    adam = signatures.object_signature("optimizers", "Adam")
    assert adam.param("learning_rate").default == 0.001
    config, problems = bind(adam, [], [("learning_rate", 3e-4)])
    assert problems == [] and config["learning_rate"] == 3e-4 and config["beta_1"] == 0.9

    es = signatures.object_signature("callbacks", "EarlyStopping")
    config, problems = bind(es, [], [("monitor", "val_loss"), ("patience", 2)])
    assert problems == [] and config["patience"] == 2 and config["restore_best_weights"] is False

    l2 = signatures.object_signature("regularizers", "L2")
    config, problems = bind(l2, [1e-4], [])
    assert problems == [] and config == {"l2": 1e-4}
    assert signatures.object_signature("regularizers", "l2") is l2  # alias
    assert signatures.object_signature("optimizers", "LambdaCallback") is None
    assert signatures.object_signature("callbacks", "LambdaCallback") is None
    assert "needs Python functions" in signatures.excluded("callbacks")["LambdaCallback"]

    mc = signatures.object_signature("callbacks", "ModelCheckpoint")
    config, problems = bind(mc, ["best.keras"], [("save_best_only", True)])
    assert problems == [] and config["filepath"] == "best.keras"

    # Base-Layer kwargs are for layers only.
    _, problems = bind(adam, [], [("trainable", False)])
    assert _only(problems, "E301").param == "trainable"


def test_object_kinds_of_distinguishes_homonyms():
    assert signatures.object_kinds_of("L2") == ["regularizers"]
    assert signatures.object_kinds_of("Identity") == ["layers", "initializers"]
    assert set(signatures.object_kinds_of("MeanSquaredError")) == {"losses", "metrics"}


# --------------------------------------------------------------------------- (b) bind


def test_bind_positional_and_defaults():
    config, problems = _bind_layer("Dense", [64])
    assert problems == []
    assert config["units"] == 64
    assert config["activation"] is None
    assert config["use_bias"] is True
    assert config["kernel_initializer"] == "glorot_uniform"
    assert list(config) == [p.name for p in layer_signature("Dense").params]


def test_bind_keyword_and_mixed():
    config, problems = _bind_layer(
        "Conv2D", [32, 3], [("padding", "same"), ("activation", "relu")]
    )
    assert problems == []
    assert config["filters"] == 32 and config["kernel_size"] == 3
    assert config["padding"] == "same" and config["activation"] == "relu"
    assert config["strides"] == (1, 1)  # decoded tuple default

    config, problems = _bind_layer("Dense", [], [("units", 8)])
    assert problems == [] and config["units"] == 8


def test_bind_base_layer_kwargs():
    config, problems = _bind_layer(
        "Dropout", [0.5], [("name", "drop"), ("trainable", False), ("dtype", "float32")]
    )
    assert problems == []
    assert config["name"] == "drop" and config["trainable"] is False
    assert config["dtype"] == "float32"
    # Not given: not added (the constructor's own defaults apply).
    assert "activity_regularizer" not in config

    # A layer that declares `name` itself keeps it in signature order.
    config, problems = _bind_layer("MaxPooling2D", [2], [("name", "pool")])
    assert problems == [] and config["name"] == "pool"

    # A constructor without **kwargs does not take base-Layer kwargs it lacks.
    _, problems = _bind_layer("SpatialDropout1D", [0.1], [("trainable", False)])
    assert _only(problems, "E301").param == "trainable"


def test_bind_unknown_keyword_suggests():
    config, problems = _bind_layer("Dense", [64], [("activaton", "relu")])
    err = _only(problems, "E301")
    assert isinstance(err, ArgError)
    assert err.param == "activaton"
    assert "activaton" in err.message and "Dense" in err.message
    assert err.help == "did you mean `activation`?"
    assert err.source == ("keyword", 0)
    assert config["units"] == 64 and "activaton" not in config


def test_bind_unknown_keyword_without_close_match_lists_accepted():
    _, problems = _bind_layer("Add", [], [("zzzzzz", 1)])
    err = _only(problems, "E301")
    assert "`name`" in err.help and "`trainable`" in err.help


def test_bind_missing_required():
    config, problems = _bind_layer("Conv2D", [], [("padding", "same")])
    assert _codes(problems) == ["E303", "E303"]
    assert [p.param for p in problems] == ["filters", "kernel_size"]
    assert "missing" in problems[0].message and "`filters`" in problems[0].message
    assert "filters=" in problems[0].help
    assert config["padding"] == "same" and "filters" not in config


def test_bind_too_many_positional():
    _, problems = _bind_layer("Dropout", [0.5, None, 1, 7])
    err = _only(problems, "E304")
    assert "at most 3 positional arguments" in err.message and "4 were given" in err.message
    assert err.source == ("positional", 3)
    assert "keyword" in err.help

    _, problems = _bind_layer("Add", [1])
    err = _only(problems, "E304")
    assert "takes no positional arguments" in err.message


def test_bind_argument_given_twice():
    _, problems = _bind_layer("Dense", [64], [("units", 32)])
    err = _only(problems, "E304")
    assert err.param == "units" and "multiple values" in err.message
    assert "1st positional" in err.help

    _, problems = _bind_layer("Dense", [], [("units", 1), ("units", 2)])
    err = _only(problems, "E304")
    assert err.source == ("keyword", 1)

    _, problems = _bind_layer("Dense", [4], [("name", "a"), ("name", "b")])
    assert _only(problems, "E304").param == "name"


def test_bind_aliases_resolve():
    config, problems = _bind_layer("MaxPool2D", [3])
    assert problems == []
    assert config["pool_size"] == 3 and config["padding"] == "valid"
    config, problems = _bind_layer("Convolution2D", [8, 3])
    assert problems == [] and config["filters"] == 8


def test_bind_callee_name_in_messages():
    sig = layer_signature("MaxPool2D")
    _, problems = bind(sig, [], [("pool_sise", 2)], callee="MaxPool2D")
    err = _only(problems, "E301")
    assert "`MaxPool2D`" in err.message and err.help == "did you mean `pool_size`?"


def test_bind_keyword_only_param_is_not_positional():
    sig = Signature(
        "Custom",
        (
            signatures.Param("a", "positional_or_keyword", True),
            signatures.Param("b", "keyword_only", False, 5),
        ),
        var_kwargs=False,
    )
    config, problems = bind(sig, [1], [])
    assert problems == [] and config == {"a": 1, "b": 5}
    _, problems = bind(sig, [1, 2], [])
    assert _only(problems, "E304")


# --------------------------------------------------------------------------- (c) check_config


def test_config_from_bind_with_defaults_is_clean():
    for layer, args in [
        ("Dense", [64]),
        ("Conv2D", [32, 3]),
        ("Conv1D", [8, 3]),
        ("MaxPooling2D", []),
        ("LSTM", [16]),
        ("BatchNormalization", []),
        ("Embedding", [100, 8]),
        ("MultiHeadAttention", [2, 16]),
        ("ZeroPadding3D", []),
        ("PReLU", []),
        ("Dropout", [0.2]),
    ]:
        config, problems = _bind_layer(layer, args)
        assert problems == []
        assert check_config(layer, config) == [], layer


@pytest.mark.parametrize("param", ["units"])
@pytest.mark.parametrize("value", [0, -3])
def test_positive_int_out_of_range(param, value):
    err = _only(_check("Dense", **{param: value}), "E305")
    assert err.param == param and f"{param}={value}" in err.message
    assert "positive integer" in err.message


@pytest.mark.parametrize(
    "layer,param",
    [
        ("Dense", "units"),
        ("Conv2D", "filters"),
        ("Embedding", "output_dim"),
        ("Embedding", "input_dim"),
        ("MultiHeadAttention", "num_heads"),
        ("MultiHeadAttention", "key_dim"),
    ],
)
def test_positive_int_rules(layer, param):
    assert _check(layer, **{param: 8}) == []
    assert _only(_check(layer, **{param: 0}), "E305").param == param
    err = _only(_check(layer, **{param: 8.0}), "E302")
    assert "(a float)" in err.message and f"`{param}=8`" in err.help and "//" in err.help
    assert _only(_check(layer, **{param: True}), "E302")
    assert _only(_check(layer, **{param: "8"}), "E302").help == f"write `{param}=8` without quotes"


@pytest.mark.parametrize(
    "layer,param", [("Dropout", "rate"), ("LSTM", "dropout"), ("LSTM", "recurrent_dropout")]
)
def test_fraction_rules(layer, param):
    assert _check(layer, **{param: 0.5}) == []
    assert _check(layer, **{param: 0}) == []
    err = _only(_check(layer, **{param: 1.5}), "E305")
    assert err.help == f"`{param}` is the fraction of the units to drop: write e.g. `{param}=0.5`"
    assert f"{param}=1.5" in err.message
    assert _only(_check(layer, **{param: 1}), "E305")
    assert _only(_check(layer, **{param: -0.1}), "E305")
    assert _only(_check(layer, **{param: "0.5"}), "E302")
    assert _only(_check(layer, **{param: None}), "E302")


def test_fraction_percentage_hint():
    err = _only(_check("Dropout", rate=20), "E305")
    assert "did you mean `0.2`?" in err.help


@pytest.mark.parametrize("param", ["kernel_size", "strides", "dilation_rate"])
def test_window_rules_conv(param):
    assert _check("Conv2D", **{param: 3}) == []
    assert _check("Conv2D", **{param: (3, 3)}) == []
    assert _check("Conv2D", **{param: [3, 3]}) == []
    err = _only(_check("Conv2D", **{param: (3, 3, 3)}), "E305")
    assert f"{param}=(3, 3, 3)" in err.message  # tuples shown as tuples
    assert "tuple of 2" in err.message and f"`{param}=(3, 3)`" in err.help
    assert _only(_check("Conv2D", **{param: 0}), "E305")
    assert _only(_check("Conv2D", **{param: (3, 0)}), "E305")
    assert _only(_check("Conv2D", **{param: (3, 1.5)}), "E302")
    assert _only(_check("Conv2D", **{param: "3"}), "E302")


def test_window_rules_pooling():
    assert _check("MaxPooling2D", pool_size=3, strides=None) == []  # None is the default
    assert _check("MaxPool1D", pool_size=(2,)) == []
    err = _only(_check("MaxPooling1D", pool_size=(2, 2)), "E305")
    assert "tuple of 1" in err.message
    assert _only(_check("Conv2D", strides=None), "E302")  # not a default there


def test_padding_rules():
    assert _check("Conv2D", padding="same") == []
    assert _check("Conv2D", padding="SAME") == []  # Keras lower-cases it
    err = _only(_check("Conv2D", padding="sme"), "E305")
    assert err.help == "did you mean `same`?"
    err = _only(_check("Conv2D", padding="causal"), "E305")
    assert "Conv1D" in err.help
    assert _check("Conv1D", padding="causal") == []
    assert _check("Convolution1D", padding="causal") == []  # per-layer override via alias
    assert _only(_check("Conv2D", padding=1), "E302")
    # ZeroPadding's padding is an amount.
    assert _check("ZeroPadding2D", padding=2) == []
    assert _check("ZeroPadding2D", padding=((1, 2), (0, 1))) == []
    assert _only(_check("ZeroPadding2D", padding="same"), "E302")
    assert _only(_check("ZeroPadding2D", padding=((1, 2), (3, -1))), "E305")


@pytest.mark.parametrize("param", ["activation", "recurrent_activation"])
def test_activation_rules(param):
    assert _check("LSTM", **{param: "relu"}) == []
    assert _check("LSTM", **{param: None}) == []
    assert _check("LSTM", **{param: "linear"}) == []
    err = _only(_check("LSTM", **{param: "rleu"}), "E305")
    assert err.help == "did you mean `relu`?"
    assert _only(_check("LSTM", **{param: 3}), "E302")


def test_activation_accepts_layer_call_and_checks_case():
    assert _check("Dense", activation=CallValue("LeakyReLU", (0.1,))) == []
    assert _only(_check("Dense", activation=CallValue("L2", (0.1,))), "E302")
    err = _only(_check("Activation", activation="Relu"), "E305")
    assert err.help == "did you mean `relu`?"


def test_initializer_rules():
    assert _check("Dense", kernel_initializer="he_normal") == []
    assert _check("Dense", kernel_initializer=CallValue("GlorotUniform", (), (("seed", 1),))) == []
    assert _check("Dense", kernel_initializer=CallValue("glorot_uniform")) == []
    assert _check("LSTM", recurrent_initializer="orthogonal") == []
    err = _only(_check("Dense", kernel_initializer="glorot_unifrom"), "E305")
    assert err.help == "did you mean `glorot_uniform`?"
    err = _only(_check("Dense", kernel_initializer=CallValue("L2", (0.1,))), "E302")
    assert "is a regularizer, not an initializer" in err.help
    err = _only(_check("Dense", bias_initializer=0.1), "E302")
    assert err.help == "write `bias_initializer=Constant(0.1)`"
    assert _only(_check("Dense", kernel_initializer=None), "E302")
    # Arguments of the nested call are bound against its signature.
    err = _only(_check("Dense", kernel_initializer=CallValue("HeNormal", (), (("sed", 1),))), "E301")
    assert err.param == "kernel_initializer" and err.help == "did you mean `seed`?"


def test_regularizer_rules():
    assert _check("Dense", kernel_regularizer=CallValue("L2", (1e-4,))) == []
    assert _check("Dense", kernel_regularizer="l2") == []
    assert _check("Dense", activity_regularizer=CallValue("L1L2", (), (("l1", 0.01),))) == []
    assert _check("Dropout", activity_regularizer=None) == []
    err = _only(_check("Dense", kernel_regularizer="l3"), "E305")
    assert err.help and "\"l2\"" in err.help
    err = _only(_check("Dense", kernel_regularizer=CallValue("L2", (1e-4, 2))), "E304")
    assert err.param == "kernel_regularizer" and "L2(0.0001, 2)" in err.message
    assert _only(_check("Dense", kernel_regularizer=0.01), "E302")
    assert _only(_check("Dense", kernel_regularizer=CallValue("Nope", ())), "E305")


def test_constraint_rules():
    assert _check("Dense", kernel_constraint=CallValue("MaxNorm", (3,))) == []
    assert _check("Dense", bias_constraint="non_neg") == []
    assert _check("Dense", kernel_constraint=None) == []
    assert _only(_check("Dense", kernel_constraint="max_nrom"), "E305").help == "did you mean `max_norm`?"
    assert _only(_check("Dense", kernel_constraint=CallValue("L2", (1,))), "E302")


@pytest.mark.parametrize(
    "layer,param",
    [
        ("Dense", "use_bias"),
        ("LSTM", "return_sequences"),
        ("LSTM", "return_state"),
        ("LSTM", "go_backwards"),
        ("LSTM", "stateful"),
        ("LSTM", "unroll"),
        ("Dense", "trainable"),
        ("BatchNormalization", "center"),
        ("BatchNormalization", "scale"),
        ("Embedding", "mask_zero"),  # any parameter whose Keras default is a bool
    ],
)
def test_bool_rules(layer, param):
    assert _check(layer, **{param: True}) == []
    assert _check(layer, **{param: False}) == []
    err = _only(_check(layer, **{param: 1}), "E302")
    assert err.help == f"write `{param}=True`"
    err = _only(_check(layer, **{param: "false"}), "E302")
    assert err.help == f"write `{param}=False` without quotes"


def test_scale_is_only_a_flag_where_keras_says_so():
    assert _check("Rescaling", scale=1 / 255) == []
    assert _only(_check("LayerNormalization", scale=0.5), "E302")


def test_axis_rules():
    assert _check("Concatenate", axis=1) == []
    # Keras's BatchNormalization does `int(axis)`: one axis only (issue 14 finding 11).
    assert _only(_check("BatchNormalization", axis=(1, 2)), "E302")
    assert _check("LayerNormalization", axis=[1, 2]) == []
    assert _only(_check("Concatenate", axis=1.0), "E302")
    assert _only(_check("Concatenate", axis="1"), "E302")
    assert _only(_check("Concatenate", axis=None), "E302")
    assert _check("Normalization", axis=None) == []  # documented by Keras for that layer


@pytest.mark.parametrize("param", ["momentum", "epsilon"])
def test_number_rules(param):
    assert _check("BatchNormalization", **{param: 0.9}) == []
    assert _check("BatchNormalization", **{param: 1}) == []
    assert _only(_check("BatchNormalization", **{param: "0.9"}), "E302")
    assert _only(_check("BatchNormalization", **{param: True}), "E302")


def test_data_format_rules():
    assert _check("Conv2D", data_format="channels_first") == []
    assert _check("Conv2D", data_format=None) == []
    err = _only(_check("Flatten", data_format="channel_last"), "E305")
    assert err.help == "did you mean `channels_last`?"
    assert _only(_check("Flatten", data_format=1), "E302")


def test_dtype_rules():
    for good in ("float32", "bfloat16", "int64", "mixed_float16", None):
        assert _check("Dense", dtype=good) == [], good
    err = _only(_check("Dense", dtype="flaot32"), "E305")
    assert err.help == "did you mean `float32`?"
    assert _only(_check("Dense", dtype=32), "E302")


def test_name_rules():
    assert _check("Dense", name="dense_1") == []
    assert _check("Dense", name="block1.conv-a") == []
    err = _only(_check("Dense", name="enc/dense"), "E305")
    assert '"/"' in err.help and 'name="enc_dense"' in err.help
    assert _only(_check("Dense", name="1st"), "E305")
    assert _only(_check("Dense", name="has space"), "E305")
    assert _only(_check("Dense", name=3), "E302")


def test_other_table_rules():
    assert _only(_check("Bidirectional", merge_mode="avg"), "E305").help == "did you mean `ave`?"
    assert _check("Bidirectional", merge_mode=None) == []
    assert _check("Reshape", target_shape=(7, 7, -1)) == []
    assert _only(_check("Reshape", target_shape=(None, 4)), "E302")
    assert _only(_check("Reshape", target_shape=(-1, -1)), "E305")
    assert _only(_check("LeakyReLU", negative_slope=-1), "E305")


def test_default_values_are_never_reported():
    # Keras's own defaults (including `None` where the rule would want a value).
    assert _check("MaxPooling2D", strides=None, pool_size=(2, 2)) == []
    assert _check("PReLU", alpha_initializer="Zeros") == []
    assert check_value("Dense", "use_bias", 1) != []  # 1 is not the default True


def test_values_are_rendered_like_spec_source():
    assert params.show((3, 3)) == "(3, 3)"
    assert params.show((None,)) == "(None,)"
    assert params.show("relu") == '"relu"'
    assert params.show(CallValue("L2", (0.0001,), (("l2", 1),))) == "L2(0.0001, l2=1)"
    assert params.show([1, "a"]) == '[1, "a"]'


def test_unknown_layers_and_params_are_checked_by_name_only():
    assert _check("MyCustomLayer", units=0)[0].code == "E305"
    assert _check("MyCustomLayer", whatever=object()) == []
    assert _check("Dense", lora_rank=3) == []  # no rule for this name


# --------------------------------------------------------------------------- (d) no Keras


def test_importing_catalog_modules_does_not_import_keras():
    code = (
        "import json, sys\n"
        "import graphspec.catalog.signatures as s, graphspec.catalog.params as p\n"
        "from graphspec.catalog.base import CallValue\n"
        "s.layer_signature('Dense'); s.names('optimizers')\n"
        "cfg, _ = s.bind(s.layer_signature('Conv2D'), [8, 3], [('padding', 'same')])\n"
        "p.check_config('Conv2D', cfg)\n"
        "p.check_config('Dense', {'units': 4, 'kernel_regularizer': CallValue('L2', (0.1,))})\n"
        "bad = sorted(m for m in sys.modules\n"
        "             if m.split('.')[0] in ('keras', 'tensorflow', 'jax', 'torch'))\n"
        "print(json.dumps(bad))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_catalog_modules_do_not_mention_keras_imports():
    for mod in (signatures, params):
        source = Path(mod.__file__).read_text(encoding="utf-8")
        assert "import keras" not in source and "from keras" not in source
        assert "tensorflow" not in source
        assert "pydantic" not in source


# --------------------------------------------------------------------------- robustness

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.tuples(inner, inner),
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=4), inner, max_size=2),
        st.builds(
            CallValue,
            st.sampled_from(["L2", "GlorotUniform", "MaxNorm", "LeakyReLU", "Nope", "Adam"]),
            st.lists(inner, max_size=3).map(tuple),
            st.lists(st.tuples(st.sampled_from(["l2", "seed", "x", "axis"]), inner), max_size=2).map(
                tuple
            ),
        ),
    ),
    max_leaves=6,
)
_all_layers = sorted(signatures.layer_names())
_param_names = sorted(
    {p.name for n in _all_layers for p in layer_signature(n).params}
    | {p.name for p in signatures.base_layer_kwargs()}
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(_all_layers),
    st.lists(_values, max_size=4),
    st.lists(st.tuples(st.sampled_from(_param_names + ["bogus"]), _values), max_size=4),
)
def test_bind_and_check_never_raise(layer, args, kwargs):
    config, problems = bind(layer_signature(layer), args, kwargs)
    assert all(isinstance(p, ArgError) and p.code in {"E301", "E303", "E304"} for p in problems)
    for err in check_config(layer, config):
        assert isinstance(err, ArgError)
        assert err.code in {"E301", "E302", "E303", "E304", "E305"}
        assert err.param in config and err.message
        assert not err.message.startswith("could not check"), err.message
