"""The layered layout (graphspec/backends/layout.py): properties on random graphs, and its speed.

Every property is checked in both directions: boxes never overlap, a node sits in every
cluster on its path, clusters that are not nested are disjoint, edges run from a port on
the source's box to a port on the target's, layers respect the edges that are not
reversed to break a cycle, and the same input gives the same picture.
"""

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, load_module
from graphspec.backends.layout import DIRECTIONS, layout

EPS = 1e-6


@st.composite
def graphs(draw, cyclic=False):
    """Random graphs: nodes of random sizes, random edges (repeats allowed), random nested clusters."""
    n = draw(st.integers(1, 24))
    ids = [f"v{i}" for i in range(n)]
    sizes = {nid: (draw(st.floats(20, 160)), draw(st.floats(10, 70))) for nid in ids}
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    raw = draw(st.lists(pairs, max_size=3 * n))
    edges = []
    for a, b in raw:
        if a == b:
            continue
        if not cyclic and a > b:
            a, b = b, a
        edges.append((ids[a], ids[b]))
    # Clusters: each node gets a path of up to 3 levels, drawn from a small alphabet so paths share prefixes.
    cluster_of = {nid: tuple(draw(st.lists(st.sampled_from("abc"), max_size=3))) for nid in ids}
    labels = {}
    for path in cluster_of.values():
        for i in range(1, len(path) + 1):
            labels[path[:i]] = (draw(st.floats(0, 120)), 16.0)
    return sizes, edges, cluster_of, labels


def _overlap(a, b) -> bool:
    return a.x + a.w > b.x + EPS and b.x + b.w > a.x + EPS and a.y + a.h > b.y + EPS and b.y + b.h > a.y + EPS


def _inside(inner, outer) -> bool:
    return (inner.x >= outer.x - EPS and inner.y >= outer.y - EPS and inner.x + inner.w <= outer.x + outer.w + EPS
            and inner.y + inner.h <= outer.y + outer.h + EPS)


def _on_border(point, box) -> bool:
    x, y = point
    inside = box.x - EPS <= x <= box.x + box.w + EPS and box.y - EPS <= y <= box.y + box.h + EPS
    border = min(abs(x - box.x), abs(x - box.x - box.w), abs(y - box.y), abs(y - box.y - box.h)) < 1e-4
    return inside and border


def _check(result, sizes, edges, cluster_of, direction):
    boxes = result.nodes
    assert set(boxes) == set(sizes)
    for nid, box in boxes.items():  # sizes kept, and inside the picture
        assert abs(box.w - sizes[nid][0]) < EPS and abs(box.h - sizes[nid][1]) < EPS
        assert box.x >= -EPS and box.y >= -EPS
        assert box.x + box.w <= result.width + EPS and box.y + box.h <= result.height + EPS
    ids = list(boxes)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            assert not _overlap(boxes[a], boxes[b]), (a, b, boxes[a], boxes[b])
    for nid, path in cluster_of.items():
        for k in range(1, len(path) + 1):
            assert _inside(boxes[nid], result.clusters[path[:k]]), (nid, path[:k])
        for other, cbox in result.clusters.items():  # and outside every cluster not on its path
            if other != path[: len(other)]:
                assert not _overlap(boxes[nid], cbox), (nid, other)
    paths = list(result.clusters)
    for i, p in enumerate(paths):
        for q in paths[i + 1:]:
            nested = p == q[: len(p)] or q == p[: len(q)]
            if nested:
                inner, outer = (p, q) if len(p) > len(q) else (q, p)
                assert _inside(result.clusters[inner], result.clusters[outer])
            else:
                assert not _overlap(result.clusters[p], result.clusters[q]), (p, q)
    assert len(result.edges) == len(edges)
    axis = 1 if direction == "TB" else 0
    for (a, b), points in zip(edges, result.edges):
        assert len(points) >= 2
        assert _on_border(points[0], boxes[a]) and _on_border(points[-1], boxes[b])
        if result.layers[a] < result.layers[b]:  # a forward edge goes down (or right)
            assert points[0][axis] < points[-1][axis]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.sampled_from(DIRECTIONS))
