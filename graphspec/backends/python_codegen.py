"""Python source for a spec: readable Keras functional-API code, one statement per step.

The generated module uses only public `keras` APIs and builds the same model as
`Spec.to_keras()` (same layer names, configs and graph), so `get_config()` is equal.
No Keras import here: classes are placed in their public modules through the
captured catalogue.
"""

from __future__ import annotations

import json
import keyword
import math
from pathlib import Path
from typing import Dict, List, Optional

from graphspec import custom
from graphspec.backends import kinds
from graphspec.catalog import signatures
from graphspec.catalog.base import CallValue

_RESERVED = {"keras", "layers", "model", "inputs", "outputs"}


def literal(value) -> str:
    """A Python literal for a config value; strings are escaped by repr."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a double-quoted literal Python reads back exactly
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else 'float("-inf")'
        return repr(value)
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no Python literal for {value!r}")


class _Writer:
    """Writes one module: imports, a function per model, fit settings."""

    def __init__(self, spec):
        self.spec = spec
        self.imports: Dict[str, str] = {}  # class name -> import line, for custom layers

    # values ---------------------------------------------------------------
    def value(self, value, kind: Optional[str]) -> str:
        if isinstance(value, CallValue):
            return self.call(value, kind)
        if isinstance(value, tuple):
            inner = ", ".join(self.value(v, kind) for v in value)
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        if isinstance(value, list):
            return "[" + ", ".join(self.value(v, kind) for v in value) + "]"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{literal(k)}: {self.value(v, kind)}" for k, v in value.items()) + "}"
        return literal(value)

    def qualified(self, name: str, kind: Optional[str]) -> str:
        have = set(signatures.object_kinds_of(name))
        for k in kinds.order(kind):
            catalogue_kind, module = kinds.MODULES[k]
            if catalogue_kind in have:
                canonical = signatures.canonical_layer_name(name) if k == "layer" else name
                return f"{module}.{canonical}"
        registered = custom.get(name)
        if registered is not None:
            return self.custom_class(registered)
        raise ValueError(f"no public Keras class `{name}`")

    def custom_class(self, registered) -> str:
        cls = registered.cls
        self.imports[cls.__name__] = f"from {cls.__module__} import {cls.__qualname__.split('.')[0]}"
        return cls.__qualname__

    def call(self, value: CallValue, kind: Optional[str]) -> str:
        args = [self.value(v, kind) for v in value.args]
        args += [f"{k}={self.value(v, kinds.param_kind(k, kind))}" for k, v in value.kwargs]
        return f"{self.qualified(value.callee, kind)}({', '.join(args)})"

    def layer(self, layer) -> str:
        if layer.kind == "custom":
            ctor = self.custom_class(custom.get(layer.type))
        else:
            ctor = f"layers.{layer.type}"
        sig = signatures.layer_signature(layer.type) if layer.kind == "layer" else None
        required = [p.name for p in sig.params if p.required] if sig else []
        parts = []
        positional = True
        for pname in required:  # required arguments read best positionally: Dense(64, ...)
            if positional and pname in layer.config:
                parts.append(self.value(layer.config[pname], kinds.param_kind(pname, "layer")))
            else:
                positional = False
        done = set(required[: len(parts)])
        for key, value in layer.config.items():
            if key in done or key == "name":
                continue
            parts.append(f"{key}={self.value(value, kinds.param_kind(key, 'layer'))}")
        parts.append(f"name={literal(layer.name)}")
        return f"{ctor}({', '.join(parts)})"

    # models ---------------------------------------------------------------
    def model(self, name: str, nested: bool) -> List[str]:
        ir = self.spec.models[name]
        out = [f"def build_{name}():",
               f'    """Build `{name}` with the Keras functional API'
               + (' (compiled as the spec says)."""' if ir.compile and not nested else '."""')]
        names: Dict[int, str] = {}
        used = set(_RESERVED)

        def var(tensor_id: int, hint: Optional[str]) -> str:
            base = hint or f"t{tensor_id}"
            if keyword.iskeyword(base) or base in _RESERVED:
                base += "_"
            candidate, n = base, 1
            while candidate in used:
                n += 1
                candidate = f"{base}_{n}"
            used.add(candidate)
            names[tensor_id] = candidate
            return candidate

        for inp in ir.inputs:
            v = var(inp.tensor, inp.name)
            out.append(f"    {v} = keras.Input(shape={literal(tuple(inp.shape))}, dtype={literal(inp.dtype)}, "
                       f"name={literal(inp.name)}){_where(inp.span)}")
        objects: Dict[int, str] = {}
        for node in ir.nodes:
            layer = ir.layers[node.layer]
            if layer.kind == "model" or layer.shared:
                obj = objects.get(layer.id)
                if obj is None:  # created where it is first used, then shared
                    obj = var(-1 - layer.id, layer.name + ("_layer" if layer.kind != "model" else ""))
                    made = f"build_{layer.model}()" if layer.kind == "model" else self.layer(layer)
                    out.append(f"    {obj} = {made}{_where(layer.span)}")
                    objects[layer.id] = obj
            else:
                obj = self.layer(layer)
            args = [names[t] for t in node.inputs]
            if node.call == "attention":
                call = f"{obj}({', '.join(args)})"
            elif node.call == "list" or len(args) != 1:
                call = f"{obj}([{', '.join(args)}])"
            else:
                call = f"{obj}({args[0]})"
            hint = layer.name if len(node.outputs) == 1 and layer.kind != "model" and not layer.shared else None
            targets = [var(t, ir.tensors[t].name or hint) for t in node.outputs]
            lhs = targets[0] if len(targets) == 1 else ", ".join(targets)
            out.append(f"    {lhs} = {call}{_where(node.span)}")
        ins = [names[i.tensor] for i in ir.inputs]
        outs = [names[o.tensor] for o in ir.outputs]
        if nested:  # as the builder does: single tensors for one input or output
            ins_text = ins[0] if len(ins) == 1 else f"[{', '.join(ins)}]"
            outs_text = outs[0] if len(outs) == 1 else f"[{', '.join(outs)}]"
        else:
            ins_text, outs_text = f"[{', '.join(ins)}]", f"[{', '.join(outs)}]"
        out.append(f"    model = keras.Model(inputs={ins_text}, outputs={outs_text}, name={literal(name)})")
        if ir.compile and not nested:
            settings = kinds.complete_compile(ir.compile, [o.name for o in ir.outputs])
            args = [f"{k}={self.value(v, kinds.COMPILE_KINDS.get(k))}" for k, v in settings.items()]
            out.append("    model.compile(")
            out.extend(f"        {a}," for a in args)
            out.append("    )")
        out.append("    return model")
        return out

    def module(self, root: str) -> str:
        order: List[str] = []

        def visit(name: str) -> None:
            for layer in self.spec.models[name].layers:
                if layer.kind == "model" and layer.model not in order:
                    visit(layer.model)
            if name not in order:
                order.append(name)

        visit(root)
        bodies = []
        for name in order:
            bodies.append("\n".join(self.model(name, nested=name != root)))
        fit = self.spec.models[root].fit
        fit_lines = ["def fit_kwargs():", '    """The spec\'s `fit` settings as keyword arguments of model.fit."""']
        if fit:
            fit_lines.append("    return {")
            fit_lines.extend(f"        {literal(k)}: {self.value(v, kinds.FIT_KINDS.get(k))},"
                             for k, v in fit.items())
            fit_lines.append("    }")
        else:
            fit_lines.append("    return {}")
        files = ", ".join(Path(f).name for f in self.spec.files[-1:])
        head = [f'"""The model `{root}`, generated by graphspec from {files}.', "",
                "Edit the spec, not this file; regenerate with `graphspec compile SPEC -o FILE.py`.", '"""', "",
                "import keras", "from keras import layers"]
        head.extend(sorted(set(self.imports.values())))
        tail = ["", "", "", 'if __name__ == "__main__":', f"    build_{root}().summary()"]
        return "\n".join(head) + "\n\n\n" + "\n\n\n".join(bodies + ["\n".join(fit_lines)]) + "\n".join(tail) + "\n"


def _where(span) -> str:
    return f"  # {Path(span.file).name}:{span.line}" if span is not None else ""


def generate(spec, model_name: Optional[str] = None) -> str:
    """The Python module that builds `model_name` (default: the root) with Keras."""
    return _Writer(spec).module(model_name or spec.root)
