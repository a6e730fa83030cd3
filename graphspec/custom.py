"""Custom layers registered from Python (never from a spec)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional


@dataclass
class CustomLayer:
    """A user's Keras layer class, known to specs by `name`."""

    name: str
    cls: Any
    params: list  # [(name, required, default)] from the class's __init__
    var_kwargs: bool
    shape: Optional[Callable] = None  # (config, input_shapes) -> shape; else Keras computes it
    count: Optional[Callable] = None  # (config, input_shapes) -> (trainable, non_trainable)


_REGISTRY: Dict[str, CustomLayer] = {}


def register_layer(cls, name: Optional[str] = None, *, shape: Optional[Callable] = None,
                   params: Optional[Callable] = None):
    """Make a Keras layer class usable by name in specs; returns the class (usable as a decorator)."""
    if not inspect.isclass(cls):
        raise TypeError(f"register_layer expects a class; received {cls!r}")
    key = name or cls.__name__
    signature = inspect.signature(cls.__init__)
    fields = []
    var_kwargs = False
    for p in list(signature.parameters.values())[1:]:
        if p.kind is p.VAR_KEYWORD:
            var_kwargs = True
        elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            required = p.default is p.empty
            fields.append((p.name, p.kind is p.KEYWORD_ONLY, required, None if required else p.default))
    if shape is None or params is None:
        # Without static rules, Keras itself computes them: the class is a Keras layer, so
        # Keras is already imported wherever this is called.
        from graphspec.backends import keras_custom

        shape = shape or keras_custom.shape_rule(cls)
        params = params or keras_custom.param_rule(cls)
    _REGISTRY[key] = CustomLayer(key, cls, fields, var_kwargs, shape, params)
    return cls


def unregister_layer(name: str) -> None:
    """Forget a registered custom layer."""
    _REGISTRY.pop(name, None)


def get(name: str) -> Optional[CustomLayer]:
    """The registered custom layer called `name`, if any."""
    return _REGISTRY.get(name)


def names() -> list:
    """Names of every registered custom layer."""
    return list(_REGISTRY)

