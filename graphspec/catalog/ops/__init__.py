"""The catalogue of `keras.ops` functions a spec can call: one `OpEntry` per op (no Keras import).

Entries come from the `ENTRIES` lists of the family modules in `MODULES`; their non-tensor
arguments are bound through the signatures captured from the installed Keras
(`keras_op_signatures.json`, written by scripts/capture_keras_ops.py). Operators map to ops
through `OPERATORS`; a number operand is a shape-() tensor of weak dtype "int" or "float".
"""

from __future__ import annotations

import functools
import sys

from graphspec.catalog.base import ArgError, ShapeError
from graphspec.diagnostics import codes
from graphspec.record import FrozenRecord, replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

    from graphspec.catalog.base import Shape

MODULES = ("elementwise", "reduction", "shape", "linalg", "nn", "creation")

OPERATORS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "//": "floor_divide", "%": "mod",
             "**": "power", "@": "matmul", "neg": "negative", "[]": "getitem"}


class OpEntry(FrozenRecord):
    """Everything graphspec knows about one keras.ops function."""

    __slots__ = _fields = ("name", "keras", "tensors", "variadic", "shape", "dtype", "summary")

    name: str  # spec spelling after `ops.` ("mean") or an operator's op ("add")
    keras: str  # attribute under keras.ops the builder calls
    tensors: Tuple[str, ...]  # the parameters that take tensors, in call order
    variadic: bool  # the one tensor parameter takes a list (stack, concatenate)
    shape: Callable[[dict, Sequence[Shape]], Union[Shape, List[Shape]]]
    dtype: Callable[[dict, Sequence[str]], Union[str, List[str]]]
    summary: str  # one line for docs / `graphspec layers`


@functools.lru_cache(maxsize=None)
def _entries() -> Dict[str, OpEntry]:
    out: Dict[str, OpEntry] = {}
    for module_name in MODULES:
        __import__(f"graphspec.catalog.ops.{module_name}")  # importlib.import_module without importlib
        module = sys.modules[f"graphspec.catalog.ops.{module_name}"]
        for entry in module.ENTRIES:
            if entry.name in out:
                raise RuntimeError(f"op {entry.name} is defined twice in graphspec.catalog.ops")
            out[entry.name] = entry
    return out


def _guarded(name: str, rule):
    """`rule` with any unexpected exception (a value of a wrong type deep inside) turned into a
    ShapeError naming the op: a spec never gets a traceback."""

    @functools.wraps(rule)
    def run(config, inputs):
        try:
            return _no_negative(name, rule(config, inputs))
        except (ShapeError, ArgError):
            raise
        except Exception as exc:  # noqa: BLE001
            from graphspec.text import spec_value

            shown = ", ".join(f"{k}={spec_value(v)}" for k, v in config.items())
            raise ShapeError(f"`ops.{name}` cannot be computed with {shown or 'these inputs'} "
                             f"({type(exc).__name__})",
                             help=f"pass arguments of the types keras.ops.{name} documents", code=codes.E401) from None

    return run


def _no_negative(name: str, result):
    """Keras refuses a tensor with a negative size (one_hot(num_classes=-1), a backward split)."""
    for shape in result if isinstance(result, list) else [result]:
        if isinstance(shape, tuple) and any(isinstance(d, int) and d < 0 for d in shape):
            from graphspec.text import shape_text

            raise ShapeError(f"`ops.{name}` would make a tensor of shape {shape_text(shape)}, with a negative size",
                             help="check the sizes and indices given to the op", code=codes.E401)
    return result


_wrapped: Dict[str, OpEntry] = {}


def get(name) -> Optional[OpEntry]:
    """The entry of an op by its spec name ("mean", "add"), or None."""
    if not isinstance(name, str):
        return None
    entry = _wrapped.get(name)
    if entry is None:
        entry = _entries().get(name)
        if entry is None:
            return None
        entry = _wrapped[name] = replace(entry, shape=_guarded(name, entry.shape),
                                         dtype=_guarded(name, entry.dtype))
    return entry


def names() -> List[str]:
    """Every op name, sorted."""
    return sorted(_entries())


def entries() -> List[OpEntry]:
    """Every entry, sorted by name."""
    return [get(n) for n in names()]


def suggest(name) -> Optional[str]:
    """The closest op name to a misspelt one, or None."""
    from graphspec.suggest import closest

    return closest(str(name), names()) if name else None


def bind(name, args: tuple, kwargs: tuple) -> dict:
    """The non-tensor arguments of op `name` bound by name through its captured signature, defaults filled."""
    from graphspec.catalog.ops import _bind

    entry = get(name)
    if entry is None:
        from graphspec.suggest import did_you_mean

        raise ArgError("", f"unknown op `ops.{name}`", help=did_you_mean(str(name), names()), code=codes.E201)
    return _bind.bind(entry, tuple(args), tuple(kwargs))


def call_args(name: str, tensors: Sequence, config: dict) -> Tuple[list, dict]:
    """(positional, keyword) arguments for `keras.ops.<entry.keras>`: the tensors in their places
    (a list for a variadic op; spread for a `*args` one like einsum's operands), the config by name."""
    from graphspec.catalog.ops import _bind

    return _bind.call_args(get(name), list(tensors), dict(config))
