"""Value checks for layer arguments, by parameter name: no Keras import.

One table (`RULES`) maps a parameter name to the check its value must pass in
every layer that has a parameter of that name (`units`, `rate`, `kernel_size`,
`padding`, ...); suffix rules cover families (`*_initializer`, `*_regularizer`,
`*_constraint`), any parameter whose Keras default is a bool must receive a bool,
and `LAYER_RULES` overrides a name for one layer (`padding="causal"` is allowed
for Conv1D only; ZeroPadding's `padding` is an amount, not a mode).

`check_config(layer_name, config)` runs the checks over a bound config (see
`signatures.bind`) and returns `ArgError`s: E302 for a value of the wrong type,
E305 for a value out of range or not among the allowed ones. A value equal to
the Keras default is never reported. Messages follow Keras's style: what was
received, what is expected, and a `help` with the fix where one is known.

Arguments that are themselves non-layer calls (`kernel_regularizer=L2(1e-4)`,
`kernel_initializer=GlorotUniform(seed=1)`) are bound against their Keras
signature here, so their unknown / missing / surplus arguments are reported
(E301/E303/E304) under the outer parameter's name. Nested *layer* calls
(`Bidirectional(LSTM(16))`) carry their own config and are checked by whoever
bound them.
"""

from __future__ import annotations

import math
import re

from graphspec.catalog import registry as _registry
from graphspec.catalog import signatures as _sigs
from graphspec.catalog.base import UNSAFE_CLASSES, ArgError, CallValue
from graphspec.diagnostics import codes
from graphspec.record import FrozenRecord
from graphspec.suggest import closest, did_you_mean

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, Optional, Tuple

WRONG_TYPE = codes.E302
OUT_OF_RANGE = codes.E305

NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_.-]*\Z"  # compiled (and cached) by `re` on first use
DATA_FORMATS = ("channels_last", "channels_first")
MERGE_MODES = ("sum", "mul", "concat", "ave")


# --------------------------------------------------------------------------- rendering


def show(value: Any) -> str:
    """A value as a spec author would write it: `(3, 3)`, `"relu"`, `L2(0.0001)`."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        inner = ", ".join(show(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, CallValue):
        parts = [show(a) for a in value.args] + [f"{k}={show(v)}" for k, v in value.kwargs]
        return f"{value.callee}({', '.join(parts)})"
    return repr(value)


def type_phrase(value: Any) -> str:
    """`an integer`, `a float`, `a tuple`, `a call to L2`..."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, tuple):
        return "a tuple"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a dict"
    if isinstance(value, CallValue):
        return f"a call to `{value.callee}`"
    return f"a {type(value).__name__}"


# --------------------------------------------------------------------------- rule plumbing


class Ctx(FrozenRecord):
    """What a rule knows besides the value."""

    __slots__ = _fields = ("layer", "param", "default", "has_default")
    _defaults = {"default": None, "has_default": False}

    layer: str  # canonical layer name (or the name given, for unknown layers)
    param: str
    default: Any
    has_default: bool

    @property
    def rank(self) -> Optional[int]:
        """Spatial rank from the layer name: Conv2D -> 2, MaxPooling1D -> 1."""
        m = re.search(r"([123])D(?:Transpose)?$", self.layer)
        return int(m.group(1)) if m else None


if TYPE_CHECKING:
    Rule = Callable[[Ctx, Any], Optional[Iterable[ArgError]]]


