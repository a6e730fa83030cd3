"""Attention: MultiHeadAttention (called as (query, value[, key])), Attention, AdditiveAttention ([q, v[, k]])."""

from __future__ import annotations

from graphspec.catalog.base import ArgError, ATTENTION, LIST, LayerEntry, ShapeError
from graphspec.catalog.layers._util import flag, fmt, join_shapes, prod
from graphspec.diagnostics import codes


def _mha_output_shape(config):
    out = config.get("output_shape")
    if not out:  # None, 0, () all mean "the query's last axis" in Keras
        return None
    if isinstance(out, int):
        return (out,)
    return tuple(out)


def _mha_shapes(inputs):
    query, value = tuple(inputs[0]), tuple(inputs[1])
    key = tuple(inputs[2]) if len(inputs) > 2 and inputs[2] is not None else value
    return query, value, key


def _mismatch(a, b, broadcast: bool) -> bool:
    """Two known dims that cannot meet (None is decided only at run time)."""
    if a is None or b is None or a == b:
        return False
    return not (broadcast and (a == 1 or b == 1))


def _mha_check(config, inputs):
    query, value, key = _mha_shapes(inputs)
    if value[1:-1] != key[1:-1]:
        raise ShapeError(
            "all axes of `value` and `key` except the last one must be equal (unknown sizes included); "
            f"received value shape {fmt(value)} and key shape {fmt(key)}",
            "give key and value the same sequence length",
        )
    for role, shape in (("query", query), ("value", value), ("key", key)):
        if shape[-1] is None:
            raise ShapeError(
                f"the last axis of the {role} must be defined; received shape {fmt(shape)}",
                f"give the {role} a fixed feature size",
            )
    # Stricter than Keras's symbolic build, which accepts these and fails on the first real call:
    rank = len(query)
    if len(value) != rank:
        raise ShapeError(
            f"query and value must have the same rank; received query shape {fmt(query)} and value shape {fmt(value)}",
            "reshape one of them, e.g. with `Reshape(...)`",
        )
    axes = config.get("attention_axes")
    if axes is None and rank < 3:
        raise ShapeError(
            f"MultiHeadAttention expects inputs of rank 3 or more (batch, ..., features); "
            f"received shape {fmt(query)}",
            "give the inputs a sequence axis, e.g. `Reshape((1, features))`",
        )
    if rank != 3 or (config.get("dropout") or 0) > 0:
        # Attention runs through an einsum over `attention_axes`; the other axes pair up
        # position by position and must agree between query and key.
        proj = rank + 1  # (batch, ..., heads, key_dim)
        if axes is None:
            axes = tuple(range(1, proj - 2))
        elif isinstance(axes, int):
            axes = (axes,)
        axes = {a if a >= 0 else (proj - 1) + a for a in axes}
        for i in range(1, rank - 1):
            if i not in axes and _mismatch(query[i], key[i], broadcast=True):
                raise ShapeError(
                    f"axis {i} is not an attention axis, so query and key must agree on it; "
                    f"received query shape {fmt(query)} and key shape {fmt(key)}",
                    f"add axis {i} to `attention_axes`, or give both the same size there",
                )
    return query, value, key


def mha_shape(config, inputs):
    query, _, _ = _mha_check(config, inputs)
    out = _mha_output_shape(config)
    return query[:-1] + out if out else query


def mha_params(config, inputs):
    query, value, key = _mha_check(config, inputs)
    heads = config["num_heads"]
    key_dim = config["key_dim"]
    value_dim = config.get("value_dim") or key_dim
    out = _mha_output_shape(config) or (query[-1],)
    n_out = prod(out)
    bias = flag(config, "use_bias", True)
    total = 0
    # query and key projections: (features, heads, key_dim) [+ (heads, key_dim)]
    for features in (query[-1], key[-1]):
        total += features * heads * key_dim + (heads * key_dim if bias else 0)
    # value projection: (features, heads, value_dim)
    total += value[-1] * heads * value_dim + (heads * value_dim if bias else 0)
    # output projection: (heads, value_dim, *output_shape)
    total += heads * value_dim * n_out + (n_out if bias else 0)
    if flag(config, "use_gate"):
        total += query[-1] * heads * value_dim + (heads * value_dim if bias else 0)
    return total, 0


