"""Static inference agrees with Keras on every spec of the repository.

For every `.gspec` under specs/ (seeds, the custom-layer example, the zoo, and
whatever is added later: the glob is recursive) and every fixture spec under
tests/fixtures/ that checks clean and has a root model, the model is built with
`to_keras()` and compared with what graphspec inferred without Keras:

- every IR tensor's shape and dtype, against the tensor Keras gives it. Two
  independent ways: the built model's own graph (each IR node matched to the
  inbound node of `model.get_layer(name)` whose call arguments are the Keras
  tensors of the IR node's inputs), and a fresh symbolic graph that calls the
  built model's layers on new `keras.Input`s exactly as the builder does (this
  also covers the tensors of a dead branch, which Keras drops from the model);
  nested models are compared recursively against their own Keras graph;
- the model's inputs and outputs (shapes, dtypes, names);
- every layer's (trainable, non-trainable) parameter counts, against the sizes
  of its Keras weights;
- `summarize()`: layer names, types and order against `model.layers`, each
  row's params against `layer.count_params()`, each row's output shapes against
  Keras, and the totals against `model.count_params()` and the sizes of the
  trainable / non-trainable weights; `ModelIR.param_counts()` (what
  `graphspec compile` prints) gives the same totals.

A fixture that does not check clean is skipped, but only a diagnostic fixture
(under a `diagnostics/` folder, or with a golden `.err` file next to it) may be
skipped that way: `test_only_diagnostic_fixtures_are_skipped` says so. The one
other kind allowed is a formatter golden (under `fmt/`): the formatter needs a
file that parses, not one that checks, so such a file may have semantic errors
but no syntax (E1xx) or file (E0xx) error.

Every comparison collects all mismatches of a spec before failing, and names
the spec, model, layer and shapes.
"""

from __future__ import annotations

import gc
import importlib.util
import math
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional

import keras
import pytest

from graphspec.backends import keras_builder
from graphspec.catalog.ops.keras_classes import class_for_op
from graphspec.backends.summary import summarize
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.api import from_program
from graphspec.passes.check import check_path

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
SPECS = ROOT / "specs"
FIXTURES = ROOT / "tests" / "fixtures"

SPEC_PATHS = sorted(SPECS.rglob("*.gspec"))
FIXTURE_PATHS = sorted(FIXTURES.rglob("*.gspec"))

DIAGNOSTIC_DIRS = {"diagnostics"}
FORMATTER_DIRS = {"fmt"}


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _is_diagnostic_fixture(path: Path) -> bool:
    """A fixture written to produce diagnostics: in a diagnostics/ folder, or with a golden .err."""
    rel = path.relative_to(FIXTURES)
    return bool(DIAGNOSTIC_DIRS & set(rel.parts[:-1])) or path.with_suffix(".err").is_file()


def _is_formatter_fixture_that_parses(path: Path) -> bool:
    """A formatter golden: it must parse (no E0xx/E1xx error), it need not check."""
    rel = path.relative_to(FIXTURES)
    codes = {e.split(":", 1)[0] for e in _check(path).errors}
    return bool(FORMATTER_DIRS & set(rel.parts[:-1])) and not any(c.startswith(("E0", "E1")) for c in codes)


# -- custom layers ------------------------------------------------------------------


def _register_custom_layers() -> None:
    """Import every Python module next to the specs (each registers its custom layers).

    A module another test already imported (under the name it uses) is reused, so
    that one class object stays registered.
    """
    for py in sorted(SPECS.rglob("*.py")):
        names = (py.stem, f"graphspec_examples_{py.stem}")
        if any(getattr(sys.modules.get(n), "__file__", None) and
               Path(sys.modules[n].__file__).resolve() == py.resolve() for n in names):
            continue
        module_spec = importlib.util.spec_from_file_location(py.stem, py)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[py.stem] = module
        try:
            module_spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[py.stem]
            raise


_register_custom_layers()


# -- which files are compared ----------------------------------------------------------


@dataclass
class Checked:
    path: Path
    spec: Optional[object]  # the Spec, when the file checks clean and has a root
    errors: List[str] = field(default_factory=list)  # rendered error diagnostics, if any


