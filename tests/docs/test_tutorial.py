"""docs/tutorial.md runs as written: every command, file and output in it is real.

The tutorial is executed top to bottom in an empty temporary directory, following
these conventions (also described at the end of the tutorial):

- a fenced ```console block is a shell session: each `$ ` line is a command
  (a line ending in `\\` continues on the next one), run with bash in the
  directory; the lines after it, up to the next `$ ` line, are its output;
- a command must exit with 0, unless the next command is `echo $?`: that line is
  not run, its shown output is the previous command's exit status;
- `<!-- file: NAME -->` on the line before a fenced block: the block is written to
  NAME (the reader's editor), before the commands that follow it;
- `<!-- expect: NAME -->` on the line before a fenced block: the file NAME, as
  the commands above left it, must be what the block shows;
- `<!-- skip -->` on the line before a fenced block: shown only, never run (for
  what needs the network or a published release);
- shown output is matched line by line (trailing spaces ignored). A line that is
  just `...` stands for any number of lines; `...` inside a line stands for any
  text. Otherwise the whole output must match, start to end.

Commands run in a pseudo-terminal, so that standard output and standard error
interleave as the reader sees them, with colours off (NO_COLOR=1, PRE_COMMIT_COLOR=never)
and TensorFlow's start-up chatter silenced (TF_CPP_MIN_LOG_LEVEL=3,
TF_ENABLE_ONEDNN_OPTS=0, as the tutorial tells the reader). The whole walk builds and
trains a few small Keras models in subprocesses (about 30 s), so it is marked slow;
the checks on the document's own structure are fast.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorial.md"
BIN = Path(sys.executable).parent
TIMEOUT = 300  # one command; each builds at most a small model

_MARK = re.compile(r"^<!--\s*(file|expect|skip)\s*(?::\s*(\S+))?\s*-->\s*$")
_FENCE = re.compile(r"^```([\w+-]*)\s*$")
# Blocks that show something the reader runs, writes or gets: each is run or checked.
CHECKED_LANGS = {"console", "python", "gspec", "mermaid", "yaml"}
# Lines TensorFlow may print on standard error even when told to be quiet.
_NOISE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)|[IWE]\d{4} \d\d:\d\d:\d\d\.\d+ |"
                    r"To enable the following instructions:)")


@dataclass
class Block:
    lang: str
    text: str  # the block's content, ending with a newline (as a file written from it)
    line: int  # 1-based line of the opening fence
    mark: str | None = None  # file, expect, skip
    name: str | None = None  # the file of `file:` / `expect:`


@dataclass
class Command:
    command: str
    line: int
    expected: list[str] = field(default_factory=list)


def parse(text: str) -> list[Block]:
    lines = text.splitlines()
    blocks: list[Block] = []
    pending = None
    i = 0
    while i < len(lines):
        mark = _MARK.match(lines[i])
        fence = _FENCE.match(lines[i])
        if mark:
            kind, name = mark.groups()
            assert (name is None) == (kind == "skip"), f"tutorial.md:{i + 1}: malformed marker {lines[i]!r}"
            assert pending is None, f"tutorial.md:{i + 1}: two markers in a row"
            pending = (kind, name, i + 1)
        elif fence:
            end = i + 1
            while end < len(lines) and lines[end].rstrip() != "```":
                end += 1
            assert end < len(lines), f"tutorial.md:{i + 1}: unclosed code block"
            body = "".join(line + "\n" for line in lines[i + 1:end])
            kind, name = (pending[0], pending[1]) if pending else (None, None)
            blocks.append(Block(fence.group(1), body, i + 1, kind, name))
            pending = None
            i = end
        elif lines[i].strip() and pending:
            raise AssertionError(f"tutorial.md:{pending[2]}: a marker must be followed by a code block")
        i += 1
    assert pending is None, f"tutorial.md:{pending[2]}: a marker must be followed by a code block"
    return blocks


def commands(block: Block) -> list[Command]:
    out: list[Command] = []
    lines = block.text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            start = i
            cmd = line[2:]
            while cmd.endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd = cmd[:-1] + "\n" + lines[i]
            out.append(Command(cmd, block.line + 1 + start))
        else:
            assert out, f"tutorial.md:{block.line + 1 + i}: output before the first `$ ` command"
            out[-1].expected.append(line)
        i += 1
    return out


def _line_pattern(line: str) -> re.Pattern:
    return re.compile(".*".join(re.escape(part) for part in line.rstrip().split("...")), re.S)


def matches(expected: list[str], actual: list[str]) -> bool:
    """Glob matching over lines: `...` alone is any run of lines, `...` inside a line any text."""
    exp = [None if line.strip() == "..." else _line_pattern(line) for line in _trim(expected)]
    act = [line.rstrip() for line in _trim(actual)]
    # can[i][j]: exp[i:] matches act[j:]
    can = [[False] * (len(act) + 1) for _ in range(len(exp) + 1)]
    can[len(exp)][len(act)] = True
    for i in range(len(exp) - 1, -1, -1):
        for j in range(len(act), -1, -1):
            if exp[i] is None:
                can[i][j] = can[i + 1][j] or (j < len(act) and can[i][j + 1])
            else:
                can[i][j] = j < len(act) and exp[i].fullmatch(act[j]) is not None and can[i + 1][j + 1]
    return can[0][0]


def _trim(lines: list[str]) -> list[str]:
    lines = list(lines)
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def _env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PRE_COMMIT", "GIT_", "VIRTUAL_ENV", "TF_", "FORCE_COLOR", "PYTHON"))}
    env.update(
        PATH=os.pathsep.join([str(BIN), env.get("PATH", "")]),
        TF_CPP_MIN_LOG_LEVEL="3",
        TF_ENABLE_ONEDNN_OPTS="0",
        NO_COLOR="1",
        PRE_COMMIT_COLOR="never",
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="test", GIT_COMMITTER_EMAIL="test@example.com",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _run(cmd: Command, cwd: Path, env: dict) -> tuple[int, list[str]]:
    """Run a command as at a terminal: in a pseudo-terminal, so that Python's standard output is
    line-buffered and its lines interleave with standard error's as the reader sees them."""
    import fcntl
    import pty
    import select
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    proc = subprocess.Popen(["bash", "-c", cmd.command], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    data = bytearray()
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every process holding the terminal has closed it
                break
            if not chunk:
                break
            data += chunk
        else:
            proc.kill()
            raise AssertionError(f"tutorial.md:{cmd.line}: `{cmd.command}` took more than {TIMEOUT} s")
    finally:
        os.close(master)
    status = proc.wait(timeout=TIMEOUT)
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return status, [line for line in map(_shown, lines) if not _NOISE.match(line)]


_ERASE = "\x1b[K"  # erase to the end of the line (the progress line of a slow step, cleared when it ends)


def _shown(line: str) -> str:
    """One line as the terminal shows it: a carriage return goes back to its start, later text
    overwrites earlier text, and ESC [K erases from the cursor to the end."""
    if "\r" not in line and _ERASE not in line:
        return line
    screen: list[str] = []
    for part in line.split("\r"):
        cursor = 0
        pieces = part.split(_ERASE)
        for i, piece in enumerate(pieces):
            if i:
                del screen[cursor:]
            screen[cursor:cursor + len(piece)] = piece
            cursor += len(piece)
    return "".join(screen).rstrip()


def _report(what: str, expected: list[str], actual: list[str]) -> str:
    return (f"{what}\n--- shown in the tutorial ---\n" + "\n".join(expected) +
            "\n--- real ---\n" + "\n".join(actual))


BLOCKS = parse(TUTORIAL.read_text(encoding="utf-8")) if TUTORIAL.is_file() else []


# ---------------------------------------------------------------------------------------------------------
# The document's structure (fast).

def test_every_shown_block_is_run_or_checked():
    assert BLOCKS, f"{TUTORIAL} is missing or has no code blocks"
    for block in BLOCKS:
        where = f"tutorial.md:{block.line}"
        assert block.lang, f"{where}: give the code block a language"
        if block.lang in CHECKED_LANGS and block.lang != "console":
            assert block.mark, f"{where}: a ```{block.lang} block needs <!-- file: NAME -->, " \
                               f"<!-- expect: NAME --> or <!-- skip -->"
        if block.lang == "console":
            assert block.mark in (None, "skip"), f"{where}: a console block is run, not written or expected"
            if block.mark is None:
                assert commands(block), f"{where}: a console block without `$ ` commands"


def test_the_walk_covers_every_step():
    run = [c.command for b in BLOCKS if b.lang == "console" and b.mark is None for c in commands(b)]
    written = {b.name for b in BLOCKS if b.mark == "file"}

    def ran(pattern: str) -> bool:
        return any(re.search(pattern, c) for c in run)

    assert "my_model.py" in written and ran(r"^python my_model\.py$")
    assert ran(r"^graphspec import my_model\.keras -o my_model\.gspec$")
    for pattern in (r"^graphspec check my_model\.gspec$", r"^graphspec summary my_model\.gspec$",
                    r"^graphspec plot my_model\.gspec -o my_model\.svg$", r"-o my_model\.mmd$",
                    r"^graphspec diff \S+\.gspec my_model\.gspec$", r"^graphspec fmt ",
                    r"^graphspec compile my_model\.gspec -o my_model\.keras$",
                    r"^graphspec compile my_model\.gspec -o my_model\.py$", r"^pre-commit run"):
        assert ran(pattern), pattern
    assert any(b.lang == "mermaid" and b.mark == "expect" for b in BLOCKS)
    python = "".join(b.text for b in BLOCKS if b.lang == "python" and b.mark == "file")
    assert "graphspec.load(" in python and ".to_keras()" in python and "**spec.fit_kwargs()" in python
    hooks = "".join(b.text for b in BLOCKS if b.lang == "yaml")
    assert "graphspec-check" in hooks and "graphspec-fmt" in hooks
    # a diagnostic with its help line, shown before it is fixed
    shown = "\n".join(line for b in BLOCKS if b.lang == "console" for c in commands(b) for line in c.expected)
    assert re.search(r"^error\[E\d{3}\]", shown, re.M) and "= help:" in shown


def test_output_matching():
    assert matches(["a", "b"], ["a", "b", ""])
    assert not matches(["a", "b"], ["a", "b", "c"])
    assert not matches(["a"], ["x", "a"])
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "...", "d"], ["a", "d"])
    assert matches(["...", "c"], ["a", "b", "c"])
    assert matches(["wrote .../x.keras (...)"], ["wrote /tmp/x.keras (1 param)"])
    assert not matches(["wrote x"], ["wrote xy"])
    assert matches(["a (1...)"], ["a (1...)  "])


