"""Adaptive pooling: AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D.

The output's spatial size is `output_size` whatever the input's. Keras 3.15.1 checks
nothing when building these layers on symbolic inputs; the rules refuse what fails
on the first real call:

* an input of another rank (the TensorFlow backend raises, or returns a shape
  other than the symbolic one);
* for the max variants, a last spatial axis of known length L pooled to O cells
  with ceil(L / O) + 1 > L (every `output_size=1` among others): the TensorFlow
  backend's two-window max pool then has a window longer than that axis, and the
  process dies of a floating-point exception (on the other axes it does not).

A spatial dim of unknown size is accepted (the TensorFlow backend needs it known
when the model runs inside a traced function; eager calls are fine).
"""

from __future__ import annotations

import math

from graphspec.catalog.base import LayerEntry, ShapeError
from graphspec.catalog.layers._util import (
    channels_last,
    check_rank,
    family_rank_help,
    fmt,
    fmt_value,
    ntuple,
    spatial_dims,
    spatial_layout,
    with_spatial,
)


def make_adaptive(kind: str, spatial: int) -> LayerEntry:
    name = f"Adaptive{kind}Pooling{spatial}D"

    def shape_rule(config, inputs):
        shape = tuple(inputs[0])
        last = channels_last(config)
        check_rank(name, shape, spatial + 2, spatial_layout(spatial, last),
                   lambda: family_rank_help(f"Adaptive{kind}Pooling", spatial, shape, last, per_step=True))
        sizes = ntuple(config["output_size"], spatial, "output_size")
        if kind == "Max":
            # The backend pools the axes one after the other; a too long window on the last
            # spatial axis crashes (on the others it gives an empty tensor that is not used).
            length, size = spatial_dims(shape, last)[-1], sizes[-1]
            if length is not None and math.ceil(length / size) + 1 > length:
                raise ShapeError(
                    f"{name} cannot pool the last spatial axis, of length {length}, to {size} "
                    f"(received shape {fmt(shape)}): Keras's TensorFlow backend then uses a pooling "
                    "window longer than the axis and the process crashes when the model runs",
                    "use a last spatial axis of at least ceil(length / output_size) + 1, a global pooling "
                    f"layer such as `GlobalMaxPooling{spatial}D(keepdims=True)` for output_size=1, "
                    f"or `AdaptiveAveragePooling{spatial}D({fmt_value(config['output_size'])})`",
                )
        channels = shape[-1] if last else shape[1]
        return with_spatial(shape, last, sizes, channels)

    layout = spatial_layout(spatial)
    return LayerEntry(
        name=name,
        shape=shape_rule,
        summary=f"({layout}) -> (batch, *output_size, channels); any input size"
        + ("; a known last spatial axis of length L needs ceil(L / output_size) + 1 <= L (TensorFlow "
           "crashes otherwise)" if kind == "Max" else ""),
    )


ENTRIES = [make_adaptive(kind, spatial) for kind in ("Average", "Max") for spatial in (1, 2, 3)]
