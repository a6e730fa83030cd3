"""Lints a reviewer would want: mistakes Keras builds and compiles silently and that show only when
`fit` runs (or never). Each is a warning with its code, run on a model that checked clean:

* W301 a loss that cannot fit its output (categorical crossentropy over one unit or on an output
  that is not a softmax, binary crossentropy on a softmax over several units, a per-position
  sparse categorical crossentropy where a per-sample one was meant);
* W302 a mask (`mask_zero=True`, `Masking()`) destroyed by a layer that does not support masking
  (the capture in graphspec/catalog/keras_masking.json says which do);
* W303 a callback `monitor=` naming a quantity the compile block never logs.

Static front end: no Keras import; layer facts come from the captured catalogue.
"""

from __future__ import annotations

from graphspec import graph as g
from graphspec.catalog import masking, params
from graphspec.catalog.base import CallValue
from graphspec.diagnostics import codes
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.source import Span
from graphspec.suggest import did_you_mean
from graphspec.syntax import ast
from graphspec.text import shape_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Iterator, List, Optional, Set, Tuple


def lint(graph: g.Graph, settings: List[ast.SettingsStmt], diags: Diagnostics) -> None:
    """Run every lint over one checked model."""
    losses(graph, settings, diags)
    masks(graph, diags)
    monitors(graph, settings, diags)


# --------------------------------------------------------------------------- where settings are written


def _last_setting(settings: List[ast.SettingsStmt], kind: str, key: str) -> Optional[ast.Setting]:
    for stmt in reversed(settings):
        if stmt.kind == kind:
            for s in stmt.settings:
                if s.key == key:
                    return s
    return None


def _loss_span(settings: List[ast.SettingsStmt], output: str) -> Optional[Span]:
    """Where the loss of `output` is written: its item of a per-output dict, or the single loss."""
    for stmt in reversed(settings):  # dicts merge over `extends`: the nearest block that names it
        if stmt.kind != "compile":
            continue
        for s in stmt.settings:
            if s.key != "loss":
                continue
            if not isinstance(s.value, ast.DictExpr):
                return s.value.span
            for (k, _), v in zip(s.value.keys, s.value.values):
                if k == output:
                    return v.span
    return None


# --------------------------------------------------------------------------- W301: losses


# loss name or class -> (family, the loss class whose signature says its arguments)
_LOSS_FAMILIES: Dict[str, Tuple[str, str]] = {
    "categorical_crossentropy": ("categorical", "CategoricalCrossentropy"),
    "CategoricalCrossentropy": ("categorical", "CategoricalCrossentropy"),
    "categorical_focal_crossentropy": ("categorical", "CategoricalFocalCrossentropy"),
    "CategoricalFocalCrossentropy": ("categorical", "CategoricalFocalCrossentropy"),
    "sparse_categorical_crossentropy": ("sparse", "SparseCategoricalCrossentropy"),
    "SparseCategoricalCrossentropy": ("sparse", "SparseCategoricalCrossentropy"),
    "binary_crossentropy": ("binary", "BinaryCrossentropy"),
    "bce": ("binary", "BinaryCrossentropy"),
    "BinaryCrossentropy": ("binary", "BinaryCrossentropy"),
    "BCE": ("binary", "BinaryCrossentropy"),
    "binary_focal_crossentropy": ("binary", "BinaryFocalCrossentropy"),
    "BinaryFocalCrossentropy": ("binary", "BinaryFocalCrossentropy"),
}
# Activations whose outputs along the last axis are a probability distribution.
_DISTRIBUTIONS = frozenset({"softmax", "sparsemax"})
# Layers whose output is their activation of the input, by class: the argument that names it.
_ACTIVATION_LAYERS = {"Activation": "activation", "Softmax": None}


def _loss_call(value) -> Optional[Tuple[str, str, bool]]:
    """(family, written name, from_logits) of a crossentropy loss; None for any other loss."""
    name = value.callee if isinstance(value, CallValue) else value
    if not isinstance(name, str) or name not in _LOSS_FAMILIES:
        return None
    family, cls = _LOSS_FAMILIES[name]
    from_logits = False
    if isinstance(value, CallValue):
        sig = params.callee_signature("losses", cls)
        config = dict(zip([p.name for p in sig.positional_params], value.args)) if sig else {}
        config.update(dict(value.kwargs))
        from_logits = config.get("from_logits", False) is True
    return family, name, from_logits


