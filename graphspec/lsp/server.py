"""`graphspec lsp`: the language server, over stdio.

A thin layer of LSP handlers over graphspec.lsp's modules, which sit on top of the passes:
analysis (check one document), diagnostics (as LSP diagnostics), hover, completion,
navigation (definition, rename, symbols); formatting is graphspec's own formatter.

Every document is checked when it opens, and again a short, quiet moment after the last
change (the debounce): typing fast re-checks once, not once per keystroke. A request
(hover, definition...) on a version not yet checked checks it first, so an answer never
describes older text than the request's.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Dict, List, Optional

from lsprotocol import types as T
from pygls.lsp.server import LanguageServer

from graphspec.lsp import convert
from graphspec.lsp import diagnostics as lsp_diagnostics
from graphspec.lsp import navigation
from graphspec.lsp.analysis import Analysis, analyze
from graphspec.lsp.completion import complete
from graphspec.lsp.hover import hover_text
from graphspec.lsp.index import Index

VERSION = "0.1.0"
DEFAULT_DEBOUNCE_MS = 60
log = logging.getLogger("graphspec.lsp")


class GspecServer(LanguageServer):
    """The language server, with the analyses of its open documents."""

    def __init__(self, debounce_ms: int = DEFAULT_DEBOUNCE_MS):
        super().__init__("graphspec", VERSION)
        self.debounce = max(0, debounce_ms) / 1000
        self.analyses: Dict[str, Analysis] = {}
        self.versions: Dict[str, Optional[int]] = {}
        self.last_index: Dict[str, Index] = {}  # the latest index that parsed: completion while typing
        self.pending: Dict[str, asyncio.TimerHandle] = {}

    def analysis(self, uri: str) -> Optional[Analysis]:
        """The analysis of the document's current text, checking it now if it changed since."""
        doc = self.workspace.get_text_document(uri)
        cached = self.analyses.get(uri)
        if cached is not None and self.versions.get(uri) == doc.version and cached.text == doc.source:
            return cached
        try:
            result = analyze(doc.source, convert.uri_to_path(uri))
        except Exception as exc:  # a bug of ours must not take the editor's server down
            log.exception("checking %s failed", uri)
            self.window_log_message(T.LogMessageParams(T.MessageType.Error, f"graphspec: checking failed: {exc!r}"))
            return None
        self.analyses[uri], self.versions[uri] = result, doc.version
        if result.index is not None:
            self.last_index[uri] = result.index
        return result

    def publish(self, uri: str) -> None:
        """Check the document and publish its diagnostics."""
        self.pending.pop(uri, None)
        if uri not in self.workspace.text_documents:
            return
        result = self.analysis(uri)
        if result is None:
            return
        doc = self.workspace.get_text_document(uri)
        items = lsp_diagnostics.to_lsp(result, convert.split(result.text), uri)
        self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=items,
                                                                          version=doc.version))

    def schedule(self, uri: str) -> None:
        """Publish after the debounce, restarting the wait on every change."""
        old = self.pending.pop(uri, None)
        if old is not None:
            old.cancel()
        if self.debounce == 0:
            self.publish(uri)
            return
        self.pending[uri] = asyncio.get_running_loop().call_later(self.debounce, self.publish, uri)

    def forget(self, uri: str) -> None:
        """Drop what is known about a closed document."""
        old = self.pending.pop(uri, None)
        if old is not None:
            old.cancel()
        for table in (self.analyses, self.versions, self.last_index):
            table.pop(uri, None)


def _at(server: GspecServer, uri: str, pos: T.Position):
    """The document's analysis and the 1-based (line, col) of an LSP position in it."""
    result = server.analysis(uri)
    if result is None:
        return None, 0, 0
    line, col = convert.from_position(convert.split(result.text), pos)
    return result, line, col


