"""The parser at run time: a table-driven LALR(1) driver and contextual lexer, without lark.

grammar/graphspec.lark is the language's only definition and lark compiles it:
scripts/build_parser_tables.py exports lark's parser for it (terminals, contextual
lexers, parse table, and how each rule shapes its tree) to graphspec/syntax/tables.py.
This module runs those tables the way lark runs them, with the same results:

* the lexer tries, in each parser state, the terminals lark's contextual lexer for
  that state tries, in lark's order (the first that matches wins, as in lark's
  alternation), then reads keywords out of a matched NAME as lark does;
* the driver shifts and reduces as lark's LALR parser does, and builds the syntax
  tree of graphspec.syntax.ast directly with the builders of graphspec/syntax/build.py
  (one per rule, called with the children and offsets lark's tree would have), so the
  parse tree itself is never made;
* syntax errors are UnexpectedCharacters / UnexpectedToken objects with the same
  positions and expected sets as lark's exceptions (tests/syntax/test_lalr_runtime.py
  compares them with lark's).

This is graphspec's only parser at run time. `available()` is False when the tables
were built from another grammar text (the grammar was edited and
scripts/build_parser_tables.py not run): parsing then raises StaleTables, saying so,
rather than run tables that no longer match the grammar.
"""

from __future__ import annotations

import re
import sys

from graphspec.syntax import build

_tables = None  # graphspec.syntax.tables once checked against the grammar; False if stale
_lexer_data = None  # the lexer data built from the tables on first use


# --------------------------------------------------------------------------- availability


class StaleTables(RuntimeError):
    """The parse tables were not built from the grammar file as it is now."""


STALE = ("graphspec/syntax/tables.py was not built from grammar/graphspec.lark as it is now: "
         "run `python scripts/build_parser_tables.py` (it needs lark) and commit the result")


def available() -> bool:
    """Whether the stored tables were built from the grammar file as it is now (an installation
    without the grammar file has only the tables, and uses them)."""
    global _tables
    if _tables is None:
        from graphspec.syntax import tables
        from graphspec.syntax.grammar import grammar_path

        try:
            with open(grammar_path(), encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError):
            text = tables.GRAMMAR_TEXT
        _tables = tables if text == tables.GRAMMAR_TEXT else False
    return _tables is not False


def terminal_words() -> dict:
    """The literal text of each string terminal (`LPAR` -> `(`)."""
    return dict(_tables.STRINGS)


# --------------------------------------------------------------------------- errors


class Token(str):
    """A token in an error, with lark's Token attributes: type, value, positions."""

    def __new__(cls, type_, value, start_pos=None, line=None, column=None, end_line=None, end_column=None,
                end_pos=None):
        self = super().__new__(cls, value)
        self.type = type_
        self.value = value
        self.start_pos = start_pos
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column
        self.end_pos = end_pos
        return self

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r})"


class UnexpectedInput(Exception):
    """A syntax error: where (pos_in_stream, line, column) and what was expected."""

    pos_in_stream = None
    line = None
    column = None


class UnexpectedCharacters(UnexpectedInput):
    """No terminal the lexer tries here matches the text at pos_in_stream. `allowed`: the
    terminals it tried (ignored ones left out)."""

    def __init__(self, text: str, pos: int, allowed: set):
        super().__init__(f"no terminal matches {text[pos]!r} at offset {pos}")
        self.pos_in_stream = pos
        self.line, self.column = _line_col(text, pos)
        self.allowed = allowed
        self.char = text[pos]


class UnexpectedToken(UnexpectedInput):
    """The parser cannot take `token` here; `expected`: the terminals it could take."""

    def __init__(self, token: Token, expected: set):
        super().__init__(f"unexpected token {token!r}; expected one of {sorted(expected)}")
        self.token = token
        self.expected = expected
        self.pos_in_stream = token.start_pos
        self.line = token.line
        self.column = token.column


def _line_col(text: str, pos: int) -> tuple:
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _token(text: str, entry) -> Token:
    value, start, end, _, type_ = entry
    line, column = _line_col(text, start)
    end_line, end_column = _line_col(text, end)
    return Token(type_, value, start, line, column, end_line, end_column, end)


# --------------------------------------------------------------------------- lexer

_IGNORED = object()  # in a lexer's table: an ignored terminal (whitespace, comments)
_NOT_HERE = object()


