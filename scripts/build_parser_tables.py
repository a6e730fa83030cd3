"""Write graphspec/syntax/tables.py: the LALR(1) parser of grammar/graphspec.lark as data.

    python scripts/build_parser_tables.py            # rewrite the tables
    python scripts/build_parser_tables.py --check    # exit 1 if they are out of date

The grammar file stays the single source of truth and lark stays the grammar
compiler: this script builds the same parser as graphspec/syntax/grammar.py
(`Lark(..., parser="lalr", lexer="contextual", propagate_positions=True,
maybe_placeholders=True)`) and exports what lark's parser uses at run time:

* the terminals (in the order lark's lexers try them), the ignored ones, and the
  literal text of string terminals;
* for every parser state, the terminals its contextual lexer tries and the
  keywords that lexer reads out of a matched regex terminal (`model` out of NAME);
* the LALR parse table (state -> terminal -> shift or reduce, and the gotos);
* for every rule, how lark shapes its tree (which children are kept, which
  `_rule` children are inlined, where `[x]` leaves None, `?rule` inlining), written
  out as one small Python function per rule.

graphspec/syntax/lalr.py drives these tables without importing lark. The output
is stamped with the grammar text it was built from (and its SHA-256): when the
grammar changes and the tables are not rebuilt, parsing stops with an error that
says to run this script (and tests/syntax/test_lalr_runtime.py fails until it is).
Each tree the rules build is made by its builder in graphspec/syntax/build.py.
Anything in the grammar that the runtime would not reproduce exactly makes this
script stop with `Unsupported` rather than write tables.
"""

from __future__ import annotations

import argparse
import hashlib
import pprint
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "grammar" / "graphspec.lark"
OUTPUT = ROOT / "graphspec" / "syntax" / "tables.py"


class Unsupported(Exception):
    """The grammar uses a lark feature that graphspec/syntax/lalr.py does not reproduce."""


def build_parser(text: str):
    from lark import Lark

    return Lark(text, parser="lalr", lexer="contextual", propagate_positions=True, maybe_placeholders=True)


# --------------------------------------------------------------------------- lexer


def _lexer_data(basic_lexer, ignore: set) -> tuple:
    """(terminal names the lexer tries, in order; {regex terminal: {keyword text: keyword terminal}})."""
    from lark.lexer import PatternStr, UnlessCallback

    scanner = basic_lexer.scanner  # builds lark's scanner (and its keyword callbacks)
    names = tuple(t.name for t in scanner.terminals)
    if set(names) != scanner.allowed_types:
        raise Unsupported("a lexer's allowed terminals differ from its scanner's")
    unless = {}
    for name, callback in sorted(basic_lexer.callback.items()):
        if not isinstance(callback, UnlessCallback):
            raise Unsupported(f"lexer callback on {name} is not a keyword callback")
        if name in ignore:
            raise Unsupported(f"ignored terminal {name} has a keyword callback")
        words = {}
        for strtok in callback.scanner.terminals:
            if not isinstance(strtok.pattern, PatternStr) or strtok.pattern.flags:
                raise Unsupported(f"keyword terminal {strtok.name} is not a plain string")
            words[strtok.pattern.value] = strtok.name
        unless[name] = dict(sorted(words.items()))
    return names, unless


