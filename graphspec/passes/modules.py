"""Reading spec files and following their imports.

Paths are strings handled with os.path (a `graphspec check` never imports pathlib, ~3 ms of its
start-up); a file is known by its resolved path (graphspec.source.resolve, Path.resolve's rules)."""

from __future__ import annotations

import os
import re
import stat

from graphspec.diagnostics import codes
from graphspec.diagnostics.diagnostic import Diagnostics
from graphspec.limits import MAX_FILE_BYTES, MAX_IMPORT_DEPTH
from graphspec.source import Source, Span, resolve
from graphspec.syntax import ast
from graphspec.syntax.parse import parse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional, Tuple


SUFFIX = ".gspec"  # what an import names: another spec, never an arbitrary file

# `import "graphspec:zoo/resnet50.gspec"`: a spec shipped inside the package (graphspec/stdlib, where
# the wheel puts specs/zoo); in a source checkout, the repository's specs/ folder. Nothing else.
STDLIB_PREFIX = "graphspec:"
_PACKAGE = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # graphspec/


def stdlib_root() -> str:
    """The folder `graphspec:` imports resolve in: the installed package's data, else a checkout's specs/."""
    installed = os.path.join(_PACKAGE, "stdlib")
    return installed if os.path.isdir(installed) else os.path.join(os.path.dirname(_PACKAGE), "specs")


def stdlib_path(name: str) -> Optional[str]:
    """The file a `graphspec:` import names, or None when the name leaves the standard library
    (`graphspec:../x`, an absolute path, a symlink out of it)."""
    root = resolve(stdlib_root())
    relative = name[len(STDLIB_PREFIX):]
    if not relative or relative.startswith(("/", "\\")) or ":" in relative or "\\" in relative:
        return None
    target = resolve(os.path.join(root, relative))
    return target if target.startswith(os.path.join(root, "")) else None  # strictly inside root

# A lone carriage return (old Mac line ends) ends a line, as CRLF and LF do: every editor shows one.
_LONE_CR = re.compile(r"\r(?!\n)")

# The start of spec text: blank lines and comments, then a top-level item or the end. A file that
# an import reaches and that does not start so is not a spec, and none of it is shown. (Comments
# must run to the end of their line, so the pattern cannot split one and backtrack.)
_SPEC_START = re.compile(r"[ \t\f\r\n]*(?:#[^\r\n]*(?![^\r\n])[ \t\f\r\n]*)*(?=(?:model|block|const|import)\b|\Z)")


def line_breaks(text: str) -> str:
    """`text` with each lone CR made a LF: the same length, so every offset stays, and the lexer, the
    line index and the formatter all see the lines an editor shows."""
    return _LONE_CR.sub("\n", text) if "\r" in text else text


def decode(name: str, data: bytes, diags: Diagnostics, at: Optional[Span] = None):
    """Decode a file's bytes as UTF-8: (source, ok). A bad byte is reported at its position;
    the source is still returned, decoded leniently, so the diagnostic can show the line."""
    if len(data) > MAX_FILE_BYTES:
        diags.error(codes.E003, f"the file is larger than the limit for a spec, 5 MiB ({MAX_FILE_BYTES:,} bytes)",
                    at or Span(name, 1, 1, 1, 1), label="too large",
                    help="split it into several files joined with `import`")
        return None, False
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return Source(name, line_breaks(data.decode("utf-8"))), True
    except UnicodeDecodeError as exc:
        line, col = _byte_position(data, exc.start)
        byte = data[exc.start]
        notes = [f"in Latin-1 (ISO-8859-1), byte 0x{byte:02x} is `{bytes([byte]).decode('latin-1')}`: the file "
                 "was probably saved in that encoding"] if byte >= 0xa0 else []
        diags.error(codes.E002, f"the file is not valid UTF-8: byte 0x{byte:02x} cannot be decoded",
                    Span(name, line, col, line, col + 1), label="invalid byte", notes=notes,
                    help="save the file as UTF-8 (most editors offer the encoding in their Save As dialog)")
        return Source(name, line_breaks(data.decode("utf-8", errors="replace"))), False


