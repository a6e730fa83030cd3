"""Issue 14 (plot): hostile strings in a spec never break out of a Mermaid or DOT label, and drawing is linear.

Each picture is parsed back: DOT with a small tokenizer for the subset `plot` writes (and by
Graphviz when it is installed), Mermaid by its line structure. A label must decode to exactly
the text it was built from, with no payload character left raw.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import pytest

import graphspec
from graphspec.backends import plot
from conftest import run_cli
from graphspec.text import label_value, quote

# Strings that would close a quoted label, start a statement, open markup, read as an entity or a
# DOT escape, or start a new line / a terminal sequence, in one or the other syntax.
PAYLOADS = [
    '"]; n0 --> n1; click n0 call alert(1) %% ',
    '"]\nend\nsubgraph x["',
    '"; n0 -> n1 [label="pwn',
    "</text><script>alert(1)</script>",
    "&amp;#quot;#35;&lt;",
    "\\N\\G\\l\\",
    "`**md**`",
    "\x1b[31mred\x07\x00\r\u202eevil",
    "{}[]()|;:,#%",
]


def _spec_text(payload: str) -> str:
    lit = quote(payload)
    return (
        "model m {\n"
        "    input x: (4,) string\n"
        f"    y = x -> StringLookup(oov_token={lit}, mask_token={lit}, vocabulary=[{lit}])\n"
        "    output z = y -> Dense(2)\n"
        "}\n"
    )


# ------------------------------------------------------------------ a DOT reader for what plot writes

_DOT_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<id>[A-Za-z_][A-Za-z0-9_.]*|-?\d+(?:\.\d+)?)'
                        r'|(?P<op>->|[{}\[\];,=]))', re.S)


def _dot_tokens(text: str):
    pos, out = 0, []
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _DOT_TOKEN.match(text, pos)
        assert m, f"DOT does not tokenize at {text[pos:pos + 40]!r}"
        pos = m.end()
        out.append(next((k, v) for k, v in m.groupdict().items() if v is not None))
    return out


def _unquote_dot(s: str) -> str:
    body = s[1:-1]
    assert re.fullmatch(r'(?:[^"\\]|\\[\\"n])*', body, re.S), f"stray escape in {s!r}"
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), body)


def parse_dot(text: str) -> dict:
    """{"nodes": {id: label}, "edges": [(a, b)], "clusters": [label]}; fails on anything unexpected."""
    toks = _dot_tokens(text)
    assert toks[:2] == [("id", "digraph"), toks[1]] and toks[1][0] in ("id", "str") and toks[2] == ("op", "{")
    nodes, edges, clusters, depth, i = {}, [], [], 1, 3

    def attrs(i):
        assert toks[i] == ("op", "[")
        i += 1
        found = {}
        while toks[i] != ("op", "]"):
            key = toks[i][1]
            assert toks[i + 1] == ("op", "="), toks[i:i + 3]
            found[key] = toks[i + 2]
            i += 3
            if toks[i] == ("op", ","):
                i += 1
        return found, i + 1

    while depth:
        kind, value = toks[i]
        if (kind, value) == ("op", "}"):
            depth, i = depth - 1, i + 1
            continue
        if (kind, value) == ("op", ";"):
            i += 1
            continue
        assert kind == "id", f"unexpected {toks[i]}"
        if value == "subgraph":
            assert toks[i + 1][0] == "id" and toks[i + 2] == ("op", "{")
            depth, i = depth + 1, i + 3
        elif value in ("graph", "node", "edge"):
            _, i = attrs(i + 1)
        elif toks[i + 1] == ("op", "="):  # a graph attribute: label="..."
            if value == "label":
                clusters.append(_unquote_dot(toks[i + 2][1]))
            i += 3
        elif toks[i + 1] == ("op", "->"):
            edges.append((value, toks[i + 2][1]))
            i += 3
        else:
            found, i = attrs(i + 1)
            assert found["label"][0] == "str"
            nodes[value] = _unquote_dot(found["label"][1])
    assert i == len(toks), "text after the graph"
    return {"nodes": nodes, "edges": edges, "clusters": clusters}


def _decode_entities(label: str, table: dict) -> str:
    return re.sub(r"&(\w+);|#(\w+);", lambda m: table[m.group(1) or m.group(2)], label)


_DOT_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_MERMAID_ENTITIES = {"quot": '"', "lt": "<", "gt": ">", "amp": "&", "35": "#", "96": "`"}
_MERMAID_NODE = re.compile(r'^\s+(n\d+)(\(\["|\[\["|\{\{"|\[")(.*)("\]\)|"\]\]|"\}\}|"\])$')
_MERMAID_EDGE = re.compile(r"^\s+(n\d+) --> (n\d+)$")
_MERMAID_SUB = re.compile(r'^\s+subgraph (c\d+)\["([^"]*)"\]$')


def parse_mermaid(text: str) -> dict:
    """Every line is a node, an edge, a subgraph start or end; labels decoded."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    nodes, edges, depth = {}, [], 0
    for line in lines[1:]:
        if m := _MERMAID_NODE.match(line):
            assert '"' not in m.group(3), line
            nodes[m.group(1)] = m.group(3)
        elif m := _MERMAID_EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        elif _MERMAID_SUB.match(line):
            depth += 1
        elif line.strip() == "end":
            depth -= 1
            assert depth >= 0
        else:
            pytest.fail(f"a line that is no Mermaid statement of ours: {line!r}")
    assert depth == 0
    return {"nodes": nodes, "edges": edges}


