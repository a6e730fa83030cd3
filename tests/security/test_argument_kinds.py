"""Issue 14, findings 1 and 12: an argument value names only a class of the kind its parameter takes,
classes that load or run code are refused everywhere, and no model may exceed the parameter limit.

Before these fixes `Dense(4, activation=TFSMLayer("dir", call_endpoint="serve"))` and
`Dense(4, lora_alpha=TFSMLayer(...))` checked clean and `compile` loaded the SavedModel,
`Dense(4, activation=Dense())` checked clean and failed with a traceback at compile, and
`Dense(2147483648)` checked clean and `compile` tried to allocate tens of gigabytes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphspec.catalog import params, signatures
from graphspec.catalog.base import UNSAFE_CLASSES, CallValue
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.limits import MAX_PARAMS
from graphspec.passes.check import check_text
from conftest import run_cli

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def diagnose(body: str, inp: str = "(8,)", **kw):
    """(program or None, [(code, line, col, message)]) for a model `m` with input `x` and `body`."""
    diags = Diagnostics()
    text = f"model m {{\n    input x: {inp}\n{body}\n}}\n"
    program, _ = check_text(text, diags, name="m.gspec", **kw)
    return program, [(d.code, d.span.line if d.span else None, d.span.col if d.span else None, d.message)
                     for d in diags.items]


def codes(body: str, inp: str = "(8,)", **kw):
    return [c for c, *_ in diagnose(body, inp, **kw)[1]]


# --------------------------------------------------------------------------- finding 1: the CLI, end to end


SAVEDMODEL_SPEC = """model m {
    input x: (8,)
    output y = x -> Dense(4, activation=TFSMLayer("exported", call_endpoint="serve"))
}
"""


def test_14_1_check_refuses_a_savedmodel_as_activation(tmp_path):
    (tmp_path / "m.gspec").write_text(SAVEDMODEL_SPEC)
    proc = run_cli("check", "m.gspec", cwd=tmp_path)
    assert proc.returncode == 1
    assert "error[E210]: `TFSMLayer` is not allowed" in proc.stdout + proc.stderr
    assert "m.gspec:3:41" in proc.stdout + proc.stderr  # at the call, inside the argument
    assert "loads a TensorFlow SavedModel" in proc.stdout + proc.stderr  # says why


def test_14_1_compile_refuses_a_savedmodel_without_loading_it(tmp_path):
    # A directory that Keras would try to load if the call reached it: a marker file inside shows that
    # nothing read it, and no model file is written.
    exported = tmp_path / "exported"
    exported.mkdir()
    (exported / "saved_model.pb").write_bytes(b"not a SavedModel")
    (tmp_path / "m.gspec").write_text(SAVEDMODEL_SPEC)
    proc = run_cli("compile", "m.gspec", "-o", "m.keras", cwd=tmp_path, timeout=300)
    assert proc.returncode == 1
    assert "E210" in proc.stdout + proc.stderr
    assert not (tmp_path / "m.keras").exists()
    assert "SavedModel" not in proc.stderr.replace("loads a TensorFlow SavedModel", "")  # Keras never saw it


# --------------------------------------------------------------------------- finding 1: the checker


@pytest.mark.parametrize("step, code, where", [
    ('Dense(4, activation=TFSMLayer("dir", call_endpoint="serve"))', "E210", "TFSMLayer"),
    ('Dense(4, lora_alpha=TFSMLayer("dir"))', "E210", "TFSMLayer"),
    ("Dense(4, activation=Dense())", "E305", "takes an activation layer"),
    ("Dense(4, lora_alpha=L2(0.01))", "E302", "takes no call"),
    ("Dense(4, kernel_initializer=L2(0.1))", "E302", "takes an initializer"),
    ("Dense(4, kernel_regularizer=L2(l2=Dense(2)))", "E302", "takes no call"),
    ("Dense(4, activation=LeakyReLU(foo=2))", "E301", "unexpected keyword argument `foo`"),
    ("Dense(4, bias_constraint=[MaxNorm(3), GlorotUniform()])", "E302", "takes a constraint"),
])
def test_14_1_argument_calls_only_of_their_kind(step, code, where):
    program, found = diagnose(f"    output y = x -> {step}")
    assert program is None
    assert [c for c, *_ in found] == [code], found
    _, line, col, message = found[0]
    assert where in message
    assert line == 3 and col > len("    output y = x -> Dense(4, ")  # at the argument, not the layer


def test_14_1_wrapped_layers_of_their_kind():
    assert codes("    output y = x -> Bidirectional(LSTM(4))", "(5, 8)") == []
    assert codes("    output y = x -> TimeDistributed(Dense(3))", "(5, 8)") == []
    _, found = diagnose("    output y = x -> Bidirectional(Dense(4))", "(5, 8)")
    assert [c for c, *_ in found] == ["E305"] and "takes a recurrent layer" in found[0][3]
    assert codes("    output y = x -> Bidirectional(LSTM(4, kernel_initializer=Dense(2)))", "(5, 8)") == ["E302"]
    assert codes("    output y = x -> Pipeline([Dense(2), L2()])") == ["E302"]


@pytest.mark.parametrize("name", sorted(UNSAFE_CLASSES))
@pytest.mark.parametrize("body", [
    "    output y = x -> {c}()",
    "    layer l = {c}()\n    output y = x -> l",
    "    output y = x -> Dense(4, activation={c}())",
    "    output y = x -> Dense(4, lora_alpha=[1, {{a: {c}()}}])",
    "    output y = x -> Bidirectional(LSTM(4, recurrent_initializer={c}()))",
    "    output y = x -> Pipeline([Dense(2), {c}()])",
    '    output y = x -> Dense(2)\n    compile {{ optimizer = Adam(learning_rate={c}())  loss = "mse" }}',
    '    output y = x -> Dense(2)\n    compile {{ optimizer = "adam"  loss = {c}()  metrics = [{c}()] }}',
    "    output y = x -> Dense(2)\n    fit {{ callbacks = [{c}()] }}",
])
def test_14_1_code_running_classes_are_refused_everywhere(name, body):
    program, found = diagnose(body.format(c=name), "(5, 8)")
    assert program is None
    assert found and all(c == "E210" for c, *_ in found), found
    assert all(line is not None for _, line, _, _ in found)  # located


def test_14_1_settings_take_only_their_own_kind():
    body = '    output y = x -> Dense(2)\n    compile {{ {} }}'
    assert codes(body.format('optimizer = Adam(learning_rate=ExponentialDecay(1e-3, 100, 0.9))  loss = "mse"')) == []
    assert codes(body.format('optimizer = Adam(learning_rate=HeNormal())  loss = "mse"')) == ["E302"]
    assert codes(body.format('optimizer = Dense(2)  loss = "mse"')) == ["E503"]
    assert codes(body.format('optimizer = "adam"  loss = "mse"  metrics = [AUC(), Dense(3)]')) == ["E503"]
    assert codes('    output y = x -> Dense(2)\n    fit { callbacks = [EarlyStopping(patience=L2())] }') == ["E302"]


def test_14_1_string_vocabulary_is_a_file_read_and_refused():
    _, found = diagnose('    output y = x -> StringLookup(vocabulary="/etc/passwd")')
    assert [c for c, *_ in found] == ["E305"] and "vocabulary" in found[0][3]
    assert codes('    output y = x -> StringLookup(vocabulary=["a", "b"])', inp="(1,) string") == []


# --------------------------------------------------------------------------- finding 1: the builder (IR bypassing the checker)


keras = pytest.importorskip("keras")


def _spec(text: str):
    import graphspec

    return graphspec.loads(text)


def test_14_1_builder_refuses_code_and_other_kinds_in_an_unchecked_ir():
    from graphspec.backends.keras_builder import BuildError, resolve_class, to_keras_value

    for name in UNSAFE_CLASSES:
        with pytest.raises(BuildError, match="refused"):
            resolve_class(name, "layer")
        with pytest.raises(BuildError):
            to_keras_value(CallValue(name, ("dir",)), "layers")
    with pytest.raises(BuildError, match="unknown"):
        resolve_class("Adam", "initializer")  # a name of another kind is not found in this kind's module
    with pytest.raises(BuildError, match="takes no call"):
        to_keras_value(CallValue("Dense", (2,)), None)
    with pytest.raises(BuildError, match="takes an activation layer"):
        to_keras_value(CallValue("Dense", (2,)), "activation_layers")
    with pytest.raises(BuildError, match="serialized Keras object"):
        to_keras_value({"class_name": "TFSMLayer", "config": {"filepath": "dir"}}, "initializers")

    # A checked spec whose IR is then edited behind the checker's back.
    spec = _spec('model m { input x: (8,)\n output y = x -> Dense(4, activation="relu") }')
    layer = spec.models["m"].layers[0]
    for value in (CallValue("TFSMLayer", ("dir",), (("call_endpoint", "serve"),)), CallValue("Dense", (2,))):
        layer.config["activation"] = value
        with pytest.raises(BuildError):
            spec.to_keras()
    layer.config["activation"] = "relu"
    layer.config["lora_alpha"] = CallValue("L2", (0.1,))
    with pytest.raises(BuildError, match="takes no call"):
        spec.to_keras()
    del layer.config["lora_alpha"]
    layer.type = "TFSMLayer"
    with pytest.raises(BuildError):
        spec.to_keras()


def test_14_1_legitimate_argument_calls_still_build_like_keras():
    spec = _spec("""model m {
    input x: (5, 8)
    h = x -> Bidirectional(LSTM(16)) -> Dense(8, kernel_regularizer=L2(1e-4), kernel_initializer=GlorotUniform(seed=1), activation=LeakyReLU(0.2))
    output y = h -> Dense(2)
    compile { optimizer = Adam(learning_rate=ExponentialDecay(1e-3, 100, 0.9))  loss = "mse" }
}""")
    model = spec.to_keras()
    x = keras.Input((5, 8))
    h = keras.layers.Bidirectional(keras.layers.LSTM(16))(x)
    dense = keras.layers.Dense(8, kernel_regularizer=keras.regularizers.L2(1e-4),
                               kernel_initializer=keras.initializers.GlorotUniform(seed=1),
                               activation=keras.layers.LeakyReLU(0.2))
    y = keras.layers.Dense(2)(dense(h))
    reference = keras.Model(x, y)
    assert model.count_params() == reference.count_params()
    built = model.get_layer(index=2)
    assert isinstance(built.kernel_regularizer, keras.regularizers.L2)
    assert built.kernel_regularizer.l2 == pytest.approx(1e-4)
    assert isinstance(built.kernel_initializer, keras.initializers.GlorotUniform)
    assert built.kernel_initializer.seed == 1
    assert isinstance(built.activation, keras.layers.LeakyReLU)
    assert isinstance(model.get_layer(index=1).forward_layer, keras.layers.LSTM)
    keras_kernel = keras.initializers.GlorotUniform(seed=1)((32, 8))
    assert keras.ops.convert_to_numpy(built.kernel).tolist() == keras.ops.convert_to_numpy(keras_kernel).tolist()
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    schedule = model.optimizer._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.ExponentialDecay)
    assert schedule.get_config() == keras.optimizers.schedules.ExponentialDecay(1e-3, 100, 0.9).get_config()


# --------------------------------------------------------------------------- finding 12: the parameter limit


def test_14_12_too_many_parameters_is_a_located_error_before_building():
    program, found = diagnose("    h = x -> Dense(64)\n    output y = h -> Dense(2147483648)")
    assert program is None
    assert [(c, line) for c, line, *_ in found] == [("E005", 4)]
    assert "139,586,437,120 parameters" in found[0][3] and f"{MAX_PARAMS:,}" in found[0][3]
    # Each layer under the limit, the model over it: at the layer that crosses it.
    _, found = diagnose("    h = x -> Dense(600)\n    output y = h -> Dense(1000)", max_params=604_000)
    assert [(c, line) for c, line, *_ in found] == [("E005", 4)] and "brings the model to" in found[0][3]
    # The limit can be raised.
    assert codes("    output y = x -> Dense(2147483648)", max_params=10**12) == []


def test_14_12_cli_refuses_a_huge_layer(tmp_path):
    (tmp_path / "m.gspec").write_text("model m {\n    input x: (8,)\n    output y = x -> Dense(2147483648)\n}\n")
    proc = run_cli("check", "m.gspec", cwd=tmp_path)
    assert proc.returncode == 1 and "m.gspec:3:21" in proc.stdout and "E005" in proc.stdout


def test_14_12_builder_counts_an_untrusted_ir_itself():
    from graphspec.backends.keras_builder import BuildError, build

    spec = _spec("model m { input x: (8,)\n output y = x -> Dense(4) }")
    layer = spec.models["m"].layers[0]
    layer.config["units"] = 2147483648  # the IR's own counts still say 36
    with pytest.raises(BuildError, match="more than the limit"):
        spec.to_keras()
    layer.config["units"] = 4
    with pytest.raises(BuildError, match="more than the limit of 10"):
        build(spec, max_params=10)
    assert build(spec, max_params=36).count_params() == 36


# --------------------------------------------------------------------------- the property


_KIND_CLASSES = {kind: set(info.classes()) for kind, info in params.KINDS.items()}
_EVERY_CLASS = sorted(set(signatures.class_names("layers")).union(
    *(signatures.class_names(k) for k in signatures.OBJECT_KINDS)) | set(UNSAFE_CLASSES))
_PARAMETERS = sorted({(sig_name, p.name) for sig_name in signatures.layer_names()[::7]
                      for p in signatures.layer_signature(sig_name).params}
                     | {(owner, param.lstrip("*")) for owner, param in params.CALL_KINDS})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_PARAMETERS), st.sampled_from(_EVERY_CLASS))
def test_14_1_no_argument_names_a_class_outside_its_kind(owner_param, callee):
    """Any callee in any parameter: accepted only when it is a class of the parameter's kind."""
    owner, param = owner_param
    owner = signatures.canonical_layer_name(owner) or owner
    problems = params.call_problems(owner, param, CallValue(callee))
    kind = params.call_kind(owner, param)
    accepted = not [p for p in problems if p.code not in ("E301", "E303", "E304")]  # binding its own args
    if accepted:
        assert kind is not None and callee in _KIND_CLASSES[kind], (owner, param, callee)
        assert callee not in UNSAFE_CLASSES
    if callee in UNSAFE_CLASSES:
        assert [p.code for p in problems] == ["E210"]
    if kind is None:
        assert problems, (owner, param, callee)


def test_the_property_draws_accepted_and_refused_calls():
    assert params.call_problems("Dense", "kernel_initializer", CallValue("HeNormal")) == []
    assert params.call_problems("Dense", "kernel_initializer", CallValue("Adam"))
    assert any(params.call_kind(o, p) is None for o, p in _PARAMETERS)
    assert any(params.call_kind(o, p) is not None for o, p in _PARAMETERS)
