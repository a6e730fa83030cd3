"""Turning a layer call written in a spec into a validated layer configuration."""

from __future__ import annotations

from graphspec import custom
from graphspec.catalog import registry, signatures
from graphspec.catalog.base import ArgError, CallValue, LayerEntry
from graphspec.catalog.params import call_kind, call_problems, callee_signature, check_config, check_value
from graphspec.diagnostics import codes
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.passes.values import Evaluator, contains_invalid
from graphspec.record import Record, replace
from graphspec.source import Span
from graphspec.suggest import closest
from graphspec.syntax import ast
from graphspec.text import spec_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional, Tuple


class LayerSpec(Record):
    """A validated layer call: its type, the arguments as written, and the full config."""

    __slots__ = _fields = ("type", "kind", "explicit", "full", "entry", "custom", "results")
    _defaults = {"custom": None, "results": None}

    type: str
    kind: str  # "layer" or "custom"
    explicit: Dict[str, object]  # arguments as written, bound to names
    full: Dict[str, object]  # with every default filled in (what shape rules see)
    entry: Optional[LayerEntry]
    custom: Optional[custom.CustomLayer]
    # input shapes -> (output shapes, parameter counts), shared by every spec of one checked call
    # (passes/application.py); None: not remembered
    results: Optional[dict]


def known_layer(name: str) -> Optional[str]:
    """The canonical catalogue name (or registered custom name) for `name`, if any."""
    if custom.get(name) is not None:
        return name
    canonical = signatures.canonical_layer_name(name)
    if canonical is not None and registry.get(canonical) is not None:
        return canonical
    return None


def layer_names() -> List[str]:
    """Every layer name a spec may call (catalogue with aliases, and custom layers)."""
    return [n for n in signatures.layer_names() if registry.get(signatures.canonical_layer_name(n) or n)] + custom.names()


def _custom_signature(c: custom.CustomLayer) -> signatures.Signature:
    params = [signatures.Param(name, "keyword_only" if kw_only else "positional_or_keyword", required, default)
              for name, kw_only, required, default in c.params]
    return signatures.Signature(c.name, params, c.var_kwargs)


def _arg_span(call: ast.Call, sig: signatures.Signature, param: str) -> Span:
    for kw in call.kwargs:
        if kw.name == param:
            return kw.value.span if hasattr(kw.value, "span") else kw.name_span
    positional = [p.name for p in sig.params if p.kind == "positional_or_keyword"]
    if param in positional and positional.index(param) < len(call.args):
        return call.args[positional.index(param)].span
    for kw in call.kwargs:  # an unknown keyword: point at its name
        if kw.name == param:
            return kw.name_span
    return call.name_span


def _explicit(sig: signatures.Signature, args: tuple, kwargs: tuple) -> Dict[str, object]:
    positional = [p.name for p in sig.params if p.kind == "positional_or_keyword"]
    out = {}
    for name, value in zip(positional, args):
        out[name] = value
    for name, value in kwargs:
        out[name] = value
    return out


def _report(diags: Diagnostics, errors: List[ArgError], call: ast.Call, span_of) -> None:
    for err in errors:
        source = getattr(err, "source", None)
        if source and source[0] == "positional" and source[1] < len(call.args):
            span = call.args[source[1]].span
        elif source and source[0] == "keyword" and source[1] < len(call.kwargs):
            kw = call.kwargs[source[1]]
            span = kw.name_span if err.code in (codes.E301, codes.E304) else kw.value.span
        else:
            span = span_of(err.param)
        label = _LABELS.get(err.code, "")
        if err.code == codes.E304 and "multiple values" in err.message:
            label = "given again"
        diags.error(err.code, err.message, span, help=err.help, label=label)


_LABELS = {codes.E301: "unknown argument", codes.E302: "wrong type", codes.E303: "missing argument",
           codes.E304: "too many", codes.E305: "invalid value"}


