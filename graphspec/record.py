"""A minimal record base class for the syntax tree and graph.

`dataclasses` generates and compiles code for every class at import time, which
costs `graphspec check` (a pre-commit hook) several milliseconds per run; these
records are declared by a `_fields` tuple instead, like Python's own `ast` nodes.
"""

from __future__ import annotations


class Record:
    """Fields by position or keyword; `_defaults` maps a field to a value or a factory."""

    __slots__ = ()
    _fields: tuple = ()
    _defaults: dict = {}

    def __init__(self, *args, **kwargs):
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes {len(fields)} fields; received {len(args)}")
        for name, value in zip(fields, args):
            setattr(self, name, value)
        for name in fields[len(args):]:
            if name in kwargs:
                setattr(self, name, kwargs.pop(name))
            elif name in self._defaults:
                default = self._defaults[name]
                setattr(self, name, default() if callable(default) else default)
            else:
                raise TypeError(f"{type(self).__name__} needs field `{name}`")
        if kwargs:
            raise TypeError(f"{type(self).__name__} has no field `{next(iter(kwargs))}`")

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({inner})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and all(
            getattr(self, f) == getattr(other, f) for f in self._fields)

    __hash__ = None  # mutable records are not hashable
