"""Every example of the language contract works as written, and so do its semantics.

The language's contract belongs to the project: docs/language.md is the reference
and holds, verbatim, the examples of the original contract (import + const,
fashion_cnn, ticket_router, siamese, encoder_net + dual_camera, conv_bn + residual +
tiny_resnet). Those fenced blocks are extracted at test time, then each documented
rule is checked on real Keras models built with `to_keras()`: layer names, shapes,
parameter counts and which layer objects are shared. No file outside the repository
is read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest

import graphspec
from graphspec import cli
from graphspec.diagnostics.diagnostic import Diagnostics, SpecError
from graphspec.passes.check import check_path, check_text

ROOT = Path(__file__).parents[2]
LANGUAGE_MD = ROOT / "docs" / "language.md"
MISSING = f"the language reference is not here: {LANGUAGE_MD}"
# The models of the original contract; their examples must keep working as written.
CONTRACT_MODELS = {"fashion_cnn", "ticket_router", "siamese", "encoder_net", "dual_camera", "tiny_resnet"}

_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
_MODEL = re.compile(r"^\s*model\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)
_IMPORT = re.compile(r"^\s*import\s+[\"']([^\"']+)[\"']", re.M)

# What the import example's `common/blocks.gspec` holds in these tests: something
# a user would plausibly share between files (the contract's conv_bn block, a const
# and a small model).
COMMON_BLOCKS = """\
const base_filters = 16

block conv_bn(filters, kernel=3, strides=1) {
    input x
    output y = x -> Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)
                 -> BatchNormalization()
                 -> Activation("relu")
}

