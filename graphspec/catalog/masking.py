"""Which Keras layers support masking, read from keras_masking.json (captured from Keras by
scripts/capture_keras_masking.py; no Keras import)."""

from __future__ import annotations

import functools
import json
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Union

DATA_FILE = "keras_masking.json"
UNKNOWN = "unknown"


@functools.lru_cache(maxsize=1)
def _layers() -> dict:
    with open(os.path.join(os.path.dirname(__file__), DATA_FILE), encoding="utf-8") as f:
        return json.load(f)["layers"]


def supports(layer_type: str) -> Union[bool, str, None]:
    """True or False; the name of the argument it depends on (Embedding's "mask_zero"); "unknown";
    None for a class the capture does not know (a custom layer)."""
    entry = _layers().get(layer_type)
    return None if entry is None else entry["supports"]


def passes_mask(layer_type: str) -> Optional[bool]:
    """Whether the layer's output keeps its input's mask unchanged (its compute_mask is Layer's)."""
    entry = _layers().get(layer_type)
    return None if entry is None else entry["passes_mask"]
