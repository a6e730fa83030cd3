"""The pre-commit hook (`.pre-commit-hooks.yaml`, id `graphspec-check`), run by the real
`pre-commit` tool against a temporary git repository holding a good and a bad spec.

- `pre-commit try-repo <this repository> graphspec-check --files ...`: what a developer
  runs to try the hook; it picks up uncommitted work in this repository.
- A `.pre-commit-config.yaml` with `repo: <snapshot>` and `rev: <sha>`, as a user writes
  it, where the snapshot is this working tree (tracked and untracked files) committed
  to a scratch repository. Its environment stays in PRE_COMMIT_HOME, so the test can
  look inside it: graphspec's light core (lark, pydantic) and no TensorFlow or Keras.

pre-commit builds the hook's environment from PyPI (lark, pydantic, hatchling to build
graphspec), so these tests need the network and take a minute or so; they are marked
slow, and run by default.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
TIMEOUT = 900  # building the hook's environment downloads and builds packages

GOOD = """\
model good {
    input x: (4,)
    output y = x -> Dense(2, activation="softmax")
}
"""

BAD = """\
model bad {
    input x: (4,)
    output y = x -> Dens(2)
}
"""

GIT_ENV = {"GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "test",
           "GIT_COMMITTER_EMAIL": "test@example.com", "GIT_CONFIG_NOSYSTEM": "1"}


def _env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_", "VIRTUAL_ENV"))}
    env.update(GIT_ENV)
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env["TMPDIR"] = str(tmp_path / "tmp")  # try-repo keeps its scratch store in a temporary directory
    env["PATH"] = os.pathsep.join([str(PRE_COMMIT.parent), env.get("PATH", "")])
    env["NO_COLOR"] = "1"
    return env


def _git(*args: str, cwd: Path, env: dict) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def project(tmp_path):
    """A git repository with a good spec, a bad spec and a file the hook ignores."""
    if not PRE_COMMIT.exists():
        pytest.skip("pre-commit is not installed next to this Python")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    env = _env(tmp_path)
    repo = tmp_path / "project"
    repo.mkdir()
    (repo / "good.gspec").write_text(GOOD, encoding="utf-8")
    (repo / "bad.gspec").write_text(BAD, encoding="utf-8")
    (repo / "notes.txt").write_text("not a spec: Dens(2)\n", encoding="utf-8")
    # The repository's own configuration names a plugin (it leaves a marker when imported): the hook is
    # safe by default and never imports it (the repository may be a pull request's checkout).
    (repo / "pyproject.toml").write_text('[tool.graphspec]\nplugins = ["plugin.py"]\n', encoding="utf-8")
    (repo / "plugin.py").write_text(f"open({str(tmp_path / 'PLUGIN-RAN')!r}, 'a').write('ran')\n",
                                    encoding="utf-8")
    _git("init", "-q", cwd=repo, env=env)
    _git("add", ".", cwd=repo, env=env)
    _git("commit", "-q", "-m", "specs", cwd=repo, env=env)
    return repo, env


def _pre_commit(args, repo: Path, env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(PRE_COMMIT), *args], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc


def test_try_repo_blocks_a_bad_spec_and_passes_a_good_one(project):
    repo, env = project
    bad = _pre_commit(["try-repo", str(ROOT), "graphspec-check", "--files", "bad.gspec", "good.gspec",
                       "notes.txt"], repo, env)
    out = bad.stdout + bad.stderr
    assert bad.returncode != 0, out
    assert "graphspec check" in out and "Failed" in out
    assert "error[E220]: unknown layer `Dens`" in out and "--> bad.gspec:3:21" in out
    assert "in 2 files" in out  # notes.txt is not a spec: the hook's `files` pattern leaves it out
    assert not (repo.parent / "PLUGIN-RAN").exists(), "the hook imported the repository's configured plugin"

    good = _pre_commit(["try-repo", str(ROOT), "graphspec-check", "--files", "good.gspec"], repo, env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "graphspec check" in good.stdout and "Passed" in good.stdout


def _snapshot(tmp_path: Path, env: dict) -> tuple:
    """This working tree (tracked and untracked, not ignored, files) committed to a scratch repository."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            env=env, check=True, capture_output=True).stdout.decode().split("\0")
    dest = tmp_path / "graphspec-snapshot"
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    _git("init", "-q", cwd=dest, env=env)
    _git("add", "-A", cwd=dest, env=env)
    _git("commit", "-q", "-m", "snapshot", cwd=dest, env=env)
    return dest, _git("rev-parse", "HEAD", cwd=dest, env=env)


def test_configured_hook_and_its_environment(project, tmp_path):
    repo, env = project
    snapshot, sha = _snapshot(tmp_path, env)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {snapshot.as_posix()}\n    rev: {sha}\n    hooks:\n      - id: graphspec-check\n",
        encoding="utf-8")

    bad = _pre_commit(["run", "--files", "bad.gspec", "good.gspec"], repo, env)
    assert bad.returncode != 0
    assert "error[E220]" in bad.stdout and "--> bad.gspec:3:21" in bad.stdout

    good = _pre_commit(["run", "--files", "good.gspec"], repo, env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout

    # As a git hook: committing the bad spec is refused, the good one goes through.
    _pre_commit(["install"], repo, env)
    (repo / "bad.gspec").write_text(BAD + "\n", encoding="utf-8")
    _git("add", "bad.gspec", cwd=repo, env=env)
    commit = subprocess.run(["git", "commit", "-m", "bad"], cwd=repo, env=env, capture_output=True, text=True,
                            timeout=TIMEOUT)
    assert commit.returncode != 0 and "error[E220]" in commit.stdout + commit.stderr
    (repo / "bad.gspec").write_text(GOOD, encoding="utf-8")
    _git("add", "bad.gspec", cwd=repo, env=env)
    commit = subprocess.run(["git", "commit", "-m", "fixed"], cwd=repo, env=env, capture_output=True, text=True,
                            timeout=TIMEOUT)
    assert commit.returncode == 0, commit.stdout + commit.stderr
    assert not (tmp_path / "PLUGIN-RAN").exists(), "the hook imported the repository's configured plugin"

    # The user's own hook args add a plugin: then, and only then, it is imported.
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {snapshot.as_posix()}\n    rev: {sha}\n    hooks:\n      - id: graphspec-check\n"
        "        args: [--plugin, plugin.py]\n", encoding="utf-8")
    (repo / "again.gspec").write_text(BAD, encoding="utf-8")
    bad = _pre_commit(["run", "--files", "again.gspec"], repo, env)
    assert bad.returncode != 0 and "error[E220]" in bad.stdout, bad.stdout + bad.stderr
    assert (tmp_path / "PLUGIN-RAN").exists(), bad.stdout + bad.stderr

    # The hook's environment: graphspec's light core, and no TensorFlow or Keras.
    envs = sorted(Path(env["PRE_COMMIT_HOME"]).glob("repo*/py_env-*"))
    assert envs, list(Path(env["PRE_COMMIT_HOME"]).iterdir())
    site_packages = [p for e in envs for p in e.glob("lib*/python*/site-packages")] + \
        [p for e in envs for p in e.glob("Lib/site-packages")]
    assert site_packages
    installed = {p.name.lower() for sp in site_packages for p in sp.iterdir()}
    assert {"graphspec", "lark", "pydantic"} <= installed, sorted(installed)
    heavy = {name for name in installed
             if name.split("-")[0].split(".")[0] in ("tensorflow", "tensorflow_cpu", "keras", "tf_keras", "torch",
                                                     "jax", "numpy")}
    assert not heavy, sorted(heavy)
