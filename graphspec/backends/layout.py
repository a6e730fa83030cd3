"""A layered (Sugiyama-style) layout of a directed graph with nested clusters; standard library only.

The steps, each linear or n log n in the size of the graph (with dummy nodes):

1. cycles broken by reversing the back edges of a depth-first walk (a shared layer used twice
   can make a cycle in the picture; the reversed edge is still drawn towards its real target);
2. layers by longest path from the sources, then every source pulled down next to its nearest
   user (an input used late sits next to its user, not at the top with a long edge);
3. a dummy node on every layer a long edge crosses, kept in the innermost cluster holding both
   ends, so that an edge never runs through a box it does not belong to;
4. crossing reduction: a bounded number of barycenter sweeps; each layer is sorted by a key
   that starts with the keys of the node's enclosing clusters, so a cluster's nodes are
   contiguous in every layer and sibling clusters keep one left-to-right order everywhere;
5. coordinates along the layer, bottom-up over the cluster tree: the items of a cluster (its
   own nodes and its child clusters as rigid boxes spanning their layers) get positions that
   satisfy "left item + width + gap <= right item" in every layer they share, by a left
   compaction and then a few constrained median passes towards the items they are joined to;
6. rows: each layer as tall as its tallest node, with room between rows for the labels and
   paddings of the clusters that start or end there; edges leave and enter through ports
   spread along the node's side, one per edge, so parallel edges are drawn apart.

Boxes come out disjoint by construction: items of one cluster never overlap where their
layers overlap, and a cluster is one box in its parent. Coordinates are computed along a
"layer" axis and an "order" axis, then mapped to x/y for top-to-bottom (TB) or left-to-right
(LR) pictures.
"""

from __future__ import annotations

from typing import Dict, Hashable, List, Optional, Sequence, Tuple

__all__ = ["Box", "Layout", "layout", "DIRECTIONS"]

DIRECTIONS = ("TB", "LR")

SWEEPS = 8  # barycenter sweeps (alternately down and up): bounded, whatever the graph
PLACEMENT_PASSES = 8  # constrained median passes per cluster
NODE_GAP = 24.0  # between two items of a layer
DUMMY_GAP = 8.0  # between two long edges running side by side
DUMMY_SIZE = 2.0  # a long edge's width in its layer
ROW_GAP = 44.0  # between two rows, before cluster paddings
CLUSTER_PAD = 12.0
MARGIN = 16.0
PORT_INSET = 8.0  # ports stay off a box's rounded corners

Path = Tuple[Hashable, ...]
Point = Tuple[float, float]


class Box:
    """A rectangle: top-left corner and size, in picture coordinates."""

    __slots__ = ("x", "y", "w", "h")

    def __init__(self, x: float, y: float, w: float, h: float):
        self.x, self.y, self.w, self.h = x, y, w, h

    def __repr__(self) -> str:
        return f"Box({self.x:.1f}, {self.y:.1f}, {self.w:.1f}, {self.h:.1f})"

    def as_tuple(self) -> Tuple[float, float, float, float]:
        """(x, y, w, h)."""
        return (self.x, self.y, self.w, self.h)


class Layout:
    """Where everything goes: node and cluster boxes, one polyline per edge (source to target)."""

    def __init__(self, nodes: Dict[str, Box], clusters: Dict[Path, Box], edges: List[List[Point]],
                 width: float, height: float, direction: str, layers: Dict[str, int]):
        self.nodes = nodes
        self.clusters = clusters
        self.edges = edges  # edges[k]: points from the k-th edge's source port to its target port; [] for a loop
        self.width = width
        self.height = height
        self.direction = direction
        self.layers = layers  # node id -> layer index (0 at the top or left)


