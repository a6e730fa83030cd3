"""Running the passes over a program: files, names, models, settings, root, usage."""

from __future__ import annotations

import contextlib
import gc
import os

from graphspec import graph as g
from graphspec.diagnostics import codes
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.limits import MAX_EXPANSION_DEPTH, MAX_PARAMS
from graphspec.passes.expand import ModelExpander
from graphspec.passes.lints import lint
from graphspec.passes.modules import Loader, display_name
from graphspec.passes.scope import Globals
from graphspec.passes.settings import SettingsChecker
from graphspec.source import Span
from graphspec.suggest import did_you_mean
from graphspec.syntax import ast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional, Set


class Checker:
    """Builds every model's graph once, detecting model-to-model cycles."""

    def __init__(self, globals_: Globals, diags: Diagnostics, max_params: int = MAX_PARAMS, release: bool = False):
        self.globals = globals_
        self.diags = diags
        self.max_params = max_params  # weights a model may have (limits.MAX_PARAMS)
        # Let go of each model statement once expanded (`graphspec check` keeps no tree): a model
        # then never holds its whole syntax tree and its whole graph at once.
        self.release = release
        self._extended: Optional[Set[str]] = None  # the models another extends: their statements are kept
        self.graphs: Dict[str, Optional[g.Graph]] = {}
        self.building: List[str] = []
        self.node_count = 0
        self.open_blocks = 0  # block expansions in progress, in every model being built (MAX_EXPANSION_DEPTH)

    def graph(self, name: str, use: Optional[Span] = None) -> Optional[g.Graph]:
        """The checked graph of model `name`, or None if it has errors."""
        if name in self.graphs:
            return self.graphs[name]
        if name in self.building:
            cycle = " -> ".join(self.building[self.building.index(name):] + [name])
            self.diags.error(codes.E206, f"model `{name}` uses itself: {cycle}", use, label="cyclic use",
                             help=f"remove this use of `{name}`: a model cannot contain itself (to repeat "
                                  "structure without sharing weights, write a block)")
            return None
        mdef = self.globals.models.get(name)
        if mdef is None:  # a model whose name another definition took first: already reported (E202)
            self.graphs[name] = None
            return None
        if len(self.building) + self.open_blocks >= MAX_EXPANSION_DEPTH:
            what = "models and blocks" if self.open_blocks else "models"
            self.diags.error(codes.E206, f"{what} nested more than {MAX_EXPANSION_DEPTH} deep", use, label="too deep",
                             help="a model used as a layer may itself use models, up to this depth; flatten the "
                                  "hierarchy with blocks")
            return None
        body = self.body_of(mdef)
        if body is None:
            self.graphs[name] = None
            return None
        self.building.append(name)
        before = self.diags.error_count
        declared = [s.name for s in body if isinstance(s, ast.OutputStmt)]  # even those that failed
        release = self.release and name not in self.extended()
        if release:  # the expander's copy of the body is then the statements' only holder
            mdef.body = []
        try:
            expander = ModelExpander(self, mdef, body, release=release)
            graph = expander.run()
            graph.extends = mdef.extends[0] if mdef.extends else None
            checker = SettingsChecker(declared, self.globals.evaluator, self.diags)
            graph.compile, graph.fit = checker.run(expander.settings)
            if self.diags.error_count == before:  # a failed step leaves inputs unreached
                unused_inputs(graph, self.diags)
                constant_layers(graph, self.diags)
                param_limit(graph, self.max_params, self.diags)
                lint(graph, expander.settings, self.diags)
        finally:
            self.building.pop()
        ok = self.diags.error_count == before
        self.graphs[name] = graph if ok else None
        return self.graphs[name]

    def extended(self) -> Set[str]:
        """The models that some model extends (`model b extends a`: a's statements are read again)."""
        if self._extended is None:
            self._extended = {m.extends[0] for m in self.globals.models.values() if m.extends}
        return self._extended

    def body_of(self, mdef: ast.ModelDef, seen: Optional[List[str]] = None) -> Optional[List[ast.Stmt]]:
        """A model's statements, its parents' first (`model b extends a`)."""
        seen = (seen or []) + [mdef.name]
        if mdef.extends is None:
            return list(mdef.body)
        parent, span = mdef.extends
        if parent in seen:
            chain = " -> ".join(seen[seen.index(parent):] + [parent])
            self.diags.error(codes.E206, f"model `{mdef.name}` extends itself: {chain}", span, label="cyclic extends")
            return None
        pdef = self.globals.models.get(parent)
        if pdef is None:
            self.diags.error(codes.E201, f"unknown model `{parent}`", span, label="not defined",
                             help=did_you_mean(parent, self.globals.models))
            return None
        if len(seen) >= MAX_EXPANSION_DEPTH:
            self.diags.error(codes.E206, f"`extends` chains more than {MAX_EXPANSION_DEPTH} models deep", span,
                             label="too deep", help="flatten the hierarchy: copy the shared statements into a block")
            return None
        base = self.body_of(pdef, seen)
        return None if base is None else base + list(mdef.body)


