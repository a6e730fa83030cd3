"""Differential tests of the static shape and parameter rules against real Keras.

For every catalogue entry, a grid of configurations and input shapes is run twice:
through the entry's static rules, and through Keras (the layer built and called on
symbolic `keras.Input` tensors). They must agree exactly:

* Keras raises  <=>  the shape rule raises `ShapeError`;
* otherwise the output shape(s) are equal, None where Keras leaves a dim unknown;
* the (trainable, non_trainable) counts equal the sizes of the built layer's weights.

The config a rule sees is the constructor's defaults (from `inspect.signature`) plus
the given keyword arguments, as the production code builds it from the signatures file.
"""

from __future__ import annotations

import inspect
import itertools
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest

keras = pytest.importorskip("keras")

from graphspec.catalog import registry  # noqa: E402
from graphspec.catalog.base import ATTENTION, LIST, SINGLE, ArgError, CallValue, ShapeError  # noqa: E402
from graphspec.catalog.layers.applications import MODULE_OF as APPLICATION_LAYERS  # noqa: E402

N = None  # shorter shapes


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Sub:
    """A layer given as an argument value: `Bidirectional(LSTM(4))`."""

    name: str
    kwargs: Tuple[Tuple[str, Any], ...] = ()

    @staticmethod
    def of(name: str, **kwargs) -> "Sub":
        return Sub(name, tuple(kwargs.items()))


@dataclass
class Case:
    layer: str
    kwargs: Dict[str, Any]
    shapes: List[tuple]

    def __str__(self) -> str:
        args = ", ".join(f"{k}={_show(v)}" for k, v in self.kwargs.items())
        return f"{self.layer}({args}) on {', '.join(map(str, self.shapes))}"


def _show(v):
    if isinstance(v, Sub):
        return f"{v.name}({', '.join(f'{k}={_show(x)}' for k, x in v.kwargs)})"
    return repr(v)


def grid(layer: str, configs: Sequence[dict], inputs: Sequence) -> List[Case]:
    """Every config on every input; an input is a shape, or a list of shapes for several tensors."""
    out = []
    for cfg, inp in itertools.product(configs, inputs):
        shapes = list(inp) if isinstance(inp, list) else [inp]
        out.append(Case(layer, dict(cfg), shapes))
    return out


# --------------------------------------------------------------------------- grids

CASES: Dict[str, List[Case]] = {}


def add(layer: str, configs, inputs):
    CASES.setdefault(layer, []).extend(grid(layer, configs, inputs))


ANY_SHAPES = [(N,), (N, 8), (N, N), (N, 5, 8), (N, N, N, 3), (N, 4, 4, 3), (2, 3)]

# core
add(
    "Dense",
    [dict(units=4), dict(units=3, use_bias=False, activation="relu"), dict(units=4, lora_rank=2),
     dict(units=4, trainable=False)],
    [(N,), (N, 8), (N, N), (N, 5, 8), (N, 5, N), (N, N, 8), (N, 2, 3, 4), (5, 8)],
)
add("Activation", [dict(activation="relu"), dict(activation="softmax")], ANY_SHAPES)
add("Dropout", [dict(rate=0.5), dict(rate=0.1, noise_shape=(None, 1, 8), seed=1)], ANY_SHAPES)
add("Identity", [dict()], ANY_SHAPES)
add(
    "Flatten",
    [dict(), dict(data_format="channels_first")],
    [(N,), (N, 8), (N, N), (N, 2, 3), (N, N, 3), (N, 2, N, 4), (N, 28, 28, 1), (4, 2, 3)],
)
add(
    "Embedding",
    [dict(input_dim=100, output_dim=8), dict(input_dim=50, output_dim=3, mask_zero=True),
     dict(input_dim=100, output_dim=8, lora_rank=2), dict(input_dim=10, output_dim=4, trainable=False)],
    [(N,), (N, 10), (N, N), (N, 3, 4)],
)
add(
    "BatchNormalization",
    [dict(), dict(axis=1), dict(axis=3), dict(axis=-4), dict(axis=0), dict(axis=5), dict(renorm=True),
     dict(center=False), dict(scale=False, center=False), dict(trainable=False)],
    [(N, 8), (N, 4, 4, 8), (N, N, N, 8), (N, 8, N), (N, N), (N, 3, 5, 7)],
)
add(
    "LayerNormalization",
    [dict(), dict(axis=1), dict(axis=[1, 2]), dict(axis=(-2, -1)), dict(axis=0), dict(axis=4), dict(axis=-5),
     dict(center=False), dict(scale=False)],
    [(N, 8), (N, 5, 8), (N, N, 8), (N, 5, N), (N, 3, 4, 5), (N, N)],
)
add(
    "Reshape",
    [dict(target_shape=(4, 4)), dict(target_shape=(-1,)), dict(target_shape=(2, -1)), dict(target_shape=(-1, 8)),
     dict(target_shape=(3, 5)), dict(target_shape=(2, 2, -1)), dict(target_shape=[16]), dict(target_shape=(-1, 7)),
     dict(target_shape=(28, 28, 1))],
    [(N, 16), (N, 4, 4), (N, N), (N, N, 4), (N, 15), (N, 2, 8), (N, 784), (3, 16)],
)

