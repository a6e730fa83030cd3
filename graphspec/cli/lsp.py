"""`graphspec lsp`: the language server of graphspec/lsp/server.py, started from the command table."""

from __future__ import annotations

import sys


def cmd_lsp(args) -> int:
    """Serve the Language Server Protocol on stdin/stdout until the editor says exit."""
    from graphspec.lsp.server import main

    # The server owns stdin/stdout (its protocol) and closes them at exit: the CLI's closed-pipe
    # wrappers (cli/__init__.py's _Stream) would then fail flushing a closed file.
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        setattr(sys, name, getattr(stream, "_stream", stream))
    argv = [] if args.debounce is None else ["--debounce", str(args.debounce)]
    return main(argv)
