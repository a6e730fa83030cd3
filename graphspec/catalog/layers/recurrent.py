"""Recurrent layers: LSTM, GRU, SimpleRNN, and the wrappers Bidirectional and TimeDistributed."""

from __future__ import annotations

from graphspec.catalog.base import SINGLE, ArgError, CallValue, LayerEntry, ShapeError
from graphspec.catalog.layers._util import (
    check_min_rank,
    check_rank,
    flag,
    fmt,
    fmt_value,
    reshape_help,
)
from graphspec.diagnostics import codes

SEQUENCE_LAYOUT = "batch, timesteps, features"

# name -> (gates, number of state tensors)
RNN_KINDS = {"LSTM": (4, 2), "GRU": (3, 1), "SimpleRNN": (1, 1)}


def _rank_help(shape) -> str | None:
    if len(shape) == 2:
        n = shape[1]
        embed = "embed integer token ids with `Embedding(vocab_size, dim)` first"
        if n is None:
            return f"{embed}, or reshape the input to (timesteps, features)"
        return f"reshape the input to (timesteps, features), e.g. `Reshape(({n}, 1))`, or {embed}"
    if len(shape) > 3:
        help_ = reshape_help(shape, 3, keep_first=True)
        wrap = "or wrap a per-step layer in `TimeDistributed(...)`"
        return f"{help_}, {wrap}" if help_ else f"reshape the input to (timesteps, features) first, {wrap}"
    return None


def rnn_input(name: str, config: dict, shape) -> int:
    """Validate a sequence input for an RNN; return its (defined) feature size."""
    shape = tuple(shape)
    check_rank(name, shape, 3, SEQUENCE_LAYOUT, lambda: _rank_help(shape))
    if shape[-1] is None:
        raise ShapeError(
            f"the last axis of the input (features) must be defined; received shape {fmt(shape)}",
            "give the sequence a fixed number of features, e.g. `(None, 8)`, "
            "or embed integer token ids with `Embedding(vocab_size, dim)` first",
        )
    if flag(config, "stateful") and shape[0] is None:
        raise ShapeError(
            f"a stateful {name} needs a fixed batch size; received shape {fmt(shape)}",
            "set stateful=False, or build the model with a fixed batch size",
        )
    return shape[-1]


def rnn_outputs(name: str, config: dict, shape):
    """The output shape(s) of an RNN: one shape, or [output, *states] with return_state."""
    shape = tuple(shape)
    units = config["units"]
    batch = shape[0]
    out = (batch, shape[1], units) if flag(config, "return_sequences") else (batch, units)
    if flag(config, "return_state"):
        return [out] + [(batch, units)] * RNN_KINDS[name][1]
    return out


def rnn_counts(name: str, config: dict, features: int) -> int:
    units = config["units"]
    gates = RNN_KINDS[name][0]
    count = gates * units * (features + units)
    if flag(config, "use_bias", True):
        biases = 2 if name == "GRU" and flag(config, "reset_after", True) else 1
        count += biases * gates * units
    return count


def make_rnn(name: str):
    def shape_rule(config, inputs):
        rnn_input(name, config, inputs[0])
        return rnn_outputs(name, config, inputs[0])

    def params_rule(config, inputs):
        return rnn_counts(name, config, rnn_input(name, config, inputs[0])), 0

    n_states = RNN_KINDS[name][1]
    states = "state" if n_states == 1 else f"{n_states} states"
    return LayerEntry(
        name=name,
        shape=shape_rule,
        params=params_rule,
        summary=f"({SEQUENCE_LAYOUT}) -> (batch, units), or (batch, timesteps, units) with return_sequences; "
        f"return_state adds {states} (batch, units)",
    )


# --------------------------------------------------------------------------- Bidirectional


def _inner(config: dict, param: str = "layer"):
    """(callee, full config) of a layer given as a call value."""
    value = config.get(param)
    if value is None:
        return None, None
    if not isinstance(value, CallValue) or not isinstance(value.config, dict):
        raise ArgError(param, f"`{param}` must be a layer call such as `LSTM(16)`; received {value!r}")
    return value.callee, value.config


def _recurrent(config: dict, param: str):
    callee, inner = _inner(config, param)
    if callee is not None and callee not in RNN_KINDS:
        raise ArgError(
            param,
            f"Bidirectional wraps a recurrent layer ({', '.join(RNN_KINDS)}); received `{callee}`",
            help="write e.g. `Bidirectional(LSTM(16))`",
            code=codes.E305,
        )
    return callee, inner


