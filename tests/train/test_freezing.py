"""Freezing (issue 12): `trainable=False` on a layer, a shared layer, a nested model's use and a
block's use, counted statically as Keras counts it, set on the built model, kept by the IR and the
generated Python, honoured by training; and the GAN recipe of docs/training.md, run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import graphspec
from graphspec.diagnostics.diagnostic import SpecError
from tests.conftest import ROOT

keras = pytest.importorskip("keras")

BACKBONE = """
block conv_bn(filters) {
    input x
    output y = x -> Conv2D(filters, 3, padding="same", use_bias=False)
                 -> BatchNormalization()
                 -> Activation("relu")
}

model backbone {
    input image: (8, 8, 3)
    output features = image -> conv_bn(4) -> GlobalAveragePooling2D()
}
"""

CASES = {
    "nested model": BACKBONE + """
model m {
    input image: (8, 8, 3)
    output label = image -> backbone(trainable=False) -> Dense(3, activation="softmax")
}""",
    "shared layer": """
model m {
    input a: (None, 4)
    input b: (None, 4)
    layer enc = LSTM(8, trainable=False)
    output same = (a -> enc, b -> enc) -> Concatenate() -> Dense(1)
}""",
    "layer": """
model m {
    input x: (6,)
    output y = x -> Dense(5, trainable=False) -> BatchNormalization(trainable=False) -> Dense(2)
}""",
    "block use": BACKBONE + """
model m {
    input image: (8, 8, 3)
    h = image -> conv_bn(4, trainable=False) -> conv_bn(6)
    output label = h -> GlobalAveragePooling2D() -> Dense(2)
}""",
    "block nesting a model": BACKBONE + """
block frozen_features() {
    input x
    output y = x -> conv_bn(3) -> backbone
}

model m {
    input image: (8, 8, 3)
    output label = image -> frozen_features(trainable=False) -> Dense(2)
}""",
}


def _count(weights) -> int:
    return sum(int(np.prod(w.shape)) for w in weights)


def _keras_counts(model):
    return _count(model.trainable_weights), _count(model.non_trainable_weights)


def _static_counts(spec):
    summary = spec.summary()
    return summary["trainable_params"], summary["non_trainable_params"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_static_counts_are_keras_counts(case):
    spec = graphspec.loads(CASES[case], model="m")
    static = _static_counts(spec)
    assert static[1] > 0  # something is frozen
    assert static == _keras_counts(spec.to_keras()), case


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_ir_and_the_generated_python_keep_the_split(case):
    spec = graphspec.loads(CASES[case], model="m")
    model = spec.to_keras()
    again = graphspec.api.Spec.from_json(spec.to_json())
    assert _static_counts(again) == _static_counts(spec)
    assert _keras_counts(again.to_keras()) == _keras_counts(model)
    namespace = {}
    exec(compile(spec.to_python(), "<generated>", "exec"), namespace)
    generated = namespace["build_m"]()
    assert _keras_counts(generated) == _keras_counts(model)
    assert generated.get_config() == model.get_config()


def test_built_flags():
    model = graphspec.loads(CASES["nested model"], model="m").to_keras()
    backbone = model.get_layer("backbone")
    assert backbone.trainable is False and backbone.trainable_weights == []
    assert all(not layer.trainable for layer in backbone.layers)
    assert model.get_layer("label").trainable

    model = graphspec.loads(CASES["block use"], model="m").to_keras()
    frozen = {layer.name: layer.trainable for layer in model.layers if layer.name.startswith("conv_bn")}
    assert frozen == {"conv_bn_y_conv2d": False, "conv_bn_y_batch_normalization": False,
                      "conv_bn_y_activation": False, "conv_bn_2_y_conv2d": True,
                      "conv_bn_2_y_batch_normalization": True, "conv_bn_2_y_activation": True}

    model = graphspec.loads(CASES["block nesting a model"], model="m").to_keras()
    assert model.get_layer("backbone").trainable is False
    assert not model.get_layer("frozen_features_conv_bn_y_conv2d").trainable
    assert model.get_layer("label").trainable


def _weights(layers):
    return [np.array(w.numpy()) for layer in layers for w in layer.weights]


def _fit_one_step(model, inputs, target):
    before = {layer.name: _weights([layer]) for layer in model.layers}
    model.fit(inputs, target, batch_size=len(target), epochs=1, verbose=0)
    after = {layer.name: _weights([layer]) for layer in model.layers}
    changed = {name for name in before if any((a != b).any() for a, b in zip(before[name], after[name]))}
    return changed


def test_a_frozen_backbone_stays_as_it_is_while_the_head_trains():
    spec = graphspec.loads(CASES["nested model"].replace("model m {", "model m {\n    compile { optimizer = "
                                                         "\"adam\"  loss = \"sparse_categorical_crossentropy\" }"),
                           model="m")
    model = spec.to_keras()
    rng = np.random.default_rng(0)
    changed = _fit_one_step(model, rng.random((4, 8, 8, 3), dtype=np.float32), rng.integers(0, 3, 4))
    # The backbone's kernel, BatchNormalization scale, offset and moving statistics: all unchanged.
    assert changed == {"label"}


def test_a_frozen_block_use_stays_as_it_is():
    spec = graphspec.loads(CASES["block use"].replace("model m {", "model m {\n    compile { optimizer = "
                                                      "\"sgd\"  loss = \"mse\" }"), model="m")
    model = spec.to_keras()
    rng = np.random.default_rng(0)
    changed = _fit_one_step(model, rng.random((4, 8, 8, 3), dtype=np.float32), rng.random((4, 2)))
    assert changed == {"conv_bn_2_y_conv2d", "conv_bn_2_y_batch_normalization", "label"}


@pytest.mark.slow
def test_the_zoo_backbone_frozen(tmp_path):
    """The transfer-learning shape of docs/training.md: the zoo's MobileNetV2, frozen, a new head."""
    text = ('import "graphspec:zoo/mobilenet_v2.gspec"\n'
            "model flowers {\n    input image: (224, 224, 3)\n"
            '    output label = image -> mobilenet_v2(trainable=False) -> Dense(5, activation="softmax")\n'
            '    compile { optimizer = Adam(learning_rate=0.001)  loss = "sparse_categorical_crossentropy" }\n}\n')
    spec = graphspec.loads(text, model="flowers")
    model = spec.to_keras()
    assert _static_counts(spec) == _keras_counts(model) == (5005, 3538984)
    rng = np.random.default_rng(0)
    changed = _fit_one_step(model, rng.random((2, 224, 224, 3), dtype=np.float32), rng.integers(0, 5, 2))
    assert changed == {"label"}


