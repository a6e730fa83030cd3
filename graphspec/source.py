"""Source files and spans: where a piece of a spec came from."""

from __future__ import annotations

import bisect
import errno
import os
import stat

from graphspec.limits import MAX_FILE_BYTES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path


class Span:
    """A region of a source file; lines and columns are 1-based, `end` is exclusive. Never
    changed once made (equal and hashed by value); a plain class rather than a frozen
    dataclass, whose per-field object.__setattr__ made spans a tenth of parsing's time."""

    __slots__ = ("file", "line", "col", "end_line", "end_col")
    file: str  # the annotations are the IR's schema of a span (graphspec/ir/codec.py)
    line: int
    col: int
    end_line: int
    end_col: int

    def __init__(self, file: str, line: int, col: int, end_line: int, end_col: int):
        self.file = file
        self.line = line
        self.col = col
        self.end_line = end_line
        self.end_col = end_col

    def _key(self) -> tuple:
        return (self.file, self.line, self.col, self.end_line, self.end_col)

    def __eq__(self, other) -> bool:
        if other.__class__ is not Span:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"Span(file={self.file!r}, line={self.line!r}, col={self.col!r}, "
                f"end_line={self.end_line!r}, end_col={self.end_col!r})")

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def to_dict(self) -> dict:
        """The span as a plain dict (JSON output, IR)."""
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "end_line": self.end_line,
            "end_col": self.end_col,
        }


class Source:
    """The text of one spec file with a line index for spans."""

    def __init__(self, name: str, text: str, path: Path | str | None = None):
        self.name = name
        self.text = text
        self.path = path
        starts = [0]
        find = text.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self._starts = starts

    @property
    def path(self) -> Path | None:
        """The file the text was read from (None for text given directly). Kept as a string, and a
        pathlib.Path only when asked for: `graphspec check` never imports pathlib (~3 ms)."""
        if self._path is None:
            return None
        from pathlib import Path

        return Path(self._path)

    @path.setter
    def path(self, value) -> None:
        self._path = None if value is None else os.fspath(value)

    def line_text(self, line: int) -> str:
        """Return line `line` (1-based) without its newline, or '' past the end."""
        if line < 1 or line > len(self._starts):
            return ""
        start = self._starts[line - 1]
        end = self._starts[line] - 1 if line < len(self._starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    def position(self, offset: int) -> tuple[int, int]:
        """Return (line, col), 1-based, of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def span(self, start: int, end: int) -> Span:
        """Return the span of offsets [start, end)."""
        line, col = self.position(start)
        end_line, end_col = self.position(max(start, end))
        return Span(self.name, line, col, end_line, end_col)

    def end_span(self) -> Span:
        """A zero-width span at the end of the file."""
        return self.span(len(self.text), len(self.text))


def resolve(path) -> str:
    """`path` made absolute with its symlinks resolved, as pathlib's Path.resolve() does it (os.path,
    which a check has imported anyway): RuntimeError on a symlink loop, ValueError on a NUL."""
    resolved = os.path.realpath(path)
    try:
        os.stat(resolved)
    except OSError as exc:  # realpath leaves a loop as it is; stat finds it, as Path.resolve does
        if exc.errno == errno.ELOOP:
            raise RuntimeError(f"Symlink loop from {exc.filename!r}") from None
    return resolved


class NotAFile(OSError):
    """The path names a directory, a FIFO, a device or a socket: nothing a spec is read from."""


def read_limited(path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file `path`, at most `limit + 1` of them (one more than a spec may have,
    so the caller can report E003); raises NotAFile for anything else and OSError when unreadable.

    Opened without blocking and checked on the open descriptor (no gap between a check and the
    open): a FIFO would block the open or the read forever, a device (/dev/zero) never ends."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotAFile("a directory, not a spec file" if stat.S_ISDIR(mode)
                           else "not a regular file (a FIFO, a device or a socket)")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
