"""Capture which Keras layers support masking into graphspec/catalog/keras_masking.json.

    python scripts/capture_keras_masking.py            # writes the file
    python scripts/capture_keras_masking.py --check    # exit 1 if the file is stale

A layer's `supports_masking` is an instance attribute: `Layer.__init__` sets it to whether the
class overrides `compute_mask`, and many constructors then assign `self.supports_masking = ...`.
This script reads those assignments from the constructors' source (the nearest class of the MRO
that assigns wins, as at run time), so no layer has to be constructed:

* `true` / `false`: always;
* a parameter name (Embedding's `"mask_zero"`): the layer supports masking when that argument is
  true (its default when not given);
* `"unknown"`: an assignment the script cannot read; the lint then says nothing.

`passes_mask` says whether the output keeps the input's mask as it is (`compute_mask` is
`Layer`'s): a layer that overrides it (an RNN, a pooling or merge layer) may change or drop it,
and the mask lint (graphspec/passes/lints.py, W302) stops following the mask there.
tests/catalog/test_masking_catalog.py compares the file with layers Keras builds.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "graphspec" / "catalog" / "keras_masking.json"


def _assignment(cls):
    """What `cls.__init__` assigns to `self.supports_masking`, or None when it does not."""
    init = cls.__dict__.get("__init__")
    if init is None:
        return None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
    except (OSError, TypeError, SyntaxError):
        return None
    found = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Attribute) and t.attr == "supports_masking" for t in node.targets):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, bool):
                here = value.value
            elif isinstance(value, ast.Name) and value.id in inspect.signature(init).parameters:
                here = value.id
            else:
                here = "unknown"
            found = here if found in (None, here) else "unknown"  # two different assignments: conditional
    return found


def masking(cls, base) -> dict:
    """{"supports": ..., "passes_mask": ...} for one layer class (see the module docstring)."""
    overrides = cls.compute_mask is not base.compute_mask
    supports = overrides  # Layer.__init__'s default
    for klass in cls.__mro__:
        if klass is base:
            break
        assigned = _assignment(klass)
        if assigned is not None:
            supports = assigned
            break
    return {"supports": supports, "passes_mask": not overrides}


def capture() -> dict:
    import keras

    base = keras.layers.Layer
    layers = {}
    for name in sorted(dir(keras.layers)):
        cls = getattr(keras.layers, name)
        if name.startswith("_") or not (inspect.isclass(cls) and issubclass(cls, base)) or cls is base:
            continue
        layers[name] = masking(cls, base)
    return {"keras_version": keras.__version__, "layers": layers}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from a fresh capture")
    args = parser.parse_args(argv)
    text = json.dumps(capture(), indent=1, sort_keys=True) + "\n"
    if args.check:
        same = OUTPUT.exists() and OUTPUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUTPUT} is stale: run {Path(__file__).name}")
        return 0 if same else 1
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(json.loads(text)['layers'])} layers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
