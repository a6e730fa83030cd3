"""No input file, however malformed, large or hostile, makes `graphspec check` print a
traceback or hang.

Every case runs the real command line in a subprocess (`python -m graphspec check`,
with a timeout) and asserts: the exit status (1 for a spec with problems; 2 when the
file named on the command line cannot be read at all), no "Traceback" on stderr, and
at least one diagnostic with a code and a `file:line:col` location, in the text output
and in `--format json`.

The limits these cases rely on are in graphspec/limits.py (documented in
docs/language.md, "Limits"); each one is reached here and produces its diagnostic:

| limit                  | value     | code | case                                        |
| ---------------------- | --------- | ---- | ------------------------------------------- |
| MAX_FILE_BYTES         | 5 MiB     | E003 | test_ten_megabyte_file                      |
| MAX_NESTING            | 64        | E103 | test_deep_parentheses_*                     |
| MAX_EXPR_DEPTH         | 100       | E103 | test_long_operator_chain, test_long_unary.. |
| MAX_VALUE_DEPTH        | 200       | E103 | test_const_chain_of_deep_expressions        |
| MAX_NODES              | 200,000   | E004 | test_nested_repeats_with_a_huge_product     |
| MAX_REPEAT             | 100,000   | E004 | test_repeat_a_billion_times                 |
| MAX_IMPORT_DEPTH       | 64        | E204 | test_imports_nested_too_deep                |
| MAX_EXPANSION_DEPTH    | 64        | E205 | test_blocks_nested_too_deep                 |
|   (models, `extends`)  |           | E206 | test_models_nested_too_deep, ..._extends... |
|   (models and blocks)  |           | E205 | test_models_and_blocks_nested_too_deep      |
| MAX_CONST_DEPTH        | 64        | E208 | test_const_chain_too_deep                   |
| MAX_SYNTAX_ERRORS      | 20        | E100 | test_syntax_errors_are_capped               |
| MAX_INT                | 2**53     | E250 | test_huge_integer, test_huge_arithmetic     |

test_deepest_allowed_nesting_fits_the_stack builds the deepest specs the limits let
through and checks them with a lowered recursion limit, so that the limits keep the
checker well inside Python's default one.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pytest

from graphspec import limits
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.passes.check import check_path, check_text

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "specs").rglob("*.gspec"))
TIMEOUT = 120  # seconds; every case here finishes in a few

# `error[E103]: message` then `  --> file:line:col`
HEADER = re.compile(r"^(?P<severity>error|warning)\[(?P<code>[EW]\d{3})\]: .*\n  --> (?P<file>.+):(?P<line>\d+):(?P<col>\d+)$",
                    re.M)

MODEL = """\
model m {
    input x: (3,)
    output y = x -> Dense(3)
}
"""


def run_cli(args: Sequence[str], cwd: Path, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """Run `python -m graphspec ARGS` in `cwd`; fail on a hang or a traceback."""
    try:
        proc = subprocess.run([sys.executable, "-m", "graphspec", *args], cwd=cwd, capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:  # pragma: no cover - the failure this file guards against
        pytest.fail(f"graphspec {' '.join(args)} did not finish in {timeout} s")
    out = proc.stdout.decode("utf-8", errors="replace")
    err = proc.stderr.decode("utf-8", errors="replace")
    assert "Traceback" not in err and "Traceback" not in out, err[-3000:]
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def check(tmp_path: Path, files: Sequence[str], status: int = 1, codes: Sequence[str] = (),
          line: Optional[int] = None, col: Optional[int] = None) -> List[dict]:
    """`graphspec check FILES` as text and as JSON; return the JSON diagnostics.

    Asserts the exit status, that every diagnostic (text and JSON) has a code and a
    location, that one of `codes` is reported (at `line`/`col` if given).
    """
    text = run_cli(["check", *files], tmp_path)
    assert text.returncode == status, text.stdout + text.stderr
    headers = list(HEADER.finditer(text.stdout))
    n_diags = len(re.findall(r"^(error|warning)\[", text.stdout, re.M))
    assert headers and len(headers) == n_diags, f"a diagnostic without a location:\n{text.stdout[:3000]}"

    js = run_cli(["check", "--format", "json", *files], tmp_path)
    assert js.returncode == status
    diags = json.loads(js.stdout)
    assert diags and len(diags) == n_diags
    for d in diags:
        assert re.fullmatch(r"[EW]\d{3}", d["code"]) and d["message"]
        span = d["span"]
        assert span is not None, d
        assert span["line"] >= 1 and span["col"] >= 1 and span["file"], d
        assert (span["end_line"], span["end_col"]) >= (span["line"], span["col"]), d
    if codes:
        found = [d for d in diags if d["code"] in codes]
        assert found, f"expected {codes}; got {[(d['code'], d['message']) for d in diags]}"
        if line is not None:
            assert any(d["span"]["line"] == line for d in found), found
        if col is not None:
            assert any(d["span"]["col"] == col for d in found), found
    return diags


def write(tmp_path: Path, name: str, content) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode("utf-8"))
    return name


# ------------------------------------------------------------ truncated specs


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_truncated_specs(tmp_path, spec):
    """Every spec cut at many offsets (and with a slice cut out of the middle): only located diagnostics."""
    text = spec.read_text(encoding="utf-8")
    step = max(1, len(text) // 40)
    files = []
    for i, cut in enumerate(range(1, len(text), step)):
        files.append(write(tmp_path, f"head{i}.gspec", text[:cut]))
        files.append(write(tmp_path, f"gap{i}.gspec", text[:cut] + text[cut + step // 2:]))
    rng = random.Random(spec.stem)
    for i in range(10):  # cuts at random offsets: mid-token, mid-string, mid-comment
        cut = rng.randrange(len(text))
        files.append(write(tmp_path, f"rand{i}.gspec", text[:cut]))
    for sibling in spec.parent.glob("*.gspec"):  # what the spec imports, next to the cut copies
        write(tmp_path, sibling.name, sibling.read_bytes())
    diags = check(tmp_path, files, status=1)
    # The command line and the library agree on which cut files have errors.
    with_errors = {d["span"]["file"] for d in diags if d["severity"] == "error"}
    expected = set()
    # The subprocess knows no custom layers; neither may this process (other tests register some).
    from graphspec import custom

    registered = dict(custom._REGISTRY)
    custom._REGISTRY.clear()
    try:
        for f in files:
            collected = Diagnostics()
            check_path(tmp_path / f, collected)
            if collected.has_errors:
                expected.add(f)
    finally:
        custom._REGISTRY.update(registered)
    assert with_errors == expected
    assert len(expected) > len(files) // 3


# ------------------------------------------------------------ binary garbage


def test_random_bytes(tmp_path):
    data = random.Random(0).randbytes(4000)
    check(tmp_path, [write(tmp_path, "random.gspec", data)], codes=["E002"])


def test_nul_bytes(tmp_path):
    check(tmp_path, [write(tmp_path, "nul.gspec", b"\0" * 1000)], codes=["E101"], line=1, col=1)


def test_nul_byte_inside_a_spec(tmp_path):
    text = MODEL.replace("Dense(3)", "Dense(\0)")
    check(tmp_path, [write(tmp_path, "nul.gspec", text)], codes=["E101"], line=3, col=27)


def test_png_header(tmp_path):
    data = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + random.Random(1).randbytes(500)
    check(tmp_path, [write(tmp_path, "image.gspec", data)], codes=["E002"], line=1, col=1)


def test_control_characters(tmp_path):
    text = "model m {\x01\x1b[31m\x7f\n" + MODEL
    check(tmp_path, [write(tmp_path, "ctrl.gspec", text)], codes=["E101"], line=1, col=10)


# ------------------------------------------------------------ nesting


def test_deep_parentheses_in_an_argument(tmp_path):
    text = MODEL.replace("Dense(3)", "Dense(" + "(" * 10_000 + "3" + ")" * 10_000 + ")")
    check(tmp_path, [write(tmp_path, "deep.gspec", text)], codes=["E103"], line=3)


def test_deep_parentheses_in_a_chain_source(tmp_path):
    text = MODEL.replace("output y = x", "output y = " + "(" * 10_000 + "x" + ")" * 10_000)
    check(tmp_path, [write(tmp_path, "deep.gspec", text)], codes=["E103"], line=3)


def test_deep_unclosed_brackets(tmp_path):
    text = "const a = " + "[{(" * 5_000
    check(tmp_path, [write(tmp_path, "deep.gspec", text)], codes=["E103"], line=1)


def test_long_operator_chain(tmp_path):
    """`1+1+...+1` nests without a single bracket: refused by depth, not by a RecursionError."""
    text = "const a = " + "+".join(["1"] * 100_000) + "\n" + MODEL
    check(tmp_path, [write(tmp_path, "sum.gspec", text)], codes=["E103"], line=1, col=11)


def test_long_unary_chain(tmp_path):
    text = "const a = " + "- " * 50_000 + "1\n" + MODEL
    check(tmp_path, [write(tmp_path, "neg.gspec", text)], codes=["E103"], line=1)


def test_const_chain_too_deep(tmp_path):
    text = "".join(f"const c{i} = c{i + 1}\n" for i in range(20_000)) + "const c20000 = 1\n" + MODEL
    check(tmp_path, [write(tmp_path, "consts.gspec", text)], codes=["E208"])


def test_const_chain_of_deep_expressions(tmp_path):
    """Each const's expression is within the limit, the chain of them is not (counted together)."""
    text = "".join(f"const c{i} = {'-' * 80}c{i + 1}\n" for i in range(60)) + "const c60 = 1\n" + \
        MODEL.replace("Dense(3)", "Dense(c0)")
    check(tmp_path, [write(tmp_path, "consts.gspec", text)], codes=["E103"])


