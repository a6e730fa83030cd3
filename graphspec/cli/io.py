"""Every file the command line reads as a spec or writes as an output goes through here.

Reading: regular files only, at most one byte over the spec size limit (graphspec/source.py), so a
FIFO, a device or a directory is an error rather than a hang or a MemoryError. Writing: atomically,
never through a symlink (graphspec/atomic.py); a failure is one `cannot write PATH: reason` line,
exit status 2, with no temporary file left behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys

from graphspec.cli.common import Usage
from graphspec.limits import MAX_FILE_BYTES
from graphspec.source import read_limited

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Union

STDIO = "-"


def reason(exc: BaseException) -> str:
    """An OSError as the short phrase a message ends with."""
    return getattr(exc, "strerror", None) or str(exc)


def read_spec_bytes(path: str) -> bytes:
    """A spec's bytes (`-`: standard input), at most MAX_FILE_BYTES + 1 of them; OSError if unreadable."""
    if path == STDIO:
        return sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    return read_limited(path)


def _folder(path: str) -> str:
    return os.path.dirname(path) or "."


# Why a write failed, in the user's terms, by errno: the folder, not the file, is usually the problem.
_WRITE_REASONS = {
    errno.ENOENT: lambda path: (f"no such folder {_folder(path)!r}" if not os.path.isdir(_folder(path))
                                else f"no file can be created in the folder {_folder(path)!r}"),
    errno.ENOTDIR: lambda path: "a part of the path is not a folder",
    errno.EISDIR: lambda path: "it is a directory",
    errno.EACCES: lambda path: f"permission denied in the folder {_folder(path)!r}",
}


def _write_reason(path: str, exc: OSError) -> str:
    explain = _WRITE_REASONS.get(exc.errno)
    return explain(path) if explain else reason(exc)


def _check_name(path: str) -> None:
    if not path or path.endswith(("/", os.sep)):
        raise Usage(f"cannot write {path!r}: give a file name" + (", not a folder" if path else ""))


@contextlib.contextmanager
def writing(path: str):
    """Around a write of `path`: a bad name or an OSError becomes one Usage line (exit 2)."""
    _check_name(path)
    try:
        yield
    except OSError as exc:
        raise Usage(f"cannot write {path!r}: {_write_reason(path, exc)}") from None


def write_output(path: str, content: Union[str, bytes]) -> None:
    """Write `content` (text as UTF-8) to `path` atomically; Usage with a one-line reason on failure."""
    from graphspec.atomic import write_bytes

    with writing(path):
        if isinstance(content, str):
            try:
                content = content.encode("utf-8")
            except UnicodeEncodeError as exc:  # a lone surrogate from a spec's string
                raise Usage(f"cannot write {path!r}: the text holds {exc.object[exc.start:exc.end]!r}, "
                            f"which UTF-8 cannot encode") from None
        write_bytes(path, content)


def check_target(path: str) -> None:
    """Fail early, before a model is built, when `path` clearly cannot be written (Usage)."""
    _check_name(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        code = errno.ENOTDIR if os.path.exists(folder) else errno.ENOENT
        raise Usage(f"cannot write {path!r}: {_WRITE_REASONS[code](path)}")
    if os.path.isdir(path) and not os.path.islink(path):
        raise Usage(f"cannot write {path!r}: {_WRITE_REASONS[errno.EISDIR](path)}")
