"""Differential tests of the rules of the layer families added for the whole Keras catalogue
(adaptive pooling, ConvLSTM, EinsumDense & co., preprocessing, image augmentation) against
real Keras, in the style of test_shape_rules.py:

* Keras raises  <=>  the rule raises `ShapeError` (or `validate` an `ArgError`);
* otherwise the output shape(s) are equal, None where Keras leaves a dim unknown;
* the (trainable, non_trainable) counts equal the sizes of the built layer's weights.

Inputs may be strings or integers (lookups, hashing). Where a rule is stricter than
Keras's symbolic build, the case is listed as a gap and verified: the Keras model
fails when run on data (in inference or in training), returns another shape than
its symbolic one, or crashes the process (checked in a subprocess).
"""

from __future__ import annotations

import importlib.util
import itertools
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import pytest

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.filterwarnings("ignore")

import test_shape_rules as base  # noqa: E402  (the helpers of the original harness)
from graphspec.catalog import registry, signatures  # noqa: E402
from graphspec.catalog.base import LIST, SINGLE, ArgError, CallValue, ShapeError  # noqa: E402

N = None
Sub = base.Sub
S, I = "string", "int64"  # input dtypes


# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    layer: str
    kwargs: Dict[str, Any]
    shapes: List[tuple]
    dtypes: List[Optional[str]] = field(default_factory=list)

    def dtype(self, i: int) -> Optional[str]:
        return self.dtypes[i] if i < len(self.dtypes) else (self.dtypes[-1] if self.dtypes else None)

    def __str__(self) -> str:
        args = ", ".join(f"{k}={base._show(v)}" for k, v in self.kwargs.items())
        dt = f" [{', '.join(map(str, self.dtypes))}]" if self.dtypes else ""
        return f"{self.layer}({args}) on {', '.join(map(str, self.shapes))}{dt}"


CASES: Dict[str, List[Case]] = {}


def add(layer: str, configs, inputs, dtypes=()):
    for cfg, inp in itertools.product(configs, inputs):
        shapes = list(inp) if isinstance(inp, list) else [inp]
        CASES.setdefault(layer, []).append(Case(layer, dict(cfg), shapes, list(dtypes)))


# --------------------------------------------------------------------------- config values


def to_call_value(v):
    """Like the production binder: a layer argument carries its config; list items (Pipeline) do not."""
    if isinstance(v, Sub):
        return base.to_call_value(v)
    if isinstance(v, list):
        return [_unbound(x) for x in v]
    return v


def _unbound(v):
    """A call inside a list value, as the evaluator gives it: arguments as written, no config."""
    if isinstance(v, Sub):
        return CallValue(v.name, (), tuple((k, _unbound(x)) for k, x in v.kwargs), None)
    return v


def to_keras(v):
    if isinstance(v, list):
        return [to_keras(x) for x in v]
    return base.to_keras(v)


def full_config(name: str, kwargs: dict) -> dict:
    config = base.full_config(name, {})
    config.update({k: to_call_value(v) for k, v in kwargs.items()})
    return config


# --------------------------------------------------------------------------- grids

# adaptive pooling
ADA = {
    1: [(N, 10, 3), (N, N, 3), (N, 7, N), (N, 3, 10), (N, 2, 3), (N, 1, 3), (N, 10), (N, 4, 4, 3), (2, 10, 3)],
    2: [(N, 8, 8, 3), (N, N, N, 3), (N, 9, 7, N), (N, 3, 8, 8), (N, 2, 2, 3), (N, 1, 5, 2), (N, 8, 3),
        (N, 4, 8, 8, 3), (2, 8, 8, 3)],
    3: [(N, 6, 6, 6, 2), (N, N, 6, N, 2), (N, 2, 6, 6, 6), (N, 2, 2, 2, 1), (N, 6, 6, 2), (N, 2, 6, 6, 6, 1)],
}
for kind in ("Average", "Max"):
    for sp, shapes in ADA.items():
        add(f"Adaptive{kind}Pooling{sp}D",
            [dict(output_size=3), dict(output_size=(2,) * sp), dict(output_size=1),
             dict(output_size=(3,) + (2,) * (sp - 1), data_format="channels_first")], shapes)

