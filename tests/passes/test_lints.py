"""The lints of graphspec/passes/lints.py (W301 loss/output, W302 mask, W303 monitor), statically:
each one's golden lives in tests/fixtures/diagnostics; here, that none fires on the seed and zoo
specs, that `# gspec: ignore[CODE]` silences each, and the cases each must leave alone.
Their agreement with Keras is tests/backends/test_lints_keras.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, SPECS
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.passes.check import check_path, check_text

LINTS = ("W301", "W302", "W303")
GOLDENS = sorted(p for p in (FIXTURES / "diagnostics").glob("W30[123]_*.gspec"))


def codes(text: str):
    diags = Diagnostics()
    check_text(text, diags)
    return [d.code for d in diags.items]


def test_every_lint_has_goldens():
    assert {p.name[:4] for p in GOLDENS} == set(LINTS)
    assert len([p for p in GOLDENS if p.name.startswith("W301")]) == 4  # one per rule


@pytest.mark.parametrize("path", sorted(SPECS.rglob("*.gspec")), ids=lambda p: str(p.relative_to(SPECS)))
def test_no_lint_fires_on_the_specs(path: Path):
    diags = Diagnostics()
    check_path(path, diags)
    assert not [d for d in diags.items if d.code in LINTS], [(d.code, d.message) for d in diags.items]


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.stem)
def test_a_comment_silences_the_lint(path: Path):
    text = path.read_text(encoding="utf-8")
    code = path.name[:4]
    diags = Diagnostics()
    check_text(text, diags)
    lines = sorted({d.span.line for d in diags.items if d.code == code})
    assert lines, "the golden no longer shows its code"
    silenced = text.splitlines()
    for line in lines:
        silenced[line - 1] += f"  # gspec: ignore[{code}]"
    assert code not in codes("\n".join(silenced) + "\n")
    assert code not in [d.code for d in _checked(text, ignore=(code,))]  # and per project


def _checked(text: str, ignore=()):
    diags = Diagnostics()
    check_text(text, diags, ignore=ignore)
    return diags.items


_QUIET = {
    "softmax with categorical": """
model m {
    input x: (8,)
    output y = x -> Dense(3, activation="softmax")
    compile { optimizer = "adam"  loss = "categorical_crossentropy" }
}""",
    "logits with from_logits": """
model m {
    input x: (8,)
    output y = x -> Dense(3)
    compile { optimizer = "adam"  loss = SparseCategoricalCrossentropy(from_logits=True) }
}""",
    "softmax layer after dense": """
model m {
    input x: (8,)
    output y = x -> Dense(3) -> Softmax()
    compile { optimizer = "adam"  loss = "categorical_crossentropy" }
}""",
    "segmentation head is a convolution": """
model m {
    input x: (16, 16, 3)
    output y = x -> Conv2D(4, 1, activation="softmax")
    compile { optimizer = "adam"  loss = "sparse_categorical_crossentropy" }
}""",
    "sigmoid labels with binary": """
model m {
    input x: (8,)
    output y = x -> Dense(5, activation="sigmoid")
    compile { optimizer = "adam"  loss = "binary_crossentropy" }
}""",
    "unknown last activation": """
model m {
    input x: (8,)
    output y = x -> Dense(3, activation="softmax") -> Dropout(0.1)
    compile { optimizer = "adam"  loss = "categorical_crossentropy" }
}""",
    "mask consumed by an LSTM": """
model m {
    input t: (20,) int32
    output y = t -> Embedding(100, 8, mask_zero=True) -> Dropout(0.1) -> LSTM(4) -> Flatten() -> Dense(1)
    compile { optimizer = "adam"  loss = "mse" }
}""",
    "mask consumed by average pooling": """
model m {
    input t: (20,) int32
    output y = t -> Embedding(100, 8, mask_zero=True) -> GlobalAveragePooling1D() -> Dense(1)
}""",
    "no mask without mask_zero": """
model m {
    input t: (20,) int32
    output y = t -> Embedding(100, 8) -> Flatten() -> Dense(1)
}""",
    "monitor a per-output metric": """
model m {
    input x: (8,)
    output a = x -> Dense(3, activation="softmax")
    output b = x -> Dense(1)
    compile { optimizer = "adam"  loss = {a: "categorical_crossentropy", b: "mse"}
              metrics = {a: ["accuracy"], b: [MeanAbsoluteError(name="err")]} }
    fit { callbacks = [EarlyStopping(monitor="val_a_accuracy"), ReduceLROnPlateau(monitor="b_err"),
                       ModelCheckpoint("best.keras", monitor="val_b_loss")] }
}""",
}


@pytest.mark.parametrize("name", list(_QUIET))
def test_lints_leave_correct_specs_alone(name: str):
    found = [(d.code, d.message) for d in _checked(_QUIET[name])]
    assert not [c for c in found if c[0] in LINTS], found


def test_monitor_suggests_the_logged_name():
    text = _QUIET["monitor a per-output metric"].replace('monitor="b_err"', 'monitor="b_eror"')
    (warning,) = [d for d in _checked(text) if d.code == "W303"]
    assert warning.help == "did you mean `b_err`?"
    assert '"val_NAME"' in warning.message and '"a_accuracy"' in warning.message


def test_mask_followed_through_layers_that_pass_it():
    text = _QUIET["no mask without mask_zero"].replace("Embedding(100, 8)", "Masking() -> Dense(4)").replace(
        "(20,) int32", "(20, 3)")
    (warning,) = [d for d in _checked(text) if d.code == "W302"]
    assert warning.message.startswith("`Flatten` does not support masking")