# convolutions
add(
    "Conv1D",
    [dict(filters=4, kernel_size=3), dict(filters=4, kernel_size=3, strides=2), dict(filters=4, kernel_size=3, padding="same"),
     dict(filters=4, kernel_size=3, padding="causal", strides=3), dict(filters=2, kernel_size=3, dilation_rate=2),
     dict(filters=4, kernel_size=(5,), strides=(2,), padding="same", use_bias=False), dict(filters=4, kernel_size=1, groups=2),
     dict(filters=4, kernel_size=3, data_format="channels_first"), dict(filters=6, kernel_size=2, groups=3, padding="causal")],
    [(N, 10, 3), (N, 10, 4), (N, 9, 6), (N, N, 3), (N, 10, N), (N, 2, 3), (N, 5, 4), (N, 784), (N, 10, 10, 3), (N, 4, 10),
     (N, N, N), (6, 10, 3)],
)
add(
    "Conv2D",
    [dict(filters=8, kernel_size=3), dict(filters=8, kernel_size=(3, 5), strides=(2, 1)),
     dict(filters=8, kernel_size=5, strides=2, padding="same"), dict(filters=8, kernel_size=3, dilation_rate=2),
     dict(filters=8, kernel_size=3, dilation_rate=(1, 3), padding="same"), dict(filters=4, kernel_size=1, groups=2),
     dict(filters=8, kernel_size=3, data_format="channels_first", use_bias=False),
     dict(filters=8, kernel_size=2, strides=3, padding="valid"), dict(filters=128, kernel_size=1, strides=2, padding="same")],
    [(N, 28, 28, 1), (N, 7, 7, 4), (N, 3, 3, 4), (N, 5, 5, 2), (N, N, N, 3), (N, 28, N, 3), (N, 28, 28, N), (N, 784),
     (N, 28, 28), (N, 4, 28, 28, 1), (N, 2, 5, 5), (N, 32, 32, 64), (N, 2, 4, 6)],
)
add(
    "Conv3D",
    [dict(filters=4, kernel_size=3), dict(filters=4, kernel_size=(1, 3, 3), strides=(1, 2, 2), padding="same"),
     dict(filters=4, kernel_size=2, data_format="channels_first"), dict(filters=2, kernel_size=2, dilation_rate=2)],
    [(N, 8, 8, 8, 1), (N, 2, 8, 8, 3), (N, N, 8, 8, 2), (N, 8, 8, 8, N), (N, 8, 8, 3), (N, 3, 3, 3, 2)],
)

# pooling
POOL1 = [(N, 10, 3), (N, 1, 3), (N, N, 3), (N, 10, N), (N, 3, 10), (N, 10), (N, 4, 4, 3)]
POOL2 = [(N, 28, 28, 1), (N, 5, 7, 2), (N, 1, 4, 3), (N, N, N, 3), (N, 3, 9, 9), (N, 28, 28), (N, 2, 4, 4, 3)]
POOL3 = [(N, 8, 8, 8, 1), (N, 1, 4, 4, 2), (N, N, 5, 5, 2), (N, 2, 6, 6, 6), (N, 8, 8, 3)]
for kind in ("Max", "Average"):
    add(f"{kind}Pooling1D",
        [dict(pool_size=2), dict(pool_size=3, strides=1), dict(pool_size=3, strides=2, padding="same"),
         dict(pool_size=2, data_format="channels_first")], POOL1)
    add(f"{kind}Pooling2D",
        [dict(pool_size=2), dict(pool_size=(2, 3)), dict(pool_size=3, strides=2, padding="same"),
         dict(pool_size=2, strides=(1, 2)), dict(pool_size=2, data_format="channels_first")], POOL2)
    add(f"{kind}Pooling3D",
        [dict(pool_size=2), dict(pool_size=(1, 2, 2), padding="same", strides=2),
         dict(pool_size=2, data_format="channels_first")], POOL3)
    for spatial, shapes in ((1, POOL1), (2, POOL2), (3, POOL3)):
        add(f"Global{kind}Pooling{spatial}D",
            [dict(), dict(keepdims=True), dict(data_format="channels_first"),
             dict(data_format="channels_first", keepdims=True)], shapes)

# recurrent
SEQ = [(N, 5, 3), (N, N, 3), (N, 5, N), (N, 8), (N, 4, 4, 3), (2, 5, 3), (N, 1, 1)]
RNN_CONFIGS = [dict(units=4), dict(units=4, return_sequences=True), dict(units=4, return_state=True),
               dict(units=3, return_sequences=True, return_state=True), dict(units=4, use_bias=False),
               dict(units=4, stateful=True), dict(units=2, go_backwards=True, unroll=True),
               dict(units=4, trainable=False)]
add("LSTM", RNN_CONFIGS + [dict(units=4, unit_forget_bias=False)], SEQ)
add("GRU", RNN_CONFIGS + [dict(units=4, reset_after=False), dict(units=4, reset_after=False, use_bias=False)], SEQ)
add("SimpleRNN", RNN_CONFIGS, SEQ)
BIDI = []
for inner in ("LSTM", "GRU", "SimpleRNN"):
    for flags in (dict(), dict(return_sequences=True), dict(return_state=True),
                  dict(return_sequences=True, return_state=True)):
        for mode in ("concat", "sum", "mul", "ave", None):
            if mode in ("mul", "ave") and flags:
                continue
            BIDI.append(dict(layer=Sub.of(inner, units=4, **flags), merge_mode=mode))