def make_layer(call: ast.Call, value: CallValue, diags: Diagnostics) -> Optional[LayerSpec]:
    """Validate a layer call (its evaluated arguments in `value`); None when it has errors."""
    type_name = known_layer(call.name)
    if type_name is None:
        return None
    c = custom.get(type_name)
    sig = _custom_signature(c) if c is not None else signatures.layer_signature(type_name)
    kind = "custom" if c is not None else "layer"
    span_of = lambda p: _arg_span(call, sig, p)  # noqa: E731
    full, problems = signatures.bind(sig, list(value.args), list(value.kwargs), kind="layer", callee=call.name)
    if problems:
        # Every problem of the call in one run: the values that did bind are checked too, and a
        # required argument whose name was misspelt is reported once, as the misspelling.
        problems = _without_misspelt_missing(problems)
        for err in problems:
            if err.code == codes.E301 and err.param in _KERAS_SHAPE_ARGS:
                err.help = _shape_arg_help(err.param, dict(value.kwargs).get(err.param))
        if c is None and not contains_invalid(full):
            problems += [err for pname in _given(sig, value) if pname in full
                         for err in check_value(type_name, pname, full[pname])]
        _report(diags, problems, call, span_of)
        return None
    if contains_invalid(full):
        return None
    entry = registry.get(type_name) if c is None else None
    ok = True
    if entry is not None:
        # Arguments that are themselves layers (Bidirectional(LSTM(16))) are validated in turn.
        for pname in entry.layer_params:
            inner = full.get(pname)
            if inner is None and not sig.param(pname).required:
                continue
            inner_spec = _inner_layer(inner, type_name, pname, span_of(pname), diags)
            if inner_spec is None:
                ok = False
                continue
            full[pname] = inner_spec
        errors = check_config(type_name, full) if ok else []
        if entry.validate is not None and not errors and ok:
            try:
                entry.validate(full)
            except ArgError as err:
                if type_name not in err.message:  # say which layer, as the per-argument checks do
                    err.message = f"{type_name}: {err.message}"
                errors = [err]
        if errors:
            _report(diags, errors, call, span_of)
            ok = False
    elif c is not None:
        # A custom layer's arguments have no value rules, but the calls in them are of a kind too:
        # a call reaches Keras only through a parameter that takes one.
        errors = [err for pname, v in full.items() for err in call_problems(type_name, pname, v)]
        if errors:
            _report(diags, errors, call, span_of)
            ok = False
    if not ok:
        return None
    explicit = _explicit(sig, value.args, value.kwargs)
    for pname in entry.layer_params if entry else ():
        if pname in explicit:
            explicit[pname] = full[pname]
    return LayerSpec(type_name, kind, explicit, full, entry, c)


def _shape_arg_help(param: str, value) -> str:
    """The spec spelling of `input_shape=(4,)`: an `input` line."""
    shape = _KERAS_SHAPE_ARGS[param](value)
    shown = spec_value(shape) if shape else "(28, 28, 1)"
    return (f"a spec gives shapes on its inputs, not on layers: declare `input x: {shown}` (without the batch "
            f"axis), chain the layer from it, and remove `{param}=`")


# Keras's ways to give a layer its input shape (the Sequential API) -> the shape without the batch axis, or None;
# a spec declares shapes on its inputs.
_KERAS_SHAPE_ARGS = {
    "input_shape": lambda v: v if isinstance(v, tuple) else None,
    "batch_input_shape": lambda v: tuple(v[1:]) if isinstance(v, tuple) and len(v) > 1 else None,
    "input_dim": lambda v: (v,) if isinstance(v, int) and not isinstance(v, bool) else None,
}


def keras_model_help(call: ast.Call) -> Optional[str]:
    """The spec spelling of a Keras model class used as a layer (`Sequential([...])`), or None."""
    helper = _KERAS_MODEL_CLASSES.get(call.name)
    return helper(call) if helper is not None else None


def _sequential_help(call: ast.Call) -> str:
    items = call.args[0].items if call.args and isinstance(call.args[0], ast.ListExpr) else []
    steps = [_call_text(c) for c in items if isinstance(c, ast.Call)] or ["Dense(...)", "Dense(...)"]
    return (f"a chain is the sequence: in place of `Sequential([...])`, write `{' -> '.join(steps)}` (to reuse "
            f"the stack, make it a `block`; to share its weights, a `model`)")


