"""graphspec's own LALR(1) runtime (graphspec/syntax/lalr.py) against lark, which it replaces on
the check path.

* the committed tables (graphspec/syntax/tables.py) are those scripts/build_parser_tables.py
  builds from grammar/graphspec.lark today;
* on every spec of the repository the driver builds the same tree as lark (data, children,
  tokens, positions), with both of its lexer paths, and the same syntax tree as the one tree
  builder (graphspec/syntax/build.py) makes of lark's own tree (compared by repr, spans included);
* on mutated specs and token soups (hypothesis) it fails where lark fails, with the same
  position, token and expected set, and parse.py's diagnostics are the same with lark put in
  its place;
* `graphspec check` never imports lark; a grammar edited after the tables were built is a clear
  error that says to rebuild them (there is no lark fallback at run time).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.diagnostics.render import render_text
from graphspec.source import Source
from graphspec.syntax import build, lalr
from graphspec.syntax import parse as parse_module

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_parser_tables.py"
TABLES = ROOT / "graphspec" / "syntax" / "tables.py"
SPEC_FILES = sorted([*(ROOT / "specs").rglob("*.gspec"), *(ROOT / "tests" / "fixtures").rglob("*.gspec")])


def fuzz(n: int) -> settings:
    return settings(max_examples=n, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def _script():
    spec = importlib.util.spec_from_file_location("graphspec_build_parser_tables", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lark():
    from graphspec.syntax.grammar import parser

    return parser()


# --------------------------------------------------------------------------- comparing


def _lark_tree(t):
    from lark import Token, Tree

    if isinstance(t, Tree):
        m = t.meta
        return (t.data, None if m.empty else (m.start_pos, m.end_pos), [_lark_tree(c) for c in t.children])
    if isinstance(t, Token):
        return ("token", t.type, str(t), t.start_pos, t.end_pos)
    return t


def _our_tree(t):
    if isinstance(t, lalr.Tree):
        m = t.meta
        return (t.data, None if m.empty else (m.start_pos, m.end_pos), [_our_tree(c) for c in t.children])
    if type(t) is tuple:  # a token: (text, start, end, 0, terminal)
        return ("token", t[4], t[0], t[1], t[2])
    return t


def _error(exc) -> tuple:
    """What parse.py reads of a syntax error."""
    if type(exc).__name__ == "UnexpectedCharacters":
        return ("characters", exc.pos_in_stream, frozenset(exc.allowed))
    token = exc.token
    return ("token", exc.pos_in_stream, frozenset(exc.expected), token.type, str(token), token.start_pos,
            token.end_pos, token.line)


def _repr(module) -> str:
    """A syntax tree's repr, the address of its Source left out."""
    return re.sub(r"<graphspec\.source\.Source object at 0x[0-9a-fA-F]+>", "<Source>", repr(module))


def _build_from_lark(tree, src):
    """The syntax tree graphspec/syntax/build.py's builders make of lark's own parse tree."""
    from lark import Token, Tree

    builders = build.builders(src)

    def walk(t):
        if isinstance(t, Tree):
            m = t.meta
            start, end = (None, None) if m.empty else (m.start_pos, m.end_pos)
            return builders[str(t.data)]([walk(c) for c in t.children], start, end)
        if isinstance(t, Token):
            return (str(t), t.start_pos, t.end_pos, 0, t.type)
        return t

    return walk(tree)


def _from_lark(exc) -> lalr.UnexpectedInput:
    """graphspec.syntax.lalr's error object for one of lark's exceptions."""
    from lark.exceptions import UnexpectedCharacters as LarkChars

    if isinstance(exc, LarkChars):
        out = lalr.UnexpectedInput.__new__(lalr.UnexpectedCharacters)
        Exception.__init__(out, str(exc))
        out.allowed = exc.allowed
        out.char = exc.char
    else:  # UnexpectedToken, UnexpectedEOF
        out = lalr.UnexpectedInput.__new__(lalr.UnexpectedToken)
        Exception.__init__(out, str(exc))
        out.token = getattr(exc, "token", None)
        out.expected = getattr(exc, "expected", None) or getattr(exc, "accepts", None)
    out.pos_in_stream = exc.pos_in_stream
    out.line = getattr(exc, "line", None)
    out.column = getattr(exc, "column", None)
    return out


def _lark_parse_text(text: str, source):
    """parse.py's parser with lark in the place of graphspec's driver: (module, height)."""
    from lark.exceptions import UnexpectedInput

    try:
        tree = _lark().parse(text)
    except UnexpectedInput as exc:
        raise _from_lark(exc) from None
    return _build_from_lark(tree, source), _height(tree)


