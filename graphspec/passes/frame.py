"""The state one model's expansion shares between its parts: frames, bindings, reporting, limits.

A Frame is the scope of a model body or of one block expansion; OncePerPlace is the run's
Diagnostics as seen by one model's expansion (a problem in a block or `repeat` body is reported
once, not by every expansion of it).
"""

from __future__ import annotations

from graphspec.diagnostics.diagnostic import Diagnostic, Diagnostics, Label, Reporter
from graphspec.record import Record
from graphspec.source import Span

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Tuple

__all__ = ["Abort", "Binding", "Frame", "OncePerPlace", "counted", "fmt_shape"]


class Abort(Exception):
    """Stops expanding a model once a limit is reached (already reported)."""


def fmt_shape(shape) -> str:
    """A shape as Python writes a tuple: (None, 28, 28, 1), (10,)."""
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


class Binding(Record):
    """A name bound to a tensor, where it was bound, and whether it was read since."""

    __slots__ = _fields = ("tensor", "span", "used")
    _defaults = {"used": False}

    tensor: int
    span: Span
    used: bool


class Frame(Record):
    """The scope of one model body or one block expansion."""

    __slots__ = _fields = ("prefix", "values", "tensors", "layers", "layer_spans", "used_layers", "outputs",
                           "blocks", "is_model", "origins")
    _defaults = {"tensors": dict, "layers": dict, "layer_spans": dict, "used_layers": set, "outputs": list,
                 "blocks": (), "is_model": True, "origins": dict}

    prefix: str
    values: Dict[str, object]
    tensors: Dict[str, Binding]
    layers: Dict[str, int]
    layer_spans: Dict[str, Span]
    used_layers: set  # `layer` names referenced, even by a failing step
    outputs: List[Tuple[str, int, Span]]
    blocks: Tuple[str, ...]
    is_model: bool
    origins: Dict[str, frozenset]  # block parameter -> the `--set` consts it read


class OncePerPlace(Reporter):
    """The run's Diagnostics as one model's expansion reports into it: a problem at a place in a
    block body or a `repeat` body is reported by its first expansion (or iteration) only, not
    again by every later one with other values in its message. Suppressed errors still count, so
    the model is still known to have failed."""

    def __init__(self, diags: Diagnostics):
        self._diags = diags
        self._instance = 0  # one number per block expansion and per `repeat` iteration
        self._first: Dict[tuple, int] = {}  # (code, span) -> the instance that reported it
        self.call_sites: List[Label] = []  # the block uses being expanded, innermost last

    def __getattr__(self, name):
        return getattr(self._diags, name)

    def next_instance(self) -> None:
        """A new block expansion or `repeat` iteration begins."""
        self._instance += 1

    def add(self, diag: Diagnostic) -> Diagnostic:
        """Report `diag` unless an earlier expansion reported the same code at the same place."""
        first = self._first.setdefault((diag.code, diag.span), self._instance)
        if first != self._instance:
            if diag.is_error:
                self._diags.failed()
            return diag
        # A problem inside a block body also points at the use that expanded it (innermost first).
        diag.related.extend(site for site in reversed(self.call_sites) if site.span != diag.span)
        return self._diags.add(diag)


def counted(n: int, word: str) -> str:
    """`1 tensor`, `2 tensors`."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
