"""The catalogue as data: `graphspec layers`, docs/layers.md and the coverage report."""

from __future__ import annotations

import json
import sys

from graphspec.catalog import registry, signatures

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional

# Keras layer classes a declarative spec cannot express, and why.
EXCLUDED: Dict[str, str] = {
    "Lambda": "runs Python code; a spec never runs code",
    "Layer": "abstract base class",
    "Wrapper": "abstract base class",
    "RNN": "built from cell objects; use LSTM, GRU or SimpleRNN",
    "GRUCell": "a cell is only used inside RNN",
    "LSTMCell": "a cell is only used inside RNN",
    "SimpleRNNCell": "a cell is only used inside RNN",
    "StackedRNNCells": "a cell is only used inside RNN",
    "InputLayer": "written as an `input` statement",
    "TorchModuleWrapper": "wraps a PyTorch module object",
    "JaxLayer": "wraps JAX functions",
    "FlaxLayer": "wraps a Flax module object",
    "TFSMLayer": "wraps a TensorFlow SavedModel loaded from disk",
    "Equalization": "Keras 3.15.1 returns its symbolic input tensor itself, so no functional model "
                    "containing it can be built (`... is part of a cycle`); use it in a tf.data pipeline",
    "MaxNumBoundingBoxes": "acts on bounding-box dictionaries; on the plain image tensors a spec passes "
                           "it does nothing",
}


def _default_text(param) -> str:
    if param.required:
        return ""
    value = param.default
    if isinstance(value, str):
        return repr(value)
    return str(value)


def describe(name: str) -> dict:
    """One layer as data: arguments, call convention, shape rule."""
    entry = registry.get(name)
    sig = signatures.layer_signature(name)
    return {
        "name": name,
        "aliases": sorted(sig.aliases) if sig else [],
        "arguments": [
            {"name": p.name, "required": p.required, "default": None if p.required else _default_text(p),
             "keyword_only": p.kind == "keyword_only"}
            for p in (sig.params if sig else [])
        ],
        "call": entry.call,
        "inputs": [entry.min_inputs, entry.max_inputs],
        "shape_rule": entry.summary,
    }


def catalogue() -> List[dict]:
    """Every supported layer, sorted by name."""
    return [describe(n) for n in registry.names()]


def installed_keras_version() -> Optional[str]:
    """The version of the installed Keras distribution, read from its metadata (Keras is not imported)."""
    from importlib import metadata

    try:
        return metadata.version("keras")
    except metadata.PackageNotFoundError:
        return None


def _params_by_name(entry: dict) -> Dict[str, dict]:
    return {p["name"]: p for p in entry.get("params", []) + entry.get("forwarded", [])}


def signature_differences(captured: dict, live: dict) -> List[str]:
    """What differs between two captured catalogues (keras_signatures.json data): layer classes added or
    removed, and per layer the arguments added, removed or given another default."""
    old, new = captured.get("layers", {}), live.get("layers", {})
    out = [f"layer {name}: only in Keras {live.get('keras_version', '?')}" for name in sorted(set(new) - set(old))]
    out += [f"layer {name}: only in Keras {captured.get('keras_version', '?')}" for name in sorted(set(old) - set(new))]
    for name in sorted(set(old) & set(new)):
        a, b = _params_by_name(old[name]), _params_by_name(new[name])
        out += [f"{name}: new argument `{p}`" for p in b if p not in a]
        out += [f"{name}: argument `{p}` removed" for p in a if p not in b]
        out += [f"{name}: `{p}` default {a[p].get('default')!r} -> {b[p].get('default')!r}"
                for p in a if p in b and (a[p].get("default"), a[p]["required"]) != (b[p].get("default"),
                                                                                   b[p]["required"])]
    return out