def _no_raw(label: str) -> None:
    assert not re.search("[\x00-\x1f\x7f\u202e]", label), f"raw control character in {label!r}"


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_14_plot_hostile_strings_stay_inside_dot_labels(payload):
    spec = graphspec.loads(_spec_text(payload))
    for expand in (False, True):
        text = plot.to_dot(spec, expand=expand)
        _no_raw(text.replace("\n", ""))  # the only raw control character is the line break between statements
        parsed = parse_dot(text)
        assert len(parsed["nodes"]) == 4 and len(parsed["edges"]) == 3
        for label in parsed["nodes"].values():
            assert len(label.split("\n")) in (2, 3), label  # name, [call,] shapes: no line added by the payload
            assert not re.search("[<>]", label) and not re.search(r"&(?!amp;|lt;|gt;)", label)
        lookup = next(v for v in parsed["nodes"].values() if "StringLookup(" in v)
        decoded = _decode_entities(lookup, _DOT_ENTITIES)
        # What is shown is the value in spec spelling (cut to MAX_ARG_CHARS), nothing raw.
        first = f"oov_token={label_value(payload)}"
        shown = first if len(first) <= plot.MAX_ARG_CHARS else first[: plot.MAX_ARG_CHARS - 3] + "..."
        assert decoded.split("\n")[1].startswith(f"StringLookup({shown}")


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_14_plot_hostile_strings_stay_inside_mermaid_labels(payload):
    spec = graphspec.loads(_spec_text(payload))
    text = plot.to_mermaid(spec)
    _no_raw(text.replace("\n", ""))
    parsed = parse_mermaid(text)
    assert len(parsed["nodes"]) == 4 and parsed["edges"] == [("n0", "n1"), ("n1", "n2"), ("n2", "n3")]
    for label in parsed["nodes"].values():
        _no_raw(label)
        assert not re.search("[<>&\"`]", label.replace("<br/>", "")), label
        assert not re.search(r"#(?!quot;|lt;|gt;|amp;|35;|96;)", label), label
    lookup = next(v for v in parsed["nodes"].values() if "StringLookup(" in v)
    decoded = _decode_entities(lookup, _MERMAID_ENTITIES).split("<br/>")
    first = f"oov_token={label_value(payload)}"
    shown = first if len(first) <= plot.MAX_ARG_CHARS else first[: plot.MAX_ARG_CHARS - 3] + "..."
    assert len(decoded) == 3 and decoded[1].startswith(f"StringLookup({shown}")


def test_14_plot_label_escapers_round_trip_every_character():
    # Every special character of either syntax, and controls, in one line: decoded back exactly
    # to the visible text (controls become escapes, never raw).
    line = "".join(chr(c) for c in range(0x20, 0x7f)) + "\u00e9\u4e2d"
    dot = plot._dot_label((line, line))
    assert _decode_entities(_unquote_dot(f'"{dot}"'), _DOT_ENTITIES) == f"{line}\n{line}"
    mmd = plot._mermaid_label((line, "\x1b\n"))
    parts = mmd.split("<br/>")
    assert _decode_entities(parts[0], _MERMAID_ENTITIES) == line and parts[1] == "\\u001b\\n"


def test_14_plot_cli_writes_parseable_hostile_pictures(tmp_path):
    spec = tmp_path / "h.gspec"
    spec.write_text(_spec_text(PAYLOADS[0] + PAYLOADS[1] + PAYLOADS[3]), encoding="utf-8")
    for suffix, parse in ((".dot", parse_dot), (".mmd", parse_mermaid)):
        out = tmp_path / f"h{suffix}"
        done = run_cli("plot", str(spec), "-o", str(out), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert len(parse(out.read_text(encoding="utf-8"))["nodes"]) == 4


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_14_plot_graphviz_reads_hostile_dot_and_svg_has_no_markup(payload):
    dot = plot.to_dot(graphspec.loads(_spec_text(payload)), expand=True)
    done = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    svg = done.stdout.decode()
    assert "<script" not in svg and "alert(1)</script>" not in svg


def test_14_9_plot_is_linear_in_the_edges():
    # A list-membership test per edge made 60k nodes take minutes; 4x the nodes must cost about 4x.
    def timed(units: int) -> float:
        text = ("model m {\n    input x: (8,)\n    h = x\n"
                f"    repeat {units} {{\n        a = h -> Dense(8)\n        h = (a, h) -> Add()\n    }}\n"
                "    output y = h\n}\n")
        spec = graphspec.loads(text)
        best = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            plot.to_mermaid(spec)
            plot.to_dot(spec)
            best = min(best, time.perf_counter() - start)
        return best

    small, large = timed(2_000), timed(8_000)
    assert large < 10 * small, (small, large)
