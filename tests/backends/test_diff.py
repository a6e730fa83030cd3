"""`graphspec diff`: the semantic diff of two specs (graphspec/backends/diff/, docs/diff.md).

- every spec against itself, and against its `graphspec fmt` layout, has no changes;
  so do comments, layout, a renamed const, an argument written with its default;
- each kind of change gives exactly its lines: inputs, outputs, layers (added,
  removed, renamed, retyped), arguments (with defaults), connectivity, shapes,
  parameter counts, compile and fit settings, nested models, whole files added;
- the seeds: ticket_router -> ticket_router_v2 adds the `difficulty` output and
  layer (+195 parameters); fashion_cnn's Dense(100) -> Dense(128) changes that
  layer's units, shape and parameters and the next Dense's parameters;
- the JSON document's structure;
- the command: exit 0 same, 1 different, 2 trouble; /dev/null; --format json;
- git: a real repository with `*.gspec diff=graphspec` and the driver configured,
  `git diff` shows the semantic diff (added file, rename, a spec that does not
  check falls back to the text diff without breaking `git diff`), and the
  textconv alternative.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import graphspec
from graphspec.backends.diff import NO_CHANGES, diff_specs, render_listing, render_text, to_dict, to_json
from graphspec.cli import main

ROOT = Path(__file__).parents[2]
SEEDS = ROOT / "specs" / "seeds"
SPECS = sorted(p for p in (ROOT / "specs").rglob("*.gspec") if "custom" not in p.parts)

BASE = '''
model net {
    input x: (16,)
    input mask: (4,)
    h = x -> Dense(32, activation="relu") -> Dropout(0.1)
    g = mask -> Dense(8)
    output y = (h, g) -> Concatenate() -> Dense(1, activation="sigmoid")
    output aux = h -> Dense(3, activation="softmax")
    compile {
        optimizer = Adam(learning_rate=1e-3)
        loss = {y: "mse", aux: "categorical_crossentropy"}
    }
    fit { epochs = 5 }
}
'''


def _load(text: str, base: Path = SEEDS):
    return graphspec.loads(text, base=base)


def _lines(old, new, **kw) -> list:
    return render_text(diff_specs(old, new, **kw)).splitlines()


def _base_lines(text: str) -> list:
    return _lines(_load(BASE), _load(text))


def _edit(text: str, *pairs) -> str:
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    return text


# --------------------------------------------------------------------------- nothing changed


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_spec_against_itself_has_no_changes(path):
    old, new = graphspec.load(path), graphspec.load(path)
    diff = diff_specs(old, new)
    assert not diff.changed
    assert render_text(diff) == NO_CHANGES + "\n"
    assert to_dict(diff)["changed"] is False


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.gspec")), ids=lambda p: p.name)
def test_the_formatted_layout_has_no_changes(path):
    from graphspec.syntax.format import format_source
    from graphspec.source import Source

    formatted, _ = format_source(Source(str(path), path.read_text(encoding="utf-8")))
    assert formatted is not None
    old = graphspec.load(path)
    new = graphspec.loads(formatted, base=path.parent)
    assert render_text(diff_specs(old, new)) == NO_CHANGES + "\n"


def test_layout_comments_consts_and_default_arguments_change_nothing():
    new = '''
const width = 32   # a const that evaluates to what was written before
const act = "relu"

# a comment
model net { input x: (16,) input mask: (4,)
  h = x
    -> Dense(units=width, activation=act, use_bias=True, kernel_initializer="glorot_uniform")
    -> Dropout(rate=0.1)
  g = mask -> Dense(8, activation=None)
  output y = (h, g) -> Concatenate(axis=-1) -> Dense(1, activation='sigmoid')
  output aux = h -> Dense(3, activation="softmax")
  compile { loss = {aux: "categorical_crossentropy", y: "mse"} optimizer = Adam(1e-3) }
  fit { epochs = 5 }
}
'''
    assert _base_lines(new) == [NO_CHANGES]


def test_strides_int_equals_the_tuple_default():
    old = 'model m { input x: (8, 8, 3) output y = x -> Conv2D(4, 3, strides=1) }'
    new = 'model m { input x: (8, 8, 3) output y = x -> Conv2D(4, (3, 3), strides=(1, 1)) }'
    # kernel_size 3 and (3, 3) are different values as written (no default to compare with).
    assert _lines(_load(old), _load(new)) == [
        "model m",
        "  ~ y.kernel_size: 3 -> (3, 3)",
        "  params: 112 (unchanged)",
    ]


# --------------------------------------------------------------------------- the seeds


def test_ticket_router_to_v2_adds_the_difficulty_head():
    old = graphspec.load(SEEDS / "ticket_router.gspec")
    new = graphspec.load(SEEDS / "ticket_router_v2.gspec")
    assert _lines(old, new) == [
        "model ticket_router -> ticket_router_v2",
        "  + output difficulty: (None, 3)",
        '  + layer difficulty: Dense(units=3, activation="softmax") <- features_dense; shape (None, 3); 195 params',
        '  + compile.loss.difficulty = "categorical_crossentropy"',
        "  + compile.loss_weights.difficulty = 0.5",
        '  + compile.metrics.difficulty = ["accuracy"]',
        "  params: 1,286,789 -> 1,286,984 (+195)",
    ]
    # And back.
    assert _lines(new, old)[-1] == "  params: 1,286,984 -> 1,286,789 (-195)"
    assert "  - output difficulty: (None, 3)" in _lines(new, old)


def test_fashion_cnn_dense_100_to_128():
    text = (SEEDS / "fashion_cnn.gspec").read_text(encoding="utf-8")
    old = _load(text)
    new = _load(_edit(text, ('Dense(100, activation="relu")', 'Dense(128, activation="relu")')))
    assert _lines(old, new) == [
        "model fashion_cnn",
        "  ~ label_dense.units: 100 -> 128",
        "  ~ label_dense shape: (None, 100) -> (None, 128)",
        "  ~ label_dense params: 313,700 -> 401,536 (+87,836)",
        "  ~ label_dropout shape: (None, 100) -> (None, 128)",
        "  ~ label params: 1,010 -> 1,290 (+280)",
        "  params: 333,526 -> 421,642 (+88,116)",
    ]


# --------------------------------------------------------------------------- each kind of change


def test_inputs_shape_dtype_renamed_added():
    new = _edit(BASE, ("input x: (16,)", "input x: (20,) float64"),
                ("input mask: (4,)", "input flags: (4,)\n    input extra: (2,) int32"),
                ("g = mask", "g = (flags, extra -> Dense(4)) -> Concatenate() -> Dense(8)"))
    assert _base_lines(new) == [
        "model net",
        "  ~ input x shape: (16,) -> (20,)",
        "  ~ input x dtype: float32 -> float64",
        "  ~ input mask renamed flags",
        "  + input extra: (2,) int32",
        "  ~ h_dense params: 544 -> 672 (+128)",
        "  + layer g_dense: Dense(units=4) <- extra; shape (None, 4); 12 params",
        "  + layer g_concatenate: Concatenate() <- (flags, g_dense); shape (None, 8)",
        "  + layer g_dense_2: Dense(units=8) <- g_concatenate; shape (None, 8); 72 params",
        "  ~ layer g_dense renamed g_dense_3",
        "  ~ g_dense_3 inputs: mask -> g_dense_2",
        "  ~ g_dense_3 params: 40 -> 72 (+32)",
        "  params: 724 -> 968 (+244)",
    ]


def test_inputs_removed_and_reordered():
    reordered = _edit(BASE, ("input x: (16,)\n    input mask: (4,)", "input mask: (4,)\n    input x: (16,)"))
    assert _base_lines(reordered) == ["model net", "  ~ inputs reordered: x, mask -> mask, x",
                                      "  params: 724 (unchanged)"]
    removed = _edit(BASE, ("    input mask: (4,)\n", ""), ("g = mask -> Dense(8)", "g = x -> Dense(8)"))
    assert _base_lines(removed) == [
        "model net",
        "  - input mask: (4,) float32",
        "  ~ g_dense inputs: mask -> x",
        "  ~ g_dense params: 40 -> 136 (+96)",
        "  params: 724 -> 820 (+96)",
    ]


def test_outputs_added_reordered_reshaped():
    new = _edit(BASE, ('    output y = (h, g) -> Concatenate() -> Dense(1, activation="sigmoid")\n', ""),
                ('output aux = h -> Dense(3, activation="softmax")',
                 'output score = h -> Dense(1)\n    output aux = h -> Dense(5, activation="softmax")\n'
                 '    output y = (h, g) -> Concatenate() -> Dense(1, activation="sigmoid")'))
    assert _base_lines(new) == [
        "model net",
        "  + output score: (None, 1)",
        "  ~ output aux: (None, 3) -> (None, 5)",
        "  ~ outputs reordered: y, aux -> aux, y",
        "  + layer score: Dense(units=1) <- h_dropout; shape (None, 1); 33 params",
        "  ~ aux.units: 3 -> 5",
        "  ~ aux shape: (None, 3) -> (None, 5)",
        "  ~ aux params: 99 -> 165 (+66)",
        "  params: 724 -> 823 (+99)",
    ]


def test_output_removed_and_renamed():
    removed = _edit(BASE, ('    output aux = h -> Dense(3, activation="softmax")\n', ""),
                    (', aux: "categorical_crossentropy"', ""))
    assert _base_lines(removed) == [
        "model net",
        "  - output aux: (None, 3)",
        '  - layer aux: Dense(units=3, activation="softmax") <- h_dropout; shape (None, 3); 99 params',
        '  - compile.loss.aux = "categorical_crossentropy"',
        "  params: 724 -> 625 (-99)",
    ]
    renamed = _edit(BASE, ("output aux =", "output topic ="), ("aux: ", "topic: "))
    assert _base_lines(renamed) == [
        "model net",
        "  ~ output aux renamed topic",  # and the compile dicts' keys follow it
        "  params: 724 (unchanged)",
    ]


def test_arguments_changed_added_removed_with_defaults():
    new = _edit(BASE, ('Dense(32, activation="relu")',
                       'Dense(32, activation="relu", use_bias=False, kernel_initializer="glorot_uniform")'),
                ("Dense(8)", "Dense(8, activation=None)"),  # the default: no change
                ("Dropout(0.1)", "Dropout(rate=0.25)"),
                ('Dense(3, activation="softmax")', "Dense(3)"))
    assert _base_lines(new) == [
        "model net",
        "  + h_dense.use_bias = False (default: True)",
        "  ~ h_dense params: 544 -> 512 (-32)",
        "  ~ h_dropout.rate: 0.1 -> 0.25",
        '  - aux.activation = "softmax" (back to the default: None)',
        "  params: 724 -> 692 (-32)",
    ]


def test_nested_call_arguments_and_non_trainable_parameters():
    old = 'model m { input x: (None, 8) output y = x -> Bidirectional(LSTM(4)) -> BatchNormalization() }'
    new = ('model m { input x: (None, 8) output y = x -> Bidirectional(LSTM(4, dropout=0.1)) '
           '-> BatchNormalization(center=False) }')
    assert _lines(_load(old), _load(new)) == [
        "model m",
        "  ~ y_bidirectional.layer.dropout: 0.0 -> 0.1",
        "  + y.center = False (default: True)",
        "  ~ y params: 32 -> 24 (-8); trainable 16 -> 8, non-trainable 16 -> 16",
        "  params: 448 -> 440 (-8); trainable 432 -> 424, non-trainable 16 -> 16",
    ]


def test_layer_type_changed_and_layer_replaced():
    new = _edit(BASE, ("Dropout(0.1)", "GaussianDropout(0.1)"),
                ('output aux = h -> Dense(3, activation="softmax")', 'output aux = h -> Activation("softmax")'))
    assert _base_lines(new) == [
        "model net",
        "  ~ output aux: (None, 3) -> (None, 32)",
        "  - layer h_dropout: Dropout(rate=0.1) <- h_dense; shape (None, 32)",
        "  + layer h_gaussian_dropout: GaussianDropout(rate=0.1) <- h_dense; shape (None, 32)",
        "  ~ y_concatenate inputs: (h_dropout, g_dense) -> (h_gaussian_dropout, g_dense)",
        '  ~ layer aux: Dense(units=3, activation="softmax") -> Activation(activation="softmax")',
        "  ~ aux inputs: h_dropout -> h_gaussian_dropout",
        "  ~ aux shape: (None, 3) -> (None, 32)",
        "  ~ aux params: 99 -> 0 (-99)",
        "  params: 724 -> 625 (-99)",
    ]


def test_connectivity():
    assert _base_lines(_edit(BASE, ("output aux = h -> Dense", "output aux = g -> Dense"))) == [
        "model net",
        "  ~ aux inputs: h_dropout -> g_dense",
        "  ~ aux params: 99 -> 27 (-72)",
        "  params: 724 -> 652 (-72)",
    ]
    swapped = _edit(BASE, ("(h, g)", "(g, h)"))
    assert _base_lines(swapped) == [
        "model net",
        "  ~ y_concatenate inputs: (h_dropout, g_dense) -> (g_dense, h_dropout)",
        "  params: 724 (unchanged)",
    ]


def test_shared_layer_uses():
    old = '''model s {
        input a: (None, 8)
        input b: (None, 8)
        layer enc = LSTM(4)
        output same = (a -> enc, b -> enc) -> Concatenate() -> Dense(1)
    }'''
    new = old.replace("(a -> enc, b -> enc)", "(a -> enc, b -> enc, a -> enc)")
    assert _lines(_load(old), _load(new)) == [
        "model s",
        "  ~ enc inputs: a, b -> a, b, a",
        "  ~ enc shape: [(None, 4), (None, 4)] -> [(None, 4), (None, 4), (None, 4)]",
        "  ~ same_concatenate inputs: (enc#1, enc#2) -> (enc#1, enc#2, enc#3)",
        "  ~ same_concatenate shape: (None, 8) -> (None, 12)",
        "  ~ same params: 9 -> 13 (+4)",
        "  params: 217 -> 221 (+4)",
    ]


def test_renames_are_recognised():
    renamed = _edit(BASE, ("h = x", "hidden = x"), ("(h, g)", "(hidden, g)"), ("aux = h", "aux = hidden"))
    assert _base_lines(renamed) == [
        "model net",
        "  ~ layer h_dense renamed hidden_dense",
        "  ~ layer h_dropout renamed hidden_dropout",
        "  params: 724 (unchanged)",
    ]
    assert _base_lines(_edit(BASE, ("model net", "model net2"))) == [
        "model net -> net2", "  params: 724 (unchanged)"]


def test_an_inserted_layer_does_not_shift_the_others():
    # The new Conv2D takes the name label_conv2d_2; the old label_conv2d_2 is now label_conv2d_3.
    text = (SEEDS / "fashion_cnn.gspec").read_text(encoding="utf-8")
    first = '-> Conv2D(32, 3, padding="same", activation="relu")'
    new = _edit(text, (first, first + ' -> Conv2D(48, 3, padding="same", activation="relu")'))
    assert _lines(_load(text), _load(new)) == [
        "model fashion_cnn",
        '  + layer label_conv2d_2: Conv2D(filters=48, kernel_size=3, padding="same", activation="relu") '
        "<- label_conv2d; shape (None, 28, 28, 48); 13,872 params",
        "  ~ label_max_pooling2d inputs: label_conv2d -> label_conv2d_2",
        "  ~ label_max_pooling2d shape: (None, 14, 14, 32) -> (None, 14, 14, 48)",
        "  ~ layer label_conv2d_2 renamed label_conv2d_3",
        "  ~ label_conv2d_3 params: 18,496 -> 27,712 (+9,216)",
        "  params: 333,526 -> 356,614 (+23,088)",
    ]


def test_compile_and_fit_settings():
    new = _edit(BASE, ("1e-3", "3e-4"), ('y: "mse"', 'y: "mae"'),
                ("fit { epochs = 5 }", "fit { epochs = 8 batch_size = 32 callbacks = [EarlyStopping(patience=2)] }"))
    assert _base_lines(new) == [
        "model net",
        "  ~ compile.optimizer.learning_rate: 0.001 -> 0.0003",
        '  ~ compile.loss.y: "mse" -> "mae"',
        "  ~ fit.epochs: 5 -> 8",
        "  + fit.batch_size = 32",
        "  + fit.callbacks = [EarlyStopping(patience=2)]",
        "  params: 724 (unchanged)",
    ]
    # Adam(3e-4) is Adam(learning_rate=3e-4); a callback's default argument written out is no change.
    same = _edit(BASE, ("Adam(learning_rate=1e-3)", "Adam(1e-3, beta_1=0.9)"))
    assert _base_lines(same) == [NO_CHANGES]
    no_compile = _edit(BASE, ('''    compile {
        optimizer = Adam(learning_rate=1e-3)
        loss = {y: "mse", aux: "categorical_crossentropy"}
    }
''', ""))
    assert _base_lines(no_compile) == [
        "model net",
        "  - compile.optimizer = Adam(learning_rate=0.001)",
        '  - compile.loss = {y: "mse", aux: "categorical_crossentropy"}',
        "  params: 724 (unchanged)",
    ]


def test_loss_priority_example():
    text = (SEEDS / "ticket_router.gspec").read_text(encoding="utf-8")
    new = _edit(text, ('priority: "mean_squared_error"', 'priority: "mae"'))
    assert _lines(_load(text), _load(new)) == [
        "model ticket_router",
        '  ~ compile.loss.priority: "mean_squared_error" -> "mae"',
        "  params: 1,286,789 (unchanged)",
    ]


def test_nested_models():
    text = (SEEDS / "dual_camera.gspec").read_text(encoding="utf-8")
    new = _edit(text, ("Conv2D(64, 3, strides=2", "Conv2D(48, 3, strides=2"))
    assert _lines(_load(text), _load(new)) == [
        "model dual_camera",
        "  ~ encoder_net shape: [(None, 64), (None, 64)] -> [(None, 48), (None, 48)]",
        "  ~ encoder_net params: 19,392 -> 14,768 (-4,624)",
        "  ~ depth_concatenate shape: (None, 128) -> (None, 96)",
        "  ~ depth params: 129 -> 97 (-32)",
        "  params: 19,521 -> 14,865 (-4,656)",
        "",
        "model encoder_net (nested)",
        "  ~ output features: (None, 64) -> (None, 48)",
        "  ~ features_conv2d_2.filters: 64 -> 48",
        "  ~ features_conv2d_2 shape: (None, 61, 61, 64) -> (None, 61, 61, 48)",
        "  ~ features_conv2d_2 params: 18,496 -> 13,872 (-4,624)",
        "  ~ features shape: (None, 64) -> (None, 48)",
        "  params: 19,392 -> 14,768 (-4,624)",
    ]
    renamed = text.replace("encoder_net", "encoder")
    assert _lines(_load(text), _load(renamed)) == [
        "model dual_camera",
        "  ~ layer encoder_net renamed encoder",
        "  params: 19,521 (unchanged)",
        "",
        "model encoder_net -> encoder (nested)",
        "  params: 19,392 (unchanged)",
    ]


def test_a_file_added_or_removed():
    spec = graphspec.load(SEEDS / "siamese_lstm.gspec")
    added = [
        "model siamese_lstm (added)",
        "  + input left: (None, 128) float32",
        "  + input right: (None, 128) float32",
        "  + output same: (None, 1)",
        "  + layer encoder: LSTM(units=32) <- left, right; shape [(None, 32), (None, 32)]; 20,608 params",
        "  + layer merged_concatenate: Concatenate() <- (encoder#1, encoder#2); shape (None, 64)",
        '  + layer same: Dense(units=1, activation="sigmoid") <- merged_concatenate; shape (None, 1); 65 params',
        "  params: 0 -> 20,673 (+20,673)",
    ]
    assert _lines(None, spec) == added
    removed = _lines(spec, None)
    assert removed[0] == "model siamese_lstm (removed)"
    assert removed[1:-1] == ["  -" + line[3:] for line in added[1:-1]]
    assert removed[-1] == "  params: 20,673 -> 0 (-20,673)"


def test_listing():
    listing = render_listing(graphspec.load(SEEDS / "dual_camera.gspec")).splitlines()
    assert listing[:3] == ["model dual_camera", "input left: (250, 250, 3) float32",
                           "input right: (250, 250, 3) float32"]
    assert "layer encoder_net: model encoder_net <- left, right; shape [(None, 64), (None, 64)]; " \
           "19,392 params" in listing
    assert "model encoder_net (nested)" in listing
    assert listing[-1] == "params: 19,392"


def test_colour():
    text = render_text(diff_specs(graphspec.load(SEEDS / "ticket_router.gspec"),
                                  graphspec.load(SEEDS / "ticket_router_v2.gspec")), color=True)
    assert "\x1b[1mmodel ticket_router -> ticket_router_v2\x1b[0m" in text
    assert "\x1b[32m  + output difficulty: (None, 3)\x1b[0m" in text


# --------------------------------------------------------------------------- JSON


def test_json_structure():
    old = graphspec.load(SEEDS / "ticket_router.gspec")
    new = graphspec.load(SEEDS / "ticket_router_v2.gspec")
    data = json.loads(to_json(diff_specs(old, new, old_file="a.gspec", new_file="b.gspec")))
    assert set(data) == {"old_file", "new_file", "changed", "models"}
    assert (data["old_file"], data["new_file"], data["changed"]) == ("a.gspec", "b.gspec", True)
    [model] = data["models"]
    assert {k: model[k] for k in ("old", "new", "role", "status")} == {
        "old": "ticket_router", "new": "ticket_router_v2", "role": "root", "status": "changed"}
    assert model["params"] == {
        "old": {"trainable": 1286789, "non_trainable": 0, "total": 1286789},
        "new": {"trainable": 1286984, "non_trainable": 0, "total": 1286984},
        "delta": 195}
    for change in model["changes"]:
        assert {"op", "kind", "subject", "field", "old", "new", "text"} <= set(change)
        assert change["op"] in "+-~"
    by_kind = {c["kind"]: c for c in model["changes"]}
    assert by_kind["model"] == {"op": "~", "kind": "model", "subject": "ticket_router_v2", "field": "name",
                                "old": "ticket_router", "new": "ticket_router_v2",
                                "text": "~ model renamed: ticket_router -> ticket_router_v2"}
    assert by_kind["output"]["new"] == [None, 3]
    layer = by_kind["layer"]
    assert (layer["op"], layer["subject"], layer["old"]) == ("+", "difficulty", None)
    assert layer["new"] == {"name": "difficulty", "type": "Dense", "model": None,
                            "config": {"units": 3, "activation": "softmax"}, "inputs": [["features_dense"]],
                            "shape": [None, 3], "trainable_params": 195, "non_trainable_params": 0}
    settings = [c for c in model["changes"] if c["kind"] == "compile"]
    assert [(c["subject"], c["field"], c["new"]) for c in settings] == [
        ("compile", "loss.difficulty", "categorical_crossentropy"),
        ("compile", "loss_weights.difficulty", 0.5),
        ("compile", "metrics.difficulty", ["accuracy"]),
    ]


def test_json_arguments_and_params():
    new = _edit(BASE, ('Dense(32, activation="relu")', 'Dense(48, activation="relu", use_bias=False)'),
                ("Adam(learning_rate=1e-3)", "Adam(learning_rate=1e-3, clipnorm=1.0)"))
    changes = to_dict(diff_specs(_load(BASE), _load(new)))["models"][0]["changes"]
    args = [c for c in changes if c["kind"] == "arg"]
    assert args == [
        {"op": "~", "kind": "arg", "subject": "h_dense", "field": "units", "old": 32, "new": 48,
         "default": None, "has_default": False, "text": "~ h_dense.units: 32 -> 48"},
        {"op": "+", "kind": "arg", "subject": "h_dense", "field": "use_bias", "old": None, "new": False,
         "default": True, "has_default": True, "text": "+ h_dense.use_bias = False (default: True)"},
    ]
    params = next(c for c in changes if c["kind"] == "params" and c["subject"] == "h_dense")
    assert params["old"] == {"trainable": 544, "non_trainable": 0, "total": 544}
    assert params["new"] == {"trainable": 768, "non_trainable": 0, "total": 768}
    clip = next(c for c in changes if c["kind"] == "compile")
    assert (clip["op"], clip["field"], clip["new"], clip["has_default"], clip["default"]) == (
        "+", "optimizer.clipnorm", 1.0, True, None)


# --------------------------------------------------------------------------- the command


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_cli_exit_codes(tmp_path, capsys):
    a = _write(tmp_path, "a.gspec", BASE)
    b = _write(tmp_path, "b.gspec", "# only a comment more\n" + BASE)
    c = _write(tmp_path, "c.gspec", _edit(BASE, ("Dense(8)", "Dense(16)")))
    assert main(["diff", a, b]) == 0
    assert capsys.readouterr().out == NO_CHANGES + "\n"
    assert main(["diff", a, c]) == 1
    out = capsys.readouterr().out
    assert out.startswith("model net\n  ~ g_dense.units: 8 -> 16\n")
    assert main(["diff", a, c, "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["changed"] is True
    assert main(["diff", "--format", "json", a, b]) == 0
    assert json.loads(capsys.readouterr().out)["changed"] is False


def test_cli_errors_exit_2(tmp_path, capsys):
    a = _write(tmp_path, "a.gspec", BASE)
    bad = _write(tmp_path, "bad.gspec", _edit(BASE, ("Dense(8)", "Dens(8)")))
    assert main(["diff", a, bad]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "error[E301]" in captured.err or "Dens" in captured.err
    assert main(["diff", a, str(tmp_path / "missing.gspec")]) == 2
    assert "E001" in capsys.readouterr().err
    assert main(["diff", a]) == 2
    assert "diff takes OLD NEW" in capsys.readouterr().err
    assert main(["diff", a, a, a]) == 2
    assert main(["diff", a, a, "--format", "yaml"]) == 2
    capsys.readouterr()


def test_cli_dev_null_and_model(tmp_path, capsys):
    a = _write(tmp_path, "a.gspec", BASE)
    assert main(["diff", "/dev/null", a]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "model net (added)" and out[-1] == "  params: 0 -> 724 (+724)"
    assert main(["diff", a, "/dev/null"]) == 1
    assert capsys.readouterr().out.startswith("model net (removed)\n")
    two = _write(tmp_path, "two.gspec", (SEEDS / "dual_camera.gspec").read_text() + BASE)
    assert main(["diff", two, two]) == 2  # several roots: the E207 diagnostic says to pick one
    assert "E207" in capsys.readouterr().err
    assert main(["diff", two, a, "--model", "net"]) == 0
    assert capsys.readouterr().out == NO_CHANGES + "\n"


def test_cli_textconv(tmp_path, capsys):
    assert main(["diff", "--textconv", str(SEEDS / "fashion_cnn.gspec")]) == 0
    out = capsys.readouterr().out
    assert out == render_listing(graphspec.load(SEEDS / "fashion_cnn.gspec"))
    bad = _write(tmp_path, "bad.gspec", "model m { input x: (3,) output y = x -> Dens(2) }\n")
    assert main(["diff", "--textconv", bad]) == 0  # git must not fail: the raw text instead
    captured = capsys.readouterr()
    assert captured.out.endswith("model m { input x: (3,) output y = x -> Dens(2) }\n")
    assert "Dens" in captured.err


def test_cli_git_arguments_directly(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    shutil.copy(SEEDS / "ticket_router.gspec", tmp_path / "specs" / "ticket_router.gspec")
    # git's temporary copy of the old version lives elsewhere: its import resolves from the repository path.
    old = _write(tmp_path, "XyZ_ticket_router_v2.gspec", (SEEDS / "ticket_router_v2.gspec").read_text())
    new = _write(tmp_path / "specs", "ticket_router_v2.gspec",
                 (SEEDS / "ticket_router_v2.gspec").read_text().replace("Dense(3,", "Dense(5,"))
    status = main(["diff", "specs/ticket_router_v2.gspec", old, "0" * 40, "100644", new, "1" * 40, "100644"])
    assert status == 0  # always, for git
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "graphspec diff a/specs/ticket_router_v2.gspec b/specs/ticket_router_v2.gspec"
    assert out[1:3] == ["model ticket_router_v2", "  ~ output difficulty: (None, 3) -> (None, 5)"]


def _git(repo: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)


@pytest.fixture
def repo(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    (root / "specs").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(tmp_path), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(tmp_path / "gitconfig"),
               NO_COLOR="1", GIT_PAGER="cat", PAGER="cat")
    _git(root, "init", "-q", env=env)
    _git(root, "config", "user.email", "t@example.com", env=env)
    _git(root, "config", "user.name", "t", env=env)
    for name in ("ticket_router.gspec", "ticket_router_v2.gspec", "fashion_cnn.gspec"):
        shutil.copy(SEEDS / name, root / "specs" / name)
    (root / ".gitattributes").write_text("*.gspec diff=graphspec\n")
    (root / "notes.txt").write_text("hello\n")
    _git(root, "add", ".", env=env)
    _git(root, "commit", "-qm", "seeds", env=env)
    return root, env


DRIVER = f"{shlex.quote(sys.executable)} -m graphspec diff"


def test_git_diff_uses_the_driver(repo):
    root, env = repo
    fashion = root / "specs" / "fashion_cnn.gspec"
    fashion.write_text(fashion.read_text().replace("Dense(100,", "Dense(128,"))
    (root / "notes.txt").write_text("hello\nworld\n")
    shutil.copy(SEEDS / "siamese_lstm.gspec", root / "specs" / "siamese_lstm.gspec")
    _git(root, "add", "-N", "specs/siamese_lstm.gspec", env=env)
    v2 = root / "specs" / "ticket_router_v2.gspec"
    v2.write_text("# a comment and nothing else\n" + v2.read_text())
    out = _git(root, "-c", f"diff.graphspec.command={DRIVER}", "diff", env=env).stdout
    assert "+world" in out  # other files: git's own diff
    assert ("graphspec diff a/specs/fashion_cnn.gspec b/specs/fashion_cnn.gspec\n"
            "model fashion_cnn\n"
            "  ~ label_dense.units: 100 -> 128\n") in out
    assert "  params: 333,526 -> 421,642 (+88,116)\n" in out
    assert ("graphspec diff a/specs/siamese_lstm.gspec b/specs/siamese_lstm.gspec\n"
            "model siamese_lstm (added)\n") in out
    assert ("graphspec diff a/specs/ticket_router_v2.gspec b/specs/ticket_router_v2.gspec\n"
            f"{NO_CHANGES}\n") in out
    # From a subdirectory, and for one path.
    sub = _git(root / "specs", "-c", f"diff.graphspec.command={DRIVER}", "diff", "--", "fashion_cnn.gspec",
               env=env).stdout
    assert sub.startswith("graphspec diff a/specs/fashion_cnn.gspec b/specs/fashion_cnn.gspec\n")


def test_git_diff_between_commits_renames_and_broken_specs(repo):
    root, env = repo
    v2 = root / "specs" / "ticket_router_v2.gspec"
    v2.write_text(v2.read_text().replace("Dense(3,", "Dense(5,"))
    _git(root, "mv", "specs/fashion_cnn.gspec", "specs/fashion.gspec", env=env)
    _git(root, "commit", "-qam", "v2 with five difficulties", env=env)
    out = _git(root, "-c", f"diff.graphspec.command={DRIVER}", "diff", "-M", "HEAD~1", "HEAD", env=env).stdout
    assert ("graphspec diff a/specs/ticket_router_v2.gspec b/specs/ticket_router_v2.gspec\n"
            "model ticket_router_v2\n"
            "  ~ output difficulty: (None, 3) -> (None, 5)\n") in out
    assert f"graphspec diff a/specs/fashion_cnn.gspec b/specs/fashion.gspec\n{NO_CHANGES}\n" in out

    # A spec that does not check: the diagnostics on stderr, git's diff goes on with the text.
    fashion = root / "specs" / "fashion.gspec"
    fashion.write_text(fashion.read_text().replace("Flatten()", "Flaten()"))
    result = subprocess.run(["git", "-c", f"diff.graphspec.command={DRIVER}", "diff"], cwd=root, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert "graphspec diff a/specs/fashion.gspec b/specs/fashion.gspec\n" in result.stdout
    assert "-        -> Flatten()\n+        -> Flaten()\n" in result.stdout
    assert "Flaten" in result.stderr and "does not check" in result.stderr


def test_git_external_diff_env(repo):
    root, env = repo
    v2 = root / "specs" / "ticket_router_v2.gspec"
    v2.write_text(v2.read_text().replace("Dense(3,", "Dense(4,"))
    out = _git(root, "diff", "--ext-diff", env={**env, "GIT_EXTERNAL_DIFF": DRIVER}).stdout
    assert "  ~ difficulty.units: 3 -> 4\n" in out


def test_git_textconv(repo):
    root, env = repo
    v2 = root / "specs" / "ticket_router_v2.gspec"
    v2.write_text(v2.read_text().replace("Dense(3,", "Dense(5,"))
    out = _git(root, "-c", f"diff.graphspec.textconv={DRIVER} --textconv", "diff", env=env).stdout
    assert "-output difficulty: (None, 3)\n+output difficulty: (None, 5)\n" in out


def test_every_pair_of_specs():
    """Any two specs compare without error, symmetrically, with the totals Keras would count."""
    specs = {p.stem: graphspec.load(p) for p in SPECS}
    for a_name, a in specs.items():
        for b_name, b in specs.items():
            forward, backward = diff_specs(a, b), diff_specs(b, a)
            assert forward.changed == backward.changed == (a_name != b_name)
            root = forward.models[0]
            assert (root.old_params, root.new_params) == (a.model.param_counts(), b.model.param_counts())
            text = render_text(forward)
            if forward.changed:
                assert text.splitlines()[0] == (f"model {a.root}" if a.root == b.root
                                                else f"model {a.root} -> {b.root}")
            json.loads(to_json(forward))


def test_cli_colour_and_unmerged(tmp_path, capsys, monkeypatch):
    a = _write(tmp_path, "a.gspec", BASE)
    c = _write(tmp_path, "c.gspec", _edit(BASE, ("Dense(8)", "Dense(16)")))
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert main(["diff", a, c]) == 1
    assert capsys.readouterr().out.startswith("\x1b[1mmodel net\x1b[0m\n\x1b[33m  ~ g_dense.units: 8 -> 16\x1b[0m\n")
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["diff", a, c]) == 1
    assert "\x1b[" not in capsys.readouterr().out
    monkeypatch.setenv("GIT_DIFF_PATH_TOTAL", "1")  # git calls the driver with one argument for an unmerged path
    assert main(["diff", "specs/x.gspec"]) == 0
    assert capsys.readouterr().out == "* Unmerged path specs/x.gspec\n"


def test_cli_set_applies_to_both_sides(tmp_path, capsys):
    text = "const width = 8\nmodel m { input x: (4,) output y = x -> Dense(width) }\n"
    a = _write(tmp_path, "a.gspec", text)
    b = _write(tmp_path, "b.gspec", text.replace("Dense(width)", "Dense(width, use_bias=False)"))
    assert main(["diff", a, b, "--set", "width=16"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "model m",
        "  + y.use_bias = False (default: True)",
        "  ~ y params: 80 -> 64 (-16)",
        "  params: 80 -> 64 (-16)",
    ]
