"""benchmarks/zoo.py runs: its conciseness part for one model, and its Markdown table; no timing checks."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("keras")

BENCH = Path(__file__).parents[2] / "benchmarks"


def _module(name: str, path: Path):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


zoo = _module("graphspec_bench_zoo", BENCH / "zoo.py")

STEM = "mobilenet_v2"  # the smallest of the zoo to build


@pytest.fixture(scope="module")
def row():
    return zoo.conciseness(STEM)


def test_conciseness_counts_the_spec_the_json_and_the_keras_source(row):
    text = zoo.spec_path(STEM).read_text(encoding="utf-8")
    assert row["spec_lines"] == len(text.splitlines()) > 0
    assert row["spec_bytes"] == len(text.encode("utf-8"))
    assert row["params"] == 3_538_984  # the keras.applications model the counts were taken from
    assert row["source_file"] == "keras/src/applications/mobilenet_v2.py"
    assert row["source_lines"] > 0 and row["json_lines"] > 0 and row["json_bytes"] > 0
    assert row["json_lines_ratio"] == pytest.approx(row["json_lines"] / row["spec_lines"])
    assert row["json_bytes_ratio"] == pytest.approx(row["json_bytes"] / row["spec_bytes"])
    assert row["source_lines_ratio"] == pytest.approx(row["source_lines"] / row["spec_lines"])


def test_conciseness_is_deterministic(row):
    # A fresh Keras session per model: the auto-generated layer names, so the JSON bytes, do not drift.
    assert zoo.conciseness(STEM) == row


def test_markdown_and_text_tables_render(row):
    md = zoo.conciseness_markdown([row]).splitlines()
    assert len(md) == 3 and md[0].startswith("| model |") and md[1].startswith("| --- |")
    assert md[2].startswith(f"| `specs/zoo/{STEM}.gspec` | {row['spec_lines']:,} | {row['spec_bytes']:,} |")
    text = zoo.conciseness_table([row])
    assert f"specs/zoo/{STEM}.gspec" in text and f"{row['json_lines_ratio']:.1f}x" in text


def test_markdown_flag_prints_only_the_table(row, capsys):
    assert zoo.main(["--markdown", "--models", STEM]) == 0
    assert capsys.readouterr().out == zoo.conciseness_markdown([row]) + "\n"


def test_docs_hold_the_generated_row_format():
    # docs/zoo.md holds the table as generated: same header as the benchmark prints.
    docs = (Path(__file__).parents[2] / "docs" / "zoo.md").read_text(encoding="utf-8")
    assert zoo.conciseness_markdown([]).splitlines()[0] in docs
    assert "python benchmarks/zoo.py --markdown" in docs
