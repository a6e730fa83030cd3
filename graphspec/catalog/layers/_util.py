"""Shared pieces of the static shape and parameter rules (no Keras import).

Shapes are tuples with the batch axis first; unknown dims are None. Every rule
raises `ShapeError` exactly where Keras refuses to build or call the layer on
symbolic inputs of those shapes.
"""

from __future__ import annotations

import math

from graphspec.catalog.base import ArgError, CallValue, ShapeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable, Optional, Sequence

    from graphspec.catalog.base import Shape

# --------------------------------------------------------------------------- formatting


def fmt(shape: Sequence) -> str:
    """A shape as a Python tuple: `(None, 28, 28, 1)`, `(None,)`."""
    return repr(tuple(shape))


def fmt_value(value) -> str:
    """A config value the way a spec author writes it: `(3, 3)`, `"same"`, `2`."""
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, (list, tuple)):
        inner = ", ".join(fmt_value(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def call_text(name: str, *args, **kwargs) -> str:
    """`Conv2D(128, 1, strides=2, padding="same")`, for help lines."""
    parts = [fmt_value(a) for a in args] + [f"{k}={fmt_value(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def join_shapes(shapes: Iterable[Sequence]) -> str:
    shapes = [fmt(s) for s in shapes]
    if len(shapes) <= 2:
        return " and ".join(shapes)
    return ", ".join(shapes[:-1]) + " and " + shapes[-1]


# --------------------------------------------------------------------------- config values


def ntuple(value, n: int, name: str = "value") -> tuple:
    """An int-or-sequence argument as a tuple of n ints (Keras's standardize_tuple)."""
    if isinstance(value, CallValue):
        raise ArgError(name, f"`{name}` must be an integer or a tuple of {n} integers")
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * n
    try:
        out = tuple(value)
    except TypeError:
        raise ArgError(name, f"`{name}` must be an integer or a tuple of {n} integers; received {value!r}")
    if len(out) != n:
        raise ArgError(name, f"`{name}` must be an integer or a tuple of {n} integers; received {fmt_value(value)}")
    return tuple(int(v) for v in out)


def channels_last(config: dict) -> bool:
    """data_format None means Keras's default image data format, channels_last."""
    fmt_ = config.get("data_format")
    return fmt_ is None or str(fmt_).lower() == "channels_last"


def flag(config: dict, name: str, default: bool = False) -> bool:
    value = config.get(name, default)
    return default if value is None else bool(value)


def prod(dims: Iterable[Optional[int]]) -> Optional[int]:
    """The product of dims; None when any is None."""
    out = 1
    for d in dims:
        if d is None:
            return None
        out *= d
    return out


def norm_axis(axis: int, rank: int) -> Optional[int]:
    """`axis` as a non-negative index into a shape of `rank`, or None when out of range."""
    if not -rank <= axis < rank:
        return None
    return axis % rank


# --------------------------------------------------------------------------- shape checks

_LAYOUTS = {
    # (spatial rank, channels_last) -> axis names
    (1, True): "batch, steps, channels",
    (1, False): "batch, channels, steps",
    (2, True): "batch, height, width, channels",
    (2, False): "batch, channels, height, width",
    (3, True): "batch, depth, height, width, channels",
    (3, False): "batch, channels, depth, height, width",
}


def spatial_layout(spatial: int, last: bool = True) -> str:
    return _LAYOUTS.get((spatial, last), ", ".join(["batch"] + ["dim"] * spatial + ["channels"]))


def reshape_help(shape: Shape, target_rank: int, keep_first: bool = False, last: bool = True) -> Optional[str]:
    """A `Reshape(...)` that gives `shape` rank `target_rank` (batch axis included), if one is clear.

    Adding axes adds a channel axis of size 1 (at the end, or first when `last` is False); a
    flat vector meant for an image becomes a square picture with 1 or 3 channels.
    """
    dims = tuple(shape[1:])
    want = target_rank - 1
    if want < 1 or any(d is None for d in dims) or not dims:
        return None
    if len(dims) < want:
        n = prod(dims)
        if len(dims) == 1 and want == 3:
            for ch in (1, 3):
                if n % ch == 0:
                    side = math.isqrt(n // ch)
                    if side * side * ch == n:
                        target = (side, side, ch) if last else (ch, side, side)
                        return f"reshape the input first, e.g. `Reshape({fmt_value(target)})`"
            layout = "(height, width, channels)" if last else "(channels, height, width)"
            return f"reshape the input to {layout} first, with `Reshape(...)`"
        ones = (1,) * (want - len(dims))
        target = dims + ones if last else ones + dims
    else:
        extra = len(dims) - want
        if keep_first:
            # (steps, a, b, ...) -> (steps, a*b*...): e.g. image rows as time steps
            target = dims[: want - 1] + (prod(dims[want - 1 :]),)
        else:
            # merge the leading axes, keep the trailing ones (channels last)
            target = (prod(dims[: extra + 1]),) + dims[extra + 1 :]
    return f"reshape the input first, e.g. `Reshape({fmt_value(target)})`"


def family_rank_help(prefix: str, spatial: int, shape: Shape, last: bool = True, available=(1, 2, 3),
                     per_step: bool = False, suffix: str = "") -> Optional[str]:
    """Help for `{prefix}{spatial}D{suffix}` applied to a shape of another rank: reshape, or the sibling layer."""
    have = len(shape) - 2
    sibling = f"`{prefix}{have}D{suffix}`" if have in available and have != spatial else None
    if have > spatial:
        parts = []
        if sibling:
            parts.append(f"use {sibling} for an input of rank {len(shape)}")
        if per_step and have == spatial + 1:
            wrapped = f"TimeDistributed({prefix}{spatial}D{suffix}(...))"
            parts.append(f"wrap the layer as `{wrapped}` to apply it to every step")
        reshape = reshape_help(shape, spatial + 2, last=last)
        if not parts and reshape:
            parts.append(reshape)
        return ", or ".join(parts) if parts else None
    reshape = reshape_help(shape, spatial + 2, last=last)
    if reshape and sibling:
        if spatial == 3:  # a volume layer on an image: most likely the 2D layer was meant
            return f"use {sibling} for an input of rank {len(shape)}, or {reshape}"
        return f"{reshape}, or use {sibling} for an input of rank {len(shape)}"
    return reshape or (f"use {sibling} for an input of rank {len(shape)}" if sibling else None)


def check_rank(name: str, shape: Shape, rank: int, layout: str, help=None, keep_first: bool = False) -> None:
    """Keras's InputSpec(ndim=rank). `help`: the fix, or a function making it (called only on a wrong rank:
    rules run on every layer call, and most help texts cost more than the check)."""
    if len(shape) != rank:
        if callable(help):
            help = help()
        raise ShapeError(
            f"{name} expects an input of rank {rank} ({layout}); received shape {fmt(shape)}",
            help if help is not None else reshape_help(shape, rank, keep_first=keep_first),
        )


def check_min_rank(name: str, shape: Shape, rank: int, layout: str, help: Optional[str] = None) -> None:
    """Keras's InputSpec(min_ndim=rank)."""
    if len(shape) < rank:
        raise ShapeError(
            f"{name} expects an input of rank {rank} or more ({layout}); received shape {fmt(shape)}",
            help if help is not None else reshape_help(shape, rank),
        )


def global_pool_for(shape: Shape) -> str:
    spatial = max(1, min(3, len(shape) - 2)) if len(shape) > 2 else 2
    return f"GlobalAveragePooling{spatial}D()"


def require_last_defined(name: str, shape: Shape, help: Optional[str] = None, what: str = "last axis") -> None:
    if shape and shape[-1] is None:
        raise ShapeError(f"the {what} of the input must be defined; received shape {fmt(shape)}", help)


def dense_help(name: str, shape: Shape) -> str:
    """The fix for an unknown last axis: flatten or pool a rank-3+ input; a rank-2 one is already flat
    (often the output of a `Flatten()` over an axis of unknown size), so flattening again cannot help."""
    if len(shape) == 2:
        return (f"the input is already flat but its size is unknown: an axis of size None was flattened "
                f"upstream; give that input axis a fixed size, or reduce it with a global pooling layer "
                f"(e.g. `GlobalAveragePooling1D()` instead of `Flatten()`) before `{name}`")
    pool = global_pool_for(shape)
    return f"insert `Flatten()` or a global pooling layer such as `{pool}` before `{name}`"


def channel_axis(config: dict, rank: int) -> int:
    return rank - 1 if channels_last(config) else 1


def require_channels(name: str, config: dict, shape: Shape, spatial: int) -> int:
    """The (defined) channel count of a conv-style input."""
    axis = channel_axis(config, len(shape))
    c = shape[axis]
    if c is None:
        example = (None,) * spatial + (3,) if channels_last(config) else (3,) + (None,) * spatial
        if axis == len(shape) - 1:
            msg = f"the last axis of the input (channels) must be defined; received shape {fmt(shape)}"
        else:
            msg = f"the channel axis (axis 1) of the input must be defined; received shape {fmt(shape)}"
        raise ShapeError(msg, f"give the input a fixed number of channels, e.g. `{fmt(example)}`")
    return c


# --------------------------------------------------------------------------- window arithmetic


def window_length(length: Optional[int], size: int, stride: int, padding: str, dilation: int = 1) -> Optional[int]:
    """Output length of a conv / pooling window along one axis (Keras's formulas)."""
    if length is None:
        return None
    padding = padding.lower()
    if padding == "valid":
        return (length - dilation * (size - 1) - 1) // stride + 1
    # "same" and "causal"
    return (length - 1) // stride + 1


def spatial_dims(shape: Shape, last: bool) -> tuple:
    return tuple(shape[1:-1]) if last else tuple(shape[2:])


def with_spatial(shape: Shape, last: bool, spatial: Sequence, channels) -> Shape:
    if last:
        return (shape[0],) + tuple(spatial) + (channels,)
    return (shape[0], channels) + tuple(spatial)


def window_output(
    name: str,
    shape: Shape,
    last: bool,
    sizes: tuple,
    strides: tuple,
    padding: str,
    dilations: tuple,
    what: str = "kernel",
) -> tuple:
    """The output spatial dims; ShapeError when a window does not fit with padding="valid"."""
    spatial = spatial_dims(shape, last)
    out = tuple(window_length(n, k, s, padding, d) for n, k, s, d in zip(spatial, sizes, strides, dilations))
    if any(o is not None and o <= 0 for o in out):
        eff = tuple(d * (k - 1) + 1 for k, d in zip(sizes, dilations))
        size_text = fmt_value(sizes if len(sizes) > 1 else sizes[0])
        dil = f" (dilated to {fmt_value(eff if len(eff) > 1 else eff[0])})" if eff != tuple(sizes) else ""
        raise ShapeError(
            f"the {what} {size_text}{dil} does not fit in the input's spatial size "
            f"{fmt(spatial)} with padding=\"valid\"; the output would be empty (received shape {fmt(shape)})",
            f"use padding=\"same\", a smaller {what}, or a larger input",
        )
    return out


def keeps_input_dtype(config, dtypes):
    """Output dtype of layers that only move values around: a non-float input keeps its dtype."""
    source = dtypes[0] if dtypes else "float32"
    return None if source.startswith(("float", "bfloat")) else source


def indices_dtype(int_dtype: str, default_mode: str = "int"):
    """Output dtype of lookups and hashing: integer indices in "int" mode, else floats."""

    def rule(config, dtypes):
        return int_dtype if config.get("output_mode", default_mode) == "int" else None

    return rule
