"""The checked graph the passes build: plain classes, cheap to create.

`graphspec check` stops here, so that a pre-commit run never pays for importing
Pydantic; `graphspec.ir` turns a checked Program into the Pydantic IR that the
API returns and the backends consume.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

from graphspec.record import Record
from graphspec.source import Span

Shape = Optional[Tuple[Optional[int], ...]]  # None: unknown because an earlier step failed


class Tensor(Record):
    __slots__ = _fields = ("id", "shape", "dtype", "producer", "index", "name", "span")
    _defaults = {"index": 0, "name": None, "span": None}
    id: int
    shape: Shape
    dtype: str
    producer: Optional[int]  # node id; None for a model input
    index: int  # which output of the producing node
    name: Optional[str]  # the spec name it was first bound to, if any
    span: Optional[Span]


class Layer(Record):
    __slots__ = _fields = ("id", "name", "type", "kind", "config", "span", "shared", "model", "params", "origin",
                           "uses", "scope")
    _defaults = {"shared": False, "model": None, "params": (0, 0), "origin": "", "uses": 0, "scope": ()}
    id: int
    name: str  # the Keras layer name (unique within the model)
    type: str  # canonical Keras class name, registered custom name, or "Model"
    kind: str  # "layer", "custom" or "model"
    config: Dict[str, Any]  # arguments by name, as written (positional ones bound to names)
    span: Optional[Span]
    shared: bool  # declared with `layer NAME = ...`
    model: Optional[str]  # for kind == "model": the nested model's name
    params: Tuple[int, int]  # (trainable, non-trainable)
    origin: str  # the spec name or block path it came from
    uses: int
    scope: Tuple[Tuple[str, str], ...]  # enclosing block expansions, outermost first: (instance, block)


class Node(Record):
    __slots__ = _fields = ("id", "layer", "inputs", "outputs", "call", "span")
    id: int
    layer: int
    inputs: List[int]
    outputs: List[int]
    call: str  # "single", "list" or "attention"
    span: Optional[Span]


class Input(Record):
    __slots__ = _fields = ("name", "tensor", "shape", "dtype", "span")
    name: str
    tensor: int
    shape: Tuple[Optional[int], ...]  # without the batch axis
    dtype: str
    span: Optional[Span]


class Output(Record):
    __slots__ = _fields = ("name", "tensor", "span")
    name: str
    tensor: int
    span: Optional[Span]


class Graph(Record):
    """One model, fully expanded."""

    __slots__ = _fields = ("name", "span", "inputs", "outputs", "layers", "nodes", "tensors", "compile", "fit", "extends")
    _defaults = {"inputs": list, "outputs": list, "layers": list, "nodes": list, "tensors": list, "compile": None, "fit": None, "extends": None}

    name: str
    span: Optional[Span]
    inputs: List[Input]
    outputs: List[Output]
    layers: List[Layer]
    nodes: List[Node]
    tensors: List[Tensor]
    compile: Optional[Dict[str, Any]]
    fit: Optional[Dict[str, Any]]
    extends: Optional[str]

    def live_layers(self) -> List[int]:
        """Ids of the layers the outputs depend on: the ones Keras keeps in the model."""
        _, nodes = upstream(self)
        return sorted({self.nodes[n].layer for n in nodes})

    def param_counts(self) -> Tuple[int, int]:
        """(trainable, non-trainable) as Keras counts them: over the layers the outputs
        depend on (a dead branch is not part of the Keras model), each shared layer once."""
        live = [self.layers[i] for i in self.live_layers()]
        return sum(layer.params[0] for layer in live), sum(layer.params[1] for layer in live)


def upstream(model) -> Tuple[Set[int], Set[int]]:
    """(tensor ids, node ids) the outputs of `model` depend on.

    Works on a Graph and on the Pydantic ModelIR alike (both have outputs, tensors with
    a producer, nodes with inputs)."""
    tensors: Set[int] = set()
    nodes: Set[int] = set()
    stack = [o.tensor for o in model.outputs]
    while stack:
        t = stack.pop()
        if t in tensors:
            continue
        tensors.add(t)
        producer = model.tensors[t].producer
        if producer is not None:
            nodes.add(producer)
            stack.extend(model.nodes[producer].inputs)
    return tensors, nodes


class Program(Record):
    """Every model of a spec, checked, and the one that is built."""

    __slots__ = _fields = ("root", "models", "files", "consts")

    root: Optional[str]
    models: Dict[str, Graph]
    files: List[str]
    consts: Dict[str, Any]