def _err(code: str, ctx: Ctx, value: Any, expected: str, help: Optional[str] = None) -> ArgError:
    message = (
        f"invalid value for argument `{ctx.param}` of `{ctx.layer}`: expected {expected}; "
        f"received {ctx.param}={show(value)}"
    )
    if code == WRONG_TYPE and not isinstance(value, (CallValue, type(None))):
        message += f" ({type_phrase(value)})"
    return ArgError(ctx.param, message, help=help, code=code)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _int_help(ctx: Ctx, value: Any) -> Optional[str]:
    """Help for a float where an int is expected (`filters / 2`)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return (
            f"write `{ctx.param}={int(value)}`; if the value comes from arithmetic, "
            "use `//` for integer division"
        )
    if isinstance(value, float):
        return f"`{ctx.param}` must be a whole number"
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return f"write `{ctx.param}={value.strip()}` without quotes"
    return None


def _sequence(value: Any) -> Optional[tuple]:
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return None


# --------------------------------------------------------------------------- rules


_EXAMPLE_SIZES = {"units": 64, "filters": 32, "output_dim": 64, "input_dim": 10000, "key_dim": 64,
                  "value_dim": 64, "head_dim": 64, "groups": 1, "depth_multiplier": 1}


def positive_int(ctx: Ctx, value: Any):
    if _is_int(value):
        if value <= 0:
            return [
                _err(
                    OUT_OF_RANGE,
                    ctx,
                    value,
                    "a positive integer",
                    f"write a whole number of at least 1, e.g. `{ctx.param}={_EXAMPLE_SIZES.get(ctx.param, 2)}`",
                )
            ]
        return None
    help_ = _int_help(ctx, value) or f"write a whole number such as `{ctx.param}=64`"
    return [_err(WRONG_TYPE, ctx, value, "a positive integer", help_)]


def fraction(ctx: Ctx, value: Any):
    """A float or int in [0, 1): dropout rates."""
    if not _is_number(value):
        help_ = None
        if isinstance(value, str):
            try:
                help_ = f"write `{ctx.param}={float(value)!r}` without quotes"
            except ValueError:
                pass
        return [_err(WRONG_TYPE, ctx, value, "a float in [0, 1)", help_)]
    if not (0 <= value < 1):
        help_ = f"`{ctx.param}` is the fraction of the units to drop: write e.g. `{ctx.param}=0.5`"
        if 2 <= value < 100:
            help_ = f"`{ctx.param}` is a fraction, not a percentage: did you mean `{value / 100:g}`?"
        return [_err(OUT_OF_RANGE, ctx, value, "a float in [0, 1)", help_)]
    return None


def non_negative_number(ctx: Ctx, value: Any):
    if not _is_number(value):
        return [_err(WRONG_TYPE, ctx, value, "a number >= 0")]
    if value < 0 or (isinstance(value, float) and math.isnan(value)):
        return [
            _err(
                OUT_OF_RANGE,
                ctx,
                value,
                "a number >= 0",
                f"`{ctx.param}` must be >= 0; received {show(value)}",
            )
        ]
    return None


def number(ctx: Ctx, value: Any):
    if not _is_number(value):
        help_ = None
        if isinstance(value, str):
            try:
                help_ = f"write `{ctx.param}={float(value)!r}` without quotes"
            except ValueError:
                pass
        return [_err(WRONG_TYPE, ctx, value, "a number", help_)]
    return None


def int_or_tuple(ctx: Ctx, value: Any, allow_zero: bool = False):
    """An int, or a tuple with one int per spatial axis (`kernel_size=3`, `(3, 3)`)."""
    rank = ctx.rank
    bound = "non-negative" if allow_zero else "positive"
    if rank:
        expected = f"a {bound} integer or a tuple of {rank} {bound} integers"
    else:
        expected = f"a {bound} integer or a tuple of {bound} integers"

    def bad(v):
        return v < 0 if allow_zero else v <= 0

    if _is_int(value):
        if bad(value):
            return [
                _err(
                    OUT_OF_RANGE,
                    ctx,
                    value,
                    expected,
                    f"`{ctx.param}` must be {'>= 0' if allow_zero else 'at least 1'}; "
                    f"received {show(value)}",
                )
            ]
        return None
    items = _sequence(value)
    if items is None:
        return [_err(WRONG_TYPE, ctx, value, expected, _int_help(ctx, value))]
    if not all(_is_int(v) for v in items):
        wrong = next(v for v in items if not _is_int(v))
        help_ = f"every element must be an integer; {show(wrong)} is {type_phrase(wrong)}"
        return [_err(WRONG_TYPE, ctx, value, expected, help_)]
    if rank and len(items) != rank:
        if len(items) > rank or not items:
            example = show(tuple(items[:rank]) if len(items) >= rank else (3,) * rank)
        else:
            example = show(tuple(items) + (items[-1],) * (rank - len(items)))
        help_ = (
            f"`{ctx.layer}` works on {rank} spatial "
            f"{'axis' if rank == 1 else 'axes'}: write one integer for all of them "
            f"or {rank} values, e.g. `{ctx.param}={example}`"
        )
        return [_err(OUT_OF_RANGE, ctx, value, expected, help_)]
    if not items:
        return [_err(OUT_OF_RANGE, ctx, value, expected)]
    offending = [v for v in items if bad(v)]
    if offending:
        return [
            _err(
                OUT_OF_RANGE,
                ctx,
                value,
                expected,
                f"{', '.join(show(v) for v in offending)} "
                f"{'does' if len(offending) == 1 else 'do'} not satisfy "
                f"`value {'>= 0' if allow_zero else '> 0'}`",
            )
        ]
    return None


def _choice(ctx: Ctx, value: Any, allowed: Iterable[str], what: str, fold_case: bool = True):
    allowed = list(allowed)
    listing = ", ".join(show(a) for a in allowed)
    if not isinstance(value, str):
        return [_err(WRONG_TYPE, ctx, value, f"{what}: one of {listing}")]
    key = value.lower() if fold_case else value
    if key in allowed:
        return None
    return [
        _err(
            OUT_OF_RANGE,
            ctx,
            value,
            f"one of {listing}",
            did_you_mean(value, allowed) or f"use one of {listing}",
        )
    ]


def padding_mode(ctx: Ctx, value: Any, causal: bool = False):
    allowed = ["valid", "same"] + (["causal"] if causal else [])
    problems = _choice(ctx, value, allowed, "a padding mode")
    if problems and isinstance(value, str) and value.lower() == "causal":
        problems[0].help = (
            '`padding="causal"` is only supported by 1D convolutions (Conv1D); '
            'use "valid" or "same", or pad explicitly with a ZeroPadding layer'
        )
    return problems


def causal_padding_mode(ctx: Ctx, value: Any):
    return padding_mode(ctx, value, causal=True)


def padding_amount(ctx: Ctx, value: Any):
    """ZeroPadding's `padding`: an int, a tuple of ints, or a tuple of (before, after) pairs."""
    rank = ctx.rank
    expected = "an integer >= 0, a tuple of integers, or a tuple of (before, after) pairs"
    if _is_int(value):
        return int_or_tuple(ctx, value, allow_zero=True)
    items = _sequence(value)
    if items is None:
        return [_err(WRONG_TYPE, ctx, value, expected)]
    if rank == 1:  # one axis: an int, or its (before, after) pair
        if len(items) != 2 or not all(_is_int(v) for v in items):
            return [_err(WRONG_TYPE if not all(_is_int(v) for v in items) else OUT_OF_RANGE, ctx, value,
                         "an integer >= 0 or a (before, after) pair of integers",
                         f"`{ctx.layer}` works on one axis: write e.g. `{ctx.param}=1` or `{ctx.param}=(1, 2)`")]
        items = (items,)
    if rank and len(items) != rank:
        return [
            _err(
                OUT_OF_RANGE,
                ctx,
                value,
                expected,
                f"`{ctx.layer}` {'crops' if ctx.layer.startswith('Cropping') else 'pads'} {rank} spatial "
                f"{'axis' if rank == 1 else 'axes'}; "
                f"give {rank} entries",
            )
        ]
    flat = []
    for item in items:
        pair = _sequence(item)
        if pair is not None:
            if len(pair) != 2:
                return [
                    _err(
                        OUT_OF_RANGE,
                        ctx,
                        value,
                        expected,
                        f"each pair must be (before, after); received {show(item)}",
                    )
                ]
            flat.extend(pair)
        else:
            flat.append(item)
    if not all(_is_int(v) for v in flat):
        return [_err(WRONG_TYPE, ctx, value, expected, "every amount must be an integer")]
    if any(v < 0 for v in flat):
        return [_err(OUT_OF_RANGE, ctx, value, expected, "padding amounts must be >= 0")]
    return None


