"""Which model is the root: a model used only inside a tensor expression is used, so not a root."""

import pytest

import graphspec
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.passes.check import check_text

TOWER = """
model tower {
    input image: (4,)
    output embedding = image -> Dense(3)
}
"""


@pytest.mark.parametrize("expression", [
    "(left -> tower) - (right -> tower)",       # both operands of an operator
    "-(left -> tower) + right[:, :3]",          # under unary minus
    "(left -> tower)[:, :2] * right[:, :2] -> Dense(3)",   # under a subscript
])
def test_a_model_used_in_an_expression_is_not_a_root(expression):
    text = TOWER + f"""
model pair {{
    input left: (4,)
    input right: (4,)
    output d = {expression}
}}
"""
    diags = Diagnostics()
    program, _ = check_text(text, diags, require_root=True)
    assert not diags.items, [d.message for d in diags.items]
    assert program.root == "pair"
    assert graphspec.loads(text).to_json()  # loads needs one root: E207 before the fix
