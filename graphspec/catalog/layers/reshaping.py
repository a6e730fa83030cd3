"""Reshaping layers: Permute, RepeatVector, UpSampling1D/2D/3D, ZeroPadding1D/2D/3D, Cropping1D/2D/3D.

(Reshape and Flatten live in core.py.)
"""

from __future__ import annotations

from graphspec.catalog.base import ArgError, LayerEntry, ShapeError
from graphspec.diagnostics import codes
from graphspec.catalog.layers._util import (
    keeps_input_dtype,
    channels_last,
    check_rank,
    fmt,
    family_rank_help,
    fmt_value,
    ntuple,
    spatial_dims,
    spatial_layout,
    with_spatial,
)


def _check(prefix: str, spatial: int, config: dict, shape, last: bool = True):
    check_rank(f"{prefix}{spatial}D", shape, spatial + 2, spatial_layout(spatial, last),
               lambda: family_rank_help(prefix, spatial, shape, last))


# --------------------------------------------------------------------------- Permute, RepeatVector


def permute_shape(config, inputs):
    shape = tuple(inputs[0])
    dims = tuple(config["dims"])
    check_rank("Permute", shape, len(dims) + 1, f"batch and {len(dims)} axes for dims={fmt_value(dims)}", None)
    return (shape[0],) + tuple(shape[d] for d in dims)


def permute_validate(config):
    """Keras's own check in Permute.__init__: `dims` is a permutation of 1..n."""
    dims = config.get("dims")
    if not isinstance(dims, (list, tuple)) or not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
        return  # a wrong type is the signature's to report (E302)
    if sorted(dims) != list(range(1, len(dims) + 1)):
        raise ArgError(
            "dims",
            f"Invalid permutation argument `dims` for Permute: the indices must be consecutive and start "
            f"from 1; received dims={fmt_value(tuple(dims))}",
            help=f"list every axis after the batch once, e.g. dims={fmt_value(tuple(range(len(dims), 0, -1)) or (1,))}",
            code=codes.E305,
        )


def repeat_vector_shape(config, inputs):
    shape = tuple(inputs[0])
    check_rank("RepeatVector", shape, 2, "batch, features",
               "flatten the input first, e.g. `Flatten()`" if len(shape) > 2 else None)
    return (shape[0], config["n"], shape[1])


# --------------------------------------------------------------------------- UpSampling


def make_upsampling(spatial: int):
    name = f"UpSampling{spatial}D"

    def shape_rule(config, inputs):
        shape = tuple(inputs[0])
        last = channels_last(config) if spatial > 1 else True
        _check("UpSampling", spatial, config, shape, last)
        sizes = ntuple(config.get("size", 2), spatial, "size")
        out = tuple(None if d is None else d * s for d, s in zip(spatial_dims(shape, last), sizes))
        return with_spatial(shape, last, out, shape[-1] if last else shape[1])

    layout = spatial_layout(spatial)
    return LayerEntry(name=name, shape=shape_rule, summary=f"({layout}) -> spatial dims multiplied by `size`")


# --------------------------------------------------------------------------- ZeroPadding, Cropping


def _pairs(value, spatial: int, name: str) -> tuple:
    """An int, n ints, or n pairs -> n (before, after) pairs (Keras's padding/cropping forms)."""
    if spatial == 1:
        return (ntuple(value, 2, name),)
    if isinstance(value, int):
        return ((value, value),) * spatial
    return tuple(ntuple(v, 2, name) for v in value)


def make_zero_padding(spatial: int):
    name = f"ZeroPadding{spatial}D"

    def shape_rule(config, inputs):
        shape = tuple(inputs[0])
        last = channels_last(config)
        _check("ZeroPadding", spatial, config, shape, last)
        pads = _pairs(config.get("padding", 1), spatial, "padding")
        out = tuple(None if d is None else d + a + b for d, (a, b) in zip(spatial_dims(shape, last), pads))
        return with_spatial(shape, last, out, shape[-1] if last else shape[1])

    layout = spatial_layout(spatial)
    return LayerEntry(name=name, shape=shape_rule, summary=f"({layout}) -> spatial dims grown by the padding")


def make_cropping(spatial: int):
    name = f"Cropping{spatial}D"

    def shape_rule(config, inputs):
        shape = tuple(inputs[0])
        last = channels_last(config) if spatial > 1 else True
        _check("Cropping", spatial, config, shape, last)
        crops = _pairs(config.get("cropping", 1), spatial, "cropping")
        dims = spatial_dims(shape, last)
        out = tuple(None if d is None else d - a - b for d, (a, b) in zip(dims, crops))
        if any(o is not None and o <= 0 for o in out):
            raise ShapeError(
                f"cropping {fmt_value(crops if spatial > 1 else crops[0])} removes the whole input "
                f"(spatial size {fmt(dims)}); received shape {fmt(shape)}",
                "crop less than the input's size on every axis",
            )
        return with_spatial(shape, last, out, shape[-1] if last else shape[1])

    layout = spatial_layout(spatial)
    return LayerEntry(name=name, shape=shape_rule,
                      summary=f"({layout}) -> spatial dims shrunk by the cropping (must stay positive)")


ENTRIES = [
    LayerEntry(name="Permute", shape=permute_shape, dtype=keeps_input_dtype, validate=permute_validate,
               summary="(batch, d1, ..., dn) -> the axes reordered by `dims` (1-based)"),
    LayerEntry(name="RepeatVector", shape=repeat_vector_shape, summary="(batch, features) -> (batch, n, features)"),
    make_upsampling(1),
    make_upsampling(2),
    make_upsampling(3),
    make_zero_padding(1),
    make_zero_padding(2),
    make_zero_padding(3),
    make_cropping(1),
    make_cropping(2),
    make_cropping(3),
]
