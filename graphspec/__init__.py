"""graphspec: declarative graph specs compiled to Keras functional models.

Importing graphspec is cheap: the API is loaded on first use, and nothing here
imports Keras or TensorFlow until a model is built.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["load", "loads", "load_ir", "compile", "format", "diff", "register_layer", "from_keras", "Spec", "fit", "evaluate", "predict",
           "SpecError", "IRError", "Diagnostic", "__version__"]


def __getattr__(name):
    if name in ("load", "loads", "load_ir", "compile", "format", "diff", "Spec", "fit", "evaluate", "predict"):
        from graphspec import api

        return getattr(api, name)
    if name == "from_keras":  # keras.Model -> spec text (str); load it with graphspec.loads(text)
        from graphspec.backends.keras_import import from_keras

        return from_keras
    if name == "register_layer":
        from graphspec.backends.keras_custom import register_layer  # Keras computes missing rules

        return register_layer
    if name in ("SpecError", "Diagnostic"):
        from graphspec.diagnostics import diagnostic

        return getattr(diagnostic, name)
    if name == "IRError":  # IR JSON that does not load (a SpecError)
        from graphspec.ir import IRError

        return IRError
    raise AttributeError(f"module 'graphspec' has no attribute {name!r}")
