"""Finding the grammar file; lark's parser for it, for the tests and the table builder.

At run time graphspec parses with graphspec/syntax/lalr.py and never imports lark."""

from __future__ import annotations

import functools
from pathlib import Path

GRAMMAR_NAME = "graphspec.lark"


def grammar_path() -> Path:
    """The grammar: inside the installed wheel, or in the repository's grammar/ folder."""
    here = Path(__file__).resolve().parent.parent  # graphspec/
    for candidate in (here / "grammar" / GRAMMAR_NAME, here.parent / "grammar" / GRAMMAR_NAME):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"graphspec's grammar file {GRAMMAR_NAME} is missing from {here}; reinstall graphspec"
    )


@functools.lru_cache(maxsize=1)
def parser():
    """The cached LALR parser (lark caches the analysed grammar on disk between runs)."""
    from lark import Lark

    path = grammar_path()
    return Lark(
        path.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )
