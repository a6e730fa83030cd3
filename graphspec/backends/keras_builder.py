"""Build a checked Spec as a Keras 3 functional model.

This module (with `keras_file`) is the only place in graphspec that imports Keras.
It reads the Pydantic IR (`graphspec.ir`) and never re-parses text nor branches on
layer names: every class is looked up by name in Keras's public modules (or in
the registry of custom layers), and every argument is passed as written.

The build is deliberately lean — one Keras object per IR layer, one call per IR
node, in the IR's topological order — so that it costs the same as writing the
model by hand with the functional API.
"""

from __future__ import annotations

import inspect
from typing import Any, Dict, List, Optional

import keras

from graphspec import custom
from graphspec.backends import kinds
from graphspec.catalog.base import CallValue

__all__ = ["build", "fit_kwargs", "compile_kwargs", "to_keras_value", "resolve_class", "BuildError"]


class BuildError(ValueError):
    """The IR cannot be built as written (a front-end contract was not met)."""


_MODULES = {
    "layer": keras.layers,
    "optimizer": keras.optimizers,
    "schedule": keras.optimizers.schedules,
    "loss": keras.losses,
    "metric": keras.metrics,
    "callback": keras.callbacks,
    "initializer": keras.initializers,
    "regularizer": keras.regularizers,
    "constraint": keras.constraints,
    "dtype_policy": keras.dtype_policies,
}
_COMPILE_KINDS = kinds.COMPILE_KINDS
_FIT_KINDS = kinds.FIT_KINDS
_param_kind = kinds.param_kind

_class_cache: Dict[tuple, type] = {}


def resolve_class(name: str, kind: Optional[str] = None) -> type:
    """The public Keras class called `name`, searched first among `kind`'s module."""
    key = (name, kind)
    cls = _class_cache.get(key)
    if cls is not None:
        return cls
    registered = custom.get(name)
    if not name.startswith("_"):
        for k in kinds.order(kind):
            candidate = getattr(_MODULES[k], name, None)
            if inspect.isclass(candidate):
                cls = candidate
                break
    if cls is None and registered is not None:
        cls = registered.cls
    if cls is None:
        where = kind or "Keras"
        raise BuildError(f"unknown {where} class `{name}`: no public Keras class has that name")
    if registered is None:  # custom layers may be re-registered: do not cache them
        _class_cache[key] = cls
    return cls


def to_keras_value(value: Any, kind: Optional[str] = None) -> Any:
    """A config value with every written call (`CallValue`) made into its Keras object.

    `kind` ("layer", "optimizer", "loss", "metric", "callback", "initializer",
    "regularizer", "constraint", "schedule", "dtype_policy" or None) says where a
    call's class is looked up first. Lists, tuples and dicts are converted element
    by element, keeping their type; scalars and strings are returned unchanged.
    """
    if isinstance(value, CallValue):
        cls = resolve_class(value.callee, kind)
        args = [to_keras_value(v, kind) for v in value.args]
        kwargs = {k: to_keras_value(v, _param_kind(k, kind)) for k, v in value.kwargs}
        return cls(*args, **kwargs)
    if isinstance(value, list):
        return [to_keras_value(v, kind) for v in value]
    if isinstance(value, tuple):
        return tuple(to_keras_value(v, kind) for v in value)
    if isinstance(value, dict):
        return {k: to_keras_value(v, kind) for k, v in value.items()}
    return value


def _layer_kwargs(config: Dict[str, Any], name: str) -> Dict[str, Any]:
    kwargs = {}
    for key, value in config.items():
        if key == "name":
            continue
        if isinstance(value, (CallValue, list, tuple, dict)):
            value = to_keras_value(value, _param_kind(key, "layer"))
        kwargs[key] = value
    kwargs["name"] = name
    return kwargs


