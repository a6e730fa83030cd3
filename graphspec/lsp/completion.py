"""Completion: what may be written at the cursor, from the text before it.

While a spec is being typed it rarely parses, so the context (inside a call, after `->`,
after an input's shape) is read from the text before the cursor; the names in scope come
from the document's latest syntax index (graphspec.lsp.index), the layer names and their
arguments from the captured catalogue (graphspec.catalog).
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from lsprotocol import types as T

from graphspec.catalog import signatures
from graphspec.lsp import index as ix
from graphspec.passes import layers as L
from graphspec.passes.application import DTYPES
from graphspec.text import spec_value

_SCAN = re.compile(r"""#[^\n]*|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|[()\[\]{}]""")
_AFTER_ARROW = re.compile(r"->\s*[A-Za-z_0-9]*\Z")
_AFTER_SHAPE = re.compile(r"\binput\s+[A-Za-z_]\w*\s*:\s*\([^()]*\)\s+[A-Za-z_0-9]*\Z")
_CALLEE = re.compile(r"([A-Za-z_]\w*)\s*\Z")
_KWARG_NAME = re.compile(r"[(,]\s*[A-Za-z_0-9]*\Z")
_STMT_KEYWORDS = ("input", "output", "layer", "repeat", "compile", "fit")
_TOP_KEYWORDS = ("model", "block", "const", "import")
_DEF_KIND = {ix.TENSOR: T.CompletionItemKind.Variable, ix.LAYER: T.CompletionItemKind.Field,
             ix.BLOCK: T.CompletionItemKind.Function, ix.MODEL: T.CompletionItemKind.Module,
             ix.CONST: T.CompletionItemKind.Constant, ix.PARAM: T.CompletionItemKind.Variable,
             ix.INDEX: T.CompletionItemKind.Variable}


def open_call(before: str) -> Optional[Tuple[str, int]]:
    """The innermost call whose `(` is still open at the end of `before`: (callee name, offset of `(`)."""
    stack: List[int] = []
    for m in _SCAN.finditer(before):
        tok = m.group()
        if tok in "([{":
            stack.append(m.start())
        elif tok in ")]}":
            if stack:
                stack.pop()
    for pos in reversed(stack):
        if before[pos] != "(":
            return None  # inside a list or dict: values, not arguments
        callee = _CALLEE.search(before[:pos])
        return (callee.group(1), pos) if callee else None
    return None


def complete(before: str, index: Optional[ix.Index], line: int, col: int) -> List[T.CompletionItem]:
    """Completion items for a cursor whose preceding text is `before` (the document up to the cursor)."""
    line_text = before[before.rfind("\n") + 1:]
    if _AFTER_SHAPE.search(line_text):
        return _dtypes()
    if _AFTER_ARROW.search(before):
        return _steps(index, line, col)
    call = open_call(before)
    if call is not None:
        name, pos = call
        items = []
        if _KWARG_NAME.search(before[pos:]):
            items = _kwargs(name, index, before[pos + 1:])
        return items + _values(index, line, col)
    return _statement(index, line, col)


def _dtypes() -> List[T.CompletionItem]:
    return [T.CompletionItem(label=d, kind=T.CompletionItemKind.EnumMember, detail="dtype") for d in DTYPES]


def _layer_types() -> List[T.CompletionItem]:
    items = []
    for name in L.layer_names():
        canonical = signatures.canonical_layer_name(name)
        detail = "Keras layer" if canonical in (None, name) else f"alias of {canonical}"
        items.append(T.CompletionItem(label=name, kind=T.CompletionItemKind.Class, detail=detail,
                                      insert_text=name + "($0)", insert_text_format=T.InsertTextFormat.Snippet))
    return items


def _scope(index: Optional[ix.Index], line: int, col: int, kinds) -> List[T.CompletionItem]:
    if index is None:
        return []
    return [T.CompletionItem(label=name, kind=_DEF_KIND.get(d.kind), detail=d.kind)
            for name, d in index.scope_names(line, col).items() if d.kind in kinds]


def _steps(index, line, col) -> List[T.CompletionItem]:
    return _scope(index, line, col, (ix.LAYER, ix.BLOCK, ix.MODEL)) + _layer_types()


def _values(index, line, col) -> List[T.CompletionItem]:
    return _scope(index, line, col, (ix.CONST, ix.PARAM, ix.INDEX, ix.TENSOR))


def _statement(index, line, col) -> List[T.CompletionItem]:
    keywords = [T.CompletionItem(label=k, kind=T.CompletionItemKind.Keyword) for k in _STMT_KEYWORDS + _TOP_KEYWORDS]
    return keywords + _scope(index, line, col, tuple(_DEF_KIND))


def _param_items(params, written: set) -> List[T.CompletionItem]:
    """`name=` items for the parameters not yet written, required ones first."""
    items = []
    for i, (name, required, default) in enumerate(params):
        if name in written:
            continue
        detail = "required" if required else f"= {default}"
        items.append(T.CompletionItem(label=name, kind=T.CompletionItemKind.Property, detail=detail,
                                      insert_text=f"{name}=", sort_text=f"{0 if required else 1}{i:04d}"))
    return items


def _default(value) -> str:
    try:
        return spec_value(value)
    except (TypeError, ValueError):
        return repr(value)


def _signature_params(name: str, index: Optional[ix.Index]) -> list:
    """(name, required, default text) of what `name(` takes: a block's parameters, a layer's or an object's."""
    d = index.globals.get(name) if index is not None else None
    if d is not None and d.kind == ix.BLOCK:
        return [(p.name, p.default is None, "…") for p in d.node.params]
    sig = signatures.layer_signature(name)
    extra = signatures.base_layer_kwargs() if sig is not None and sig.var_kwargs else ()
    if sig is None:
        kinds = signatures.object_kinds_of(name)
        sig = signatures.object_signature(kinds[0], name) if kinds else None
    if sig is None:
        return []
    return [(p.name, p.required, _default(p.default)) for p in tuple(sig.params) + tuple(extra)]


_WRITTEN = re.compile(r"([A-Za-z_]\w*)\s*=(?!=)")


def _kwargs(name: str, index, inside: str) -> List[T.CompletionItem]:
    written = set(_WRITTEN.findall(inside))
    return _param_items(_signature_params(name, index), written)
