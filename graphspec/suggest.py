"""'Did you mean ...?' suggestions for misspelt names."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable, Optional


def closest(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> Optional[str]:
    """Return the candidate closest to `name`, or None when nothing is close."""
    pool = list(dict.fromkeys(candidates))
    if not pool:
        return None
    lowered = {c.lower(): c for c in pool}
    if name.lower() in lowered:
        return lowered[name.lower()]
    import difflib  # only for a misspelt name: a clean `graphspec check` never needs it

    match = difflib.get_close_matches(name, pool, n=1, cutoff=cutoff)
    if match:
        return match[0]
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=cutoff)
    return lowered[match[0]] if match else None


def did_you_mean(name: str, candidates: Iterable[str]) -> Optional[str]:
    """Return a `help:` text suggesting the closest candidate, or None."""
    best = closest(name, candidates)
    return f"did you mean `{best}`?" if best else None
