"""Parsing one file: text to syntax tree, with syntax errors said in words."""

from __future__ import annotations

import re
import unicodedata

from graphspec.diagnostics import codes
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.limits import MAX_EXPR_DEPTH, MAX_NESTING, MAX_SYNTAX_ERRORS
from graphspec.source import Source
from graphspec.syntax import ast, lalr

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional, Tuple

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}
# Strings unrolled (no alternation inside the star): linear in a long literal, no frame per character.
_SCAN = re.compile(r"""#[^\r\n]*|"[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*"|'[^'\\\r\n]*(?:\\.[^'\\\r\n]*)*'|[()\[\]{}]""")
_TOP_LEVEL = r"(?m)^[ \t]*(model|block|const|import)\b"  # these three: compiled (by `re`) when an error needs them
# Bidirectional embedding, override and isolate controls: they make an editor show text in another
# order than the parser reads it ("Trojan Source"). Outside strings and comments the lexer refuses
# them (E101); inside, they are warned about (W201).
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")

# What a user calls the grammar's terminals.
_WORDS = {
    "NAME": "a name",
    "INT": "a number",
    "FLOAT": "a number",
    "STRING": "a string",
    "DTYPE": "a dtype such as `int32`",
    "OP_NAME": "an op such as `ops.mean`",
    "$END": "the end of the file",
}
_VALUE_START = {"INT", "FLOAT", "STRING", "NAME", "LPAR", "LSQB", "LBRACE", "MINUS", "PLUS",
                "TRUE", "FALSE", "NONE"}
_STATEMENT_START = {"INPUT", "LAYER", "OUTPUT", "COMPILE", "FIT", "REPEAT", "IF", "NAME"}
_TOP_START = {"MODEL", "BLOCK", "CONST", "IMPORT"}


def parse(source: Source, diags: Diagnostics) -> Optional[ast.Module]:
    """Parse `source`; report syntax errors into `diags` and return None if there are any."""
    unclosed = _check_brackets(source, diags)
    if unclosed is None:  # nesting too deep: the parser is not even started
        return None
    text = _c_comments(source, diags)
    errors = 1 if text is not source.text else 0
    while True:
        try:
            module, height = _parse_text(text, source)
        except lalr.UnexpectedInput as exc:
            errors += 1
            _report(exc, source, diags, unclosed)
            restart = _restart_offset(source.text, getattr(exc, "pos_in_stream", None) or 0)
            if restart is None or errors >= MAX_SYNTAX_ERRORS:
                return None
            # Blank out what was already read, keeping line structure so positions stay exact.
            text = re.sub(r"[^\n]", " ", source.text[:restart]) + source.text[restart:]
            continue
        if errors:
            return None
        # Too deep: build the parse tree for the text (without lark) to say where.
        if height > MAX_EXPR_DEPTH and _too_deep(lalr.parse_tree(text), source, diags):
            return None
        _bidi_warnings(source, diags)
        return module


# `//` outside strings and comments (the same string patterns as _SCAN).
_SLASHES = r"""#[^\r\n]*|"[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*"|'[^'\\\r\n]*(?:\\.[^'\\\r\n]*)*'|//"""


