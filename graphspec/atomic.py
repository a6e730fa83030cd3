"""Atomic file writes: a reader sees the old file or the new one, never a part, and nothing is followed.

Every file graphspec writes (`fmt` in place, `compile -o`, `plot -o`, `import -o`, a saved `.keras`)
goes through here: the content is written to a fresh temporary file, created in the target's own
folder as `tempfile.mkstemp` creates one (O_CREAT|O_EXCL, mode 0600, an unguessable name), so that
no planted file or symlink is ever opened; it is flushed to disk and renamed over the target with
`os.replace`. A rename replaces
a symlink at the target rather than writing through it, so the file the symlink pointed to is never
touched. On any failure, KeyboardInterrupt included, the temporary file is removed and the target is
as it was.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Optional

__all__ = ["write_bytes", "write_via"]


def _default_mode() -> int:
    """0o666 less the process's umask: the mode `open()` would give a new file."""
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return 0o666 & ~mask


def _mode_for(path: str) -> int:
    """Keep the mode of a regular file being replaced; a symlink or a new name gets the default mode.

    lstat, not stat: the mode of a symlink's victim must not leak onto the new file."""
    try:
        st = os.lstat(path)
    except OSError:
        return _default_mode()
    return stat.S_IMODE(st.st_mode) if stat.S_ISREG(st.st_mode) else _default_mode()


_CREATE = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _create_temp(folder: str, name: str, suffix: str, names: list) -> int:
    """Create a fresh temporary file beside the target, as `tempfile.mkstemp` does (O_CREAT|O_EXCL,
    mode 0600, an unguessable name), and return its descriptor. Each name tried is appended to
    `names` *before* it is created, so that whatever interrupts this, the caller knows what to remove
    (mkstemp itself names its file only once it returns: a SIGTERM in between would leak it)."""
    for _ in range(100):
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(6)}{suffix}")
        names.append(tmp)
        try:
            return os.open(tmp, _CREATE, 0o600)
        except FileExistsError:  # someone else's file: never ours to remove
            names.pop()
    raise FileExistsError(errno.EEXIST, "no free temporary file name", folder)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable where the platform allows it (best effort)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _replace(path, fill: Callable[[int, str], None], suffix: str, mode: Optional[int]) -> None:
    """Create the temporary file, let `fill(fd, temp_path)` write it, then publish it over `path`."""
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    created: list = []
    try:
        fd = _create_temp(folder, name, suffix, created)
        tmp = created[-1]
        try:
            fill(fd, tmp)
            os.fchmod(fd, _mode_for(path) if mode is None else mode)
            os.fsync(fd)  # the content is on disk before the rename publishes it
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        for tmp in created:  # at most one: the file created, or the name about to be
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        raise
    _fsync_folder(folder)


def write_bytes(path, data: bytes, *, mode: Optional[int] = None) -> None:
    """Replace `path` atomically by a file holding `data`."""

    def fill(fd: int, _tmp: str) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]

    _replace(path, fill, ".tmp", mode)


def write_via(path, write: Callable[[str], None], *, suffix: str = ".tmp", mode: Optional[int] = None) -> None:
    """Replace `path` atomically by a file that `write(temp_path)` fills in by name (Keras's `model.save`).

    `suffix` ends the temporary name (Keras insists on `.keras`). Raises OSError (or whatever `write`
    raises) with the temporary file removed and `path` untouched."""
    # `write` opens the name mkstemp created and truncates that same file, so the descriptor kept
    # open in _replace still names it for fchmod and fsync.
    def fill(_fd: int, tmp: str) -> None:
        write(tmp)

    _replace(path, fill, suffix, mode)
