"""The `graphspec` command line: one table of commands, each a handler in a module of its own.

`COMMANDS` maps a subcommand to its handler (imported only when that command runs), its one-line
help, its description and an example; `_ARGUMENTS` to the options it takes. The shared helpers are
in common.py (exit statuses, colour, unified diff), io.py (reading specs, atomic writes),
plugins.py (which plugin code may run) and specs.py (checking a spec with the plugins' retry).
"""

from __future__ import annotations

import _signal  # `signal` less its enum wrappers, which cost every `graphspec check` half a millisecond
import argparse
import os
import sys

from graphspec.cli.common import EXIT_OK, EXIT_USAGE, Usage, error_line
from graphspec.cli.settings import positive_int
from graphspec.limits import MAX_PARAMS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, List, Optional

__all__ = ["main", "COMMANDS"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Command:
    """One subcommand: `handler` is "module:function" under graphspec.cli, imported when it runs.
    (A plain class: a dataclass costs every `graphspec check` most of a millisecond to make.)"""

    __slots__ = ("handler", "help", "description", "example")

    def __init__(self, handler: str, help: str, description: str, example: str):
        self.handler, self.help, self.description, self.example = handler, help, description, example

    def run(self, args) -> int:
        """Import the handler's module and call it."""
        module, function = self.handler.split(":")
        name = f"graphspec.cli.{module}"
        __import__(name)  # importlib.import_module without importing importlib (a quarter of a millisecond)
        return getattr(sys.modules[name], function)(args)


COMMANDS: Dict[str, Command] = {
    "check": Command("report:cmd_check", "parse, validate and shape-check specs (no TensorFlow needed)",
                     "Check specs without building anything: syntax, names, arguments, shapes and settings. "
                     "A folder stands for every *.gspec below it (hidden folders and plain .gitignore "
                     "patterns skipped); many files are checked on every core. Warnings are silenced by "
                     "`# gspec: ignore[W104]` on their line or the line above, or `ignore = [\"W104\"]` in "
                     "[tool.graphspec]. Exit 0 clean, 1 if any spec has an error, 2 if a file cannot be read.",
                     "graphspec check specs/ --format github"),
    "ir": Command("report:cmd_ir", "print the checked intermediate representation as JSON",
                  "Print a spec's checked intermediate representation (docs/ir.md) as JSON, or with --schema "
                  "the IR's JSON Schema.",
                  "graphspec ir model.gspec > model.ir.json"),
    "explain": Command("report:cmd_explain", "explain a diagnostic code, e.g. `graphspec explain E401`",
                       "What a diagnostic code means, an example that triggers it and the fix.",
                       "graphspec explain E401"),
    "summary": Command("report:cmd_summary", "layers, output shapes and parameter counts (no TensorFlow needed)",
                       "The root model's layers, output shapes and parameter counts, as Keras's "
                       "model.summary() prints them, computed statically.",
                       "graphspec summary model.gspec --format json"),
    "layers": Command("report:cmd_layers", "list the layer catalogue: arguments, call convention, shape rule",
                      "The layers a spec may use, with their arguments and shape rules; --coverage: how much "
                      "of keras.layers the catalogue covers, and why the rest is not.",
                      "graphspec layers Conv2D Dense"),
    "plot": Command("produce:cmd_plot", "draw the model: .svg/.png (drawn by graphspec), .mmd (Mermaid) or .dot",
                    "Draw the root model; the output's suffix picks the format. .svg and .png are drawn by "
                    "graphspec itself (PNG needs `pip install 'graphspec[png]'`), or by Graphviz with "
                    "--engine graphviz; .mmd and .dot are text.",
                    "graphspec plot model.gspec -o model.svg --direction LR --show-params"),
    "compile": Command("produce:cmd_compile", "build the Keras model and save it (needs graphspec[keras])",
                       "Build the root model with Keras and save it (.keras), or write Python that builds it "
                       "(.py, no TensorFlow needed). TensorFlow's start-up logs are hidden unless --verbose.",
                       "graphspec compile model.gspec -o model.keras"),
    "fmt": Command("fmt:cmd_fmt", "rewrite specs in the canonical layout (comments kept); --check only reports",
                   "Rewrite specs in place in the canonical layout, comments kept; --check changes nothing, "
                   "prints a diff and exits 1 if a file is not formatted.",
                   "graphspec fmt --check specs/*.gspec"),
    "diff": Command("gitdiff:cmd_diff",
                    "what changed between two specs' graphs (exit 1 if anything); a git diff driver",
                    "Compare two specs as graphs: 0 the same, 1 different, 2 trouble. Also git's external "
                    "diff driver and textconv (docs/diff.md); under git no configured plugin is imported.",
                    "graphspec diff old.gspec new.gspec"),
    "import": Command("produce:cmd_import", "write a saved Keras model (.keras) as a spec (needs graphspec[keras])",
                      "Write a saved Keras model as an idiomatic spec (loaded in Keras's safe mode).",
                      "graphspec import model.keras -o model.gspec"),
    "lsp": Command("lsp:cmd_lsp", "run the language server over stdio (needs graphspec[lsp])",
                   "The graphspec language server for editors, over stdin/stdout: diagnostics as you type, "
                   "hover, go to definition, completion, symbols, formatting, rename (docs/editors.md).",
                   "graphspec lsp --debounce 100"),
    "fit": Command("train:cmd_fit", "train a spec's model on .npz data, driven by its compile and fit blocks",
                   "Train the root model on arrays keyed by its input and output names (checked first); "
                   "save it atomically with -o; --resume continues an interrupted run (docs/training.md).",
                   "graphspec fit model.gspec --data train.npz --validation val.npz -o trained.keras"),
    "evaluate": Command("train:cmd_evaluate", "loss and metrics of a spec's model or a .keras model on .npz data",
                        "Evaluate a spec's model (with --weights) or a saved .keras model on arrays keyed by "
                        "its input and output names.",
                        "graphspec evaluate trained.keras --data test.npz"),
    "predict": Command("train:cmd_predict", "a model's outputs on .npz inputs, written as .npz by output name",
                       "Run a spec's model (with --weights) or a saved .keras model on arrays keyed by its "
                       "input names; write its outputs keyed by output name.",
                       "graphspec predict trained.keras --data test.npz -o predictions.npz"),
}


# --------------------------------------------------------------------------- each command's options

def _spec_options(p) -> None:
    p.add_argument("--model", metavar="NAME", help="the model to use when the file defines several roots")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="override a const, VALUE in spec syntax (repeatable): --set units=64")
    p.add_argument("--plugin", action="append", metavar="FILE.py|MODULE",
                   help="import a Python module that registers custom layers (repeatable; trusted code; "
                        "refused when GRAPHSPEC_NO_PLUGINS is set)")
    p.add_argument("--no-plugins", action="store_true",
                   help="import none of the plugins of [tool.graphspec] (for untrusted checkouts); "
                        "only --plugin options still count")


