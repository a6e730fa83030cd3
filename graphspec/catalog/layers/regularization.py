"""Regularization layers: spatial dropouts, noise, AlphaDropout, ActivityRegularization."""

from __future__ import annotations

from graphspec.catalog.base import LayerEntry
from graphspec.catalog.layers._util import channels_last, check_rank, family_rank_help, spatial_layout


def same_shape(config, inputs):
    return tuple(inputs[0])


def make_spatial_dropout(spatial: int):
    name = f"SpatialDropout{spatial}D"

    def shape_rule(config, inputs):
        shape = tuple(inputs[0])
        last = channels_last(config)
        check_rank(name, shape, spatial + 2, spatial_layout(spatial, last),
                   lambda: family_rank_help("SpatialDropout", spatial, shape, last))
        return shape

    layout = spatial_layout(spatial)
    return LayerEntry(name=name, shape=shape_rule, summary=f"({layout}) -> the same shape")


ENTRIES = [
    make_spatial_dropout(1),
    make_spatial_dropout(2),
    make_spatial_dropout(3),
    LayerEntry(name="GaussianNoise", shape=same_shape, summary="any shape -> the same shape"),
    LayerEntry(name="GaussianDropout", shape=same_shape, summary="any shape -> the same shape"),
    LayerEntry(name="AlphaDropout", shape=same_shape, summary="any shape -> the same shape"),
    LayerEntry(name="ActivityRegularization", shape=same_shape, summary="any shape -> the same shape"),
]