def lexer_tables(parser, number: dict) -> dict:
    from lark.lexer import PatternStr

    conf = parser.lexer_conf
    if conf.g_regex_flags or conf.use_bytes or conf.callbacks or conf.re_module.__name__ != "re":
        raise Unsupported("lexer flags, bytes, callbacks or the `regex` module")
    if conf.postlex is not None:
        raise Unsupported("a post-lexer")
    ignore = set(conf.ignore)
    contextual = parser.parser.lexer
    root = contextual.root_lexer
    terminals = []
    for t in root.terminals:  # every terminal, in the order lark's lexers try them
        if isinstance(t.pattern, PatternStr):
            if t.pattern.flags:
                raise Unsupported(f"string terminal {t.name} has flags")
            terminals.append((t.name, "str", t.pattern.value, t.pattern.to_regexp()))
        else:
            terminals.append((t.name, "re", t.pattern.value, t.pattern.to_regexp()))
    lexers, index = [], {}
    state_lexer = []
    if set(contextual.lexers) != set(number):
        raise Unsupported("the contextual lexer's states differ from the parser's")
    for state in sorted(contextual.lexers, key=number.__getitem__):
        data = _lexer_data(contextual.lexers[state], ignore)
        key = repr(data)
        if key not in index:
            index[key] = len(lexers)
            lexers.append(data)
        state_lexer.append(index[key])
    return {
        "terminals": terminals,
        "ignore": sorted(ignore),
        "lexers": lexers,
        "state_lexer": state_lexer,
        "root_lexer": _lexer_data(root, ignore),
        "skip_ignored": skip_ignored(terminals, sorted(ignore)),
        "scan_order": scan_order(terminals),
    }


# ------------------------------------------------- may the lexer skip ignored text in one go?

_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
               "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}


def _in_set(items, c: int) -> bool:
    """Whether character c is in a parsed `[...]` set (True when unsure)."""
    import re

    negate, found = False, False
    for op, av in items:
        op = str(op)
        if op == "NEGATE":
            negate = True
        elif op == "LITERAL":
            found = found or av == c
        elif op == "RANGE":
            found = found or av[0] <= c <= av[1]
        elif op == "CATEGORY" and str(av) in _CATEGORIES:
            found = found or re.fullmatch(_CATEGORIES[str(av)], chr(c)) is not None
        else:
            return True
    return found != negate


def _first(seq, c: int) -> tuple:
    """(may a match of the parsed regexp `seq` start with character c, may it match empty),
    erring on the side of True for anything unusual."""
    for op, av in seq:
        op = str(op)
        if op == "LITERAL":
            may, empty = av == c, False
        elif op == "NOT_LITERAL":
            may, empty = av != c, False
        elif op == "ANY":
            may, empty = c != 10, False
        elif op == "IN":
            may, empty = _in_set(av, c), False
        elif op == "SUBPATTERN":
            _, add_flags, _, sub = av
            may, empty = _first(sub, c)
            may = may or bool(add_flags & ~32)  # a flag such as (?i:...): unsure
        elif op == "BRANCH":
            results = [_first(alt, c) for alt in av[1]]
            may, empty = any(m for m, _ in results), any(e for _, e in results)
        elif op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, _, sub = av
            may, empty = _first(sub, c)
            empty = empty or lo == 0
        elif op == "ATOMIC_GROUP":
            may, empty = _first(av, c)
        elif op in ("AT", "ASSERT", "ASSERT_NOT"):
            may, empty = False, True  # zero width: a lookahead only narrows what follows
        else:
            return True, True
        if may:
            return True, empty
        if not empty:
            return False, False
    return False, True


