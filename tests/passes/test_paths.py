"""graphspec.source.resolve (the loader's os.path resolution: a check never imports pathlib) gives
what pathlib's Path.resolve() gives, and fails as it does: RuntimeError with the same message on a
symlink loop, ValueError on a NUL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graphspec.source import resolve


def _outcome(fn):
    try:
        return "ok", str(fn())
    except (OSError, RuntimeError, ValueError) as exc:
        return type(exc).__name__, str(exc)


@pytest.fixture
def tree(tmp_path, monkeypatch):
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "spec.gspec").write_text("model m {}\n")
    (tmp_path / "link.gspec").symlink_to(tmp_path / "dir" / "spec.gspec")
    (tmp_path / "dangling.gspec").symlink_to(tmp_path / "nowhere.gspec")
    (tmp_path / "loop_a.gspec").symlink_to("loop_b.gspec")
    (tmp_path / "loop_b.gspec").symlink_to("loop_a.gspec")
    (tmp_path / "self.gspec").symlink_to("self.gspec")
    (tmp_path / "dirlink").symlink_to(tmp_path / "dir")
    monkeypatch.chdir(tmp_path / "dir")
    return tmp_path


CASES = ["spec.gspec", "./spec.gspec", "sub/../spec.gspec", "sub//..//spec.gspec", "../link.gspec",
         "../dangling.gspec", "../loop_a.gspec", "../self.gspec", "../loop_a.gspec/x.gspec", "../dirlink/spec.gspec",
         "missing/also.gspec", "", ".", "..", "a\x00b.gspec", "../" + "n" * 300 + ".gspec", "/", "//x"]


@pytest.mark.parametrize("name", CASES)
def test_resolve_is_path_resolve(tree, name):
    assert _outcome(lambda: resolve(name)) == _outcome(lambda: Path(name).resolve())


@pytest.mark.parametrize("name", ["spec.gspec", "../loop_a.gspec", "../dangling.gspec"])
def test_resolve_takes_a_path_too(tree, name):
    assert _outcome(lambda: resolve(Path(name))) == _outcome(lambda: Path(name).resolve())
    assert _outcome(lambda: resolve(os.path.abspath(name))) == _outcome(lambda: Path(name).resolve())