def _with_lark(text: str):
    """(the syntax tree the builders make of lark's tree, lark's tree) or the error lark raises."""
    from lark.exceptions import UnexpectedInput

    try:
        tree = _lark().parse(text)
    except UnexpectedInput as exc:
        return None, None, _error(exc)
    return _build_from_lark(tree, Source("spec.gspec", text)), tree, None


def _with_lalr(text: str):
    try:
        module, height = lalr.parse(text, Source("spec.gspec", text))
    except lalr.UnexpectedInput as exc:
        return None, None, None, _error(exc)
    return module, height, lalr.parse_tree(text), None


def _height(tree) -> int:
    from lark import Tree

    stack, best = [(tree, 1)], 0
    while stack:
        node, depth = stack.pop()
        best = max(best, depth)
        stack.extend((c, depth + 1) for c in node.children if isinstance(c, Tree))
    return best


def assert_same(text: str) -> None:
    expected, lark_tree, lark_error = _with_lark(text)
    module, height, tree, error = _with_lalr(text)
    assert error == lark_error, (text, error, lark_error)
    if lark_error is None:
        assert _repr(module) == _repr(expected), text
        assert _our_tree(tree) == _lark_tree(lark_tree), text
        assert height == _height(lark_tree), text


@pytest.fixture(params=["one match per token", "ignored text matched alone"])
def lexer_mode(request, monkeypatch):
    """Both ways the lexer reads: ignored text and the token after it in one match (the fast way),
    or each terminal in its own match (Python 3.10, or a grammar where that is not safe)."""
    assert lalr.available()
    if request.param != "one match per token":
        monkeypatch.setattr(lalr._lexing(), "skip", None)
    return request.param


def _diagnostics(text: str, lark: bool = False) -> str:
    """parse.py's result and diagnostics for `text`, with the LALR runtime or with lark."""
    src = Source("spec.gspec", text)
    diags = Diagnostics()
    if lark:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(parse_module, "_parse_text", _lark_parse_text)
            module = parse_module.parse(src, diags)
    else:
        module = parse_module.parse(src, diags)
    items = diags.sorted()
    return _repr(module) + "\n" + render_text(items, {"spec.gspec": src}) + "\n" + repr(
        [(d.code, d.message, d.span, d.help, d.notes) for d in items])


# --------------------------------------------------------------------------- the tables


def test_tables_are_up_to_date():
    grammar = (ROOT / "grammar" / "graphspec.lark").read_text(encoding="utf-8")
    fresh = _script().render(grammar)
    if TABLES.read_text(encoding="utf-8") != fresh:
        pytest.fail("graphspec/syntax/tables.py was not built from grammar/graphspec.lark as it is now "
                    "(or with another lark version): run `python scripts/build_parser_tables.py` and commit "
                    "the result")


def test_tables_are_used():
    assert lalr.available()
    from graphspec.syntax import tables

    assert tables.GRAMMAR_TEXT == (ROOT / "grammar" / "graphspec.lark").read_text(encoding="utf-8")


def test_an_edited_grammar_is_a_clear_error(tmp_path, monkeypatch):
    """Tables older than the grammar are never run: parsing says how to rebuild them."""
    edited = tmp_path / "graphspec.lark"
    edited.write_text((ROOT / "grammar" / "graphspec.lark").read_text(encoding="utf-8") + "\n// edited\n",
                      encoding="utf-8")
    import graphspec.syntax.grammar as grammar

    monkeypatch.setattr(grammar, "grammar_path", lambda: edited)
    monkeypatch.setattr(lalr, "_tables", None)
    assert not lalr.available()
    text = (ROOT / "specs" / "seeds" / "social_profile.gspec").read_text(encoding="utf-8")
    with pytest.raises(lalr.StaleTables, match=r"run `python scripts/build_parser_tables.py`"):
        parse_module.parse(Source("s.gspec", text), Diagnostics())


def test_an_installation_without_the_grammar_file_uses_the_tables(tmp_path, monkeypatch):
    import graphspec.syntax.grammar as grammar

    def missing():
        raise FileNotFoundError("no grammar")

    monkeypatch.setattr(grammar, "grammar_path", missing)
    monkeypatch.setattr(lalr, "_tables", None)
    assert lalr.available()
    diags = Diagnostics()
    assert parse_module.parse(Source("s.gspec", "const a = 1"), diags) is not None and not diags.items


