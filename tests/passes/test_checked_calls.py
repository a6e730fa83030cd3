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


# ------------------------------------------------------------ a call's value, kept per call node


def _diagnostics(text, **kw):
    diags = Diagnostics()
    check_text(text, diags, require_root=True, **kw)
    return [(d.code, d.span.line, d.message, [r.text for r in d.related]) for d in diags.items]


def test_a_const_taken_by_a_tensor_later_is_a_tensor_at_the_next_evaluation():
    """The value of `Dense(h)` is kept at its second evaluation; at the third, `h` is a tensor."""
    text = """
const h = 4
model m {
    input x: (8,)
    repeat 3 as i {
        y = x -> Dense(h)
        if i == 1 {
            h = y -> Dense(2)
        }
    }
    output o = h -> Dense(1)
}
"""
    assert ("E201", 6) in [d[:2] for d in _diagnostics(text)]


def test_a_block_parameter_named_like_a_const_is_read_in_each_use():
    text = """
const width = 3
block wide(width) {
    input x
    output y = x -> Dense(width) -> Dense(2 * width)
}
model m {
    input x: (8,)
    output o = x -> Dense(width) -> wide(4) -> wide(5) -> Dense(width)
}
"""
    program = graphspec.loads(text)
    assert [layer.config["units"] for layer in program.model.layers] == [3, 4, 8, 5, 10, 3]


def test_a_set_value_is_pointed_at_where_it_makes_a_use_fail():
    text = """
const units = 4
block unit {
    input x
    output y = x -> Dense(units)
}
model m {
    input x: (8,)
    output o = x -> unit() -> unit()
}
"""
    assert _diagnostics(text, overrides={"units": 4}) == []
    got = _diagnostics(text, overrides={"units": -1})
    assert got and all(any("--set units=-1" in r for r in d[3]) for d in got)


def test_block_defaults_are_the_same_in_every_use():
    text = """
block unit(width, rate=0.25, out=2 * width) {
    input x
    output y = x -> Dense(width) -> Dropout(rate) -> Dense(out)
}
model m {
    input x: (8,)
    output o = x -> unit(3) -> unit(4, rate=0.5) -> unit(5) -> unit(6, out=1)
}
"""
    program = graphspec.loads(text)
    configs = [layer.config for layer in program.model.layers]
    assert [c.get("rate") for c in configs if "rate" in c] == [0.25, 0.5, 0.25, 0.25]
    assert [c["units"] for c in configs if "units" in c] == [3, 6, 4, 8, 5, 10, 6, 1]


def test_a_default_with_a_problem_is_reported_at_each_use_that_takes_it():
    text = """
block unit(rate=1e999) {
    input x
    output y = x -> Dropout(rate)
}
model m {
    input x: (8,)
    a = x -> unit()
    b = x -> unit(0.5)
    c = x -> unit()
    output o = (a, b, c) -> Concatenate()
}
"""
    diags = Diagnostics()
    check_text(text, diags, require_root=True)
    assert [d.code for d in diags.items] == ["E250"] and diags.error_count == 2  # the second is suppressed
