"""from_keras on Keras's op nodes and call-time arguments (issue 10): real Keras models, imported,
built again from the spec, weights copied, outputs compared with what Keras computes."""

from __future__ import annotations

import gc
import re

import keras
import numpy as np
import pytest
from keras import layers, ops

import graphspec
from graphspec.backends.keras_import import KerasImportError, from_keras
from graphspec.catalog.ops import keras_classes
from conftest import ROOT, run_cli  # noqa: E402


# --------------------------------------------------------------------------- helpers
# Modelled on tests/backends/test_keras_import.py's _round_trip; op nodes are paired by the op
# they compute (`x / y` records TrueDivide, `ops.divide` Divide: the same op).


def _kind(op) -> object:
    if isinstance(op, layers.Layer):
        return type(op)
    cls = type(op)
    return keras_classes.op_for_class(f"{cls.__module__}.{cls.__name__}") or cls


def _call_tensors(node) -> list:
    """A call's tensors in spec order: its inputs, then the tensors among its keywords."""
    out = [x for x in keras.tree.flatten(node.arguments.args) if isinstance(x, keras.KerasTensor)]
    kwargs = node.arguments.kwargs
    out += [kwargs[k] for k in ("query", "value", "key") if isinstance(kwargs.get(k), keras.KerasTensor)]
    out += [x for k in sorted(kwargs) if k not in ("query", "value", "key") and not k.endswith("mask")
            for x in keras.tree.flatten(kwargs[k]) if isinstance(x, keras.KerasTensor)]
    return out


def _graph(model):
    return model._functional if isinstance(model, keras.Sequential) else model


def _pairs(old, new, found=None) -> dict:
    """id(old layer) -> (old layer, new layer), walking both graphs from their outputs in step
    (into nested models, which a spec writes as models of their own)."""
    found = {} if found is None else found
    old, new, seen = _graph(old), _graph(new), set()
    stack = list(zip(old.outputs, new.outputs))
    assert len(old.outputs) == len(new.outputs)
    while stack:
        t_old, t_new = stack.pop()
        h_old, h_new = t_old._keras_history, t_new._keras_history
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
            assert _kind(op_old) == _kind(op_new), (op_old, op_new)
            found.setdefault(id(op_old), (op_old, op_new))
        ins_old = _call_tensors(op_old._inbound_nodes[h_old.node_index])
        ins_new = _call_tensors(op_new._inbound_nodes[h_new.node_index])
        assert len(ins_old) == len(ins_new), op_old.name
        stack.extend(zip(ins_old, ins_new))
    return found


def _trainable_split(model) -> tuple:
    count = lambda ws: sum(int(np.prod(w.shape)) for w in ws)  # noqa: E731
    return count(model.trainable_weights), count(model.non_trainable_weights)


def _outputs(model, xs) -> list:
    """The outputs for the input list `xs`, passed as the model was built to take them."""
    structure = getattr(_graph(model), "_inputs_struct", xs)
    return keras.tree.flatten(model(xs if isinstance(structure, (list, tuple)) else xs[0], training=False))


def _round_trip(old, seq_len: int = 8, atol: float = 1e-4):
    """Import `old`, build the spec again, copy the weights; equal parameters, trainable split, outputs."""
    text = from_keras(old)
    new = graphspec.loads(text).to_keras()
    assert new.count_params() == old.count_params()
    assert _trainable_split(new) == _trainable_split(old)
    copied = 0
    for pair in _pairs(old, new).values():
        if pair is None:
            continue
        op_old, op_new = pair
        weights = op_old.get_weights() if isinstance(op_old, layers.Layer) else []
        if weights:
            op_new.set_weights(weights)
            copied += sum(w.size for w in weights)
    assert copied == old.count_params()
    rng = np.random.default_rng(0)
    xs = []
    for t in old.inputs:
        shape = [2] + [seq_len if d is None else d for d in t.shape[1:]]
        boolean = keras.backend.standardize_dtype(t.dtype) == "bool"
        xs.append(rng.random(size=shape) > 0.3 if boolean else rng.normal(size=shape).astype("float32"))
    before, after = _outputs(old, xs), _outputs(new, xs)
    assert len(before) == len(after)
    for a, b in zip(before, after):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape
        assert np.allclose(a, b, atol=atol), float(np.max(np.abs(a - b)))
    return text, new


