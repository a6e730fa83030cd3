"""The commands that run a model on data: fit, evaluate, predict (docs/training.md).

The data is `.npz` files keyed by the spec's input and output names, checked before anything
runs; every problem (the data, the weights, a checkpoint, a backend) is one `graphspec: error:`
line with exit status 2, an unusable KERAS_BACKEND included (graphspec/cli/runtime.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from graphspec.cli.common import EXIT_OK, Usage
from graphspec.cli.io import check_target, writing
from graphspec.cli.plugins import Plugins
from graphspec.cli.runtime import Runtime
from graphspec.cli.runtime import add_options as add_runtime_options
from graphspec.cli.settings import positive_int
from graphspec.cli.specs import load_ir

# --distribute -> the backend it runs on
DISTRIBUTE_BACKENDS = {"mirrored": "tensorflow", "data-parallel": "jax"}


def _keras(args) -> None:
    """Import Keras quietly (graphspec/cli/runtime.py): an unusable backend is one line with the fix."""
    Runtime(getattr(args, "verbose", False)).import_keras()


def _prepare_distribution(args) -> None:
    """What a strategy needs before its backend starts: the backend itself, and for JAX on CPUs
    enough host devices (XLA reads its flags once, when JAX starts)."""
    name = getattr(args, "distribute", None)
    if name is None:
        return
    backend = os.environ.get("KERAS_BACKEND", "tensorflow") or "tensorflow"
    if DISTRIBUTE_BACKENDS[name] != backend:
        raise Usage(f"--distribute {name} runs on the {DISTRIBUTE_BACKENDS[name]} backend; "
                    f"this is {backend} (set KERAS_BACKEND={DISTRIBUTE_BACKENDS[name]})")
    if backend == "jax" and "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   f" --xla_force_host_platform_device_count={args.devices}").strip()


def _spec(args):
    from graphspec.cli.settings import settings

    plugins = Plugins.from_args(args)
    plugins.load_explicit()
    return load_ir(args, plugins, settings(args))


def _max_params(args):
    from graphspec.cli.settings import settings

    return settings(args).max_params


def _is_model_file(path: str) -> bool:
    return path.endswith(".keras")


def cmd_fit(args) -> int:
    """Train the spec's model on --data; save it with -o (atomically; --resume continues a run)."""
    if args.output is not None:
        if not args.output.endswith(".keras"):
            raise Usage(f"fit: the output must end in .keras; received {args.output!r}")
        check_target(args.output)
    if args.resume and args.output is None:
        raise Usage("fit: --resume continues the run that writes -o OUTPUT.keras: give the same -o")
    _prepare_distribution(args)
    _keras(args)
    spec, status = _spec(args)
    if spec is None:
        return status
    from graphspec.backends.keras_train import fit

    model, history = fit(spec, args.data, validation=args.validation, output=args.output, epochs=args.epochs,
                         batch_size=args.batch_size, weights=args.weights, resume=args.resume,
                         distribute=args.distribute, devices=args.devices,
                         max_params=_max_params(args))
    epochs = len(history.epoch)
    last = {k: v[-1] for k, v in history.history.items() if v}
    scores = ", ".join(f"{k} {v:.4g}" for k, v in last.items())
    what = f"model `{spec.root}`, {epochs} epoch{'s' if epochs != 1 else ''} run" + (f", {scores}" if scores else "")
    print(f"wrote {Path(args.output)} ({what})" if args.output else f"trained {what}; not saved (no -o)")
    return EXIT_OK


def _source(args):
    """A .keras file as is (safe mode), or the spec's model built with --weights."""
    if _is_model_file(args.file):
        if args.weights or args.set:
            raise Usage("--weights and --set apply to a spec; a .keras file has its own weights and values")
        return args.file, None
    spec, status = _spec(args)
    return spec, status


def cmd_evaluate(args) -> int:
    """Print the loss and metrics of a spec's model (with --weights) or a .keras model on --data."""
    _keras(args)
    source, status = _source(args)
    if source is None:
        return status
    from graphspec.backends.keras_train import evaluate

    # JSON is for tools: no progress bar in the same stream
    scores = evaluate(source, args.data, weights=args.weights, batch_size=args.batch_size, max_params=_max_params(args),
                      verbose=0 if args.format == "json" else "auto")
    if args.format == "json":
        print(json.dumps(scores, indent=2, sort_keys=True))
    else:
        for name, value in scores.items():
            print(f"{name}: {value:.6g}")
    return EXIT_OK


def cmd_predict(args) -> int:
    """Write the outputs of a model on --data's inputs to an .npz file keyed by output name."""
    if not args.output.endswith(".npz"):
        raise Usage(f"predict: the output must end in .npz; received {args.output!r}")
    check_target(args.output)
    _keras(args)
    source, status = _source(args)
    if source is None:
        return status
    from graphspec.backends.keras_train import predict, save_npz

    outputs = predict(source, args.data, weights=args.weights, batch_size=args.batch_size,
                      max_params=_max_params(args))
    with writing(args.output):
        save_npz(outputs, args.output)
    shapes = ", ".join(f"{name} {tuple(a.shape)}" for name, a in outputs.items())
    print(f"wrote {Path(args.output)} ({shapes})")
    return EXIT_OK


def _data_options(p, spec_options) -> None:
    p.add_argument("--data", required=True, metavar="DATA.npz",
                   help="arrays keyed by the model's input (and output) names")
    p.add_argument("--batch-size", type=positive_int, metavar="N", help="samples per step")
    p.add_argument("--weights", metavar="FILE.weights.h5|FILE.keras",
                   help="load these weights into the spec's model first (by layer name, else by structure)")
    add_runtime_options(p)
    spec_options(p)


def fit_args(p, spec_options) -> None:
    """The options of `graphspec fit`."""
    p.add_argument("file", metavar="SPEC", help="the spec (.gspec or .ir.json) whose model to train")
    _data_options(p, spec_options)
    p.add_argument("--validation", metavar="VAL.npz", help="validation arrays (replaces validation_split)")
    p.add_argument("-o", "--output", metavar="OUT.keras", help="save the trained model here (atomically)")
    p.add_argument("--epochs", type=positive_int, metavar="N", help="overrides the fit block's epochs")
    p.add_argument("--resume", action="store_true",
                   help="continue the interrupted run that writes -o OUT.keras from its last checkpoint")
    p.add_argument("--distribute", choices=tuple(DISTRIBUTE_BACKENDS),
                   help="train on several devices: mirrored (TensorFlow) or data-parallel (JAX)")
    p.add_argument("--devices", type=positive_int, default=2, metavar="N",
                   help="how many devices --distribute uses (CPUs are split into N logical devices)")


def evaluate_args(p, spec_options) -> None:
    """The options of `graphspec evaluate`."""
    p.add_argument("file", metavar="SPEC|MODEL.keras", help="a spec (its model built, --weights loaded) or a saved model")
    _data_options(p, spec_options)
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="one `name: value` line per score (default), or JSON")


def predict_args(p, spec_options) -> None:
    """The options of `graphspec predict`."""
    p.add_argument("file", metavar="SPEC|MODEL.keras", help="a spec (its model built, --weights loaded) or a saved model")
    _data_options(p, spec_options)
    p.add_argument("-o", "--output", required=True, metavar="OUT.npz", help="the outputs, keyed by output name")


