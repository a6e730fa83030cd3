"""Every command is linear in the spec's size, with memory a small multiple of `check`'s (issue 14 finding 9).

Each command runs as a process (benchmarks/scale.py: a `repeat` spec, maxrss of that child)
at two sizes; memory is taken as a ratio to `check` in the same run, so the assertion holds on
any machine (times are the benchmark's, never a unit test's). On the main of the finding, `plot -o .mmd` was quadratic
(a list-membership test per edge) and `diff` and `ir` several times check's memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, load_module

scale = load_module(ROOT / "benchmarks" / "scale.py")

SMALL, LARGE = 1500, 3000  # repeats: 4,502 and 9,002 nodes, a few seconds per command

pytestmark = pytest.mark.slow


_MEASURE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from conftest import load_module
from pathlib import Path
scale = load_module(Path(sys.argv[2]))
cmd = [sys.executable, "-m", "graphspec"]
print(json.dumps([scale.bench_scale(int(n), cmd, None) for n in sys.argv[3:]]))
"""


@pytest.fixture(scope="module")
def runs():
    # Measured from a fresh, small Python process: Linux keeps a process's peak RSS across fork and
    # exec, so children forked straight from a pytest worker that has built Keras models would all
    # report the worker's gigabytes. Times are not asserted here (benchmarks/scale.py prints them).
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(ROOT / "tests"), str(ROOT / "benchmarks" / "scale.py"),
                           str(SMALL), str(LARGE)], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("command", [name for name, _ in scale.COMMANDS])
def test_memory_is_a_small_multiple_of_check(runs, command):
    _, large = runs
    assert large[command]["memory_ratio"] <= 3.0, (command, large[command], large["check"])
    assert large["check"]["mib"] < 1000, large["check"]  # a child's own peak, not an inherited one


def test_the_spec_has_the_size_it_says():
    from graphspec import loads

    assert sum(len(m.nodes) for m in loads(scale.repeat_spec(10)).models.values()) == scale.nodes(10)


def test_codegen_names_resume_past_taken_suffixes():
    # Python codegen remembers the last suffix per name (linear, not a count from 2 per variable):
    # the names must still be the first free ones, skipping a suffix a spec name already holds.
    import re

    from graphspec import loads
    from graphspec.backends.python_codegen import generate

    spec = loads("model m {\n    input x: (4,)\n    h_3 = x -> Dense(4)\n    repeat 4 {\n"
                 "        h = h_3 -> Dense(4)\n        h_3 = h -> Dense(4)\n    }\n    output y = h_3 -> Dense(2)\n}\n")
    assigned = re.findall(r"^    (\w+) = ", generate(spec), re.M)
    assert assigned[:-1] == ["x", "h_3", "h", "h_3_2", "h_2", "h_3_3", "h_4", "h_3_4", "h_5", "h_3_5", "y"]
