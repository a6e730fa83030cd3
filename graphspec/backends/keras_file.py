"""Write a built model as a `.keras` file, atomically."""

from __future__ import annotations

import os
import uuid

__all__ = ["save_keras"]


def save_keras(model, path) -> str:
    """Save `model` to `path` (a `.keras` file) so that a reader never sees a partial file.

    The model is written to a temporary file in the same directory, then moved over
    `path` with `os.replace`; on any failure the temporary file is removed and the
    error re-raised, leaving any previous file at `path` untouched. The file loads
    with `keras.models.load_model(path)` (safe mode), compile settings included.
    Returns the path written.
    """
    path = os.fspath(path)
    if not path.endswith(".keras"):
        raise ValueError(f"a Keras model file must end in `.keras`; received {path!r}")
    directory, base = os.path.split(os.path.abspath(path))
    # A fresh name that Keras creates itself, so the file gets the usual permissions.
    tmp = os.path.join(directory, f".{base}.{uuid.uuid4().hex}.tmp.keras")
    try:
        model.save(tmp, overwrite=True)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path