def final_activation(graph: g.Graph, tensor: int) -> Optional[str]:
    """The activation that produced `tensor` ("linear" for none), or None when it is not known."""
    producer = graph.tensors[tensor].producer
    if producer is None:
        return None
    layer = graph.layers[graph.nodes[producer].layer]
    if layer.kind != "layer":
        return None
    if layer.type in _ACTIVATION_LAYERS:
        arg = _ACTIVATION_LAYERS[layer.type]
        value = "softmax" if arg is None else layer.config.get(arg)
    else:
        sig = params.callee_signature("layers", layer.type)
        param = sig.param("activation") if sig else None
        if param is None:
            return None
        value = layer.config.get("activation", param.default)
    if value is None:
        return "linear"
    return value if isinstance(value, str) else None


def _producer_type(graph: g.Graph, tensor: int) -> Optional[str]:
    producer = graph.tensors[tensor].producer
    return None if producer is None else graph.layers[graph.nodes[producer].layer].type


def losses(graph: g.Graph, settings: List[ast.SettingsStmt], diags: Diagnostics) -> None:
    """W301: a crossentropy loss that cannot fit the output it is given."""
    loss = (graph.compile or {}).get("loss")
    for out in graph.outputs:
        value = loss.get(out.name) if isinstance(loss, dict) else loss
        found = _loss_call(value)
        shape = graph.tensors[out.tensor].shape
        if found is None or not shape:
            continue
        family, name, from_logits = found
        problem = _loss_problem(family, name, from_logits, shape, final_activation(graph, out.tensor),
                                _producer_type(graph, out.tensor), out.name)
        if problem:
            message, help_ = problem
            diags.warning(codes.W301, message, _loss_span(settings, out.name) or out.span, label="loss does not fit",
                          help=help_)


def _loss_problem(family: str, name: str, from_logits: bool, shape, activation: Optional[str],
                  producer: Optional[str], output: str) -> Optional[Tuple[str, str]]:
    """(message, help) when a crossentropy `name` of `family` cannot fit the output, else None."""
    units = shape[-1]
    where = f"output `{output}` of shape {shape_text(shape)}"
    if family in ("categorical", "sparse") and units == 1:
        return (f"`{name}` on {where}: a distribution over one unit is always 1, so the loss is always 0 "
                "and nothing is learnt",
                "for two classes use `binary_crossentropy` with `activation=\"sigmoid\"`; for more, give the "
                "last layer one unit per class with `activation=\"softmax\"`")
    if family in ("categorical", "sparse") and activation is not None:
        if not from_logits and activation not in _DISTRIBUTIONS:
            return (f"`{name}` expects probabilities, but {where} comes from activation `{activation}`",
                    "end with `activation=\"softmax\"`, or give the loss logits: "
                    f"`{_LOSS_FAMILIES[name][1]}(from_logits=True)`")
        if from_logits and activation in _DISTRIBUTIONS:
            return (f"`{name}` has `from_logits=True`, but {where} is already a `{activation}`: "
                    "it would be applied twice",
                    f"drop `from_logits=True`, or remove `activation=\"{activation}\"` from the last layer")
    if family == "sparse" and len(shape) >= 4 and producer == "Dense":
        inner = shape_text(("N",) + tuple(shape[1:-1]))
        return (f"`{name}` on {where} scores a class at each of its {shape_text(shape[1:-1])} positions: the "
                f"targets must be class ids of shape {inner}",
                "for one class per sample, reduce the feature map before the Dense (`Flatten()` or "
                "`GlobalAveragePooling2D()`)")
    if family == "binary" and activation in _DISTRIBUTIONS and isinstance(units, int) and units > 1:
        return (f"`{name}` on {where}, a `{activation}` over {units} units: the units compete (they sum to 1) "
                "while binary crossentropy scores each as an independent yes/no",
                "for one class per sample use `categorical_crossentropy` (or `sparse_categorical_crossentropy` "
                "with class ids); for several labels per sample use `activation=\"sigmoid\"`")
    return None


# --------------------------------------------------------------------------- W302: masks


# Layers that create a mask, and the argument that turns it on (None: always).
_MASK_SOURCES = {"Embedding": "mask_zero", "ReversibleEmbedding": "mask_zero", "Masking": None}


def _flag(layer: g.Layer, arg: Optional[str]) -> bool:
    if arg is None:
        return True
    sig = params.callee_signature("layers", layer.type)
    param = sig.param(arg) if sig else None
    return layer.config.get(arg, param.default if param else False) is True


