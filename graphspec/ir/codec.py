"""The IR records as JSON data and back, derived from their annotations (graphspec/graph.py).

Values (layer arguments, compile and fit settings, consts) are Python data that JSON
cannot tell apart (a tuple and a list, a call), so each kind that is not a JSON scalar or
array is an object tagged by its key:

    (3, 3)        {"tuple": [3, 3]}
    [3, 3]        [3, 3]
    {"a": 1}      {"dict": {"a": 1}}
    L2(1e-4)      {"call": "L2", "args": [0.0001], "kwargs": {}}

Writing is one pass over the records with one line per record (so that two IR files
diff line by line and a 200,000-node spec writes in linear time and memory); reading
expects data that graphspec.ir.schema has validated.
"""

from __future__ import annotations

import json
import operator
import typing
from typing import Any, Callable, Dict, Iterator, List

from graphspec import graph as g
from graphspec.catalog.base import CallValue
from graphspec.record import Record
from graphspec.source import Span

FORMAT = "graphspec-ir"  # the value of the top-level "format" key
VERSION = 1  # the top-level "version"; bumped when a reader of the old format would misread the new

# The records of the IR, leaves first; Program is the document.
RECORDS = (g.Tensor, g.Layer, g.Node, g.Input, g.Output, g.Graph, g.Program)
_NAMES = g.annotation_names()  # what the records' annotations name (graph.py imports no typing)


# ------------------------------------------------------------------ values


def value_to_data(value: Any) -> Any:
    """A spec value as JSON data (tagged objects for tuples, dicts and calls)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [value_to_data(v) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [value_to_data(v) for v in value]}
    if isinstance(value, dict):
        if any(isinstance(k, int) and not isinstance(k, bool) for k in value):  # `{0: 1.0, 1: 5.0}`
            return {"items": [[k, value_to_data(v)] for k, v in value.items()]}
        return {"dict": {str(k): value_to_data(v) for k, v in value.items()}}
    if isinstance(value, CallValue):
        return {"call": value.callee, "args": [value_to_data(v) for v in value.args],
                "kwargs": {k: value_to_data(v) for k, v in value.kwargs}}
    if isinstance(value, g.TensorRef):
        return {"tensor": value.tensor}
    if isinstance(value, slice):
        return {"slice": [value_to_data(value.start), value_to_data(value.stop), value_to_data(value.step)]}
    if value is Ellipsis:
        return {"ellipsis": True}
    raise TypeError(f"{type(value).__name__} is not a spec value")


def _tuple(data: dict):
    return tuple(data_to_value(v) for v in data["tuple"])


def _dict(data: dict):
    return {k: data_to_value(v) for k, v in data["dict"].items()}


def _call(data: dict):
    return CallValue(data["call"], tuple(data_to_value(v) for v in data.get("args", ())),
                     tuple((k, data_to_value(v)) for k, v in data.get("kwargs", {}).items()))


def _items(data: dict):
    return {k: data_to_value(v) for k, v in data["items"]}


_TAGGED: Dict[str, Callable[[dict], Any]] = {
    "tuple": _tuple, "dict": _dict, "call": _call, "items": _items,
    "tensor": lambda d: g.TensorRef(d["tensor"]),
    "slice": lambda d: slice(*d["slice"]),
    "ellipsis": lambda d: Ellipsis,
}
TAGS = ("call", "tuple", "dict", "items", "tensor", "slice", "ellipsis")  # looked for in this order


def data_to_value(data: Any) -> Any:
    """The spec value of validated JSON data (the inverse of value_to_data)."""
    if isinstance(data, list):
        return [data_to_value(v) for v in data]
    if isinstance(data, dict):
        return _TAGGED[next(k for k in TAGS if k in data)](data)
    return data


# ------------------------------------------------------------------ fields, from the annotations


def hints(cls) -> Dict[str, Any]:
    """The annotations of a record's (or Span's) fields, resolved, `Annotated` kept."""
    all_hints = typing.get_type_hints(cls, localns=_NAMES, include_extras=True)
    fields = cls._fields if issubclass(cls, Record) else tuple(all_hints)
    return {f: all_hints[f] for f in fields}


def is_value(tp) -> bool:
    """True for the `graph.Value` annotation."""
    return typing.get_origin(tp) is typing.Annotated and g.VALUE in getattr(tp, "__metadata__", ())


def _identity(x):
    return x


def _codec(tp, direction: str) -> Callable:
    """A converter for data of annotation `tp`: "out" (record -> data) or "in" (data -> record)."""
    if is_value(tp):
        return value_to_data if direction == "out" else data_to_value
    if tp is Span:
        return (lambda s: s.to_dict()) if direction == "out" else (lambda d: Span(**d))
    if isinstance(tp, type) and issubclass(tp, Record):
        return _encoder(tp) if direction == "out" else _decoder(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Union:  # Optional[X]
        inner = _codec(next(a for a in args if a is not type(None)), direction)
        return _identity if inner is _identity else (lambda x: None if x is None else inner(x))
    if origin in (list, tuple):
        items = [_codec(a, direction) for a in args if a is not Ellipsis]
        make = list if direction == "out" else origin
        if all(c is _identity for c in items):
            return make
        if origin is tuple and Ellipsis not in args:
            return lambda x: make(c(v) for c, v in zip(items, x))
        return lambda x: make(items[0](v) for v in x)
    if origin is dict:
        inner = _codec(args[1], direction)
        return dict if inner is _identity else (lambda x: {k: inner(v) for k, v in x.items()})
    return _identity  # int, str, bool, Literal[...]


_ENCODERS: Dict[type, Callable] = {}
_DECODERS: Dict[type, Callable] = {}


def _encoder(cls) -> Callable[[Record], dict]:
    if cls not in _ENCODERS:
        codecs = {name: _codec(tp, "out") for name, tp in hints(cls).items()}
        names = tuple(codecs)
        get = operator.attrgetter(*names)
        converted = [(name, c) for name, c in codecs.items() if c is not _identity]

        omit = getattr(cls, "_omit_empty", ())  # fields left out while empty (added after version 1)

        def encode(record):
            out = dict(zip(names, get(record)))  # one C-level pass; then the fields that need converting
            for name, c in converted:
                out[name] = c(out[name])
            for name in omit:
                if not out[name]:
                    del out[name]
            return out

        _ENCODERS[cls] = encode
    return _ENCODERS[cls]


def _decoder(cls) -> Callable[[dict], Record]:
    if cls not in _DECODERS:
        fields = [(name, _codec(tp, "in")) for name, tp in hints(cls).items()]
        defaults = cls._defaults

        def decode(data):
            values = {}
            for name, c in fields:
                if name in data:
                    values[name] = c(data[name])
                elif name not in defaults:  # validated data has every required field
                    raise KeyError(name)
            return cls(**values)

        _DECODERS[cls] = decode
    return _DECODERS[cls]


def to_data(record: Record) -> dict:
    """A record (a Program, a Graph, ...) as JSON-ready data."""
    return _encoder(type(record) if type(record) in RECORDS else _record_base(type(record)))(record)


def from_data(cls, data: dict) -> Record:
    """The record of class `cls` from validated JSON data."""
    return _decoder(cls)(data)


def _record_base(cls):
    return next(c for c in cls.__mro__ if c in RECORDS)


# ------------------------------------------------------------------ the document


def document(program: g.Program) -> dict:
    """The whole IR document as JSON-ready data: the format and version, then the Program's fields."""
    return {"format": FORMAT, "version": VERSION, **to_data(program)}


