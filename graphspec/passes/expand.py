"""Expanding a model: statements and chains (the parts: application, naming, blocks, nested, frame).

This pass walks a model's statements in order, like an interpreter, creating the
graph's layers, nodes and tensors, and infers each tensor's shape at the step that
creates it, so a shape error is reported where it happens.
"""

from __future__ import annotations

from graphspec import graph as g
from graphspec.diagnostics import codes
from graphspec.diagnostics.diagnostic import Label
from graphspec.limits import MAX_REPEAT, MAX_STEPS
from graphspec.passes import layers as L
from graphspec.passes.application import LayerApplication
from graphspec.passes.blocks import BlockExpansion
from graphspec.passes.call_args import CallArguments
from graphspec.passes.frame import Abort, Binding, Frame, OncePerPlace, counted
from graphspec.passes.naming import LayerNaming, Names, snake
from graphspec.passes.nested import NestedModels
from graphspec.passes.scope import Globals
from graphspec.passes.tensor_ops import EXPRESSIONS, TensorExpressions
from graphspec.passes.values import (INVALID, OPAQUE, Evaluator, bool_help, code_help, contains_invalid, describe,
                                     runs_code, value_refs)
from graphspec.source import Span
from graphspec.suggest import did_you_mean
from graphspec.syntax import ast
from graphspec.text import spec_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional


class ModelExpander(LayerApplication, LayerNaming, BlockExpansion, NestedModels):
    """Builds the Graph of one model: the statements and chains here; applying layers, naming them,
    expanding blocks and nested models in the parts it is made of (application, naming, blocks, nested)."""

    def __init__(self, checker, mdef: ast.ModelDef, body: List[ast.Stmt], release: bool = False):
        self.checker = checker
        self.release = release  # run() empties `body`, letting go of each statement once run
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
        self._layer_specs: Dict[tuple, L.LayerSpec] = {}  # checked layer calls, by (name, repr of arguments)
        self._block_parts: Dict[int, object] = {}  # id of a block definition -> its blocks._Parts
        self._layer_types: Dict[str, tuple] = {}  # a layer call's name -> (type, remembered): layer_type
        self._call_nodes: Dict[int, object] = {}  # id of a layer call node -> its application._CallNode
        self.repeats = 0  # the `repeat` bodies being expanded: with self.scope, whether a node is met again
        self._shapes: Dict[tuple, tuple] = {}  # each distinct tensor shape once (LayerApplication.shape_of)
        self.expressions = TensorExpressions(self)
        self.call_arguments = CallArguments(self)

    # ------------------------------------------------------------ entry
    def run(self) -> g.Graph:
        frame = Frame(prefix="", values={})
        errors_before = self.diags.error_count
        has_outputs = any(isinstance(st, ast.OutputStmt) for st in ast.walk_stmts(self.body))
        try:
            if self.release:
                # Each statement taken out of the body as it is run: what the graph does not keep of it
                # is freed then (100,000 generated layers: 230 -> 186 MB peak). Inline, not a method:
                # nested models recurse through here, and the stack's depth is budgeted (limits.py).
                body = self.body
                body.reverse()
                take = body.pop
                while body:
                    self.statements(frame, (take(),))
            else:
                self.statements(frame, self.body)
        except Abort:
            return self.graph
        if has_outputs:  # else E505 says it all
            self.finish_bindings(frame)
        for name, layer_id in frame.layers.items():
            if layer_id >= 0 and name not in frame.used_layers:
                self.diags.warning(codes.W102, f"layer `{name}` is declared but never used", frame.layer_spans[name],
                                   label="never applied", help="remove it, or apply it in a chain: `x -> "
                                                               f"{name}`")
        # Only when this model has no other error: a failed `output` line is not a missing one.
        clean = self.diags.error_count == errors_before
        if not self.graph.outputs and clean:
            self.diags.error(codes.E505, f"model `{self.mdef.name}` has no outputs", self.mdef.name_span,
                             label="no `output` line", help=self.no_output_help(frame))
        if not self.graph.inputs and clean:
            self.diags.error(codes.E505, f"model `{self.mdef.name}` has no inputs", self.mdef.name_span,
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

    def set_origins(self, before: int) -> None:
        """Point the diagnostics reported since `before` at the `--set` values the call read."""
        reads, self.set_reads = self.set_reads, set()
        for name in sorted(reads):
            const = self.globals.consts[name]
            label = Label(const.value.span, f"replaced by `--set {name}={spec_value(self.globals.overrides[name])}`")
            for diag in self.diags.items[before:]:
                diag.related.append(label)

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
        self.diags.warning(codes.W103, f"the value bound to `{name}` here is never used", binding.span,
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
            method = _STATEMENTS.get(type(stmt))
            if method is None:  # the method named for the statement's class, found once per class
                method = _STATEMENTS[type(stmt)] = getattr(ModelExpander, "stmt_" + type(stmt).__name__)
            method(self, frame, stmt)

    def too_many_steps(self, span: Span, what: str = "the spec expands to") -> None:
        """Report MAX_STEPS reached (or certain to be) at `span`, and stop expanding."""
        self.diags.error(codes.E004, f"{what} more than {MAX_STEPS:,} steps (statements run, `repeat` iterations "
                                 "and block expansions)", span, label="limit reached here",
                         help="lower the `repeat` counts, or use fewer nested blocks and repeats")
        raise Abort()

    def stmt_InputStmt(self, frame: Frame, s: ast.InputStmt) -> None:
        if not frame.is_model:
            self.diags.error(codes.E209, "`input` inside a block cannot be repeated or nested", s.span)
            return
        if s.name in frame.tensors:
            self.diags.error(codes.E202, f"`{s.name}` is already defined", s.name_span, label="defined again",
                             related=[Label(frame.tensors[s.name].span, "first defined here")],
                             help="give this input another name: inputs are named uniquely")
            return
        if s.shape is None:
            self.diags.error(codes.E251, f"model input `{s.name}` needs a shape", s.name_span,
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
            self.diags.error(codes.E251, f"an input shape must be a tuple; received {value!r}", s.shape.span,
                             label="not a tuple", help=f"write `({value},)` for a vector of {value} values")
            return None
        if not isinstance(value, tuple):
            self.diags.error(codes.E251, f"an input shape must be a tuple of sizes; received {describe(value)}",
                             s.shape.span, label="not a shape", help="write e.g. `(28, 28, 1)` or `(None,)`")
            return None
        for dim in value:
            if dim is None:
                continue
            if not isinstance(dim, int) or isinstance(dim, bool) or dim <= 0:
                self.diags.error(codes.E251, f"every size in an input shape must be a positive integer or None; "
                                         f"received {describe(dim)} in {value!r}", s.shape.span,
                                 label="invalid size")
                return None
        return value

    def stmt_LayerStmt(self, frame: Frame, s: ast.LayerStmt) -> None:
        if s.name in frame.layers:
            self.diags.error(codes.E202, f"layer `{s.name}` is declared twice", s.name_span, label="declared again",
                             notes=[f"first declared at {frame.layer_spans[s.name]}"])
            return
        spec = self.layer_spec(frame, s.call)
        if spec is None:
            frame.layers[s.name] = -1
            frame.layer_spans[s.name] = s.name_span
            return
        name = frame.prefix + s.name
        if name in self.names.reserved and not frame.prefix:
            self.diags.error(codes.E202, f"`{s.name}` is both a layer and an output name", s.name_span,
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
                self.diags.error(codes.E212, f"this chain gives {len(tensors)} tensors; `{target}` can hold one",
                                 s.chain.span, label=f"{len(tensors)} tensors",
                                 help="merge them with a step such as `-> Concatenate()`, or bind one name per "
                                      f"tensor: `{', '.join('t%d' % i for i in range(len(tensors)))} = ...`")
            else:
                first, last = s.targets[0][1], s.targets[-1][1]
                k = len(tensors)
                self.diags.error(codes.E212, f"{n} names on the left, but the chain gives {counted(k, 'tensor')}",
                                 Span(first.file, first.line, first.col, last.end_line, last.end_col),
                                 label=f"{n} names",
                                 help=f"write {counted(k, 'name')} on the left" if k > 1
                                 else f"the chain's last step gives one tensor: bind it with `{s.targets[0][0]} = ...`")
            tensors = None
        for i, (name, span) in enumerate(s.targets):
            self.bind(frame, name, tensors[i] if tensors is not None else self.poisoned(), span)

    def stmt_OutputStmt(self, frame: Frame, s: ast.OutputStmt) -> None:
        if any(o[0] == s.name for o in frame.outputs):
            self.diags.error(codes.E202, f"output `{s.name}` is declared twice", s.name_span, label="declared again",
                             help="output names must be unique")
            return
        if s.chain is None:
            binding = frame.tensors.get(s.name)
            if binding is None:
                self.diags.error(codes.E201, f"unknown tensor `{s.name}`", s.name_span, label="not bound",
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
                self.diags.error(codes.E212, f"output `{s.name}` must be one tensor; the chain gives {len(tensors)}",
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

    def stmt_SettingsStmt(self, frame: Frame, s: ast.SettingsStmt) -> None:
        if not frame.is_model:
            self.diags.error(codes.E209, f"`{s.kind}` belongs in a model, not in a block", s.span,
                             help=f"move the `{s.kind}` block into the model that uses this block")
            return
        self.settings.append(s)

    def stmt_RepeatStmt(self, frame: Frame, s: ast.RepeatStmt) -> None:
        count = self.evaluator(frame).eval(s.count)
        if count is INVALID:
            return
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            self.diags.error(codes.E250, f"`repeat` needs a whole number of times; received {describe(count)}",
                             s.count.span, label="not a count")
            return
        if count > MAX_REPEAT:
            self.diags.error(codes.E004, f"`repeat {count}` is too large (the limit is {MAX_REPEAT:,})",
                             s.count.span, label="too many",
                             help="lower the count; a very large network can be split into nested models")
            raise Abort()
        budget = self.globals.budget
        if count and not budget.fits(count * (1 + budget.body_cost(s.body))):
            self.too_many_steps(s.count.span, f"`repeat {count}` of this body would expand to")
        index = s.index[0] if s.index else None
        saved = frame.values.get(index, _MISSING) if index else _MISSING
        self.repeats += 1
        try:
            for i in range(count):
                if not budget.spend():
                    self.too_many_steps(s.count.span)
                self.diags.next_instance()
                if index:
                    frame.values[index] = i
                self.statements(frame, s.body)
        finally:
            self.repeats -= 1
        if index:
            if saved is _MISSING:
                frame.values.pop(index, None)
            else:
                frame.values[index] = saved

    def stmt_IfStmt(self, frame: Frame, s: ast.IfStmt) -> None:
        """Expand the branch the condition picks; it is a value known when the spec is checked."""
        tensor = next((r for r in value_refs(s.cond) if r is not OPAQUE and r.name in frame.tensors), None)
        if tensor is not None:
            self.diags.error(codes.E252, f"the condition of `if` must be known when the spec is checked; `{tensor.name}` "
                                     "is a tensor", tensor.span, label="a tensor, not a value",
                             help="test consts, `--set` values, block parameters or `shape(x)`: the structure of "
                                  "the model is fixed before it sees data")
            return
        value = self.evaluator(frame).eval(s.cond)
        if value is INVALID:
            return
        if not isinstance(value, bool):
            self.diags.error(codes.E250, f"`if` needs True or False; received {describe(value)}", s.cond.span,
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
                self.diags.error(codes.E201, f"unknown layer, block or model `{name}`", step.span, label="not defined",
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
            self.diags.error(codes.E209, f"`{name}` is {what}, not a tensor", src.span, label="not a tensor",
                             help="a chain starts from an input or a bound tensor: `x -> " + name + "`")
        else:
            self.diags.error(codes.E201, f"unknown tensor `{name}`", src.span, label="not defined",
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
                self.diags.error(codes.E209, f"`{name}` is a layer type; call it to make a layer", step.span,
                                 label="not called", help=f"write `{name}()`")
                return None
            if name in frame.tensors:
                self.diags.error(codes.E209, f"`{name}` is a tensor, not a step", step.span, label="a tensor",
                                 help=f"to combine tensors, start from a tuple: `(..., {name}) -> Concatenate()`")
                return None
            self.diags.error(codes.E201, f"unknown layer, block or model `{name}`", step.span, label="not defined",
                             help=self.unknown_step_help(frame, name))
            return None
        # a call
        if name in self.globals.blocks:
            return self.expand_block(frame, self.globals.blocks[name], step, inputs, step.span, target)
        if runs_code(name):
            self.diags.error(codes.E210, f"`{name}` is not allowed: a spec never runs code", step.name_span,
                             label="runs Python code", help=code_help(name))
            return None
        if name in self.globals.models and name not in frame.layers and self.model_call_ok(step):
            trainable = self.trainable_flag(frame, step.kwargs[0]) if step.kwargs else True
            return None if trainable is None else self.apply_model(name, inputs, step.span, trainable)
        if name in frame.layers or name in self.globals.models:
            frame.used_layers.add(name)
            if name in frame.layers and any(kw.name == "trainable" for kw in step.kwargs):
                # A shared layer is one object: it is frozen where it is declared, not at a use.
                self.diags.error(codes.E209, f"`{name}` is a shared layer; `trainable` belongs where it is declared",
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
            self.diags.error(codes.E209, f"`{name}` is {kind}; it takes no constructor arguments", step.span,
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


_MISSING = object()
_STATEMENTS: dict = {}  # statement class -> ModelExpander's method for it