def masks(graph: g.Graph, diags: Diagnostics) -> None:
    """W302: a mask reaching a layer that does not support masking, which Keras drops with a warning."""
    masked: Dict[int, int] = {}  # tensor id -> the node that made its mask
    for node in graph.nodes:
        layer = graph.layers[node.layer]
        sources = [masked[t] for t in node.inputs if t in masked]
        if layer.kind != "layer":  # ops, nested models, custom layers: not followed
            continue
        if layer.type in _MASK_SOURCES and _flag(layer, _MASK_SOURCES[layer.type]):
            masked.update({t: node.id for t in node.outputs})
            continue
        if not sources:
            continue
        support = masking.supports(layer.type)
        if isinstance(support, str) and support != masking.UNKNOWN:
            support = _flag(layer, support)
        if support is False:
            source = graph.layers[graph.nodes[sources[0]].layer]
            diags.warning(codes.W302, f"`{layer.type}` does not support masking: the mask made by "
                                  f"`{source.name}` ({source.type}) is destroyed here, and the layers after it "
                                  "treat the padded positions as data", node.span, label="mask destroyed",
                          help="reduce or transform the sequence with a layer that supports masking (e.g. "
                               "`GlobalAveragePooling1D()`, `LSTM(...)`) before this one, or remove the mask "
                               "if padding need not be ignored",
                          notes=[f"the mask is made at {source.span}"] if source.span else None)
        elif support is True and masking.passes_mask(layer.type):
            masked.update({t: sources[0] for t in node.outputs})


# --------------------------------------------------------------------------- W303: monitor names


def _metric_names(value) -> Optional[List[str]]:
    """The names Keras logs a metrics setting's entries under (see compile_utils.get_metric), or None
    when one cannot be known."""
    names: List[str] = []
    for item in (value if isinstance(value, (list, tuple)) else [value]):
        if isinstance(item, str):
            names.append(item)
            continue
        if not isinstance(item, CallValue):
            return None
        sig = params.callee_signature("metrics", item.callee)
        if sig is None:
            return None
        config = dict(zip([p.name for p in sig.positional_params], item.args))
        config.update(dict(item.kwargs))
        param = sig.param("name")
        name = config.get("name", param.default if param else None)
        if not isinstance(name, str):
            return None
        names.append(name)
    return names


def logged_names(graph: g.Graph) -> Optional[Set[str]]:
    """Every quantity `fit` logs for the model's compile block (val_ ones included), or None when
    some cannot be known statically."""
    compiled = graph.compile or {}
    outputs = [o.name for o in graph.outputs]
    several = len(outputs) > 1
    loss = compiled.get("loss")
    trained = [o for o in outputs if (loss.get(o) if isinstance(loss, dict) else loss) is not None]
    names = {"loss"}
    if several and len(trained) > 1:
        names |= {f"{o}_loss" for o in trained}
    for key in ("metrics", "weighted_metrics"):
        value = compiled.get(key)
        if value is None:
            continue
        per_output = value if isinstance(value, dict) else {o: value for o in outputs}
        for out, items in per_output.items():
            found = _metric_names(items)
            if found is None:
                return None
            for n in found:
                # Keras renames a weighted metric that clashes with a metric `weighted_NAME`
                forms = [n, f"weighted_{n}"] if key == "weighted_metrics" else [n]
                names |= {f"{out}_{f}" if several else f for f in forms}
    return names | {f"val_{n}" for n in names}


def _callbacks(graph: g.Graph, settings: List[ast.SettingsStmt]) -> Iterator[Tuple[CallValue, ast.Call]]:
    """Each written callback call with the expression it was written as (a list item)."""
    callbacks = (graph.fit or {}).get("callbacks")
    s = _last_setting(settings, "fit", "callbacks")  # lists do not merge: the nearest block's is the value
    if not callbacks or s is None or not isinstance(s.value, ast.ListExpr) or len(s.value.items) != len(callbacks):
        return
    for call, item in zip(callbacks, s.value.items):
        if isinstance(call, CallValue) and isinstance(item, ast.Call):
            yield call, item


def monitors(graph: g.Graph, settings: List[ast.SettingsStmt], diags: Diagnostics) -> None:
    """W303: a callback watching a quantity that is never logged (Keras only warns each epoch)."""
    if graph.compile is None:
        return
    known = None
    for call, item in _callbacks(graph, settings):
        monitor = dict(call.kwargs).get("monitor")
        expr = next((kw.value for kw in item.kwargs if kw.name == "monitor"), None)
        if not isinstance(monitor, str) or expr is None:
            continue
        if known is None:
            known = logged_names(graph)
            if known is None:
                return
        if monitor in known:
            continue
        ordered = sorted(known, key=lambda n: (n.startswith("val_"), n))
        plain = [n for n in ordered if not n.startswith("val_")]
        diags.warning(codes.W303, f"`{call.callee}` monitors \"{monitor}\", which training never logs; it logs "
                              f"({', '.join(f'{chr(34)}{n}{chr(34)}' for n in plain)}), each also as "
                              "\"val_NAME\" with validation data", expr.span, label="never logged",
                      help=did_you_mean(monitor, ordered) or "monitor one of the logged quantities, or add "
                                                               "the metric to `compile { metrics = [...] }`")
