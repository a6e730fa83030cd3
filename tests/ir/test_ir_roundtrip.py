"""IR JSON as an interchange format: it loads back, builds the same model, matches its schema,
and refuses a wrong document with the JSON path of each problem (docs/ir.md).

The round trip runs on every spec of the repository that checks clean (specs/ and the test
fixtures): spec -> IR JSON -> Spec.from_json gives the same records, and to_keras() of both
gives the same get_config(), parameter counts and output shapes.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, SPECS, check_golden, load_module, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphspec
from graphspec.api import Spec
from graphspec.ir import FORMAT, VERSION, IRError, json_schema

load_module(SPECS / "custom" / "simple_dense.py")  # registers SimpleDense for specs/custom


def _corpus():
    """Every .gspec of the repository that checks clean (the others are error fixtures)."""
    out = []
    for path in sorted(SPECS.rglob("*.gspec")) + sorted((ROOT / "tests").rglob("*.gspec")):
        try:
            graphspec.load(path)
        except graphspec.SpecError:
            continue
        out.append(path)
    return out


CORPUS = _corpus()
SEEDS = sorted((SPECS / "seeds").glob("*.gspec"))


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_corpus_holds_every_repository_spec():
    assert all(p in CORPUS for p in SPECS.rglob("*.gspec")), "a spec in specs/ does not check clean"
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("path", CORPUS, ids=_id)
def test_round_trip_gives_the_same_records(path):
    spec = graphspec.load(path)
    text = spec.to_json()
    loaded = Spec.from_json(text)
    assert loaded == spec
    assert loaded.to_json() == text
    assert Spec.from_json(spec.to_json(indent=None)) == spec


def _built(spec: Spec):
    model = spec.to_keras()
    return ([layer.get_config() for layer in model.layers], model.count_params(),
            [tuple(t.shape) for t in model.outputs], model.output_names)


@pytest.mark.parametrize("path", CORPUS, ids=_id)
def test_round_trip_builds_the_same_keras_model(path):
    import keras

    spec = graphspec.load(path)
    keras.backend.clear_session()  # automatic names (of metrics, optimizers) start over for each build
    direct = _built(spec)
    keras.backend.clear_session()
    assert _built(Spec.from_json(spec.to_json())) == direct


@pytest.mark.parametrize("path", SEEDS, ids=_id)
def test_seed_ir_golden(path, monkeypatch):
    """The format, fixed: tests/fixtures/ir/NAME.ir.json (GRAPHSPEC_UPDATE_GOLDENS=1 rewrites)."""
    monkeypatch.chdir(ROOT)  # spans name files relative to the working directory
    spec = graphspec.load(path.relative_to(ROOT))
    check_golden(FIXTURES / "ir" / f"{path.stem}.ir.json", spec.to_json() + "\n")


def test_load_reads_an_ir_file_and_builds_it(tmp_path):
    spec = graphspec.load(SPECS / "seeds" / "ticket_router.gspec")
    path = tmp_path / "router.ir.json"
    path.write_text(spec.to_json(), encoding="utf-8")
    loaded = graphspec.load(path)
    assert loaded == spec
    assert graphspec.load_ir(path) == spec
    model = graphspec.compile(path, output=tmp_path / "router.keras")
    assert model.count_params() == spec.to_keras().count_params()
    assert (tmp_path / "router.keras").is_file()
    assert loaded.fit_kwargs() == spec.fit_kwargs()


# ------------------------------------------------------------------ the schema


def _validate_with_schema(document: dict, schema: dict) -> None:
    """A real JSON Schema check when `jsonschema` is installed, else the Pydantic types the schema is made from."""
    try:
        import jsonschema
    except ImportError:
        from graphspec.ir import schema as ir_schema

        ir_schema.adapter().validate_json(json.dumps(document))
        return
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize("path", CORPUS, ids=_id)
def test_every_emitted_ir_validates_against_the_schema(path):
    _validate_with_schema(json.loads(graphspec.load(path).to_json()), json_schema())


def test_the_cli_schema_is_the_loaders(tmp_path):
    proc = run_cli("ir", "--schema", cwd=tmp_path)
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == json_schema()


def test_the_schema_refuses_what_the_loader_refuses():
    pytest.importorskip("jsonschema")
    import jsonschema

    schema = json_schema()
    good = json.loads(graphspec.load(SPECS / "seeds" / "fashion_cnn.gspec").to_json())
    layer = good["models"]["fashion_cnn"]["layers"][0]
    for change in ({"kind": "lambda"}, {"params": [1]}, {"config": {"units": {"tuple": 3}}}, {"id": "0"},
                   {"surprise": 1}, {"config": {"units": {"call": "L2", "kw": {}}}}):
        bad = copy.deepcopy(good)
        bad["models"]["fashion_cnn"]["layers"][0] = {**layer, **change}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema, cls=jsonschema.Draft202012Validator)
        with pytest.raises(IRError):
            Spec.from_json(json.dumps(bad))


def test_the_document_names_its_format_and_version():
    data = json.loads(graphspec.load(SPECS / "seeds" / "fashion_cnn.gspec").to_json())
    assert (data["format"], data["version"]) == (FORMAT, VERSION) == ("graphspec-ir", 1)
    assert json_schema()["properties"]["version"].get("const") == 1
    assert json_schema()["properties"]["format"].get("const") == "graphspec-ir"


# ------------------------------------------------------------------ wrong documents


@pytest.fixture(scope="module")
def router() -> dict:
    return json.loads(graphspec.load(SPECS / "seeds" / "ticket_router.gspec").to_json())


def _problems(document) -> str:
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(IRError) as info:
        Spec.from_json(text, name="edited.ir.json")
    assert isinstance(info.value, graphspec.SpecError)  # one exception for the API's callers to catch
    message = str(info.value)
    assert message.startswith("invalid graphspec IR in edited.ir.json")
    assert "Traceback" not in message
    return message


def _edit(document: dict, path: str, value=None, delete: bool = False) -> dict:
    doc = copy.deepcopy(document)
    *parents, last = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    target = doc
    for p in parents:
        target = target[p]
    if delete:
        del target[last]
    else:
        target[last] = value
    return doc


M = "models.ticket_router"
EDITS = [
    # (path edited, new value, the JSON path and words the error must show)
    (f"{M}.layers.1.config.units", 0, f"{M}.layers[1].config.units: E305"),
    (f"{M}.layers.1.config.units", "64", f"{M}.layers[1].config.units: E302"),
    (f"{M}.layers.1.config.units", 64.0, f"{M}.layers[1].config.units: E302"),
    (f"{M}.layers.1.config.unitz", 64, f"{M}.layers[1].config.unitz: E301"),
    (f"{M}.layers.1.config.units", 2**60, f"{M}.layers[1].config.units: E250"),
    (f"{M}.layers.1.config.units", {"tuple": 3}, f"{M}.layers[1].config.units.tuple: Input should be a valid array"),
    (f"{M}.layers.1.config.units", {"what": 3}, f"{M}.layers[1].config.units: a value is null"),
    (f"{M}.layers.1.config.units", 65, f"{M}.tensors[4].shape: is (None, 64); `features_dense` (Dense) makes (None, 65)"),
    (f"{M}.layers.1.type", "Dens", f"{M}.layers[1].type: E220 unknown layer `Dens`"),
    (f"{M}.layers.1.type", "Convolution2D", f"{M}.layers[1].type: is `Convolution2D`; the IR names layers by"),
    (f"{M}.layers.1.kind", "lambda", f"{M}.layers[1].kind: Input should be 'layer', 'custom', 'model' or 'op'"),
    (f"{M}.layers.1.params", [1, 2], f"{M}.layers[1].params: is [1, 2]"),
    (f"{M}.layers.1.uses", 2, f"{M}.layers[1].uses: is 2; 1 nodes call"),
    (f"{M}.layers.1.name", "title", f"{M}.layers[1].name: E202 `title` is the name of"),
    (f"{M}.layers.2.name", "prio", f"{M}.outputs[0].name: is `priority`, but its tensor is made by `prio`"),
    (f"{M}.nodes.0.inputs.0", 5, f"{M}.nodes[0].inputs[0]: tensor 5 is used before it is made"),
    (f"{M}.nodes.0.inputs.0", 99, f"{M}.nodes[0].inputs[0]: is 99; there are 7 tensors"),
    (f"{M}.nodes.0.layer", -1, f"{M}.nodes[0].layer: is -1; there are 4 layers"),
    (f"{M}.nodes.0.call", "single", f"{M}.nodes[0].call: is `single`; `Concatenate` is called `list`"),
    (f"{M}.tensors.3.id", 7, f"{M}.tensors[3].id: is 7; an id is the position"),
    (f"{M}.tensors.3.dtype", "float33", f"{M}.tensors[3].dtype: `float33` is not a dtype"),
    (f"{M}.tensors.0.shape", [None, 10], f"{M}.tensors[0]: has shape (None, 10)"),
    (f"{M}.inputs.0.shape", [0], f"{M}.inputs[0].shape: E251"),
    (f"{M}.compile.optimizer", {"call": "RMSprop", "kwargs": {"learnin_rate": 1}},
     f"{M}.compile.optimizer.kwargs.learnin_rate: E301"),
    (f"{M}.compile.loss", {"dict": {"priorty": "mse"}}, f"{M}.compile.loss.dict.priorty: E502 `priorty`"),
    (f"{M}.compile.optimizer", "Adamm", f"{M}.compile.optimizer: E503 unknown optimizer `Adamm`"),
    (f"{M}.compile.frobnicate", 1, f"{M}.compile.frobnicate: E501"),
    (f"{M}.fit", {"epochs": 0}, f"{M}.fit.epochs: E504"),
    ("root", "nope", "root: `nope` is not one of the models (ticket_router)"),
    ("root", None, "root: names no model"),
    ("models.ticket_router.name", "other", f"{M}.name: is `other`; a model is keyed by its name"),
    ("version", 2, "version: is 2; this graphspec reads IR version 1"),
    ("format", "onnx", 'format: is "onnx": this is not a graphspec IR document'),
    ("models.ticket_router.layers.1.config.activation", {"call": "max", "args": ["relu", "relu"]},
     f"{M}.layers[1].config.activation: E220 `max` is not a class of the catalogue"),
]


@pytest.mark.parametrize("path, value, shown", EDITS, ids=[f"{p}={v!r}" for p, v, _ in EDITS])
def test_a_wrong_field_is_named_by_its_json_path(router, path, value, shown):
    assert shown in _problems(_edit(router, path, value))


@pytest.mark.parametrize("path", [f"{M}.layers.1.type", f"{M}.nodes.0.call", "format", f"{M}.inputs.0.dtype"])
def test_a_missing_field_is_named_not_a_key_error(router, path):
    message = _problems(_edit(router, path, delete=True))
    assert "KeyError" not in message
    assert re.sub(r"\.(\d+)", r"[\1]", path) in message


@pytest.mark.parametrize("text, shown", [
    ("", "Invalid JSON"),
    ("{", "Invalid JSON"),
    ("[]", "(the document)"),
    ("null", "(the document)"),
    ('{"format": "graphspec-ir", "version": 1, "root": "m", "models": {"m": {"name": "m", "layers": '
     '[{"id": 0, "name": "x", "type": "Dense", "kind": "layer", "config": {"units": NaN}}]}}}', "finite number"),
    ('{"format": "graphspec-ir", "version": 1, "root": "m", "models": {"m": {"name": "m", "layers": '
     '[{"id": 0, "name": "x", "type": "Dense", "kind": "layer", "config": {"units": 1e999}}]}}}', "finite number"),
    ('{"format": "graphspec-ir", "version": 1, "consts": {"c": ' + "[" * 5000 + "]" * 5000 + "}}", "(the document)"),
    ('{"format": "graphspec-ir", "version": 1, "consts": {"c": ' + "9" * 5000 + "}}", "consts"),
    (b"\xff\xfe", "is not UTF-8"),
])
def test_malformed_text_is_an_ir_error(text, shown):
    if isinstance(text, bytes):
        with pytest.raises(IRError, match="not UTF-8"):
            Spec.from_json(text)
        return
    assert shown in _problems(text)


@pytest.mark.parametrize("callee", ["TFSMLayer", "Lambda", "TorchModuleWrapper", "__import__", "eval"])
def test_code_classes_are_refused_as_layers_and_as_values(router, callee):
    assert f"{M}.layers[1].type: E" in _problems(_edit(router, f"{M}.layers.1.type", callee))
    value = {"call": callee, "args": ["saved_model_dir"], "kwargs": {"call_endpoint": "serve"}}
    for field in ("activation", "kernel_initializer", "kernel_regularizer"):
        shown = _problems(_edit(router, f"{M}.layers.1.config.{field}", value))
        assert f"{M}.layers[1].config.{field}: E210" in shown
    assert f"{M}.compile.optimizer: E210" in _problems(_edit(router, f"{M}.compile.optimizer", value))


def test_a_nested_model_cycle_is_refused(tmp_path):
    spec = graphspec.load(SPECS / "seeds" / "dual_camera.gspec")
    data = json.loads(spec.to_json())
    inner = next(m for m in data["models"] if m != data["root"])
    data["models"][inner]["layers"].append({"id": len(data["models"][inner]["layers"]), "name": "loop",
                                            "type": "Model", "kind": "model", "config": {}, "model": data["root"],
                                            "shared": True})
    assert "E206" in _problems(data)


def test_ir_files_that_are_not_regular_files_are_refused(tmp_path):
    fifo = tmp_path / "pipe.ir.json"
    os.mkfifo(fifo)
    with pytest.raises(IRError, match="not a regular file") as info:
        graphspec.load(fifo)
    assert info.value.io_error
    with pytest.raises(IRError, match="cannot be read"):
        graphspec.load(tmp_path / "missing.ir.json")


# A mutated document either loads or is refused with an IRError: never another exception.
_leaf = st.one_of(st.none(), st.booleans(), st.integers(-3, 2**54), st.floats(allow_nan=False), st.text(max_size=5),
                  st.lists(st.integers(-1, 3), max_size=3), st.just({"tuple": [1, 1]}), st.just({"dict": {}}),
                  st.just({"call": "Dense", "args": [1]}))


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, prefix + (i,))


_ROUTER_PATHS = []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_documents_never_raise_anything_but_ir_error(router, data):
    if not _ROUTER_PATHS:
        _ROUTER_PATHS.extend(p for p in _paths(router) if p)
    doc = copy.deepcopy(router)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_ROUTER_PATHS))
        target = doc
        try:
            for p in path[:-1]:
                target = target[p]
            target[path[-1]] = copy.deepcopy(data.draw(_leaf))  # st.just leaves are shared objects
        except (KeyError, IndexError, TypeError):
            continue
    try:
        Spec.from_json(json.dumps(doc))
    except IRError:
        pass