def boolean(ctx: Ctx, value: Any):
    if isinstance(value, bool):
        return None
    help_ = "write `True` or `False`"
    if isinstance(value, str) and value.lower() in ("true", "false"):
        help_ = f"write `{ctx.param}={value.capitalize()}` without quotes"
    elif value in (0, 1) and _is_number(value):
        help_ = f"write `{ctx.param}={bool(value)}`"
    return [_err(WRONG_TYPE, ctx, value, "a boolean (True or False)", help_)]


def axis(ctx: Ctx, value: Any, allow_none: bool = False):
    if _is_int(value) or (allow_none and value is None):
        return None
    items = _sequence(value)
    if items is not None and items and all(_is_int(v) for v in items):
        return None
    expected = "an integer or a tuple of integers" + (" or None" if allow_none else "")
    return [_err(WRONG_TYPE, ctx, value, expected, _int_help(ctx, value))]


def axis_or_none(ctx: Ctx, value: Any):
    return axis(ctx, value, allow_none=True)


def activation(ctx: Ctx, value: Any):
    if value is None:
        return None
    known = _sigs.string_names("activations")
    if isinstance(value, str):
        if value in known:
            return None
        help_ = did_you_mean(value, known)
        if help_ is None and _sigs.canonical_layer_name(value):
            help_ = (
                f"`{value}` is a layer; write it as a call, `{ctx.param}={value}()`, "
                f"or use an activation name such as \"relu\""
            )
        return [
            _err(
                OUT_OF_RANGE,
                ctx,
                value,
                "the name of a Keras activation",
                help_ or "known activations: " + ", ".join(f'"{k}"' for k in known),
            )
        ]
    if isinstance(value, CallValue):
        return None  # an activation layer (`LeakyReLU(0.1)`): checked by `call_problems`
    return [
        _err(
            WRONG_TYPE,
            ctx,
            value,
            'an activation name such as "relu", a layer call such as `LeakyReLU(0.1)`, or None',
        )
    ]


_KIND_SINGULAR = {
    "initializers": "initializer",
    "regularizers": "regularizer",
    "constraints": "constraint",
    "layers": "layer",
    "optimizers": "optimizer",
    "losses": "loss",
    "metrics": "metric",
    "callbacks": "callback",
    "learning_rate_schedules": "learning-rate schedule",
}


def _object_rule(kind: str, allow_none: bool, example_call: str, example_string: str) -> Rule:
    singular = _KIND_SINGULAR[kind]
    article = "an" if singular[0] in "aeiou" else "a"

    def rule(ctx: Ctx, value: Any):
        expected = f'{article} {singular} name such as "{example_string}" or a call such as `{example_call}`'
        if allow_none:
            expected += ", or None"
        if value is None:
            if allow_none:
                return None
            return [_err(WRONG_TYPE, ctx, value, expected, f'use e.g. "{example_string}"')]
        if isinstance(value, str):
            known = _sigs.string_names(kind)
            if value in known:
                return None
            help_ = did_you_mean(value, known)
            if help_ is None and _sigs.object_signature(kind, value):
                help_ = f"`{value}` cannot be given as a string; write `{value}()`"
            if help_ is None:
                help_ = "known names: " + ", ".join(f'"{k}"' for k in known)
            return [_err(OUT_OF_RANGE, ctx, value, expected, help_)]
        if isinstance(value, CallValue):
            return None  # its kind and its own arguments are checked by `call_problems`
        help_ = None
        if kind == "initializers" and _is_number(value):
            help_ = f"write `{ctx.param}=Constant({show(value)})`"
        return [_err(WRONG_TYPE, ctx, value, expected, help_)]

    rule.__name__ = f"{singular}_value"
    return rule


initializer = _object_rule("initializers", False, "GlorotUniform(seed=1)", "glorot_uniform")
regularizer = _object_rule("regularizers", True, "L2(1e-4)", "l2")
constraint = _object_rule("constraints", True, "MaxNorm(3)", "max_norm")


def data_format(ctx: Ctx, value: Any):
    if value is None:
        return None
    return _choice(ctx, value, DATA_FORMATS, "a data format")


def dtype(ctx: Ctx, value: Any):
    if value is None:
        return None
    allowed = _sigs.layer_dtype_names()
    if not isinstance(value, str):
        return [_err(WRONG_TYPE, ctx, value, "a dtype name such as \"float32\", or None")]
    if value in allowed:
        return None
    return [
        _err(
            OUT_OF_RANGE,
            ctx,
            value,
            "a Keras dtype name",
            did_you_mean(value, allowed) or "use one of " + ", ".join(f'"{a}"' for a in allowed),
        )
    ]


def layer_name(ctx: Ctx, value: Any):
    if value is None:
        return None
    expected = "a name matching [A-Za-z_][A-Za-z0-9_.-]* (no \"/\")"
    if not isinstance(value, str):
        return [_err(WRONG_TYPE, ctx, value, expected)]
    if re.match(NAME_PATTERN, value):
        return None
    fixed = re.sub(r"[^A-Za-z0-9_.-]", "_", value)
    if not fixed or not re.match(r"[A-Za-z_]", fixed):
        fixed = "_" + fixed
    reason = (
        '"/" separates name scopes in Keras and is not allowed in a layer name'
        if "/" in value
        else "layer names use letters, digits, `_`, `.` and `-`, and start with a letter or `_`"
    )
    return [_err(OUT_OF_RANGE, ctx, value, expected, f'{reason}; e.g. name="{fixed}"')]