# ConvLSTM
CONV_LSTM = {
    1: [(N, 4, 8, 3), (N, N, 8, 3), (N, 4, N, 3), (N, 4, 8, N), (N, 4, 3, 8), (N, 8, 3), (2, 4, 8, 3), (N, 4, 2, 3)],
    2: [(N, 3, 6, 6, 2), (N, N, 6, 6, 2), (N, 3, N, 6, 2), (N, 3, 6, 6, N), (N, 3, 2, 6, 6), (N, 6, 6, 2),
        (2, 3, 6, 6, 2), (N, 3, 2, 2, 2)],
    3: [(N, 2, 4, 4, 4, 1), (N, N, 4, 4, 4, 1), (N, 2, 4, N, 4, 1), (N, 2, 1, 4, 4, 4), (N, 4, 4, 4, 1)],
}
for sp, shapes in CONV_LSTM.items():
    add(f"ConvLSTM{sp}D",
        [dict(filters=2, kernel_size=3), dict(filters=2, kernel_size=3, return_sequences=True),
         dict(filters=2, kernel_size=3, return_state=True, return_sequences=True),
         dict(filters=3, kernel_size=2, strides=2, padding="same", use_bias=False),
         dict(filters=2, kernel_size=2, dilation_rate=2), dict(filters=2, kernel_size=3, data_format="channels_first"),
         dict(filters=2, kernel_size=3, stateful=True), dict(filters=2, kernel_size=1, trainable=False)], shapes)

# EinsumDense
add("EinsumDense",
    [dict(equation="ab,bc->ac", output_shape=4), dict(equation="ab,bc->ac", output_shape=(4,), bias_axes="c"),
     dict(equation="abc,cd->abd", output_shape=(None, 4)), dict(equation="abc,cd->abd", output_shape=(5, 4), bias_axes="d"),
     dict(equation="abc,cde->abde", output_shape=(None, 2, 4), bias_axes="de"),
     dict(equation="...b,bc->...c", output_shape=4, bias_axes="c"), dict(equation="ab...,bc->ac...", output_shape=4),
     dict(equation="abc,bcd->ad", output_shape=4), dict(equation="abc,cd->abd", output_shape=(-1, 4)),
     dict(equation="ab,bc->ac", output_shape=4, lora_rank=2), dict(equation="abc,cd->abd", output_shape=(None, 4), bias_axes="b"),
     dict(equation="abcd,cde->abe", output_shape=(None, 4)), dict(equation="abc,cd->abd", output_shape=(None, None)),
     dict(equation="abc,cd->abd", output_shape=(None, 4), trainable=False), dict(equation="ab,bc->ac", output_shape=4, bias_axes="b")],
    [(N, 8), (N, 5, 8), (N, N, 8), (N, 5, N), (N, 2, 5, 8), (N, 3, 3, 8), (N, N, N, 8), (N, N), (3, 8)])

# ReversibleEmbedding
add("ReversibleEmbedding",
    [dict(input_dim=10, output_dim=4), dict(input_dim=10, output_dim=4, tie_weights=False),
     dict(input_dim=20, output_dim=3, mask_zero=True, logit_soft_cap=30.0), dict(input_dim=5, output_dim=2, trainable=False)],
    [(N,), (N, 8), (N, N), (N, 3, 4), (3, 2)])

# GroupQueryAttention
add("GroupQueryAttention",
    [dict(head_dim=4, num_query_heads=4, num_key_value_heads=2), dict(head_dim=4, num_query_heads=2, num_key_value_heads=2, use_bias=False),
     dict(head_dim=3, num_query_heads=4, num_key_value_heads=1, use_gate=True), dict(head_dim=2, num_query_heads=2, num_key_value_heads=1, dropout=0.1),
     dict(head_dim=4, num_query_heads=2, num_key_value_heads=1, trainable=False)],
    [[(N, 5, 8), (N, 7, 8)], [(N, 5, 8), (N, 7, 6)], [(N, 5, 8), (N, 7, 8), (N, 7, 3)], [(N, 5, 8), (N, 7, 8), (N, 6, 8)],
     [(N, N, 8), (N, N, 8)], [(N, 5, N), (N, 7, N)], [(N, 8), (N, 8)], [(N, 2, 5, 8), (N, 2, 7, 8)],
     [(N, 5, 8), (N, 7, 8), (N, 7, N)], [(N, 5, 8), (N, N, 8), (N, 7, 8)], [(N, 5, 8), (N, 2, 7, 8)], [(2, 5, 8), (2, 7, 8)]])