def _c_comments(source: Source, diags: Diagnostics) -> str:
    """Report each `//` written as a C or JavaScript comment, and return the text with those comments blanked
    (so the rest of the file is still parsed and every other syntax error found); `//` is floor division.
    A `//` is a comment when it starts its line, ends it, is followed by prose (two words, not `n // k as i {`),
    or follows a closed bracket with one word after it that no const of the file names."""
    text = source.text
    if "//" not in text:
        return text
    consts = set(re.findall(r"\bconst\s+([A-Za-z_]\w*)", text))
    cuts = []
    for m in re.finditer(_SLASHES, text):
        if m.group() != "//":
            continue
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        end = len(text) if end < 0 else end
        before, after = text[start:m.start()].rstrip(), text[m.end():end].strip()
        lone = re.fullmatch(r"[A-Za-z_]\w*", after)
        prose = re.match(r"[A-Za-z_]\w*\s+(?!as\b)[A-Za-z_]", after) and not after.endswith(("{", ",", "(", "->"))
        if (not before or not after or prose
                or (before[-1] in ")]}" and lone and after not in consts)):
            cuts.append((m.start(), end))
    for at, end in cuts:
        diags.error(codes.E100, "`//` does not start a comment in a spec (it is floor division)",
                    source.span(at, at + 2), label="not a comment",
                    help="comments start with `#`: replace `//` with `#`")
    if not cuts:
        return text
    out, last = [], 0
    for at, end in cuts:  # blank the comment, keeping every offset (positions stay exact)
        out += [text[last:at], " " * (end - at)]
        last = end
    return "".join(out) + text[last:]


def _parse_text(text: str, source: Source):
    """(module, height) of `text` whose spans point into `source`; raises lalr.UnexpectedInput.
    The one parser at run time: graphspec's LALR driver over the tables exported from lark
    (tests/syntax/test_lalr_runtime.py puts lark itself here, as the oracle)."""
    return lalr.parse(text, source)


def _bidi_warnings(source: Source, diags: Diagnostics) -> None:
    """W201 for each comment or string that holds a bidirectional control character, at the first one."""
    text = source.text
    if _BIDI.search(text) is None:
        return
    for m in _SCAN.finditer(text):
        token = m.group()
        if token[0] not in "#\"'":
            continue
        found = _BIDI.search(token)
        if found is None:
            continue
        pos = m.start() + found.start()
        ch = found.group()
        where = "comment" if token[0] == "#" else "string"
        more = len(_BIDI.findall(token)) - 1
        diags.warning(codes.W201, f"bidirectional control character U+{ord(ch):04X} ({unicodedata.name(ch)}) in a "
                              f"{where}" + (f", and {more} more" if more else "")
                              + ": the line may display in another order than graphspec reads it",
                      source.span(pos, pos + 1), label="bidi control",
                      help="remove it" + (f"; in a string, write it as an escape (`\\u{ord(ch):04x}`) if it is meant"
                                          if where == "string" else ""))


def _too_deep(tree, source: Source, diags: Diagnostics) -> bool:
    """Report a parse tree (graphspec.syntax.lalr.Tree) nested deeper than MAX_EXPR_DEPTH (a long
    operator chain such as `1+1+...+1` nests without brackets); building and evaluating it would
    exhaust the recursion limit."""
    Tree = lalr.Tree
    stack = [(tree, 1, tree)]
    while stack:
        node, depth, parent = stack.pop()
        if depth > MAX_EXPR_DEPTH:
            meta = parent.meta  # the subtree at the limit: for `1+1+...` it starts where the expression does
            start = 0 if meta.empty else meta.start_pos
            diags.error(codes.E103, f"nested more than {MAX_EXPR_DEPTH} levels deep (operators, calls, brackets and "
                                "statements inside one another)",
                        source.span(start, start + 1), label="too deep",
                        help="split the expression, or name parts of it with `const`")
            return True
        for child in node.children:
            if type(child) is Tree:
                stack.append((child, depth + 1, node))
    return False


def _restart_offset(text: str, pos: int) -> Optional[int]:
    """Where the next top-level item starts after the line of `pos`, if anywhere."""
    line_end = text.find("\n", pos)
    if line_end < 0:
        return None
    m = re.compile(_TOP_LEVEL).search(text, line_end + 1)
    return m.start(1) if m else None


