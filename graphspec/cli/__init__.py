"""The `graphspec` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import List, Optional

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _use_color(stream) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def _overrides(pairs: List[str]) -> dict:
    from graphspec.passes.check import parse_override

    return dict(parse_override(p) for p in pairs or [])


class _Usage(Exception):
    """A usage error: printed as one line, exit status 2."""


def _check_one(path: str, args, overrides: dict, require_root: bool):
    from graphspec.diagnostics.diagnostic import Diagnostics
    from graphspec.passes.check import check_path

    _load_plugins(getattr(args, "plugin", None) or [])

    def run():
        diags = Diagnostics()
        program, loader = check_path(Path(path), diags, model=getattr(args, "model", None), overrides=overrides,
                                     require_root=require_root)
        return program, diags, loader

    program, diags, loader = run()
    if any(d.code == "E220" for d in diags.items):
        # Plugins from [tool.graphspec] are imported only when a spec names a layer that is
        # not in the catalogue: they usually import Keras, which plain checks never pay for.
        from graphspec import config

        try:
            configured = config.plugins_for(Path(path))
        except (OSError, ValueError) as exc:
            raise _Usage(f"cannot read the [tool.graphspec] configuration: {exc}")
        if configured and _load_plugins(configured):
            program, diags, loader = run()
    return program, diags, loader


def _load_plugins(names) -> bool:
    """Import custom-layer plugins (trusted code); True if any was newly imported."""
    from graphspec import config

    new = False
    for name in names:
        try:
            new = config.load_plugin(name, base=Path.cwd()) or new
        except config.PluginError as exc:
            raise _Usage(str(exc))
    return new


def _is_io_error(diags, path: str) -> bool:
    """A file named on the command line could not be read at all (exit 2, not 1)."""
    return any(d.code == "E001" for d in diags.items)


def cmd_check(args) -> int:
    from graphspec.diagnostics.render import render_github, render_json, render_text

    overrides = _overrides(args.set)
    status = EXIT_OK
    all_diags = []
    sources = {}
    for path in args.files:
        _, diags, loader = _check_one(path, args, overrides, require_root=bool(args.model))
        sources.update(loader.sources)
        items = diags.sorted()
        all_diags.extend(items)
        if _is_io_error(diags, path):
            status = max(status, EXIT_USAGE)
        elif any(d.is_error for d in items):
            status = max(status, EXIT_PROBLEMS) if status != EXIT_USAGE else status
    if args.format == "json":
        print(render_json(all_diags))
    elif args.format == "github":
        text = render_github(all_diags)
        if text:
            print(text)
    else:
        color = _use_color(sys.stdout)
        if all_diags:
            print(render_text(all_diags, sources, color=color))
            print()
        errors = sum(d.is_error for d in all_diags)
        warnings = len(all_diags) - errors
        n = len(args.files)
        files = f"{n} file{'s' if n != 1 else ''}"
        if errors or warnings:
            print(f"Found {errors} error{'s' if errors != 1 else ''} and {warnings} "
                  f"warning{'s' if warnings != 1 else ''} in {files}.")
        else:
            print(f"All checks passed ({files}).")
    return status


def _load(args):
    """Load one spec for a command that needs its IR; print diagnostics on failure."""
    from graphspec.diagnostics.diagnostic import SpecError
    from graphspec.ir import from_program

    program, diags, loader = _check_one(args.file, args, _overrides(args.set), require_root=True)
    if program is None:
        err = SpecError(diags.sorted(), loader.sources)
        print(err.render(color=_use_color(sys.stderr)), file=sys.stderr)
        return None, (EXIT_USAGE if _is_io_error(diags, args.file) else EXIT_PROBLEMS)
    return from_program(program), EXIT_OK


def cmd_ir(args) -> int:
    if args.schema:
        from graphspec.ir import json_schema

        print(json.dumps(json_schema(), indent=2))
        return EXIT_OK
    if not args.file:
        raise _Usage("ir: give a FILE, or --schema")
    spec, status = _load(args)
    if spec is None:
        return status
    print(spec.to_json())
    return EXIT_OK


def cmd_explain(args) -> int:
    from graphspec.diagnostics.codes import CODES, explain, listing

    if args.list:  # one line per code: code, severity, title
        print(listing())
        return EXIT_OK
    if not args.code:
        raise _Usage("explain: give a CODE (e.g. E401), or --list")
    code = args.code.upper()
    if code not in CODES:
        from graphspec.suggest import did_you_mean

        hint = did_you_mean(code, CODES)
        raise _Usage(f"unknown code {args.code!r}" + (f"; {hint}" if hint else "; `graphspec explain --list` lists them"))
    print(explain(code))
    return EXIT_OK


def cmd_summary(args) -> int:
    spec, status = _load(args)
    if spec is None:
        return status
    from graphspec.backends.summary import render_summary_text, summarize

    summary = summarize(spec, spec.root)
    if args.format == "json":
        print(json.dumps(summary, indent=2))
    else:
        print(render_summary_text(summary))
    return EXIT_OK


def cmd_compile(args) -> int:
    out = Path(args.output)
    if out.suffix not in (".keras", ".py"):
        raise _Usage(f"compile: the output must end in .keras (a saved model) or .py (Python source); "
                     f"received {args.output!r}")
    spec, status = _load(args)
    if spec is None:
        return status
    if out.suffix == ".py":
        from graphspec.backends.python_codegen import generate

        tmp = out.with_name(f".{out.name}.tmp")
        try:
            tmp.write_text(generate(spec), encoding="utf-8")
            tmp.replace(out)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise _Usage(f"compile: cannot write {args.output!r}: {exc.strerror or exc}")
        print(f"wrote {out} (model `{spec.root}` as Keras Python code)")
        return EXIT_OK
    from graphspec.backends.keras_file import save_keras

    model = spec.to_keras()
    try:
        save_keras(model, out)  # atomic: on failure no file is left, an existing one is untouched
    except OSError as exc:
        raise _Usage(f"compile: cannot write {args.output!r}: {exc.strerror or exc}")
    trainable, non_trainable = spec.model.param_counts()
    print(f"wrote {out} (model `{spec.root}`, {trainable + non_trainable:,} parameters"
          f"{', compiled' if spec.model.compile else ''})")
    return EXIT_OK


def cmd_layers(args) -> int:
    from graphspec.catalog import listing
    from graphspec.catalog.signatures import canonical_layer_name

    if args.coverage:
        cov = listing.coverage()
        print(json.dumps(cov, indent=2) if args.format == "json" else listing.render_coverage(cov))
        return EXIT_OK
    layers = listing.catalogue()
    if args.names:
        wanted = []
        for name in args.names:
            canonical = canonical_layer_name(name)
            match = [l for l in layers if l["name"] == canonical]
            if not match:
                from graphspec.suggest import did_you_mean

                hint = did_you_mean(name, [l["name"] for l in layers])
                raise _Usage(f"no layer {name!r} in the catalogue" + (f"; {hint}" if hint else ""))
            wanted.extend(match)
        layers = wanted
    print(json.dumps(layers, indent=2) if args.format == "json" else listing.render_text(layers))
    return EXIT_OK


def cmd_plot(args) -> int:
    from graphspec.backends import plot

    out = Path(args.output)
    if out.suffix not in plot.FORMATS:
        raise _Usage(f"plot: the output must end in {', '.join(plot.FORMATS)}; received {args.output!r}")
    spec, status = _load(args)
    if spec is None:
        return status
    try:
        data = plot.picture(spec, out.suffix, spec.root, expand=args.expand)
    except plot.GraphvizMissing as exc:
        raise _Usage(str(exc))
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    print(f"wrote {out}")
    return EXIT_OK


def _diff(before: str, after: str, name: str) -> str:
    import difflib

    lines = []
    for line in difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                     fromfile=name, tofile=f"{name} (formatted)"):
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


def cmd_fmt(args) -> int:
    """Print specs in the canonical layout: rewrite files in place, or (--check) show the diff."""
    from graphspec.backends.formatter import FormatError, format_source
    from graphspec.diagnostics.diagnostic import Diagnostics
    from graphspec.diagnostics.render import render_text
    from graphspec.passes.modules import decode

    status = EXIT_OK
    for path in args.files:
        name = "<stdin>" if path == "-" else path
        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            print(f"graphspec: error: cannot read {path!r}: {exc.strerror or exc}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        diags = Diagnostics()
        source, ok = decode(name, data, diags)
        formatted = None
        if ok:
            try:
                formatted, diags = format_source(source)
            except FormatError as exc:
                print(f"graphspec: error: cannot format {name}: {exc}", file=sys.stderr)
                status = EXIT_USAGE
                continue
        if formatted is None:  # never rewritten: the diagnostics say why
            print(render_text(diags.sorted(), {name: source} if source is not None else {},
                              color=_use_color(sys.stderr)), file=sys.stderr)
            status = max(status, EXIT_PROBLEMS)
            continue
        changed = formatted.encode("utf-8") != data
        if args.check:
            if changed:
                sys.stdout.write(_diff(data.decode("utf-8", errors="replace"), formatted, name))
                print(f"would reformat {name}", file=sys.stderr)
                status = max(status, EXIT_PROBLEMS)
        elif path == "-":
            sys.stdout.write(formatted)
        elif changed:
            target = Path(path)
            tmp = target.with_name(f".{target.name}.fmt.tmp")
            try:
                tmp.write_bytes(formatted.encode("utf-8"))
                import shutil

                shutil.copymode(target, tmp)
                tmp.replace(target)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                print(f"graphspec: error: cannot write {path!r}: {exc.strerror or exc}", file=sys.stderr)
                status = EXIT_USAGE
                continue
            print(f"reformatted {name}")
    return status


def cmd_import(args) -> int:
    """A saved Keras model (.keras) as a spec: exit 1 when it cannot be loaded or written as one."""
    src = Path(args.file)
    if not src.is_file():
        print(f"graphspec: error: import: no such file {args.file!r}", file=sys.stderr)
        return EXIT_PROBLEMS
    import keras

    from graphspec.backends.keras_import import KerasImportError, from_keras

    import warnings

    try:
        with warnings.catch_warnings():  # e.g. "skipping variable loading for optimizer ..."
            warnings.simplefilter("ignore")
            model = keras.models.load_model(src)  # safe_mode: a saved Lambda is refused, never run
    except Exception as exc:  # noqa: BLE001 - whatever Keras says, as one line
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"graphspec: error: import: cannot load {args.file!r} as a Keras model: {message}", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        text = from_keras(model)
    except KerasImportError as exc:
        print(f"graphspec: error: import {args.file}: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except TypeError as exc:  # not a keras.Model
        print(f"graphspec: error: import: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    if args.output == "-":
        sys.stdout.write(text)
        return EXIT_OK
    out = Path(args.output)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        print(f"graphspec: error: import: cannot write {args.output!r}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"wrote {out} (model `{model.name}`, {model.count_params():,} parameters)")
    return EXIT_OK


def cmd_diff(args) -> int:
    """What changed between two specs' graphs: 0 same, 1 different, 2 trouble; also git's diff driver."""
    from graphspec.cli.gitdiff import run_command

    _load_plugins(getattr(args, "plugin", None) or [])

    def configured_plugins(path) -> bool:  # as _check_one: [tool.graphspec] plugins, on an unknown layer
        from graphspec import config

        try:  # never raises: under git, a failing diff driver would stop `git diff`
            return _load_plugins(config.plugins_for(Path(path)) or [])
        except (OSError, ValueError, _Usage) as exc:
            print(f"graphspec: warning: plugins of the [tool.graphspec] configuration: {exc}", file=sys.stderr)
            return False

    return run_command(args.files, model=args.model, overrides=_overrides(args.set), fmt_=args.format,
                       textconv=args.textconv, configured_plugins=configured_plugins)


class _OneCommand:
    """The subcommands' parsers as `_parser(only=...)` builds them: that command's alone."""

    def __init__(self, subparsers, only: str):
        self.subparsers = subparsers
        self.only = only
        self.found = False

    def add_parser(self, name, **kwargs):
        if name != self.only:
            return _NotBuilt()
        self.found = True
        return self.subparsers.add_parser(name, **kwargs)


class _NotBuilt:
    """A subcommand's parser that the command line does not use."""

    def add_argument(self, *args, **kwargs):
        pass

    def set_defaults(self, **kwargs):
        pass