def param_limit(graph: g.Graph, limit: int, diags: Diagnostics) -> None:
    """Refuse a model whose weights would exceed `limit` (limits.MAX_PARAMS), at the layer that crosses it:
    `Dense(2147483648)` checks in microseconds but would allocate tens of gigabytes when built."""
    total = 0
    for layer in graph.layers:  # every layer object is built, a nested model with all of its weights
        count = sum(layer.params)
        total += count
        if total <= limit:
            continue
        alone = count > limit
        what = f"model `{layer.model}`" if layer.kind == "model" else f"layer `{layer.name}` ({layer.type})"
        message = (f"{what} has {count:,} parameters, more than the limit of {limit:,}" if alone else
                   f"{what} brings the model to {total:,} parameters, more than the limit of {limit:,}")
        diags.error(codes.E005, message, layer.span, label="too many parameters",
                    help=f"make the layer{'' if alone else 's'} smaller; if the model really is this large, raise "
                         "the limit with `--max-params N` (or `max-params` in `[tool.graphspec]`, "
                         "`max_params=` in Python)")
        return


def constant_layers(graph: g.Graph, diags: Diagnostics) -> None:
    """Refuse a layer whose tensors depend on no model input (`ops.arange(8) -> Embedding(8, 4)`): Keras
    runs it once while the model is built and keeps its result as a constant, dropping its weights."""
    live = {inp.tensor for inp in graph.inputs}
    for node in graph.nodes:  # in topological order
        tensors = node.dependencies()
        layer = graph.layers[node.layer]
        if any(t in live for t in tensors):
            live.update(node.outputs)
            continue
        if layer.kind == "op":  # an op of constants is a constant, as in Keras
            continue
        live.update(node.outputs)  # reported once: the layers after it are not reported again
        shapes = " and ".join(str(tuple(graph.tensors[t].shape)) for t in tensors)
        fix = "derive the tensor from an input, e.g. `positions = (tokens -> ops.zeros_like()) + ops.arange(12)`"
        named = [o.name for o in graph.outputs if o.tensor in node.outputs]
        if named and layer.type == "Identity":  # the Identity graphspec adds to name an output
            diags.error(codes.E404, f"output `{named[0]}` depends on no model input; received shape {shapes}, made "
                                "from constants alone", node.span or layer.span, label="depends on no input",
                        help=f"a Keras model computes its outputs from its inputs; {fix}")
            continue
        what = f"model `{layer.model}`" if layer.kind == "model" else f"`{layer.type}`"
        diags.error(codes.E404, f"{what} is applied to a tensor that depends on no model input; received shape "
                            f"{shapes}, made from constants alone", node.span or layer.span,
                    label="depends on no input",
                    help=f"Keras would run the layer once while building the model and keep its output as a "
                         f"constant, without its weights; {fix}")


def unused_inputs(graph: g.Graph, diags: Diagnostics) -> None:
    """Warn about inputs that no output depends on."""
    reached, _ = g.upstream(graph)
    for inp in graph.inputs:
        if inp.tensor not in reached and graph.outputs:
            diags.warning(codes.W101, f"input `{inp.name}` is not used by any output", inp.span,
                          label="unused input", help="remove it, or connect it to an output")


