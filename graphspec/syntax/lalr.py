"""The parser at run time: a table-driven LALR(1) driver and contextual lexer, without lark.

grammar/graphspec.lark is the language's only definition and lark compiles it:
scripts/build_parser_tables.py exports lark's parser for it (terminals, contextual
lexers, parse table, and how each rule shapes its tree) to graphspec/syntax/tables.py.
This module runs those tables the way lark runs them, with the same results:

* the lexer tries, in each parser state, the terminals lark's contextual lexer for
  that state tries, in lark's order (the first that matches wins, as in lark's
  alternation), then reads keywords out of a matched NAME as lark does;
* the driver shifts and reduces as lark's LALR parser does, and builds the syntax
  tree of graphspec.syntax.ast directly, with the spans lark's `propagate_positions`
  gives (what graphspec/syntax/lower.py makes of lark's tree, without the tree);
* syntax errors are UnexpectedCharacters / UnexpectedToken objects with the same
  positions and expected sets as lark's exceptions, so graphspec/syntax/parse.py
  words them identically.

`available()` is False when the tables were built from another grammar text (the
grammar was edited and scripts/build_parser_tables.py not run): parse.py then uses
lark itself, so a stale table is never used.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right

from graphspec.syntax import ast

_tables = None  # graphspec.syntax.tables once checked against the grammar; False if stale
_lexer_data = None  # the lexer data built from the tables on first use


# --------------------------------------------------------------------------- availability


def available() -> bool:
    """Whether the stored tables were built from the grammar file as it is now."""
    global _tables
    if _tables is None:
        try:
            from graphspec.syntax import tables
            from graphspec.syntax.grammar import grammar_path

            text = grammar_path().read_text(encoding="utf-8")
            _tables = tables if text == tables.GRAMMAR_TEXT else False
        except Exception:  # no grammar file, or no usable tables: lark reports what is wrong
            _tables = False
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


def from_lark(exc) -> UnexpectedInput:
    """The error object of this module for one of lark's exceptions (the lark fallback)."""
    from lark.exceptions import UnexpectedCharacters as LarkChars

    if isinstance(exc, LarkChars):
        out = UnexpectedInput.__new__(UnexpectedCharacters)
        Exception.__init__(out, str(exc))
        out.allowed = exc.allowed
        out.char = exc.char
    else:  # UnexpectedToken, UnexpectedEOF
        out = UnexpectedInput.__new__(UnexpectedToken)
        Exception.__init__(out, str(exc))
        out.token = getattr(exc, "token", None)
        out.expected = getattr(exc, "expected", None) or getattr(exc, "accepts", None)
    out.pos_in_stream = exc.pos_in_stream
    out.line = getattr(exc, "line", None)
    out.column = getattr(exc, "column", None)
    return out


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
        self.alternatives = "|".join(f"(?P<{name}>{regexp})" for name, _, _, regexp in t.TERMINALS)
        self._all = None
        self.skip = None
        if t.SKIP_IGNORED and sys.version_info >= (3, 11):
            # Ignored text, then a token or the end of the text, in one match. The ignored
            # terminals start with characters no other terminal starts with (checked when the
            # tables were built), so lark's lexer reads such a run the same in every state: each
            # ignored terminal as far as it goes, which the atomic group (Python 3.11+) does too,
            # never giving any of it back.
            ignored = "|".join(regexp for name, _, _, regexp in t.TERMINALS if name in t.IGNORE)
            self.skip = re.compile(f"(?>(?:{ignored})*)(?:{self.alternatives}|\\Z)")
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
        raise RuntimeError("graphspec/syntax/tables.py was built from another grammar: "
                           "run scripts/build_parser_tables.py")
    t = _tables
    lx = _lexing()
    action, goto = t.ACTION, t.GOTO
    steps = [(name, size, fn) for (name, size), fn in zip(t.RULES, t.reducers(builders))]
    lexers = lx.state_lexer
    match = None  # lx.all().match, when needed
    skip = lx.skip.match if lx.skip is not None else None
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
            m = skip(text, pos)
            if m is not None:
                type_ = m.lastgroup
                if type_ is None:
                    break  # only ignored text is left
                what = lexer.get(type_, not_here)
                if what is not_here or what is ignored:
                    # Not a terminal of this state: ask its own terminals, at the same place (the
                    # ignored text before it reads the same in every state).
                    pos = m.start(m.lastindex)
                    found = first_match(lx.state_names[state], text, pos)
                    if found is None:
                        _no_match(lx, text, pos, state)
                    type_, end = found
                    what = lexer[type_]
                else:
                    pos, end = m.span(m.lastindex)
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


