"""Fuzzing every command, bounded in time: mutated specs through check, summary, ir, plot, fmt
(in place), diff and compile -o x.py; mutated .keras files through import.

In process through `graphspec.cli.main` (the same code the console script runs), from a
scratch working directory with no project configuration, so no plugin can run. For every
input: no exception escapes, the exit status is 0, 1 or 2, and what a command promises holds:
`fmt` in place keeps a clean spec's IR and its comments, and generated Python compiles.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphspec import cli
from test_fuzz import mutated_specs  # one mutation strategy for every fuzz test

pytestmark = pytest.mark.slow

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


def run(*argv: str) -> tuple:
    """One in-process CLI run: (exit status, stdout, stderr); fails on an escaping exception."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(list(argv))
        except SystemExit as exc:  # argparse's own exit is allowed; it is 0 or 2
            status = exc.code
    assert status in (0, 1, 2), (argv, status, err.getvalue())
    assert "Traceback" not in err.getvalue(), err.getvalue()
    return status, out.getvalue(), err.getvalue()


def _without_spans(value):
    """IR JSON minus source positions: what formatting may move without changing the model."""
    if isinstance(value, dict):
        return {k: _without_spans(v) for k, v in value.items() if k not in ("span", "spans", "file")}
    if isinstance(value, list):
        return [_without_spans(v) for v in value]
    return value


def _comments(text: str) -> list:
    return [line.split("#", 1)[1].strip() for line in text.splitlines() if line.lstrip().startswith("#")]


@FUZZ
@given(case=mutated_specs())
def test_every_command_on_mutated_specs(tmp_path_factory, monkeypatch, case):
    _, text = case
    work = tmp_path_factory.mktemp("fuzz")
    monkeypatch.chdir(work)
    spec = work / "fuzz.gspec"
    spec.write_text(text, encoding="utf-8", errors="surrogatepass")
    status, _, _ = run("check", str(spec))
    for argv in (("summary", str(spec)), ("ir", str(spec)), ("fmt", "--check", str(spec)),
                 ("plot", str(spec), "-o", str(work / "m.mmd")), ("plot", str(spec), "-o", str(work / "m.dot"))):
        run(*argv)

    code_status, _, _ = run("compile", str(spec), "-o", str(work / "m.py"))
    if code_status == 0:
        compile((work / "m.py").read_text(encoding="utf-8"), "m.py", "exec")  # generated Python is valid
    assert not list(work.glob(".*tmp*")) and not list(work.glob("*.tmp")), list(work.iterdir())

    other = work / "other.gspec"
    other.write_text(text[: len(text) // 2], encoding="utf-8", errors="surrogatepass")
    run("diff", str(spec), str(other))

    ir_status, before_ir, _ = run("ir", str(spec))
    fmt_status, _, _ = run("fmt", str(spec))
    if status == 0 and ir_status == 0:  # a clean spec: formatting in place changes neither the model nor the comments
        assert fmt_status == 0
        after = spec.read_text(encoding="utf-8")
        assert _without_spans(json.loads(run("ir", str(spec))[1])) == _without_spans(json.loads(before_ir))
        assert _comments(after) == _comments(text)


# ------------------------------------------------------------------ import of mutated .keras files


@pytest.fixture(scope="module")
def seed_keras(tmp_path_factory) -> Path:
    """A real .keras file of a small two-input model, saved by Keras."""
    import graphspec

    root = Path(__file__).resolve().parents[2]
    path = tmp_path_factory.mktemp("seed") / "ticket_router.keras"
    graphspec.load(root / "specs" / "seeds" / "ticket_router.gspec").to_keras().save(path)
    return path


def _mutate_config(config, draw):
    """A few random edits of a Keras model config: numbers, strings, dropped keys, odd types."""
    items = []

    def walk(node, parent, key):
        items.append((parent, key, node))
        if isinstance(node, dict):
            for k, v in list(node.items()):
                walk(v, node, k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, node, i)

    walk(config, None, None)
    odd = st.sampled_from([None, -1, 0, 2**31, 1e308, "", "Lambda", "TFSMLayer", [], {}, [[None]], "x" * 300,
                           "../../etc/passwd", {"class_name": "Lambda", "config": {}}, True])
    for _ in range(draw(st.integers(1, 5))):
        parent, key, node = items[draw(st.integers(0, len(items) - 1))]
        if parent is None:
            continue
        if draw(st.booleans()) and isinstance(parent, dict):
            parent.pop(key, None)
        else:
            parent[key] = draw(odd)
    return config


@FUZZ
@given(data=st.data())
def test_import_of_mutated_keras_files(tmp_path_factory, monkeypatch, seed_keras, data):
    work = tmp_path_factory.mktemp("imp")
    monkeypatch.chdir(work)
    with zipfile.ZipFile(seed_keras) as zin:
        members = {name: zin.read(name) for name in zin.namelist()}
    config = _mutate_config(json.loads(members["config.json"]), data.draw)
    members["config.json"] = json.dumps(config).encode()
    if data.draw(st.booleans()):  # sometimes damage the raw bytes too
        raw = bytearray(members["config.json"])
        if raw:
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] = data.draw(st.integers(0, 255))
        members["config.json"] = bytes(raw)
    bad = work / "m.keras"
    with zipfile.ZipFile(bad, "w") as zout:
        for name, payload in members.items():
            zout.writestr(name, payload)
    status, out, _ = run("import", str(bad), "-o", str(work / "m.gspec"))
    if status == 0:  # what import writes is a spec that at least parses and checks without a crash
        run("check", str(work / "m.gspec"))
    assert not re.search(r"Traceback", out)
