"""Silencing warnings, per line and per project: one rule for `check`, the language server and the
pre-commit hook (they all check through graphspec.passes.check, which applies it).

Per line, a comment on the warning's line or alone on the line just above it:

    x = ids -> Embedding(10, 4)   # gspec: ignore[W104]
    # gspec: ignore[W104, W105]
    y = x -> Dense(1)

Per project, `ignore = ["W104"]` in `[tool.graphspec]` (graphspec/config.py), passed in as `codes`.
Only warnings are silenced: an error still stops the model from being built, so hiding it would
only hide why.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, FrozenSet, Iterable, List, Optional

__all__ = ["COMMENT", "line_codes", "suppress"]

# `# gspec: ignore[W104]`, several codes separated by commas; spaces allowed around the parts.
COMMENT = re.compile(r"#\s*gspec:\s*ignore\[\s*([A-Za-z0-9_,\s]*?)\s*\]")
_ONLY_COMMENT = re.compile(r"^\s*#")


def _codes(found: "re.Match") -> FrozenSet[str]:
    return frozenset(c.strip().upper() for c in found.group(1).split(",") if c.strip())


def line_codes(source, line: int) -> FrozenSet[str]:
    """The codes silenced for diagnostics on `line` (1-based) of `source` (a graphspec.source.Source)."""
    codes: set = set()
    try:
        here = source.line_text(line)
    except (IndexError, ValueError):
        return frozenset()
    found = COMMENT.search(here)
    if found:
        codes |= _codes(found)
    if line > 1:
        above = source.line_text(line - 1)
        found = COMMENT.search(above)
        if found and _ONLY_COMMENT.match(above):
            codes |= _codes(found)
    return frozenset(codes)


def suppress(items: List, sources: Dict[str, object], codes: Optional[Iterable[str]] = ()) -> List:
    """The diagnostics that are not silenced: errors always stay; a warning goes when its code is
    in `codes` (the project's) or in a `# gspec: ignore[...]` comment at its line."""
    project = frozenset(c.upper() for c in (codes or ()))
    kept = []
    for diag in items:
        if diag.is_error:
            kept.append(diag)
            continue
        if diag.code in project:
            continue
        span = diag.span
        source = sources.get(span.file) if span is not None else None
        if source is not None and diag.code in line_codes(source, span.line):
            continue
        kept.append(diag)
    return kept
