"""Compile and fit settings reach Keras as it takes them (issue 11), measured with real fits:
class_weight with int keys changes the loss (string keys, which Keras ignores, are refused);
metrics, losses and loss weights in every container form compile and train; None losses train
the other outputs with targets for them only."""

from __future__ import annotations

import numpy as np
import pytest

import graphspec
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.passes.check import check_text

pytestmark = pytest.mark.slow

ONE = """
model m {{
    input x: (4,)
    output y = x -> Dense(1, activation="sigmoid")
    compile {{ optimizer = "sgd"  loss = "binary_crossentropy" }}
    fit {{ {fit} }}
}}"""
TWO = """
model m {{
    input x: (4,)
    output stage1 = x -> Dense(8)
    output logits = stage1 -> Dense(3)
    compile {{ optimizer = "adam"  {compile} }}
}}"""
RNG = np.random.default_rng(0)
X = RNG.random((64, 4)).astype("float32")
LABELS = (RNG.random((64, 1)) > 0.7).astype("float32")
Y3 = RNG.random((64, 3)).astype("float32")
Y8 = RNG.random((64, 8)).astype("float32")


def _first_loss(spec, y, **fit):
    import keras

    keras.utils.set_random_seed(1)
    model = spec.to_keras()
    history = model.fit(X, y, epochs=1, batch_size=64, shuffle=False, verbose=0, **fit)
    return history.history


def test_class_weight_reaches_keras_with_int_keys_and_changes_the_loss():
    plain = graphspec.loads(ONE.format(fit="epochs = 1"))
    weighted = graphspec.loads(ONE.format(fit="class_weight = {0: 1.0, 1: 5.0}"))
    kwargs = weighted.fit_kwargs()
    assert kwargs["class_weight"] == {0: 1.0, 1: 5.0}
    assert all(type(k) is int for k in kwargs["class_weight"])
    again = graphspec.Spec.from_json(weighted.to_json())  # and through the IR
    assert all(type(k) is int for k in again.fit_kwargs()["class_weight"])
    base = _first_loss(plain, LABELS)["loss"][0]
    with_weights = _first_loss(weighted, LABELS, class_weight=kwargs["class_weight"])["loss"][0]
    assert with_weights > base * 1.5  # measured: 0.769 without, 1.595 with {0: 1.0, 1: 5.0}
    # what the string-keyed form would have done in Keras: nothing at all, silently
    ignored = _first_loss(plain, LABELS, class_weight={"0": 1.0, "1": 5.0})["loss"][0]
    assert ignored == pytest.approx(base)


def test_string_class_weight_keys_are_refused_with_the_int_form():
    diags = Diagnostics()
    check_text(ONE.format(fit='class_weight = {"0": 1.0, "1": 5.0}'), diags)
    (error,) = diags.items
    assert error.code == "E504" and "silently ignores" in error.message
    assert error.help == "write the keys as ints: `class_weight = {0: 1.0, 1: 5.0}`"


@pytest.mark.parametrize("compile_, y, expected", [
    ('loss = "mse"  metrics = "mae"', {"stage1": Y8, "logits": Y3}, {"stage1_mae", "logits_mae"}),
    ('loss = "mse"  metrics = MeanAbsoluteError()', {"stage1": Y8, "logits": Y3},
     {"stage1_mean_absolute_error", "logits_mean_absolute_error"}),
    ('loss = "mse"  metrics = ["mae", "mse"]', {"stage1": Y8, "logits": Y3},
     {"stage1_mae", "stage1_mse", "logits_mae", "logits_mse"}),
    ('loss = "mse"  loss_weights = 2', {"stage1": Y8, "logits": Y3}, {"stage1_loss"}),
    ('loss = "mse"  loss_weights = {logits: 0.5}', {"stage1": Y8, "logits": Y3}, {"logits_loss"}),
    ('loss = {logits: "mse", stage1: None}', {"logits": Y3}, {"loss"}),
    ('loss = {logits: "mse", stage1: None}  loss_weights = {logits: 2}', {"logits": Y3}, {"loss"}),
    ('loss = {logits: "mse"}', {"logits": Y3}, {"loss"}),  # W104's output left out: no target needed either
    ('loss = {logits: "mse", stage1: None}  metrics = {logits: "mae"}', [None, Y3], {"logits_mae"}),
], ids=lambda v: v if isinstance(v, str) else None)
def test_every_container_form_compiles_and_fits(compile_, y, expected):
    history = _first_loss(graphspec.loads(TWO.format(compile=compile_)), y)
    assert expected <= set(history)
    assert all(np.isfinite(v[0]) for v in history.values())


def test_single_output_metrics_string_compiles_and_fits():
    text = ONE.format(fit="epochs = 1").replace('loss = "binary_crossentropy"',
                                                 'loss = "binary_crossentropy"  metrics = "mae"  loss_weights = 2')
    history = _first_loss(graphspec.loads(text), LABELS)
    assert {"loss", "mae"} <= set(history)


def test_none_losses_weigh_only_the_trained_outputs():
    """The loss of `{logits: "mse", stage1: None}` is logits' alone: the same as a model of logits only."""
    spec = graphspec.loads(TWO.format(compile='loss = {logits: "mse", stage1: None}'))
    both = graphspec.loads(TWO.format(compile='loss = {logits: "mse", stage1: "mse"}'))
    alone = _first_loss(spec, {"logits": Y3})["loss"][0]
    total = _first_loss(both, {"stage1": Y8, "logits": Y3})
    assert alone == pytest.approx(total["logits_loss"][0], rel=1e-5)
    assert total["loss"][0] > alone


def test_graphspec_fit_needs_no_targets_for_untrained_outputs():
    spec = graphspec.loads(TWO.format(compile='loss = {logits: "mse", stage1: None}  metrics = {logits: "mae"}'))
    model = spec.fit({"x": X, "logits": Y3}, epochs=1, verbose=0)
    result = graphspec.evaluate(model, {"x": X, "logits": Y3}, verbose=0)
    assert set(result) == {"loss", "logits_mae"}


def test_all_losses_none_is_an_error():
    diags = Diagnostics()
    check_text(TWO.format(compile="loss = {logits: None, stage1: None}"), diags)
    assert [d.code for d in diags.items] == ["E504"]
