"""Convolutions: Conv1D, Conv2D, Conv3D."""

from __future__ import annotations

from graphspec.catalog.base import ArgError, LayerEntry, ShapeError
from graphspec.catalog.layers._util import (
    channels_last,
    check_rank,
    flag,
    fmt,
    ntuple,
    prod,
    reshape_help,
    require_channels,
    spatial_layout,
    window_output,
    with_spatial,
)


def rank_help(spatial: int, shape) -> str | None:
    """Help for a conv-style layer of `spatial` dims applied to a shape of the wrong rank."""
    have = len(shape) - 2
    if have > spatial and 1 <= have <= 3:
        return f"use `Conv{have}D` for an input of rank {len(shape)}, or reshape the input first"
    return reshape_help(shape, spatial + 2)


def conv_geometry(name: str, spatial: int, config: dict, shape):
    """Validate a conv input; return (channels, output spatial dims)."""
    shape = tuple(shape)
    last = channels_last(config)
    check_rank(name, shape, spatial + 2, spatial_layout(spatial, last), rank_help(spatial, shape))
    channels = require_channels(name, config, shape, spatial)
    groups = config.get("groups", 1) or 1
    if channels % groups != 0:
        raise ShapeError(
            f"the input's {channels} channels are not divisible by groups={groups}; received shape {fmt(shape)}",
            "choose `groups` that divides both the input channels and `filters`",
        )
    out = window_output(
        name,
        shape,
        last,
        ntuple(config["kernel_size"], spatial, "kernel_size"),
        ntuple(config.get("strides", 1), spatial, "strides"),
        str(config.get("padding", "valid")),
        ntuple(config.get("dilation_rate", 1), spatial, "dilation_rate"),
    )
    return channels, out


def make_conv(spatial: int):
    name = f"Conv{spatial}D"

    def shape_rule(config, inputs):
        shape = tuple(inputs[0])
        _, out = conv_geometry(name, spatial, config, shape)
        return with_spatial(shape, channels_last(config), out, config["filters"])

    def params_rule(config, inputs):
        channels, _ = conv_geometry(name, spatial, config, inputs[0])
        groups = config.get("groups", 1) or 1
        filters = config["filters"]
        kernel = prod(ntuple(config["kernel_size"], spatial, "kernel_size"))
        trainable = kernel * (channels // groups) * filters
        if flag(config, "use_bias", True):
            trainable += filters
        return trainable, 0

    def validate(config):
        strides = ntuple(config.get("strides", 1), spatial, "strides")
        dilation = ntuple(config.get("dilation_rate", 1), spatial, "dilation_rate")
        if max(strides) > 1 and max(dilation) > 1:
            raise ArgError(
                "dilation_rate",
                f"`strides` > 1 cannot be combined with `dilation_rate` > 1 "
                f"(received strides={config.get('strides')!r}, dilation_rate={config.get('dilation_rate')!r})",
                help="use either strides or dilation, or two layers",
                code="E305",
            )
        groups = config.get("groups", 1)
        filters = config.get("filters")
        if isinstance(groups, int) and isinstance(filters, int) and groups > 0 and filters % groups:
            raise ArgError(
                "groups",
                f"`filters` ({filters}) must be divisible by `groups` ({groups})",
                help=f"choose a number of filters that is a multiple of {groups}",
                code="E305",
            )

    layout = spatial_layout(spatial)
    out_layout = layout.replace("channels", "filters")
    return LayerEntry(
        name=name,
        shape=shape_rule,
        params=params_rule,
        validate=validate,
        summary=f"({layout}) -> ({out_layout}); spatial dims shrink by the kernel with padding=\"valid\", "
        "divide by strides",
    )


ENTRIES = [make_conv(1), make_conv(2), make_conv(3)]