def _make_line_encoder():
    """JSON text of one value, compact on one line. json.dumps builds a new encoder per call,
    which costs more than the encoding of a small record; this one is made once."""
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:  # an interpreter without the C accelerator
        encoder = json.JSONEncoder(allow_nan=False)
        return encoder.encode

    def refuse(obj):
        raise TypeError(f"{type(obj).__name__} is not JSON data")

    # As json.dumps(data, allow_nan=False): non-ASCII text escaped (no bidi override or control
    # character reaches a terminal raw), no NaN or infinity; no cycle check (records are trees).
    encode = c_make_encoder(None, refuse, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False,
                            False)
    return lambda data: "".join(encode(data, 0))


_line = _make_line_encoder()


def chunks(program: g.Program) -> Iterator[str]:
    """The IR document as JSON text, in pieces: one line per record of a model's lists."""
    program_fields = hints(_record_base(type(program)))
    graph_fields = hints(g.Graph)
    encode_field = {name: _codec(tp, "out") for name, tp in graph_fields.items()}
    head = {"format": FORMAT, "version": VERSION}
    head.update({name: _codec(tp, "out")(getattr(program, name)) for name, tp in program_fields.items()
                 if name != "models"})
    yield "{\n"
    for name, value in head.items():
        yield f"  {_line(name)}: {_line(value)},\n"
    yield '  "models": {'
    for m, (model_name, graph) in enumerate(program.models.items()):
        yield ("," if m else "") + f"\n    {_line(model_name)}: {{"
        for f, (name, tp) in enumerate(graph_fields.items()):
            sep = "," if f else ""
            origin = typing.get_origin(tp)
            items = typing.get_args(tp)
            if origin is list and items and isinstance(items[0], type) and issubclass(items[0], Record):
                encode = _encoder(items[0])
                records = getattr(graph, name)
                yield f"{sep}\n      {_line(name)}: ["
                for i, record in enumerate(records):
                    yield ("," if i else "") + "\n        " + _line(encode(record))
                yield "\n      ]" if records else "]"
            else:
                yield f"{sep}\n      {_line(name)}: {_line(encode_field[name](getattr(graph, name)))}"
        yield "\n    }"
    yield "\n  }\n}" if program.models else "}\n}"


def dumps(program: g.Program) -> str:
    """The IR document as JSON text (what `graphspec ir` prints)."""
    return "".join(chunks(program))


def dump(program: g.Program, fp) -> None:
    """Write the IR document to a text file object, piece by piece."""
    for piece in chunks(program):
        fp.write(piece)


def decode(data: dict) -> g.Program:
    """The Program of a validated IR document (its "format" and "version" already checked)."""
    fields = {k: v for k, v in data.items() if k not in ("format", "version")}
    return from_data(g.Program, fields)
