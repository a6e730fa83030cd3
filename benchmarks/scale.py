"""Every command at the spec-size limit: time and peak memory of each, as a ratio to `check` (issue 14 finding 9).

A spec of 200,000 layer applications is written with `repeat` (a 200k-line file would pass the
5 MiB file limit): `repeat K { a = h -> Dense; b = a -> Dropout; h = (b, h) -> Add() }` is
3K + 2 nodes. Each command runs as its own process; its peak memory is that child's maxrss
(os.wait4), so one run measures every command separately.

    python benchmarks/scale.py 66666      # 200,000 nodes
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

COMMANDS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("check", ("check", "{a}")),
    ("summary", ("summary", "{a}")),
    ("ir", ("ir", "{a}")),
    ("diff", ("diff", "{a}", "{b}")),
    ("plot -o .mmd", ("plot", "{a}", "-o", "{mmd}")),
    ("fmt --check", ("fmt", "--check", "{a}")),
    ("compile -o .py", ("compile", "{a}", "-o", "{py}")),  # Python codegen: no Keras is imported
)
OK_STATUS = {"diff": (0, 1)}  # diff exits 1 when the graphs differ (they do: one rate changed)


def nodes(repeats: int) -> int:
    """Layer applications of repeat_spec(repeats)."""
    return 3 * repeats + 2


def repeat_spec(repeats: int, rate: float = 0.1) -> str:
    """A spec of 3 * repeats + 2 layer applications, a few lines long."""
    return (f"model big {{\n    input x: (8,)\n    h = x -> Dense(8)\n    repeat {repeats} {{\n"
            f'        a = h -> Dense(8, activation="relu")\n        b = a -> Dropout({rate})\n'
            f"        h = (b, h) -> Add()\n    }}\n    output y = h -> Dense(2)\n}}\n")


def run_measured(cmd: Sequence[str], env: Optional[Dict[str, str]] = None, cwd=None,
                 timeout: Optional[float] = None) -> Tuple[float, float, int]:
    """(wall seconds, peak memory in MiB, exit status) of one child process; status -9 if killed at `timeout`."""
    import threading

    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
    # os.kill, not proc.kill: Popen's kill polls first, and a poll may reap the child before wait4 does.
    timer = threading.Timer(timeout, os.kill, (proc.pid, signal.SIGKILL)) if timeout else None
    if timer:
        timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    if timer:
        timer.cancel()
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    if proc.returncode == -9 and timeout:
        return elapsed, usage.ru_maxrss / 1024, -9  # did not finish in time (the baseline's quadratic plot)
    if proc.returncode < 0 or proc.returncode > 1:
        raise RuntimeError(f"{' '.join(cmd)} exited with status {proc.returncode}: {err[-500:]}")
    kib = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return elapsed, kib / 1024, proc.returncode


def bench_scale(repeats: int, graphspec: Optional[List[str]] = None, env: Optional[Dict[str, str]] = None,
                commands: Sequence[Tuple[str, Tuple[str, ...]]] = COMMANDS,
                timeout: Optional[float] = None) -> Dict[str, dict]:
    """Per command: {"s", "mib", "status", "time_ratio", "memory_ratio"} (ratios to `check`, same run)."""
    graphspec = graphspec or [sys.executable, "-m", "graphspec"]
    with tempfile.TemporaryDirectory(prefix="gs-scale-") as tmp:
        paths = {"a": Path(tmp) / "a.gspec", "b": Path(tmp) / "b.gspec", "mmd": Path(tmp) / "a.mmd",
                 "py": Path(tmp) / "a.py"}
        paths["a"].write_text(repeat_spec(repeats, 0.1))
        paths["b"].write_text(repeat_spec(repeats, 0.2))
        rows: Dict[str, dict] = {}
        for name, args in commands:
            cmd = graphspec + [a.format(**{k: str(v) for k, v in paths.items()}) for a in args]
            seconds, mib, status = run_measured(cmd, env=env, cwd=tmp, timeout=timeout)
            rows[name] = {"s": seconds, "mib": mib, "status": status}
    check = rows.get("check")
    for row in rows.values():
        row["time_ratio"] = row["s"] / check["s"] if check else None
        row["memory_ratio"] = row["mib"] / check["mib"] if check else None
    return rows


def render(rows: Dict[str, dict], repeats: int) -> List[List[str]]:
    """Table rows: command, time, memory, and both as ratios to check."""
    out = []
    for name, r in rows.items():
        late = ">" if r["status"] == -9 else ""  # killed at the timeout
        out.append([f"(s) `{name}` at {nodes(repeats):,} nodes (process)", f"{late}{r['s']:.2f} s", f"{r['mib']:.0f} MiB",
                    f"{r['time_ratio']:.2f}x / {r['memory_ratio']:.2f}x check", "linear; memory <= 3x check"])
    return out


if __name__ == "__main__":
    k = int(sys.argv[1]) if len(sys.argv) > 1 else 66666
    for row in render(bench_scale(k), k):
        print("  ".join(row))
