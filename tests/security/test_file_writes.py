"""Issue 14 findings 7 and 13: every file graphspec writes is written atomically, never through a
planted symlink, and a write that cannot be done is one clean `cannot write` line (exit 2) with no
temporary file left behind. Real CLI runs, real symlinks, real Keras."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

SPEC = "model m {\n    input x: (4,)\n    output y = x -> Dense(2)\n}\n"
UNFORMATTED = "model m {\ninput x: (4,)\n    output y = x->Dense(2)\n}\n"
VICTIM_TEXT = "the victim's own content\n"


def _plant(folder: Path, names, victim: Path) -> None:
    """Symlinks to `victim` at every name an attacker could guess: the target and the old temp names."""
    for name in names:
        (folder / name).symlink_to(victim)


def _victim(tmp_path: Path) -> Path:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victim = elsewhere / "victim.txt"
    victim.write_text(VICTIM_TEXT)
    victim.chmod(0o600)
    return victim


def _assert_untouched(victim: Path) -> None:
    assert victim.read_text() == VICTIM_TEXT
    assert stat.S_IMODE(victim.stat().st_mode) == 0o600


def _assert_regular(path: Path) -> None:
    st = path.lstat()
    assert stat.S_ISREG(st.st_mode), f"{path.name} is still a symlink"
    assert stat.S_IMODE(st.st_mode) & 0o600 == 0o600  # readable and writable by its owner, not the victim's mode


@pytest.fixture(scope="module")
def saved_keras(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("keras")
    (folder / "m.gspec").write_text(SPEC)
    done = run_cli("compile", "m.gspec", "-o", "m.keras", cwd=folder, timeout=300)
    assert done.returncode == 0, done.stderr
    return folder / "m.keras"


# (command line, target, the temp names the old code used, what the target must hold afterwards)
WRITERS = {
    "fmt": (["fmt", "s.gspec"], "s.gspec", [".s.gspec.fmt.tmp"], "output y = x -> Dense(2)"),
    "compile .py": (["compile", "m.gspec", "-o", "m.py"], "m.py", [".m.py.tmp"], "keras.Model("),
    "plot": (["plot", "m.gspec", "-o", "m.mmd"], "m.mmd", [".m.mmd.tmp"], "flowchart"),
    "import": (["import", "{keras}", "-o", "i.gspec"], "i.gspec", [".i.gspec.tmp"], "model m"),
    "compile .keras": (["compile", "m.gspec", "-o", "k.keras"], "k.keras", [], None),
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_14_7_writes_replace_a_planted_symlink_and_never_follow_one(tmp_path, writer, request):
    args, target, old_temps, expected = WRITERS[writer]
    if "{keras}" in args:
        args = [str(request.getfixturevalue("saved_keras")) if a == "{keras}" else a for a in args]
    work = tmp_path / "work"
    work.mkdir()
    (work / "m.gspec").write_text(SPEC)
    victim = _victim(tmp_path)
    if writer == "fmt":  # fmt rewrites a spec in place: the spec is the real file, the temp names are planted
        (work / "s.gspec").write_text(UNFORMATTED)
        _plant(work, old_temps, victim)
    else:
        _plant(work, [target, *old_temps], victim)
    done = run_cli(*args, cwd=work, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    _assert_untouched(victim)
    _assert_regular(work / target)
    if expected is not None:
        assert expected in (work / target).read_text()
    else:
        import keras

        assert keras.models.load_model(work / target).output_names == ["y"]
    left = sorted(p.name for p in work.iterdir())
    assert left == sorted({"m.gspec", target, *old_temps} | ({"s.gspec"} if writer == "fmt" else set())), left


def test_14_7_a_failed_or_killed_write_leaves_no_temporary_file(tmp_path):
    # In process: whatever interrupts the writer (here Ctrl-C), the temp file goes and the target stays.
    from graphspec.atomic import write_bytes, write_via

    (tmp_path / "out.py").write_text("previous\n")

    def interrupted(tmp):
        Path(tmp).write_text("partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_via(tmp_path / "out.py", interrupted)
    with pytest.raises(TypeError):
        write_bytes(tmp_path / "out.py", "text, not bytes")  # fails mid-write
    (tmp_path / "a_directory").mkdir()
    with pytest.raises(IsADirectoryError):
        write_bytes(tmp_path / "a_directory", b"data")  # fails at the rename
    (tmp_path / "a_directory").rmdir()
    assert sorted(os.listdir(tmp_path)) == ["out.py"] and (tmp_path / "out.py").read_text() == "previous\n"

    # A string that UTF-8 cannot encode (a lone surrogate) in generated Python: no `.m.py.tmp` is left.
    (tmp_path / "s.gspec").write_text('model m {\n    input x: (4,)\n    output y = x -> Dense(2, name="a\\ud800")\n}\n')
    done = run_cli("compile", "s.gspec", "-o", "m.py", cwd=tmp_path)
    assert done.returncode in (0, 1, 2)
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")], os.listdir(tmp_path)

    # A `.keras` save killed (SIGTERM) while Keras writes the file: the temp file is removed, no m.keras.
    work = tmp_path / "kill"
    work.mkdir()
    # ~16M parameters: a save of ~64 MB, long enough to be caught in the act.
    (work / "big.gspec").write_text("model big {\n    input x: (4000,)\n    output y = x -> Dense(4000)\n}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    # On a loaded machine the save can finish between seeing its temp file and the signal landing:
    # such a run must still leave exactly the finished file; try again until one is caught mid-write.
    for _attempt in range(5):
        proc = subprocess.Popen([sys.executable, "-m", "graphspec", "compile", "big.gspec", "-o", "big.keras"],
                                cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 300
        try:
            while not [n for n in os.listdir(work) if n.startswith(".big.keras.")]:
                assert proc.poll() is None, "the save finished before it could be interrupted: " + proc.stderr.read()
                assert time.monotonic() < deadline, "no temporary file appeared"
                time.sleep(0.002)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert "Traceback" not in err, err
        # Finished first (status 0), or the signal landed after the rename published the file (143, a
        # window that exists before any process exit): the target is whole, no temp file is left.
        if proc.returncode == 0 or (proc.returncode == 143 and (work / "big.keras").exists()):
            assert sorted(os.listdir(work)) == ["big.gspec", "big.keras"], os.listdir(work)
            with zipfile.ZipFile(work / "big.keras") as whole:
                assert whole.testzip() is None and "config.json" in whole.namelist()
            (work / "big.keras").unlink()
            continue
        break
    assert proc.returncode == 143, (proc.returncode, err)
    assert sorted(os.listdir(work)) == ["big.gspec"], os.listdir(work)


def _targets(folder: Path) -> dict:
    (folder / "a_directory.mmd").mkdir()
    (folder / "a_file").write_text("x")
    return {
        "missing folder": "no/such/folder/out{ext}",
        "a directory": "a_directory.mmd",
        "a file as folder": "a_file/out{ext}",
        "unwritable folder": "/sys/out{ext}",
    }


@pytest.mark.parametrize("command", [["plot", "m.gspec"], ["compile", "m.gspec"], ["import", "{keras}"],
                                     ["compile", "m.gspec", "--keras"]])
def test_14_13_every_output_failure_is_one_clean_line_with_exit_2(tmp_path, command, request):
    ext = {"plot": ".mmd", "compile": ".py", "import": ".gspec"}[command[0]]
    if "--keras" in command:
        command, ext = command[:2], ".keras"
    if "{keras}" in command:
        command = [command[0], str(request.getfixturevalue("saved_keras"))]
    (tmp_path / "m.gspec").write_text(SPEC)
    for what, target in _targets(tmp_path).items():
        target = target.format(ext=ext) if what != "a directory" else target.replace(".mmd", ext)
        if what == "a directory":
            (tmp_path / target).mkdir(exist_ok=True)
        before = sorted(p.name for p in tmp_path.rglob("*"))
        done = run_cli(*command, "-o", target, cwd=tmp_path, timeout=300)
        assert done.returncode == 2, (what, done.returncode, done.stdout, done.stderr)
        lines = [line for line in done.stderr.splitlines() if line.startswith("graphspec")]  # not TF's log
        assert len(lines) == 1 and lines[0].startswith(f"graphspec: error: cannot write {target!r}: "), (what, lines)
        assert done.stderr.rstrip("\n").endswith(lines[0])
        assert sorted(p.name for p in tmp_path.rglob("*")) == before, what  # no temp file anywhere