BIDI += [
    dict(layer=Sub.of("GRU", units=4, reset_after=False, use_bias=False)),
    dict(layer=Sub.of("LSTM", units=4, stateful=True)),
    dict(layer=Sub.of("LSTM", units=4, return_sequences=True),
         backward_layer=Sub.of("LSTM", units=6, return_sequences=True, go_backwards=True)),
    dict(layer=Sub.of("GRU", units=4), backward_layer=Sub.of("GRU", units=2, go_backwards=True), merge_mode="sum"),
    dict(layer=Sub.of("LSTM", units=4), trainable=False),
]
add("Bidirectional", BIDI, [(N, 5, 3), (N, N, 3), (N, 5, N), (N, 8), (2, 5, 3)])
add(
    "TimeDistributed",
    [dict(layer=Sub.of("Dense", units=4)), dict(layer=Sub.of("Conv2D", filters=4, kernel_size=3)),
     dict(layer=Sub.of("Flatten")), dict(layer=Sub.of("MaxPooling2D", pool_size=2)),
     dict(layer=Sub.of("Dropout", rate=0.5)), dict(layer=Sub.of("BatchNormalization")),
     dict(layer=Sub.of("LSTM", units=3)), dict(layer=Sub.of("Embedding", input_dim=10, output_dim=4)),
     dict(layer=Sub.of("GlobalAveragePooling2D")), dict(layer=Sub.of("Dense", units=4), trainable=False)],
    [(N, 5, 8), (N, 5, N), (N, N, 8), (N, 5, 28, 28, 1), (N, 5, 2, 2, 3), (N, 8), (N, 5, 6, 8), (N, N, N, N, 3)],
)

# attention
MHA_INPUTS = [
    [(N, 5, 8), (N, 7, 6)],
    [(N, 5, 8), (N, 7, 6), (N, 7, 3)],
    [(N, 5, 8), (N, 7, 6), (N, 6, 3)],
    [(N, N, 8), (N, N, 8)],
    [(N, N, 8), (N, N, 8), (N, 7, 8)],
    [(N, 5, 8), (N, 5, 8), (N, 5, 8)],
    [(N, 5, N), (N, 7, 6)],
    [(N, 5, 8), (N, 7, N)],
    [(N, 5, 8), (N, 7, 6), (N, 7, N)],
    [(N, 3, 5, 8), (N, 3, 7, 8)],
    [(N, 5, 8), (N, 3, 7, 8)],
    [(N, 8), (N, 8)],
]
add(
    "MultiHeadAttention",
    [dict(num_heads=2, key_dim=4), dict(num_heads=3, key_dim=2, value_dim=5), dict(num_heads=2, key_dim=4, output_shape=10),
     dict(num_heads=2, key_dim=4, output_shape=(2, 5), use_bias=False), dict(num_heads=1, key_dim=3, use_gate=True),
     dict(num_heads=2, key_dim=4, attention_axes=(1,)), dict(num_heads=2, key_dim=4, attention_axes=-2),
     dict(num_heads=2, key_dim=4, trainable=False)],
    MHA_INPUTS,
)
ATT_INPUTS = [
    [(N, 5, 8), (N, 7, 8)],
    [(N, 5, 8), (N, 7, 6), (N, 7, 8)],
    [(N, 5, 8), (N, 7, 6)],
    [(N, N, 8), (N, N, 8)],
    [(N, 5, N), (N, 7, 8)],
    [(N, 5, 8), (N, 7, N)],
    [(N, 8), (N, 8)],
    [(N, 2, 5, 8), (N, 2, 7, 8)],
]
add("Attention", [dict(), dict(use_scale=True), dict(score_mode="concat"), dict(use_scale=True, score_mode="concat")],
    ATT_INPUTS)
add("AdditiveAttention", [dict(), dict(use_scale=False), dict(trainable=False)], ATT_INPUTS)

# merges
ELEMENTWISE_INPUTS = [
    [(N, 8), (N, 8)],
    [(N, 16, 16, 128), (N, 32, 32, 64)],
    [(N, 16, 16, 64), (N, 16, 16, 32)],
    [(N, 16, 16, 1), (N, 16, 16, 64)],
    [(N, 16, N, 1), (N, 16, 16, 64)],
    [(N, N), (N, 8)],
    [(N, 8), (N, 5, 8)],
    [(N, 5), (N, 5, 8)],
    [(N, 4, 4, 3), (N, 4, 4, 3), (N, 4, 4, 3)],
    [(N, 4, 4, 3), (N, 4, 4, 3), (N, 2, 2, 3)],
    [(N, 1, 8), (N, 5, 1), (N, 5, 8)],
    [(N, 32, 32, 64), (N, 16, 16, 128)],
    [(N, 10, 16), (N, 5, 32)],
    [(N, 15, 15, 8), (N, 8, 8, 16)],
    [(2, 8), (3, 8)],
    [(2, 8), (N, 8)],
]
for name in ("Add", "Multiply", "Average", "Maximum", "Minimum"):
    add(name, [dict()], ELEMENTWISE_INPUTS)
