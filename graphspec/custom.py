"""The registry of custom layers (registered from Python, never from a spec): static, no Keras.

The passes, the IR verifier and the backends read it. Registering a class without its own
shape and parameter rules needs Keras to compute them: that is
`graphspec.backends.keras_custom.register_layer` (what `graphspec.register_layer` is), which
adds Keras-computed rules and then calls `add` here, so nothing below the backends imports them.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional


@dataclass
class CustomLayer:
    """A user's Keras layer class, known to specs by `name`."""

    name: str
    cls: Any
    params: list  # [(name, keyword_only, required, default)] from the class's __init__
    var_kwargs: bool
    shape: Optional[Callable] = None  # (config, input_shapes) -> shape
    count: Optional[Callable] = None  # (config, input_shapes) -> (trainable, non_trainable)


_REGISTRY: Dict[str, CustomLayer] = {}


def add(cls, name: Optional[str] = None, *, shape: Callable, params: Callable):
    """Register `cls` under `name` (default: its class name) with both static rules; returns the class."""
    if not inspect.isclass(cls):
        raise TypeError(f"register_layer expects a class; received {cls!r}")
    if not callable(shape) or not callable(params):
        raise TypeError("a custom layer needs a `shape` and a `params` rule (graphspec.register_layer computes "
                        "missing ones with Keras)")
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
