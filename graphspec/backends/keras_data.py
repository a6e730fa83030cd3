"""Training data from `.npz` files, checked against a spec before anything trains.

Arrays are keyed by the spec's input and output names. Every problem — a missing key, an extra
key, a wrong shape, a wrong dtype, different sample counts — is one `DataError` that names the
input or output, what the spec expects (shape with `N` for the samples, dtype) and what the file
holds. Files are read with `allow_pickle=False`: an `.npz` never runs code.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from graphspec.backends.kinds import targets_needed
from graphspec.text import safe_text, shape_text

__all__ = ["DataError", "Data", "load_npz", "check_data", "read_data"]


class DataError(ValueError):
    """Training data that does not fit the spec: one line, what was expected and what was found."""


@dataclass(frozen=True)
class Data:
    """Checked arrays in the spec's order: `x` by input, `y` by output (None when not given; an item
    is None for an output trained without a target, which Keras takes in a list)."""

    x: List[np.ndarray]
    y: Optional[List[np.ndarray]]
    samples: int


def load_npz(path) -> Dict[str, np.ndarray]:
    """Every array of an `.npz` file by key (no pickles); DataError when it cannot be read."""
    where = safe_text(str(path))
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not hasattr(archive, "files"):
                raise DataError(f"{where}: a single array (.npy), not an .npz archive of named arrays")
            return {key: archive[key] for key in archive.files}
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{where}: it is a directory, not an .npz file") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        if "allow_pickle" in message:
            message = "it holds Python objects (pickles), which are never loaded"
        raise DataError(f"{where}: cannot read it as an .npz file: {safe_text(message)}") from None


def _sparse(loss) -> bool:
    """A sparse loss takes integer class ids, one per sample, not one value per output unit."""
    name = getattr(loss, "callee", loss)
    return isinstance(name, str) and name.lower().replace("_", "").startswith("sparse")


def _output_losses(graph) -> Dict[str, object]:
    loss = (graph.compile or {}).get("loss")
    if isinstance(loss, dict):
        return {o.name: loss.get(o.name) for o in graph.outputs}
    if isinstance(loss, (list, tuple)) and len(loss) == len(graph.outputs):  # a compiled model's (kinds.py)
        return {o.name: v for o, v in zip(graph.outputs, loss)}
    return {o.name: loss for o in graph.outputs}


def _targets(graph) -> set:
    """The outputs that need a target array (graphspec.backends.kinds.targets_needed)."""
    return set(targets_needed(graph.compile, [o.name for o in graph.outputs]))


def _kind(dtype: np.dtype) -> str:
    return dtype.kind  # b bool, i/u integer, f float, c complex, U/S text, O object, V void


_NUMERIC = frozenset("biuf")


def _dtype_ok(expected: str, got: np.dtype) -> bool:
    """A float input takes any real numbers (Keras casts them); an integer input (token ids) only
    integers, since floats would be truncated silently; text, objects and complex numbers never."""
    if _kind(got) not in _NUMERIC:
        return False
    if expected.startswith(("int", "uint")):
        return _kind(got) in "biu"
    if expected == "bool":
        return _kind(got) in "biu"
    return True


@dataclass(frozen=True)
class _Expect:
    role: str  # "input" or "output"
    name: str
    shape: Tuple[Optional[int], ...]  # without the samples axis
    dtype: str
    alt_shape: Optional[Tuple[Optional[int], ...]] = None  # a sparse target's (..., 1) form

    def text(self) -> str:
        shapes = " or ".join(_with_n(s) for s in (self.shape, self.alt_shape) if s is not None)
        return f"shape {shapes} and dtype {self.dtype}"


def _with_n(shape) -> str:
    return shape_text(("N",) + tuple(shape)) if shape else "(N,)"


def _expectations(graph, need_outputs: bool) -> List[_Expect]:
    out = [_Expect("input", i.name, tuple(i.shape), i.dtype) for i in graph.inputs]
    if not need_outputs:
        return out
    losses = _output_losses(graph)
    needed = _targets(graph)
    for o in graph.outputs:
        if o.name not in needed:  # no loss and no metric reads it: trained without a target
            continue
        tensor = graph.tensors[o.tensor]
        shape = tuple(tensor.shape[1:])
        if _sparse(losses.get(o.name)):
            out.append(_Expect("output", o.name, shape[:-1], "int64 (class ids)", shape[:-1] + (1,)))
        else:
            out.append(_Expect("output", o.name, shape, tensor.dtype))
    return out


def _shape_ok(expected, got) -> bool:
    return len(expected) == len(got) and all(e is None or e == g for e, g in zip(expected, got))


def _holds(key: str, array: np.ndarray) -> str:
    return f"`{safe_text(key)}` with shape {shape_text(array.shape)} and dtype {array.dtype}"


def check_data(arrays: Dict[str, np.ndarray], graph, where: str, need_outputs: bool = True,
               allow_outputs: bool = True) -> Data:
    """The arrays of `where` checked against model `graph`'s inputs (and outputs); DataError on the first
    problem. `allow_outputs`: output arrays may be present though not needed (predict ignores them)."""
    where = safe_text(where)
    expects = _expectations(graph, need_outputs)
    wanted = {e.name for e in expects}
    tolerated = {o.name for o in graph.outputs} if allow_outputs else set()
    names = ", ".join(f"{e.role} `{e.name}`" for e in expects)
    for e in expects:
        if e.name not in arrays:
            held = ", ".join(f"`{safe_text(k)}`" for k in sorted(arrays)) or "no arrays"
            raise DataError(f"{where}: no array for {e.role} `{e.name}` (expected {e.text()}); "
                            f"the file holds {held}")
    for key in sorted(arrays):
        if key not in wanted and key not in tolerated:
            raise DataError(f"{where}: the array `{safe_text(key)}` is neither an input nor an output of "
                            f"model `{graph.name}` (it expects {names}); remove it or rename it")
    for e in expects:
        array = arrays[e.name]
        if array.ndim == 0 or not any(_shape_ok(s, array.shape[1:]) for s in (e.shape, e.alt_shape)
                                      if s is not None):
            raise DataError(f"{where}: {e.role} `{e.name}` expects {e.text()}; the file holds "
                            f"{_holds(e.name, array)}")
        expected_dtype = "int64" if e.alt_shape is not None else e.dtype
        if not _dtype_ok(expected_dtype, array.dtype):
            raise DataError(f"{where}: {e.role} `{e.name}` expects {e.text()}; the file holds "
                            f"{_holds(e.name, array)}")
    counts = {e.name: arrays[e.name].shape[0] for e in expects}
    if len(set(counts.values())) > 1:
        listing = ", ".join(f"`{n}` {c}" for n, c in counts.items())
        raise DataError(f"{where}: every array needs the same number of samples (the first axis); "
                        f"the file holds {listing}")
    if not counts or next(iter(counts.values())) == 0:
        raise DataError(f"{where}: the arrays hold no samples")
    x = [arrays[i.name] for i in graph.inputs]
    y = [arrays[o.name] if o.name in wanted else None for o in graph.outputs] if need_outputs else None
    return Data(x, y, next(iter(counts.values())))


def read_data(path, graph, need_outputs: bool = True) -> Data:
    """`load_npz` then `check_data`."""
    return check_data(load_npz(path), graph, str(path), need_outputs=need_outputs)
