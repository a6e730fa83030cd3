"""Positions between graphspec and LSP: 1-based character columns to 0-based code-unit ones, and back.

LSP counts a column in the code units of the position encoding the server and the client
agreed at `initialize` (UTF-16 unless the client offers UTF-8 or UTF-32 first); graphspec
counts characters. One server process talks to one client, so the agreed encoding is set
here once (`use_encoding`) rather than passed through every call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional
from urllib.parse import unquote, urlparse

from lsprotocol import types as T

from graphspec.source import Span


_UNITS = {
    "utf-8": lambda text: len(text.encode("utf-8", errors="surrogatepass")),
    "utf-16": lambda text: len(text.encode("utf-16-le", errors="surrogatepass")) // 2,
    "utf-32": len,
}
_units = _UNITS["utf-16"]


def use_encoding(kind: str) -> None:
    """Count columns in the code units of `kind` ("utf-8", "utf-16" or "utf-32") from now on."""
    global _units
    _units = _UNITS.get(str(kind), _UNITS["utf-16"])


def units(text: str) -> int:
    """The length of `text` in the agreed code units."""
    return _units(text)


def _line(lines, n: int) -> str:
    return lines[n] if 0 <= n < len(lines) else ""


def position(lines, line: int, col: int) -> T.Position:
    """The LSP position of 1-based (line, col) in a text split into `lines`."""
    text = _line(lines, line - 1)
    return T.Position(line=max(0, line - 1), character=_units(text[:max(0, col - 1)]))


def span_range(lines, span: Optional[Span]) -> T.Range:
    """The LSP range of a span (the file's first character when there is none)."""
    if span is None:
        return T.Range(T.Position(line=0, character=0), T.Position(line=0, character=0))
    return T.Range(position(lines, span.line, span.col), position(lines, span.end_line, span.end_col))


def from_position(lines, pos: T.Position) -> tuple:
    """The 1-based (line, col) of an LSP position."""
    text = _line(lines, pos.line)
    count = 0
    for i, ch in enumerate(text):
        if count >= pos.character:
            return pos.line + 1, i + 1
        count += _units(ch)
    return pos.line + 1, len(text) + 1


def offset(text: str, lines, pos: T.Position) -> int:
    """The character offset in `text` of an LSP position."""
    line, col = from_position(lines, pos)
    return sum(len(x) + 1 for x in text.split("\n")[: line - 1]) + col - 1  # raw lines: a `\r` is a character


def split(text: str) -> list:
    """The lines of a text as spans count them (split at `\\n`; a `\\r` before it is part of no column)."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def uri_to_path(uri: str) -> Path:
    """The file path of a `file:` URI; other schemes (an unsaved buffer) get a name in the working directory."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    name = Path(unquote(parsed.path)).name or "untitled"
    return Path.cwd() / (name if name.endswith(".gspec") else name + ".gspec")


def path_to_uri(path: Path) -> str:
    """The `file:` URI of a path."""
    return Path(path).resolve().as_uri()