def _checked_spec_options(p) -> None:
    """The spec options of a command that checks with the project's settings (cli/settings.py)."""
    _spec_options(p)
    p.add_argument("--max-params", type=positive_int, metavar="N",
                   help="the most weights a model may have (default: [tool.graphspec] max-params, else "
                        f"{MAX_PARAMS:_}); a larger model is E005")


def _output(p, metavar: str, help: Optional[str] = None) -> None:
    p.add_argument("-o", "--output", required=True, metavar=metavar, help=help)


def _check_args(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="spec files or folders (a folder: every *.gspec below it); .ir.json files too")
    p.add_argument("--format", choices=("text", "json", "github"), default="text",
                   help="text for people (default), json for tools, github for GitHub Actions annotations")
    p.add_argument("-j", "--jobs", type=positive_int, metavar="N",
                   help="processes to check many files with (default: every core; 1: one process)")
    _checked_spec_options(p)


def _ir_args(p) -> None:
    p.add_argument("file", nargs="?", metavar="FILE", help="the spec (.gspec) whose IR to print")
    p.add_argument("--schema", action="store_true", help="print the IR's JSON Schema instead")
    _checked_spec_options(p)


def _explain_args(p) -> None:
    p.add_argument("code", nargs="?", metavar="CODE", help="a diagnostic code such as E401 or W104")
    p.add_argument("--list", action="store_true", help="list every code with its severity and title")


