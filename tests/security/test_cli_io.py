"""Issue 14 findings 10 and 16: the command line reads specs only from regular files, within the
size limit (a FIFO or a device is an error, never a hang or a MemoryError), and a reader closing the
pipe early never turns a failing command into a success. Real CLI runs, real FIFOs and pipes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import run_cli

BAD = "model bad {\n    input x: (4,)\n    output y = x -> Dens(8)\n}\n"
GOOD = "model good {\n    input x: (4,)\n    output y = x -> Dense(8)\n}\n"
UNFORMATTED = "model good {\ninput x: (4,)\n    output y = x->Dense(8)\n}\n"
TIMEOUT = 60  # a regression blocks on the FIFO: the run times out and the test fails instead of hanging


@pytest.mark.parametrize("args", [["fmt", "{fifo}"], ["fmt", "--check", "{fifo}"], ["diff", "--textconv", "{fifo}"],
                                  ["check", "{fifo}"], ["fmt", "--check", "/dev/zero"], ["fmt", "/dev/zero"],
                                  ["diff", "--textconv", "/dev/zero"], ["fmt", "--check", "{dir}"],
                                  ["diff", "{fifo}", "{fifo}"]])
def test_14_10_fifos_devices_and_directories_are_refused_not_read(tmp_path, args):
    fifo = tmp_path / "pipe.gspec"
    os.mkfifo(fifo)
    (tmp_path / "folder.gspec").mkdir()
    args = [a.replace("{fifo}", fifo.name).replace("{dir}", "folder.gspec") for a in args]
    done = run_cli(*args, cwd=tmp_path, timeout=TIMEOUT)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "not a regular file" in done.stderr + done.stdout or "directory" in done.stderr + done.stdout


def test_14_10_a_spec_over_the_size_limit_is_refused_by_fmt(tmp_path):
    from graphspec.limits import MAX_FILE_BYTES

    big = tmp_path / "big.gspec"
    big.write_text("# " + "x" * MAX_FILE_BYTES + "\n" + GOOD)
    for args in (["fmt", "--check", "big.gspec"], ["fmt", "big.gspec"]):
        done = run_cli(*args, cwd=tmp_path, timeout=TIMEOUT)
        assert done.returncode == 1 and "E003" in done.stderr, (args, done.stderr)
    done = run_cli("fmt", "-", cwd=tmp_path, timeout=TIMEOUT, input="#" * (MAX_FILE_BYTES + 10))
    assert done.returncode == 1 and "E003" in done.stderr


def _into_a_closed_pipe(args, cwd):
    """Run the CLI with its standard output a pipe whose reader is already gone."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    proc = subprocess.Popen([sys.executable, "-m", "graphspec", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # long before the CLI has started, let alone printed
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err.decode()


def test_14_16_a_closed_pipe_keeps_the_exit_status(tmp_path):
    (tmp_path / "bad.gspec").write_text(BAD)
    (tmp_path / "good.gspec").write_text(GOOD)
    (tmp_path / "ugly.gspec").write_text(UNFORMATTED)
    for args, status in ((["check", "bad.gspec"], 1), (["check", "good.gspec", "bad.gspec"], 1),
                         (["check", "good.gspec"], 0), (["check", "missing.gspec"], 2),
                         (["fmt", "--check", "ugly.gspec"], 1), (["diff", "good.gspec", "bad.gspec"], 2),
                         (["summary", "good.gspec"], 0)):
        code, err = _into_a_closed_pipe(args, tmp_path)
        assert code == status, (args, code, err)
        assert "BrokenPipe" not in err and "Exception ignored" not in err and "Traceback" not in err, err

    # The same through a shell, as a user types it: `graphspec check bad.gspec | head -c 10`.
    many = " ".join(["bad.gspec"] * 300)  # more output than a pipe holds, so the write does fail
    done = subprocess.run(f"{sys.executable} -m graphspec check {many} | head -c 10; exit ${{PIPESTATUS[0]}}",
                          shell=True, executable="/bin/bash", cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1 and done.stdout == "error[E220", (done.returncode, done.stdout)
    assert done.stderr == "", done.stderr
