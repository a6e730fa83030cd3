"""What the installed Keras's layer classes take, read from their constructors (imports Keras).

One implementation for both users: scripts/capture_keras_signatures.py writes the captured catalogue
(graphspec/catalog/keras_signatures.json) with it, and `graphspec layers --coverage` compares that
catalogue with the installed Keras when their versions differ (the [keras] extra accepts a range).
"""

from __future__ import annotations

import ast
import inspect
import math
import re
from typing import Iterable, List

# Keyword arguments of keras.layers.Layer.__init__ that a spec may pass to any
# layer whose constructor forwards **kwargs to the base class.
BASE_LAYER_KWARGS = ("name", "dtype", "trainable", "activity_regularizer")

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def public_names(module) -> list[str]:
    """The public attribute names of a module, sorted."""
    return sorted(n for n in dir(module) if not n.startswith("_"))


def encode_default(value):
    """A JSON encoding of a default value (see graphspec/catalog/signatures.py)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"repr": repr(value)}
    if isinstance(value, tuple):
        return {"tuple": [encode_default(v) for v in value]}
    return {"repr": _ADDRESS.sub("", repr(value))}


def describe_params(func, skip_first: bool = True) -> dict:
    """The parameter list of `func` (an __init__), without self, *args and **kwargs."""
    if func is object.__init__:
        return {"params": [], "var_kwargs": False}
    sig = inspect.signature(func)
    params = []
    var_kwargs = False
    items = list(sig.parameters.values())
    if skip_first and items:
        items = items[1:]
    for p in items:
        if p.kind is p.VAR_KEYWORD:
            var_kwargs = True
            continue
        if p.kind is p.VAR_POSITIONAL:
            continue
        kind = {
            p.POSITIONAL_ONLY: "positional_only",
            p.POSITIONAL_OR_KEYWORD: "positional_or_keyword",
            p.KEYWORD_ONLY: "keyword_only",
        }[p.kind]
        required = p.default is p.empty
        params.append(
            {
                "name": p.name,
                "kind": kind,
                "required": required,
                "default": None if required else encode_default(p.default),
            }
        )
    return {"params": params, "var_kwargs": var_kwargs}


def classes_by_identity(module, predicate) -> dict:
    """canonical name -> (class, sorted aliases) for public classes passing `predicate`."""
    groups: dict[int, tuple[type, list[str]]] = {}
    for name in public_names(module):
        obj = getattr(module, name)
        if not inspect.isclass(obj) or not predicate(obj):
            continue
        groups.setdefault(id(obj), (obj, []))[1].append(name)
    result = {}
    for cls, public in groups.values():
        canonical = cls.__name__ if cls.__name__ in public else sorted(public)[0]
        aliases = sorted(n for n in public if n != canonical)
        result[canonical] = (cls, aliases)
    return dict(sorted(result.items()))


_POPPED = re.compile(r"""kwargs\.pop\(\s*["'](\w+)["']\s*(?:,\s*([^)]*))?\)""")


def _popped(func) -> list:
    """`kwargs.pop("rms_scaling", False)` in an __init__: a keyword Keras takes out of **kwargs."""
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        return []
    out = []
    for name, default in _POPPED.findall(source):
        try:
            value = ast.literal_eval(default.strip()) if default.strip() else None
        except (ValueError, SyntaxError):
            continue
        out.append({"name": name, "kind": "keyword_only", "required": False, "default": encode_default(value)})
    return out


def forwarded_params(cls, base, own: set) -> list:
    """Keyword arguments a layer accepts through **kwargs: the parameters of the base classes its
    __init__ forwards them to (`lora_rank` of BaseConv, `data_format` of the image preprocessing
    base), and the keywords an __init__ pops from **kwargs (LayerNormalization's deprecated
    `rms_scaling`). Base `Layer` keywords are recorded once, in base_layer_kwargs."""
    out, seen = [], set(own)
    for klass in cls.__mro__:
        if klass is base or not issubclass(klass, base):
            break
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        described = describe_params(init)
        extra = ([] if klass is cls else described["params"]) + _popped(init)
        for p in extra:
            if p["name"] not in seen and not p["required"]:
                seen.add(p["name"])
                out.append({**p, "kind": "keyword_only"})
        if not described["var_kwargs"]:
            break  # nothing more reaches the classes above
    return out


def capture_layers(keras) -> dict:
    """Every public keras.layers class: its own parameters, aliases and the keywords it forwards."""
    base = keras.layers.Layer
    layers = {}
    for name, (cls, aliases) in classes_by_identity(
        keras.layers, lambda c: issubclass(c, base)
    ).items():
        entry = describe_params(cls.__init__)
        entry["aliases"] = aliases
        if entry["var_kwargs"]:
            forwarded = forwarded_params(cls, base, {p["name"] for p in entry["params"]} | set(BASE_LAYER_KWARGS))
            if forwarded:
                entry["forwarded"] = forwarded
        layers[name] = entry
    return layers


def live_catalogue() -> dict:
    """The installed Keras's version and layer signatures, in the captured catalogue's form (the
    layers of keras.applications the catalogue names too, read from their fixed modules)."""
    import importlib

    import keras

    from graphspec.catalog.layers.applications import MODULE_OF

    layers = capture_layers(keras)
    for name, module in MODULE_OF.items():
        try:
            cls = getattr(importlib.import_module(module), name, None)
        except ImportError:  # an older Keras without that application
            cls = None
        if inspect.isclass(cls) and name not in layers:
            layers[name] = {**describe_params(cls.__init__), "aliases": []}
    return {"keras_version": keras.__version__, "layers": layers}


def missing_ops(names: Iterable[str]) -> List[str]:
    """The keras.ops functions among `names` that the installed Keras does not have."""
    import keras

    return sorted(n for n in names if not callable(getattr(keras.ops, n, None)))