def test_const_cycle_through_many_consts(tmp_path):
    text = "".join(f"const c{i} = c{(i + 1) % 5000} + 1\n" for i in range(5000)) + MODEL
    check(tmp_path, [write(tmp_path, "cycle.gspec", text)], codes=["E208"])


def test_models_nested_too_deep(tmp_path):
    n = 2000
    text = "".join(f"model m{i} {{\n input x: (3,)\n output y = x -> m{i + 1}\n}}\n" for i in range(n))
    text += f"model m{n} {{\n input x: (3,)\n output y = x -> Dense(3)\n}}\n"
    check(tmp_path, [write(tmp_path, "models.gspec", text)], codes=["E206"])


def test_extends_chain_too_deep(tmp_path):
    n = 2000
    text = "model m0 {\n input x: (3,)\n output y = x -> Dense(3)\n}\n"
    text += "".join(f"model m{i + 1} extends m{i} {{\n}}\n" for i in range(n))
    check(tmp_path, [write(tmp_path, "extends.gspec", text)], codes=["E206"])


def test_blocks_nested_too_deep(tmp_path):
    n = 500
    text = "".join(f"block b{i}() {{\n input x\n output y = x -> b{i + 1}()\n}}\n" for i in range(n))
    text += f"block b{n}() {{\n input x\n output y = x -> Dense(3)\n}}\n"
    text += "model m {\n input x: (3,)\n output y = x -> b0()\n}\n"
    check(tmp_path, [write(tmp_path, "blocks.gspec", text)], codes=["E205"])


