"""Go to definition, rename and document symbols, from the syntax index."""

from __future__ import annotations

import re
from typing import Dict, List, Optional

from lsprotocol import types as T

from graphspec.lsp import convert
from graphspec.lsp import index as ix
from graphspec.lsp.analysis import Analysis
from graphspec.text import KEYWORDS

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_RENAMEABLE = (ix.TENSOR, ix.BLOCK, ix.LAYER, ix.CONST, ix.PARAM, ix.INDEX, ix.MODEL)


def _lines_of(analysis: Analysis, path) -> Optional[list]:
    if path == analysis.path:
        return convert.split(analysis.text)
    for src in analysis.sources.values():
        if src.path is not None and src.path.resolve() == path.resolve():
            return convert.split(src.text)
    return None


def definition(analysis: Analysis, line: int, col: int) -> Optional[T.Location]:
    """Where the name at (line, col) is defined: in this file or an imported one; an import goes to the file."""
    if analysis.index is None:
        return None
    occ = analysis.index.at(line, col)
    d = occ.definition if occ is not None else None
    if d is None or d.path is None:
        return None
    if d.span is None:  # an import: the whole file
        if not d.path.resolve().is_file():
            return None
        start = T.Position(line=0, character=0)
        return T.Location(uri=convert.path_to_uri(d.path), range=T.Range(start, start))
    lines = _lines_of(analysis, d.path)
    if lines is None:
        return None
    return T.Location(uri=convert.path_to_uri(d.path), range=convert.span_range(lines, d.span))


def rename_target(analysis: Analysis, line: int, col: int) -> Optional[ix.Occurrence]:
    """The occurrence a rename at (line, col) would rename, if it can be renamed within this file."""
    if analysis.index is None:
        return None
    occ = analysis.index.at(line, col)
    if occ is None or occ.definition is None or occ.kind not in _RENAMEABLE:
        return None
    if occ.definition.path is not None and occ.definition.path.resolve() != analysis.path:
        return None  # defined in another file: renaming only here would break the spec
    return occ


def rename(analysis: Analysis, line: int, col: int, new_name: str, uri: str) -> T.WorkspaceEdit:
    """The edits that rename the name at (line, col) everywhere it means the same thing in this file."""
    if not _NAME.match(new_name) or new_name in KEYWORDS:
        raise ValueError(f"`{new_name}` is not a name a spec can use (a letter or `_`, then letters, digits, `_`; "
                         "not a keyword)")
    occ = rename_target(analysis, line, col)
    if occ is None:
        raise ValueError("nothing to rename here: put the cursor on a tensor, block, layer, const or model "
                         "defined in this file")
    lines = convert.split(analysis.text)
    seen = set()
    edits = []
    for o in analysis.index.same_name(occ.definition):
        key = (o.span.line, o.span.col)
        if key not in seen:
            seen.add(key)
            edits.append(T.TextEdit(range=convert.span_range(lines, o.span), new_text=new_name))
    return T.WorkspaceEdit(changes={uri: edits})


_SYMBOL_KIND: Dict[str, T.SymbolKind] = {ix.MODEL: T.SymbolKind.Class, ix.BLOCK: T.SymbolKind.Function,
                                         ix.CONST: T.SymbolKind.Constant}


def document_symbols(analysis: Analysis) -> List[T.DocumentSymbol]:
    """Models, blocks and consts of the file; a model's and a block's inputs, shared layers and outputs inside."""
    module = analysis.module
    if module is None:
        return []
    lines = convert.split(analysis.text)
    out = []
    for kind, items in ((ix.CONST, module.consts), (ix.BLOCK, module.blocks), (ix.MODEL, module.models)):
        for item in items:
            children = [_child(lines, s) for s in getattr(item, "body", ()) if _child(lines, s) is not None]
            detail = {ix.MODEL: f"extends {item.extends[0]}" if getattr(item, "extends", None) else "model",
                      ix.BLOCK: "block", ix.CONST: "const"}[kind]
            out.append(T.DocumentSymbol(name=item.name, kind=_SYMBOL_KIND[kind], detail=detail,
                                        range=convert.span_range(lines, item.span),
                                        selection_range=convert.span_range(lines, item.name_span),
                                        children=children or None))
    out.sort(key=lambda s: (s.range.start.line, s.range.start.character))
    return out


def _child(lines, stmt) -> Optional[T.DocumentSymbol]:
    kind = {"InputStmt": (T.SymbolKind.Variable, "input"), "OutputStmt": (T.SymbolKind.Variable, "output"),
            "LayerStmt": (T.SymbolKind.Field, "layer")}.get(type(stmt).__name__)
    if kind is None:
        return None
    return T.DocumentSymbol(name=stmt.name, kind=kind[0], detail=kind[1], range=convert.span_range(lines, stmt.span),
                            selection_range=convert.span_range(lines, stmt.name_span))
