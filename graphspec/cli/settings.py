"""The settings a command takes from `[tool.graphspec]` and its own options: the warning codes
silenced in every spec (`ignore`) and the parameter limit (`max-params`, `--max-params` wins)."""

from __future__ import annotations

from graphspec.cli.common import Usage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Tuple


class Settings:
    """What every spec of one run is checked and built with (a plain class: a dataclass costs every
    `graphspec check` most of a millisecond to make)."""

    __slots__ = ("ignore", "max_params")

    def __init__(self, ignore: Tuple[str, ...] = (), max_params: Optional[int] = None):
        self.ignore = ignore
        self.max_params = max_params  # None: graphspec.limits.MAX_PARAMS

    def __eq__(self, other) -> bool:
        return type(other) is Settings and (self.ignore, self.max_params) == (other.ignore, other.max_params)

    def __hash__(self) -> int:
        return hash((self.ignore, self.max_params))

    def __repr__(self) -> str:
        return f"Settings(ignore={self.ignore!r}, max_params={self.max_params!r})"


def settings(args, *, under_git: bool = False) -> Settings:
    """The run's settings: the project's [tool.graphspec] (none under git), then the options."""
    ignore: Tuple[str, ...] = ()
    limit: Optional[int] = None
    if not under_git:
        from graphspec import config

        try:
            project = config.project_config()
        except config.ConfigError as exc:
            raise Usage(str(exc)) from None
        except OSError as exc:
            raise Usage(f"cannot find the project's configuration: {exc.strerror or exc}") from None
        if project is not None:
            ignore, limit = project.ignore, project.max_params
    option = getattr(args, "max_params", None)
    return Settings(ignore, option if option is not None else limit)


def positive_int(text: str) -> int:
    """argparse type for --max-params: a positive whole number (`1_000_000` allowed)."""
    import argparse

    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number; received {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number; received {text!r}")
    return value
