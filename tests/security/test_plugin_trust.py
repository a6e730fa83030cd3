"""Issue 14 findings 2 and 14: plugin code runs only when the user asked for it (`--plugin`, or the
`[tool.graphspec]` of the project at the working directory), never from a configuration found beside
a spec elsewhere, never under git, never with the opt-out set; a malformed configuration is one clean
line. Real CLI runs, a real git repository with the documented diff driver and textconv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli

SPEC = "model m {\n    input x: (4,)\n    output y = x -> Helper() -> Dense(2)\n}\n"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1", "GIT_PAGER": "cat",
           "PAGER": "cat"}


def _pull_request(tmp_path: Path) -> tuple:
    """A cloned pull request whose pyproject.toml names a plugin that leaves a marker when it runs."""
    pr = tmp_path / "pr"
    (pr / "tools").mkdir(parents=True)
    (pr / "specs").mkdir()
    marker = tmp_path / "PLUGIN-RAN"
    (pr / "tools" / "helper.py").write_text(f"open({str(marker)!r}, 'a').write('ran\\n')\n")
    (pr / "pyproject.toml").write_text('[tool.graphspec]\nplugins = ["tools/helper.py"]\n')
    (pr / "specs" / "m.gspec").write_text(SPEC)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return pr, elsewhere, marker


def _git(*args, cwd, env):
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_14_2_plugins_of_a_foreign_checkout_never_run(tmp_path):
    pr, elsewhere, marker = _pull_request(tmp_path)
    spec = str(pr / "specs" / "m.gspec")

    # From another folder: the configuration beside the spec is not the user's project.
    done = run_cli("check", spec, cwd=elsewhere)
    assert done.returncode == 1 and "E220" in done.stdout
    done = run_cli("diff", spec, spec, cwd=elsewhere)
    assert done.returncode == 2 and "E220" in done.stderr
    assert not marker.exists(), "a pull request's plugin ran on `check`/`diff` from another folder"

    # In the checkout, with the opt-outs: nothing runs, and --plugin is refused under the variable.
    for args, env in ((["check", "specs/m.gspec", "--no-plugins"], {}),
                      (["diff", "specs/m.gspec", "specs/m.gspec", "--no-plugins"], {}),
                      (["check", "specs/m.gspec"], {"GRAPHSPEC_NO_PLUGINS": "1"}),
                      (["diff", "specs/m.gspec", "specs/m.gspec"], {"GRAPHSPEC_NO_PLUGINS": "1"})):
        done = run_cli(*args, cwd=pr, env=env)
        assert done.returncode in (1, 2) and "E220" in done.stdout + done.stderr, (args, env, done.stderr)
    done = run_cli("check", "specs/m.gspec", "--plugin", "tools/helper.py", cwd=pr, env={"GRAPHSPEC_NO_PLUGINS": "1"})
    assert done.returncode == 2 and done.stderr.startswith("graphspec: error: GRAPHSPEC_NO_PLUGINS is set")
    assert not marker.exists(), "a plugin ran despite --no-plugins or GRAPHSPEC_NO_PLUGINS"

    # git, in the checkout itself, with the documented driver and textconv: never a plugin.
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")}, **GIT_ENV,
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    _git("init", "-q", cwd=pr, env=env)
    (pr / ".gitattributes").write_text("*.gspec diff=graphspec\n")
    _git("add", ".", cwd=pr, env=env)
    _git("commit", "-q", "-m", "pr", cwd=pr, env=env)
    (pr / "specs" / "m.gspec").write_text(SPEC.replace("Dense(2)", "Dense(3)"))
    _git("config", "diff.graphspec.command", "graphspec diff", cwd=pr, env=env)
    done = _git("diff", cwd=pr, env=env)
    assert done.returncode == 0 and "graphspec diff a/specs/m.gspec b/specs/m.gspec" in done.stdout, done
    _git("config", "--unset", "diff.graphspec.command", cwd=pr, env=env)
    _git("config", "diff.graphspec.textconv", "graphspec diff --textconv", cwd=pr, env=env)
    done = _git("diff", cwd=pr, env=env)
    assert done.returncode == 0 and "graphspec: this version does not check" in done.stdout, done
    assert "Traceback" not in done.stderr
    assert not marker.exists(), "a pull request's plugin ran under `git diff`"

    # The control: the project at the working directory is the user's, and its plugin is imported.
    done = run_cli("check", "specs/m.gspec", cwd=pr)
    assert marker.exists(), done.stdout + done.stderr


CONFIGS = {
    "tool is a string": 'tool = "graphspec"\n',
    "graphspec is a number": "[tool]\ngraphspec = 5\n",
    "plugins of numbers": "[tool.graphspec]\nplugins = [1]\n",
    "plugins a string": '[tool.graphspec]\nplugins = "x.py"\n',
    "invalid TOML": "[tool.graphspec\nplugins = [\n",
    "not UTF-8": b"[tool.graphspec]\nplugins = [\"\xff.py\"]\n",
}


@pytest.mark.parametrize("config", list(CONFIGS))
def test_14_14_a_malformed_configuration_is_one_clean_line(tmp_path, config):
    text = CONFIGS[config]
    (tmp_path / "pyproject.toml").write_bytes(text if isinstance(text, bytes) else text.encode())
    (tmp_path / "m.gspec").write_text(SPEC)  # names an unknown layer: the configuration is consulted
    for args in (["check", "m.gspec"], ["diff", "m.gspec", "m.gspec"]):
        done = run_cli(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.returncode, done.stdout, done.stderr)
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("graphspec: error: ") and "pyproject.toml" in lines[0], lines