# SpectralNormalization
add("SpectralNormalization",
    [dict(layer=Sub.of("Dense", units=4)), dict(layer=Sub.of("Dense", units=4, lora_rank=2)),
     dict(layer=Sub.of("Dense", units=3), power_iterations=2, trainable=False), dict(layer=Sub.of("Embedding", input_dim=10, output_dim=4)),
     dict(layer=Sub.of("EinsumDense", equation="...b,bc->...c", output_shape=4)), dict(layer=Sub.of("LSTM", units=4)),
     dict(layer=Sub.of("Dropout", rate=0.1))],
    [(N, 8), (N, 5, 8), (N, N), (N, 2, 3, 4), (N,)])
add("SpectralNormalization",
    [dict(layer=Sub.of("Conv2D", filters=4, kernel_size=3)), dict(layer=Sub.of("Conv2DTranspose", filters=4, kernel_size=3)),
     dict(layer=Sub.of("DepthwiseConv2D", kernel_size=3, depth_multiplier=2)), dict(layer=Sub.of("SeparableConv2D", filters=4, kernel_size=3)),
     dict(layer=Sub.of("BatchNormalization")), dict(layer=Sub.of("Conv1D", filters=2, kernel_size=2))],
    [(N, 8, 8, 3), (N, 8, 8, N), (N, N, N, 3), (N, 2, 2, 3), (N, 8, 3)])

# Pipeline
add("Pipeline",
    [dict(layers=[Sub.of("Dense", units=4), Sub.of("Dense", units=2)]),
     dict(layers=[Sub.of("RandomFlip"), Sub.of("RandomRotation", factor=0.1)]),
     dict(layers=[Sub.of("Resizing", height=4, width=4), Sub.of("CenterCrop", height=2, width=2)]),
     dict(layers=[Sub.of("Conv2D", filters=4, kernel_size=3), Sub.of("Flatten"), Sub.of("Dense", units=2, trainable=False)]),
     dict(layers=[Sub.of("LSTM", units=3, return_state=True)]), dict(layers=[]),
     dict(layers=[Sub.of("Bidirectional", layer=Sub.of("GRU", units=2, return_sequences=True)), Sub.of("GlobalAveragePooling1D")])],
    [(N, 8), (N, 8, 8, 3), (N, N, N, 3), (N, 8, 3), (N, N)])

# preprocessing: lookups, encodings, hashing
ENC_SHAPES = [(N,), (N, 1), (N, 3), (N, N), (N, 2, 3), (N, 2, 1), (4, 3)]
V = ["a", "b", "c"]
add("StringLookup",
    [dict(vocabulary=V), dict(vocabulary=V, output_mode="one_hot"), dict(vocabulary=V, output_mode="multi_hot"),
     dict(vocabulary=V, output_mode="count", num_oov_indices=2, mask_token=""),
     dict(vocabulary=["[UNK]"] + V, output_mode="multi_hot"), dict(vocabulary=V, output_mode="tf_idf", idf_weights=[1.0, 2.0, 3.0]),
     dict(), dict(output_mode="one_hot"), dict(max_tokens=10, output_mode="multi_hot", pad_to_max_tokens=True),
     dict(vocabulary=V, mask_token="", num_oov_indices=0), dict(vocabulary=V, max_tokens=8, pad_to_max_tokens=True, output_mode="count")],
    ENC_SHAPES, [S])
add("StringLookup", [dict(vocabulary=V, invert=True)], [(N, 3), (N,)], [I])
add("IntegerLookup",
    [dict(vocabulary=[1, 2, 3]), dict(vocabulary=[1, 2, 3], output_mode="one_hot"), dict(vocabulary=[1, 2, 3], output_mode="multi_hot"),
     dict(vocabulary=[-1, 4, 5], output_mode="count"), dict(vocabulary=[7, 8], mask_token=0, output_mode="multi_hot", num_oov_indices=3),
     dict(output_mode="multi_hot"), dict(max_tokens=6, output_mode="one_hot", pad_to_max_tokens=True)],
    ENC_SHAPES, [I])
