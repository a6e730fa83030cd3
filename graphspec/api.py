"""The Python API: load, loads, compile, and the Spec they return."""

from __future__ import annotations

import json
from pathlib import Path

from graphspec.diagnostics.diagnostic import Diagnostics, SpecError
from graphspec.graph import Program
from graphspec.passes.check import check_path, check_text, parse_override

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Mapping, Optional, Union

IR_SUFFIX = ".ir.json"  # what `graphspec.load` reads as IR JSON rather than as a spec


class Spec(Program):
    """A checked spec: every model in it (graphspec.graph's records), and the root model that is built."""

    __slots__ = ()

    @classmethod
    def of(cls, program: Program) -> "Spec":
        """The Spec of a checked Program (the same records, not copied)."""
        return cls(program.root, program.models, program.files, program.consts)

    @classmethod
    def from_json(cls, text: Union[str, bytes], name: str = "<string>") -> "Spec":
        """The Spec of IR JSON (what `to_json` writes), validated and checked; raises graphspec.ir.IRError."""
        from graphspec.ir import loads as load_ir_text

        return cls.of(load_ir_text(text, name=name))

    @classmethod
    def model_validate_json(cls, text: Union[str, bytes]) -> "Spec":
        """`from_json`, under the name of the former Pydantic IR."""
        return cls.from_json(text)

    def to_json(self, indent: Optional[int] = 2) -> str:
        """The IR as JSON (docs/ir.md): one line per record; `indent=None` for a single line."""
        from graphspec import ir

        if indent is None:
            return json.dumps(ir.document(self), allow_nan=False, separators=(",", ":"))
        return ir.dumps(self)

    def write_json(self, fp) -> None:
        """Write the IR as JSON to a text file object, piece by piece (no whole string in memory)."""
        from graphspec import ir

        ir.dump(self, fp)

    def model_dump(self, mode: str = "json") -> dict:
        """The IR as JSON-ready data (the parsed `to_json()`), under the name of the former Pydantic IR."""
        from graphspec import ir

        return ir.document(self)

    def to_keras(self, model: Optional[str] = None, weights: Optional[Union[str, Path]] = None):
        """Build the root model (or `model`) as a keras.Model, compiled if the spec says so; with
        `weights` (a .weights.h5 or .keras file), load them by layer name, else by structure, every
        shape checked first (keras_weights.WeightsError, nothing loaded, on a mismatch)."""
        from graphspec.backends.keras_builder import build

        keras_model = build(self, model or self.root)
        if weights is not None:
            from graphspec.backends.keras_weights import load_weights

            load_weights(keras_model, weights)
        return keras_model

    def to_keras_all(self, models=None) -> dict:
        """Several models built together, {name: keras.Model}: `models` (names; default every model of
        the spec) and the models they use, one Keras object per model, so the `discriminator` nested in
        `gan` is the `discriminator` returned; each compiled if the spec says so (docs/training.md, "A GAN")."""
        from graphspec.backends.keras_builder import build_all

        return build_all(self, models)

    def fit(self, data, **options):
        """Train this spec's model on `data` (an .npz path or arrays by name): `graphspec.fit`."""
        return fit(self, data, **options)

    def evaluate(self, data, **options) -> dict:
        """This spec's model's loss and metrics on `data`: `graphspec.evaluate`."""
        return evaluate(self, data, **options)

    def predict(self, data, **options) -> dict:
        """This spec's model's outputs on `data`'s inputs, by output name: `graphspec.predict`."""
        return predict(self, data, **options)

    def fit_kwargs(self, model: Optional[str] = None) -> dict:
        """The `fit` block as keyword arguments for keras.Model.fit, callbacks built."""
        from graphspec.backends.keras_builder import fit_kwargs

        return fit_kwargs(self, model or self.root)

    def summary(self, model: Optional[str] = None) -> dict:
        """Static summary: layers with output shapes and parameter counts."""
        from graphspec.backends.summary import summarize

        return summarize(self, model or self.root)

    def to_python(self, model: Optional[str] = None) -> str:
        """Python source that builds the model with Keras (what `graphspec compile -o m.py` writes)."""
        from graphspec.backends.python_codegen import generate

        return generate(self, model or self.root)

    def to_mermaid(self, model: Optional[str] = None, expand: bool = False) -> str:
        """The model as a Mermaid flowchart."""
        from graphspec.backends import plot

        return plot.to_mermaid(self, model or self.root, expand)

    def to_dot(self, model: Optional[str] = None, expand: bool = False) -> str:
        """The model as Graphviz DOT text."""
        from graphspec.backends import plot

        return plot.to_dot(self, model or self.root, expand)

    def _repr_svg_(self):
        """Jupyter: the root model's picture as SVG, drawn by graphspec itself (no Graphviz needed)."""
        from graphspec.backends import svg

        return svg.svg_picture(self)

    def _repr_markdown_(self):
        """Jupyter front ends that show no SVG: the root model as a Mermaid diagram."""
        from graphspec.backends import plot

        return "```mermaid\n" + plot.to_mermaid(self) + "```\n"