def used_models(modules: List[ast.Module]) -> Set[str]:
    """Names of models that other models use as a layer or extend."""
    used: Set[str] = set()

    def source(src):
        if isinstance(src, ast.Chain):
            chain(src)
        elif isinstance(src, ast.TupleSource):
            for item in src.items:
                chain(item)
        elif isinstance(src, ast.TensorOp):  # `(left -> tower) - (right -> tower)` uses `tower`
            source(src.left)
            source(src.right)
        elif isinstance(src, ast.TensorNeg):
            source(src.operand)
        elif isinstance(src, ast.Subscript):
            source(src.target)

    def chain(c):
        source(c.source)
        for step in c.steps:
            if isinstance(step, (ast.StepName, ast.Call)):  # a call: `backbone(trainable=False)`
                used.add(step.name)

    def body(stmts):
        for s in stmts:
            if isinstance(s, (ast.BindStmt, ast.OutputStmt)) and s.chain is not None:
                chain(s.chain)
            for inner in ast.child_bodies(s):  # `repeat` and `if` bodies
                body(inner)

    for m in modules:
        for mdef in m.models:
            body(mdef.body)
            if mdef.extends:
                used.add(mdef.extends[0])
        for b in m.blocks:
            body(b.body)
    return used


def pick_root(main: ast.Module, modules: List[ast.Module], model: Optional[str], globals_: Globals,
              diags: Diagnostics, required: bool) -> Optional[str]:
    """The model to build: `model` if given, else the one model of the main file no other model uses."""
    if model is not None:
        if model not in globals_.models:
            # A command-line mistake, not a place in the file: no span.
            diags.error(codes.E207, f"`--model {model}`: there is no model `{model}` in {main.source.name} or its imports",
                        None,
                        help=did_you_mean(model, globals_.models)
                        or f"the models are: {', '.join(globals_.models) or 'none'}")
            return None
        return model
    used = used_models(modules)
    roots = [m.name for m in main.models if m.name not in used]
    if len(roots) == 1:
        return roots[0]
    if not required:
        return None
    if not roots and main.models:
        return None  # every model is used by another: a cycle (E206), or `run` says so after checking
    if not roots:
        diags.error(codes.E207, "this file defines no model to build", main.source.span(0, 0),
                    help="add `model NAME { ... }`, or pick an imported model with --model")
    else:
        diags.error(codes.E207, f"several models could be the root: {', '.join(roots)}",
                    main.models[[m.name for m in main.models].index(roots[1])].name_span,
                    help=f"pick one with --model (e.g. `--model {roots[0]}`) or "
                         f"`graphspec.load(..., model=\"{roots[0]}\")`")
    return None


def run(loader: Loader, main: Optional[ast.Module], diags: Diagnostics, *, model: Optional[str] = None,
        overrides: Optional[dict] = None, require_root: bool = False,
        max_params: Optional[int] = None, release: bool = False) -> Optional[g.Program]:
    """Check a loaded program; return it when it has no errors. `max_params` overrides limits.MAX_PARAMS;
    `release`: the models' statements are let go of as they are expanded (the loader's syntax trees are
    then left without them), for a caller that only wants the diagnostics and the program."""
    if main is None or diags.has_errors:
        return None
    modules = loader.order
    globals_ = Globals(modules, diags, overrides)
    for name in (overrides or {}):
        if name not in globals_.consts:
            diags.error(codes.E213, f"`--set {name}=...`: there is no const `{name}` in {main.source.name} or its imports",
                        None,
                        help=did_you_mean(name, globals_.consts) or
                        (f"the consts are: {', '.join(globals_.consts)}" if globals_.consts
                         else "the spec defines no const; `--set` overrides a `const NAME = VALUE` line"))
    # Every const is evaluated here, near the top of the stack, so that a deeply nested expansion
    # that uses a const never evaluates a chain of consts on top of its own depth.
    globals_.const_values()
    checker = Checker(globals_, diags, MAX_PARAMS if max_params is None else max_params, release)
    root = pick_root(main, modules, model, globals_, diags, require_root)
    names = [m.name for m in main.models]
    if root is not None and root not in names:
        names.append(root)
    for name in names:
        checker.graph(name)
    if require_root and root is None and model is None and main.models and not diags.has_errors:
        diags.error(codes.E207, "every model of this file is used by another model, so none is the root",
                    main.models[0].name_span, help=f"pick one with --model (e.g. `--model {main.models[0].name}`)")
    consts = globals_.const_values()
    if diags.has_errors:
        return None
    models = {name: gr for name, gr in checker.graphs.items() if gr is not None}
    files = [str(m.source.name) for m in modules]
    return g.Program(root, models, files, {k: v for k, v in consts.items()})


