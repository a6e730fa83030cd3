"""Merge layers, called on a list of tensors: Concatenate, Add, Subtract, Multiply, Average,
Maximum, Minimum, Dot."""

from __future__ import annotations

from graphspec.catalog.base import LIST, ArgError, LayerEntry, ShapeError
from graphspec.catalog.layers._util import call_text, fmt, fmt_value, join_shapes
from graphspec.diagnostics import codes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional


# --------------------------------------------------------------------------- element-wise merges


def _broadcast(a: Optional[tuple], b: Optional[tuple]) -> Optional[tuple]:
    """Keras's Merge._compute_elemwise_op_output_shape: right-aligned, 1 stretches, None wins."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return a
    out = list(a[: len(a) - len(b)])
    for i, j in zip(a[len(a) - len(b):], b):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1:
            out.append(i)
        elif i != j:
            return None
        else:
            out.append(i)
    return tuple(out)


def _stride_for(src: int, tgt: int) -> Optional[int]:
    """A stride that takes a "same"-padded length `src` to `tgt`."""
    if src == tgt:
        return 1
    if tgt <= 0 or src < tgt:
        return None
    for s in range(max(1, src // tgt), src + 1):
        if (src - 1) // s + 1 == tgt:
            return s
        if (src - 1) // s + 1 < tgt:
            return None
    return None


def projection_help(shapes, i: int, j: int) -> Optional[str]:
    """How to make input j (or i) match the other: a 1x1 convolution (or Dense) with strides."""
    a, b = tuple(shapes[i]), tuple(shapes[j])
    if len(a) != len(b) or len(a) < 2:
        return None

    def plan(src, tgt):
        """The projection call that maps shape src onto shape tgt, if one exists."""
        if tgt[-1] is None:
            return None
        if len(src) == 2:
            return call_text("Dense", tgt[-1])
        strides = []
        for s, t in zip(src[1:-1], tgt[1:-1]):
            if s is None or t is None:
                if s != t:
                    return None
                strides.append(1)
                continue
            stride = _stride_for(s, t)
            if stride is None:
                return None
            strides.append(stride)
        spatial = len(src) - 2
        if spatial > 3:
            return None
        kwargs = {}
        if any(s != 1 for s in strides):
            kwargs["strides"] = strides[0] if len(set(strides)) == 1 else tuple(strides)
        kwargs["padding"] = "same"
        return call_text(f"Conv{spatial}D", tgt[-1], 1, **kwargs)

    last = len(shapes) - 1

    def who(k):
        if k == last and k > 0:
            return "the shortcut"
        if k == 0:
            return "the first input"
        return f"input {k + 1}"

    # Project the larger input (typically the shortcut, the later one) onto the smaller. A
    # convolutional shortcut widens channels (ResNet), so the input with fewer channels goes first.
    order = ((j, i), (i, j))
    if len(a) > 2 and a[-1] is not None and b[-1] is not None and b[-1] > a[-1]:
        order = ((i, j), (j, i))
    for src, tgt in order:
        call = plan(tuple(shapes[src]), tuple(shapes[tgt]))
        if call is not None:
            return f"project {who(src)} with `{call}`"
    return None


def _merge_error(name: str, shapes, i: int, j: int) -> ShapeError:
    a, b = tuple(shapes[i]), tuple(shapes[j])
    help_ = projection_help(shapes, i, j)
    if help_ is None and len(a) != len(b):
        help_ = "give the inputs the same rank, e.g. with `Reshape(...)` or `Flatten()`"
    elif help_ is None:
        help_ = "the shapes must match (an axis of size 1 broadcasts)"
    return ShapeError(f"{name} requires inputs of the same shape; received shapes {fmt(a)} and {fmt(b)}", help_)


def _batch(name: str, shapes) -> Optional[int]:
    sizes = {s[0] for s in shapes if s} - {None}
    if len(sizes) > 1:
        raise ShapeError(
            f"{name} cannot merge tensors with different batch sizes; received shapes {join_shapes(shapes)}",
            None,
        )
    return next(iter(sizes)) if sizes else None


def elementwise_shape(name: str, config, inputs):
    shapes = [tuple(s) for s in inputs]
    _batch(name, shapes)
    out = shapes[0][1:]
    for j in range(1, len(shapes)):
        nxt = _broadcast(out, shapes[j][1:])
        if nxt is None:
            # name the earliest input that clashes with input j on its own
            for i in range(j):
                if _broadcast(shapes[i][1:], shapes[j][1:]) is None:
                    raise _merge_error(name, shapes, i, j)
            raise _merge_error(name, shapes, 0, j)
        out = nxt
    return (_batch(name, shapes),) + out


def make_elementwise(name: str, summary_op: str, max_inputs: Optional[int] = None, min_inputs: int = 2):
    def shape_rule(config, inputs):
        return elementwise_shape(name, config, inputs)

    return LayerEntry(
        name=name,
        shape=shape_rule,
        call=LIST,
        min_inputs=min_inputs,
        max_inputs=max_inputs,
        summary=f"[a, b, ...] of the same shape -> that shape ({summary_op}; size-1 axes broadcast, "
        "lower ranks align right)",
    )


# --------------------------------------------------------------------------- Concatenate


def _concat_error(axis, shapes, rank_mismatch: bool = False) -> ShapeError:
    if rank_mismatch:
        return ShapeError(
            f"Concatenate requires inputs of the same rank; received shapes {join_shapes(shapes)}",
            "flatten or reshape the inputs to the same rank first, e.g. with `Flatten()`",
        )
    help_ = f"only axis {axis} may differ"
    ranks = {len(s) for s in shapes}
    if len(ranks) == 1:
        rank = next(iter(ranks))
        differ = [i for i in range(1, rank)
                  if len({s[i] for s in shapes if s[i] is not None}) > 1]
        if len(differ) == 1:  # the inputs differ on one other axis: the user meant that one
            k = differ[0] - rank
            help_ = (f"only axis {axis} may differ, and these inputs differ on axis {k}: to join them along it, "
                     f"write `Concatenate(axis={k})`")
    if len(ranks) == 1 and ranks == {4} and axis in (-1, 3):
        # images of different sizes: suggest pooling the larger one down
        a, b = shapes[0], next((s for s in shapes[1:] if s[1:3] != shapes[0][1:3]), shapes[0])
        big, small = (a, b) if (a[1] or 0) >= (b[1] or 0) else (b, a)
        if all(x and y and x % y == 0 for x, y in zip(big[1:3], small[1:3])):
            f = tuple(x // y for x, y in zip(big[1:3], small[1:3]))
            pool = f[0] if f[0] == f[1] else f
            help_ = (f"only axis {axis} may differ; downsample the larger input first, "
                     f"e.g. `MaxPooling2D({fmt_value(pool)})`")
    return ShapeError(
        "Concatenate requires inputs with matching shapes except on the concatenation axis "
        f"(axis={axis}); received shapes {join_shapes(shapes)}",
        help_,
    )


def concat_shape(config, inputs):
    axis = config.get("axis", -1)
    shapes = [tuple(s) for s in inputs]
    reduced = set()
    for s in shapes:
        r = list(s)
        if len(r) > axis:  # as Keras does: a positive axis past the end is left in place
            if not -len(r) <= axis < len(r):
                raise ShapeError(
                    f"axis {axis} is out of range for inputs of rank {len(r)}; received shape {fmt(s)}",
                    f"choose an axis between {-len(r)} and {len(r) - 1}",
                )
            del r[axis]
        reduced.add(tuple(r))
    if len(reduced) > 1:
        ranks = {len(r) for r in reduced}
        if len(ranks) > 1:
            raise _concat_error(axis, shapes, rank_mismatch=True)
        (rank,) = ranks
        for k in range(rank):
            if len({r[k] for r in reduced if r[k] is not None}) > 1:
                raise _concat_error(axis, shapes)
    out = list(shapes[0])
    if not -len(out) <= axis < len(out):
        raise ShapeError(
            f"axis {axis} is out of range for inputs of rank {len(out)}; received shape {fmt(shapes[0])}",
            f"choose an axis between {-len(out)} and {len(out) - 1}",
        )
    for s in shapes[1:]:
        if out[axis] is None:
            break
        if not -len(s) <= axis < len(s):
            raise _concat_error(axis, shapes, rank_mismatch=True)
        if s[axis] is None:
            out[axis] = None
            break
        out[axis] += s[axis]
    return tuple(out)


# --------------------------------------------------------------------------- Dot


def _dot_axes(config, a, b):
    axes = config["axes"]
    if isinstance(axes, int):
        return [axes % len(a), axes % len(b)] if axes < 0 else [axes, axes]
    return list(axes)


def dot_shape(config, inputs):
    a, b = tuple(inputs[0]), tuple(inputs[1])
    axes = _dot_axes(config, a, b)
    for shape, ax in ((a, axes[0]), (b, axes[1])):
        if not -len(shape) <= ax < len(shape):
            raise ShapeError(
                f"axis {ax} is out of range for an input of rank {len(shape)}; received shape {fmt(shape)}",
                f"choose `axes` between 1 and {len(shape) - 1}",
            )
    if a[axes[0]] != b[axes[1]]:
        raise ShapeError(
            f"Dot requires the reduced axes to have the same size; received shapes {fmt(a)} and {fmt(b)} "
            f"with axes={fmt_value(tuple(axes))} ({a[axes[0]]} != {b[axes[1]]})",
            "choose `axes` whose sizes match (unknown sizes never match a known one)",
        )
    s1, s2 = list(a), list(b)
    s1.pop(axes[0])
    s2.pop(axes[1])
    if not s2:
        raise ShapeError(f"Dot cannot reduce the only axis of {fmt(b)}", None)
    s2.pop(0)
    out = s1 + s2
    if len(out) == 1:
        out.append(1)
    return tuple(out)


def dot_validate(config):
    axes = config.get("axes")
    if isinstance(axes, bool) or not isinstance(axes, (int, list, tuple)):
        raise ArgError("axes", f"`axes` must be an integer or a pair of integers; received {axes!r}")
    if isinstance(axes, (list, tuple)) and (len(axes) != 2 or not all(isinstance(x, int) for x in axes)):
        raise ArgError("axes", f"`axes` must be an integer or a pair of integers; received {fmt_value(axes)}",
                       code=codes.E305)


ENTRIES = [
    LayerEntry(
        name="Concatenate",
        shape=concat_shape,
        call=LIST,
        min_inputs=2,
        max_inputs=None,
        summary="[a, b, ...] matching except on `axis` -> the sizes on `axis` summed",
    ),
    make_elementwise("Add", "sum"),
    make_elementwise("Subtract", "a - b", max_inputs=2),
    make_elementwise("Multiply", "product"),
    make_elementwise("Average", "mean"),
    make_elementwise("Maximum", "max"),
    make_elementwise("Minimum", "min"),
    LayerEntry(
        name="Dot",
        shape=dot_shape,
        call=LIST,
        min_inputs=2,
        max_inputs=2,
        validate=dot_validate,
        summary="[a, b] -> a's axes without axes[0], then b's without the batch axis and axes[1]",
    ),
]
