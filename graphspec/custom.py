"""The registry of custom layers (registered from Python, never from a spec): static, no Keras.

The passes, the IR verifier and the backends read it. Registering a class without its own
shape and parameter rules needs Keras to compute them: that is
`graphspec.backends.keras_custom.register_layer` (what `graphspec.register_layer` is), which
adds Keras-computed rules and then calls `add` here, so nothing below the backends imports them.
"""

from __future__ import annotations

from graphspec.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, Optional


class CustomLayer(Record):
    """A user's Keras layer class, known to specs by `name`.

    Fields: name, cls, params ([(name, keyword_only, required, default)] from the class's
    __init__), var_kwargs, shape ((config, input_shapes) -> shape) and count ((config,
    input_shapes) -> (trainable, non_trainable)). A Record, not a dataclass: `check` imports
    this module, and dataclasses (with inspect) costs its start-up several milliseconds.
    """

    __slots__ = _fields = ("name", "cls", "params", "var_kwargs", "shape", "count")
    _defaults = {"shape": None, "count": None}


_REGISTRY: Dict[str, CustomLayer] = {}


def add(cls, name: Optional[str] = None, *, shape: Callable, params: Callable):
    """Register `cls` under `name` (default: its class name) with both static rules; returns the class."""
    import inspect  # only when a layer is registered: not on check's start-up path

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
