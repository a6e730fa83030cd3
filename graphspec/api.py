"""The Python API: load, loads, compile."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional, Union

from graphspec.diagnostics.diagnostic import Diagnostics, SpecError
from graphspec.passes.check import check_path, check_text, parse_override


def _overrides(values: Optional[Mapping]) -> dict:
    """`set=` accepts values, or strings in spec syntax (as on the command line)."""
    out = {}
    for name, value in (values or {}).items():
        out[name] = parse_override(f"{name}={value}")[1] if isinstance(value, str) and _looks_like_expr(value) \
            else value
    return out


def _looks_like_expr(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and (stripped[0] in "([{-+0123456789\"'" or stripped in ("True", "False", "None"))


def _finish(program, diags: Diagnostics, loader):
    if program is None:
        raise SpecError(diags.sorted(), loader.sources)
    from graphspec.ir import from_program

    return from_program(program)


def load(path: Union[str, Path], model: Optional[str] = None, set: Optional[Mapping] = None):
    """Parse and check a .gspec file; return its Spec or raise SpecError with every diagnostic."""
    diags = Diagnostics()
    program, loader = check_path(Path(path), diags, model=model, overrides=_overrides(set), require_root=True)
    return _finish(program, diags, loader)


def loads(text: str, model: Optional[str] = None, set: Optional[Mapping] = None,
          name: str = "<string>", base: Optional[Union[str, Path]] = None):
    """Parse and check spec text; imports resolve against `base` (default: the working directory)."""
    diags = Diagnostics()
    program, loader = check_text(text, diags, name=name, base=Path(base) if base else None, model=model,
                                 overrides=_overrides(set), require_root=True)
    return _finish(program, diags, loader)


def compile(path: Union[str, Path], model: Optional[str] = None, set: Optional[Mapping] = None,
            output: Optional[Union[str, Path]] = None):
    """Load a spec and build its keras.Model (compiled if the spec has a compile block).

    With `output`, the model is also saved there as a .keras file, atomically.
    """
    keras_model = load(path, model=model, set=set).to_keras()
    if output is not None:
        from graphspec.backends.keras_file import save_keras

        save_keras(keras_model, output)
    return keras_model


def format(text: str, name: str = "<string>") -> str:
    """Spec text in canonical layout (what `graphspec fmt` writes); raises SpecError on syntax errors."""
    from graphspec.backends.formatter import format_source
    from graphspec.source import Source

    formatted, diags = format_source(Source(name, text))
    if formatted is None:
        raise SpecError(diags.sorted(), {name: Source(name, text)})
    return formatted


def diff(old, new, model: Optional[str] = None):
    """The semantic difference of two specs (Spec objects or paths), as `graphspec diff` reports it."""
    from graphspec.backends.diff import diff_specs

    old_spec = old if not isinstance(old, (str, Path)) else load(old, model=model)
    new_spec = new if not isinstance(new, (str, Path)) else load(new, model=model)
    return diff_specs(old_spec, new_spec, model=model)
