"""Every command is linear in the spec's size, with memory a small multiple of `check`'s (issue 14 finding 9).

Each command runs as a process (benchmarks/scale.py: a `repeat` spec, maxrss of that child)
at two sizes; time and memory are taken as ratios to `check` in the same run, so the
assertions hold on any machine. On the main of the finding, `plot -o .mmd` was quadratic
(a list-membership test per edge) and `diff` and `ir` several times check's memory.
"""

from __future__ import annotations

import os
import sys

import pytest

from conftest import ROOT, load_module

scale = load_module(ROOT / "benchmarks" / "scale.py")

SMALL, LARGE = 1500, 3000  # repeats: 4,502 and 9,002 nodes, a few seconds per command

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "graphspec"]
    return scale.bench_scale(SMALL, cmd, env), scale.bench_scale(LARGE, cmd, env)


@pytest.mark.parametrize("command", [name for name, _ in scale.COMMANDS])
def test_time_grows_linearly(runs, command):
    small, large = runs
    # Start-up is included on both sides; twice the nodes must cost less than 2.6 times as much.
    assert large[command]["s"] < 2.6 * small[command]["s"], (command, small[command], large[command])


@pytest.mark.parametrize("command", [name for name, _ in scale.COMMANDS])
def test_memory_is_a_small_multiple_of_check(runs, command):
    _, large = runs
    assert large[command]["memory_ratio"] <= 3.0, (command, large[command], large["check"])
    assert large[command]["time_ratio"] <= 4.0, (command, large[command], large["check"])


def test_the_spec_has_the_size_it_says():
    from graphspec import loads

    assert sum(len(m.nodes) for m in loads(scale.repeat_spec(10)).models.values()) == scale.nodes(10)