@lru_cache(maxsize=None)
def _check(path: Path) -> Checked:
    diags = Diagnostics()
    program, _ = check_path(path, diags, require_root=False)
    errors = [f"{d.code}: {d.message}" for d in diags.sorted() if d.is_error]
    if program is None or errors:
        return Checked(path, None, errors or ["did not check clean"])
    if program.root is None:
        return Checked(path, None)
    return Checked(path, from_program(program))


# -- matching IR tensors with Keras tensors ---------------------------------------------


def _shape(t) -> tuple:
    return tuple(t.shape)


def _size(weights) -> int:
    return sum(math.prod(w.shape) for w in weights)


def _live_layers(ir) -> set:
    """Layer ids the outputs depend on: the layers Keras keeps in the model."""
    seen, live = set(), set()
    stack = [o.tensor for o in ir.outputs]
    while stack:
        t = stack.pop()
        if t in seen:
            continue
        seen.add(t)
        producer = ir.tensors[t].producer
        if producer is not None:
            node = ir.nodes[producer]
            live.add(node.layer)
            stack.extend(node.inputs)
    return live


def _describe(ir, tensor_id: int) -> str:
    t = ir.tensors[tensor_id]
    if t.producer is None:
        inp = next(i for i in ir.inputs if i.tensor == tensor_id)
        return f"tensor {tensor_id} (input `{inp.name}`)"
    node = ir.nodes[t.producer]
    layer = ir.layers[node.layer]
    return (f"tensor {tensor_id} (output {t.index} of layer `{layer.name}` ({layer.type}"
            f"{' ' + str(dict(layer.config)) if layer.config else ''}))")


def _compare_tensor(ir, tensor_id: int, keras_tensor, where: str, problems: List[str]) -> None:
    t = ir.tensors[tensor_id]
    static = (t.shape, t.dtype)
    actual = (_shape(keras_tensor), keras_tensor.dtype)
    if static != actual:
        problems.append(f"{where}: {_describe(ir, tensor_id)}: static shape {t.shape} {t.dtype}, "
                        f"Keras {actual[0]} {actual[1]}")


def _call(obj, node, args, kwargs=None):
    """Call a layer as keras_builder does for this IR node (with its call-time arguments); its outputs as a list."""
    result = keras_builder.call_layer(obj, node, args, kwargs or {})
    return list(result) if isinstance(result, (list, tuple)) else [result]


def graph_tensors(spec, model_name: str, kmodel, where: str, problems: List[str]) -> Dict[int, object]:
    """IR tensor id -> the Keras tensor of the built model's own graph.

    Each live IR node is matched with the inbound node of its Keras layer whose
    positional call arguments are exactly the Keras tensors of the IR node's inputs
    (the first unused one: a shared layer may be called twice on the same tensor).
    """
    ir = spec.models[model_name]
    tensors: Dict[int, object] = {}
    if len(kmodel.inputs) != len(ir.inputs):
        problems.append(f"{where}: {len(ir.inputs)} IR inputs, Keras has {len(kmodel.inputs)}")
        return tensors
    for inp, t in zip(ir.inputs, kmodel.inputs):
        tensors[inp.tensor] = t
    live = _live_layers(ir)
    taken: Dict[int, set] = {}
    operations = _operations_by_class(kmodel)
    for node in ir.nodes:
        if node.layer not in live:
            continue
        layer = ir.layers[node.layer]
        if any(i not in tensors for i in node.inputs):
            problems.append(f"{where}: node {node.id} (`{layer.name}`): an input has no Keras tensor")
            continue
        wanted = [id(tensors[i]) for i in node.inputs]
        if layer.kind == "op":  # a keras.ops Operation: the next one of its class, in creation order
            queue = operations.get(class_for_op(layer.type), [])
            if not queue:
                problems.append(f"{where}: node {node.id} (op `{layer.type}`): the Keras model has no such operation")
                continue
            klayer = queue.pop(0)
        else:
            try:
                klayer = kmodel.get_layer(layer.name)
            except ValueError:
                problems.append(f"{where}: IR layer `{layer.name}` ({layer.type}) is not a layer of the Keras model")
                continue
        used = taken.setdefault(id(klayer), set())
        match = None
        for k, knode in enumerate(klayer._inbound_nodes):
            if k not in used and _tensor_ids(knode) == wanted:
                match = k
                break
        if match is None:
            problems.append(f"{where}: node {node.id} (`{layer.name}` on tensors {node.inputs}): no call of "
                            "the Keras layer takes those tensors")
            continue
        used.add(match)
        outs = klayer._inbound_nodes[match].output_tensors
        if len(outs) != len(node.outputs):
            problems.append(f"{where}: node {node.id} (`{layer.name}`): the spec expects {len(node.outputs)} "
                            f"output tensors, Keras gives {len(outs)}")
            continue
        for tid, t in zip(node.outputs, outs):
            tensors[tid] = t
    return tensors


def _tensor_ids(knode) -> list:
    """The ids of the Keras tensors among a call's positional arguments (an op's constants left out)."""
    return [id(a) for a in keras.tree.flatten(knode.arguments.args) if isinstance(a, keras.KerasTensor)]


def _operations_by_class(kmodel) -> Dict[str, list]:
    """The model's non-layer Operations by class, in creation order: the builder applies them in IR
    order, and Keras numbers each class's automatic names as they are made (`add`, `add_1`, ...)."""
    def made(op):
        suffix = op.name.rsplit("_", 1)[-1]
        return int(suffix) if suffix.isdigit() and op.name != suffix else 0

    out: Dict[str, list] = {}
    for op in kmodel.operations:
        if not isinstance(op, keras.layers.Layer):
            out.setdefault(type(op).__name__, []).append(op)
    return {cls: sorted(ops, key=made) for cls, ops in out.items()}


def rebuilt_tensors(spec, model_name: str, kmodel) -> Dict[int, object]:
    """IR tensor id -> Keras tensor of a fresh symbolic graph calling the built model's layers.

    Mirrors keras_builder: new `keras.Input`s, one call per IR node in IR order, the
    call convention of the node. A layer of a dead branch is not in the Keras model;
    it is made the way the builder makes it.
    """
    ir = spec.models[model_name]
    live = _live_layers(ir)
    tensors: Dict[int, object] = {}
    for inp in ir.inputs:
        tensors[inp.tensor] = keras.Input(shape=tuple(inp.shape), dtype=inp.dtype)
    dead: Dict[int, object] = {}
    for node in ir.nodes:
        layer = ir.layers[node.layer]
        if layer.kind == "op":  # applied as the builder applies it: keras.ops on the tensors
            outs = keras_builder._apply_op(layer, [tensors[i] for i in node.inputs])
            outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
            for tid, t in zip(node.outputs, outs):
                tensors[tid] = t
            continue
        if node.layer in live:
            obj = kmodel.get_layer(layer.name)
        else:
            if node.layer not in dead:
                dead[node.layer] = keras_builder._make_layer(layer, spec, {}, keras_builder._Budget(keras_builder.MAX_PARAMS) if hasattr(keras_builder, "MAX_PARAMS") else keras_builder._Budget(10**12))
            obj = dead[node.layer]
        kwargs = {k: keras_builder._call_value(v, tensors) for k, v in getattr(node, "arguments", {}).items()}
        outs = _call(obj, node, [tensors[i] for i in node.inputs], kwargs)
        assert len(outs) == len(node.outputs), (
            f"{model_name}: layer `{layer.name}` gives {len(outs)} tensors; the spec expects {len(node.outputs)}")
        for tid, t in zip(node.outputs, outs):
            tensors[tid] = t
    return tensors


# -- the built models, one at a time -------------------------------------------------------


@dataclass
class Built:
    rel: str
    spec: object
    model: keras.Model

    def models(self):
        """(where, model name, Keras model) for the root and every nested model it uses."""
        out, todo, seen = [], [(self.spec.root, self.model, self.spec.root)], set()
        while todo:
            name, kmodel, where = todo.pop(0)
            if name in seen:
                continue
            seen.add(name)
            out.append((where, name, kmodel))
            ir = self.spec.models[name]
            live = _live_layers(ir)
            for layer in ir.layers:
                if layer.kind == "model" and layer.id in live:
                    todo.append((layer.model, kmodel.get_layer(layer.name), f"{where}/{layer.model}"))
        return out


