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

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" not in cls.__dict__:
            cls.__init__ = _first_init

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


_MISSING = object()


def _first_init(self, *args, **kwargs):
    """The first record of a class compiles that class's own __init__ (plain assignments, as
    dataclasses writes, for only the classes a run uses): parsing makes ~8 records per layer,
    and the generic loop of Record.__init__ cost twice what the compiled one does."""
    cls = type(self)
    if cls.__dict__.get("__init__") is _first_init:
        cls.__init__ = _compiled_init(cls)
        return cls.__init__(self, *args, **kwargs)
    return Record.__init__(self, *args, **kwargs)  # a subclass with its own __init__ calling up


def _compiled_init(cls):
    """An __init__ for `cls` taking its fields in order, defaults as `_defaults` says (the
    generic one where the fields do not allow it: a required field after a defaulted one)."""
    fields, defaults = cls._fields, cls._defaults
    params, body, defaulted = [], [], False
    for f in fields:
        if not f.isidentifier() or f in ("_self", "_MISSING", "_d") or (defaulted and f not in defaults):
            return Record.__init__
        if f in defaults:
            defaulted = True
            params.append(f"{f}=_MISSING")
            body.append(f"    _self.{f} = {f} if {f} is not _MISSING else "
                        f"(_d[{f!r}]() if callable(_d[{f!r}]) else _d[{f!r}])")
        else:
            params.append(f)
            body.append(f"    _self.{f} = {f}")
    code = f"def __init__(_self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n"
    namespace = {"_MISSING": _MISSING, "_d": defaults}
    try:
        exec(code, namespace)  # only the class's own field names, each an identifier (checked above)
    except SyntaxError:  # a field named like a keyword
        return Record.__init__
    return namespace["__init__"]
