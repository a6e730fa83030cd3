"""The checked program as Pydantic models: what the API returns and backends consume."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Literal, Optional, Tuple

from pydantic import BaseModel, ConfigDict, field_serializer

from graphspec.catalog.base import CallValue
from graphspec.graph import Program, upstream


def _plain(value: Any) -> Any:
    """A config value as JSON-ready data: calls become {"call", "args", "kwargs"}."""
    if isinstance(value, CallValue):
        return {
            "call": value.callee,
            "args": [_plain(v) for v in value.args],
            "kwargs": {k: _plain(v) for k, v in value.kwargs},
        }
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class SpanIR(_Frozen):
    file: str
    line: int
    col: int
    end_line: int
    end_col: int


class TensorIR(_Frozen):
    id: int
    shape: Optional[Tuple[Optional[int], ...]]  # batch axis first
    dtype: str
    producer: Optional[int]  # node id; None for a model input
    index: int = 0
    name: Optional[str] = None


class LayerIR(_Frozen):
    id: int
    name: str  # the Keras layer name
    type: str  # Keras class name (or the registered custom name, or "Model")
    kind: Literal["layer", "custom", "model"]
    config: Dict[str, Any]  # constructor arguments by name; calls as CallValue
    shared: bool = False
    model: Optional[str] = None  # kind == "model": which model of the spec
    trainable_params: int = 0
    non_trainable_params: int = 0
    origin: str = ""
    scope: List[Tuple[str, str]] = []  # enclosing block expansions, outermost first: (instance, block)
    span: Optional[SpanIR] = None

    @field_serializer("config")
    def _config_json(self, config: Dict[str, Any]):
        return _plain(config)


class NodeIR(_Frozen):
    id: int
    layer: int
    inputs: List[int]
    outputs: List[int]
    call: Literal["single", "list", "attention"]
    span: Optional[SpanIR] = None


class InputIR(_Frozen):
    name: str
    tensor: int
    shape: Tuple[Optional[int], ...]  # without the batch axis
    dtype: str
    span: Optional[SpanIR] = None


class OutputIR(_Frozen):
    name: str
    tensor: int
    span: Optional[SpanIR] = None


class ModelIR(_Frozen):
    name: str
    inputs: List[InputIR]
    outputs: List[OutputIR]
    layers: List[LayerIR]  # in creation order
    nodes: List[NodeIR]  # in topological order
    tensors: List[TensorIR]
    compile: Optional[Dict[str, Any]] = None
    fit: Optional[Dict[str, Any]] = None
    span: Optional[SpanIR] = None

    @field_serializer("compile", "fit")
    def _settings_json(self, value):
        return _plain(value) if value is not None else None

    def layer(self, layer_id: int) -> LayerIR:
        return self.layers[layer_id]

    def tensor(self, tensor_id: int) -> TensorIR:
        return self.tensors[tensor_id]

    def param_counts(self) -> Tuple[int, int]:
        """(trainable, non-trainable) parameters as Keras counts them: over the layers the
        outputs depend on (a dead branch is not part of the Keras model), each shared layer once."""
        live = {self.nodes[n].layer for n in upstream(self)[1]}
        layers = [self.layers[i] for i in sorted(live)]
        return (sum(l.trainable_params for l in layers),
                sum(l.non_trainable_params for l in layers))


class Spec(_Frozen):
    """A checked spec: every model in it, and the root model that is built."""

    root: Optional[str]
    models: Dict[str, ModelIR]
    files: List[str]
    consts: Dict[str, Any]

    @property
    def model(self) -> ModelIR:
        """The root model's IR."""
        if self.root is None:
            raise ValueError("this spec has no root model; choose one with load(..., model=NAME)")
        return self.models[self.root]

    def to_keras(self, model: Optional[str] = None):
        """Build the root model (or `model`) as a keras.Model, compiled if the spec says so."""
        from graphspec.backends.keras_builder import build

        return build(self, model or self.root)

    def fit_kwargs(self, model: Optional[str] = None) -> dict:
        """The `fit` block as keyword arguments for keras.Model.fit, callbacks built."""
        from graphspec.backends.keras_builder import fit_kwargs

        return fit_kwargs(self, model or self.root)

    def summary(self, model: Optional[str] = None) -> dict:
        """Static summary: layers with output shapes and parameter counts."""
        from graphspec.backends.summary import summarize

        return summarize(self, model or self.root)

    def to_python(self, model: Optional[str] = None) -> str:
        """Python source that builds the model with Keras (what `graphspec compile -o m.py` writes)."""
        from graphspec.backends.python_codegen import generate

        return generate(self, model or self.root)

    def to_mermaid(self, model: Optional[str] = None, expand: bool = False) -> str:
        """The model as a Mermaid flowchart."""
        from graphspec.backends import plot

        return plot.to_mermaid(self, model or self.root, expand)

    def to_dot(self, model: Optional[str] = None, expand: bool = False) -> str:
        """The model as Graphviz DOT text."""
        from graphspec.backends import plot

        return plot.to_dot(self, model or self.root, expand)

    def _repr_svg_(self):
        """Jupyter: the root model's picture as SVG when Graphviz is installed."""
        from graphspec.backends import plot

        try:
            return plot.render(plot.to_dot(self), "svg").decode("utf-8")
        except (plot.GraphvizMissing, RuntimeError):
            return None

    def _repr_markdown_(self):
        """Jupyter without Graphviz: the root model as a Mermaid diagram."""
        from graphspec.backends import plot

        return "```mermaid\n" + plot.to_mermaid(self) + "```\n"

    def to_json(self, indent: int = 2) -> str:
        """The IR as JSON."""
        return json.dumps(self.model_dump(mode="json"), indent=indent)


def _span(span) -> Optional[SpanIR]:
    return SpanIR(**span.to_dict()) if span is not None else None


def from_program(program: Program) -> Spec:
    """Convert the passes' checked Program to the Pydantic IR."""
    models = {}
    for name, g in program.models.items():
        models[name] = ModelIR(
            name=g.name,
            span=_span(g.span),
            inputs=[InputIR(name=i.name, tensor=i.tensor, shape=i.shape, dtype=i.dtype, span=_span(i.span))
                    for i in g.inputs],
            outputs=[OutputIR(name=o.name, tensor=o.tensor, span=_span(o.span)) for o in g.outputs],
            layers=[LayerIR(id=l.id, name=l.name, type=l.type, kind=l.kind, config=l.config,
                            shared=l.shared, model=l.model, trainable_params=l.params[0],
                            non_trainable_params=l.params[1], origin=l.origin, scope=list(l.scope),
                            span=_span(l.span))
                    for l in g.layers],
            nodes=[NodeIR(id=n.id, layer=n.layer, inputs=n.inputs, outputs=n.outputs, call=n.call,
                          span=_span(n.span)) for n in g.nodes],
            tensors=[TensorIR(id=t.id, shape=t.shape, dtype=t.dtype, producer=t.producer, index=t.index,
                              name=t.name) for t in g.tensors],
            compile=g.compile,
            fit=g.fit,
        )
    return Spec(root=program.root, models=models, files=program.files, consts=program.consts)


def json_schema() -> dict:
    """The JSON Schema of the IR (`graphspec ir --schema`)."""
    return Spec.model_json_schema(mode="serialization")
