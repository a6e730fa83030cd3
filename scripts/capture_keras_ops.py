#!/usr/bin/env python
"""Capture keras.ops function signatures and layer `call` signatures into the catalogue.

Writes graphspec/catalog/keras_op_signatures.json (every public function of keras.ops)
and graphspec/catalog/keras_call_signatures.json (the `call` method of every public layer
class and of the serializable layers keras.applications defines). The static checker reads
them and never imports Keras. Re-run when the pinned Keras changes:

    python scripts/capture_keras_ops.py            # writes both committed files
    python scripts/capture_keras_ops.py --check    # exit 1 if either is stale
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import sys
import warnings
from pathlib import Path

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from capture_keras_signatures import classes_by_identity, describe_params, dumps  # noqa: E402  (one encoding of defaults)

ROOT = Path(__file__).resolve().parent.parent
OPS_OUTPUT = ROOT / "graphspec" / "catalog" / "keras_op_signatures.json"
CALLS_OUTPUT = ROOT / "graphspec" / "catalog" / "keras_call_signatures.json"
FORMAT_VERSION = 1



def describe_function(func) -> dict:
    """A function's parameters, plus the name of its *args parameter (einsum's operands)."""
    entry = describe_params(func, skip_first=False)
    var = [p.name for p in inspect.signature(func).parameters.values() if p.kind is p.VAR_POSITIONAL]
    entry["var_positional"] = var[0] if var else None
    return entry


def capture_ops(keras) -> dict:
    out = {}
    for name in sorted(dir(keras.ops)):
        obj = getattr(keras.ops, name)
        if name.startswith("_") or inspect.isclass(obj) or inspect.ismodule(obj) or not callable(obj):
            continue
        try:
            entry = describe_function(obj)
        except (TypeError, ValueError):  # a builtin without a signature
            continue
        entry["module"] = obj.__module__
        out[name] = entry
    return out


def application_layers(keras) -> dict:
    """class name -> (class, module path) of the Layer subclasses keras.applications defines."""
    import pkgutil

    import keras.src.applications as package

    found = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.endswith("_test") or info.ispkg:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, obj in sorted(vars(module).items()):
            if (inspect.isclass(obj) and issubclass(obj, keras.layers.Layer)
                    and obj.__module__ == module.__name__):
                found[name] = (obj, module.__name__)
    return found


def _call_entry(cls) -> dict:
    entry = describe_params(cls.call)
    entry["var_positional"] = any(p.kind is p.VAR_POSITIONAL
                                  for p in inspect.signature(cls.call).parameters.values())
    return entry


def capture_calls(keras) -> dict:
    layers = {}
    # The same canonical names as keras_signatures.json's layers (GroupQueryAttention).
    for name, (cls, _aliases) in classes_by_identity(
            keras.layers, lambda c: issubclass(c, keras.layers.Layer)).items():
        layers[name] = _call_entry(cls)
    applications = {}
    for name, (cls, module) in application_layers(keras).items():
        entry = _call_entry(cls)
        entry["module"] = module
        entry["registered_name"] = keras.saving.get_registered_name(cls)
        entry["init"] = describe_params(cls.__init__)
        layers.setdefault(name, entry)
        applications[name] = module
    return {"layers": layers, "applications": applications}


def capture() -> tuple:
    """Import Keras; return (op signatures, call signatures) as JSON-able dicts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import keras

    head = {"format_version": FORMAT_VERSION, "keras_version": keras.__version__,
            "keras_backend": keras.backend.backend(), "floatx": keras.config.floatx()}
    return {**head, "ops": capture_ops(keras)}, {**head, **capture_calls(keras)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files instead")
    args = parser.parse_args(argv)
    ops, calls = capture()
    stale = 0
    for path, data in ((OPS_OUTPUT, ops), (CALLS_OUTPUT, calls)):
        text = dumps(data)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"{path} is stale; re-run {Path(__file__).name}", file=sys.stderr)
                stale = 1
            continue
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    return stale


if __name__ == "__main__":
    sys.exit(main())
