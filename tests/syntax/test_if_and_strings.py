"""`if`/`else` on values known at check time, comparisons and logic, and names built from strings
(issue 12): what they build in Keras, their diagnostics, and how `graphspec fmt` prints them."""

from __future__ import annotations

import pytest

import graphspec

SWITCHED = """\
const include_top = True
const pooling = None

block stage(filters, blocks, name) {
    input x
    repeat blocks as i {
        x = x -> Conv2D(filters, 3, padding="same", name=name + "_block" + str(i + 1) + "_conv")
    }
    output y = x
}

model m {
    input image: (8, 8, 3)
    x = image -> stage(4, 2, "conv2")
    if include_top {
        output predictions = x -> GlobalAveragePooling2D() -> Dense(3, activation="softmax")
    } else if pooling == "avg" {
        output avg_pool = x -> GlobalAveragePooling2D()
    } else if pooling == "max" {
        output max_pool = x -> GlobalMaxPooling2D()
    } else {
        output features = x
    }
}
"""


def _errors(text, **options):
    with pytest.raises(graphspec.SpecError) as info:
        graphspec.loads(text, **options)
    return str(info.value)


def test_names_built_from_a_parameter_and_a_repeat_index():
    model = graphspec.loads(SWITCHED).to_keras()
    names = [layer.name for layer in model.layers]
    assert names[1:3] == ["conv2_block1_conv", "conv2_block2_conv"]
    assert model.output_names == ["predictions"]


@pytest.mark.parametrize("settings, output, shape", [
    ({}, "predictions", (None, 3)),
    ({"include_top": False, "pooling": '"avg"'}, "avg_pool", (None, 4)),
    ({"include_top": False, "pooling": '"max"'}, "max_pool", (None, 4)),
    ({"include_top": False}, "features", (None, 8, 8, 4)),
])
def test_set_picks_the_branch(settings, output, shape):
    model = graphspec.loads(SWITCHED, set=settings).to_keras()
    assert model.output_names == [output]
    assert tuple(model.outputs[0].shape) == shape
    assert type(model.layers[-1]).__name__ != "Dense" or output == "predictions"


def test_only_the_chosen_branch_is_checked():
    # The branch not taken would be an error (Dense on a 4D map is fine, but `nope` is unknown).
    text = SWITCHED.replace("output features = x", "output features = x -> nope()")
    graphspec.loads(text)  # include_top: the broken branch is not expanded
    assert "nope" in _errors(text, set={"include_top": False})


def test_string_plus_number_is_e250_with_both_values_and_the_str_fix():
    text = SWITCHED.replace('name + "_block" + str(i + 1)', 'name + "_block" + (i + 1)')
    message = _errors(text)
    assert "E250" in message
    assert 'received the string "conv2_block" and 1' in message


def test_str_takes_one_integer():
    message = _errors(SWITCHED.replace("str(i + 1)", "str(1.5)"))
    assert "`str` takes one integer; received 1.5" in message


def test_a_tensor_condition_is_e252():
    message = _errors(SWITCHED.replace("if include_top {", "if x {"))
    assert "E252" in message and "`x` is a tensor" in message


@pytest.mark.parametrize("condition, fragment", [
    ("pooling", "`if` needs True or False; received None"),
    ("include_top or 1", "`or` needs True or False on both sides"),
    ("not 2", "`not` needs True or False; received 2"),
    ('"a" < 2', "`<` orders two numbers or two strings"),
])
def test_conditions_are_bools_without_truthiness(condition, fragment):
    message = _errors(SWITCHED.replace("if include_top {", f"if {condition} {{"))
    assert "E250" in message and fragment in message


@pytest.mark.parametrize("condition, taken", [
    ("1 < 2 and 2 <= 2 and 3 > 2 and 3 >= 3", True),
    ('not pooling == "avg"', True),  # not (pooling == "avg")
    ("include_top and not include_top or True", True),  # (a and not a) or True
    ("shape(x)[-1] == 4", True),
    ("(1 == 1) == False", False),
    ('"abc" < "abd"', True),
])
def test_comparison_and_logic_values(condition, taken):
    model = graphspec.loads(SWITCHED.replace("if include_top {", f"if {condition} {{"), set={}).to_keras()
    assert (model.output_names == ["predictions"]) is taken


def test_comparisons_do_not_chain():
    assert "E10" in _errors(SWITCHED.replace("if include_top {", "if 1 < 2 < 3 {"))


def test_input_inside_a_block_if_is_refused():
    text = SWITCHED.replace("    repeat blocks as i {", "    if True {\n        input z\n    }\n    repeat blocks as i {")
    assert "E209" in _errors(text)


MESSY = """\
const a = True
model m {
    input x: (3,)
    # the switch
    if a and   not (a == False) {
        output y = x -> Dense(1, name="d" + str(1 + 2))  # named
    } else if (a == True) == (1 < 2) { output y = x -> Dense(2) }
    else {
        # nothing
        output y = x
    }
    if not a {}
}
"""

FORMATTED = """\
const a = True

model m {
    input x: (3,)
    # the switch
    if a and not a == False {
        output y = x -> Dense(1, name="d" + str(1 + 2))  # named
    } else if (a == True) == (1 < 2) {
        output y = x -> Dense(2)
    } else {
        # nothing
        output y = x
    }
    if not a {}
}
"""


def test_fmt_prints_if_else_and_the_operators():
    assert graphspec.format(MESSY) == FORMATTED
    assert graphspec.format(FORMATTED) == FORMATTED


def test_fmt_keeps_the_meaning_of_precedence():
    text = "const a = (not True) == False\nconst b = not (True or False) and True\nconst c = (1 < 2) == (2 < 1)\n"
    out = graphspec.format(text)
    assert out == ("const a = (not True) == False\nconst b = not (True or False) and True\n"
                   "const c = (1 < 2) == (2 < 1)\n")