# ------------------------------------------------------------------ the GAN recipe

def _training_section(title):
    text = (ROOT / "docs" / "training.md").read_text(encoding="utf-8")
    section = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S))


def _run_recipe(tmp_path, backend):
    blocks = _training_section("Freezing and a GAN")
    (tmp_path / "gan.gspec").write_text(blocks["gspec"], encoding="utf-8")
    # Run as a user would, with every Keras warning an error (a warning would mean a stale compile).
    code = "import warnings\nwarnings.simplefilter('error', UserWarning)\n" + blocks["python"]
    env = dict(os.environ, KERAS_BACKEND=backend)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_the_gan_recipe_runs_as_written(tmp_path):
    _run_recipe(tmp_path, "tensorflow")


@pytest.mark.slow
def test_the_gan_recipe_runs_under_jax(tmp_path):
    """JAX reads the trainable flags at every step, TensorFlow when a model first trains: both hold."""
    pytest.importorskip("jax")
    _run_recipe(tmp_path, "jax")


def test_the_gan_trains_each_part_in_its_step(tmp_path):
    blocks = _training_section("Freezing and a GAN")
    (tmp_path / "gan.gspec").write_text(blocks["gspec"], encoding="utf-8")
    spec = graphspec.load(tmp_path / "gan.gspec")
    assert _static_counts(spec) == (212, 97)  # the discriminator's weights are the gan's non-trainable ones
    models = spec.to_keras_all()
    generator, discriminator, gan = models["generator"], models["discriminator"], models["gan"]
    assert gan.get_layer("discriminator") is discriminator and gan.get_layer("generator") is generator
    assert _keras_counts(gan) == (212, 97)
    assert spec.summary("discriminator")["trainable_params"] == 97
    rng = np.random.default_rng(1)
    samples, z = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 8)).astype("float32")
    discriminator.trainable = True
    before_d, before_g = _weights([discriminator]), _weights([generator])
    discriminator.train_on_batch(samples, np.ones((8, 1)))
    after_d = _weights([discriminator])
    assert all((a != b).any() for a, b in zip(before_d, after_d))  # every weight of it trained
    assert all((a == b).all() for a, b in zip(before_g, _weights([generator])))
    discriminator.trainable = False
    gan.train_on_batch(z, np.ones((8, 1)))
    assert all((a == b).all() for a, b in zip(after_d, _weights([discriminator])))
    assert all((a != b).any() for a, b in zip(before_g, _weights([generator])))


