"""Import a Keras model as .gspec text: `from_keras(model) -> str`.

The inverse of `keras_builder`: an existing functional or Sequential
`keras.Model` becomes an idiomatic spec that `graphspec.loads(text).to_keras()`
builds again with the same layers, the same weights layout and so the same
outputs once the weights are copied over.

What the spec looks like:

* one `model` per Keras model; a nested model (a functional or Sequential
  model used as a layer) becomes its own `model` definition, written before the
  model that uses it and used by name (every use shares its weights, as in
  Keras);
* `input NAME: SHAPE [DTYPE]` per model input, named after its `InputLayer`;
* chains, not one line per layer: a single-consumer path of one-input layers is
  one chain; a name is bound only where a tensor fans out (several consumers),
  where a layer has several outputs (destructured: `a, b = x -> ...`), or where a
  long branch feeds a merge. Bindings are named after the Keras layer that
  produced the tensor;
* merges take tuple sources, `(a, x -> Conv2D(64, 1)) -> Add()`; short branches
  (up to three steps) are written inline in the tuple;
* a layer called several times in one model (weights shared) is declared once,
  `layer NAME = ...`, and used by name;
* outputs are `output NAME = ...` lines named after `model.output_names`, in
  order;
* constructor arguments come from `layer.get_config()` with every argument that
  Keras would derive by itself left out: an argument is written only when
  building the layer without it gives a different config (so `use_bias=True`,
  `activation="linear"`, `data_format="channels_last"` or a default initializer
  never appear, and `MaxPooling2D(3, strides=2)` keeps its `strides`). Nested
  objects - initializers, regularizers, constraints, the inner layer of
  `Bidirectional`/`TimeDistributed` - are written as calls, `L2(0.0001)`,
  `LSTM(16, return_sequences=True)`. Every layer name that is not Keras's
  automatic one is kept as `name="..."` (`keep_names=False` lets the spec's naming
  rules name the rebuilt layers); `trainable=False` and a non-default
  `dtype` are;
* a compiled model gets a `compile` block from `model.get_compile_config()`,
  objects as calls with their non-default arguments.

Whatever a spec cannot say - a `Lambda`, an unregistered custom layer, a
`TFSMLayer`, a Keras layer class outside graphspec's catalogue, a `keras.ops`
operation outside graphspec's ops catalogue, a call argument that is not one of the
layer's call-time keywords, an input with a fixed batch size - is never dropped:
every such layer is listed, by name and class, in one `KerasImportError`.

Keras's op nodes (`x + y`, `x * 0.5`, `-x`, `x[:, 0]`, `keras.ops.mean(x, axis=1)`) become
spec expressions: the operators `+ - * / // % ** @`, unary minus and subscripts where Keras
recorded one (a number operand written in place), `x -> ops.NAME(...)` steps otherwise
(a tuple source for several tensors). Call-time keywords of a layer call
(`initial_state`, `mask`, `training`, `use_causal_mask`, `return_attention_scores`, ...) become
the step's second parenthesis, `LSTM(8)(initial_state=(h, c))`; their tensors are bound by name.

Like `keras_builder`, this module imports Keras; nothing outside
`graphspec.backends` does.
"""

from __future__ import annotations

import copy
import inspect
import json
import math
import re
import struct
import zipfile
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import keras
import numpy as np

from graphspec import custom, limits
from graphspec.catalog import calls as call_catalog
from graphspec.catalog import ops as op_catalog
from graphspec.catalog import registry, signatures
from graphspec.catalog.ops import keras_classes
from graphspec.catalog.base import ATTENTION, LIST
from graphspec.catalog.params import NAME_PATTERN
from graphspec.passes.scope import model_name_problem
from graphspec.syntax import ast
from graphspec.syntax.format import flat_expr, format_tree, subscript_item
from graphspec.text import safe_text

__all__ = ["from_keras", "load_keras_file", "KerasImportError", "KerasFileError", "ImportProblem"]

INLINE_STEPS = 3  # a merge input made of at most this many steps is written inside the tuple

# Names a spec cannot use for a binding, a layer or a model.
_RESERVED = frozenset(
    "model block input layer output compile fit const import repeat True False None extends as "
    "float16 bfloat16 float32 float64 int8 int16 int32 int64 uint8 bool string".split()
)
_SPEC_DTYPES = frozenset("float16 bfloat16 float32 float64 int8 int16 int32 int64 uint8 bool string".split())
_MAX_INT = 2 ** 53

# Parameters whose uniform tuples Keras builds from a single int: `(3, 3)` is written `3`.
_COLLAPSE = {"kernel_size", "strides", "pool_size", "dilation_rate"}
_COLLAPSE_BY_CLASS = (("UpSampling", "size"), ("ZeroPadding", "padding"), ("Cropping", "cropping"),
                      ("Normalization", "axis"))  # Normalization keeps `axis=3` as `(3,)`
# Optional first parameters that read best positionally: `MaxPooling2D(3)`, `ZeroPadding2D(1)`.
_LEADING = {"pool_size", "size", "padding", "cropping"}

# Layers whose config Keras completes when the layer is built (`LayerNormalization`'s `axis`
# becomes a list, `MultiHeadAttention`'s `attention_axes` a tuple): their defaults are found by
# building the reference layer on the same input shapes.
_BUILD_RESOLVED = frozenset({"LayerNormalization", "RMSNormalization", "MultiHeadAttention",
                             "GroupQueryAttention"})
# Arguments of an inner layer that its wrapper sets by itself.
_WRAPPER_MANAGED = {"Bidirectional": ("zero_output_for_mask",)}

# Where a serialized object's "module" says it comes from -> (graphspec kind, Keras module).
_OBJECT_MODULES = {
    "keras.initializers": ("initializers", keras.initializers),
    "keras.regularizers": ("regularizers", keras.regularizers),
    "keras.constraints": ("constraints", keras.constraints),
    "keras.optimizers": ("optimizers", keras.optimizers),
    "keras.optimizers.schedules": ("learning_rate_schedules", keras.optimizers.schedules),
    "keras.losses": ("losses", keras.losses),
    "keras.metrics": ("metrics", keras.metrics),
}
_PARAM_SUFFIX_KINDS = (("_initializer", "initializers"), ("_regularizer", "regularizers"),
                       ("_constraint", "constraints"))

# `Model.compile` arguments and the values that need not be written.
_COMPILE_KEYS = ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly",
                 "steps_per_execution", "jit_compile", "auto_scale_loss")
_COMPILE_DEFAULTS = {"loss": None, "loss_weights": None, "metrics": None, "weighted_metrics": None,
                     "run_eagerly": False, "steps_per_execution": 1, "jit_compile": "auto",
                     "auto_scale_loss": True}


# =========================================================================== errors


@dataclass(frozen=True)
class ImportProblem:
    """One layer (or input) that a spec cannot express."""

    model: str  # the Keras model it belongs to
    layer: str  # the Keras layer (or input) name
    cls: str  # its class name
    reason: str

    def __str__(self) -> str:
        return f"`{self.layer}` ({self.cls}) in model `{self.model}`: {self.reason}"


