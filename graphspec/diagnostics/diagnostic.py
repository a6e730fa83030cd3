"""The Diagnostic record and the collector passes report into."""

from __future__ import annotations

from graphspec.diagnostics.codes import ERROR, WARNING, Code, code_id, severity
from graphspec.record import FrozenRecord, Record
from graphspec.source import Span
from graphspec.text import safe_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional, Union

__all__ = ["ERROR", "WARNING", "Diagnostic", "Diagnostics", "Label", "Reporter", "SpecError"]


class Label(FrozenRecord):
    """A secondary location of a diagnostic: where a block was used, where a `--set` value came from."""

    __slots__ = _fields = ("span", "text")

    span: Span
    text: str

    def to_dict(self) -> dict:
        return {"span": self.span.to_dict(), "label": self.text}


class Diagnostic(Record):
    """One problem in a spec: code, message, where, and how to fix it.

    Made with a Code (`codes.E302`); `code` then holds its id, the form that is printed and
    serialised. The severity is the code's: passing another one is a bug and raises."""

    __slots__ = _fields = ("code", "message", "span", "severity", "label", "help", "notes", "related")
    _defaults = {"severity": None, "label": "", "help": None, "notes": list, "related": list}

    code: str  # given as a Code (or, while call sites move over, its id)
    message: str
    span: Optional[Span]
    severity: Optional[str]  # None (the default): the code's
    label: str  # a few words printed under the caret
    help: Optional[str]
    notes: List[str]
    related: List[Label]  # secondary locations, each with its label

    def __post_init__(self) -> None:
        self.code = code_id(self.code)
        decided = severity(self.code)
        if self.severity not in (None, decided):
            article = "an" if decided == ERROR else "a"
            raise ValueError(f"{self.code} is {article} {decided} code, reported with severity {self.severity!r}")
        self.severity = decided

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def sort_key(self):
        s = self.span
        return (s.file, s.line, s.col) if s else ("", 0, 0)

    def to_dict(self) -> dict:
        """The diagnostic as a plain dict (JSON output)."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "span": self.span.to_dict() if self.span else None,
            "label": self.label,
            "help": self.help,
            "notes": list(self.notes),
            "related": [r.to_dict() for r in self.related],
        }


class Reporter:
    """`error()` and `warning()` for a collector: each makes the Diagnostic and passes it to `add()`."""

    def add(self, diag: Diagnostic) -> Diagnostic:
        """Record `diag` (each collector decides how); return it."""
        raise NotImplementedError

    def error(self, code: Union[Code, str], message: str, span: Optional[Span], *, label: str = "",
              help: Optional[str] = None, notes: Optional[List[str]] = None,
              related: Optional[List[Label]] = None) -> Diagnostic:
        """Report an error (`code` must be an error code)."""
        return self.add(Diagnostic(code, message, span, ERROR, label, help, list(notes or []), list(related or [])))

    def warning(self, code: Union[Code, str], message: str, span: Optional[Span], *, label: str = "",
                help: Optional[str] = None, notes: Optional[List[str]] = None,
                related: Optional[List[Label]] = None) -> Diagnostic:
        """Report a warning (`code` must be a warning code)."""
        return self.add(Diagnostic(code, message, span, WARNING, label, help, list(notes or []), list(related or [])))


class Diagnostics(Reporter):
    """Collects every diagnostic of a run; passes add to it and keep going."""

    def __init__(self) -> None:
        self.items: List[Diagnostic] = []
        self._seen: set = set()
        # Errors reported, counting those shown once but reached again (a block's error in every expansion)
        # and failures of something already reported (a const or model with errors, used again): a pass
        # compares it before and after a model to know whether that model failed, and so avoids cascades.
        self.error_count = 0

    def failed(self) -> None:
        """Note a failure whose cause is already reported (using a const or a model that has errors)."""
        self.error_count += 1

    def add(self, diag: Diagnostic) -> Diagnostic:
        if diag.is_error:
            self.error_count += 1
        key = (diag.code, diag.message, diag.span)
        if key not in self._seen:  # the same fact reached twice is reported once
            self._seen.add(key)
            self.items.append(diag)
        return diag

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    def sorted(self) -> List[Diagnostic]:
        return sorted(self.items, key=Diagnostic.sort_key)


class SpecError(Exception):
    """Raised at the API boundary when a spec has errors; holds every diagnostic."""

    def __init__(self, diagnostics: List[Diagnostic], sources: Optional[dict] = None):
        self.diagnostics = diagnostics
        self.sources = sources or {}
        errors = [d for d in diagnostics if d.is_error]
        first = errors[0] if errors else (diagnostics[0] if diagnostics else None)
        where = f"{first.span}: " if first is not None and first.span is not None else ""
        head = f"{where}{first.code} {first.message}" if first else "invalid spec"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(safe_text(head + more))  # one line whatever the spec holds: it lands in logs

    def render(self, color: bool = False) -> str:
        """Every diagnostic rendered as text."""
        from graphspec.diagnostics.render import render_text

        return render_text(self.diagnostics, self.sources, color=color)
