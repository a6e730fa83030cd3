"""Binding an op's non-tensor arguments through its captured keras.ops signature (no Keras import)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from graphspec.catalog.base import ArgError
from graphspec.catalog.signatures import Param, _params
from graphspec.diagnostics import codes
from graphspec.suggest import did_you_mean
from graphspec.text import spec_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Optional, Tuple

DATA_FILE = "keras_op_signatures.json"

# Ops a spec reaches through syntax, not through a keras.ops function: their parameters.
_SYNTHETIC = {"getitem": {"params": [{"name": "x", "kind": "positional_or_keyword", "required": True,
                                      "default": None},
                                     {"name": "key", "kind": "positional_or_keyword", "required": True,
                                      "default": None}],
                          "var_kwargs": False, "var_positional": None}}


@functools.lru_cache(maxsize=None)
def _data() -> dict:
    path = Path(__file__).resolve().parent.parent / DATA_FILE
    return json.loads(path.read_text(encoding="utf-8"))


def keras_version() -> str:
    """The Keras version the op signatures were captured from."""
    return _data().get("keras_version", "")


@functools.lru_cache(maxsize=None)
def signature(keras_name: str) -> Optional[Tuple[Tuple[Param, ...], Optional[str]]]:
    """(parameters, name of the *args parameter or None) of keras.ops.<keras_name>."""
    raw = _SYNTHETIC.get(keras_name) or _data()["ops"].get(keras_name)
    if raw is None:
        return None
    return _params(raw["params"]), raw.get("var_positional")


# --------------------------------------------------------------------------- value kinds

def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _ints(v) -> bool:
    return isinstance(v, (tuple, list)) and all(_is_int(i) for i in v)


def _check(test: Callable[[Any], bool], expected: str):
    def run(op: str, param: str, value):
        if not test(value):
            raise ArgError(param, f"`{param}` of `ops.{op}` must be {expected}; received {param}={spec_value(value)}",
                           help=f"pass {expected}", code=codes.E302)
    return run


_AXIS = _check(lambda v: v is None or _is_int(v) or _ints(v), "an integer, a tuple of integers or None")
_INT_AXIS = _check(_is_int, "an integer")
_AXES = _check(lambda v: _is_int(v) or _ints(v), "an integer or a tuple of integers")
_OPT_INT = _check(lambda v: v is None or _is_int(v), "an integer or None")
_BOOL = _check(lambda v: isinstance(v, bool), "True or False")
_NUMBER = _check(_is_number, "a number")
_OPT_NUMBER = _check(lambda v: v is None or _is_number(v), "a number or None")
_DTYPE = _check(lambda v: v is None or isinstance(v, str), 'a dtype name such as "float32", or None')
_SHAPE = _check(lambda v: _is_int(v) or _ints(v), "an integer or a tuple of integers")
_NEWSHAPE = _check(lambda v: _is_int(v) or (isinstance(v, (tuple, list)) and all(i is None or _is_int(i) for i in v)),
                   "an integer or a tuple of integers (None or -1 for unknown sizes)")
_OPT_SHAPE = _check(lambda v: v is None or _ints(v), "a tuple of integers or None")
_STR = _check(lambda v: isinstance(v, str), "a string")
_ORD = _check(lambda v: v is None or _is_number(v) or v in ("fro", "nuc"), 'a number, "fro", "nuc" or None')
def _index(v) -> bool:
    if isinstance(v, slice):
        return all(p is None or _is_int(p) for p in (v.start, v.stop, v.step))
    return v is None or v is Ellipsis or _is_int(v)


_KEY = _check(lambda v: isinstance(v, tuple) and all(_index(i) for i in v),
              "a tuple of integers, slices of integers, `...` and None")

# Parameter name -> check; (op, parameter) overrides where an op is stricter.
KINDS: Dict[Any, Callable] = {
    "axis": _AXIS, "keepdims": _BOOL, "dtype": _DTYPE, "newshape": _NEWSHAPE, "axes": _OPT_SHAPE,
    "indices_or_sections": _SHAPE, "x_min": _NUMBER, "x_max": _NUMBER, "subscripts": _STR,
    "start": _NUMBER, "stop": _OPT_NUMBER, "step": _OPT_NUMBER, "ord": _ORD, "order": _NUMBER,
    "epsilon": _OPT_NUMBER, "approximate": _BOOL, "num_classes": _INT_AXIS, "sparse": _BOOL,
    "initial": _OPT_NUMBER, "key": _KEY,
    ("expand_dims", "axis"): _AXES, ("concatenate", "axis"): _INT_AXIS, ("stack", "axis"): _INT_AXIS, ("split", "axis"): _INT_AXIS,
    ("softmax", "axis"): _AXIS, ("one_hot", "axis"): _INT_AXIS,
    ("normalize", "axis"): _AXIS, ("norm", "axis"): _AXIS,
}


def _check_value(op: str, param: str, value) -> None:
    check = KINDS.get((op, param)) or KINDS.get(param)
    if check is not None:
        check(op, param, value)


def bind(entry, args: tuple, kwargs: tuple) -> dict:
    """Positional and keyword non-tensor arguments bound to the op's parameter names, defaults filled."""
    sig = signature(entry.keras)
    if sig is None:
        raise ArgError("", f"`ops.{entry.name}` has no captured signature", code=codes.E201)
    params, _var = sig
    free = [p for p in params if p.name not in entry.tensors]
    positional = [p for p in free if p.positional]
    if len(args) > len(positional):
        raise ArgError(positional[-1].name if positional else "",
                       f"`ops.{entry.name}` takes {len(positional)} positional argument(s) besides its "
                       f"tensor(s); received {len(args)}: {', '.join(spec_value(a) for a in args)}",
                       help=f"name the arguments: {', '.join(p.name + '=...' for p in free) or 'none'}",
                       code=codes.E304)
    config: Dict[str, Any] = {}
    for p, value in zip(positional, args):
        config[p.name] = value
    names = [p.name for p in free]
    for key, value in kwargs:
        if key in entry.tensors:
            raise ArgError(key, f"`{key}` of `ops.{entry.name}` is its input tensor, given through `->`",
                           help=f"remove `{key}=`; write the tensor before `->`", code=codes.E301)
        if key not in names:
            raise ArgError(key, f"`ops.{entry.name}` has no argument `{key}`",
                           help=did_you_mean(str(key), names) or
                           f"its arguments are: {', '.join(names) or 'none'}", code=codes.E301)
        if key in config:
            raise ArgError(key, f"argument `{key}` of `ops.{entry.name}` is given twice",
                           help=f"remove one of the two `{key}=` arguments", code=codes.E304)
        config[key] = value
    for p in free:
        if p.name not in config:
            if p.required:
                raise ArgError(p.name, f"`ops.{entry.name}` needs the argument `{p.name}`",
                               help=f"add `{p.name}=...`", code=codes.E303)
            config[p.name] = p.default
    for key, value in config.items():
        _check_value(entry.name, key, value)
    return config


def call_args(entry, tensors: list, config: dict) -> Tuple[list, dict]:
    """How to call keras.ops.<entry.keras>: the tensors positionally in signature order (a list for a
    variadic op, spread for a *args parameter), other arguments by keyword."""
    params, var = signature(entry.keras)
    if entry.variadic and var is not None:  # einsum(subscripts, *operands)
        before = [config[p.name] for p in params]
        return before + list(tensors), {}
    args = [list(tensors)] if entry.variadic else list(tensors)
    return args, dict(config)
