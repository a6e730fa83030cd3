"""Adaptive pooling: AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D.

The output's spatial size is `output_size` whatever the input's. Keras 3.15.1 checks
nothing when building these layers on symbolic inputs; the rules refuse what fails
on the first real call:

* an input of another rank (the TensorFlow backend raises, or returns a shape
  other than the symbolic one);
* for the max variants, an axis of known length L pooled to O cells with
  ceil(L / O) + 1 > L (every `output_size=1`, and any L smaller than O + 1 ...):
  the TensorFlow backend's two-window max pool then has a window longer than the
  axis, and the process dies of a floating-point exception.

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
                   family_rank_help(f"Adaptive{kind}Pooling", spatial, shape, last, per_step=True))
        sizes = ntuple(config["output_size"], spatial, "output_size")
        if kind == "Max":
            for length, size in zip(spatial_dims(shape, last), sizes):
                if length is not None and math.ceil(length / size) + 1 > length:
                    raise ShapeError(
                        f"{name} cannot pool a spatial axis of length {length} to {size} "
                        f"(received shape {fmt(shape)}): Keras's TensorFlow backend then uses a pooling "
                        "window longer than the axis and the process crashes when the model runs",
                        "use an input larger than output_size (at least output_size + 1, and at least 2 "
                        "per output cell), a global pooling layer such as "
                        f"`GlobalMaxPooling{spatial}D(keepdims=True)` for output_size=1, "
                        f"or `AdaptiveAveragePooling{spatial}D({fmt_value(config['output_size'])})`",
                    )
        channels = shape[-1] if last else shape[1]
        return with_spatial(shape, last, sizes, channels)

    layout = spatial_layout(spatial)
    return LayerEntry(
        name=name,
        shape=shape_rule,
        summary=f"({layout}) -> (batch, *output_size, channels); any input size"
        + ("; a known axis of length L must satisfy ceil(L / output_size) + 1 <= L (TensorFlow crashes "
           "otherwise)" if kind == "Max" else ""),
    )


ENTRIES = [make_adaptive(kind, spatial) for kind in ("Average", "Max") for spatial in (1, 2, 3)]
