"""A development checkout whose parse tables are older than its grammar: one line, exit 2, no traceback."""

import shutil

from conftest import ROOT, run_cli


def test_stale_tables_are_one_line(tmp_path):
    shutil.copytree(ROOT / "graphspec", tmp_path / "graphspec", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "grammar", tmp_path / "grammar")
    grammar = next((tmp_path / "grammar").glob("*.lark"))
    grammar.write_text(grammar.read_text() + "\n// edited after the tables were built\n")
    (tmp_path / "m.gspec").write_text("model m {\n    input x: (3,)\n    output y = x -> Dense(1)\n}\n")
    done = run_cli("check", "m.gspec", cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr.startswith("graphspec: error: graphspec/syntax/tables.py was not built from")
    assert len(done.stderr.splitlines()) == 1 and done.stdout == ""
