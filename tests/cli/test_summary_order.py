"""`graphspec summary` lists a multi-input model's layers in Keras's `model.layers` order (issue 11):
the CLI's JSON against the real Keras model built from the same spec."""

import json

import pytest

from conftest import SPECS, run_cli

pytestmark = pytest.mark.slow

CASES = {
    "side_input_late": """model m {
    input a: (3,)
    input b: (3,)
    h = b -> Dense(4)
    output y = (a, h) -> Concatenate()
}""",
    "second_input_deeper": """model m {
    input a: (3,)
    input b: (5,)
    hb = b -> Dense(4) -> Dense(4)
    ha = a -> Dense(4)
    output y = (hb, ha) -> Concatenate() -> Dense(1)
}""",
    "outputs_in_other_order": """model m {
    input a: (3,)
    input b: (4,)
    hb = b -> Dense(2)
    output y = a -> Dense(1)
    output z = (hb, a) -> Concatenate()
}""",
    "shared_layer": """model m {
    input a: (3,)
    input b: (3,)
    layer d = Dense(3)
    x = b -> d
    y = a -> d
    output o = (x, y, a) -> Concatenate()
}""",
    "three_inputs": """model m {
    input c: (2,)
    input a: (3,)
    input b: (4,)
    h = (a -> Dense(2), b -> Dense(2)) -> Add()
    output y = (c, h) -> Concatenate() -> Dense(1)
}""",
    "input_at_two_depths": """model m {
    input a: (3,)
    input b: (3,)
    h = (a, b) -> Add() -> Dense(3)
    output y = (h, b) -> Add()
}""",
}


@pytest.mark.parametrize("name", [*CASES, "question_answering", "ticket_router"])
def test_summary_order_is_keras_order(tmp_path, name):
    import graphspec

    text = CASES[name] if name in CASES else (SPECS / f"seeds/{name}.gspec").read_text()
    (tmp_path / "m.gspec").write_text(text)
    done = run_cli("summary", "m.gspec", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    ours = [row["name"] for row in json.loads(done.stdout)["layers"]]
    keras_model = graphspec.load(tmp_path / "m.gspec").to_keras()
    assert ours == [layer.name for layer in keras_model.layers]
