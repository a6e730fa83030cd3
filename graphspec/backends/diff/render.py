"""The diff as a report: compact text (`render_text`), a canonical listing (`render_listing`,
for git's textconv) and JSON (`to_dict`, `to_json`; docs/diff.md describes the structure).

Values are spelled by normalise.fmt and shapes by graphspec.text.shape_text: the one
quoting rule, so no string from a spec reaches a terminal raw.
"""

from __future__ import annotations

import json
from typing import Any, Sequence, Tuple

from graphspec.backends.diff.compare import Change, ModelDiff, SpecDiff, _join, _Layer, diff_specs
from graphspec.backends.diff.normalise import Call, fmt
from graphspec.text import shape_text as _shape

__all__ = ["NO_CHANGES", "change_text", "render_listing", "render_text", "to_dict", "to_json"]

NO_CHANGES = "no changes to the graph"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Call):
        args, kwargs = value.shown if value.shown is not None else (value.args, value.kwargs)
        return {"call": value.callee, "args": [_jsonable(a) for a in args],
                "kwargs": {k: _jsonable(v) for k, v in kwargs}}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _count(n: int) -> str:
    return f"{n:,}"


def _delta(old: int, new: int) -> str:
    return f"{new - old:+,}"


def _sources_text(calls: Sequence[Sequence[str]]) -> str:
    return ", ".join(labels[0] if len(labels) == 1 else "(" + ", ".join(labels) + ")" for labels in calls)


_RESET = "\x1b[0m"
_STYLE = {"+": "\x1b[32m", "-": "\x1b[31m", "~": "\x1b[33m", "header": "\x1b[1m", "meta": "\x1b[1m",
          "dim": "\x1b[2m"}


def _paint(text: str, style: str, color: bool) -> str:
    return f"{_STYLE[style]}{text}{_RESET}" if color else text


def _params_text(params: Tuple[int, int]) -> str:
    return f"{_count(sum(params))} params" if sum(params) != 1 else "1 param"


def _params_change(old: Tuple[int, int], new: Tuple[int, int]) -> str:
    text = f"{_count(sum(old))} -> {_count(sum(new))} ({_delta(sum(old), sum(new))})"
    if old[1] or new[1]:
        text += (f"; trainable {_count(old[0])} -> {_count(new[0])}, "
                 f"non-trainable {_count(old[1])} -> {_count(new[1])}")
    return text


def _layer_line(layer: _Layer) -> str:
    text = f"layer {layer.name}: {layer.call_text()}"
    if layer.calls:
        text += f" <- {_sources_text(layer.sources())}"
    text += f"; shape {_shape(layer.shapes())}"
    if sum(layer.params):
        text += f"; {_params_text(layer.params)}"
    return text


def _input_text(inp) -> str:
    return f"{_shape(tuple(inp.shape))} {inp.dtype}"


def change_text(c: Change) -> str:
    """One change as a report line, without the model header and colour."""
    if c.kind == "model":
        return f"~ model renamed: {c.old} -> {c.new}"
    if c.kind == "input":
        if c.op == "+":
            return f"+ input {c.subject}: {_input_text(c.new)}"
        if c.op == "-":
            return f"- input {c.subject}: {_input_text(c.old)}"
        if c.field == "name":
            return f"~ input {c.old} renamed {c.new}"
        return f"~ input {c.subject} {c.field}: {_shape(c.old) if c.field == 'shape' else c.old} -> " \
               f"{_shape(c.new) if c.field == 'shape' else c.new}"
    if c.kind in ("inputs", "outputs"):
        return f"~ {c.kind} reordered: {', '.join(c.old)} -> {', '.join(c.new)}"
    if c.kind == "output":
        if c.op == "+":
            return f"+ output {c.subject}: {_shape(c.new)}"
        if c.op == "-":
            return f"- output {c.subject}: {_shape(c.old)}"
        if c.field == "name":
            return f"~ output {c.old} renamed {c.new}"
        return f"~ output {c.subject}: {_shape(c.old)} -> {_shape(c.new)}"
    if c.kind == "layer":
        if c.op == "+":
            return "+ " + _layer_line(c.new)
        if c.op == "-":
            return "- " + _layer_line(c.old)
        if c.field == "name":
            return f"~ layer {c.old} renamed {c.new}"
        return f"~ layer {c.subject}: {c.old} -> {c.new}"
    if c.kind in ("arg", "compile", "fit"):
        path = _join(c.subject, c.field or "")
        if c.op == "+":
            return f"+ {path} = {fmt(c.new)}" + (f" (default: {fmt(c.default)})" if c.has_default else "")
        if c.op == "-":
            return f"- {path} = {fmt(c.old)}" + (f" (back to the default: {fmt(c.default)})"
                                                 if c.has_default else "")
        return f"~ {path}: {fmt(c.old)} -> {fmt(c.new)}"
    if c.kind == "connections":
        return f"~ {c.subject} inputs: {_sources_text(c.old)} -> {_sources_text(c.new)}"
    if c.kind == "shape":
        return f"~ {c.subject} shape: {_shape(c.old)} -> {_shape(c.new)}"
    if c.kind == "params":
        return f"~ {c.subject} params: {_params_change(c.old, c.new)}"
    raise ValueError(f"unknown change kind {c.kind!r}")


