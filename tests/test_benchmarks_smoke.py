"""The benchmarks run: the generator and every benchmark function, at tiny sizes, no timing checks."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

import graphspec

BENCH = Path(__file__).parents[1] / "benchmarks"


def _module(name: str, path: Path):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


generate = _module("graphspec_bench_generate", BENCH / "generate.py")
run = _module("graphspec_bench_run", BENCH / "run.py")


@pytest.mark.parametrize("n", [1, 2, 5, 12, 200])
def test_generated_spec_has_exactly_n_layers(n):
    spec = graphspec.loads(generate.generate_spec(n))
    assert len(spec.model.layers) == n
    assert sum(spec.model.param_counts()) == generate.param_count(n)


def test_generated_spec_matches_the_keras_version():
    spec = graphspec.loads(generate.generate_spec(13))
    model, hand = spec.to_keras(), generate.build_keras(13)
    assert model.count_params() == hand.count_params() == generate.param_count(13)
    assert [type(l).__name__ for l in model.layers] == [type(l).__name__ for l in hand.layers]
    assert model.output_names == hand.output_names == ["y"]


def test_generate_rejects_an_empty_model():
    with pytest.raises(ValueError):
        generate.generate_spec(0)


def test_child_processes_write_bytecode(monkeypatch):
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    assert "PYTHONDONTWRITEBYTECODE" not in run.child_env()


@pytest.mark.slow
def test_check_process_benchmark_runs():
    # A cheap baseline instead of `import keras`: this only checks that the harness works.
    result = run.bench_check_process(runs=1, baseline=[sys.executable, "-c", "pass"])
    assert result["check_s"] > 0 and result["baseline_s"] > 0 and result["ratio"] > 0


def test_check_inprocess_benchmark_runs():
    result = run.bench_check_inprocess(sizes=(5, 40), runs={5: 1, 40: 1})
    assert set(result) == {5, 40} and all(t > 0 for t in result.values())


def test_to_keras_benchmark_runs():
    rows = run.bench_to_keras(stems=["fashion_cnn"], generated_layers=9, runs=1)
    assert set(rows) == {"fashion_cnn", "generated (9 layers)"}
    assert all(r["ratio_hand"] > 0 and r["ratio_named"] > 0 for r in rows.values())


def test_report_renders_every_part():
    text = run.report(
        {"check_s": 0.09, "baseline_s": 1.8, "ratio": 20.0, "runs": 3, "check_cmd": "graphspec check x",
         "baseline_cmd": "-c import keras"},
        {200: 0.015, 1000: 0.08, 10000: 0.8},
        {"fashion_cnn": {"graphspec_s": 0.01, "hand_s": 0.02, "ratio_hand": 0.5, "named_s": 0.01,
                         "ratio_named": 1.0, "runs": 1}},
    )
    assert "20.0x faster" in text and "10.0" in text and "0.500x" in text and "1.000x" in text


lsp_bench = _module("graphspec_bench_lsp", BENCH / "lsp.py")
render_bench = _module("graphspec_bench_render", BENCH / "render.py")
zoo_bench = _module("graphspec_bench_zoo", BENCH / "zoo.py")


def test_lsp_benchmark_runs():
    result = lsp_bench.measure(layers=12, small=3, edits=2, runs=1)
    assert result["big"]["median_s"] > 0 and result["small_recheck"]["median_s"] > 0 and result["check_s"] > 0
    assert "12 layers" in lsp_bench.report(result)


def test_render_benchmark_runs():
    layout_s = render_bench.bench_layout(nodes=20, runs=1)
    r = render_bench.bench_svg(Path(__file__).parents[1] / "specs" / "seeds" / "fashion_cnn.gspec", runs=1)
    assert layout_s > 0 and all(v > 0 for v in r.values())
    assert "layout of 20 nodes" in render_bench.report(layout_s, 20, r, "fashion_cnn")


def test_zoo_benchmark_covers_every_zoo_spec():
    assert zoo_bench.ZOO_STEMS and set(zoo_bench.ZOO_STEMS) == set(zoo_bench.MODELS)


@pytest.mark.slow
def test_many_files_side_by_side_runs():
    # One copy of the corpus, this tree alone: the harness works and the specs check clean.
    goals = _module("graphspec_bench_goals", BENCH / "goals.py")
    result = goals.g4_side_by_side(1, {"now": None}, goals.ROOT, copies=1)
    assert result["now"]["files"] >= 10 and result["now"]["status"] == 0 and result["now"]["s"] > 0