def nested_spec(models: int, blocks: int, expr_depth: int = 0) -> str:
    """Models m0..mN, each expanding a chain of `blocks` blocks whose innermost uses the next model;
    the innermost layer's argument is an expression `expr_depth` operators deep."""
    out = []
    for m in range(models + 1):
        for b in range(blocks):
            if b + 1 < blocks:
                step = f"b{m}_{b + 1}()"
            elif m < models:
                step = f"m{m + 1}"
            else:
                step = f"Dense({'-' * expr_depth}-3 * -1)"
            out.append(f"block b{m}_{b}() {{\n input x\n output y = x -> {step}\n}}\n")
        if blocks:
            first = f"b{m}_0()"
        else:
            first = f"m{m + 1}" if m < models else f"Dense({'-' * expr_depth}-3 * -1)"
        out.append(f"model m{m} {{\n input x: (3,)\n output y = x -> {first}\n}}\n")
    return "".join(out)


def test_models_and_blocks_nested_too_deep(tmp_path):
    """Blocks inside models inside blocks: the nesting is counted across both."""
    check(tmp_path, [write(tmp_path, "mixed.gspec", nested_spec(models=10, blocks=10))], codes=["E205", "E206"])


def test_imports_nested_too_deep(tmp_path):
    n = limits.MAX_IMPORT_DEPTH + 10
    for i in range(n):
        write(tmp_path, f"f{i}.gspec", f'import "f{i + 1}.gspec"\nconst c{i} = 1\n')
    write(tmp_path, f"f{n}.gspec", "const z = 1\n")
    check(tmp_path, ["f0.gspec"], codes=["E204"])


