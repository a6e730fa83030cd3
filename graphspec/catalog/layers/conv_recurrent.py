"""Convolutional recurrent layers: ConvLSTM1D/2D/3D."""

from __future__ import annotations

from graphspec.catalog.base import LayerEntry, ShapeError
from graphspec.catalog.layers._util import (
    channels_last,
    check_rank,
    flag,
    fmt,
    ntuple,
    prod,
    reshape_help,
    spatial_dims,
    window_output,
    with_spatial,
)
from graphspec.catalog.layers.conv import _check_strides_dilation

_LAYOUTS = {
    (1, True): "batch, time, steps, channels",
    (1, False): "batch, time, channels, steps",
    (2, True): "batch, time, height, width, channels",
    (2, False): "batch, time, channels, height, width",
    (3, True): "batch, time, depth, height, width, channels",
    (3, False): "batch, time, channels, depth, height, width",
}


def _rank_help(spatial: int, shape) -> str | None:
    have = len(shape) - 3
    if have in (1, 2, 3) and have != spatial:
        return f"use `ConvLSTM{have}D` for an input of rank {len(shape)}"
    if len(shape) == spatial + 2:
        return (f"ConvLSTM{spatial}D needs a time axis after the batch axis; for a single frame, "
                f"use `Conv{spatial}D`, or add a time axis of 1 with `Reshape(...)`")
    return reshape_help(shape, spatial + 3)


def make_conv_lstm(spatial: int) -> LayerEntry:
    name = f"ConvLSTM{spatial}D"

    def geometry(config, shape):
        """Validate the input; return (channels, per-step output shape without the batch axis)."""
        shape = tuple(shape)
        last = channels_last(config)
        check_rank(name, shape, spatial + 3, _LAYOUTS[(spatial, last)], lambda: _rank_help(spatial, shape))
        step = (shape[0],) + shape[2:]
        dims = spatial_dims(step, last)
        if None in dims:
            raise ShapeError(
                f"{name} needs every spatial axis defined; received shape {fmt(shape)}",
                "give the frames a fixed size (the time axis may stay None)",
            )
        channels = step[-1] if last else step[1]
        if channels is None:
            raise ShapeError(
                f"the channel axis of the input must be defined; received shape {fmt(shape)}",
                "give the frames a fixed number of channels",
            )
        if flag(config, "stateful") and shape[0] is None:
            raise ShapeError(
                f"a stateful {name} needs a fixed batch size; received shape {fmt(shape)}",
                "set stateful=False, or build the model with a fixed batch size",
            )
        out = window_output(
            name, step, last,
            ntuple(config["kernel_size"], spatial, "kernel_size"),
            ntuple(config.get("strides", 1), spatial, "strides"),
            str(config.get("padding", "valid")),
            ntuple(config.get("dilation_rate", 1), spatial, "dilation_rate"),
        )
        state = with_spatial(step, last, out, config["filters"])[1:]
        return channels, state

    def shape_rule(config, inputs):
        shape = tuple(inputs[0])
        _, state = geometry(config, shape)
        batch = shape[0]
        out = (batch, shape[1]) + state if flag(config, "return_sequences") else (batch,) + state
        if flag(config, "return_state"):
            return [out, (batch,) + state, (batch,) + state]
        return out

    def params_rule(config, inputs):
        channels, _ = geometry(config, inputs[0])
        filters = config["filters"]
        kernel = prod(ntuple(config["kernel_size"], spatial, "kernel_size"))
        count = kernel * channels * 4 * filters + kernel * filters * 4 * filters
        if flag(config, "use_bias", True):
            count += 4 * filters
        return count, 0

    def validate(config):
        _check_strides_dilation(config, spatial)

    layout = _LAYOUTS[(spatial, True)]
    return LayerEntry(
        name=name,
        shape=shape_rule,
        params=params_rule,
        validate=validate,
        summary=f"({layout}) -> the last frame's convolution (batch, ..., filters), or every frame's with "
        "return_sequences; return_state adds 2 states; spatial dims and channels must be defined",
    )


ENTRIES = [make_conv_lstm(spatial) for spatial in (1, 2, 3)]
