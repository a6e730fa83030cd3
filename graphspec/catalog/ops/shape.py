"""Shape ops: expand_dims, squeeze, reshape, transpose, concatenate, stack, split, indexing
(ported from keras/src/ops/numpy.py and operation_utils.py)."""

from __future__ import annotations

import math

from graphspec.catalog.base import ShapeError
from graphspec.catalog.ops import OpEntry
from graphspec.catalog.ops._axes import as_tuple, canonical
from graphspec.catalog.ops.dtypes import result_type
from graphspec.catalog.ops.elementwise import std
from graphspec.diagnostics import codes
from graphspec.text import shape_text, spec_value


def _err(message: str, help_: str) -> ShapeError:
    return ShapeError(message, help=help_, code=codes.E401)


def same_dtype(config, dtypes):
    return std(dtypes[0])


def promoted(config, dtypes):
    return result_type(*dtypes)


def expand_dims(config, shapes):
    shape = list(shapes[0])
    axes = as_tuple(config["axis"])
    out_ndim = len(axes) + len(shape)
    axes = [canonical(a, out_ndim, param="axis") for a in axes]
    rest = iter(shape)
    out = []
    for ax in range(out_ndim):
        if ax in axes:
            out.append(1)
        else:
            try:
                out.append(next(rest))
            except StopIteration:  # a repeated axis: Keras runs out of input dims too
                raise _err(f"axis={spec_value(config['axis'])} repeats an axis", "list each new axis once")
    return tuple(out)


def squeeze(config, shapes):
    shape = list(shapes[0])
    axis = config.get("axis")
    if axis is None:
        return tuple(d for d in shape if d != 1)
    axes = as_tuple(axis)
    for a in axes:
        try:
            size = shape[a]
        except IndexError:
            raise _err(f"axis={spec_value(a)} is out of range for a tensor of shape {shape_text(tuple(shape))}",
                       f"valid axes are from {-len(shape)} to {len(shape) - 1}") from None
        if size != 1:
            raise _err(f"cannot squeeze axis {a} of shape {shape_text(tuple(shape))}: its size is "
                       f"{'unknown' if size is None else size}, not 1",
                       "squeeze only axes of size 1, or use ops.reshape")
    for a in sorted((canonical(a, len(shape), shape) for a in axes), reverse=True):
        del shape[a]
    return tuple(shape)


