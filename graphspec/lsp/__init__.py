"""The graphspec language server (`graphspec lsp`): diagnostics, hover, definition, completion,
symbols, formatting and rename for .gspec files, on top of the passes. Needs the `[lsp]` extra."""
