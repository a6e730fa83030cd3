"""The speed goals of issue 9 ("Speed goals for the new structure"), each a ratio measured in one run.

    g1  `graphspec check` on a typical spec vs a bare `python -c pass` (processes)    goal <= 4x
    g2  10,000 generated layers, parse + check in process; 10k / 1k time ratio          <= 250 ms, <= 11
    g3  100,000 generated layers checked as a process: time and peak memory             < 3 s, < 200 MB
    g4  one `check` of ~880 files (the seed and zoo specs copied 63 times)              >= 3x faster than 998c30f
    g5  summary, diff, plot on a seed spec vs check on it (processes)                    <= 1.5x
    g6  to_keras() vs the same model hand-written in Keras (run.py part c)               <= 1.0x

Everything runs against whichever graphspec the interpreter imports (PYTHONPATH decides),
so `run.py --baseline REV` measures an older commit with the same code. The processes run the
`graphspec` console script (as a user or a pre-commit hook does; `python -m` would put the working
directory first on sys.path, ahead of a baseline's PYTHONPATH) with .pyc files written.

    python benchmarks/goals.py --runs 21 --baseline REV   # g1 alone: this tree and REV, interleaved
    python benchmarks/goals.py --g4 --runs 3 --baseline 998c30f   # g4 alone, on 998c30f's specs
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = ROOT / "specs" / "seeds" / "fashion_cnn.gspec"


def _graphspec() -> List[str]:
    """How a user (or a pre-commit hook) runs graphspec: its console script, else `python -m graphspec`.
    The script does not put the working directory first on sys.path as `-m` does, so a baseline's
    PYTHONPATH decides which graphspec runs."""
    script = Path(sys.executable).parent / ("graphspec.exe" if os.name == "nt" else "graphspec")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "graphspec"]


def _env(pythonpath: Optional[Path] = None) -> Dict[str, str]:
    """A child's environment as a user's: .pyc files written and read (PYTHONDONTWRITEBYTECODE, set in
    some shells and CI, would make every run compile every module again); `pythonpath` first."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished children so far; 0 where no `resource` module."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time_process(cmd: List[str], env: Dict[str, str], ok=(0,)) -> tuple:
    """(wall seconds, CPU seconds) of one process: on a shared machine the CPU time varies far less."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd)} exited with status {proc.returncode}")
    return seconds, _children_cpu() - cpu


def _median_process(cmd: List[str], runs: int, ok=(0,)) -> float:
    env = _env()
    subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm-up (.pyc)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        if proc.returncode not in ok:
            raise RuntimeError(f"{' '.join(cmd)} exited with status {proc.returncode}")
    return statistics.median(times)


def g1_check_vs_python(runs: int) -> dict:
    """`check` on the seed spec and `python -c pass`, medians of processes."""
    check = _median_process(_graphspec() + ["check", str(SEED)], runs)
    bare = _median_process([sys.executable, "-c", "pass"], runs)
    return {"check_s": check, "python_s": bare, "ratio": check / bare}


def g1_side_by_side(runs: int, trees: Dict[str, Optional[Path]], spec: Path = SEED) -> Dict[str, dict]:
    """g1 for several graphspecs in one run (label -> source tree first on PYTHONPATH, None: the one this
    interpreter imports), the processes interleaved so that a busy machine slows each alike."""
    bare_cmd = [sys.executable, "-c", "pass"]
    check_cmd = _graphspec() + ["check", str(spec)]
    envs = {label: _env(tree) for label, tree in trees.items()}
    for env in envs.values():  # warm-up: .pyc files written
        subprocess.run(check_cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times: Dict[str, List[tuple]] = {label: [] for label in envs}
    bare: List[tuple] = []
    for _ in range(runs):
        for label, env in envs.items():
            times[label].append(_time_process(check_cmd, env))
            bare.append(_time_process(bare_cmd, envs[label]))
    python_s = statistics.median(w for w, _ in bare)
    python_cpu = statistics.median(c for _, c in bare)
    out = {}
    for label, t in times.items():
        wall, cpu = statistics.median(w for w, _ in t), statistics.median(c for _, c in t)
        out[label] = {"check_s": wall, "python_s": python_s, "ratio": wall / python_s,
                      "check_cpu_s": cpu, "python_cpu_s": python_cpu,
                      "cpu_ratio": cpu / python_cpu if python_cpu else float("nan")}
    return out


def g2_inprocess(generate, check_time, runs: int) -> dict:
    """Parse + check of 1,000 and 10,000 generated layers in this process."""
    check_time(generate.generate_spec(20), 1)
    t1k = check_time(generate.generate_spec(1000), max(3, runs))
    t10k = check_time(generate.generate_spec(10000), max(1, runs // 2))
    return {"1k_s": t1k, "10k_s": t10k, "ratio": t10k / t1k}


def g3_100k_process(generate, run_measured) -> dict:
    """`check` of a 100,000-layer generated spec as a process: seconds and peak MiB."""
    with tempfile.TemporaryDirectory(prefix="gs-goal-") as tmp:
        path = Path(tmp) / "generated_100k.gspec"
        path.write_text(generate.generate_spec(100_000))
        seconds, mib, _ = run_measured(_graphspec() + ["check", str(path)], cwd=tmp)
    return {"s": seconds, "mib": mib}


def _corpus(tmp: str, copies: int, root: Path = ROOT) -> List[str]:
    """The seed and zoo specs of `root` copied `copies` times under `tmp` (in their folders, imports intact)."""
    files = []
    for k in range(copies):
        for folder in ("seeds", "zoo"):
            dest = Path(tmp) / f"c{k}" / folder
            shutil.copytree(root / "specs" / folder, dest)
            files.extend(sorted(str(p) for p in dest.glob("*.gspec")))
    return files


def g4_many_files(copies: int = 63) -> dict:
    """One `check` call over the seed and zoo specs copied `copies` times."""
    with tempfile.TemporaryDirectory(prefix="gs-many-") as tmp:
        files = _corpus(tmp, copies)
        start = time.perf_counter()
        proc = subprocess.run(_graphspec() + ["check", *files], cwd=tmp, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
    return {"files": len(files), "s": seconds, "status": proc.returncode}


def g4_side_by_side(rounds: int, trees: Dict[str, Optional[Path]], corpus_root: Path,
                    copies: int = 63) -> Dict[str, dict]:
    """g4 for several graphspecs on one corpus (`corpus_root`'s specs: an older tree cannot read newer
    specs, so the goal's baseline sets the corpus), the runs interleaved; medians of wall time."""
    with tempfile.TemporaryDirectory(prefix="gs-many-") as tmp:
        files = _corpus(tmp, copies, corpus_root)
        times: Dict[str, List[float]] = {label: [] for label in trees}
        status: Dict[str, int] = {}
        for _ in range(rounds):
            for label, tree in trees.items():
                start = time.perf_counter()
                proc = subprocess.run(_graphspec() + ["check", *files], cwd=tmp, env=_env(tree),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[label].append(time.perf_counter() - start)
                status[label] = proc.returncode
    return {label: {"files": len(files), "s": statistics.median(t), "status": status[label]}
            for label, t in times.items()}


def g5_commands_vs_check(runs: int) -> Dict[str, dict]:
    """summary, diff (the spec with itself) and plot -o .mmd on the seed spec, against check."""
    with tempfile.TemporaryDirectory(prefix="gs-cmd-") as tmp:
        mmd = str(Path(tmp) / "m.mmd")
        check = _median_process(_graphspec() + ["check", str(SEED)], runs)
        out = {}
        for name, args, ok in (("summary", ["summary", str(SEED)], (0,)),
                               ("diff", ["diff", str(SEED), str(SEED)], (0, 1)),
                               ("plot -o .mmd", ["plot", str(SEED), "-o", mmd], (0,))):
            t = _median_process(_graphspec() + args, runs, ok)
            out[name] = {"s": t, "check_s": check, "ratio": t / check}
    return out


def rows(results: dict) -> List[List[str]]:
    """Table rows [goal, measured, ratio, target] of whichever goals were measured."""
    out = []
    r = results.get("g1")
    if r:
        out.append(["g1 check seed spec vs `python -c pass` (processes)",
                    f"{r['check_s'] * 1e3:.0f} vs {r['python_s'] * 1e3:.0f} ms", f"{r['ratio']:.1f}x", "<= 4x"])
    r = results.get("g2")
    if r:
        out.append(["g2 10k layers in process (10k/1k ratio)", f"{r['10k_s'] * 1e3:.0f} ms",
                    f"{r['ratio']:.1f}", "<= 250 ms, <= 11"])
    r = results.get("g3")
    if r:
        out.append(["g3 100k layers, check as a process", f"{r['s']:.2f} s", f"{r['mib']:.0f} MiB",
                    "< 3 s, < 200 MB"])
    r = results.get("g4")
    if r:
        out.append([f"g4 one check of {r['files']} files", f"{r['s']:.2f} s", f"exit {r['status']}",
                    ">= 3x faster than 998c30f"])
    for name, r in (results.get("g5") or {}).items():
        out.append([f"g5 {name} vs check, seed spec (processes)",
                    f"{r['s'] * 1e3:.0f} vs {r['check_s'] * 1e3:.0f} ms", f"{r['ratio']:.2f}x", "<= 1.5x"])
    return out


def _worktree(rev: str) -> Path:
    """A git worktree of `rev` under the temp folder (created once), for a baseline."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    path = Path(tempfile.gettempdir()) / f"gs-base-{sha}"
    if not (path / "graphspec").is_dir():
        subprocess.run(["git", "worktree", "add", "--detach", "-f", str(path), sha], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    return path


def main(argv: Optional[List[str]] = None) -> int:
    """g1 alone, quickly: `python benchmarks/goals.py --baseline REV` measures this working tree and REV side
    by side (wall and CPU time; on a shared machine the CPU ratio is the steadier)."""
    p = argparse.ArgumentParser(description="Issue 9's goal g1: `graphspec check` vs `python -c pass`.")
    p.add_argument("--runs", type=int, default=15, help="processes of each kind (default 15)")
    p.add_argument("--baseline", metavar="REV", action="append", default=[],
                   help="also measure commit REV (a git worktree), interleaved; repeatable")
    p.add_argument("--spec", type=Path, default=SEED, help=f"the spec to check (default {SEED.relative_to(ROOT)})")
    p.add_argument("--g4", action="store_true",
                   help="measure g4 instead (many files in one check) on the first baseline's specs; "
                        "--runs rounds")
    args = p.parse_args(argv)
    trees: Dict[str, Optional[Path]] = {"now": None}
    for rev in args.baseline:
        trees[rev] = _worktree(rev)
    if args.g4:
        corpus = trees[args.baseline[0]] if args.baseline else ROOT
        results = g4_side_by_side(args.runs, trees, corpus)
        print(f"medians of {args.runs} interleaved rounds; corpus: the specs of "
              f"{args.baseline[0] if args.baseline else 'this tree'}; goal: >= 3x faster than 998c30f")
        for label, r in results.items():
            print(f"g4 {label:>10}: {r['files']} files in {r['s']:.2f} s (exit {r['status']})")
        for rev in args.baseline:
            print(f"{rev} / now: {results[rev]['s'] / results['now']['s']:.2f}x")
        return 0
    results = g1_side_by_side(args.runs, trees, args.spec.resolve())
    print(f"medians of {args.runs} interleaved processes each; goal: check <= 4x python -c pass")
    for label, r in results.items():
        print(f"g1 {label:>10}: wall {r['check_s'] * 1e3:.0f} vs {r['python_s'] * 1e3:.0f} ms = {r['ratio']:.1f}x; "
              f"CPU {r['check_cpu_s'] * 1e3:.0f} vs {r['python_cpu_s'] * 1e3:.0f} ms = {r['cpu_ratio']:.1f}x")
    for rev in args.baseline:
        now, base = results["now"], results[rev]
        print(f"now / {rev}: wall {now['check_s'] / base['check_s']:.2f}, "
              f"CPU {now['check_cpu_s'] / base['check_cpu_s']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