add("Subtract", [dict()], [i for i in ELEMENTWISE_INPUTS if len(i) == 2])
add(
    "Concatenate",
    [dict(), dict(axis=1), dict(axis=2), dict(axis=0), dict(axis=3), dict(axis=-2), dict(axis=-4), dict(axis=5)],
    [
        [(N, 10000), (N, 10000), (N, 100)],
        [(N, 8, 8, 32), (N, 8, 8, 16)],
        [(N, 8, 8, 32), (N, 16, 16, 32)],
        [(N, 4, 8), (N, 5, 8)],
        [(N, 4, 8), (N, 4, 6)],
        [(N, N, 8), (N, 5, 8)],
        [(N, 5, 8), (N, N, 8)],
        [(N, 4, N), (N, 4, 6)],
        [(N, 8), (N, 4, 8)],
        [(N, 8), (N, 8, 1)],
        [(N, 3, 8), (N, 3, 8)],
        [(N, 1, 8), (N, 3, 8)],
    ],
)
add(
    "Dot",
    [dict(axes=1), dict(axes=-1), dict(axes=2), dict(axes=(1, 2)), dict(axes=(2, 1)), dict(axes=[-1, -1]),
     dict(axes=(1, 1), normalize=True), dict(axes=3)],
    [
        [(N, 5), (N, 5)],
        [(N, 5), (N, 6)],
        [(N, 3, 5), (N, 3, 5)],
        [(N, 3, 5), (N, 5, 3)],
        [(N, 3, 5), (N, 5)],
        [(N, N, 5), (N, 5, 5)],
        [(N, N, 5), (N, N, 5)],
        [(N, 2, 3, 4), (N, 2, 4, 3)],
    ],
)


# activations, regularization, more core layers
for name in ("ReLU", "ELU", "GaussianDropout", "ActivityRegularization", "Masking"):
    add(name, [dict()] if name not in ("GaussianDropout",) else [dict(rate=0.3)], ANY_SHAPES)
add("LeakyReLU", [dict(), dict(negative_slope=0.1)], ANY_SHAPES)
add("GaussianNoise", [dict(stddev=0.1)], ANY_SHAPES)
add("AlphaDropout", [dict(rate=0.2)], ANY_SHAPES)
add("Rescaling", [dict(scale=1 / 255), dict(scale=2.0, offset=-1.0)], ANY_SHAPES)
add("Softmax", [dict(), dict(axis=1), dict(axis=-2), dict(axis=3), dict(axis=[1, 2])], [(N, 8), (N, 5, 8), (N, N, N, 3)])
add("PReLU", [dict(), dict(shared_axes=[1]), dict(shared_axes=[1, 2]), dict(shared_axes=2), dict(shared_axes=[3]),
              dict(trainable=False)],
    [(N, 8), (N, 5, 8), (N, N, 8), (N, 4, 4, 3), (N, N, N, 3), (N, 4, N)])
add("UnitNormalization", [dict(), dict(axis=1), dict(axis=[1, 2]), dict(axis=3), dict(axis=-4)],
    [(N, 8), (N, 5, 8), (N, N, N)])
add("RMSNormalization", [dict(), dict(axis=1), dict(axis=[1, 2]), dict(axis=3)],
    [(N, 8), (N, 5, 8), (N, N, 8), (N, 5, N)])
add("GroupNormalization", [dict(), dict(groups=4), dict(groups=-1), dict(groups=3, axis=1), dict(groups=2, center=False)],
    [(N, 32), (N, 8, 8, 64), (N, 6, 12), (N, N, 12), (N, 4, 4, 8), (N, 8, N), (N, 16)])
for spatial, shapes in ((1, POOL1), (2, POOL2), (3, POOL3)):
    cfgs = [dict(rate=0.2)] + ([dict(rate=0.2, data_format="channels_first")] if spatial > 1 else [])
    add(f"SpatialDropout{spatial}D", cfgs, shapes)

# reshaping
add("Permute", [dict(dims=(2, 1)), dict(dims=(1,)), dict(dims=(3, 1, 2))],
    [(N, 5, 8), (N, N, 8), (N, 8), (N, 2, 3, 4), (N, 2, N, 4)])
add("RepeatVector", [dict(n=3)], [(N, 8), (N, N), (N, 5, 8), (N,)])
add("UpSampling1D", [dict(), dict(size=3)], POOL1)
add("UpSampling2D", [dict(), dict(size=(2, 3)), dict(size=2, data_format="channels_first"),
                     dict(size=2, interpolation="bilinear")], POOL2)
add("UpSampling3D", [dict(), dict(size=(1, 2, 3), data_format="channels_first")], POOL3)
add("ZeroPadding1D", [dict(), dict(padding=(2, 3)), dict(padding=2, data_format="channels_first")], POOL1)
add("ZeroPadding2D", [dict(), dict(padding=2), dict(padding=(1, 2)), dict(padding=((1, 2), (3, 4))),
                      dict(padding=((0, 1), 2), data_format="channels_first")], POOL2)
add("ZeroPadding3D", [dict(), dict(padding=2), dict(padding=(1, 2, 0), data_format="channels_first")], POOL3)
add("Cropping1D", [dict(), dict(cropping=(2, 3)), dict(cropping=5)], POOL1)
add("Cropping2D", [dict(), dict(cropping=1), dict(cropping=(1, 2)), dict(cropping=((1, 2), (0, 4))),
                   dict(cropping=2, data_format="channels_first")], POOL2)
add("Cropping3D", [dict(), dict(cropping=2), dict(cropping=((0, 1), 2, (1, 0)), data_format="channels_first")], POOL3)

