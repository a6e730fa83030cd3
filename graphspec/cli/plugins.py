"""Which plugin code the command line may run, and the one place that imports it.

A plugin is trusted Python code that registers custom layers. It runs only when the user asked
for it in this invocation or for the project they are working in:

- `--plugin FILE.py|MODULE` on the command line: imported before any spec is read;
- the `[tool.graphspec] plugins` of the project at the working directory (graphspec/config.py):
  imported only when a spec names a layer the catalogue does not know (E220), since a plugin
  usually imports Keras, which plain checks never pay for; never with `--no-plugins`, and never
  under git (the diff driver and textconv run in whatever repository `git diff` is run in, a
  cloned pull request included);
- nothing at all when GRAPHSPEC_NO_PLUGINS is set (to anything but "" or "0"): the switch for CI
  on untrusted pull requests, where the command line itself may come from the checkout; a
  `--plugin` is then an error rather than silently skipped.
"""

from __future__ import annotations

import os
import sys

from graphspec.cli.common import Usage
from graphspec.diagnostics import codes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Iterable, Sequence, TypeVar

    T = TypeVar("T")

__all__ = ["Plugins", "plugins_disabled", "NO_PLUGINS_ENV"]

NO_PLUGINS_ENV = "GRAPHSPEC_NO_PLUGINS"

_imported: set = set()  # the plugins imported in this process, by absolute path or module name


def plugins_disabled() -> bool:
    """True when the environment forbids every plugin (GRAPHSPEC_NO_PLUGINS)."""
    return os.environ.get(NO_PLUGINS_ENV, "") not in ("", "0")


def _import(name: str, base: str) -> bool:
    """Import one plugin (a .py path or a module name found from `base`) once; True if imported now."""
    from pathlib import Path  # only when a plugin is imported: a check never pays for pathlib

    key = str(Path(name).resolve()) if name.endswith(".py") else name
    if key in _imported:
        return False
    try:
        if name.endswith(".py"):
            path = Path(key)
            if not path.is_file():
                raise Usage(f"plugin file not found: {name}")
            module_name = path.stem
            if module_name not in sys.modules:
                # lazy: a check that imports no plugin does not pay for importlib.util
                from importlib.util import module_from_spec, spec_from_file_location

                spec = spec_from_file_location(module_name, path)
                module = module_from_spec(spec)
                sys.modules[module_name] = module
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    del sys.modules[module_name]
                    raise
        else:
            # Appended, not prepended: a module of the project never shadows an installed one
            # (a `keras.py` beside the configuration is not Keras).
            if str(base) not in sys.path:
                sys.path.append(str(base))
            import importlib  # lazy: a check that imports no plugin does not pay for it

            importlib.import_module(name)
    except Usage:
        raise
    except ImportError as exc:
        hint = (" (the plugin needs Keras: pip install 'graphspec[keras]')"
                if exc.name and exc.name.split(".")[0] in ("keras", "tensorflow") else "")
        raise Usage(f"plugin {name} failed to import: {exc}{hint}") from None
    except Exception as exc:  # noqa: BLE001 - the user's own code, whatever it raises, as one line
        raise Usage(f"plugin {name} failed to import: {type(exc).__name__}: {exc}") from None
    _imported.add(key)
    return True


def _import_all(names: Iterable[str], base: str) -> bool:
    from graphspec.cli.runtime import Runtime

    new = False
    # A plugin usually imports Keras: TensorFlow's start-up logs are hidden, as for compile (a
    # failing plugin is still one Usage line: _import turns what it raises into one).
    with Runtime().step("importing plugins"):
        for name in names:
            new = _import(name, base) or new
    return new


class Plugins:
    """The plugins one invocation may import: `--plugin`s now, the project's on an unknown layer."""

    def __init__(self, explicit: Sequence[str] = (), *, use_config: bool = True):
        self.explicit = tuple(explicit)
        self.use_config = use_config and not plugins_disabled()
        self._configured_tried = False

    @classmethod
    def from_args(cls, args, *, under_git: bool = False) -> "Plugins":
        """The policy of a parsed command line (`--plugin`, `--no-plugins`); under git, no configuration."""
        return cls(getattr(args, "plugin", None) or (),
                   use_config=not (getattr(args, "no_plugins", False) or under_git))

    def load_explicit(self) -> None:
        """Import the `--plugin`s (relative names from the working directory); Usage if refused or broken."""
        if not self.explicit:
            return
        if plugins_disabled():
            raise Usage(f"{NO_PLUGINS_ENV} is set: no plugin is imported, and --plugin {self.explicit[0]} "
                        f"is refused (unset it to use plugins)")
        _import_all(self.explicit, os.getcwd())

    def load_configured(self) -> bool:
        """Import the project's [tool.graphspec] plugins once, if allowed; True if that made any new."""
        if not self.use_config or self._configured_tried:
            return False
        self._configured_tried = True
        from graphspec import config

        try:
            project = config.project_config()
        except config.ConfigError as exc:
            raise Usage(str(exc)) from None
        except OSError as exc:  # the working directory itself is gone
            raise Usage(f"cannot find the project's configuration: {exc.strerror or exc}") from None
        if project is None or not project.plugins:
            return False
        return _import_all(project.plugin_targets(), os.path.dirname(project.path))

    def retry_on_unknown_layer(self, run: Callable[[], T], diagnostics_of: Callable[[T], Iterable]) -> T:
        """`run()`, and once more if a spec named an unknown layer (E220) and the project's plugins
        made new layers known."""
        result = run()
        if any(d.code == codes.E220 for d in diagnostics_of(result)) and self.load_configured():
            result = run()
        return result

