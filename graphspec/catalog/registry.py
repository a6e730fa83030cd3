"""The catalogue of layers graphspec can check statically: canonical name -> LayerEntry.

Entries come from the `ENTRIES` lists of the modules in `graphspec.catalog.layers`;
aliases (`MaxPool2D`) are resolved by `graphspec.catalog.signatures`, not here.
No Keras import.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import replace
from typing import Dict, List, Optional

from graphspec.catalog.base import LayerEntry
from graphspec.catalog.layers import MODULES


def _honour_trainable(params):
    """`trainable=False` (a base-Layer keyword) makes every weight non-trainable."""

    @functools.wraps(params)
    def counts(config, inputs):
        trainable, frozen = params(config, inputs)
        if config.get("trainable", True) is False:
            return 0, trainable + frozen
        return trainable, frozen

    return counts


@functools.lru_cache(maxsize=None)
def _entries() -> Dict[str, LayerEntry]:
    """The entries as the modules define them (their param counts wrapped by `get`)."""
    out: Dict[str, LayerEntry] = {}
    for module_name in MODULES:
        module = importlib.import_module(f"graphspec.catalog.layers.{module_name}")
        for entry in module.ENTRIES:
            if entry.name in out:
                raise RuntimeError(f"layer {entry.name} is defined twice in graphspec.catalog.layers")
            out[entry.name] = entry
    return out


_wrapped: Dict[str, LayerEntry] = {}  # filled as layers are asked for: a check needs a few of them


def get(name: str) -> Optional[LayerEntry]:
    """The entry of a layer by its canonical Keras class name, or None."""
    entry = _wrapped.get(name)
    if entry is None:
        entry = _entries().get(name)
        if entry is None:
            return None
        entry = _wrapped[name] = replace(entry, params=_honour_trainable(entry.params))
    return entry


def entries() -> List[LayerEntry]:
    """Every entry, in module order."""
    return [get(name) for name in _entries()]


def names() -> List[str]:
    """The canonical names of every entry, sorted."""
    return sorted(_entries())