def _parser(only: Optional[str] = None) -> argparse.ArgumentParser:
    """The command line's parser. With `only` (the first argument), if it names a command, only
    that command's parser is built: argparse consults no other once the command is named, and
    building them all costs every `graphspec check` (a pre-commit hook) milliseconds."""
    from graphspec import __version__

    p = argparse.ArgumentParser(prog="graphspec", description="Check and compile .gspec graph specs for Keras.")
    p.add_argument("--version", action="version", version=f"graphspec {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    if only is not None:
        sub = _OneCommand(sub, only)

    def spec_options(sp):
        sp.add_argument("--model", help="the model to build when the file defines several roots")
        sp.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a const (repeatable)")
        sp.add_argument("--plugin", action="append", metavar="FILE.py|MODULE",
                        help="import a Python module that registers custom layers (repeatable; trusted code)")

    c = sub.add_parser("check", help="parse, validate and shape-check specs (no TensorFlow needed)")
    c.add_argument("files", nargs="+", metavar="FILE")
    c.add_argument("--format", choices=("text", "json", "github"), default="text")
    spec_options(c)
    c.set_defaults(func=cmd_check)

    i = sub.add_parser("ir", help="print the checked intermediate representation as JSON")
    i.add_argument("file", nargs="?", metavar="FILE")
    i.add_argument("--schema", action="store_true", help="print the IR's JSON Schema instead")
    spec_options(i)
    i.set_defaults(func=cmd_ir)

    e = sub.add_parser("explain", help="explain a diagnostic code, e.g. `graphspec explain E401`")
    e.add_argument("code", nargs="?", metavar="CODE")
    e.add_argument("--list", action="store_true", help="list every code with its severity and title")
    e.set_defaults(func=cmd_explain)

    s = sub.add_parser("summary", help="layers, output shapes and parameter counts (no TensorFlow needed)")
    s.add_argument("file", metavar="FILE")
    s.add_argument("--format", choices=("text", "json"), default="text")
    spec_options(s)
    s.set_defaults(func=cmd_summary)

    ly = sub.add_parser("layers", help="list the layer catalogue: arguments, call convention, shape rule")
    ly.add_argument("names", nargs="*", metavar="NAME", help="show only these layers")
    ly.add_argument("--format", choices=("text", "json"), default="text")
    ly.add_argument("--coverage", action="store_true", help="how much of keras.layers is covered, and why not")
    ly.set_defaults(func=cmd_layers)

    pl = sub.add_parser("plot", help="draw the model: .mmd (Mermaid), .dot, or .svg/.png (needs Graphviz)")
    pl.add_argument("file", metavar="FILE")
    pl.add_argument("-o", "--output", required=True, metavar="OUT")
    pl.add_argument("--expand", action="store_true", help="draw the insides of blocks and nested models")
    spec_options(pl)
    pl.set_defaults(func=cmd_plot)

    k = sub.add_parser("compile", help="build the Keras model and save it (needs graphspec[keras])")
    k.add_argument("file", metavar="FILE")
    k.add_argument("-o", "--output", required=True, metavar="OUT.keras|OUT.py")
    spec_options(k)
    k.set_defaults(func=cmd_compile)

    f = sub.add_parser("fmt", help="rewrite specs in the canonical layout (comments kept); --check only reports")
    f.add_argument("files", nargs="+", metavar="FILE", help="spec files; `-` reads stdin and writes stdout")
    f.add_argument("--check", action="store_true",
                   help="change nothing: print a diff and exit 1 if a file is not formatted")
    f.set_defaults(func=cmd_fmt)

    d = sub.add_parser("diff", help="what changed between two specs' graphs (exit 1 if anything); a git diff driver")
    d.add_argument("files", nargs="*", metavar="FILE",
                   help="OLD NEW (either may be /dev/null), or the 7 arguments git passes to a diff driver")
    d.add_argument("--format", choices=("text", "json"), default="text")
    d.add_argument("--textconv", action="store_true",
                   help="print one spec as a canonical listing (for git's diff.<driver>.textconv)")
    spec_options(d)
    d.set_defaults(func=cmd_diff)

    im = sub.add_parser("import", help="write a saved Keras model (.keras) as a spec (needs graphspec[keras])")
    im.add_argument("file", metavar="MODEL.keras")
    im.add_argument("-o", "--output", required=True, metavar="OUT.gspec", help="`-` writes to stdout")
    im.set_defaults(func=cmd_import)
    if only is not None and not sub.found:  # not a command: argparse says so, listing them all
        return _parser()
    return p


def _tolerant_output() -> None:
    """A spec's strings may hold anything, a lone surrogate (`"\\ud800"`) too: print what the
    terminal's encoding cannot show as an escape rather than fail on it."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # pragma: no cover - a stream that cannot be reconfigured
                pass


def main(argv: Optional[List[str]] = None) -> int:
    """Run the CLI; return the exit status."""
    _tolerant_output()
    words = sys.argv[1:] if argv is None else argv
    parser = _parser(words[0] if words else None)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its message
        return EXIT_USAGE if exc.code not in (0, None) else EXIT_OK
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except _Usage as exc:
        print(f"graphspec: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:  # --set values
        print(f"graphspec: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ImportError as exc:
        if exc.name and exc.name.split(".")[0] in ("keras", "tensorflow"):
            print("graphspec: error: this command builds Keras models and needs Keras and TensorFlow: "
                  "pip install 'graphspec[keras]'", file=sys.stderr)
            return EXIT_USAGE
        raise
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