def reshape(config, shapes):
    shape = tuple(shapes[0])
    new = config["newshape"]
    new = (new,) if isinstance(new, int) else tuple(new)
    if any(d is not None and d < -1 for d in new) or new.count(-1) > 1:
        raise _err(f"newshape={spec_value(new)} is not a shape: each size must be >= 0, with at most one -1",
                   "write the new shape with its batch axis, e.g. newshape=(-1, 4, 8)")
    if None in shape or None in new:
        return tuple(None if d == -1 else d for d in new)
    size = math.prod(shape)
    if -1 not in new:
        if size != math.prod(new):
            raise _err(f"cannot reshape {shape_text(shape)} ({size} values) to {shape_text(new)} "
                       f"({math.prod(new)} values)", "keep the number of values; use -1 for one size")
        return new
    known = math.prod(d for d in new if d != -1)
    if known == 0 or size % known:
        raise _err(f"cannot reshape {shape_text(shape)} ({size} values) to {shape_text(new)}",
                   f"the sizes other than -1 must divide {size}")
    return tuple(size // known if d == -1 else d for d in new)


def transpose(config, shapes):
    shape = tuple(shapes[0])
    axes = config.get("axes")
    if axes is None:
        return shape[::-1]
    ndim = len(shape)
    if len(axes) != ndim:
        raise _err(f"axes={spec_value(tuple(axes))} has {len(axes)} entries for a tensor of shape "
                   f"{shape_text(shape)} (rank {ndim})", f"give a permutation of all {ndim} axes")
    norm = []
    for ax in axes:
        if not -ndim <= ax < ndim:
            raise _err(f"axes={spec_value(tuple(axes))}: {ax} is out of range for rank {ndim}",
                       f"each axis must be from {-ndim} to {ndim - 1}")
        norm.append(ax % ndim)
    if len(set(norm)) != ndim:
        raise _err(f"axes={spec_value(tuple(axes))} is not a permutation (an axis repeats)",
                   "list every axis exactly once")
    return tuple(shape[a] for a in norm)


def _equal(a, b, skip=()) -> bool:
    """keras.src.ops.numpy.shape_equal with allow_none=True."""
    if len(a) != len(b):
        return False
    return all(i in skip or x is None or y is None or x == y for i, (x, y) in enumerate(zip(a, b)))


def _need_list(shapes, name):
    if not shapes:
        raise _err(f"`ops.{name}` needs at least one tensor", "pass a tuple of tensors: (a, b) -> ops.%s()" % name)


def concatenate(config, shapes):
    _need_list(shapes, "concatenate")
    first = tuple(shapes[0])
    axis = canonical(config["axis"], len(first), first)
    total = 0
    for s in shapes:
        if not _equal(s, first, (axis,)):
            raise _err(f"cannot concatenate shapes {', '.join(shape_text(tuple(x)) for x in shapes)} on axis "
                       f"{config['axis']}: they must be equal except on that axis",
                       "make the other axes equal, or concatenate on the axis where they differ")
        total = None if total is None or s[axis] is None else total + s[axis]
    out = list(first)
    out[axis] = total
    return tuple(out)


def stack(config, shapes):
    _need_list(shapes, "stack")
    first = tuple(shapes[0])
    axis = canonical(config["axis"], len(first) + 1, first)
    for s in shapes:
        if not _equal(s, first):
            raise _err(f"cannot stack shapes {', '.join(shape_text(tuple(x)) for x in shapes)}: "
                       "they must be equal", "stack tensors of one shape; use ops.concatenate to join along an axis")
    out = list(first)
    out.insert(axis, len(shapes))
    return tuple(out)


def list_dtype(config, dtypes):
    return result_type(*dtypes) if dtypes else result_type()


def split(config, shapes):
    shape = list(shapes[0])
    axis = canonical(config["axis"], len(shape), shape)
    size = shape[axis]
    parts = config["indices_or_sections"]
    if isinstance(parts, int):
        if size is not None:
            if parts == 0 or size % parts:
                raise _err(f"cannot split size {size} (axis {config['axis']} of {shape_text(tuple(shape))}) "
                           f"into {parts} equal parts", f"use a number of sections that divides {size}")
            shape[axis] = size // parts
        return [tuple(shape) for _ in range(max(parts, 0))]
    bounds = [0] + list(parts) + [size]
    out = []
    for start, end in zip(bounds, bounds[1:]):
        part = list(shape)
        part[axis] = None if start is None or end is None else end - start
        if part[axis] is not None and part[axis] < 0:
            raise _err(f"indices_or_sections={spec_value(tuple(parts))} cuts axis {config['axis']} of "
                       f"{shape_text(tuple(shape))} into a part of negative size {part[axis]}",
                       "give increasing indices within the axis")
        out.append(tuple(part))
    return out


def split_dtype(config, dtypes):
    n = config["indices_or_sections"]
    count = max(n, 0) if isinstance(n, int) else len(n) + 1
    return [std(dtypes[0])] * count


def getitem(config, shapes):
    shape = list(shapes[0])
    full = tuple(shape)
    key = list(config["key"])
    if key.count(Ellipsis) > 1:
        raise _err("an index may hold only one `...`", "keep one `...`")
    if Ellipsis not in key:
        key.append(Ellipsis)
    out = []
    while key:
        item = key.pop(0)
        if item is Ellipsis:
            needed = len(key) - key.count(None)
            consumed = len(shape) - needed  # negative when there are too many indices, as in Keras
            out += shape[:consumed]
            shape = shape[consumed:]
            continue
        if item is None:
            out.append(1)
            continue
        if not shape:
            raise _err(f"too many indices for a tensor of shape {shape_text(full)}",
                       f"index at most {len(full)} axes")
        length = shape.pop(0)
        if isinstance(item, bool) or not isinstance(item, (int, slice)):
            raise _err(f"unsupported index {spec_value(item)}", "index with integers, slices, `...` and None")
        if isinstance(item, int):
            if length is not None:
                index = item if item >= 0 else item + length
                if not 0 <= index < length:
                    raise _err(f"index {item} is out of range for an axis of size {length} "
                               f"(shape {shape_text(full)})", f"use an index from {-length} to {length - 1}")
        else:
            if length is None:
                out.append(None)
            elif item.step == 0:
                raise _err("a slice step cannot be 0", "use a non-zero step")
            else:
                out.append(len(range(*item.indices(length))))
    return tuple(out)


ENTRIES = [
    OpEntry("expand_dims", "expand_dims", ("x",), False, expand_dims, same_dtype,
            "a size-1 axis inserted at each position in `axis`"),
    OpEntry("squeeze", "squeeze", ("x",), False, squeeze, same_dtype,
            "the size-1 axes in `axis` removed (every size-1 axis when axis=None)"),
    OpEntry("reshape", "reshape", ("x",), False, reshape, same_dtype,
            "`newshape` with the batch axis (-1 for one size); the number of values is kept"),
    OpEntry("transpose", "transpose", ("x",), False, transpose, same_dtype,
            "the axes permuted by `axes` (reversed when axes=None)"),
    OpEntry("concatenate", "concatenate", ("xs",), True, concatenate, list_dtype,
            "a list of tensors equal except on `axis`, joined along it; dtypes promoted"),
    OpEntry("stack", "stack", ("x",), True, stack, list_dtype,
            "a list of equal-shape tensors stacked on a new axis `axis`; dtypes promoted"),
    OpEntry("split", "split", ("x",), False, split, split_dtype,
            "several outputs: `indices_or_sections` equal parts, or cut at the given indices, along `axis`"),
    OpEntry("getitem", "getitem", ("x",), False, getitem, same_dtype,
            "x[...]: NumPy basic indexing (integers, slices, `...`, None); same dtype"),
]
