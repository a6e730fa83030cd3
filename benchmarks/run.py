"""graphspec's benchmarks: one command, ratios against baselines measured in the same run.

    python benchmarks/run.py            # the full run (about a minute)
    python benchmarks/run.py --quick    # fewer repetitions
    python benchmarks/run.py --only g --only s --baseline 998c30f   # issue 9's goals and
                                        # every command at 200k nodes, before and after

Uses the interpreter that runs it (and the `graphspec` script installed next to
it). Three measurements, each against a baseline taken in the same run, so the
ratios hold on any machine:

(a) `graphspec check` on a typical spec (specs/seeds/social_profile.gspec) as a
    process, against `python -c "import keras"` as a process: median of N runs
    each, interleaved. Goal: the check is at least 20x faster.
(b) parse + check in process of generated specs (benchmarks/generate.py) of 200,
    1,000 and 10,000 layers. Goals: 200 layers <= 20 ms, 10,000 layers < 1 s, and
    10,000-layer time / 1,000-layer time close to 10 (linear).
(c) `Spec.to_keras()` against the same model written by hand with the Keras
    functional API (tests/seeds/references.py, and generate.build_keras for a
    500-layer spec), both in this process after Keras is imported, interleaved,
    median of several runs. Goal: graphspec <= 1.05x the hand-written code.
    The references build uncompiled models, so the specs' `compile` blocks are
    left out of this comparison (compiling costs the same either way).
    Hand-written code usually leaves layer names to Keras, whose automatic
    naming costs more than a given name; graphspec names every layer. So (c)
    also compares with the same Keras code naming every layer as graphspec does
    (the code `graphspec compile -o model.py` writes): the like-for-like ratio.

Nothing here asserts on time: the table reports, tests/test_benchmarks_smoke.py
only checks that every function runs.
"""

from __future__ import annotations

import argparse
import gc
import json
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEEDS = ROOT / "specs" / "seeds"
TYPICAL_SPEC = SEEDS / "social_profile.gspec"


def _load_module(name: str, path: Path):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


generate = _load_module("graphspec_bench_generate", HERE / "generate.py")