# transposed, separable and depthwise convolutions
add("Conv1DTranspose",
    [dict(filters=4, kernel_size=3), dict(filters=4, kernel_size=3, strides=2), dict(filters=4, kernel_size=2, strides=3),
     dict(filters=4, kernel_size=3, strides=2, padding="same"), dict(filters=4, kernel_size=3, strides=2, output_padding=1),
     dict(filters=4, kernel_size=4, strides=2, padding="same", output_padding=1),
     dict(filters=2, kernel_size=3, dilation_rate=2, use_bias=False), dict(filters=4, kernel_size=3, data_format="channels_first")],
    [(N, 10, 3), (N, N, 3), (N, 10, N), (N, 1, 2), (N, 784), (N, 4, 4, 3), (N, 3, 10)])
add("Conv2DTranspose",
    [dict(filters=8, kernel_size=3), dict(filters=8, kernel_size=(2, 3), strides=(2, 1)),
     dict(filters=8, kernel_size=3, strides=2, padding="same"), dict(filters=8, kernel_size=3, strides=2, padding="same", output_padding=1),
     dict(filters=8, kernel_size=5, strides=3, output_padding=(0, 2)), dict(filters=4, kernel_size=3, data_format="channels_first"),
     dict(filters=4, kernel_size=2, dilation_rate=2, padding="same")],
    [(N, 7, 7, 16), (N, N, N, 3), (N, 7, 7, N), (N, 49), (N, 7, 7), (N, 2, 7, 7, 1), (N, 3, 5, 6)])
add("Conv3DTranspose",
    [dict(filters=2, kernel_size=3), dict(filters=2, kernel_size=2, strides=2, padding="same"),
     dict(filters=2, kernel_size=3, data_format="channels_first")],
    [(N, 4, 4, 4, 3), (N, N, 4, 4, 3), (N, 4, 4, 4, N), (N, 4, 4, 3)])
for name in ("SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D"):
    spatial = int(name[-2])
    base = {} if name.startswith("Depthwise") else dict(filters=8)
    cfgs = [dict(base, kernel_size=3), dict(base, kernel_size=3, strides=2, padding="same", depth_multiplier=2),
            dict(base, kernel_size=3, dilation_rate=2, use_bias=False), dict(base, kernel_size=2, data_format="channels_first")]
    add(name, cfgs, POOL1 if spatial == 1 else POOL2)


# --------------------------------------------------------------------------- known gaps in Keras
# Cases that Keras's symbolic build accepts although the model fails on its first real
# call (or returns a shape other than the symbolic one). The rules refuse them on purpose;
# every listed case is verified by running the model on data.


@dataclass
class Gap:
    layer: str
    shapes: Optional[List[tuple]]  # None: any input shapes
    reason: str
    when: Any = None  # predicate on the case's kwargs; None: any config

    def matches(self, case: Case) -> bool:
        return (case.layer == self.layer
                and (self.shapes is None or [tuple(s) for s in case.shapes] == self.shapes)
                and (self.when is None or self.when(case.kwargs)))


def _inner_is(*names):
    return lambda kw: kw["layer"].name in names


def _no_axes(kw):
    return kw.get("attention_axes") is None


GAPS = [
    Gap("TimeDistributed", [(N, 5, 6, 8)], "the wrapped layer's rank check is skipped",
        _inner_is("MaxPooling2D", "GlobalAveragePooling2D")),
    Gap("TimeDistributed", [(N, 5, 8)], "the wrapped layer's rank check is skipped",
        _inner_is("GlobalAveragePooling2D")),
    Gap("TimeDistributed", [(N, 5, N)], "the wrapped layer's rank check is skipped",
        _inner_is("GlobalAveragePooling2D")),
    Gap("TimeDistributed", [(N, N, 8)], "the wrapped layer's rank check is skipped",
        _inner_is("GlobalAveragePooling2D")),
    Gap("TimeDistributed", [(N, 5, 28, 28, 1)], "the wrapped layer's rank check is skipped", _inner_is("LSTM")),
    Gap("TimeDistributed", [(N, 5, 2, 2, 3)], "the wrapped layer's rank check is skipped", _inner_is("LSTM")),
    Gap("TimeDistributed", [(N, N, N, N, 3)], "the wrapped layer's rank check is skipped", _inner_is("LSTM")),
    Gap("MultiHeadAttention", [(N, 5, 8), (N, 3, 7, 8)], "query and value of different ranks"),
    Gap("MultiHeadAttention", [(N, 8), (N, 8)], "rank-2 inputs leave no attention axis", _no_axes),
    Gap("MultiHeadAttention", [(N, 3, 5, 8), (N, 3, 7, 8)], "query and key differ on a non-attention axis",
        lambda kw: kw.get("attention_axes") == (1,)),
    Gap("Attention", [(N, 5, 8), (N, 7, 6)], "query and key feature sizes differ"),
    Gap("AdditiveAttention", [(N, 5, 8), (N, 7, 6)], "query and key feature sizes differ"),
    Gap("Attention", [(N, 5, 8), (N, 7, 6), (N, 6, 8)], "key and value lengths differ"),
    Gap("AdditiveAttention", [(N, 5, 8), (N, 7, 6), (N, 6, 8)], "key and value lengths differ"),
    Gap("Attention", [(N, 5, 8), (N, 2, 7, 8)], "ranks differ: the symbolic shape is wrong"),
    Gap("AdditiveAttention", [(N, 5, 8), (N, 2, 7, 8)], "ranks differ: the symbolic shape is wrong"),
    Gap("Attention", [(N, 3, 5, 8), (N, 2, 7, 8)], "leading axes differ"),
    Gap("AdditiveAttention", [(N, 3, 5, 8), (N, 2, 7, 8)], "leading axes differ"),
    Gap("Bidirectional", None, "a backward layer of another size: the symbolic shape is wrong",
        lambda kw: "backward_layer" in kw and kw["backward_layer"].kwargs[0] != kw["layer"].kwargs[0]),
    Gap("Attention", [(N, 5, 1), (N, 7, 6), (N, 7, 8)], "query and key feature sizes differ (dot scores)",
        lambda kw: kw.get("score_mode", "dot") == "dot"),
    Gap("MultiHeadAttention", [(N, 3, 5, 8), (N, 1, 7, 8)], "query and key differ on a non-attention axis",
        lambda kw: kw.get("attention_axes") == (1,)),
]
add("Attention", [dict(), dict(score_mode="concat")],
    [[(N, 5, 8), (N, 7, 6), (N, 6, 8)], [(N, 5, 1), (N, 7, 6), (N, 7, 8)], [(N, 3, 5, 8), (N, 2, 7, 8)],
     [(N, 3, 5, 8), (N, 1, 7, 8)], [(N, 5, 8), (N, 2, 7, 8)]])