# The quick look at the brackets of a large file (_brackets_fine): strings and comments as _SCAN reads
# them; compiled on first use, as a small file is scanned directly.
_STRINGS_COMMENTS = r"""#[^\r\n]*|"[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*"|'[^'\\\r\n]*(?:\\.[^'\\\r\n]*)*'"""
_QUICK = {}  # the compiled patterns
_QUICK_SIZE = 20_000  # characters; below this the exact scan takes under a millisecond
_QUICK_LEVELS = 8  # deeper than this, the exact scan decides (each level is a pass over the brackets)
_ONLY_BRACKETS = {i: None for i in range(128) if chr(i) not in "()[]{}"}  # str.translate: drop the rest


def _brackets_fine(text: str) -> bool:
    """Whether every bracket outside strings and comments is closed by its match, at most _QUICK_LEVELS
    deep: then _check_brackets has nothing to say. One pass removes the innermost pairs, so the brackets
    are gone after as many passes as they nest deep; done by `re` and str.translate, a third of the
    exact scan's time (10,000 generated layers: 10.3 -> 3 ms)."""
    if not _QUICK:
        _QUICK.update(strings=re.compile(_STRINGS_COMMENTS), others=re.compile(r"[^()\[\]{}]+"),
                      innermost=re.compile(r"\(\)|\[\]|\{\}"))
    rest = _QUICK["strings"].sub("", text)
    # translate is fast on ASCII text only (and leaves other characters)
    rest = rest.translate(_ONLY_BRACKETS) if rest.isascii() else _QUICK["others"].sub("", rest)
    innermost = _QUICK["innermost"].sub
    for _ in range(_QUICK_LEVELS):
        if not rest:
            return True
        rest = innermost("", rest)
    return not rest


def _check_brackets(source: Source, diags: Diagnostics) -> Optional[List[Tuple[str, int]]]:
    """Report nesting deeper than the limit; return the brackets left open at the end."""
    if len(source.text) >= _QUICK_SIZE and _brackets_fine(source.text):
        return []
    stack: List[Tuple[str, int]] = []
    for m in _SCAN.finditer(source.text):
        ch = m.group()
        if ch in _OPEN:
            stack.append((ch, m.start()))
            if len(stack) > MAX_NESTING:
                diags.error(
                    codes.E103,
                    f"brackets nested more than {MAX_NESTING} deep",
                    source.span(m.start(), m.start() + 1),
                    label="too deep",
                    help="split the expression, or name parts of it with `const` or a binding",
                )
                return None
        elif ch in _CLOSE:
            if stack and stack[-1][0] == _CLOSE[ch]:
                stack.pop()
    return stack


def _describe(token_type: str, terminals: dict) -> str:
    if token_type in _WORDS:
        return _WORDS[token_type]
    pattern = terminals.get(token_type)
    if pattern is not None:
        return f"`{pattern}`"
    return token_type.lower()


def expected_phrase(expected: set, terminals: dict) -> str:
    """Say what the parser expected, grouping token kinds into words a user knows."""
    expected = set(expected)
    if "NAME" in expected:  # where a name may stand, so may `ops.NAME`: "a name" says it
        expected.discard("OP_NAME")
    parts: List[str] = []
    if _TOP_START <= expected:
        parts.append("`model`, `block`, `const` or `import`")
        expected -= _TOP_START
    if _STATEMENT_START <= expected:
        parts.append("a statement (`input`, `layer`, `output`, `NAME = ...`, `compile`, `fit`, `repeat`, `if`)")
        expected -= _STATEMENT_START
    if len(expected & _VALUE_START) >= 6:
        parts.append("a value")
        expected -= _VALUE_START
    for t in sorted(expected, key=lambda t: (t not in terminals, _describe(t, terminals))):
        word = _describe(t, terminals)
        if word not in parts:
            parts.append(word)
    if not parts:
        return "something else"
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _terminal_words() -> dict:
    return lalr.terminal_words()


def _token_text(token) -> str:
    if token.type == "$END":
        return "the end of the file"
    text = str(token)
    return f"`{text}`" if len(text) <= 40 else f"`{text[:37]}...`"