def merge_mode(ctx: Ctx, value: Any):
    if value is None:
        return None
    return _choice(ctx, value, MERGE_MODES, "a merge mode", fold_case=False)


def target_shape(ctx: Ctx, value: Any):
    """Reshape's target: a tuple of positive ints, at most one -1."""
    expected = "a tuple of positive integers (one entry may be -1)"
    items = _sequence(value)
    if items is None:
        help_ = f"write a tuple, e.g. `{ctx.param}=({show(value)},)`" if _is_int(value) else None
        return [_err(WRONG_TYPE, ctx, value, expected, help_)]
    if not all(_is_int(v) for v in items):
        if any(v is None for v in items):
            return [
                _err(
                    WRONG_TYPE,
                    ctx,
                    value,
                    expected,
                    "use -1 (not None) for the one dimension Keras should infer",
                )
            ]
        return [_err(WRONG_TYPE, ctx, value, expected, "every entry must be an integer")]
    if sum(1 for v in items if v == -1) > 1:
        return [_err(OUT_OF_RANGE, ctx, value, expected, "only one dimension may be -1")]
    if any(v == 0 or v < -1 for v in items):
        return [
            _err(
                OUT_OF_RANGE,
                ctx,
                value,
                expected,
                "dimensions must be positive (or -1 for the one inferred dimension)",
            )
        ]
    return None


def positive_int_or_none(ctx: Ctx, value: Any):
    """`lora_rank`, `frame_step`: a positive integer, or None for Keras's default."""
    return None if value is None else positive_int(ctx, value)


def number_or_none(ctx: Ctx, value: Any):
    return None if value is None else number(ctx, value)


def string(ctx: Ctx, value: Any):
    """A string whose allowed values the layer's own validation knows (`output_mode`)."""
    if isinstance(value, str):
        return None
    return [_err(WRONG_TYPE, ctx, value, "a string", f'write it in quotes, e.g. `{ctx.param}="int"`')]


def single_axis(ctx: Ctx, value: Any):
    """An axis that is one integer (BatchNormalization, Concatenate): a tuple is not accepted."""
    if _is_int(value):
        return None
    help_ = _int_help(ctx, value) or f"give one axis, e.g. `{ctx.param}=-1`"
    return [_err(WRONG_TYPE, ctx, value, "one integer axis", help_)]


def axes_tuple(ctx: Ctx, value: Any):
    """Permute's `dims`: a tuple of axis indices, each at least 1 (the batch axis stays put)."""
    expected = "a tuple of integers >= 1 (axis indices without the batch axis)"
    items = _sequence(value)
    if items is None or not items or not all(_is_int(v) for v in items):
        help_ = f"write e.g. `{ctx.param}=(2, 1)`"
        if _is_int(value):
            help_ = f"write a tuple: `{ctx.param}=({value},)`"
        return [_err(WRONG_TYPE, ctx, value, expected, help_)]
    if any(v < 1 for v in items):
        return [_err(OUT_OF_RANGE, ctx, value, expected, "axis 0 is the batch axis and cannot be permuted")]
    return None


def output_padding(ctx: Ctx, value: Any):
    """Conv*Transpose's `output_padding`: None, or an int / one int per spatial axis, each >= 0."""
    return None if value is None else int_or_tuple(ctx, value, allow_zero=True)


def output_shape_or_none(ctx: Ctx, value: Any):
    """MultiHeadAttention's `output_shape`: None, a positive integer, or a tuple of them."""
    return None if value is None else int_or_tuple(ctx, value)


def vocabulary(ctx: Ctx, value: Any):
    """A lookup's `vocabulary`: None or a flat list of tokens. A string would be a file path, which
    Keras reads when the layer is built (and its safe_mode refuses): a spec never reads files."""
    if value is None:
        return None
    expected = "a list of tokens (strings or integers), or None"
    if isinstance(value, str):
        return [_err(OUT_OF_RANGE, ctx, value, expected,
                     "a string vocabulary is a file path that Keras would read; a spec never reads files: "
                     "write the tokens as a list, e.g. `vocabulary=[\"a\", \"b\"]`, or leave it out and adapt() "
                     "the layer")]
    items = _sequence(value)
    if items is None:
        return [_err(WRONG_TYPE, ctx, value, expected)]
    wrong = next((v for v in items if not (isinstance(v, str) or _is_int(v))), _MISSING)
    if wrong is not _MISSING:
        return [_err(WRONG_TYPE, ctx, value, expected,
                     f"every token must be a string or an integer; {show(wrong)} is {type_phrase(wrong)}")]
    return None


_MISSING = object()


# --------------------------------------------------------------------------- one layer's constructor checks
# What a Keras constructor itself refuses (its `raise ValueError` on an argument), as rules of the
# (layer, parameter) table below.


def one_of(*allowed: Any, allow_none: bool = False) -> Rule:
    """A string among `allowed` (exactly, as Keras compares), or None when `allow_none`."""
    def rule(ctx: Ctx, value: Any):
        if value is None and allow_none:
            return None
        problems = _choice(ctx, value, allowed, "a mode", fold_case=False)
        if problems and len(allowed) == 1:
            problems[0].help = f"Keras supports only `{ctx.param}={show(allowed[0])}`: write that, or leave it out"
        return problems

    rule.__name__ = "one_of_" + "_".join(map(str, allowed))
    return rule


