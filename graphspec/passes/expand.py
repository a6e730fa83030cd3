"""Expanding a model: statements, chains, blocks, repeats, shared layers and nested models.

This pass walks a model's statements in order, like an interpreter, creating the
graph's layers, nodes and tensors, and infers each tensor's shape at the step that
creates it, so a shape error is reported where it happens.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from graphspec import custom
from graphspec import graph as g
from graphspec.catalog import calls, signatures
from graphspec.catalog.dtypes_in import compute_dtype, input_dtype_problem
from graphspec.catalog.base import ATTENTION, LIST, SINGLE, ArgError, CallValue, ShapeError
from graphspec.diagnostics.diagnostic import ERROR, WARNING, Diagnostic, Diagnostics, Label
from graphspec.limits import MAX_EXPANSION_DEPTH, MAX_NODES, MAX_REPEAT, MAX_STEPS
from graphspec.passes import layers as L
from graphspec.passes.call_args import CallArguments
from graphspec.passes.scope import Globals
from graphspec.passes.tensor_ops import EXPRESSIONS, TensorExpressions
from graphspec.passes.values import INVALID, Evaluator, bool_help, code_help, contains_invalid, describe, runs_code
from graphspec.source import Span
from graphspec.suggest import did_you_mean
from graphspec.syntax import ast
from graphspec.text import spec_value

DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
          "bool", "string")


class Abort(Exception):
    """Stops expanding a model once a limit is reached (already reported)."""


@functools.lru_cache(maxsize=None)
def snake(name: str) -> str:
    """Keras's own snake_case of a class name: Conv2D -> conv2d, MaxPooling2D -> max_pooling2d."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def fmt_shape(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


@dataclass
class Binding:
    tensor: int
    span: Span
    used: bool = False


@dataclass
class Frame:
    """The scope of one model body or one block expansion."""

    prefix: str
    values: Dict[str, object]
    tensors: Dict[str, Binding] = field(default_factory=dict)
    layers: Dict[str, int] = field(default_factory=dict)
    layer_spans: Dict[str, Span] = field(default_factory=dict)
    used_layers: set = field(default_factory=set)  # `layer` names referenced, even by a failing step
    outputs: List[Tuple[str, int, Span]] = field(default_factory=list)
    blocks: Tuple[str, ...] = ()
    is_model: bool = True
    origins: Dict[str, frozenset] = field(default_factory=dict)  # block parameter -> the `--set` consts it read


class Names:
    """Unique Keras layer names: the first use of a name gets it, later ones `_2`, `_3`..."""

    def __init__(self, reserved=()):
        self.taken = set()
        self.reserved = set(reserved)
        self.counts: Dict[str, int] = {}

    def allocate(self, desired: str, claim_reserved: bool = False) -> str:
        name = desired
        n = self.counts.get(desired, 1)
        while name in self.taken or (name in self.reserved and not claim_reserved):
            n += 1
            name = f"{desired}_{n}"
            claim_reserved = False
        self.counts[desired] = n
        self.taken.add(name)
        return name

    def release(self, name: str) -> None:
        self.taken.discard(name)


class OncePerPlace:
    """The run's Diagnostics as one model's expansion reports into it: a problem at a place in a
    block body or a `repeat` body is reported by its first expansion (or iteration) only, not
    again by every later one with other values in its message. Suppressed errors still count, so
    the model is still known to have failed."""

    def __init__(self, diags: Diagnostics):
        self._diags = diags
        self._instance = 0  # one number per block expansion and per `repeat` iteration
        self._first: Dict[tuple, int] = {}  # (code, span) -> the instance that reported it
        self.call_sites: List[Label] = []  # the block uses being expanded, innermost last

    def __getattr__(self, name):
        return getattr(self._diags, name)

    def next_instance(self) -> None:
        """A new block expansion or `repeat` iteration begins."""
        self._instance += 1

    def add(self, diag: Diagnostic) -> Diagnostic:
        """Report `diag` unless an earlier expansion reported the same code at the same place."""
        first = self._first.setdefault((diag.code, diag.span), self._instance)
        if first != self._instance:
            if diag.is_error:
                self._diags.failed()
            return diag
        # A problem inside a block body also points at the use that expanded it (innermost first).
        diag.related.extend(site for site in reversed(self.call_sites) if site.span != diag.span)
        return self._diags.add(diag)

    def error(self, code: str, message: str, span: Optional[Span], *, label: str = "",
              help: Optional[str] = None, notes: Optional[List[str]] = None) -> Diagnostic:
        """Report an error (see add)."""
        return self.add(Diagnostic(code, message, span, ERROR, label, help, list(notes or [])))

    def warning(self, code: str, message: str, span: Optional[Span], *, label: str = "",
                help: Optional[str] = None, notes: Optional[List[str]] = None) -> Diagnostic:
        """Report a warning (see add)."""
        return self.add(Diagnostic(code, message, span, WARNING, label, help, list(notes or [])))


