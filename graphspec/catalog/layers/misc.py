"""More core layers: EinsumDense, ReversibleEmbedding, GroupQueryAttention, and the wrappers
SpectralNormalization and Pipeline."""

from __future__ import annotations

import re

from graphspec.catalog.base import ATTENTION, LIST, SINGLE, ArgError, CallValue, LayerEntry, ShapeError
from graphspec.catalog.layers._util import (
    check_min_rank,
    flag,
    fmt,
    fmt_value,
    join_shapes,
    prod,
    require_channels,
)
from graphspec.diagnostics import codes
from graphspec.record import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional, Tuple

# --------------------------------------------------------------------------- EinsumDense

_EQUATION_FORMS = (
    # (pattern on the equation with "..." replaced by "0", ellipsis on the left, any ellipsis);
    # strings, compiled (and cached) by `re` on first use: most checks have no EinsumDense
    (r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", False, False),
    (r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", True, True),
    (r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", False, True),
)


def _parse_equation(equation):
    """(input spec, weight spec, output spec, left_elided, has_ellipsis) as Keras reads them, or None."""
    if not isinstance(equation, str):
        return None
    text = equation.replace("...", "0")
    for pattern, left, ellipsis in _EQUATION_FORMS:
        m = re.match(pattern, text)  # a prefix match, as in Keras
        if m:
            return m.group(1), m.group(2), m.group(3), left, ellipsis
    return None


def einsum_validate(config):
    if _parse_equation(config.get("equation")) is None:
        raise ArgError(
            "equation",
            f"invalid einsum equation {fmt_value(config.get('equation'))}: EinsumDense accepts the forms "
            "\"[X],[Y]->[Z]\", \"...[X],[Y]->...[Z]\" and \"[X]...,[Y]->[Z]...\"",
            help='e.g. equation="ab,bc->ac" for a Dense-like projection of (batch, features)',
            code=codes.E305,
        )
    input_spec, weight_spec, output_spec, _, _ = _parse_equation(config.get("equation"))
    for d in output_spec:
        if d not in input_spec and d not in weight_spec:
            raise ArgError("equation", f"the output axis '{d}' of {fmt_value(config['equation'])} appears in "
                                       "neither the input nor the weight", code=codes.E305)
    for d in weight_spec:
        if d not in input_spec and d not in output_spec:
            raise ArgError("equation", f"the weight axis '{d}' of {fmt_value(config['equation'])} appears in "
                                       "neither the input nor the output", code=codes.E305)
    axes = config.get("bias_axes")
    if axes is not None:
        if not isinstance(axes, str) or not axes:
            raise ArgError("bias_axes", f"`bias_axes` must be a string of output axis letters; received "
                                        f"{fmt_value(axes)}", code=codes.E302)
        for c in axes:
            if c not in output_spec:
                raise ArgError("bias_axes", f"the bias axis '{c}' is not an output axis of "
                                            f"{fmt_value(config['equation'])}", code=codes.E305)
    out = config.get("output_shape")
    dims = [out] if isinstance(out, int) and not isinstance(out, bool) else out
    if not isinstance(dims, (list, tuple)) or not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in dims):
        raise ArgError("output_shape", "`output_shape` must be an integer or a tuple of integers (None for an "
                                       f"axis taken from the input); received {fmt_value(out)}", code=codes.E302)
    if any(d is not None and d <= 0 for d in dims):
        raise ArgError("output_shape", f"every size in `output_shape` must be at least 1 (or None for an axis "
                                       f"taken from the input); received {fmt_value(out)}", code=codes.E305)


def _einsum_error(message, shape):
    return ShapeError(f"{message}; received input shape {fmt(shape)}",
                      "check the equation against the input's rank: one letter per axis, batch axis included "
                      "(or `...` for the leading axes)")


def einsum_analysis(config, shape) -> Tuple[tuple, Optional[tuple], tuple]:
    """(kernel shape, bias shape or None, output shape): Keras's `_analyze_einsum_string`."""
    shape = tuple(shape)
    einsum_validate(config)  # the rules run on validated configs; this keeps them safe on others
    parsed = _parse_equation(config["equation"])
    input_spec, weight_spec, output_spec, left, ellipsis = parsed
    partial = config["output_shape"]
    out = [partial] if isinstance(partial, int) else list(partial)
    elided = len(shape) - len(input_spec)
    out.insert(0, shape[0])
    if elided > 0 and left:
        for i in range(1, elided):
            out.insert(1, shape[i])
    elif elided > 0:
        for i in range(len(shape) - elided, len(shape)):
            out.append(shape[i])
    if left:
        in_map = {d: (i + elided) - len(shape) for i, d in enumerate(input_spec)}
        out_map = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        in_map = {d: i for i, d in enumerate(input_spec)}
        out_map = {d: i for i, d in enumerate(output_spec)}
    try:
        for d in input_spec:
            have = shape[in_map[d]]
            if d in out_map:
                want = out[out_map[d]]
                if want is not None and want != have:
                    raise ShapeError(
                        f"the input and output_shape disagree on the shared axis '{d}' of "
                        f"{fmt_value(config['equation'])}: the input has {have}, output_shape {want} "
                        f"(received input shape {fmt(shape)})",
                        "use None in output_shape for an axis the output shares with the input",
                    )
        kernel = [out[out_map[d]] if d in out_map else shape[in_map[d]] for d in weight_spec]
        bias = None
        axes = config.get("bias_axes")
        if axes is not None:
            offset = elided if left else 0
            sizes = {c: out[i + offset] for i, c in enumerate(output_spec)}
            first = min(output_spec.find(c) for c in axes)
            bias = [sizes[c] if c in axes else 1 for c in output_spec[first:]]
            if not left:
                bias += [1] * max(elided, 0)
    except IndexError:
        raise _einsum_error(
            f"the equation {fmt_value(config['equation'])} names more axes than the input has", shape) from None
    for what, dims in (("kernel", kernel), ("bias", bias)):
        if dims is not None and any(d is None for d in dims):
            raise ShapeError(
                f"the {what} of {fmt_value(config['equation'])} would have shape {fmt(dims)}: every axis it takes "
                f"from the input or output_shape must be defined (received input shape {fmt(shape)})",
                "give those input axes a fixed size, or a size in output_shape",
            )
    # Stricter than Keras's symbolic build, whose shape is wrong for these (the model fails or
    # disagrees with itself when run):
    if not ellipsis and elided != 0:
        raise _einsum_error(
            f"the equation {fmt_value(config['equation'])} is for inputs of rank {len(input_spec)}", shape)
    if left and elided > 2 and tuple(reversed(shape[1:elided])) != tuple(shape[1:elided]):
        raise ShapeError(
            f"Keras 3.15.1 computes a wrong output shape for {fmt_value(config['equation'])} on an input of shape "
            f"{fmt(shape)} (the axes standing for `...` come out reversed), so the model would disagree with "
            "itself when run",
            "merge the leading axes first (e.g. with `Reshape(...)`) so that `...` stands for one axis besides "
            "the batch axis",
        )
    return tuple(kernel), (tuple(bias) if bias is not None else None), tuple(out)


def einsum_shape(config, inputs):
    return einsum_analysis(config, inputs[0])[2]


def einsum_params(config, inputs):
    kernel, bias, _ = einsum_analysis(config, inputs[0])
    rank = config.get("lora_rank")
    if rank:
        trainable, frozen = rank * (prod(kernel[:-1]) + kernel[-1]), prod(kernel)
    else:
        trainable, frozen = prod(kernel), 0
    if bias is not None:
        trainable += prod(bias)
    return trainable, frozen


# --------------------------------------------------------------------------- ReversibleEmbedding


def reversible_embedding_shape(config, inputs):
    return tuple(inputs[0]) + (config["output_dim"],)


def reversible_embedding_params(config, inputs):
    n = config["input_dim"] * config["output_dim"]
    return (n if flag(config, "tie_weights", True) else 2 * n), 0


# --------------------------------------------------------------------------- GroupQueryAttention


def _gqa_shapes(inputs):
    query, value = tuple(inputs[0]), tuple(inputs[1])
    key = tuple(inputs[2]) if len(inputs) > 2 else value
    return query, value, key


def gqa_check(config, inputs):
    query, value, key = _gqa_shapes(inputs)
    roles = [("query", query), ("value", value)] + ([("key", key)] if len(inputs) > 2 else [])
    for role, shape in roles:
        check_min_rank("GroupQueryAttention", shape, 3, "batch, sequence, features",
                       f"give the {role} a sequence axis, e.g. `Reshape((1, features))`")
    for role, shape in roles:
        if shape[-1] is None:
            raise ShapeError(f"the last axis of the {role} must be defined; received shape {fmt(shape)}",
                             f"give the {role} a fixed feature size")
    if query[-1] != value[-1]:
        raise ShapeError(
            f"the last axis of the query and the value must be equal; received query shape {fmt(query)} and "
            f"value shape {fmt(value)}",
            f"project the value first, e.g. `Dense({query[-1]})`",
        )
    if value[1:-1] != key[1:-1]:
        raise ShapeError(
            "all axes of `value` and `key` except the last one must be equal (unknown sizes included); "
            f"received value shape {fmt(value)} and key shape {fmt(key)}",
            "give key and value the same sequence length",
        )
    # Stricter than Keras's symbolic build, which accepts these and fails on the first real call:
    for role, shape in roles:
        if len(shape) != 3:
            raise ShapeError(
                f"GroupQueryAttention expects inputs of rank 3 (batch, sequence, features); received {role} "
                f"shape {fmt(shape)}",
                "merge the extra axes into the sequence axis first, e.g. with `Reshape((-1, features))`",
            )
    return query, value, key


def gqa_shape(config, inputs):
    return gqa_check(config, inputs)[0]


def gqa_params(config, inputs):
    query, value, key = gqa_check(config, inputs)
    h, uq, uk = config["head_dim"], config["num_query_heads"], config["num_key_value_heads"]
    bias = flag(config, "use_bias", True)
    total = query[-1] * uq * h + (uq * h if bias else 0)  # query
    total += key[-1] * uk * h + (uk * h if bias else 0)  # key
    total += value[-1] * uk * h + (uk * h if bias else 0)  # value
    total += uq * h * query[-1] + (query[-1] if bias else 0)  # output
    if flag(config, "use_gate"):
        total += query[-1] * uq * h + (uq * h if bias else 0)
    return total, 0


def gqa_validate(config):
    from graphspec.catalog.layers.attention import flash_dropout_check

    flash_dropout_check("GroupQueryAttention", config)
    q, kv = config.get("num_query_heads"), config.get("num_key_value_heads")
    if isinstance(q, int) and isinstance(kv, int) and kv > 0 and q % kv:
        raise ArgError("num_key_value_heads",
                       f"`num_query_heads` ({q}) must be divisible by `num_key_value_heads` ({kv})",
                       help="each key/value head serves the same number of query heads", code=codes.E305)


# --------------------------------------------------------------------------- SpectralNormalization


def _registry():
    from graphspec.catalog import registry  # lazy: the registry imports this module

    return registry


def _wrapped(config, param="layer"):
    value = config.get(param)
    if not isinstance(value, CallValue) or not isinstance(value.config, dict):
        raise ArgError(param, f"`{param}` must be a layer call such as `Dense(16)`; received {value!r}")
    entry = _registry().get(value.callee)
    if entry is None:
        raise ArgError(param, f"cannot wrap `{value.callee}`: graphspec has no shape rule for it")
    return value.callee, entry, value.config


def _kernel_last_dim(name, inner, shape):
    """The last axis of the wrapped layer's `kernel` (or `embeddings`): SpectralNormalization's vector u."""
    if name == "Dense":
        return inner["units"]
    if name in ("Conv1D", "Conv2D", "Conv3D"):
        return inner["filters"]
    if name in ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"):
        return require_channels(name, inner, shape, int(name[4]))
    if name in ("DepthwiseConv1D", "DepthwiseConv2D"):
        return inner.get("depth_multiplier", 1)
    if name in ("Embedding", "ReversibleEmbedding"):
        return inner["output_dim"]
    if name == "EinsumDense":
        return einsum_analysis(inner, shape)[0][-1]
    return None


_KERNEL_LAYERS = ("Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
                  "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "Embedding", "ReversibleEmbedding")


def spectral_validate(config):
    name, _, _ = _wrapped(config)
    if name not in _KERNEL_LAYERS:
        raise ArgError(
            "layer",
            f"SpectralNormalization normalizes a layer's `kernel` or `embeddings`; `{name}` has neither",
            help="wrap one of " + ", ".join(f"`{n}`" for n in _KERNEL_LAYERS),
            code=codes.E305,
        )


def spectral_shape(config, inputs):
    _, entry, inner = _wrapped(config)
    return entry.shape(inner, inputs)


def spectral_params(config, inputs):
    name, entry, inner = _wrapped(config)
    trainable, frozen = entry.params(inner, inputs)
    return trainable, frozen + _kernel_last_dim(name, inner, tuple(inputs[0]))


# --------------------------------------------------------------------------- Pipeline


def _bind(value, where: str) -> Tuple[str, LayerEntry, dict]:
    """A layer call written as a value, bound like a top-level call: (name, entry, full config)."""
    from graphspec.catalog import signatures
    from graphspec.catalog.params import check_config

    if not isinstance(value, CallValue):
        raise ArgError("layers", f"{where} must be a layer call such as `Dense(16)`; received {value!r}",
                       code=codes.E302)
    name = signatures.canonical_layer_name(value.callee)
    entry = _registry().get(name) if name else None
    if entry is None:
        raise ArgError("layers", f"{where}: `{value.callee}` is not a layer graphspec can check", code=codes.E305)
    if isinstance(value.config, dict):
        full = dict(value.config)
    else:
        full, problems = signatures.bind(signatures.layer_signature(name), list(value.args), list(value.kwargs),
                                         kind="layer", callee=value.callee)
        if problems:
            raise ArgError("layers", f"{where}: {problems[0].message}", help=problems[0].help, code=problems[0].code)
    for pname in entry.layer_params:
        inner = full.get(pname)
        if inner is not None:
            inner_name, _, inner_full = _bind(inner, f"{where}, `{pname}`")
            full[pname] = replace(inner, callee=inner_name, config=inner_full)
    problems = check_config(name, full)
    if not problems and entry.validate is not None:
        try:
            entry.validate(full)
        except ArgError as err:
            problems = [err]
    if problems:
        raise ArgError("layers", f"{where}: {problems[0].message}", help=problems[0].help, code=problems[0].code)
    return name, entry, full


def _pipeline_layers(config) -> List[Tuple[str, LayerEntry, dict]]:
    layers = config.get("layers")
    if not isinstance(layers, (list, tuple)):
        raise ArgError("layers", f"`layers` must be a list of layer calls such as `[RandomFlip(), "
                                 f"RandomRotation(0.1)]`; received {fmt_value(layers)}", code=codes.E302)
    return [_bind(v, f"layer {i + 1} of the pipeline") for i, v in enumerate(layers)]


def pipeline_validate(config):
    _pipeline_layers(config)


def _pipeline_run(config, inputs):
    """(output shape or shapes, (trainable, non_trainable)) of the layers applied in turn."""
    layers = _pipeline_layers(config)
    if not layers:
        raise ShapeError("an empty Pipeline has no output (Keras fails on it)", "list at least one layer")
    current = tuple(inputs[0])
    trainable = frozen = 0
    for i, (name, entry, full) in enumerate(layers):
        shapes = current if isinstance(current, list) else [current]
        n = len(shapes)
        if n < entry.min_inputs or (entry.max_inputs is not None and n > entry.max_inputs) or (
                n > 1 and entry.call != LIST):
            raise ShapeError(
                f"layer {i + 1} of the pipeline, `{name}`, cannot take the {n} tensor(s) "
                f"{join_shapes(shapes)} the previous layer returns",
                "a pipeline passes one tensor from layer to layer",
            )
        try:
            counts = entry.params(full, shapes)
            out = entry.shape(full, shapes)
        except ShapeError as err:
            raise ShapeError(f"layer {i + 1} of the pipeline, {name}: {err.message}", err.help, err.code) from None
        trainable += counts[0]
        frozen += counts[1]
        current = [tuple(s) for s in out] if isinstance(out, list) else tuple(out)
    return current, (trainable, frozen)


def pipeline_shape(config, inputs):
    return _pipeline_run(config, inputs)[0]


def pipeline_params(config, inputs):
    return _pipeline_run(config, inputs)[1]


# --------------------------------------------------------------------------- entries

ENTRIES = [
    LayerEntry(
        name="EinsumDense",
        shape=einsum_shape,
        params=einsum_params,
        validate=einsum_validate,
        summary="(batch, ...) -> the equation's output: output_shape (without the batch axis; None keeps an "
        "axis shared with the input unknown) plus the axes `...` stands for",
    ),
    LayerEntry(
        name="ReversibleEmbedding",
        shape=reversible_embedding_shape,
        params=reversible_embedding_params,
        summary="(batch, ...) integer ids -> (batch, ..., output_dim); only the forward (embedding) call, "
        "`reverse=True` cannot be written in a spec",
    ),
    LayerEntry(
        name="GroupQueryAttention",
        shape=gqa_shape,
        params=gqa_params,
        validate=gqa_validate,
        call=ATTENTION,
        min_inputs=2,
        max_inputs=3,
        summary="(query (batch, Tq, d), value (batch, Tv, d)[, key (batch, Tv, dk)]) -> the query's shape",
    ),
    LayerEntry(
        name="SpectralNormalization",
        shape=spectral_shape,
        params=spectral_params,
        validate=spectral_validate,
        layer_params=("layer",),
        summary="as the wrapped layer (one with a kernel or embeddings: Dense, Conv*, Embedding...), plus a "
        "non-trainable vector the size of the kernel's last axis",
    ),
    LayerEntry(
        name="Pipeline",
        shape=pipeline_shape,
        params=pipeline_params,
        validate=pipeline_validate,
        call=SINGLE,
        summary="the layers of the `layers` list applied in turn, each rule on the previous output",
    ),
]
