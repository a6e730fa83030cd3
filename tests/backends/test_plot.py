"""Pictures: Mermaid and DOT text for every spec, SVG/PNG drawn by graphspec (or Graphviz on request),
Jupyter reprs."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import graphspec
from graphspec.backends import plot
from conftest import run_cli

ROOT = Path(__file__).parents[2]
SPECS = sorted(p for p in (ROOT / "specs").rglob("*.gspec") if "custom" not in p.parts)

TINY_RESNET = """
block conv_bn(filters, kernel=3, strides=1) {
    input x
    output y = x -> Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)
                 -> BatchNormalization()
                 -> Activation("relu")
}
block residual(filters, strides=1) {
    input x
    y = x -> conv_bn(filters, strides=strides) -> Conv2D(filters, 3, padding="same")
    shortcut = x -> Conv2D(filters, 1, strides=strides, padding="same")
    output out = (y, shortcut) -> Add() -> Activation("relu")
}
model tiny_resnet {
    input image: (32, 32, 3)
    h = image -> conv_bn(32)
    repeat 2 { h = h -> residual(32) }
    output label = h -> GlobalAveragePooling2D() -> Dense(10, activation="softmax")
}
"""


def _edges(text, arrow):
    return re.findall(rf"(\w+) {re.escape(arrow)} (\w+)", text)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_spec_draws_as_mermaid_and_dot(path):
    spec = graphspec.load(path)
    for expand in (False, True):
        mmd = plot.to_mermaid(spec, expand=expand)
        dot = plot.to_dot(spec, expand=expand)
        assert mmd.startswith("flowchart TD")
        assert dot.startswith("digraph") and dot.rstrip().endswith("}")
        for inp in spec.model.inputs:
            assert inp.name in mmd and inp.name in dot
        for out in spec.model.outputs:
            assert out.name in mmd and out.name in dot
        # Every edge joins declared nodes.
        declared = set(re.findall(r"^\s*(n\d+)\s*\[label", dot, re.M))
        for a, b in _edges(dot, "->"):
            assert a in declared and b in declared


def test_shared_layer_is_one_node_with_an_edge_per_use():
    spec = graphspec.load(ROOT / "specs/seeds/siamese_lstm.gspec")
    dot = plot.to_dot(spec)
    lstm_nodes = re.findall(r'^\s*(n\d+) \[label="[^"]*LSTM\(', dot, re.M)
    assert len(lstm_nodes) == 1
    incoming = [a for a, b in _edges(dot, "->") if b == lstm_nodes[0]]
    assert len(incoming) == 2


def test_nested_model_is_one_node_or_an_expanded_cluster():
    spec = graphspec.load(ROOT / "specs/seeds/dual_camera.gspec")
    dot = plot.to_dot(spec)
    assert dot.count("model encoder_net") == 1 and "subgraph" not in dot
    expanded = plot.to_dot(spec, expand=True)
    assert 'label="model encoder_net"' in expanded and "subgraph" in expanded
    assert expanded.count("Conv2D(") == 2  # drawn once although used twice


def test_block_expansions_collapse_or_expand_into_clusters():
    spec = graphspec.loads(TINY_RESNET)
    collapsed = plot.to_mermaid(spec)
    assert "block residual" in collapsed and "Conv2D(" not in collapsed
    expanded = plot.to_mermaid(spec, expand=True)
    assert "subgraph" in expanded and "residual_2 (residual)" in expanded
    assert expanded.count("Conv2D(") == 1 + 2 * 3


def _cli(*args, env=None):
    return run_cli(*args, cwd=ROOT, env=env)


def test_cli_writes_mermaid_and_dot(tmp_path):
    for suffix in (".mmd", ".dot"):
        out = tmp_path / f"fashion{suffix}"
        done = _cli("plot", str(ROOT / "specs/seeds/fashion_cnn.gspec"), "-o", str(out))
        assert done.returncode == 0, done.stderr
        assert "Conv2D(" in out.read_text()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_cli_svg_and_png_with_graphviz(tmp_path):
    svg = tmp_path / "m.svg"
    spec = str(ROOT / "specs/seeds/inception_block.gspec")
    assert _cli("plot", spec, "-o", str(svg), "--engine", "graphviz").returncode == 0
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))
    png = tmp_path / "m.png"
    assert _cli("plot", spec, "-o", str(png), "--expand", "--engine", "graphviz").returncode == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _no_graphviz(tmp_path):
    """An environment whose PATH holds no `dot` (but still finds nothing else the CLI needs)."""
    assert not (tmp_path / "dot").exists()
    return {"PATH": str(tmp_path)}


def test_cli_svg_and_png_without_graphviz(tmp_path):
    env = _no_graphviz(tmp_path)
    spec = str(ROOT / "specs/seeds/inception_block.gspec")
    svg = tmp_path / "m.svg"
    done = _cli("plot", spec, "-o", str(svg), "--direction", "LR", "--show-dtype", "--show-params", env=env)
    assert done.returncode == 0, done.stderr
    text = svg.read_text()
    assert text.startswith("<?xml") and 'class="node kind-input"' in text
    assert "params: " in text and "dtype: float32" in text
    png = tmp_path / "m.png"
    pytest.importorskip("resvg_py")
    done = _cli("plot", spec, "-o", str(png), "--expand", env=env)
    assert done.returncode == 0, done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_graphviz_engine_without_graphviz_says_what_to_install(tmp_path):
    out = tmp_path / "m.svg"
    done = _cli("plot", str(ROOT / "specs/seeds/fashion_cnn.gspec"), "-o", str(out), "--engine", "graphviz",
                env=_no_graphviz(tmp_path))
    assert done.returncode == 2
    assert "apt-get install graphviz" in done.stderr and "leave out --engine" in done.stderr
    assert not out.exists()


def test_direction_reaches_every_format(tmp_path):
    spec = graphspec.load(ROOT / "specs/seeds/fashion_cnn.gspec")
    assert plot.to_mermaid(spec, direction="LR").startswith("flowchart LR")
    assert "rankdir=LR;" in plot.to_dot(spec, direction="LR")
    tb = plot.picture(spec, ".svg").decode()
    lr = plot.picture(spec, ".svg", direction="LR").decode()
    width = lambda text: float(re.search(r'<svg[^>]* width="([0-9.]+)"', text).group(1))  # noqa: E731
    assert width(lr) > 2 * width(tb)  # a chain laid out sideways is wide


def test_every_input_is_an_edge_in_mermaid_and_dot():
    """The siamese encoder is one node used twice: Concatenate gets two edges from it, in DOT and
    Mermaid as in the SVG; a block drawn as one node gets one edge per tensor entering it."""
    spec = graphspec.load(ROOT / "specs/seeds/siamese_lstm.gspec")
    dot = plot.to_dot(spec)
    concat = re.search(r'^\s*(n\d+) \[label="[^"]*Concatenate\(', dot, re.M).group(1)
    assert sum(1 for _, b in _edges(dot, "->") if b == concat) == 2
    mmd = plot.to_mermaid(spec)
    assert len(_edges(mmd, "-->")) == len(_edges(dot, "->")) == 6
    collapsed = graphspec.loads(TINY_RESNET)
    dot = plot.to_dot(collapsed)
    blocks = re.findall(r'^\s*(n\d+) \[label="residual', dot, re.M)
    for block in blocks:  # x enters residual's two branches: still one edge into the block's node
        assert sum(1 for _, b in _edges(dot, "->") if b == block) == 1


def test_jupyter_svg_without_graphviz(tmp_path):
    code = ("import graphspec; s = graphspec.load('specs/seeds/siamese_lstm.gspec')._repr_svg_(); "
            "print(s[:5], s.count('class=\"edge\"'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["<?xml", "6"]


def test_cli_rejects_unknown_suffix(tmp_path):
    done = _cli("plot", str(ROOT / "specs/seeds/fashion_cnn.gspec"), "-o", str(tmp_path / "m.jpg"))
    assert done.returncode == 2 and ".mmd" in done.stderr


def test_jupyter_markdown_repr_is_mermaid():
    spec = graphspec.load(ROOT / "specs/seeds/fashion_cnn.gspec")
    assert spec._repr_markdown_().startswith("```mermaid\nflowchart TD")


OPS_SPEC = """
model siamese_l1 {
    input a: (8,)
    input b: (8,)
    layer enc = Dense(4)
    d = ((a -> enc) - (b -> enc)) -> ops.abs()
    output y = d * 0.5 + 1.0 -> ops.mean(axis=-1)
}
"""


def test_operators_and_ops_are_small_operator_nodes(tmp_path):
    """Tensor expressions and keras.ops steps are drawn as operator nodes, with their constant operand."""
    path = tmp_path / "ops.gspec"
    path.write_text(OPS_SPEC, encoding="utf-8")
    result = run_cli("plot", str(path), "-o", str(tmp_path / "ops.mmd"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    mermaid = (tmp_path / "ops.mmd").read_text(encoding="utf-8")
    for label in ('(("-<br/>(None, 4)"))', '(("ops.abs()', '(("* 0.5', '(("+ 1.0', '(("ops.mean(axis=-1'):
        assert label in mermaid, label
    assert len(_edges(mermaid, "-->")) >= 9  # both uses of `enc` feed the subtraction
    result = run_cli("plot", str(path), "-o", str(tmp_path / "ops.svg"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    svg = (tmp_path / "ops.svg").read_text(encoding="utf-8")
    assert "* 0.5" in svg and "ops.abs()" in svg