def from_program(program: Program) -> Spec:
    """The Spec of the passes' checked Program."""
    return Spec.of(program)


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
    return Spec.of(program)


def load(path: Union[str, Path], model: Optional[str] = None, set: Optional[Mapping] = None) -> Spec:
    """Parse and check a .gspec file (or read a `.ir.json` IR file); return its Spec or raise SpecError."""
    if str(path).endswith(IR_SUFFIX):
        return load_ir(path, model=model, set=set)
    diags = Diagnostics()
    program, loader = check_path(Path(path), diags, model=model, overrides=_overrides(set), require_root=True)
    return _finish(program, diags, loader)


def load_ir(path: Union[str, Path], model: Optional[str] = None, set: Optional[Mapping] = None) -> Spec:
    """Read IR JSON (what `graphspec ir` prints) from a file, validated and checked; raise IRError (a SpecError).

    `model` picks another of its models as the root; `set` does not apply (the consts are evaluated).
    """
    from graphspec.ir import IRError, load_path

    if set:
        raise IRError(str(path), [("consts", "`set` changes a spec's consts before checking; an IR's are "
                                             "already evaluated (set them when writing the IR)")])
    spec = Spec.of(load_path(path))
    if model is not None and model != spec.root:
        if model not in spec.models:
            raise IRError(str(path), [("models", f"has no model `{model}` ({', '.join(spec.models)})")])
        spec = spec.replace(root=model)
    return spec


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
    from graphspec.syntax.format import format_source
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


def _spec_of(source, model: Optional[str], set: Optional[Mapping]):
    """A Spec, a keras.Model or a .keras path as given; a spec path loaded."""
    if isinstance(source, (str, Path)) and not str(source).endswith(".keras"):
        return load(source, model=model, set=set)
    return source


def fit(spec, data, *, validation=None, output=None, epochs: Optional[int] = None,
        batch_size: Optional[int] = None, weights=None, resume: bool = False, distribute: Optional[str] = None,
        devices: int = 2, model: Optional[str] = None, set: Optional[Mapping] = None, verbose="auto"):
    """Train a spec's model (a Spec or a path) on `data` (an .npz path or a dict of arrays keyed by input
    and output names) as `graphspec fit` does; return the trained keras.Model (`.history` holds the
    History). Raises keras_data.DataError, before training, on data that does not fit the spec."""
    from graphspec.backends.keras_train import fit as run

    trained, _ = run(_spec_of(spec, model, set), data, model=model, validation=validation, output=output,
                     epochs=epochs, batch_size=batch_size, weights=weights, resume=resume,
                     distribute=distribute, devices=devices, verbose=verbose)
    return trained


def evaluate(source, data, *, weights=None, batch_size: Optional[int] = None, model: Optional[str] = None,
             set: Optional[Mapping] = None, verbose="auto") -> dict:
    """Loss and metrics by name of a Spec, spec path, keras.Model or .keras path on `data`."""
    from graphspec.backends.keras_train import evaluate as run

    return run(_spec_of(source, model, set), data, model=model, weights=weights, batch_size=batch_size,
               verbose=verbose)


def predict(source, data, *, weights=None, batch_size: Optional[int] = None, model: Optional[str] = None,
            set: Optional[Mapping] = None, verbose="auto") -> dict:
    """The outputs (numpy arrays by output name) of a Spec, spec path, keras.Model or .keras path on `data`."""
    from graphspec.backends.keras_train import predict as run

    return run(_spec_of(source, model, set), data, model=model, weights=weights, batch_size=batch_size,
               verbose=verbose)