def child_env() -> Dict[str, str]:
    """The environment of child processes: writing .pyc files allowed, as for a user."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def graphspec_command() -> List[str]:
    """How a user runs graphspec with this interpreter: its console script if installed, else -m."""
    script = Path(sys.executable).parent / ("graphspec.exe" if os.name == "nt" else "graphspec")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "graphspec"]


def _run_once(cmd: Sequence[str], env) -> float:
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0,):
        raise RuntimeError(f"{' '.join(cmd)} exited with status {proc.returncode}")
    return elapsed


def bench_check_process(spec: Path = TYPICAL_SPEC, runs: int = 10,
                        baseline: Optional[Sequence[str]] = None) -> dict:
    """(a) Median wall time of `graphspec check SPEC` and of the baseline process, interleaved."""
    env = child_env()
    check = graphspec_command() + ["check", str(spec)]
    base = list(baseline) if baseline is not None else [sys.executable, "-c", "import keras"]
    _run_once(check, env)  # warm-up: .pyc files and the parser's grammar cache exist afterwards
    _run_once(base, env)
    check_times, base_times = [], []
    for i in range(runs):
        pair = [(check, check_times), (base, base_times)]
        for cmd, times in (pair if i % 2 == 0 else pair[::-1]):
            times.append(_run_once(cmd, env))
    c, b = statistics.median(check_times), statistics.median(base_times)
    return {"check_s": c, "baseline_s": b, "ratio": b / c, "runs": runs,
            "check_cmd": " ".join(Path(check[0]).name if j == 0 else a for j, a in enumerate(check)),
            "baseline_cmd": " ".join(base[1:]) if base[0] == sys.executable else " ".join(base)}


def check_time(text: str, runs: int) -> float:
    """Median in-process time of parse + check of spec text (clean specs only)."""
    from graphspec.diagnostics.diagnostic import Diagnostics
    from graphspec.passes.check import check_text

    times = []
    for _ in range(runs):
        diags = Diagnostics()
        start = time.perf_counter()
        program, _ = check_text(text, diags, require_root=True)
        times.append(time.perf_counter() - start)
        if program is None or diags.has_errors:
            raise RuntimeError(f"the generated spec does not check clean: {diags.sorted()[:3]}")
    return statistics.median(times)


def bench_check_inprocess(sizes: Sequence[int] = (200, 1000, 10000), runs: Optional[Dict[int, int]] = None) -> dict:
    """(b) Median parse + check time per generated size (warmed up once)."""
    check_time(generate.generate_spec(20), 1)  # warm-up: parser built, catalogue loaded
    out = {}
    for n in sizes:
        text = generate.generate_spec(n)
        k = (runs or {}).get(n) or (25 if n <= 500 else 7 if n <= 2000 else 3)
        out[n] = check_time(text, k)
    return out


def _references():
    return _load_module("graphspec_seed_references", ROOT / "tests" / "seeds" / "references.py")


def _without_compile(spec):
    """The same Spec with no compile blocks: the references build uncompiled models."""
    if hasattr(spec, "replace"):  # the records (today)
        return spec.replace(models={name: m.replace(compile=None) for name, m in spec.models.items()})
    models = {name: m.model_copy(update={"compile": None}) for name, m in spec.models.items()}  # the Pydantic IR
    return spec.model_copy(update={"models": models})


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare_builds(graphspec_build: Callable, baselines: Dict[str, Callable], runs: int) -> dict:
    """Median build time of graphspec and of each baseline, interleaved (the order rotating
    every run), after one warm-up each.

    Keras's session is cleared once, before the warm-ups, not between runs: the first build
    after `keras.backend.clear_session()` pays for re-creating TensorFlow's global state
    (about 10 ms), and whichever build follows a clear would be charged for it.
    """
    import keras

    keras.backend.clear_session()
    builders = [("graphspec", graphspec_build)] + list(baselines.items())
    for _, fn in builders:
        fn()
    times: Dict[str, List[float]] = {name: [] for name, _ in builders}
    for i in range(runs):
        k = i % len(builders)
        for name, fn in builders[k:] + builders[:k]:
            times[name].append(_timed(fn))
    result = {"runs": runs, "graphspec_s": statistics.median(times["graphspec"])}
    for name in baselines:
        result[f"{name}_s"] = statistics.median(times[name])
        result[f"ratio_{name}"] = result["graphspec_s"] / result[f"{name}_s"]
    return result


def named_keras_code(spec) -> Callable:
    """The builder function of the Keras code graphspec writes for `spec` (every layer named)."""
    from graphspec.backends import python_codegen

    namespace: dict = {"__name__": "graphspec_bench_codegen"}
    exec(compile(python_codegen.generate(spec), f"<{spec.root}.py>", "exec"), namespace)  # noqa: S102
    return namespace[f"build_{spec.root}"]


def bench_to_keras(stems: Optional[Sequence[str]] = None, generated_layers: int = 500, runs: int = 7) -> Dict[str, dict]:
    """(c) to_keras() against hand-written Keras (and the same code with named layers),
    per seed spec and for a generated spec."""
    import keras  # noqa: F401 - imported before any timing

    import graphspec

    refs = _references()
    cases = []
    for stem in (stems if stems is not None else sorted(refs.REFERENCES)):
        cases.append((stem, _without_compile(graphspec.load(SEEDS / f"{stem}.gspec")), refs.REFERENCES[stem]))
    if generated_layers:
        n = generated_layers
        cases.append((f"generated ({n} layers)", graphspec.loads(generate.generate_spec(n)),
                      lambda: generate.build_keras(n)))
    rows: Dict[str, dict] = {}
    for name, spec, hand in cases:
        named = named_keras_code(spec)
        counts = {spec.to_keras().count_params(), hand().count_params(), named().count_params()}
        if len(counts) != 1:
            raise RuntimeError(f"{name}: graphspec and the Keras code build different models")
        rows[name] = compare_builds(spec.to_keras, {"hand": hand, "named": named}, runs)
    return rows


# ------------------------------------------------------------------ the table


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms" if seconds < 10 else f"{seconds:,.2f} s"


def table(rows: List[List[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(a: Optional[dict], b: Optional[dict], c: Optional[Dict[str, dict]]) -> str:
    rows = [["benchmark", "graphspec", "baseline", "ratio", "goal"]]
    if a:
        rows.append([f"(a) `{a['check_cmd']}` vs `{a['baseline_cmd']}` (processes, median of {a['runs']})",
                     _ms(a["check_s"]), _ms(a["baseline_s"]), f"{a['ratio']:.1f}x faster", ">= 20x"])
    if b:
        goals = {200: "<= 20 ms", 10000: "< 1 s"}
        for n, t in b.items():
            rows.append([f"(b) parse + check, {n:,} layers (in process)", _ms(t), "", "", goals.get(n, "")])
        if 1000 in b and 10000 in b:
            rows.append(["(b) time(10,000 layers) / time(1,000 layers)", "", "", f"{b[10000] / b[1000]:.1f}",
                         "~10 (linear)"])
    out = table(rows) if len(rows) > 1 else ""
    if c:
        crows = [["(c) to_keras() vs Keras code, in process", "graphspec", "hand-written", "ratio",
                  "same, layers named", "ratio", "goal"]]
        for name, r in c.items():
            crows.append([f"    {name}", _ms(r["graphspec_s"]), _ms(r["hand_s"]), f"{r['ratio_hand']:.3f}x",
                          _ms(r["named_s"]), f"{r['ratio_named']:.3f}x", "<= 1.05x"])
        ours = sum(r["graphspec_s"] for r in c.values())
        hand = sum(r["hand_s"] for r in c.values())
        named = sum(r["named_s"] for r in c.values())
        crows.append(["    all of the above", _ms(ours), _ms(hand), f"{ours / hand:.3f}x", _ms(named),
                      f"{ours / named:.3f}x", "<= 1.05x"])
        out += ("\n\n" if out else "") + table(crows)
    return out


goals = _load_module("graphspec_bench_goals", HERE / "goals.py")
scale = _load_module("graphspec_bench_scale", HERE / "scale.py")


def measure_goals(parts: set, quick: bool) -> dict:
    """Issue 9's goals (g) and every command at the size limit (s), as JSON-ready data."""
    out: dict = {}
    runs = 3 if quick else 9
    if "g" in parts:
        print("(g) issue 9's speed goals ...", file=sys.stderr, flush=True)
        out["g1"] = goals.g1_check_vs_python(runs)
        out["g2"] = goals.g2_inprocess(generate, check_time, runs)
        out["g3"] = goals.g3_100k_process(generate, scale.run_measured)
        out["g4"] = goals.g4_many_files(8 if quick else 63)
        out["g5"] = goals.g5_commands_vs_check(runs)
    if "s" in parts:
        print("(s) every command at the size limit ...", file=sys.stderr, flush=True)
        repeats = 6666 if quick else 66666  # 20,002 or 200,000 nodes
        out["s"] = {"repeats": repeats, "rows": scale.bench_scale(repeats, timeout=60 if quick else 300)}
    return out


