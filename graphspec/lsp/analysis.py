"""One check of an open document: the passes' diagnostics, checked program and syntax index.

Everything here comes from graphspec's own passes (graphspec.passes.check.check_text), run on
the editor's text of the document; imports are read from disk, relative to the document's
file, as `graphspec check` reads them. Nothing is evaluated beyond what the passes evaluate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from graphspec import graph as g
from graphspec import config
from graphspec.diagnostics.diagnostic import Diagnostic, Diagnostics
from graphspec.lsp.index import Index
from graphspec.passes.check import check_text
from graphspec.source import Source, Span
from graphspec.syntax import ast


@dataclass
class Analysis:
    """The result of checking one version of one document."""

    path: Path  # the document's file (resolved); imports are relative to its folder
    text: str
    diagnostics: List[Diagnostic]
    sources: Dict[str, Source]  # by the file name the spans carry
    program: Optional[g.Program]  # None when the spec has errors
    module: Optional[ast.Module]  # the main file's syntax tree; None on syntax errors
    index: Optional[Index]
    _nodes: Optional[Dict[Span, List[Tuple[g.Graph, g.Node]]]] = field(default=None, repr=False)
    _inputs: Optional[Dict[Span, List[Tuple[g.Graph, g.Input]]]] = field(default=None, repr=False)

    @property
    def main_name(self) -> str:
        """The file name the main file's spans carry."""
        return self.path.name

    def path_of(self, file: str) -> Optional[Path]:
        """The path of the file a span names."""
        if file == self.main_name:
            return self.path
        src = self.sources.get(file)
        return src.path if src is not None else None

    def nodes_at(self, span: Span) -> List[Tuple[g.Graph, g.Node]]:
        """The graph nodes a step written at `span` became: one per model, block expansion and repeat."""
        self._index_graph()
        return self._nodes.get(span, [])

    def inputs_at(self, span: Span) -> List[Tuple[g.Graph, g.Input]]:
        """The model inputs an `input` statement at `span` became (one per model that has it)."""
        self._index_graph()
        return self._inputs.get(span, [])

    def _index_graph(self) -> None:
        if self._nodes is not None:
            return
        self._nodes, self._inputs = {}, {}
        for graph in (self.program.models.values() if self.program else ()):
            for node in graph.nodes:
                if node.span is not None:
                    self._nodes.setdefault(node.span, []).append((graph, node))
            for inp in graph.inputs:
                if inp.span is not None:
                    self._inputs.setdefault(inp.span, []).append((graph, inp))


def _ignored(folder: Path) -> tuple:
    """The warning codes the project's [tool.graphspec] ignore silences (a data table: no plugin runs)."""
    try:
        found = config.project_config(folder)
    except config.ConfigError:  # `graphspec check` reports a broken table; the editor still checks
        return ()
    return found.ignore if found is not None else ()


def analyze(text: str, path: Path) -> Analysis:
    """Check `text` as the contents of the file `path` and index its names."""
    path = Path(path).resolve()
    diags = Diagnostics()
    # The main file is named by its base name with its folder as the base: imports then resolve
    # against the folder (graphspec.passes.modules.Loader.load_text) and spans name the file.
    program, loader = check_text(text, diags, name=path.name, base=path.parent, ignore=_ignored(path.parent))
    module = loader.module(path.parent / path.name)
    index = None
    if module is not None:
        modules = [m for m in loader.order if m is not None]
        try:
            index = Index(module, modules)
        except RecursionError:  # nesting the passes accept but a walk this deep in the stack does not
            index = None
    return Analysis(path, text, diags.sorted(), dict(loader.sources), program, module, index)
