"""Write a built model as a `.keras` file, atomically."""

from __future__ import annotations

import os

from graphspec.atomic import write_via

__all__ = ["save_keras"]


def save_keras(model, path) -> str:
    """Save `model` to `path` (a `.keras` file) so that a reader never sees a partial file.

    Keras writes to a temporary file that `tempfile.mkstemp` creates in the same folder (a fresh
    name, never a planted one), which is then renamed over `path` (a symlink there is replaced,
    not followed); on any failure, an interrupt included, the temporary file is removed and the
    error re-raised, leaving any previous file at `path` untouched (graphspec/atomic.py). The file
    loads with `keras.models.load_model(path)` (safe mode), compile settings included. Returns the
    path written.
    """
    path = os.fspath(path)
    if not path.endswith(".keras"):
        raise ValueError(f"a Keras model file must end in `.keras`; received {path!r}")
    write_via(path, lambda tmp: model.save(tmp, overwrite=True), suffix=".tmp.keras")
    return path
