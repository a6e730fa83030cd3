"""Keras constructor signatures, read from a data file: no Keras import.

`keras_signatures.json` (next to this module, shipped as package data) is written
by `scripts/capture_keras_signatures.py`, which is the only code that imports
Keras to produce it. It holds, for the pinned Keras version:

* every public layer class with its `__init__` parameters and aliases,
* the base-`Layer` keyword arguments a spec may pass to any layer,
* the public optimizer, loss, metric, callback, initializer, regularizer,
  constraint and learning-rate-schedule classes (minus the excluded ones,
  recorded with a reason),
* every string identifier that `keras.<kind>.get` accepts.

The file is parsed once, on first use; each class's signature is decoded when first
asked for.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping

from graphspec.catalog.base import ArgError
from graphspec.diagnostics import codes
from graphspec.record import FrozenRecord
from graphspec.suggest import did_you_mean

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Optional

DATA_FILE = "keras_signatures.json"

POSITIONAL_ONLY = "positional_only"
POSITIONAL_OR_KEYWORD = "positional_or_keyword"
KEYWORD_ONLY = "keyword_only"

# Kinds of non-layer objects a spec can name, by class (`Adam(...)`) or by string.
OBJECT_KINDS = (
    "optimizers",
    "losses",
    "metrics",
    "callbacks",
    "initializers",
    "regularizers",
    "constraints",
    "learning_rate_schedules",
)
# Kinds that `names()` knows; "activations" exist only as strings.
KINDS = OBJECT_KINDS + ("activations",)

_KIND_ALIASES = {
    "layer": "layers",
    "optimizer": "optimizers",
    "loss": "losses",
    "metric": "metrics",
    "callback": "callbacks",
    "activation": "activations",
    "initializer": "initializers",
    "regularizer": "regularizers",
    "constraint": "constraints",
    "learning_rate_schedule": "learning_rate_schedules",
    "schedule": "learning_rate_schedules",
    "schedules": "learning_rate_schedules",
}


class Opaque(FrozenRecord):
    """A default value that is not a plain literal; only its Python repr is known."""

    __slots__ = _fields = ("repr",)

    repr: str

    def __repr__(self) -> str:
        return self.repr


class Param(FrozenRecord):
    """One constructor parameter."""

    __slots__ = _fields = ("name", "kind", "required", "default")
    _defaults = {"default": None}

    name: str
    kind: str  # "positional_or_keyword" | "keyword_only" (| "positional_only")
    required: bool
    default: Any  # decoded; meaningless when `required`

    @property
    def positional(self) -> bool:
        return self.kind != KEYWORD_ONLY

    @property
    def keyword(self) -> bool:
        return self.kind != POSITIONAL_ONLY


class Signature(FrozenRecord):
    """The constructor signature of one Keras class."""

    __slots__ = _fields = ("name", "params", "var_kwargs", "kind", "aliases", "forwarded")
    _defaults = {"kind": "layer", "aliases": (), "forwarded": ()}

    name: str  # canonical class name
    params: tuple  # of Param, in signature order
    var_kwargs: bool  # the constructor takes **kwargs
    kind: str  # "layer" (the default) or one of OBJECT_KINDS
    aliases: tuple
    # Keywords the constructor takes through **kwargs (a base class's parameters such as
    # `lora_rank`, or a deprecated keyword it pops such as `rms_scaling`); in a config only
    # when given.
    forwarded: tuple

    def forwarded_param(self, name: str) -> Optional[Param]:
        for p in self.forwarded:
            if p.name == name:
                return p
        return None

    def param(self, name: str) -> Optional[Param]:
        for p in self.params:
            if p.name == name:
                return p
        return None

    @property
    def param_names(self) -> list:
        return [p.name for p in self.params]

    @property
    def positional_params(self) -> list:
        return [p for p in self.params if p.positional]

    @property
    def required_params(self) -> list:
        return [p for p in self.params if p.required]


# --------------------------------------------------------------------------- loading


def _read_text() -> str:
    # The file next to this module (an ordinary install); importlib.resources, which costs
    # `graphspec check` milliseconds to import, only for other package loaders (a zip).
    path = os.path.join(os.path.dirname(__file__), DATA_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        try:
            from importlib.resources import files

            return files("graphspec.catalog").joinpath(DATA_FILE).read_text(encoding="utf-8")
        except (ImportError, OSError, TypeError, ValueError):
            raise exc from None


def decode_default(value: Any) -> Any:
    """Decode a default written by the capture script."""
    if isinstance(value, dict):
        if "tuple" in value:
            return tuple(decode_default(v) for v in value["tuple"])
        if "repr" in value:
            return Opaque(value["repr"])
    if isinstance(value, list):  # not produced today; kept lossless
        return [decode_default(v) for v in value]
    return value


def _params(raw: list) -> tuple:
    return tuple(
        Param(
            name=p["name"],
            kind=p["kind"],
            required=bool(p["required"]),
            default=None if p["required"] else decode_default(p["default"]),
        )
        for p in raw
    )


class _Signatures(Mapping):
    """Canonical name -> Signature, each decoded from the data file when first asked for: a
    check needs a few of the hundreds of classes, and decoding them all costs every run."""

    def __init__(self, section: dict, kind: str):
        self._section = section
        self._kind = kind
        self._decoded: dict = {}

    def __getitem__(self, name: str) -> Signature:
        sig = self._decoded.get(name)
        if sig is None:
            entry = self._section[name]
            sig = self._decoded[name] = Signature(
                name=name,
                params=_params(entry["params"]),
                var_kwargs=bool(entry.get("var_kwargs", False)),
                kind=self._kind,
                aliases=tuple(entry.get("aliases", ())),
                forwarded=_params(entry.get("forwarded", [])),
            )
        return sig

    def __iter__(self):
        return iter(self._section)

    def __len__(self) -> int:
        return len(self._section)


def _signatures(section: dict, kind: str) -> tuple:
    """(canonical -> Signature, any accepted name -> canonical)."""
    by_name = _Signatures(section, kind)
    resolve = {}
    for name, entry in section.items():
        for alias in entry.get("aliases", ()):
            resolve.setdefault(alias, name)
    resolve.update({name: name for name in section})  # canonical names win
    return by_name, resolve


class _Catalogue:
    def __init__(self, data: dict):
        self.data = data
        self.keras_version = data.get("keras_version", "")
        self.layers, self.layer_resolve = _signatures(data["layers"], "layer")
        self.base_layer_kwargs = _params(data.get("base_layer_kwargs", []))
        self.objects = {}
        self.object_resolve = {}
        for kind in OBJECT_KINDS:
            self.objects[kind], self.object_resolve[kind] = _signatures(data.get(kind, {}), kind)
        self.string_names = {k: tuple(v) for k, v in data.get("string_names", {}).items()}
        self.excluded = data.get("excluded", {})
        self.dtypes = tuple(data.get("dtypes", ()))
        self.layer_dtypes = tuple(data.get("layer_dtypes", ()))


@functools.lru_cache(maxsize=None)
def _catalogue() -> _Catalogue:
    data = json.loads(_read_text())
    # The layers keras.applications defines (LayerScale, StochasticDepth, ...), captured with the
    # call signatures; the ones keras.layers also has keep keras.layers's signature.
    from graphspec.catalog import calls  # lazy: calls imports this module

    try:
        applications = calls.application_signatures()
    except (OSError, ValueError, KeyError):
        applications = {}
    for name, entry in applications.items():
        data["layers"].setdefault(name, entry)
    return _Catalogue(data)


def _kind(kind: str) -> str:
    kind = _KIND_ALIASES.get(kind, kind)
    if kind != "layers" and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)} or 'layers'")
    return kind


# --------------------------------------------------------------------------- lookups


def keras_version() -> str:
    """The Keras version the data file was captured from."""
    return _catalogue().keras_version


def canonical_layer_name(name: str) -> Optional[str]:
    """`MaxPool2D` -> `MaxPooling2D`; a canonical name maps to itself; unknown -> None."""
    return _catalogue().layer_resolve.get(name)


def layer_signature(name: str) -> Optional[Signature]:
    """The constructor signature of a Keras layer, by canonical name or alias."""
    cat = _catalogue()
    canonical = cat.layer_resolve.get(name)
    return cat.layers[canonical] if canonical else None


def layer_names() -> list:
    """Every layer name a spec may write: canonical names and aliases, sorted."""
    return sorted(_catalogue().layer_resolve)


def base_layer_kwargs() -> tuple:
    """Params of keras.layers.Layer a spec may pass to layers that forward **kwargs."""
    return _catalogue().base_layer_kwargs


def base_layer_param(name: str) -> Optional[Param]:
    for p in _catalogue().base_layer_kwargs:
        if p.name == name:
            return p
    return None


def object_signature(kind: str, name: str) -> Optional[Signature]:
    """The signature of a class-style object such as `Adam`, `EarlyStopping`, `L2`.

    `kind` is one of OBJECT_KINDS (singular forms are accepted); `name` may be the
    canonical class name or a public alias (`glorot_uniform`, `l2`). "layers" is
    accepted too and defers to `layer_signature`.
    """
    kind = _kind(kind)
    if kind == "layers":
        return layer_signature(name)
    if kind == "activations":
        return None
    cat = _catalogue()
    canonical = cat.object_resolve[kind].get(name)
    return cat.objects[kind][canonical] if canonical else None


def object_kinds_of(name: str) -> list:
    """The kinds (layers first) in which `name` is a class: `"L2"` -> ["regularizers"]."""
    out = ["layers"] if canonical_layer_name(name) else []
    cat = _catalogue()
    out.extend(k for k in OBJECT_KINDS if name in cat.object_resolve[k])
    return out


def class_names(kind: str) -> list:
    """Class names (canonical and aliases) of one kind, sorted."""
    kind = _kind(kind)
    if kind == "layers":
        return layer_names()
    if kind == "activations":
        return []
    return sorted(_catalogue().object_resolve[kind])


def string_names(kind: str) -> list:
    """String identifiers Keras accepts for a kind (`"adam"`, `"mse"`, `"relu"`), sorted."""
    kind = _kind(kind)
    return sorted(_catalogue().string_names.get(kind, ()))


def names(kind: str) -> list:
    """Everything a spec may write for a kind: class names and string identifiers."""
    return sorted(set(class_names(kind)) | set(string_names(kind)))


def excluded(kind: str) -> dict:
    """Public Keras classes of a kind that a spec may not use -> the reason."""
    kind = _kind(kind)
    return dict(_catalogue().excluded.get(kind, {}))


def dtype_names() -> list:
    """Keras dtype names (`"float32"`, `"int64"`, `"string"`, ...)."""
    return list(_catalogue().dtypes)


def layer_dtype_names() -> list:
    """Strings a layer's `dtype=` accepts: dtypes and policies such as `"mixed_float16"`."""
    return list(_catalogue().layer_dtypes)


