"""The commands that read specs and print what they find: check, ir, summary, explain, layers."""

from __future__ import annotations

import json
import sys

from graphspec.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, Usage, overrides, use_color
from graphspec.cli.plugins import Plugins
from graphspec.cli.settings import settings
from graphspec.cli.specs import is_io_error, load_ir


def _plugins(args) -> Plugins:
    plugins = Plugins.from_args(args)
    plugins.load_explicit()
    return plugins


def cmd_check(args) -> int:
    """Check every file (a folder: every spec below it); 0 clean, 1 problems, 2 a file could not be read."""
    from graphspec.cli.batch import check_files
    from graphspec.cli.walk import spec_files

    plugins = _plugins(args)
    files = spec_files(args.files)
    results = check_files(files, plugins, model=args.model, overrides=overrides(args.set),
                          require_root=bool(args.model), settings=settings(args), jobs=args.jobs)
    status = EXIT_OK
    all_diags = []
    sources = {}
    for items, found in results:
        sources.update(found)
        all_diags.extend(items)
        if is_io_error(items):
            status = EXIT_USAGE
        elif any(d.is_error for d in items) and status != EXIT_USAGE:
            status = EXIT_PROBLEMS
    if args.format == "json":
        from graphspec.diagnostics.render import render_json

        print(render_json(all_diags))
    elif args.format == "github":
        from graphspec.diagnostics.render import render_github

        text = render_github(all_diags)
        if text:
            print(text)
    else:
        if all_diags:  # a clean run imports no renderer
            from graphspec.diagnostics.render import render_text

            print(render_text(all_diags, sources, color=use_color(sys.stdout)))
            print()
        errors = sum(d.is_error for d in all_diags)
        warnings = len(all_diags) - errors
        n = len(files)
        counted = f"{n} file{'s' if n != 1 else ''}"
        if errors or warnings:
            print(f"Found {errors} error{'s' if errors != 1 else ''} and {warnings} "
                  f"warning{'s' if warnings != 1 else ''} in {counted}.")
        else:
            print(f"All checks passed ({counted}).")
    return status


def cmd_ir(args) -> int:
    """Print the checked IR as JSON (or its schema)."""
    if args.schema:
        from graphspec.ir import json_schema

        print(json.dumps(json_schema(), indent=2))
        return EXIT_OK
    if not args.file:
        raise Usage("ir: give a FILE, or --schema")
    spec, status = load_ir(args, _plugins(args), settings(args))
    if spec is None:
        return status
    print(spec.to_json())
    return EXIT_OK


def cmd_summary(args) -> int:
    """Layers, output shapes and parameter counts of the root model."""
    spec, status = load_ir(args, _plugins(args), settings(args))
    if spec is None:
        return status
    from graphspec.backends.summary import render_summary_text, summarize

    summary = summarize(spec, spec.root)
    print(json.dumps(summary, indent=2) if args.format == "json" else render_summary_text(summary))
    return EXIT_OK


def cmd_explain(args) -> int:
    """Explain one diagnostic code, or list them all."""
    from graphspec.diagnostics.codes import CODES, explain, listing

    if args.list:  # one line per code: code, severity, title
        print(listing())
        return EXIT_OK
    if not args.code:
        raise Usage("explain: give a CODE (e.g. E401), or --list")
    code = args.code.upper()
    if code not in CODES:
        from graphspec.suggest import did_you_mean

        hint = did_you_mean(code, CODES)
        raise Usage(f"unknown code {args.code!r}" + (f"; {hint}" if hint else "; `graphspec explain --list` lists them"))
    print(explain(code))
    return EXIT_OK


_NOT_KERAS_OPS = frozenset({"getitem"})


def _installed_keras_differences(listing) -> dict:
    """When the installed Keras is not the catalogue's version: its layer signatures and the catalogue's
    ops it lacks (Keras is imported, quietly, only then); {} when they agree or Keras cannot start."""
    from graphspec.catalog.signatures import keras_version

    installed = listing.installed_keras_version()
    if installed is None or installed == keras_version():
        return {}
    from graphspec.cli.runtime import Runtime

    try:
        Runtime().import_keras()
    except Usage:  # no usable backend: the report says how to list the differences instead
        return {}
    from graphspec.backends import keras_capture
    from graphspec.catalog import ops

    # getitem is a subscript the builder applies itself, never a keras.ops call
    by_function = {ops.get(name).keras: name for name in ops.names() if name not in _NOT_KERAS_OPS}
    lacking = keras_capture.missing_ops(by_function)
    return {"installed": installed, "live": keras_capture.live_catalogue(),
            "missing_ops": sorted(by_function[f] for f in lacking)}


def cmd_layers(args) -> int:
    """The layer catalogue (or how much of keras.layers it covers)."""
    from graphspec.catalog import listing
    from graphspec.catalog.signatures import canonical_layer_name

    if args.coverage:
        cov = listing.coverage(**_installed_keras_differences(listing))
        print(json.dumps(cov, indent=2) if args.format == "json" else listing.render_coverage(cov))
        return EXIT_OK
    layers = listing.catalogue()
    if args.names:
        wanted = []
        for name in args.names:
            canonical = canonical_layer_name(name)
            match = [entry for entry in layers if entry["name"] == canonical]
            if not match:
                from graphspec.suggest import did_you_mean

                hint = did_you_mean(name, [entry["name"] for entry in layers])
                raise Usage(f"no layer {name!r} in the catalogue" + (f"; {hint}" if hint else ""))
            wanted.extend(match)
        layers = wanted
    print(json.dumps(layers, indent=2) if args.format == "json" else listing.render_text(layers))
    return EXIT_OK
