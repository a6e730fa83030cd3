"""The Pydantic types of IR JSON, derived from the records' annotations (graphspec/graph.py).

Nothing here is written field by field: each record becomes a TypedDict with the same
fields and types (a field with a record default may be left out), `graph.Value` becomes
the tagged value union of graphspec.ir.codec, and `Span` its five fields. One
TypeAdapter over the document validates IR JSON from outside (strictly: no coercion, no
unknown keys) and makes the JSON Schema, so the schema is exactly what loads.

Imported only by the commands that validate or print the schema: it imports Pydantic.
"""

from __future__ import annotations

import functools
import re
import typing
from typing import Any, Dict, List, Literal, Optional, Tuple, Union

from pydantic import ConfigDict, Discriminator, Field, StrictBool, StrictInt, StrictStr, Tag, TypeAdapter
from typing_extensions import Annotated, NotRequired, TypeAliasType, TypedDict

from graphspec.ir import codec
from graphspec.record import Record
from graphspec.source import Span

_CONFIG = ConfigDict(extra="forbid", strict=True)

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]

# ------------------------------------------------------------------ values

TupleValue = TypedDict("TupleValue", {"tuple": List["Value"]})
DictValue = TypedDict("DictValue", {"dict": Dict[StrictStr, "Value"]})
CallData = TypedDict("CallData", {"call": Identifier, "args": NotRequired[List["Value"]],
                                  "kwargs": NotRequired[Dict[Identifier, "Value"]]})
ItemsValue = TypedDict("ItemsValue", {"items": List[Tuple[StrictInt, "Value"]]})  # a dict with integer keys
TensorValue = TypedDict("TensorValue", {"tensor": Annotated[int, Field(strict=True, ge=0)]})
SliceValue = TypedDict("SliceValue", {"slice": Tuple[Optional[StrictInt], Optional[StrictInt], Optional[StrictInt]]})
EllipsisValue = TypedDict("EllipsisValue", {"ellipsis": Literal[True]})
for _td in (TupleValue, DictValue, CallData, ItemsValue, TensorValue, SliceValue, EllipsisValue):
    _td.__pydantic_config__ = _CONFIG

_KEYS = codec.TAGS  # the tag keys of value objects, looked for in this order
_SCALARS = {type(None): "<null>", bool: "<bool>", int: "<int>", float: "<float>", str: "<str>"}


def _tag(value: Any) -> Optional[str]:
    """Which kind of value `value` is: the discriminator of the Value union."""
    if isinstance(value, dict):
        return next((f"<{key}>" for key in _KEYS if key in value), None)
    if isinstance(value, list):
        return "<list>"
    return _SCALARS.get(type(value))


_KIND_ERROR = ('a value is null, a boolean, a number, a string, an array, or an object with one of the keys '
               '"tuple", "dict", "call", "items", "tensor", "slice" or "ellipsis"')

Value = TypeAliasType("Value", Annotated[
    Union[
        Annotated[None, Tag("<null>")],
        Annotated[StrictBool, Tag("<bool>")],
        Annotated[StrictInt, Tag("<int>")],
        Annotated[Finite, Tag("<float>")],
        Annotated[StrictStr, Tag("<str>")],
        Annotated[List["Value"], Tag("<list>")],
        Annotated[TupleValue, Tag("<tuple>")],
        Annotated[DictValue, Tag("<dict>")],
        Annotated[CallData, Tag("<call>")],
        Annotated[ItemsValue, Tag("<items>")],
        Annotated[TensorValue, Tag("<tensor>")],
        Annotated[SliceValue, Tag("<slice>")],
        Annotated[EllipsisValue, Tag("<ellipsis>")],
    ],
    Discriminator(_tag, custom_error_type="value_kind", custom_error_message=_KIND_ERROR),
])


# ------------------------------------------------------------------ records


def _field_type(tp, types: Dict[type, Any]):
    """The Pydantic type of a record field annotated `tp`."""
    if codec.is_value(tp):
        return Value
    if tp is Span or (isinstance(tp, type) and issubclass(tp, Record)):
        return types[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Union:
        return Optional[_field_type(next(a for a in args if a is not type(None)), types)]
    if origin is list:
        return List[_field_type(args[0], types)]
    if origin is tuple:
        items = tuple(Ellipsis if a is Ellipsis else _field_type(a, types) for a in args)
        return Tuple[items]
    if origin is dict:
        return Dict[StrictStr, _field_type(args[1], types)]
    if origin is Literal:
        return tp
    return {int: StrictInt, str: StrictStr, bool: StrictBool}[tp]


def _typed_dict(name: str, fields: Dict[str, Any], optional=()) -> type:
    td = TypedDict(name, {f: NotRequired[t] if f in optional else t for f, t in fields.items()})
    td.__pydantic_config__ = _CONFIG
    return td


@functools.lru_cache(maxsize=None)
def types() -> Dict[Any, type]:
    """The TypedDict of Span, of each record, and of the whole document ("document")."""
    out: Dict[Any, type] = {}
    out[Span] = _typed_dict("Span", {f: _field_type(tp, out) for f, tp in codec.hints(Span).items()})
    for cls in codec.RECORDS:  # leaves first: a record's field types exist before it
        fields = {f: _field_type(tp, out) for f, tp in codec.hints(cls).items()}
        out[cls] = _typed_dict(cls.__name__, fields, optional=cls._defaults)
    program = codec.RECORDS[-1]
    envelope = {"format": Literal[codec.FORMAT], "version": Literal[codec.VERSION]}
    fields = {f: _field_type(tp, out) for f, tp in codec.hints(program).items()}
    out["document"] = _typed_dict("GraphspecIR", {**envelope, **fields}, optional=program._defaults)
    return out


@functools.lru_cache(maxsize=None)
def adapter() -> TypeAdapter:
    """The validator of a whole IR document."""
    return TypeAdapter(types()["document"])


def json_schema() -> dict:
    """The JSON Schema of IR documents: exactly what `adapter()` accepts."""
    schema = adapter().json_schema(mode="validation")
    # Pydantic writes a discriminated union as `oneOf`; in JSON Schema 1 is an integer and a number
    # both, so the value union is `anyOf` (its object branches exclude one another by their keys).
    value = schema["$defs"]["Value"]
    value["anyOf"] = value.pop("oneOf")
    schema["title"] = "graphspec IR"
    schema["description"] = (f"The checked intermediate representation of a graphspec spec, format "
                             f"{codec.FORMAT!r} version {codec.VERSION} (docs/ir.md). A document that validates "
                             "is also checked against the layer catalogue before it is built.")
    return schema


_TAG = re.compile(r"<[a-z]+>")


def path(loc: Tuple) -> str:
    """A Pydantic error location as a JSON path: `models.m.layers[3].config.units`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _TAG.fullmatch(part):  # a branch of the Value union, no part of the JSON path
            continue
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out or "(the document)"