add("AdditiveAttention", [dict()],
    [[(N, 5, 8), (N, 7, 6), (N, 6, 8)], [(N, 5, 1), (N, 7, 6), (N, 7, 8)], [(N, 3, 5, 8), (N, 2, 7, 8)],
     [(N, 5, 8), (N, 2, 7, 8)]])
add("MultiHeadAttention", [dict(num_heads=2, key_dim=4, attention_axes=(1,)), dict(num_heads=2, key_dim=4)],
    [[(N, 8), (N, 8)], [(N, 3, 5, 8), (N, 3, 7, 8)], [(N, 3, 5, 8), (N, 1, 7, 8)]])
add("MultiHeadAttention", [dict(num_heads=2, key_dim=4, dropout=0.1, attention_axes=(0,))],
    [[(N, 5, 8), (N, 5, 8)], [(N, 5, 8), (N, 7, 8)]])
GAPS.append(Gap("MultiHeadAttention", [(N, 5, 8), (N, 7, 8)], "query and key differ on a non-attention axis",
                lambda kw: kw.get("dropout") == 0.1))
GAPS.append(Gap("Attention", [(N, 3, 5, 8), (N, 2, 7, 8)], "leading axes differ"))
for _shape in [(N, 8), (N, 5, 8)]:
    GAPS.append(Gap("Softmax", [_shape], "an axis out of range", lambda kw, r=len(_shape): any(
        not -r <= a < r for a in (kw.get("axis", -1) if isinstance(kw.get("axis", -1), list) else [kw.get("axis", -1)]))))


def find_gap(case: Case) -> Optional[Gap]:
    return next((g for g in GAPS if g.matches(case)), None)


# --------------------------------------------------------------------------- running a case


def keras_class(name: str):
    return getattr(keras.layers, name)


def full_config(name: str, kwargs: dict) -> dict:
    """Constructor defaults filled in, then the given arguments (inner layers as CallValues)."""
    sig = inspect.signature(keras_class(name).__init__)
    config = {}
    for p in list(sig.parameters.values())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is not p.empty:
            config[p.name] = p.default
    for k, v in kwargs.items():
        config[k] = to_call_value(v)
    return config


def to_call_value(v):
    if isinstance(v, Sub):
        kwargs = dict(v.kwargs)
        return CallValue(v.name, (), tuple(kwargs.items()), full_config(v.name, kwargs))
    return v


def to_keras(v):
    if isinstance(v, Sub):
        return keras_class(v.name)(**{k: to_keras(x) for k, x in v.kwargs})
    return v


def count(weights) -> int:
    return int(sum(math.prod(w.shape) for w in weights))


def as_shapes(out):
    if isinstance(out, (list, tuple)) and not hasattr(out, "shape"):
        return [tuple(t.shape) for t in out]
    return tuple(out.shape)


@dataclass
class Outcome:
    error: Optional[str] = None
    shape: Any = None
    params: Optional[Tuple[int, int]] = None
    help: Optional[str] = None