# --------------------------------------------------------------------------- expressions


def test_residual_sum_and_constant_product():
    x = keras.Input((6, 8), name="x")
    h = layers.Dense(8, activation="relu")(x) + x
    old = keras.Model(x, layers.Dense(3)(h * 0.5), name="residual")
    text, _ = _round_trip(old)
    assert "(x -> Dense(8, activation=\"relu\")) + x" in text
    assert " * 0.5" in text


def test_constant_on_the_left_negation_division_power():
    x = keras.Input((4,), name="x")
    y = keras.Input((4,), name="y")
    h = 3.0 - layers.Dense(4)(x)
    h = -(h / (y * y + 1.0)) ** 2
    old = keras.Model([x, y], h, name="arith")
    text, _ = _round_trip(old)
    assert "3.0 - " in text and "** 2" in text and "-(" in text


def test_hard_sigmoid_as_mobilenet_writes_it():
    x = keras.Input((8, 8, 3), name="x")
    h = layers.Conv2D(4, 3)(x)
    h = layers.ReLU(6.0)(h + 3.0) * (1.0 / 6.0)  # keras.applications.mobilenet_v3.hard_sigmoid
    old = keras.Model(x, h, name="hard_sigmoid")
    text, _ = _round_trip(old)
    assert "* (1 / 6)" in text


def test_ops_steps_mean_stack_expand_dims():
    x = keras.Input((6, 8), name="x")
    m = ops.mean(x, axis=1)
    s = ops.max(x, axis=1)
    stacked = ops.stack([m, s], axis=1)
    old = keras.Model(x, layers.Dense(2)(ops.expand_dims(layers.Flatten()(stacked), -1)), name="ops_steps")
    text, _ = _round_trip(old)
    assert "ops.mean(axis=1)" in text and "ops.max(axis=1)" in text
    assert "ops.stack(axis=1)" in text and "ops.expand_dims(axis=-1)" in text


def test_slicing():
    x = keras.Input((6, 8), name="x")
    first = x[:, 0]
    tail = x[..., 2:]
    every = layers.Dense(4)(x)[:, ::2]
    old = keras.Model(x, [first, tail, every[:, -1, None]], name="slices")
    text, _ = _round_trip(old)
    assert "x[:, 0]" in text and "x[..., 2:]" in text and "[:, ::2]" in text and "[:, -1, None]" in text


def test_repeated_residual_with_an_operator_is_a_block():
    x = keras.Input((8,), name="x")
    h = layers.Dense(8)(x)
    for _ in range(4):
        h = layers.Dense(8)(layers.Dense(8, activation="relu")(h)) * 0.5 + h
    old = keras.Model(x, h, name="residual_stack")
    text, _ = _round_trip(old)
    assert "\nblock " in text and "repeat 4 {" in text
    assert text.count("Dense(8, activation=\"relu\")") == 1


