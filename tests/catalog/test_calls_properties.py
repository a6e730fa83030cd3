"""apply_call on odd call arguments, configs and shapes raises only ShapeError or ArgError."""

from hypothesis import given, settings
from hypothesis import strategies as st

from graphspec.catalog import calls
from graphspec.catalog.base import ArgError, CallValue, ShapeError

LAYERS = ["LSTM", "GRU", "SimpleRNN", "ConvLSTM2D", "Bidirectional", "MultiHeadAttention", "GroupQueryAttention",
          "Attention", "AdditiveAttention", "Dropout", "BatchNormalization", "Dense", "NoSuchLayer"]
DIMS = st.one_of(st.none(), st.integers(-2, 9), st.just(2**62))
SHAPES = st.lists(DIMS, max_size=5).map(tuple)
ODD = st.one_of(st.none(), st.booleans(), st.integers(-5, 10), st.text(max_size=3), SHAPES,
                st.lists(SHAPES, max_size=5), st.lists(st.one_of(SHAPES, st.integers()), max_size=3))
NAMES = st.sampled_from(["initial_state", "mask", "training", "attention_mask", "query_mask", "value_mask",
                         "key_mask", "value", "key", "return_attention_scores", "use_causal_mask", "units", "bogus"])
CONFIG_VALUES = st.one_of(st.none(), st.integers(-3, 16), st.text(max_size=3), st.lists(st.integers(-3, 3), max_size=3).map(tuple),
                          st.builds(lambda n, u: CallValue(n, config={"units": u}), st.sampled_from(["LSTM", "GRU", "Dense"]),
                                    st.one_of(st.integers(-1, 9), st.none(), st.text(max_size=2))))
CONFIG = st.dictionaries(st.sampled_from(["units", "num_heads", "num_query_heads", "attention_axes", "layer",
                                          "backward_layer", "return_sequences"]), CONFIG_VALUES, max_size=4)


@settings(max_examples=700, deadline=None)
@given(layer=st.sampled_from(LAYERS), config=CONFIG, inputs=st.lists(SHAPES, max_size=3),
       outputs=st.lists(SHAPES, max_size=2), args=st.dictionaries(NAMES, ODD, max_size=4))
def test_odd_call_arguments_raise_only_diagnostics(layer, config, inputs, outputs, args):
    try:
        out = calls.apply_call(layer, config, inputs, outputs, args)
    except (ShapeError, ArgError) as err:
        assert err.message and err.code.startswith("E")
        return
    assert isinstance(out, list) and len(out) >= len(outputs)
