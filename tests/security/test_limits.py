"""Issue 14 findings 8 and 15: the expansion limits hold for every kind of work, in every order.

* 8: every statement run, every `repeat` iteration and every block expansion counts against
  MAX_STEPS, layer-free ones included; a body that cannot fit is refused (E004, located) before
  it runs; errors in a block body are reported once, not once per expansion; the syntax-error
  hint is linear in the file's size.
* 15: the model-nesting limit holds whatever order the models are defined in, so no backend ever
  receives a program deeper than it (no RecursionError in compile or plot).

Every run is a real CLI process under a timeout: a regression fails instead of hanging. The time
bounds are generous (the machine is shared); precise figures are in the commit message.
"""

from __future__ import annotations

import time

import pytest

from conftest import run_cli
from graphspec.limits import MAX_EXPANSION_DEPTH, MAX_STEPS

TIMEOUT = 60  # a regression (an endless expansion) is killed here and the test fails
BOUND = 5.0  # seconds a refusal may take, with a wide margin over what it takes


def _run(tmp_path, text: str, *args: str, name: str = "main.gspec"):
    (tmp_path / name).write_text(text)
    start = time.monotonic()
    done = run_cli(*(args or ("check",)), name, cwd=tmp_path, timeout=TIMEOUT, env={"NO_COLOR": "1"})
    return done, time.monotonic() - start


def _model(body: str, head: str = "") -> str:
    return head + "model m {\n    input x: (3,)\n    h = x\n" + body + "\n    output y = h -> Dense(1)\n}\n"


# --------------------------------------------------------------------------- finding 8


@pytest.mark.parametrize("inner", ["h = h", "h = unknown_name", "layer l = Dense(1)",
                                   'compile { optimizer = "adam" }', "z = x -> Dense(1)"])
def test_14_8_nested_layer_free_repeats_are_refused_at_once(tmp_path, inner):
    done, took = _run(tmp_path, _model(f"    repeat 100000 {{ repeat 100000 {{ {inner} }} }}"))
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert f"error[E004]: `repeat 100000` of this body would expand to more than {MAX_STEPS:,} steps" in out, out
    assert "--> main.gspec:4:12" in out, out
    assert took < BOUND, took


def test_14_8_counts_that_are_not_literals_are_counted_as_they_run(tmp_path):
    """`repeat n` with a const: the estimate cannot see the count, the step counter stops it."""
    done, took = _run(tmp_path, _model("    repeat n { repeat n { h = h } }", head="const n = 100000\n"))
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "error[E004]" in out and f"more than {MAX_STEPS:,} steps" in out, out
    assert "--> main.gspec:5:23" in out, out
    assert took < BOUND, took


def test_14_8_block_parameters_as_counts(tmp_path):
    head = ("block inner(k) {\n    input x\n    repeat k { t = x }\n    output y = x\n}\n"
            "block outer(k) {\n    input x\n    repeat k { x = x -> inner(k) }\n    output y = x\n}\n")
    done, took = _run(tmp_path, _model("    h = h -> outer(100000)", head=head))
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "error[E004]" in out and "main.gspec:" in out, out
    assert took < BOUND, took


def test_14_8_exponential_layer_free_blocks_are_refused_before_expanding(tmp_path):
    lines = ["block b0() {\n    input x\n    output y = x\n}"]
    lines += [f"block b{k}() {{\n    input x\n    output y = x -> b{k - 1} -> b{k - 1}\n}}" for k in range(1, 31)]
    done, took = _run(tmp_path, "\n".join(lines) + "\n" + _model("    h = h -> b30"))
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert f"error[E004]: block `b30` expands to more than {MAX_STEPS:,} steps" in out, out
    assert took < BOUND, took


def test_14_8_a_long_chain_of_blocks_is_costed_without_recursion(tmp_path):
    n = 5000  # blocks each calling the next: a long path for the estimate, refused by depth (E205)
    lines = ["block b0() {\n    input x\n    output y = x\n}"]
    lines += [f"block b{k}() {{\n    input x\n    output y = x -> b{k - 1}\n}}" for k in range(1, n)]
    done, took = _run(tmp_path, "\n".join(lines) + "\n" + _model(f"    h = h -> b{n - 1}"))
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "error[E205]" in out and "RecursionError" not in out, out
    assert took < BOUND * 2, took