def _literal_chars(seq):
    """The characters a parsed regexp can start with, if it starts with a literal or a plain
    set of literals and ranges; else None."""
    if not seq:
        return None
    op, av = seq[0]
    op = str(op)
    if op in ("MAX_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
        return _literal_chars(av[2])
    if op == "LITERAL":
        return {av}
    if op == "IN":
        out = set()
        for kind, v in av:
            if str(kind) == "LITERAL":
                out.add(v)
            elif str(kind) == "RANGE" and v[1] - v[0] < 512:
                out.update(range(v[0], v[1] + 1))
            else:
                return None
        return out
    return None


def skip_ignored(terminals, ignore) -> bool:
    """True when a run of ignored text (whitespace, comments) lexes the same whatever the parser
    state: every character an ignored terminal starts with starts no other terminal, so lark's
    lexer takes the ignored terminals there one after another, each as long as it goes. The lexer
    then skips such runs in the same regular-expression match as the token after them."""
    try:
        from re import _parser
    except ImportError:  # Python 3.10
        import sre_parse as _parser

    parsed = {name: _parser.parse(regexp) for name, _, _, regexp in terminals}
    if any(p.state.flags & ~32 for p in parsed.values()):
        return False
    for name in ignore:
        if parsed[name].state.groups != 1:  # a group of its own would confuse the match's lastindex
            return False
        chars = _literal_chars(list(parsed[name]))
        if not chars:
            return False
        for other, p in parsed.items():
            if other == name:
                continue
            for c in chars:
                may, empty = _first(list(p), c)
                if may or empty:
                    return False
    return True


# ------------------------------------------- the order the lexer's one expression tries them

# The terminals most tokens of a spec are, most frequent first (regex terminals by name, string
# terminals by their text): the lexer's expression tries them first.
_FREQUENT = ("NAME", ")", "(", ",", "->", "=", ":", "INT", "STRING", "FLOAT", "[", "]", "{", "}")


def _start_set(seq):
    """The exact set of characters a parsed regexp's matches start with, when that is plainly
    readable (it cannot match empty, no flags, no negated or category sets); else None."""
    if not seq:
        return None
    op, av = seq[0]
    op = str(op)
    if op in ("LITERAL", "IN"):
        return _literal_chars([(op, av)])
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        return _start_set(av[2]) if av[0] >= 1 else None
    if op == "SUBPATTERN":
        _, add_flags, del_flags, sub = av
        return None if add_flags or del_flags else _start_set(sub)
    if op == "ATOMIC_GROUP":
        return _start_set(av)
    if op == "BRANCH":
        out = set()
        for alt in av[1]:
            chars = _start_set(alt)
            if chars is None:
                return None
            out |= chars
        return out
    return None


def scan_order(terminals) -> tuple:
    """The order (indices into `terminals`) in which the lexer's one regular expression tries the
    terminals: the first that matches wins, as in lark's order, so a terminal stays after every
    earlier one that may start with the same character; terminals whose first characters differ
    can never both match at one place, and the frequent ones go first (fewer alternatives tried
    per token). 80,000 tokens of benchmarks/generate.py: 40 -> 30 ms of matching."""
    try:
        from re import _parser
    except ImportError:  # Python 3.10
        import sre_parse as _parser

    starts = []
    for _, _, _, regexp in terminals:
        parsed = _parser.parse(regexp)
        starts.append(None if parsed.state.flags & ~32 else _start_set(list(parsed)))
    n = len(terminals)
    # after[j]: the earlier terminals that must stay before j (unknown first characters: all of them)
    after = [{i for i in range(j) if starts[i] is None or starts[j] is None or starts[i] & starts[j]}
             for j in range(n)]
    rank = []
    for name, kind, value, _ in terminals:
        key = name if kind == "re" else value
        rank.append(_FREQUENT.index(key) if key in _FREQUENT else len(_FREQUENT))
    # A terminal that must come before a frequent one goes as early as that one (OP_NAME and DTYPE
    # before NAME).
    for j in reversed(range(n)):
        for i in after[j]:
            rank[i] = min(rank[i], rank[j])
    order, placed = [], set()
    while len(order) < n:
        ready = [j for j in range(n) if j not in placed and after[j] <= placed]
        j = min(ready, key=lambda k: (rank[k], k))
        order.append(j)
        placed.add(j)
    return tuple(order)


# --------------------------------------------------------------------------- parse table


def parse_table(parser) -> dict:
    """The parse table, its states renumbered in a canonical order (lark's numbering depends on
    Python's hash seed): breadth first from the start state, symbols in sorted order."""
    from lark.parsers.lalr_analysis import Shift

    table = parser.parser.parser._parse_table
    if list(table.start_states) != ["start"]:
        raise Unsupported("a start rule other than `start`")
    rules = list(parser.rules)
    rule_index = {id(r): i for i, r in enumerate(rules)}
    start, end = table.start_states["start"], table.end_states["start"]
    number = {start: 0}
    queue = [start]
    for state in queue:
        for sym in sorted(table.states[state]):
            kind, arg = table.states[state][sym]
            if kind is Shift and arg not in number:
                number[arg] = len(number)
                queue.append(arg)
    if end not in number or len(number) != len(table.states):
        raise Unsupported("unreachable parser states")
    action, goto = [None] * len(number), [None] * len(number)
    for state, new in number.items():
        acts, gotos = {}, {}
        for sym, (kind, arg) in table.states[state].items():
            is_term = sym.isupper()  # what lark itself uses to tell terminals from rules in errors
            if kind is Shift:
                (acts if is_term else gotos)[sym] = number[arg]
            else:
                if not is_term:
                    raise Unsupported("a reduce on a nonterminal")
                acts[sym] = ~rule_index[id(arg)]
        if not acts and state != end:
            raise Unsupported(f"state {state} accepts no terminal")
        action[new] = dict(sorted(acts.items()))
        goto[new] = dict(sorted(gotos.items()))
    return {"action": action, "goto": goto, "start": number[start], "end": number[end], "rules": rules,
            "number": number}


# --------------------------------------------------------------------------- rules -> code


def _nullable(rules) -> set:
    nullable = set()
    changed = True
    while changed:
        changed = False
        for r in rules:
            if r.origin.name not in nullable and all(not s.is_term and s.name in nullable for s in r.expansion):
                nullable.add(r.origin.name)
                changed = True
    return nullable


def _shape(parser, rule):
    """lark's tree-building options of one rule: (to_include [(index, inline, nones_before)], nones_after)."""
    from lark.parse_tree_builder import (ChildFilterLALR, ChildFilterLALR_NoPlaceholders, ExpandSingleChild,
                                         PropagatePositions)

    chains = [c for r, c in parser._parse_tree_builder.rule_builders if r is rule]
    if len(chains) != 1:
        raise Unsupported(f"rule {rule} has no single tree builder")
    to_include, nones_after, expand1, positions = None, 0, False, False
    for w in chains[0]:
        func = getattr(w, "func", w)
        if func is ExpandSingleChild:
            expand1 = True
        elif func is PropagatePositions:
            positions = True
        elif func is ChildFilterLALR:
            to_include, nones_after = [tuple(x) for x in w.args[0]], w.args[1]
        elif func is ChildFilterLALR_NoPlaceholders:
            to_include = [(i, inline, 0) for i, inline in w.args[0]]
        else:
            raise Unsupported(f"rule {rule}: tree builder step {func!r}")
    if not positions:
        raise Unsupported("propagate_positions is off")
    if to_include is None:  # no filter: every child, as is
        to_include = [(i, False, 0) for i in range(len(rule.expansion))]
    return to_include, nones_after, expand1


def _edge(expansion, order, nullable, field) -> str:
    """An expression for the container start (field 1) or end (field 2) of a reduced rule: that of
    its first (last) child that covers any text, as lark's PropagatePositions computes it."""
    expr = "None"
    for i in reversed(order):
        sym = expansion[i]
        if sym.is_term or sym.name not in nullable:
            expr = f"e{i}[{field}]"
        else:
            expr = f"(e{i}[{field}] if e{i}[{field}] is not None else {expr})"
    return expr


def _max(terms) -> str:
    if not terms:
        return "0"
    if len(terms) == 1:
        return terms[0]
    return f"max({', '.join(terms)})"


def _reducer(k, rule, shape, nullable) -> tuple:
    """(function name or None, its source lines) for rule number k."""
    to_include, nones_after, expand1 = shape
    exp = rule.expansion
    size = len(exp)
    origin = str(rule.origin.name)
    if expand1 and size == 1:
        return None, []  # `?rule: child`: the child's entry is the rule's, unchanged
    if origin.startswith("_") and size == 1 and to_include == [(0, True, 0)] and not nones_after:
        return None, []  # `_rule: _child`: the same list of children
    start = _edge(exp, list(range(size)), nullable, 1)
    end = _edge(exp, list(range(size))[::-1], nullable, 2)
    if expand1:
        keep = to_include[0][0]
        entry = f"(e{keep}[0], {start}, {end}, e{keep}[3])"
        pre = []
    else:
        items, heights = [], []
        for i, splice, nones in to_include:
            items.extend(["None"] * nones)
            if splice:
                items.append(f"*e{i}[0]")
                heights.append(f"e{i}[3]")
            elif exp[i].is_term:
                items.append(f"e{i}")  # a token's entry is the token
            else:
                items.append(f"e{i}[0]")
                heights.append(f"e{i}[3]")
        items.extend(["None"] * nones_after)
        pre = []
        if items and items[0].startswith("*"):
            # Reuse the inlined child's list (left recursion `_x: _x item` stays linear, as in lark).
            children = items[0][1:]
            rest = items[1:]
            if rest:
                pre = [f"c = {children}"]
                pre.extend(f"c += {x[1:]}" if x.startswith("*") else f"c.append({x})" for x in rest)
                children = "c"
        else:
            children = f"[{', '.join(items)}]"
        height = _max(heights)
        if origin.startswith("_"):
            entry = f"({children}, {start}, {end}, {height})"
        else:
            name = str(rule.alias or origin)
            height = "1" if height == "0" else f"{height} + 1"
            if start == "None" and end == "None":
                entry = f"(b_{name}({children}, None, None), None, None, {height})"
            else:
                pre.append(f"s = {start}")
                pre.append(f"e = {end}")
                entry = f"(b_{name}({children}, s, e), s, e, {height})"
    code = "\n".join(pre + [entry])
    used = {i for i in range(size) if re.search(rf"\be{i}\b", code)}
    fn = f"r{k}"
    out = [f"    def {fn}(st):  # {origin}: {' '.join(str(s.name) for s in exp)}"
           + (f" -> {rule.alias}" if rule.alias else "")]
    if size == 1:
        if used:
            out.append("        e0 = st[-1]")
    elif size > 1:
        targets = ", ".join(f"e{i}" if i in used else "_" for i in range(size))
        out.append(f"        {targets} = st[-{size}:]")
        out.append(f"        del st[-{size - 1}:]")
    out.extend("        " + x for x in pre)
    out.append(f"        st[-1] = {entry}" if size else f"        st.append({entry})")
    return fn, out


def rule_code(parser, rules, nullable) -> tuple:
    """(RULES entries, the source of the reducer factory)."""
    entries, funcs, body, names = [], [], [], set()
    for k, rule in enumerate(rules):
        if rule.options.template_source is not None:
            raise Unsupported("templates")
        to_include, nones_after, expand1 = shape = _shape(parser, rule)
        origin = str(rule.origin.name)
        if expand1 and origin.startswith("_"):
            raise Unsupported(f"rule {rule}: `?` on an inlined rule")
        if expand1 and rule.alias:
            raise Unsupported(f"rule {rule}: ExpandSingleChild on an aliased rule")
        if expand1:
            if nones_after or len(to_include) != 1 or to_include[0][1] or to_include[0][2]:
                raise Unsupported(f"rule {rule}: `?` rule that does not keep exactly one child")
            sym = rule.expansion[to_include[0][0]]
            if sym.is_term or sym.name in nullable:
                raise Unsupported(f"rule {rule}: `?` rule whose child may be a token or empty")
        elif not origin.startswith("_"):
            names.add(str(rule.alias or origin))
        fn, lines = _reducer(k, rule, shape, nullable)
        entries.append((origin, len(rule.expansion)))
        funcs.append(fn or "None")
        body.extend(lines)
    head = [
        "def reducers(B):",
        '    """One function per rule, in RULES\'s order: it replaces the children of a reduction on',
        "    the value stack with the reduced entry, shaped as lark shapes its tree. B maps a tree name",
        "    (a rule's alias or name) to a builder B[name](children, start, end); start and end are",
        "    None for a rule that covers no text. A stack entry is (value, start, end, height), a",
        "    token's (text, start, end, 0, terminal); height counts the tree's levels as lark's tree",
        "    would have them. None: a rule whose only child's entry stays as it is (`?rule: child`).\"\"\"",
    ]
    head.extend(f"    b_{name} = B[{name!r}]" for name in sorted(names))
    tail = ["    return ("]
    for i in range(0, len(funcs), 10):
        tail.append("        " + ", ".join(funcs[i:i + 10]) + ",")
    tail.append("    )")
    return entries, "\n".join(head + body + tail) + "\n"


# --------------------------------------------------------------------------- output


def _literal(name: str, value) -> str:
    return f"{name} = {pprint.pformat(value, width=110, compact=True, sort_dicts=False)}\n"


def render(grammar_text: str) -> str:
    parser = build_parser(grammar_text)
    table = parse_table(parser)
    lex = lexer_tables(parser, table["number"])
    rules = table["rules"]
    nullable = _nullable(rules)
    entries, code = rule_code(parser, rules, nullable)
    strings = {name: value for name, kind, value, _ in lex["terminals"] if kind == "str"}
    out = [
        '"""The LALR(1) parser of grammar/graphspec.lark as data, for graphspec/syntax/lalr.py.\n\n'
        "Generated by scripts/build_parser_tables.py with lark: do not edit; rebuild it after changing\n"
        'the grammar."""\n',
        "# flake8: noqa\n",
        "\n# The grammar these tables were built from: graphspec uses them only while the grammar file\n"
        "# reads exactly so (else parsing stops and says to rebuild them).\n",
        _literal("GRAMMAR_SHA256", hashlib.sha256(grammar_text.encode("utf-8")).hexdigest()),
        f"GRAMMAR_TEXT = {grammar_text!r}\n",
        "\n# Terminals in the order lark's lexers try them: (name, 'str' or 're', pattern as written, regexp).\n",
        _literal("TERMINALS", tuple(tuple(t) for t in lex["terminals"])),
        _literal("IGNORE", tuple(lex["ignore"])),
        "# Whether the lexer may skip ignored text before a token in the same match (see\n"
        "# skip_ignored in scripts/build_parser_tables.py).\n",
        _literal("SKIP_IGNORED", lex["skip_ignored"]),
        "# The order in which the lexer's one expression tries the terminals (indices into TERMINALS;\n"
        "# see scan_order in scripts/build_parser_tables.py): lark's wherever it matters.\n",
        _literal("SCAN_ORDER", lex["scan_order"]),
        _literal("STRINGS", strings),
        "\n# The contextual lexers: (terminals tried, in order; {regex terminal: {keyword: keyword terminal}}).\n",
        _literal("LEXERS", tuple(lex["lexers"])),
        _literal("ROOT_LEXER", lex["root_lexer"]),
        "# The lexer of each parser state (an index into LEXERS).\n",
        _literal("STATE_LEXER", tuple(lex["state_lexer"])),
        "\n# The parse table: per state, terminal -> shift (the next state, >= 0) or reduce (~rule).\n",
        _literal("START", table["start"]),
        _literal("END", table["end"]),
        _literal("ACTION", tuple(table["action"])),
        _literal("GOTO", tuple(table["goto"])),
        "\n# Rules: (the rule's name, its length); reducers() has each one's function, in the same order.\n",
        _literal("RULES", tuple(entries)),
        "\n\n",
        code,
    ]
    return "".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="only check that the tables are up to date")
    p.add_argument("--output", type=Path, default=OUTPUT)
    args = p.parse_args(argv)
    text = render(GRAMMAR.read_text(encoding="utf-8"))
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run `python scripts/build_parser_tables.py`", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