add("CategoryEncoding", [dict(num_tokens=5), dict(num_tokens=5, output_mode="one_hot"), dict(num_tokens=4, output_mode="count")],
    ENC_SHAPES, ["int32"])
add("Hashing", [dict(num_bins=5), dict(num_bins=5, output_mode="one_hot"), dict(num_bins=3, output_mode="multi_hot", salt=7),
                dict(num_bins=4, output_mode="count", mask_value="")], ENC_SHAPES, [S])
add("Hashing", [dict(num_bins=5), dict(num_bins=5, output_mode="one_hot")], [(N, 3), (N,)], [I])
add("Discretization",
    [dict(bin_boundaries=[0.0, 1.0, 2.0]), dict(num_bins=4), dict(bin_boundaries=[0.0, 1.0], output_mode="one_hot"),
     dict(bin_boundaries=[0.0, 1.0], output_mode="multi_hot"), dict(bin_boundaries=[0.5], output_mode="count"),
     dict(num_bins=5, output_mode="one_hot")],
    ENC_SHAPES)
add("HashedCrossing", [dict(num_bins=5), dict(num_bins=5, output_mode="one_hot")],
    [[(N,), (N,)], [(N, 1), (N, 1)], [(N, 3), (N, 3)], [(N, 2), (N, 3)], [(N, N), (N, 3)], [(N, 2, 1), (N, 2, 1)],
     [(N, 1), (N, 2, 1)], [(4, 1), (4, 1)]], [S, I])
add("TextVectorization",
    [dict(max_tokens=20, output_sequence_length=6), dict(max_tokens=20), dict(vocabulary=["a", "b"]),
     dict(max_tokens=20, output_mode="multi_hot"), dict(vocabulary=["a", "b"], output_mode="count"),
     dict(max_tokens=20, output_mode="multi_hot", pad_to_max_tokens=True),
     dict(vocabulary=["a", "b"], output_mode="tf_idf", idf_weights=[1.0, 1.0]), dict(max_tokens=20, split=None, output_mode="count"),
     dict(max_tokens=20, ngrams=2, output_sequence_length=4), dict(vocabulary=["[UNK]", "a", "b"], output_mode="multi_hot")],
    [(N,), (N, 1), (N, 3), (N, 2, 1), (3, 1)], [S])

# preprocessing: numbers and audio
add("Normalization",
    [dict(), dict(mean=0.5, variance=2.0), dict(axis=None), dict(axis=(1,)), dict(axis=(1, 2)), dict(axis=0), dict(axis=-2),
     dict(axis=-1, mean=[1.0, 2.0, 3.0], variance=[1.0, 1.0, 1.0]), dict(axis=(1, 2), mean=[[1.0], [2.0]], variance=[[1.0], [1.0]]),
     dict(invert=True)],
    [(N,), (N, 3), (N, 1), (N, N), (N, 2, 3), (N, 2, 1), (4, 3)])
add("MelSpectrogram",
    [dict(), dict(fft_length=256, sequence_stride=128, num_mel_bins=40),
     dict(fft_length=64, sequence_stride=32, sequence_length=48, num_mel_bins=16)],
    [(N, 4000), (N, N), (N, 1000, 1), (N, 100), (4, 2000), (N,)])
STFT = [dict(window=None), dict(frame_length=64, frame_step=32, window=None),
        dict(frame_length=64, frame_step=32, fft_length=128, mode="magnitude", window=None),
        dict(frame_length=64, frame_step=16, mode="real", padding="same", window=None),
        dict(frame_length=64, mode="imag", expand_dims=True, window=None), dict(frame_length=32, mode="stft", window=None),
        dict(frame_length=64, frame_step=32, window=None, data_format="channels_first"),
        dict(frame_length=64, frame_step=32, window=None, padding="same", data_format="channels_first", expand_dims=True),
        dict(frame_length=32, mode="psd", window=None, trainable=False)]
