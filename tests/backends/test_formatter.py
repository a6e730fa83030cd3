"""`graphspec fmt`: the canonical layout, printed from the syntax tree, comments kept.

- golden files: tests/fixtures/fmt/<name>.gspec (messy) -> <name>.formatted.gspec
  (GRAPHSPEC_UPDATE_GOLDENS=1 rewrites them); the formatted goldens are fixed points;
- every .gspec under specs/ and tests/fixtures/ that parses: formatting is idempotent,
  gives the same syntax tree (spans aside), the same checked IR (or, for a spec with
  errors, the same diagnostic codes), and keeps every comment;
- hypothesis: random whitespace, newlines and comments between the tokens of those
  specs, and randomly generated specs (chains of layers, tuple sources, repeats,
  compile blocks, literal spellings), formatted: idempotent, same tree, same IR,
  every comment kept; whitespace inside statements never changes the output;
- the CLI in a subprocess: `fmt --check` exit codes and diff, rewriting in place,
  stdin to stdout, a file with syntax errors left untouched.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Set, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphspec.syntax.format import WIDTH, format_module, format_source, quote
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.api import from_program
from graphspec.passes.check import check_text
from graphspec.record import Record
from graphspec.source import Source, Span
from graphspec.syntax import ast
from graphspec.syntax.comments import scan_comments
from graphspec.syntax.parse import parse

ROOT = Path(__file__).parents[2]
FMT = ROOT / "tests" / "fixtures" / "fmt"
UPDATE = os.environ.get("GRAPHSPEC_UPDATE_GOLDENS") == "1"


# ---------------------------------------------------------------- helpers


def _parse(text: str, name: str = "<test>") -> Optional[ast.Module]:
    return parse(Source(name, text), Diagnostics())


def fmt(text: str, name: str = "<test>") -> str:
    out, diags = format_source(Source(name, text))
    assert out is not None, [d.message for d in diags.items]
    return out


_NOT_SYNTAX = {"span", "name_span", "key_span", "dtype_span", "text", "source"}


def tree(node):
    """The syntax tree without positions (and without a number's spelling)."""
    if isinstance(node, Record):
        return (type(node).__name__,) + tuple((f, tree(getattr(node, f))) for f in node._fields
                                              if f not in _NOT_SYNTAX)
    if isinstance(node, Span):
        return None
    if isinstance(node, (list, tuple)):
        return tuple(tree(x) for x in node)
    return node


def _no_spans(data):
    if isinstance(data, dict):
        return {k: _no_spans(v) for k, v in data.items() if k != "span"}
    if isinstance(data, list):
        return [_no_spans(v) for v in data]
    return data


def checked(text: str, path: Path):
    """(IR without spans, or None; sorted diagnostic codes) of `text` read as if it were `path`."""
    diags = Diagnostics()
    program, _ = check_text(text, diags, name=str(path), base=path.parent)
    ir = _no_spans(from_program(program).model_dump(mode="json")) if program is not None else None
    return ir, sorted(d.code for d in diags.items)


def assert_comments_kept(before: str, after: str) -> None:
    """Every comment of `before` is in `after`; comments put on one line are joined by two spaces."""
    old = [c[2] for c in scan_comments(before)]
    new = [c[2] for c in scan_comments(after)]
    for text in old:
        assert any(text in n for n in new), f"comment lost: {text!r}"
    assert sum(map(len, new)) == sum(map(len, old)) + 2 * (len(old) - len(new)), (old, new)


def assert_formats_well(text: str, path: Path, expected_ir=None) -> str:
    """Format `text`: idempotent, same tree, comments kept, same checked IR; return the output."""
    before = _parse(text, str(path))
    assert before is not None
    out = fmt(text, str(path))
    assert fmt(out, str(path)) == out, "formatting is not idempotent"
    after = _parse(out, str(path))
    assert after is not None, out
    assert tree(after) == tree(before)
    assert_comments_kept(text, out)
    if expected_ir is None:
        expected_ir = checked(text, path)
    assert checked(out, path) == expected_ir
    return out


def _parses(path: Path) -> bool:
    try:
        return _parse(path.read_text(encoding="utf-8"), str(path)) is not None
    except UnicodeDecodeError:
        return False


# Globbed when the tests are collected: specs added to specs/ (the zoo grows) are included.
ALL_SPECS = [p for p in sorted(ROOT.glob("specs/**/*.gspec")) + sorted((ROOT / "tests" / "fixtures").glob("**/*.gspec"))
             if _parses(p)]
GOLDEN_INPUTS = sorted(p for p in FMT.glob("*.gspec") if not p.name.endswith(".formatted.gspec"))


def _id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# ---------------------------------------------------------------- goldens


@pytest.mark.parametrize("path", GOLDEN_INPUTS, ids=lambda p: p.stem)
def test_golden(path: Path):
    out = assert_formats_well(path.read_text(encoding="utf-8"), path)
    golden = path.with_name(path.stem + ".formatted.gspec")
    if UPDATE:
        golden.write_text(out, encoding="utf-8")
    assert golden.is_file(), f"{golden.name} is missing: run with GRAPHSPEC_UPDATE_GOLDENS=1"
    assert out == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", GOLDEN_INPUTS, ids=lambda p: p.stem)
def test_golden_output_is_a_fixed_point(path: Path):
    golden = path.with_name(path.stem + ".formatted.gspec")
    text = golden.read_text(encoding="utf-8")
    assert fmt(text, str(path)) == text


def test_goldens_cover_the_rules():
    text = "".join(p.with_name(p.stem + ".formatted.gspec").read_text(encoding="utf-8") for p in GOLDEN_INPUTS)
    for piece in ['"it\'s \\"quoted\\"\\ttab \\\\ backslash"', "= 1e-3", "= 1.0e-7", "(3,)", "{priority: 1.0",
                  '"model": 5', "(2 + 3) * 4", "(1, 2, 3)[1 + 1]", "repeat 2 as i {", "block conv_bn(filters, kernel=3, strides=1) {",
                  "        -> Conv2D(", "    ) -> Concatenate() -> Dense(16)", "model child extends long_chains {",
                  "    compile {\n        optimizer = ", "model empty {}"]:
        assert piece in text, piece


# ---------------------------------------------------------------- every spec


@pytest.mark.parametrize("path", ALL_SPECS, ids=_id)
def test_every_spec_formats_well(path: Path):
    out = assert_formats_well(path.read_text(encoding="utf-8"), path)
    # A line longer than 88 columns (comments aside) holds at most one step of a chain.
    comment_at = {line: col for line, col, _ in scan_comments(out)}
    code = [text[: comment_at.get(n, 0) - 1].rstrip() if n in comment_at else text
            for n, text in enumerate(out.splitlines(), 1)]
    assert [c for c in code if len(c) > WIDTH and c.count("->") > 1] == []


def test_the_specs_are_there():
    names = {p.name for p in ALL_SPECS}
    assert {"fashion_cnn.gspec", "ticket_router.gspec", "simple_dense.gspec"} <= names
    assert len(GOLDEN_INPUTS) >= 4


# ---------------------------------------------------------------- rules, one by one


def test_layout_rules():
    out = fmt("import 'b.gspec' model m{input x:(28,28,1) output y=x->Flatten()->Dense(10,activation='softmax')}"
              " const c=1")
    assert out == (
        'import "b.gspec"\n'
        "\n"
        "model m {\n"
        "    input x: (28, 28, 1)\n"
        '    output y = x -> Flatten() -> Dense(10, activation="softmax")\n'
        "}\n"
        "\n"
        "const c = 1\n"
    )


def test_a_chain_breaks_exactly_past_88_columns():
    def spec(units: int) -> str:
        return "model m {\n    input x: (3,)\n    output y = x -> Dense(%d) -> Dense(%d)\n}\n" % (units, units)

    # `    output y = x -> Dense(N) -> Dense(N)` is 38 columns and the digits: 88, then 90.
    fits = spec(int("1" * 25))
    assert len(fits.splitlines()[2]) == 88
    assert fmt(fits) == fits
    over = fmt(spec(int("1" * 26)))
    assert over.splitlines()[2:5] == ["    output y = x", "        -> Dense(%s)" % ("1" * 26), "        -> Dense(%s)" % ("1" * 26)]


def test_consecutive_consts_and_imports_keep_the_source_blank_lines():
    text = "import 'a.gspec'\nimport 'b.gspec'\n\nimport 'c.gspec'\nconst a = 1\nconst b = 2\n\n\n\nconst c = 3\n"
    assert fmt(text) == ('import "a.gspec"\nimport "b.gspec"\n\nimport "c.gspec"\n\nconst a = 1\nconst b = 2\n\n'
                         "const c = 3\n")


def test_top_level_order_is_kept():
    text = "model z { input x output y = x }\nblock b { input x output y = x }\nconst a = 1\nmodel a { input x output y = x }\n"
    names = [line.split()[1] for line in fmt(text).splitlines() if line and not line.startswith(" ")
             and line[0] != "}"]
    assert names == ["z", "b", "a", "a"]


@pytest.mark.parametrize("value", ["", "a", 'say "hi"', "it's", "back\\slash", "tab\there", "new\nline", "\x00\x7f",
                                   "café ☕", "\u2028", "\U0001f600", "\ud800"])
def test_strings_round_trip(value):
    module = _parse(f"const s = {quote(value)}")
    assert module is not None and module.consts[0].value.value == value


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_string_round_trips(value):
    module = _parse(f"const s = {quote(value)}")
    assert module is not None and module.consts[0].value.value == value


def test_numbers_keep_their_spelling():
    out = fmt("const a = 1E-3\nconst b = 0.0010\nconst c = 2.\nconst d = 007\nconst e = 1.5e+10\n"
              f"const f = {'9' * 40}\n")
    assert out == (f"const a = 1e-3\nconst b = 0.0010\nconst c = 2.0\nconst d = 7\nconst e = 1.5e+10\n"
                   f"const f = {'9' * 40}\n")


def test_format_module_takes_the_tree_and_the_comments():
    text = "model m { input x: (3,)  # c\n output y = x }\n"
    module = _parse(text)
    out = format_module(module, scan_comments(text))
    assert out == "model m {\n    input x: (3,)  # c\n    output y = x\n}\n"


def test_scan_comments_skips_strings():
    text = 'const a = "# not a comment" # one\n  # two\nconst b = \'#\\\'#\'  #three  \n'
    assert scan_comments(text) == [(1, 29, "# one"), (2, 3, "# two"), (3, 19, "#three")]


def test_a_comment_between_steps_keeps_the_chain_broken():
    text = "model m {\n    input x: (3,)\n    output y = x\n        -> Dense(2)  # two\n        -> Dense(1)\n}\n"
    assert fmt(text) == text
    # and without the comment the chain joins up
    assert "output y = x -> Dense(2) -> Dense(1)\n" in fmt(text.replace("  # two", ""))


def test_empty_and_comment_only_files():
    assert fmt("") == ""
    assert fmt("\n\n   \n") == ""
    assert fmt("# only\n\n\n# comments   \n") == "# only\n\n# comments\n"


# ---------------------------------------------------------------- hypothesis: perturbing real specs

_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\n\f]+)
  | (?P<comment>\#[^\n]*)
  | (?P<tok>"(?:[^"\\\n]|\\[^\n])*"|'(?:[^'\\\n]|\\[^\n])*'
           |->|//|\*\*|\.\.\.|ops\.[A-Za-z_][A-Za-z0-9_]*|[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|[0-9]+|[A-Za-z_][A-Za-z0-9_]*|.)