def test_to_keras_builds_each_model_afresh_and_to_keras_all_shares(tmp_path):
    blocks = _training_section("Freezing and a GAN")
    (tmp_path / "gan.gspec").write_text(blocks["gspec"], encoding="utf-8")
    spec = graphspec.load(tmp_path / "gan.gspec")
    alone = spec.to_keras(model="discriminator")
    assert alone.trainable and alone is not spec.to_keras(model="discriminator")
    some = spec.to_keras_all(["gan"])  # the models `gan` uses come with it
    assert sorted(some) == ["discriminator", "gan", "generator"]
    assert some["gan"].get_layer("discriminator") is some["discriminator"]
    assert some["discriminator"].compiled and not some["generator"].compiled
    # The same gan as built alone, but for the shared discriminator's own compile settings.
    shared, alone_gan = some["gan"].get_config(), spec.to_keras(model="gan").get_config()
    for config in (shared, alone_gan):
        next(layer for layer in config["layers"] if layer["name"] == "discriminator").pop("compile_config", None)
    assert shared == alone_gan


# ------------------------------------------------------------------ what the checker says

def _codes(text):
    with pytest.raises(SpecError) as info:
        graphspec.loads(text, model="m")
    return [(d.code, d.message) for d in info.value.diagnostics]


def test_uses_of_one_model_must_agree():
    codes = _codes(BACKBONE + """
model m {
    input a: (8, 8, 3)
    input b: (8, 8, 3)
    output both = (a -> backbone(trainable=False), b -> backbone) -> Concatenate()
}""")
    assert [c for c, _ in codes] == ["E214"]
    assert "model `backbone` is used trainable here and frozen at" in codes[0][1]


def test_a_model_used_in_a_frozen_block_and_outside_it_disagrees():
    codes = _codes(BACKBONE + """
block wrap() {
    input x
    output y = x -> backbone
}

model m {
    input a: (8, 8, 3)
    output both = (a -> backbone, a -> wrap(trainable=False)) -> Concatenate()
}""")
    assert [c for c, _ in codes] == ["E214"]


def test_a_frozen_copy_is_its_own_model():
    spec = graphspec.loads(BACKBONE + """
model frozen_backbone extends backbone {}

model m {
    input a: (8, 8, 3)
    output both = (a -> frozen_backbone(trainable=False), a -> backbone) -> Concatenate()
}""", model="m")
    summary = spec.summary()
    assert summary["trainable_params"] == summary["non_trainable_params"] - 16  # BN statistics: 2 x 4 x 2
    assert _static_counts(spec) == _keras_counts(spec.to_keras())


def test_wrong_spellings():
    assert [c for c, _ in _codes(BACKBONE + """
model m {
    input a: (8, 8, 3)
    output y = a -> backbone(trainable="no")
}""")] == ["E302"]
    assert [c for c, _ in _codes(BACKBONE + """
model m {
    input a: (8, 8, 3)
    output y = a -> backbone(training=False)
}""")] == ["E209"]
    codes = _codes("""
model m {
    input a: (None, 4)
    layer enc = LSTM(8)
    output y = a -> enc(trainable=False)
}""")
    assert [c for c, _ in codes] == ["E209"] and "belongs where it is declared" in codes[0][1]


def test_a_block_parameter_named_trainable_is_the_blocks():
    spec = graphspec.loads("""
block dense(units, trainable=True) {
    input x
    output y = x -> Dense(units, trainable=trainable)
}

model m {
    input a: (4,)
    output y = a -> dense(3, trainable=False) -> dense(2)
}""", model="m")
    assert _static_counts(spec) == (8, 15)


def test_a_frozen_model_counts_as_used():
    """`backbone(trainable=False)` is a use: `backbone` is not a second root."""
    spec = graphspec.loads(CASES["nested model"])
    assert spec.root == "m"


def test_the_doc_example_counts():
    """docs/language.md's freezing example: its counts as the text gives them, and as Keras's."""
    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    section = text.split("## Freezing: `trainable=False`\n", 1)[1].split("\n## ", 1)[0]
    example = re.findall(r"```gspec\n(.*?)```", section, flags=re.S)[0]
    spec = graphspec.loads(example)
    assert _static_counts(spec) == _keras_counts(spec.to_keras()) == (1162, 21496)
    assert "1,162 weights are trainable" in section and "21,496" in section


def test_the_picture_marks_what_is_frozen():
    spec = graphspec.loads(CASES["nested model"], model="m")
    assert "model backbone frozen" in spec.to_mermaid()
    picture = graphspec.loads(CASES["block use"], model="m").to_mermaid(expand=True)
    frozen = [line for line in picture.splitlines() if " frozen" in line]
    assert len(frozen) == 3 and all("conv_bn_y_" in line for line in frozen)  # the first use's three layers
