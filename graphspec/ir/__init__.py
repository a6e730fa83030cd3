"""The IR at the boundary: JSON out (`graphspec ir`), JSON in (validated), and its schema.

The IR itself is the records of graphspec.graph, defined once; this package writes them
as a versioned JSON document (codec), derives the Pydantic types that validate such a
document from the records' annotations (schema), and checks a loaded document against
the layer catalogue as the checker would (verify). docs/ir.md describes the format.

Importing this package is cheap: Pydantic is imported only to validate or to make the schema.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import List, Tuple, Union

from graphspec import graph as g
from graphspec.diagnostics.diagnostic import SpecError
from graphspec.ir.codec import FORMAT, VERSION, document, dump, dumps
from graphspec.source import Span

__all__ = ["FORMAT", "VERSION", "IRError", "dumps", "dump", "document", "loads", "load_path", "json_schema",
           "MAX_IR_BYTES"]

MAX_IR_BYTES = 512 * 1024 * 1024  # an IR file larger than this is refused before it is parsed
_MAX_LISTED = 20  # schema errors listed per document


class IRError(SpecError):
    """IR JSON that does not load: every problem with its JSON path (`models.m.layers[3].config.units`)."""

    def __init__(self, source: str, problems: List[Tuple[str, str]], more: int = 0, io_error: bool = False):
        self.source = source
        self.problems = problems
        self.more = more
        self.io_error = io_error  # the file could not be read at all (the CLI's exit status 2)
        self.diagnostics = []
        self.sources = {}
        Exception.__init__(self, self.render())

    def render(self, color: bool = False) -> str:
        """Every problem on its own line, under a line naming the document."""
        count = len(self.problems) + self.more
        head = f"invalid graphspec IR in {self.source}" + (f" ({count} problems)" if count > 1 else "")
        lines = [head + ":"] + [f"  {path}: {message}" for path, message in self.problems]
        if self.more:
            lines.append(f"  ... and {self.more} more")
        return "\n".join(lines)


def json_schema() -> dict:
    """The JSON Schema of IR documents (`graphspec ir --schema`): exactly what `loads` validates."""
    from graphspec.ir import schema

    return schema.json_schema()


def _schema_problems(exc) -> Tuple[List[Tuple[str, str]], int]:
    from graphspec.ir.schema import path

    errors = exc.errors(include_url=False)
    # A document of another format or version is named as such, not as a flood of field errors.
    envelope = [e for e in errors if e["loc"][:1] in (("format",), ("version",))]
    if envelope:
        e = envelope[0]
        if e["loc"][0] == "format" or e["type"] == "missing":
            return [(path(e["loc"]), f"is {_shown(e)}: this is not a graphspec IR document (its \"format\" "
                                     f"is \"{FORMAT}\")")], 0
        return [("version", f"is {_shown(e)}; this graphspec reads IR version {VERSION}")], 0
    problems, seen = [], set()
    for e in errors:
        where = path(e["loc"])
        if where in seen:
            continue
        seen.add(where)
        problems.append((where, e["msg"] + (f"; received {_shown(e)}" if e["type"] != "missing" else "")))
    return problems[:_MAX_LISTED], max(0, len(problems) - _MAX_LISTED)


def _shown(error) -> str:
    if error["type"] == "missing":
        return "missing"
    try:
        text = json.dumps(error.get("input"), ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(error.get("input"))
    return text if len(text) <= 60 else text[:57] + "..."


def loads(text: Union[str, bytes], name: str = "<string>") -> g.Program:
    """The Program of IR JSON text, validated by the schema and checked against the catalogue; raises IRError."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise IRError(name, [("(the document)", f"is not UTF-8 (byte {exc.start})")]) from None
    if len(text) > MAX_IR_BYTES:
        raise IRError(name, [("(the document)", f"is larger than {MAX_IR_BYTES // 2**20} MiB")])
    from pydantic import ValidationError

    from graphspec.ir import codec, schema, verify

    try:
        data = schema.adapter().validate_json(text)
    except ValidationError as exc:
        raise IRError(name, *_schema_problems(exc)) from None
    except (RecursionError, ValueError) as exc:  # nesting beyond the parser's own limit
        raise IRError(name, [("(the document)", f"cannot be read: {type(exc).__name__}")]) from None
    try:
        program = codec.decode(data)
    except RecursionError:
        raise IRError(name, [("(the document)", "is nested too deeply")]) from None
    try:
        problems, more = verify.verify(program)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        # A shape of document the verifier's checks did not foresee: still a refusal, never a traceback.
        raise IRError(name, [("(the document)", f"is not a consistent program ({type(exc).__name__})")]) from None
    if problems:
        raise IRError(name, problems, more)
    return program


def read_text(path: Union[str, Path]) -> str:
    """The text of an IR file: a regular file, at most MAX_IR_BYTES, UTF-8; raises IRError."""
    shown = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
    except OSError as exc:
        raise IRError(shown, [("(the file)", f"cannot be read: {exc.strerror or exc}")], io_error=True) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise IRError(shown, [("(the file)", "is not a regular file")], io_error=True)
        if info.st_size > MAX_IR_BYTES:
            raise IRError(shown, [("(the file)", f"is larger than {MAX_IR_BYTES // 2**20} MiB")], io_error=True)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_IR_BYTES + 1)
    except OSError as exc:
        raise IRError(shown, [("(the file)", f"cannot be read: {exc.strerror or exc}")], io_error=True) from None
    finally:
        os.close(fd)
    if len(data) > MAX_IR_BYTES:
        raise IRError(shown, [("(the file)", f"is larger than {MAX_IR_BYTES // 2**20} MiB")], io_error=True)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IRError(shown, [("(the file)", f"is not UTF-8 (byte {exc.start})")]) from None


def load_path(path: Union[str, Path]) -> g.Program:
    """The Program of an IR file (`model.ir.json`), validated and checked; raises IRError."""
    return loads(read_text(path), name=str(path))


# ------------------------------------------------------------------ compatibility
# The names of the former Pydantic copy of the records, for code written against it
# (tests/backends/test_keras_builder.py). New code uses graphspec.graph's records. The Spec
# and from_program live in graphspec.api only: the IR stage never imports the API above it.

TensorIR = g.Tensor
NodeIR = g.Node
InputIR = g.Input
OutputIR = g.Output
ModelIR = g.Graph
SpanIR = Span


def LayerIR(trainable_params: int = 0, non_trainable_params: int = 0, **fields) -> g.Layer:  # noqa: N802
    """A Layer from the former field names: the counts are `params` now."""
    fields.setdefault("params", (trainable_params, non_trainable_params))
    return g.Layer(**fields)

