"""Finding the comments of a spec: the parser ignores them, the formatter keeps them."""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Tuple

# A comment, or a string to skip (a `#` inside a string is not a comment). An unterminated
# string runs to the end of its line (LF, CRLF or a lone CR), as far as the lexer would have read it.
_SCAN = re.compile(r"""#[^\r\n]*|"(?:[^"\\\r\n]|\\[^\r\n])*"?|'(?:[^'\\\r\n]|\\[^\r\n])*'?""")

if TYPE_CHECKING:
    Comment = Tuple[int, int, str]


def scan_comments(text: str) -> List[Comment]:
    """Every comment of `text` as (line, col, text), 1-based like spans, in order.

    The text runs from the `#` to the end of its line, trailing whitespace removed.
    """
    out: List[Comment] = []
    line, line_start, counted = 1, 0, 0
    for m in _SCAN.finditer(text):
        if not m.group().startswith("#"):
            continue
        start = m.start()
        newlines = text.count("\n", counted, start)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", counted, start) + 1
        counted = start
        out.append((line, start - line_start + 1, m.group().rstrip()))
    return out
