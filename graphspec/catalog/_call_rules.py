"""Shape rules of call-time arguments, one dispatch table by layer (no Keras import).

What Keras does with each argument was measured on real calls (symbolic Keras checks none of
them; a wrong state or mask fails only when the model runs): an RNN's states must be its
cell's states, (batch, units) each; masks are (batch, timesteps); an attention mask must
broadcast to the scores (batch, heads, target, source) after Keras expands it at axis -3.
"""

from __future__ import annotations

from graphspec.catalog.base import ArgError, CallValue, ShapeError
from graphspec.catalog.ops._broadcast import broadcast_shapes
from graphspec.diagnostics import codes
from graphspec.suggest import did_you_mean
from graphspec.text import shape_text, spec_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, List, Optional, Sequence, Tuple

    Shape = Tuple[Optional[int], ...]


def _err(message: str, help_: str) -> ShapeError:
    return ShapeError(message, help=help_, code=codes.E401)


def unknown(layer: str, name: str, known: dict) -> ArgError:
    """An argument `layer` does not take at call time: a constructor argument, or a misspelling."""
    from graphspec.catalog import signatures

    sig = signatures.layer_signature(layer) if isinstance(layer, str) else None
    if sig is not None and sig.param(name) is not None:
        return ArgError(name, f"`{name}` is a constructor argument of `{layer}`, not a call argument",
                        help=f"write it inside the call: `{layer}(..., {name}=...)`", code=codes.E301)
    if not known:
        return ArgError(name, f"`{layer}` takes no call-time arguments; received `{name}`",
                        help="remove the call argument", code=codes.E301)
    return ArgError(name, f"`{layer}` has no call-time argument `{name}`",
                    help=did_you_mean(str(name), known) or f"its call arguments are: {', '.join(known)}",
                    code=codes.E301)


def _is_shape(v) -> bool:
    return isinstance(v, tuple) and all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in v)


def check_kind(layer: str, param, value) -> None:
    """A call argument of the right kind: a tensor's shape, a list of them, a bool."""
    kind = param.kind
    ok = {"tensor": lambda v: _is_shape(v),
          "tensors": lambda v: _is_shape(v) or (isinstance(v, (list, tuple)) and bool(v)
                                               and all(_is_shape(s) for s in v)),
          "flag": lambda v: isinstance(v, bool) or (v is None and param.default is None),
          "value": lambda v: True}[kind]
    if not ok(value):
        expected = {"tensor": "a tensor", "tensors": "a tensor or a tuple of tensors",
                    "flag": "True or False"}[kind]
        shown = spec_value(value) if kind == "flag" else "a value that is not a tensor"
        raise ArgError(param.name, f"call argument `{param.name}` of `{layer}` must be {expected}; received {shown}",
                       help=f"pass {expected}: `{layer}(...)(x, {param.name}=...)`", code=codes.E302)


def _list(value) -> List[Shape]:
    return [value] if _is_shape(value) else list(value)


def _fits(shape: Sequence, expected: Sequence) -> bool:
    """Equal rank and equal known sizes (None matches anything)."""
    return len(shape) == len(expected) and all(a is None or b is None or a == b for a, b in zip(shape, expected))


# --------------------------------------------------------------------------- recurrent

# States per cell: LSTM carries (h, c), the others one state.
_STATES = {"LSTM": 2, "GRU": 1, "SimpleRNN": 1, "ConvLSTM1D": 2, "ConvLSTM2D": 2, "ConvLSTM3D": 2}
_DEFAULT_UNITS_NAME = {"LSTM": "units", "GRU": "units", "SimpleRNN": "units"}


def _state_shape(layer: str, config: dict, inputs: List[Shape], output: Shape) -> Shape:
    """One state's shape: (batch, units), or a ConvLSTM's last-step output (the time axis dropped)."""
    if layer in _DEFAULT_UNITS_NAME:
        return (inputs[0][0] if inputs and inputs[0] else None, config.get("units"))
    if config.get("return_sequences"):
        return (output[0],) + tuple(output[2:])
    return tuple(output)


def _check_states(owner: str, layer: str, states: List[Shape], expected: Shape, count: int, offset: int = 0,
                  total: Optional[int] = None) -> None:
    for i, state in enumerate(states):
        if not _fits(state, expected):
            who = f"`{layer}`" if owner == layer else f"the `{layer}` inside `{owner}`"
            raise _err(f"initial state {offset + i + 1} has shape {shape_text(state)}; "
                       f"{who} needs states of shape {shape_text(expected)}",
                       f"give each state the shape {shape_text(expected)} (batch, then the layer's state size)")


