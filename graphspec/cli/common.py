"""What every command shares: exit statuses, the usage error, the colour rule, the unified diff."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class Usage(Exception):
    """A usage, configuration or file error: printed as one `graphspec: error: ...` line, exit status 2."""


def error_line(problem) -> str:
    """The one line a refused command prints: `graphspec: error: ...`, its text escaped (a plugin or file
    name from a pyproject.toml or the command line may hold an ESC or a newline)."""
    from graphspec.text import safe_text

    return f"graphspec: error: {safe_text(str(problem))}"


def use_color(stream, under_git: bool = False) -> bool:
    """The one colour rule: NO_COLOR wins, then FORCE_COLOR, then a terminal. Under git (the diff
    driver), also when git's pager is in use, since git pipes an external diff's output into it."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR") or (under_git and os.environ.get("GIT_PAGER_IN_USE") in ("true", "1")):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def unified_diff(before: str, after: str, fromfile: str, tofile: str) -> str:
    """A unified diff of two texts, as `diff -u` writes it (a last line without a newline marked)."""
    import difflib  # lazy: only fmt --check and diff print one

    out: List[str] = []
    for line in difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                     fromfile=fromfile, tofile=tofile):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def overrides(pairs) -> dict:
    """The `--set NAME=VALUE` options as {name: value}; ValueError (exit 2) on a malformed one."""
    if not pairs:
        return {}
    from graphspec.passes.check import parse_override

    return dict(parse_override(p) for p in pairs)