def _summary_args(p) -> None:
    p.add_argument("file", metavar="FILE", help="the spec (.gspec or .ir.json) to summarise")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="a table as Keras prints it (default), or JSON")
    _checked_spec_options(p)


def _layers_args(p) -> None:
    p.add_argument("names", nargs="*", metavar="NAME", help="show only these layers")
    p.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or JSON")
    p.add_argument("--coverage", action="store_true", help="how much of keras.layers is covered, and why not")


def _plot_args(p) -> None:
    p.add_argument("file", metavar="FILE", help="the spec (.gspec or .ir.json) to draw")
    _output(p, "OUT", "the picture to write: .svg, .png, .mmd (Mermaid) or .dot (Graphviz text)")
    p.add_argument("--expand", action="store_true", help="draw the insides of blocks and nested models")
    p.add_argument("--direction", choices=("TB", "LR"), default="TB",
                   help="top to bottom (default) or left to right")
    p.add_argument("--show-dtype", action="store_true", help="add each layer's output dtype (.svg/.png)")
    p.add_argument("--show-params", action="store_true", help="add each layer's parameter count (.svg/.png)")
    p.add_argument("--engine", choices=("graphspec", "graphviz"), default="graphspec",
                   help="who draws .svg/.png: graphspec itself (default, nothing to install) or Graphviz's dot")
    _checked_spec_options(p)


def _runtime_options(p) -> None:
    from graphspec.cli.runtime import add_options  # lazy: its tempfile/threading cost every `check`

    add_options(p)


def _compile_args(p) -> None:
    p.add_argument("file", metavar="FILE", help="the spec (.gspec or .ir.json) to build")
    _output(p, "OUT.keras|OUT.py", "a saved Keras model (.keras) or Python source that builds it (.py)")
    p.add_argument("--weights", metavar="FILE.weights.h5|FILE.keras",
                   help="load these weights into the .keras model (by layer name, else by structure)")
    _runtime_options(p)
    _checked_spec_options(p)


def _fmt_args(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="spec files; `-` reads stdin and writes stdout")
    p.add_argument("--check", action="store_true",
                   help="change nothing: print a diff and exit 1 if a file is not formatted")


def _diff_args(p) -> None:
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="OLD NEW (either may be /dev/null), or the 7 arguments git passes to a diff driver")
    p.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or JSON")
    p.add_argument("--textconv", action="store_true",
                   help="print one spec as a canonical listing (for git's diff.<driver>.textconv)")
    _spec_options(p)


def _import_args(p) -> None:
    p.add_argument("file", metavar="MODEL.keras", help="the saved Keras model to read (never run)")
    _output(p, "OUT.gspec", "the spec to write; `-` writes to stdout")
    names = p.add_mutually_exclusive_group()
    names.add_argument("--keep-names", dest="keep_names", action="store_true", default=True,
                       help="keep every layer name Keras did not make up, as `name=\"...\"` (the default, "
                            "as in graphspec.from_keras); layers inside blocks are named by the spec's rules")
    names.add_argument("--rename", dest="keep_names", action="store_false",
                       help="name every layer by the spec's naming rules instead")
    _runtime_options(p)


def _lsp_args(p) -> None:
    p.add_argument("--debounce", type=positive_int, metavar="MS",
                   help="check a document this long after its last change (default 60 ms)")
    p.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default and only way)")


def _train_args(name: str, p) -> None:
    from graphspec.cli import train  # fit, evaluate, predict: their options live beside their handlers

    getattr(train, name)(p, _checked_spec_options)


_ARGUMENTS: Dict[str, Callable] = {
    "check": _check_args, "ir": _ir_args, "explain": _explain_args, "summary": _summary_args,
    "layers": _layers_args, "plot": _plot_args, "compile": _compile_args, "fmt": _fmt_args,
    "diff": _diff_args, "import": _import_args, "lsp": _lsp_args,
    "fit": lambda p: _train_args("fit_args", p), "evaluate": lambda p: _train_args("evaluate_args", p),
    "predict": lambda p: _train_args("predict_args", p),
}


