"""`graphspec check` (and `ir`, `--version`) as a user runs them: in a subprocess.

Exit statuses: 0 clean, 1 problems in a spec, 2 usage or I/O errors (a missing
file, an unknown flag, a malformed `--set`). Output formats: text (coloured only
on a terminal or with FORCE_COLOR, never with NO_COLOR), `--format json` (a list of
diagnostics), `--format github` (workflow annotations).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
FASHION = ROOT / "specs" / "seeds" / "fashion_cnn.gspec"

GOOD = """\
const units = 8

model good {
    input x: (4,)
    output y = x -> Dense(units, activation="relu")
}
"""

BAD = """\
model bad {
    input x: (4,)
    output y = x -> Dens(8)
}
"""  # E220 at 3:21

TWO_ROOTS = """\
model first {
    input x: (4,)
    output y = x -> Dense(1)
}

model second {
    input x: (4,)
    output y = x -> Dense(2)
}
"""

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def graphspec(*args: str, cwd: Path, env: Optional[Dict[str, str]] = None, script: bool = False,
              timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the CLI (`python -m graphspec`, or the installed `graphspec` script) without colour settings
    inherited from the environment."""
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    base.update(env or {})
    exe = [str(Path(sys.executable).with_name("graphspec"))] if script else [sys.executable, "-m", "graphspec"]
    proc = subprocess.run([*exe, *args], cwd=cwd, env=base, capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture
def specs(tmp_path):
    (tmp_path / "good.gspec").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.gspec").write_text(BAD, encoding="utf-8")
    (tmp_path / "roots.gspec").write_text(TWO_ROOTS, encoding="utf-8")
    return tmp_path


# ------------------------------------------------------------ exit statuses


def test_clean_spec_exits_0(specs):
    proc = graphspec("check", "good.gspec", cwd=specs)
    assert proc.returncode == 0
    assert proc.stdout.strip() == "All checks passed (1 file)."
    assert proc.stderr == ""


def test_bad_spec_exits_1(specs):
    proc = graphspec("check", "bad.gspec", cwd=specs)
    assert proc.returncode == 1
    assert "error[E220]: unknown layer `Dens`" in proc.stdout
    assert "--> bad.gspec:3:21" in proc.stdout
    assert "help: did you mean `Dense`?" in proc.stdout
    assert proc.stdout.rstrip().endswith("Found 1 error and 0 warnings in 1 file.")


def test_missing_file_exits_2(specs):
    proc = graphspec("check", "missing.gspec", cwd=specs)
    assert proc.returncode == 2
    assert "error[E001]" in proc.stdout and "missing.gspec" in proc.stdout


def test_several_files_one_bad_exits_1(specs):
    proc = graphspec("check", "good.gspec", "bad.gspec", str(FASHION), cwd=specs)
    assert proc.returncode == 1
    assert "bad.gspec:3:21" in proc.stdout and "good.gspec" not in proc.stdout
    assert "Found 1 error and 0 warnings in 3 files." in proc.stdout


def test_several_files_all_good_exit_0(specs):
    proc = graphspec("check", "good.gspec", str(FASHION), cwd=specs)
    assert proc.returncode == 0
    assert "All checks passed (2 files)." in proc.stdout


def test_missing_file_among_bad_ones_exits_2(specs):
    proc = graphspec("check", "bad.gspec", "missing.gspec", cwd=specs)
    assert proc.returncode == 2
    assert "error[E220]" in proc.stdout and "error[E001]" in proc.stdout


@pytest.mark.parametrize("args", [["check", "--bogus", "good.gspec"], ["check"], ["check", "--format", "xml",
                                                                                    "good.gspec"],
                                  ["frobnicate"], ["ir"], ["explain", "E999"]])
def test_usage_errors_exit_2(specs, args):
    proc = graphspec(*args, cwd=specs)
    assert proc.returncode == 2
    assert proc.stderr.strip(), "a usage error says what is wrong on stderr"
    assert proc.stdout == "" or "usage" in proc.stdout.lower()


def test_no_arguments_prints_usage_and_exits_2(specs):
    proc = graphspec(cwd=specs)
    assert proc.returncode == 2
    assert "usage: graphspec" in proc.stdout + proc.stderr
    assert "check" in proc.stdout + proc.stderr


def test_version(specs):
    from graphspec import __version__

    proc = graphspec("--version", cwd=specs)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"graphspec {__version__}"


def test_installed_script_and_module_agree(specs):
    script = Path(sys.executable).with_name("graphspec")
    if not script.exists():
        pytest.skip("no graphspec script next to this Python")
    a = graphspec("check", "bad.gspec", cwd=specs, script=True)
    b = graphspec("check", "bad.gspec", cwd=specs)
    assert (a.returncode, a.stdout) == (b.returncode, b.stdout)


def test_output_into_a_closed_pipe_is_not_a_traceback(specs):
    """`graphspec check ... | head -1`: the reader goes away early; no BrokenPipeError traceback."""
    many = [f"bad{i}.gspec" for i in range(200)]
    for name in many:
        shutil.copy(specs / "bad.gspec", specs / name)
    proc = subprocess.run(f"{sys.executable} -m graphspec check {' '.join(many)} | head -1", shell=True,
                          cwd=specs, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
    assert proc.stdout.startswith("error[E220]")


# ------------------------------------------------------------ formats


def test_json_format(specs):
    proc = graphspec("check", "--format", "json", "bad.gspec", "good.gspec", cwd=specs)
    assert proc.returncode == 1
    diags = json.loads(proc.stdout)
    assert isinstance(diags, list) and len(diags) == 1
    d = diags[0]
    assert {"code", "severity", "message", "span", "help", "label", "notes"} <= set(d)
    assert d["code"] == "E220" and d["severity"] == "error"
    assert d["span"] == {"file": "bad.gspec", "line": 3, "col": 21, "end_line": 3, "end_col": 25}
    assert d["help"] == "did you mean `Dense`?"
    assert "unknown layer" in d["message"]


def test_json_format_clean(specs):
    proc = graphspec("check", "--format", "json", "good.gspec", cwd=specs)
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == []


def test_json_format_missing_file(specs):
    proc = graphspec("check", "--format", "json", "missing.gspec", cwd=specs)
    assert proc.returncode == 2
    assert [d["code"] for d in json.loads(proc.stdout)] == ["E001"]


def test_github_format(specs):
    proc = graphspec("check", "--format", "github", "bad.gspec", "good.gspec", cwd=specs)
    assert proc.returncode == 1
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    assert re.fullmatch(r"::error file=bad\.gspec,line=3,col=21,endLine=3,endColumn=25,title=E220::"
                        r"unknown layer `Dens`.*", lines[0]), lines[0]


def test_github_format_escapes_newlines_and_commas(specs):
    (specs / "a,b.gspec").write_text(BAD, encoding="utf-8")
    proc = graphspec("check", "--format", "github", "a,b.gspec", cwd=specs)
    line = proc.stdout.strip()
    assert line.startswith("::error file=a%2Cb.gspec,line=3,col=21,")
    assert "\n" not in line


def test_github_format_clean(specs):
    proc = graphspec("check", "--format", "github", "good.gspec", cwd=specs)
    assert proc.returncode == 0 and proc.stdout.strip() == ""


# ------------------------------------------------------------ colour


def test_plain_when_piped(specs):
    proc = graphspec("check", "bad.gspec", cwd=specs)
    assert "\x1b[" not in proc.stdout


def test_forced_colour(specs):
    proc = graphspec("check", "bad.gspec", cwd=specs, env={"FORCE_COLOR": "1"})
    assert proc.returncode == 1
    assert "\x1b[" in proc.stdout
    plain = graphspec("check", "bad.gspec", cwd=specs).stdout
    assert ANSI.sub("", proc.stdout) == plain


def test_no_color_wins(specs):
    proc = graphspec("check", "bad.gspec", cwd=specs, env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert "\x1b[" not in proc.stdout


def test_colour_on_a_terminal(specs):
    """On a terminal the text is coloured (unless NO_COLOR)."""
    pty = pytest.importorskip("pty")
    code = ("import os, pty, sys\n"
            "pid, fd = pty.fork()\n"
            "if pid == 0:\n"
            "    os.execv(sys.executable, [sys.executable, '-m', 'graphspec', 'check', 'bad.gspec'])\n"
            "out = b''\n"
            "while True:\n"
            "    try:\n"
            "        chunk = os.read(fd, 65536)\n"
            "    except OSError:\n"
            "        break\n"
            "    if not chunk:\n"
            "        break\n"
            "    out += chunk\n"
            "os.waitpid(pid, 0)\n"
            "sys.stdout.write(repr(out))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=specs, env=env, capture_output=True, text=True,
                          timeout=120)
    assert "\\x1b[" in proc.stdout, proc.stdout + proc.stderr
    env["NO_COLOR"] = "1"
    proc = subprocess.run([sys.executable, "-c", code], cwd=specs, env=env, capture_output=True, text=True,
                          timeout=120)
    assert "error[E220]" in proc.stdout and "\\x1b[" not in proc.stdout


# ------------------------------------------------------------ --model and --set


def test_check_needs_no_root(specs):
    assert graphspec("check", "roots.gspec", cwd=specs).returncode == 0


def test_model_picks_a_root(specs):
    assert graphspec("check", "roots.gspec", "--model", "second", cwd=specs).returncode == 0
    proc = graphspec("ir", "roots.gspec", "--model", "second", cwd=specs)
    assert proc.returncode == 0 and json.loads(proc.stdout)["root"] == "second"


def test_unknown_model(specs):
    proc = graphspec("check", "roots.gspec", "--model", "secnd", cwd=specs)
    assert proc.returncode == 1
    assert "error[E207]" in proc.stdout and "did you mean `second`?" in proc.stdout


def test_several_roots_need_a_model_for_ir(specs):
    proc = graphspec("ir", "roots.gspec", cwd=specs)
    assert proc.returncode == 1
    assert "error[E207]" in proc.stderr and "--> roots.gspec:" in proc.stderr
    assert proc.stdout == ""


def test_set_overrides_a_const(specs):
    proc = graphspec("ir", "good.gspec", "--set", "units=5", cwd=specs)
    assert proc.returncode == 0
    assert '"units": 5' in proc.stdout
    assert graphspec("check", "good.gspec", "--set", "units=5", cwd=specs).returncode == 0


def test_set_value_is_checked(specs):
    proc = graphspec("check", "good.gspec", "--set", "units=-5", cwd=specs)
    assert proc.returncode == 1 and "error[E305]" in proc.stdout


def test_set_unknown_const(specs):
    proc = graphspec("check", "good.gspec", "--set", "unit=5", cwd=specs)
    assert proc.returncode == 1
    assert "error[E213]" in proc.stdout and "did you mean `units`?" in proc.stdout


@pytest.mark.parametrize("value", ["units", "=5", "units=", "units=(", "units=1 +", "units=import",
                                   "units=x.y", "1units=3"])
def test_set_malformed_exits_2(specs, value):
    proc = graphspec("check", "good.gspec", "--set", value, cwd=specs)
    assert proc.returncode == 2
    assert proc.stderr.startswith("graphspec: error: --set")
    assert proc.stdout == ""


# ------------------------------------------------------------ ir


def test_ir_prints_json(specs):
    proc = graphspec("ir", str(FASHION), cwd=specs)
    assert proc.returncode == 0
    ir = json.loads(proc.stdout)
    assert ir["root"] == "fashion_cnn"
    model = ir["models"]["fashion_cnn"]
    assert [i["name"] for i in model["inputs"]] == ["image"]
    assert [o["name"] for o in model["outputs"]] == ["label"]


def test_ir_of_a_bad_spec(specs):
    proc = graphspec("ir", "bad.gspec", cwd=specs)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "error[E220]" in proc.stderr


def test_ir_of_a_missing_file(specs):
    proc = graphspec("ir", "missing.gspec", cwd=specs)
    assert proc.returncode == 2 and "error[E001]" in proc.stderr


def test_ir_schema(specs):
    proc = graphspec("ir", "--schema", cwd=specs)
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert schema["type"] == "object" and "properties" in schema and "$defs" in schema
    ir = json.loads(graphspec("ir", str(FASHION), cwd=specs).stdout)
    assert set(ir) <= set(schema["properties"])
    assert set(schema.get("required", [])) <= set(ir)