# --------------------------------------------------------------------------- binding


def _error(code: str, param: str, message: str, help: Optional[str], source=None) -> ArgError:
    err = ArgError(param, message, help=help, code=code)
    # Where the problem is in the call: ("positional", i), ("keyword", j) or None
    # (the call as a whole), so that a caller can point at the right span.
    err.source = source
    return err


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def bind(
    sig: Signature,
    args: Iterable[Any],
    kwargs: Iterable,
    kind: Optional[str] = None,
    callee: Optional[str] = None,
) -> tuple:
    """Bind call arguments to `sig` the way Python would call the constructor.

    `args` are positional values, `kwargs` a sequence of (name, value) pairs in source
    order. For layers (`kind="layer"`, the default for layer signatures) the base-Layer
    keyword arguments (name, dtype, trainable, activity_regularizer) are accepted when
    the constructor forwards **kwargs. `callee` is the name as written (an alias) for
    messages; it defaults to the canonical name.

    Returns `(config, problems)`: config maps every parameter of the signature to its
    value, defaults filled in (in signature order), followed by any base-Layer keyword
    arguments that were given; problems is a list of ArgError (E301 unknown keyword,
    E303 missing required argument, E304 too many positional arguments or an argument
    given twice). Each error has a `source` attribute: ("positional", index),
    ("keyword", index) or None.
    """
    kind = kind or sig.kind
    shown = callee or sig.name
    args = list(args)
    kwargs = list(kwargs)
    given: dict = {}
    where: dict = {}
    problems: list = []

    positional = sig.positional_params
    for i, value in enumerate(args):
        if i >= len(positional):
            extra = len(args) - len(positional)
            if positional:
                names_ = ", ".join(p.name for p in positional)
                message = (
                    f"`{shown}` takes at most {_plural(len(positional), 'positional argument')} "
                    f"({names_}) but {len(args)} were given"
                )
                help_ = (
                    "remove the extra value or pass it by keyword (`name=value`)"
                    if extra == 1
                    else f"remove the {extra} extra values or pass them by keyword (`name=value`)"
                )
            else:
                message = (
                    f"`{shown}` takes no positional arguments but {len(args)} "
                    f"{'was' if len(args) == 1 else 'were'} given"
                )
                keywords = [p.name for p in sig.params if p.keyword]
                help_ = (
                    f"pass arguments by keyword, e.g. `{shown}({keywords[0]}=...)`"
                    if keywords
                    else f"write `{shown}()`"
                )
            problems.append(_error(codes.E304, f"#{i}", message, help_, ("positional", i)))
            break
        p = positional[i]
        given[p.name] = value
        where[p.name] = ("positional", i)

    extras = {}
    if kind in ("layer", "layers"):
        explicit = {p.name for p in sig.params}
        extras = {
            p.name: p
            for p in _catalogue().base_layer_kwargs + sig.forwarded
            if p.name not in explicit and sig.var_kwargs
        }
    extra_values: dict = {}

    for j, pair in enumerate(kwargs):
        name, value = pair
        p = sig.param(name)
        if p is not None and not p.keyword:
            problems.append(
                _error(
                    codes.E301,
                    name,
                    f"`{shown}` takes `{name}` only as a positional argument",
                    f"pass it as the {_ordinal(positional.index(p) + 1)} positional argument",
                    ("keyword", j),
                )
            )
            continue
        if p is None and name not in extras:
            candidates = [q.name for q in sig.params if q.keyword] + list(extras)
            help_ = did_you_mean(name, candidates)
            if help_ is None:
                if candidates:
                    help_ = f"`{shown}` accepts: " + ", ".join(f"`{c}`" for c in candidates)
                else:
                    help_ = f"`{shown}` takes no keyword arguments"
            problems.append(
                _error(
                    codes.E301,
                    name,
                    f"`{shown}` got an unexpected keyword argument `{name}`",
                    help_,
                    ("keyword", j),
                )
            )
            continue
        if name in given or name in extra_values:
            first = where[name]
            if first[0] == "positional":
                help_ = (
                    f"`{name}` is already given as the {_ordinal(first[1] + 1)} positional "
                    f"argument; remove one of them"
                )
            else:
                help_ = f"remove one of the two `{name}=` arguments"
            problems.append(
                _error(
                    codes.E304,
                    name,
                    f"`{shown}` got multiple values for argument `{name}`",
                    help_,
                    ("keyword", j),
                )
            )
            continue
        if p is not None:
            given[name] = value
        else:
            extra_values[name] = value
        where[name] = ("keyword", j)

    for p in sig.params:
        if p.required and p.name not in given:
            if p.positional:
                help_ = (
                    f"pass it as the {_ordinal(positional.index(p) + 1)} positional argument "
                    f"or as `{p.name}=...`"
                )
            else:
                help_ = f"pass it as `{p.name}=...`"
            problems.append(
                _error(
                    codes.E303,
                    p.name,
                    f"`{shown}` is missing the required argument `{p.name}`",
                    help_,
                    None,
                )
            )

    config = {}
    for p in sig.params:
        if p.name in given:
            config[p.name] = given[p.name]
        elif not p.required:
            config[p.name] = p.default
    config.update(extra_values)
    return config, problems


def bind_layer(name: str, args: Iterable[Any], kwargs: Iterable) -> tuple:
    """`bind` by layer name; returns (None, []) for a name that is not a Keras layer."""
    sig = layer_signature(name)
    if sig is None:
        return None, []
    return bind(sig, args, kwargs, kind="layer", callee=name)
