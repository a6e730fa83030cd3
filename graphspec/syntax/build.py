"""Building the syntax tree (graphspec.syntax.ast) from the grammar's parse tree: one table of
rule -> builder, used by every parser path.

graphspec/syntax/lalr.py calls these builders as it reduces each rule, so the parse tree itself is
never made; tests/syntax/test_lalr_runtime.py applies the same table to lark's own tree (lark is
the grammar's compiler and the tests' oracle) and compares. A rule added to the grammar gets its
builder here, and only here.
"""

from __future__ import annotations

from bisect import bisect_right
from sys import intern

from graphspec.source import Span
from graphspec.syntax import ast


def unquote(text: str) -> str:
    """The value of a string token: spec strings use Python's escapes (literal_eval only ever sees a
    quoted string here, as the lexer matched it)."""
    if "\\" not in text:  # no escape: the text between the quotes (literal_eval compiles each string)
        return text[1:-1]
    import ast as _pyast  # only when a spec has escapes: it is not needed to start

    try:
        value = _pyast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text[1:-1]
    return value if isinstance(value, str) else text[1:-1]


def builders(src) -> dict:
    """Tree name (a rule's alias or name) -> its builder B(children, start, end), for a file `src`.

    `children` are the node's children as lark's tree has them (its `[x]` placeholders None, its
    `_rule`s inlined), each already built, a token as its entry (text, start, end, 0, terminal);
    start and end are the offsets lark's `propagate_positions` gives the node."""
    starts = src._starts
    n_lines = len(starts)
    file = src.name
    # One int object per line number, shared by every span on that line (bisect makes a new one
    # each time): 20,000 generated layers keep 118,000 fewer ints (3.2 MiB).
    numbers = list(range(n_lines + 1))
    # Names and strings are interned for the same reason: a spec repeats a few words many times.

    def span(s, e):  # == src.span(s, e) for offsets inside the text
        if e < s:
            e = s
        line = numbers[bisect_right(starts, s)]
        # Most nodes end on the line they start on: one search for both.
        end_line = line if line < n_lines and e < starts[line] else numbers[bisect_right(starts, e)]
        return Span(file, line, s - starts[line - 1] + 1, end_line, e - starts[end_line - 1] + 1)

    NO_ITEMS = ast.NO_ITEMS
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
        return Literal(intern(unquote(c[0][0])), span(s, e))

    def true(c, s, e):
        return Literal(True, span(s, e))

    def false(c, s, e):
        return Literal(False, span(s, e))

    def none(c, s, e):
        return Literal(None, span(s, e))

    def ref(c, s, e):
        return Ref(intern(c[0][0]), span(s, e))

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
        kind = key[4]
        text = unquote(key[0]) if kind == "STRING" else int(key[0][:31]) if kind == "INT" else key[0]
        return (text, span(key[1], key[2])), value

    def dict_(c, s, e):
        pairs = [x for x in c if x is not None]
        return ast.DictExpr([k for k, _ in pairs], [v for _, v in pairs], span(s, e))

    def kwarg(c, s, e):
        name = c[0]
        return Kwarg(intern(name[0]), span(name[1], name[2]), c[1])

    def tensor_op(op):
        def build(c, s, e):
            return ast.TensorOp(op, c[0], c[1], span(s, e))

        return build

    def t_neg(c, s, e):
        return ast.TensorNeg(c[0], span(s, e))

    def subscript(c, s, e):
        return ast.Subscript(c[0], list(c[1:]), span(s, e))

    def slice_(c, s, e):
        parts = list(c) + [None] * (3 - len(c))
        return ast.SliceItem(parts[0], parts[1], parts[2], span(s, e))

    def ellipsis(c, s, e):
        return ast.EllipsisItem(span(s, e))

    def split_args(items):
        args, kwargs = [], []
        for a in items:
            if a is not None:
                (kwargs if type(a) is Kwarg else args).append(a)
        return args, kwargs

    def op_call(c, s, e):
        name = c[0]
        args, kwargs = split_args(c[1:])
        return ast.OpCall(name[0][4:], span(name[1], name[2]), args, kwargs, span(s, e))

    def layer_call(c, s, e):
        call_ = c[0]
        args, kwargs = split_args(c[1:])
        own, whole = call_.span, span(s, e)  # the second `(` starts where the constructor call ends
        call_.call_args = ast.CallArgs(args, kwargs, Span(file, own.end_line, own.end_col, whole.end_line,
                                                          whole.end_col))
        call_.span = whole
        return call_

    def call(c, s, e):
        name = c[0]
        args, kwargs = [], []
        for a in c[1:]:
            if a is not None:
                (kwargs if type(a) is Kwarg else args).append(a)
        # no arguments of a kind: the one shared empty list (ast.NO_ITEMS)
        return Call(intern(name[0]), span(name[1], name[2]), args or NO_ITEMS, kwargs or NO_ITEMS, span(s, e))

    def name_source(c, s, e):
        name = c[0]
        return NameSource(intern(name[0]), span(name[1], name[2]))

    def group_source(c, s, e):
        # `(x + y) * 2`: brackets around a chain without steps only group; the tree keeps the
        # expression itself (the formatter puts back the brackets precedence needs).
        inner = c[0]
        return inner.source if not inner.steps else inner

    def tuple_source(c, s, e):
        return ast.TupleSource([x for x in c if x is not None], span(s, e))

    def step_name(c, s, e):
        name = c[0]
        return StepName(intern(name[0]), span(name[1], name[2]))

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
        targets = [(intern(t[0]), span(t[1], t[2])) for t in c[:-1]]
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

    def if_stmt(c, s, e):
        cond, then, rest = c
        orelse, else_span = rest if rest is not None else ([], None)
        return ast.IfStmt(cond, then, orelse, span(s, e), else_span)

    def else_clause(c, s, e):  # (the `else` body, its span from `else` on); `else if` is a body of one `if`
        return ([c[0]] if isinstance(c[0], ast.IfStmt) else c[0]), span(s, e)

    def not_(c, s, e):
        return Neg("not", c[0], span(s, e))

    def body(c, s, e):
        return list(c)

    def import_stmt(c, s, e):
        return ast.Import(unquote(c[0][0]), span(s, e))

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
        text = unquote(name[0]) if name[4] == "STRING" else name[0]  # `model "mobilenetv2_0.35_96"`
        return ast.ModelDef(text, span(name[1], name[2]), ext, body_, span(s, e))

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
        "if_stmt": if_stmt, "else_clause": else_clause, "not_": not_, "and_": binop("and"), "or_": binop("or"),
        "eq": binop("=="), "ne": binop("!="), "lt": binop("<"), "le": binop("<="), "gt": binop(">"),
        "ge": binop(">="),
        "import_stmt": import_stmt, "const_def": const_def, "param": param, "block_def": block_def,
        "model_def": model_def, "start": start,
        "t_add": tensor_op("+"), "t_sub": tensor_op("-"), "t_mul": tensor_op("*"), "t_div": tensor_op("/"),
        "t_floordiv": tensor_op("//"), "t_mod": tensor_op("%"), "t_matmul": tensor_op("@"),
        "t_pow": tensor_op("**"), "t_neg": t_neg, "t_int": int_, "t_float": float_, "subscript": subscript,
        "slice": slice_, "ellipsis": ellipsis, "op_call": op_call, "layer_call": layer_call,
    }
