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

import importlib
import inspect
from typing import Any, Dict, List, Optional

import keras

from graphspec import custom
from graphspec.backends import kinds
from graphspec import graph as g
from graphspec.catalog import ops, params
from graphspec.catalog.base import UNSAFE_CLASSES, ArgError, CallValue, ShapeError
from graphspec.catalog.layers.applications import MODULE_OF as APPLICATION_MODULES
from graphspec.limits import MAX_PARAMS
from graphspec.passes.layers import ir_param_count
from graphspec.passes.tensor_ops import op_config, tensor_inputs

__all__ = ["build", "build_all", "fit_kwargs", "compile_kwargs", "to_keras_value", "resolve_class", "BuildError"]


class BuildError(ValueError):
    """The IR cannot be built as written (a front-end contract was not met)."""


# Builder kind -> the public Keras module its classes are looked up in (one table: kinds.MODULES).
_MODULES = {kind: importlib.import_module(module) for kind, (_, module) in kinds.MODULES.items()}
# Every class of a kind derives from its base: a name that is something else in its module
# (a function, an alias of another kind) is never called.
_BASES = {
    "layer": keras.layers.Layer,
    "optimizer": keras.optimizers.Optimizer,
    "schedule": keras.optimizers.schedules.LearningRateSchedule,
    "loss": keras.losses.Loss,
    "metric": keras.metrics.Metric,
    "callback": keras.callbacks.Callback,
    "initializer": keras.initializers.Initializer,
    "regularizer": keras.regularizers.Regularizer,
    "constraint": keras.constraints.Constraint,
    "dtype_policy": keras.dtype_policies.DTypePolicy,
}

_class_cache: Dict[tuple, type] = {}


def resolve_class(name: str, kind: str) -> type:
    """The public Keras class `name` of builder kind `kind` ("layer", "initializer", ... : a key of
    graphspec.backends.kinds.MODULES), looked up in that kind's module only; never a class that
    loads or runs code (graphspec.catalog.base.UNSAFE_CLASSES), whatever the IR says."""
    key = (name, kind)
    cls = _class_cache.get(key)
    if cls is not None:
        return cls
    if kind not in _MODULES:
        raise BuildError(f"unknown kind of Keras object `{kind}` for `{name}`")
    if name in UNSAFE_CLASSES:
        raise BuildError(f"`{name}` is refused: it {UNSAFE_CLASSES[name]}; a spec never runs code")
    candidate = None if name.startswith("_") else getattr(_MODULES[kind], name, None)
    if candidate is None and kind == "layer" and name in APPLICATION_MODULES:
        # a serializable layer keras.applications defines (LayerScale, CustomScaleLayer): named in the
        # catalogue, imported from its fixed module, never looked up by a path the spec chose
        candidate = getattr(importlib.import_module(APPLICATION_MODULES[name]), name, None)
    if not (inspect.isclass(candidate) and issubclass(candidate, _BASES[kind])):
        raise BuildError(f"unknown {kind} class `{name}`: no public Keras {kind} class has that name"
                         + _other_keras_note())
    if candidate.__name__ in UNSAFE_CLASSES:  # an alias of a refused class
        raise BuildError(f"`{name}` is refused: it {UNSAFE_CLASSES[candidate.__name__]}; a spec never runs code")
    _class_cache[key] = candidate
    return candidate


def _other_keras_note() -> str:
    """Why a class a checked spec names can be missing: the installed Keras is older than the catalogue's
    (the [keras] extra accepts a range of versions)."""
    from graphspec.catalog.signatures import keras_version

    captured = keras_version()
    if keras.__version__ == captured:
        return ""
    return (f" in the installed Keras {keras.__version__} (graphspec's catalogue comes from Keras {captured}: "
            f"pip install 'keras>={captured}', or see `graphspec layers --coverage` for what differs)")


def _refuse_serialized(value: dict, where: str) -> None:
    # Keras's `get` functions deserialize a dict with a "class_name" from any Keras module; a
    # call is the only way a spec names an object, so such a dict in an IR is refused.
    if "class_name" in value:
        raise BuildError(f"{where}: a dict with a `class_name` key is a serialized Keras object; "
                         "an IR names objects only as calls")


def to_keras_value(value: Any, kind: Optional[str] = None, where: str = "a value") -> Any:
    """A config value with every written call (`CallValue`) made into its Keras object.

    `kind` is the kind of call the value may hold (a key of graphspec.catalog.params.KINDS, as
    `params.call_kind` gives it for the argument); None means no call at all. A call outside the
    kind, to a class that runs code, or with arguments that take no call, is a BuildError: the IR
    may not come from the checker. Lists, tuples and dicts are converted element by element,
    keeping their type; scalars and strings are returned unchanged. `where` names the value in errors.
    """
    if isinstance(value, CallValue):
        return _make_object(value, kind, where)
    if isinstance(value, list):
        return [to_keras_value(v, kind, where) for v in value]
    if isinstance(value, tuple):
        return tuple(to_keras_value(v, kind, where) for v in value)
    if isinstance(value, dict):
        _refuse_serialized(value, where)
        return {k: to_keras_value(v, kind, where) for k, v in value.items()}
    return value


