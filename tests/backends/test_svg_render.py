"""graphspec's own SVG pictures, checked by looking: every spec rendered, measured in headless Chromium.

Each picture (every spec in specs/seeds and specs/zoo, collapsed and expanded, top-to-bottom
and left-to-right) is parsed as XML by the browser (DOMParser, image/svg+xml), put in a page,
and measured there with the browser's own fonts: getBBox of every box, label and text line,
and the two ends of every edge. The page writes the numbers into the DOM, Chromium prints the
DOM (--dump-dom), and the assertions below read them: no two boxes overlap, each node is in
its cluster's box, clusters that are not nested are disjoint, every text fits in its box, and
every edge starts on its source's box and ends on its target's.

Chromium comes from Debian's package (`apt-get install chromium`), installed here when missing.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

import graphspec
from conftest import ROOT, SPECS, check_golden
from graphspec.backends import svg
from graphspec.backends.layout import DIRECTIONS

pytestmark = pytest.mark.slow

SPEC_FILES = sorted(p for p in SPECS.rglob("*.gspec") if "custom" not in p.parts)
SEEDS = sorted((SPECS / "seeds").glob("*.gspec"))
PICTURES = ROOT / "docs" / "pictures"
TOL = 0.75  # px: rounding of the written coordinates
NS = {"s": "http://www.w3.org/2000/svg"}

HOSTILE = ['</text><script>alert(1)</script>', 'a & b &amp; "quoted" \'single\'', "ctl\x00\x01\x1b[31m\x7f\x85",
           "bidi \u202eevil\u202c", "nonchars \ufffe\uffff", "<![CDATA[x]]> <!-- c --> ]]>", "x" * 500,
           "\ud800 lone surrogate", "\u2028line\u2029para", "tab\tnew\nline"]


def _chromium() -> str:
    exe = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if exe:
        return exe
    if shutil.which("apt-get") is None:
        pytest.skip("no chromium and no apt-get to install Debian's chromium package")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=300)
        done = subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, capture_output=True,
                              text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"apt is unreachable, cannot install chromium: {exc}")
    exe = shutil.which("chromium")
    if done.returncode != 0 or exe is None:
        pytest.skip(f"apt-get install chromium failed (apt unreachable?): {done.stderr.strip()[-300:]}")
    return exe


@pytest.fixture(scope="module")
def chromium() -> str:
    return _chromium()


def _run_chromium(exe: str, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                               "--disable-component-update", "--disable-sync", "--no-first-run",
                               "--hide-scrollbars", f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=300)


MEASURE = r"""
const out = {};
for (const [name, text] of Object.entries(SOURCES)) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const err = doc.getElementsByTagName("parsererror");
  if (err.length) { out[name] = {error: err[0].textContent}; continue; }
  const svg = document.importNode(doc.documentElement, true);
  document.body.appendChild(svg);
  const bb = (el) => { const b = el.getBBox(); return [b.x, b.y, b.width, b.height]; };
  const r = {width: svg.width.baseVal.value, height: svg.height.baseVal.value,
             viewBox: svg.getAttribute("viewBox"), scripts: svg.querySelectorAll("script").length,
             nodes: [], clusters: [], edges: []};
  for (const g of svg.querySelectorAll("g.node")) {
    r.nodes.push({id: g.id, cluster: g.dataset.cluster, box: bb(g.querySelector("rect.box")),
                  texts: [...g.querySelectorAll("text")].map(bb)});
  }
  for (const g of svg.querySelectorAll("g.cluster")) {
    r.clusters.push({id: g.id, parent: g.dataset.parent, box: bb(g.querySelector("rect")),
                     label: bb(g.querySelector("text"))});
  }
  for (const p of svg.querySelectorAll("path.edge")) {
    const n = p.getTotalLength(), a = p.getPointAtLength(0), b = p.getPointAtLength(n);
    r.edges.push({from: p.dataset.from, to: p.dataset.to, start: [a.x, a.y], end: [b.x, b.y]});
  }
  svg.remove();
  out[name] = r;
}
document.getElementById("result").textContent = JSON.stringify(out);
"""


def _measure(exe: str, sources: dict, workdir: Path) -> dict:
    """Load every SVG in one page of headless Chromium and read back what the browser measured."""
    payload = json.dumps(sources).replace("</", "<\\/")  # no "</script>" inside the script
    page = workdir / "measure.html"
    page.write_text('<!doctype html><html><head><meta charset="utf-8"></head><body><pre id="result"></pre>'
                    f"<script>const SOURCES = {payload};</script><script>{MEASURE}</script></body></html>",
                    encoding="utf-8")
    done = _run_chromium(exe, "--dump-dom", page.as_uri())
    match = re.search(r'<pre id="result">(.*?)</pre>', done.stdout, re.S)
    assert match and match.group(1), f"the page wrote no result: {done.stderr[-2000:]}"
    return json.loads(html.unescape(match.group(1)))


def _overlap(a, b, tol=TOL) -> bool:
    return a[0] + a[2] > b[0] + tol and b[0] + b[2] > a[0] + tol and a[1] + a[3] > b[1] + tol and b[1] + b[3] > a[1] + tol


def _inside(inner, outer, tol=TOL) -> bool:
    return (inner[0] >= outer[0] - tol and inner[1] >= outer[1] - tol and inner[0] + inner[2] <= outer[0] + outer[2] + tol
            and inner[1] + inner[3] <= outer[1] + outer[3] + tol)


def _on_border(point, box, tol=TOL) -> bool:
    x, y = point
    return (_inside((x, y, 0, 0), box, tol)
            and min(abs(x - box[0]), abs(x - box[0] - box[2]), abs(y - box[1]), abs(y - box[1] - box[3])) <= tol)


def _pairs_overlapping(boxes):
    """Pairs of boxes that overlap (a sweep along x, so a 1,000-box picture stays quick)."""
    order = sorted(boxes, key=lambda kb: kb[1][0])
    found = []
    for i, (ka, a) in enumerate(order):
        for kb, b in order[i + 1:]:
            if b[0] >= a[0] + a[2] - TOL:
                break
            if _overlap(a, b):
                found.append((ka, kb))
    return found


def _check_picture(name: str, text: str, seen: dict) -> None:
    root = ET.fromstring(text.encode("utf-8"))  # well-formed XML, namespaced SVG
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    w, h = float(root.get("width")), float(root.get("height"))
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}" and w > 0 and h > 0
    assert not re.search(r"(?i)\b(href|src)\s*=|@import|url\((?!#)", text), "the picture loads nothing from outside"
    assert "error" not in seen, seen.get("error")
    assert seen["scripts"] == 0
    nodes = {n["id"]: n for n in seen["nodes"]}
    clusters = {c["id"]: c for c in seen["clusters"]}
    assert len(nodes) == len(root.findall(".//s:g[@data-cluster]", NS)) > 0  # every box measured
    overlapping = _pairs_overlapping([(k, n["box"]) for k, n in nodes.items()])
    assert not overlapping, f"{name}: boxes overlap: {overlapping[:5]}"
    for nid, node in nodes.items():
        for tb in node["texts"]:
            assert _inside(tb, node["box"]), f"{name}: a text line of {nid} sticks out of its box: {tb} {node['box']}"
        cid = node["cluster"]
        while cid:
            assert _inside(node["box"], clusters[cid]["box"]), f"{name}: {nid} is outside its cluster {cid}"
            cid = clusters[cid]["parent"]
        for other_id, other in clusters.items():  # outside every cluster it is not in
            chain, cid = set(), node["cluster"]
            while cid:
                chain.add(cid)
                cid = clusters[cid]["parent"]
            if other_id not in chain:
                assert not _overlap(node["box"], other["box"]), f"{name}: {nid} overlaps cluster {other_id}"
    ancestors = {}
    for cid in clusters:
        chain, p = set(), clusters[cid]["parent"]
        while p:
            chain.add(p)
            p = clusters[p]["parent"]
        ancestors[cid] = chain
    for cid, c in clusters.items():
        if c["label"][2] > 0:
            assert _inside(c["label"], c["box"]), f"{name}: the label of {cid} sticks out of its box"
        for did, d in clusters.items():
            if did <= cid or did in ancestors[cid] or cid in ancestors[did]:
                continue
            assert not _overlap(c["box"], d["box"]), f"{name}: clusters {cid} and {did} overlap"
    for edge in seen["edges"]:
        assert _on_border(edge["start"], nodes[edge["from"]]["box"]), f"{name}: an edge leaves off {edge['from']}"
        assert _on_border(edge["end"], nodes[edge["to"]]["box"]), f"{name}: an edge misses {edge['to']}"


def _pictures():
    """Every spec's picture: collapsed and expanded, in both directions."""
    out = {}
    for path in SPEC_FILES:
        spec = graphspec.load(path)
        for expand in (False, True):
            for direction in DIRECTIONS:
                name = f"{path.parent.name}/{path.stem}{' --expand' if expand else ''} {direction}"
                out[name] = svg.svg_picture(spec, expand=expand, direction=direction,
                                            show_dtype=expand, show_params=expand)
    return out


