"""Layout and SVG rendering of big inputs, against `check` of the same spec measured in the same run.

    python benchmarks/render.py [--quick]

Rows: the layered layout of a 2,000-node ladder (a chain with skip edges and
nested clusters, the shape of a deep residual network), and the SVG picture of
specs/zoo/densenet121.gspec collapsed and with --expand. Baseline: parse + check
of densenet121 in process, so the ratios hold on any machine. Goal (issue 9):
2,000 nodes well under a second per thousand; densenet121 in a few seconds.
Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, List, Optional

ROOT = Path(__file__).resolve().parents[1]
DENSENET = ROOT / "specs" / "zoo" / "densenet121.gspec"


def ladder(n: int):
    """n nodes in a chain with skip edges, clusters of four inside stages of forty."""
    ids = [f"v{i}" for i in range(n)]
    edges = list(zip(ids, ids[1:])) + [(ids[i], ids[i + 3]) for i in range(0, n - 3, 2)]
    cluster_of = {nid: (f"s{i // 40}", f"b{i // 4}") for i, nid in enumerate(ids)}
    labels = {p: (80.0, 16.0) for path in cluster_of.values() for p in (path[:1], path)}
    return {nid: (120.0, 40.0) for nid in ids}, edges, cluster_of, labels


def _median(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_layout(nodes: int = 2000, runs: int = 3) -> float:
    """Median seconds of layout() on a `nodes`-node ladder."""
    from graphspec.backends.layout import layout

    sizes, edges, cluster_of, labels = ladder(nodes)
    return _median(lambda: layout(sizes, edges, cluster_of, labels), runs)


def bench_svg(path: Path = DENSENET, runs: int = 3) -> dict:
    """Median seconds of the SVG picture of a spec, collapsed and expanded, and of its parse + check."""
    import graphspec
    from graphspec.backends import svg

    text = path.read_text(encoding="utf-8")
    spec = graphspec.loads(text)
    return {"check_s": _median(lambda: graphspec.loads(text), runs),
            "svg_s": _median(lambda: svg.svg_picture(spec), runs),
            "svg_expand_s": _median(lambda: svg.svg_picture(spec, expand=True), runs)}


def report(layout_s: float, nodes: int, r: dict, name: str) -> str:
    """The rows with the ratio to check of the same spec."""
    ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
    c = r["check_s"]
    return "\n".join([
        f"baseline: parse + check of {name}: {ms(c)}",
        f"layout of {nodes} nodes: {ms(layout_s)} ({layout_s / c:.1f}x check)  goal < {nodes / 1000:.0f} s",
        f"SVG of {name}: {ms(r['svg_s'])} ({r['svg_s'] / c:.1f}x check)  goal a few seconds",
        f"SVG of {name} --expand: {ms(r['svg_expand_s'])} ({r['svg_expand_s'] / c:.1f}x check)",
    ])


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="one run each")
    args = p.parse_args(argv)
    runs = 1 if args.quick else 3
    print(report(bench_layout(2000, runs), 2000, bench_svg(DENSENET, runs), DENSENET.stem))
    return 0


if __name__ == "__main__":
    sys.exit(main())