""", re.X)


def tokens(text: str) -> Tuple[List[str], List[str], List[int]]:
    """(tokens, gaps, token start offsets): text == gaps[0] + toks[0] + gaps[1] + ... + toks[-1] + gaps[-1]."""
    toks, gaps, starts = [], [""], []
    for m in _TOKEN.finditer(text):
        if m.lastgroup == "ws":
            gaps[-1] += m.group()
        else:
            toks.append(m.group())
            starts.append(m.start())
            gaps.append("")
    assert "".join(g + t for g, t in zip(gaps, toks)) + gaps[-1] == text
    return toks, gaps, starts


def join(toks: List[str], gaps: List[str]) -> str:
    return "".join(g + t for g, t in zip(gaps, toks)) + gaps[-1]


_SEPARATORS = [" ", "\n", "\n\n", "\t", "   \n        ", " # noise\n", "\n# noise on its own line\n",
               "\n\n# noise after a blank line\n\n", "#noise-without-space\n", "\n\n\n"]


def perturb(text: str, edits) -> str:
    """Replace the whitespace between some tokens; every inserted comment is numbered, to find it again."""
    toks, gaps, _ = tokens(text)
    for k, (index, sep) in enumerate(edits):
        i = index % (len(toks) + 1)
        sep = sep.replace("noise", f"noise{k}")
        if i > 0 and toks[i - 1].startswith("#") and not sep.startswith("\n"):
            sep = "\n" + sep  # the comment before must keep its end of line
        if "//" in toks[max(i - 1, 0):i + 1] and "\n" in sep:
            sep = " "  # `//` first or last on its line is diagnosed as a C-style comment (E100), by design
        gaps[i] = sep
    return join(toks, gaps)


def _perturbable() -> List[Path]:
    return [p for p in ALL_SPECS if "diagnostics" not in p.parts]


@lru_cache(maxsize=None)
def _original(path: Path):
    text = path.read_text(encoding="utf-8")
    return text, tree(_parse(text, str(path))), checked(text, path)


_EDITS = st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(_SEPARATORS)), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(_perturbable()), edits=_EDITS)
def test_random_whitespace_and_comments_in_the_specs(path, edits):
    text, want_tree, want_ir = _original(path)
    messy = perturb(text, edits)
    module = _parse(messy, str(path))
    assert module is not None, messy
    assert tree(module) == want_tree
    assert_formats_well(messy, path, expected_ir=want_ir)


def _line_starts(module: ast.Module) -> Set[Tuple[int, int]]:
    """Where items, statements, settings and tuple-source elements start: the formatter looks at the
    source lines above these (to keep blank lines), so whitespace before them is not free."""
    out: Set[Tuple[int, int]] = set()

    def chain(c):
        src = c.source
        if isinstance(src, ast.TupleSource):
            for item in src.items:
                out.add((item.span.line, item.span.col))
                chain(item)
        elif isinstance(src, ast.Chain):
            chain(src)

    def body(stmts):
        for s in stmts:
            out.add((s.span.line, s.span.col))
            if isinstance(s, ast.RepeatStmt):
                body(s.body)
            elif isinstance(s, ast.SettingsStmt):
                out.update((x.key_span.line, x.key_span.col) for x in s.settings)
            elif isinstance(s, (ast.BindStmt, ast.OutputStmt)) and s.chain is not None:
                chain(s.chain)

    for item in [*module.imports, *module.consts, *module.blocks, *module.models]:
        out.add((item.span.line, item.span.col))
        if isinstance(item, (ast.BlockDef, ast.ModelDef)):
            body(item.body)
    return out


@lru_cache(maxsize=None)
def _formatted(path: Path) -> str:
    return fmt(path.read_text(encoding="utf-8"), str(path))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(_perturbable()),
       edits=st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from([" ", "\n", "\t", "  \n      ", ""])),
                      max_size=60))
def test_whitespace_inside_statements_never_changes_the_output(path, edits):
    """The layout is the tree's: newlines and spaces inside a statement make no difference."""
    base = _formatted(path)
    source = Source(str(path), base)
    starts = _line_starts(_parse(base, str(path)))
    toks, gaps, offsets = tokens(base)
    for index, sep in edits:
        i = index % (len(toks) + 1)
        if i == 0 or i == len(toks):
            continue
        if toks[i - 1].startswith("#") or toks[i].startswith("#") or source.position(offsets[i]) in starts:
            continue
        if not sep and (gaps[i] or re.match(r"\w", toks[i - 1][-1]) and re.match(r"\w", toks[i][0])):
            sep = " "
        if "//" in toks[i - 1:i + 1] and "\n" in sep:
            sep = " "  # `//` first or last on its line is diagnosed as a C-style comment (E100), by design
        gaps[i] = sep
    messy = join(toks, gaps)
    assert fmt(messy, str(path)) == base, messy