# ---------------------------------------------------------------------------------------------------------
# The walk itself.

@pytest.mark.slow
def test_tutorial_runs_as_written(tmp_path):
    if sys.platform == "win32":
        pytest.skip("runs the tutorial's commands in a POSIX pseudo-terminal")
    if not (BIN / "pre-commit").exists():
        pytest.skip("pre-commit is not installed next to this Python")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    work = tmp_path / "tutorial"
    work.mkdir()
    env = _env(tmp_path)
    for block in BLOCKS:
        where = f"tutorial.md:{block.line}"
        if block.mark == "skip":
            continue
        if block.mark == "file":
            path = work / block.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.text, encoding="utf-8")
            continue
        if block.mark == "expect":
            path = work / block.name
            assert path.is_file(), f"{where}: {block.name} was not written by the commands above"
            actual = path.read_text(encoding="utf-8").splitlines()
            expected = block.text.splitlines()
            if not matches(expected, actual):
                pytest.fail(_report(f"{where}: {block.name} differs", expected, actual), pytrace=False)
            continue
        if block.lang != "console":
            continue
        last = None
        for cmd in commands(block):
            here = f"tutorial.md:{cmd.line}: `{cmd.command}`"
            if cmd.command.strip() == "echo $?":
                assert last is not None, f"{here}: no command before it"
                if cmd.expected != [str(last[0])]:
                    pytest.fail(_report(f"{here}: wrong exit status", cmd.expected, [str(last[0])]), pytrace=False)
                last = None
                continue
            if last is not None and last[0] != 0:
                pytest.fail(_report(f"{last[2]} exited with {last[0]}", [], last[1]), pytrace=False)
            status, output = _run(cmd, work, env)
            if not matches(cmd.expected, output):
                pytest.fail(_report(f"{here}: output differs", cmd.expected, output), pytrace=False)
            last = (status, output, here)
        if last is not None and last[0] != 0:
            pytest.fail(_report(f"{last[2]} exited with {last[0]}", [], last[1]), pytrace=False)
