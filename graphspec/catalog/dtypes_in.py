"""Which input dtypes a layer takes when data flows (no Keras import).

Keras builds most layers on a symbolic input of any dtype, and fails only when data is fed: a
string tensor into Dense, integers into Conv2D (TensorFlow has no integer convolution), numbers
into StringLookup. The table below records, per layer, the dtype kinds that fail at predict time
with Keras 3.15.1 (TensorFlow backend), measured by tests/catalog/test_input_dtypes.py, which
re-measures every row against Keras. A layer not in the table is never reported.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, FrozenSet, Optional, Sequence, Tuple

FLOAT, INT, BOOL, STRING = "float", "int", "bool", "string"


def kind(dtype: str) -> str:
    """The kind of a spec dtype: float32 -> "float", uint8 -> "int", string, bool."""
    if dtype in ("string", "bool"):
        return dtype
    return INT if dtype.startswith(("int", "uint")) else FLOAT


_NUMERIC_ONLY = frozenset({STRING})  # numbers and booleans are cast, strings are not
_FLOAT_ONLY = frozenset({INT, BOOL, STRING})  # TensorFlow kernels with no integer version
_NO_BOOL_STRING = frozenset({BOOL, STRING})
_STRING_ONLY = frozenset({FLOAT, INT, BOOL})

_FAMILIES: Dict[FrozenSet[str], Tuple[str, ...]] = {
    _FLOAT_ONLY: (
        "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
        "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
        "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
        "MaxPooling3D", "ELU", "PReLU", "ReLU", "Softmax", "UnitNormalization", "STFTSpectrogram",
        "RandomContrast", "RandomSaturation",
    ),
    _NO_BOOL_STRING: ("Activation", "ActivityRegularization", "LeakyReLU", "MaxPooling1D", "MaxPooling2D",
                      "RandomBrightness"),
    _NUMERIC_ONLY: (
        "Dense", "EinsumDense", "Embedding", "ReversibleEmbedding", "GRU", "LSTM", "SimpleRNN", "Bidirectional",
        "TimeDistributed", "SpectralNormalization", "LayerNormalization", "RMSNormalization", "BatchNormalization",
        "Masking", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
        "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "Normalization", "Discretization",
        "MelSpectrogram", "IntegerLookup", "CategoryEncoding", "AugMix", "AutoContrast", "CenterCrop",
        "ContrastLimitedAdaptiveHistogramEqualization", "CutMix", "MixUp", "RandAugment", "RandomColorDegeneration",
        "RandomColorJitter", "RandomCrop", "RandomElasticTransform", "RandomErasing", "RandomFlip",
        "RandomGaussianBlur", "RandomGrayscale", "RandomHue", "RandomInvert", "RandomPerspective",
        "RandomPosterization", "RandomRotation", "RandomSharpness", "RandomShear", "RandomTranslation", "RandomZoom",
        "Rescaling", "Solarization",
    ),
    _STRING_ONLY: ("StringLookup", "TextVectorization"),
}
REJECTED: Dict[str, FrozenSet[str]] = {layer: kinds for kinds, layers in _FAMILIES.items() for layer in layers}

# The lookup a token kind belongs to: integer tokens go through IntegerLookup, strings through StringLookup.
_FIX = {
    (STRING, "IntegerLookup"): "integer tokens go through IntegerLookup; for string tokens use "
                               "`StringLookup(vocabulary=[...])`",
    (INT, "StringLookup"): "StringLookup maps strings; for integer tokens use `IntegerLookup(vocabulary=[...])`",
    (FLOAT, "StringLookup"): "StringLookup maps strings; for numbers use `IntegerLookup` or `Discretization`",
}


def _help(layer: str, got: str, dtype: str) -> str:
    special = _FIX.get((got, layer))
    if special:
        return special
    if got == STRING:
        return (f"turn the strings into numbers first, e.g. a `StringLookup(vocabulary=[...])` or "
                f"`TextVectorization(...)` step before `{layer}`, or declare the input with a numeric dtype")
    if layer in _FAMILIES[_STRING_ONLY]:
        return f"`{layer}` takes strings: declare the input as `string`"
    return (f"declare the input as `float32` (and feed floats), or put a cast first: Keras does not convert "
            f"{dtype} data for `{layer}`")


def input_dtype_problem(layer: str, config: dict, dtypes: Sequence[str]) -> Optional[Tuple[str, str]]:
    """(message, help) when layer `layer` cannot take inputs of these dtypes when data flows, else None.

    The checker reports it under its own code (an E4xx "input dtype the layer cannot take", added to
    graphspec/diagnostics/codes.py with its golden when the call is wired into passes/expand.py)."""
    rejected = REJECTED.get(layer)
    if not rejected:
        return None
    for dtype in dtypes:
        got = kind(dtype)
        if got in rejected:
            accepted = sorted({FLOAT, INT, BOOL, STRING} - rejected)
            message = (f"{layer} cannot take a {dtype} input: Keras builds the layer but fails when data flows; "
                       f"it takes {' or '.join(accepted)} inputs")
            return message, _help(layer, got, dtype)
    return None


def compute_dtype(policy) -> Optional[str]:
    """The dtype a layer computes in under a `dtype=` policy name: "mixed_float16" -> "float16",
    "int8_from_mixed_bfloat16" -> "bfloat16" (a quantized policy computes in its source policy's dtype);
    None for no policy."""
    if not isinstance(policy, str):
        return None
    if "_from_" in policy:
        policy = policy.split("_from_", 1)[1]
    return policy[len("mixed_"):] if policy.startswith("mixed_") else policy