if importlib.util.find_spec("scipy") is not None:  # a named window needs SciPy
    STFT += [dict(frame_length=64, mode="angle"), dict(frame_length=32, window="hamming", periodic=True)]
add("STFTSpectrogram", STFT,
    [(N, 1000, 1), (N, N, 1), (N, 1000, 2), (N, 1000), (N, 50, 1), (N, 64, 1), (N, 1000, N), (N, 2, 1000), (N, 1, 500)])

# image preprocessing and augmentation
IMG = [(N, 8, 8, 3), (N, N, N, 3), (N, 8, 8, 1), (N, 8, 8, 4), (N, 8, 8, N), (8, 8, 3), (N, 8, 3), (N, 8, 8, 8, 3),
       (N, 8), (N, 3, 8, 8), (2, 8, 8, 3)]
AUG = dict(
    AugMix=[dict(), dict(num_chains=2, chain_depth=1, value_range=(0, 1))],
    AutoContrast=[dict()], CutMix=[dict(), dict(factor=0.5, seed=1)], MixUp=[dict(alpha=0.4)],
    RandAugment=[dict(), dict(num_ops=1, factor=0.2, value_range=(0, 1))],
    RandomBrightness=[dict(factor=0.2)], RandomColorDegeneration=[dict(factor=0.5)],
    RandomColorJitter=[dict(), dict(brightness_factor=0.2, hue_factor=0.1)], RandomContrast=[dict(factor=0.2)],
    RandomElasticTransform=[dict()], RandomErasing=[dict()], RandomFlip=[dict(), dict(mode="vertical")],
    RandomGaussianBlur=[dict()], RandomGrayscale=[dict(), dict(factor=1.0)], RandomHue=[dict(factor=0.2)],
    RandomInvert=[dict()], RandomPerspective=[dict()], RandomPosterization=[dict(factor=(1, 4))],
    RandomRotation=[dict(factor=0.2)], RandomSaturation=[dict(factor=0.5)], RandomSharpness=[dict(factor=0.5)],
    RandomShear=[dict(x_factor=0.2)], RandomTranslation=[dict(height_factor=0.1, width_factor=0.1)],
    RandomZoom=[dict(height_factor=0.1)], Solarization=[dict()], ContrastLimitedAdaptiveHistogramEqualization=[dict()],
    Resizing=[dict(height=4, width=5), dict(height=4, width=5, crop_to_aspect_ratio=True)],
    CenterCrop=[dict(height=4, width=5)], RandomCrop=[dict(height=4, width=4)],
)
for _name, _configs in AUG.items():
    if signatures.layer_signature(_name).param("data_format") is not None:
        _configs = _configs + [dict(_configs[0], data_format="channels_first")]
    add(_name, _configs, IMG)


# --------------------------------------------------------------------------- known gaps in Keras


@dataclass
class Gap:
    """Cases where the rule refuses what Keras's symbolic build accepts; each is verified."""

    layer: str
    reason: str
    when: Callable[[Case], bool]
    # Verified once per gap, on its first case, in a subprocess: the model may crash the process.
    crash: bool = False

    def matches(self, case: Case) -> bool:
        return case.layer == self.layer and self.when(case)


def _rank_is_not(*ranks):
    return lambda c: any(len(s) not in ranks for s in c.shapes)


def _last(c):
    return c.kwargs.get("data_format", "channels_last") == "channels_last"