def goal_rows(data: dict) -> List[List[str]]:
    """Rows [benchmark, measured, ratio, goal] of measure_goals' data."""
    out = goals.rows(data)
    if "s" in data:
        for label, seconds, mib, ratio, goal in scale.render(data["s"]["rows"], data["s"]["repeats"]):
            out.append([label, f"{seconds}, {mib}", ratio, goal])
    return out


def baseline_worktree(rev: str) -> Path:
    """A git worktree of `rev` (created once under the temp folder), for the baseline measurements."""
    import tempfile

    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    path = Path(tempfile.gettempdir()) / f"gs-base-{sha}"
    if not (path / "graphspec").is_dir():
        subprocess.run(["git", "worktree", "add", "--detach", "-f", str(path), sha], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    return path


def measure_baseline(rev: str, parts: set, quick: bool) -> dict:
    """measure_goals run by this same script with the graphspec of `rev` first on PYTHONPATH."""
    tree = baseline_worktree(rev)
    env = dict(child_env(), PYTHONPATH=str(tree))
    argv = [sys.executable, str(Path(__file__).resolve()), "--json"] + [a for part in sorted(parts)
                                                                      for a in ("--only", part)]
    proc = subprocess.run(argv + (["--quick"] if quick else []), env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the baseline run failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def side_by_side(now: dict, base: dict, rev: str) -> str:
    """One table: each row measured now and on the baseline commit."""
    before = {row[0]: row for row in goal_rows(base)}
    rows = [["benchmark", "now", "ratio", f"at {rev}", "ratio", "goal"]]
    for row in goal_rows(now):
        b = before.get(row[0], ["", "-", "-", ""])
        rows.append([row[0], row[1], row[2], b[1], b[2], row[3]])
    return table(rows)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer repetitions, smaller sizes")
    p.add_argument("--only", choices=("a", "b", "c", "g", "s", "l", "r"), action="append",
                   help="run only these parts (g: issue 9's goals, s: every command at the size limit, "
                        "l: benchmarks/lsp.py, r: benchmarks/render.py)")
    p.add_argument("--baseline", metavar="REV", help="also measure g and s on commit REV (a git worktree)")
    p.add_argument("--json", action="store_true", help="print the g and s measurements as JSON (for --baseline)")
    args = p.parse_args(argv)
    parts = set(args.only or "abcgslr")
    if args.json:
        print(json.dumps(measure_goals(parts, args.quick)))
        return 0
    print(f"python {sys.version.split()[0]} ({sys.executable})", flush=True)
    a = b = c = None
    if "a" in parts:
        print("(a) graphspec check vs import keras, as processes ...", flush=True)
        a = bench_check_process(runs=5 if args.quick else 11)
    if "b" in parts:
        print("(b) parse + check of generated specs ...", flush=True)
        b = bench_check_inprocess(runs={200: 10, 1000: 3, 10000: 1} if args.quick else None)
    if "c" in parts:
        print("(c) to_keras() vs hand-written Keras ...", flush=True)
        c = bench_to_keras(runs=3 if args.quick else 9)
    for letter, stem in (("l", "lsp"), ("r", "render")):  # separate scripts, run by the same interpreter
        if letter in parts:
            print(f"({letter}) benchmarks/{stem}.py ...", flush=True)
            _load_module(f"graphspec_bench_{stem}", HERE / f"{stem}.py").main(["--quick"] if args.quick else [])
    now = measure_goals(parts & {"g", "s"}, args.quick)
    print()
    print(report(a, b, c))
    if now:
        print()
        if args.baseline:
            print(f"measuring the same rows at {args.baseline} ...", file=sys.stderr, flush=True)
            print(side_by_side(now, measure_baseline(args.baseline, parts & {"g", "s"}, args.quick), args.baseline))
        else:
            print(table([["benchmark", "measured", "ratio", "goal"]] + goal_rows(now)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
