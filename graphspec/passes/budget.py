"""What one check has spent against the expansion limits, and what a body will cost at least.

Expanding a model is interpreting it: a `repeat` runs its body, a block step runs the block's
body. Layer applications are bounded by MAX_NODES, but layer-free work (`h = h`, a body whose
chains fail, blocks that only pass a tensor through) costs time and memory too: every statement
executed, every `repeat` iteration and every block expansion is one step, at most MAX_STEPS in
one check (graphspec/limits.py).

Counting alone would stop `repeat 100000 { repeat 100000 { h = h } }` only after a million
steps; so before a `repeat` or a block runs, its cost is estimated from the syntax tree, as a
lower bound (a `repeat` whose count is not a literal counts as zero iterations), and a body
that cannot fit in what is left is refused at once, before any of it runs.
"""

from __future__ import annotations

from graphspec.limits import MAX_STEPS
from graphspec.syntax import ast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List

_CAP = MAX_STEPS + 1  # costs are capped here: anything above the limit is refused alike


class Budget:
    """The steps spent in one check, and the cost estimates of bodies and blocks."""

    def __init__(self, blocks: Dict[str, ast.BlockDef]):
        self.blocks = blocks
        self.steps = 0
        self.model_depth: Dict[str, int] = {}  # a checked model -> models nested in it, itself included
        self._block_cost: Dict[str, int] = {}
        self._body_cost: Dict[int, tuple] = {}  # id(statement list) -> (the list, its cost)

    def fits(self, cost: int) -> bool:
        """Whether `cost` more steps stay within MAX_STEPS."""
        return self.steps + cost <= MAX_STEPS

    def spend(self, n: int = 1) -> bool:
        """Spend `n` steps; False once the limit is passed."""
        self.steps += n
        return self.steps <= MAX_STEPS

    # ------------------------------------------------------------ lower bounds
    def block_cost(self, name: str) -> int:
        """The fewest steps one expansion of block `name` takes (1 for the expansion itself)."""
        cost = self._block_cost.get(name)
        if cost is None:
            self._cost_blocks(name)
            cost = self._block_cost[name]
        return cost

    def body_cost(self, body: List[ast.Stmt]) -> int:
        """The fewest steps running `body` once takes."""
        known = self._body_cost.get(id(body))
        if known is None:
            for name in _block_refs(body):
                if name in self.blocks and name not in self._block_cost:
                    self._cost_blocks(name)
            # The body is kept with its cost: a check that lets go of the statements it has run
            # (Checker.release) never frees a list whose id a later one could take.
            known = self._body_cost[id(body)] = (body, self._sum(body))
        return known[1]

    def _cost_blocks(self, root: str) -> None:
        """Cost `root` and every block it reaches, callees first, without recursion: a chain of
        thousands of blocks each calling the next is a long path, not a deep stack. A block on a
        cycle (an error, E205) costs its callers nothing more."""
        on_path = {root}
        stack = [(root, iter(sorted(_block_refs(self.blocks[root].body))))]
        while stack:
            name, todo = stack[-1]
            for ref in todo:
                if ref in self.blocks and ref not in self._block_cost and ref not in on_path:
                    on_path.add(ref)
                    stack.append((ref, iter(sorted(_block_refs(self.blocks[ref].body)))))
                    break
            else:
                stack.pop()
                on_path.discard(name)
                self._block_cost[name] = 0  # while its body is summed: a cycle back to it adds nothing
                self._block_cost[name] = min(_CAP, 1 + self._sum(self.blocks[name].body))

    def _sum(self, body: List[ast.Stmt]) -> int:
        total = 0
        for s in body:
            total += 1
            if isinstance(s, ast.RepeatStmt):
                count = s.count.value if isinstance(s.count, ast.Literal) else 0
                if isinstance(count, int) and not isinstance(count, bool) and count > 0:
                    total += min(_CAP, count) * (1 + self._sum(s.body))
            elif isinstance(s, ast.IfStmt):  # at most one branch runs: the dearer one bounds it
                total += max(self._sum(s.body), self._sum(s.orelse))
            elif isinstance(s, (ast.BindStmt, ast.OutputStmt)) and s.chain is not None:
                for name in _chain_block_names(s.chain):
                    total += self._block_cost.get(name, 0)
            if total >= _CAP:
                return _CAP
        return total


def _chain_block_names(chain: ast.Chain) -> List[str]:
    """The names used as steps in a chain and the chains of its source (blocks among them)."""
    out: List[str] = []
    todo = [chain]
    while todo:
        c = todo.pop()
        src = c.source
        if isinstance(src, ast.Chain):
            todo.append(src)
        elif isinstance(src, ast.TupleSource):
            todo.extend(src.items)
        out.extend(step.name for step in c.steps)
    return out


def _block_refs(body: List[ast.Stmt]) -> set:
    """Every name a body (its `repeat` bodies included) uses as a chain step."""
    out: set = set()
    todo = [body]
    while todo:
        for s in todo.pop():
            if isinstance(s, (ast.RepeatStmt, ast.IfStmt)):
                todo.extend(ast.child_bodies(s))
            elif isinstance(s, (ast.BindStmt, ast.OutputStmt)) and s.chain is not None:
                out.update(_chain_block_names(s.chain))
    return out