def test_random_dags_lay_out_without_overlaps_and_respect_the_edges(graph, direction):
    sizes, edges, cluster_of, labels = graph
    result = layout(sizes, edges, cluster_of, labels, direction)
    _check(result, sizes, edges, cluster_of, direction)
    for a, b in edges:  # acyclic input: no edge reversed, every edge goes down at least one layer
        assert result.layers[a] < result.layers[b]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(cyclic=True), st.sampled_from(DIRECTIONS))
def test_cycles_are_broken_and_still_drawn(graph, direction):
    sizes, edges, cluster_of, labels = graph
    result = layout(sizes, edges, cluster_of, labels, direction)
    _check(result, sizes, edges, cluster_of, direction)


@settings(max_examples=25, deadline=None)
@given(graphs(), st.sampled_from(DIRECTIONS))
def test_the_same_graph_gives_the_same_layout(graph, direction):
    sizes, edges, cluster_of, labels = graph
    first = layout(sizes, edges, cluster_of, labels, direction)
    again = layout(dict(sizes), list(edges), dict(cluster_of), dict(labels), direction)
    assert {k: b.as_tuple() for k, b in first.nodes.items()} == {k: b.as_tuple() for k, b in again.nodes.items()}
    assert first.edges == again.edges


def test_layout_does_not_depend_on_hash_seeds():
    """String hashing differs between processes: nothing may iterate a set of ids."""
    script = ("from graphspec.backends.layout import layout\n"
              "ids=[f'n{i}' for i in range(30)]\n"
              "e=[(ids[i], ids[j]) for i in range(30) for j in (2*i+1, 3*i+2) if j < 30]\n"
              "r=layout({i:(40+len(i)*3, 20) for i in ids}, e, {i:(('a',) if int(i[1:])%3 else ()) for i in ids})\n"
              "print(sorted((k, b.as_tuple()) for k, b in r.nodes.items()), r.edges)\n")
    outs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True,
                           env={"PYTHONHASHSEED": str(seed), "PATH": ""}).stdout for seed in (1, 2, 3)}
    assert len(outs) == 1


def test_parallel_edges_get_distinct_ports():
    result = layout({"a": (100, 30), "b": (100, 30)}, [("a", "b"), ("a", "b"), ("a", "b")])
    starts = {tuple(points[0]) for points in result.edges}
    ends = {tuple(points[-1]) for points in result.edges}
    assert len(starts) == 3 and len(ends) == 3


def test_a_source_sits_next_to_its_late_user():
    chain = [f"c{i}" for i in range(6)]
    sizes = {n: (60, 20) for n in chain + ["late"]}
    edges = list(zip(chain, chain[1:])) + [("late", "c5")]
    result = layout(sizes, edges)
    assert result.layers["late"] == result.layers["c5"] - 1


def test_loops_and_unknown_nodes():
    result = layout({"a": (10, 10)}, [("a", "a")])
    assert result.edges == [[]]
    with pytest.raises(ValueError, match="not given"):
        layout({"a": (10, 10)}, [("a", "zz")])
    with pytest.raises(ValueError, match="direction"):
        layout({"a": (10, 10)}, [], direction="BT")


def test_an_empty_graph():
    result = layout({}, [])
    assert result.nodes == {} and result.edges == [] and result.width > 0


def test_a_2000_node_ladder_is_laid_out_correctly():
    """The big input keeps the properties (benchmarks/render.py measures its speed): checked in
    linear time, since the pairwise checks of _check are quadratic."""
    # The graph the benchmark times: one definition of it (benchmarks/render.py).
    sizes, edges, cluster_of, labels = load_module(ROOT / "benchmarks" / "render.py").ladder(2000)
    result = layout(sizes, edges, cluster_of, labels)
    assert set(result.nodes) == set(sizes) and len(result.edges) == len(edges)
    for (a, b), points in zip(edges, result.edges):  # acyclic: every edge goes down, port to port
        assert result.layers[a] < result.layers[b]
        assert _on_border(points[0], result.nodes[a]) and _on_border(points[-1], result.nodes[b])
    by_layer = {}
    for nid, layer in result.layers.items():
        by_layer.setdefault(layer, []).append(result.nodes[nid])
    for boxes in by_layer.values():  # neighbours in a layer do not overlap
        boxes.sort(key=lambda box: box.x)
        assert all(not _overlap(p, q) for p, q in zip(boxes, boxes[1:]))