def number_in(lo: float, hi: float, pair: bool = False) -> Rule:
    """A number in [lo, hi]; with `pair`, or a list/tuple of two such numbers (a factor range)."""
    expected = f"a number in [{lo:g}, {hi:g}]" + (" or a pair (lower, upper) of them" if pair else "")

    def rule(ctx: Ctx, value: Any):
        items = _sequence(value) if pair else None
        if items is not None:
            if len(items) != 2 or not all(_is_number(v) for v in items):
                return [_err(OUT_OF_RANGE if all(_is_number(v) for v in items) else WRONG_TYPE, ctx, value, expected,
                             f"give one number or two, e.g. `{ctx.param}=({lo:g}, {hi:g})`")]
            bad = [v for v in items if not lo <= v <= hi]
        elif _is_number(value):
            bad = [value] if not lo <= value <= hi else []
        else:
            return [_err(WRONG_TYPE, ctx, value, expected, f"write a number such as `{ctx.param}={hi / 2:g}`")]
        if bad:
            return [_err(OUT_OF_RANGE, ctx, value, expected,
                         f"{show(bad[0])} is outside [{lo:g}, {hi:g}]; Keras refuses it when the layer is made")]
        return None

    rule.__name__ = f"number_in_{lo:g}_{hi:g}"
    return rule


def non_negative_or_none(ctx: Ctx, value: Any):
    """ReLU's `max_value`: None (no cap) or a number >= 0."""
    return None if value is None else non_negative_number(ctx, value)


def noise_shape(ctx: Ctx, value: Any):
    """Dropout's `noise_shape`: None, or a tuple/list with a positive integer or None per axis."""
    if value is None:
        return None
    expected = "None or a tuple of positive integers or None, one per input axis"
    items = _sequence(value)
    if items is None:
        return [_err(WRONG_TYPE, ctx, value, expected, f"write e.g. `{ctx.param}=(None, 1, 64)`")]
    wrong = next((v for v in items if v is not None and not _is_int(v)), _MISSING)
    if wrong is not _MISSING:
        return [_err(WRONG_TYPE, ctx, value, expected,
                     f"every entry must be an integer or None; {show(wrong)} is {type_phrase(wrong)}")]
    if any(v is not None and v <= 0 for v in items):
        return [_err(OUT_OF_RANGE, ctx, value, expected,
                     "every entry must be a positive integer, or None for the input's own size")]
    return None


def hash_salt(ctx: Ctx, value: Any):
    """Hashing's `salt`: None, one integer, or a pair of integers."""
    if value is None or _is_int(value):
        return None
    items = _sequence(value)
    expected = "None, an integer, or a pair of two integers"
    if items is not None and len(items) == 2 and all(_is_int(v) for v in items):
        return None
    code = OUT_OF_RANGE if items is not None and all(_is_int(v) for v in items) else WRONG_TYPE
    return [_err(code, ctx, value, expected, f"write e.g. `{ctx.param}=133` or `{ctx.param}=(133, 137)`")]


def ngrams(ctx: Ctx, value: Any):
    """TextVectorization's `ngrams`: None, an integer, or a tuple of integers."""
    if value is None or _is_int(value):
        return None
    if isinstance(value, tuple) and all(_is_int(v) for v in value):
        return None
    help_ = f"write `{ctx.param}=2` (unigrams and bigrams) or a tuple such as `{ctx.param}=(1, 3)`"
    if isinstance(value, list) and all(_is_int(v) for v in value):
        help_ = f"write a tuple, `{ctx.param}={show(tuple(value))}`: Keras takes no list here"
    return [_err(WRONG_TYPE, ctx, value, "None, an integer, or a tuple of integers", help_)]


def number_pair(ctx: Ctx, value: Any):
    """RandomBrightness's `value_range`: a list or tuple of two numbers."""
    items = _sequence(value)
    if items is not None and len(items) == 2 and all(_is_number(v) for v in items):
        return None
    code = OUT_OF_RANGE if items is not None and all(_is_number(v) for v in items) else WRONG_TYPE
    return [_err(code, ctx, value, "a pair of two numbers", f"write e.g. `{ctx.param}=(0, 255)`")]


RENORM_KEYS = ("rmax", "rmin", "dmax")


def renorm_clipping(ctx: Ctx, value: Any):
    """BatchNormalization's `renorm_clipping`: None or a dict of `rmax`, `rmin`, `dmax` numbers."""
    if value is None:
        return None
    expected = 'None or a dict with keys among "rmax", "rmin", "dmax"'
    if not isinstance(value, dict):
        return [_err(WRONG_TYPE, ctx, value, expected, f'write e.g. `{ctx.param}={{"rmax": 3.0, "rmin": 0.3}}`')]
    unknown = [k for k in value if k not in RENORM_KEYS]
    if unknown:
        hint = did_you_mean(str(unknown[0]), RENORM_KEYS) if isinstance(unknown[0], str) else None
        return [_err(OUT_OF_RANGE, ctx, value, expected,
                     hint or f"{show(unknown[0])} is not a key Keras knows; use \"rmax\", \"rmin\" or \"dmax\"")]
    wrong = next((v for v in value.values() if v is not None and not _is_number(v)), _MISSING)
    if wrong is not _MISSING:
        return [_err(WRONG_TYPE, ctx, value, expected, f"each value is a number; {show(wrong)} is {type_phrase(wrong)}")]
    rmax, rmin, dmax = (value.get(k) for k in RENORM_KEYS)
    if rmax is not None and rmin is not None and rmax < rmin:
        return [_err(OUT_OF_RANGE, ctx, value, expected, f"rmax ({show(rmax)}) must be at least rmin ({show(rmin)})")]
    if dmax is not None and dmax < 0:
        return [_err(OUT_OF_RANGE, ctx, value, expected, f"dmax must be >= 0; received {show(dmax)}")]
    return None


# --------------------------------------------------------------------------- the table