class KerasImportError(ValueError):
    """The Keras model has layers that a .gspec file cannot express; `problems` lists each."""

    def __init__(self, problems: List[ImportProblem]):
        self.problems = list(problems)
        n = len(self.problems)
        lines = [f"cannot import the Keras model: {n} layer{'s' if n != 1 else ''} "
                 f"cannot be written in a spec"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class _Unsupported(Exception):
    """A value or layer config that has no spec syntax (the reason is the message)."""


# =========================================================================== values


_NODES = (ast.Literal, ast.Ref, ast.BinOp, ast.Neg, ast.TupleExpr, ast.ListExpr, ast.DictExpr, ast.Call)


def _lit(value) -> ast.Literal:
    """A literal node without a span: the importer's trees are laid out by format_tree."""
    return ast.Literal(value, None)


def _float_node(value: float):
    """The node of a float: its shortest spelling (`1e-05`, `0.0003` for a float32 read back as
    float64), or `1 / 255` for the inverse of a short number."""
    if math.isnan(value) or math.isinf(value):
        raise _Unsupported(f"the value {value!r} has no spec literal")
    text = repr(value)
    try:  # a float32 value read back as float64 (0.0003000000142492354): its short float32 form
        f32 = np.float32(value)
        if float(f32) == value:
            short = str(f32)
            if len(short) < len(text) and np.float32(float(short)) == f32:
                text = short
    except (OverflowError, ValueError):
        pass
    if 0 < abs(value) < 1 and len(text) > 8:  # 0.00392156862745098 -> 1 / 255, 1 / 127.5
        n = round(1 / abs(value), 3)
        if 1 < n <= 100000 and 1 / n == abs(value):
            one = _lit(-1 if value < 0 else 1)
            denominator = _lit(int(n)) if n == int(n) else ast.Literal(n, None, repr(n))
            return ast.BinOp("/", one, denominator, None)
    if "e" not in text and "." not in text and "inf" not in text and "nan" not in text:
        text += ".0"
    return ast.Literal(float(text), None, text)


def _literal(value: Any):
    """The syntax-tree node of a plain value (no Keras objects; a node is kept as it is)."""
    if isinstance(value, _NODES):
        return value
    if value is None or isinstance(value, bool):
        return _lit(value)
    if isinstance(value, (int, np.integer)):
        value = int(value)
        if abs(value) > _MAX_INT:
            raise _Unsupported(f"the integer {value} is beyond the spec's limit of 2**53")
        return _lit(value)
    if isinstance(value, (float, np.floating)):
        return _float_node(float(value))
    if isinstance(value, str):
        return _lit(value)  # quoted by the formatter, with the one quoting rule (graphspec.text)
    if isinstance(value, tuple):
        return ast.TupleExpr([_literal(v) for v in value], None)
    if isinstance(value, list):
        return ast.ListExpr([_literal(v) for v in value], None)
    if isinstance(value, dict):
        keys, values = [], []
        for k, v in value.items():
            if not isinstance(k, str):
                raise _Unsupported(f"the dict key {k!r} is not a string")
            keys.append((k, None))
            values.append(_literal(v))
        return ast.DictExpr(keys, values, None)
    if isinstance(value, np.ndarray):
        return _literal(value.tolist())
    raise _Unsupported(f"the value {value!r} ({type(value).__name__}) has no spec literal")


def _is_serialized(value: Any) -> bool:
    return isinstance(value, dict) and "class_name" in value and "config" in value


_MISSING = object()


def _same(a: Any, b: Any) -> bool:
    """Config values equal as Keras would build them (tuples == lists; the names of nested layers
    are ignored: Keras derives them, `forward_lstm`)."""
    if a is b:
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            return bool(np.array_equal(np.asarray(a), np.asarray(b)))
        except (TypeError, ValueError):
            return False
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        if _is_serialized(a) and _is_serialized(b):
            if a.get("class_name") != b.get("class_name"):
                return False
            ca, cb = a.get("config"), b.get("config")
            if isinstance(ca, dict) and isinstance(cb, dict) and "layers" in str(a.get("module")):
                ca = {k: v for k, v in ca.items() if k != "name"}
                cb = {k: v for k, v in cb.items() if k != "name"}
            return _same(ca, cb)
        if set(a) != set(b):
            return False
        return all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _collapse(value: Any) -> Any:
    """`(3, 3)` -> `3`, `((1, 1), (1, 1))` -> `1`; anything else unchanged."""
    leaves: list = []

    def walk(v):
        if isinstance(v, (list, tuple)):
            if not v:
                return False
            return all(walk(x) for x in v)
        leaves.append(v)
        return isinstance(v, int) and not isinstance(v, bool)

    if isinstance(value, (list, tuple)) and walk(value) and len(set(leaves)) == 1:
        shapes = {len(v) for v in value if isinstance(v, (list, tuple))}
        if not shapes or len(shapes) == 1:
            return leaves[0]
    return value


def _cache_key(cls: type, config: dict) -> Optional[str]:
    try:
        return f"{cls.__module__}.{cls.__qualname__}:" + json.dumps(config, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return None


# =========================================================================== graph records


@dataclass(eq=False)
class _Tensor:
    ref: Any  # the KerasTensor (kept alive: records are keyed by its id)
    producer: Optional["_Node"]  # None for a model input
    index: int = 0  # which output of its producer
    uses: int = 0  # consumer positions plus appearances among the model's outputs
    consumer: Optional["_Node"] = None  # the first consumer
    output_of: Optional[List[int]] = None  # positions among the model's outputs
    bound: bool = False  # gets a name of its own (an input, a fan-out, a destructured output, ...)
    name: Optional[str] = None  # the name, once its statement is written
    root: str = "name"  # an unbound chain starts at a "name" or a "tuple"
    steps: int = 0  # steps of the unbound chain that ends here


@dataclass(eq=False)
class _Node:
    node: Any  # the keras Node
    op: Any  # its operation: a layer, a nested model, ...
    kind: str  # "layer", "custom", "model" or "bad"
    input_refs: list  # the input KerasTensors in spec order
    outputs: List[int]  # ids of the output KerasTensors
    style: str = "single"  # how the spec passes the inputs: "single", "list", "attention", "expr"
    done: bool = False
    active: bool = False
    op_step: Any = None  # kind "op" written as a step: the node of `ops.mean(axis=1)`
    operator: str = ""  # kind "op" written as an expression: "+", "neg", "[]", ...
    operands: list = None  # the expression's operands: ("t", KerasTensor) or ("c", number node)
    call_args: Dict[str, Any] = field(default_factory=dict)  # call-time keywords (KerasTensors in them)
    arg_refs: list = field(default_factory=list)  # the KerasTensors among the call-time keywords

    @property
    def inputs(self) -> List[int]:
        return [id(r) for r in self.input_refs]

    @property
    def deps(self) -> List[int]:
        """The tensors it reads: its inputs, then those named by its call-time keywords."""
        return self.inputs + [id(r) for r in self.arg_refs]

    @property
    def merges(self) -> bool:
        """Whether its source is written as a tuple."""
        return self.style != "single" or len(self.input_refs) != 1


@dataclass
class _Chain:
    """`source -> step -> step`: the source is a source node (a name, an expression) or a tuple of chains."""

    source: Any  # a source node | List[_Chain]
    steps: List[Any]  # step nodes: calls, names, `ops.` calls

    def operand(self):
        """The node of the chain as an operand of a tensor operator (a chain with steps is bracketed)."""
        if not self.steps and not isinstance(self.source, list):
            return self.source
        return self.node()

    def node(self) -> ast.Chain:
        return ast.Chain(self.source_node(), list(self.steps), None)

    def source_node(self):
        if isinstance(self.source, list):
            return ast.TupleSource([c.node() for c in self.source], None)
        return self.source


@dataclass
class _CallForm:
    """A call's arguments as value nodes: what blocks compare (by their text) and parameterise."""

    callee: str
    names: List[str]  # the parameters in signature order
    required: frozenset
    leading: bool  # the first parameter is written by position
    parts: Dict[str, Any]  # parameter -> its value's node, in writing order
    defaults: Dict[str, Any]  # parameter -> its default's node (what an omitted one means)

    def render(self, parts: Optional[Dict[str, Any]] = None) -> ast.Call:
        """`Callee(a, b, key=value)`: required arguments (and a `leading` first one) by position."""
        parts = self.parts if parts is None else parts
        ordered = [p for p in self.names if p in parts] + [k for k in parts if k not in self.names]
        args, kwargs = [], []
        for key in ordered:
            if not kwargs and (key in self.required or (self.leading and self.names and key == self.names[0])):
                args.append(parts[key])
            else:
                kwargs.append(ast.Kwarg(key, None, parts[key]))
        return ast.Call(self.callee, None, args, kwargs, None)


@dataclass(eq=False)
class _BlockUse:
    """A block call standing for a segment of the graph: one tensor in, one out."""

    call: ast.Call  # the step, `residual(64, strides=2)`
    word: str  # the block's name, for a binding
    inputs: List[int]
    outputs: List[int]
    kind: str = "block"
    op: Any = None
    merges: bool = False
    style: str = "single"
    call_args: Dict[str, Any] = field(default_factory=dict)

    @property
    def deps(self) -> List[int]:
        return self.inputs


@dataclass(eq=False)
class _Plan:
    """One Keras model on its way to a `model` definition."""

    keras_model: Any
    graph: Any  # the functional graph (a Sequential's `_functional`)
    tensors: Dict[int, _Tensor] = None
    order: List[_Node] = None  # nodes, each after the nodes it depends on
    inputs: list = None
    outputs: list = None
    marks: List[int] = None  # for each output: how many nodes precede the end of its part
    raw_output_names: List[str] = None
    name: str = ""
    output_names: List[str] = None
    layer_calls: Dict[int, Tuple[Any, str]] = None  # id(layer) -> (call node, name to keep or "")
    forms: Dict[int, "_CallForm"] = None  # id(layer) -> its call's arguments


# =========================================================================== expressions

# The binary operators a spec writes, by op (graphspec.catalog.ops.OPERATORS read backwards).
_OPERATOR_OF = {op: sym for sym, op in op_catalog.OPERATORS.items() if sym not in ("neg", "[]")}


def _tensor_number(node):
    """A number operand of a tensor operator: a value node as a tensor expression reads it (`-3.0`
    is a unary minus, `1 / 255` a division; the formatter brackets them where precedence needs)."""
    if isinstance(node, ast.BinOp):
        return ast.TensorOp(node.op, _tensor_number(node.left), _tensor_number(node.right), None)
    if isinstance(node, ast.Literal) and not isinstance(node.value, bool) and node.value < 0:
        text = node.text[1:] if node.text and node.text.startswith("-") else None
        return ast.TensorNeg(ast.Literal(-node.value, None, text), None)
    return node


def _expression(operator: str, operands: list):
    """The node of one operator over its operands' nodes (the subscript's: its items)."""
    if operator == "neg":
        return ast.TensorNeg(operands[0], None)
    if operator == "[]":
        return ast.Subscript(operands[0], operands[1], None)
    return ast.TensorOp(operator, operands[0], operands[1], None)


def _subscript(key) -> list:
    """The items of `x[:, 0]` for the key `(slice(None), 0)` of a GetItem."""
    if isinstance(key, list) and any(k is None or k is Ellipsis or isinstance(k, slice) for k in key):
        key = tuple(key)  # a .keras file stores the key `(slice, 0)` as a list
    items = key if isinstance(key, tuple) else (key,)
    out = []
    for item in items:
        if item is Ellipsis:
            out.append(ast.EllipsisItem(None))
        elif item is None:
            out.append(_lit(None))
        elif isinstance(item, slice):
            parts = [item.start, item.stop, item.step]
            for v in parts:
                if v is not None and not (isinstance(v, (int, np.integer)) and not isinstance(v, bool)):
                    raise _Unsupported(f"a slice bound {v!r} that is not an integer")
            out.append(ast.SliceItem(*(None if v is None else _lit(int(v)) for v in parts), None))
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            out.append(_lit(int(item)))
        else:
            raise _Unsupported(f"an index {type(item).__name__} (a spec indexes with integers, slices, "
                               "`...` and `None`)")
    if not out:
        raise _Unsupported("an empty index")
    return out


def _text(value) -> str:
    """A value node's text (what the importer compares), or a subscript's items' text."""
    if isinstance(value, list):
        return ", ".join(subscript_item(i) for i in value)
    return flat_expr(value)


def _call_value_ok(value) -> bool:
    """A call-time value a spec can write: tensors (or tuples of them), numbers, flags, strings."""
    if isinstance(value, (list, tuple)):
        return bool(value) and all(isinstance(v, keras.KerasTensor) for v in value)
    return isinstance(value, (keras.KerasTensor, bool, int, float, str))


def _op_key(rec) -> str:
    """What two op nodes share when they are the same step of a block: the operator and its number
    operands in their places, or the op step's text."""
    if rec.operator:
        return f"{rec.operator}(" + ", ".join("t" if kind == "t" else _text(v) for kind, v in rec.operands) + ")"
    return flat_expr(rec.op_step)


# =========================================================================== helpers


def _functional_class():
    try:
        from keras.src.models.functional import Functional
    except ImportError:  # pragma: no cover - another Keras layout
        return None
    return Functional


def _is_graph_model(obj) -> bool:
    """A functional or Sequential model: a graph of layers, not Python code."""
    if isinstance(obj, keras.Sequential):
        return True
    functional = _functional_class()
    if functional is not None:
        return isinstance(obj, functional)
    return isinstance(obj, keras.Model) and hasattr(obj, "_nodes_by_depth")  # pragma: no cover


def _ident(name: str, fallback: str = "t") -> str:
    """`name` as a spec identifier: other characters become `_`, keywords get a trailing `_`."""
    text = re.sub(r"[^A-Za-z0-9_]+", "_", str(name))
    if not text:
        text = fallback
    if text[0].isdigit():
        text = f"{fallback}_{text}"
    if text in _RESERVED:
        text += "_"
    return text


class _Names:
    """Unique names in one namespace: `x`, then `x_2`, `x_3`..."""

    def __init__(self, taken=()):
        self.taken = set(taken)

    def allocate(self, desired: str) -> str:
        name, n = desired, 1
        while name in self.taken:
            n += 1
            name = f"{desired}_{n}"
        self.taken.add(name)
        return name


def _auto_name(layer) -> bool:
    """Whether `layer.name` is the one Keras gives a layer nobody named (`conv2d_3`)."""
    try:
        from keras.src.utils.naming import to_snake_case
    except ImportError:  # pragma: no cover
        return False
    stem = to_snake_case(type(layer).__name__)
    return re.fullmatch(re.escape(stem) + r"(_\d+)?", layer.name) is not None


def _layer_word(layer) -> str:
    """The name a spec gives a layer's tensor or declaration: its Keras name, or for an automatic
    name (`dense_7`, numbered across the whole Python session) the bare stem (`dense`)."""
    if _auto_name(layer):
        from keras.src.utils.naming import to_snake_case

        return _ident(to_snake_case(type(layer).__name__), "t")
    return _ident(layer.name, "t")


def _call_args(rec: "_Node"):
    """(args, kwargs) of a layer call with only its input tensors, to call a twin layer."""
    kwargs = {k: v for k, v in rec.node.arguments.kwargs.items()
              if k in ("query", "value", "key") and isinstance(v, keras.KerasTensor)}
    args = [a for a in rec.node.arguments.args]
    return args, kwargs


def _registered(cls) -> Optional[custom.CustomLayer]:
    for name in custom.names():
        entry = custom.get(name)
        if entry is not None and entry.cls is cls:
            return entry
    return None


# =========================================================================== the importer


class _Importer:
    def __init__(self, keep_names: bool = True):
        self.keep_names = keep_names
        self.unnamed: List[str] = []  # Keras layer names a spec cannot hold, left to the spec's naming
        self.problems: List[ImportProblem] = []
        self._problem_keys: set = set()
        self.plans: Dict[int, _Plan] = {}  # id(keras model) -> plan
        self.order: List[_Plan] = []  # nested models before the models that use them
        self._in_progress: set = set()
        self._layer_owner: Dict[int, str] = {}  # id(layer) -> the model it is written in
        self._ref_cache: Dict[str, dict] = {}
        self.model_names: set = set()
        self._wrapper: List[tuple] = []  # keys managed by the wrapper whose inner layer is written
        self.last_form: Optional[_CallForm] = None  # the form of the last top-level layer_call
        self.block_names = _Names(_RESERVED)
        self.blocks: List[ast.BlockDef] = []
        self.blanks: list = []  # the statements written with a blank line above them
        self.consts: Dict[str, Any] = {}  # const name -> its value's node

    def problem(self, model: str, layer: str, cls: str, reason: str) -> None:
        key = (model, layer, reason)
        if key not in self._problem_keys:
            self._problem_keys.add(key)
            self.problems.append(ImportProblem(model, layer, cls, reason))

    # ------------------------------------------------------------------ the graphs
    def plan(self, model) -> Optional[_Plan]:
        """Walk `model`, and the models nested in it, into plans (nested ones first)."""
        if id(model) in self.plans:
            return self.plans[id(model)]
        if id(model) in self._in_progress:
            self.problem(model.name, model.name, type(model).__name__, "the model uses itself")
            return None
        if not _is_graph_model(model):
            self.problem(model.name, model.name, type(model).__name__,
                         "a subclassed model (its `call` is Python code); only functional and "
                         "Sequential models can be imported")
            return None
        graph = model
        if isinstance(model, keras.Sequential):
            graph = getattr(model, "_functional", None)
            if graph is None:
                self.problem(model.name, model.name, "Sequential",
                             "the Sequential model has no input shape yet: start it with "
                             "`keras.Input(shape)` or build it")
                return None
        self._in_progress.add(id(model))
        plan = _Plan(keras_model=model, graph=graph)
        self._walk(plan)
        self._in_progress.discard(id(model))
        self.plans[id(model)] = plan
        self.order.append(plan)
        return plan

    def _walk(self, plan: _Plan) -> None:
        """Tensors and nodes of one model, depth first from each output in turn."""
        graph, mname = plan.graph, plan.keras_model.name
        tensors: Dict[int, _Tensor] = {}
        nodes: Dict[int, _Node] = {}
        order: List[_Node] = []
        plan.inputs, plan.outputs = list(graph.inputs), list(graph.outputs)
        for i, t in enumerate(plan.inputs):
            tensors[id(t)] = _Tensor(ref=t, producer=None, index=i, bound=True)

        def producer(t) -> Optional[_Node]:
            known = tensors.get(id(t))
            if known is not None:
                return known.producer
            history = getattr(t, "_keras_history", None)
            if history is None or history.operation is None:
                self.problem(mname, getattr(t, "name", "?"), "KerasTensor",
                             "a tensor that no layer produced and that is not a model input")
                tensors[id(t)] = _Tensor(ref=t, producer=None, bound=True)
                return None
            knode = history.operation._inbound_nodes[history.node_index]
            rec = nodes.get(id(knode))
            if rec is None:
                rec = self._node_record(knode, mname)
                nodes[id(knode)] = rec
                for i, o in enumerate(knode.outputs):
                    tensors.setdefault(id(o), _Tensor(ref=o, producer=rec, index=i))
            return tensors[id(t)].producer

        plan.marks = []
        for out in plan.outputs:
            top = producer(out)
            if top is not None and not top.done:
                top.active = True
                stack = [(top, 0)]
                while stack:
                    rec, i = stack[-1]
                    refs = rec.input_refs + rec.arg_refs
                    if i < len(refs):
                        stack[-1] = (rec, i + 1)
                        child = producer(refs[i])
                        if child is not None and not child.done and not child.active:
                            child.active = True
                            stack.append((child, 0))
                    else:
                        stack.pop()
                        rec.done = True
                        order.append(rec)
            plan.marks.append(len(order))

        for rec in order:
            for ref in rec.input_refs + rec.arg_refs:
                t = tensors[id(ref)]
                t.uses += 1
                t.consumer = t.consumer or rec
        for k, out in enumerate(plan.outputs):
            t = tensors[id(out)]
            t.uses += 1
            t.output_of = (t.output_of or []) + [k]
        plan.tensors, plan.order = tensors, order
        plan.raw_output_names = list(getattr(graph, "output_names", None) or
                                     [t._keras_history.operation.name for t in plan.outputs])

    def _node_record(self, knode, mname: str) -> _Node:
        op = knode.operation
        cls = type(op).__name__
        kind, entry = "bad", None
        if isinstance(op, keras.layers.InputLayer):
            self.problem(mname, op.name, cls, "an input that is not among the model's inputs")
        elif isinstance(op, keras.Model):
            if self.plan(op) is not None:
                kind = "model"
        elif isinstance(op, keras.layers.Layer):
            kind, entry = self._layer_kind(op, mname)
        else:
            return self._op_record(knode, op, mname)
        refs, style, problems, call_args = self._call_inputs(knode, op, kind, entry)
        if kind == "bad":
            problems = []  # the operation itself is reported; how it is called does not matter
        for reason in problems:
            self.problem(mname, op.name, cls, reason)
            kind = "bad"
        arg_refs = [v for v in keras.tree.flatten(call_args) if isinstance(v, keras.KerasTensor)]
        return _Node(node=knode, op=op, kind=kind, input_refs=refs, outputs=[id(o) for o in knode.outputs],
                     style=style, call_args=call_args, arg_refs=arg_refs)

    def _op_record(self, knode, op, mname: str) -> _Node:
        """A Keras op node (`x + y`, `x[:, 0]`, `ops.mean(x, axis=1)`) as an expression or an op step."""
        cls = type(op)
        outputs = [id(o) for o in knode.outputs]
        name = keras_classes.op_for_class(f"{cls.__module__}.{cls.__name__}")
        # A refused op still leads the walk upstream, so that every problem is listed at once.
        upstream = [v for v in keras.tree.flatten((knode.arguments.args, knode.arguments.kwargs))
                    if isinstance(v, keras.KerasTensor)]
        bad = _Node(node=knode, op=op, kind="bad", input_refs=upstream, outputs=outputs)
        if name is None or op_catalog.get(name) is None:
            self.problem(mname, op.name, cls.__name__,
                         f"the keras.ops operation `{cls.__name__}` is not in graphspec's ops catalogue "
                         "(docs/ops.md lists what is)")
            return bad
        args, kwargs = list(knode.arguments.args), dict(knode.arguments.kwargs)
        try:
            if name in _OPERATOR_OF and len(args) == 2 and not kwargs:
                operands = [self._operand(a) for a in args]
                if all(kind == "c" for kind, _ in operands):
                    raise _Unsupported("an operator between two constants")
                refs = [v for kind, v in operands if kind == "t"]
                return _Node(node=knode, op=op, kind="op", input_refs=refs, outputs=outputs, style="expr",
                             operator=_OPERATOR_OF[name], operands=operands)
            if name == "negative" and len(args) == 1 and isinstance(args[0], keras.KerasTensor) and not kwargs:
                return _Node(node=knode, op=op, kind="op", input_refs=[args[0]], outputs=outputs, style="expr",
                             operator="neg", operands=[("t", args[0])])
            if name == "getitem" and len(args) == 2 and isinstance(args[0], keras.KerasTensor) and not kwargs:
                return _Node(node=knode, op=op, kind="op", input_refs=[args[0]], outputs=outputs, style="expr",
                             operator="[]", operands=[("t", args[0]), ("c", _subscript(args[1]))])
            return self._op_step(knode, op, name, args, kwargs, outputs)
        except _Unsupported as exc:
            self.problem(mname, op.name, cls.__name__, str(exc))
            return bad
        except Exception as exc:  # noqa: BLE001 - an op whose arguments cannot be read: listed, never raised
            self.problem(mname, op.name, cls.__name__,
                         f"its arguments cannot be read: {safe_text(' '.join(str(exc).split()))[:200]}")
            return bad

    @staticmethod
    def _operand(value) -> Tuple[str, Any]:
        """("t", tensor) or ("c", the number's node)."""
        if isinstance(value, keras.KerasTensor):
            return "t", value
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
            return "c", _literal(value)
        raise _Unsupported(f"an operand {type(value).__name__} that is neither a tensor of the model nor a number")

    def _op_step(self, knode, op, name: str, args: list, kwargs: dict, outputs: List[int]) -> _Node:
        """`ops.NAME(k=v)`: the tensors come through the chain, the other arguments from the op."""
        from graphspec.catalog.ops._bind import signature

        entry = op_catalog.get(name)
        flat_args = keras.tree.flatten(args)
        refs = [a for a in flat_args if isinstance(a, keras.KerasTensor)]
        if len(refs) != len(flat_args):
            raise _Unsupported(f"`ops.{name}` called with a constant where a spec passes a tensor")
        if not refs:
            raise _Unsupported(f"`ops.{name}` called without a tensor of the model")
        config = keras_classes.config_of(name, op, {k: v for k, v in kwargs.items()
                                                    if not isinstance(v, keras.KerasTensor)})
        if any(isinstance(v, keras.KerasTensor) for v in kwargs.values()):
            raise _Unsupported(f"`ops.{name}` called with a tensor by keyword")
        params, _var = signature(entry.keras)
        defaults = {p.name: p.default for p in params if not p.required}
        kwargs = [ast.Kwarg(k, None, _literal(v)) for k, v in config.items()
                  if not (k in defaults and _same(v, defaults[k]))]
        style = "list" if len(refs) > 1 else "single"
        return _Node(node=knode, op=op, kind="op", input_refs=refs, outputs=outputs, style=style,
                     op_step=ast.OpCall(name, None, [], kwargs, None))

    def _layer_kind(self, layer, mname: str):
        cls = type(layer)
        name = cls.__name__
        if _registered(cls) is not None:
            return "custom", None
        if getattr(keras.layers, name, None) is cls or call_catalog.application_layers().get(name) == cls.__module__:
            entry = registry.get(signatures.canonical_layer_name(name) or name)
            if entry is not None:
                return "layer", entry
            if name == "Lambda":
                reason = ("a Lambda layer runs Python code, which a spec never does; write it with "
                          "Keras layers, or as a custom layer registered with graphspec.register_layer")
            elif name == "TFSMLayer":
                reason = "a TFSMLayer wraps a TensorFlow SavedModel, which a spec cannot describe"
            else:
                reason = (f"the Keras layer class `{name}` is not in graphspec's catalogue "
                          "(`graphspec layers --coverage` lists what is)")
            self.problem(mname, layer.name, name, reason)
            return "bad", None
        self.problem(mname, layer.name, name,
                     f"a custom layer class ({cls.__module__}.{cls.__qualname__}) that is not registered; "
                     "register it with graphspec.register_layer before importing")
        return "bad", None

    def _call_inputs(self, knode, op, kind: str, entry):
        """(input tensors in spec order, call style, problems) of one call of `op`."""
        args = list(knode.arguments.args)
        kwargs = dict(knode.arguments.kwargs)
        problems: List[str] = []

        def is_kt(v):
            return isinstance(v, keras.KerasTensor)

        style = "single"
        if kind in ("model", "custom") or (entry is not None and entry.call == LIST):
            if len(args) == 1 and isinstance(args[0], (list, tuple)):
                positional, style = list(args[0]), "list"
            elif len(args) == 1 and isinstance(args[0], dict):
                problems.append("called with a dict of tensors; a spec passes tensors by position")
                positional = list(args[0].values())
            else:
                positional = args
                style = "list" if len(args) > 1 else "single"
            if entry is not None and entry.call == LIST and style != "list":
                problems.append("a merge layer called on one tensor instead of a list of tensors")
        elif entry is not None and entry.call == ATTENTION:
            positional = list(args)
            for key in ("query", "value", "key"):
                if is_kt(kwargs.get(key)):
                    positional.append(kwargs.pop(key))
            style = "attention"
        else:
            positional = args
            if len(args) == 1 and isinstance(args[0], (list, tuple)):
                problems.append("a layer that takes one tensor, called on a list of tensors")
                positional = list(args[0])
        refs = [a for a in positional if is_kt(a)]
        if len(refs) != len(positional):
            problems.append("called with positional arguments that are not tensors")
        if not refs and kind != "bad":
            problems.append("called without an input tensor")

        # Keyword arguments of the call: what Keras fills in by itself is left out; the layer's
        # call-time keywords (graphspec.catalog.calls) are kept for the second parenthesis.
        masks = {id(m) for m in (getattr(r, "_keras_mask", None) for r in refs) if m is not None}
        try:
            call_params = inspect.signature(op.call).parameters
        except (TypeError, ValueError):  # pragma: no cover
            call_params = {}
        known = {}
        if kind == "layer":
            known = call_catalog.call_params(signatures.canonical_layer_name(type(op).__name__) or type(op).__name__)
        call_args: Dict[str, Any] = {}
        for key, value in kwargs.items():
            if value is None or (key == "training" and value is False):
                continue
            if key == "mask" or key.endswith("_mask"):
                flat = value if isinstance(value, (list, tuple)) else [value]
                if all(v is None or id(v) in masks for v in flat):
                    continue  # propagated from the inputs: the rebuilt model propagates it as well
            param = call_params.get(key)
            if param is not None and param.default is not inspect.Parameter.empty and not is_kt(value) \
                    and _same(value, param.default):
                continue
            if key in known and _call_value_ok(value):
                call_args[key] = tuple(value) if isinstance(value, list) else value
                continue
            shown = "a tensor" if is_kt(value) else repr(value)
            problems.append(f"called with `{key}={shown}`, which a spec cannot pass to a layer call")
        return refs, style, problems, call_args

    # ------------------------------------------------------------------ configs to calls
    def _reference_config(self, cls: type, subset: dict, inputs=None) -> dict:
        """The config of `cls` built from `subset` (and, with `inputs`, called on fresh symbolic
        tensors of the same shapes: `(args, kwargs)`)."""
        key = _cache_key(cls, subset)
        if key is not None and inputs is not None:
            key += repr(keras.tree.map_structure(
                lambda t: (tuple(t.shape), str(t.dtype)) if isinstance(t, keras.KerasTensor) else repr(t), inputs))
        if key is not None and key in self._ref_cache:
            return self._ref_cache[key]
        try:
            obj = cls.from_config(copy.deepcopy(subset))
        except Exception:  # noqa: BLE001 - some from_config want every key (Rescaling): the constructor
            obj = cls(**copy.deepcopy(subset))
        if inputs is not None:
            args, kwargs = keras.tree.map_structure(
                lambda t: keras.KerasTensor(t.shape, dtype=t.dtype) if isinstance(t, keras.KerasTensor) else t,
                inputs)
            obj(*args, **kwargs)
        config = obj.get_config()
        if key is not None:
            self._ref_cache[key] = config
        return config

    def _minimal(self, cls: type, config: dict, required: List[str], ignore=("name",),
                 defaults: Optional[dict] = None, order: Optional[List[str]] = None, inputs=None) -> dict:
        """The constructor arguments that rebuild `config`: the required ones, then each one whose
        value Keras would not derive by itself - found by building the object and comparing."""
        target = {k: v for k, v in config.items() if k not in ignore}
        kept = [k for k in required if k in config]
        rank = {k: i for i, k in enumerate(order or ())}
        candidates = sorted(target, key=lambda k: rank.get(k, len(rank)))
        try:
            for _ in range(len(target) + 1):
                subset = {k: config[k] for k in kept}
                reference = self._reference_config(cls, subset, inputs)
                diff = [k for k in candidates if k not in kept and not _same(target[k], reference.get(k, _MISSING))]
                if not diff:
                    return subset
                # One at a time, in signature order: a later argument may follow from an earlier
                # one (pooling `strides` default to `pool_size`).
                kept.append(diff[0])
        except Exception:  # noqa: BLE001 - the class refused a partial config: compare with its defaults
            pass
        defaults = defaults or {}
        return {k: v for k, v in config.items()
                if k not in ignore and (k in required or k not in defaults or not _same(v, defaults[k]))}

    def _form(self, callee: str, params: List[Tuple[str, bool]], values: dict,
              leading: bool = False, collapse=frozenset(), defaults: Optional[dict] = None) -> "_CallForm":
        """The call's arguments as value nodes, keyed by parameter (and its defaults', for blocks)."""
        names = [p for p, _ in params]
        ordered = [p for p in names if p in values] + [k for k in values if k not in names]
        parts = {}
        for key in ordered:
            value = _collapse(values[key]) if key in collapse else values[key]
            parts[key] = self._value(value, key)
        default_nodes = {}
        for key, value in (defaults or {}).items():
            try:
                default_nodes[key] = self._value(_collapse(value) if key in collapse else value, key)
            except Exception:  # noqa: BLE001 - a default without spec text: never filled in
                continue
        return _CallForm(callee, names, frozenset(p for p, req in params if req), leading, parts, default_nodes)

    def _render_call(self, callee: str, params: List[Tuple[str, bool]], values: dict,
                     leading: bool = False, collapse=frozenset()) -> ast.Call:
        """`Callee(a, b, key=value)`: required arguments (and a `leading` first one) by position."""
        return self._form(callee, params, values, leading, collapse).render()

    def _value(self, value: Any, param: str):
        """The node of a config value; serialized Keras objects become calls."""
        if _is_serialized(value):
            if param == "dtype":
                if value.get("class_name") != "DTypePolicy":
                    raise _Unsupported(f"the dtype policy {value.get('class_name')} has no spec syntax")
                return _literal(value["config"]["name"])
            return self._object_call(value, param)
        if isinstance(value, tuple):
            return ast.TupleExpr([self._value(v, param) for v in value], None)
        if isinstance(value, list):
            return ast.ListExpr([self._value(v, param) for v in value], None)
        if isinstance(value, dict):
            return _literal({k: self._value(v, param) for k, v in value.items()})
        return _literal(value)

    def _object_call(self, value: dict, param: str):
        """`L2(0.0001)`, `Adam(learning_rate=0.0003)`, `LSTM(16, return_sequences=True)`."""
        class_name = value["class_name"]
        module = value.get("module") or ""
        config = value.get("config") or {}
        if class_name == "function" and isinstance(config, str):
            # A Keras loss or metric function, by the name Keras itself accepts: "mean_squared_error"
            known = set(signatures.string_names("losses")) | set(signatures.string_names("metrics")) \
                | set(signatures.string_names("activations"))
            if config in known:
                return _literal(config)
            raise _Unsupported(f"`{param}` is the Python function `{config}`, which a spec cannot name")
        if module.startswith("keras.layers") or module == "keras.src.layers":
            managed = self._wrapper[-1] if self._wrapper else ()
            return self.layer_call(class_name, {k: v for k, v in config.items() if k not in managed})
        kind, keras_module = _OBJECT_MODULES.get(module, (None, None))
        if kind is None:
            for suffix, k in _PARAM_SUFFIX_KINDS:
                if param.endswith(suffix):
                    kind, keras_module = k, {v[0]: v[1] for v in _OBJECT_MODULES.values()}[k]
        if kind is None:
            raise _Unsupported(f"`{param}` is a `{class_name}` object ({module or 'no module'}), "
                               "which a spec cannot write")
        sig = signatures.object_signature(kind, class_name)
        cls = getattr(keras_module, class_name, None)
        if sig is None or not inspect.isclass(cls):
            raise _Unsupported(f"`{param}` is a `{class_name}`, not a public Keras class a spec can call")
        required = [p.name for p in sig.params if p.required]
        defaults = {p.name: p.default for p in sig.params if not p.required}
        params = [(p.name, p.required) for p in sig.params]
        values = self._minimal(cls, config, required, ignore=("name",), defaults=defaults,
                               order=[p for p, _ in params])
        if kind in ("losses", "metrics") and isinstance(config.get("name"), str):
            # Their names show in the logs: kept unless Keras would give the same one (it numbers
            # repeated names within a session: `auc`, `auc_1`).
            default = self._reference_config(cls, values).get("name")
            stem = lambda n: re.sub(r"_\d+$", "", n) if isinstance(n, str) else n  # noqa: E731
            if stem(config["name"]) != stem(default):
                values["name"] = config["name"]
        unknown = [k for k in values if k not in defaults and k not in required]
        if unknown and not sig.var_kwargs:
            raise _Unsupported(f"`{class_name}`'s config has {', '.join(unknown)}, which its constructor "
                               "does not take")
        single = (len(values) == 1 and params and next(iter(values)) == params[0][0]
                  and kind in ("initializers", "regularizers", "constraints"))
        return self._render_call(class_name, params, values, leading=single)

    def layer_call(self, class_name: str, config: dict, layer=None, inputs=None) -> ast.Call:
        """The spec call of a catalogue layer (or registered custom layer) from its config;
        `inputs` are the (args, kwargs) of a call, for layers whose config is completed on build."""
        cls = type(layer) if layer is not None else getattr(keras.layers, class_name, None)
        registered = _registered(cls) if inspect.isclass(cls) else None
        if registered is not None:
            params = [(n, req) for n, _kw, req, _d in registered.params]
            defaults = {n: d for n, _kw, req, d in registered.params if not req}
            callee, forwards = registered.name, registered.var_kwargs
        else:
            canonical = signatures.canonical_layer_name(class_name)
            if not inspect.isclass(cls) or canonical is None or registry.get(canonical) is None:
                raise _Unsupported(f"the layer class `{class_name}` is not in graphspec's catalogue")
            sig = signatures.layer_signature(canonical)
            params = [(p.name, p.required) for p in sig.params]
            defaults = {p.name: p.default for p in sig.params if not p.required}
            callee, forwards = canonical, sig.var_kwargs
        if forwards:  # name, dtype, trainable, ... of the base Layer
            for p in signatures.base_layer_kwargs():
                if p.name not in defaults and p.name not in dict(params):
                    params.append((p.name, False))
                    defaults[p.name] = p.default
        required = [p for p, req in params if req]
        values = self._minimal(cls, config, required, ignore=("name",), defaults=defaults,
                               order=[p for p, _ in params],
                               inputs=inputs if class_name in _BUILD_RESOLVED else None)
        unknown = [k for k in values if k not in dict(params)]
        if unknown:
            raise _Unsupported(f"its config has {', '.join(f'`{k}`' for k in unknown)}, which "
                               f"`{callee}(...)` does not take")
        collapse = set(_COLLAPSE) | {p for prefix, p in _COLLAPSE_BY_CLASS if callee.startswith(prefix)}
        first = params[0][0] if params else None
        leading = first in _LEADING and (first != "padding" or callee.startswith("ZeroPadding"))
        top = not self._wrapper
        self._wrapper.append(_WRAPPER_MANAGED.get(callee, ()))
        try:
            form = self._form(callee, params, values, leading, collapse, defaults if top else None)
        finally:
            self._wrapper.pop()
        if top:
            self.last_form = form
        return form.render()

    def _layer_calls(self, plan: _Plan) -> None:
        """The call of every layer of `plan` (problems recorded per layer)."""
        calls: Dict[int, Tuple[ast.Call, str]] = {}
        forms: Dict[int, _CallForm] = {}
        mname = plan.keras_model.name
        for rec in plan.order:
            op = rec.op
            if rec.kind == "op":  # no arguments to parameterise: its whole text is what blocks compare
                forms[id(op)] = _CallForm(_op_key(rec), [], frozenset(), False, {}, {})
                continue
            if rec.kind not in ("layer", "custom") or id(op) in calls:
                continue
            owner = self._layer_owner.setdefault(id(op), mname)
            if owner != mname:
                self.problem(mname, op.name, type(op).__name__,
                             f"the layer is also used in model `{owner}`; a spec shares weights between "
                             "models only through a nested model")
            try:
                call = self.layer_call(type(op).__name__, op.get_config(), layer=op, inputs=_call_args(rec))
            except _Unsupported as exc:
                self.problem(mname, op.name, type(op).__name__, str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - a config that Keras itself cannot rebuild
                self.problem(mname, op.name, type(op).__name__, f"its config cannot be read back: {exc}")
                continue
            keep = op.name if self.keep_names and not _auto_name(op) else ""
            if keep and not re.match(NAME_PATTERN, keep):  # `conv 1`: a name no spec can give (E305)
                self.unnamed.append(keep)
                keep = ""
            calls[id(op)] = (call, keep)
            forms[id(op)] = self.last_form
        plan.layer_calls, plan.forms = calls, forms

    # ------------------------------------------------------------------ the tree
    def write(self, root) -> Tuple[ast.Module, List[str]]:
        """The spec's syntax tree (spans None; the blank lines in `self.blanks`) and its header comment."""
        root_plan = self.plan(root)
        for plan in self.order:
            self._layer_calls(plan)
        if root_plan is None or self.problems:
            raise KerasImportError(self.problems)
        self._name_models(root_plan)
        self.block_names.taken |= self.model_names
        self._make_consts()
        models = [self._model_def(plan, compiled=plan is root_plan) for plan in self.order]
        if self.problems:
            raise KerasImportError(self.problems)
        total = root.count_params()
        header = [f"# Imported from Keras {keras.__version__} by graphspec: the model `{safe_text(root.name)}`, "
                  f"{total:,} parameters."]
        if self.unnamed:
            header.append("# Named by graphspec instead (a layer name has letters, digits, `_`, `.` and `-`): "
                          + ", ".join(f"`{safe_text(n)}`" for n in self.unnamed) + ".")
        consts = [ast.ConstDef(name, None, node, None) for name, node in self.consts.items()]
        return ast.Module(None, consts=consts, blocks=self.blocks, models=models), header

    def _make_consts(self) -> None:
        """A float argument written CONST_MIN times or more under one parameter becomes a const
        named after it (`const epsilon = 1.001e-05`)."""
        counts: Dict[Tuple[str, str], int] = {}
        nodes: Dict[Tuple[str, str], Any] = {}
        forms = [f for plan in self.order for f in (plan.forms or {}).values()]
        for f in forms:
            for key, node in f.parts.items():
                text = flat_expr(node)
                if re.fullmatch(r"-?[0-9.]+(e-?[0-9]+)?", text) and not re.fullmatch(r"-?\d+", text):
                    counts[(key, text)] = counts.get((key, text), 0) + 1
                    nodes.setdefault((key, text), node)
        taken = set(_RESERVED) | self.model_names
        chosen: Dict[Tuple[str, str], str] = {}
        for (key, text), n in sorted(counts.items(), key=lambda kv: -kv[1]):
            if n < CONST_MIN:
                continue
            name = _ident(key, "c")
            if name in taken:
                continue
            taken.add(name)
            chosen[(key, text)] = name
            self.consts[name] = nodes[(key, text)]
        if not chosen:
            return
        for plan in self.order:
            for lid, f in (plan.forms or {}).items():
                for key, node in list(f.parts.items()):
                    name = chosen.get((key, flat_expr(node)))
                    if name is not None:
                        f.parts[key] = ast.Ref(name, None)
                if lid in plan.layer_calls:  # (an op's form has no arguments)
                    _, keep = plan.layer_calls[lid]
                    plan.layer_calls[lid] = (f.render(), keep)

    def _name_models(self, root_plan: _Plan) -> None:
        """The root model keeps its Keras name exactly (quoted when it is not an identifier:
        `model "mobilenetv2_0.35_96"`). A nested model is used by name, so its name is an identifier
        and avoids every output name: used as the last step of an output it would otherwise share
        its Keras layer name with the output."""
        outputs = {_ident(n, "output") for plan in self.order for n in plan.raw_output_names}
        models = _Names(outputs)
        exact = root_plan.keras_model.name
        keep = model_name_problem(exact) is None and exact not in outputs
        if keep:
            root_plan.name = models.allocate(exact)
        for plan in self.order:
            if plan is not root_plan or not keep:
                plan.name = models.allocate(_ident(plan.keras_model.name, "model"))
        self.model_names = {plan.name for plan in self.order}

    def _model_def(self, plan: _Plan, compiled: bool) -> ast.ModelDef:
        tensors, order = plan.tensors, plan.order
        names = _Names(self.model_names)
        body: list = []

        bound_inputs: Dict[int, str] = {}
        for t in plan.inputs:
            layer = t._keras_history.operation
            name = names.allocate(_layer_word(layer))
            bound_inputs[id(t)] = name
            shape, dtype = self._input_type(t, layer, plan.keras_model.name)
            body.append(ast.InputStmt(name, None, shape, dtype, None, None))

        # Output names are reserved for the tensors they name.
        plan.output_names = []
        for k, raw in enumerate(plan.raw_output_names):
            desired = _ident(raw, "output")
            if desired in names.taken and bound_inputs.get(id(plan.outputs[k])) != desired:
                desired = names.allocate(desired)
            names.taken.add(desired)
            plan.output_names.append(desired)
        keras_output_layers = set(plan.raw_output_names)

        # A layer called more than once is declared once and used by name.
        calls: Dict[int, int] = {}
        for n in order:
            calls[id(n.op)] = calls.get(id(n.op), 0) + 1
        decls: Dict[int, str] = {}
        decl_lines = []
        for n in order:
            if n.kind in ("layer", "custom") and calls[id(n.op)] > 1 and id(n.op) not in decls:
                word = _layer_word(n.op)
                decls[id(n.op)] = names.allocate(word if word not in names.taken else f"{word}_layer")
                decl_lines.append(ast.LayerStmt(decls[id(n.op)], None, plan.layer_calls[id(n.op)][0], None))
        self._paragraph(body, decl_lines)

        def step(n):
            if n.kind == "block":
                return n.call
            if n.kind == "op":  # an operator's node has none: chain_to writes the expression
                return n.op_step
            if n.kind == "model":
                return ast.StepName(self.plans[id(n.op)].name, None)
            if id(n.op) in decls:
                return ast.StepName(decls[id(n.op)], None)
            node, keep = plan.layer_calls[id(n.op)]
            if keep and keep not in keras_output_layers:  # output layers are named after the output
                form = plan.forms[id(n.op)]
                node = form.render({**form.parts, "name": _lit(keep)})
            return node

        def word(n, i: int, uses: int, consumer) -> str:
            if n.kind == "block":
                return n.word
            if n.kind == "model" and len(n.outputs) > 1:
                return _ident(self.plans[id(n.op)].raw_output_names[i], "t")
            if len(n.outputs) > 1:
                return f"{_layer_word(n.op)}_{i}"
            if _auto_name(n.op) and uses == 1 and consumer is not None and consumer.merges:
                # A long branch into a merge, from a layer nobody named: named after the merge.
                position = consumer.inputs.index(n.outputs[0]) + 1
                return f"{_layer_word(consumer.op)}_branch{position}"
            return _layer_word(n.op)

        reduced = self._find_blocks(plan, order, calls, [id(t) for t in plan.inputs],
                                    [id(t) for t in plan.outputs])
        outputs = [(id(t), plan.output_names[k]) for k, t in enumerate(plan.outputs)]
        self._paragraph(body, _write_body(reduced, bound_inputs, outputs, step, word, names))
        if compiled:
            block = self._compile_block(plan)
            if block is not None:
                self._paragraph(body, [block])
        return ast.ModelDef(plan.name, None, None, body, None)  # the formatter quotes a name that needs it

    def _paragraph(self, body: list, stmts: list) -> None:
        """`stmts` after `body`, a blank line between the two."""
        if stmts:
            self.blanks.append(stmts[0])
            body += stmts

    # ------------------------------------------------------------------ blocks
    def _find_blocks(self, plan: _Plan, order: list, calls: Dict[int, int], inputs: List[int],
                     outputs: List[int]) -> list:
        """`order` with each repeated segment (one tensor in, one out, made of several layers)
        replaced by a call of a block written for it; the blocks go to `blocks`."""
        segments = [seg for seg in _segments(order, inputs, outputs)
                    if all(n.kind in ("layer", "custom", "op") and calls[id(n.op)] == 1 and len(n.outputs) == 1
                           and id(n.op) in plan.forms and not n.call_args for n in seg[0])]
        groups: Dict[tuple, list] = {}
        for seg in segments:
            groups.setdefault(_signature(seg, plan.forms), []).append(seg)
        # A group's segments take in the layers that follow each of them alike (the activation
        # after a residual's Add), as far as every one of them is followed by the same layer.
        position = {id(n): i for i, n in enumerate(order)}
        inside = {id(n) for seg in segments for n in seg[0]}
        consumers: Dict[int, int] = {}
        for n in order:
            for tid in n.deps:
                consumers[tid] = consumers.get(tid, 0) + 1
        for tid in outputs:
            consumers[tid] = consumers.get(tid, 0) + 2
        for key, group in list(groups.items()):
            while True:
                nexts = []
                for nodes, a, b in group:
                    i = position[id(nodes[-1])] + 1
                    n = order[i] if i < len(order) else None
                    if (n is None or id(n) in inside or n.inputs != [b] or consumers.get(b) != 1
                            or n.call_args or n.kind not in ("layer", "custom", "op") or calls[id(n.op)] != 1
                            or len(n.outputs) != 1 or id(n.op) not in plan.forms):
                        break
                    nexts.append(n)
                if len(nexts) != len(group) or len({plan.forms[id(n.op)].callee for n in nexts}) != 1:
                    break
                group = [(nodes + [n], a, n.outputs[0]) for (nodes, a, b), n in zip(group, nexts)]
                inside.update(id(n) for n in nexts)
            groups[key] = group
        replaced: Dict[int, _BlockUse] = {}  # id(first node) -> the use
        skipped: set = set()
        for group in groups.values():
            if len(group) < 2:
                continue
            uses = self._block(plan, group)
            if uses is None:
                continue
            for (nodes, a, b), use in zip(group, uses):
                replaced[id(nodes[0])] = use
                skipped.update(id(n) for n in nodes[1:])
        return [replaced.get(id(n), n) for n in order if id(n) not in skipped]

    def _block(self, plan: _Plan, group: list) -> Optional[List[_BlockUse]]:
        """A block for the segments of `group` (same structure): parameters for what differs."""
        template = group[0][0]
        slots: List[Dict[str, Any]] = []  # per node: parameter -> fixed node or ("param", slot index)
        varying: List[tuple] = []  # the value texts, per instance, of each differing argument
        keys_of: List[Tuple[int, str]] = []
        node_of: Dict[str, Any] = {}  # a value's text -> a node of it (values are compared by text)
        for j, node in enumerate(template):
            forms = [plan.forms[id(seg[0][j].op)] for seg in group]
            keys = []
            for f in forms:
                keys += [k for k in f.parts if k not in keys and k != "name"]
            row = {}
            for key in keys:
                values = [f.parts.get(key, f.defaults.get(key)) for f in forms]
                if any(v is None for v in values):
                    return None
                texts = tuple(flat_expr(v) for v in values)
                node_of.update(zip(texts, values))
                if len(set(texts)) == 1:
                    row[key] = values[0]
                else:
                    row[key] = ("param", len(varying))
                    varying.append(texts)
                    keys_of.append((j, key))
            slots.append(row)

        # One parameter per distinct column of values; a column that is a multiple of another is
        # written `4 * filters`.
        pnames = _Names({"x", "y"} | set(_RESERVED) | set(self.consts))
        params: List[Tuple[str, tuple]] = []
        slot_node: Dict[int, Any] = {}
        # Smaller values first: the larger ones may be their multiples.
        for v, texts in sorted(enumerate(varying), key=lambda vt: _size(vt[1])):
            same = next((p for p, t in params if t == texts), None)
            if same is not None:
                slot_node[v] = ast.Ref(same, None)
                continue
            multiple = _multiple_of(texts, params)
            if multiple is not None:
                slot_node[v] = multiple
                continue
            key = keys_of[v][1]
            pname = pnames.allocate(_PARAM_WORDS.get(key, _ident(key, "p")))
            params.append((pname, texts))
            slot_node[v] = ast.Ref(pname, None)
        # A parameter whose most common value is shared gets it as its default.
        defaults: Dict[str, str] = {}
        for pname, texts in params:
            common = max(set(texts), key=lambda t: (texts.count(t), -texts.index(t)))
            if texts.count(common) >= 2 and len(set(texts)) < len(texts):
                defaults[pname] = common
        ordered = [p for p in params if p[0] not in defaults] + [p for p in params if p[0] in defaults]

        last = next((n for n in reversed(template) if n.merges), template[-1])
        bname = self.block_names.allocate(_BLOCK_WORDS.get(type(last.op).__name__,
                                                           _class_word(last.op) + "_block"))
        header = [ast.Param(p, None, node_of[defaults[p]] if p in defaults else None) for p, _ in ordered]

        def block_step(n):
            if n.kind == "op":
                return n.op_step
            j = template.index(n)
            form = plan.forms[id(n.op)]
            parts = {k: (slot_node[t[1]] if isinstance(t, tuple) else t) for k, t in slots[j].items()}
            return form.render(parts)

        def block_word(n, i, uses, consumer) -> str:
            return _class_word(n.op)

        _, a, b = group[0]
        body = _write_body(template, {a: "x"}, [(b, "y")], block_step, block_word, _Names({"x", "y"}))
        head = ast.InputStmt("x", None, None, None, None, None)
        self.blocks.append(ast.BlockDef(bname, None, header, [head, *body], None))

        uses = []
        for k, (nodes, a, b) in enumerate(group):
            args, kwargs, keyword = [], [], False
            for pname, texts in ordered:
                value = texts[k]
                if pname in defaults:
                    if value == defaults[pname]:
                        keyword = True
                        continue
                    kwargs.append(ast.Kwarg(pname, None, node_of[value]))
                elif keyword:
                    kwargs.append(ast.Kwarg(pname, None, node_of[value]))
                else:
                    args.append(node_of[value])
            uses.append(_BlockUse(call=ast.Call(bname, None, args, kwargs, None), word=bname, inputs=[a],
                                  outputs=[b]))
        return uses

    def _input_type(self, t, layer, mname: str) -> Tuple[ast.TupleExpr, Optional[str]]:
        """The shape's node and the dtype (None for float32): `(28, 28, 1)`, `(None,) int32`."""
        shape = tuple(t.shape)
        cls = type(layer).__name__
        if not shape:
            self.problem(mname, layer.name, cls, "a scalar input, without a batch axis, has no spec syntax")
            return ast.TupleExpr([], None), None
        if shape[0] is not None:
            self.problem(mname, layer.name, cls,
                         f"the input has a fixed batch size ({shape[0]}); a spec's input shapes leave the "
                         "batch axis out")
        if getattr(t, "sparse", False) or getattr(t, "ragged", False):
            self.problem(mname, layer.name, cls, "sparse and ragged inputs have no spec syntax")
        dims = []
        for d in shape[1:]:
            if d is not None and (not isinstance(d, int) or d <= 0):
                self.problem(mname, layer.name, cls, f"the input dimension {d!r} is not a positive size")
            dims.append(_lit(d if d is None or isinstance(d, int) else str(d)))  # (a bad one is refused above)
        dtype = keras.backend.standardize_dtype(t.dtype)
        if dtype not in _SPEC_DTYPES:
            self.problem(mname, layer.name, cls, f"the input dtype {dtype} has no spec syntax")
        return ast.TupleExpr(dims, None), (dtype if dtype in _SPEC_DTYPES and dtype != "float32" else None)

    def _compile_block(self, plan: _Plan) -> Optional[ast.SettingsStmt]:
        model = plan.keras_model
        if not getattr(model, "compiled", False):
            return None
        try:
            config = model.get_compile_config() or {}
        except Exception:  # noqa: BLE001 - nothing to read
            return None
        out_names = list(plan.output_names)
        rename = dict(zip(plan.raw_output_names, out_names))
        lines = []
        for key in _COMPILE_KEYS:
            if key not in config:
                continue
            value = config[key]
            if key != "optimizer" and (value is None or _same(value, _COMPILE_DEFAULTS.get(key, _MISSING))):
                continue
            if key == "jit_compile" and value is False:
                continue  # what "auto" resolves to here
            many = len(out_names) > 1
            if key in ("loss", "loss_weights") and many and isinstance(value, (list, tuple)) \
                    and len(value) == len(out_names):
                value = dict(zip(out_names, value))
            if key in ("metrics", "weighted_metrics") and many and isinstance(value, (list, tuple)) \
                    and len(value) == len(out_names) and all(v is None or isinstance(v, (list, tuple)) for v in value):
                value = {n: v for n, v in zip(out_names, value) if v is not None}
            if isinstance(value, dict) and not _is_serialized(value):
                value = {rename.get(k, k): v for k, v in value.items()}
            try:
                lines.append(ast.Setting(key, None, self._value(value, key)))
            except _Unsupported as exc:
                self.problem(model.name, model.name, type(model).__name__, f"compile `{key}`: {exc}")
        return ast.SettingsStmt("compile", lines, None) if lines else None


# =========================================================================== blocks and bodies

# Parameter names for the arguments that differ between a block's uses.
_PARAM_WORDS = {"kernel_size": "kernel", "pool_size": "pool", "dilation_rate": "dilation",
                "depth_multiplier": "multiplier", "activation": "activation"}
# Block names after the layer that ends the block.
_BLOCK_WORDS = {"Add": "residual", "Concatenate": "branches", "Multiply": "gated", "Average": "averaged"}
CONST_MIN = 3  # a float argument written this often becomes a const
REPEAT_MIN = 3  # a run of this many identical steps becomes a `repeat`


def _segments(order: list, inputs: List[int], outputs: List[int]) -> List[tuple]:
    """(nodes, input tensor, output tensor) of each part of `order` between two tensors that every
    later node depends on alone (a cut), made of two nodes or more."""
    last: Dict[int, int] = {}
    for i, n in enumerate(order):
        for tid in n.deps:
            last[tid] = i
    for tid in outputs:
        last[tid] = len(order)
    live = {t for t in inputs if t in last}
    cuts = []
    for p in range(len(order) + 1):
        if p > 0:
            live.update(t for t in order[p - 1].outputs if t in last)
            live = {t for t in live if last[t] >= p}
        if len(live) == 1:
            cuts.append((p, next(iter(live))))
    return [(order[p:q], a, b) for (p, a), (q, b) in zip(cuts, cuts[1:]) if q - p >= 2 and a != b]


def _signature(seg: tuple, forms: Dict[int, _CallForm]) -> tuple:
    """What two segments share when they are the same block: callees and wiring."""
    nodes, a, b = seg
    where: Dict[int, Any] = {a: "in"}
    items = []
    for j, n in enumerate(nodes):
        items.append((forms[id(n.op)].callee, tuple(where.get(t, "?") for t in n.inputs), n.style))
        where[n.outputs[0]] = j
    items.append(where.get(b))
    return tuple(items)


def _size(texts: tuple) -> tuple:
    """Integers before anything else, smaller ones first."""
    if all(re.fullmatch(r"-?\d+", t) for t in texts):
        return (0, sum(abs(int(t)) for t in texts))
    return (1, 0)


def _class_word(op) -> str:
    """A binding inside a block: the layer's class in snake case (`batch_normalization`)."""
    from keras.src.utils.naming import to_snake_case

    return _ident(to_snake_case(type(op).__name__), "t")


def _multiple_of(texts: tuple, params: List[Tuple[str, tuple]]):
    """`4 * filters` when each of `texts` is the same whole multiple of a parameter's values."""
    if not all(re.fullmatch(r"-?\d+", t) for t in texts):
        return None
    values = [int(t) for t in texts]
    for pname, ptexts in params:
        if not all(re.fullmatch(r"-?\d+", t) and int(t) != 0 for t in ptexts):
            continue
        base = [int(t) for t in ptexts]
        if values[0] % base[0]:
            continue
        factor = values[0] // base[0]
        if factor > 1 and all(v == factor * u for v, u in zip(values, base)):
            return ast.BinOp("*", _lit(factor), ast.Ref(pname, None), None)
    return None


def _write_body(nodes: list, bound_inputs: Dict[int, str], outputs: List[Tuple[int, str]], step, word,
                names: "_Names") -> list:
    """The statement nodes of a graph (a model's or a block's), for the formatter to lay out:
    chains, not one line per layer; a name bound only where a tensor fans out, a layer has
    several outputs, or a long branch feeds a merge; outputs in order."""
    uses: Dict[int, int] = {}
    consumer: Dict[int, Any] = {}
    output_of: Dict[int, List[int]] = {}
    producer: Dict[int, Any] = {}
    named_args: set = set()  # tensors given as call-time arguments: they need names
    for n in nodes:
        for tid in n.inputs:
            uses[tid] = uses.get(tid, 0) + 1
            consumer.setdefault(tid, n)
        for tid in n.deps[len(n.inputs):]:
            uses[tid] = uses.get(tid, 0) + 1
            named_args.add(tid)
        for tid in n.outputs:
            producer[tid] = n
    for k, (tid, _) in enumerate(outputs):
        uses[tid] = uses.get(tid, 0) + 1
        output_of.setdefault(tid, []).append(k)
    bound = set(bound_inputs)
    name = dict(bound_inputs)
    root: Dict[int, str] = {}
    steps: Dict[int, int] = {}
    for n in nodes:
        for tid in n.outputs:
            if len(n.outputs) != 1 or uses.get(tid, 0) != 1 or tid in named_args:
                bound.add(tid)
                continue
            if n.merges:
                root[tid], steps[tid] = "tuple", 1
            else:
                u = n.inputs[0]
                root[tid], steps[tid] = ("name", 1) if u in bound else (root[u], steps[u] + 1)
            c = consumer.get(tid)
            # A short branch goes inside its merge's tuple; any short operand inside its expression.
            short = steps[tid] <= INLINE_STEPS and (root[tid] == "name" or c is not None and c.style == "expr")
            if c is not None and c.merges and not short:
                bound.add(tid)

    def value_node(value):
        if isinstance(value, keras.KerasTensor):
            return ast.Ref(name[id(value)], None)
        if isinstance(value, (list, tuple)):
            return ast.TupleExpr([value_node(v) for v in value], None)
        return _literal(value)

    def full_step(n):
        """The step's node, with its call-time arguments in a second parenthesis."""
        node = step(n)
        if getattr(n, "call_args", None):
            kwargs = [ast.Kwarg(k, None, value_node(v)) for k, v in n.call_args.items()]
            if isinstance(node, ast.Call):
                node = ast.Call(node.name, None, node.args, node.kwargs, None,
                                call_args=ast.CallArgs([], kwargs, None))
            else:  # a declared layer or a model, by name: `lstm(initial_state=(h, c))`
                node = ast.Call(node.name, None, [], kwargs, None)
        return node

    def operand(u: int):
        return ast.NameSource(name[u], None) if u in bound else chain_to(producer[u]).operand()

    def chain_to(n) -> _Chain:
        """The chain whose last step is node `n`, back to named tensors."""
        out = [full_step(n)]
        while not n.merges:
            u = n.inputs[0]
            if u in bound:
                return _Chain(ast.NameSource(name[u], None), out[::-1])
            n = producer[u]
            out.append(full_step(n))
        if getattr(n, "operator", ""):  # an expression is the chain's source, not a step
            operands = [operand(id(v)) if kind == "t" else v if n.operator == "[]" else _tensor_number(v)
                        for kind, v in n.operands]
            return _Chain(_expression(n.operator, operands), out[::-1][1:])
        return _Chain([_Chain(ast.NameSource(name[u], None), []) if u in bound else chain_to(producer[u])
                       for u in n.inputs], out[::-1])

    claimed: Dict[str, int] = {}
    for tid, oname in outputs:
        claimed.setdefault(oname, tid)
    used_outputs: set = set()

    def binding(tid: int, n, i: int) -> str:
        for k in output_of.get(tid, ()):
            own = outputs[k][1]
            if claimed.get(own) == tid and own not in used_outputs:
                used_outputs.add(own)
                return own
        return names.allocate(word(n, i, uses.get(tid, 0), consumer.get(tid)))

    lines: list = []
    written: set = set()

    def named_output(oname: str, tid: int) -> ast.OutputStmt:
        """`output y`, or `output y = x` for a tensor bound under another name."""
        if name[tid] == oname:
            return ast.OutputStmt(oname, None, None, None)
        return ast.OutputStmt(oname, None, ast.Chain(ast.NameSource(name[tid], None), [], None), None)

    def flush() -> None:
        """The outputs whose tensors have names, in order (each after every earlier one)."""
        for k, (tid, oname) in enumerate(outputs):
            if k in written:
                continue
            if tid not in name:
                return
            written.add(k)
            lines.append(named_output(oname, tid))

    flush()
    for n in nodes:
        targets = n.outputs
        if len(targets) == 1 and targets[0] not in bound:
            if targets[0] in output_of:  # used by nothing else: the output's own chain
                k = output_of[targets[0]][0]
                written.add(k)
                lines += _statement(outputs[k][1], [], chain_to(n), names)
        else:
            chain = chain_to(n)
            for i, tid in enumerate(targets):
                name[tid] = binding(tid, n, i)
            lines += _statement(None, [name[t] for t in targets], chain, names)
        flush()
    for k, (tid, oname) in enumerate(outputs):  # whatever is left, in order
        if k not in written and tid in name:
            written.add(k)
            lines.append(named_output(oname, tid))
    return lines


def _step_text(step) -> str:
    return step.name if isinstance(step, ast.StepName) else flat_expr(step)


def _statement(output: Optional[str], targets: List[str], chain: _Chain, names: "_Names") -> list:
    """`output NAME = chain` (or `targets = chain`) as one statement; a run of REPEAT_MIN or more
    identical steps becomes a `repeat` over a name of its own."""
    steps, runs, i = chain.steps, [], 0
    texts = [_step_text(st) for st in steps]
    first = 1 if isinstance(chain.source, list) else 0  # a tuple source needs its merge step first
    while i < len(steps):
        j = i
        while j < len(steps) and texts[j] == texts[i]:
            j += 1
        if j - i >= REPEAT_MIN and i >= first:
            runs.append((i, j - i))
        i = j

    def bind(names_: List[str], ch: _Chain):
        return ast.BindStmt([(t, None) for t in names_], ch.node(), None)

    def last(ch: _Chain):
        return ast.OutputStmt(output, None, ch.node(), None) if output is not None else bind(targets, ch)

    if not runs or (len(targets) > 1 and runs[-1][0] + runs[-1][1] == len(steps)):
        return [last(chain)]
    var = targets[0] if output is None and len(targets) == 1 else names.allocate("x")
    out, source, at = [], chain.source, 0
    for start, count in runs:
        head = steps[at:start]
        if head or not (isinstance(source, ast.NameSource) and source.name == var):
            out.append(bind([var], _Chain(source, head)))
        inner = bind([var], _Chain(ast.NameSource(var, None), [steps[start]]))
        out.append(ast.RepeatStmt(_lit(count), None, [inner], None))
        source, at = ast.NameSource(var, None), start + count
    tail = steps[at:]
    if tail or output is not None or targets != [var]:
        out.append(last(_Chain(source, tail)))
    return out


# =========================================================================== entry point


def from_keras(model, *, keep_names: bool = True) -> str:
    """The .gspec text of a functional or Sequential `keras.Model`.

    Returns spec text; load it with `graphspec.loads(text)`. The root model - the
    last `model` of the text, named after the Keras model (made a valid name) - is
    the spec's root; nested models are defined before it. Every layer whose Keras
    name is not an automatic one keeps it as `name="..."` (`keep_names=False`: renamed).

    Keras's op nodes (`x + y`, `x * 0.5`, `x[:, 0]`, `keras.ops.mean(x, axis=1)`) are
    written as expressions and `ops.` steps, call-time keywords (`initial_state`, `mask`,
    `training`, ...) in a second parenthesis.

    Raises KerasImportError listing, by name and class, every layer that a spec
    cannot express (a Lambda, an unregistered custom layer, a TFSMLayer, a layer
    or a keras.ops operation outside graphspec's catalogue, ...).
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"from_keras expects a keras.Model; received {type(model).__name__}")
    importer = _Importer(keep_names=keep_names)
    module, header = importer.write(model)
    return format_tree(module, header=header, blank_before=importer.blanks)  # the one layout: `graphspec fmt`'s


# =========================================================================== reading a .keras file
#
# A .keras file is untrusted input. `keras.models.load_model` would decompress config.json whole
# (a 2 MB zip bomb is a 2 GB string), build every layer with its weights before anything can be
# counted (`units: 2**31` allocates tens of GB), and deserialize whatever classes the config names.
# The import needs none of the weights, so it reads config.json alone, within limits.py's limits:
# the archive's members (counted from the end record, before zipfile reads the directory), the
# config's size (declared, and then actually read, with a cap), its JSON nesting, its classes
# (the catalogue's, refused by name otherwise), and the parameter count (taken from variable
# shapes with allocation deferred, before any weight exists).

# Classes that load or run code, refused wherever the config names them (even where
# `safe_mode` would let them through: a TFSMLayer loads a SavedModel, whose ops run).
_CODE_CLASSES = {
    "Lambda": "a Lambda layer runs Python code, which a spec never does",
    "TFSMLayer": "a TFSMLayer loads a TensorFlow SavedModel, whose ops run when it is loaded",
    "TorchModuleWrapper": "a TorchModuleWrapper runs a PyTorch module",
    "JaxLayer": "a JaxLayer runs a JAX function",
    "FlaxLayer": "a FlaxLayer runs a Flax module",
    "__lambda__": "a serialized Python function (bytecode) would run",
}
_MODEL_CLASSES = {"Functional", "Sequential", "Model"}
_MODEL_MODULES = {"keras", "keras.models", "keras.src.models.functional", "keras.src.models.sequential",
                  "keras.src.models.model"}
# Serialization markers of plain values; anything else starting with `__` is refused.
_VALUE_MARKERS = {"__keras_tensor__", "__tuple__", "__numpy__", "__tensor__", "__bytes__", "__ellipsis__",
                  "__slice__"}
_VALUE_MODULES = {"keras", "keras.activations", "builtins", *_OBJECT_MODULES}


class KerasFileError(ValueError):
    """A .keras file that is not a readable Keras archive, or is beyond a limit; the message says which."""


def _archive_members(fp, size: int) -> int:
    """The number of members the zip's end record declares (zip64 included), without reading the directory."""
    tail_len = min(size, 22 + 0xFFFF)
    fp.seek(size - tail_len)
    tail = fp.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise KerasFileError("it is not a zip archive (a .keras file is one)")
    entries, cd_size = struct.unpack("<xxxxxxxxxxHL", tail[at:at + 16])
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF:  # zip64: the count is in the zip64 end record
        loc = tail.rfind(b"PK\x06\x07", 0, at)
        if loc < 0:
            raise KerasFileError("its zip64 end record is missing")
        (offset,) = struct.unpack("<Q", tail[loc + 8:loc + 16])
        fp.seek(offset)
        record = fp.read(56)
        if len(record) < 56 or record[:4] != b"PK\x06\x06":
            raise KerasFileError("its zip64 end record is damaged")
        entries = struct.unpack("<Q", record[32:40])[0]
    return entries


def _read_config(path) -> bytes:
    """config.json of a .keras archive: member count, declared and read size within limits."""
    import os

    try:
        with open(path, "rb") as fp:
            size = os.fstat(fp.fileno()).st_size
            members = _archive_members(fp, size)
            if members > limits.MAX_KERAS_MEMBERS:
                raise KerasFileError(f"the archive has {members:,} members; the limit is "
                                     f"{limits.MAX_KERAS_MEMBERS:,} (a .keras file holds a handful)")
            fp.seek(0)
            with zipfile.ZipFile(fp) as zf:
                if len(zf.infolist()) > limits.MAX_KERAS_MEMBERS:
                    raise KerasFileError(f"the archive has more than {limits.MAX_KERAS_MEMBERS:,} members")
                try:
                    info = zf.getinfo("config.json")
                except KeyError:
                    raise KerasFileError("the archive has no config.json (a Keras 3 .keras file has one)") from None
                cap = limits.MAX_KERAS_CONFIG_BYTES
                if info.file_size > cap:
                    raise KerasFileError(f"its config.json is {info.file_size:,} bytes uncompressed; the limit "
                                         f"is {cap:,}")
                with zf.open(info) as member:  # the header's size is not trusted: read at most cap + 1
                    data = member.read(cap + 1)
                if len(data) > cap:
                    raise KerasFileError(f"its config.json is larger than the limit of {cap:,} bytes")
                return data
    except KerasFileError:
        raise
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            EOFError, ValueError, struct.error) as exc:  # a damaged or encrypted archive
        raise KerasFileError(f"it is not a readable zip archive: {' '.join(str(exc).split()) or type(exc).__name__}")


_JSON_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _json_depth(data: bytes) -> int:
    """The deepest nesting of brackets in JSON text (strings skipped), in one linear scan."""
    depth = deepest = 0
    for m in _JSON_STRUCTURE.finditer(data):
        c = m.group()
        if c in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
        elif c in (b"]", b"}"):
            depth -= 1
    return deepest


def _parse_config(data: bytes) -> dict:
    depth = _json_depth(data)
    if depth > limits.MAX_KERAS_CONFIG_DEPTH:
        raise KerasFileError(f"its config.json nests {depth} levels deep; the limit is {limits.MAX_KERAS_CONFIG_DEPTH}")
    try:
        config = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise KerasFileError(f"its config.json is not valid JSON: {' '.join(str(exc).split())[:200]}") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise KerasFileError("its config.json does not describe a Keras model")
    return config


def _layer_allowed(class_name: str) -> bool:
    if class_name == "InputLayer" or class_name in _MODEL_CLASSES:
        return True
    canonical = signatures.canonical_layer_name(class_name) or class_name
    return registry.get(canonical) is not None or custom.get(class_name) is not None


def _config_problems(config: dict) -> List[ImportProblem]:
    """Every class the config names that the import will not deserialize, by model, layer and class."""
    problems: List[ImportProblem] = []
    # Iterative walk (the depth is already bounded, but the walk needs no stack of its own).
    stack: List[Tuple[Any, str, str]] = [(config, "?", "?")]
    while stack:
        value, model, layer = stack.pop()
        if isinstance(value, list):
            stack.extend((v, model, layer) for v in value)
            continue
        if not isinstance(value, dict):
            continue
        cls = value.get("class_name")
        if isinstance(cls, str):
            inner = value.get("config") if isinstance(value.get("config"), dict) else {}
            module = value.get("module")
            name = inner.get("name") if isinstance(inner.get("name"), str) else layer
            if cls in _MODEL_CLASSES:
                model = name
            reason = None
            if cls in _CODE_CLASSES:
                reason = _CODE_CLASSES[cls]
            elif cls.startswith("__"):
                if cls not in _VALUE_MARKERS:
                    reason = "a serialized value of a kind the import does not read"
            elif isinstance(module, str) and module.startswith("keras.src.ops."):  # `x + y`, ops.mean
                if keras_classes.op_for_class(f"{module}.{cls}") is None:
                    reason = (f"the keras.ops operation `{cls}` is not in graphspec's ops catalogue "
                              "(docs/ops.md lists what is)")
                layer = name
            elif call_catalog.application_layers().get(cls) == module:
                layer = name  # LayerScale, CustomScaleLayer, ...: catalogue layers from keras.applications
            elif module == "keras.layers" or (module is None and "inbound_nodes" in value):
                if not _layer_allowed(cls):
                    reason = (f"the Keras layer class `{cls}` is not in graphspec's catalogue "
                              "(`graphspec layers --coverage` lists what is)")
                layer = name
            elif cls in _MODEL_CLASSES:
                if module not in _MODEL_MODULES:
                    reason = f"a model class from module `{module}`, not Keras's"
            elif module not in _VALUE_MODULES and not (custom.get(cls) is not None):
                reason = (f"a custom object from module `{module}` that is not registered; register custom "
                          "layers with graphspec.register_layer before importing")
            if reason is not None:
                problems.append(ImportProblem(safe_text(str(model)), safe_text(str(name)), safe_text(cls), reason))
                continue  # nothing inside a refused object is looked at
        stack.extend((v, model, layer) for k, v in value.items() if k != "class_name")
    return problems


def _param_count(config: dict) -> int:
    """The model's parameter count from its variables' shapes, with every allocation deferred."""
    from keras.saving import deserialize_keras_object
    from keras.src.backend.common.stateless_scope import StatelessScope

    # A copy: Keras's deserialization empties the dicts it reads. No compile config: an optimizer
    # makes its variables at once, which a deferred scope refuses.
    bare = copy.deepcopy({k: v for k, v in config.items() if k != "compile_config"})
    with StatelessScope(initialize_variables=False):
        model = deserialize_keras_object(bare, safe_mode=True)
        return sum(math.prod(int(d) for d in w.shape) for w in model.weights)


def load_keras_file(path) -> "keras.Model":
    """The model of a .keras file, built from its config.json alone (no weights read), within limits.

    Raises KerasFileError for an archive beyond a limit (members, config size or nesting,
    parameter count) or unreadable, and KerasImportError naming every class that is refused
    (code-running layers, layers outside the catalogue, unregistered custom objects) -
    before anything is deserialized.
    """
    config = _parse_config(_read_config(path))
    problems = _config_problems(config)
    if problems:
        raise KerasImportError(problems)
    try:
        params = _param_count(config)
    except KerasImportError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever Keras says about a config it cannot build, as one line
        raise KerasFileError(f"its config does not build: {safe_text(' '.join(str(exc).split()))[:300]}") from None
    if params > limits.MAX_PARAMS:
        raise KerasFileError(f"the model has {params:,} parameters; the limit is {limits.MAX_PARAMS:,}")
    from keras.saving import deserialize_keras_object

    try:
        return deserialize_keras_object(config, safe_mode=True)
    except Exception as exc:  # noqa: BLE001
        raise KerasFileError(f"its config does not build: {safe_text(' '.join(str(exc).split()))[:300]}") from None
