"""Pooling: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and their global forms."""

from __future__ import annotations

from graphspec.catalog.base import ArgError, LayerEntry
from graphspec.catalog.layers._util import (
    channels_last,
    check_rank,
    family_rank_help,
    fmt_value,
    ntuple,
    spatial_layout,
    window_output,
    with_spatial,
)
from graphspec.diagnostics import codes


def make_pooling(kind: str, spatial: int):
    name = f"{kind}Pooling{spatial}D"

    def shape_rule(config, inputs):
        shape = tuple(inputs[0])
        last = channels_last(config)
        check_rank(name, shape, spatial + 2, spatial_layout(spatial, last),
                   lambda: family_rank_help(f"{kind}Pooling", spatial, shape, last, per_step=True))
        sizes = ntuple(config.get("pool_size", 2), spatial, "pool_size")
        strides = config.get("strides")
        strides = sizes if strides is None else ntuple(strides, spatial, "strides")
        out = window_output(
            name, shape, last, sizes, strides, str(config.get("padding", "valid")), (1,) * spatial, what="pool size"
        )
        channels = shape[-1] if last else shape[1]
        return with_spatial(shape, last, out, channels)

    def validate(config):
        padding = config.get("padding", "valid")
        if padding not in ("valid", "same"):
            raise ArgError(
                "padding",
                f"`padding` of a pooling layer must be \"valid\" or \"same\"; received {fmt_value(padding)}",
                help='write padding="valid" or padding="same" (lower case)',
                code=codes.E305,
            )
        strides = config.get("strides")
        if strides is not None and min(ntuple(strides, spatial, "strides")) <= 0:
            raise ArgError("strides", f"`strides` must be positive; received {fmt_value(strides)}", code=codes.E305)

    layout = spatial_layout(spatial)
    return LayerEntry(
        name=name,
        shape=shape_rule,
        validate=validate,
        summary=f"({layout}) -> ({layout}); spatial dims pooled by pool_size / strides "
        "(strides default to pool_size)",
    )


def make_global(kind: str, spatial: int):
    name = f"Global{kind}Pooling{spatial}D"

    def shape_rule(config, inputs):
        shape = tuple(inputs[0])
        last = channels_last(config)
        check_rank(name, shape, spatial + 2, spatial_layout(spatial, last),
                   lambda: family_rank_help(f"Global{kind}Pooling", spatial, shape, last, per_step=True))
        channels = shape[-1] if last else shape[1]
        if config.get("keepdims"):
            return with_spatial(shape, last, (1,) * spatial, channels)
        return (shape[0], channels)

    layout = spatial_layout(spatial)
    return LayerEntry(
        name=name,
        shape=shape_rule,
        summary=f"({layout}) -> (batch, channels); keepdims=True keeps the spatial axes as 1",
    )


ENTRIES = [
    make_pooling(kind, spatial) for kind in ("Max", "Average") for spatial in (1, 2, 3)
] + [make_global(kind, spatial) for kind in ("Max", "Average") for spatial in (1, 2, 3)]
