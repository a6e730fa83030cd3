"""`graphspec lsp`: the language server of graphspec/lsp/server.py, started from the command table."""

from __future__ import annotations


def cmd_lsp(args) -> int:
    """Serve the Language Server Protocol on stdin/stdout until the editor says exit."""
    from graphspec.lsp.server import main

    argv = [] if args.debounce is None else ["--debounce", str(args.debounce)]
    return main(argv)
