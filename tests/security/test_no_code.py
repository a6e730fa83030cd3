"""A spec never runs code (docs/language.md, "What a spec can never do").

Each spec below is what someone might write to make a spec run Python: `Lambda`,
`lambda`, `__import__`, attribute access (`keras.layers.Dense`, `os.system`),
`eval`/`exec`/`open`, an import of a `.py` file, a dunder name as a layer. Each
payload, if it ever ran, would create a marker file. For each: a diagnostic with
its code and location, and no marker file, through `graphspec check`, `ir`,
`summary`, `compile` and the Python API.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import graphspec

MODEL = """\
model m {
    input x: (3,)
    output y = x -> STEP
}
"""


def model(step: str) -> str:
    return MODEL.replace("STEP", step)


# name -> (spec text, @MARKER@ standing for the marker file's path; the codes expected)
CASES = {
    "Lambda layer with a lambda": (model('Lambda(lambda x: open("@MARKER@", "w"))'), {"E100"}),
    "Lambda layer with a string": (model('Lambda("open(\'@MARKER@\', \'w\')")'), {"E210"}),
    "Lambda as a shared layer": ('model m {\n    input x: (3,)\n    layer f = Lambda("x")\n'
                                 '    output y = x -> f\n}\n', {"E210"}),
    "Lambda inside a wrapper": (model('TimeDistributed(Lambda("open(\'@MARKER@\')"))'), {"E210"}),
    "lambda as an argument": (model('Dense(3, activation=lambda t: open("@MARKER@", "w"))'),
                              {"E100"}),
    "__import__ as a layer": (model('__import__("os")'), {"E210"}),
    "__import__ as an argument": (model('Dense(3, kernel_initializer=__import__("os"))'), {"E210"}),
    "__import__ chained": (model('Dense(__import__("os").system("touch @MARKER@"))'), {"E101"}),
    "keras.layers.Dense": (model("keras.layers.Dense(3)"), {"E101"}),
    "os.system as a layer": (model('os.system("touch @MARKER@")'), {"E101"}),
    "os.system as an argument": (model('Dense(os.system("touch @MARKER@"))'), {"E101"}),
    "eval as a layer": (model('eval("open(\'@MARKER@\', \'w\')")'), {"E210"}),
    "eval as an argument": (model('Dense(eval("3"))'), {"E210"}),
    "exec in a const": ('const a = exec("open(\'@MARKER@\', \'w\')")\n' + model("Dense(3)"),
                        {"E210"}),
    "open as an argument": (model('Dense(3, activation=open("@MARKER@", "w"))'), {"E210"}),
    "open as a name": (model("Dense(3, activation=open)"), {"E201"}),
    "code in a string": (model('Dense(3, activation="__import__(\'os\').system(\'touch @MARKER@\')")'),
                         {"E305"}),
    "code as an optimizer": (model("Dense(3)")[:-2]
                             + '    compile {\n        optimizer = __import__("os")\n        loss = "mse"\n'
                               '    }\n}\n', {"E210"}),
    "code as an optimizer string": (model("Dense(3)")[:-2]
                                    + '    compile {\n        optimizer = "__import__(\'os\')"\n'
                                      '        loss = "mse"\n    }\n}\n', {"E503"}),
    "dunder layer": (model("__class__()"), {"E210"}),
    "dunder step": (model("__subclasses__"), {"E201"}),
    "dunder shared layer": ('model m {\n    input x: (3,)\n    layer f = __init__()\n'
                            '    output y = x -> f\n}\n', {"E210"}),
    "dunder as a value": (model("Dense(__builtins__)"), {"E201"}),
    "Python def": ('def f():\n    open("@MARKER@", "w")\n' + model("Dense(3)"), {"E100"}),
    "Python from-import": ("from os import system\n" + model("Dense(3)"), {"E100"}),
    "f-string": (model('Dense(f"{open(\'@MARKER@\')}")'), {"E100"}),
    "shell escape": (model("Dense(3) ! touch @MARKER@"), {"E101"}),
    "backticks": (model("`touch @MARKER@`"), {"E101"}),
    "import of a module name": ('import "os"\n' + model("Dense(3)"), {"E203"}),
}


def _write(tmp_path: Path, name: str) -> tuple:
    template, codes = CASES[name]
    marker = tmp_path / "MARKER"
    spec = tmp_path / "spec.gspec"
    spec.write_text(template.replace("@MARKER@", marker.as_posix()), encoding="utf-8")
    return spec, marker, codes


def _cli(args, cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "graphspec", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_reports_and_runs_nothing(tmp_path, name):
    spec, marker, codes = _write(tmp_path, name)
    proc = _cli(["check", "--format", "json", spec.name], tmp_path)
    assert proc.returncode == 1, proc.stdout
    diags = json.loads(proc.stdout)
    found = [d for d in diags if d["code"] in codes]
    assert found, [(d["code"], d["message"]) for d in diags]
    assert all(d["span"] and d["span"]["file"] == "spec.gspec" and d["span"]["line"] >= 1 for d in found)
    assert not marker.exists()


@pytest.mark.parametrize("name", sorted(CASES))
def test_api_reports_and_runs_nothing(tmp_path, name):
    spec, marker, codes = _write(tmp_path, name)
    with pytest.raises(graphspec.SpecError) as info:
        graphspec.loads(spec.read_text(encoding="utf-8"), name="spec.gspec", base=tmp_path)
    assert {d.code for d in info.value.diagnostics} & codes
    with pytest.raises(graphspec.SpecError):
        graphspec.load(spec)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["Lambda layer with a string", "__import__ as an argument", "exec in a const",
                                  "Python def"])
@pytest.mark.parametrize("command", [["ir"], ["summary"], ["compile", "-o", "out.keras"],
                                     ["compile", "-o", "out.py"], ["plot", "-o", "out.mmd"]])
def test_other_commands_run_nothing(tmp_path, name, command):
    spec, marker, codes = _write(tmp_path, name)
    proc = _cli([command[0], spec.name, *command[1:]], tmp_path)
    assert proc.returncode == 1
    assert any(f"[{code}]" in proc.stderr for code in codes), proc.stderr
    assert not marker.exists()
    assert not list(tmp_path.glob("out.*"))


def test_import_of_a_python_file_is_read_as_a_spec_not_run(tmp_path):
    marker = tmp_path / "MARKER"
    (tmp_path / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n", encoding="utf-8")
    (tmp_path / "spec.gspec").write_text('import "evil.py"\n' + model("Dense(3)"), encoding="utf-8")
    proc = _cli(["check", "--format", "json", "spec.gspec"], tmp_path)
    assert proc.returncode == 1
    diags = json.loads(proc.stdout)
    # evil.py is neither run nor read: an import must name a .gspec file (E203 at the import)
    assert any(d["code"] == "E203" for d in diags), diags
    with pytest.raises(graphspec.SpecError):
        graphspec.load(tmp_path / "spec.gspec")
    assert not marker.exists()


def test_a_layer_named_like_a_python_file_next_to_the_spec_is_not_imported(tmp_path):
    """Only trusted configuration (--plugin, [tool.graphspec]) imports Python; a layer name never does."""
    marker = tmp_path / "MARKER"
    (tmp_path / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n", encoding="utf-8")
    (tmp_path / "spec.gspec").write_text(model("evil()"), encoding="utf-8")
    proc = _cli(["check", "spec.gspec"], tmp_path)
    assert proc.returncode == 1 and "error[E220]" in proc.stdout
    assert not marker.exists()


def test_set_value_is_never_evaluated_as_python(tmp_path):
    marker = tmp_path / "MARKER"
    (tmp_path / "spec.gspec").write_text("const n = 3\n" + model("Dense(n)"), encoding="utf-8")
    for value in (f'__import__("os").system("touch {marker}")', f'open("{marker}", "w")', "lambda: 3"):
        proc = _cli(["check", "spec.gspec", "--set", f"n={value}"], tmp_path)
        assert proc.returncode in (1, 2), proc.stdout
        assert "Traceback" not in proc.stderr
    assert not marker.exists()