def _state_count_error(owner: str, got: int, need: int, detail: str) -> ShapeError:
    return _err(f"`{owner}` takes {need} initial state(s) ({detail}); received {got}",
                f"pass initial_state=({', '.join(['h', 'c'][:need] if need <= 2 else ['s'] * need)})"
                if need <= 2 else f"pass {need} states")


def rnn_call(layer, config, inputs, outputs, args):
    """initial_state: as many states as the cell carries, each of the cell's state shape; mask (batch, time)."""
    _check_mask_2d(layer, inputs, args)
    states = args.get("initial_state")
    if states is None:
        return outputs
    states = _list(states)
    need = _STATES[layer]
    if len(states) != need:
        raise _state_count_error(layer, len(states), need, "h and c" if need == 2 else "one state")
    first = outputs[0] if outputs else ()
    _check_states(layer, layer, states, _state_shape(layer, config, inputs, tuple(first)), need)
    return outputs


def _inner(config: dict, param: str):
    value = config.get(param)
    if isinstance(value, CallValue) and isinstance(value.config, dict):
        return value.callee, value.config
    return None, None


def bidirectional_call(layer, config, inputs, outputs, args):
    """initial_state: the forward layer's states, then the backward layer's."""
    _check_mask_2d(layer, inputs, args)
    states = args.get("initial_state")
    if states is None:
        return outputs
    states = _list(states)
    fwd_name, fwd = _inner(config, "layer")
    bwd_name, bwd = _inner(config, "backward_layer")
    if bwd_name is None:
        bwd_name, bwd = fwd_name, fwd
    if fwd_name not in _STATES or bwd_name not in _STATES:
        return outputs  # the wrapped layer is not one whose states graphspec knows
    n_fwd, n_bwd = _STATES[fwd_name], _STATES[bwd_name]
    if len(states) != n_fwd + n_bwd:
        raise _err(f"`Bidirectional({fwd_name})` takes {n_fwd + n_bwd} initial states ({n_fwd} for the forward "
                   f"layer, then {n_bwd} for the backward one); received {len(states)}",
                   f"pass the forward layer's states, then the backward layer's: {n_fwd + n_bwd} tensors")
    batch = inputs[0][0] if inputs else None
    _check_states(layer, fwd_name, states[:n_fwd], (batch, fwd.get("units")), n_fwd)
    _check_states(layer, bwd_name, states[n_fwd:], (batch, bwd.get("units")), n_bwd, offset=n_fwd)
    return outputs


def _check_mask_2d(layer, inputs, args):
    mask = args.get("mask")
    if mask is None or not inputs or not inputs[0]:  # a scalar input has no timesteps to mask
        return
    x = inputs[0]
    expected = (x[0], x[1]) if len(x) >= 2 else (x[0],)
    if not _fits(mask, expected):
        raise _err(f"the mask of `{layer}` has shape {shape_text(mask)}; its input {shape_text(x)} needs a mask "
                   f"of shape {shape_text(expected)} (batch, timesteps)",
                   "give one boolean per timestep: a (batch, timesteps) tensor")


def masked_call(layer, config, inputs, outputs, args):
    """BatchNormalization, TimeDistributed, GlobalAveragePooling1D & co.: mask (batch, timesteps)."""
    _check_mask_2d(layer, inputs, args)
    return outputs


# --------------------------------------------------------------------------- attention


def attention_inputs(inputs: List[Shape], args: dict) -> List[Shape]:
    """(query, value[, key]) with `value` / `key` given by name put in their places."""
    query = inputs[0] if inputs else ()
    value = args.get("value") or (inputs[1] if len(inputs) > 1 else query)
    key = args.get("key") or (inputs[2] if len(inputs) > 2 else None)
    return [query, value] + ([key] if key is not None else [])


def _mha_scores(config: dict, query: Shape, value: Shape, heads_param: str) -> Optional[Shape]:
    """(batch, *other axes, heads, *target axes, *source axes), as Keras's attention einsum orders them."""
    rank = len(query)
    if rank < 3 or len(value) != rank:
        return None
    axes = config.get("attention_axes")
    if axes is None:
        axes = tuple(range(1, rank - 1))
    elif isinstance(axes, int):
        axes = (axes,)
    try:
        axes = tuple(sorted(a % rank for a in axes))
    except TypeError:
        return None
    others = [a for a in range(1, rank - 1) if a not in axes]
    return ((query[0],) + tuple(query[a] for a in others) + (config.get(heads_param),)
            + tuple(query[a] for a in axes) + tuple(value[a] for a in axes))


