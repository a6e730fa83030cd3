"""Checking the spec a command names: the plugins' E220 retry, diagnostics, the IR."""

from __future__ import annotations

import os
import sys

from graphspec.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, use_color
from graphspec.cli.plugins import Plugins
from graphspec.cli.settings import Settings
from graphspec.diagnostics import codes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional


def check_spec(path: str, plugins: Plugins, *, model: Optional[str] = None, overrides: Optional[dict] = None,
               require_root: bool = False, text_as: Optional[str] = None, settings: Optional[Settings] = None,
               release: bool = False):
    """Check one spec: (program or None, sorted diagnostics, loader).

    `release`: let go of the models' statements as they are checked (passes/check.py `run`), for a
    caller that keeps only the diagnostics and the sources.

    `settings`: the warnings silenced and the parameter limit (cli/settings.py).

    `text_as`: read `path` (a copy, e.g. git's temporary blob) and check its text as if it were the
    file `text_as`, so that its imports resolve from there."""
    from graphspec.diagnostics.diagnostic import Diagnostics
    from graphspec.passes.check import check_path, check_text

    chosen = settings or Settings()
    options = dict(model=model, overrides=overrides or {}, require_root=require_root, ignore=chosen.ignore,
                   max_params=chosen.max_params, release=release)

    def run():
        diags = Diagnostics()
        if text_as is None:
            program, loader = check_path(path, diags, **options)
            return program, diags, loader
        from graphspec.cli.io import read_spec_bytes, reason
        from graphspec.passes.modules import Loader

        try:
            data = read_spec_bytes(path)
        except OSError as exc:
            diags.error(codes.E001, f"cannot read `{path}`: {reason(exc)}", None)
            return None, diags, Loader(diags)
        text = data.decode("utf-8", errors="surrogateescape")
        program, loader = check_text(text, diags, name=text_as, base=os.getcwd(), **options)
        return program, diags, loader

    program, diags, loader = plugins.retry_on_unknown_layer(run, lambda result: result[1].items)
    return program, diags.sorted(), loader


def is_io_error(diags) -> bool:
    """A file named on the command line could not be read at all (exit 2, not 1)."""
    return any(d.code == codes.E001 for d in diags)


def load_ir(args, plugins: Plugins, settings: Optional[Settings] = None):
    """The Spec of `args.file` for a command that needs one: (spec, EXIT_OK), or (None, status) with
    the diagnostics printed. A `.ir.json` file is read as IR JSON (docs/ir.md), validated and checked."""
    from graphspec.api import IR_SUFFIX, from_program
    from graphspec.cli.common import overrides
    from graphspec.diagnostics.diagnostic import SpecError

    if args.file.endswith(IR_SUFFIX):
        from graphspec.api import load_ir as read_ir
        from graphspec.ir import IRError

        try:
            return read_ir(args.file, model=getattr(args, "model", None),
                           set=dict(p.partition("=")[::2] for p in args.set or [])), EXIT_OK
        except IRError as exc:
            print(exc.render(color=use_color(sys.stderr)), file=sys.stderr)
            return None, (EXIT_USAGE if exc.io_error else EXIT_PROBLEMS)
    program, diags, loader = check_spec(args.file, plugins, model=getattr(args, "model", None),
                                        overrides=overrides(args.set), require_root=True, settings=settings)
    if program is None:
        print(SpecError(diags, loader.sources).render(color=use_color(sys.stderr)), file=sys.stderr)
        return None, (EXIT_USAGE if is_io_error(diags) else EXIT_PROBLEMS)
    return from_program(program), EXIT_OK