def _make_layer(layer, spec, cache):
    """The Keras object for one LayerIR."""
    if layer.kind == "model":
        return _build_graph(spec, layer.model, cache, nested=True)
    if layer.kind == "custom":
        entry = custom.get(layer.type)
        if entry is None:
            raise BuildError(f"custom layer `{layer.type}` is not registered "
                             "(register it with graphspec.register_layer before building)")
        kwargs = _layer_kwargs(layer.config, layer.name)
        if not entry.var_kwargs and not any(p[0] == "name" for p in entry.params):
            del kwargs["name"]
            obj = entry.cls(**kwargs)
            obj.name = layer.name
            return obj
        return entry.cls(**kwargs)
    cls = getattr(keras.layers, layer.type, None)
    if not (inspect.isclass(cls) and issubclass(cls, keras.layers.Layer)):
        raise BuildError(f"`{layer.type}` is not a Keras layer class")
    return cls(**_layer_kwargs(layer.config, layer.name))


_BUILDING = object()


def _build_graph(spec, model_name: str, cache: dict, nested: bool = False):
    model = cache.get(model_name)
    if model is not None:
        if model is _BUILDING:
            raise BuildError(f"model `{model_name}` uses itself")
        return model
    ir = spec.models.get(model_name)
    if ir is None:
        raise BuildError(f"the spec has no model `{model_name}`")
    cache[model_name] = _BUILDING

    tensors: List[Any] = [None] * len(ir.tensors)
    inputs = []
    for inp in ir.inputs:
        t = keras.Input(shape=tuple(inp.shape), dtype=inp.dtype, name=inp.name)
        tensors[inp.tensor] = t
        inputs.append(t)

    objects = [None] * len(ir.layers)
    for layer in ir.layers:
        objects[layer.id] = _make_layer(layer, spec, cache)

    for node in ir.nodes:
        obj = objects[node.layer]
        args = [tensors[i] for i in node.inputs]
        if node.call == "attention":
            result = obj(*args)
        elif node.call == "list" or len(args) != 1:
            result = obj(args)
        else:
            result = obj(args[0])
        if isinstance(result, (list, tuple)):
            if len(result) != len(node.outputs):
                raise BuildError(f"layer `{ir.layers[node.layer].name}` returned {len(result)} "
                                 f"tensors; the spec expects {len(node.outputs)}")
            for tid, t in zip(node.outputs, result):
                tensors[tid] = t
        else:
            tensors[node.outputs[0]] = result

    outputs = [tensors[o.tensor] for o in ir.outputs]
    if nested:
        # A model used as a layer takes and returns single tensors when it has one
        # input or output, as when written by hand: a symbolic call of a model
        # built with `outputs=[y]` returns a one-element list.
        model = keras.Model(inputs=inputs[0] if len(inputs) == 1 else inputs,
                            outputs=outputs[0] if len(outputs) == 1 else outputs,
                            name=model_name)
    else:
        model = keras.Model(inputs=inputs, outputs=outputs, name=model_name)

    expected = [o.name for o in ir.outputs]
    if model.output_names != expected:
        raise BuildError(
            f"model `{model_name}`: Keras names the outputs {model.output_names} after the "
            f"layers that produce them, but the spec names them {expected}; the layer "
            "producing each output must be named after the output")
    cache[model_name] = model
    return model


def _convert_settings(settings: Dict[str, Any], kinds: Dict[str, str]) -> Dict[str, Any]:
    return {key: to_keras_value(value, kinds.get(key)) for key, value in settings.items()}


def compile_kwargs(spec, model_name: str) -> Dict[str, Any]:
    """The `compile` block as keyword arguments of keras.Model.compile, objects built."""
    ir = spec.models[model_name]
    if not ir.compile:
        return {}
    settings = kinds.complete_compile(ir.compile, [o.name for o in ir.outputs])
    return _convert_settings(settings, _COMPILE_KINDS)


def build(spec, model_name: Optional[str] = None):
    """The model `model_name` (default: the spec's root) as a keras.Model.

    Inputs and outputs are in spec order and named as in the spec; nested models
    are built once and shared by every use. The model is compiled when the spec
    has a `compile` block.
    """
    model_name = model_name or spec.root
    model = _build_graph(spec, model_name, {})
    if spec.models[model_name].compile is not None:
        model.compile(**compile_kwargs(spec, model_name))
    return model


def fit_kwargs(spec, model_name: Optional[str] = None) -> Dict[str, Any]:
    """The `fit` block as keyword arguments of keras.Model.fit, callbacks built."""
    settings = spec.models[model_name or spec.root].fit
    return _convert_settings(settings, _FIT_KINDS) if settings else {}
