"""Checking `compile` and `fit` blocks against the model's outputs and Keras's catalogue."""

from __future__ import annotations

from graphspec.catalog import params, signatures
from graphspec.catalog.base import CallValue
from graphspec.diagnostics import codes
from graphspec.diagnostics.diagnostic import Diagnostics, Label
from graphspec.passes.values import INVALID, Evaluator, contains_invalid, describe
from graphspec.source import Span
from graphspec.suggest import did_you_mean
from graphspec.syntax import ast
from graphspec.text import spec_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional, Tuple

# key -> (what the value holds, whether it may be a dict keyed by output name)
COMPILE_KEYS: Dict[str, Tuple[str, bool]] = {
    "optimizer": ("optimizers", False),
    "loss": ("losses", True),
    "loss_weights": ("weight", True),
    "metrics": ("metrics_list", True),
    "weighted_metrics": ("metrics_list", True),
    "run_eagerly": ("bool", False),
    "jit_compile": ("bool_or_auto", False),
    "steps_per_execution": ("positive_int", False),
    "auto_scale_loss": ("bool", False),
}
FIT_KEYS: Dict[str, str] = {
    "epochs": "positive_int",
    "batch_size": "positive_int_or_none",
    "validation_split": "fraction",
    "shuffle": "bool",
    "verbose": "verbose",
    "callbacks": "callbacks",
    "initial_epoch": "non_negative_int",
    "steps_per_epoch": "positive_int_or_none",
    "validation_steps": "positive_int_or_none",
    "validation_freq": "positive_int",
    "class_weight": "class_weight",
}

_KIND_WORDS = {"optimizers": "optimizer", "losses": "loss", "metrics": "metric", "callbacks": "callback"}


