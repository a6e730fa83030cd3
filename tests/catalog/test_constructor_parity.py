"""Constructor parity with Keras (issue 11): what Keras's constructors refuse is refused statically, at the
argument, with the reason and a fix; what they accept (through **kwargs and base classes too) is accepted.
The differential harness (test_keras_layer_cases.py) compares the same cases with Keras itself."""

from __future__ import annotations

import pytest

import graphspec

REFUSED = [
    # (input shape, step, the argument blamed, words of the reason)
    ("(8, 9, 5)", "Cropping2D(cropping=(1,))", "cropping", "2 entries"),
    ("(4, 4, 4, 2)", "Cropping3D(cropping=(1,))", "cropping", "3 entries"),
    ("(8, 3)", "Cropping1D(cropping=(1,))", "cropping", "one axis"),
    ("(8, 3)", "ZeroPadding1D((1,))", "(1,)", "one axis"),
    ("(8, 8, 3)", "Cropping2D(cropping=((1, 2), (3, 4, 5)))", "cropping", "(before, after)"),
    ("(4,)", "ReLU(max_value=-10)", "max_value", ">= 0"),
    ("(4,)", 'Dropout(0.5, noise_shape="Invalid")', "noise_shape", "tuple"),
    ("(4,)", "Dropout(0.5, noise_shape=(None, 0))", "noise_shape", "positive"),
    ("(1,) string", 'Hashing(num_bins=2, salt="string")', "salt", "pair of two integers"),
    ("(1,) int64", 'IntegerLookup(vocabulary_dtype="int32")', "vocabulary_dtype", "int64"),
    ("(4, 8)", "MultiHeadAttention(num_heads=2, key_dim=4, sliding_window=0)", "sliding_window", "positive"),
    ("(1000, 1)", 'STFTSpectrogram(scaling="l2")', "scaling", '"density", "spectrum"'),
    ("(4,)", "SpectralNormalization(Dense(2), power_iterations=0)", "power_iterations", "positive"),
    ("(4,)", 'BatchNormalization(renorm=True, renorm_clipping={"random_key": 1.0})', "renorm_clipping", "rmax"),
    ("(4, 8)", 'Attention(score_mode="invalid_mode")', "score_mode", '"dot", "concat"'),
    ("(8, 8, 3)", "RandomTranslation(height_factor=[0.1, 0.2, 0.3], width_factor=0.1)", "height_factor", "pair"),
    ("(8, 8, 3)", "RandomGrayscale(factor=-0.1)", "factor", "[0, 1]"),
    ("(1,) string", 'TextVectorization(ngrams="invalid")', "ngrams", "tuple of integers"),
    ("(4, 8)", "MultiHeadAttention(num_heads=2, key_dim=16, output_shape=8.0)", "output_shape", "integer"),
]

ACCEPTED = [
    ("(4,)", 'Dense(2, dtype="int8_from_mixed_bfloat16")'),
    ("(4,)", 'Dense(2, dtype="int4_from_mixed_bfloat16")'),
    ("(4,)", 'Embedding(10, 2, dtype="float8_from_mixed_bfloat16")'),
    ("(4,)", "Dense(2, lora_rank=2)"),
    ("(8, 8, 3)", "Conv2D(2, 3, lora_rank=2)"),
    ("(4,)", "LayerNormalization(rms_scaling=True)"),
    ("(8, 8, 3)", 'RandomContrast(0.2, data_format="channels_last")'),
    ("(8, 8, 3)", 'RandomBrightness(0.2, data_format="channels_last")'),
    ("(4,)", "LeakyReLU(alpha=0.2)"),
]


def _spec(shape: str, step: str) -> str:
    if step.startswith(("MultiHeadAttention", "Attention")):
        source = "(x, x)"
    else:
        source = "x"
    return f"model m {{\n    input x: {shape}\n    output y = {source} -> {step}\n}}\n"


@pytest.mark.parametrize("shape, step, param, reason", REFUSED, ids=[r[1] for r in REFUSED])
def test_keras_constructor_errors_are_raised_at_the_argument(shape, step, param, reason):
    text = _spec(shape, step)
    with pytest.raises(graphspec.SpecError) as info:
        graphspec.loads(text)
    errors = [d for d in info.value.diagnostics if d.is_error]
    assert [d.code for d in errors] in (["E302"], ["E305"]), [(d.code, d.message) for d in errors]
    d = errors[0]
    assert reason in d.message + (d.help or ""), (d.message, d.help)
    assert d.help, d.message
    line = text.splitlines()[d.span.line - 1]
    at = d.span.col - 1  # located at the argument's value (`param=` before it), or at a positional value
    assert line[:at].endswith(f"{param}=") or line[at:].startswith(param), (line, d.span)


@pytest.mark.parametrize("shape, step", ACCEPTED, ids=[a[1] for a in ACCEPTED])
def test_arguments_keras_takes_through_kwargs_are_accepted(shape, step):
    graphspec.loads(_spec(shape, step))
