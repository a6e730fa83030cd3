"""Values in comparable form, and their spelling: the diff's normalisation.

A config or settings value is normalised (`norm`) before any comparison: a call written
as a value (`Adam(3e-4)`, `L2(1e-4)`) becomes a `Call` with its positional arguments bound
to names where the catalogue knows the signature and the arguments equal to their defaults
left out; `eq` compares normalised values (`True` is not `1`, tuples and lists by items) and
`vkey` is a hashable key equal exactly when `eq` says so. `fmt` spells a normalised value
through graphspec.text's one quoting rule, calls as they were written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Tuple

from graphspec.text import spec_value

__all__ = ["Call", "Missing", "drop_layer_arg", "eq", "fmt", "is_known_default", "known_default", "layer_param",
           "norm", "call_signature", "shown", "vkey"]


@dataclass(frozen=True)
class Call:
    """A call written as a value (`Adam(3e-4)`, `L2(1e-4)`).

    Compared by its effective arguments: positional ones bound to names where the
    catalogue knows the signature, those equal to their defaults left out.
    Shown as written (`shown`).
    """

    callee: str
    args: tuple = ()  # positional arguments that no known signature names
    kwargs: tuple = ()  # (name, value) pairs, defaults left out
    shown: Optional[tuple] = None  # (args, kwargs) as written, for display
    bound: tuple = ()  # (name, value) pairs: positional arguments bound to names, defaults kept

    def __eq__(self, other):
        return (isinstance(other, Call) and self.callee == other.callee and eq(self.args, other.args)
                and eq(dict(self.kwargs), dict(other.kwargs)))

    def __hash__(self):
        return hash(self.callee)


def eq(a: Any, b: Any) -> bool:
    """Equality of normalized values: `True` is not `1`; tuples and lists compare by items."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(eq(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(eq(a[k], b[k]) for k in a)
    if isinstance(a, Call) or isinstance(b, Call):
        return isinstance(a, Call) and isinstance(b, Call) and a == b
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return False
    return a == b


def known_default(param) -> Tuple[bool, Any]:
    """(known, default) of a catalogue Param: required params and opaque defaults are unknown."""
    from graphspec.catalog.signatures import Opaque

    if param is None or param.required or isinstance(param.default, Opaque):
        return False, None
    return True, param.default


def _is_default(value: Any, default: Any) -> bool:
    if eq(value, default):
        return True
    # `strides=1` is Keras's `(1, 1)`: an int stands for a tuple of that int.
    return (isinstance(default, tuple) and default and isinstance(value, int) and not isinstance(value, bool)
            and all(eq(d, value) for d in default))


def layer_param(type_name: str, name: str):
    from graphspec.catalog.signatures import base_layer_param, layer_signature

    sig = layer_signature(type_name)
    param = sig.param(name) if sig is not None else None
    if param is None and sig is not None:
        param = base_layer_param(name)
    return param


def call_signature(callee: str):
    """The catalogue signature of a call written as a value (an object, or a layer), if known."""
    from graphspec.catalog.signatures import layer_signature, object_kinds_of, object_signature

    try:
        for kind in object_kinds_of(callee):
            sig = object_signature(kind, callee)
            if sig is not None:
                return sig
        return layer_signature(callee)
    except (ValueError, KeyError):  # an unknown name: compare as written
        return None


def norm(value: Any) -> Any:
    """A config or settings value in comparable form: calls bound to names, defaults left out."""
    from graphspec.catalog.base import CallValue

    if isinstance(value, CallValue):
        shown = (tuple(norm(a) for a in value.args), tuple((k, norm(v)) for k, v in value.kwargs))
        if isinstance(value.config, dict):  # a catalogue layer: bound, defaults filled in
            bound = tuple((k, norm(v)) for k, v in value.config.items() if k != "name")
            return Call(value.callee, (), tuple((k, v) for k, v in bound
                                               if not drop_layer_arg(value.callee, k, v)), shown, bound)
        sig = call_signature(value.callee)
        args = [norm(a) for a in value.args]
        kwargs = [(k, norm(v)) for k, v in value.kwargs]
        if sig is not None:
            positional = [p for p in sig.params if p.positional]
            if len(args) <= len(positional):
                kwargs = [(p.name, a) for p, a in zip(positional, args)] + kwargs
                args = []
        bound = tuple(kwargs)
        if sig is not None:
            kwargs = [(k, v) for k, v in kwargs if not is_known_default(sig.param(k), v)]
        return Call(value.callee, tuple(args), tuple(kwargs), shown, bound)
    if isinstance(value, tuple):
        return tuple(norm(v) for v in value)
    if isinstance(value, list):
        return [norm(v) for v in value]
    if isinstance(value, dict):
        return {str(k): norm(v) for k, v in value.items()}
    return value


def is_known_default(param, value: Any) -> bool:
    known, default = known_default(param)
    return known and _is_default(value, default)


def drop_layer_arg(type_name: str, name: str, value: Any) -> bool:
    """`name=` is the layer's identity (a rename), and a value equal to the default is no change."""
    if name == "name":
        return True
    known, default = known_default(layer_param(type_name, name))
    return known and _is_default(norm(value), default)



class _MissingType:
    """The value of an argument or setting that one side does not have."""

    def __repr__(self):
        return "<missing>"


Missing = _MissingType()


class _Shown:
    """A call as written, in the shape graphspec.text spells calls (callee, args, kwargs); not a tuple,
    which text would spell as one."""

    __slots__ = ("callee", "args", "kwargs")

    def __init__(self, callee: str, args: tuple, kwargs: tuple):
        self.callee, self.args, self.kwargs = callee, args, kwargs


def shown(value: Any) -> Any:
    """A normalised value with each Call replaced by its arguments as written, for spelling."""
    if isinstance(value, Call):
        args, kwargs = value.shown if value.shown is not None else (value.args, value.kwargs)
        return _Shown(value.callee, tuple(shown(a) for a in args), tuple((k, shown(v)) for k, v in kwargs))
    if isinstance(value, tuple):
        return tuple(shown(v) for v in value)
    if isinstance(value, list):
        return [shown(v) for v in value]
    if isinstance(value, dict):
        return {k: shown(v) for k, v in value.items()}
    return value


def fmt(value: Any) -> str:
    """A value in spec syntax: `"relu"`, `(3, 3)`, `Adam(learning_rate=0.0003)`."""
    return spec_value(shown(value))


def vkey(value: Any) -> Any:
    """A hashable key of a normalized value, equal when `_eq` says the values are equal."""
    if isinstance(value, bool) or value is None:
        return ("const", value)
    if isinstance(value, (int, float)):
        return ("num", value)
    if isinstance(value, Call):
        return ("call", value.callee, vkey(value.args), vkey(dict(value.kwargs)))
    if isinstance(value, (list, tuple)):
        return ("seq",) + tuple(vkey(v) for v in value)
    if isinstance(value, dict):
        return ("dict",) + tuple(sorted((str(k), vkey(v)) for k, v in value.items()))
    return ("str", str(value))