class SettingsChecker:
    """Evaluates and checks the settings of one model's compile and fit blocks."""

    def __init__(self, outputs: List[str], evaluator: Evaluator, diags: Diagnostics):
        self.outputs = outputs
        self.ev = evaluator
        self.diags = diags

    def run(self, stmts: List[ast.SettingsStmt]) -> Tuple[Optional[dict], Optional[dict]]:
        """Merge the blocks (parents first; dict values merge key by key) and check each key."""
        result: Dict[str, Optional[dict]] = {"compile": None, "fit": None}
        seen_here: Dict[Tuple[int, str], Span] = {}
        for stmt in stmts:
            merged = result[stmt.kind] if result[stmt.kind] is not None else {}
            for s in stmt.settings:
                key = (id(stmt), s.key)
                if key in seen_here:
                    self.diags.error(codes.E202, f"`{s.key}` is set twice in this `{stmt.kind}` block", s.key_span,
                                     label="set again", related=[Label(seen_here[key], "first set here")])
                    continue
                seen_here[key] = s.key_span
                value = self.check(stmt.kind, s)
                if value is INVALID:
                    continue
                old = merged.get(s.key)
                if isinstance(old, dict) and isinstance(value, dict):
                    value = {**old, **value}
                merged[s.key] = value
            result[stmt.kind] = merged
        self.untrained_outputs(stmts, result["compile"])
        return result["compile"], result["fit"]

    def untrained_outputs(self, stmts: List[ast.SettingsStmt], compiled: Optional[dict]) -> None:
        """Warn when a per-output loss dict leaves an output without a loss."""
        loss = (compiled or {}).get("loss")
        if not isinstance(loss, dict):
            return
        missing = [o for o in self.outputs if o not in loss]
        if missing:
            span = next(s.key_span for st in reversed(stmts) if st.kind == "compile"
                        for s in st.settings if s.key == "loss")
            self.diags.warning(codes.W104, f"output{'s' if len(missing) > 1 else ''} "
                                       f"{', '.join('`%s`' % m for m in missing)} ha{'ve' if len(missing) > 1 else 's'}"
                                       f" no loss and will not be trained", span, label="per-output losses",
                               help=f"add {', '.join('`%s: ...`' % m for m in missing)} to the `loss` dict "
                                    f"(`{missing[0]}: None` if it is meant to go untrained)")

    def check(self, kind: str, s: ast.Setting):
        keys = COMPILE_KEYS if kind == "compile" else FIT_KEYS
        if s.key not in keys:
            self.diags.error(codes.E501, f"`{s.key}` is not a `{kind}` setting", s.key_span, label="unknown setting",
                             help=did_you_mean(s.key, keys) or f"`{kind}` accepts: {', '.join(keys)}")
            return INVALID
        value = self.ev.eval(s.value)
        if contains_invalid(value):
            return INVALID
        span = s.value.span
        if kind == "compile":
            what, per_output = COMPILE_KEYS[s.key]
        else:
            what, per_output = FIT_KEYS[s.key], False
        if per_output and isinstance(value, dict):
            ok = True
            for out_name, item in value.items():
                if out_name not in self.outputs:
                    self.diags.error(codes.E502, f"`{out_name}` in `{s.key}` is not an output of this model",
                                     self.key_span(s.value, out_name) or span, label="not an output",
                                     help=did_you_mean(out_name, self.outputs)
                                     or f"the outputs are: {', '.join(self.outputs) or 'none'}")
                    ok = False
                elif item is None and what == "losses":
                    continue  # an output trained without a loss (a feature extractor's stage)
                elif not self.value_ok(what, item, s.key, self.item_span(s.value, out_name) or span,
                                       self.item_expr(s.value, out_name)):
                    ok = False
            if ok and what == "losses" and value and all(v is None for v in value.values()):
                self.diags.error(codes.E504, "every loss in `loss` is None: the model has nothing to train", span,
                                 label="no loss", help=f"give at least one output a loss, e.g. "
                                                       f"`{next(iter(value))}: \"mse\"`")
                ok = False
            return value if ok else INVALID
        if what == "weight" and isinstance(value, list):
            if len(value) != len(self.outputs):
                self.diags.error(codes.E504, f"`loss_weights` has {len(value)} values for {len(self.outputs)} outputs",
                                 span, help="give one weight per output, or a dict keyed by output name")
                return INVALID
            return value if all(self.value_ok("weight", v, s.key, span) for v in value) else INVALID
        return value if self.value_ok(what, value, s.key, span, s.value) else INVALID

    @staticmethod
    def key_span(expr, key: str) -> Optional[Span]:
        if isinstance(expr, ast.DictExpr):
            for k, sp in expr.keys:
                if k == key:
                    return sp
        return None

    @staticmethod
    def item_expr(expr, key: str):
        if isinstance(expr, ast.DictExpr):
            for (k, _), v in zip(expr.keys, expr.values):
                if k == key:
                    return v
        return None

    @staticmethod
    def item_span(expr, key: str) -> Optional[Span]:
        if isinstance(expr, ast.DictExpr):
            for (k, _), v in zip(expr.keys, expr.values):
                if k == key:
                    return v.span
        return None

    # ------------------------------------------------------------ values
    def value_ok(self, what: str, value, key: str, span: Span, expr=None) -> bool:
        if what in ("optimizers", "losses"):
            return self.named(what, value, key, span, expr=expr)
        if what == "metrics_list":
            if isinstance(value, list):  # every bad item is reported, each at its own place
                return all([self.named("metrics", v, key, *_item(expr, i, span)) for i, v in enumerate(value)])
            return self.named("metrics", value, key, span, expr=expr)
        if what == "callbacks":
            if not isinstance(value, list):
                if isinstance(value, CallValue):
                    self.diags.error(codes.E504, f"`{key}` must be a list of callbacks; received a single call to "
                                             f"`{value.callee}`", span, label="not a list",
                                     help=f"put it in a list: `{key} = [{value.callee}(...)]`")
                    return False
                return self.bad(key, "a list of callbacks such as `[EarlyStopping(patience=2)]`", value, span)
            return all([self.named("callbacks", v, key, *_item(expr, i, span), calls_only=True)
                        for i, v in enumerate(value)])
        if what == "weight":
            return _number(value) or self.bad(key, "a number", value, span)
        if what == "bool":
            return isinstance(value, bool) or self.bad(key, "True or False", value, span)
        if what == "bool_or_auto":
            return isinstance(value, bool) or value == "auto" or self.bad(key, 'True, False or "auto"', value, span)
        if what in ("positive_int", "positive_int_or_none", "non_negative_int"):
            if value is None and what == "positive_int_or_none":
                return True
            low = 0 if what == "non_negative_int" else 1
            return (_int(value) and value >= low) or self.bad(key, f"an integer >= {low}", value, span)
        if what == "fraction":
            return (_number(value) and 0 <= value < 1) or self.bad(key, "a number in [0, 1)", value, span)
        if what == "verbose":
            return value in ("auto", 0, 1, 2) and not isinstance(value, bool) or self.bad(
                key, '0, 1, 2 or "auto"', value, span)
        if what == "class_weight":
            return self.class_weight(value, span, expr)
        return True

    def class_weight(self, value, span: Span, expr) -> bool:
        """`class_weight` as Keras uses it: int class indices to weights, for a single output. Keras
        silently ignores a key that is not an int class index (`{"0": 1.0}` trains as if unweighted)."""
        if not isinstance(value, dict):
            return self.bad("class_weight", "a dict of class index to weight", value, span)
        if len(self.outputs) > 1:
            self.diags.error(codes.E504, f"`class_weight` is only supported by Keras for a model with a single output; "
                                     f"this model has {len(self.outputs)} outputs "
                                     f"({', '.join(self.outputs)})", span, label="several outputs",
                             help="remove it: weight the classes of one output with a weighted loss, or train a "
                                  "single-output model")
            return False
        bad_keys = [k for k in value if not (_int(k) and k >= 0)]
        if bad_keys:  # one error for the dict: the keys are usually all written the same way
            digits = all(isinstance(k, str) and k.isdigit() for k in bad_keys)
            received = spec_value(tuple(bad_keys))
            fixed = spec_value({int(c) if isinstance(c, str) and c.isdigit() else c: w for c, w in value.items()})
            self.diags.error(codes.E504, f"`class_weight` keys must be class indices (ints >= 0); received the keys "
                                     f"{received}" + (": Keras silently ignores string keys" if digits else ""),
                             self.key_span(expr, bad_keys[0]) or span, label="not a class index",
                             help=f"write the keys as ints: `class_weight = {fixed}`" if digits
                             else "key each weight by its class index: `class_weight = {0: 1.0, 1: 5.0}`")
            return False
        ok = True
        for k, v in value.items():
            if not (_number(v) and v >= 0):
                self.diags.error(codes.E504, f"the weight of class {k} in `class_weight` must be a number >= 0; "
                                         f"received {describe(v)}", self.item_span(expr, k) or span,
                                 label="not a weight", help=f"e.g. `{k}: 1.0`")
                ok = False
        return ok

    def bad(self, key: str, expected: str, value, span: Span) -> bool:
        example = _EXAMPLES.get(key)
        self.diags.error(codes.E504, f"`{key}` must be {expected}; received {describe(value)}", span,
                         label="wrong value", help=f"e.g. `{key} = {example}`" if example else None)
        return False

    def named(self, kind: str, value, key: str, span: Span, expr=None, calls_only: bool = False) -> bool:
        word = _KIND_WORDS[kind]
        known = signatures.names(kind)
        if isinstance(value, str) and not calls_only:
            if value in known:
                return True
            self.diags.error(codes.E503, f"unknown {word} `{value}`", span, label=f"not a Keras {word}",
                             help=did_you_mean(value, known))
            return False
        if isinstance(value, CallValue):
            sig = params.callee_signature(kind, value.callee)
            if sig is None:
                other = [k for k in signatures.object_kinds_of(value.callee) if k != kind]
                help_ = did_you_mean(value.callee, [n for n in known if n[:1].isupper()])
                if other:  # a class of another kind: `optimizer = Dense(2)`
                    help_ = (f"`{value.callee}` is {'a layer' if other[0] == 'layers' else params.KINDS[other[0]].what}"
                             f", not {params.KINDS[kind].what}" + (f"; {help_}" if help_ else ""))
                self.diags.error(codes.E503, f"unknown {word} `{value.callee}`", span, label=f"not a Keras {word}",
                                 help=help_)
                return False
            config, problems = signatures.bind(sig, list(value.args), list(value.kwargs), kind=kind,
                                               callee=value.callee)
            if not problems:  # the calls inside: `Adam(learning_rate=ExponentialDecay(...))`, of their own kinds
                problems = [err for name, v in config.items()
                            for err in params.call_problems(kind, name, v, value.callee)]
            for err in problems:  # the messages name the callee already
                self.diags.error(err.code, err.message, _arg_span(expr, err, span), help=err.help,
                                 label=_ARG_LABELS.get(err.code, ""))
            return not problems
        expected = f"a {word} such as `EarlyStopping(patience=2)`" if calls_only else f"a {word} name or call"
        return self.bad(key, expected, value, span)


# A typical value per setting, for the `help:` line of E504.
_EXAMPLES = {
    "epochs": "10", "batch_size": "32", "validation_split": "0.2", "shuffle": "True", "verbose": "1",
    "initial_epoch": "0", "steps_per_epoch": "100", "validation_steps": "10", "validation_freq": "1",
    "run_eagerly": "False", "jit_compile": '"auto"',
    "steps_per_execution": "1", "auto_scale_loss": "True", "loss_weights": "1.0",
}

_ARG_LABELS = {codes.E301: "unknown argument", codes.E303: "missing argument", codes.E304: "too many"}


def _item(expr, i: int, span: Span):
    """(span, expr) of item `i` of a list value, falling back to the whole value's span."""
    if isinstance(expr, ast.ListExpr) and i < len(expr.items):
        return expr.items[i].span, expr.items[i]
    return span, None


def _arg_span(expr, err, span: Span) -> Span:
    """Where in a call such as `Adam(learnin_rate=1e-3)` a binding problem is; a problem with one
    argument's value (a call of the wrong kind) is at that value."""
    source = getattr(err, "source", None)
    if isinstance(expr, ast.Call) and source:
        kind, i = source
        if kind == "positional" and i < len(expr.args):
            return expr.args[i].span
        if kind == "keyword" and i < len(expr.kwargs):
            return expr.kwargs[i].name_span
    if isinstance(expr, ast.Call) and source is None:
        for kw in expr.kwargs:
            if kw.name == err.param:
                return kw.value.span
    return span


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)
