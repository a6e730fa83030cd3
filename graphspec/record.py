"""Minimal record base classes for the syntax tree, the graph, the catalogue and the passes.

`dataclasses` generates and compiles code for every class at import time (and imports
inspect, ast and dis), which costs `graphspec check` (a pre-commit hook) several
milliseconds per run; these records are declared by a `_fields` tuple instead, like
Python's own `ast` nodes. `FrozenRecord` is what a frozen dataclass was: immutable,
equal and hashed by value; `replace` is `dataclasses.replace`.
"""

from __future__ import annotations


class Record:
    """Fields by position or keyword; `_defaults` maps a field to a value or a factory (a callable,
    so a default that is itself a function is written `lambda: function`); a `__post_init__`
    method, if any, runs after the fields are set."""

    __slots__ = ()
    _fields: tuple = ()
    _defaults: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" not in cls.__dict__:
            cls.__init__ = _first_init

    def __init__(self, *args, **kwargs):
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes {len(fields)} fields; received {len(args)}")
        set_ = object.__setattr__  # past a FrozenRecord's refusal
        for name, value in zip(fields, args):
            set_(self, name, value)
        for name in fields[len(args):]:
            if name in kwargs:
                set_(self, name, kwargs.pop(name))
            elif name in self._defaults:
                default = self._defaults[name]
                set_(self, name, default() if callable(default) else default)
            else:
                raise TypeError(f"{type(self).__name__} needs field `{name}`")
        if kwargs:
            raise TypeError(f"{type(self).__name__} has no field `{next(iter(kwargs))}`")
        post = getattr(self, "__post_init__", None)
        if post is not None:
            post()

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({inner})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and all(
            getattr(self, f) == getattr(other, f) for f in self._fields)

    __hash__ = None  # mutable records are not hashable


_MISSING = object()


_RECORDS_PER_FIELD = 8  # a class's records made by the generic __init__, per field, before its own is compiled
_made: dict = {}  # class -> records made so far by the generic __init__


def _first_init(self, *args, **kwargs):
    """A class's records are made by the generic Record.__init__ until 8 per field are, and the
    next compiles the class's own __init__ (plain assignments, as dataclasses writes): parsing
    makes ~8 records per layer, and the generic loop costs 3-4 times what the compiled one does;
    but compiling costs as much as ~9 generic records per field (30 for 3 fields, 90 for 11), and
    most classes of a small spec's check make only a few."""
    cls = type(self)
    if cls.__dict__.get("__init__") is _first_init:
        made = _made.get(cls, 0) + 1
        if made > _RECORDS_PER_FIELD * len(cls._fields):
            cls.__init__ = _compiled_init(cls)
            return cls.__init__(self, *args, **kwargs)
        _made[cls] = made
    return Record.__init__(self, *args, **kwargs)  # also a subclass with its own __init__ calling up


def _compiled_init(cls):
    """An __init__ for `cls` taking its fields in order, defaults as `_defaults` says (the
    generic one where the fields do not allow it: a required field after a defaulted one)."""
    fields, defaults = cls._fields, cls._defaults
    frozen = issubclass(cls, FrozenRecord)
    params, body, values = [], [], []
    for f in fields:
        if not f.isidentifier() or f in ("_self", "_MISSING", "_d", "_set") or (values and f not in defaults):
            return Record.__init__
        value = f
        if f in defaults:
            params.append(f"{f}=_MISSING")
            default = defaults[f]
            if callable(default):  # a factory, called per record
                values.append(_MISSING)
                value = f"{f} if {f} is not _MISSING else _d[{f!r}]()"
            else:  # a value: the parameter's own default (set below; the code stays short to compile)
                values.append(default)
        else:
            params.append(f)
        body.append(f"    _set(_self, {f!r}, {value})" if frozen else f"    _self.{f} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("    _self.__post_init__()")
    code = f"def __init__(_self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n"
    namespace = {"_MISSING": _MISSING, "_d": defaults, "_set": object.__setattr__}
    try:
        exec(code, namespace)  # only the class's own field names, each an identifier (checked above)
    except SyntaxError:  # a field named like a keyword
        return Record.__init__
    init = namespace["__init__"]
    init.__defaults__ = tuple(values) or None
    return init


class FrozenRecord(Record):
    """A record that cannot change once made, equal and hashed by its fields' values (as a frozen
    dataclass is: a catalogue entry, a call value, a dict key)."""

    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field `{name}` of a frozen {type(self).__name__}")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field `{name}` of a frozen {type(self).__name__}")

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return values(self) == values(other)

    def __hash__(self) -> int:
        return hash(values(self))

    def __reduce__(self):
        # pickle and copy: through __init__, since the default restores slots by setattr
        return type(self), values(self)


def values(record: Record) -> tuple:
    """The record's field values, in field order."""
    return tuple(getattr(record, f) for f in record._fields)


def replace(record: Record, **changes) -> Record:
    """A copy of `record` (of its own class, through its __init__) with some fields changed."""
    fields = record._fields
    unknown = [name for name in changes if name not in fields]
    if unknown:
        raise TypeError(f"{type(record).__name__} has no field `{unknown[0]}`")
    return type(record)(**{f: changes[f] if f in changes else getattr(record, f) for f in fields})
