"""Core layers: Dense, Activation, Dropout, Flatten, Embedding, normalization, Reshape, Identity, Masking,
Rescaling."""

from __future__ import annotations

from graphspec.catalog.base import LayerEntry, ShapeError
from graphspec.catalog.layers._util import (
    keeps_input_dtype,
    check_min_rank,
    dense_help,
    flag,
    fmt,
    fmt_value,
    norm_axis,
    prod,
    require_last_defined,
)


def same_shape(config, inputs):
    return tuple(inputs[0])


# --------------------------------------------------------------------------- Dense


def _dense_input(config, shape):
    check_min_rank("Dense", shape, 2, "batch, ..., features",
                   "give the input a feature axis, e.g. declare it as `(1,)` or add `Reshape((1,))`")
    if len(shape) == 2:
        require_last_defined("Dense", shape, dense_help("Dense", shape))
    else:
        require_last_defined("Dense", shape, "give the last axis a fixed size: Dense acts on the last axis only")
    return shape[-1]


def dense_shape(config, inputs):
    shape = tuple(inputs[0])
    _dense_input(config, shape)
    return shape[:-1] + (config["units"],)


def _lora_counts(rows: int, cols: int, config) -> tuple:
    """(trainable, non_trainable) of a (rows, cols) kernel, with LoRA when lora_rank is set."""
    rank = config.get("lora_rank")
    if rank:
        return rank * (rows + cols), rows * cols
    return rows * cols, 0


def dense_params(config, inputs):
    n_in = _dense_input(config, tuple(inputs[0]))
    units = config["units"]
    trainable, frozen = _lora_counts(n_in, units, config)
    if flag(config, "use_bias", True):
        trainable += units
    return trainable, frozen


# --------------------------------------------------------------------------- Flatten


def flatten_shape(config, inputs):
    shape = tuple(inputs[0])
    rest = shape[1:]
    if not rest:
        return (shape[0], 1)
    return (shape[0], prod(rest))


# --------------------------------------------------------------------------- Embedding


def embedding_shape(config, inputs):
    return tuple(inputs[0]) + (config["output_dim"],)


def embedding_params(config, inputs):
    return _lora_counts(config["input_dim"], config["output_dim"], config)


# --------------------------------------------------------------------------- normalization


def _axis_error(axis, shape):
    return ShapeError(
        f"axis {fmt_value(axis)} is out of range for an input of rank {len(shape)}; received shape {fmt(shape)}",
        f"choose an axis between {-len(shape)} and {len(shape) - 1}",
    )


def _norm_dims(name, axes, shape):
    """The sizes of the normalized axes (they hold the weights), all defined."""
    dims = []
    for a in axes:
        i = norm_axis(a, len(shape))
        if i is None:
            raise _axis_error(a, shape)
        dims.append(shape[i])
    for a in axes:
        i = norm_axis(a, len(shape))
        if shape[i] is None:
            if i == 0:
                raise ShapeError(
                    f"{name} cannot normalize over the batch axis (axis {a}); received shape {fmt(shape)}",
                    "normalize over a feature axis, e.g. the default `axis=-1`",
                )
            raise ShapeError(
                f"the normalized axis {a} of the input must be defined; received shape {fmt(shape)}",
                "give that axis a fixed size in the input shape",
            )
    return dims


def batchnorm_shape(config, inputs):
    shape = tuple(inputs[0])
    _norm_dims("BatchNormalization", [int(config.get("axis", -1))], shape)
    return shape


def batchnorm_params(config, inputs):
    shape = tuple(inputs[0])
    (c,) = _norm_dims("BatchNormalization", [int(config.get("axis", -1))], shape)
    trainable = c * (flag(config, "center", True) + flag(config, "scale", True))
    frozen = c * (2 + (3 if flag(config, "renorm") else 0))
    return trainable, frozen


def _ln_axes(config):
    axis = config.get("axis", -1)
    return list(axis) if isinstance(axis, (list, tuple)) else [axis]


def layernorm_shape(config, inputs):
    shape = tuple(inputs[0])
    _norm_dims("LayerNormalization", _ln_axes(config), shape)
    return shape


def layernorm_params(config, inputs):
    shape = tuple(inputs[0])
    n = prod(_norm_dims("LayerNormalization", _ln_axes(config), shape))
    return n * (flag(config, "center", True) + flag(config, "scale", True)), 0


def unitnorm_shape(config, inputs):
    shape = tuple(inputs[0])
    for a in _ln_axes(config):
        if norm_axis(a, len(shape)) is None:
            raise _axis_error(a, shape)
    return shape


def rmsnorm_params(config, inputs):
    return prod(_norm_dims("RMSNormalization", _ln_axes(config), tuple(inputs[0]))), 0