def bidirectional_validate(config):
    fwd_name, fwd = _recurrent(config, "layer")
    bwd_name, bwd = _recurrent(config, "backward_layer")
    mode = config.get("merge_mode", "concat")
    if mode not in ("concat", "sum", "mul", "ave", None):
        raise ArgError(
            "merge_mode",
            f"`merge_mode` must be one of \"concat\", \"sum\", \"mul\", \"ave\" or None; received {fmt_value(mode)}",
            code=codes.E305,
        )
    if bwd is not None:
        if flag(fwd, "go_backwards") == flag(bwd, "go_backwards"):
            raise ArgError(
                "backward_layer",
                "the backward layer must have the opposite `go_backwards` of the forward layer",
                help="add go_backwards=True to `backward_layer`",
                code=codes.E305,
            )
        # Keras derives the output shape from the forward layer alone: a backward layer of
        # another size gives a graph whose shapes are wrong (or that fails when run).
        if fwd.get("units") != bwd.get("units"):
            raise ArgError(
                "backward_layer",
                f"the backward layer must have as many units as the forward layer "
                f"({bwd.get('units')} != {fwd.get('units')})",
                help=f"use units={fwd.get('units')} in `backward_layer`",
                code=codes.E305,
            )
        if flag(fwd, "return_state") and fwd_name != bwd_name:
            raise ArgError(
                "backward_layer",
                f"with return_state=True the backward layer must be a {fwd_name} like the forward layer; "
                f"received {bwd_name}",
                code=codes.E305,
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            if flag(fwd, attr) != flag(bwd, attr):
                raise ArgError(
                    "backward_layer",
                    f"the forward and backward layers must agree on `{attr}` "
                    f"(forward: {flag(fwd, attr)}, backward: {flag(bwd, attr)})",
                    code=codes.E305,
                )


def bidirectional_shape(config, inputs):
    name, inner = _recurrent(config, "layer")
    shape = tuple(inputs[0])
    rnn_input(name, inner, shape)
    bwd_name, bwd = _recurrent(config, "backward_layer")
    if bwd is not None:
        rnn_input(bwd_name, bwd, shape)
    result = rnn_outputs(name, inner, shape)
    if isinstance(result, list):
        out, states = result[0], result[1:]
    else:
        out, states = result, None
    mode = config.get("merge_mode", "concat")
    if mode == "concat":
        outs = [out[:-1] + (out[-1] * 2,)]
    elif mode is None:
        outs = [out, out]
    else:
        outs = [out]
    if states is not None:
        return outs + states + states
    return outs if len(outs) > 1 else outs[0]


def bidirectional_params(config, inputs):
    name, inner = _recurrent(config, "layer")
    count = rnn_counts(name, inner, rnn_input(name, inner, inputs[0]))
    bwd_name, bwd = _recurrent(config, "backward_layer")
    if bwd is not None:
        count += rnn_counts(bwd_name, bwd, rnn_input(bwd_name, bwd, inputs[0]))
    else:
        count *= 2
    return count, 0


# --------------------------------------------------------------------------- TimeDistributed


def _td_inner(config):
    callee, inner = _inner(config, "layer")
    from graphspec.catalog import registry  # lazy: the registry imports this module

    entry = registry.get(callee)
    if entry is None:
        raise ArgError("layer", f"TimeDistributed cannot wrap `{callee}`: graphspec has no shape rule for it")
    if entry.max_inputs != 1 or entry.min_inputs != 1 or entry.call != SINGLE:
        raise ArgError(
            "layer",
            f"TimeDistributed wraps a layer that takes one tensor; `{callee}` takes several",
            code=codes.E305,
        )
    return entry, inner


def _td_child(shape):
    shape = tuple(shape)
    check_min_rank(
        "TimeDistributed",
        shape,
        3,
        "batch, timesteps, ...",
        help="TimeDistributed applies a layer to every time step; the input needs a time axis after the batch axis",
    )
    return (shape[0],) + shape[2:]


def td_validate(config):
    _td_inner(config)


def td_shape(config, inputs):
    entry, inner = _td_inner(config)
    shape = tuple(inputs[0])
    child = entry.shape(inner, [_td_child(shape)])
    if isinstance(child, list):
        raise ShapeError(
            f"TimeDistributed cannot wrap a layer with several outputs (`{config['layer'].callee}` returns "
            f"{len(child)})",
            "drop return_state from the wrapped layer",
        )
    return (child[0], shape[1]) + tuple(child[1:])


def td_params(config, inputs):
    entry, inner = _td_inner(config)
    return entry.params(inner, [_td_child(inputs[0])])


ENTRIES = [
    make_rnn("LSTM"),
    make_rnn("GRU"),
    make_rnn("SimpleRNN"),
    LayerEntry(
        name="Bidirectional",
        shape=bidirectional_shape,
        params=bidirectional_params,
        validate=bidirectional_validate,
        layer_params=("layer", "backward_layer"),
        summary="as the wrapped RNN, with the last axis doubled (merge_mode=\"concat\"), kept (sum/mul/ave), "
        "or two outputs (None); return_state adds the states of both directions",
    ),
    LayerEntry(
        name="TimeDistributed",
        shape=td_shape,
        params=td_params,
        validate=td_validate,
        layer_params=("layer",),
        summary="(batch, timesteps, ...) -> (batch, timesteps, ...): the wrapped layer's rule on each step",
    ),
]
