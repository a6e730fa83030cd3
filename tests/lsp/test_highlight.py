"""Highlighting .gspec: the Pygments lexer (graphspec/highlight.py) and the TextMate grammar of the
VS Code extension (editors/vscode/), the latter run by VS Code's own engine (vscode-textmate and
vscode-oniguruma, installed with npm) under node. Every spec in specs/ tokenises with no error."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from conftest import ROOT, SPECS

from graphspec.highlight import GspecLexer
from graphspec.passes.application import DTYPES
from graphspec.text import KEYWORDS

pygments = pytest.importorskip("pygments")
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String  # noqa: E402

ALL_SPECS = sorted(SPECS.rglob("*.gspec"))
VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = VSCODE / "syntaxes" / "gspec.tmLanguage.json"
TOKENS_JS = Path(__file__).with_name("textmate_tokens.js")
SAMPLE = '''\
# a comment
import "common.gspec"
const width = 64 * 2
model m extends base {
    input x: (28, 28, 1) int32
    layer shared = Dense(width, activation='relu')
    h, g = x -> Conv2D(32, 3, padding="same\\n") -> two(rate=1e-3)
    repeat 2 as i { h = h -> shared }
    output y = (h, g) -> Add()
    compile { optimizer = Adam(learning_rate=0.5)  loss = None  metrics = [True, False] }
}
'''


def test_the_spec_list_is_not_empty():
    assert len(ALL_SPECS) >= 15


# ------------------------------------------------------------------ Pygments

@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: str(p.relative_to(SPECS)))
def test_pygments_tokenises_every_spec_without_error_tokens(path):
    text = path.read_text(encoding="utf-8")
    tokens = list(GspecLexer().get_tokens(text))
    errors = [(t, v) for t, v in tokens if t in Error]
    assert not errors, errors[:5]
    assert "".join(v for _, v in tokens) == text if text.endswith("\n") else text + "\n"


def _pygments_types(text):
    return {v: t for t, v in GspecLexer().get_tokens(text) if v.strip()}


def test_pygments_token_types():
    types = _pygments_types(SAMPLE)
    assert types["# a comment"] in Comment
    for word in ("import", "const", "model", "extends", "input", "layer", "repeat", "as", "output", "compile"):
        assert types[word] in Keyword, word
    assert types["int32"] in Keyword.Type and types["None"] in Keyword.Constant
    assert types["Conv2D"] in Name.Function and types["Adam"] in Name.Function
    assert types["m"] in Name.Class and types["base"] in Name.Class
    assert types["->"] in Operator and types["64"] in Number.Integer and types["1e-3"] in Number.Float
    assert types["\\n"] in String.Escape and types["relu"] in String


def test_pygments_marks_what_is_not_gspec():
    errors = [v for t, v in GspecLexer().get_tokens("model m { x = y @ z $ ? }\n") if t in Error]
    assert errors == ["$", "?"]


def test_the_lexers_know_the_parsers_keywords_and_dtypes():
    source = Path(sys.modules[GspecLexer.__module__].__file__).read_text(encoding="utf-8")
    grammar = GRAMMAR.read_text(encoding="utf-8")
    for word in KEYWORDS | set(DTYPES):
        assert f'"{word}"' in source, word
        assert re.search(rf"[(|]{word}[|)]", grammar), word


def test_the_lexer_is_registered_for_pygments():
    """The `pygments.lexers` entry point (pyproject.toml) makes ```gspec work in Sphinx, MkDocs and Jupyter."""
    points = [e for e in metadata.entry_points(group="pygments.lexers") if e.name == "gspec"]
    if not points:
        pytest.skip("the `pygments.lexers` entry point `gspec` is not in the installed metadata: add it to "
                    "pyproject.toml ([project.entry-points.\"pygments.lexers\"]) and reinstall (pip install -e .)")
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename

    assert points[0].value == "graphspec.highlight:GspecLexer"
    assert isinstance(get_lexer_by_name("gspec"), GspecLexer)
    assert isinstance(get_lexer_for_filename("model.gspec"), GspecLexer)


# ------------------------------------------------------------------ TextMate (VS Code's engine)

def _dev_versions():
    dev = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))["devDependencies"]
    return {name: dev[name] for name in ("vscode-textmate", "vscode-oniguruma")}


@pytest.fixture(scope="session")
def node_modules():
    """vscode-textmate and vscode-oniguruma, at editors/vscode/package.json's versions, in a cache folder."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are needed to run VS Code's TextMate engine")
    versions = _dev_versions()
    tag = "-".join(f"{n}@{v}" for n, v in versions.items())
    base = Path(os.environ.get("GRAPHSPEC_NODE_CACHE") or Path.home() / ".cache" / "graphspec-tests") / tag
    modules = base / "node_modules"
    if not all((modules / name / "package.json").is_file() for name in versions):
        base.mkdir(parents=True, exist_ok=True)
        try:
            proc = subprocess.run([npm, "install", "--prefix", str(base), "--no-save", "--no-audit", "--no-fund",
                                   "--loglevel=error", *(f"{n}@{v}" for n, v in versions.items())],
                                  capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            pytest.skip("npm install of vscode-textmate timed out: the npm registry is unreachable")
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["?"])[-1]
            if re.search(r"ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|network|offline", proc.stderr):
                pytest.skip(f"the npm registry is unreachable: {last}")
            pytest.fail(f"npm install failed: {proc.stderr[-2000:]}")
    return modules


def _textmate(node_modules, files):
    proc = subprocess.run(["node", str(TOKENS_JS), str(GRAMMAR), "source.gspec", *map(str, files)],
                          env=dict(os.environ, NODE_PATH=str(node_modules)), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_textmate_tokenises_every_spec_without_invalid_tokens(node_modules):
    result = _textmate(node_modules, ALL_SPECS)
    assert len(result) == len(ALL_SPECS)
    bad = {f: r["invalid"][:3] for f, r in result.items() if r["invalid"]}
    assert not bad, bad


def test_textmate_scopes(node_modules, tmp_path):
    sample = tmp_path / "sample.gspec"
    sample.write_text(SAMPLE, encoding="utf-8")
    scopes = _textmate(node_modules, [sample])[str(sample)]["scopes"]
    first = {text: s[-1] for text, s in scopes.items()}  # the innermost scope
    assert first["#"].startswith("punctuation.definition.comment") and scopes["#"][0].startswith("comment.line")
    assert first["model"] == "storage.type.model.gspec" and first["m"] == "entity.name.type.gspec"
    assert first["import"].startswith("keyword.control") and first["repeat"].startswith("keyword.control")
    assert first["->"] == "keyword.operator.arrow.gspec"
    assert first["Conv2D"] == "entity.name.function.call.gspec"
    assert first["int32"].startswith("support.type") and first["None"].startswith("constant.language")
    assert first["64"].startswith("constant.numeric") and first["1e-3"].startswith("constant.numeric.float")
    assert first["relu"].startswith("string.quoted.single") and first["same"].startswith("string.quoted.double") and first["\\n"].startswith("constant.character.escape")


def test_textmate_marks_what_is_not_gspec(node_modules, tmp_path):
    bad = tmp_path / "bad.gspec"
    bad.write_text("model m { x = y @ z $ ? }\n", encoding="utf-8")
    invalid = _textmate(node_modules, [bad])[str(bad)]["invalid"]
    assert [t["text"] for t in invalid] == ["$", "?"]


# ------------------------------------------------------------------ the VS Code extension folder

def test_the_extension_manifest_matches_its_files():
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    config = json.loads((VSCODE / "language-configuration.json").read_text(encoding="utf-8"))
    (language,) = manifest["contributes"]["languages"]
    (contributed,) = manifest["contributes"]["grammars"]
    assert language["id"] == contributed["language"] == "gspec" and language["extensions"] == [".gspec"]
    assert contributed["scopeName"] == grammar["scopeName"] == "source.gspec"
    for rel in (manifest["main"], contributed["path"], language["configuration"]):
        assert (VSCODE / rel).is_file(), rel
    assert config["comments"] == {"lineComment": "#"}
    assert {tuple(p) for p in config["brackets"]} == {("{", "}"), ("[", "]"), ("(", ")")}
    assert {p["open"] for p in config["autoClosingPairs"]} == {"{", "[", "(", '"', "'"}
    assert "vscode-languageclient" in manifest["dependencies"]
    # A workspace's settings must not choose the program the extension runs.
    for key in ("graphspec.server.path", "graphspec.server.args"):
        assert manifest["contributes"]["configuration"]["properties"][key]["scope"] == "machine"
    assert '"lsp"' in json.dumps(manifest["contributes"]["configuration"]["properties"]["graphspec.server.args"])


@pytest.mark.slow
def test_the_extension_packages_as_a_vsix(tmp_path):
    """editors/vscode/build-vsix.sh builds a .vsix with @vscode/vsce (npm install, then vsce package)."""
    if not shutil.which("npm"):
        pytest.skip("npm is needed to package the extension")
    folder = tmp_path / "vscode"
    shutil.copytree(VSCODE, folder, ignore=shutil.ignore_patterns("node_modules", "*.vsix"))
    try:
        proc = subprocess.run(["sh", str(folder / "build-vsix.sh"), "out.vsix"], cwd=folder, capture_output=True,
                              text=True, timeout=600)
    except subprocess.TimeoutExpired:
        pytest.skip("npm install timed out: the npm registry is unreachable")
    if proc.returncode != 0 and re.search(r"ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|network", proc.stderr):
        pytest.skip("the npm registry is unreachable")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    with zipfile.ZipFile(folder / "out.vsix") as vsix:
        names = set(vsix.namelist())
        packaged = json.loads(vsix.read("extension/package.json"))
    for rel in ("extension/extension.js", "extension/syntaxes/gspec.tmLanguage.json",
                "extension/language-configuration.json", "extension/readme.md",
                "extension/node_modules/vscode-languageclient/package.json"):
        assert rel in names, rel
    assert not any(n.startswith("extension/node_modules/vscode-textmate/") for n in names)
    assert packaged["contributes"]["languages"][0]["id"] == "gspec"