def test_one_tree_builder():
    """Every tree name the grammar's rules build has its builder in build.py, and only there."""
    from graphspec.syntax import tables

    src = Source("spec.gspec", "")
    names = set(re.findall(r"b_(\w+) = B\[", (ROOT / "graphspec" / "syntax" / "tables.py").read_text()))
    assert names and names == set(build.builders(src)), names ^ set(build.builders(src))
    assert not (ROOT / "graphspec" / "syntax" / "lower.py").exists()
    assert tables.GRAMMAR_TEXT


def test_skip_ignored_analysis():
    """The lexer reads ignored text and the next token in one match only when an ignored terminal's
    first character can start no other terminal."""
    skip_ignored = _script().skip_ignored

    def terms(*regexps):
        return [(f"T{i}", "re", r, r) for i, r in enumerate(regexps)]

    assert skip_ignored(terms(r"[ \t]+", r"#[^\n]*", r"[a-z]+", r"\d+"), ["T0", "T1"])
    assert not skip_ignored(terms(r"[ \t]+", r"[^x]+"), ["T0"])  # [^x] starts with a space too
    assert not skip_ignored(terms(r"[ \t]+", r"\s*x"), ["T0"])  # may start with a space
    assert not skip_ignored(terms(r"[ \t]+", r"(?:a|\s)"), ["T0"])
    assert not skip_ignored(terms(r"#[^\n]*", r"#!"), ["T0"])
    assert not skip_ignored(terms(r"[ \t]+", r"(?i:a)"), ["T0"])  # unsure: no
    assert not skip_ignored(terms(r"([ ])+", r"x"), ["T0"])  # a group of its own


def test_scan_order():
    """The lexer's one expression may try a terminal early only past terminals that cannot start with
    the same character (the first that matches wins, as in lark); frequent terminals go first."""
    scan_order = _script().scan_order

    def terms(*regexps):
        return [(f"T{i}", "re", r, r) for i, r in enumerate(regexps)]

    name = ("NAME", "re", r"[A-Za-z_]\w*", r"[A-Za-z_]\w*")
    # NAME is frequent: first, but after the terminal that may start as it does; the digits wait
    assert scan_order(terms(r"ops\.[a-z]+", r"[0-9]+") + [name]) == (0, 2, 1)
    assert scan_order(terms(r"[0-9]+", r"xy") + [name]) == (1, 2, 0)
    # unsure of `(?i:x)`, `x?y`: they keep their place among all
    assert scan_order(terms(r"[0-9]+", r"(?i:x)") + [name]) == (0, 1, 2)
    assert scan_order(terms(r"[0-9]+", r"x?y") + [name]) == (0, 1, 2)
    # unsure of `\d`: every later terminal stays after it, NAME still before `[0-9]`
    assert scan_order(terms(r"\d+", r"[0-9]") + [name]) == (0, 2, 1)
    assert scan_order([("A", "str", "->", "\\->"), ("B", "str", "-", "\\-"), ("NAME", "re", "[a-z]+", "[a-z]+")]) \
        == (2, 0, 1)
    tables = lalr._tables if lalr.available() else None
    assert tables is not None and sorted(tables.SCAN_ORDER) == list(range(len(tables.TERMINALS)))


OTHER_GRAMMAR = r"""
start: _item*
_item: stmt ";"
?stmt: assign | expr | "print" [expr] -> print_ | opt
assign: NAME "=" expr
opt: "opt" [NAME ["," NAME]] "end"
!kw: "keep" NAME
?expr: expr "+" term -> add | term | kw
?term: INT -> int | NAME -> var | "(" expr ")" | "(" ")" -> unit | "[" [expr ("," expr)*] "]" -> list
NAME: /[a-z_]+/
INT.2: /[0-9]+/
%ignore /[ \t\n]+/
%ignore /\/\/[^\n]*/
"""


@pytest.mark.parametrize("text", [
    "", "a = 1 + 2;", "print;", "print a + (b + c);", "opt end;", "opt x end;", "opt x, y end;", "keep x;",
    "[];", "[1, 2 + 3, ()];", "a = // note\n 1;", "printx = 1;", "print print;", "a = ;", "1 2", "a = 1", "$",
    "opt x, end;", "keep;", "a = [1,];", "((1));", "x;y;z;",
])
def test_tables_of_another_grammar(text, monkeypatch):
    """The table builder and the driver are not tied to graphspec's grammar: tables built for
    another one (placeholders, `!rule`, `?rule`, aliases, keywords, priorities) parse as lark does."""
    _assert_same_in_other_grammar(text, monkeypatch)


_OTHER = {}