def _columns() -> int:
    """shutil.get_terminal_size().columns, without importing shutil: argparse makes a formatter for
    every option it adds, and shutil's own imports (bz2, lzma) would cost every `graphspec check`."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Width:
    """An argparse formatter as wide as the terminal, measured by _columns()."""

    def __init__(self, prog, indent_increment=2, max_help_position=24, width=None):
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


class _TopFormatter(_Width, argparse.HelpFormatter):
    """The top-level parser's formatter: argparse's own."""


class _Description(str):
    """A command's description: filled to 79 columns when help is shown (the example epilog is not)."""


class _HelpFormatter(_Width, argparse.RawDescriptionHelpFormatter):
    """Text as written, except a _Description, filled; textwrap is imported only when help is printed."""

    def _fill_text(self, text, width, indent):
        if isinstance(text, _Description):
            import textwrap

            text = textwrap.fill(text, 79)
        return super()._fill_text(text, width, indent)


def _parser(only: Optional[str] = None) -> argparse.ArgumentParser:
    """The command line's parser. With `only` (the first argument) naming a command, only that
    command's parser is built: argparse consults no other once the command is named, and building
    them all costs every `graphspec check` (a pre-commit hook) milliseconds."""
    from graphspec import __version__

    p = argparse.ArgumentParser(prog="graphspec", description="Check and compile .gspec graph specs for Keras.",
                                formatter_class=_TopFormatter)
    p.add_argument("--version", action="version", version=f"graphspec {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    names = [only] if only in COMMANDS else list(COMMANDS)
    for name in names:
        command = COMMANDS[name]
        sp = sub.add_parser(name, help=command.help, description=_Description(command.description),
                            epilog=f"example:\n  {command.example}", formatter_class=_HelpFormatter)
        _ARGUMENTS[name](sp)
        sp.set_defaults(command_name=name)
    return p


# --------------------------------------------------------------------------- standard streams


class _Stream:
    """A standard stream whose reader may go away (`graphspec check | head`): once the pipe is
    closed, everything more is dropped, so the command finishes and keeps its exit status."""

    def __init__(self, stream):
        self._stream = stream
        self.closed_pipe = False

    def write(self, text: str) -> int:
        """Write, unless the reader has gone."""
        if not self.closed_pipe:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self.closed_pipe = True
        return len(text)

    def flush(self) -> None:
        """Flush, unless the reader has gone."""
        if not self.closed_pipe:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self.closed_pipe = True

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _setup_streams() -> None:
    """A spec's strings may hold anything, a lone surrogate (`"\\ud800"`) too: print what the
    terminal's encoding cannot show as an escape rather than fail on it; and survive a closed pipe."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # pragma: no cover - a stream that cannot be reconfigured
                pass
        if not isinstance(stream, _Stream):
            setattr(sys, name, _Stream(stream))


def _finish_streams() -> None:
    """Flush what is left; if a reader went away, point the descriptor at /dev/null so that Python's
    own flush at exit finds nowhere to fail (it would print "Exception ignored ... BrokenPipeError")."""
    for name, fd in (("stdout", 1), ("stderr", 2)):
        stream = getattr(sys, name)
        if not isinstance(stream, _Stream):
            continue
        stream.flush()
        if stream.closed_pipe:
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, stream.fileno() if hasattr(stream, "fileno") else fd)
                os.close(devnull)
            except (OSError, ValueError):
                pass
        setattr(sys, name, stream._stream)


_SIGNALLED: List[int] = []  # the SIGTERM that is ending this run, once it has arrived


def _terminated(signum, frame):
    """SIGTERM as an exception, so that `finally` blocks run (an atomic write removes its temporary file).
    Library code may turn it into an error of its own on the way out (zipfile: "Can't close the ZIP
    file while there is an open writing handle"), and a half-written object may fail in its finaliser:
    from here on, neither is reported, and the run ends with EXIT_TERMINATED (main)."""
    _SIGNALLED.append(signum)
    sys.unraisablehook = _ignore_unraisable
    raise SystemExit(EXIT_TERMINATED)


def _ignore_unraisable(unraisable) -> None:
    """After SIGTERM: a finaliser's error (a ZipFile closing over a removed temporary file) is noise."""


# --------------------------------------------------------------------------- main


# A missing package -> (what the command does, what it needs, the extra that brings it).
_KERAS = ("builds Keras models", "Keras and TensorFlow", "keras")
_LSP = ("runs the language server", "pygls and lsprotocol", "lsp")
_EXTRAS = {"keras": _KERAS, "tensorflow": _KERAS, "pygls": _LSP, "lsprotocol": _LSP}


def _stale_tables(exc: RuntimeError) -> bool:
    """The parser's tables are older than the grammar (a development checkout); never imports the parser."""
    lalr = sys.modules.get("graphspec.syntax.lalr")
    return lalr is not None and isinstance(exc, lalr.StaleTables)


def _run(argv: Optional[List[str]], ran: List[str]) -> int:
    words = sys.argv[1:] if argv is None else argv
    parser = _parser(words[0] if words else None)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its message
        return EXIT_USAGE if exc.code not in (0, None) else EXIT_OK
    name = getattr(args, "command_name", None)
    if name is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        status = COMMANDS[name].run(args)
        ran.append(name)
        return status
    except (Usage, ValueError) as exc:  # ValueError: a malformed --set value
        if _SIGNALLED:  # what the signal became inside a library, not a usage error
            return EXIT_TERMINATED
        print(error_line(exc), file=sys.stderr)
        return EXIT_USAGE
    except ImportError as exc:
        extra = _EXTRAS.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        what, needs, name = extra
        print(f"graphspec: error: this command {what} and needs {needs}: pip install 'graphspec[{name}]'",
              file=sys.stderr)
        return EXIT_USAGE
    except RuntimeError as exc:
        if not _stale_tables(exc):
            raise
        print(f"graphspec: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


# Commands that import no Keras and write only stdout, stderr and atomically written (closed, renamed)
# files: their process may end without the interpreter's teardown, which frees every module and the
# catalogue one object at a time (~7 ms of a ~60 ms `graphspec check` on a seed spec, paid by a
# pre-commit hook on every commit).
_QUICK_EXIT = frozenset({"check", "ir", "explain", "summary", "layers", "plot", "fmt", "diff"})


def _quick_exit(status: int, force: bool = False) -> None:
    """End the process with `status` now, when the teardown has nothing else to do: no atexit callback
    (a plugin's, a coverage tool's, multiprocessing's), no other thread, the streams flushed. `force`:
    whatever is pending (after SIGTERM)."""
    import atexit

    threading = sys.modules.get("threading")
    if not force and (getattr(atexit, "_ncallbacks", lambda: 1)()
                      or (threading is not None and threading.active_count() > 1)):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or broken stream: let the usual exit deal with it
        if not force:
            return
    os._exit(status)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the CLI; return the exit status."""
    _setup_streams()
    previous = None
    if argv is None:  # as a program, not called in-process (tests, a host application)
        try:
            previous = _signal.signal(_signal.SIGTERM, _terminated)
        except (ValueError, OSError):  # not the main thread
            previous = None
    ran: List[str] = []
    try:
        status = _run(argv, ran)
    except BaseException:
        if not _SIGNALLED:
            raise
        status = EXIT_TERMINATED  # SIGTERM, whatever a library turned it into on the way out
    finally:
        _finish_streams()
        if previous is not None:
            _signal.signal(_signal.SIGTERM, previous)
    if _SIGNALLED:
        # Told to stop, with every `finally` run (no temporary file is left): end as the signal's
        # default action would, without the teardown that finalises half-written objects.
        _quick_exit(EXIT_TERMINATED, force=True)
    if argv is None and ran and ran[0] in _QUICK_EXIT:
        _quick_exit(status)
    return status


if __name__ == "__main__":
    sys.exit(main())