def parse_override(text: str):
    """Parse a `--set NAME=VALUE` into (name, value); raises ValueError with a message."""
    from graphspec.passes.values import INVALID as _INV, Evaluator
    from graphspec.source import Source
    from graphspec.syntax.parse import parse

    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise ValueError(f"--set expects NAME=VALUE; received {text!r}")
    diags = Diagnostics()
    module = parse(Source("--set", f"const {name} = {value}"), diags)
    if module is None or len(module.consts) != 1 or module.imports or module.models or module.blocks:
        raise ValueError(f"--set {name}: {value!r} is not a value (numbers, strings, tuples, lists)")
    result = Evaluator(lambda n: (_ for _ in ()).throw(KeyError(n)), list, diags).eval(module.consts[0].value)
    if result is _INV or diags.has_errors:
        raise ValueError(f"--set {name}: {value!r} is not a value (numbers, strings, tuples, lists)")
    return name, result


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while checking.

    Parsing and expanding allocate a great many small, acyclic objects (freed by
    reference counting as usual); the collector's full passes over the growing
    heap made checking a 10,000-layer spec super-linear (benchmarks/run.py).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # Everything made while paused sits in the youngest generation: the first collection
            # after re-enabling would walk all of it (a tenth of a 10,000-layer check). Freezing and
            # unfreezing moves it to the oldest generation in O(1), collected by the usual full passes.
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _too_deep_to_check(diags: Diagnostics, name: str) -> None:
    """The last resort when checking exhausts Python's recursion limit. The limits in
    graphspec/limits.py keep every input well inside it (tests/security/test_bad_input.py builds the
    deepest specs they allow); this only fires when the caller's own stack is already deep."""
    diags.error(codes.E103, "the spec is nested too deeply to check here (imports, models, blocks and values "
                        "inside one another exhaust Python's recursion limit)", Span(name, 1, 1, 1, 1),
                help="flatten the nesting, or check the spec from a shallower call stack")


def _silence(diags: Diagnostics, loader: Loader, ignore) -> None:
    """Drop the warnings silenced by `# gspec: ignore[...]` comments or the project's `ignore` codes."""
    from graphspec.diagnostics.suppress import suppress

    diags.items[:] = suppress(diags.items, loader.sources, ignore)


def check_path(path, diags: Diagnostics, *, ignore=(), **kw):
    """Load and check a file (a str or a Path): (program or None, loader). `ignore`: warning codes
    silenced everywhere."""
    with _gc_paused():
        loader = Loader(diags)
        try:
            main = loader.load(path)
            return run(loader, main, diags, **kw), loader
        except RecursionError:
            _too_deep_to_check(diags, display_name(os.path.realpath(path)))
            return None, loader
        finally:
            _silence(diags, loader, ignore)


def check_text(text: str, diags: Diagnostics, name: str = "<string>", base=None, *,
               ignore=(), **kw):
    """Check spec text: (program or None, loader); imports resolve against the folder `base` (a str or
    a Path; the working directory by default). `ignore`: warning codes silenced everywhere."""
    with _gc_paused():
        loader = Loader(diags)
        try:
            main = loader.load_text(name, text, base or os.getcwd())
            return run(loader, main, diags, **kw), loader
        except RecursionError:
            _too_deep_to_check(diags, name)
            return None, loader
        finally:
            _silence(diags, loader, ignore)