def _report(exc, source: Source, diags: Diagnostics, unclosed) -> None:
    from graphspec.syntax.lalr import UnexpectedCharacters, UnexpectedToken

    terminals = _terminal_words()
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        ch = source.text[pos]
        span = source.span(pos, pos + 1)
        if ch in "\"'":
            diags.error(codes.E102, "unterminated string", source.span(pos, source.text.find("\n", pos)
                                                                    if "\n" in source.text[pos:] else len(source.text)),
                        label="this string is never closed",
                        help=f"close the string with `{ch}` on the same line")
        elif ch == "." and re.match(r"\s*Input\s*\(", source.text[pos + 1:pos + 40]):  # `x = keras.Input(...)`
            diags.error(codes.E101, "unexpected character `.`", span, label="not part of the language",
                        help="a spec declares each model input with an `input` line, not `keras.Input(...)`: "
                             + _input_help(source, source.text.index("(", pos)))
        elif ch == ".":
            diags.error(codes.E101, "unexpected character `.`", span, label="not part of the language",
                        help="a spec has no attribute access: write a layer by its name alone, "
                             "e.g. `Dense(64)`, not `keras.layers.Dense(64)`")
        else:
            shown = ch if ch.isprintable() else repr(ch)[1:-1]
            diags.error(codes.E101, f"unexpected character `{shown}`", span, label="not expected here",
                        help=f"expected {expected_phrase(exc.allowed or set(), terminals)}")
        return
    if isinstance(exc, UnexpectedToken):
        token = getattr(exc, "token", None)
        expected = set(getattr(exc, "expected", None) or getattr(exc, "accepts", None) or ())
        at_end = token is None or token.type == "$END"
        if at_end:
            span = source.end_span()
            help_ = None
            notes = []
            if unclosed:
                ch, pos = unclosed[-1]
                line, col = source.position(pos)
                notes.append(f"the `{ch}` opened at {source.name}:{line}:{col} is never closed")
                help_ = f"add the missing `{_OPEN[ch]}`"
            diags.error(codes.E100, f"unexpected end of file; expected {expected_phrase(expected, terminals)}",
                        span, label="the file ends here", help=help_, notes=notes)
            return
        typo = _dtype_typo(token, expected, source)
        if typo is not None:
            span, message, help_ = typo
            diags.error(codes.E100, message, span, label="not a dtype", help=help_)
            return
        habit = _keras_habit(token, expected, source)
        if habit is not None:
            span, message, label, help_ = habit
            diags.error(codes.E100, message, span, label=label, help=help_)
            return
        span = source.span(token.start_pos, token.end_pos)
        help_, notes = _hint(token, expected, source)
        diags.error(codes.E100, f"unexpected {_token_text(token)}; expected {expected_phrase(expected, terminals)}",
                    span, label="unexpected here", help=help_, notes=notes)
        return
    diags.error(codes.E100, "syntax error", source.end_span())


_DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool", "string")


def _open_brackets(text: str, end: int) -> List[Tuple[str, int]]:
    """The brackets still open at offset `end` (strings and comments skipped)."""
    stack: List[Tuple[str, int]] = []
    for m in _SCAN.finditer(text, 0, end):
        ch = m.group()
        if ch in _OPEN:
            stack.append((ch, m.start()))
        elif ch in _CLOSE and stack and stack[-1][0] == _CLOSE[ch]:
            stack.pop()
    return stack


def _previous(source: Source, pos: int) -> Tuple[str, int, int]:
    """The token before offset `pos` (comments skipped), its line and offset; ('', 0, 0) at the start,
    or when it is more than _LOOK_BACK lines back (only hints read it). Linear in the distance walked
    back: each line is looked at once, nothing before it is copied."""
    text = source.text
    line, _ = source.position(pos)
    end = pos
    stop = max(1, line - _LOOK_BACK)
    while line >= stop:
        start = text.rfind("\n", 0, end) + 1
        segment = text[start:end]
        for m in _SCAN.finditer(segment):  # cut a comment off the line
            if m.group().startswith("#"):
                segment = segment[:m.start()]
                break
        found = _last_token(segment.rstrip())
        if found is not None:
            return found[0], line, start + found[1]
        if start == 0:
            break
        end = start - 1
        line -= 1
    return "", 0, 0