def _make_object(call: CallValue, kind: Optional[str], where: str):
    """The Keras object for one call, after checking its kind as the checker does."""
    if call.callee in UNSAFE_CLASSES:
        raise BuildError(f"{where}: `{call.callee}` is refused: it {UNSAFE_CLASSES[call.callee]}")
    if kind is None:
        raise BuildError(f"{where} takes no call; the IR has a call to `{call.callee}`")
    if kind not in params.KINDS:
        raise BuildError(f"{where}: unknown kind of call `{kind}`")
    info = params.KINDS[kind]
    sig = params.callee_signature(kind, call.callee)
    if sig is None:
        raise BuildError(f"{where} takes {info.what}; `{call.callee}` is not one")
    cls = resolve_class(call.callee, info.builder_kind)
    owner = sig.name if info.layer else sig.kind
    positional = [p.name for p in sig.positional_params]
    if len(call.args) > len(positional):
        raise BuildError(f"{where}: `{call.callee}` takes at most {len(positional)} positional arguments")
    args = [to_keras_value(v, params.call_kind(owner, pname), f"argument `{pname}` of `{call.callee}`")
            for pname, v in zip(positional, call.args)]
    kwargs = {k: to_keras_value(v, params.call_kind(owner, k), f"argument `{k}` of `{call.callee}`")
              for k, v in call.kwargs}
    return cls(*args, **kwargs)


def _layer_kwargs(config: Dict[str, Any], name: str, owner: str) -> Dict[str, Any]:
    kwargs = {}
    for key, value in config.items():
        if key == "name":
            continue
        if isinstance(value, (CallValue, list, tuple, dict)):
            value = to_keras_value(value, params.call_kind(owner, key), f"argument `{key}` of `{owner}`")
        kwargs[key] = value
    kwargs["name"] = name
    return kwargs


class _Budget:
    """The weights built so far against the parameter limit (limits.MAX_PARAMS): an IR is untrusted,
    so its own counts are not believed; each layer is counted from its arguments and the shapes of
    the tensors it is called on, before Keras allocates anything."""

    def __init__(self, limit: int):
        self.limit = limit
        self.total = 0

    def add(self, layer, inputs) -> None:
        if layer.kind != "layer":  # a nested model counts its own layers; a custom layer is trusted code
            return
        try:
            self.total += ir_param_count(layer.type, layer.config, [tuple(t.shape) for t in inputs])
        except (ArgError, ShapeError) as err:
            raise BuildError(f"layer `{layer.name}` ({layer.type}): {err.message}") from None
        if self.total > self.limit:
            raise BuildError(f"layer `{layer.name}` ({layer.type}) brings the model to {self.total:,} parameters, "
                             f"more than the limit of {self.limit:,}; raise it with `max_params=` if the model "
                             "really is this large")


def _make_layer(layer, spec, cache, budget: _Budget):
    """The Keras object for one LayerIR."""
    if layer.kind == "model":
        model = _build_graph(spec, layer.model, cache, budget, nested=True)
        if layer.config.get("trainable", True) is False:
            # `backbone(trainable=False)`: Keras's own freeze, which makes every weight inside
            # non-trainable (and runs its BatchNormalization layers in inference mode).
            model.trainable = False
        return model
    if layer.kind == "custom":
        entry = custom.get(layer.type)
        if entry is None:
            raise BuildError(f"custom layer `{layer.type}` is not registered "
                             "(register it with graphspec.register_layer before building)")
        kwargs = _layer_kwargs(layer.config, layer.name, layer.type)
        if not entry.var_kwargs and not any(p[0] == "name" for p in entry.params):
            del kwargs["name"]
            obj = entry.cls(**kwargs)
            obj.name = layer.name
            return obj
        return entry.cls(**kwargs)
    if params.callee_signature("layers", layer.type) is None:  # the catalogue's layers only, as checked
        raise BuildError(f"`{layer.type}` is not a Keras layer class in graphspec's catalogue")
    cls = resolve_class(layer.type, "layer")
    return cls(**_layer_kwargs(layer.config, layer.name, layer.type))


def _apply_op(layer, args: list):
    """An "op" layer applied: `keras.ops.<entry.keras>` on the KerasTensors (a subscript indexes)."""
    entry = ops.get(layer.type)
    if entry is None:
        raise BuildError(f"`{layer.type}` is not an op of graphspec's catalogue")
    if layer.type == "getitem":
        return args[0][tuple(layer.config["key"])]
    values = tensor_inputs(entry, layer.config, args)
    positional, kwargs = ops.call_args(layer.type, values, op_config(entry, layer.config))
    return getattr(keras.ops, entry.keras)(*positional, **kwargs)


