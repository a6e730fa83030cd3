"""The catalogue listing: `graphspec layers`, docs/layers.md, the coverage report."""

import json
import subprocess
import sys
from pathlib import Path

from graphspec.catalog import listing, registry, signatures

ROOT = Path(__file__).parents[2]


def test_docs_layers_md_is_generated_from_the_catalogue():
    # Regenerate with: python -m graphspec.catalog.listing --markdown > docs/layers.md
    assert (ROOT / "docs" / "layers.md").read_text(encoding="utf-8") == listing.render_markdown()


def test_every_keras_layer_is_supported_excluded_or_reported_missing():
    cov = listing.coverage()
    names = set(registry.names()) | set(cov["excluded"]) | set(cov["missing"])
    canonical = {signatures.canonical_layer_name(n) for n in signatures.layer_names()}
    assert canonical == names
    assert cov["supported"] == len([n for n in canonical if registry.get(n)])
    for name, why in cov["excluded"].items():
        assert why and registry.get(name) is None


def test_every_entry_has_a_signature_and_a_summary():
    for entry in registry.entries():
        assert signatures.layer_signature(entry.name) is not None, entry.name
        assert entry.summary, entry.name


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "graphspec", *args], capture_output=True, text=True, timeout=60)


def test_layers_cli_json_and_alias_lookup():
    out = _cli("layers", "MaxPool2D", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [d["name"] for d in data] == ["MaxPooling2D"]
    assert "MaxPool2D" in data[0]["aliases"]
    assert [a["name"] for a in data[0]["arguments"]][:3] == ["pool_size", "strides", "padding"]


def test_layers_cli_unknown_name_suggests():
    out = _cli("layers", "Conv2d")
    assert out.returncode == 2
    assert "did you mean `Conv2D`?" in out.stderr


def test_layers_cli_coverage():
    out = _cli("layers", "--coverage")
    assert out.returncode == 0
    assert "layer classes" in out.stdout and "excluded Lambda" in out.stdout


def test_coverage_records_the_installed_keras_version_without_importing_it():
    cov = listing.coverage()
    assert cov["keras_version"] == signatures.keras_version()
    assert cov["installed_keras_version"] == listing.installed_keras_version()
    assert "differs" not in listing.render_coverage(listing.coverage(installed=cov["keras_version"]))


def test_coverage_says_what_differs_when_the_installed_keras_is_another_version():
    captured = signatures._catalogue().data
    live = json.loads(json.dumps(captured))
    live["keras_version"] = "3.99.0"
    del live["layers"]["Dense"]
    live["layers"]["NewLayer"] = {"params": [], "var_kwargs": True, "aliases": []}
    live["layers"]["Conv2D"]["params"] = [p for p in live["layers"]["Conv2D"]["params"] if p["name"] != "groups"]
    live["layers"]["Dropout"]["params"][0]["required"] = False
    live["layers"]["Dropout"]["params"][0]["default"] = 0.5
    diffs = listing.signature_differences(captured, live)
    assert "layer NewLayer: only in Keras 3.99.0" in diffs
    assert f"layer Dense: only in Keras {captured['keras_version']}" in diffs
    assert "Conv2D: argument `groups` removed" in diffs
    assert any(d.startswith("Dropout: `rate` default") for d in diffs)
    text = listing.render_coverage(listing.coverage(installed="3.99.0", live=live))
    assert f"installed Keras 3.99.0 differs from the catalogue's Keras {captured['keras_version']}" in text
    assert "differs  Conv2D: argument `groups` removed" in text
    hint = listing.render_coverage(listing.coverage(installed="3.99.0"))
    assert "capture_keras_signatures.py --diff" in hint
