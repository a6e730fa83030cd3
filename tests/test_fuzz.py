"""Property tests: whatever text the checker is given, only diagnostics come back.

In process, through `graphspec.passes.check.check_text` (what `graphspec.loads` runs):

(a) every spec in specs/, mutated: tokens deleted, duplicated, swapped or replaced,
    random characters inserted, the text cut;
(b) random soups of the language's tokens (keywords, names, numbers, strings,
    punctuation), so that most inputs get past the lexer and into the parser's
    error recovery;
(c) random small chains of Dense / Conv / Pooling / Flatten layers that are
    syntactically valid, so that they reach the shape rules.

For each: no exception escapes (for a spec that checks, the IR and the summary of
every model are built too), no E499 ("shape rule failed", an internal error
of a rule), every diagnostic has a code and a span inside the file it names, the
text renderer renders them, and the last-resort E103 (recursion limit) never fires
on these small inputs. The whole file runs in well under a minute.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphspec import custom

from graphspec.backends.summary import render_summary_text, summarize
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.api import from_program
from graphspec.diagnostics.render import render_github, render_json, render_text
from graphspec.passes.check import check_text

ROOT = Path(__file__).resolve().parents[1]
SPEC_PATHS = sorted((ROOT / "specs").rglob("*.gspec"))
SPECS = {p.relative_to(ROOT / "specs").as_posix(): p for p in SPEC_PATHS}



def fuzz(max_examples: int) -> settings:
    return settings(max_examples=max_examples, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Lexical pieces of a spec: what the mutations insert and the soups are made of.
KEYWORDS = ["model", "block", "input", "layer", "output", "compile", "fit", "const", "import", "repeat",
            "extends", "as", "True", "False", "None"]
PUNCTUATION = ["->", "(", ")", ",", "=", "{", "}", "[", "]", ":", "+", "-", "*", "/", "//", "%", "#", "\n"]
NAMES = ["x", "y", "h", "image", "label", "filters", "n", "Dense", "Conv2D", "Conv1D", "MaxPooling2D",
         "Flatten", "Add", "Concatenate", "LSTM", "Embedding", "Reshape", "Bidirectional", "TimeDistributed",
         "MultiHeadAttention", "Dropout", "BatchNormalization", "GlobalAveragePooling2D", "Activation",
         "Adam", "L2", "EarlyStopping", "conv_bn", "residual", "int32", "float16", "string", "shape",
         "Lambda", "lambda", "__import__", "eval", "os", "keras", "optimizer", "loss", "metrics", "epochs"]
NUMBERS = ["0", "1", "3", "-1", "64", "0.5", "1e-3", "1e400", "99999999999999999999999", "2.", "007"]
STRINGS = ['"relu"', "'same'", '"valid"', '""', '"adam"', '"accuracy"', '"x.gspec"', "'", '"']
TOKENS = KEYWORDS + PUNCTUATION + NAMES + NUMBERS + STRINGS

_TOKEN = re.compile(r"""#[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|->|//|[A-Za-z_]\w*"""
                    r"""|\d+\.?\d*(?:[eE][+-]?\d+)?|\s+|.""", re.S)


@pytest.fixture(autouse=True, scope="module")
def no_custom_layers():
    """Only Keras's catalogue: custom layers that other tests register (their shape functions are
    the user's code, allowed to fail with E499) are set aside while this file runs."""
    registered = dict(custom._REGISTRY)
    custom._REGISTRY.clear()
    try:
        yield
    finally:
        custom._REGISTRY.update(registered)


def check(text: str, base: Path = ROOT):
    """Check `text` as a file named fuzz.gspec in `base`; assert only well-formed diagnostics come back."""
    diags = Diagnostics()
    program, loader = check_text(text, diags, name="fuzz.gspec", base=base)
    items = diags.sorted()
    if program is not None:  # a spec that checks: the IR and the summary of every model are built too
        spec = from_program(program)
        spec.to_json()
        for name in spec.models:
            render_summary_text(summarize(spec, name))
    for d in items:
        assert re.fullmatch(r"[EW]\d{3}", d.code), d
        assert d.code != "E499", d  # a shape rule raised: a bug in the rule, not in the spec
        assert "recursion limit" not in d.message, d  # the last resort must not be reached by small inputs
        assert d.message
        span = d.span
        assert span is not None, d  # no --model or --set here: every problem is in a file
        source = loader.sources.get(span.file)
        assert source is not None, d
        lines = source.text.split("\n")
        assert 1 <= span.line <= len(lines), (d, len(lines))
        assert 1 <= span.col <= len(lines[span.line - 1]) + 1, d
        assert (span.end_line, span.end_col) >= (span.line, span.col), d
        assert span.end_line <= len(lines), d
    # The renderers never pass a control character from the spec on to the terminal.
    for rendered in (render_text(items, loader.sources), render_github(items)):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", rendered), rendered
    render_text(items, loader.sources, color=True)
    render_json(items)
    return items


# ------------------------------------------------------------ (a) mutated specs