# ---------------------------------------------------------------- hypothesis: random specs

_FLOATS = {"rate": ["0.5", "5e-1", "0.25", "2.5E-1", "0.1", "1e-1", "0.125"],
           "lr": ["1e-3", "0.001", "1E-3", "1.e-3", "3e-4", "0.0003", "1.", "2.5e-2"],
           "eps": ["1e-3", "0.001", "1.001e-5", "1e-05"]}
_ACTIVATIONS = ["relu", "tanh", "sigmoid", "gelu", "softmax", "linear"]


def _string(draw, value: str) -> str:
    return draw(st.sampled_from([f'"{value}"', f"'{value}'"]))


@st.composite
def layer_call(draw) -> str:
    kind = draw(st.sampled_from(["Dense", "Dense", "Dense", "Dropout", "BatchNormalization",
                                 "LayerNormalization", "Activation"]))
    if kind == "Dense":
        args = [str(draw(st.integers(1, 512)))]
        if draw(st.booleans()):
            args.append("activation=" + _string(draw, draw(st.sampled_from(_ACTIVATIONS))))
        if draw(st.booleans()):
            args.append("use_bias=" + draw(st.sampled_from(["True", "False"])))
        if draw(st.integers(0, 3)) == 0:
            args.append("kernel_initializer=" + _string(draw, "he_normal"))
            args.append("bias_initializer=" + _string(draw, "zeros"))
        if draw(st.integers(0, 4)) == 0:
            args.append("kernel_regularizer=L2(" + draw(st.sampled_from(_FLOATS["lr"])) + ")")
        return f"Dense({', '.join(args)})"
    if kind == "Dropout":
        return f"Dropout({draw(st.sampled_from(_FLOATS['rate']))})"
    if kind == "Activation":
        return f"Activation({_string(draw, draw(st.sampled_from(_ACTIVATIONS)))})"
    if draw(st.booleans()):
        return f"{kind}(epsilon={draw(st.sampled_from(_FLOATS['eps']))})"
    return f"{kind}()"


