"""A check that lets go of each model statement once expanded (`graphspec check`, passes/check.py
`release`) finds exactly what a check that keeps the syntax tree finds."""

from __future__ import annotations

import pytest

from conftest import ROOT
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.passes.check import check_path, check_text

SPECS = sorted(p for folder in ("specs", "tests", "docs") for p in (ROOT / folder).rglob("*.gspec"))


def _checked(path, release: bool):
    diags = Diagnostics()
    program, loader = check_path(path, diags, require_root=True, release=release)
    return program, diags.sorted(), loader


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_same_program_and_diagnostics(path):
    kept, kept_diags, _ = _checked(path, release=False)
    released, released_diags, loader = _checked(path, release=True)
    assert released_diags == kept_diags
    assert released == kept
    if kept is not None:  # the models that were expanded kept no statement, unless another extends them
        extended = {m.extends[0] for mod in loader.order for m in mod.models if m.extends}
        for name in kept.models:
            mdef = next((m for mod in loader.order for m in mod.models if m.name == name), None)
            if mdef is not None and name not in extended:
                assert mdef.body == [], name


def test_an_extended_model_keeps_its_statements():
    text = """
model base {
    input x: (4,)
    output y = x -> Dense(2)
}

model wider extends base {
    output z = x -> Dense(3)
}
"""
    results = []
    for release in (False, True):
        diags = Diagnostics()
        program, loader = check_text(text, diags, model="wider", require_root=True, release=release)
        results.append((program, diags.sorted()))
        base = next(m for m in loader.order[0].models if m.name == "base")
        assert len(base.body) == 2  # `wider` reads them again
    assert results[0] == results[1]
    assert results[1][0] is not None and list(results[1][0].models["wider"].outputs[i].name for i in (0, 1)) == ["y", "z"]


def test_the_default_keeps_the_tree():
    diags = Diagnostics()
    _, loader = check_text("model m {\n    input x: (4,)\n    output y = x -> Dense(2)\n}\n", diags, require_root=True)
    assert len(loader.order[0].models[0].body) == 2
