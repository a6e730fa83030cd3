"""The model zoo against keras.applications: how much shorter, how fast to check, how fast to build.

    python benchmarks/zoo.py               # all three tables (a few minutes: the models are large)
    python benchmarks/zoo.py --quick       # fewer repetitions
    python benchmarks/zoo.py --markdown    # only the conciseness table, as Markdown (docs/zoo.md)
    python benchmarks/zoo.py --models mobilenet_v2 inception_v3

Uses the interpreter that runs it. The zoo specs (specs/zoo/*.gspec) build
exactly the models of keras.applications (same parameters, same split into
trainable and non-trainable, same input and output shapes; tests/zoo checks
that), so each can be compared with the Keras code that builds the same model:

(a) conciseness: the .gspec file (lines, bytes) against `model.to_json()` of
    the keras.applications model (lines once pretty-printed with indent=2,
    bytes as returned) and against the line count of the keras.applications
    module that builds it (e.g. keras/src/applications/resnet.py). Line counts
    include comments, docstrings and blank lines on every side.
(b) static checking: parse + check of the zoo spec in process (what
    `graphspec check FILE` does, without the process start) against building
    `keras.applications.<Name>(weights=None)`.
(c) building: `Spec.to_keras()` against `keras.applications.<Name>(weights=None)`.

(b) and (c) are medians over several runs, interleaved (alternating which one
goes first), after a warm-up of each, in this process after Keras is imported.
Nothing here asserts on time: tests/zoo/test_zoo_benchmark_smoke.py only checks
that the conciseness part runs.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import inspect
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ZOO = ROOT / "specs" / "zoo"

# zoo spec stem -> the keras.applications function that builds the same model
MODELS: Dict[str, str] = {
    "resnet50": "ResNet50",
    "inception_v3": "InceptionV3",
    "mobilenet_v2": "MobileNetV2",
    "vgg19": "VGG19",
    "densenet121": "DenseNet121",
    "mobilenet_v3_small": "MobileNetV3Small",
    "convnext_tiny": "ConvNeXtTiny",
}
# every spec of the folder must have its builder above (tests/test_benchmarks_smoke.py checks)
ZOO_STEMS = sorted(path.stem for path in ZOO.glob("*.gspec"))


def _load_module(name: str, path: Path):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _run_module():
    """benchmarks/run.py, for its table renderer and interleaved timing."""
    return _load_module("graphspec_bench_run", HERE / "run.py")


def spec_path(stem: str) -> Path:
    return ZOO / f"{stem}.gspec"


def keras_builder(stem: str) -> Callable[[], object]:
    """`keras.applications.<Name>(weights=None)` for a zoo stem, as a function of no arguments."""
    import keras

    fn = getattr(keras.applications, MODELS[stem])

    def build():
        return fn(weights=None)

    build.__name__ = f"keras.applications.{MODELS[stem]}"
    return build


def keras_source(stem: str) -> Path:
    """The keras.applications module file that defines the builder (e.g. .../applications/resnet.py)."""
    import keras

    return Path(inspect.getsourcefile(getattr(keras.applications, MODELS[stem])))


def _keras_relative(path: Path) -> str:
    """`keras/src/applications/resnet.py`: the path from the keras package on, for the table."""
    parts = path.parts
    return "/".join(parts[len(parts) - 1 - parts[::-1].index("keras"):]) if "keras" in parts else path.name


def _count_lines(text: str) -> int:
    return len(text.splitlines())


# ------------------------------------------------------------------ (a) conciseness


def conciseness(stem: str) -> dict:
    """Lines and bytes of the zoo spec, of the Keras model's JSON and of the Keras source module."""
    import keras

    spec_file = spec_path(stem)
    spec_text = spec_file.read_text(encoding="utf-8")
    # A fresh session, so the auto-generated layer names (and so the JSON bytes) are the same in every run.
    keras.backend.clear_session()
    model = keras_builder(stem)()
    compact = model.to_json()
    pretty = json.dumps(json.loads(compact), indent=2)
    source = keras_source(stem)
    row = {
        "model": stem,
        "keras": MODELS[stem],
        "params": model.count_params(),
        "spec_file": spec_file.relative_to(ROOT).as_posix(),
        "spec_lines": _count_lines(spec_text),
        "spec_bytes": len(spec_text.encode("utf-8")),
        "json_lines": _count_lines(pretty),
        "json_bytes": len(compact.encode("utf-8")),
        "source_file": _keras_relative(source),
        "source_lines": _count_lines(source.read_text(encoding="utf-8")),
    }
    row["json_lines_ratio"] = row["json_lines"] / row["spec_lines"]
    row["json_bytes_ratio"] = row["json_bytes"] / row["spec_bytes"]
    row["source_lines_ratio"] = row["source_lines"] / row["spec_lines"]
    del model
    keras.backend.clear_session()
    return row