@st.composite
def random_spec(draw) -> str:
    """A model over vectors: inputs, chains of random layers, tuple sources, repeats, compile."""
    n_inputs = draw(st.integers(1, 3))
    lines = [f"const width = {draw(st.integers(1, 64))}", "model random_spec {"]
    tensors = []
    for i in range(n_inputs):
        shape = draw(st.sampled_from(["(width,)", f"({draw(st.integers(1, 300))},)"]))
        lines.append(f"    input in{i}: {shape}")
        tensors.append(f"in{i}")
    for j in range(draw(st.integers(1, 5))):
        if len(tensors) > 1 and draw(st.booleans()):
            picked = draw(st.lists(st.sampled_from(tensors), min_size=2, max_size=4))
            parts = []
            for t in picked:
                steps = draw(st.lists(layer_call(), max_size=3))
                parts.append(" -> ".join([t, *steps]))
            source = "(" + ", ".join(parts) + ") -> Concatenate()"
        else:
            source = draw(st.sampled_from(tensors))
        steps = draw(st.lists(layer_call(), min_size=0 if source.endswith(")") else 1, max_size=10))
        lines.append(f"    h{j} = " + " -> ".join([source, *steps]))
        tensors.append(f"h{j}")
        if draw(st.integers(0, 3)) == 0:
            index = draw(st.sampled_from(["", " as i"]))
            units = "4 * (i + 1)" if index else str(draw(st.integers(1, 64)))
            lines += [f"    repeat {draw(st.integers(1, 3))}{index} {{", f"        h{j} = h{j} -> Dense({units})", "    }"]
    head = draw(st.lists(layer_call(), max_size=3))
    lines.append("    output out = " + " -> ".join([tensors[-1], *head, "Dense(1, activation=\"sigmoid\")"]))
    for t in tensors[:n_inputs]:  # every input reaches the output: no warning to tell apart
        if t not in " ".join(lines[n_inputs + 2:]):
            lines.append(f"    output used_{t} = {t} -> Dense(1)")
    if draw(st.booleans()):
        lines += ["    compile {", f"        optimizer = Adam(learning_rate={draw(st.sampled_from(_FLOATS['lr']))})",
                  f"        loss = {_string(draw, 'binary_crossentropy')}",
                  "        metrics = [" + _string(draw, "accuracy") + "]", "    }"]
    lines.append("}")
    return "\n".join(lines) + "\n"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=random_spec(), edits=_EDITS)