# Parameter name -> rule, shared by every layer with a parameter of that name.
RULES: dict = {
    # sizes
    "units": positive_int,
    "filters": positive_int,
    "output_dim": positive_int,
    "input_dim": positive_int,
    "num_heads": positive_int,
    "key_dim": positive_int,
    "value_dim": positive_int,
    "head_dim": positive_int,
    "num_query_heads": positive_int,
    "num_key_value_heads": positive_int,
    "n": positive_int,
    "depth_multiplier": positive_int,
    "groups": positive_int,
    # fractions
    "rate": fraction,
    "dropout": fraction,
    "recurrent_dropout": fraction,
    # windows
    "kernel_size": int_or_tuple,
    "strides": int_or_tuple,
    "pool_size": int_or_tuple,
    "dilation_rate": int_or_tuple,
    "size": int_or_tuple,
    "output_size": int_or_tuple,
    "padding": padding_mode,
    # functions and objects
    "activation": activation,
    "recurrent_activation": activation,
    # flags
    "use_bias": boolean,
    "return_sequences": boolean,
    "return_state": boolean,
    "go_backwards": boolean,
    "stateful": boolean,
    "unroll": boolean,
    "trainable": boolean,
    "center": boolean,
    "scale": boolean,
    # axes and numbers
    "axis": axis,
    "momentum": number,
    "epsilon": number,
    "negative_slope": non_negative_number,
    "stddev": non_negative_number,
    # formats, dtypes, names
    "data_format": data_format,
    "dtype": dtype,
    "name": layer_name,
    "merge_mode": merge_mode,
    "target_shape": target_shape,
    # low-rank adaptation, modes, vocabularies, padding of transposed convolutions
    "lora_rank": positive_int_or_none,
    "lora_alpha": number_or_none,
    "output_mode": string,
    "vocabulary": vocabulary,
    "output_padding": output_padding,
    "shared_axes": axis_or_none,
}

# Names whose rule applies only when Keras's default for that layer has the same
# type: `scale` is a flag in BatchNormalization but a factor in Rescaling.
ONLY_WHEN_DEFAULT_IS_BOOL = {"center", "scale"}

# Suffix -> rule, for parameter names not in RULES.
SUFFIX_RULES = (
    ("_initializer", initializer),
    ("_regularizer", regularizer),
    ("_constraint", constraint),
)

# (canonical layer, parameter) -> rule, overriding RULES for one layer.
LAYER_RULES: dict = {
    ("Conv1D", "padding"): causal_padding_mode,
    ("ZeroPadding1D", "padding"): padding_amount,
    ("ZeroPadding2D", "padding"): padding_amount,
    ("ZeroPadding3D", "padding"): padding_amount,
    ("Normalization", "axis"): axis_or_none,
    ("BatchNormalization", "axis"): single_axis,
    ("GroupNormalization", "axis"): single_axis,
    ("Concatenate", "axis"): single_axis,
    ("Permute", "dims"): axes_tuple,
    ("MultiHeadAttention", "output_shape"): output_shape_or_none,
    ("STFTSpectrogram", "frame_step"): positive_int_or_none,
    ("STFTSpectrogram", "fft_length"): positive_int_or_none,
    ("Cropping1D", "cropping"): padding_amount,
    ("Cropping2D", "cropping"): padding_amount,
    ("Cropping3D", "cropping"): padding_amount,
    # what the constructors themselves refuse
    ("ReLU", "max_value"): non_negative_or_none,
    ("ReLU", "negative_slope"): non_negative_number,
    ("ReLU", "threshold"): non_negative_number,
    ("Dropout", "noise_shape"): noise_shape,
    ("Hashing", "salt"): hash_salt,
    ("IntegerLookup", "vocabulary_dtype"): one_of("int64"),
    ("IntegerLookup", "oov_method"): one_of("floormod", "farmhash"),
    ("StringLookup", "oov_method"): one_of("floormod", "farmhash"),
    ("TextVectorization", "ngrams"): ngrams,
    ("MultiHeadAttention", "sliding_window"): positive_int_or_none,
    ("GroupQueryAttention", "sliding_window"): positive_int_or_none,
    ("STFTSpectrogram", "scaling"): one_of("density", "spectrum", allow_none=True),
    ("STFTSpectrogram", "mode"): one_of("log", "magnitude", "psd", "real", "imag", "angle", "stft"),
    ("SpectralNormalization", "power_iterations"): positive_int,
    ("BatchNormalization", "renorm_clipping"): renorm_clipping,
    ("Attention", "score_mode"): one_of("dot", "concat"),
    ("RandomTranslation", "height_factor"): number_in(-1, 1, pair=True),
    ("RandomTranslation", "width_factor"): number_in(-1, 1, pair=True),
    ("RandomBrightness", "factor"): number_in(-1, 1, pair=True),
    ("RandomBrightness", "value_range"): number_pair,
    ("RandomGrayscale", "factor"): number_in(0, 1),
    # sizes of the preprocessing layers (names too generic for RULES)
    **{(layer, param): positive_int for layer, param in (
        ("Resizing", "height"), ("Resizing", "width"), ("CenterCrop", "height"), ("CenterCrop", "width"),
        ("RandomCrop", "height"), ("RandomCrop", "width"), ("Hashing", "num_bins"), ("HashedCrossing", "num_bins"),
        ("CategoryEncoding", "num_tokens"), ("MelSpectrogram", "fft_length"), ("MelSpectrogram", "sequence_stride"),
        ("MelSpectrogram", "num_mel_bins"), ("STFTSpectrogram", "frame_length"),
    )},
}


# --------------------------------------------------------------------------- calls as values

ANY_LAYER = "*"  # an owner in CALL_KINDS: every layer
COMPILE = "compile"  # owners of the settings of `compile { ... }` and `fit { ... }`
FIT = "fit"