def _ada_max_crash(sp):
    def when(c):
        shape = c.shapes[0]
        if len(shape) != sp + 2:
            return False
        size = c.kwargs["output_size"]
        sizes = (size,) * sp if isinstance(size, int) else size
        d, o = shape[-2] if _last(c) else shape[-1], sizes[-1]  # the last spatial axis only
        return d is not None and -(-d // o) + 1 > d
    return when


def _channels_not(*allowed):
    def when(c):
        shape = c.shapes[0]
        if len(shape) not in (3, 4):
            return False
        ch = shape[-1] if _last(c) else shape[-3]
        return ch is not None and ch not in allowed
    return when


GAPS: List[Gap] = []
for _kind in ("Average", "Max"):
    for _sp in (1, 2, 3):
        GAPS.append(Gap(f"Adaptive{_kind}Pooling{_sp}D", "another rank: fails or changes shape when run",
                        _rank_is_not(_sp + 2), crash=_kind == "Max"))
    for _sp in (1, 2, 3):
        if _kind == "Max":
            GAPS.append(Gap(f"AdaptiveMaxPooling{_sp}D", "a pooling window longer than the axis: the compiled model fails when run",
                            _ada_max_crash(_sp), crash=True))
GAPS += [
    Gap("EinsumDense", "an equation without `...` for an input of another rank",
        lambda c: "..." not in c.kwargs["equation"] and len(c.shapes[0]) != c.kwargs["equation"].index(",")),
    Gap("EinsumDense", "`...` for several axes: Keras reverses them in the symbolic shape",
        lambda c: c.kwargs["equation"].startswith("...") and len(c.shapes[0]) >= 4
        and tuple(c.shapes[0][1:-1]) != tuple(reversed(c.shapes[0][1:-1]))),
    Gap("GroupQueryAttention", "inputs of rank 4: the projections are built on the wrong axis",
        lambda c: any(len(s) == 4 for s in c.shapes)),
    Gap("HashedCrossing", "features that are not scalars, or of unequal shapes: fails when run",
        lambda c: c.shapes[0] != c.shapes[1] or len(c.shapes[0]) > 2 or c.shapes[0][-1] not in (1, None)
        or (len(c.shapes[0]) == 2 and c.shapes[0][-1] is None)),
    Gap("MelSpectrogram", "an input of another rank: fails or changes shape when run", _rank_is_not(2)),
    Gap("Resizing", "an input that is not one image or a batch of images: fails when run", _rank_is_not(3, 4)),
    Gap("RandomCrop", "not an image nor a batch of images: fails when run", _rank_is_not(3, 4)),
    Gap("SpectralNormalization", "the wrapped layer's own checks are skipped",
        lambda c: (c.kwargs["layer"].name == "Conv2DTranspose" and len(c.shapes[0]) != 4)
        or (c.kwargs["layer"].name == "EinsumDense" and len(c.shapes[0]) >= 4)),
    Gap("RandomHue", "not RGB: fails in training", _channels_not(3)),
    Gap("RandomSaturation", "not RGB: fails in training", _channels_not(3)),
    Gap("RandomGrayscale", "neither RGB nor grey: fails in training", _channels_not(1, 3)),
]
for _name in AUG:
    if _name not in ("CenterCrop", "RandomColorDegeneration", "Resizing", "RandomCrop"):
        GAPS.append(Gap(_name, "not an image nor a batch of images: fails when run", _rank_is_not(3, 4)))


def find_gap(case: Case) -> Optional[Gap]:
    return next((g for g in GAPS if g.matches(case)), None)


# --------------------------------------------------------------------------- running a case


def _inputs(case: Case):
    return [keras.Input(batch_shape=s, dtype=case.dtype(i)) for i, s in enumerate(case.shapes)]


def _call(layer, entry, tensors):
    if entry.call == SINGLE:
        return layer(tensors[0])
    if entry.call == LIST:
        return layer(tensors)
    return layer(*tensors)


def _make(case: Case):
    return base.keras_class(case.layer)(**{k: to_keras(v) for k, v in case.kwargs.items()})


def run_keras(case: Case, entry) -> base.Outcome:
    layer = _make(case)
    try:
        out = _call(layer, entry, _inputs(case))
    except Exception as exc:  # Keras refuses: any exception type
        return base.Outcome(error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    return base.Outcome(shape=base.as_shapes(out),
                        params=(base.count(layer.trainable_weights), base.count(layer.non_trainable_weights)))


def run_static(case: Case, entry) -> base.Outcome:
    config = full_config(case.layer, case.kwargs)
    if entry.validate is not None:
        try:
            entry.validate(config)
        except ArgError as err:
            return base.Outcome(error=f"validate: {err.message}")
    try:
        shape = entry.shape(config, [tuple(s) for s in case.shapes])
    except ShapeError as err:
        assert err.message, f"{case}: ShapeError without a message"
        return base.Outcome(error=err.message, help=err.help)
    shape = [tuple(s) for s in shape] if isinstance(shape, list) else tuple(shape)
    try:
        params = entry.params(config, [tuple(s) for s in case.shapes])
    except ShapeError as err:
        return base.Outcome(shape=shape, error=f"params: {err.message}")
    return base.Outcome(shape=shape, params=tuple(params))


def _data(case: Case):
    import numpy as np

    rng = np.random.default_rng(0)
    out = []
    for i, s in enumerate(case.shapes):
        dims = [2 if j == 0 and d is None else (8 if d is None else d) for j, d in enumerate(s)]
        dtype = case.dtype(i)
        if dtype == "string":
            out.append(np.array(rng.choice(["a", "b", "c d"], size=dims), dtype=object))
        elif dtype and "int" in dtype:
            out.append(rng.integers(0, 5, size=dims).astype(dtype))
        else:
            out.append((rng.random(dims) * 255).astype("float32"))
    return out


def fails_when_run(case: Case, entry) -> Optional[str]:
    """Why the Keras model for `case` is broken when run (inference or training), or None."""
    layer = _make(case)
    tensors = _inputs(case)
    out = _call(layer, entry, tensors)
    try:
        model = keras.Model(tensors, out)
    except Exception as exc:
        return f"no model ({type(exc).__name__})"
    data = _data(case)
    declared = base.as_shapes(out)
    declared = declared if isinstance(declared, list) else [declared]
    for training in (False, True):
        try:
            result = model(data if len(data) > 1 else data[0], training=training)
        except Exception as exc:
            return f"fails when run ({type(exc).__name__}, training={training})"
        actual = base.as_shapes(result)
        actual = actual if isinstance(actual, list) else [actual]
        for d, a in zip(declared, actual):
            if len(d) != len(a) or any(x is not None and x != y for x, y in zip(d, a)):
                return f"symbolic shape {d} but {a} when run (training={training})"
    return None


_CRASHES: Dict[int, Optional[str]] = {}


def crashes_when_run(case: Case, gap: Gap) -> Optional[str]:
    """Run the case's model in a subprocess (once per gap): the reason when the process dies."""
    if id(gap) in _CRASHES:
        return _CRASHES[id(gap)]
    code = textwrap.dedent(f"""
        import os, warnings
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        warnings.filterwarnings("ignore")
        import keras, numpy as np
        x = keras.Input(batch_shape={case.shapes[0]!r})
        y = keras.layers.{case.layer}(**{case.kwargs!r})(x)
        dims = [2 if i == 0 and d is None else (8 if d is None else d) for i, d in enumerate({case.shapes[0]!r})]
        model = keras.Model(x, y)
        # predict runs the compiled graph users run (an eager call can pass where it fails), then
        # an eager call in training mode
        for out in (model.predict(np.ones(dims, dtype="float32"), verbose=0),
                    model(np.ones(dims, dtype="float32"), training=True)):
            if len(out.shape) != len(y.shape) or any(a is not None and a != b for a, b in zip(y.shape, out.shape)):
                raise SystemExit(3)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    reason = None if result.returncode == 0 else f"fails or dies when run (exit code {result.returncode})"
    _CRASHES[id(gap)] = reason
    return reason


def compare(case: Case) -> Optional[str]:
    entry = registry.get(case.layer)
    return base.verdict(case, run_keras(case, entry), run_static(case, entry), find_gap(case),
                        lambda gap: crashes_when_run(case, gap) if gap.crash else fails_when_run(case, entry))


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("layer", sorted(CASES))
def test_rule_agrees_with_keras(layer):
    assert registry.get(layer) is not None, f"no catalogue entry for {layer}"
    mismatches = [m for m in (compare(c) for c in CASES[layer]) if m]
    assert not mismatches, f"{len(mismatches)} of {len(CASES[layer])} cases disagree:\n" + "\n".join(mismatches)


def test_every_gap_is_exercised():
    for gap in GAPS:
        assert any(gap.matches(c) for c in CASES.get(gap.layer, [])), f"unused gap: {gap.layer}: {gap.reason}"


def test_every_entry_has_a_grid_here_or_in_the_original_harness():
    from graphspec.catalog.layers.applications import MODULE_OF  # tested in test_application_layers.py

    missing = [e.name for e in registry.entries()
               if e.name not in CASES and e.name not in base.CASES and e.name not in MODULE_OF]
    assert not missing, f"entries without differential cases: {missing}"


def test_grids_exercise_both_outcomes():
    never_refuse = {"ReversibleEmbedding", "CategoryEncoding", "Hashing", "IntegerLookup", "StringLookup",
                    "Discretization", "TextVectorization"}
    for layer, cases in CASES.items():
        entry = registry.get(layer)
        outcomes = [run_static(c, entry).error is None for c in cases]
        assert any(outcomes), f"{layer}: every case is refused"
        if layer not in never_refuse:
            assert not all(outcomes), f"{layer}: no case is refused"


def test_rules_see_the_same_config_through_the_signatures_file():
    for layer, cases in CASES.items():
        sig = signatures.layer_signature(layer)
        for case in cases:
            bound, problems = signatures.bind(sig, [], [(k, to_call_value(v)) for k, v in case.kwargs.items()])
            assert not problems, f"{case}: {[p.message for p in problems]}"
            assert bound == full_config(layer, case.kwargs), case


BAD_CONFIGS = [
    ("ConvLSTM2D", dict(filters=2, kernel_size=3, strides=2, dilation_rate=2)),
    ("GroupQueryAttention", dict(head_dim=4, num_query_heads=3, num_key_value_heads=2)),
    ("StringLookup", dict(vocabulary=["a", "b"], output_mode="one_hot", invert=True)),
    ("StringLookup", dict(output_mode="multi_hot", pad_to_max_tokens=True)),
    ("StringLookup", dict(vocabulary=["a", "b"], output_mode="tf_idf")),
    ("StringLookup", dict(vocabulary=["a", "a"])),
    ("StringLookup", dict(vocabulary=["a", "b", "c"], max_tokens=3)),
    ("IntegerLookup", dict(max_tokens=1)),
    ("IntegerLookup", dict(vocabulary=[1, 2], idf_weights=[1.0, 1.0])),
    ("CategoryEncoding", dict(num_tokens=0)),
    ("CategoryEncoding", dict(num_tokens=3, output_mode="int")),
    ("Discretization", dict(bin_boundaries=[0.0], num_bins=3)),
    ("TextVectorization", dict(output_mode="count", output_sequence_length=4)),
    ("Normalization", dict(mean=1.0)),
    ("Normalization", dict(mean=[1.0, 2.0], variance=[1.0])),
    ("STFTSpectrogram", dict(frame_length=32, frame_step=64, window=None)),
    ("STFTSpectrogram", dict(frame_length=64, fft_length=32, window=None)),
    ("MelSpectrogram", dict(fft_length=32, sequence_length=64)),
    ("EinsumDense", dict(equation="ab->b", output_shape=4)),
]


@pytest.mark.parametrize("name,kwargs", BAD_CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD_CONFIGS)])
def test_validate_rejects_what_keras_rejects(name, kwargs):
    with pytest.raises(Exception):
        layer = base.keras_class(name)(**kwargs)
        layer(keras.Input(batch_shape=(N, 4, 8)))
    with pytest.raises(ArgError):
        registry.get(name).validate(full_config(name, kwargs))


def test_pipeline_reports_a_bad_inner_layer_as_an_argument_error():
    entry = registry.get("Pipeline")
    for layers in ([Sub.of("NoSuchLayer")], [Sub.of("Dense")], [Sub.of("Dense", units=-1)],
                   [Sub.of("Bidirectional", layer=Sub.of("Dense", units=2))]):
        with pytest.raises(ArgError):
            entry.validate(full_config("Pipeline", dict(layers=layers)))


def test_grid_configs_pass_the_value_checks():
    """The value checks by parameter name (graphspec.catalog.params) accept every config Keras accepts here."""
    from graphspec.catalog.params import check_config

    flagged = []
    for layer, cases in CASES.items():
        for case in cases:
            problems = check_config(layer, full_config(layer, case.kwargs))
            flagged += [f"{case}: {p.message}" for p in problems]
    assert not flagged, "\n".join(flagged)