@st.composite
def mutated_specs(draw):
    name = draw(st.sampled_from(sorted(SPECS)))
    path = SPECS[name]
    tokens = _TOKEN.findall(path.read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(1, 6))):
        if not tokens:
            break
        i = draw(st.integers(0, len(tokens) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert_token", "replace", "insert_char",
                                   "cut"]))
        if op == "delete":
            del tokens[i]
        elif op == "duplicate":
            tokens.insert(i, tokens[i])
        elif op == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif op == "insert_token":
            tokens.insert(i, draw(st.sampled_from(TOKENS)) + draw(st.sampled_from(["", " "])))
        elif op == "replace":
            tokens[i] = draw(st.sampled_from(TOKENS))
        elif op == "insert_char":
            tokens.insert(i, draw(st.characters(codec="utf-8")))
        else:
            tokens = tokens[:i]
    return path.parent, "".join(tokens)


@fuzz(1500)
@given(mutated_specs())
def test_mutated_specs(case):
    base, text = case
    check(text, base)


def test_unmutated_specs_have_no_errors_except_the_custom_layer():
    """The mutation test starts from specs that check: only the custom-layer spec has errors (its
    layer is registered from Python)."""
    from graphspec import custom

    registered = custom.get("SimpleDense")  # other tests may have registered it in this process
    for name, path in SPECS.items():
        items = check(path.read_text(encoding="utf-8"), path.parent)
        errors = {d.code for d in items if d.code.startswith("E")}
        expected = {"E220"} if name.startswith("custom/") and registered is None else set()
        assert errors == expected, (name, items)


# ------------------------------------------------------------ (b) token soups


@fuzz(1500)
@given(st.lists(st.tuples(st.sampled_from(TOKENS), st.sampled_from([" ", "", "\n", "  "])), max_size=60))
def test_token_soups(pieces):
    check("".join(t + sep for t, sep in pieces))


@st.composite
def soups_in_a_model(draw):
    """Token soups inside a model body, after a valid input: reaches the statement-level recovery."""
    body = "".join(t + s for t, s in draw(st.lists(st.tuples(st.sampled_from(TOKENS),
                                                                 st.sampled_from([" ", "\n"])), max_size=30)))
    return f"model m {{\n    input x: (8,)\n    {body}\n    output y = x -> Dense(2)\n}}\n"


@fuzz(800)
@given(soups_in_a_model())
def test_token_soups_in_a_model(text):
    check(text)


# ------------------------------------------------------------ (c) valid small chains


@st.composite
def layer_chains(draw):
    """A model: an image or sequence input, then Dense/Conv/Pooling/Flatten steps suited to the rank."""
    rank = draw(st.sampled_from([1, 2, 3]))  # axes after the batch: vector, sequence, image
    sizes = draw(st.lists(st.one_of(st.integers(1, 64), st.none()), min_size=rank, max_size=rank))
    if rank > 1 and sizes[-1] is None:
        sizes[-1] = draw(st.integers(1, 8))  # the channel axis must be known
    shape = "(" + ", ".join(str(s) for s in sizes) + ("," if rank == 1 else "") + ")"
    steps = []
    for _ in range(draw(st.integers(1, 8))):
        padding = draw(st.sampled_from(['"valid"', '"same"']))
        k = draw(st.integers(1, 5))
        s = draw(st.integers(1, 3))
        choices = ["dense", "dropout", "activation", "batchnorm"]
        if rank == 3:
            choices += ["conv2d", "maxpool2d", "avgpool2d", "gap2d", "flatten", "conv2d_dilated"]
        if rank == 2:
            choices += ["conv1d", "maxpool1d", "avgpool1d", "gap1d", "flatten"]
        kind = draw(st.sampled_from(choices))
        if kind == "dense":
            steps.append(f"Dense({draw(st.integers(1, 32))}, activation=\"relu\")")
        elif kind == "dropout":
            steps.append(f"Dropout({draw(st.sampled_from(['0.0', '0.2', '0.5']))})")
        elif kind == "activation":
            activation = draw(st.sampled_from(["relu", "softmax", "tanh"]))
            steps.append(f'Activation("{activation}")')
        elif kind == "batchnorm":
            steps.append("BatchNormalization()")
        elif kind == "conv2d":
            steps.append(f"Conv2D({draw(st.integers(1, 16))}, {k}, strides={s}, padding={padding})")
        elif kind == "conv2d_dilated":
            steps.append(f"Conv2D({draw(st.integers(1, 16))}, ({k}, {k}), dilation_rate=2, padding={padding})")
        elif kind == "maxpool2d":
            steps.append(f"MaxPooling2D({k}, padding={padding})")
        elif kind == "avgpool2d":
            steps.append(f"AveragePooling2D(({k}, {k}), strides={s}, padding={padding})")
        elif kind == "conv1d":
            steps.append(f"Conv1D({draw(st.integers(1, 16))}, {k}, strides={s}, padding={padding})")
        elif kind == "maxpool1d":
            steps.append(f"MaxPooling1D({k}, padding={padding})")
        elif kind == "avgpool1d":
            steps.append(f"AveragePooling1D({k}, strides={s}, padding={padding})")
        elif kind in ("gap2d", "gap1d"):
            steps.append("GlobalAveragePooling2D()" if kind == "gap2d" else "GlobalMaxPooling1D()")
            rank = 1
        elif kind == "flatten":
            steps.append("Flatten()")
            rank = 1
    chain = "\n        -> ".join(["x"] + steps)
    return f"model chain {{\n    input x: {shape}\n    output y = {chain}\n}}\n"


@fuzz(800)
@given(layer_chains())
def test_valid_layer_chains(text):
    items = check(text)
    # Syntactically valid chains: any problem is about values or shapes, never the syntax.
    assert not [d for d in items if d.code in ("E100", "E101", "E102", "E103")], items