def _attention_check(config, inputs, additive: bool):
    """Keras's symbolic build checks nothing; these mismatches all fail on the first real call."""
    query, value = tuple(inputs[0]), tuple(inputs[1])
    key = tuple(inputs[2]) if len(inputs) > 2 else value
    if not len(query) == len(value) == len(key):
        raise ShapeError(
            "query, value and key must have the same rank; received shapes "
            f"{join_shapes([query, value, key][:len(inputs)])}",
            "reshape them to (batch, steps, features) first",
        )
    if len(query) < 3:
        return query, value
    broadcast = additive or config.get("score_mode", "dot") == "concat"
    if _mismatch(query[-1], key[-1], broadcast):
        role = "key" if len(inputs) > 2 else "value"
        raise ShapeError(
            f"the last axis of the query and the {role} must match; received shapes {fmt(query)} and {fmt(key)}",
            f"project one of them first, e.g. `Dense({query[-1]})` on the {role}",
        )
    if len(inputs) > 2 and _mismatch(key[-2], value[-2], broadcast=False):
        raise ShapeError(
            f"the key and the value must have the same number of steps; received value shape {fmt(value)} "
            f"and key shape {fmt(key)}",
            "pass a key and a value of the same length",
        )
    for i in range(1, len(query) - 2):
        dims = {query[i], key[i], value[i]} - {None, 1}
        if len(dims) > 1:
            raise ShapeError(
                f"query, value and key must agree on axis {i}; received shapes "
                f"{join_shapes([query, value, key][:len(inputs)])}",
                None,
            )
    return query, value


def attention_shape(config, inputs):
    query, value = _attention_check(config, inputs, additive=False)
    return query[:-1] + (value[-1],)


def attention_params(config, inputs):
    count = (1 if flag(config, "use_scale") else 0) + (1 if config.get("score_mode", "dot") == "concat" else 0)
    return count, 0


def additive_params(config, inputs):
    if not flag(config, "use_scale", True):
        return 0, 0
    query = tuple(inputs[0])
    if query[-1] is None:
        raise ShapeError(
            f"the last axis of the query must be defined when use_scale=True; received shape {fmt(query)}",
            "give the query a fixed feature size, or set use_scale=False",
        )
    return query[-1], 0


def additive_shape(config, inputs):
    additive_params(config, inputs)
    query, value = _attention_check(config, inputs, additive=True)
    return query[:-1] + (value[-1],)


def flash_dropout_check(name: str, config: dict) -> None:
    """Keras's attention layers refuse dropout together with flash attention (at construction)."""
    dropout = config.get("dropout")
    if config.get("flash_attention") is True and isinstance(dropout, (int, float)) and dropout > 0:
        raise ArgError("dropout", f"{name} does not support dropout with flash attention; received "
                                  f"dropout={dropout!r} with flash_attention=True",
                       help="set `dropout=0.0`, or leave `flash_attention` out", code=codes.E305)


def mha_validate(config):
    """What MultiHeadAttention's constructor refuses across two arguments."""
    flash_dropout_check("MultiHeadAttention", config)


ENTRIES = [
    LayerEntry(
        name="MultiHeadAttention",
        shape=mha_shape,
        params=mha_params,
        validate=mha_validate,
        call=ATTENTION,
        min_inputs=2,
        max_inputs=3,
        summary="(query, value[, key]) -> the query's shape, its last axis replaced by output_shape if given",
    ),
    LayerEntry(
        name="Attention",
        shape=attention_shape,
        params=attention_params,
        call=LIST,
        min_inputs=2,
        max_inputs=3,
        summary="[query (batch, Tq, d), value (batch, Tv, dv)[, key]] -> (batch, Tq, dv)",
    ),
    LayerEntry(
        name="AdditiveAttention",
        shape=additive_shape,
        params=additive_params,
        call=LIST,
        min_inputs=2,
        max_inputs=3,
        summary="[query (batch, Tq, d), value (batch, Tv, dv)[, key]] -> (batch, Tq, dv)",
    ),
]
