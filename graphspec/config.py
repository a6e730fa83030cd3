"""The `[tool.graphspec]` table of the project the user is working in (pyproject.toml).

A spec never names Python code. A project that uses its own Keras layers lists, in its own
pyproject.toml, the Python modules that register them:

    [tool.graphspec]
    plugins = ["specs/custom/simple_dense.py"]   # files (relative to pyproject.toml) or module names
    ignore = ["W104"]                             # warning codes silenced in every spec (suppress.py)
    max-params = 500_000_000                      # the weights a model may have (limits.MAX_PARAMS)

The project is found from the WORKING DIRECTORY upwards, as pytest and mypy find theirs, never
from the folder of a spec: a spec in a cloned pull request, checked from elsewhere, brings no
configuration (and so no code) with it. The search stops at the first pyproject.toml that has a
`[tool.graphspec]` table, or at a repository's root (a folder with `.git`). Reading the
configuration runs nothing; graphspec/cli/plugins.py decides when its plugins are imported.
"""

from __future__ import annotations

import os
import re

from graphspec.record import FrozenRecord
from graphspec.source import read_limited, resolve

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Tuple

__all__ = ["ConfigError", "ProjectConfig", "project_config"]

_MAX_CONFIG_BYTES = 1024 * 1024  # a pyproject.toml larger than this is not a configuration

_WARNING_CODE = r"^W[0-9]{3}$"  # compiled (and cached) by `re` on first use: most projects ignore nothing


class ConfigError(Exception):
    """The configuration cannot be read or is malformed: one line naming the file and the problem."""


class ProjectConfig(FrozenRecord):
    """A `[tool.graphspec]` table: where it is, the plugins it names, the warnings it silences and
    the parameter limit it sets."""

    __slots__ = _fields = ("path", "plugins", "ignore", "max_params")
    _defaults = {"ignore": (), "max_params": None}

    path: str  # the pyproject.toml (os.path, not pathlib: read on every check, ~3 ms to import)
    plugins: Tuple[str, ...]  # as written: .py paths (relative to the file's folder) or module names
    ignore: Tuple[str, ...]  # warning codes silenced in every spec
    max_params: Optional[int]  # `max-params`; None: limits.MAX_PARAMS

    def plugin_targets(self) -> Tuple[str, ...]:
        """The plugins as absolute .py paths or module names."""
        folder = os.path.dirname(self.path)
        return tuple(resolve(os.path.join(folder, p)) if p.endswith(".py") or "/" in p else p for p in self.plugins)


def _parse(path: str, data: bytes) -> dict:
    from graphspec.vendor import tomli  # tomllib's code, without its 8 ms of imports (vendor/tomli.py)

    try:
        return tomli.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"cannot read {path}: it is not UTF-8 text") from None
    except tomli.TOMLDecodeError as exc:
        raise ConfigError(f"cannot read {path}: invalid TOML: {exc}") from None


def _table(path: str, data: dict) -> Optional[dict]:
    """The validated [tool.graphspec] table of a parsed file, or None when it has none."""
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: `tool` must be a table ([tool.graphspec]); received {type(tool).__name__} "
                          f"{tool!r:.60}")
    table = tool.get("graphspec")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.graphspec] must be a table; received {type(table).__name__} "
                          f"{table!r:.60}")
    plugins = table.get("plugins", [])
    if not isinstance(plugins, list) or not all(isinstance(p, str) and p.strip() for p in plugins):
        raise ConfigError(f"{path}: [tool.graphspec] plugins must be a list of file or module names "
                          f"(strings); received {plugins!r:.60}")
    ignore = table.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(c, str) and re.match(_WARNING_CODE, c.strip().upper())
                                               for c in ignore):
        raise ConfigError(f"{path}: [tool.graphspec] ignore must be a list of warning codes such as \"W104\" "
                          f"(errors cannot be ignored); received {ignore!r:.60}")
    limit = table.get("max-params")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ConfigError(f"{path}: [tool.graphspec] max-params must be a positive whole number; "
                          f"received {limit!r:.60}")
    return table


def _read(path: str) -> Optional[dict]:
    """The [tool.graphspec] table of one pyproject.toml, None when it has none or there is no file."""
    try:
        data = read_limited(path, _MAX_CONFIG_BYTES)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > _MAX_CONFIG_BYTES:
        raise ConfigError(f"cannot read {path}: larger than {_MAX_CONFIG_BYTES:,} bytes")
    if b"graphspec" not in data or not _may_configure(data):
        return None  # no table of ours: not worth parsing (nor failing on)
    return _table(path, _parse(path, data))


def _may_configure(data: bytes) -> bool:
    """Whether a line of a pyproject.toml may start or fill a [tool.graphspec] table: its header
    (`[tool.graphspec]`, `[ "tool" . graphspec.x ]`), a dotted key (`tool.graphspec.ignore = ...`),
    or a `[tool]` table or `tool = {...}` inline table (whose `graphspec` key is not looked for).
    A file with none has no table of ours, and the TOML parser is not imported for it."""
    for line in data.splitlines():
        if b"tool" in line:
            key = line.lstrip(b" \t[").replace(b" ", b"").replace(b"\t", b"").replace(b'"', b"").replace(b"'", b"")
            if key.startswith((b"tool.graphspec", b"tool]", b"tool=")):
                return True
    return False


def project_config(start=None) -> Optional[ProjectConfig]:
    """The [tool.graphspec] configuration of the project at the folder `start` (a str or a Path;
    default: the working directory)."""
    candidate = os.path.abspath(start or os.getcwd())
    while True:
        path = os.path.join(candidate, "pyproject.toml")
        table = _read(path)
        if table is not None:
            return ProjectConfig(path, tuple(table.get("plugins", [])),
                                 tuple(c.strip().upper() for c in table.get("ignore", [])),
                                 table.get("max-params"))
        if os.path.exists(os.path.join(candidate, ".git")):  # a repository's root: what lies above is not this project
            return None
        parent = os.path.dirname(candidate)
        if parent == candidate:  # the file system's root
            return None
        candidate = parent