# How many lines a hint looks back for the token before an error: far more than any real spec puts
# between two tokens, and a bound on the work for a file of a million blank lines.
_LOOK_BACK = 10_000
_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def _last_token(segment: str) -> Optional[Tuple[str, int]]:
    """(text, offset) of the last token of `segment` (no trailing space): `->`, a name (the longest
    that ends there and starts with a letter or `_`), or else its last character. A scan back over
    the trailing word characters, never a regular-expression search from every offset."""
    if not segment:
        return None
    n = len(segment)
    if segment.endswith("->"):
        return "->", n - 2
    i = n
    while i > 0 and segment[i - 1] in _WORD:
        i -= 1
    while i < n and segment[i].isdigit():  # a name does not start with a digit
        i += 1
    if i < n:
        return segment[i:], i
    return segment[-1], n - 1


def _dtype_typo(token, expected: set, source: Source):
    """`input x: (3,) float33`: the parser reads `float33` as the start of a binding and fails
    on the next line; report it at the word itself. Returns (span, message, help) or None."""
    if not expected or not expected <= {"COMMA", "EQUAL"}:
        return None
    prev, line, offset = _previous(source, token.start_pos)
    words = source.line_text(line).split()
    if not prev or line >= (token.line or 0) or words[:1] != ["input"] or len(words) < 3 or words[-1] != prev:
        return None
    from graphspec.suggest import closest

    meant = _PYTHON_DTYPES.get(prev)
    if meant is not None:
        help_ = meant
    else:
        best = closest(prev, _DTYPES)
        help_ = f"did you mean `{best}`?" if best else f"the dtypes are: {', '.join(_DTYPES)}"
    return source.span(offset, offset + len(prev)), f"unknown dtype `{prev}`", help_


# Python and C spellings a Keras user writes for a dtype -> the fix. Keras reads Python's `float` as
# float32 (its default float type, not NumPy's float64) and `str` as string; `int` depends on the backend.
_PYTHON_DTYPES = {
    "float": "write `float32`: Keras takes `float` as float32, its default float type (write `float64` for "
             "double precision)",
    "str": "write `string`: Keras takes `str` as string",
    "double": "write `float64`",
    "half": "write `float16`",
    "boolean": "write `bool`",
    "int": "write the width: `int32` or `int64` (Keras takes a bare `int` as int64 on the TensorFlow backend)",
}


def _matching(text: str, open_pos: int) -> Optional[int]:
    """The offset of the bracket closing the one at `open_pos` (strings and comments skipped), if any."""
    depth = 0
    for m in _SCAN.finditer(text, open_pos):
        ch = m.group()
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth == 0:
                return m.start()
    return None


def _opening(text: str, close_pos: int) -> Optional[int]:
    """The offset of the bracket that the one at `close_pos` closes, on the same line."""
    start = text.rfind("\n", 0, close_pos) + 1
    opened = [(b, i) for b, i in _open_brackets(text[start:close_pos + 1], close_pos - start)]
    return start + opened[-1][1] if opened else None


def _call_before(text: str, close_pos: int) -> Optional[Tuple[int, str]]:
    """`Dense(1)` ending at the `)` at `close_pos`: (its start, its text), if a name precedes the `(`."""
    open_pos = _opening(text, close_pos)
    if open_pos is None:
        return None
    m = re.search(r"[A-Za-z_][A-Za-z0-9_]*\s*$", text[max(0, open_pos - 200):open_pos])
    if m is None:
        return None
    start = open_pos - (len(text[max(0, open_pos - 200):open_pos]) - m.start())
    return start, text[start:close_pos + 1]


