"""Diagnostic codes as objects (graphspec/diagnostics/codes.py): each defined once with its severity,
and a diagnostic made from one prints and serialises exactly its id."""

from __future__ import annotations

import json
import pickle

import pytest

from graphspec.diagnostics import codes
from graphspec.diagnostics.codes import CODES, Code
from graphspec.diagnostics.diagnostic import Diagnostic, Diagnostics, Label, SpecError
from graphspec.diagnostics.render import render_github, render_json, render_one
from graphspec.source import Source, Span


def test_each_code_is_one_object_named_by_its_id():
    for code, info in CODES.items():
        assert getattr(codes, code) is info and info.id == code
        assert info.severity == ("warning" if code.startswith("W") else "error")
        assert info == code and hash(info) == hash(code) and str(info) == code


def test_a_code_cannot_be_changed_or_defined_twice():
    with pytest.raises(AttributeError):
        codes.E302.id = "E303"  # frozen
    with pytest.raises(ValueError, match="defined twice"):
        codes._c("E302", "again", "x" * 60, "x", "x")
    assert CODES["E302"] is codes.E302


def _span(line: int = 2) -> Span:
    return Span("a.gspec", line, 5, line, 8)


def test_a_diagnostic_made_from_a_code_serialises_as_from_its_id():
    source = Source("a.gspec", "x = 1\ny = x -> Dense(3)\n")
    by_object = Diagnostic(codes.E302, "bad", _span(), label="here", related=[Label(_span(1), "first here")])
    by_id = Diagnostic("E302", "bad", _span(), label="here", related=[Label(_span(1), "first here")])
    assert by_object == by_id and type(by_object.code) is str and by_object.severity == "error"
    assert render_json([by_object]) == render_json([by_id])
    assert json.loads(render_json([by_object]))[0]["code"] == "E302"
    assert render_one(by_object, {"a.gspec": source}) == render_one(by_id, {"a.gspec": source})
    assert render_github([by_object]) == render_github([by_id])
    assert str(SpecError([by_object])) == str(SpecError([by_id]))
    assert pickle.loads(pickle.dumps(by_object)) == by_object  # check -j sends them between processes


def test_the_severity_is_the_codes():
    diags = Diagnostics()
    assert diags.warning(codes.W101, "unused", _span()).severity == "warning"
    assert not diags.has_errors
    with pytest.raises(ValueError, match="W101 is a warning code, reported with severity 'error'"):
        diags.error(codes.W101, "unused", _span())
    with pytest.raises(ValueError, match="E302 is an? error code"):
        diags.warning(codes.E302, "bad", _span())
    assert Diagnostic(codes.W101, "unused", None).severity == "warning"


def test_a_diagnostic_compares_with_code_objects():
    diags = Diagnostics()
    d = diags.error(codes.E202, "twice", _span(), related=[Label(_span(1), "first defined here")])
    assert d.code == codes.E202 and d.code != codes.E201 and d.code in {codes.E202}
    assert {codes.E301: "unknown argument"}.get(Diagnostic("E301", "x", None).code) == "unknown argument"
    assert [r.text for r in d.related] == ["first defined here"]
    assert isinstance(codes.E202, Code) and repr(codes.E202) == "codes.E202"
