"""The checked graph the passes build: plain classes, cheap to create.

`graphspec check` stops here, so that a pre-commit run never pays for importing
Pydantic; `graphspec.ir` turns a checked Program into the Pydantic IR that the
API returns and the backends consume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from graphspec.source import Span

Shape = Optional[Tuple[Optional[int], ...]]  # None: unknown because an earlier step failed


@dataclass
class Tensor:
    id: int
    shape: Shape
    dtype: str
    producer: Optional[int]  # node id; None for a model input
    index: int = 0  # which output of the producing node
    name: Optional[str] = None  # the spec name it was first bound to, if any
    span: Optional[Span] = None


@dataclass
class Layer:
    id: int
    name: str  # the Keras layer name (unique within the model)
    type: str  # canonical Keras class name, registered custom name, or "Model"
    kind: str  # "layer", "custom" or "model"
    config: Dict[str, Any]  # arguments by name, as written (positional ones bound to names)
    span: Optional[Span]
    shared: bool = False  # declared with `layer NAME = ...`
    model: Optional[str] = None  # for kind == "model": the nested model's name
    params: Tuple[int, int] = (0, 0)  # (trainable, non-trainable)
    origin: str = ""  # the spec name or block path it came from
    uses: int = 0


@dataclass
class Node:
    id: int
    layer: int
    inputs: List[int]
    outputs: List[int]
    call: str  # "single", "list" or "attention"
    span: Optional[Span]


@dataclass
class Input:
    name: str
    tensor: int
    shape: Tuple[Optional[int], ...]  # without the batch axis
    dtype: str
    span: Optional[Span]


@dataclass
class Output:
    name: str
    tensor: int
    span: Optional[Span]


@dataclass
class Graph:
    """One model, fully expanded."""

    name: str
    span: Optional[Span]
    inputs: List[Input] = field(default_factory=list)
    outputs: List[Output] = field(default_factory=list)
    layers: List[Layer] = field(default_factory=list)
    nodes: List[Node] = field(default_factory=list)
    tensors: List[Tensor] = field(default_factory=list)
    compile: Optional[Dict[str, Any]] = None
    fit: Optional[Dict[str, Any]] = None
    extends: Optional[str] = None

    def param_counts(self) -> Tuple[int, int]:
        """(trainable, non-trainable) over every layer, each shared layer once."""
        t = sum(layer.params[0] for layer in self.layers)
        n = sum(layer.params[1] for layer in self.layers)
        return t, n


@dataclass
class Program:
    """Every model of a spec, checked, and the one that is built."""

    root: Optional[str]
    models: Dict[str, Graph]
    files: List[str]
    consts: Dict[str, Any]