# --------------------------------------------------------------------------- syntax tree


def _unquote(text: str) -> str:
    # As graphspec/syntax/lower.py: spec strings use Python's escapes.
    import ast as _pyast

    try:
        value = _pyast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text[1:-1]
    return value if isinstance(value, str) else text[1:-1]


def _ast_builders(src) -> dict:
    """What graphspec/syntax/lower.py's Lower makes of each tree, from the children and the
    offsets lark's tree would have. A token child is its stack entry: (text, start, end, 0, type)."""
    from graphspec.source import Span

    starts = src._starts
    file = src.name

    def span(s, e):  # == src.span(s, e) for offsets inside the text
        if e < s:
            e = s
        line = bisect_right(starts, s)
        end_line = bisect_right(starts, e)
        return Span(file, line, s - starts[line - 1] + 1, end_line, e - starts[end_line - 1] + 1)

    Literal, Ref, BinOp, Neg = ast.Literal, ast.Ref, ast.BinOp, ast.Neg
    Call, Kwarg, Chain, StepName, NameSource = ast.Call, ast.Kwarg, ast.Chain, ast.StepName, ast.NameSource

    def int_(c, s, e):
        # Beyond 30 digits the value is refused later anyway (E250); this keeps Python's
        # int-from-string limit (4300 digits) from ever raising here.
        text = c[0][0]
        return Literal(int(text) if len(text) <= 30 else float("inf"), span(s, e), text)

    def float_(c, s, e):
        return Literal(float(c[0][0]), span(s, e), c[0][0])

    def string(c, s, e):
        return Literal(_unquote(c[0][0]), span(s, e))

    def true(c, s, e):
        return Literal(True, span(s, e))

    def false(c, s, e):
        return Literal(False, span(s, e))

    def none(c, s, e):
        return Literal(None, span(s, e))

    def ref(c, s, e):
        return Ref(c[0][0], span(s, e))

    def binop(op):
        def build(c, s, e):
            return BinOp(op, c[0], c[1], span(s, e))

        return build

    def neg(c, s, e):
        return Neg("-", c[0], span(s, e))

    def pos(c, s, e):
        return Neg("+", c[0], span(s, e))

    def index(c, s, e):
        return ast.Index(c[0], c[1], span(s, e))

    def tuple_(c, s, e):
        return ast.TupleExpr([x for x in c if x is not None], span(s, e))

    def list_(c, s, e):
        return ast.ListExpr([x for x in c if x is not None], span(s, e))

    def pair(c, s, e):
        key, value = c
        text = _unquote(key[0]) if key[4] == "STRING" else key[0]
        return (text, span(key[1], key[2])), value

    def dict_(c, s, e):
        pairs = [x for x in c if x is not None]
        return ast.DictExpr([k for k, _ in pairs], [v for _, v in pairs], span(s, e))

    def kwarg(c, s, e):
        name = c[0]
        return Kwarg(name[0], span(name[1], name[2]), c[1])

    def call(c, s, e):
        name = c[0]
        args, kwargs = [], []
        for a in c[1:]:
            if a is not None:
                (kwargs if type(a) is Kwarg else args).append(a)
        return Call(name[0], span(name[1], name[2]), args, kwargs, span(s, e))

    def name_source(c, s, e):
        name = c[0]
        return NameSource(name[0], span(name[1], name[2]))

    def group_source(c, s, e):
        return c[0]

    def tuple_source(c, s, e):
        return ast.TupleSource([x for x in c if x is not None], span(s, e))

    def step_name(c, s, e):
        name = c[0]
        return StepName(name[0], span(name[1], name[2]))

    def chain(c, s, e):
        return Chain(c[0], c[1:], span(s, e))

    def input_stmt(c, s, e):
        name, shape, dtype = c
        return ast.InputStmt(name[0], span(name[1], name[2]), shape,
                             dtype[0] if dtype is not None else None,
                             span(dtype[1], dtype[2]) if dtype is not None else None,
                             span(s, e))

    def layer_stmt(c, s, e):
        name = c[0]
        return ast.LayerStmt(name[0], span(name[1], name[2]), c[1], span(s, e))

    def output_stmt(c, s, e):
        name = c[0]
        return ast.OutputStmt(name[0], span(name[1], name[2]), c[1], span(s, e))

    def bind_stmt(c, s, e):
        targets = [(t[0], span(t[1], t[2])) for t in c[:-1]]
        return ast.BindStmt(targets, c[-1], span(s, e))

    def setting(c, s, e):
        name = c[0]
        return ast.Setting(name[0], span(name[1], name[2]), c[1])

    def compile_stmt(c, s, e):
        return ast.SettingsStmt("compile", list(c), span(s, e))

    def fit_stmt(c, s, e):
        return ast.SettingsStmt("fit", list(c), span(s, e))

    def repeat_stmt(c, s, e):
        count, index_, body = c
        idx = (index_[0], span(index_[1], index_[2])) if index_ is not None else None
        return ast.RepeatStmt(count, idx, body, span(s, e))

    def body(c, s, e):
        return list(c)

    def import_stmt(c, s, e):
        return ast.Import(_unquote(c[0][0]), span(s, e))

    def const_def(c, s, e):
        name = c[0]
        return ast.ConstDef(name[0], span(name[1], name[2]), c[1], span(s, e))

    def param(c, s, e):
        name = c[0]
        return ast.Param(name[0], span(name[1], name[2]), c[1])

    def block_def(c, s, e):
        name, rest = c[0], c[1:]
        params = [p for p in rest[:-1] if p is not None]
        return ast.BlockDef(name[0], span(name[1], name[2]), params, rest[-1], span(s, e))

    def model_def(c, s, e):
        name, parent, body_ = c
        ext = (parent[0], span(parent[1], parent[2])) if parent is not None else None
        return ast.ModelDef(name[0], span(name[1], name[2]), ext, body_, span(s, e))

    def start(c, s, e):
        return ast.Module.of(src, c)

    return {
        "int": int_, "float": float_, "string": string, "true": true, "false": false, "none": none,
        "ref": ref, "add": binop("+"), "sub": binop("-"), "mul": binop("*"), "div": binop("/"),
        "floordiv": binop("//"), "mod": binop("%"), "neg": neg, "pos": pos, "index": index,
        "tuple": tuple_, "list": list_, "pair": pair, "dict": dict_, "kwarg": kwarg, "call": call,
        "name_source": name_source, "group_source": group_source, "tuple_source": tuple_source,
        "step_name": step_name, "chain": chain, "input_stmt": input_stmt, "layer_stmt": layer_stmt,
        "output_stmt": output_stmt, "bind_stmt": bind_stmt, "setting": setting,
        "compile_stmt": compile_stmt, "fit_stmt": fit_stmt, "repeat_stmt": repeat_stmt, "body": body,
        "import_stmt": import_stmt, "const_def": const_def, "param": param, "block_def": block_def,
        "model_def": model_def, "start": start,
    }


def parse(text: str, src):
    """Parse `text` (src's text, or it with a prefix blanked out) into an ast.Module whose spans
    point into `src`. Returns (module, height): height is the number of levels of lark's tree for
    the same text (graphspec/syntax/parse.py refuses more than MAX_EXPR_DEPTH). Raises
    UnexpectedCharacters or UnexpectedToken."""
    entry = _run(text, _ast_builders(src))
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