def call_layer(obj, node, args: list, kwargs: dict):
    """Call a Keras layer on `args` by the IR node's call convention, with its call-time keywords."""
    if node.call == "attention":
        return obj(*args, **kwargs)
    if node.call == "list" or len(args) != 1:
        return obj(args, **kwargs)
    return obj(args[0], **kwargs)


def _call_value(value, tensors: list):
    """A call-time argument for Keras: tensor references made the KerasTensors (a tuple a list)."""
    if isinstance(value, g.TensorRef):
        return tensors[value.tensor]
    if isinstance(value, tuple) and any(isinstance(v, g.TensorRef) for v in value):
        return [_call_value(v, tensors) for v in value]
    return value


_BUILDING = object()


def _build_graph(spec, model_name: str, cache: dict, budget: _Budget, nested: bool = False):
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

    objects = [None] * len(ir.layers)  # made at their first call, once their weights are counted
    for node in ir.nodes:
        args = [tensors[i] for i in node.inputs]
        if ir.layers[node.layer].kind == "op":
            result = _apply_op(ir.layers[node.layer], args)
        else:
            obj = objects[node.layer]
            if obj is None:
                layer = ir.layers[node.layer]
                budget.add(layer, args)
                obj = objects[node.layer] = _make_layer(layer, spec, cache, budget)
            result = call_layer(obj, node, args, {k: _call_value(v, tensors) for k, v in node.arguments.items()})
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


def _convert_settings(settings: Dict[str, Any], block: str) -> Dict[str, Any]:
    return {key: to_keras_value(value, params.call_kind(block, key), f"`{key}` in `{block}`")
            for key, value in settings.items()}


def compile_kwargs(spec, model_name: str) -> Dict[str, Any]:
    """The `compile` block as keyword arguments of keras.Model.compile, objects built."""
    ir = spec.models[model_name]
    if not ir.compile:
        return {}
    settings = kinds.complete_compile(ir.compile, [o.name for o in ir.outputs])
    return _convert_settings(settings, params.COMPILE)


def build(spec, model_name: Optional[str] = None, max_params: Optional[int] = None):
    """The model `model_name` (default: the spec's root) as a keras.Model.

    Inputs and outputs are in spec order and named as in the spec; nested models
    are built once and shared by every use. The model is compiled when the spec
    has a `compile` block. A model with more weights than `max_params` (default
    limits.MAX_PARAMS) is refused before the layer that crosses it is made.
    """
    model_name = model_name or spec.root
    model = _build_graph(spec, model_name, {}, _Budget(MAX_PARAMS if max_params is None else max_params))
    if spec.models[model_name].compile is not None:
        model.compile(**compile_kwargs(spec, model_name))
    return model


def build_all(spec, model_names=None, max_params: Optional[int] = None) -> Dict[str, Any]:
    """Several models built together, {name: keras.Model}: `model_names` (default: every model of
    the spec) and the models they use, with one Keras object per model: the `discriminator` nested
    in `gan` is the object returned for `discriminator`.

    Each model is built and compiled (when the spec says so) after the models it uses, so a model
    is compiled before a later one freezes it (`discriminator(trainable=False)` in `gan` sets the
    shared object's flag; see docs/training.md, "A GAN"). A model another one uses is built as a
    nested model is (single tensors for one input or output). `max_params` bounds the weights of
    all of them together.
    """
    order: List[str] = []
    visiting: set = set()

    def visit(name: str) -> None:  # the models `name` uses first; an IR is checked acyclic
        if name in order or name in visiting:
            return
        if name not in spec.models:
            raise BuildError(f"the spec has no model `{name}`")
        visiting.add(name)
        for layer in spec.models[name].layers:
            if layer.kind == "model":
                visit(layer.model)
        order.append(name)

    for name in (list(spec.models) if model_names is None else model_names):
        visit(name)
    nested = {layer.model for name in order for layer in spec.models[name].layers if layer.kind == "model"}
    cache: dict = {}
    budget = _Budget(MAX_PARAMS if max_params is None else max_params)
    models = {}
    for name in order:
        model = models[name] = _build_graph(spec, name, cache, budget, nested=name in nested)
        if spec.models[name].compile is not None:
            model.compile(**compile_kwargs(spec, name))
    return models


def fit_kwargs(spec, model_name: Optional[str] = None) -> Dict[str, Any]:
    """The `fit` block as keyword arguments of keras.Model.fit, callbacks built."""
    settings = spec.models[model_name or spec.root].fit
    return _convert_settings(settings, params.FIT) if settings else {}