class _Lexing:
    """The lexer data: one regular expression over every terminal, in lark's order, for
    the common case; per-terminal matchers for the rest."""

    def __init__(self, t):
        # In the tables' scan order: lark's, except where terminals cannot start alike (frequent first).
        scan = [t.TERMINALS[i] for i in getattr(t, "SCAN_ORDER", range(len(t.TERMINALS)))]
        self.alternatives = "|".join(f"(?P<{name}>{regexp})" for name, _, _, regexp in scan)
        self._all = None
        self.skip = None
        if t.SKIP_IGNORED and sys.version_info >= (3, 11):
            # Ignored text, then a token or the end of the text, in one match. The ignored
            # terminals start with characters no other terminal starts with (checked when the
            # tables were built), so lark's lexer reads such a run the same in every state: each
            # ignored terminal as far as it goes, which the atomic group (Python 3.11+) does too,
            # never giving any of it back.
            # Each terminal's name is an empty group after its text (group 1 is the ignored run, so
            # the token starts at end(1)): an alternative then starts with its own first character
            # or class, which the regex engine tests before entering it, instead of with a group it
            # must open. 80,000 tokens of benchmarks/generate.py: 117 -> 43 ms of matching.
            ignored = "|".join(regexp for name, _, _, regexp in t.TERMINALS if name in t.IGNORE)
            marked = "|".join(f"(?:{regexp})(?P<{name}>)" for name, _, _, regexp in scan)
            self.skip = re.compile(f"((?>(?:{ignored})*))(?:{marked}|\\Z)")
        self.strings = {name: value for name, kind, value, _ in t.TERMINALS if kind == "str"}
        self.regexps = {name: regexp for name, kind, _, regexp in t.TERMINALS if kind == "re"}
        self.compiled = {}
        self.ignore = frozenset(t.IGNORE)
        lexers = [self._table(names, unless) for names, unless in t.LEXERS]
        self.state_lexer = [lexers[i] for i in t.STATE_LEXER]
        self.state_names = [t.LEXERS[i][0] for i in t.STATE_LEXER]
        self.root = self._table(*t.ROOT_LEXER)
        self.root_names = t.ROOT_LEXER[0]

    def all(self):
        """One token (ignored ones included) at a position: the first terminal that matches."""
        if self._all is None:
            self._all = re.compile(self.alternatives)
        return self._all

    def _table(self, names, unless) -> dict:
        """terminal -> what to do when it matches: _IGNORED, None (take it), or
        {keyword text: keyword terminal} (take it, unless it spells a keyword)."""
        return {name: _IGNORED if name in self.ignore else unless.get(name) for name in names}

    def first_match(self, names, text: str, pos: int):
        """(terminal, end) of the first of `names` that matches at `pos`, as lark's alternation of
        them would find it; None if none does."""
        for name in names:
            value = self.strings.get(name)
            if value is not None:
                if text.startswith(value, pos):
                    return name, pos + len(value)
                continue
            rx = self.compiled.get(name)
            if rx is None:
                rx = self.compiled[name] = re.compile(self.regexps[name])
            m = rx.match(text, pos)
            if m is not None:
                return name, m.end()
        return None


def _lexing() -> _Lexing:
    global _lexer_data
    if _lexer_data is None:
        _lexer_data = _Lexing(_tables)
    return _lexer_data


def _no_match(lx: _Lexing, text: str, pos: int, state: int):
    """The error when no terminal of the state's lexer matches at `pos`: as lark's contextual
    lexer does, try every terminal there; a match is an unexpected token, else characters."""
    allowed = set(lx.state_names[state]) - lx.ignore or {"<END-OF-FILE>"}
    p = pos
    while p < len(text):
        found = lx.first_match(lx.root_names, text, p)
        if found is None:
            break
        type_, end = found
        what = lx.root[type_]
        if what is _IGNORED:
            p = end
            continue
        value = text[p:end]
        if what is not None:
            type_ = what.get(value, type_)
        raise UnexpectedToken(_token(text, (value, p, end, 0, type_)), allowed)
    raise UnexpectedCharacters(text, pos, allowed)


# --------------------------------------------------------------------------- driver


_units: dict = {}  # (state below, state, terminal) -> the state after `?rule: child` reductions


def _unit_chain(below: int, state: int, type_: str, steps) -> int:
    """Where a run of reductions that leave the value stack as it is (`?expr: sum` and the like)
    ends: they only ever replace the top state, so this depends on the state below, the top state
    and the terminal alone."""
    t = _tables
    while True:
        a = t.ACTION[state].get(type_)
        if a is None or a >= 0 or steps[~a][2] is not None:
            return state
        state = t.GOTO[below][steps[~a][0]]