def run_keras(case: Case, entry) -> Outcome:
    layer = keras_class(case.layer)(**{k: to_keras(v) for k, v in case.kwargs.items()})
    tensors = [keras.Input(batch_shape=s) for s in case.shapes]
    try:
        if entry.call == SINGLE:
            out = layer(tensors[0])
        elif entry.call == LIST:
            out = layer(tensors)
        else:
            out = layer(*tensors)
    except Exception as exc:  # Keras refuses: any exception type
        return Outcome(error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    return Outcome(
        shape=as_shapes(out),
        params=(count(layer.trainable_weights), count(layer.non_trainable_weights)),
    )


def run_static(case: Case, entry) -> Outcome:
    config = full_config(case.layer, case.kwargs)
    if entry.validate is not None:
        try:
            entry.validate(config)
        except ArgError as err:
            return Outcome(error=f"validate: {err.message}")
    try:
        shape = entry.shape(config, [tuple(s) for s in case.shapes])
    except ShapeError as err:
        assert err.message, f"{case}: ShapeError without a message"
        return Outcome(error=err.message, help=err.help)
    shape = [tuple(s) for s in shape] if isinstance(shape, list) else tuple(shape)
    try:
        params = entry.params(config, [tuple(s) for s in case.shapes])
    except ShapeError as err:
        return Outcome(shape=shape, error=f"params: {err.message}")
    return Outcome(shape=shape, params=tuple(params))


def fails_when_run(case: Case, entry) -> Optional[str]:
    """Why the Keras model for `case` is broken at run time, or None when it runs as declared."""
    import numpy as np

    layer = keras_class(case.layer)(**{k: to_keras(v) for k, v in case.kwargs.items()})
    tensors = [keras.Input(batch_shape=s) for s in case.shapes]
    out = layer(tensors[0]) if entry.call == SINGLE else layer(tensors) if entry.call == LIST else layer(*tensors)
    model = keras.Model(tensors, out)
    data = [np.random.rand(*[2 if i == 0 else (3 if d is None else d) for i, d in enumerate(s)]).astype("float32")
            for s in case.shapes]
    try:
        result = model(data)
    except Exception as exc:
        return f"fails when run ({type(exc).__name__})"
    declared = as_shapes(out)
    actual = as_shapes(result)
    declared = declared if isinstance(declared, list) else [declared]
    actual = actual if isinstance(actual, list) else [actual]
    for d, a in zip(declared, actual):
        if len(d) != len(a) or any(x is not None and x != y for x, y in zip(d, a)):
            return f"symbolic shape {d} but {a} when run"
    return None


def compare(case: Case) -> Optional[str]:
    entry = registry.get(case.layer)
    return verdict(case, run_keras(case, entry), run_static(case, entry), find_gap(case),
                   lambda gap: fails_when_run(case, entry))


def verdict(case, k, s, gap, when_run) -> Optional[str]:
    """Why the static outcome `s` disagrees with Keras's `k` for `case`, or None; `when_run(gap)`
    says how a listed gap's Keras model fails when it is run (None: it runs as declared)."""
    if gap is not None and k.error is None and s.error is not None:
        broken = when_run(gap)
        if broken is None:
            return f"{case}: listed as a Keras gap ({gap.reason}) but the Keras model runs as declared"
        return None
    if gap is not None and k.error is None:
        return f"{case}: listed as a Keras gap ({gap.reason}) but the rule accepts it too"
    if k.error and s.error is None:
        return f"{case}: Keras raises ({k.error}) but the rule gives {s.shape}"
    if k.error and s.params is None and s.shape is not None:
        return f"{case}: Keras raises ({k.error}); the shape rule passes but params raise ({s.error})"
    if k.error:
        return None
    if s.error:
        return f"{case}: Keras gives {k.shape} but the rule raises: {s.error}"
    if k.shape != s.shape:
        return f"{case}: shape: Keras {k.shape}, rule {s.shape}"
    if k.params != s.params:
        return f"{case}: params (trainable, non_trainable): Keras {k.params}, rule {s.params}"
    return None


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("layer", sorted(CASES))
def test_rule_agrees_with_keras(layer):
    assert registry.get(layer) is not None, f"no catalogue entry for {layer}"
    mismatches = [m for m in (compare(c) for c in CASES[layer]) if m]
    assert not mismatches, f"{len(mismatches)} of {len(CASES[layer])} cases disagree:\n" + "\n".join(mismatches)


def test_every_gap_is_exercised():
    for gap in GAPS:
        assert any(gap.matches(c) for c in CASES.get(gap.layer, [])), f"unused gap: {gap}"


def test_every_entry_has_a_grid():
    from test_shape_rules_more import CASES as MORE  # the grids of the later layer families

    missing = [e.name for e in registry.entries()
               if e.name not in CASES and e.name not in MORE and e.name not in APPLICATION_LAYERS]
    assert not missing, f"entries without differential cases: {missing}"


def test_grids_exercise_both_outcomes():
    """Each layer's grid has accepted cases, and every layer that can refuse an input has refused ones."""
    never_refuse = {"Activation", "Dropout", "Identity", "Flatten", "Embedding", "ReLU", "ELU", "LeakyReLU",
                    "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Masking", "Rescaling"}
    for layer, cases in CASES.items():
        entry = registry.get(layer)
        outcomes = [run_static(c, entry).error is None for c in cases]
        assert any(outcomes), f"{layer}: every case is refused"
        if layer not in never_refuse:
            assert not all(outcomes), f"{layer}: no case is refused"


def test_entries_are_well_formed():
    names = [e.name for e in registry.entries()]
    assert len(names) == len(set(names))
    for entry in registry.entries():
        assert hasattr(keras.layers, entry.name) or entry.name in APPLICATION_LAYERS, \
            f"{entry.name} is not a Keras layer"
        assert entry.summary and "\n" not in entry.summary, entry.name
        assert entry.call in (SINGLE, LIST, ATTENTION), entry.name
        assert entry.min_inputs >= 1 and (entry.max_inputs is None or entry.max_inputs >= entry.min_inputs)
        assert registry.get(entry.name) is entry
    assert registry.get("MaxPool2D") is None  # aliases are resolved elsewhere
    assert registry.get("NoSuchLayer") is None


def test_too_many_inputs_is_refused_by_keras_too():
    """max_inputs is never stricter than Keras: one tensor too many makes Keras raise as well.

    (Not for MultiHeadAttention: Keras takes a 4th positional tensor as `query_mask`.)
    """
    for entry in registry.entries():
        if entry.max_inputs is None or entry.call != LIST or entry.name in APPLICATION_LAYERS:
            continue  # (keras.applications layers have their own tests: test_application_layers.py)
        n = entry.max_inputs + 1
        shapes = [(N, 4, 8)] * n
        kwargs = {"MultiHeadAttention": dict(num_heads=1, key_dim=2), "Dot": dict(axes=-1),
                  "HashedCrossing": dict(num_bins=4)}.get(entry.name, {})
        outcome = run_keras(Case(entry.name, kwargs, shapes), entry)
        assert outcome.error, f"{entry.name} accepts {n} inputs in Keras"


def test_messages_and_help():
    def err(layer, kwargs, shapes):
        entry = registry.get(layer)
        with pytest.raises(ShapeError) as info:
            entry.shape(full_config(layer, kwargs), shapes)
        return info.value

    e = err("Conv2D", dict(filters=8, kernel_size=3), [(N, 784)])
    assert e.message == "Conv2D expects an input of rank 4 (batch, height, width, channels); received shape (None, 784)"
    assert e.help == "reshape the input first, e.g. `Reshape((28, 28, 1))`"
    e = err("Dense", dict(units=4), [(N, N)])
    assert e.message == "the last axis of the input must be defined; received shape (None, None)"
    # already flat (a Flatten over an axis of unknown size precedes): flattening again cannot help
    assert "already flat" in e.help and "insert `Flatten()`" not in e.help and "GlobalAveragePooling1D()" in e.help
    e = err("Dense", dict(units=4), [(N, 8, N)])
    assert "Flatten()" not in e.help  # Dense acts on the last axis of a rank-3 input
    e = err("Add", {}, [(N, 16, 16, 128), (N, 32, 32, 64)])
    assert e.message == ("Add requires inputs of the same shape; "
                         "received shapes (None, 16, 16, 128) and (None, 32, 32, 64)")
    assert e.help == 'project the shortcut with `Conv2D(128, 1, strides=2, padding="same")`'
    e = err("Add", {}, [(N, 16, 16, 64), (N, 16, 16, 32)])
    assert e.help == 'project the shortcut with `Conv2D(64, 1, padding="same")`'
    e = err("Add", {}, [(N, 8, 8, 64), (N, 15, 15, 8)])
    assert e.help == 'project the shortcut with `Conv2D(64, 1, strides=2, padding="same")`'
    e = err("Add", {}, [(N, 10), (N, 12)])
    assert e.help == "project the shortcut with `Dense(10)`"
    e = err("Concatenate", {}, [(N, 8, 8, 32), (N, 16, 16, 32)])
    assert "(None, 8, 8, 32) and (None, 16, 16, 32)" in e.message and "MaxPooling2D(2)" in e.help
    e = err("Conv2D", dict(filters=8, kernel_size=5), [(N, 3, 3, 4)])
    assert "padding=\"same\"" in e.help
    e = err("LSTM", dict(units=4), [(N, 28, 28, 1)])
    assert e.help.startswith("reshape the input first, e.g. `Reshape((28, 28))`")
    e = err("LSTM", dict(units=4), [(N, 100)])
    assert "Reshape((100, 1))" in e.help and "Embedding" in e.help


def test_validate_rejects_what_the_keras_constructor_rejects():
    bad = [
        ("Conv2D", dict(filters=8, kernel_size=3, strides=2, dilation_rate=2)),
        ("Conv1D", dict(filters=5, kernel_size=3, groups=2)),
        ("MaxPooling2D", dict(pool_size=2, padding="SAME")),
        ("Bidirectional", dict(layer=Sub.of("Dense", units=4))),
        ("Bidirectional", dict(layer=Sub.of("LSTM", units=4), backward_layer=Sub.of("LSTM", units=4))),
        ("Bidirectional", dict(layer=Sub.of("LSTM", units=4, return_sequences=True),
                               backward_layer=Sub.of("LSTM", units=4, go_backwards=True))),
        ("Dot", dict(axes=(1, 2, 3))),
    ]
    for name, kwargs in bad:
        with pytest.raises(Exception):
            layer = keras_class(name)(**{k: to_keras(v) for k, v in kwargs.items()})
            layer(keras.Input(batch_shape=(N, 6, 6, 4)))  # pooling refuses its padding only when called
        with pytest.raises(ArgError):
            registry.get(name).validate(full_config(name, kwargs))


def test_layers_package_does_not_import_keras():
    code = (
        "import sys; from graphspec.catalog import registry; registry.entries(); "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow', 'jax', 'torch')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_see_the_same_config_through_the_signatures_file():
    """Production binds configs from keras_signatures.json; they must equal the inspect-built ones."""
    from graphspec.catalog import signatures

    for layer, cases in CASES.items():
        sig = signatures.layer_signature(layer)
        for case in cases:
            bound, problems = signatures.bind(sig, [], [(k, to_call_value(v)) for k, v in case.kwargs.items()])
            assert not problems, f"{case}: {[p.message for p in problems]}"
            assert bound == full_config(layer, case.kwargs), case