def test_every_spec_renders_and_measures_clean_in_chromium(chromium, tmp_path):
    pictures = _pictures()
    assert len(pictures) == 4 * len(SPEC_FILES) and len(SPEC_FILES) >= 15
    measured = _measure(chromium, pictures, tmp_path)
    assert set(measured) == set(pictures)
    for name, text in pictures.items():
        _check_picture(name, text, measured[name])


def _hostile_scene():
    nodes = {}
    for i, bad in enumerate(HOSTILE):
        nodes[f"h{i}"] = ((bad, f"Dense(name={bad!r})", "(None, 4)"), "layer")
    nodes["merge"] = (("m<&>", "Add()", "(None, 4)"), "layer")
    nodes["inp"] = (("in\"put", "(None, 4) float32"), "input")
    clusters = {(): ["inp", "merge"], ("<evil & cluster>",): [f"h{i}" for i in range(0, len(HOSTILE), 2)],
                ("<evil & cluster>", "\x00inner\u202e"): [f"h{i}" for i in range(1, len(HOSTILE), 2)]}
    labels = {("<evil & cluster>",): "</text><script>alert(2)</script> & \"", ("<evil & cluster>", "\x00inner\u202e"):
              "\x1b]0;title\x07 \ufffe"}
    edges = [("inp", f"h{i}") for i in range(len(HOSTILE))] + [(f"h{i}", "merge") for i in range(len(HOSTILE))]
    edges += [("h0", "merge", 1), ("h0", "merge", 2)]
    return SimpleNamespace(nodes=nodes, clusters=clusters, cluster_labels=labels, edges=edges)