def _byte_position(data: bytes, offset: int) -> tuple:
    """(line, column), 1-based, of byte `offset` (columns count the characters before it)."""
    good = line_breaks(data[:offset].decode("utf-8", errors="replace"))
    return good.count("\n") + 1, len(good) - (good.rfind("\n") + 1) + 1


def not_spec_text(data: bytes) -> Optional[Tuple[str, str]]:
    """(code, why) when an imported file's bytes are not spec text (binary, not UTF-8, no spec
    structure), in words that show none of its content; None when they may be a spec."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        return codes.E203, "it holds NUL bytes (a binary file)"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(data, exc.start)
        return codes.E002, f"it is not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, column {col})"
    if _SPEC_START.match(text) is None:
        return codes.E203, ("it does not start like a spec (blank lines and comments, then `model`, `block`, "
                        "`const` or `import`)")
    return None


def display_name(path) -> str:
    """How a file is named in diagnostics: relative to the working directory where possible."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith(".." + os.sep + "..") else str(path)


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def _file_kind(path: str) -> str:
    """'file', 'dir', 'missing' or 'other' (a FIFO, a device); raises OSError when the path cannot be examined."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    return "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"


class Loader:
    """Reads, parses and follows imports; every file once."""

    def __init__(self, diags: Diagnostics):
        self.diags = diags
        self.sources: Dict[str, Source] = {}  # by display name, for rendering
        self.modules: Dict[str, Optional[ast.Module]] = {}  # by resolved path
        self.order: List[ast.Module] = []
        self._stack: List[str] = []

    def read(self, path: str, at: Optional[Span] = None) -> Optional[Source]:
        name = display_name(path)
        try:
            if os.path.isdir(path):
                self.diags.error(codes.E001, f"`{name}` is a directory, not a spec file", at or Span(name, 1, 1, 1, 1),
                                 label="a directory", help="name a .gspec file")
                return None
            if os.path.exists(path) and not os.path.isfile(path):  # a FIFO or a device: reading it could block forever
                self.diags.error(codes.E001, f"`{name}` is not a regular file", at or Span(name, 1, 1, 1, 1),
                                 label="not a file", help="name a .gspec file")
                return None
            with open(path, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
            if at is not None and len(data) <= MAX_FILE_BYTES:
                refused = not_spec_text(data)
                if refused is not None:  # reported at the import; the file is never shown
                    code, why = refused
                    self.diags.error(code, f"cannot import `{name}`: {why}", at, label="not a spec",
                                     help="save it as UTF-8" if code == codes.E002
                                     else "import a .gspec file written in the spec language")
                    return None
        except FileNotFoundError:
            self.diags.error(codes.E001, f"file not found: `{name}`", at or Span(name, 1, 1, 1, 1),
                             label="no such file",
                             help="import paths are relative to the importing file" if at
                             else "check the path; a relative path starts from the current directory")
            return None
        except (OSError, ValueError) as exc:  # ValueError: a NUL character in the path
            self.diags.error(codes.E001, f"cannot read `{name}`: {_reason(exc)}", at or Span(name, 1, 1, 1, 1))
            return None
        src, ok = decode(name, data, self.diags, at)
        if src is not None:
            src.path = path
            self.sources[name] = src
        return src if ok else None

    def load_text(self, name: str, text: str, base) -> Optional[ast.Module]:
        """Parse text not read from a file (graphspec.loads); imports resolve against `base`."""
        data = text.encode("utf-8", errors="surrogatepass")
        src, ok = decode(name, data, self.diags)
        path = os.path.join(base, name)
        if src is not None:
            src.path = path
            self.sources[name] = src
        if not ok:
            return None
        return self._parse(src, path)

    def module(self, path) -> Optional[ast.Module]:
        """The module loaded from the file `path` (a str or a Path, resolved or not as it was given)."""
        return self.modules.get(os.fspath(path))

    def load(self, path, at: Optional[Span] = None) -> Optional[ast.Module]:
        """Load the spec file `path` (a str or a Path) and what it imports."""
        try:
            path = resolve(path)
        except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop (RuntimeError before Python 3.13)
            name = display_name(path)
            self.diags.error(codes.E001, f"cannot read `{name}`: {_reason(exc)}", at or Span(name, 1, 1, 1, 1))
            return None
        if path in self.modules:
            return self.modules[path]
        src = self.read(path, at)
        if src is None:
            self.modules[path] = None
            return None
        return self._parse(src, path)

    def _parse(self, src: Source, path: str) -> Optional[ast.Module]:
        module = parse(src, self.diags)
        self.modules[path] = module
        if module is None:
            return None
        self._stack.append(path)
        for imp in module.imports:
            self._follow(imp, path)
        self._stack.pop()
        self.order.append(module)
        return module

    def _follow(self, imp: ast.Import, importer: str) -> None:
        try:
            if imp.path.startswith(STDLIB_PREFIX):
                target = stdlib_path(imp.path)
                if target is None:
                    self.diags.error(codes.E203, f"`{imp.path}` is outside graphspec's standard library", imp.span,
                                     label="outside the standard library",
                                     help=f'`{STDLIB_PREFIX}` names a spec shipped with graphspec, e.g. '
                                          f'`import "{STDLIB_PREFIX}zoo/resnet50.gspec"`; import your own files '
                                          "by a path relative to the importing file")
                    return
            else:
                target = resolve(os.path.join(os.path.dirname(importer), imp.path))
            kind = _file_kind(target)
        except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a name too long, a NUL character
            self.diags.error(codes.E203, f"cannot import `{imp.path}`: {_reason(exc)}", imp.span,
                             label="cannot be read",
                             help="import a .gspec file by a path relative to the importing file")
            return
        if target in self._stack:
            cycle = self._stack[self._stack.index(target):] + [target]
            chain = " -> ".join(display_name(p) for p in cycle)
            self.diags.error(codes.E204, f"import cycle: {chain}", imp.span,
                             label="imports itself" if target == resolve(importer) else "closes the cycle",
                             help="remove this import: a file's own definitions are always in scope"
                             if target == resolve(importer)
                             else "move what both files need into a third file that both import")
            return
        if len(self._stack) >= MAX_IMPORT_DEPTH:
            self.diags.error(codes.E204, f"imports nested more than {MAX_IMPORT_DEPTH} files deep", imp.span)
            return
        if target in self.modules:
            return
        if not imp.path:
            self.diags.error(codes.E203, "empty import path", imp.span, help='write `import "other.gspec"`')
            self.modules[target] = None
            return
        if not imp.path.endswith(SUFFIX):
            self.diags.error(codes.E203, f"an import names a {SUFFIX} file; received `{imp.path}`", imp.span,
                             label=f"not a {SUFFIX} file", help='import another spec: `import "common.gspec"`')
            self.modules[target] = None
            return
        if os.path.splitext(target)[1] != SUFFIX and kind != "missing":  # a .gspec name that links to another file
            self.diags.error(codes.E203, f"`{imp.path}` is a link to a file that is not a {SUFFIX} file", imp.span,
                             label="links elsewhere", help=f"import the {SUFFIX} file itself, not a link to another file")
            self.modules[target] = None
            return
        if kind == "missing":
            self.diags.error(codes.E203, f"imported file not found: `{imp.path}`", imp.span, label="no such file",
                             help=f"import paths are relative to the importing file; looked for {display_name(target)}")
            self.modules[target] = None
            return
        if kind == "dir":
            self.diags.error(codes.E203, f"`{imp.path}` is a directory, not a spec file", imp.span,
                             label="a directory", help="import a .gspec file")
            self.modules[target] = None
            return
        if kind != "file":  # a FIFO or a device (/dev/tty): reading it could block forever
            self.diags.error(codes.E203, f"`{imp.path}` is not a regular file", imp.span, label="not a file",
                             help="import a .gspec file")
            self.modules[target] = None
            return
        self.load(target, imp.span)
