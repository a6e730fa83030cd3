"""`graphspec diff`: the plain two-file form, git's external-diff driver and the textconv form.

The semantic comparison itself is graphspec/backends/diff.py; this module reads the files, speaks
git's calling conventions and picks the exit status (docs/diff.md). Under git (the driver's 7 or 9
arguments, an unmerged path, `--textconv`) no configured plugin is ever imported: git runs the
driver in whatever repository `git diff` is run in, a cloned pull request included.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from graphspec.backends.diff import SpecDiff, _paint, diff_specs, render_listing, render_text, to_json
from graphspec.cli.common import overrides as parse_overrides
from graphspec.cli.common import error_line, unified_diff, use_color
from graphspec.cli.io import reason
from graphspec.cli.plugins import Plugins
from graphspec.cli.specs import check_spec
from graphspec.text import safe_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Sequence

EXIT_SAME, EXIT_DIFFERENT, EXIT_TROUBLE = 0, 1, 2
DEV_NULL = "/dev/null"
GIT_ARGC = (7, 9)  # git's external diff: 7 arguments, 9 for a rename


def _text(path: str) -> str:
    """A file's text for the fallback text diff ('' for /dev/null or an unreadable file)."""
    from graphspec.source import read_limited

    if path == DEV_NULL:
        return ""
    try:
        return read_limited(path).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _text_diff(old_path: str, new_path: str, a: str, b: str) -> str:
    return unified_diff(_text(old_path), _text(new_path), a, b)


def _report(diff: SpecDiff, fmt_: str, color: bool) -> str:
    return to_json(diff) + "\n" if fmt_ == "json" else render_text(diff, color=color)


def _check(path: str, plugins: Plugins, model, overrides, text_as: Optional[str] = None):
    """(IR or None, diagnostics, sources) of one side."""
    from graphspec.api import from_program

    program, diags, loader = check_spec(path, plugins, model=model, overrides=overrides, require_root=True,
                                        text_as=text_as)
    return (from_program(program) if program is not None else None), diags, loader.sources


