"""Keras's broadcasting of static shapes (keras/src/ops/operation_utils.py), no Keras import.

Shapes include the batch axis; None is an unknown dim. Keras's rule is asymmetric on
None: (None,) with (3,) gives (3,), and so does (3,) with (None,).
"""

from __future__ import annotations

from graphspec.catalog.base import ShapeError
from graphspec.diagnostics import codes
from graphspec.text import shape_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Sequence

    from graphspec.catalog.base import Shape


def _fix(shape1: Sequence, shape2: Sequence) -> Optional[str]:
    """A fix when one shape is the other with a size-1 axis missing (the common mistake)."""
    a, b = tuple(shape1), tuple(shape2)
    for short, long_, which in ((a, b, "left"), (b, a, "right")):
        if len(short) + 1 != len(long_):
            continue
        for axis in range(len(long_) - 1, -1, -1):
            candidate = short[:axis] + (1,) + short[axis:]
            try:
                if broadcast_shapes(candidate, long_) != long_:
                    continue  # broadcasts, but to a bigger shape: not the fix
            except ShapeError:
                continue
            return (f"add a size-1 axis to the {which} operand {shape_text(short)} with "
                    f"ops.expand_dims(axis={axis}), giving {shape_text(candidate)}")
    return "make the two shapes equal, or 1, in every axis where they differ (counted from the right)"


def broadcast_shapes(shape1: Sequence, shape2: Sequence) -> Shape:
    """The broadcast of two shapes exactly as Keras computes it on KerasTensors."""
    s1, s2 = list(shape1), list(shape2)
    if len(s1) > len(s2):
        s2 = [1] * (len(s1) - len(s2)) + s2
    if len(s1) < len(s2):
        s1 = [1] * (len(s2) - len(s1)) + s1
    out = list(s1)
    for i, (d1, d2) in enumerate(zip(s1, s2)):
        if d1 == 1:
            out[i] = d2
        elif d1 is None:
            out[i] = None if d2 == 1 else d2
        elif d2 == 1 or d2 is None or d2 == d1:
            out[i] = d1
        else:
            raise ShapeError(
                f"cannot broadcast shapes {shape_text(tuple(shape1))} and {shape_text(tuple(shape2))}: "
                f"size {d1} against size {d2} (axis {i - len(s1)})",
                help=_fix(shape1, shape2), code=codes.E401)
    return tuple(out)


def broadcast_many(shapes: Sequence[Sequence]) -> Shape:
    """The broadcast of several shapes, left to right as Keras folds them."""
    out = tuple(shapes[0])
    for s in shapes[1:]:
        out = broadcast_shapes(out, s)
    return out