def deepest_allowed() -> Dict[str, str]:
    """The deepest specs the limits let through, one per kind of nesting and mixed."""
    depth = limits.MAX_EXPANSION_DEPTH - 1
    expr = limits.MAX_EXPR_DEPTH - 12  # the statement around the expression takes a few levels
    specs = {
        "blocks": nested_spec(models=0, blocks=depth, expr_depth=expr),
        "models": nested_spec(models=depth, blocks=0, expr_depth=expr),
        "mixed": nested_spec(models=1, blocks=depth // 2, expr_depth=expr),
        "consts": "".join(f"const c{i} = c{i + 1} + 1\n" for i in range(limits.MAX_CONST_DEPTH - 1))
        + f"const c{limits.MAX_CONST_DEPTH - 1} = {'-' * 20}1\n" + MODEL.replace("Dense(3)", "Dense(c0)"),
        "brackets": MODEL.replace("Dense(3)", "Dense(" + "(" * (limits.MAX_NESTING - 2) + "3"
                                  + ")" * (limits.MAX_NESTING - 2) + ")"),
    }
    return specs


@pytest.mark.parametrize("kind", sorted(deepest_allowed()))
def test_deepest_allowed_nesting_fits_the_stack(tmp_path, kind):
    """At every limit at once, checking needs well under Python's default recursion limit
    (1000): here it must pass with 700, so that a caller's own stack has room."""
    write(tmp_path, "deep.gspec", deepest_allowed()[kind])
    code = ("import sys; sys.setrecursionlimit(700); from graphspec.cli import main; "
            "sys.exit(main(['check', 'deep.gspec']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "All checks passed" in proc.stdout


def test_recursion_limit_is_a_diagnostic_not_a_traceback(tmp_path):
    """If a caller's stack is already deep, the last resort is a located E103, not a RecursionError."""
    write(tmp_path, "deep.gspec", deepest_allowed()["blocks"])
    code = ("import sys; sys.setrecursionlimit(250); from graphspec.cli import main; "
            "sys.exit(main(['check', 'deep.gspec']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 1
    assert "error[E103]" in proc.stdout and "--> deep.gspec:1:1" in proc.stdout


# ------------------------------------------------------------ size


def test_ten_megabyte_file(tmp_path):
    text = "# " + "x" * (10 * 1024 * 1024) + "\n" + MODEL
    check(tmp_path, [write(tmp_path, "big.gspec", text)], codes=["E003"], line=1, col=1)


def test_ten_megabyte_import(tmp_path):
    write(tmp_path, "big.gspec", "#" * (10 * 1024 * 1024))
    check(tmp_path, [write(tmp_path, "main.gspec", 'import "big.gspec"\n' + MODEL)], codes=["E003"], line=1)


def test_very_long_line(tmp_path):
    """A 1 MB line with an error far to the right: located, and rendered without the whole line."""
    text = "model m {\n input x: (3,)\n output y = x" + " " * 1_000_000 + "-> Dense(\"3\")\n}\n"
    write(tmp_path, "long.gspec", text)
    check(tmp_path, ["long.gspec"], codes=["E302"], line=3, col=1_000_023)
    out = run_cli(["check", "long.gspec"], tmp_path).stdout
    assert max(len(line) for line in out.splitlines()) < 400


def test_repeat_a_billion_times(tmp_path):
    text = "model m {\n    input x: (3,)\n    repeat 1000000000 { x = x -> Dense(3) }\n    output y = x\n}\n"
    check(tmp_path, [write(tmp_path, "repeat.gspec", text)], codes=["E004"], line=3, col=12)


def test_nested_repeats_with_a_huge_product(tmp_path):
    text = ("model m {\n    input x: (3,)\n    repeat 1000 { repeat 1000 { x = x -> Dense(3) } }\n"
            "    output y = x\n}\n")
    check(tmp_path, [write(tmp_path, "repeat.gspec", text)], codes=["E004"], line=3)


def test_repeated_block_with_repeats_inside(tmp_path):
    text = ("block big() {\n    input x\n    repeat 1000 { x = x -> Dense(3) }\n    output y = x\n}\n"
            "model m {\n    input x: (3,)\n    repeat 1000 { x = x -> big() }\n    output y = x\n}\n")
    check(tmp_path, [write(tmp_path, "repeat.gspec", text)], codes=["E004"])


def test_many_models_share_the_node_limit(tmp_path):
    text = "".join(f"model m{i} {{\n input x: (3,)\n repeat 90000 {{ x = x -> Dense(3) }}\n output y = x\n}}\n"
                   for i in range(4))
    check(tmp_path, [write(tmp_path, "models.gspec", text)], codes=["E004"])


def test_syntax_errors_are_capped(tmp_path):
    text = "".join(f"const c{i} = = 1\n" for i in range(1000))
    diags = check(tmp_path, [write(tmp_path, "syntax.gspec", text)], codes=["E100"], line=1)
    assert len(diags) == limits.MAX_SYNTAX_ERRORS


# ------------------------------------------------------------ cycles


def test_block_recursion_through_two_blocks(tmp_path):
    text = ("block a(n) {\n    input x\n    output y = x -> b(n)\n}\n"
            "block b(n) {\n    input x\n    output y = x -> a(n)\n}\n"
            "model m {\n    input x: (3,)\n    output y = x -> a(3)\n}\n")
    check(tmp_path, [write(tmp_path, "blocks.gspec", text)], codes=["E205"])


def test_model_cycle(tmp_path):
    text = ("model a {\n    input x: (3,)\n    output y = x -> b\n}\n"
            "model b {\n    input x: (3,)\n    output y = x -> a\n}\n")
    check(tmp_path, [write(tmp_path, "models.gspec", text)], codes=["E206"])


def test_model_extends_itself(tmp_path):
    text = "model a extends b {\n}\nmodel b extends a {\n    input x: (3,)\n    output y = x\n}\n"
    check(tmp_path, [write(tmp_path, "models.gspec", text)], codes=["E206"])


def test_const_cycle(tmp_path):
    text = "const a = b * 2\nconst b = a + 1\n" + MODEL.replace("Dense(3)", "Dense(a)")
    check(tmp_path, [write(tmp_path, "consts.gspec", text)], codes=["E208"])


def test_block_and_model_with_the_same_name(tmp_path):
    """Regression: the model that lost the name to a block was still checked (a KeyError)."""
    text = "block m() {\n    input x\n    output y = x\n}\n" + MODEL
    check(tmp_path, [write(tmp_path, "dup.gspec", text)], codes=["E202"], line=5)
    assert run_cli(["ir", "dup.gspec"], tmp_path).returncode == 1


# ------------------------------------------------------------ strings and encodings


def test_unterminated_double_quoted_string(tmp_path):
    text = MODEL.replace("Dense(3)", 'Dense(3, activation="relu)')
    check(tmp_path, [write(tmp_path, "str.gspec", text)], codes=["E102"], line=3, col=41)


def test_unterminated_single_quoted_string_at_eof(tmp_path):
    text = "model m {\n    input x: (3,)\n    output y = x -> Dense(3, activation='relu"
    check(tmp_path, [write(tmp_path, "str.gspec", text)], codes=["E102"], line=3, col=41)


def test_unterminated_string_in_an_import(tmp_path):
    check(tmp_path, [write(tmp_path, "str.gspec", 'import "other.gspec')], codes=["E102"], line=1, col=8)


def test_lone_quote_at_eof(tmp_path):
    check(tmp_path, [write(tmp_path, "str.gspec", MODEL + '"')], codes=["E102"], line=5, col=1)


def test_latin1_comment(tmp_path):
    text = "# Modèle de base\n".encode("latin-1") + MODEL.encode()
    diags = check(tmp_path, [write(tmp_path, "latin.gspec", text)], codes=["E002"], line=1, col=6)
    assert any("Latin-1" in n for d in diags for n in d["notes"])


def test_invalid_utf8_in_an_import(tmp_path):
    # Reported at the import, with the byte's place: an imported file that is not text is never shown.
    write(tmp_path, "lib.gspec", b"const a = 1\n# \xff\xfe\n")
    check(tmp_path, [write(tmp_path, "main.gspec", 'import "lib.gspec"\n' + MODEL)], codes=["E002"], line=1, col=1)


def test_utf16_file(tmp_path):
    check(tmp_path, [write(tmp_path, "utf16.gspec", MODEL.encode("utf-16"))], codes=["E002"], line=1, col=1)


def test_non_ascii_names(tmp_path):
    text = MODEL.replace("input x", "input é").replace("y = x", "y = é")
    check(tmp_path, [write(tmp_path, "name.gspec", text)], codes=["E101"], line=2, col=11)


BAD_LAYER = MODEL.replace("Dense(3)", "Dens(3)")  # E220 at line 3, col 21


def test_bom(tmp_path):
    check(tmp_path, [write(tmp_path, "bom.gspec", b"\xef\xbb\xbf" + BAD_LAYER.encode())], codes=["E220"], line=3,
          col=21)
    write(tmp_path, "good.gspec", b"\xef\xbb\xbf" + MODEL.encode())
    assert run_cli(["check", "good.gspec"], tmp_path).returncode == 0


def test_crlf_line_endings(tmp_path):
    check(tmp_path, [write(tmp_path, "crlf.gspec", BAD_LAYER.replace("\n", "\r\n"))], codes=["E220"], line=3, col=21)
    write(tmp_path, "good.gspec", MODEL.replace("\n", "\r\n"))
    assert run_cli(["check", "good.gspec"], tmp_path).returncode == 0


def test_lone_cr_line_endings(tmp_path):
    check(tmp_path, [write(tmp_path, "cr.gspec", BAD_LAYER.replace("\n", "\r"))], codes=["E220"])


def test_tabs(tmp_path):
    text = BAD_LAYER.replace("    ", "\t")
    check(tmp_path, [write(tmp_path, "tabs.gspec", text)], codes=["E220"], line=3, col=18)
    write(tmp_path, "good.gspec", MODEL.replace("    ", "\t"))
    assert run_cli(["check", "good.gspec"], tmp_path).returncode == 0


# ------------------------------------------------------------ imports


def test_import_of_a_directory(tmp_path):
    (tmp_path / "lib").mkdir()
    check(tmp_path, [write(tmp_path, "main.gspec", 'import "lib"\n' + MODEL)], codes=["E203"], line=1, col=1)


def test_import_of_itself(tmp_path):
    check(tmp_path, [write(tmp_path, "main.gspec", 'import "main.gspec"\n' + MODEL)], codes=["E204"], line=1)


def test_import_of_a_missing_file(tmp_path):
    check(tmp_path, [write(tmp_path, "main.gspec", 'import "missing.gspec"\n' + MODEL)], codes=["E203"], line=1)


def test_import_of_an_empty_path(tmp_path):
    check(tmp_path, [write(tmp_path, "main.gspec", 'import ""\n' + MODEL)], codes=["E203"], line=1)


def test_three_file_import_cycle(tmp_path):
    write(tmp_path, "a.gspec", 'import "b.gspec"\n' + MODEL)
    write(tmp_path, "b.gspec", 'import "c.gspec"\nconst b = 1\n')
    write(tmp_path, "c.gspec", 'import "a.gspec"\nconst c = 1\n')
    diags = check(tmp_path, ["a.gspec"], codes=["E204"], line=1)
    assert any("a.gspec -> b.gspec -> c.gspec -> a.gspec" in d["message"] for d in diags)


def test_import_of_a_binary_file(tmp_path):
    write(tmp_path, "lib.gspec", b"\x89PNG\r\n\x1a\n\0\0")
    check(tmp_path, [write(tmp_path, "main.gspec", 'import "lib.gspec"\n' + MODEL)], codes=["E203"], line=1, col=1)


# ------------------------------------------------------------ files that cannot be read (exit 2)


def test_missing_file_on_the_command_line(tmp_path):
    check(tmp_path, ["missing.gspec"], status=2, codes=["E001"], line=1, col=1)


def test_directory_on_the_command_line(tmp_path):
    (tmp_path / "dir.gspec").mkdir()
    check(tmp_path, ["dir.gspec"], status=2, codes=["E001"])


# ------------------------------------------------------------ nearly empty files


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n# and another", "   \t\r\n"],
                         ids=["empty", "newlines", "comments", "whitespace"])
def test_file_without_definitions(tmp_path, text):
    """`check` accepts a file that defines nothing (like an empty module: it may be imported);
    the commands that build a model say there is none, at 1:1."""
    write(tmp_path, "empty.gspec", text)
    proc = run_cli(["check", "empty.gspec"], tmp_path)
    assert proc.returncode == 0 and "All checks passed" in proc.stdout
    for command in ("ir", "summary"):
        proc = run_cli([command, "empty.gspec"], tmp_path)
        assert proc.returncode == 1
        assert "error[E207]" in proc.stderr and "--> empty.gspec:1:1" in proc.stderr


# ------------------------------------------------------------ numbers


def test_huge_integer(tmp_path):
    text = MODEL.replace("Dense(3)", "Dense(99999999999999999999999999999)")
    check(tmp_path, [write(tmp_path, "int.gspec", text)], codes=["E250"], line=3, col=27)


def test_integer_with_thousands_of_digits(tmp_path):
    text = MODEL.replace("Dense(3)", "Dense(" + "9" * 100_000 + ")")
    check(tmp_path, [write(tmp_path, "int.gspec", text)], codes=["E250"], line=3, col=27)


def test_huge_float(tmp_path):
    text = MODEL.replace("Dense(3)", "Dense(3) -> Dropout(1e999)")
    check(tmp_path, [write(tmp_path, "float.gspec", text)], codes=["E250"], line=3, col=41)


@pytest.mark.parametrize("expr", ["2 ** 3", "9007199254740992 * 9007199254740992", "1e300 * 1e300",
                                  "10 // 0", "1 % 0", "1.5 / 0.0", "-9007199254740993"])
def test_huge_arithmetic(tmp_path, expr):
    text = "const a = " + expr + "\n" + MODEL.replace("Dense(3)", "Dense(a)")
    check(tmp_path, [write(tmp_path, "arith.gspec", text)], codes=["E100", "E250"], line=1)


@pytest.mark.parametrize("text, code", [
    (MODEL.replace("(3,)", "(-3,)"), "E251"),
    (MODEL.replace("(3,)", "(0,)"), "E251"),
    (MODEL.replace("Dense(3)", "Dense(-3)"), "E305"),
    (MODEL.replace("Dense(3)", "Dense(0)"), "E305"),
    (MODEL.replace("Dense(3)", "Conv1D(-1, -1)"), "E305"),
    (MODEL.replace("Dense(3)", "Reshape((-2,))"), "E305"),
    (MODEL.replace("Dense(3)", "Dropout(-0.5)"), "E305"),
    (MODEL.replace("x -> Dense(3)", "x\n    repeat -1 { y = y }"), "E250"),
], ids=["input", "input-zero", "dense", "dense-zero", "conv", "reshape", "dropout", "repeat"])
def test_negative_sizes(tmp_path, text, code):
    check(tmp_path, [write(tmp_path, "neg.gspec", text)], codes=[code])


# ------------------------------------------------------------ special files and odd paths


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
def test_import_of_a_fifo_does_not_hang(tmp_path):
    """Regression: opening a FIFO blocks until a writer comes; an import of one hung forever."""
    import os

    os.mkfifo(tmp_path / "pipe.gspec")
    check(tmp_path, [write(tmp_path, "main.gspec", 'import "pipe.gspec"\n' + MODEL)], codes=["E203"], line=1)
    check(tmp_path, ["pipe.gspec"], status=2, codes=["E001"])


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_import_of_a_device(tmp_path):
    check(tmp_path, [write(tmp_path, "main.gspec", 'import "/dev/zero"\n' + MODEL)], codes=["E203"], line=1)


def test_import_of_a_symlink_loop(tmp_path):
    """Regression: Path.resolve() raises RuntimeError on a symlink loop (before Python 3.13)."""
    (tmp_path / "a.gspec").symlink_to("b.gspec")
    (tmp_path / "b.gspec").symlink_to("a.gspec")
    check(tmp_path, [write(tmp_path, "main.gspec", 'import "a.gspec"\n' + MODEL)], codes=["E203"], line=1)
    check(tmp_path, ["a.gspec"], status=2, codes=["E001"])


def test_import_path_too_long(tmp_path):
    """Regression: stat() of a 5,000-character name raises ENAMETOOLONG, which Path.exists() lets through."""
    check(tmp_path, [write(tmp_path, "main.gspec", f'import "{"a" * 5000}.gspec"\n' + MODEL)], codes=["E203"],
          line=1)
    check(tmp_path, ["b" * 5000], status=2, codes=["E001"])


@pytest.mark.parametrize("path", ["a\\x00b.gspec", "\\ud800.gspec", "\\x1b[2J.gspec", ""])
def test_import_of_an_odd_path(tmp_path, path):
    """A NUL, a lone surrogate, a terminal escape sequence in an import path: located, and never
    sent raw to the terminal."""
    check(tmp_path, [write(tmp_path, "main.gspec", f'import "{path}"\n' + MODEL)], codes=["E203"], line=1)
    out = run_cli(["check", "main.gspec"], tmp_path).stdout
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out), repr(out)


def test_lone_surrogate_in_a_string(tmp_path):
    """Regression: printing a message that quotes `"\\ud800"` failed to encode (exit 2, no diagnostic)."""
    text = MODEL.replace("Dense(3)", 'Dense(3, activation="\\ud800")')
    check(tmp_path, [write(tmp_path, "sur.gspec", text)], codes=["E305"], line=3)
    for fmt in ("text", "github", "json"):
        proc = run_cli(["check", "--format", fmt, "sur.gspec"], tmp_path)
        assert proc.returncode == 1 and "E305" in proc.stdout and proc.stderr == ""


def test_terminal_escape_sequences_are_not_passed_through(tmp_path):
    text = MODEL.replace("Dense(3)", 'Dense(3, activation="\\x1b]0;pwned\\x07\\x1b[2J")') + "# \x1b[31m\x9b\n"
    check(tmp_path, [write(tmp_path, "esc.gspec", text)], codes=["E305"])
    for fmt in ("text", "github"):
        out = run_cli(["check", "--format", fmt, "esc.gspec"], tmp_path).stdout
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out), repr(out)


# ------------------------------------------------------------ one problem, one diagnostic


@pytest.mark.parametrize("text", [
    "const a = nope + 1\n" + MODEL.replace("Dense(3)", "Dense(a)"),
    "const a = nope + 1\n" + MODEL.replace("Dense(3)", "Dense(a)")
    + MODEL.replace("model m", "model n").replace("Dense(3)", "m -> Dense(a)"),
    "block b() {\n    input x\n    output y = x -> Dense(nope)\n}\n" + MODEL.replace("Dense(3)", "b()")
    + MODEL.replace("model m", "model n").replace("Dense(3)", "b()"),
    MODEL.replace("Dense(3)", "Dense(nope)").replace("model m", "model a")
    + MODEL.replace("Dense(3)", "a") + MODEL.replace("model m", "model n").replace("Dense(3)", "a"),
], ids=["const", "const-twice", "block-twice", "model-twice"])
def test_a_problem_used_twice_is_reported_once(text):
    """Regression: a const, block or model with an error, used by a second model, made that model
    report a cascading E505 `has no outputs` (the first error was not counted again)."""
    diags = Diagnostics()
    check_text(text, diags, name="spec.gspec")
    assert [d.code for d in diags.items] == ["E201"], [(d.code, d.message) for d in diags.items]