# Each catalogue op (and operator) as Keras code, with the spec text the import writes for it.
OP_CASES = {
    "reshape": (lambda x, y: ops.reshape(x, (-1, 48)), "x -> ops.reshape(newshape=(-1, 48))"),
    "transpose": (lambda x, y: ops.transpose(x, (0, 2, 1)), "x -> ops.transpose(axes=(0, 2, 1))"),
    "split": (lambda x, y: ops.split(x, 2, axis=1)[1], "x -> ops.split(indices_or_sections=2, axis=1)"),
    "concatenate": (lambda x, y: ops.concatenate([x, y], axis=-1), "(x, y) -> ops.concatenate(axis=-1)"),
    "einsum": (lambda x, y: ops.einsum("bij,bkj->bik", x, y), '(x, y) -> ops.einsum(subscripts="bij,bkj->bik")'),
    "matmul": (lambda x, y: x @ ops.transpose(y, (0, 2, 1)), "x @ (y -> ops.transpose(axes=(0, 2, 1)))"),
    "softmax": (lambda x, y: ops.softmax(x, axis=1), "x -> ops.softmax(axis=1)"),
    "norm": (lambda x, y: ops.norm(x, axis=-1), "x -> ops.norm(axis=-1)"),
    "normalize": (lambda x, y: ops.normalize(x, axis=-1), "x -> ops.normalize()"),
    "maximum": (lambda x, y: ops.maximum(x, y), "(x, y) -> ops.maximum()"),
    "clip": (lambda x, y: ops.clip(x, -0.5, 0.5), "x -> ops.clip(x_min=-0.5, x_max=0.5)"),
    "cast": (lambda x, y: ops.cast(ops.cast(x * 4, "int32"), "float32"),
             'x * 4 -> ops.cast(dtype="int32") -> ops.cast(dtype="float32")'),
    "sqrt_abs": (lambda x, y: ops.sqrt(ops.abs(x - y)), "x - y -> ops.abs() -> ops.sqrt()"),
    "activations": (lambda x, y: ops.gelu(ops.relu(x)) + ops.sigmoid(y) + ops.relu6(x) + ops.hard_silu(y)
                    + ops.silu(x) + ops.tanh(y) + ops.erf(x) + ops.hard_sigmoid(y),
                    "(x -> ops.relu() -> ops.gelu()) + (y -> ops.sigmoid()) + (x -> ops.relu6())"),
    "one_hot": (lambda x, y: ops.one_hot(ops.argmax(x, axis=-1), 8), "ops.argmax(axis=-1)"),
    "elementwise": (lambda x, y: ops.ones_like(x) + ops.zeros_like(y) + ops.square(x) + ops.exp(y)
                    + ops.log(ops.abs(x) + 1), "((x -> ops.abs()) + 1 -> ops.log())"),
    "squeeze": (lambda x, y: ops.squeeze(ops.expand_dims(x, 1), axis=1),
                "x -> ops.expand_dims(axis=1) -> ops.squeeze(axis=1)"),
    "reductions": (lambda x, y: ops.min(x, axis=1) + ops.sum(y, axis=(1, 2))[:, None] + ops.mean(x, axis=(1, 2))[:, None],
                   "(x -> ops.min(axis=1)) + (y -> ops.sum(axis=(1, 2)))[:, None]"),
    "floordiv_mod_pow": (lambda x, y: (x // 0.3) + (x % 0.3) + ops.abs(y) ** 0.5,
                         "x // 0.3 + x % 0.3 + (y -> ops.abs()) ** 0.5"),
    "divide": (lambda x, y: x / (ops.abs(y) + 1.0), "x / ((y -> ops.abs()) + 1.0)"),
}


@pytest.mark.parametrize("case", sorted(OP_CASES))
def test_catalogue_op(case):
    build, expected = OP_CASES[case]
    x = keras.Input((6, 8), name="x")
    y = keras.Input((6, 8), name="y")
    text, _ = _round_trip(keras.Model([x, y], build(x, y), name=case))
    assert expected in text


def test_shared_operand_is_named_once():
    x = keras.Input((5,), name="x")
    h = layers.Dense(5)(x)
    old = keras.Model(x, h * h - h, name="square_minus")
    text, _ = _round_trip(old)
    assert text.count("Dense(5)") == 1


# --------------------------------------------------------------------------- call-time arguments


def test_seq2seq_with_initial_state():
    enc_in = keras.Input((5, 3), name="encoder_input")
    dec_in = keras.Input((4, 2), name="decoder_input")
    _, h, c = layers.LSTM(8, return_state=True, name="encoder")(enc_in)
    d = layers.LSTM(8, return_sequences=True, name="decoder")(dec_in, initial_state=[h, c])
    old = keras.Model([enc_in, dec_in], layers.Dense(3, name="dense")(d), name="seq2seq")
    text, _ = _round_trip(old)
    assert "(initial_state=(encoder_1, encoder_2))" in text
    doc = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")
    example = re.search(r"```gspec\n(model seq2seq \{.*?\n\})\n```", doc, re.S).group(1)
    assert example in text  # docs/import.md shows the importer's exact output


def test_explicit_mask_and_one_state():
    x = keras.Input((5, 3), name="x")
    mask = keras.Input((5,), name="mask", dtype="bool")
    h0 = keras.Input((4,), name="h0")
    seq = layers.GRU(4, return_sequences=True)(x, mask=mask, initial_state=h0)
    old = keras.Model([x, mask, h0], layers.Bidirectional(layers.LSTM(4))(seq), name="masked")
    text, _ = _round_trip(old)
    assert "GRU(4, return_sequences=True)(mask=mask, initial_state=h0)" in text


def test_attention_causal_mask_and_scores():
    x = keras.Input((6, 8), name="x")
    q = layers.Dense(8)(x)
    att, scores = layers.MultiHeadAttention(2, 4)(q, x, use_causal_mask=True, return_attention_scores=True)
    old = keras.Model(x, [layers.Dense(2)(att), scores], name="causal")
    text, _ = _round_trip(old)
    assert "(use_causal_mask=True, return_attention_scores=True)" in text


def test_training_flag_is_kept():
    x = keras.Input((4,), name="x")
    old = keras.Model(x, layers.Dense(2)(layers.Dropout(0.5)(x, training=True)), name="mc_dropout")
    text = from_keras(old)
    assert "Dropout(0.5)(training=True)" in text
    new = graphspec.loads(text).to_keras()
    assert new.count_params() == old.count_params()
    dropout = next(layer for layer in new.layers if isinstance(layer, layers.Dropout))
    assert dropout._inbound_nodes[0].arguments.kwargs.get("training") is True


# --------------------------------------------------------------------------- what still cannot


def test_op_outside_the_catalogue_is_named():
    x = keras.Input((4,), name="x")
    old = keras.Model(x, ops.cumsum(x, axis=1), name="cumulative")
    with pytest.raises(KerasImportError) as info:
        from_keras(old)
    (problem,) = info.value.problems
    assert problem.cls == "Cumsum" and "ops catalogue" in problem.reason


def test_tensor_index_is_refused():
    x = keras.Input((4,), name="x")
    old = keras.Model(x, x * np.ones((4,), "float32"), name="array_operand")
    with pytest.raises(KerasImportError) as info:
        from_keras(old)
    assert "neither a tensor of the model nor a number" in info.value.problems[0].reason


# --------------------------------------------------------------------------- keras.applications

# The models that needed ops or the applications' own layers, at the smallest input they take,
# with the line budget of their imported spec (measured: 138, 211, 91, 91, 315 lines).
APPLICATIONS = {
    "MobileNetV3Small": (dict(input_shape=(32, 32, 3), minimalistic=False), 160),
    "MobileNetV3Large": (dict(input_shape=(32, 32, 3), minimalistic=False), 240),
    "ConvNeXtTiny": (dict(input_shape=(32, 32, 3)), 110),
    "ConvNeXtSmall": (dict(input_shape=(32, 32, 3)), 110),
    "InceptionResNetV2": (dict(input_shape=(75, 75, 3)), 340),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(APPLICATIONS))
def test_application_round_trip(name):
    kwargs, budget = APPLICATIONS[name]
    old = getattr(keras.applications, name)(weights=None, **kwargs)
    try:
        text, new = _round_trip(old, atol=1e-4)
        assert new.output_names == old.output_names
        assert len(text.splitlines()) <= budget
        assert "\nblock " in text  # residual units (ops included) are blocks
    finally:
        del old
        keras.backend.clear_session()
        gc.collect()


# --------------------------------------------------------------------------- a saved .keras file


def test_saved_keras_file_with_ops_and_application_layer(tmp_path):
    from keras.src.applications.convnext import LayerScale

    x = keras.Input((6, 8), name="x")
    h = LayerScale(1e-6, 8)(layers.Dense(8)(x)) + x
    old = keras.Model(x, ops.mean(h, axis=1)[:, :3] * 0.5, name="saved")
    path = tmp_path / "saved.keras"
    old.save(path)
    proc = run_cli("import", str(path), "-o", "-", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "LayerScale(1e-06, 8)" in proc.stdout and "ops.mean(axis=1)" in proc.stdout
    assert "[:, :3] * 0.5" in proc.stdout
    new = graphspec.loads(proc.stdout).to_keras()
    assert new.count_params() == old.count_params()


def test_comparison_and_tensor_operand_listed_together():
    x = keras.Input((4,), name="x")
    h = ops.cast(x > 0.0, "float32")  # Greater: not in the ops catalogue
    old = keras.Model(x, ops.cumsum(h, axis=1) + x * np.ones((4,), "float32"), name="two_problems")
    with pytest.raises(KerasImportError) as info:
        from_keras(old)
    classes = sorted(p.cls for p in info.value.problems)
    assert classes == ["Cumsum", "Greater", "Multiply"], classes
