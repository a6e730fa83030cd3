"""graphspec diagnostics as LSP diagnostics: code, a link to docs/errors.md, the secondary locations and the
help as related information."""

from __future__ import annotations

import re
from typing import Dict, List, Optional

from lsprotocol import types as T

from graphspec.diagnostics.codes import CODES
from graphspec.diagnostics.diagnostic import Diagnostic
from graphspec.lsp import convert
from graphspec.lsp.analysis import Analysis
from graphspec.text import safe_text

ERRORS_DOC = "https://github.com/graphspec/graphspec/blob/main/docs/errors.md"
_SEVERITY = {"error": T.DiagnosticSeverity.Error, "warning": T.DiagnosticSeverity.Warning}


def anchor(code: str) -> str:
    """docs/errors.md's anchor for a code: GitHub's slug of its heading `E401: incompatible shapes`.

    The same slug as scripts/build_error_docs.py writes (tests/lsp/test_server.py checks every code)."""
    info = CODES.get(code)
    text = f"{code}: {info.title}".lower() if info else code.lower()
    return re.sub(r"[^a-z0-9 _-]", "", text).replace(" ", "-")


def _message(d: Diagnostic) -> str:
    parts = [d.message]
    if d.help:
        parts.append(f"help: {d.help}")
    parts.extend(f"note: {n}" for n in d.notes)
    return "\n".join(safe_text(p) for p in parts)  # each part made safe; the newlines between are ours


def to_lsp(analysis: Analysis, lines: List[str], uri: str) -> List[T.Diagnostic]:
    """The diagnostics to publish for the document: its own, and those of its imports at the import line."""
    out: List[T.Diagnostic] = []
    imports: Dict[str, T.Range] = {}
    if analysis.module is not None:
        for imp in analysis.module.imports:
            imports.setdefault(imp.path, convert.span_range(lines, imp.span))
    for d in analysis.diagnostics:
        here = d.span is None or d.span.file == analysis.main_name
        rng = convert.span_range(lines, d.span) if here else _import_range(analysis, d, imports)
        message = _message(d)
        related = []
        location = T.Location(uri=uri, range=rng)
        if not here:
            location = _location(analysis, lines, uri, d.span) or location
            message = f"in {safe_text(str(d.span))}: {message}"
            related.append(T.DiagnosticRelatedInformation(location, safe_text(d.message)))
        for rel in d.related:  # where a duplicate was first defined, the block use that expanded the body
            at = _location(analysis, lines, uri, rel.span)
            if at is not None:
                related.append(T.DiagnosticRelatedInformation(at, safe_text(rel.text)))
        if d.help:
            related.append(T.DiagnosticRelatedInformation(location, "help: " + safe_text(d.help)))
        out.append(T.Diagnostic(
            range=rng, message=message, severity=_SEVERITY.get(d.severity, T.DiagnosticSeverity.Error),
            code=d.code, code_description=T.CodeDescription(href=f"{ERRORS_DOC}#{anchor(d.code)}"),
            source="graphspec", related_information=related or None))
    return out


def _location(analysis: Analysis, lines: List[str], uri: str, span) -> Optional[T.Location]:
    """The LSP location of `span`: in the document, or in an imported file that was read (else None)."""
    if span.file == analysis.main_name:
        return T.Location(uri=uri, range=convert.span_range(lines, span))
    path, src = analysis.path_of(span.file), analysis.sources.get(span.file)
    if path is None or src is None:
        return None
    return T.Location(uri=convert.path_to_uri(path), range=convert.span_range(convert.split(src.text), span))


def _import_range(analysis: Analysis, d: Diagnostic, imports: Dict[str, T.Range]) -> T.Range:
    """Where a problem of an imported file shows in the document: the import that brings the file in."""
    path = analysis.path_of(d.span.file)
    for text, rng in imports.items():
        if path is not None and (analysis.path.parent / text).resolve() == path:
            return rng
    return next(iter(imports.values()), T.Range(T.Position(line=0, character=0), T.Position(line=0, character=0)))
