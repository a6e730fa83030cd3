"""`graphspec diff`: the plain two-file form, git's external-diff driver and the textconv form.

The semantic comparison itself is graphspec/backends/diff.py; this module reads the files,
speaks git's calling conventions and picks the exit status (docs/diff.md).
"""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from graphspec.backends.diff import SpecDiff, _paint, diff_specs, render_listing, render_text, to_json
# --------------------------------------------------------------------------- the command

EXIT_SAME, EXIT_DIFFERENT, EXIT_TROUBLE = 0, 1, 2
DEV_NULL = "/dev/null"


def _color(stream, under_git: bool = False) -> bool:
    """The CLI's rule (NO_COLOR wins, then FORCE_COLOR, then a terminal); under git, also when git's
    pager is in use, since git pipes an external diff's output into it."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR") or (under_git and os.environ.get("GIT_PAGER_IN_USE") in ("true", "1")):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


# Set by the CLI: called with a spec's path when it names a layer the catalogue does not know (E220);
# imports the plugins configured for it ([tool.graphspec]) and returns True if that made new layers known.
_configured_plugins = None


def _load(path: str, *, model, overrides, text_as: Optional[str] = None):
    """(spec or None, diagnostics, sources, io_error). `text_as`: read `path`, check it as if it were there."""
    from graphspec.diagnostics.diagnostic import Diagnostics
    from graphspec.ir import from_program
    from graphspec.passes.check import check_path, check_text

    def run():
        diags = Diagnostics()
        if text_as is None:
            program, loader = check_path(Path(path), diags, model=model, overrides=overrides, require_root=True)
        else:
            data = Path(path).read_bytes()
            text = data.decode("utf-8", errors="surrogateescape")
            program, loader = check_text(text, diags, name=text_as, base=Path.cwd(), model=model,
                                         overrides=overrides, require_root=True)
        return program, loader, diags

    try:
        program, loader, diags = run()
    except OSError as exc:
        diags = Diagnostics()
        diags.error("E001", f"cannot read `{path}`: {exc.strerror or exc}", None)
        return None, diags.sorted(), {}, True
    if _configured_plugins is not None and any(d.code == "E220" for d in diags.items) \
            and _configured_plugins(text_as or path):
        program, loader, diags = run()
    items = diags.sorted()
    io_error = any(d.code == "E001" and (d.span is None or d.span.file == path) for d in items)
    return (from_program(program) if program is not None else None), items, loader.sources, io_error


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


def _text_diff(old_path: str, new_path: str, a: str, b: str) -> str:
    def lines(p):
        if p == DEV_NULL:
            return []
        try:
            return Path(p).read_bytes().decode("utf-8", errors="replace").splitlines(True)
        except OSError:
            return []

    out = []
    for line in difflib.unified_diff(lines(old_path), lines(new_path), fromfile=a, tofile=b):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _report(diff: SpecDiff, fmt_: str, color: bool) -> str:
    if fmt_ == "json":
        return to_json(diff) + "\n"
    return render_text(diff, color=color)


def _git_mode(argv: Sequence[str], *, model, overrides, fmt_: str, out, err) -> int:
    """git's external diff: `path old-file old-hex old-mode new-file new-hex new-mode [new-path xfrm]`.

    Always exits 0: git stops `git diff` at the first external diff that fails.
    """
    from graphspec.diagnostics.render import render_text as render_diags

    path, old_file, _, _, new_file = argv[:5]
    new_path = argv[7] if len(argv) >= 8 else path
    color = _color(out, under_git=True)
    header = f"graphspec diff a/{path} b/{new_path}"
    out.write((_paint(header, "meta", color) if fmt_ == "text" else "") + ("\n" if fmt_ == "text" else ""))
    if not (path.endswith(".gspec") or new_path.endswith(".gspec")):
        out.write(_text_diff(old_file, new_file, f"a/{path}", f"b/{new_path}"))
        return EXIT_SAME
    specs = []
    failed = []
    for side, file, name in (("old", old_file, path), ("new", new_file, new_path)):
        if file == DEV_NULL:
            specs.append(None)
            continue
        # git hands over a temporary copy: check its text as if it were at the repository path, so that
        # its imports resolve against the working tree (the imported files as they are now).
        spec, diags, sources, _ = _load(file, model=model, overrides=overrides, text_as=name)
        if spec is None:
            failed.append((side, name, diags, sources))
        specs.append(spec)
    if failed:
        for side, name, diags, sources in failed:
            err.write(f"graphspec diff: the {side} version of {name} does not check:\n")
            err.write(render_diags(diags, sources, color=_color(err, under_git=True)) + "\n")
        out.write("(graphspec cannot compare the graphs, see the diagnostics; the text diff follows)\n")
        out.write(_text_diff(old_file, new_file, f"a/{path}", f"b/{new_path}"))
        return EXIT_SAME
    try:
        diff = diff_specs(specs[0], specs[1], model=model, old_file=f"a/{path}", new_file=f"b/{new_path}")
    except ValueError as exc:
        err.write(f"graphspec diff: {exc}\n")
        out.write(_text_diff(old_file, new_file, f"a/{path}", f"b/{new_path}"))
        return EXIT_SAME
    out.write(_report(diff, fmt_, color))
    return EXIT_SAME


def run_command(files: Sequence[str], *, model: Optional[str] = None, overrides: Optional[dict] = None,
                fmt_: str = "text", textconv: bool = False, color: Optional[bool] = None,
                out=None, err=None, configured_plugins=None) -> int:
    """`graphspec diff`: 0 when the graphs are the same, 1 when they differ, 2 on a usage, IO or spec error.

    Forms: `OLD NEW` (either may be /dev/null); git's external-diff form of 7 (or,
    for a rename, 9) arguments, which always exits 0; `--textconv FILE`; and the
    single `PATH` that git passes for an unmerged path. `configured_plugins(path) -> bool`
    imports the custom-layer plugins configured for a spec that names an unknown layer.
    """
    from graphspec.diagnostics.render import render_text as render_diags

    global _configured_plugins
    _configured_plugins = configured_plugins
    out = out or sys.stdout
    err = err or sys.stderr
    overrides = overrides or {}
    if textconv:
        if len(files) != 1:
            err.write("graphspec: error: diff --textconv takes one FILE\n")
            return EXIT_TROUBLE
        # git hands textconv an old version as /tmp/git-blob-XXXXXX/NAME: check it as if it were at its
        # path in the repository, so that its imports resolve (against the working tree).
        spec, diags, sources, _ = _load(files[0], model=model, overrides=overrides,
                                        text_as=_repository_path_of_blob(files[0]))
        if spec is None:  # textconv must not fail, or git stops: the raw text instead
            try:
                raw = Path(files[0]).read_bytes().decode("utf-8", errors="replace")
            except OSError as exc:
                err.write(f"graphspec: error: cannot read {files[0]!r}: {exc.strerror or exc}\n")
                return EXIT_TROUBLE
            err.write(render_diags(diags, sources, color=False) + "\n")
            out.write("# graphspec: this version does not check; its text follows\n" + raw)
            return EXIT_SAME
        out.write(render_listing(spec, model=model))
        return EXIT_SAME
    if len(files) in (7, 9):
        return _git_mode(files, model=model, overrides=overrides, fmt_=fmt_, out=out, err=err)
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
        spec, diags, sources, _ = _load(path, model=model, overrides=overrides)
        if spec is None:
            err.write(render_diags(diags, sources, color=_color(err) if color is None else color) + "\n")
            trouble = True
        specs.append(spec)
    if trouble:
        return EXIT_TROUBLE
    try:
        diff = diff_specs(specs[0], specs[1], model=model, old_file=files[0], new_file=files[1])
    except ValueError as exc:
        err.write(f"graphspec: error: {exc}\n")
        return EXIT_TROUBLE
    out.write(_report(diff, fmt_, _color(out) if color is None else color))
    return EXIT_DIFFERENT if diff.changed else EXIT_SAME