def _expand_to(mask: Shape, rank: int) -> Shape:
    """Keras's _masked_softmax: expand_dims(axis=-3) until the mask has the scores' rank."""
    while len(mask) < rank:
        mask = mask[:-2] + (1,) + mask[-2:] if len(mask) >= 2 else (1,) + mask
    return mask


def _broadcasts_to(mask: Shape, target: Shape) -> bool:
    try:
        return len(mask) <= len(target) and _fits(broadcast_shapes(mask, target), target)
    except ShapeError:
        return False


def _mha_call(heads_param: str):
    def check(layer, config, inputs, outputs, args):
        query, value, *rest = attention_inputs(inputs, args)
        scores = _mha_scores(config, tuple(query), tuple(value), heads_param)
        if scores is not None and len(query) == 3:
            batch, t, s = query[0], query[1], value[1]
            target = (batch, t, s)
            for name, expected in (("query_mask", (batch, t)), ("value_mask", (batch, s)), ("key_mask", (batch, s))):
                m = args.get(name)
                if m is not None and not _fits(m, expected):
                    raise _err(f"`{name}` of `{layer}` has shape {shape_text(m)}; it needs {shape_text(expected)}",
                               f"give one boolean per {'query' if name == 'query_mask' else 'value'} position")
            m = args.get("attention_mask")
            if m is not None and len(m) < 3:  # Keras would line its batch axis up with the target axis
                raise _err(f"`attention_mask` of `{layer}` has shape {shape_text(m)}; it needs (batch, target, "
                           f"source) = {shape_text(target)}, or (batch, heads, target, source)",
                           f"for one mask over the source positions, add an axis: `ops.expand_dims(axis=1)` "
                           f"gives {shape_text(tuple(m[:1]) + (1,) + tuple(m[1:]))}")
            if m is not None:
                full = _expand_to(tuple(m), len(scores))
                if not _broadcasts_to(full, scores) or (len(m) < 4 and not _broadcasts_to(tuple(m), target)):
                    raise _err(f"`attention_mask` of `{layer}` has shape {shape_text(m)}; with query "
                               f"{shape_text(tuple(query))} and value {shape_text(tuple(value))} it must broadcast "
                               f"to (batch, target, source) = {shape_text(target)}",
                               f"give a boolean mask of shape {shape_text(target)}, or (batch, 1, {s}) for one "
                               "mask over the source positions")
        if args.get("return_attention_scores"):
            return list(outputs) + [scores if scores is not None else None]
        return outputs
    return check


def _list_attention_call(layer, config, inputs, outputs, args):
    """Attention, AdditiveAttention: mask=(query_mask, value_mask), scores (batch, target, source)."""
    query, value, *_ = attention_inputs(inputs, args)
    batch = query[0] if query else None
    t = query[1] if len(query) == 3 else None
    s = value[1] if len(value) == 3 else None
    masks = args.get("mask")
    if masks is not None:
        masks = _list(masks)
        if len(masks) != 2:
            raise _err(f"`mask` of `{layer}` takes (query_mask, value_mask); received {len(masks)} tensor(s)",
                       "pass mask=(query_mask, value_mask)")
        for name, m, expected in (("query", masks[0], (batch, t)), ("value", masks[1], (batch, s))):
            if not _fits(m, expected):
                raise _err(f"the {name} mask of `{layer}` has shape {shape_text(m)}; it needs {shape_text(expected)}",
                           f"give one boolean per {name} position: a (batch, length) tensor")
    if args.get("return_attention_scores"):
        return list(outputs) + [(batch, t, s) if len(query) == 3 else None]
    return outputs


CHECKS: Dict[str, Tuple[Callable, ...]] = {
    **{name: (rnn_call,) for name in _STATES},
    "Bidirectional": (bidirectional_call,),
    "MultiHeadAttention": (_mha_call("num_heads"),),
    "GroupQueryAttention": (_mha_call("num_query_heads"),),
    "Attention": (_list_attention_call,),
    "AdditiveAttention": (_list_attention_call,),
}