_TOP_WORDS = ("model", "block", "const", "import")
_STATEMENT_WORDS = ("input", "output", "layer", "repeat", "compile", "fit")
_INPUT_CALL = r"^\s*([A-Za-z_]\w*)\s*=\s*(?:keras\.)?Input\s*\("


def _input_help(source: Source, open_pos: int) -> str:
    """The `input` line for `x = Input(shape=(4,), dtype="int32")` whose `(` is at `open_pos`."""
    text = source.text
    m = re.match(_INPUT_CALL, source.line_text(source.position(open_pos)[0]))
    close = _matching(text, open_pos)
    inner = text[open_pos + 1:close] if close is not None else ""
    shape = re.search(r"(?:^|,|shape\s*=)\s*(\([^()]*\))", inner)
    dtype = re.search(r"dtype\s*=\s*[\"']?(\w+)", inner)
    name = m.group(1) if m else "x"
    spelt = f"input {name}: {shape.group(1) if shape else '(28, 28, 1)'}" + (f" {dtype.group(1)}" if dtype else "")
    return f"write `{spelt}` (the shape without the batch axis)"


def _keras_habit(token, expected: set, source: Source):
    """Keras Python written in a spec, recognised at the token the parser stops at and the tokens around
    it: (span, message, label, help) saying the spec spelling of what the user meant, or None."""
    from graphspec.suggest import closest

    text = source.text
    at = token.start_pos
    word = str(token)
    line = source.line_text(token.line) if token.line else ""
    prev, prev_line, prev_at = _previous(source, at)
    here = source.span(at, token.end_pos)
    if token.type == "NAME" and _TOP_START <= expected:  # `modle m {`
        best = closest(word, _TOP_WORDS)
        if best:
            return here, f"unexpected `{word}`; expected `model`, `block`, `const` or `import`", "unknown keyword", \
                f"did you mean `{best}`?"
    if token.type == "LPAR" and prev == "Input":  # `x = Input(shape=(4,))`
        return (source.span(prev_at, token.end_pos), "`Input(...)` is Keras Python: a spec declares each model input "
                "with an `input` line", "Keras's `Input`", _input_help(source, at))
    close = _matching(text, at) if token.type == "LPAR" else None
    if close is not None and prev and prev[0].isalpha() and prev_line == token.line \
            and text.startswith("(", close + 1):  # `output y = Dense(1)(x)`: a layer called on a tensor
        second = _matching(text, close + 1)
        if second is not None:
            call = prev + text[at:close + 1]
            tensors = text[close + 2:second].strip()
            if tensors.startswith("[") and tensors.endswith("]"):
                tensors = f"({tensors[1:-1]})"
            return (source.span(prev_at, second + 1), f"`{call}` is called on tensors as in Keras Python",
                    "a Keras call", f"tensors come in through `->`: write `{tensors} -> {call}`")
    if token.type == "LSQB" and "LPAR" in expected and "LSQB" not in expected:  # `[a, b] -> Concatenate()`
        close = _matching(text, at)
        if close is not None:
            return (source.span(at, close + 1), "several tensors are written as a tuple, in parentheses",
                    "a list", f"write `({text[at + 1:close]})`")
    if token.type == "COMMA" and prev == ")" and line.lstrip().startswith("input"):  # `input x: (10,), dtype="int32"`
        dtype = re.search(r"dtype\s*=\s*[\"']?(\w+)", line)
        head = text[text.rfind("\n", 0, prev_at) + 1:prev_at + 1].strip()
        return (here, "an input's dtype follows its shape, after a space", "not here",
                f"write `{head} {dtype.group(1) if dtype else 'int32'}`, without the comma or `dtype=`")
    if token.type == "LPAR" and expected and expected <= {"COMMA", "EQUAL"} and prev_line == token.line:
        # `x -> Dense(4) Dense(1)`: the second step reads as the start of a new binding
        before, _, before_at = _previous(source, prev_at)
        words = line.split()
        declared = len(words) > 1 and words[0] in _STATEMENT_WORDS and words[1] == before  # `layer enc LSTM(4)`
        if not declared and (before in (")", "]") or (before and before[-1] in _WORD
                                                         and before not in _STATEMENT_WORDS)):
            left = _call_before(text, before_at) if before == ")" else None
            step = prev + text[at:close + 1] if close is not None and close - at < 80 else f"{prev}(...)"
            shown = left[1] if left is not None and len(left[1]) < 80 else before
            return (source.span(prev_at, prev_at + len(prev)), f"missing `->` before `{prev}`",
                    "no `->` before this step", f"steps of a chain are joined by `->`: write `{shown} -> {step}`")
    if token.type == "NAME" and expected and expected <= {"COMMA", "EQUAL"} and prev_line == token.line \
            and prev == line.split()[0] and prev not in _STATEMENT_WORDS:  # `inptu x: (4,)`
        best = closest(prev, _STATEMENT_WORDS)
        if best:
            return (source.span(prev_at, prev_at + len(prev)), f"unknown statement `{prev}`", "unknown keyword",
                    f"did you mean `{best}`?")
    return None


