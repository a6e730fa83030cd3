"""Call-time arguments of Keras layers (`initial_state`, masks, `training`, ...), no Keras import.

What a spec may pass when it calls a layer comes from the layer's captured `call` signature
(`keras_call_signatures.json`, written by scripts/capture_keras_ops.py), minus the tensors that
arrive through `->`. `apply_call` checks the tensor arguments against the layer and gives the
layer's outputs after the call (attention scores added when they are asked for).
"""

from __future__ import annotations

import functools
import json
import os

from graphspec.catalog.signatures import decode_default
from graphspec.record import FrozenRecord

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict

DATA_FILE = "keras_call_signatures.json"

TENSOR = "tensor"
TENSORS = "tensors"
FLAG = "flag"
VALUE = "value"


class CallParam(FrozenRecord):
    """One call-time keyword of a layer."""

    __slots__ = _fields = ("name", "kind", "default")

    name: str
    kind: str  # "tensor" | "tensors" | "flag" | "value"
    default: Any


# Parameters whose kind is not read from their default: tensors (or tuples of them).
_KIND_BY_NAME = {"initial_state": TENSORS, "states": TENSORS, "mask": TENSOR, "query_mask": TENSOR,
                 "value_mask": TENSOR, "key_mask": TENSOR, "attention_mask": TENSOR, "key": TENSOR,
                 "value": TENSOR, "count_weights": TENSOR}
# Layers whose `call` takes [query, value, key] as one list: key and value by name still, and the
# mask is the list [query_mask, value_mask].
_LIST_ATTENTION = ("Attention", "AdditiveAttention")


@functools.lru_cache(maxsize=None)
def _data() -> dict:
    with open(os.path.join(os.path.dirname(__file__), DATA_FILE), encoding="utf-8") as f:
        return json.load(f)


def keras_version() -> str:
    """The Keras version the call signatures were captured from."""
    return _data().get("keras_version", "")


def application_layers() -> Dict[str, str]:
    """Layers keras.applications defines: class name -> module path (keras.src.applications.*)."""
    return dict(_data().get("applications", {}))


def application_signatures() -> Dict[str, dict]:
    """The constructor signatures of the keras.applications layers, in keras_signatures.json's
    "layers" format ({"params": [...], "var_kwargs": ..., "aliases": []}), for signatures.py to merge."""
    layers = _data()["layers"]
    return {name: {**layers[name]["init"], "aliases": []} for name in _data().get("applications", {})}


def _kind(layer: str, name: str, default) -> str:
    if layer in _LIST_ATTENTION and name == "mask":
        return TENSORS
    kind = _KIND_BY_NAME.get(name)
    if kind:
        return kind
    return FLAG if isinstance(default, bool) or name == "training" else VALUE


@functools.lru_cache(maxsize=None)
def _call_params(layer: str) -> Dict[str, CallParam]:
    raw = _data()["layers"].get(layer)
    if raw is None:
        return {}
    params = raw["params"][1:]  # the first one is what arrives through `->`
    out = {p["name"]: CallParam(p["name"], _kind(layer, p["name"], decode_default(p["default"])),
                                decode_default(p["default"]))
           for p in params}
    if layer in _LIST_ATTENTION:
        out = {"value": CallParam("value", TENSOR, None), "key": CallParam("key", TENSOR, None), **out}
    return out


def call_params(layer: str) -> Dict[str, CallParam]:
    """The call-time keywords a spec may pass to this canonical Keras class ({} when unknown)."""
    return dict(_call_params(layer)) if isinstance(layer, str) else {}


def apply_call(layer: str, config: dict, input_shapes, outputs: list, call_args: dict) -> list:
    """The layer's outputs after a call with `call_args` (checked against the layer and its inputs)."""
    from graphspec.catalog import _call_rules as rules

    known = _call_params(layer) if isinstance(layer, str) else {}
    inputs = [tuple(s) for s in input_shapes]
    args = dict(call_args)
    for name, value in args.items():
        param = known.get(name)
        if param is None:
            raise rules.unknown(layer, name, known)
        rules.check_kind(layer, param, value)
    outputs = list(outputs)
    for check in rules.CHECKS.get(layer, ()):
        outputs = check(layer, config or {}, inputs, outputs, args)
    return outputs


def attention_inputs(layer: str, input_shapes, call_args: dict) -> list:
    """(query, value[, key]) shapes of an attention layer whose value or key may be given by name:
    what the layer's shape rule receives."""
    from graphspec.catalog import _call_rules as rules

    return rules.attention_inputs([tuple(s) for s in input_shapes], dict(call_args))