def bench_conciseness(stems: Sequence[str]) -> List[dict]:
    return [conciseness(stem) for stem in stems]


_CONCISE_HEADER = ["model", ".gspec lines", ".gspec bytes", "to_json() lines", "to_json() bytes",
                   "keras.applications source (lines)", "JSON/.gspec lines", "JSON/.gspec bytes",
                   "source/.gspec lines"]


def _concise_cells(r: dict, code: Callable[[str], str]) -> List[str]:
    return [code(r["spec_file"]), f"{r['spec_lines']:,}", f"{r['spec_bytes']:,}", f"{r['json_lines']:,}",
            f"{r['json_bytes']:,}", f"{code(r['source_file'])} ({r['source_lines']:,})",
            f"{r['json_lines_ratio']:.1f}x", f"{r['json_bytes_ratio']:.1f}x", f"{r['source_lines_ratio']:.1f}x"]


def conciseness_markdown(rows: List[dict]) -> str:
    """The conciseness table as Markdown, exactly as docs/zoo.md holds it."""
    lines = ["| " + " | ".join(_CONCISE_HEADER) + " |",
             "| " + " | ".join(["---"] + ["---:"] * (len(_CONCISE_HEADER) - 1)) + " |"]
    for r in rows:
        lines.append("| " + " | ".join(_concise_cells(r, lambda s: f"`{s}`")) + " |")
    return "\n".join(lines)


def conciseness_table(rows: List[dict]) -> str:
    return _run_module().table([_CONCISE_HEADER] + [_concise_cells(r, str) for r in rows])


# ------------------------------------------------------------------ (b) and (c) timing


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(ours: Callable[[], object], theirs: Callable[[], object], runs: int) -> dict:
    """Median times of both, interleaved (alternating which goes first), after one warm-up each.

    Keras's session is cleared once, before the warm-ups, not between runs (as in
    benchmarks/run.py): whichever build follows a clear would pay for re-creating
    TensorFlow's global state.
    """
    import keras

    keras.backend.clear_session()
    ours()
    theirs()
    a_times, b_times = [], []
    for i in range(runs):
        pair = [(ours, a_times), (theirs, b_times)]
        for fn, times in (pair if i % 2 == 0 else pair[::-1]):
            times.append(_timed(fn))
    a, b = statistics.median(a_times), statistics.median(b_times)
    return {"graphspec_s": a, "keras_s": b, "runs": runs}


def static_check(path: Path) -> None:
    """What `graphspec check FILE` does, in process: load, parse, check; raises if the spec has errors."""
    from graphspec.diagnostics.diagnostic import Diagnostics
    from graphspec.passes.check import check_path

    diags = Diagnostics()
    program, _ = check_path(path, diags, require_root=False)
    if program is None or diags.has_errors:
        raise RuntimeError(f"{path.name} does not check clean: {diags.sorted()[:3]}")


def bench_check(stems: Sequence[str], runs: int) -> Dict[str, dict]:
    """(b) parse + check of each zoo spec against building the keras.applications model."""
    rows = {}
    for stem in stems:
        path = spec_path(stem)
        r = interleaved(lambda: static_check(path), keras_builder(stem), runs)
        r["ratio"] = r["keras_s"] / r["graphspec_s"]  # how many times faster the check is
        rows[stem] = r
    return rows