def layout(sizes: Dict[str, Tuple[float, float]], edges: Sequence[Tuple[str, str]],
           cluster_of: Optional[Dict[str, Path]] = None,
           label_sizes: Optional[Dict[Path, Tuple[float, float]]] = None,
           direction: str = "TB") -> Layout:
    """Lay out nodes (id -> (width, height)) joined by edges (src, dst; repeats allowed) in nested clusters.

    `cluster_of` maps a node to its cluster path (outermost first; () or missing: the top level);
    every prefix of a path is a cluster. `label_sizes` gives each cluster's label (width, height).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}; received {direction!r}")
    return _Layered(sizes, edges, cluster_of or {}, label_sizes or {}, direction).run()


class _Layered:
    def __init__(self, sizes, edges, cluster_of, label_sizes, direction):
        self.direction = direction
        self.ids: List[str] = list(sizes)
        index = {nid: i for i, nid in enumerate(self.ids)}
        self.index = index
        tb = direction == "TB"
        # Along the order axis a node is as wide as its box in TB, as tall in LR.
        self.osize: List[float] = [float(sizes[n][0] if tb else sizes[n][1]) for n in self.ids]
        self.lsize: List[float] = [float(sizes[n][1] if tb else sizes[n][0]) for n in self.ids]
        self.edges: List[Tuple[int, int]] = []
        for a, b in edges:
            if a not in index or b not in index:
                raise ValueError(f"edge ({a!r}, {b!r}) joins a node that was not given")
            self.edges.append((index[a], index[b]))
        self._clusters(cluster_of, label_sizes)

    # ------------------------------------------------------------------ cluster tree
    def _clusters(self, cluster_of, label_sizes) -> None:
        self.paths: List[Path] = [()]
        self.parent: List[int] = [-1]
        self.depth: List[int] = [0]
        self.kids: List[List[int]] = [[]]
        cid: Dict[Path, int] = {(): 0}
        self.ncl: List[int] = []  # node -> cluster
        for nid in self.ids:
            path = tuple(cluster_of.get(nid, ()))
            c = 0
            for i in range(1, len(path) + 1):
                sub = path[:i]
                nxt = cid.get(sub)
                if nxt is None:
                    nxt = len(self.paths)
                    cid[sub] = nxt
                    self.paths.append(sub)
                    self.parent.append(c)
                    self.depth.append(i)
                    self.kids.append([])
                    self.kids[c].append(nxt)
                c = nxt
            self.ncl.append(c)
        tb = self.direction == "TB"
        self.label_o: List[float] = []  # the label's extent along the order axis, and along the layer axis
        self.label_l: List[float] = []
        for path in self.paths:
            w, h = label_sizes.get(path, (0.0, 0.0)) if path else (0.0, 0.0)
            self.label_o.append(float(w) if tb else float(h))
            self.label_l.append(float(h) if tb else float(w))
        # chain[c]: the clusters from the top level down to c.
        self.chain: List[List[int]] = []
        for c in range(len(self.paths)):
            self.chain.append(self.chain[self.parent[c]] + [c] if c else [0])

    def lca(self, a: int, b: int) -> int:
        """The innermost cluster holding both clusters."""
        while self.depth[a] > self.depth[b]:
            a = self.parent[a]
        while self.depth[b] > self.depth[a]:
            b = self.parent[b]
        while a != b:
            a, b = self.parent[a], self.parent[b]
        return a

    # ------------------------------------------------------------------ the steps
    def run(self) -> Layout:
        n = len(self.ids)
        self._orient()
        self._layer(n)
        self._dummies(n)
        self._order()
        self._place()
        return self._emit(n)

    def _orient(self) -> None:
        """Reverse the back edges of an iterative depth-first walk: what is left is acyclic."""
        n = len(self.ids)
        out: List[List[Tuple[int, int]]] = [[] for _ in range(n)]
        for k, (a, b) in enumerate(self.edges):
            if a != b:
                out[a].append((b, k))
        state = [0] * n  # 0 new, 1 on the stack, 2 done
        self.reversed = [False] * len(self.edges)
        for root in range(n):
            if state[root]:
                continue
            state[root] = 1
            stack = [(root, 0)]
            while stack:
                v, i = stack[-1]
                if i < len(out[v]):
                    stack[-1] = (v, i + 1)
                    w, k = out[v][i]
                    if state[w] == 1:
                        self.reversed[k] = True
                    elif state[w] == 0:
                        state[w] = 1
                        stack.append((w, 0))
                else:
                    state[v] = 2
                    stack.pop()
        # The layout's own direction of each edge (upper end, lower end); loops are not drawn.
        self.oriented: List[Optional[Tuple[int, int]]] = []
        for k, (a, b) in enumerate(self.edges):
            if a == b:
                self.oriented.append(None)
            else:
                self.oriented.append((b, a) if self.reversed[k] else (a, b))

    def _layer(self, n: int) -> None:
        succ: List[List[int]] = [[] for _ in range(n)]
        pred: List[List[int]] = [[] for _ in range(n)]
        for e in self.oriented:
            if e is not None:
                succ[e[0]].append(e[1])
                pred[e[1]].append(e[0])
        indeg = [len(p) for p in pred]
        topo = [v for v in range(n) if indeg[v] == 0]
        for v in topo:  # the list grows while it is read: Kahn's algorithm
            for w in succ[v]:
                indeg[w] -= 1
                if indeg[w] == 0:
                    topo.append(w)
        layer = [0] * n
        for v in topo:
            for w in succ[v]:
                if layer[w] < layer[v] + 1:
                    layer[w] = layer[v] + 1
        for v in topo:  # pull each source down next to its nearest user (inner nodes stay early, near their inputs)
            if succ[v] and not pred[v]:
                layer[v] = min(layer[w] for w in succ[v]) - 1
        self.layer = layer

    def _dummies(self, n: int) -> None:
        """Split long edges into one segment per layer; chain[k] lists edge k's vertices, upper first."""
        self.vcl = list(self.ncl)  # vertex -> cluster (dummies too)
        self.vlayer = list(self.layer)
        self.vo = list(self.osize)
        self.vl = list(self.lsize)
        self.up: List[List[int]] = [[] for _ in range(n)]  # neighbours one layer up, one per segment
        self.down: List[List[int]] = [[] for _ in range(n)]
        self.chains: List[List[int]] = []
        for e in self.oriented:
            if e is None:
                self.chains.append([])
                continue
            a, b = e
            chain = [a]
            home = self.lca(self.ncl[a], self.ncl[b])
            for lay in range(self.layer[a] + 1, self.layer[b]):
                d = len(self.vcl)
                self.vcl.append(home)
                self.vlayer.append(lay)
                self.vo.append(DUMMY_SIZE)
                self.vl.append(0.0)
                self.up.append([])
                self.down.append([])
                chain.append(d)
            chain.append(b)
            for u, v in zip(chain, chain[1:]):
                self.down[u].append(v)
                self.up[v].append(u)
            self.chains.append(chain)
        self.nreal = n
        self.nv = len(self.vcl)

    # ------------------------------------------------------------------ crossing reduction
    def _order(self) -> None:
        nl = max(self.vlayer, default=-1) + 1
        self.rows: List[List[int]] = [[] for _ in range(nl)]
        for v in range(self.nv):
            self.rows[self.vlayer[v]].append(v)
        pos = [0.0] * self.nv
        self.ckey = [float(c) for c in range(len(self.paths))]  # first seen first, to begin with
        self.vkey = [0.0] * self.nv

        def place(row: List[int]) -> None:
            mid = (len(row) - 1) / 2.0
            for i, v in enumerate(row):
                pos[v] = i - mid

        for row in self.rows:
            place(row)
        for sweep in range(SWEEPS):
            self._cluster_keys(pos)
            downward = sweep % 2 == 0
            order = range(1, nl) if downward else range(nl - 2, -1, -1)
            for lay in order:
                row = self.rows[lay]
                for v in row:
                    nbrs = self.up[v] if downward else self.down[v]
                    self.vkey[v] = sum(pos[u] for u in nbrs) / len(nbrs) if nbrs else pos[v]
                row.sort(key=self._sort_key)
                place(row)

    def _cluster_keys(self, pos: List[float]) -> None:
        """A cluster's key: the mean position of its vertices' neighbours (its own, for lone vertices)."""
        total = [0.0] * len(self.paths)
        count = [0] * len(self.paths)
        for v in range(self.nv):
            nbrs = self.up[v] + self.down[v]
            value = sum(pos[u] for u in nbrs) / len(nbrs) if nbrs else pos[v]
            for c in self.chain[self.vcl[v]]:
                total[c] += value
                count[c] += 1
        for c in range(1, len(self.paths)):
            if count[c]:
                self.ckey[c] = total[c] / count[c]

    def _sort_key(self, v: int):
        return tuple((self.ckey[c], 0, c) for c in self.chain[self.vcl[v]][1:]) + ((self.vkey[v], 1, v),)

    # ------------------------------------------------------------------ coordinates
    def _place(self) -> None:
        """Order-axis positions, bottom-up over the cluster tree (deepest clusters first)."""
        ncl = len(self.paths)
        nv = self.nv
        span_lo = [1 << 30] * ncl
        span_hi = [-1] * ncl
        members: List[List[int]] = [[] for _ in range(ncl)]
        for v in range(nv):
            members[self.vcl[v]].append(v)
            for c in self.chain[self.vcl[v]]:
                lay = self.vlayer[v]
                if lay < span_lo[c]:
                    span_lo[c] = lay
                if lay > span_hi[c]:
                    span_hi[c] = lay
        self.span_lo, self.span_hi = span_lo, span_hi
        # Each segment is considered once, in the innermost cluster holding both ends.
        segs: List[List[Tuple[int, int]]] = [[] for _ in range(ncl)]
        for u in range(nv):
            for v in self.down[u]:
                segs[self.lca(self.vcl[u], self.vcl[v])].append((u, v))
        self.rel = [0.0] * nv  # a vertex's centre, relative to the left edge of the box laid out last
        self.cwidth = [0.0] * ncl  # a cluster's box extent along the order axis
        self.cx = [0.0] * ncl  # a cluster box's left edge, relative to its parent's box
        # Left-to-right, a cluster's label sits at the start of the order axis (the top of its box).
        label_room = [self.label_o[c] if self.direction == "LR" else 0.0 for c in range(ncl)]
        self.padl = [MARGIN if c == 0 else CLUSTER_PAD + label_room[c] for c in range(ncl)]
        self.padr = [MARGIN if c == 0 else CLUSTER_PAD for c in range(ncl)]
        subtree: List[List[int]] = [list(m) for m in members]
        for c in sorted(range(ncl), key=lambda c: -self.depth[c]):
            self._place_cluster(c, members[c], subtree, segs[c])
            if c:
                subtree[self.parent[c]].extend(subtree[c])

    def _item(self, c: int, v: int) -> int:
        """The item of cluster c that holds vertex v: v itself, or nv + the child cluster."""
        chain = self.chain[self.vcl[v]]
        d = self.depth[c]
        return v if len(chain) == d + 1 else self.nv + chain[d + 1]

    def _place_cluster(self, c: int, direct: List[int], subtree: List[List[int]], segs) -> None:
        nv = self.nv
        items = list(direct) + [nv + k for k in self.kids[c]]
        width: Dict[int, float] = {}
        key: Dict[int, tuple] = {}
        at: Dict[int, List[int]] = {}  # layer -> items present there
        for v in direct:
            width[v] = self.vo[v]
            key[v] = (self.vkey[v], 1, v)
            at.setdefault(self.vlayer[v], []).append(v)
        for k in self.kids[c]:
            width[nv + k] = self.cwidth[k]
            key[nv + k] = (self.ckey[k], 0, k)
            for lay in range(self.span_lo[k], self.span_hi[k] + 1):
                at.setdefault(lay, []).append(nv + k)
        preds: Dict[int, Dict[int, float]] = {i: {} for i in items}
        succs: Dict[int, Dict[int, float]] = {i: {} for i in items}
        for lay in sorted(at):
            row = sorted(at[lay], key=key.__getitem__)
            for a, b in zip(row, row[1:]):
                dummies = (self.nreal <= a < nv) + (self.nreal <= b < nv)
                gap = (NODE_GAP, NODE_GAP / 2.0, DUMMY_GAP)[dummies]
                sep = width[a] + gap
                if preds[b].get(a, -1.0) < sep:
                    preds[b][a] = sep
                    succs[a][b] = sep
        # Topological order of the "is left of" constraints (acyclic: see _order's sort key).
        indeg = {i: len(preds[i]) for i in items}
        topo = sorted((i for i in items if indeg[i] == 0), key=key.__getitem__)
        for i in topo:
            for j in sorted(succs[i], key=key.__getitem__):
                indeg[j] -= 1
                if indeg[j] == 0:
                    topo.append(j)
        x: Dict[int, float] = {}
        for i in topo:  # left compaction
            x[i] = max((x[p] + s for p, s in preds[i].items()), default=0.0)
        # Where each item would like to be: aligned with the items it is joined to.
        # pulls[i][0]: the items joined to i from above, [1]: from below (other item, its offset, i's offset).
        pulls: Dict[int, Tuple[list, list]] = {i: ([], []) for i in items}

        def offset(item: int, v: int) -> float:
            return width[item] / 2.0 if item < nv else self.rel[v]

        for u, v in segs:
            i, j = self._item(c, u), self._item(c, v)
            if i != j:
                oi, oj = offset(i, u), offset(j, v)
                pulls[i][1].append((j, oj, oi))
                pulls[j][0].append((i, oi, oj))
        # As in the priority method: passes alternately follow the row above and the row below
        # (a node joined to two above sits between them), and the last pass weighs both.
        for p in range(PLACEMENT_PASSES + 1):
            side = 2 if p == PLACEMENT_PASSES else p % 2
            for i in (topo if p % 2 == 0 else reversed(topo)):
                above, below = pulls[i]
                if side == 2 or i >= nv:  # a cluster is joined on both sides at once
                    want = above + below
                else:
                    want = (above, below)[side] or (below, above)[side]
                if not want:
                    continue
                wishes = sorted(x[j] + oj - oi for j, oj, oi in want)
                m = len(wishes)
                target = wishes[m // 2] if m % 2 else (wishes[m // 2 - 1] + wishes[m // 2]) / 2.0
                lo = max((x[q] + s for q, s in preds[i].items()), default=float("-inf"))
                hi = min((x[q] - succs[i][q] for q in succs[i]), default=float("inf"))
                x[i] = min(max(target, lo), hi)
        left = min(x.values(), default=0.0)
        content = max((x[i] - left + width[i] for i in items), default=0.0)
        inner = max(content, self.label_o[c] if self.direction == "TB" else 0.0)
        shift = (inner - content) / 2.0 - left + self.padl[c]
        self.cwidth[c] = self.padl[c] + inner + self.padr[c]
        for v in direct:
            self.rel[v] = x[v] + shift + width[v] / 2.0
        for k in self.kids[c]:
            self.cx[k] = x[nv + k] + shift
            base = self.cx[k]
            for v in subtree[k]:
                self.rel[v] += base

    # ------------------------------------------------------------------ rows, ports, output
    def _emit(self, n: int) -> Layout:
        nl = len(self.rows)
        ncl = len(self.paths)
        rowsize = [0.0] * nl
        for v in range(self.nv):
            if self.vl[v] > rowsize[self.vlayer[v]]:
                rowsize[self.vlayer[v]] = self.vl[v]
        # Room above a cluster's first row: its padding and label, plus those of the clusters
        # inside it that start on the same row; below its last row likewise (paddings only).
        tb = self.direction == "TB"
        need_top = [0.0] * ncl
        need_bot = [0.0] * ncl
        for c in sorted(range(1, ncl), key=lambda c: -self.depth[c]):
            inner_top = max((need_top[k] for k in self.kids[c] if self.span_lo[k] == self.span_lo[c]), default=0.0)
            inner_bot = max((need_bot[k] for k in self.kids[c] if self.span_hi[k] == self.span_hi[c]), default=0.0)
            need_top[c] = CLUSTER_PAD + (self.label_l[c] if tb else 0.0) + inner_top
            need_bot[c] = CLUSTER_PAD + inner_bot
        top_room = [0.0] * (nl + 1)
        bot_room = [0.0] * (nl + 1)
        for c in range(1, ncl):
            top_room[self.span_lo[c]] = max(top_room[self.span_lo[c]], need_top[c])
            bot_room[self.span_hi[c]] = max(bot_room[self.span_hi[c]], need_bot[c])
        rowtop = [0.0] * nl
        t = MARGIN
        for lay in range(nl):
            t += top_room[lay]
            rowtop[lay] = t
            t += rowsize[lay] + bot_room[lay] + ROW_GAP
        extent_l = t - ROW_GAP + MARGIN if nl else 2 * MARGIN
        # Absolute order-axis positions: cluster boxes top-down.
        cleft = [0.0] * ncl
        for c in range(1, ncl):  # parents are numbered before their children
            cleft[c] = cleft[self.parent[c]] + self.cx[c]
        extent_o = self.cwidth[0] if ncl else 2 * MARGIN

        def box(o: float, lpos: float, osz: float, lsz: float) -> Box:
            return Box(o, lpos, osz, lsz) if tb else Box(lpos, o, lsz, osz)

        nodes: Dict[str, Box] = {}
        for v in range(n):
            lay = self.vlayer[v]
            top = rowtop[lay] + (rowsize[lay] - self.vl[v]) / 2.0
            nodes[self.ids[v]] = box(self.rel[v] - self.vo[v] / 2.0, top, self.vo[v], self.vl[v])
        clusters: Dict[Path, Box] = {}
        for c in range(1, ncl):
            t0 = rowtop[self.span_lo[c]] - need_top[c]
            t1 = rowtop[self.span_hi[c]] + rowsize[self.span_hi[c]] + need_bot[c]
            clusters[self.paths[c]] = box(cleft[c], t0, self.cwidth[c], t1 - t0)
        edges = self._route(rowtop, rowsize, tb)
        width, height = (extent_o, extent_l) if tb else (extent_l, extent_o)
        return Layout(nodes, clusters, edges, width, height, self.direction,
                      {self.ids[v]: self.vlayer[v] for v in range(n)})

    def _route(self, rowtop, rowsize, tb: bool) -> List[List[Point]]:
        """One polyline per edge: out of a port on the upper end's far side, through its dummies, into the lower end."""
        # Ports: each vertex's segments down (and up), sorted by where their other end is.
        nv = self.nv
        port_down: Dict[Tuple[int, int], float] = {}  # (vertex, slot) -> order-axis position
        port_up: Dict[Tuple[int, int], float] = {}
        out_segs: List[List[Tuple[int, int]]] = [[] for _ in range(nv)]  # vertex -> (edge, step index)
        in_segs: List[List[Tuple[int, int]]] = [[] for _ in range(nv)]
        for k, chain in enumerate(self.chains):
            for s in range(len(chain) - 1):
                out_segs[chain[s]].append((k, s))
                in_segs[chain[s + 1]].append((k, s))

        def spread(v: int, segs, other_end) -> Dict[Tuple[int, int], float]:
            ordered = sorted(segs, key=lambda ks: (self.rel[other_end(ks)], ks))
            m = len(ordered)
            if v >= self.nreal or m == 1:
                return {ks: self.rel[v] for ks in ordered}
            half = self.vo[v] / 2.0
            inset = min(PORT_INSET, half / 2.0)
            lo, hi = self.rel[v] - half + inset, self.rel[v] + half - inset
            return {ks: lo + (hi - lo) * (i + 0.5) / m for i, ks in enumerate(ordered)}

        for v in range(nv):
            if out_segs[v]:
                for ks, o in spread(v, out_segs[v], lambda ks: self.chains[ks[0]][ks[1] + 1]).items():
                    port_down[ks] = o
            if in_segs[v]:
                for ks, o in spread(v, in_segs[v], lambda ks: self.chains[ks[0]][ks[1]]).items():
                    port_up[ks] = o

        def point(o: float, lpos: float) -> Point:
            return (o, lpos) if tb else (lpos, o)

        result: List[List[Point]] = []
        for k, chain in enumerate(self.chains):
            if not chain:
                result.append([])
                continue
            pts: List[Point] = []
            for s, v in enumerate(chain):
                lay = self.vlayer[v]
                top = rowtop[lay] + (rowsize[lay] - self.vl[v]) / 2.0
                if s > 0:
                    pts.append(point(port_up[(k, s - 1)], top if v < self.nreal else rowtop[lay]))
                if s < len(chain) - 1:
                    bottom = top + self.vl[v] if v < self.nreal else rowtop[lay] + rowsize[lay]
                    pts.append(point(port_down[(k, s)], bottom))
            if self.reversed[k]:
                pts.reverse()
            result.append(pts)
        return result