def test_hostile_text_is_escaped_and_still_measures_clean(chromium, tmp_path):
    scene = _hostile_scene()
    pictures = {f"hostile {d}": svg.render_svg(scene, d, title=HOSTILE[0]) for d in DIRECTIONS}
    for text in pictures.values():
        root = ET.fromstring(text.encode("utf-8"))
        assert not root.findall(".//s:script", NS)
        assert "<script" not in text and "\x00" not in text and "\u202e" not in text and "\x1b" not in text
        words = " ".join(root.itertext())
        assert "</text><script>alert(1)</script>" in words  # shown as text, not markup
        assert "a & b &amp; \"quoted\" 'single'" in words
    measured = _measure(chromium, pictures, tmp_path)
    for name, text in pictures.items():
        _check_picture(name, text, measured[name])
        edges = measured[name]["edges"]
        assert len(edges) == len(scene.edges)  # the repeated h0 -> merge edges are all drawn


def _incoming(text: str):
    root = ET.fromstring(text.encode("utf-8"))
    counts = {}
    for path in root.findall(".//s:path[@class='edge']", NS):
        counts[path.get("data-to")] = counts.get(path.get("data-to"), 0) + 1
    names = {g.get("id"): " ".join(g.find("s:title", NS).itertext()) for g in root.findall(".//s:g[@data-cluster]", NS)}
    return counts, names


def test_every_input_of_every_step_is_an_edge():
    """plot.py's edge set keeps a pair once; the picture draws the shared encoder's two outputs into Concatenate."""
    text = svg.svg_picture(graphspec.load(SPECS / "seeds/siamese_lstm.gspec"))
    counts, names = _incoming(text)
    concat = next(i for i, t in names.items() if "Concatenate(" in t)
    encoder = next(i for i, t in names.items() if "LSTM(" in t)
    assert counts[concat] == 2 and counts[encoder] == 2
    for path in SPEC_FILES:  # and for every spec: one edge per input of every step
        spec = graphspec.load(path)
        scene = svg.scene_for(spec)
        assert len(scene.edges) >= len(set((a, b) for a, b, _ in scene.edges))
        counts, _ = _incoming(svg.render_svg(scene))
        assert sum(counts.values()) == len(scene.edges)


def test_largest_model_renders_every_step():
    """densenet121, collapsed and expanded: every box is drawn (benchmarks/render.py measures the speed)."""
    spec = graphspec.load(SPECS / "zoo/densenet121.gspec")
    for expand in (False, True):
        scene = svg.scene_for(spec, expand=expand)
        text = svg.render_svg(scene)
        assert text.count('class="node ') >= (400 if expand else 10)
        counts, _ = _incoming(text)
        assert sum(counts.values()) == len(scene.edges)


def test_png_through_resvg_when_installed():
    text = svg.svg_picture(graphspec.load(SPECS / "seeds/fashion_cnn.gspec"))
    try:
        import resvg_py  # noqa: F401
    except ImportError:
        with pytest.raises(svg.RasteriserMissing, match="pip install resvg-py"):
            svg.png_from_svg(text)
        return
    png = svg.png_from_svg(text)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


@pytest.mark.parametrize("name", ["seeds/siamese_lstm", "seeds/ticket_router", "zoo/resnet50 --expand"])
def test_screenshots_are_pictures(chromium, tmp_path, name):
    """A screenshot of the picture, as a person sees it (kept in GRAPHSPEC_SCREENSHOTS when set)."""
    stem, _, flag = name.partition(" ")
    text = svg.svg_picture(graphspec.load(SPECS / f"{stem}.gspec"), expand=bool(flag))
    src = tmp_path / "picture.svg"
    src.write_text(text, encoding="utf-8")
    root = ET.fromstring(text.encode("utf-8"))
    width, height = int(float(root.get("width"))) + 1, min(int(float(root.get("height"))) + 1, 4000)
    keep = Path(os.environ.get("GRAPHSPEC_SCREENSHOTS", tmp_path))
    keep.mkdir(parents=True, exist_ok=True)
    png = keep / (stem.replace("/", "_") + ("_expanded" if flag else "") + ".png")
    _run_chromium(chromium, f"--window-size={width},{height}", f"--screenshot={png}", src.as_uri())
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000  # a blank page compresses to a few hundred bytes


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_committed_pictures_are_current(path):
    """docs/pictures/*.svg are what graphspec draws today (GRAPHSPEC_UPDATE_GOLDENS=1 redraws them)."""
    check_golden(PICTURES / f"{path.stem}.svg", svg.svg_picture(graphspec.load(path)))