def bench_to_keras(stems: Sequence[str], runs: int) -> Dict[str, dict]:
    """(c) Spec.to_keras() of each zoo spec against building the keras.applications model."""
    import graphspec

    rows = {}
    for stem in stems:
        spec = graphspec.load(spec_path(stem))
        hand = keras_builder(stem)
        ours_params, theirs_params = spec.to_keras().count_params(), hand().count_params()
        if ours_params != theirs_params:
            raise RuntimeError(f"{stem}: the spec builds {ours_params:,} parameters, "
                               f"keras.applications.{MODELS[stem]} {theirs_params:,}")
        r = interleaved(spec.to_keras, hand, runs)
        r["ratio"] = r["graphspec_s"] / r["keras_s"]  # graphspec's build time relative to Keras's
        rows[stem] = r
    return rows


def timing_table(b: Optional[Dict[str, dict]], c: Optional[Dict[str, dict]]) -> str:
    ms = _run_module()._ms
    rows = [["benchmark", "graphspec", "keras.applications", "ratio"]]
    for stem, r in (b or {}).items():
        rows.append([f"(b) parse + check {stem}.gspec vs {MODELS[stem]}(weights=None) (median of {r['runs']})",
                     ms(r["graphspec_s"]), ms(r["keras_s"]), f"check {r['ratio']:.1f}x faster"])
    for stem, r in (c or {}).items():
        rows.append([f"(c) to_keras() {stem}.gspec vs {MODELS[stem]}(weights=None) (median of {r['runs']})",
                     ms(r["graphspec_s"]), ms(r["keras_s"]), f"{r['ratio']:.3f}x"])
    return _run_module().table(rows)


# ------------------------------------------------------------------ main


def available(stems: Sequence[str]) -> List[str]:
    """The stems whose spec exists; the missing ones are reported on stderr."""
    out = []
    for stem in stems:
        if spec_path(stem).is_file():
            out.append(stem)
        else:
            print(f"skipped {stem}: {spec_path(stem).relative_to(ROOT)} does not exist", file=sys.stderr)
    return out


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--markdown", action="store_true",
                   help="print only the conciseness table, as Markdown (the table of docs/zoo.md)")
    p.add_argument("--quick", action="store_true", help="fewer repetitions")
    p.add_argument("--runs", type=int, help="repetitions of each timing (default 5, 3 with --quick)")
    p.add_argument("--models", nargs="+", choices=list(MODELS), metavar="MODEL",
                   help=f"only these zoo models ({', '.join(MODELS)})")
    p.add_argument("--only", choices=("a", "b", "c"), action="append", help="run only these parts")
    args = p.parse_args(argv)
    stems = available([stem for stem in MODELS if not args.models or stem in args.models])
    if not stems:
        print("no zoo spec to benchmark", file=sys.stderr)
        return 2

    import keras  # noqa: F401 - imported before anything is timed

    if args.markdown:
        print(conciseness_markdown(bench_conciseness(stems)))
        return 0

    runs = args.runs or (3 if args.quick else 5)
    parts = set(args.only or "abc")
    print(f"python {sys.version.split()[0]} ({sys.executable}), keras {keras.__version__}", flush=True)
    if "a" in parts:
        print("\n(a) conciseness: the zoo spec vs the keras.applications model's JSON and source\n", flush=True)
        print(conciseness_table(bench_conciseness(stems)), flush=True)
    b = c = None
    if "b" in parts:
        print("\n(b) static check vs building the keras.applications model ...", flush=True)
        b = bench_check(stems, runs)
    if "c" in parts:
        print("(c) to_keras() vs building the keras.applications model ...", flush=True)
        c = bench_to_keras(stems, runs)
    if b or c:
        print()
        print(timing_table(b, c))
    return 0


if __name__ == "__main__":
    sys.exit(main())
