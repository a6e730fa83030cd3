#!/usr/bin/env python
"""Capture Keras's public constructor signatures into graphspec/catalog/keras_signatures.json.

The static checker of graphspec never imports Keras; everything it knows about
Keras's argument lists and string identifiers comes from the data file this
script writes. Re-run it whenever the pinned Keras version changes:

    python scripts/capture_keras_signatures.py            # writes the committed file
    python scripts/capture_keras_signatures.py -o out.json
    python scripts/capture_keras_signatures.py --check    # exit 1 if the file is stale

The output is deterministic for a given Keras version (sorted keys, indent 1,
no memory addresses), so a stale file shows up as a plain diff.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import sys
import warnings
from pathlib import Path

# The checker models the TensorFlow build of Keras; pin the backend so the
# capture does not depend on the caller's environment.
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "graphspec" / "catalog" / "keras_signatures.json"

FORMAT_VERSION = 1

# The layer-signature reading is graphspec's own (layers --coverage compares with it too).
sys.path.insert(0, str(ROOT))
from graphspec.backends.keras_capture import (  # noqa: E402
    BASE_LAYER_KWARGS, capture_layers, classes_by_identity, describe_params, public_names,
)

# Callbacks that cannot be written in a spec, with the reason.
EXCLUDED_CALLBACKS = {
    "BackupAndRestore": "fault-tolerance machinery that restores and deletes training state "
    "in backup_dir between runs; not a model-description setting",
    "CallbackList": "internal container that fit() builds from the callbacks list",
    "History": "added by fit() automatically; its object is fit()'s return value",
    "LambdaCallback": "needs Python functions (on_epoch_end=... etc.)",
    "LearningRateScheduler": "needs a Python function (schedule)",
    "OrbaxCheckpoint": "needs the optional orbax-checkpoint package (JAX-style checkpoints)",
    "ProgbarLogger": "added by fit() automatically (controlled by verbose=)",
    "RemoteMonitor": "sends training data over the network",
}
EXCLUDED_OTHER = {
    "optimizers": {
        "MultiOptimizer": "needs a mapping from Python layer objects to optimizers",
        "OptimizerMap": "internal helper of MultiOptimizer; needs Python layer objects",
    },
    "metrics": {
        "MeanMetricWrapper": "needs a Python function (fn)",
    },
}
# Abstract bases, one per kind: never written in a spec.
BASES = {
    "optimizers": "Optimizer",
    "losses": "Loss",
    "metrics": "Metric",
    "callbacks": "Callback",
    "initializers": "Initializer",
    "regularizers": "Regularizer",
    "constraints": "Constraint",
    "learning_rate_schedules": "LearningRateSchedule",
}
# Strings that keras.Model.compile resolves itself (by output shape and loss),
# before keras.metrics.get is consulted.
COMPILE_SPECIAL_METRICS = ("accuracy", "acc", "crossentropy", "ce")
NOT_IDENTIFIERS = {"get", "serialize", "deserialize"}

def capture_base_layer_kwargs(keras) -> list:
    described = describe_params(keras.layers.Layer.__init__)
    by_name = {p["name"]: p for p in described["params"]}
    missing = [n for n in BASE_LAYER_KWARGS if n not in by_name]
    if missing:
        raise SystemExit(
            f"keras.layers.Layer.__init__ has no {missing} in Keras {keras.__version__}; "
            "update BASE_LAYER_KWARGS"
        )
    return [by_name[n] for n in BASE_LAYER_KWARGS]


def _kind_module(keras, kind):
    if kind == "learning_rate_schedules":
        return keras.optimizers.schedules
    return getattr(keras, kind)


def capture_objects(keras, kind: str, excluded: dict) -> dict:
    module = _kind_module(keras, kind)
    base = getattr(module, BASES[kind])
    skip = dict(EXCLUDED_CALLBACKS if kind == "callbacks" else EXCLUDED_OTHER.get(kind, {}))
    out = {}
    for name, (cls, aliases) in classes_by_identity(module, lambda c: True).items():
        if name in skip:
            excluded[name] = skip[name]
            continue
        if cls is base:
            excluded[name] = f"abstract base class keras.{module.__name__.split('.', 1)[1]}.{name}"
            continue
        if not issubclass(cls, base):
            excluded[name] = f"not a subclass of {BASES[kind]}"
            continue
        if kind == "callbacks":
            reason = _callback_unusable(cls)
            if reason:
                excluded[name] = reason
                continue
        entry = describe_params(cls.__init__)
        entry["aliases"] = aliases
        out[name] = entry
    return out


def _callback_unusable(cls) -> str | None:
    """A reason when a callback cannot be constructed in this environment."""
    params = describe_params(cls.__init__)["params"]
    kwargs = {p["name"]: "/tmp/graphspec-probe" for p in params if p["required"]}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cls(**kwargs)
    except ImportError as exc:
        return f"needs an optional package: {exc}"
    except Exception as exc:  # noqa: BLE001 - any failure means "unusable here"
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "requires" in message or "install" in message:
            return f"needs an optional package: {message}"
    return None


def _snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def _candidates(keras, kind: str, excluded_names: set) -> set:
    module = _kind_module(keras, kind)
    names = set()
    for n in public_names(module):
        obj = getattr(module, n)
        if inspect.ismodule(obj) or n in NOT_IDENTIFIERS:
            continue
        names.update({n, n.lower(), _snake(n)})
    # Lower-level registries hold aliases that are not public attributes
    # ("mse", "uniform", "l1l2"); they are only candidates: `get` decides.
    try:
        import importlib

        src = importlib.import_module(f"keras.src.{kind}")
        names.update(getattr(src, "ALL_OBJECTS_DICT", {}).keys())
    except ImportError:
        pass
    drop = set()
    for n in excluded_names:
        drop.update({n, n.lower(), _snake(n)})
    return {n for n in names if n not in drop and n not in NOT_IDENTIFIERS}


def _accepted(get, identifier: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return get(identifier) is not None
    except Exception:  # noqa: BLE001 - rejected identifier
        return False


def capture_string_names(keras, excluded: dict) -> dict:
    out = {}
    for kind in (
        "activations",
        "constraints",
        "initializers",
        "losses",
        "metrics",
        "optimizers",
        "regularizers",
    ):
        get = getattr(keras, kind).get
        excluded_names = set(excluded.get(kind, {}))
        accepted = {c for c in _candidates(keras, kind, excluded_names) if _accepted(get, c)}
        if kind == "activations":
            accepted.add("linear")
        if kind == "metrics":
            accepted.update(COMPILE_SPECIAL_METRICS)
        out[kind] = sorted(accepted)
    return out


def capture_dtypes(keras) -> dict:
    from keras.src.backend.common import dtypes as dtypes_mod

    allowed = sorted(dtypes_mod.ALLOWED_DTYPES)
    floats = sorted(set(allowed) | {"mixed_float16", "mixed_bfloat16"})
    # Quantized policies, `<mode>_from_<source policy>` (int8_from_mixed_bfloat16); the modes
    # that need more fields (gptq/4/128) are not accepted in this form and drop out.
    from keras.src.dtype_policies.dtype_policy import QUANTIZATION_MODES

    quantized = [f"{mode}_from_{source}" for mode in QUANTIZATION_MODES for source in floats
                 if "float" in source]
    candidates = sorted(set(floats) | set(quantized))
    policies = [c for c in candidates if _accepted(keras.dtype_policies.get, c)]
    return {"dtypes": allowed, "layer_dtypes": policies}


def capture() -> dict:
    """Import Keras and return the catalogue data (plain JSON-able values)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import keras

    excluded: dict = {}
    data = {
        "format_version": FORMAT_VERSION,
        "keras_version": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "layers": capture_layers(keras),
        "base_layer_kwargs": capture_base_layer_kwargs(keras),
    }
    for kind in BASES:
        excluded[kind] = {}
        data[kind] = capture_objects(keras, kind, excluded[kind])
    data["excluded"] = excluded
    data["string_names"] = capture_string_names(keras, excluded)
    data["compile_special_metrics"] = list(COMPILE_SPECIAL_METRICS)
    data.update(capture_dtypes(keras))
    return data


def dumps(data: dict) -> str:
    return json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--check", action="store_true", help="compare with --output instead of writing it"
    )
    parser.add_argument(
        "--diff", action="store_true",
        help="print what differs between --output and the installed Keras (layer classes and arguments)")
    args = parser.parse_args(argv)
    if args.diff:
        from graphspec.catalog.listing import signature_differences

        captured = json.loads(args.output.read_text(encoding="utf-8"))
        live = capture()
        lines = signature_differences(captured, live)
        print(f"catalogue: Keras {captured.get('keras_version')}; installed: Keras {live['keras_version']}")
        print("\n".join(lines) if lines else "no differences in layer classes or arguments")
        return 0
    text = dumps(capture())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale; re-run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
