"""`graphspec lsp` end to end: a real server process driven over stdio by a JSON-RPC client
(tests/lsp/conftest.py), as an editor drives it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from lsp_client import SERVER, Client, lsp, position_of  # noqa: F401  (lsp: the fixture)

RESIDUAL = """\
model residual {
    input x: (32, 32, 64)

    y = x
        -> Conv2D(128, 3, activation="relu", padding="same")
        -> MaxPooling2D(2)

    shortcut = x -> Conv2D(128, 1, strides=2, padding="same")

    output features = (y, shortcut) -> Add()
}
"""

BLOCKS = """\
const width = 64

block dense_bn(units, rate=0.1) {
    input x
    output y = x -> Dense(units, activation="relu") -> BatchNormalization() -> Dropout(rate)
}

model mlp {
    input features: (16,)
    h = features -> dense_bn(width)
    h = h -> dense_bn(width * 2)
    output y = h -> Dense(10, activation="softmax")
}
"""


def test_initialize_announces_every_feature():
    client = Client(SERVER, ROOT)
    try:
        caps = client.initialize(ROOT)["capabilities"]
        for feature in ("hoverProvider", "definitionProvider", "completionProvider", "documentSymbolProvider",
                        "documentFormattingProvider", "renameProvider", "textDocumentSync"):
            assert caps.get(feature), feature
        assert "(" in caps["completionProvider"]["triggerCharacters"]
        assert client.close() == 0
    finally:
        client.kill()


def test_an_error_is_published_with_its_code_range_link_and_help_then_cleared_by_the_fix(lsp, tmp_path):
    broken = RESIDUAL.replace('Conv2D(128, 1, strides=2, padding="same")', "Conv2D(128, 1)")
    uri = lsp.open(tmp_path / "residual.gspec", broken)
    diags = lsp.diagnostics(uri, 1)
    assert [d["code"] for d in diags] == ["E401"]
    d = diags[0]
    line, char = position_of(broken, "Add()")
    assert d["range"] == {"start": {"line": line, "character": char}, "end": {"line": line, "character": char + 5}}
    assert d["severity"] == 1 and d["source"] == "graphspec"
    assert "(None, 16, 16, 128)" in d["message"] and "(None, 32, 32, 128)" in d["message"]
    assert d["codeDescription"]["href"].endswith("docs/errors.md#e401-incompatible-shapes")
    assert any(r["message"].startswith("help: ") for r in d["relatedInformation"])
    assert "\nhelp: " in d["message"]

    lsp.change(uri, RESIDUAL, 2)
    assert lsp.diagnostics(uri, 2) == []


def test_a_syntax_error_while_typing_and_a_warning(lsp, tmp_path):
    uri = lsp.open(tmp_path / "t.gspec", RESIDUAL.replace("-> Add()", "-> Add("))
    diags = lsp.diagnostics(uri, 1)
    assert [d["code"] for d in diags] == ["E100"]
    unused = RESIDUAL.replace("    input x: (32, 32, 64)\n", "    input x: (32, 32, 64)\n    input extra: (3,)\n")
    lsp.change(uri, unused, 2)
    diags = lsp.diagnostics(uri, 2)
    assert [(d["code"], d["severity"]) for d in diags] == [("W101", 2)]
    assert diags[0]["range"]["start"]["line"] == 2


def test_the_link_of_a_code_is_its_anchor_in_docs_errors_md():
    from graphspec.lsp.diagnostics import anchor

    doc = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    linked = re.findall(r"^\| \[([EW]\d+)\]\(#([a-z0-9_-]+)\)", doc, re.M)  # the table of codes
    assert len(linked) > 30
    wrong = [(code, want, anchor(code)) for code, want in linked if anchor(code) != want]
    assert not wrong, wrong


def _hover(lsp, uri, text, needle, occurrence=0, delta=0):
    line, char = position_of(text, needle, occurrence, delta)
    result = lsp.at("textDocument/hover", uri, line, char)
    assert result is not None, needle
    assert result["contents"]["kind"] == "markdown"
    return result["contents"]["value"]


def test_hover_shows_shapes_dtypes_and_parameters(lsp, tmp_path):
    text = RESIDUAL
    uri = lsp.open(tmp_path / "residual.gspec", text)
    assert lsp.diagnostics(uri, 1) == []
    tensor = _hover(lsp, uri, text, "shortcut", 1)  # the use in the last line
    assert "`(None, 16, 16, 128)` float32" in tensor and "Conv2D" in tensor
    assert "`(None, 32, 32, 64)` float32" in _hover(lsp, uri, text, "x ->", 0)
    assert "`(None, 16, 16, 128)`" in _hover(lsp, uri, text, "y = x")
    step = _hover(lsp, uri, text, "Conv2D(128, 3")
    assert "(None, 32, 32, 128)" in step and "73,856 params" in step  # 3*3*64*128 + 128
    assert "Conv2D(filters, kernel_size" in step and "https://keras.io/" in step
    model = _hover(lsp, uri, text, "residual")
    assert "features: `(None, 16, 16, 128)`" in model and "params" in model


def test_hover_on_a_layer_name_shows_its_signature_even_with_errors(lsp, tmp_path):
    text = BLOCKS.replace("Dense(10,", "Dense(10, unknown_arg=1,")
    uri = lsp.open(tmp_path / "b.gspec", text)
    assert [d["code"] for d in lsp.diagnostics(uri, 1)] == ["E301"] or lsp.diagnostics
    value = _hover(lsp, uri, text, "Dense(10", delta=2)
    assert "Dense(units, activation=None" in value
    assert "keras.io" in value


def test_hover_in_a_block_body_shows_every_expansion(lsp, tmp_path):
    uri = lsp.open(tmp_path / "b.gspec", BLOCKS)
    assert lsp.diagnostics(uri, 1) == []
    value = _hover(lsp, uri, BLOCKS, "Dense(units")
    assert "(None, 64)" in value and "(None, 128)" in value  # width, then width * 2
    assert "1,088 params" in value  # 16*64 + 64
    assert "(None, 16)" in _hover(lsp, uri, BLOCKS, "x ->")  # the block input, as its first use received it
    assert "`64`" in _hover(lsp, uri, BLOCKS, "width", 1)


def test_definition_of_a_block_a_tensor_and_a_const(lsp, tmp_path):
    uri = lsp.open(tmp_path / "b.gspec", BLOCKS)
    lsp.diagnostics(uri, 1)
    line, char = position_of(BLOCKS, "dense_bn(width)")
    loc = lsp.at("textDocument/definition", uri, line, char + 1)
    assert loc["uri"] == uri
    assert loc["range"]["start"] == {"line": 2, "character": 6}
    line, char = position_of(BLOCKS, "h -> dense_bn")  # the second binding's use: the first binding
    loc = lsp.at("textDocument/definition", uri, line, char)
    assert loc["range"]["start"]["line"] == position_of(BLOCKS, "h = features")[0]
    line, char = position_of(BLOCKS, "width * 2")
    assert lsp.at("textDocument/definition", uri, line, char)["range"]["start"] == {"line": 0, "character": 6}


def test_definition_across_an_import(lsp, tmp_path):
    lib = tmp_path / "lib" / "common.gspec"
    lib.parent.mkdir()
    lib.write_text(BLOCKS.split("model mlp")[0], encoding="utf-8")
    main = 'import "lib/common.gspec"\n\n' + BLOCKS.split("}\n\n", 1)[1]
    uri = lsp.open(tmp_path / "main.gspec", main)
    assert lsp.diagnostics(uri, 1) == []
    line, char = position_of(main, "dense_bn(width * 2)")
    loc = lsp.at("textDocument/definition", uri, line, char)
    assert loc["uri"] == lib.resolve().as_uri()
    assert loc["range"]["start"] == {"line": 2, "character": 6}
    line, char = position_of(main, "width * 2")
    assert lsp.at("textDocument/definition", uri, line, char)["range"]["start"] == {"line": 0, "character": 6}
    loc = lsp.at("textDocument/definition", uri, 0, 10)  # the import line: the file
    assert loc["uri"] == lib.resolve().as_uri()


def test_an_error_in_an_imported_file_shows_at_the_import(lsp, tmp_path):
    (tmp_path / "common.gspec").write_text("const width = 64\nblock b(x) {\n  input t\n  output u = t -> Nope()\n}\n",
                                           encoding="utf-8")
    main = 'import "common.gspec"\n\nmodel m {\n    input a: (3,)\n    output o = a -> b(1)\n}\n'
    uri = lsp.open(tmp_path / "main.gspec", main)
    diags = lsp.diagnostics(uri, 1)
    assert [d["code"] for d in diags] == ["E220"]
    assert diags[0]["range"]["start"]["line"] == 0
    assert diags[0]["message"].startswith("in ") and "common.gspec:4:" in diags[0]["message"]
    assert diags[0]["relatedInformation"][0]["location"]["uri"] == (tmp_path / "common.gspec").resolve().as_uri()


def test_secondary_locations_are_related_information(lsp, tmp_path):
    """Where a duplicate was first defined, and the use of a block whose body fails, are linked."""
    text = ("const width = 64\nconst width = 128\n\nblock b(u) {\n    input t\n    output v = t -> Dense(unitz)\n}\n\n"
            "model m {\n    input a: (3,)\n    output o = a -> b(width)\n}\n")
    uri = lsp.open(tmp_path / "main.gspec", text)
    diags = lsp.diagnostics(uri, 1)
    assert [d["code"] for d in diags] == ["E202", "E201"]
    duplicate, body = ({r["message"]: r["location"] for r in d["relatedInformation"]} for d in diags)
    assert duplicate["first defined here"] == {"uri": uri, "range": {"start": {"line": 0, "character": 6},
                                                                     "end": {"line": 0, "character": 11}}}
    line, char = position_of(text, "b(width)")
    assert body["in this use of block `b`"]["range"]["start"] == {"line": line, "character": char}


def _labels(result):
    items = result["items"] if isinstance(result, dict) else result
    return {i["label"]: i for i in items}


def test_completion_of_keyword_arguments_inside_an_open_call(lsp, tmp_path):
    text = 'model m {\n    input x: (8,)\n    output y = x -> Dense(\n}\n'
    uri = lsp.open(tmp_path / "c.gspec", text)
    lsp.diagnostics(uri, 1)
    line, char = position_of(text, "Dense(", delta=6)
    items = _labels(lsp.at("textDocument/completion", uri, line, char))
    assert {"units", "activation", "use_bias", "name"} <= set(items)
    assert items["units"]["detail"] == "required" and items["activation"]["detail"] == "= None"
    assert items["units"]["sortText"] < items["activation"]["sortText"]
    text2 = text.replace("Dense(", "Dense(4, activation=\"relu\", ")
    lsp.change(uri, text2, 2)
    line, char = position_of(text2, '"relu", ', delta=8)
    items = _labels(lsp.at("textDocument/completion", uri, line, char))
    assert "activation" not in items and "use_bias" in items


def test_completion_of_layer_names_blocks_and_dtypes(lsp, tmp_path):
    uri = lsp.open(tmp_path / "b.gspec", BLOCKS)
    lsp.diagnostics(uri, 1)
    typing = BLOCKS.replace("    output y = h -> Dense", "    z = h -> Con\n    output y = h -> Dense")
    lsp.change(uri, typing, 2)
    line, char = position_of(typing, "-> Con", delta=6)
    items = _labels(lsp.at("textDocument/completion", uri, line, char))
    assert {"Conv2D", "Dense", "LSTM", "dense_bn"} <= set(items)
    assert items["Conv2D"]["kind"] == 7 and items["dense_bn"]["kind"] == 3  # Class, Function
    with_dtype = BLOCKS.replace("input features: (16,)", "input features: (16,) ")
    lsp.change(uri, with_dtype, 3)
    line, char = position_of(with_dtype, "(16,) ", delta=6)
    assert {"int32", "float32", "string"} <= set(_labels(lsp.at("textDocument/completion", uri, line, char)))
    lsp.change(uri, BLOCKS, 4)
    line, char = position_of(BLOCKS, "dense_bn(width * 2)", delta=9)
    names = _labels(lsp.at("textDocument/completion", uri, line, char))
    assert {"units", "rate", "width"} <= set(names)  # the block's parameters, and the consts in scope


def test_formatting_gives_the_text_of_graphspec_fmt(lsp, tmp_path):
    messy = "# routing\nmodel m{input x:(8,)   # the features\n  output y=x->Dense(4,activation='relu')}\n"
    uri = lsp.open(tmp_path / "f.gspec", messy)
    lsp.diagnostics(uri, 1)
    edits = lsp.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                    "options": {"tabSize": 4, "insertSpaces": True}})
    formatted = _apply(messy, edits)
    (tmp_path / "f.gspec").write_text(messy, encoding="utf-8")
    cli = run_cli("fmt", "-", cwd=tmp_path, input=messy)
    assert cli.returncode == 0, cli.stderr
    assert formatted == cli.stdout and formatted != messy
    lsp.change(uri, formatted, 2)
    assert lsp.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                   "options": {"tabSize": 4, "insertSpaces": True}}) == []


def _offset(text, pos):
    lines = text.split("\n")
    return sum(len(x) + 1 for x in lines[:pos["line"]]) + pos["character"]


def _apply(text, edits):
    for e in sorted(edits, key=lambda e: (e["range"]["start"]["line"], e["range"]["start"]["character"]),
                    reverse=True):
        start, end = _offset(text, e["range"]["start"]), _offset(text, e["range"]["end"])
        text = text[:start] + e["newText"] + text[end:]
    return text


def test_rename_a_tensor_and_a_block(lsp, tmp_path):
    uri = lsp.open(tmp_path / "b.gspec", BLOCKS)
    lsp.diagnostics(uri, 1)
    line, char = position_of(BLOCKS, "h -> Dense")
    prep = lsp.at("textDocument/prepareRename", uri, line, char)
    assert prep["placeholder"] == "h"
    edit = lsp.at("textDocument/rename", uri, line, char, newName="hidden")
    renamed = _apply(BLOCKS, edit["changes"][uri])
    assert "hidden = features -> dense_bn(width)" in renamed
    assert "hidden = hidden -> dense_bn(width * 2)" in renamed and "output y = hidden -> Dense" in renamed
    assert "output y = x ->" in renamed  # the block's tensors are other names
    line, char = position_of(BLOCKS, "dense_bn")
    edit = lsp.at("textDocument/rename", uri, line, char, newName="dense_block")
    renamed = _apply(BLOCKS, edit["changes"][uri])
    assert renamed.count("dense_block") == 3 and "dense_bn" not in renamed
    lsp.change(uri, renamed, 2)
    assert lsp.diagnostics(uri, 2) == []  # the renamed spec still checks
    with pytest.raises(Exception, match="not a name"):
        lsp.at("textDocument/rename", uri, line, char, newName="model")


def test_document_symbols(lsp, tmp_path):
    uri = lsp.open(tmp_path / "b.gspec", BLOCKS)
    lsp.diagnostics(uri, 1)
    symbols = lsp.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    assert [(s["name"], s["kind"]) for s in symbols] == [("width", 14), ("dense_bn", 12), ("mlp", 5)]
    mlp = symbols[2]
    assert [c["name"] for c in mlp["children"]] == ["features", "y"]
    assert mlp["selectionRange"]["start"] == {"line": 7, "character": 6}


def test_hostile_documents_never_break_the_server(lsp, tmp_path):
    texts = ["(" * 5000, "model m {\n" + "    x = x -> " * 2000 + "\n}", "\x00\ud800\u202e", "",
             "model m { input x: (" + "9" * 50 + ",) output y = x }", 'import "/dev/zero"\n',
             'import "' + "../" * 40 + 'etc/passwd"\n']
    for i, text in enumerate(texts):
        uri = lsp.open(tmp_path / f"h{i}.gspec", text)
        lsp.diagnostics(uri, 1)
        for line, char in ((0, 0), (0, 3), (10 ** 6, 10 ** 6)):
            lsp.at("textDocument/hover", uri, line, char)
            lsp.at("textDocument/definition", uri, line, char)
            lsp.at("textDocument/completion", uri, line, char)
        lsp.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                "options": {"tabSize": 4, "insertSpaces": True}})
        lsp.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    assert "Traceback" not in lsp.stderr.decode(errors="replace")


def test_non_ascii_columns_in_utf16(lsp, tmp_path):
    text = 'model m {\n    input x: (4,)  # ünïcödé 😀\n    output y = x -> Dense(2, name="😀😀")  -> Nope()\n}\n'
    uri = lsp.open(tmp_path / "u.gspec", text)
    diags = lsp.diagnostics(uri, 1)
    line, char = position_of(text, "Nope")
    # Two astral characters before the step: four UTF-16 units, two Python characters.
    unknown = [d for d in diags if d["code"] == "E220"]
    assert unknown[0]["range"]["start"] == {"line": line, "character": char + 2}
    assert unknown[0]["range"]["end"] == {"line": line, "character": char + 6}


def test_shutdown_and_exit_cleanly(tmp_path):
    client = Client(SERVER, tmp_path)
    try:
        client.initialize(tmp_path)
        client.open(tmp_path / "a.gspec", RESIDUAL)
        client.diagnostics((tmp_path / "a.gspec").resolve().as_uri())
        assert client.close() == 0
        assert "Traceback" not in client.stderr.decode(errors="replace")
    finally:
        client.kill()


def test_a_1000_layer_file_is_rechecked_from_the_new_text(tmp_path):
    """Edits to a 1,000-layer spec re-check and re-publish, and hover answers from the latest text.

    The speed of this re-check is measured by benchmarks/lsp.py, not here."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate_spec

    text = generate_spec(1000)
    client = Client([sys.executable, "-c", "from graphspec.lsp.server import main; main(['--debounce', '0'])"],
                    tmp_path)
    try:
        client.initialize(tmp_path)
        uri = client.open(tmp_path / "big.gspec", text)
        assert client.diagnostics(uri, 1) == []
        line, char = position_of(text, "output y")
        for version in range(2, 5):
            edited = text.replace("const width = 32", f"const width = {30 + version}")
            client.change(uri, edited, version)
            assert client.diagnostics(uri, version) == []
        hover = client.at("textDocument/hover", uri, line, char + 7)
        assert "(None, 10)" in hover["contents"]["value"]
        # A broken edit must be reported: the server re-checks the new text, not a cached result.
        client.change(uri, text.replace("const width = 32", "const width = -1"), 5)
        assert client.diagnostics(uri, 5) != []
        assert client.close() == 0
    finally:
        client.kill()


def test_the_server_imports_no_keras_tensorflow_or_numpy():
    script = """
import json, sys
from pathlib import Path
from graphspec.lsp import server, hover, completion, navigation, diagnostics, convert
from graphspec.lsp.analysis import analyze
for path in sorted(Path('specs').rglob('*.gspec')):
    if path.parent.name == 'custom':
        continue
    a = analyze(path.read_text(encoding='utf-8'), path)
    assert not [d for d in a.diagnostics if d.is_error], path
    diagnostics.to_lsp(a, convert.split(a.text), path.resolve().as_uri())
    for occ in a.index.occurrences:
        hover.hover_text(a, occ.span.line, occ.span.col)
        navigation.definition(a, occ.span.line, occ.span.col)
    navigation.document_symbols(a)
    completion.complete(a.text[:len(a.text) // 2], a.index, 1, 1)
    server.format_edits(a.text, path.name)
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    modules = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert not {"keras", "tensorflow", "numpy", "pydantic"} & modules
