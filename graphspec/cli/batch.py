"""Checking many specs in one run: in worker processes when there are enough of them.

Each spec is checked on its own (a file's result never depends on another's), so the files are
shared out among processes in chunks and the results put back in the order given: the output is
byte for byte that of checking them one after the other. A few files are checked in this
process, where starting workers would cost more than it saves.
"""

from __future__ import annotations

import os

from graphspec.cli.plugins import Plugins
from graphspec.cli.settings import Settings
from graphspec.cli.specs import check_spec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional, Sequence, Tuple

PARALLEL_FROM = 24  # files; below this, one process
CHUNK = 8  # files per task: large enough that pickling is not the cost

if TYPE_CHECKING:
    Result = Tuple[list, Dict[str, object]]  # (sorted diagnostics, the sources they point into)

_state: dict = {}  # the worker's plugins and options, inherited through fork


def _one(path: str, plugins: Plugins, options: dict) -> Result:
    _, items, loader = check_spec(path, plugins, release=True, **options)  # only diagnostics are kept
    # The files a diagnostic points into, its secondary locations too (a first definition in an import).
    files = {s.file for d in items for s in (d.span, *(r.span for r in d.related)) if s is not None}
    return items, {name: src for name, src in loader.sources.items() if name in files}


def _chunk(paths: Sequence[str]) -> List[Result]:
    return [_one(p, _state["plugins"], _state["options"]) for p in paths]


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def check_files(paths: Sequence[str], plugins: Plugins, *, model: Optional[str], overrides: dict,
                require_root: bool, settings: Settings, jobs: Optional[int] = None) -> List[Result]:
    """Every spec's (diagnostics, sources), in the order of `paths`."""
    options = dict(model=model, overrides=overrides, require_root=require_root, settings=settings)
    jobs = default_jobs() if jobs is None else jobs
    # multiprocessing is imported only for a run that may use it (it costs a small check milliseconds)
    context = None if jobs < 2 or len(paths) < PARALLEL_FROM else _fork_context()
    if context is None:
        return [_one(p, plugins, options) for p in paths]
    from concurrent.futures import ProcessPoolExecutor

    # Workers are forked: they inherit the plugins already imported and the options, and import
    # nothing again. Results come back in submission order.
    _state.update(plugins=plugins, options=options)
    chunks = [paths[i:i + CHUNK] for i in range(0, len(paths), CHUNK)]
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(chunks)), mp_context=context) as pool:
            return [result for part in pool.map(_chunk, chunks) for result in part]
    finally:
        _state.clear()


def _fork_context():
    """A fork start method, or None where there is none (then the run stays in one process)."""
    import multiprocessing

    try:
        return multiprocessing.get_context("fork")
    except ValueError:
        return None