# Which kind of object a call written as an argument value may make: (owner, parameter) -> kind.
# The owner is a layer class, ANY_LAYER, an object kind (an argument of a call such as `Adam(...)`)
# or COMPILE / FIT (a setting); a parameter written "*_initializer" is a suffix family. A parameter
# in no row takes no call at all, so that no argument reaches a Keras class outside its kind
# (`Dense(4, lora_alpha=TFSMLayer(...))`). The Keras builder resolves classes through this table too.
CALL_KINDS: Dict[Tuple[str, str], str] = {
    (ANY_LAYER, "*_initializer"): "initializers",
    (ANY_LAYER, "*_regularizer"): "regularizers",
    (ANY_LAYER, "*_constraint"): "constraints",
    (ANY_LAYER, "activation"): "activation_layers",
    (ANY_LAYER, "recurrent_activation"): "activation_layers",
    ("Bidirectional", "layer"): "recurrent_layers",
    ("Bidirectional", "backward_layer"): "recurrent_layers",
    ("TimeDistributed", "layer"): "layers",
    ("SpectralNormalization", "layer"): "layers",
    ("Pipeline", "layers"): "layers",
    ("optimizers", "learning_rate"): "learning_rate_schedules",
    (COMPILE, "optimizer"): "optimizers",
    (COMPILE, "loss"): "losses",
    (COMPILE, "metrics"): "metrics",
    (COMPILE, "weighted_metrics"): "metrics",
    (FIT, "callbacks"): "callbacks",
}
_SUFFIX_ROWS = tuple((owner, param[1:], kind) for (owner, param), kind in CALL_KINDS.items() if param[:1] == "*")
_NOT_LAYERS = frozenset(_sigs.OBJECT_KINDS) | {COMPILE, FIT}

# Layer calls Keras accepts as an activation: stateless activation layers (PReLU has weights
# that the layer it is given to would not build), and the recurrent layers Bidirectional wraps.
ACTIVATION_LAYERS = ("Activation", "ELU", "LeakyReLU", "ReLU", "Softmax")
RECURRENT_LAYERS = ("LSTM", "GRU", "SimpleRNN")


class CallKind(FrozenRecord):
    """One kind of object a call may make: how messages name it, and which classes it holds."""

    __slots__ = _fields = ("what", "example", "classes", "signature", "builder_kind", "layer")
    _defaults = {"layer": False}

    what: str  # "an initializer"
    example: str  # a call of this kind, for messages
    classes: Callable[[], list]  # the names (canonical and aliases) a spec may call
    signature: Callable[[str], Optional[_sigs.Signature]]  # a name's signature, None outside the kind
    builder_kind: str  # where the Keras builder looks the class up (graphspec.backends.kinds.MODULES)
    layer: bool  # a layer call: its arguments are checked as that layer's (default False)


def _objects(what: str, example: str, kind: str, builder_kind: str) -> CallKind:
    return CallKind(what, example, lambda: _sigs.class_names(kind),
                    lambda name: _sigs.object_signature(kind, name), builder_kind)


def _catalogue_layer(name: str, only: Optional[tuple]) -> Optional[str]:
    canonical = _sigs.canonical_layer_name(name)
    if canonical is None or canonical in UNSAFE_CLASSES or _registry.get(canonical) is None:
        return None
    return canonical if only is None or canonical in only else None


def _layers(what: str, example: str, only: Optional[tuple] = None) -> CallKind:
    def classes():
        return [n for n in _sigs.layer_names() if _catalogue_layer(n, only)]

    def signature(name):
        canonical = _catalogue_layer(name, only)
        return _sigs.layer_signature(canonical) if canonical else None

    return CallKind(what, example, classes, signature, "layer", layer=True)


KINDS: Dict[str, CallKind] = {
    "initializers": _objects("an initializer", "GlorotUniform(seed=1)", "initializers", "initializer"),
    "regularizers": _objects("a regularizer", "L2(1e-4)", "regularizers", "regularizer"),
    "constraints": _objects("a constraint", "MaxNorm(3)", "constraints", "constraint"),
    "optimizers": _objects("an optimizer", "Adam(learning_rate=1e-3)", "optimizers", "optimizer"),
    "losses": _objects("a loss", "Huber(delta=1.0)", "losses", "loss"),
    "metrics": _objects("a metric", "AUC()", "metrics", "metric"),
    "callbacks": _objects("a callback", "EarlyStopping(patience=2)", "callbacks", "callback"),
    "learning_rate_schedules": _objects("a learning-rate schedule", "ExponentialDecay(1e-3, 1000, 0.9)",
                                        "learning_rate_schedules", "schedule"),
    "layers": _layers("a layer", "Dense(16)"),
    "recurrent_layers": _layers("a recurrent layer", "LSTM(16)", RECURRENT_LAYERS),
    "activation_layers": _layers("an activation layer", "LeakyReLU(0.1)", ACTIVATION_LAYERS),
}


def call_kind(owner: str, param: str) -> Optional[str]:
    """The kind of call (a key of KINDS) argument `param` of `owner` takes, or None: no call at all."""
    is_layer = owner not in _NOT_LAYERS
    kind = CALL_KINDS.get((owner, param)) or (CALL_KINDS.get((ANY_LAYER, param)) if is_layer else None)
    if kind is None:
        for row_owner, suffix, row_kind in _SUFFIX_ROWS:
            if param.endswith(suffix) and (row_owner == owner or (row_owner == ANY_LAYER and is_layer)):
                return row_kind
    return kind


def callee_signature(kind: str, name: str) -> Optional[_sigs.Signature]:
    """The signature of class `name` when it belongs to call kind `kind` (never an unsafe class)."""
    if name in UNSAFE_CLASSES or name.startswith("_"):
        return None
    return KINDS[kind].signature(name)


def _what_it_is(name: str) -> Optional[str]:
    """`L2` -> "a regularizer", `Dense` -> "a layer"; None for a name that is no Keras class."""
    for kind in _sigs.object_kinds_of(name):
        if kind == "layers":
            return "a layer"
        return KINDS[kind].what
    return None


def _has_call(value: Any) -> bool:
    if isinstance(value, CallValue):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_call(v) for v in value)
    if isinstance(value, dict):
        return any(_has_call(v) for v in value.values())
    return False


