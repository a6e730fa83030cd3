"""docs/ops.md is generated from the ops catalogue and lists every op."""

from graphspec.catalog import ops
from graphspec.catalog.ops import listing

from tests.conftest import ROOT


def test_ops_doc_is_generated_from_the_catalogue():
    text = (ROOT / "docs" / "ops.md").read_text(encoding="utf-8")
    assert text == listing.render_markdown(), "regenerate: python -m graphspec.catalog.ops.listing > docs/ops.md"
    for name in ops.names():
        assert f"`ops.{name}(" in text
    assert "| `ops.mean(axis=None, keepdims=False)` |" in text