def coverage(installed: Optional[str] = None, live: Optional[dict] = None,
             missing_ops: Optional[List[str]] = None) -> dict:
    """How many Keras layer classes exist, how many are supported, which are excluded and why; the installed
    Keras version (looked up when not given) and, with `live` (a capture of the installed Keras) and
    `missing_ops` (the catalogue's ops it lacks), what differs."""
    keras_layers = sorted(signatures.layer_signature(n).name for n in signatures.layer_names()
                          if signatures.canonical_layer_name(n) == n)
    supported = [n for n in keras_layers if registry.get(n)]
    excluded = {n: EXCLUDED[n] for n in keras_layers if n in EXCLUDED and not registry.get(n)}
    missing = [n for n in keras_layers if not registry.get(n) and n not in EXCLUDED]
    installed = installed or installed_keras_version()
    captured = signatures.keras_version()
    differences = None
    if live is not None:
        differences = signature_differences(signatures._catalogue().data, live)
        differences += [f"op {name}: only in Keras {captured} (keras.ops has no such function in "
                        f"{live.get('keras_version', installed)})" for name in missing_ops or ()]
    return {
        "keras_version": captured,
        "installed_keras_version": installed,
        "differences": differences,
        "keras_layer_classes": len(keras_layers),
        "supported": len(supported),
        "excluded": excluded,
        "missing": missing,
    }


def render_coverage(cov: dict) -> str:
    """The coverage report as text (printed in CI)."""
    lines = [f"Keras {cov['keras_version']}: {cov['keras_layer_classes']} layer classes, "
             f"{cov['supported']} supported, {len(cov['excluded'])} excluded, {len(cov['missing'])} missing"]
    for name, why in sorted(cov["excluded"].items()):
        lines.append(f"  excluded {name}: {why}")
    for name in cov["missing"]:
        lines.append(f"  missing  {name}")
    installed = cov.get("installed_keras_version")
    if installed and installed != cov["keras_version"]:
        lines.append(f"installed Keras {installed} differs from the catalogue's Keras {cov['keras_version']}: "
                     f"checks use the signatures of {cov['keras_version']}; a layer or argument that differs is "
                     f"reported by Keras only when the model is built")
        if cov.get("differences") is None:
            lines.append("  list the differences with: python scripts/capture_keras_signatures.py --diff")
        for line in cov.get("differences") or ():
            lines.append(f"  differs  {line}")
    return "\n".join(lines)


def _signature_text(layer: dict) -> str:
    parts = []
    star = False
    for a in layer["arguments"]:
        if a["keyword_only"] and not star:
            parts.append("*")
            star = True
        parts.append(a["name"] if a["required"] else f"{a['name']}={a['default']}")
    return f"{layer['name']}({', '.join(parts)})"


_CALLS = {"single": "one tensor", "list": "a list of tensors", "attention": "(query, value[, key])"}


def render_text(layers: List[dict]) -> str:
    """`graphspec layers` as text: one paragraph per layer."""
    out = []
    for layer in layers:
        lo, hi = layer["inputs"]
        takes = _CALLS[layer["call"]] if hi != 1 else "one tensor"
        alias = f"  (aliases: {', '.join(layer['aliases'])})" if layer["aliases"] else ""
        out.append(f"{_signature_text(layer)}{alias}\n    takes {takes}; {layer['shape_rule']}")
    return "\n".join(out)


def render_markdown() -> str:
    """docs/layers.md, generated from the catalogue."""
    cov = coverage()
    lines = [
        "# Layer catalogue",
        "",
        "Generated by `python -m graphspec.catalog.listing --markdown > docs/layers.md` from the same",
        "catalogue `graphspec check` uses; do not edit by hand.",
        "",
        f"Keras {cov['keras_version']}: {cov['keras_layer_classes']} layer classes, {cov['supported']} "
        f"supported, {len(cov['excluded'])} excluded.",
        "",
        "| layer | takes | shape rule |",
        "| --- | --- | --- |",
    ]
    for layer in catalogue():
        lo, hi = layer["inputs"]
        takes = _CALLS[layer["call"]] if hi != 1 else "one tensor"
        sig = _signature_text(layer).replace("|", "\\|")
        alias = f" (aliases: {', '.join(layer['aliases'])})" if layer["aliases"] else ""
        lines.append(f"| `{sig}`{alias} | {takes} | {layer['shape_rule'].replace('|', '/')} |")
    lines += ["", "## Not available in specs", "", "| layer | why |", "| --- | --- |"]
    for name, why in sorted(cov["excluded"].items()):
        lines.append(f"| `{name}` | {why} |")
    if cov["missing"]:
        lines += ["", "## Not yet supported", ""] + [f"- `{n}`" for n in cov["missing"]]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--markdown" in argv:
        sys.stdout.write(render_markdown())
    elif "--coverage" in argv:
        print(render_coverage(coverage()))
    else:
        print(json.dumps(catalogue(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
