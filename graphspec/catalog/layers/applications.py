"""Layers Keras ships inside keras.applications, not keras.layers: LayerScale and StochasticDepth
(keras.src.applications.convnext), CustomScaleLayer (keras.src.applications.inception_resnet_v2).

Their constructor and call signatures are captured into keras_call_signatures.json; their rules
follow their `call` methods, which are keras.ops arithmetic (broadcasting over every axis).
"""

from __future__ import annotations

from graphspec.catalog.base import LIST, ArgError, LayerEntry
from graphspec.catalog.ops._broadcast import broadcast_shapes
from graphspec.diagnostics import codes
from graphspec.text import spec_value

# Canonical name -> the module Keras defines it in (what the Keras builder imports).
MODULE_OF = {
    "LayerScale": "keras.src.applications.convnext",
    "StochasticDepth": "keras.src.applications.convnext",
    "CustomScaleLayer": "keras.src.applications.inception_resnet_v2",
}


def _number(config: dict, name: str) -> float:
    value = config.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgError(name, f"`{name}` must be a number; received {name}={spec_value(value)}",
                       help=f"pass a number, e.g. {name}=0.1", code=codes.E302)
    return value


def _projection_dim(config: dict) -> int:
    value = config.get("projection_dim")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ArgError("projection_dim", f"`projection_dim` must be a whole number >= 0; received "
                                         f"projection_dim={spec_value(value)}",
                       help="pass the channel count of the input, e.g. projection_dim=96", code=codes.E302)
    return value


def layer_scale_shape(config, inputs):
    """x * gamma, gamma of shape (projection_dim,): broadcast as keras.ops.multiply does."""
    _number(config, "init_values")
    return broadcast_shapes(tuple(inputs[0]), (_projection_dim(config),))


def layer_scale_params(config, inputs):
    return _projection_dim(config), 0


def stochastic_depth_shape(config, inputs):
    _number(config, "drop_path_rate")
    return tuple(inputs[0])


def custom_scale_shape(config, inputs):
    """inputs[0] + inputs[1] * scale."""
    _number(config, "scale")
    return broadcast_shapes(tuple(inputs[0]), tuple(inputs[1]))


ENTRIES = [
    LayerEntry(name="LayerScale", shape=layer_scale_shape, params=layer_scale_params,
               summary="x * gamma, gamma of shape (projection_dim,): broadcast (usually the same shape)"),
    LayerEntry(name="StochasticDepth", shape=stochastic_depth_shape,
               summary="any shape -> the same shape (drops the whole residual path per batch in training)"),
    LayerEntry(name="CustomScaleLayer", shape=custom_scale_shape, call=LIST, min_inputs=2, max_inputs=2,
               summary="[x, r] -> x + r * scale (broadcast; usually the same shape)"),
]