def _run(text: str, builders: dict):
    """Parse `text`; return the entry of the start rule: (value, start, end, height)."""
    if not available():
        raise StaleTables(STALE)
    t = _tables
    lx = _lexing()
    action, goto = t.ACTION, t.GOTO
    steps = [(name, size, fn) for (name, size), fn in zip(t.RULES, t.reducers(builders))]
    lexers = lx.state_lexer
    match = None  # lx.all().match, when needed
    # The ignored text and token matches of the skip expression, read one after another while they
    # follow each other (None: start afresh at pos): one finditer instead of a match call per token.
    skip = lx.skip.finditer if lx.skip is not None else None
    scan = None
    first_match = lx.first_match
    units = _units
    ignored = _IGNORED
    not_here = _NOT_HERE
    end_state = t.END
    state = t.START
    states = [state]
    st = []
    pos = 0
    n = len(text)
    last = None
    while True:
        # The next token, read by the lexer of the current state.
        lexer = lexers[state]
        token = None
        if skip is not None:
            if scan is None:
                scan = skip(text, pos)
            m = next(scan, None)
            if m is not None and m.start() != pos:  # nothing matches at pos
                m = scan = None
            if m is not None:
                type_ = m.lastgroup
                if type_ is None:
                    break  # only ignored text is left
                what = lexer.get(type_, not_here)
                if what is not_here or what is ignored:
                    # Not a terminal of this state: ask its own terminals, at the same place (the
                    # ignored text before it reads the same in every state).
                    pos = m.end(1)
                    found = first_match(lx.state_names[state], text, pos)
                    if found is None:
                        _no_match(lx, text, pos, state)
                    type_, end = found
                    what = lexer[type_]
                    scan = None
                else:
                    pos, end = m.end(1), m.end()
                if what is not ignored:
                    value = text[pos:end]
                    if what is not None:
                        type_ = what.get(value, type_)
                    last = token = (value, pos, end, 0, type_)
                pos = end
        if token is None:  # one terminal at a time, ignored ones included
            if match is None:
                match = lx.all().match
            while pos < n:
                m = match(text, pos)
                if m is not None:
                    type_ = m.lastgroup
                    what = lexer.get(type_, not_here)
                    end = m.end()
                if m is None or what is not_here:  # not this state's first match: ask its own terminals
                    found = first_match(lx.state_names[state], text, pos)
                    if found is None:
                        _no_match(lx, text, pos, state)
                    type_, end = found
                    what = lexer[type_]
                if what is ignored:
                    pos = end
                    continue
                value = text[pos:end]
                if what is not None:
                    type_ = what.get(value, type_)
                last = (value, pos, end, 0, type_)
                pos = end
                break
            else:
                break  # the end of the text
        # Feed the token: reduce as long as the table says so, then shift.
        acts = action[state]
        while True:
            a = acts.get(type_)
            if a is None:
                raise UnexpectedToken(_token(text, last), {k for k in acts if k.isupper()})
            if a >= 0:
                states.append(a)
                st.append(last)
                state = a
                break
            name, size, fn = steps[~a]
            if fn is None:
                key = (states[-2], state, type_)
                state = units.get(key)
                if state is None:
                    state = units[key] = _unit_chain(key[0], key[1], type_, steps)
                states[-1] = state
            else:
                fn(st)
                if size == 1:
                    states[-1] = state = goto[states[-2]][name]
                else:
                    if size:
                        del states[-size:]
                    state = goto[states[-1]][name]
                    states.append(state)
            acts = action[state]
    # The end of the text.
    acts = action[state]
    while True:
        a = acts.get("$END")
        if a is None or a >= 0:
            if last is None:
                token = Token("$END", "", 0, 1, 1)
            else:
                b = _token(text, last)
                token = Token("$END", "", b.start_pos, b.line, b.column, b.end_line, b.end_column, b.end_pos)
            raise UnexpectedToken(token, {k for k in acts if k.isupper()})
        name, size, fn = steps[~a]
        if fn is not None:
            fn(st)
        if size:
            del states[-size:]
        state = goto[states[-1]][name]
        states.append(state)
        if state == end_state:
            return st[-1]
        acts = action[state]


def parse(text: str, src):
    """Parse `text` (src's text, or it with a prefix blanked out) into an ast.Module whose spans
    point into `src`. Returns (module, height): height is the number of levels of lark's tree for
    the same text (graphspec/syntax/parse.py refuses more than MAX_EXPR_DEPTH). Raises
    UnexpectedCharacters or UnexpectedToken."""
    entry = _run(text, build.builders(src))
    return entry[0], entry[3]


# --------------------------------------------------------------------------- lark's tree


class Meta:
    __slots__ = ("start_pos", "end_pos", "empty")

    def __init__(self, start_pos, end_pos):
        self.start_pos = start_pos
        self.end_pos = end_pos
        self.empty = start_pos is None


class Tree:
    """The tree lark builds (data, children, meta), for the few callers that need its shape."""

    __slots__ = ("data", "children", "meta")

    def __init__(self, data, children, meta):
        self.data = data
        self.children = children
        self.meta = meta

    def __repr__(self) -> str:
        return f"Tree({self.data!r}, {self.children!r})"


def parse_tree(text: str) -> Tree:
    """The tree lark's parser builds for `text`, without lark. Its tokens are left as the driver
    has them: (text, start, end, 0, terminal)."""

    def builder(name):
        def build(c, s, e):
            return Tree(name, c, Meta(s, e))

        return build

    return _run(text, _TreeBuilders(builder))[0]


class _TreeBuilders(dict):
    """A builder for every tree name, made on first use."""

    def __init__(self, factory):
        super().__init__()
        self.factory = factory

    def __missing__(self, name):
        fn = self[name] = self.factory(name)
        return fn
