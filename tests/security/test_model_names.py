"""Quoted model names (issue 13): `model "mobilenetv2_0.35_96" { ... }` names the Keras model exactly.

A model name is untrusted text that reaches generated Python, the IR and terminals: a hostile
name never becomes code in `compile -o model.py`, a name a terminal would act on (a line break,
ESC, a bidi control) is refused where it is declared (E250) and where an IR carries it, and
`graphspec fmt` writes every name back as the same name.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import graphspec
from conftest import run_cli
from graphspec.diagnostics.diagnostic import Diagnostics, SpecError
from graphspec.ir import IRError
from graphspec.source import Source
from graphspec.syntax.parse import parse
from graphspec.text import quote

PAYLOAD = '__import__("pathlib").Path("canary").touch()'


def _spec(name_text: str, body: str = "    input x: (3,)\n    output y = x -> Dense(2)\n") -> str:
    return f"model {name_text} {{\n{body}}}\n"


# Imports model.py from the current folder, calls its one builder, prints the Keras model's name.
_RUNNER = """
import importlib.util, json
spec = importlib.util.spec_from_file_location("generated_model", "model.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
(build,) = [f for n, f in vars(module).items() if n.startswith("build_")]
print(json.dumps(build().name))
"""

HOSTILE = [
    f'a"; {PAYLOAD}; "',
    f'a""";{PAYLOAD};"""b',
    f"a''';{PAYLOAD};'''b",
    f'x\\" + {PAYLOAD} + \\"',
    f"it's {{}} $(touch canary) `{PAYLOAD}` \\",
]


@pytest.mark.slow
@pytest.mark.parametrize("name", HOSTILE, ids=["quote", "triple-double", "triple-single", "backslash", "shell"])
def test_hostile_model_name_never_reaches_generated_python_as_code(tmp_path, name):
    (tmp_path / "m.gspec").write_text(_spec(quote(name)), encoding="utf-8")
    done = run_cli("compile", "m.gspec", "-o", "model.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    source = (tmp_path / "model.py").read_text(encoding="utf-8")
    compile(source, "model.py", "exec")  # valid Python whatever the name
    ran = subprocess.run([sys.executable, "-c", _RUNNER], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert not (tmp_path / "canary").exists(), "the generated module ran a payload from the model name"
    assert json.loads(ran.stdout.strip().splitlines()[-1]) == name  # the Keras name, exactly


@pytest.mark.parametrize("name, reason", [
    (f"a\n{PAYLOAD}", "not printable"),
    (f"cr\r{PAYLOAD}", "not printable"),
    ("esc\x1b[2J", "not printable"),
    ("bidi\u202e", "not printable"),
    ("a/b", "`/`"),
    ("", "empty"),
])
def test_a_name_a_terminal_or_keras_would_act_on_is_refused(tmp_path, name, reason):
    text = _spec(quote(name))
    with pytest.raises(SpecError) as info:
        graphspec.loads(text)
    (diag,) = info.value.diagnostics
    assert diag.code == "E250" and reason in diag.message and (diag.span.line, diag.span.col) == (1, 7)
    (tmp_path / "m.gspec").write_text(text, encoding="utf-8")
    done = run_cli("check", "m.gspec", cwd=tmp_path)
    assert done.returncode == 1 and "E250" in done.stdout + done.stderr
    for line in (done.stdout + done.stderr).splitlines():
        assert line.isprintable(), f"raw control character in {line!r}"


def test_an_ir_cannot_carry_a_refused_name():
    spec = graphspec.loads(_spec("m"))
    ir = json.loads(spec.to_json())
    bad = f"a\n{PAYLOAD}"
    ir["root"], ir["models"] = bad, {bad: {**ir["models"]["m"], "name": bad}}
    with pytest.raises(IRError) as info:
        graphspec.Spec.from_json(json.dumps(ir))
    assert "cannot name a model: it holds a character that is not printable" in str(info.value)


@pytest.mark.parametrize("written, formatted", [
    ('"mobilenetv2_0.35_96"', '"mobilenetv2_0.35_96"'),
    ('"efficientnetv2-b0"', '"efficientnetv2-b0"'),
    ('"input"', '"input"'),  # a keyword stays quoted
    ('"plain"', "plain"),  # an identifier needs no quotes
    ("'single \\\" quoted'", '"single \\" quoted"'),
    ('"tab\\there"', None),  # (refused by check; fmt still writes the same name back)
])
def test_fmt_writes_the_same_name_back(written, formatted):
    text = _spec(written)
    out = graphspec.format(text)
    if formatted is not None:
        assert out.startswith(f"model {formatted} {{\n"), out
        assert graphspec.loads(out).root == graphspec.loads(text).root
    assert graphspec.format(out) == out
    assert _parsed_name(out) == _parsed_name(text)


def _parsed_name(text: str) -> str:
    module = parse(Source("m.gspec", text), Diagnostics())
    return module.models[0].name


def test_a_quoted_model_is_built_chosen_and_extends_by_its_exact_name(tmp_path):
    text = _spec("base") + "\n" + _spec('"net.v1-b0" extends base', "") + "\n" + _spec("other")
    spec = graphspec.loads(text, model="net.v1-b0")
    assert spec.root == "net.v1-b0" and spec.to_keras().name == "net.v1-b0"
    assert "build_net_v1_b0" in spec.to_python()
    (tmp_path / "m.gspec").write_text(text, encoding="utf-8")
    done = run_cli("check", "m.gspec", "--model", "net.v1-b0", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
