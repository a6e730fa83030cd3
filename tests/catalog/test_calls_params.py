"""Call-time parameters come from Keras's captured `call` signatures; misuse gets a precise message."""

import pytest

from graphspec.catalog import calls
from graphspec.catalog.base import ArgError, ShapeError


def test_call_params_follow_the_captured_call_signatures():
    assert {n: p.kind for n, p in calls.call_params("LSTM").items()} == {
        "initial_state": "tensors", "mask": "tensor", "training": "flag"}
    mha = calls.call_params("MultiHeadAttention")
    assert "query" not in mha and mha["value"].kind == mha["key"].kind == "tensor"
    assert mha["return_attention_scores"].kind == mha["use_causal_mask"].kind == "flag"
    assert mha["attention_mask"].kind == "tensor" and mha["return_attention_scores"].default is False
    att = calls.call_params("Attention")
    assert att["mask"].kind == "tensors" and att["value"].kind == "tensor" and att["key"].kind == "tensor"
    assert set(calls.call_params("GroupQueryAttention")) == set(mha)
    assert list(calls.call_params("Dropout")) == ["training"]
    assert calls.call_params("Dense") == {"training": calls.CallParam("training", "flag", None)}
    assert calls.call_params("NoSuchLayer") == {} and calls.call_params(3) == {}
    assert calls.keras_version().startswith("3.")


def test_constructor_argument_given_at_call_time_says_so():
    with pytest.raises(ArgError) as info:
        calls.apply_call("MultiHeadAttention", {}, [(None, 4, 6)], [(None, 4, 6)], {"attention_axes": (1,)})
    assert "constructor argument" in info.value.message and info.value.code == "E301"
    assert "MultiHeadAttention(..., attention_axes=...)" in info.value.help


def test_misspelt_call_argument_gets_did_you_mean():
    with pytest.raises(ArgError) as info:
        calls.apply_call("LSTM", {"units": 8}, [(None, 5, 3)], [(None, 8)], {"inital_state": [(None, 8)]})
    assert info.value.help == "did you mean `initial_state`?"


def test_wrong_kinds():
    with pytest.raises(ArgError):
        calls.apply_call("Dropout", {"rate": 0.5}, [(None, 3)], [(None, 3)], {"training": "yes"})
    with pytest.raises(ArgError):
        calls.apply_call("LSTM", {"units": 8}, [(None, 5, 3)], [(None, 8)], {"mask": 3})


def test_state_message_shows_shapes_and_fix():
    with pytest.raises(ShapeError) as info:
        calls.apply_call("LSTM", {"units": 8}, [(None, 5, 3)], [(None, 8)], {"initial_state": [(None, 7), (None, 8)]})
    assert "(None, 7)" in info.value.message and "(None, 8)" in info.value.message
    with pytest.raises(ShapeError) as info:
        calls.apply_call("LSTM", {"units": 8}, [(None, 5, 3)], [(None, 8)], {"initial_state": (None, 8)})
    assert "2 initial state" in info.value.message and "initial_state=(h, c)" in info.value.help


def test_scores_are_added_as_an_output():
    out = calls.apply_call("MultiHeadAttention", {"num_heads": 2, "attention_axes": None}, [(None, 4, 6)],
                           [(None, 4, 6)], {"value": (None, 7, 6), "return_attention_scores": True})
    assert out == [(None, 4, 6), (None, 2, 4, 7)]
    assert calls.attention_inputs("MultiHeadAttention", [(None, 4, 6)], {"value": (None, 7, 6)}) == [
        (None, 4, 6), (None, 7, 6)]


def test_application_layers_are_recorded():
    assert calls.application_layers() == {
        "CustomScaleLayer": "keras.src.applications.inception_resnet_v2",
        "LayerScale": "keras.src.applications.convnext",
        "StochasticDepth": "keras.src.applications.convnext"}


def test_application_signatures_in_the_layers_format():
    sigs = calls.application_signatures()
    assert [p["name"] for p in sigs["LayerScale"]["params"]] == ["init_values", "projection_dim"]
    assert sigs["CustomScaleLayer"]["var_kwargs"] is True and sigs["StochasticDepth"]["aliases"] == []