def rmsnorm_shape(config, inputs):
    rmsnorm_params(config, inputs)
    return tuple(inputs[0])


def _group_dim(config, shape):
    (dim,) = _norm_dims("GroupNormalization", [int(config.get("axis", -1))], shape)
    groups = config.get("groups", 32)
    groups = dim if groups == -1 else groups
    if dim < groups or dim % groups:
        raise ShapeError(
            f"the normalized axis has {dim} channels, which cannot be split into groups={groups}; "
            f"received shape {fmt(shape)}",
            f"choose `groups` that divides {dim}, e.g. groups={_divisor_near(dim, groups)}",
        )
    return dim


def _divisor_near(n: int, want: int) -> int:
    return max(d for d in range(1, n + 1) if n % d == 0 and d <= max(1, want))


def groupnorm_shape(config, inputs):
    _group_dim(config, tuple(inputs[0]))
    return tuple(inputs[0])


def groupnorm_params(config, inputs):
    dim = _group_dim(config, tuple(inputs[0]))
    return dim * (flag(config, "center", True) + flag(config, "scale", True)), 0


# --------------------------------------------------------------------------- Reshape


def reshape_shape(config, inputs):
    shape = tuple(inputs[0])
    target = tuple(d if isinstance(d, int) and not isinstance(d, bool) else None for d in config["target_shape"])
    rest = shape[1:]
    if None in rest or None in target:
        return (shape[0],) + tuple(None if d == -1 else d for d in target)
    size = prod(rest)
    unknown = [i for i, d in enumerate(target) if d == -1]
    if not unknown:
        if size != prod(target):
            raise ShapeError(
                f"cannot reshape an input of shape {fmt(shape)} ({size} values per sample) "
                f"to {fmt(target)} ({prod(target)} values)",
                _reshape_help(rest, size),
            )
        return (shape[0],) + target
    known = prod(d for d in target if d != -1)
    if known == 0 or size % known != 0:
        raise ShapeError(
            f"cannot reshape an input of shape {fmt(shape)} ({size} values per sample) to {fmt(target)}: "
            f"{size} is not divisible by {known}",
            _reshape_help(rest, size),
        )
    out = list(target)
    out[unknown[0]] = size // known
    return (shape[0],) + tuple(out)


def _reshape_help(rest, size):
    return f"the target shape must hold exactly {size} values per sample; use -1 for one axis to infer it"


# --------------------------------------------------------------------------- entries

ENTRIES = [
    LayerEntry(
        name="Dense",
        shape=dense_shape,
        params=dense_params,
        summary="(batch, ..., d) -> (batch, ..., units); d must be defined",
    ),
    LayerEntry(name="Activation", shape=same_shape, summary="any shape -> the same shape"),
    LayerEntry(name="Dropout", shape=same_shape, summary="any shape -> the same shape"),
    LayerEntry(
        name="Flatten",
        shape=flatten_shape,
        dtype=keeps_input_dtype,
        summary="(batch, d1, d2, ...) -> (batch, d1*d2*...); None when any dim is None",
    ),
    LayerEntry(
        name="Embedding",
        shape=embedding_shape,
        params=embedding_params,
        summary="(batch, ...) integer ids -> (batch, ..., output_dim)",
    ),
    LayerEntry(
        name="BatchNormalization",
        shape=batchnorm_shape,
        params=batchnorm_params,
        summary="any shape -> the same shape; the `axis` dim must be defined",
    ),
    LayerEntry(
        name="LayerNormalization",
        shape=layernorm_shape,
        params=layernorm_params,
        summary="any shape -> the same shape; the `axis` dims must be defined",
    ),
    LayerEntry(
        name="Reshape",
        shape=reshape_shape,
        dtype=keeps_input_dtype,
        summary="(batch, ...) -> (batch, *target_shape); -1 infers one axis; sizes must match",
    ),
    LayerEntry(name="Identity", shape=same_shape, dtype=keeps_input_dtype, summary="any shape -> the same shape"),
    LayerEntry(name="Masking", shape=same_shape, summary="any shape -> the same shape"),
    LayerEntry(name="Rescaling", shape=same_shape, summary="any shape -> the same shape"),
    LayerEntry(name="UnitNormalization", shape=unitnorm_shape,
               summary="any shape -> the same shape; `axis` must exist"),
    LayerEntry(name="RMSNormalization", shape=rmsnorm_shape, params=rmsnorm_params,
               summary="any shape -> the same shape; the `axis` dims must be defined"),
    LayerEntry(name="GroupNormalization", shape=groupnorm_shape, params=groupnorm_params,
               summary="any shape -> the same shape; the `axis` dim must be defined and divisible by `groups`"),
]