def _header(md: ModelDiff) -> str:
    nested = " (nested)" if md.role == "nested" else ""
    if md.old is None:
        return f"model {md.new}{nested} (added)"
    if md.new is None:
        return f"model {md.old}{nested} (removed)"
    if md.old != md.new:
        return f"model {md.old} -> {md.new}{nested}"
    return f"model {md.new}{nested}"


def _totals(md: ModelDiff) -> str:
    old, new = md.old_params, md.new_params
    if md.old is not None and md.new is not None and old == new:
        text = f"params: {_count(sum(new))} (unchanged)"
        if new[1]:
            text += f"; trainable {_count(new[0])}, non-trainable {_count(new[1])}"
        return text
    return "params: " + _params_change(old, new)


def render_text(diff: SpecDiff, color: bool = False) -> str:
    """The report: per changed model a header, one `+`/`-`/`~` line per change, a totals line.

    Identical graphs give the single line `no changes to the graph`.
    """
    if not diff.changed:
        return NO_CHANGES + "\n"
    out = []
    for md in diff.models:
        if not md.changed:
            continue
        if out:
            out.append("")
        out.append(_paint(_header(md), "header", color))
        for c in md.changes:
            if c.kind == "model":
                continue  # the header says it
            out.append(_paint("  " + change_text(c), c.op, color) if color else "  " + change_text(c))
        out.append(_paint("  " + _totals(md), "dim", color) if color else "  " + _totals(md))
    return "\n".join(out) + "\n"


def render_listing(spec, model: Optional[str] = None) -> str:
    """A spec as a canonical listing, one line per input, output, layer and setting.

    It is the report of the spec against nothing, without the `+` marks: what
    `graphspec diff --textconv` prints, so that git's line diff of two listings
    is a semantic diff.
    """
    diff = diff_specs(None, spec, model=model)
    out = []
    for md in diff.models:
        if out:
            out.append("")
        out.append(f"model {md.new}" + (" (nested)" if md.role == "nested" else ""))
        for c in md.changes:
            out.append(change_text(c)[2:])
        out.append(f"params: {_count(sum(md.new_params))}" + (
            f"; trainable {_count(md.new_params[0])}, non-trainable {_count(md.new_params[1])}"
            if md.new_params[1] else ""))
    return "\n".join(out) + "\n"


def _change_json(c: Change) -> dict:
    def side(value):
        if isinstance(value, _Layer):
            return {"name": value.name, "type": value.type, "model": value.model,
                    "config": _jsonable(value.config),
                    "inputs": value.sources(),
                    "shape": _jsonable(value.shapes()),
                    "trainable_params": value.params[0], "non_trainable_params": value.params[1]}
        if hasattr(value, "dtype") and hasattr(value, "shape") and hasattr(value, "name"):  # an InputIR
            return {"name": value.name, "shape": _jsonable(tuple(value.shape)), "dtype": value.dtype}
        if c.kind == "params":
            return {"trainable": value[0], "non_trainable": value[1], "total": value[0] + value[1]}
        return _jsonable(value)

    out = {"op": c.op, "kind": c.kind, "subject": c.subject, "field": c.field,
           "old": side(c.old) if c.old is not None or c.op == "~" else None,
           "new": side(c.new) if c.new is not None or c.op == "~" else None}
    if c.kind in ("arg", "compile", "fit"):
        out["default"] = _jsonable(c.default) if c.has_default else None
        out["has_default"] = c.has_default
    out["text"] = change_text(c)
    return out


def _params_json(params: Tuple[int, int]) -> dict:
    return {"trainable": params[0], "non_trainable": params[1], "total": params[0] + params[1]}


def to_dict(diff: SpecDiff) -> dict:
    """The diff as JSON-ready data (see docs/diff.md for the structure)."""
    return {
        "old_file": diff.old_file,
        "new_file": diff.new_file,
        "changed": diff.changed,
        "models": [{
            "old": md.old, "new": md.new, "role": md.role, "status": md.status,
            "changes": [_change_json(c) for c in md.changes],
            "params": {"old": _params_json(md.old_params) if md.old is not None else None,
                       "new": _params_json(md.new_params) if md.new is not None else None,
                       "delta": sum(md.new_params) - sum(md.old_params)},
        } for md in diff.models],
    }


def to_json(diff: SpecDiff, indent: int = 2) -> str:
    """The diff as a JSON document."""
    return json.dumps(to_dict(diff), indent=indent)

