"""The IR: the checked graph the passes build, defined once, here.

These records *are* the intermediate representation. The passes build them, the backends
read them, and `graphspec.ir` writes and reads them as JSON: its Pydantic models (which
validate IR JSON from outside and make `graphspec ir --schema`) are derived from the
annotations below, field by field. Add a field here and it is in the JSON, the loader and
the schema; give it a `_defaults` entry and the loader accepts IR JSON without it.

`graphspec check` stops here, so that a pre-commit run never pays for importing Pydantic.
The annotations are read only by `graphspec.ir`, through `typing.get_type_hints` with
`annotation_names()`.
"""

from __future__ import annotations

from graphspec.record import Record, replace
from graphspec.source import Span

VALUE = "graphspec.value"  # marks a spec value: None, bool, int, float, str, tuple, list, dict, CallValue,
# and in op configs and call-time arguments also slice, Ellipsis and TensorRef

TYPE_CHECKING = False
if TYPE_CHECKING:  # at run time, annotation_names() gives graphspec.ir these names
    from typing import Annotated, Any, Dict, List, Literal, Optional, Set, Tuple

    Value = Annotated[Any, VALUE]  # its JSON form is graphspec.ir's (docs/ir.md, "Values")
    Shape = Optional[Tuple[Optional[int], ...]]  # batch axis first; None: unknown because an earlier step failed


def annotation_names() -> dict:
    """The names the records' annotations use, for typing.get_type_hints (graphspec.ir): `check`
    never imports typing, a tenth of its start-up. Value and Shape as in the block above."""
    from typing import Annotated, Any, Dict, List, Literal, Optional, Set, Tuple

    names = dict(Annotated=Annotated, Any=Any, Dict=Dict, List=List, Literal=Literal, Optional=Optional, Set=Set,
                 Tuple=Tuple)
    names.update(Value=Annotated[Any, VALUE], Shape=Optional[Tuple[Optional[int], ...]])
    return names


class TensorRef(Record):
    """A tensor named as a value: a call-time argument such as `initial_state=(h, c)`."""

    __slots__ = _fields = ("tensor",)
    tensor: int  # its id in Graph.tensors

    def __hash__(self):
        return hash(("tensor", self.tensor))


def tensor_refs(value) -> List[int]:
    """The ids of every TensorRef inside a value, in order."""
    if isinstance(value, TensorRef):
        return [value.tensor]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in tensor_refs(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in tensor_refs(v)]
    return []


class Tensor(Record):
    __slots__ = _fields = ("id", "shape", "dtype", "producer", "index", "name", "span")
    _defaults = {"index": 0, "name": None, "span": None}
    id: int  # its position in Graph.tensors
    shape: Shape
    dtype: str
    producer: Optional[int]  # node id; None for a model input
    index: int  # which output of the producing node
    name: Optional[str]  # the spec name it was first bound to, if any
    span: Optional[Span]


class Layer(Record):
    __slots__ = _fields = ("id", "name", "type", "kind", "config", "span", "shared", "model", "params", "origin",
                           "uses", "scope")
    _defaults = {"span": None, "shared": False, "model": None, "params": (0, 0), "origin": "", "uses": 0,
                 "scope": ()}
    id: int  # its position in Graph.layers
    name: str  # the Keras layer name (unique within the model)
    type: str  # canonical Keras class name, registered custom name, or "Model"
    kind: Literal["layer", "custom", "model", "op"]  # "op": a keras.ops function (type = the op's name)
    config: Dict[str, Value]  # arguments by name, as written (positional ones bound to names)
    span: Optional[Span]
    shared: bool  # declared with `layer NAME = ...`
    model: Optional[str]  # for kind == "model": the nested model's name (its config: {} or {"trainable": False})
    params: Tuple[int, int]  # (trainable, non-trainable)
    origin: str  # the spec name or block path it came from
    uses: int  # how many nodes call it
    scope: Tuple[Tuple[str, str], ...]  # enclosing block expansions, outermost first: (instance, block)

    # The IR has one name for the counts, `params`; these two read it for the backends that
    # used the names of the former Pydantic copy (summary, diff).
    @property
    def trainable_params(self) -> int:
        """params[0]."""
        return self.params[0]

    @property
    def non_trainable_params(self) -> int:
        """params[1]."""
        return self.params[1]


