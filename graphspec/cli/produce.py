"""The commands that write a file with `-o`: compile, plot, import. Every write is atomic
(graphspec/cli/io.py), every failure one `cannot write` line with exit status 2."""

from __future__ import annotations

import sys
from pathlib import Path

from graphspec.cli.common import EXIT_OK, EXIT_PROBLEMS, Usage
from graphspec.cli.io import STDIO, check_target, write_output, writing
from graphspec.cli.plugins import Plugins
from graphspec.cli.runtime import Runtime
from graphspec.cli.settings import Settings, settings
from graphspec.cli.specs import load_ir


def _spec(args, chosen: Settings):
    plugins = Plugins.from_args(args)
    plugins.load_explicit()
    return load_ir(args, plugins, chosen)


def _write_python(spec, out: str, args, chosen: Settings) -> str:
    from graphspec.backends.python_codegen import generate

    if getattr(args, "weights", None):
        raise Usage("compile: --weights loads weights into a built model: write a .keras file, not .py")

    try:
        source = generate(spec)
    except ValueError as exc:  # a value the generator cannot spell as Python
        from graphspec.text import safe_text

        raise Usage(f"compile: cannot write model `{safe_text(spec.root)}` as Python: "
                    f"{safe_text(' '.join(str(exc).split()))}") from None
    write_output(out, source)
    return f"model `{spec.root}` as Keras Python code"


def _write_keras(spec, out: str, args, chosen: Settings) -> str:
    runtime = Runtime(getattr(args, "verbose", False))
    runtime.import_keras()  # quietly, before the builder imports it
    from graphspec.backends.keras_builder import build
    from graphspec.backends.keras_file import save_keras

    with runtime.step(f"building model `{spec.root}`"):
        model = build(spec, spec.root, max_params=chosen.max_params)
    if getattr(args, "weights", None):  # every shape checked before any is loaded (keras_weights)
        from graphspec.backends.keras_weights import load_weights

        with runtime.step(f"loading {Path(args.weights).name}"):
            load_weights(model, args.weights)
    with writing(out), runtime.step(f"saving {Path(out).name}"):
        save_keras(model, out)
    trainable, non_trainable = spec.model.param_counts()
    return (f"model `{spec.root}`, {trainable + non_trainable:,} parameters"
            f"{', compiled' if spec.model.compile else ''}")


_COMPILE_WRITERS = {".py": _write_python, ".keras": _write_keras}


def cmd_compile(args) -> int:
    """Build the root model and write it as a .keras file or as Python source."""
    writer = _COMPILE_WRITERS.get(Path(args.output).suffix)
    if writer is None:
        raise Usage(f"compile: the output must end in .keras (a saved model) or .py (Python source); "
                    f"received {args.output!r}")
    check_target(args.output)
    chosen = settings(args)
    spec, status = _spec(args, chosen)
    if spec is None:
        return status
    what = writer(spec, args.output, args, chosen)
    print(f"wrote {Path(args.output)} ({what})")
    return EXIT_OK


def cmd_plot(args) -> int:
    """Draw the root model as Mermaid, Graphviz dot, SVG or PNG."""
    from graphspec.backends import plot

    suffix = Path(args.output).suffix
    if suffix not in plot.FORMATS:
        raise Usage(f"plot: the output must end in {', '.join(plot.FORMATS)}; received {args.output!r}")
    if args.engine == "graphviz" and suffix not in (".svg", ".png"):
        raise Usage(f"plot: --engine graphviz draws .svg and .png; {suffix} is text and needs no engine")
    check_target(args.output)
    spec, status = _spec(args, settings(args))
    if spec is None:
        return status
    try:
        data = plot.picture(spec, suffix, spec.root, expand=args.expand, engine=args.engine,
                            direction=args.direction, show_dtype=args.show_dtype, show_params=args.show_params)
    except plot.PictureError as exc:
        raise Usage(str(exc))
    write_output(args.output, data)
    print(f"wrote {Path(args.output)}")
    return EXIT_OK


def cmd_import(args) -> int:
    """A saved Keras model (.keras) as a spec: exit 1 when it cannot be loaded or written as one."""
    src = Path(args.file)
    if not src.is_file():
        print(f"graphspec: error: import: no such file {args.file!r}", file=sys.stderr)
        return EXIT_PROBLEMS
    if args.output != STDIO:
        check_target(args.output)
    import warnings

    runtime = Runtime(getattr(args, "verbose", False))
    runtime.import_keras()  # quietly, before keras_import imports it
    from graphspec.backends.keras_import import KerasFileError, KerasImportError, from_keras, load_keras_file

    try:
        with warnings.catch_warnings(), runtime.step(f"reading {src.name}"):
            # e.g. "skipping variable loading for optimizer ..."
            warnings.simplefilter("ignore")
            # From config.json alone, within limits, code-running classes refused by name before
            # anything is deserialized (safe mode); no weight is read.
            model = load_keras_file(src)
    except KerasImportError as exc:
        print(f"graphspec: error: import {args.file}: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except KerasFileError as exc:
        print(f"graphspec: error: import: cannot load {args.file!r} as a Keras model: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except Exception as exc:  # noqa: BLE001 - whatever Keras says, as one line
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"graphspec: error: import: cannot load {args.file!r} as a Keras model: {message}", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        text = from_keras(model, keep_names=getattr(args, "keep_names", True))
    except KerasImportError as exc:
        print(f"graphspec: error: import {args.file}: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except TypeError as exc:  # not a keras.Model
        print(f"graphspec: error: import: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    if args.output == STDIO:
        sys.stdout.write(text)
        return EXIT_OK
    write_output(args.output, text)
    print(f"wrote {Path(args.output)} (model `{model.name}`, {model.count_params():,} parameters)")
    return EXIT_OK
