"""The catalogue of layers graphspec can check statically: canonical name -> LayerEntry.

Entries come from the `ENTRIES` lists of the modules in `graphspec.catalog.layers`;
aliases (`MaxPool2D`) are resolved by `graphspec.catalog.signatures`, not here.
No Keras import.
"""

from __future__ import annotations

import _thread
import functools
import sys

from graphspec.catalog import signatures
from graphspec.catalog.base import ArgError, LayerEntry, ShapeError
from graphspec.catalog.layers import MODULES
from graphspec.diagnostics import codes
from graphspec.record import replace
from graphspec.text import spec_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional, Tuple


def _honour_trainable(params):
    """`trainable=False` (a base-Layer keyword) makes every weight non-trainable."""

    @functools.wraps(params)
    def counts(config, inputs):
        trainable, frozen = params(config, inputs)
        if not (_is_count(trainable) and _is_count(frozen)):  # an argument of the wrong type got through
            raise TypeError(f"parameter counts ({trainable!r}, {frozen!r}) are not whole numbers")
        if config.get("trainable", True) is False:
            return 0, trainable + frozen
        return trainable, frozen

    return counts


def _is_count(n) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and n >= 0


def _culprit(name: str, rule, config: dict, inputs) -> Optional[Tuple[str, object, object]]:
    """(parameter, value, default) of the argument without which `rule` no longer fails: put back
    to Keras's default, one argument at a time, in signature order."""
    sig = signatures.layer_signature(name)
    for p in sig.params if sig else ():
        if p.required or p.name not in config or isinstance(p.default, signatures.Opaque):
            continue
        value = config[p.name]
        if value is p.default or (type(value) is type(p.default) and value == p.default):
            continue
        try:
            rule({**config, p.name: p.default}, inputs)
        except (ShapeError, ArgError):
            return p.name, value, p.default
        except Exception:  # noqa: BLE001 - still failing: not this argument
            continue
        return p.name, value, p.default
    return None


def _blame(name: str, culprit) -> Tuple[str, str]:
    param, value, default = culprit
    return (f"invalid value for argument `{param}` of `{name}`: received {param}={spec_value(value)}, "
            f"which graphspec cannot compute the layer with",
            f"pass a value of the form Keras expects, like its default `{param}={spec_value(default)}`")


def _guarded(name: str, rule, validate: bool = False):
    """`rule` (a shape, parameter-count or validation rule of layer `name`) with any unexpected
    exception turned into a diagnostic at the argument that caused it (E302), never a traceback
    or an internal error: a wrong-typed value that no value rule caught."""
    if rule is None:
        return None

    @functools.wraps(rule)
    def run(config, inputs=None):
        try:
            return rule(config) if validate else rule(config, inputs)
        except ShapeError:
            raise
        except ArgError as err:
            if validate:
                raise
            raise ShapeError(err.message, err.help, err.code) from None  # reported with its own code
        except Exception:  # noqa: BLE001
            culprit = _culprit(name, (lambda c, _i: rule(c)) if validate else rule, config, inputs)
            if culprit is None:
                raise  # no argument explains it: a bug in the rule (E499)
            message, help_ = _blame(name, culprit)
            if validate:
                raise ArgError(culprit[0], message, help=help_, code=codes.E302) from None
            raise ShapeError(message, help_, code=codes.E302) from None

    return run


_loaded: Dict[str, LayerEntry] = {}  # the entries of the family modules imported so far, in module order
_next_module = 0  # the index in MODULES of the next family module to import
_lock = _thread.RLock()  # two threads (the language server's) never import the same family twice


def _find(name: Optional[str]) -> Optional[LayerEntry]:
    """The entry of `name` as its module defines it (None: no module does), importing the family
    modules in order until one has it: a small spec's check needs a few families of the fifteen."""
    global _next_module
    entry = _loaded.get(name)
    if entry is not None or _next_module == len(MODULES):
        return entry
    with _lock:
        while name not in _loaded and _next_module < len(MODULES):
            module_name = f"graphspec.catalog.layers.{MODULES[_next_module]}"
            __import__(module_name)  # importlib.import_module without importing importlib (every check)
            module = sys.modules[module_name]
            for entry in module.ENTRIES:
                if entry.name in _loaded:
                    raise RuntimeError(f"layer {entry.name} is defined twice in graphspec.catalog.layers")
                _loaded[entry.name] = entry
            _next_module += 1
    return _loaded.get(name)


def _entries() -> Dict[str, LayerEntry]:
    """Every entry as the modules define them (their param counts wrapped by `get`), in module order."""
    _find(None)  # a name no module defines: imports them all
    return _loaded


_wrapped: Dict[str, LayerEntry] = {}  # filled as layers are asked for: a check needs a few of them


def get(name: str) -> Optional[LayerEntry]:
    """The entry of a layer by its canonical Keras class name, or None."""
    entry = _wrapped.get(name)
    if entry is None:
        entry = _find(name)
        if entry is None:
            return None
        entry = _wrapped[name] = replace(
            entry, shape=_guarded(name, entry.shape), params=_guarded(name, _honour_trainable(entry.params)),
            validate=_guarded(name, entry.validate, validate=True))
    return entry


def entries() -> List[LayerEntry]:
    """Every entry, in module order."""
    return [get(name) for name in _entries()]


def names() -> List[str]:
    """The canonical names of every entry, sorted."""
    return sorted(_entries())