def _assert_same_in_other_grammar(text, monkeypatch, skip=True):
    from lark import Lark
    from lark.exceptions import UnexpectedInput

    if not _OTHER:
        module = type(sys)("other_tables")
        exec(compile(_script().render(OTHER_GRAMMAR), "<other tables>", "exec"), module.__dict__)
        _OTHER["tables"] = module
        _OTHER["lark"] = Lark(OTHER_GRAMMAR, parser="lalr", lexer="contextual", propagate_positions=True,
                              maybe_placeholders=True)
    monkeypatch.setattr(lalr, "_tables", _OTHER["tables"])
    monkeypatch.setattr(lalr, "_lexer_data", None)
    monkeypatch.setattr(lalr, "_units", {})
    if not skip:
        monkeypatch.setattr(lalr._lexing(), "skip", None)
    lark = _OTHER["lark"]
    try:
        expected, lark_error = _lark_tree(lark.parse(text)), None
    except UnexpectedInput as exc:
        expected, lark_error = None, _error(exc)
    try:
        ours, error = _our_tree(lalr.parse_tree(text)), None
    except lalr.UnexpectedInput as exc:
        ours, error = None, _error(exc)
    assert (ours, error) == (expected, lark_error)


@fuzz(300)
@given(pieces=st.lists(st.sampled_from(["a", "b", "print", "printx", "opt", "keep", "end", "1", "23", "a1", "=",
                                        "+", "(", ")", "[", "]", ",", ";", "//x\n", " ", "\n", "$"]), max_size=25),
       skip=st.booleans())
def test_another_grammar_on_token_soups(pieces, skip):
    with pytest.MonkeyPatch.context() as mp:
        _assert_same_in_other_grammar(" ".join(pieces), mp, skip)


# --------------------------------------------------------------------------- every spec


@pytest.mark.parametrize("path", SPEC_FILES, ids=[p.relative_to(ROOT).as_posix() for p in SPEC_FILES])
def test_same_tree_as_lark(path, lexer_mode):
    assert_same(path.read_text(encoding="utf-8", errors="surrogateescape"))


@pytest.mark.parametrize("path", SPEC_FILES, ids=[p.relative_to(ROOT).as_posix() for p in SPEC_FILES])
def test_same_diagnostics_as_lark(path):
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    assert _diagnostics(text) == _diagnostics(text, lark=True)


@pytest.mark.parametrize("text", [
    "",
    "\n  # only a comment\n",
    "model",
    "model m {",
    "model m { input x: (3,) float33 }",
    "model m { input x: (3,) int32\n output y = x -> Dense(2) }",
    "modelm {}",
    "model m extends n { }",
    "block b(a, c=2,) { x = a -> Dense(c) }",
    "const x = 1 + 2 * -3 // 4 % 5 - +6",
    "const x = [1, 2.5, 'a', \"b\", True, False, None, (), (1,), (1, 2,), {}, {a: 1, 'b': 2,}][0]",
    "const x = .5",
    "const x = 1e400 + 2. + 3e-3",
    "const s = 'unterminated",
    "model m { x = keras.layers.Dense(3) }",
    "model m { input x: (3,)\n h = x -> Dense(3) ->\n output y = h }",
    "model m { input x: (3,)\n a, b = x -> Split()\n output y = (a, b,) -> Add() }",
    "model m { input x: (3,)\n repeat 2 as i { x = x -> Dense(i) }\n compile { loss = 'mse' } fit { epochs = 1 } }",
    "model m { layer d = Dense(3)\n input int32: (3,) }",
    "const a = \x00",
    "const a = 1 $ 2",
    "import 'a.gspec'\nimport",
    "const float32 = 1",
    "model m { input x: (3,) bool\n output y = x }",
    "model m { input x: (3,) boolean }",
    "const x = 1 +" + " 1 +" * 150 + " 1",
    "const x = " + "- " * 150 + "1",
    "model m {" + " repeat 2 {" * 60 + "}" * 60 + "}",
    "model m {" + " repeat 2 {" * 120 + "}" * 120 + "}",
])
def test_corner_cases(text, lexer_mode):
    assert_same(text)
    assert _diagnostics(text) == _diagnostics(text, lark=True)


