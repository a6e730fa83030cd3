"""`graphspec check` as a program ends without the interpreter's teardown (cli._quick_exit): its output
is whole, its exit status kept, and a process with something left to do at exit exits the usual way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT

SEED = ROOT / "specs" / "seeds" / "fashion_cnn.gspec"

# An object whose finaliser runs only in the interpreter's teardown, then the CLI as a program.
_PROBE = ("import sys\n"
          "class Probe:\n"
          "    def __del__(self):\n"
          "        sys.__stdout__.write('torn down\\n'); sys.__stdout__.flush()\n"
          "probe = Probe()\n"
          "{setup}\n"
          "from graphspec.cli import main\n"
          "sys.exit(main())\n")


def _probe(args, setup: str = "", cwd: Path = ROOT) -> subprocess.CompletedProcess:
    code = _PROBE.format(setup=setup)
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_check_skips_the_teardown_and_keeps_its_status(tmp_path):
    clean = _probe(["check", str(SEED)])
    assert clean.returncode == 0 and "All checks passed" in clean.stdout
    assert "torn down" not in clean.stdout
    bad = tmp_path / "bad.gspec"
    bad.write_text("model m {\n    input x: (4,)\n    output y = x -> Dense(2, units=3)\n}\n")
    failed = _probe(["check", str(bad)])
    assert failed.returncode == 1 and "torn down" not in failed.stdout


def test_files_written_before_a_quick_exit_are_whole(tmp_path):
    out = tmp_path / "m.mmd"
    done = _probe(["plot", str(SEED), "-o", str(out)])
    assert done.returncode == 0 and "torn down" not in done.stdout
    from graphspec.cli import main

    again = tmp_path / "again.mmd"
    assert main(["plot", str(SEED), "-o", str(again)]) == 0  # in process: no quick exit
    assert out.read_text().startswith("flowchart") and out.read_bytes() == again.read_bytes()
    messy = tmp_path / "messy.gspec"
    messy.write_text(SEED.read_text().replace("    ", "  "))
    assert _probe(["fmt", str(messy)]).returncode == 0
    assert messy.read_text() == SEED.read_text()


def test_other_commands_and_pending_exit_work_tear_down(tmp_path):
    assert "torn down" in _probe(["check", "--help"]).stdout  # argparse ended it: no command ran
    marker = tmp_path / "atexit-ran"
    # An atexit callback (a plugin's, a coverage tool's) must still run: the usual exit is taken.
    done = _probe(["check", str(SEED)], setup=f"import atexit; atexit.register(open, {str(marker)!r}, 'w')")
    assert done.returncode == 0 and marker.exists() and "torn down" in done.stdout
    thread = ("import threading, time; threading.Thread(target=time.sleep, args=(0.5,)).start()")
    assert "torn down" in _probe(["check", str(SEED)], setup=thread).stdout  # waits for the thread


def test_a_long_report_through_a_pipe_arrives_whole(tmp_path):
    # 400 independent errors, well past a pipe's buffer: everything is flushed before the process ends.
    lines = ["model m {", "    input x: (4,)"]
    lines += [f"    h{i} = x -> Dense(2, unit={i})" for i in range(400)]
    lines += ["    output y = x -> Dense(2)", "}"]
    spec = tmp_path / "many.gspec"
    spec.write_text("\n".join(lines) + "\n")
    done = subprocess.run([sys.executable, "-m", "graphspec", "check", str(spec)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stdout.count("error[E301]") == 400, done.stdout[-500:]
    assert done.stdout.rstrip().endswith("in 1 file.")
