"""The spec files a command line names: a folder stands for every `*.gspec` below it.

Hidden folders (`.git`, `.venv`, `.tox`...) are skipped, and so are the entries that a
`.gitignore` of the walked folders excludes by a plain pattern: a name or glob (`build`,
`*.tmp.gspec`), a folder (`out/`), or a path from that `.gitignore`'s folder (`/gen`,
`docs/old`). Negations (`!keep.gspec`) and `**` are not read; git itself is never run
(its configuration could run code in an untrusted checkout). Symbolic links to folders are not
followed, so a link loop cannot make the walk endless. Files named directly are kept as given.
"""

from __future__ import annotations

import os

from graphspec.cli.common import Usage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Tuple

SUFFIX = ".gspec"
_MAX_IGNORE_BYTES = 256 * 1024  # a larger .gitignore is not read

if TYPE_CHECKING:
    Rule = Tuple[str, str, bool]  # (folder the .gitignore is in, pattern, only folders)


def _rules(folder: str) -> List[Rule]:
    path = os.path.join(folder, ".gitignore")
    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_IGNORE_BYTES + 1)
    except OSError:
        return []
    if len(data) > _MAX_IGNORE_BYTES:
        return []
    rules = []
    for raw in data.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "!")) or "**" in line:
            continue
        only_dirs = line.endswith("/")
        rules.append((folder, line.strip("/") if only_dirs else line, only_dirs))
    return rules


def _ignored(path: str, is_dir: bool, rules: List[Rule]) -> bool:
    import fnmatch  # only when walking a folder: `graphspec check FILE` never does

    name = os.path.basename(path)
    for base, pattern, only_dirs in rules:
        if only_dirs and not is_dir:
            continue
        if "/" in pattern.lstrip("/") or pattern.startswith("/"):
            rel = os.path.relpath(path, base).replace(os.sep, "/")
            if fnmatch.fnmatchcase(rel, pattern.lstrip("/")):
                return True
        elif fnmatch.fnmatchcase(name, pattern):
            return True
    return False


def _below(top: str) -> List[str]:
    found: List[str] = []
    todo = [(top, _rules(top))]
    while todo:
        folder, rules = todo.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            raise Usage(f"cannot read the folder {folder!r}: {exc.strerror or exc}") from None
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            if _ignored(entry.path, is_dir, rules):
                continue
            if is_dir:
                subfolders.append(entry.path)
            elif entry.name.endswith(SUFFIX) and entry.is_file():
                found.append(entry.path)
        for sub in reversed(subfolders):  # depth first, in name order
            todo.append((sub, rules + _rules(sub)))
    return sorted(found, key=lambda p: os.path.relpath(p, top).split(os.sep))


def spec_files(names: List[str]) -> List[str]:
    """The files to check, in order: each name as given, each folder as the specs below it (a folder
    named like a spec, `x.gspec/`, was meant as a file: it stays, and reads as E001 "a directory")."""
    out: List[str] = []
    for name in names:
        if name != "-" and not name.rstrip("/" + os.sep).endswith(SUFFIX) and os.path.isdir(name):
            below = _below(name)
            if not below:
                raise Usage(f"no {SUFFIX} file below the folder {name!r}")
            out.extend(below)
        else:
            out.append(name)
    return out