@pytest.mark.parametrize("depth", range(94, 104))
def test_depth_limit(depth):
    """Around MAX_EXPR_DEPTH: refused (E103, at the same place) exactly when lark's tree is too deep."""
    from graphspec.limits import MAX_EXPR_DEPTH

    for text in ["const x = 1" + " + 1" * depth,
                 "const x = " + "- " * depth + "1",
                 "model m {" + " repeat 2 {" * 30 + " x = y -> Dense(1" + " * 2" * (depth - 40) + ")" + " }" * 31,
                 "model m { input x: (1,)\n" + "".join(f" h{i} = x -> Dense({' + '.join(['1'] * depth)})\n"
                                                       for i in range(3)) + "}"]:
        assert_same(text)
        ours = _diagnostics(text)
        assert ours == _diagnostics(text, lark=True)
    assert MAX_EXPR_DEPTH in range(94, 104)


# --------------------------------------------------------------------------- hypothesis

KEYWORDS = ["model", "block", "input", "layer", "output", "compile", "fit", "const", "import", "repeat",
            "extends", "as", "True", "False", "None", "modelx", "inputs", "int32", "float16", "bool", "string",
            "uint8x"]
PUNCTUATION = ["->", "(", ")", ",", "=", "{", "}", "[", "]", ":", "+", "-", "*", "/", "//", "%", "#", "\n",
               ".", "$", "@", "\t", "\\", ";"]
NAMES = ["x", "y", "h", "Dense", "Conv2D", "Add", "conv_bn", "lambda", "shape", "epochs", "_"]
NUMBERS = ["0", "1", "3", "-1", "64", "0.5", "1e-3", "1e400", "2.", "007", "1E5", "3e"]
STRINGS = ['"relu"', "'same'", '""', '"x.gspec"', "'", '"', '"a\\"b"', "'\\n'"]
TOKENS = KEYWORDS + PUNCTUATION + NAMES + NUMBERS + STRINGS
_TOKEN = re.compile(r"""#[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|->|//|[A-Za-z_]\w*"""
                    r"""|\d+\.?\d*(?:[eE][+-]?\d+)?|\s+|.""", re.S)
SPEC_TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "specs").rglob("*.gspec"))]


@st.composite
def mutated_specs(draw):
    tokens = _TOKEN.findall(draw(st.sampled_from(SPEC_TEXTS)))
    for _ in range(draw(st.integers(1, 6))):
        if not tokens:
            break
        i = draw(st.integers(0, len(tokens) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "replace", "char", "cut"]))
        if op == "delete":
            del tokens[i]
        elif op == "duplicate":
            tokens.insert(i, tokens[i])
        elif op == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif op == "insert":
            tokens.insert(i, draw(st.sampled_from(TOKENS)) + draw(st.sampled_from(["", " "])))
        elif op == "replace":
            tokens[i] = draw(st.sampled_from(TOKENS))
        elif op == "char":
            tokens.insert(i, draw(st.characters(codec="utf-8")))
        else:
            tokens = tokens[:i]
    return "".join(tokens)


@fuzz(400)
@given(text=mutated_specs())
def test_mutated_specs(text, lexer_mode):
    assert_same(text)


@fuzz(400)
@given(pieces=st.lists(st.tuples(st.sampled_from(TOKENS), st.sampled_from([" ", "", "\n", "  "])), max_size=40))
def test_token_soups(pieces, lexer_mode):
    assert_same("".join(t + sep for t, sep in pieces))


@fuzz(300)
@given(text=st.one_of(mutated_specs(), st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join)))
def test_same_diagnostics_on_mutations(text):
    assert _diagnostics(text) == _diagnostics(text, lark=True)


# --------------------------------------------------------------------------- no lark on the check path


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.parametrize("spec", ["specs/seeds/social_profile.gspec",
                                  "tests/fixtures/diagnostics/E100_unclosed_paren.gspec",
                                  "tests/fixtures/diagnostics/E101_attribute_access.gspec"])
def test_check_does_not_import_lark(spec):
    code = ("import sys\n"
            "from graphspec.cli import main\n"
            f"status = main(['check', {str(ROOT / spec)!r}])\n"
            "loaded = sorted(m for m in sys.modules if m == 'lark' or m.startswith('lark.'))\n"
            "assert not loaded, loaded\n"
            "print('status', status)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "status" in proc.stdout


def test_deep_expression_does_not_import_lark():
    code = ("import sys\n"
            "from graphspec.diagnostics.diagnostic import Diagnostics\n"
            "from graphspec.source import Source\n"
            "from graphspec.syntax.parse import parse\n"
            "diags = Diagnostics()\n"
            "assert parse(Source('d.gspec', 'const x = 1' + ' + 1' * 500), diags) is None\n"
            "assert [d.code for d in diags.items] == ['E103'], diags.items\n"
            "assert 'lark' not in sys.modules\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