def call_problems(owner: str, param: str, value: Any, shown: Optional[str] = None) -> list:
    """ArgErrors for the calls inside argument `param` of `owner` (in lists, tuples and dicts too):
    a call of another kind than the parameter takes (CALL_KINDS), a class that runs code (E210), or
    a call whose own arguments do not bind to its signature or fail their checks. `shown` names the
    owner in messages (default: `owner`)."""
    if not _has_call(value):
        return []
    if isinstance(value, CallValue):
        return _call_problems(owner, param, value, shown or owner)
    items = value.values() if isinstance(value, dict) else value
    return [err for v in items for err in call_problems(owner, param, v, shown)]


def _where(owner: str, param: str, shown: str) -> str:
    if owner in (COMPILE, FIT):
        return f"`{param}` in `{owner}`"
    return f"argument `{param}` of `{shown}`"


def _call_problems(owner: str, param: str, call: CallValue, shown: str) -> list:
    where = _where(owner, param, shown)
    if call.callee in UNSAFE_CLASSES:
        return [ArgError(param, f"{where} may not be `{call.callee}`: a spec never runs code",
                         help=f"`{call.callee}` {UNSAFE_CLASSES[call.callee]}", code=codes.E210)]
    kind_name = call_kind(owner, param)
    if kind_name is None:
        what = _what_it_is(call.callee)
        return [ArgError(
            param,
            f"{where} takes no call; received {param}={show(call)}" + (f" ({what})" if what else ""),
            help=f"write a plain value (a number, string, tuple or list) for `{param}`; calls are only for "
                 "the arguments that take Keras objects (initializers, regularizers, constraints, "
                 "activation layers, wrapped layers)",
            code=WRONG_TYPE)]
    kind = KINDS[kind_name]
    sig = callee_signature(kind_name, call.callee)
    if sig is None:
        expected = f"{where} takes {kind.what} such as `{kind.example}`; received {param}={show(call)}"
        what = _what_it_is(call.callee)
        if what is not None:
            help_ = f"`{call.callee}` is {what}, not {kind.what}"
            suggestion = closest(call.callee, kind.classes())
            help_ += f"; did you mean `{suggestion}`?" if suggestion else f": write e.g. `{kind.example}`"
            # A layer where only some layers go (`Bidirectional(Dense(16))`) is a value outside the
            # allowed ones; an object of another kind altogether is a wrong type.
            code = OUT_OF_RANGE if kind.layer and what == "a layer" else WRONG_TYPE
            return [ArgError(param, expected, help=help_, code=code)]
        help_ = did_you_mean(call.callee, kind.classes()) or f"write e.g. `{param}={kind.example}`"
        return [ArgError(param, expected + f", and `{call.callee}` is not a Keras class", help=help_,
                         code=OUT_OF_RANGE)]
    if kind.layer and isinstance(call.config, dict):
        return []  # a wrapped layer bound and checked by whoever bound it (passes/layers.py)
    config, problems = _sigs.bind(sig, call.args, call.kwargs, kind=sig.kind, callee=call.callee)
    if not problems:
        if kind.layer:
            problems = check_config(sig.name, config)
        else:
            problems = [err for name, v in config.items() for err in call_problems(sig.kind, name, v, call.callee)]
    return [_nested(param, call, p) for p in problems]


def _nested(param: str, call: CallValue, p: ArgError) -> ArgError:
    """A problem inside `param=Callee(...)`, reported under the outer parameter."""
    err = ArgError(param, f"in `{param}={show(call)}`: {p.message}", help=p.help, code=p.code)
    err.source = None
    err.inner_param = p.param
    return err



def rule_for(
    layer: str,
    param: str,
    default: Any = None,
    has_default: bool = False,
    in_signature: bool = True,
):
    """The rule for one parameter of one layer, or None when nothing is known.

    `in_signature` is False when the layer's Keras signature is unknown (a custom
    layer); then the name alone decides.
    """
    rule = LAYER_RULES.get((layer, param))
    if rule is not None:
        return rule
    if param in ONLY_WHEN_DEFAULT_IS_BOOL:
        if not in_signature or (has_default and isinstance(default, bool)):
            return boolean
        return None
    rule = RULES.get(param)
    if rule is not None:
        return rule
    for suffix, rule in SUFFIX_RULES:
        if param.endswith(suffix):
            return rule
    if has_default and isinstance(default, bool):
        return boolean
    return None


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types, recursively (so `1` is not the default `True`)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001
        return False


def check_value(layer_name: str, param: str, value: Any) -> list:
    """Check one argument value of a layer; returns a list of ArgError."""
    sig = _sigs.layer_signature(layer_name)
    layer = sig.name if sig else layer_name
    p = sig.param(param) if sig else None
    if p is None and sig is not None:
        p = sig.forwarded_param(param)
    if p is None:
        p = _sigs.base_layer_param(param)
    has_default = p is not None and not p.required
    default = p.default if has_default else None
    if isinstance(value, _sigs.Opaque):
        return []
    calls = call_problems(layer, param, value)
    if calls:
        return calls
    if has_default and _same(value, default):
        return []
    rule = rule_for(layer, param, default, has_default, in_signature=p is not None)
    if rule is None:
        return []
    ctx = Ctx(layer=layer, param=param, default=default, has_default=has_default)
    try:
        return list(rule(ctx, value) or [])
    except Exception as exc:  # noqa: BLE001 - a rule bug must not become a traceback
        return [
            ArgError(
                param,
                f"could not check argument `{param}` of `{layer}`: {type(exc).__name__}: {exc}",
                code=WRONG_TYPE,
            )
        ]


def check_config(layer_name: str, config: dict) -> list:
    """Check every value of a bound layer config; returns a list of ArgError (E302/E305,
    plus E301/E303/E304 from nested object calls such as `L2(...)`)."""
    problems = []
    for param, value in config.items():
        problems.extend(check_value(layer_name, param, value))
    return problems
