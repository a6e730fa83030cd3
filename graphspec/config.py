"""Trusted configuration: `[tool.graphspec]` in pyproject.toml and `--plugin` on the command line.

A spec never names Python code. A project that uses its own Keras layers lists, in
its own pyproject.toml, the Python modules that register them:

    [tool.graphspec]
    plugins = ["specs/custom/simple_dense.py"]   # files (relative to pyproject.toml) or module names

The command line imports these before checking or building, so a spec can use the
layers by name. Importing a plugin runs the user's code (and usually imports Keras):
that is the trust the configuration expresses.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import List, Optional


class PluginError(Exception):
    """A plugin could not be imported."""


def _toml(path: Path) -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    with open(path, "rb") as fh:
        return tomllib.load(fh)


@functools.lru_cache(maxsize=None)
def find_config(start: Path) -> Optional[Path]:
    """The nearest pyproject.toml at or above `start` that has a [tool.graphspec] table."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = _toml(candidate)
            except (OSError, ValueError):
                continue
            if "graphspec" in data.get("tool", {}):
                return candidate
    return None


def plugins_for(spec_path: Path) -> List[str]:
    """Plugins named by the configuration that applies to `spec_path`, as absolute paths or modules."""
    config = find_config(spec_path.resolve().parent)
    if config is None:
        return []
    table = _toml(config)["tool"]["graphspec"]
    out = []
    for item in table.get("plugins", []):
        if item.endswith(".py") or "/" in item:
            out.append(str((config.parent / item).resolve()))
        else:
            out.append(item)
    return out


_loaded: set = set()


def load_plugin(name: str, base: Optional[Path] = None) -> bool:
    """Import a plugin module (a .py path or a module name) once; True if it was imported now."""
    key = str(Path(name).resolve()) if name.endswith(".py") else name
    if key in _loaded:
        return False
    try:
        if name.endswith(".py"):
            path = Path(key)
            if not path.is_file():
                raise PluginError(f"plugin file not found: {name}")
            module_name = path.stem
            if module_name not in sys.modules:
                spec = importlib.util.spec_from_file_location(module_name, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[module_name] = module
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    del sys.modules[module_name]
                    raise
        else:
            if base is not None and str(base) not in sys.path:
                sys.path.insert(0, str(base))
            importlib.import_module(name)
    except PluginError:
        raise
    except ImportError as exc:
        hint = (" (the plugin needs Keras: pip install 'graphspec[keras]')"
                if exc.name and exc.name.split(".")[0] in ("keras", "tensorflow") else "")
        raise PluginError(f"plugin {name} failed to import: {exc}{hint}") from exc
    except Exception as exc:  # the user's own code
        raise PluginError(f"plugin {name} failed to import: {type(exc).__name__}: {exc}") from exc
    _loaded.add(key)
    return True
