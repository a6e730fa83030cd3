"""Layer calls checked once per process (passes/application.py): a later check sees the same results,
its own config dicts, and custom layers registered since."""

import graphspec
from graphspec import custom
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.passes.check import check_text

SPEC = """
block unit(width) {
    input x
    output y = x -> Dense(width, activation="relu") -> Dropout(0.1)
}
model m {
    input x: (8,)
    h = x -> unit(16) -> unit(16)
    output y = h -> MaxPool1D(pool_size=2) -> Flatten() -> Dense(3)
}
"""

SPEC_1D = SPEC.replace("input x: (8,)", "input x: (8, 4)")


def _codes(text):
    diags = Diagnostics()
    check_text(text, diags, require_root=True)
    return [d.code for d in diags.items]


def test_a_changed_config_does_not_reach_a_later_check():
    first = graphspec.loads(SPEC_1D)
    dense = [layer for layer in first.model.layers if layer.type == "Dense"]
    dense[0].config["units"] = 99  # a caller changing its own Program
    again = graphspec.loads(SPEC_1D)
    assert [layer.config["units"] for layer in again.model.layers if layer.type == "Dense"] == [16, 16, 3]
    assert again.model.layers[0].config is not first.model.layers[0].config


def test_checks_in_one_process_report_the_same():
    first = _codes(SPEC)
    assert first and _codes(SPEC) == first  # MaxPool1D's rank error, reported by the second check too
    assert _codes(SPEC_1D) == _codes(SPEC_1D) == []


def test_a_custom_layer_registered_later_under_an_aliased_name_is_checked_as_custom():
    """`MaxPool1D` is an alias of MaxPooling1D: a custom layer registered under the canonical name
    is what the alias means from then on, even after the catalogue's was checked."""
    assert _codes(SPEC_1D) == []

    class MaxPooling1D:  # a stand-in class: the registry reads its __init__'s parameters only
        def __init__(self, factor):
            pass

    custom.add(MaxPooling1D, shape=lambda config, shapes: shapes[0], params=lambda config, shapes: (0, 0))
    try:
        assert "E301" in _codes(SPEC_1D)  # the custom layer takes `factor`, not the catalogue's pool_size
    finally:
        custom.unregister_layer("MaxPooling1D")
    assert _codes(SPEC_1D) == []
