"""Finding the grammar file; lark's parser for it, for the tests and the table builder.

At run time graphspec parses with graphspec/syntax/lalr.py and never imports lark."""

from __future__ import annotations

import functools
import os

GRAMMAR_NAME = "graphspec.lark"


def grammar_path() -> str:
    """The grammar: inside the installed wheel, or in the repository's grammar/ folder (os.path, not
    pathlib: `graphspec check` reads it on every run, and pathlib costs its start-up ~3 ms to import)."""
    here = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # graphspec/
    for candidate in (os.path.join(here, "grammar", GRAMMAR_NAME),
                      os.path.join(os.path.dirname(here), "grammar", GRAMMAR_NAME)):
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f"graphspec's grammar file {GRAMMAR_NAME} is missing from {here}; reinstall graphspec"
    )


@functools.lru_cache(maxsize=1)
def parser():
    """The cached LALR parser (lark caches the analysed grammar on disk between runs)."""
    from lark import Lark

    with open(grammar_path(), encoding="utf-8") as f:
        text = f.read()
    return Lark(
        text,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )
