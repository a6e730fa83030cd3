"""Property test: random chains of catalogue layers, written as .gspec text, checked by graphspec
and built by Keras.

Each example is a model with one input of random rank and size (unknown dims included),
a chain of random layers, forks of two branches merged again, and one output. Then:

* when graphspec checks it clean, `to_keras()` builds it and every tensor's static shape
  equals the shape of the Keras tensor the same layer produced;
* when graphspec reports a shape error (E401/E402), building the same layers directly with
  the Keras functional API fails too.

The layers drawn are ones whose rules match Keras's symbolic build exactly (no known
gaps), applied to inputs of any rank, so both outcomes occur.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any, List, Optional, Tuple

import pytest

keras = pytest.importorskip("keras")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import graphspec  # noqa: E402
from graphspec.diagnostics.diagnostic import SpecError  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SHAPE_CODES = {"E401", "E402"}


# --------------------------------------------------------------------------- the drawn program


@dataclass(frozen=True)
class Call:
    """A layer call: Keras class, positional and keyword arguments (an argument may be a Call)."""

    name: str
    args: Tuple[Any, ...] = ()
    kwargs: Tuple[Tuple[str, Any], ...] = ()

    def text(self) -> str:
        parts = [_text(a) for a in self.args] + [f"{k}={_text(v)}" for k, v in self.kwargs]
        return f"{self.name}({', '.join(parts)})"

    def build(self):
        cls = getattr(keras.layers, self.name)
        return cls(*[_build(a) for a in self.args], **{k: _build(v) for k, v in self.kwargs})


def _text(v) -> str:
    if isinstance(v, Call):
        return v.text()
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, tuple):
        inner = ", ".join(_text(x) for x in v)
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    return repr(v)


def _build(v):
    return v.build() if isinstance(v, Call) else v


@dataclass
class Step:
    """`out = (inputs...) -> call`."""

    out: str
    inputs: List[str]
    call: Call


@dataclass
class Program:
    shape: Tuple[Optional[int], ...]
    steps: List[Step] = field(default_factory=list)

    def text(self) -> str:
        dims = ", ".join("None" if d is None else str(d) for d in self.shape)
        lines = ["model chain {", f"    input x: ({dims}{',' if len(self.shape) == 1 else ''})"]
        for s in self.steps[:-1]:
            src = s.inputs[0] if len(s.inputs) == 1 else "(" + ", ".join(s.inputs) + ")"
            lines.append(f"    {s.out} = {src} -> {s.call.text()}")
        last = self.steps[-1]
        lines.append(f"    output y = {last.inputs[0]} -> {last.call.text()}")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def build_with_keras(self):
        """The same layers called with the functional API; raises where Keras refuses."""
        tensors = {"x": keras.Input(shape=self.shape)}
        for s in self.steps:
            layer = s.call.build()
            args = [tensors[i] for i in s.inputs]
            tensors[s.out] = layer(args) if len(args) > 1 else layer(args[0])
        return tensors


# --------------------------------------------------------------------------- strategies

small = st.integers(1, 4)


def _one_layer(draw) -> Call:
    kind = draw(st.sampled_from([
        "Dense", "Dense", "Conv1D", "Conv2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling2D",
        "GlobalAveragePooling1D", "GlobalMaxPooling2D", "Flatten", "Flatten", "Reshape", "Dropout",
        "BatchNormalization", "LayerNormalization", "LSTM", "GRU", "Bidirectional", "UpSampling1D",
        "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "Permute",
        "RepeatVector", "Activation",
    ]))
    if kind == "Dense":
        return Call("Dense", (draw(st.integers(1, 8)),), (("activation", draw(st.sampled_from(["relu", "linear"]))),))
    if kind in ("Conv1D", "Conv2D"):
        kw = (("padding", draw(st.sampled_from(["valid", "same"]))), ("strides", draw(st.integers(1, 2))))
        return Call(kind, (draw(st.integers(1, 6)), draw(st.integers(1, 4))), kw)
    if kind in ("MaxPooling1D", "MaxPooling2D", "AveragePooling2D"):
        return Call(kind, (draw(st.integers(1, 3)),), (("padding", draw(st.sampled_from(["valid", "same"]))),))
    if kind == "Reshape":
        target = draw(st.sampled_from([(-1,), (-1, 1), (-1, 2), (2, -1), (4, 4), (-1, 2, 2), (8,)]))
        return Call("Reshape", (target,))
    if kind == "Dropout":
        return Call("Dropout", (0.25,))
    if kind in ("LSTM", "GRU"):
        return Call(kind, (draw(small),), (("return_sequences", draw(st.booleans())),))
    if kind == "Bidirectional":
        inner = Call(draw(st.sampled_from(["LSTM", "GRU"])), (draw(small),),
                     (("return_sequences", draw(st.booleans())),))
        return Call("Bidirectional", (inner,), (("merge_mode", draw(st.sampled_from(["concat", "sum"]))),))
    if kind in ("UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D"):
        return Call(kind, (draw(st.integers(1, 2)),))
    if kind == "Permute":
        return Call("Permute", (draw(st.sampled_from([(2, 1), (1,), (2, 1, 3), (3, 1, 2)])),))
    if kind == "RepeatVector":
        return Call("RepeatVector", (draw(st.integers(1, 3)),))
    if kind == "Activation":
        return Call("Activation", ("tanh",))
    return Call(kind)


@st.composite
def programs(draw) -> Program:
    rank = draw(st.integers(1, 3))
    dim = st.one_of(st.integers(1, 9), st.just(None))
    shape = tuple(draw(st.integers(2, 9)) if i == rank - 1 else draw(dim) for i in range(rank))
    prog = Program(shape)
    current, n = "x", 0

    def emit(inputs, call):
        nonlocal n
        n += 1
        name = f"t{n}"
        prog.steps.append(Step(name, list(inputs), call))
        return name

    for _ in range(draw(st.integers(1, 5))):
        if draw(st.integers(0, 3)) == 0:  # a fork of two branches, merged again
            branches = []
            for _ in range(2):
                b = current
                for _ in range(draw(st.integers(0, 2))):
                    b = emit([b], _one_layer(draw))
                branches.append(b)
            merge = draw(st.sampled_from(["Add", "Multiply", "Average", "Maximum", "Subtract", "Concatenate",
                                          "Concatenate1"]))
            call = Call("Concatenate", (), (("axis", 1),)) if merge == "Concatenate1" else Call(merge)
            current = emit(branches, call)
        else:
            current = emit([current], _one_layer(draw))
    emit([current], Call("Activation", ("linear",)))  # the output line
    return prog


# --------------------------------------------------------------------------- the property


def _shapes(out):
    if isinstance(out, (list, tuple)):
        return [tuple(t.shape) for t in out]
    return [tuple(out.shape)]


def _check_built(spec, text):
    model = spec.to_keras()
    ir = spec.model
    for node in ir.nodes:
        layer = model.get_layer(ir.layers[node.layer].name)
        keras_shapes = _shapes(layer.output)
        static = [tuple(ir.tensors[t].shape) for t in node.outputs]
        assert static == keras_shapes, (
            f"layer {layer.name}: graphspec {static}, Keras {keras_shapes}\n{text}")
    for inp in ir.inputs:
        assert (None,) + tuple(inp.shape) == tuple(model.get_layer(inp.name).output.shape), text


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(programs())
def test_static_shapes_agree_with_keras_on_random_chains(prog):
    text = prog.text()
    try:
        spec = graphspec.loads(text)
    except SpecError as err:
        errors = [d for d in err.diagnostics if d.is_error]
        codes = {d.code for d in errors}
        assert codes <= SHAPE_CODES, f"graphspec reports non-shape errors {codes}:\n{err.render()}\n{text}"
        keras.backend.clear_session()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                prog.build_with_keras()
            except Exception:
                return
        pytest.fail(f"graphspec refuses the spec but Keras builds it:\n{err.render()}\n{text}")
    keras.backend.clear_session()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check_built(spec, text)


def test_the_generator_draws_both_outcomes():
    """The property is not vacuous: among the drawn programs some check clean, some do not."""
    outcomes = set()

    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(programs())
    def probe(prog):
        try:
            graphspec.loads(prog.text())
            outcomes.add("clean")
        except SpecError:
            outcomes.add("shape error")

    probe()
    assert outcomes == {"clean", "shape error"}