# Every spec under specs/ (one that fails to check fails here, named), and the fixtures
# that check clean and have a root: the others are accounted for by
# test_only_diagnostic_fixtures_are_skipped, not skipped one test at a time.
COMPARED = SPEC_PATHS + [p for p in FIXTURE_PATHS if _check(p).spec is not None]


@pytest.fixture(scope="module", params=COMPARED, ids=_rel)
def built(request):
    path = request.param
    checked = _check(path)
    if checked.spec is None:
        if checked.errors:
            pytest.fail(f"{_rel(path)} does not check clean: {checked.errors}")
        pytest.skip(f"{_rel(path)} has no root model (a file of blocks and models to import)")
    result = Built(_rel(path), checked.spec, checked.spec.to_keras())
    yield result
    del result
    gc.collect()


# -- tests -------------------------------------------------------------------------------------


def test_the_glob_finds_the_repository_specs():
    rels = {_rel(p) for p in SPEC_PATHS}
    assert "specs/custom/simple_dense.gspec" in rels
    assert {p.name for p in (SPECS / "seeds").glob("*.gspec")} <= {Path(r).name for r in rels}
    assert len([r for r in rels if r.startswith("specs/seeds/")]) >= 11


def test_only_diagnostic_fixtures_are_skipped():
    unclean = [p for p in FIXTURE_PATHS if _check(p).errors]
    not_diagnostic = [f"{_rel(p)}: {_check(p).errors}" for p in unclean
                      if not (_is_diagnostic_fixture(p) or _is_formatter_fixture_that_parses(p))]
    assert not not_diagnostic, "fixture specs with errors that are not diagnostic fixtures:\n" + "\n".join(
        not_diagnostic)
    compared = [p for p in FIXTURE_PATHS if _check(p).spec is not None]
    # Every fixture is accounted for: compared, skipped as a diagnostic fixture, or without a root.
    no_root = [p for p in FIXTURE_PATHS if _check(p).spec is None and not _check(p).errors]
    assert len(compared) + len(unclean) + len(no_root) == len(FIXTURE_PATHS)


def test_every_repository_spec_checks_clean():
    failing = {_rel(p): _check(p).errors for p in SPEC_PATHS if _check(p).errors}
    assert not failing


def test_tensor_shapes_of_the_built_graph(built):
    problems: List[str] = []
    for where, name, kmodel in built.models():
        ir = built.spec.models[name]
        tensors = graph_tensors(built.spec, name, kmodel, f"{built.rel}: {where}", problems)
        live = _live_layers(ir)
        for t in ir.tensors:
            if t.producer is not None and ir.nodes[t.producer].layer not in live:
                continue  # a dead branch: not in the Keras model (compared by the rebuild test)
            if t.id not in tensors:
                problems.append(f"{built.rel}: {where}: {_describe(ir, t.id)} has no Keras tensor")
                continue
            _compare_tensor(ir, t.id, tensors[t.id], f"{built.rel}: {where}", problems)
    assert not problems, "static inference differs from Keras:\n" + "\n".join(problems)


def test_tensor_shapes_of_a_rebuilt_graph(built):
    problems: List[str] = []
    for where, name, kmodel in built.models():
        ir = built.spec.models[name]
        tensors = rebuilt_tensors(built.spec, name, kmodel)
        for t in ir.tensors:
            _compare_tensor(ir, t.id, tensors[t.id], f"{built.rel}: {where} (rebuilt)", problems)
    assert not problems, "static inference differs from Keras:\n" + "\n".join(problems)


def test_model_inputs_and_outputs(built):
    problems: List[str] = []
    for where, name, kmodel in built.models():
        ir = built.spec.models[name]
        static_in = [(i.name, ir.tensors[i.tensor].shape, i.dtype) for i in ir.inputs]
        keras_in = [(t.name, _shape(t), t.dtype) for t in kmodel.inputs]
        if static_in != keras_in:
            problems.append(f"{where}: inputs {static_in}, Keras {keras_in}")
        static_out = [(ir.tensors[o.tensor].shape, ir.tensors[o.tensor].dtype) for o in ir.outputs]
        keras_out = [(_shape(t), t.dtype) for t in keras.tree.flatten(kmodel.outputs)]
        if static_out != keras_out:
            problems.append(f"{where}: outputs {static_out}, Keras {keras_out}")
        if where == built.spec.root and kmodel.output_names != [o.name for o in ir.outputs]:
            problems.append(f"{where}: output names {[o.name for o in ir.outputs]}, Keras {kmodel.output_names}")
    assert not problems, f"{built.rel}:\n" + "\n".join(problems)


