"""docs/errors.md is generated from the code catalogue and the golden outputs, and up to date.

Regenerate with: python scripts/build_error_docs.py
(GRAPHSPEC_UPDATE_GOLDENS=1 regenerates it too, after the goldens.)
"""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT, UPDATE_GOLDENS, load_module
from graphspec.diagnostics.codes import CODES

docs = load_module(ROOT / "scripts" / "build_error_docs.py")
ERRORS_MD = ROOT / "docs" / "errors.md"


def test_errors_md_is_up_to_date():
    expected = docs.render_markdown()
    if UPDATE_GOLDENS:
        ERRORS_MD.write_text(expected, encoding="utf-8")
    assert ERRORS_MD.exists(), "docs/errors.md is missing: python scripts/build_error_docs.py"
    assert ERRORS_MD.read_text(encoding="utf-8") == expected, (
        "docs/errors.md is out of date: python scripts/build_error_docs.py")


def test_every_code_has_a_section_with_what_you_see():
    text = docs.render_markdown()
    sections = text.split("\n### ")[1:]
    assert len(sections) == len(CODES)
    for code, section in zip(CODES, sections):
        assert section.startswith(f"{code}: {CODES[code].title}")
        for part in ("**Example**", "**How to fix it**", "**What you see**", f"[{code}]"):
            assert part in section, (code, part)


def test_render_without_fixtures(tmp_path: Path):
    """An installed package has no tests/ tree: the page still renders, without goldens."""
    text = docs.render_markdown(tmp_path / "absent")
    assert "**What you see**" not in text
    assert all(f"### {code}: " in text for code in CODES)