class Node(Record):
    __slots__ = _fields = ("id", "layer", "inputs", "outputs", "call", "span", "arguments")
    _defaults = {"span": None, "arguments": dict}
    _omit_empty = ("arguments",)  # IR JSON leaves `arguments` out when there are none
    id: int  # its position in Graph.nodes (which are in topological order)
    layer: int
    inputs: List[int]
    outputs: List[int]
    call: Literal["single", "list", "attention", "op"]  # how the tensors are handed to the layer
    span: Optional[Span]
    # Call-time keyword arguments (`initial_state`, `mask`, `training`, ...); tensors in them are
    # TensorRefs, and dependencies of the node like its inputs.
    arguments: Dict[str, Value]

    def dependencies(self) -> List[int]:
        """The tensors this node reads: its inputs, then those named in its arguments."""
        return list(self.inputs) + tensor_refs(self.arguments) if self.arguments else list(self.inputs)


class Input(Record):
    __slots__ = _fields = ("name", "tensor", "shape", "dtype", "span")
    _defaults = {"span": None}
    name: str
    tensor: int
    shape: Tuple[Optional[int], ...]  # without the batch axis
    dtype: str
    span: Optional[Span]


class Output(Record):
    __slots__ = _fields = ("name", "tensor", "span")
    _defaults = {"span": None}
    name: str
    tensor: int
    span: Optional[Span]


class Graph(Record):
    """One model, fully expanded."""

    __slots__ = _fields = ("name", "span", "inputs", "outputs", "layers", "nodes", "tensors", "compile", "fit",
                           "extends")
    _defaults = {"span": None, "inputs": list, "outputs": list, "layers": list, "nodes": list, "tensors": list,
                 "compile": None, "fit": None, "extends": None}

    name: str
    span: Optional[Span]
    inputs: List[Input]
    outputs: List[Output]
    layers: List[Layer]  # in creation order
    nodes: List[Node]  # in topological order
    tensors: List[Tensor]
    compile: Optional[Dict[str, Value]]  # Model.compile arguments, merged over `extends`
    fit: Optional[Dict[str, Value]]  # data-free Model.fit arguments
    extends: Optional[str]  # the model it starts from, if any

    def layer(self, layer_id: int) -> Layer:
        """The layer with id `layer_id`."""
        return self.layers[layer_id]

    def tensor(self, tensor_id: int) -> Tensor:
        """The tensor with id `tensor_id`."""
        return self.tensors[tensor_id]

    def live_layers(self) -> List[int]:
        """Ids of the layers the outputs depend on: the ones Keras keeps in the model."""
        _, nodes = upstream(self)
        return sorted({self.nodes[n].layer for n in nodes})

    def param_counts(self) -> Tuple[int, int]:
        """(trainable, non-trainable) as Keras counts them: over the layers the outputs
        depend on (a dead branch is not part of the Keras model), each shared layer once."""
        live = [self.layers[i] for i in self.live_layers()]
        return sum(layer.params[0] for layer in live), sum(layer.params[1] for layer in live)

    def replace(self, **changes) -> "Graph":
        """A shallow copy with some fields changed."""
        return replace(self, **changes)

    def model_copy(self, update: Optional[dict] = None) -> "Graph":
        """`replace(**update)`, under the name the former Pydantic IR had (benchmarks/run.py uses it)."""
        return replace(self, **(update or {}))


def frozen_params(counts: Tuple[int, int]) -> Tuple[int, int]:
    """(trainable, non-trainable) of a frozen layer or model: `trainable=False` makes every weight
    non-trainable (Keras counts them all in `non_trainable_weights`)."""
    return 0, counts[0] + counts[1]


def model_use_params(sub: "Graph", config: Dict[str, Any]) -> Tuple[int, int]:
    """The counts of a nested model's layer: its own, all non-trainable when the use says `trainable=False`."""
    counts = sub.param_counts()
    return frozen_params(counts) if config.get("trainable", True) is False else counts


def upstream(model) -> Tuple[Set[int], Set[int]]:
    """(tensor ids, node ids) the outputs of `model` (a Graph) depend on."""
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
            stack.extend(model.nodes[producer].dependencies())
    return tensors, nodes


class Program(Record):
    """Every model of a spec, checked, and the one that is built."""

    __slots__ = _fields = ("root", "models", "files", "consts")
    _defaults = {"files": list, "consts": dict}

    root: Optional[str]  # the model that is built; None when a file has no single root
    models: Dict[str, Graph]  # by name; a nested model is built from its entry here
    files: List[str]  # the spec files read, the main file last
    consts: Dict[str, Value]  # every const's value, after `--set`

    @property
    def model(self) -> Graph:
        """The root model's graph."""
        if self.root is None:
            raise ValueError("this spec has no root model; choose one with load(..., model=NAME)")
        return self.models[self.root]

    def replace(self, **changes) -> "Program":
        """A shallow copy (of the same class) with some fields changed."""
        return replace(self, **changes)

    def model_copy(self, update: Optional[dict] = None) -> "Program":
        """`replace(**update)`, under the name the former Pydantic IR had (benchmarks/run.py uses it)."""
        return replace(self, **(update or {}))