def _hint(token, expected: set, source: Source) -> Tuple[Optional[str], List[str]]:
    """A fix (and notes) for the common mistakes, where the token and context make it clear."""
    prev, prev_line, _ = _previous(source, token.start_pos)
    open_ = _open_brackets(source.text, token.start_pos)
    closers = {"RPAR": ")", "RSQB": "]", "RBRACE": "}"}
    if token.type in closers and (not open_ or _OPEN[open_[-1][0]] != str(token)):
        return f"this `{token}` has no matching `{_CLOSE[str(token)]}`; remove it", []
    if prev == "->":
        return "`->` must be followed by a step such as `Dense(10)`; remove the trailing `->`", []
    if prev == "lambda":  # `Lambda(lambda x: x)`: `lambda` reads as a name, the parameter after it fails
        return "a spec never runs code: there is no `lambda`; use a Keras layer instead", []
    if open_ and token.line and token.line > prev_line and any(closers.get(t) == _OPEN[open_[-1][0]]
                                                               for t in expected):
        ch, pos = open_[-1]
        line, col = source.position(pos)
        return (f"add the missing `{_OPEN[ch]}` at the end of line {line}",
                [f"the `{ch}` opened at {source.name}:{line}:{col} is never closed"])
    if expected and expected <= {"COMMA", "EQUAL"} and prev and prev_line < (token.line or 0):
        return f"`{prev}` on line {prev_line} is read as the start of a binding `{prev} = ...`; complete or remove it", []
    return _simple_hint(token, expected, source), []


def _simple_hint(token, expected: set, source: Source) -> Optional[str]:
    """A fix for the common mistakes, where the token alone makes it clear."""
    if "COMMA" in expected and ("RPAR" in expected or "RSQB" in expected or "RBRACE" in expected):
        if token.type in ("NAME", "INT", "FLOAT", "STRING"):
            return "separate the items with `,`"
    if token.type == "LPAR" and "COLON" in expected:
        return "an input's shape follows a colon: `input x: (28, 28, 1)`"
    if token.type == "COLON" and token.line and "lambda" in source.line_text(token.line):
        return "a spec never runs code: there is no `lambda`; use a Keras layer instead"
    if token.type == "EQUAL" and "EQUAL" not in expected:
        return "`=` binds a tensor, layer, const or setting; it cannot appear here"
    if token.type == "NAME" and str(token) in ("def", "class", "lambda", "from", "for", "if", "while"):
        return "a spec never runs code: Python statements are not part of the language"
    return None