def test_random_specs(spec, edits):
    path = ROOT / "random_spec.gspec"
    want = checked(spec, path)
    assert want[0] is not None, (spec, want[1])  # the generator writes valid specs
    messy = perturb(spec, edits)
    assert_formats_well(messy, path, expected_ir=want)


# ---------------------------------------------------------------- the command line

def _graphspec_command() -> list:
    script = Path(sys.executable).with_name("graphspec")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "graphspec"]


def run(*args, stdin: Optional[str] = None, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1")
    env.pop("FORCE_COLOR", None)
    done = subprocess.run([*_graphspec_command(), *map(str, args)], capture_output=True, text=True,
                          input=stdin, cwd=cwd, env=env, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done


MESSY = "model m{input x:(3,) output y=x->Dense(2)->Dense(1) # hi\n}\n"
CLEAN = "model m {\n    input x: (3,)\n    output y = x -> Dense(2) -> Dense(1)  # hi\n}\n"
BROKEN = "model m {\n    input x: (3,)\n    output y = x -> -> Dense(1)\n}\n"


@pytest.mark.slow
def test_cli_check(tmp_path):
    clean, messy = tmp_path / "clean.gspec", tmp_path / "messy.gspec"
    clean.write_text(CLEAN)
    messy.write_text(MESSY)
    done = run("fmt", "--check", clean)
    assert (done.returncode, done.stdout) == (0, "")
    done = run("fmt", "--check", clean, messy)
    assert done.returncode == 1
    assert f"--- {messy}\n+++ {messy} (formatted)\n" in done.stdout
    assert "-model m{input x:(3,) output y=x->Dense(2)->Dense(1) # hi\n" in done.stdout
    assert "+    output y = x -> Dense(2) -> Dense(1)  # hi\n" in done.stdout
    assert str(clean) not in done.stdout
    assert f"would reformat {messy}" in done.stderr
    assert messy.read_text() == MESSY  # --check changes nothing


@pytest.mark.slow
def test_cli_rewrites_in_place_only_when_changed(tmp_path):
    clean, messy = tmp_path / "clean.gspec", tmp_path / "messy.gspec"
    clean.write_text(CLEAN)
    messy.write_text(MESSY)
    os.utime(clean, (1_000_000, 1_000_000))
    done = run("fmt", clean, messy)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"reformatted {messy}\n"
    assert messy.read_text() == CLEAN
    assert clean.stat().st_mtime == 1_000_000  # not rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.gspec", "messy.gspec"]  # no temporary left
    done = run("fmt", messy)
    assert (done.returncode, done.stdout) == (0, "")
    assert run("fmt", "--check", messy).returncode == 0


@pytest.mark.slow
def test_cli_stdin_to_stdout():
    done = run("fmt", "-", stdin=MESSY)
    assert (done.returncode, done.stdout) == (0, CLEAN)
    done = run("fmt", "--check", "-", stdin=MESSY)
    assert done.returncode == 1 and "--- <stdin>" in done.stdout
    assert run("fmt", "--check", "-", stdin=CLEAN).returncode == 0


@pytest.mark.slow
def test_cli_syntax_error_file_is_untouched(tmp_path):
    broken, messy = tmp_path / "broken.gspec", tmp_path / "messy.gspec"
    broken.write_text(BROKEN)
    messy.write_text(MESSY)
    before = broken.stat().st_mtime_ns
    done = run("fmt", broken, messy)
    assert done.returncode == 1
    assert "error[E100]" in done.stderr and "broken.gspec:3:" in done.stderr
    assert broken.read_text() == BROKEN and broken.stat().st_mtime_ns == before
    assert messy.read_text() == CLEAN  # the other file is still formatted
    done = run("fmt", "--check", broken)
    assert done.returncode == 1 and "error[E100]" in done.stderr and done.stdout == ""
    done = run("fmt", "-", stdin=BROKEN)
    assert done.returncode == 1 and done.stdout == ""


@pytest.mark.slow
def test_cli_missing_file(tmp_path):
    done = run("fmt", tmp_path / "nope.gspec")
    assert done.returncode == 2 and "cannot read" in done.stderr


def test_pre_commit_hook():
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    hook = hooks["graphspec-fmt"]
    assert hook["entry"] == "graphspec fmt --check"
    assert hook["language"] == "python" and hook["files"] == r"\.gspec$"
    assert "graphspec-check" in hooks
