"""Renderers: text (ruff-like, optionally coloured), JSON, GitHub annotations."""

from __future__ import annotations

import json

from graphspec.diagnostics.diagnostic import Diagnostic
from graphspec.text import safe_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Iterable, List, Tuple

# Every piece of text that can hold spec-controlled text (a message, a label, a help, a note, a
# file name, a source line) goes through safe_text before it is printed: no output line can be
# started, restyled or reordered by a spec. JSON output escapes through json.dumps instead.
_clean = safe_text

_RESET = "\x1b[0m"
_STYLE = {
    "error": "\x1b[1;31m",
    "warning": "\x1b[1;33m",
    "code": "\x1b[1m",
    "path": "\x1b[1;36m",
    "gutter": "\x1b[34m",
    "help": "\x1b[1;32m",
}


def _paint(text: str, style: str, color: bool) -> str:
    return f"{_STYLE[style]}{text}{_RESET}" if color else text


def _display(line: str) -> Tuple[str, List[int]]:
    """A source line as printed under the caret, and where each of its characters starts in it.

    A tab shows as one space; a control or bidi character shows as its escape (`\\u001b`), never
    raw: it could end the line, restyle the terminal or reorder what the reader sees."""
    pieces = [" " if c == "\t" else safe_text(c) for c in line]
    starts, at = [], 0
    for piece in pieces:
        starts.append(at)
        at += len(piece)
    starts.append(at)
    return "".join(pieces), starts


def _snippet(span, source, label: str, mark: str, style: str, width: int, color: bool) -> List[str]:
    """The source line of `span` with `mark` characters under it and the label after them."""
    text = source.line_text(span.line) if source is not None else ""
    if not text and source is None:
        return []
    bar = _paint("|", "gutter", color)
    start = 0
    if len(text) > 200:  # a minified or binary line: show the part around the caret
        start = max(0, span.col - 60)
        text = text[start:start + 120]
    col = min(max(span.col - start, 1), len(text) + 1)
    end_col = span.end_col - start if span.end_line == span.line else len(text) + 1
    end_col = min(max(end_col, col + 1), len(text) + 1)
    shown, at = _display(text)
    caret = " " * at[col - 1] + mark * max(1, at[end_col - 1] - at[col - 1])
    if label:
        caret += " " + _clean(label)
    return [f"{' ' * width} {bar}",
            f"{_paint(str(span.line).rjust(width), 'gutter', color)} {bar} {shown}",
            f"{' ' * width} {bar} {_paint(caret, style, color)}"]


def render_one(diag: Diagnostic, sources: Dict[str, object], color: bool = False) -> str:
    """Render one diagnostic: header, location, source line with caret, secondary locations, help."""
    sev = _paint(diag.severity, diag.severity, color)
    out = [f"{sev}[{_paint(diag.code, 'code', color)}]: {_clean(diag.message)}"]
    span = diag.span
    if span is not None:
        # One gutter width for every snippet of the diagnostic, so the bars line up.
        width = max(len(str(s.line)) for s in [span] + [r.span for r in diag.related])
        out.append(f"  {_paint('-->', 'gutter', color)} {_paint(_clean(str(span)), 'path', color)}")
        out += _snippet(span, sources.get(span.file), diag.label, "^", diag.severity, width, color)
        for rel in diag.related:  # rustc's convention: `:::` and `-` for a location that is not the problem
            where = f"  {_paint(':::', 'gutter', color)} {_paint(_clean(str(rel.span)), 'path', color)}"
            snippet = _snippet(rel.span, sources.get(rel.span.file), rel.text, "-", "gutter", width, color)
            # Without the file's text there is no line to put the label under: it follows the location.
            out += [where] + snippet if snippet else [f"{where} ({_clean(rel.text)})"]
    for note in diag.notes:
        out.append(f"  = note: {_clean(note)}")
    if diag.help:
        out.append(f"  = {_paint('help', 'help', color)}: {_clean(diag.help)}")
    return "\n".join(out)


def render_text(diags: Iterable[Diagnostic], sources: Dict[str, object], color: bool = False) -> str:
    """Render diagnostics as text blocks separated by blank lines."""
    return "\n\n".join(render_one(d, sources, color) for d in diags)


def render_json(diags: List[Diagnostic]) -> str:
    """Render diagnostics as a JSON list."""
    return json.dumps([d.to_dict() for d in diags], indent=2)


def _gh_escape(text: str, prop: bool = False) -> str:
    text = _clean(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(diags: Iterable[Diagnostic]) -> str:
    """Render diagnostics as GitHub Actions workflow annotations."""
    lines = []
    for d in diags:
        kind = "error" if d.is_error else "warning"
        msg = (d.message + "".join(f" ({r.text}: {r.span})" for r in d.related)
               + (f" (help: {d.help})" if d.help else ""))
        if d.span is not None:
            s = d.span
            props = (f"file={_gh_escape(s.file, True)},line={s.line},col={s.col},"
                     f"endLine={s.end_line},endColumn={s.end_col},title={_gh_escape(d.code, True)}")
        else:
            props = f"title={_gh_escape(d.code, True)}"
        lines.append(f"::{kind} {props}::{_gh_escape(msg)}")
    return "\n".join(lines)