model text_encoder {
    input ids: (None,) int32
    output encoded = ids -> Embedding(vocab, 32) -> GlobalAveragePooling1D()
}
"""


def _blocks():
    if not LANGUAGE_MD.is_file():
        return []
    blocks = [m.group(1) for m in _FENCE.finditer(LANGUAGE_MD.read_text(encoding="utf-8"))]
    return [b for b in blocks
            if re.search(r'^import "common/blocks.gspec"', b, re.M) or set(_MODEL.findall(b)) & CONTRACT_MODELS]


BLOCKS = _blocks()


def _params(blocks, kind):
    """pytest params for the blocks of one kind ("import" or "model"), with readable ids."""
    if not LANGUAGE_MD.is_file():
        return [pytest.param(None, id="no-language-md", marks=pytest.mark.skip(reason=MISSING))]
    out = []
    for i, text in enumerate(blocks):
        is_import = bool(_IMPORT.search(text))
        if (kind == "import") != is_import:
            continue
        first = _MODEL.findall(text)
        out.append(pytest.param(text, id=f"block{i}-" + ("-".join(first) or "import")))
    return out


def _check_clean(text, base=None, model=None, name="<example>", require_root=False, overrides=None):
    """Check spec text; fail with every rendered diagnostic unless it has no errors and no warnings."""
    diags = Diagnostics()
    program, loader = check_text(text, diags, name=name, base=base, model=model, overrides=overrides,
                                 require_root=require_root)
    if diags.items:
        pytest.fail("the example does not check clean:\n" + SpecError(diags.sorted(), loader.sources).render())
    assert program is not None
    return program


def _roots(program):
    """The models of a checked program that no other model uses (the ones a user can build)."""
    used = set()
    for graph in program.models.values():
        used.update(layer.model for layer in graph.layers if layer.kind == "model")
        if graph.extends:
            used.add(graph.extends)
    return [name for name in program.models if name not in used]


def _layer_names(model):
    return [layer.name for layer in model.layers]


def _by_type(model, cls):
    return [layer for layer in model.layers if type(layer) is cls]


# ------------------------------------------------------------------ the contract's examples


def test_the_contract_has_examples():
    if not LANGUAGE_MD.is_file():
        pytest.skip(MISSING)
    assert len(BLOCKS) >= 5, "docs/language.md should hold the import, model, ticket_router, shared and block examples"
    # Every block is one of the two kinds tested below: nothing is silently left out.
    assert all(_IMPORT.search(b) or _MODEL.search(b) for b in BLOCKS)


@pytest.mark.parametrize("text", _params(BLOCKS, "model"))
def test_model_example_checks_and_builds(text):
    """A whole-file example checks clean and every root model in it builds as the IR says."""
    program = _check_clean(text)
    roots = _roots(program)
    assert roots, "the example defines a model"
    for root in roots:
        spec = graphspec.loads(text, model=root if len(roots) > 1 else None)
        assert spec.root == root
        model = spec.to_keras()
        ir = spec.model
        assert model.name == root
        assert model.output_names == [o.name for o in ir.outputs]
        assert [t.name for t in model.inputs] == [i.name for i in ir.inputs]
        assert model.count_params() == sum(ir.param_counts())
        summary = spec.summary()
        assert [row["name"] for row in summary["layers"]] == _layer_names(model)
        assert summary["total_params"] == model.count_params()
        for row, layer in zip(summary["layers"], model.layers):
            shapes = [tuple(node.outputs[0].shape) for node in layer._inbound_nodes]
            want = shapes[0] if len(shapes) == 1 else shapes  # a shared layer: one shape per use
            got = row["output_shape"]
            got = tuple(got) if len(shapes) == 1 else [tuple(s) for s in got]
            assert got == want, row["name"]


@pytest.mark.parametrize("text", _params(BLOCKS, "import"))
def test_import_example_checks_next_to_its_import(tmp_path, text):
    """The import + const example checks clean with a real common/blocks.gspec beside it."""
    for rel in _IMPORT.findall(text):
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(COMMON_BLOCKS, encoding="utf-8")
    main = tmp_path / "example.gspec"
    main.write_text(text, encoding="utf-8")

    diags = Diagnostics()
    program, loader = check_path(main, diags)
    assert not diags.items, SpecError(diags.sorted(), loader.sources).render()
    assert program.consts["vocab"] == 10000
    assert program.consts["base_filters"] == 16  # the imported file's consts are in scope

    # A model in a third file uses what the example brings into scope: the imported
    # block and model, and the example's own const (used by the imported model).
    user = tmp_path / "user.gspec"
    user.write_text(
        'import "example.gspec"\n'
        "model classifier {\n"
        "    input image: (32, 32, 3)\n"
        "    input ids: (None,) int32\n"
        "    h = image -> conv_bn(base_filters * 2) -> GlobalAveragePooling2D()\n"
        "    t = ids -> text_encoder\n"
        "    output label = (h, t) -> Concatenate() -> Dense(10, activation=\"softmax\")\n"
        "}\n",
        encoding="utf-8",
    )
    model = graphspec.load(user).to_keras()
    assert model.get_layer("text_encoder").get_layer("encoded_embedding").input_dim == 10000
    assert model.get_layer("conv_bn_y_conv2d").filters == 32

    # `--set vocab=20000`, as the example's comment says.
    overridden = graphspec.load(user, set={"vocab": 20000}).to_keras()
    assert overridden.get_layer("text_encoder").get_layer("encoded_embedding").input_dim == 20000


def test_all_examples_together(tmp_path):
    """The model examples co-exist in one file; every root builds by name."""
    if not LANGUAGE_MD.is_file():
        pytest.skip(MISSING)
    text = "\n".join(b for b in BLOCKS if not _IMPORT.search(b))
    program = _check_clean(text)
    roots = _roots(program)
    assert {"fashion_cnn", "ticket_router", "siamese", "dual_camera", "tiny_resnet"} <= set(roots)
    assert "encoder_net" not in roots  # used by dual_camera
    with pytest.raises(SpecError) as err:
        graphspec.loads(text)
    assert [d.code for d in err.value.diagnostics] == ["E207"]
    for root in roots:
        assert graphspec.loads(text, model=root).to_keras().name == root


# The contract's models compared with the same models written by hand in Keras.


def _references():
    import importlib.util
    import sys

    name = "graphspec_seed_references"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "seeds" / "references.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _block_defining(model_name):
    if not LANGUAGE_MD.is_file():
        pytest.skip(MISSING)
    for b in BLOCKS:
        if model_name in _MODEL.findall(b):
            return b
    pytest.fail(f"no example in docs/language.md defines `{model_name}`")


def _same_weights(a, b):
    return sorted(tuple(w.shape) for w in a.weights) == sorted(tuple(w.shape) for w in b.weights)


@pytest.mark.parametrize("name, reference", [
    ("fashion_cnn", "build_fashion_cnn"),
    ("ticket_router", "build_ticket_router"),
    ("siamese", "build_siamese_lstm"),
    ("dual_camera", "build_dual_camera"),
])
def test_example_matches_hand_written_keras(name, reference):
    text = _block_defining(name)
    model = graphspec.loads(text, model=name).to_keras()
    ref = getattr(_references(), reference)()
    assert model.count_params() == ref.count_params()
    assert _same_weights(model, ref)
    assert [(t.name, tuple(t.shape), t.dtype) for t in model.inputs] == \
        [(t.name, tuple(t.shape), t.dtype) for t in ref.inputs]
    assert [tuple(t.shape) for t in model.outputs] == [tuple(t.shape) for t in ref.outputs]
    assert model.output_names == ref.output_names


def _tiny_resnet_by_hand():
    from keras import layers

    def conv_bn(x, filters, kernel=3, strides=1):
        x = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x)

    def residual(x, filters, strides=1):
        y = layers.Conv2D(filters, 3, padding="same")(conv_bn(x, filters, strides=strides))
        shortcut = layers.Conv2D(filters, 1, strides=strides, padding="same")(x)
        return layers.Activation("relu")(layers.Add()([y, shortcut]))

    image = keras.Input(shape=(32, 32, 3), name="image")
    h = conv_bn(image, 32)
    for _ in range(3):
        h = residual(h, 32)
    h = residual(h, 64, strides=2)
    label = layers.Dense(10, activation="softmax", name="label")(layers.GlobalAveragePooling2D()(h))
    return keras.Model(image, label, name="tiny_resnet")


def test_tiny_resnet_matches_hand_written_keras():
    model = graphspec.loads(_block_defining("tiny_resnet")).to_keras()
    ref = _tiny_resnet_by_hand()
    assert model.count_params() == ref.count_params() == 118314
    assert _same_weights(model, ref)
    assert len(model.layers) == len(ref.layers)
    assert tuple(model.outputs[0].shape) == (None, 10)


# ------------------------------------------------------------------ statements and chains


def test_rebinding_sees_the_newest_binding():
    spec = graphspec.loads("""
        model m {
            input x: (16,)
            h = x -> Dense(8)
            h = h -> Dense(4)        # uses the Dense(8) output
            h = h -> Dense(2)        # uses the Dense(4) output
            output y = h -> Dense(1)
        }
    """)
    model = spec.to_keras()
    kernels = [tuple(layer.kernel.shape) for layer in _by_type(model, keras.layers.Dense)]
    assert kernels == [(16, 8), (8, 4), (4, 2), (2, 1)]
    assert _layer_names(model) == ["x", "h_dense", "h_dense_2", "h_dense_3", "y"]


def test_output_of_a_bound_tensor_keeps_its_name():
    """`output NAME` makes an already bound tensor an output (feature extraction)."""
    model = graphspec.loads("""
        model m {
            input image: (8, 8, 1)
            features = image -> Conv2D(4, 3) -> Flatten()
            output features
            output label = features -> Dense(3, activation="softmax")
        }
    """).to_keras()
    assert model.output_names == ["features", "label"]
    assert [tuple(t.shape) for t in model.outputs] == [(None, 144), (None, 3)]
    assert isinstance(model.get_layer("features"), keras.layers.Flatten)
    out = model.predict(np.ones((2, 8, 8, 1), "float32"), verbose=0)
    assert out[0].shape == (2, 144) and out[1].shape == (2, 3)


def test_output_of_a_chain_without_steps():
    """`output second = q`: a chain may have no steps at all."""
    model = graphspec.loads("""
        model m {
            input x: (6,)
            p = x -> Dense(2)
            q = x -> Dense(3)
            output first = p
            output second = q
        }
    """).to_keras()
    assert model.output_names == ["first", "second"]
    assert [tuple(t.shape) for t in model.outputs] == [(None, 2), (None, 3)]
    assert model.get_layer("second").units == 3


def test_destructuring_a_block_with_several_outputs():
    model = graphspec.loads("""
        block two_heads(n=4) {
            input x
            output p = x -> Dense(n)
            output q = x -> Dense(n * 2)
        }
        model m {
            input x: (10,)
            p, q = x -> two_heads()
            output small = p
            output large = q -> Dense(1)
        }
    """).to_keras()
    assert model.output_names == ["small", "large"]
    assert [tuple(t.shape) for t in model.outputs] == [(None, 4), (None, 1)]
    assert tuple(model.get_layer("large").kernel.shape) == (8, 1)


def test_destructuring_needs_the_right_count():
    with pytest.raises(SpecError) as err:
        graphspec.loads("""
            block two_heads {
                input x
                output p = x -> Dense(1)
                output q = x -> Dense(2)
            }
            model m {
                input x: (10,)
                a, b, c = x -> two_heads()
                output y = a
            }
        """)
    assert "E212" in [d.code for d in err.value.diagnostics]


def test_tuple_elements_may_be_chains():
    model = graphspec.loads("""
        model m {
            input a: (4,)
            input b: (6,)
            output joined = (a -> Dense(3), b -> Dense(5) -> Dense(2), a) -> Concatenate()
        }
    """).to_keras()
    assert tuple(model.outputs[0].shape) == (None, 3 + 2 + 4)
    assert sorted(_layer_names(model)) == ["a", "b", "joined", "joined_dense", "joined_dense_2", "joined_dense_3"]


def test_repeat_carries_values_between_passes():
    model = graphspec.loads("""
        model m {
            input x: (5,)
            h = x
            repeat 3 {
                h = h -> Dense(7)
            }
            output y = h
        }
    """).to_keras()
    denses = _by_type(model, keras.layers.Dense)
    assert [tuple(d.kernel.shape) for d in denses] == [(5, 7), (7, 7), (7, 7)]
    assert [d.name for d in denses] == ["h_dense", "h_dense_2", "y"]


def test_repeat_as_gives_the_pass_index():
    spec = graphspec.loads("""
        model m {
            input x: (3,)
            h = x
            repeat 4 as i {
                h = h -> Dense(10 * (i + 1))
            }
            output y = h
        }
    """)
    model = spec.to_keras()
    assert [d.units for d in _by_type(model, keras.layers.Dense)] == [10, 20, 30, 40]


def test_repeat_index_is_scoped_to_the_repeat():
    with pytest.raises(SpecError) as err:
        graphspec.loads("""
            model m {
                input x: (3,)
                repeat 2 as i { x = x -> Dense(i + 1) }
                output y = x -> Dense(i)
            }
        """)
    assert "E201" in [d.code for d in err.value.diagnostics]


def test_consts_and_arithmetic_in_arguments_shapes_and_repeat_counts():
    spec = graphspec.loads("""
        const width = 16
        const depth = 2
        model m {
            input x: (width * 2, width // 4 + 1)
            h = x -> Conv1D(width * 4, 3 - 1, padding="same")
            repeat depth * 2 - 1 {
                h = h -> Conv1D((width + 16) % 20, 1)
            }
            output y = h -> Flatten() -> Dense(-(-10), activation="softmax") -> Dropout(1 / 4)
        }
    """)
    model = spec.to_keras()
    assert tuple(model.inputs[0].shape) == (None, 32, 5)
    convs = _by_type(model, keras.layers.Conv1D)
    assert [c.filters for c in convs] == [64, 12, 12, 12]
    assert convs[0].kernel_size == (2,)
    assert model.get_layer("y").rate == 0.25
    assert _by_type(model, keras.layers.Dense)[0].units == 10


def test_block_parameters_in_arithmetic():
    model = graphspec.loads("""
        block bottleneck(filters, expand=4) {
            input x
            output y = x -> Conv2D(filters, 1) -> Conv2D(filters * expand, 1)
        }
        model m {
            input x: (4, 4, 8)
            output y = x -> bottleneck(8, expand=2)
        }
    """).to_keras()
    assert [c.filters for c in _by_type(model, keras.layers.Conv2D)] == [8, 16]


SET_SPEC = """\
const vocab = 10000
const dim = 8
model embedder {
    input ids: (None,) int32
    output vec = ids -> Embedding(vocab, dim) -> GlobalAveragePooling1D()
}
"""


def test_set_overrides_a_const_from_python(tmp_path):
    path = tmp_path / "embedder.gspec"
    path.write_text(SET_SPEC)
    default = graphspec.load(path).to_keras()
    assert _by_type(default, keras.layers.Embedding)[0].input_dim == 10000
    model = graphspec.load(path, set={"vocab": 20000}).to_keras()
    assert _by_type(model, keras.layers.Embedding)[0].input_dim == 20000
    assert model.count_params() == 20000 * 8
    # Strings in spec syntax are accepted too, as on the command line.
    assert graphspec.load(path, set={"vocab": "2 * 1000"}).consts["vocab"] == 2000
    with pytest.raises(SpecError) as err:
        graphspec.load(path, set={"vocabulary": 5})
    assert [d.code for d in err.value.diagnostics] == ["E213"]


def test_set_overrides_a_const_on_the_command_line(tmp_path, capsys):
    path = tmp_path / "embedder.gspec"
    path.write_text(SET_SPEC)
    assert cli.main(["summary", str(path), "--format", "json", "--set", "vocab=20000", "--set", "dim=4"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["total_params"] == 20000 * 4
    out = tmp_path / "embedder.keras"
    assert cli.main(["compile", str(path), "-o", str(out), "--set", "vocab=20000"]) == 0
    capsys.readouterr()
    loaded = keras.saving.load_model(out)
    assert _by_type(loaded, keras.layers.Embedding)[0].input_dim == 20000
    assert cli.main(["check", str(path), "--set", "vocab"]) == 2  # not NAME=VALUE: a usage error


def test_root_selection_and_model_flag(tmp_path, capsys):
    text = """
        model encoder {
            input x: (4,)
            output z = x -> Dense(2)
        }
        model classifier {             # uses encoder: encoder is not a root
            input x: (4,)
            output label = x -> encoder -> Dense(3)
        }
        model regressor {
            input x: (4,)
            output value = x -> Dense(1)
        }
    """
    with pytest.raises(SpecError) as err:
        graphspec.loads(text)
    diag = err.value.diagnostics[0]
    assert diag.code == "E207" and "classifier, regressor" in diag.message
    assert graphspec.loads(text, model="regressor").root == "regressor"
    assert graphspec.loads(text, model="encoder").to_keras().output_names == ["z"]
    # With one root, no choice is needed.
    single = text.split("model regressor")[0]
    assert graphspec.loads(single).root == "classifier"

    path = tmp_path / "three.gspec"
    path.write_text(text)
    assert cli.main(["summary", str(path), "--format", "json"]) == 1
    capsys.readouterr()
    assert cli.main(["summary", str(path), "--format", "json", "--model", "regressor"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == "regressor"
    assert cli.main(["check", str(path)]) == 0  # check alone does not need a root
    capsys.readouterr()
    assert cli.main(["check", str(path), "--model", "nope"]) == 1


EXTENDS_SPEC = """
model base {
    input x: (8,)
    features = x -> Dense(16, activation="relu")
    output a = features -> Dense(1)
    compile {
        optimizer = "adam"
        loss = {a: "mse"}
        loss_weights = {a: 1.0}
        metrics = {a: ["mae"]}
    }
    fit { epochs = 3  batch_size = 32 }
}

model child extends base {
    output b = features -> Dense(2, activation="softmax")
    compile {
        optimizer = RMSprop(learning_rate=1e-3)
        loss = {b: "categorical_crossentropy"}
        loss_weights = {a: 0.5, b: 2.0}
    }
    fit { epochs = 5 }
}
"""


def test_extends_adds_outputs_and_merges_compile_dicts():
    spec = graphspec.loads(EXTENDS_SPEC)
    assert spec.root == "child"  # base is extended: not a root
    ir = spec.model
    assert [o.name for o in ir.outputs] == ["a", "b"]  # the parent's outputs first
    assert ir.compile["loss"] == {"a": "mse", "b": "categorical_crossentropy"}  # merged key by key
    assert ir.compile["loss_weights"] == {"a": 0.5, "b": 2.0}  # the child's keys win
    assert ir.compile["metrics"] == {"a": ["mae"]}  # untouched by the child
    assert ir.compile["optimizer"].callee == "RMSprop"  # not a dict: replaced
    assert ir.fit == {"epochs": 5, "batch_size": 32}

    model = spec.to_keras()
    assert model.output_names == ["a", "b"]
    assert type(model.optimizer).__name__ == "RMSprop"
    config = model._compile_config.config
    assert config["loss"] == {"a": "mse", "b": "categorical_crossentropy"}
    assert config["loss_weights"] == {"a": 0.5, "b": 2.0}
    assert spec.fit_kwargs() == {"epochs": 5, "batch_size": 32}
    # The parent is untouched and still builds alone.
    parent = graphspec.loads(EXTENDS_SPEC, model="base")
    assert [o.name for o in parent.model.outputs] == ["a"]
    assert parent.model.compile["loss"] == {"a": "mse"}


def test_extends_cycle_is_an_error():
    with pytest.raises(SpecError) as err:
        graphspec.loads("""
            model a extends b { input x: (1,) output y = x -> Dense(1) }
            model b extends a { }
        """, model="a")
    assert "E206" in [d.code for d in err.value.diagnostics]


def test_nested_model_weights_are_shared():
    model = graphspec.loads(_block_defining("dual_camera"), model="dual_camera").to_keras()
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    assert len(nested) == 1  # one Keras object for the two uses
    encoder = nested[0]
    assert encoder.name == "encoder_net"
    assert len(encoder._inbound_nodes) == 2
    assert model.count_params() == encoder.count_params() + (64 * 2 + 1)
    # The same weights act on both images: identical images give identical features.
    image = np.random.default_rng(0).random((1, 250, 250, 3)).astype("float32")
    left = encoder(image)
    right = encoder(image.copy())
    np.testing.assert_allclose(np.asarray(left), np.asarray(right))


def test_shared_layer_is_one_keras_object():
    model = graphspec.loads(_block_defining("siamese"), model="siamese").to_keras()
    lstms = _by_type(model, keras.layers.LSTM)
    assert [l.name for l in lstms] == ["encoder"]
    assert len(lstms[0]._inbound_nodes) == 2
    assert model.count_params() == 4 * (128 + 32 + 1) * 32 + (64 + 1)


def test_block_expansions_are_fresh_layers_each_use():
    model = graphspec.loads(_block_defining("tiny_resnet")).to_keras()
    adds = _by_type(model, keras.layers.Add)
    assert len(adds) == 4 and len({id(a) for a in adds}) == 4
    assert all(len(a._inbound_nodes) == 1 for a in model.layers)
    convs = _by_type(model, keras.layers.Conv2D)
    assert len(convs) == 1 + 4 * 3  # conv_bn, then residual = conv_bn + Conv2D + shortcut Conv2D


def test_top_level_names_usable_before_their_definition():
    spec = graphspec.loads("""
        model net {
            input x: (width,)
            output y = x -> head(width // 2) -> sub
        }
        block head(n) {
            input t
            output o = t -> Dense(n)
        }
        model sub {
            input s: (half,)
            output z = s -> Dense(1)
        }
        const half = width // 2
        const width = 8
    """)
    assert spec.root == "net"
    model = spec.to_keras()
    assert tuple(model.inputs[0].shape) == (None, 8)
    assert model.count_params() == (8 * 4 + 4) + (4 + 1)


def test_definitions_depending_on_themselves_are_errors():
    for text in (
        "const a = b + 1\nconst b = a\nmodel m { input x: (a,) output y = x -> Dense(1) }",
        "block r { input x output y = x -> r }\nmodel m { input x: (2,) output y = x -> r }",
        "model m { input x: (2,) output y = x -> n }\nmodel n { input x: (2,) output y = x -> m }",
    ):
        with pytest.raises(SpecError) as err:
            graphspec.loads(text, model="m")
        assert err.value.diagnostics, text


def test_a_spec_never_runs_code():
    with pytest.raises(SpecError) as err:
        graphspec.loads("model m { input x: (2,) output y = x -> Lambda(1) }")
    assert [d.code for d in err.value.diagnostics] == ["E210"]


# ------------------------------------------------------------------ Keras layer names (docs/language.md)


def test_names_inputs_layers_and_inline_layers():
    model = graphspec.loads("""
        model m {
            input image: (8, 8, 3)
            layer proj = Dense(4)
            h = image -> Conv2D(4, 3) -> Conv2D(4, 3) -> Flatten()
            h = h -> proj
            g = image -> Conv2D(64, 1) -> GlobalMaxPooling2D() -> proj
            output y = (h, g) -> Concatenate() -> Dense(2)
        }
    """).to_keras()
    # inputs keep their names; `layer NAME` -> NAME; inline -> <binding>_<snake_case type>, _2, _3...;
    # the last inline layer of `output y = ...` -> y, the layers before it <output>_<type>.
    assert sorted(_layer_names(model)) == sorted([
        "image", "proj", "h_conv2d", "h_conv2d_2", "h_flatten", "g_conv2d", "g_global_max_pooling2d",
        "y_concatenate", "y",
    ])


def test_shared_layer_inputs_must_fit_its_weights():
    """One `layer` object has one set of weights: a use with another input size is reported."""
    with pytest.raises(SpecError) as err:
        graphspec.loads("""
            model m {
                input image: (8, 8, 3)
                layer proj = Dense(4)
                h = image -> Flatten() -> proj
                g = image -> GlobalMaxPooling2D() -> proj
                output y = (h, g) -> Concatenate()
            }
        """)
    diag = err.value.diagnostics[0]
    assert diag.code == "E401" and "shared layer `proj`" in diag.message
    assert diag.span.line == 6


def test_names_snake_case_is_keras_own():
    model = graphspec.loads("""
        model m {
            input seq: (5, 4)
            output out = seq -> LSTM(3, return_sequences=True) -> GlobalAveragePooling1D()
                              -> BatchNormalization() -> Dense(2)
        }
    """).to_keras()
    names = _layer_names(model)
    assert names == ["seq", "out_lstm", "out_global_average_pooling1d", "out_batch_normalization", "out"]
    # The same snake_case Keras gives a layer left unnamed.
    from graphspec.passes.naming import snake

    for layer in (keras.layers.GlobalAveragePooling1D(), keras.layers.BatchNormalization(),
                  keras.layers.Conv2D(1, 1), keras.layers.MaxPooling2D(), keras.layers.LSTM(1)):
        assert re.fullmatch(snake(type(layer).__name__) + r"(_\d+)?", layer.name), layer.name


def test_names_nested_model_takes_the_models_name():
    model = graphspec.loads("""
        model inner { input a: (3,) output b = a -> Dense(2) }
        model outer {
            input x: (3,)
            output y = x -> inner -> Dense(1)
        }
    """).to_keras()
    assert _layer_names(model) == ["x", "inner", "y"]
    assert _layer_names(model.get_layer("inner")) == ["a", "b"]


def test_names_identity_when_an_output_has_no_layer_of_its_own():
    model = graphspec.loads("""
        model inner { input a: (3,) output b = a -> Dense(2) }
        model m {
            input x: (3,)
            input seq: (4, 3)
            layer shared = Dense(3)
            s = x -> shared
            n = x -> inner
            o, h, c = seq -> LSTM(2, return_state=True)
            output first = x -> Dense(5)
            output from_input = x          # an input
            output from_shared = s         # a shared layer
            output from_model = n          # a nested model
            output from_multi = h          # one tensor of a multi-output layer
            output again = first           # another output
            output x                       # an input under its own name: no layer added
        }
    """, model="m").to_keras()
    assert model.output_names == ["first", "from_input", "from_shared", "from_model", "from_multi", "again", "x"]
    for name in ("from_input", "from_shared", "from_model", "from_multi", "again"):
        assert isinstance(model.get_layer(name), keras.layers.Identity), name
    assert isinstance(model.get_layer("first"), keras.layers.Dense)
    assert isinstance(model.get_layer("shared"), keras.layers.Dense)
    assert isinstance(model.get_layer("x"), keras.layers.InputLayer)
    assert sum(isinstance(l, keras.layers.Identity) for l in model.layers) == 5


def test_names_output_of_a_bound_inline_layer_renames_it():
    """`output y = h` where h comes from an inline layer: that layer is named y (no Identity)."""
    model = graphspec.loads("""
        model m {
            input x: (3,)
            h = x -> Dense(4) -> Dense(5)
            output y = h
        }
    """).to_keras()
    assert _layer_names(model) == ["x", "h_dense", "y"]


def test_names_inside_block_expansions():
    model = graphspec.loads(_block_defining("tiny_resnet")).to_keras()
    names = _layer_names(model)
    assert names[:4] == ["image", "conv_bn_y_conv2d", "conv_bn_y_batch_normalization", "conv_bn_y_activation"]
    # Expansions are numbered per enclosing scope: the second `residual` of the model is
    # `residual_2_`; the `conv_bn` inside each residual is the first in its scope, so it is
    # `residual_conv_bn_`, `residual_2_conv_bn_`, ...
    assert names[4:11] == [
        "residual_conv_bn_y_conv2d", "residual_conv_bn_y_batch_normalization",
        "residual_conv_bn_y_activation", "residual_y_conv2d", "residual_shortcut_conv2d",
        "residual_out_add", "residual_out_activation",
    ]
    assert "residual_2_out_add" in names and "residual_4_conv_bn_y_conv2d" in names
    assert names[-2:] == ["label_global_average_pooling2d", "label"]


def test_names_block_shared_layers_and_outputs():
    model = graphspec.loads("""
        block tower(n) {
            input x
            layer mix = Dense(n)
            a = x -> mix
            output y = a -> mix
        }
        model m {
            input x: (4,)
            output out = x -> tower(4) -> tower(4)
        }
    """).to_keras()
    # `layer mix` inside expansions: tower_mix, tower_2_mix; a block output is named
    # `<prefix><output>_<type>` unless it is the model's output layer.
    assert _layer_names(model) == ["x", "tower_mix", "tower_2_mix", "out"]
    assert isinstance(model.get_layer("out"), keras.layers.Identity)  # tower_2_mix is shared


def test_names_are_deduplicated_against_output_names():
    model = graphspec.loads("""
        model m {
            input x: (3,)
            y_dense = x -> Dense(2)
            output y = y_dense -> Dense(4) -> Dense(1)
        }
    """).to_keras()
    names = _layer_names(model)
    assert len(set(names)) == len(names)
    assert names == ["x", "y_dense_dense", "y_dense", "y"]


def test_names_match_ir_and_summary():
    spec = graphspec.loads(_block_defining("tiny_resnet"))
    model = spec.to_keras()
    ir_names = {layer.name for layer in spec.model.layers}
    assert set(_layer_names(model)) - {"image"} == ir_names
    assert [row["name"] for row in spec.summary()["layers"]] == _layer_names(model)


def test_names_an_explicit_name_argument_is_kept():
    model = graphspec.loads("""
        model m {
            input x: (3,)
            h = x -> Dense(4, name="hidden") -> Dense(5)
            layer sh = Dense(2, name="shared_dense")
            output y = h -> Dense(1, name="final")
            output z = h -> sh
        }
    """).to_keras()
    # `name=` wins over the derived name; an output whose last layer has its own name
    # gets an Identity layer named after the output, as for a shared layer.
    assert _layer_names(model) == ["x", "hidden", "h_dense", "final", "shared_dense", "y", "z"]
    assert model.output_names == ["y", "z"]
    assert isinstance(model.get_layer("y"), keras.layers.Identity)


def test_names_an_explicit_name_inside_a_block_used_twice_is_an_error():
    with pytest.raises(SpecError) as err:
        graphspec.loads("""
            block b { input t  output o = t -> Dense(2, name="fixed") }
            model m { input x: (3,)  output y = x -> b -> b }
        """)
    assert [d.code for d in err.value.diagnostics] == ["E202"]


# ------------------------------------------------------------------ docs/language.md stays true

DOCS = ROOT / "docs" / "language.md"
_GSPEC_FENCE = re.compile(r"^```gspec[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def _doc_examples():
    return [m.group(1) for m in _GSPEC_FENCE.finditer(DOCS.read_text(encoding="utf-8"))] if DOCS.is_file() else []


@pytest.mark.parametrize("text", _doc_examples() or [pytest.param(None, marks=pytest.mark.skip(reason="no docs"))])
def test_docs_examples_check_and_build(text):
    """Every ```gspec example of docs/language.md is a whole file that checks clean and builds."""
    program = _check_clean(text)
    for root in _roots(program):
        model = graphspec.loads(text, model=root).to_keras()
        assert model.output_names == [o.name for o in program.models[root].outputs]


def test_docs_naming_listing_is_what_keras_builds():
    text = DOCS.read_text(encoding="utf-8")
    example = next(e for e in _doc_examples() if "model naming" in e)
    listing = text[text.index("```text", text.index("model naming")):]
    listing = listing[len("```text\n"):listing.index("\n```")]
    rows = [line.split() for line in listing.splitlines() if not line.startswith("output_names:")]
    model = graphspec.loads(example, model="naming").to_keras()
    assert [(layer.name, type(layer).__name__) for layer in model.layers] == [tuple(r) for r in rows]
    names_line = next(line for line in listing.splitlines() if line.startswith("output_names:"))
    assert names_line == f"output_names: {model.output_names}"
