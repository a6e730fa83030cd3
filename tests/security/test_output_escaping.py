"""Issue 14 finding 5: text a spec controls never starts, restyles or reorders an output line.

Real CLI runs on hostile specs and file names. In the default text format no output line
begins with `::` (a GitHub Actions workflow command) and no raw control or bidi character
is printed; `--format github` prints exactly one annotation line per diagnostic and
`--format json` stays valid JSON with every such character escaped.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import run_cli
from graphspec.text import spec_value

# What a terminal or a CI log acts on: C0/C1 controls except the line break itself, separators,
# bidi embeddings/overrides/isolates/marks.
_RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")

INJECTION = "::error file=README.md,line=1::pwned"


def _assert_safe(output: str, github: bool = False) -> None:
    for line in output.split("\n"):
        assert not line.startswith("::") or github, f"an output line is a workflow command: {line!r}"
        found = _RAW.search(line)
        assert found is None, f"raw {found.group()!r} in output line {line!r}"


def _write(path, text: str):
    path.write_bytes(text.encode("utf-8"))
    return path


def test_14_5_newline_in_import_path_cannot_start_a_line(tmp_path):
    _write(tmp_path / "m.gspec", f'import "x\\n{INJECTION}.gspec"\nmodel m {{\n  input a: (3,)\n  output y = a\n}}\n')
    proc = run_cli("check", "m.gspec", cwd=tmp_path)
    assert proc.returncode == 1
    _assert_safe(proc.stdout + proc.stderr)
    assert f"x\\n{INJECTION}" in proc.stdout  # shown, escaped, on the message's own line


def test_14_5_strings_in_messages_and_source_lines_are_escaped(tmp_path):
    # Escapes in a string (tab, newline, ESC, RLO) and the same characters raw in the source text.
    spec = ('model m {\n  input a: (3,)\n'
            f'  output y = a -> Conv1D(2, 1, padding="sa\\tme\\n{INJECTION}\\u202e\\u001b[2J")\n'
            '  output z = a -> Dense(4, name="r\x1b[31m\u202eq\u2066") -> Dense(0)\n}\n')
    _write(tmp_path / "m.gspec", spec)
    proc = run_cli("check", "m.gspec", cwd=tmp_path)
    assert proc.returncode == 1
    out = proc.stdout
    _assert_safe(out + proc.stderr)
    assert f'received padding="sa\\tme\\n{INJECTION}\\u202e\\u001b[2J"' in out
    # The caret still points at `0` of the last `Dense(0)` although the line before it grew escapes.
    lines = out.split("\n")
    source_at = next(i for i, l in enumerate(lines) if "units" in l and "received units=0" in l)
    shown, caret = lines[source_at + 3], lines[source_at + 4]
    assert "\\u001b[31m\\u202eq\\u2066" in shown
    assert shown[caret.index("^")] == "0" and shown[caret.index("^") - 6:caret.index("^")] == "Dense("


def test_14_5_hostile_file_names_are_escaped(tmp_path):
    name = f"bad\n{INJECTION}\x1b[31m\u202e.gspec"
    _write(tmp_path / name, "model m {\n  input a: (3,)\n  output y = a -> Dense(0)\n}\n")
    for args in (("check", name), ("check", "missing" + name), ("summary", name), ("ir", name)):
        proc = run_cli(*args, cwd=tmp_path)
        assert proc.returncode in (1, 2), args
        _assert_safe(proc.stdout + proc.stderr)
        assert "bad\\n::error" in proc.stdout + proc.stderr, args


def test_14_5_github_format_is_one_annotation_per_diagnostic(tmp_path):
    name = f"f\n{INJECTION}.gspec"
    _write(tmp_path / name, 'model m {\n  input a: (3,)\n'
                            '  output y = a -> Dense(0, name="q\\n::warning::w\\u202e")\n}\n')
    text = run_cli("check", "--format", "json", name, cwd=tmp_path)
    count = len(json.loads(text.stdout))
    proc = run_cli("check", "--format", "github", name, cwd=tmp_path)
    lines = [l for l in proc.stdout.split("\n") if l]
    assert len(lines) == count >= 2
    for line in lines:
        assert re.match(r"::(error|warning) file=f%0A%3A%3Aerror file=README\.md%2Cline=1%3A%3Apwned\.gspec,", line), line
    _assert_safe(proc.stdout, github=True)


def test_14_5_json_format_escapes_everything(tmp_path):
    _write(tmp_path / "m.gspec", 'model m {\n  input a: (3,)\n'
                                 '  output y = a -> Conv1D(2, 1, padding="\\u202e\\n\\u001b\x1b\u2067")\n}\n')
    proc = run_cli("check", "--format", "json", "m.gspec", cwd=tmp_path)
    _assert_safe(proc.stdout)
    assert proc.stdout.isascii()
    (diag,) = [d for d in json.loads(proc.stdout) if d["code"] == "E305"]
    # The value itself once decoded: raw as catalog/params.show writes it today, or as text.spec_value does.
    value = "\u202e\n\x1b\x1b\u2067"
    assert f"padding={spec_value(value)}" in diag["message"] or f'padding="{value}"' in diag["message"]


def test_14_5_diff_escapes_strings(tmp_path):
    for n, v in (("a", "v\\u202e"), ("b", "w\\u202e")):
        _write(tmp_path / f"{n}.gspec", 'model m {\n  input a: (3,)\n'
                                        f'  output y = a -> Dense(4, kernel_initializer=Constant("{v}"))\n}}\n')
    proc = run_cli("diff", "a.gspec", "b.gspec", cwd=tmp_path)
    _assert_safe(proc.stdout + proc.stderr)


def test_14_5_fmt_check_escapes_file_names(tmp_path):
    name = f"bad\n{INJECTION}.gspec"
    _write(tmp_path / name, "model m {\ninput a: (3,)\n  output y = a\n}\n")
    proc = run_cli("fmt", "--check", name, cwd=tmp_path)
    assert proc.returncode == 1
    _assert_safe(proc.stdout + proc.stderr)


def test_14_5_spec_error_is_one_line(tmp_path):
    # The API's exception text lands in logs and tracebacks: it must not start a line either.
    script = ("import graphspec\n"
              "try:\n"
              f"    graphspec.loads('import \"x\\\\n{INJECTION}\\\\u202e.gspec\"\\nmodel m {{ input a: (3,)\\n output y = a }}\\n')\n"
              "except graphspec.SpecError as exc:\n"
              "    print(exc)\n")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and f"x\\n{INJECTION}\\u202e" in done.stdout
    _assert_safe(done.stdout)