def test_14_8_a_spec_within_the_limits_still_checks(tmp_path):
    done, _ = _run(tmp_path, _model("    repeat 1000 as i { repeat 100 { h = h } }\n    repeat 3 { h = h -> Dense(3) }"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_14_8_errors_in_a_block_body_are_reported_once(tmp_path):
    head = "block b(n) {\n    input x\n    t = unknown_name\n    output y = x -> Dense(n - 100)\n}\n"
    done, _ = _run(tmp_path, _model("    repeat 50 as i { g = h -> b(i) }", head=head))
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert out.count("error[E201]") == 1 and out.count("error[E305]") == 1, out
    assert out.count("\nerror[") + out.startswith("error[") == 2, out


@pytest.mark.parametrize("text,where", [
    ("\n" * 2_000_000 + "}", "main.gspec:2000001:1"),
    ("model m {\n" + "\n" * 1_000_000 + "    x = \n" + "   \n" * 1_000_000 + "}", "main.gspec:2000003:1"),
    ("model m {\n    input x: (3,)\n    h = x -> Dense(" + "1 " * 1_000_000 + ")\n}\n", "main.gspec:3:22"),
    ("model m {\n    " + "x" * 4_000_000 + " }\n", "main.gspec:2:4000006"),
])
def test_14_8_syntax_error_hints_are_linear(tmp_path, text, where):
    done, took = _run(tmp_path, text)
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "error[E100]" in out and f"--> {where}" in out, out[:2000]
    assert took < BOUND, took


# --------------------------------------------------------------------------- finding 15


def _nested_models(n: int, inner_first: bool) -> str:
    defs = ["model m0 {\n    input x: (3,)\n    output y = x -> Dense(3)\n}"]
    defs += [f"model m{k} {{\n    input x: (3,)\n    output y = x -> m{k - 1}\n}}" for k in range(1, n)]
    return "\n".join(defs if inner_first else defs[::-1]) + "\n"


@pytest.mark.parametrize("inner_first", [True, False], ids=["inner first", "outer first"])
def test_14_15_the_nesting_limit_holds_in_every_definition_order(tmp_path, inner_first):
    done, took = _run(tmp_path, _nested_models(3000, inner_first))
    out = done.stdout + done.stderr
    assert done.returncode == 1, out  # inner first: was 0, then RecursionError in the backends
    assert f"error[E206]: models nested more than {MAX_EXPANSION_DEPTH} deep" in out, out
    if inner_first:  # one error, at the first model too deep; the models above it fail with it
        assert out.count("error[") == 1, out
    assert took < BOUND * 2, took


@pytest.mark.parametrize("inner_first", [True, False], ids=["inner first", "outer first"])
def test_14_15_the_limit_is_the_same_in_both_orders(tmp_path, inner_first):
    """MAX_EXPANSION_DEPTH models nested check clean in either order; one more is refused."""
    ok, _ = _run(tmp_path, _nested_models(MAX_EXPANSION_DEPTH, inner_first), "check", "--model",
                 f"m{MAX_EXPANSION_DEPTH - 1}")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    over, _ = _run(tmp_path, _nested_models(MAX_EXPANSION_DEPTH + 1, inner_first), "check", "--model",
                   f"m{MAX_EXPANSION_DEPTH}")
    assert over.returncode == 1 and "error[E206]" in over.stdout + over.stderr, over.stdout


@pytest.mark.parametrize("args", [("compile", "-o", "x.py"), ("plot", "--expand", "-o", "x.mmd"),
                                  ("compile", "-o", "x.keras"), ("summary",), ("ir",)])
def test_14_15_backends_never_receive_a_program_deeper_than_the_limit(tmp_path, args):
    (tmp_path / "main.gspec").write_text(_nested_models(3000, inner_first=True))
    done = run_cli(*args[:1], "main.gspec", *args[1:], cwd=tmp_path, timeout=TIMEOUT * 3, env={"NO_COLOR": "1"})
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "E206" in out and "RecursionError" not in out, out[-2000:]
    assert not (tmp_path / args[-1]).exists() or args[-1] in ("summary", "ir")