class ModelExpander:
    """Builds the Graph of one model."""

    def __init__(self, checker, mdef: ast.ModelDef, body: List[ast.Stmt]):
        self.checker = checker
        self.diags = OncePerPlace(checker.diags)
        self.globals: Globals = checker.globals
        self.mdef = mdef
        self.body = body
        self.graph = g.Graph(mdef.name, mdef.name_span)
        reserved = [s.name for s in ast.walk_stmts(body) if isinstance(s, ast.OutputStmt)]
        self.names = Names(reserved)
        self.block_counts: Dict[tuple, int] = {}
        self.scope: tuple = ()  # the block expansions being expanded: ((instance, block), ...)
        self.frozen: Optional[Span] = None  # the `trainable=False` block use being expanded, if any
        self.model_uses: Dict[int, Span] = {}  # nested model layer id -> the use that set its trainable flag
        self.full_configs: Dict[int, dict] = {}
        self.set_reads: set = set()  # the `--set` consts read since the last look (set_origins)
        self.specs: Dict[int, L.LayerSpec] = {}
        self.model_layers: Dict[str, int] = {}
        self.settings: List[ast.SettingsStmt] = []
        self._output_named: set = set()  # layers already renamed after an output
        self.first_shapes: Dict[int, list] = {}  # shared layer id -> input shapes of its first use
        self._layer_specs: Dict[tuple, L.LayerSpec] = {}  # checked layer calls, by (name, repr of value)
        self.expressions = TensorExpressions(self)
        self.call_arguments = CallArguments(self)

    # ------------------------------------------------------------ entry
    def run(self) -> g.Graph:
        frame = Frame(prefix="", values={})
        errors_before = self.diags.error_count
        try:
            self.statements(frame, self.body)
        except Abort:
            return self.graph
        if any(isinstance(st, ast.OutputStmt) for st in ast.walk_stmts(self.body)):  # else E505 says it all
            self.finish_bindings(frame)
        for name, layer_id in frame.layers.items():
            if layer_id >= 0 and name not in frame.used_layers:
                self.diags.warning("W102", f"layer `{name}` is declared but never used", frame.layer_spans[name],
                                   label="never applied", help="remove it, or apply it in a chain: `x -> "
                                                               f"{name}`")
        # Only when this model has no other error: a failed `output` line is not a missing one.
        clean = self.diags.error_count == errors_before
        if not self.graph.outputs and clean:
            self.diags.error("E505", f"model `{self.mdef.name}` has no outputs", self.mdef.name_span,
                             label="no `output` line", help=self.no_output_help(frame))
        if not self.graph.inputs and clean:
            self.diags.error("E505", f"model `{self.mdef.name}` has no inputs", self.mdef.name_span,
                             label="no `input` line",
                             help="declare one with `input NAME: SHAPE`, e.g. `input image: (28, 28, 1)`")
        return self.graph

    def no_output_help(self, frame: Frame) -> str:
        """Suggest turning the last unused binding into an output."""
        unused = [n for n, b in frame.tensors.items() if not b.used and self.graph.tensors[b.tensor].producer is not None]
        if unused:
            return f"declare one with `output NAME = ...`, e.g. write `output {unused[-1]} = ...` instead of `{unused[-1]} = ...`"
        return "declare one with `output NAME = ...`"

    # ------------------------------------------------------------ values
    def evaluator(self, frame: Frame) -> Evaluator:
        def lookup(name):
            if name in frame.values:
                self.set_reads |= frame.origins.get(name, frozenset())
                return frame.values[name]
            if name in self.globals.overrides:
                self.set_reads.add(name)
            if name in frame.tensors:
                raise KeyError(name)
            value = self.globals.const(name)
            if value is INVALID or contains_invalid(value):  # a const with errors: this model fails too
                self.diags.failed()
            return value

        def shape_of(name):
            binding = frame.tensors.get(name)
            if binding is None:
                return None
            shape = self.graph.tensors[binding.tensor].shape
            return INVALID if shape is None else tuple(shape)  # an earlier error explains it

        return Evaluator(lookup, lambda: list(frame.values) + self.globals.const_names(), self.diags, shape_of)

    # ------------------------------------------------------------ tensors
    def new_tensor(self, shape, dtype, producer, index=0, name=None, span=None) -> int:
        t = g.Tensor(len(self.graph.tensors), shape, dtype, producer, index, name, span)
        self.graph.tensors.append(t)
        return t.id

    def poisoned(self) -> int:
        return self.new_tensor(None, "float32", None)

    def bind(self, frame: Frame, name: str, tensor: int, span: Span) -> None:
        old = frame.tensors.get(name)
        if old is not None and not old.used and old.tensor != tensor:
            self._unused(name, old)
        t = self.graph.tensors[tensor]
        if t.name is None:
            t.name = name
        frame.tensors[name] = Binding(tensor, span)

    def _unused(self, name: str, binding: Binding) -> None:
        if name == "_":  # `_, h, c = x -> LSTM(...)`: a deliberately discarded output, as in Python
            return
        self.diags.warning("W103", f"the value bound to `{name}` here is never used", binding.span,
                           label="never used", help=f"remove the binding, or use `{name}` in a chain")

    def finish_bindings(self, frame: Frame) -> None:
        outputs = {t for _, t, _ in frame.outputs}
        for name, b in frame.tensors.items():
            if not b.used and b.tensor not in outputs and self.graph.tensors[b.tensor].producer is not None:
                self._unused(name, b)

    # ------------------------------------------------------------ statements
    def statements(self, frame: Frame, stmts: List[ast.Stmt]) -> None:
        budget = self.globals.budget
        for stmt in stmts:
            if not budget.spend():
                self.too_many_steps(stmt.span)
            getattr(self, "stmt_" + type(stmt).__name__)(frame, stmt)

    def too_many_steps(self, span: Span, what: str = "the spec expands to") -> None:
        """Report MAX_STEPS reached (or certain to be) at `span`, and stop expanding."""
        self.diags.error("E004", f"{what} more than {MAX_STEPS:,} steps (statements run, `repeat` iterations "
                                 "and block expansions)", span, label="limit reached here",
                         help="lower the `repeat` counts, or use fewer nested blocks and repeats")
        raise Abort()

    def stmt_InputStmt(self, frame: Frame, s: ast.InputStmt) -> None:
        if not frame.is_model:
            self.diags.error("E209", "`input` inside a block cannot be repeated or nested", s.span)
            return
        if s.name in frame.tensors:
            self.diags.error("E202", f"`{s.name}` is already defined", s.name_span, label="defined again",
                             notes=[f"first defined at {frame.tensors[s.name].span}"],
                             help="give this input another name: inputs are named uniquely")
            return
        if s.shape is None:
            self.diags.error("E251", f"model input `{s.name}` needs a shape", s.name_span,
                             label="no shape", help=f"write `input {s.name}: (28, 28, 1)` (the shape without the batch axis)")
            self.bind(frame, s.name, self.poisoned(), s.name_span)
            return
        before, self.set_reads = len(self.diags.items), set()
        value = self.evaluator(frame).eval(s.shape)
        shape = self.check_shape(value, s)
        self.set_origins(before)
        dtype = s.dtype or "float32"
        if shape is None:
            self.bind(frame, s.name, self.poisoned(), s.name_span)
            return
        full = (None,) + shape
        tid = self.new_tensor(full, dtype, None, name=s.name, span=s.span)
        self.names.allocate(s.name, claim_reserved=True)
        self.graph.inputs.append(g.Input(s.name, tid, shape, dtype, s.span))
        frame.tensors[s.name] = Binding(tid, s.name_span)

    def check_shape(self, value, s: ast.InputStmt):
        if value is INVALID or contains_invalid(value):
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            self.diags.error("E251", f"an input shape must be a tuple; received {value!r}", s.shape.span,
                             label="not a tuple", help=f"write `({value},)` for a vector of {value} values")
            return None
        if not isinstance(value, tuple):
            self.diags.error("E251", f"an input shape must be a tuple of sizes; received {describe(value)}",
                             s.shape.span, label="not a shape", help="write e.g. `(28, 28, 1)` or `(None,)`")
            return None
        for dim in value:
            if dim is None:
                continue
            if not isinstance(dim, int) or isinstance(dim, bool) or dim <= 0:
                self.diags.error("E251", f"every size in an input shape must be a positive integer or None; "
                                         f"received {describe(dim)} in {value!r}", s.shape.span,
                                 label="invalid size")
                return None
        return value

    def stmt_LayerStmt(self, frame: Frame, s: ast.LayerStmt) -> None:
        if s.name in frame.layers:
            self.diags.error("E202", f"layer `{s.name}` is declared twice", s.name_span, label="declared again",
                             notes=[f"first declared at {frame.layer_spans[s.name]}"])
            return
        spec = self.layer_spec(frame, s.call)
        if spec is None:
            frame.layers[s.name] = -1
            frame.layer_spans[s.name] = s.name_span
            return
        name = frame.prefix + s.name
        if name in self.names.reserved and not frame.prefix:
            self.diags.error("E202", f"`{s.name}` is both a layer and an output name", s.name_span,
                             help="Keras layer names must be unique: rename the layer or the output")
        lid = self.add_layer(spec, self.layer_name(spec, name, s.call.span), s.span, shared=True,
                             origin=name)
        frame.layers[s.name] = lid
        frame.layer_spans[s.name] = s.name_span

    def stmt_BindStmt(self, frame: Frame, s: ast.BindStmt) -> None:
        target = s.targets[0][0]
        tensors = self.chain(frame, s.chain, target)
        n = len(s.targets)
        if tensors is not None and len(tensors) != n:
            if n == 1:
                self.diags.error("E212", f"this chain gives {len(tensors)} tensors; `{target}` can hold one",
                                 s.chain.span, label=f"{len(tensors)} tensors",
                                 help="merge them with a step such as `-> Concatenate()`, or bind one name per "
                                      f"tensor: `{', '.join('t%d' % i for i in range(len(tensors)))} = ...`")
            else:
                first, last = s.targets[0][1], s.targets[-1][1]
                k = len(tensors)
                self.diags.error("E212", f"{n} names on the left, but the chain gives {_count(k, 'tensor')}",
                                 Span(first.file, first.line, first.col, last.end_line, last.end_col),
                                 label=f"{n} names",
                                 help=f"write {_count(k, 'name')} on the left" if k > 1
                                 else f"the chain's last step gives one tensor: bind it with `{s.targets[0][0]} = ...`")
            tensors = None
        for i, (name, span) in enumerate(s.targets):
            self.bind(frame, name, tensors[i] if tensors is not None else self.poisoned(), span)

    def stmt_OutputStmt(self, frame: Frame, s: ast.OutputStmt) -> None:
        if any(o[0] == s.name for o in frame.outputs):
            self.diags.error("E202", f"output `{s.name}` is declared twice", s.name_span, label="declared again",
                             help="output names must be unique")
            return
        if s.chain is None:
            binding = frame.tensors.get(s.name)
            if binding is None:
                self.diags.error("E201", f"unknown tensor `{s.name}`", s.name_span, label="not bound",
                                 help=did_you_mean(s.name, frame.tensors)
                                 or f"bind it first, or write `output {s.name} = ...`")
                return
            binding.used = True
            tensor = binding.tensor
        else:
            tensors = self.chain(frame, s.chain, s.name, output=True)
            if tensors is None:
                return
            if len(tensors) != 1:
                self.diags.error("E212", f"output `{s.name}` must be one tensor; the chain gives {len(tensors)}",
                                 s.chain.span, help="merge them with a step such as `-> Concatenate()`")
                return
            tensor = tensors[0]
            self.bind(frame, s.name, tensor, s.name_span)
            frame.tensors[s.name].used = True
        if self.graph.tensors[tensor].shape is None:
            return
        if frame.is_model:
            tensor = self.name_output(frame, s.name, tensor, s.span)
            self.graph.outputs.append(g.Output(s.name, tensor, s.span))
        frame.outputs.append((s.name, tensor, s.span))

    def name_output(self, frame: Frame, name: str, tensor: int, span: Span) -> int:
        """Make `name` the Keras name of the layer producing an output (Keras names outputs so)."""
        t = self.graph.tensors[tensor]
        if t.producer is None and t.name == name and frame.is_model:
            return tensor  # `output x` of input `x`: Keras names it so already
        taken = None  # the layer already named so: rare (a `name=`), so found by a scan only when the name is taken
        if frame.prefix + name in self.names.taken:
            taken = next((lay for lay in self.graph.layers if lay.name == frame.prefix + name), None)
        if (taken is not None and t.producer is not None and self.graph.nodes[t.producer].layer == taken.id
                and not any(o[1] == tensor for o in frame.outputs)):
            self._output_named.add(taken.name)  # `output y = x -> Dense(1, name="y")`: named so already
            return tensor
        if taken is not None and "name" in taken.config:  # Keras names an output by its layer; another has it
            diag = self.diags.error("E202", f"output `{name}` needs the layer name `{name}`, which `name=` gives to "
                                            f"another layer", taken.span, label="name taken",
                                    help=f"Keras names each output after the layer that makes it: choose another "
                                         f"`name=` for this layer, or give it to the last step of output `{name}`")
            diag.related.append(Label(span, f"output `{name}` is declared here"))
            return tensor
        if t.producer is not None:
            node = self.graph.nodes[t.producer]
            layer = self.graph.layers[node.layer]
            if (layer.kind not in ("model", "op") and not layer.shared and len(node.outputs) == 1 and "name" not in layer.config
                    and not any(o[1] == tensor for o in frame.outputs) and layer.name not in self._output_named):
                self.names.release(layer.name)
                layer.name = self.names.allocate(frame.prefix + name, claim_reserved=True)
                self._output_named.add(layer.name)
                return tensor
        # An input, a shared layer, a nested model or another output: an Identity layer carries the name.
        spec = L.LayerSpec("Identity", "layer", {}, {}, L.registry.get("Identity"))
        lid = self.add_layer(spec, self.names.allocate(frame.prefix + name, claim_reserved=True), span,
                             origin=name)
        self._output_named.add(self.graph.layers[lid].name)
        return self.apply(lid, [tensor], span)[0]

    def stmt_SettingsStmt(self, frame: Frame, s: ast.SettingsStmt) -> None:
        if not frame.is_model:
            self.diags.error("E209", f"`{s.kind}` belongs in a model, not in a block", s.span,
                             help=f"move the `{s.kind}` block into the model that uses this block")
            return
        self.settings.append(s)

    def stmt_RepeatStmt(self, frame: Frame, s: ast.RepeatStmt) -> None:
        count = self.evaluator(frame).eval(s.count)
        if count is INVALID:
            return
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            self.diags.error("E250", f"`repeat` needs a whole number of times; received {describe(count)}",
                             s.count.span, label="not a count")
            return
        if count > MAX_REPEAT:
            self.diags.error("E004", f"`repeat {count}` is too large (the limit is {MAX_REPEAT:,})",
                             s.count.span, label="too many",
                             help="lower the count; a very large network can be split into nested models")
            raise Abort()
        budget = self.globals.budget
        if count and not budget.fits(count * (1 + budget.body_cost(s.body))):
            self.too_many_steps(s.count.span, f"`repeat {count}` of this body would expand to")
        index = s.index[0] if s.index else None
        saved = frame.values.get(index, _MISSING) if index else _MISSING
        for i in range(count):
            if not budget.spend():
                self.too_many_steps(s.count.span)
            self.diags.next_instance()
            if index:
                frame.values[index] = i
            self.statements(frame, s.body)
        if index:
            if saved is _MISSING:
                frame.values.pop(index, None)
            else:
                frame.values[index] = saved

    def stmt_IfStmt(self, frame: Frame, s: ast.IfStmt) -> None:
        """Expand the branch the condition picks; it is a value known when the spec is checked."""
        tensor = next((r for r in _value_refs(s.cond) if r.name in frame.tensors), None)
        if tensor is not None:
            self.diags.error("E252", f"the condition of `if` must be known when the spec is checked; `{tensor.name}` "
                                     "is a tensor", tensor.span, label="a tensor, not a value",
                             help="test consts, `--set` values, block parameters or `shape(x)`: the structure of "
                                  "the model is fixed before it sees data")
            return
        value = self.evaluator(frame).eval(s.cond)
        if value is INVALID:
            return
        if not isinstance(value, bool):
            self.diags.error("E250", f"`if` needs True or False; received {describe(value)}", s.cond.span,
                             label="not a bool", help=bool_help(value))
            return
        self.statements(frame, s.body if value else s.orelse)

    # ------------------------------------------------------------ chains
    def chain(self, frame: Frame, chain: ast.Chain, target: str, output: bool = False) -> Optional[List[int]]:
        tensors = self.source(frame, chain.source, target)
        if tensors is None:
            self.check_steps(frame, chain.steps)
            return None
        for i, step in enumerate(chain.steps):
            tensors = self.step(frame, step, tensors, target)
            if tensors is None:
                self.check_steps(frame, chain.steps[i + 1:])
                return None
        return tensors

    def unknown_step_help(self, frame: Frame, name: str) -> str:
        return (did_you_mean(name, list(frame.layers) + list(self.globals.blocks) + list(self.globals.models)
                             + L.layer_names())
                or "a step is a layer call such as `Dense(10)`, a `layer` name, a block or a model "
                   "(`graphspec layers` lists the Keras layers)")

    def check_steps(self, frame: Frame, steps) -> None:
        """Check the steps after a failed one for mistakes of their own (arguments, unknown
        names), so that one run reports every independent error; shapes are not inferred."""
        for step in steps:
            if isinstance(step, ast.OpCall):
                continue
            name = step.name
            if name in self.globals.blocks or name in frame.layers or name in self.globals.models:
                continue
            if isinstance(step, ast.Call):
                self.layer_spec(frame, step)
            elif not L.known_layer(name) and name not in frame.tensors:
                self.diags.error("E201", f"unknown layer, block or model `{name}`", step.span, label="not defined",
                                 help=self.unknown_step_help(frame, name))

    def source(self, frame: Frame, src, target: str) -> Optional[List[int]]:
        if isinstance(src, EXPRESSIONS):
            return self.expressions.source(frame, src, target)
        if isinstance(src, ast.Chain):
            return self.chain(frame, src, target)
        if isinstance(src, ast.TupleSource):
            out: List[int] = []
            failed = False
            for item in src.items:
                got = self.chain(frame, item, target)
                if got is None:
                    failed = True
                else:
                    out.extend(got)
            return None if failed else out
        name = src.name
        binding = frame.tensors.get(name)
        if binding is not None:
            binding.used = True
            if self.graph.tensors[binding.tensor].shape is None:
                return None  # an earlier error already explains this tensor
            return [binding.tensor]
        what = self.what_is(frame, name)
        if what:
            self.diags.error("E209", f"`{name}` is {what}, not a tensor", src.span, label="not a tensor",
                             help="a chain starts from an input or a bound tensor: `x -> " + name + "`")
        else:
            self.diags.error("E201", f"unknown tensor `{name}`", src.span, label="not defined",
                             help=did_you_mean(name, frame.tensors)
                             or (f"declare it as an input: `input {name}: SHAPE`" if frame.is_model and not frame.tensors
                                 else "a chain starts from an input or a tensor bound earlier in the model"))
        return None

    def what_is(self, frame: Frame, name: str) -> Optional[str]:
        if name in frame.layers:
            return "a layer"
        if name in self.globals.blocks:
            return "a block"
        if name in self.globals.models:
            return "a model"
        if name in self.globals.consts or name in frame.values:
            return "a value"
        if L.known_layer(name):
            return "a layer type"
        return None

    def step(self, frame: Frame, step, inputs: List[int], target: str) -> Optional[List[int]]:
        if isinstance(step, ast.OpCall):
            return self.expressions.op_call(frame, step, inputs, target)
        name = step.name
        if isinstance(step, ast.StepName):
            if name in frame.layers:
                frame.used_layers.add(name)
                lid = frame.layers[name]
                return None if lid < 0 else self.apply(lid, inputs, step.span)
            if name in self.globals.blocks:
                return self.expand_block(frame, self.globals.blocks[name], None, inputs, step.span, target)
            if name in self.globals.models:
                return self.apply_model(name, inputs, step.span)
            if L.known_layer(name):
                self.diags.error("E209", f"`{name}` is a layer type; call it to make a layer", step.span,
                                 label="not called", help=f"write `{name}()`")
                return None
            if name in frame.tensors:
                self.diags.error("E209", f"`{name}` is a tensor, not a step", step.span, label="a tensor",
                                 help=f"to combine tensors, start from a tuple: `(..., {name}) -> Concatenate()`")
                return None
            self.diags.error("E201", f"unknown layer, block or model `{name}`", step.span, label="not defined",
                             help=self.unknown_step_help(frame, name))
            return None
        # a call
        if name in self.globals.blocks:
            return self.expand_block(frame, self.globals.blocks[name], step, inputs, step.span, target)
        if runs_code(name):
            self.diags.error("E210", f"`{name}` is not allowed: a spec never runs code", step.name_span,
                             label="runs Python code", help=code_help(name))
            return None
        if name in self.globals.models and name not in frame.layers and self.model_call_ok(step):
            trainable = self.trainable_flag(frame, step.kwargs[0]) if step.kwargs else True
            return None if trainable is None else self.apply_model(name, inputs, step.span, trainable)
        if name in frame.layers or name in self.globals.models:
            frame.used_layers.add(name)
            if name in frame.layers and any(kw.name == "trainable" for kw in step.kwargs):
                # A shared layer is one object: it is frozen where it is declared, not at a use.
                self.diags.error("E209", f"`{name}` is a shared layer; `trainable` belongs where it is declared",
                                 step.span, label="frozen at a use",
                                 help=f"write it in the declaration: `layer {name} = ...(..., trainable=False)`")
                return None
            if name in frame.layers and not step.args and step.call_args is None:
                # `x -> enc(initial_state=(h, c))`: a shared layer's parentheses hold call-time arguments.
                lid = frame.layers[name]
                if lid < 0:
                    return None
                arguments = self.call_arguments.read(frame, lid, step.kwargs, [], step)
                return None if arguments is None else self.apply(lid, inputs, step.span, arguments)
            kind = "a shared layer" if name in frame.layers else "a model"
            self.diags.error("E209", f"`{name}` is {kind}; it takes no constructor arguments", step.span,
                             label="called", help=f"apply it by name: `-> {name}`"
                             + (f", with call-time arguments by keyword: `-> {name}(training=True)`"
                                if name in frame.layers else f", or frozen: `-> {name}(trainable=False)`"))
            return None
        spec = self.layer_spec(frame, step)
        if spec is None:
            return None
        lid = self.add_layer(spec, self.layer_name(spec, f"{frame.prefix}{target}_{snake(spec.type)}", step.span),
                             step.span, origin=f"{frame.prefix}{target}")
        arguments = {}
        if step.call_args is not None:
            arguments = self.call_arguments.read(frame, lid, step.call_args.kwargs, step.call_args.args, step)
            if arguments is None:
                return None
        return self.apply(lid, inputs, step.span, arguments)

    def layer_spec(self, frame: Frame, call: ast.Call) -> Optional[L.LayerSpec]:
        if runs_code(call.name):
            self.diags.error("E210", f"`{call.name}` is not allowed: a spec never runs code", call.name_span,
                             label="runs Python code", help=code_help(call.name))
            return None
        if L.known_layer(call.name) is None:
            if call.name in self.globals.blocks:
                self.diags.error("E209", f"`{call.name}` is a block; a `layer` declaration needs a layer",
                                 call.name_span, help="apply the block in a chain: `x -> " + call.name + "(...)`")
                return None
            self.diags.error("E220", f"unknown layer `{call.name}`", call.name_span, label="not a Keras layer",
                             help=L.keras_model_help(call)
                             or did_you_mean(call.name, L.layer_names() + list(self.globals.blocks))
                             or "layers are Keras's own (`graphspec layers` lists them) or registered "
                                "from Python with `graphspec.register_layer`")
            return None
        if not self.call_arguments.constructor_ok(call):
            return None
        before, self.set_reads = len(self.diags.items), set()
        value = self.evaluator(frame).eval(call)
        if value is INVALID or contains_invalid(value):
            self.set_origins(before)
            return None
        # The same call written again (a chain in a `repeat`, a block used many times) validates
        # the same way: reuse the checked spec. The key is the value's repr, which tells 1, 1.0
        # and True apart; custom layers may be re-registered, so they are always checked afresh.
        key = (call.name, repr(value)) if custom.get(call.name) is None else None
        cached = self._layer_specs.get(key) if key is not None else None
        if cached is not None:
            return L.LayerSpec(cached.type, cached.kind, dict(cached.explicit), dict(cached.full), cached.entry,
                               cached.custom)
        before = len(self.diags.items)
        spec = L.make_layer(call, value, self.diags)
        self.set_origins(before)
        if spec is not None and key is not None and len(self.diags.items) == before:
            self._layer_specs[key] = spec
            return L.LayerSpec(spec.type, spec.kind, dict(spec.explicit), dict(spec.full), spec.entry, spec.custom)
        return spec

    def set_origins(self, before: int) -> None:
        """Point the diagnostics reported since `before` at the `--set` values the call read."""
        reads, self.set_reads = self.set_reads, set()
        for name in sorted(reads):
            const = self.globals.consts[name]
            label = Label(const.value.span, f"replaced by `--set {name}={spec_value(self.globals.overrides[name])}`")
            for diag in self.diags.items[before:]:
                diag.related.append(label)

    # ------------------------------------------------------------ layers and nodes
    def layer_name(self, spec: L.LayerSpec, default: str, span: Span) -> str:
        """The Keras name of a new layer: the user's `name=` if given, else a derived one."""
        given = spec.explicit.get("name")
        if not isinstance(given, str):
            return self.names.allocate(default)
        if given in self.names.taken:  # an output's name is free for the layer that makes it (name_output)
            self.diags.error("E202", f"the layer name `{given}` is used twice in model `{self.mdef.name}`", span,
                             label="name taken", help="Keras layer names must be unique within a model: "
                                                      "choose another `name=`, or leave it out")
            return self.names.allocate(default)
        self.names.taken.add(given)
        return given

    def add_layer(self, spec: L.LayerSpec, name: str, span: Span, shared=False, origin="") -> int:
        lid = len(self.graph.layers)
        if self.frozen is not None:  # a layer of a `trainable=False` block use: frozen as if written so
            spec.explicit["trainable"] = spec.full["trainable"] = False
        self.graph.layers.append(g.Layer(lid, name, spec.type, spec.kind, spec.explicit, span, shared=shared,
                                         origin=origin, scope=self.scope))
        self.specs[lid] = spec
        return lid

    def count_node(self, span: Span) -> None:
        self.checker.node_count += 1
        if self.checker.node_count > MAX_NODES:
            self.diags.error("E004", f"the spec expands to more than {MAX_NODES:,} layer applications", span,
                             label="limit reached here",
                             help="lower the `repeat` counts, or split the model into nested models")
            raise Abort()

    def apply(self, lid: int, inputs: List[int], span: Span, arguments: Optional[dict] = None) -> Optional[List[int]]:
        """Apply layer `lid` to `inputs` (with call-time `arguments`), inferring the output shapes."""
        self.count_node(span)
        layer = self.graph.layers[lid]
        spec = self.specs[lid]
        entry = spec.entry
        shapes = [self.graph.tensors[t].shape for t in inputs]
        if any(s is None for s in shapes):
            return None
        call = SINGLE
        if entry is not None:
            call = entry.call
            if call == ATTENTION and arguments and ("value" in arguments or "key" in arguments):
                # `value` / `key` given by name take their places among (query, value[, key])
                named = {k: self.graph.tensors[v.tensor].shape for k, v in arguments.items()
                         if k in ("value", "key") and isinstance(v, g.TensorRef)}
                shapes = calls.attention_inputs(layer.type, shapes, named)
            n = len(shapes)
            if n < entry.min_inputs or (entry.max_inputs is not None and n > entry.max_inputs):
                self.diags.error("E402", self.arity_message(layer.type, entry, n), span,
                                 label=f"{n} tensor{'s' if n != 1 else ''}",
                                 help=self.arity_help(layer.type, entry, n))
                return None
        elif len(inputs) > 1:
            call = LIST
        if entry is not None:
            problem = input_dtype_problem(layer.type, spec.full, [self.graph.tensors[t].dtype for t in inputs])
            if problem is not None:
                self.diags.error("E403", problem[0], span, label="wrong dtype", help=problem[1])
                return None
        try:
            result = self.infer(spec, shapes)
            if arguments:
                result = self.call_arguments.outputs(layer, spec, shapes, result, arguments)
            if layer.uses == 0:
                layer.params = L.param_counts(spec, shapes)
                if layer.shared:
                    self.first_shapes[lid] = shapes
            elif layer.shared and L.param_counts(spec, shapes) != layer.params:
                # One layer object has one set of weights: Keras builds them for the first
                # input it sees and rejects an input that would need other weights.
                first = ", ".join(fmt_shape(s) for s in self.first_shapes.get(lid, ()))
                self.diags.error("E401", f"shared layer `{layer.name}` was built for input shape {first}; "
                                         f"its weights do not fit {', '.join(fmt_shape(s) for s in shapes)}",
                                 span, label="incompatible shape",
                                 help="every use of a `layer` shares its weights, so its inputs must match; "
                                      "use a separate layer for inputs of another size")
                return None
        except (ShapeError, ArgError) as err:
            # Name the layer once (rules often start with it), and show the input shapes
            # only when the message does not already.
            message = err.message if err.message.startswith(layer.type + " ") else f"{layer.type}: {err.message}"
            shown = [fmt_shape(s) for s in shapes]
            notes = [] if all(s in message for s in shown) else [f"input shapes: {', '.join(shown)}"]
            self.diags.error(err.code, message, span, label="fails here", help=err.help, notes=notes)
            return None
        except Exception as exc:  # a rule's own bug must not become a traceback
            if spec.custom is not None:  # the user's own rule, given to graphspec.register_layer
                self.diags.error("E499", f"{layer.type}: the shape function of this custom layer raised "
                                         f"{type(exc).__name__}: {exc}", span, label="shape rule failed",
                                 help="fix the `shape=` function given to `graphspec.register_layer`, or leave "
                                      "it out to let Keras compute the shape")
            else:
                self.diags.error("E499", f"{layer.type}: graphspec's shape rule failed ({type(exc).__name__}: "
                                         f"{exc})", span, label="shape rule failed",
                                 help="this is a bug in graphspec; please report it with the spec that triggers it")
            return None
        layer.uses += 1
        outs = result if isinstance(result, list) else [result]
        node_id = len(self.graph.nodes)
        dtype = self.out_dtype(layer, spec, inputs)
        out_ids = [self.new_tensor(tuple(s), dtype, node_id, i, span=span) for i, s in enumerate(outs)]
        self.graph.nodes.append(g.Node(node_id, lid, list(inputs), out_ids, call, span, dict(arguments or {})))
        return out_ids

    def infer(self, spec: L.LayerSpec, shapes):
        if spec.entry is not None:
            return spec.entry.shape(spec.full, shapes)
        return spec.custom.shape(spec.full, shapes)

    # Layers whose Keras output keeps a non-floating input's dtype (int, bool, string);
    # a floating input is cast to the layer's compute dtype, as by every other layer.
    def out_dtype(self, layer: g.Layer, spec: L.LayerSpec, inputs: List[int]) -> str:
        given = spec.full.get("dtype")
        # A dtype policy name such as "mixed_float16" computes in float16.
        compute = compute_dtype(given)
        if spec.entry is not None and spec.entry.dtype is not None:
            own = spec.entry.dtype(spec.full, [self.graph.tensors[t].dtype for t in inputs])
            if own is not None:
                return own
        return compute if isinstance(compute, str) else "float32"

    @staticmethod
    def arity_message(type_name: str, entry, n: int) -> str:
        lo, hi = entry.min_inputs, entry.max_inputs
        if hi == 1:
            return f"{type_name} takes one tensor; received {n}"
        if hi is None:
            return f"{type_name} takes at least {lo} tensors; received {n}"
        if hi == lo:
            return f"{type_name} takes {lo} tensors; received {n}"
        return f"{type_name} takes {lo} to {hi} tensors; received {n}"

    @staticmethod
    def arity_help(type_name: str, entry, n: int) -> Optional[str]:
        if entry.max_inputs == 1 and n > 1:
            return f"merge the tensors first, e.g. `(a, b) -> Concatenate() -> {type_name}(...)`"
        if n == 1 and entry.min_inputs > 1:
            if entry.call == ATTENTION:
                return f"pass query and value as a tuple: `(query, value) -> {type_name}(...)`"
            return f"start from a tuple of tensors: `(a, b) -> {type_name}()`"
        return None

    # ------------------------------------------------------------ nested models
    @staticmethod
    def model_call_ok(step: ast.Call) -> bool:
        """True for `model(trainable=...)`: the one argument a model used as a step takes."""
        return (not step.args and step.call_args is None and len(step.kwargs) <= 1
                and all(kw.name == "trainable" for kw in step.kwargs))

    def trainable_flag(self, frame: Frame, kw) -> Optional[bool]:
        """The value of `trainable=` on a model or block use: True or False; else reported, None."""
        value = self.evaluator(frame).eval(kw.value)
        if value is INVALID or contains_invalid(value):
            return None
        if not isinstance(value, bool):
            self.diags.error("E302", f"`trainable` takes True or False; received {describe(value)}", kw.value.span,
                             label="not a bool", help="write `trainable=False` to freeze it")
            return None
        return value

    def apply_model(self, name: str, inputs: List[int], span: Span, trainable: bool = True) -> Optional[List[int]]:
        sub = self.checker.graph(name, span)
        if sub is None:
            self.diags.failed()  # the nested model's errors are reported once, where it is defined
            return None
        depth = self.model_depth(name, sub)
        if len(self.checker.building) + depth > MAX_EXPANSION_DEPTH:
            # Models defined inner-first are each checked on a shallow stack, so the nesting is
            # measured here, on the graphs: the backends build nested models recursively.
            self.diags.error("E206", f"models nested more than {MAX_EXPANSION_DEPTH} deep: `{name}` already holds "
                                     f"{depth} levels of models", span, label="too deep",
                             help="a model used as a layer may itself use models, up to this depth; flatten the "
                                  "hierarchy with blocks")
            return None
        if len(inputs) != len(sub.inputs):
            names = ", ".join(i.name for i in sub.inputs)
            self.diags.error("E402", f"model `{name}` takes {_count(len(sub.inputs), 'input')} ({names}); "
                                     f"received {_count(len(inputs), 'tensor')}",
                             span, label="wrong number of tensors",
                             help=f"pass one tensor per input, in order: `({names}) -> {name}`"
                             if len(sub.inputs) > 1 else f"pass one tensor: `x -> {name}`")
            return None
        for t, inp in zip(inputs, sub.inputs):
            shape = self.graph.tensors[t].shape
            if shape is None:
                return None
            want = (None,) + inp.shape
            if len(shape) != len(want) or any(a is not None and b is not None and a != b
                                              for a, b in zip(shape, want)):
                self.diags.error("E401", f"model `{name}` expects input `{inp.name}` of shape {fmt_shape(want)}; "
                                         f"received {fmt_shape(shape)}", span, label="incompatible shape",
                                 help=f"`{name}` declares `input {inp.name}: {fmt_shape(inp.shape)}`; give it a "
                                      "tensor of that shape (e.g. resize or reshape first)")
                return None
        self.count_node(span)
        config = {} if trainable and self.frozen is None else {"trainable": False}
        lid = self.model_layers.get(name)
        if lid is None:
            lid = len(self.graph.layers)
            layer = g.Layer(lid, self.names.allocate(name), "Model", "model", config, span, shared=True, model=name,
                            params=g.model_use_params(sub, config), origin=name)
            self.graph.layers.append(layer)
            self.model_layers[name] = lid
            self.model_uses[lid] = span
        layer = self.graph.layers[lid]
        if layer.config != config:
            # Every use calls the one nested model object, and an object has one `trainable` flag.
            this, first = ("frozen", "trainable") if config else ("trainable", "frozen")
            self.diags.error("E214", f"model `{name}` is used {this} here and {first} at {self.model_uses[lid]}",
                             span, label=this,
                             notes=["every use of a model calls the same Keras object, which has one `trainable` flag"],
                             help=f"give every use the same flag (`{name}(trainable=False)` on each), or freeze a "
                                  f"separate model: `model frozen_{name} extends {name} {{}}`")
            return None
        layer.uses += 1
        node_id = len(self.graph.nodes)
        outs = [self.new_tensor(sub.tensors[o.tensor].shape, sub.tensors[o.tensor].dtype, node_id, i, span=span)
                for i, o in enumerate(sub.outputs)]
        self.graph.nodes.append(g.Node(node_id, lid, list(inputs), outs, LIST if len(inputs) > 1 else SINGLE,
                                       span))
        return outs

    def model_depth(self, name: str, sub: g.Graph) -> int:
        """How many levels of models checked model `name` holds, itself included. The models it
        uses were checked (and measured) before it was, so this reads their depths, no recursion."""
        depths = self.globals.budget.model_depth
        depth = depths.get(name)
        if depth is None:
            depth = depths[name] = 1 + max((depths.get(layer.model, 1) for layer in sub.layers
                                            if layer.kind == "model"), default=0)
        return depth

    # ------------------------------------------------------------ blocks
    def expand_block(self, frame: Frame, block: ast.BlockDef, call: Optional[ast.Call], inputs: List[int],
                     span: Span, target: str) -> Optional[List[int]]:
        if block.name in frame.blocks:
            chain = " -> ".join(frame.blocks[frame.blocks.index(block.name):] + (block.name,))
            self.diags.error("E205", f"block `{block.name}` uses itself: {chain}", span, label="recursive use",
                             help="a block cannot expand into itself; to stack it, repeat it in the model: "
                                  f"`repeat 3 {{ h = h -> {block.name}(...) }}`")
            return None
        models = len(self.checker.building) - 1  # models this one is nested in: their expansions are open too
        if models + self.checker.open_blocks >= MAX_EXPANSION_DEPTH:
            what = "blocks and models" if models else "blocks"
            self.diags.error("E205", f"{what} nested more than {MAX_EXPANSION_DEPTH} deep", span)
            return None
        budget = self.globals.budget
        if not budget.fits(budget.block_cost(block.name)):
            self.too_many_steps(span, f"block `{block.name}` expands to")
        budget.spend()
        # `trainable=` freezes every layer of the expansion, unless the block declares such a parameter.
        freeze = None
        if call is not None and all(p.name != "trainable" for p in block.params):
            freeze = next((kw for kw in call.kwargs if kw.name == "trainable"), None)
        values = self.block_args(frame, block, call, span, skip=freeze)
        trainable = True if freeze is None else self.trainable_flag(frame, freeze)
        if values is None or trainable is None:
            return None
        block_inputs = [s for s in block.body if isinstance(s, ast.InputStmt)]
        if len(inputs) != len(block_inputs):
            names = ", ".join(s.name for s in block_inputs) or "none"
            self.diags.error("E211", f"block `{block.name}` takes {_count(len(block_inputs), 'tensor')} ({names}); "
                                     f"received {len(inputs)}", span, label="wrong number of tensors",
                             help="the tensors before `->` fill the block's `input` lines in order")
            return None
        # Expansions are numbered per enclosing scope: residual, residual_2, residual_2_conv_bn, ...
        n = self.block_counts.get((frame.prefix, block.name), 0) + 1
        self.block_counts[(frame.prefix, block.name)] = n
        instance = f"{frame.prefix}{block.name}{'' if n == 1 else '_%d' % n}"
        prefix = instance + "_"
        inner = Frame(prefix=prefix, values=values, blocks=frame.blocks + (block.name,), is_model=False,
                      origins=self.block_origins)
        self.diags.next_instance()
        outer_scope, outer_frozen = self.scope, self.frozen
        self.scope = outer_scope + ((instance, block.name),)
        if not trainable and outer_frozen is None:
            self.frozen = span
        self.checker.open_blocks += 1
        self.diags.call_sites.append(Label(span, f"in this use of block `{block.name}`"))
        try:
            return self._expand_body(block, inner, block_inputs, inputs)
        finally:
            self.diags.call_sites.pop()
            self.checker.open_blocks -= 1
            self.scope, self.frozen = outer_scope, outer_frozen

    def _expand_body(self, block: ast.BlockDef, inner: Frame, block_inputs, inputs) -> Optional[List[int]]:
        for stmt, tensor in zip(block_inputs, inputs):
            inner.tensors[stmt.name] = Binding(tensor, stmt.name_span)
            if stmt.shape is not None:
                self.diags.error("E209", f"block input `{stmt.name}` takes its shape from the tensor it receives",
                                 stmt.shape.span, label="no shape here", help=f"write `input {stmt.name}`")
        self.statements(inner, [s for s in block.body if not isinstance(s, ast.InputStmt)])
        has_outputs = any(isinstance(s, ast.OutputStmt) for s in ast.walk_stmts(block.body))
        if has_outputs:  # else every binding is unused, and E505 says why
            self.finish_bindings(inner)
        if not inner.outputs:
            if not has_outputs:
                self.diags.error("E505", f"block `{block.name}` has no outputs", block.name_span,
                                 label="no `output` line", help=self.no_output_help(inner))
            return None
        return [t for _, t, _ in inner.outputs]

    def block_args(self, frame: Frame, block: ast.BlockDef, call: Optional[ast.Call], span: Span, skip=None):
        ev = self.evaluator(frame)
        params = {p.name: p for p in block.params}
        values: Dict[str, object] = {}
        ok = True
        args = call.args if call else []
        kwargs = [kw for kw in call.kwargs if kw is not skip] if call else []
        if len(args) > len(block.params):
            self.diags.error("E211", f"block `{block.name}` takes {_count(len(block.params), 'argument')} "
                                     f"({self.param_list(block)}); received {len(args)}",
                             args[len(block.params)].span, label="too many",
                             help="remove the extra argument" if len(args) == len(block.params) + 1
                             else "remove the extra arguments")
            ok = False
        origins = self.block_origins = {}
        for p, a in zip(block.params, args):
            self.set_reads = set()
            values[p.name] = ev.eval(a)
            origins[p.name] = frozenset(self.set_reads)
        for kw in kwargs:
            if kw.name not in params:
                self.diags.error("E211", f"block `{block.name}` has no parameter `{kw.name}`", kw.name_span,
                                 label="unknown parameter",
                                 help=did_you_mean(kw.name, params) or f"its parameters: {self.param_list(block)}")
                ok = False
                continue
            if kw.name in values:
                self.diags.error("E304", f"block `{block.name}` got multiple values for argument `{kw.name}`",
                                 kw.name_span, label="given again", help=f"remove one of the values for `{kw.name}`")
                ok = False
                continue
            self.set_reads = set()
            values[kw.name] = ev.eval(kw.value)
            origins[kw.name] = frozenset(self.set_reads)
        for p in block.params:
            if p.name in values:
                continue
            if p.default is None:
                self.diags.error("E211", f"block `{block.name}` needs an argument for `{p.name}`", span,
                                 label="missing argument", help=f"pass it: `{block.name}({p.name}=...)`")
                ok = False
                continue
            # Defaults see the block's earlier parameters and the consts.
            scope = Frame(prefix="", values=dict(values))
            values[p.name] = self.evaluator(scope).eval(p.default)
        if not ok or any(contains_invalid(v) for v in values.values()):
            return None
        return values

    @staticmethod
    def param_list(block: ast.BlockDef) -> str:
        return ", ".join(p.name for p in block.params) or "none"


_MISSING = object()


def _count(n: int, word: str) -> str:
    """`1 tensor`, `2 tensors`."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _value_refs(e):
    """The names an expression reads, except the tensor that `shape(x)` takes."""
    if isinstance(e, ast.Ref):
        yield e
    elif isinstance(e, ast.BinOp):
        yield from _value_refs(e.left)
        yield from _value_refs(e.right)
    elif isinstance(e, ast.Neg):
        yield from _value_refs(e.operand)
    elif isinstance(e, (ast.TupleExpr, ast.ListExpr)):
        for item in e.items:
            yield from _value_refs(item)
    elif isinstance(e, ast.Index):
        yield from _value_refs(e.target)
        yield from _value_refs(e.index)
    elif isinstance(e, ast.Call) and e.name != "shape":
        for a in list(e.args) + [kw.value for kw in e.kwargs]:
            yield from _value_refs(a)