def build(debounce_ms: int = DEFAULT_DEBOUNCE_MS) -> GspecServer:
    """A server with every feature registered."""
    server = GspecServer(debounce_ms)

    @server.feature(T.INITIALIZED)
    def initialized(ls: GspecServer, params: T.InitializedParams):
        convert.use_encoding(ls.server_capabilities.position_encoding or "utf-16")

    @server.feature(T.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: GspecServer, params: T.DidOpenTextDocumentParams):
        ls.publish(params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: GspecServer, params: T.DidChangeTextDocumentParams):
        ls.schedule(params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: GspecServer, params: T.DidSaveTextDocumentParams):
        ls.publish(params.text_document.uri)  # an imported file may have changed on disk

    @server.feature(T.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: GspecServer, params: T.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        ls.forget(uri)
        ls.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(T.TEXT_DOCUMENT_HOVER)
    def hover(ls: GspecServer, params: T.HoverParams) -> Optional[T.Hover]:
        result, line, col = _at(ls, params.text_document.uri, params.position)
        found = hover_text(result, line, col) if result is not None else None
        if found is None:
            return None
        text, occ = found
        return T.Hover(contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value=text),
                       range=convert.span_range(convert.split(result.text), occ.span))

    @server.feature(T.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: GspecServer, params: T.DefinitionParams) -> Optional[T.Location]:
        result, line, col = _at(ls, params.text_document.uri, params.position)
        return navigation.definition(result, line, col) if result is not None else None

    @server.feature(T.TEXT_DOCUMENT_COMPLETION,
                    T.CompletionOptions(trigger_characters=["(", ",", ">", " "]))
    def completion(ls: GspecServer, params: T.CompletionParams) -> T.CompletionList:
        uri = params.text_document.uri
        doc = ls.workspace.get_text_document(uri)
        lines = convert.split(doc.source)
        before = doc.source[:convert.offset(doc.source, lines, params.position)]
        result = ls.analysis(uri)
        index = result.index if result is not None and result.index is not None else ls.last_index.get(uri)
        line, col = convert.from_position(lines, params.position)
        return T.CompletionList(is_incomplete=False, items=complete(before, index, line, col))

    @server.feature(T.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: GspecServer, params: T.DocumentSymbolParams) -> List[T.DocumentSymbol]:
        result = ls.analysis(params.text_document.uri)
        return navigation.document_symbols(result) if result is not None else []

    @server.feature(T.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: GspecServer, params: T.DocumentFormattingParams) -> Optional[List[T.TextEdit]]:
        return format_edits(ls.workspace.get_text_document(params.text_document.uri).source,
                            convert.uri_to_path(params.text_document.uri).name)

    @server.feature(T.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(ls: GspecServer, params: T.PrepareRenameParams):
        result, line, col = _at(ls, params.text_document.uri, params.position)
        occ = navigation.rename_target(result, line, col) if result is not None else None
        if occ is None:
            return None
        return T.PrepareRenamePlaceholder(range=convert.span_range(convert.split(result.text), occ.span),
                                          placeholder=occ.name)

    @server.feature(T.TEXT_DOCUMENT_RENAME)
    def rename(ls: GspecServer, params: T.RenameParams) -> Optional[T.WorkspaceEdit]:
        uri = params.text_document.uri
        result, line, col = _at(ls, uri, params.position)
        if result is None:
            return None
        return navigation.rename(result, line, col, params.new_name, uri)  # ValueError: an error response

    return server


def format_edits(text: str, name: str) -> Optional[List[T.TextEdit]]:
    """The edit that turns `text` into `graphspec fmt`'s text; [] when it is already; None on syntax errors."""
    from graphspec.syntax.format import FormatError, format_source
    from graphspec.source import Source

    try:
        formatted, _ = format_source(Source(name, text))
    except FormatError:
        return None
    if formatted is None:
        return None
    if formatted == text:
        return []
    lines = text.split("\n")
    end = T.Position(line=len(lines) - 1, character=convert.units(lines[-1]))
    return [T.TextEdit(range=T.Range(T.Position(line=0, character=0), end), new_text=formatted)]


def main(argv: Optional[List[str]] = None) -> int:
    """Run the language server on stdin/stdout until the client says exit."""
    parser = argparse.ArgumentParser(prog="graphspec lsp", description="The graphspec language server, over stdio.")
    parser.add_argument("--debounce", type=int, default=DEFAULT_DEBOUNCE_MS, metavar="MS",
                        help=f"check a document this long after its last change (default {DEFAULT_DEBOUNCE_MS} ms)")
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default and only way)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    build(args.debounce).start_io()
    return 0
