"""`graphspec fmt`: specs in the canonical layout, rewritten in place or (--check) shown as a diff."""

from __future__ import annotations

import sys

from graphspec.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, Usage, error_line, unified_diff, use_color
from graphspec.cli.io import STDIO, read_spec_bytes, reason, write_output
from graphspec.text import safe_text


def _format_one(path: str, check: bool) -> int:
    from graphspec.syntax.format import FormatError, format_source
    from graphspec.diagnostics.diagnostic import Diagnostics
    from graphspec.diagnostics.render import render_text
    from graphspec.passes.modules import decode

    name = "<stdin>" if path == STDIO else path
    try:
        data = read_spec_bytes(path)
    except OSError as exc:
        print(f"graphspec: error: cannot read {path!r}: {reason(exc)}", file=sys.stderr)
        return EXIT_USAGE
    diags = Diagnostics()
    source, ok = decode(name, data, diags)
    formatted = None
    if ok:
        try:
            formatted, diags = format_source(source)
        except FormatError as exc:
            print(f"graphspec: error: cannot format {name}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    if formatted is None:  # never rewritten: the diagnostics say why
        print(render_text(diags.sorted(), {name: source} if source is not None else {},
                          color=use_color(sys.stderr)), file=sys.stderr)
        return EXIT_PROBLEMS
    new = formatted.encode("utf-8", errors="surrogatepass")
    if check:
        if new == data:
            return EXIT_OK
        shown = safe_text(name)  # a file name may hold a newline or a bidi override: never raw
        sys.stdout.write(unified_diff(data.decode("utf-8", errors="replace"), formatted, shown,
                                      f"{shown} (formatted)"))
        print(f"would reformat {shown}", file=sys.stderr)
        return EXIT_PROBLEMS
    if path == STDIO:
        sys.stdout.write(formatted)
    elif new != data:
        try:
            write_output(path, formatted)  # atomic; keeps the file's mode
        except Usage as exc:
            print(error_line(exc), file=sys.stderr)
            return EXIT_USAGE
        print(f"reformatted {safe_text(name)}")
    return EXIT_OK


def cmd_fmt(args) -> int:
    """Format every file; the worst status wins (2 unreadable, 1 problems or --check differences)."""
    status = EXIT_OK
    for path in args.files:
        status = max(status, _format_one(path, args.check))
    return status
