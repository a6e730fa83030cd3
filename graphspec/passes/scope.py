"""Top-level names of a program (consts, blocks, models) across all its files."""

from __future__ import annotations

from graphspec.diagnostics import codes
from graphspec.diagnostics.diagnostic import Diagnostics, Label
from graphspec.limits import MAX_CONST_DEPTH
from graphspec.passes.budget import Budget
from graphspec.passes.values import INVALID, Evaluator
from graphspec.syntax import ast
from graphspec.text import quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional


def model_name_problem(name: str) -> Optional[str]:
    """Why `name` cannot name a model (a quoted name is any text Keras takes and a terminal can show), or None."""
    if not name:
        return "it is empty"
    if "/" in name:
        return "Keras refuses a `/` in a name"
    if not name.isprintable():  # controls, line breaks, bidi controls: a name is printed as it is
        return "it holds a character that is not printable"
    return None


class Globals:
    """Every top-level definition, with consts evaluated on first use."""

    def __init__(self, modules: List[ast.Module], diags: Diagnostics, overrides: Optional[dict] = None):
        self.diags = diags
        self.consts: Dict[str, ast.ConstDef] = {}
        self.blocks: Dict[str, ast.BlockDef] = {}
        self.models: Dict[str, ast.ModelDef] = {}
        self.overrides = dict(overrides or {})
        self._values: Dict[str, object] = {}
        self._evaluating: List[str] = []
        first: Dict[str, object] = {}
        for module in modules:
            for kind, items, table in (("const", module.consts, self.consts),
                                       ("block", module.blocks, self.blocks),
                                       ("model", module.models, self.models)):
                for item in items:
                    prior = first.get(item.name)
                    if prior is not None:
                        if prior is item:
                            continue
                        diags.error(codes.E202, f"`{item.name}` is defined twice", item.name_span,
                                    label=f"second definition (as a {kind})",
                                    related=[Label(prior.name_span, "first defined here")],
                                    help="rename one of the definitions")
                        continue
                    first[item.name] = item
                    table[item.name] = item
                    problem = model_name_problem(item.name) if kind == "model" else None
                    if problem:
                        diags.error(codes.E250, f"the model name {quote(item.name)} cannot be used: {problem}",
                                    item.name_span, label="not a model name",
                                    help='name the model with letters, digits, `_`, `.` or `-` '
                                         '(`model "mobilenetv2_0.35_96"`)')
        self.evaluator = Evaluator(self.const, self.const_names, diags)
        self.budget = Budget(self.blocks)  # the expansion steps of this check, shared by every model

    def const_names(self) -> list:
        return list(self.consts)

    def const(self, name: str):
        """The value of const `name` (raises KeyError when there is none)."""
        if name in self._values:
            return self._values[name]
        if name not in self.consts:
            raise KeyError(name)
        if name in self.overrides:
            self._values[name] = self.overrides[name]
            return self._values[name]
        if name in self._evaluating:
            chain = " -> ".join(self._evaluating[self._evaluating.index(name):] + [name])
            self.diags.error(codes.E208, f"const `{name}` depends on itself: {chain}", self.consts[name].name_span,
                             label="defined in terms of itself", help="give one of these consts a literal value")
            return INVALID
        if len(self._evaluating) >= MAX_CONST_DEPTH:
            self.diags.error(codes.E208, f"const `{name}` is defined through a chain of more than {MAX_CONST_DEPTH} "
                             f"consts: {' -> '.join(self._evaluating[:3])} -> ... -> {name}",
                             self.consts[name].name_span, label="too deep",
                             help="give one of these consts a literal value")
            self._values[name] = INVALID
            return INVALID
        self._evaluating.append(name)
        try:
            value = self.evaluator.eval(self.consts[name].value)
        finally:
            self._evaluating.pop()
        self._values[name] = value
        return value

    def const_values(self) -> dict:
        """Every const's value (evaluating those not yet used)."""
        return {name: self.const(name) for name in self.consts}
