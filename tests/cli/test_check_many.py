"""`graphspec check DIR` and many files: the walk (hidden folders, .gitignore), and the process pool's
output byte for byte that of one process, in input order."""

import shutil

from conftest import ROOT, SPECS, run_cli

GOOD = "model m {\n    input x: (3,)\n    output y = x -> Dense(1)\n}\n"
BAD = "model m {\n    input x: (3,)\n    output y = x -> Dens(1)\n}\n"
WARN = "model m {\n    input a: (3,)\n    input b: (3,)\n    output y = a -> Dense(1)\n}\n"


def _tree(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a/one.gspec").write_text(GOOD)
    (tmp_path / "a/deep").mkdir()
    (tmp_path / "a/deep/two.gspec").write_text(BAD)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden/bad.gspec").write_text(BAD)
    (tmp_path / "build").mkdir()
    (tmp_path / "build/gen.gspec").write_text(BAD)
    (tmp_path / "skip.tmp.gspec").write_text(BAD)
    (tmp_path / "notes.txt").write_text("not a spec")
    (tmp_path / ".gitignore").write_text("# generated\nbuild/\n*.tmp.gspec\n")
    return tmp_path


def test_a_folder_is_every_spec_below_it(tmp_path):
    root = _tree(tmp_path)
    done = run_cli("check", ".", "--format", "json", cwd=root)
    assert done.returncode == 1, done.stderr
    assert "two.gspec" in done.stdout and "bad.gspec" not in done.stdout and "gen.gspec" not in done.stdout
    text = run_cli("check", ".", cwd=root)
    assert text.stdout.rstrip().endswith("in 2 files.")
    assert run_cli("check", "a/one.gspec", cwd=root).returncode == 0


def test_a_folder_without_specs_is_a_usage_error(tmp_path):
    (tmp_path / "empty").mkdir()
    done = run_cli("check", "empty", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "graphspec: error: no .gspec file below the folder 'empty'"


def _corpus(tmp_path, copies):
    specs = [p for p in sorted(SPECS.rglob("*.gspec")) if "custom" not in p.parts]
    for i in range(copies):
        folder = tmp_path / f"c{i:02d}"
        folder.mkdir()
        for p in specs:
            shutil.copy(p, folder / p.name)
        (folder / "broken.gspec").write_text(BAD)
        (folder / "warned.gspec").write_text(WARN)
    return len(specs) + 2


def test_parallel_output_is_the_serial_output(tmp_path):
    per_copy = _corpus(tmp_path, 3)  # above batch.PARALLEL_FROM files
    for fmt in ("text", "json", "github"):
        serial = run_cli("check", ".", "--format", fmt, "-j", "1", cwd=tmp_path, env={"NO_COLOR": ""})
        parallel = run_cli("check", ".", "--format", fmt, "-j", "2", cwd=tmp_path, env={"NO_COLOR": ""})
        assert serial.returncode == parallel.returncode == 1
        assert serial.stdout == parallel.stdout
        assert serial.stderr == parallel.stderr == ""
    assert serial.stdout.count("::error ") == 3  # one broken spec per copy, in input order
    text = run_cli("check", ".", cwd=tmp_path).stdout
    assert text.rstrip().endswith(f"in {3 * per_copy} files.")
    positions = [text.index(f"c{i:02d}/broken.gspec") for i in range(3)]
    assert positions == sorted(positions)


def test_jobs_must_be_positive():
    done = run_cli("check", "specs", "-j", "0", cwd=ROOT)
    assert done.returncode == 2 and "positive whole number" in done.stderr