def test_layer_param_counts(built):
    problems: List[str] = []
    for where, name, kmodel in built.models():
        ir = built.spec.models[name]
        live = _live_layers(ir)
        for layer in ir.layers:
            if layer.id not in live:
                continue
            if layer.kind == "op":  # an operation has no weights
                if layer.params != (0, 0):
                    problems.append(f"{where}: op `{layer.name}` has params {layer.params}")
                continue
            klayer = kmodel.get_layer(layer.name)
            static = (layer.trainable_params, layer.non_trainable_params)
            actual = (_size(klayer.trainable_weights), _size(klayer.non_trainable_weights))
            if static != actual:
                problems.append(f"{where}: layer `{layer.name}` ({layer.type} {dict(layer.config)}): static "
                                f"(trainable, non-trainable) params {static}, Keras {actual}")
    assert not problems, f"{built.rel}:\n" + "\n".join(problems)


def _summary_shape(shapes: list):
    """Keras output shapes of one summary row, in summarize()'s format."""
    per_use = [[list(s) for s in outs] for outs in shapes]
    per_use = [outs[0] if len(outs) == 1 else outs for outs in per_use]
    return per_use[0] if len(per_use) == 1 else per_use


def test_summary_matches_keras(built):
    problems: List[str] = []
    for where, name, kmodel in built.models():
        ir = built.spec.models[name]
        summary = summarize(built.spec, name)
        rows = summary["layers"]
        ops_named = {l.name for l in ir.layers if l.kind == "op"}  # Keras's model.layers leaves operations out
        names = [r["name"] for r in rows if r["name"] not in ops_named]
        keras_names = [layer.name for layer in kmodel.layers]
        if names != keras_names:
            problems.append(f"{where}: layer order {names}, Keras {keras_names}")
        # The Keras output shapes of each layer's calls, in IR order.
        tensors = graph_tensors(built.spec, name, kmodel, where, problems)
        uses: Dict[str, list] = {}
        for node in ir.nodes:
            if all(t in tensors for t in node.outputs):
                uses.setdefault(ir.layers[node.layer].name, []).append([tensors[t].shape for t in node.outputs])
        for inp in ir.inputs:
            uses[inp.name] = [[tensors[inp.tensor].shape]]
        for row in rows:
            try:
                klayer = kmodel.get_layer(row["name"])
            except ValueError:
                continue  # reported by the order comparison
            if row["type"] != type(klayer).__name__:
                problems.append(f"{where}: layer `{row['name']}` type {row['type']}, Keras {type(klayer).__name__}")
            if row["params"] != klayer.count_params():
                problems.append(f"{where}: layer `{row['name']}` ({row['type']}) params {row['params']:,}, "
                                f"Keras {klayer.count_params():,}")
            if row["name"] in uses and row["output_shape"] != _summary_shape(uses[row["name"]]):
                problems.append(f"{where}: layer `{row['name']}` ({row['type']}) output shape "
                                f"{row['output_shape']}, Keras {_summary_shape(uses[row['name']])}")
        totals = (summary["total_params"], summary["trainable_params"], summary["non_trainable_params"])
        actual = (kmodel.count_params(), _size(kmodel.trainable_weights), _size(kmodel.non_trainable_weights))
        if totals != actual:
            problems.append(f"{where}: summary (total, trainable, non-trainable) params {totals}, Keras {actual}")
        trainable, non_trainable = ir.param_counts()
        if (trainable + non_trainable, trainable, non_trainable) != actual:
            problems.append(f"{where}: ModelIR.param_counts() {(trainable, non_trainable)}, Keras {actual[1:]}")
    assert not problems, f"{built.rel}:\n" + "\n".join(problems)