def _model_help(call: ast.Call) -> str:
    return "a spec's `model NAME { ... }` is the Keras Model; use another model by its name as a step: `x -> NAME`"


_KERAS_MODEL_CLASSES = {"Sequential": _sequential_help, "Model": _model_help, "Functional": _model_help}


def _call_text(call: ast.Call) -> str:
    """A call as a spec writes it (`Dense(16, activation="relu")`); `Dense(...)` when its arguments name
    consts or parameters (read without a scope, reporting nothing)."""
    value = Evaluator(_no_name, list, Diagnostics()).eval(call)
    return spec_value(value) if isinstance(value, CallValue) and not contains_invalid(value) else f"{call.name}(...)"


def _no_name(name: str):
    raise KeyError(name)


def _without_misspelt_missing(problems: List[ArgError]) -> List[ArgError]:
    """Drop the E303 "missing `kernel_size`" that an E301 `kernal_size=` already explains."""
    missing = [e.param for e in problems if e.code == codes.E303]
    typos = {closest(e.param, missing) for e in problems if e.code == codes.E301 and missing}
    return [e for e in problems if not (e.code == codes.E303 and e.param in typos)]


def _given(sig: signatures.Signature, value: CallValue) -> List[str]:
    """The parameters a call gives values to, positionally or by keyword (in source order)."""
    positional = [p.name for p in sig.params if p.kind == "positional_or_keyword"]
    return positional[:len(value.args)] + [name for name, _ in value.kwargs]


def _inner_layer(value, outer: str, pname: str, span: Span, diags: Diagnostics) -> Optional[CallValue]:
    if not isinstance(value, CallValue):
        diags.error(codes.E302, f"{outer}: `{pname}` must be a layer such as `LSTM(16)`; received {value!r}", span,
                    label="not a layer")
        return None
    kind = call_kind(outer, pname)
    if kind is None or callee_signature(kind, value.callee) is None:  # a layer outside the kind it takes
        for err in call_problems(outer, pname, value):
            diags.error(err.code, err.message, span, help=err.help, label=_LABELS.get(err.code, ""))
        return None
    type_name = known_layer(value.callee)
    sig = signatures.layer_signature(type_name)
    full, problems = signatures.bind(sig, list(value.args), list(value.kwargs), kind="layer")
    if not problems:
        problems = check_config(type_name, full)
    if problems:
        for err in problems:
            diags.error(err.code, f"{err.message} (inside {outer})", span, help=err.help)
        return None
    return replace(value, callee=type_name, config=full)


def param_counts(spec: LayerSpec, shapes) -> Tuple[int, int]:
    """(trainable, non-trainable) parameters; raises ShapeError when they cannot be known."""
    if spec.entry is not None:
        return spec.entry.params(spec.full, shapes)
    return spec.custom.count(spec.full, shapes)


def ir_param_count(type_name: str, config: dict, shapes) -> int:
    """The weights of catalogue layer `type_name` built from `config` (its arguments as an IR holds them)
    and called on `shapes`: how the Keras builder checks the parameter limit of an IR it cannot trust.
    Raises ArgError or ShapeError when the arguments do not bind or do not fit the shapes."""
    entry, sig = registry.get(type_name), signatures.layer_signature(type_name)
    if entry is None or sig is None:
        raise ArgError("type", f"`{type_name}` is not a Keras layer class in graphspec's catalogue")
    full, problems = signatures.bind(sig, [], list(config.items()), kind="layer")
    if problems:
        raise problems[0]
    for pname in entry.layer_params:  # a wrapped layer's rule reads its bound config
        inner = full.get(pname)
        if isinstance(inner, CallValue) and not isinstance(inner.config, dict):
            canonical = signatures.canonical_layer_name(inner.callee)
            sig = signatures.layer_signature(canonical) if canonical else None
            if sig is None or registry.get(canonical) is None:
                raise ArgError(pname, f"`{inner.callee}` is not a layer graphspec can check")
            inner_full, problems = signatures.bind(sig, list(inner.args), list(inner.kwargs), kind="layer")
            if problems:
                raise problems[0]
            full[pname] = replace(inner, callee=canonical, config=inner_full)
    return sum(entry.params(full, [tuple(s) for s in shapes]))
