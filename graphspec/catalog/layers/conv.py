"""Convolutions: Conv1D/2D/3D, their transposes, SeparableConv1D/2D, DepthwiseConv1D/2D."""

from __future__ import annotations

from graphspec.catalog.base import ArgError, LayerEntry, ShapeError
from graphspec.catalog.layers._util import (
    channels_last,
    check_rank,
    flag,
    fmt,
    ntuple,
    prod,
    family_rank_help,
    require_channels,
    spatial_dims,
    spatial_layout,
    window_output,
    with_spatial,
)
from graphspec.diagnostics import codes


def rank_help(spatial: int, shape, last: bool = True, prefix: str = "Conv", available=(1, 2, 3),
              suffix: str = "") -> str | None:
    """Help for a conv-style layer of `spatial` dims applied to a shape of the wrong rank."""
    return family_rank_help(prefix, spatial, shape, last, available, per_step=True, suffix=suffix)


def conv_geometry(name: str, spatial: int, config: dict, shape):
    """Validate a conv input; return (channels, output spatial dims)."""
    shape = tuple(shape)
    last = channels_last(config)
    prefix = name[: name.index(f"{spatial}D")]
    available = (1, 2) if prefix in ("SeparableConv", "DepthwiseConv") else (1, 2, 3)
    check_rank(name, shape, spatial + 2, spatial_layout(spatial, last),
               lambda: rank_help(spatial, shape, last, prefix, available))
    channels = require_channels(name, config, shape, spatial)
    groups = config.get("groups", 1) or 1
    if channels % groups != 0:
        raise ShapeError(
            f"the input's channel count ({channels}) is not divisible by groups={groups}; "
            f"received shape {fmt(shape)}",
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


def _check_strides_dilation(config, spatial):
    strides = ntuple(config.get("strides", 1), spatial, "strides")
    dilation = ntuple(config.get("dilation_rate", 1), spatial, "dilation_rate")
    if max(strides) > 1 and max(dilation) > 1:
        raise ArgError(
            "dilation_rate",
            f"`strides` > 1 cannot be combined with `dilation_rate` > 1 "
            f"(received strides={config.get('strides')!r}, dilation_rate={config.get('dilation_rate')!r})",
            help="use either strides or dilation, or two layers",
            code=codes.E305,
        )


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
        _check_strides_dilation(config, spatial)
        groups = config.get("groups", 1)
        filters = config.get("filters")
        if isinstance(groups, int) and isinstance(filters, int) and groups > 0 and filters % groups:
            raise ArgError(
                "groups",
                f"`filters` ({filters}) must be divisible by `groups` ({groups})",
                help=f"choose a number of filters that is a multiple of {groups}",
                code=codes.E305,
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


# --------------------------------------------------------------------------- transposed convolutions


def transpose_length(length, kernel, stride, padding, output_padding, dilation):
    """Keras's output length of a transposed convolution along one axis."""
    if length is None:
        return None
    kernel = (kernel - 1) * dilation + 1
    if str(padding).lower() == "valid":
        extra = max(kernel, stride) - kernel if output_padding is None else output_padding
        return (length - 1) * stride + kernel + extra
    if output_padding is None:
        return length * stride
    return (length - 1) * stride + kernel % 2 + output_padding


def make_conv_transpose(spatial: int):
    name = f"Conv{spatial}DTranspose"

    def geometry(config, shape):
        shape = tuple(shape)
        last = channels_last(config)
        check_rank(name, shape, spatial + 2, spatial_layout(spatial, last),
                   lambda: rank_help(spatial, shape, last, suffix="Transpose"))
        channels = require_channels(name, config, shape, spatial)
        kernel = ntuple(config["kernel_size"], spatial, "kernel_size")
        strides = ntuple(config.get("strides", 1), spatial, "strides")
        dilation = ntuple(config.get("dilation_rate", 1), spatial, "dilation_rate")
        op = config.get("output_padding")
        op = (None,) * spatial if op is None else ntuple(op, spatial, "output_padding")
        padding = config.get("padding", "valid")
        out = tuple(
            transpose_length(n, k, s, padding, o, d)
            for n, k, s, o, d in zip(spatial_dims(shape, last), kernel, strides, op, dilation)
        )
        return channels, kernel, out

    def shape_rule(config, inputs):
        shape = tuple(inputs[0])
        _, _, out = geometry(config, shape)
        return with_spatial(shape, channels_last(config), out, config["filters"])

    def params_rule(config, inputs):
        channels, kernel, _ = geometry(config, inputs[0])
        filters = config["filters"]
        return prod(kernel) * channels * filters + (filters if flag(config, "use_bias", True) else 0), 0

    def validate(config):
        _check_strides_dilation(config, spatial)
        op = config.get("output_padding")
        if op is not None:
            strides = ntuple(config.get("strides", 1), spatial, "strides")
            for o, s in zip(ntuple(op, spatial, "output_padding"), strides):
                if o >= s:
                    raise ArgError(
                        "output_padding",
                        f"each `output_padding` value must be smaller than the stride "
                        f"(received output_padding={op!r}, strides={config.get('strides')!r})",
                        code=codes.E305,
                    )

    layout = spatial_layout(spatial)
    return LayerEntry(
        name=name,
        shape=shape_rule,
        params=params_rule,
        validate=validate,
        summary=f"({layout}) -> ({layout.replace('channels', 'filters')}); spatial dims multiplied by strides "
        "(padding=\"same\"), plus the kernel overhang with padding=\"valid\"",
    )


# --------------------------------------------------------------------------- separable and depthwise


def make_separable(spatial: int, depthwise_only: bool):
    name = f"{'Depthwise' if depthwise_only else 'Separable'}Conv{spatial}D"

    def shape_rule(config, inputs):
        shape = tuple(inputs[0])
        channels, out = conv_geometry(name, spatial, config, shape)
        filters = channels * config.get("depth_multiplier", 1) if depthwise_only else config["filters"]
        return with_spatial(shape, channels_last(config), out, filters)

    def params_rule(config, inputs):
        channels, _ = conv_geometry(name, spatial, config, inputs[0])
        mult = config.get("depth_multiplier", 1)
        kernel = prod(ntuple(config["kernel_size"], spatial, "kernel_size"))
        count = kernel * channels * mult
        out = channels * mult
        if not depthwise_only:
            count += channels * mult * config["filters"]
            out = config["filters"]
        if flag(config, "use_bias", True):
            count += out
        return count, 0

    def validate(config):
        _check_strides_dilation(config, spatial)

    layout = spatial_layout(spatial)
    out_axis = "channels*depth_multiplier" if depthwise_only else "filters"
    return LayerEntry(
        name=name,
        shape=shape_rule,
        params=params_rule,
        validate=validate,
        summary=f"({layout}) -> ({layout.replace('channels', out_axis)}); spatial dims as for Conv{spatial}D",
    )


ENTRIES = [
    make_conv(1),
    make_conv(2),
    make_conv(3),
    make_conv_transpose(1),
    make_conv_transpose(2),
    make_conv_transpose(3),
    make_separable(1, False),
    make_separable(2, False),
    make_separable(1, True),
    make_separable(2, True),
]
