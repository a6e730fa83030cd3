"""Registering a custom Keras layer (`graphspec.register_layer`): rules it lacks computed by Keras itself."""

from __future__ import annotations

import math
from typing import Callable, Optional

import keras

from graphspec import custom


def register_layer(cls, name: Optional[str] = None, *, shape: Optional[Callable] = None,
                   params: Optional[Callable] = None):
    """Make a Keras layer class usable by name in specs; returns the class (usable as a decorator).

    `shape` (config, input shapes) -> shape(s) and `params` (config, input shapes) ->
    (trainable, non-trainable) are static rules; a missing one is asked of Keras.
    """
    if not isinstance(cls, type):
        return custom.add(cls, name, shape=shape, params=params)  # refused there, with its message
    return custom.add(cls, name, shape=shape or shape_rule(cls), params=params or param_rule(cls))


def shape_rule(cls):
    """A shape rule (config, input shapes) -> shape(s) that asks Keras for `cls`."""

    def rule(config, shapes):
        layer = cls(**config)
        inputs = [keras.KerasTensor(tuple(s)) for s in shapes]
        out = layer.compute_output_spec(inputs[0] if len(inputs) == 1 else inputs)
        if isinstance(out, (list, tuple)):
            return [tuple(o.shape) for o in out]
        return tuple(out.shape)

    return rule


def param_rule(cls):
    """A parameter-count rule (config, input shapes) -> (trainable, non-trainable) for `cls`."""

    def rule(config, shapes):
        layer = cls(**config)
        layer.build(tuple(shapes[0]) if len(shapes) == 1 else [tuple(s) for s in shapes])
        return (sum(math.prod(w.shape) for w in layer.trainable_weights),
                sum(math.prod(w.shape) for w in layer.non_trainable_weights))

    return rule