def _repository_path_of_blob(file: str) -> Optional[str]:
    """The one tracked file of the same name, for git's temporary copy of a blob; else None."""
    path = Path(file)
    if not path.parent.name.startswith("git-blob-"):
        return None
    import subprocess

    try:
        result = subprocess.run(["git", "ls-files", "-z", "--", path.name, f"*/{path.name}"],
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    names = sorted({n for n in result.stdout.split("\0") if n})
    return names[0] if result.returncode == 0 and len(names) == 1 else None


def _git_mode(argv: Sequence[str], plugins: Plugins, *, model, overrides, fmt_: str, out, err) -> int:
    """git's external diff: `path old-file old-hex old-mode new-file new-hex new-mode [new-path xfrm]`.

    Always exits 0: git stops `git diff` at the first external diff that fails.
    """
    from graphspec.diagnostics.render import render_text as render_diags

    path, old_file, _, _, new_file = argv[:5]
    new_path = argv[7] if len(argv) >= 8 else path
    a, b = f"a/{safe_text(path)}", f"b/{safe_text(new_path)}"  # as shown: a path may hold a newline
    color = use_color(out, under_git=True)
    if fmt_ == "text":
        out.write(_paint(f"graphspec diff {a} {b}", "meta", color) + "\n")
    if not (path.endswith(".gspec") or new_path.endswith(".gspec")):
        out.write(_text_diff(old_file, new_file, a, b))
        return EXIT_SAME
    specs = []
    failed = []
    for side, file, name in (("old", old_file, path), ("new", new_file, new_path)):
        if file == DEV_NULL:
            specs.append(None)
            continue
        # git hands over a temporary copy: check its text as if it were at the repository path, so that
        # its imports resolve against the working tree (the imported files as they are now).
        spec, diags, sources = _check(file, plugins, model, overrides, text_as=name)
        if spec is None:
            failed.append((side, name, diags, sources))
        specs.append(spec)
    if failed:
        for side, name, diags, sources in failed:
            err.write(f"graphspec diff: the {side} version of {safe_text(name)} does not check:\n")
            err.write(render_diags(diags, sources, color=use_color(err, under_git=True)) + "\n")
        out.write("(graphspec cannot compare the graphs, see the diagnostics; the text diff follows)\n")
        out.write(_text_diff(old_file, new_file, a, b))
        return EXIT_SAME
    try:
        diff = diff_specs(specs[0], specs[1], model=model, old_file=a, new_file=b)
    except ValueError as exc:
        err.write(f"graphspec diff: {exc}\n")
        out.write(_text_diff(old_file, new_file, a, b))
        return EXIT_SAME
    out.write(_report(diff, fmt_, color))
    return EXIT_SAME


def _textconv(file: str, plugins: Plugins, *, model, overrides, out, err) -> int:
    """One spec as a canonical listing, for git's diff.<driver>.textconv; never fails on a bad spec."""
    from graphspec.cli.io import read_spec_bytes
    from graphspec.diagnostics.render import render_text as render_diags

    # git hands textconv an old version as /tmp/git-blob-XXXXXX/NAME: check it as if it were at its
    # path in the repository, so that its imports resolve (against the working tree).
    spec, diags, sources = _check(file, plugins, model, overrides, text_as=_repository_path_of_blob(file))
    if spec is not None:
        out.write(render_listing(spec, model=model))
        return EXIT_SAME
    try:  # textconv must not fail, or git stops: the raw text instead
        raw = read_spec_bytes(file).decode("utf-8", errors="replace")
    except OSError as exc:
        err.write(f"graphspec: error: cannot read {file!r}: {reason(exc)}\n")
        return EXIT_TROUBLE
    err.write(render_diags(diags, sources, color=False) + "\n")
    out.write("# graphspec: this version does not check; its text follows\n" + raw)
    return EXIT_SAME


def under_git(files: Sequence[str], textconv: bool) -> bool:
    """Whether git runs this `graphspec diff` (driver, unmerged path or textconv)."""
    return textconv or len(files) in GIT_ARGC or (len(files) == 1 and "GIT_DIFF_PATH_TOTAL" in os.environ)


def run_command(files: Sequence[str], plugins: Plugins, *, model: Optional[str] = None,
                overrides: Optional[dict] = None, fmt_: str = "text", textconv: bool = False,
                color: Optional[bool] = None, out=None, err=None) -> int:
    """`graphspec diff`: 0 when the graphs are the same, 1 when they differ, 2 on a usage, IO or spec error.

    Forms: `OLD NEW` (either may be /dev/null); git's external-diff form of 7 (or, for a rename,
    9) arguments, which always exits 0; `--textconv FILE`; and the single `PATH` that git passes
    for an unmerged path.
    """
    from graphspec.diagnostics.render import render_text as render_diags

    out = out or sys.stdout
    err = err or sys.stderr
    overrides = overrides or {}
    if textconv:
        if len(files) != 1:
            err.write("graphspec: error: diff --textconv takes one FILE\n")
            return EXIT_TROUBLE
        return _textconv(files[0], plugins, model=model, overrides=overrides, out=out, err=err)
    if len(files) in GIT_ARGC:
        return _git_mode(files, plugins, model=model, overrides=overrides, fmt_=fmt_, out=out, err=err)
    if len(files) == 1 and "GIT_DIFF_PATH_TOTAL" in os.environ:  # git: an unmerged path
        out.write(f"* Unmerged path {files[0]}\n")
        return EXIT_SAME
    if len(files) != 2:
        err.write(f"graphspec: error: diff takes OLD NEW (or git's 7 arguments); received {len(files)} "
                  f"argument{'s' if len(files) != 1 else ''}\n")
        return EXIT_TROUBLE
    specs = []
    trouble = False
    for path in files:
        if path == DEV_NULL:
            specs.append(None)
            continue
        spec, diags, sources = _check(path, plugins, model, overrides)
        if spec is None:
            err.write(render_diags(diags, sources, color=use_color(err) if color is None else color) + "\n")
            trouble = True
        specs.append(spec)
    if trouble:
        return EXIT_TROUBLE
    try:
        diff = diff_specs(specs[0], specs[1], model=model, old_file=files[0], new_file=files[1])
    except ValueError as exc:
        err.write(error_line(exc) + "\n")
        return EXIT_TROUBLE
    out.write(_report(diff, fmt_, use_color(out) if color is None else color))
    return EXIT_DIFFERENT if diff.changed else EXIT_SAME


def cmd_diff(args) -> int:
    """What changed between two specs' graphs: 0 same, 1 different, 2 trouble; also git's diff driver."""
    plugins = Plugins.from_args(args, under_git=under_git(args.files, args.textconv))
    plugins.load_explicit()
    return run_command(args.files, plugins, model=args.model, overrides=parse_overrides(args.set),
                       fmt_=args.format, textconv=args.textconv)
