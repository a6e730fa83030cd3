"""Preprocessing layers: CategoryEncoding, Discretization, Hashing, HashedCrossing, IntegerLookup,
StringLookup, TextVectorization, Normalization, MelSpectrogram, STFTSpectrogram.

Their rules follow Keras 3.15.1's symbolic shapes, quirks included (a rank-1 input to a
multi-hot encoding loses its batch axis, as in Keras). Output dtypes, which the rules do
not return, are given in each summary: the lookups, Hashing and TextVectorization in
"int" mode give int64 indices, Discretization int32.

Layers that learn their state with `adapt()` (a lookup without `vocabulary`,
Normalization without `mean`/`variance`, Discretization without `bin_boundaries`) build
fine; the size of an encoding that depends on a vocabulary not given in the spec is
unknown (None) until then, as in Keras.
"""

from __future__ import annotations

from graphspec.catalog.base import LIST, ArgError, LayerEntry, ShapeError
from graphspec.catalog.layers._util import check_rank, flag, fmt, fmt_value, indices_dtype, norm_axis, prod
from graphspec.diagnostics import codes

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _mode(config, default="int") -> str:
    mode = config.get("output_mode", default)
    return {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(mode, mode)


def _bad(param, message, help=None, code=codes.E305):
    return ArgError(param, message, help=help, code=code)


# --------------------------------------------------------------------------- lookups


def _lookup_depth(config, oov_default, mask_default=None):
    """The encoding size of a lookup in a non-"int" mode, or None when it depends on adapt()."""
    if flag(config, "pad_to_max_tokens"):
        return config.get("max_tokens")
    vocab = config.get("vocabulary")
    if not isinstance(vocab, (list, tuple)):
        return None  # learnt by adapt(), or read from a file
    n_oov = config.get("num_oov_indices", 1)
    oov = config.get("oov_token", oov_default)
    special = [oov] * n_oov  # the mask token takes no index outside "int" mode
    tokens = list(vocab)[n_oov:] if list(vocab)[:n_oov] == special else list(vocab)
    return n_oov + len(tokens)


def _encode(shape, mode, depth):
    """IndexLookup.compute_output_shape."""
    if mode == "int":
        return shape
    if mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            return shape[:-1] + (depth,)
        return shape + (depth,)
    return shape[:-1] + (depth,)


def make_lookup(name: str, oov_default):
    def shape_rule(config, inputs):
        return _encode(tuple(inputs[0]), _mode(config), _lookup_depth(config, oov_default))

    def validate(config):
        mode = _mode(config)
        if mode not in _MODES:
            raise _bad("output_mode", f"`output_mode` must be one of {', '.join(map(fmt_value, _MODES))}; "
                                      f"received {fmt_value(config.get('output_mode'))}")
        max_tokens = config.get("max_tokens")
        if max_tokens is not None and isinstance(max_tokens, int) and max_tokens <= 1:
            raise _bad("max_tokens", f"`max_tokens` must be greater than 1 when set; received {max_tokens}")
        if flag(config, "pad_to_max_tokens") and max_tokens is None:
            raise _bad("pad_to_max_tokens", "pad_to_max_tokens=True needs `max_tokens`",
                       help="set max_tokens=..., or drop pad_to_max_tokens")
        n_oov = config.get("num_oov_indices", 1)
        if isinstance(n_oov, int) and n_oov < 0:
            raise _bad("num_oov_indices", f"`num_oov_indices` must be >= 0; received {n_oov}")
        if flag(config, "invert") and mode != "int":
            raise _bad("invert", f"invert=True needs output_mode=\"int\"; received output_mode={fmt_value(mode)}")
        if flag(config, "sparse") and mode == "int":
            raise _bad("sparse", "sparse=True needs an output_mode other than \"int\"")
        idf = config.get("idf_weights")
        if idf is not None and mode != "tf_idf":
            raise _bad("idf_weights", "`idf_weights` is only used with output_mode=\"tf_idf\"")
        vocab = config.get("vocabulary")
        if mode == "tf_idf" and vocab is not None and idf is None:
            raise _bad("idf_weights", "output_mode=\"tf_idf\" with a `vocabulary` needs `idf_weights` too",
                       help="give one weight per vocabulary entry")
        if isinstance(vocab, (list, tuple)) and isinstance(idf, (list, tuple)) and len(vocab) != len(idf):
            raise _bad("idf_weights", f"`idf_weights` must have one weight per vocabulary entry "
                                      f"({len(idf)} != {len(vocab)})")
        if isinstance(vocab, (list, tuple)):
            if not vocab:
                raise _bad("vocabulary", "the vocabulary is empty")
            if len(set(vocab)) != len(vocab):
                raise _bad("vocabulary", "the vocabulary has repeated entries")
            depth = _lookup_depth(dict(config, pad_to_max_tokens=False), oov_default)
            size = depth + (1 if config.get("mask_token") is not None and mode == "int" else 0)
            if max_tokens is not None and isinstance(max_tokens, int) and size > max_tokens:
                raise _bad("max_tokens", f"the vocabulary (with its mask and OOV indices) has {size} entries, "
                                         f"more than max_tokens={max_tokens}")

    what = "strings" if name == "StringLookup" else "integers"
    return LayerEntry(
        name=name,
        shape=shape_rule,
        validate=validate,
        dtype=indices_dtype("int64"),
        summary=f"(batch, ...) {what} -> the same shape of int64 indices (\"int\"); one_hot adds an axis of "
        "the vocabulary size (replacing a last axis of 1); multi_hot/count/tf_idf replace the last axis by it "
        "(None until adapt() when no vocabulary is given)",
    )


# --------------------------------------------------------------------------- CategoryEncoding, Hashing


def category_encoding_shape(config, inputs):
    shape = tuple(inputs[0])
    n = config["num_tokens"]
    if len(shape) == 0:
        return (n,)
    if config.get("output_mode", "multi_hot") == "one_hot":
        if shape[-1] != 1 or len(shape) == 1:
            return shape + (n,)
        return shape[:-1] + (n,)
    return shape[:-1] + (n,)


def category_encoding_validate(config):
    mode = _mode(config, "multi_hot")
    if mode not in ("one_hot", "multi_hot", "count"):
        raise _bad("output_mode", f"`output_mode` must be \"one_hot\", \"multi_hot\" or \"count\"; received "
                                  f"{fmt_value(config.get('output_mode'))}")
    n = config.get("num_tokens")
    if n is None:
        raise _bad("num_tokens", "CategoryEncoding needs `num_tokens`", code=codes.E303)
    if isinstance(n, int) and n < 1:
        raise _bad("num_tokens", f"`num_tokens` must be at least 1; received {n}")


def hashing_shape(config, inputs):
    shape = tuple(inputs[0])
    if _mode(config) == "int":
        return shape
    return shape[:-1] + (config["num_bins"],)


def _encoding_mode_validate(config, allowed=("int", "one_hot", "multi_hot", "count")):
    mode = _mode(config)
    if mode not in allowed:
        raise _bad("output_mode", f"`output_mode` must be one of {', '.join(map(fmt_value, allowed))}; received "
                                  f"{fmt_value(config.get('output_mode'))}")
    if flag(config, "sparse") and mode == "int":
        raise _bad("sparse", "sparse=True needs an output_mode other than \"int\"")


def hashing_validate(config):
    _encoding_mode_validate(config)
    bins = config.get("num_bins")
    if bins is None or (isinstance(bins, int) and bins < 1):
        raise _bad("num_bins", f"`num_bins` must be a positive integer; received {fmt_value(bins)}")
    dtype = config.get("dtype")
    if config.get("output_mode", "int") == "int" and isinstance(dtype, str) and dtype not in ("int32", "int64"):
        raise _bad("dtype", f'Hashing with output_mode="int" gives integer bin indices: `dtype` must be "int32" or '
                            f'"int64"; received dtype={fmt_value(dtype)}',
                   help='write `dtype="int64"`, or leave `dtype` out')


# --------------------------------------------------------------------------- HashedCrossing


def hashed_crossing_shape(config, inputs):
    first, second = tuple(inputs[0]), tuple(inputs[1])
    if first and second and first[-1] != second[-1]:
        raise ShapeError(f"HashedCrossing requires inputs of the same shape; received shapes {fmt(first)} and "
                         f"{fmt(second)}", "cross two features of shape (1,) each")
    # Stricter than Keras's symbolic build; the first real call fails on these:
    for shape in (first, second):
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ShapeError(
                f"HashedCrossing crosses scalar features: each input must have shape (batch,) or (batch, 1); "
                f"received {fmt(shape)}",
                "declare each feature as `(1,)`, or cross the columns one pair at a time",
            )
    if first != second:
        raise ShapeError(f"HashedCrossing requires inputs of the same shape; received shapes {fmt(first)} and "
                         f"{fmt(second)}", "give both features the shape (1,)")
    mode = _mode(config)
    if mode == "int":
        return first
    if mode == "one_hot" and first[-1] != 1:
        return first + (config["num_bins"],)
    return first[:-1] + (config["num_bins"],)


def hashed_crossing_validate(config):
    _encoding_mode_validate(config, ("int", "one_hot"))
    bins = config.get("num_bins")
    if bins is None or (isinstance(bins, int) and bins < 1):
        raise _bad("num_bins", f"`num_bins` must be a positive integer; received {fmt_value(bins)}")
    dtype = config.get("dtype")
    if config.get("output_mode", "int") == "int" and isinstance(dtype, str) and dtype not in ("int32", "int64"):
        raise _bad("dtype", f'Hashing with output_mode="int" gives integer bin indices: `dtype` must be "int32" or '
                            f'"int64"; received dtype={fmt_value(dtype)}',
                   help='write `dtype="int64"`, or leave `dtype` out')


# --------------------------------------------------------------------------- Discretization


def _bins(config):
    bounds = config.get("bin_boundaries")
    return len(bounds) + 1 if isinstance(bounds, (list, tuple)) else config.get("num_bins")


def discretization_shape(config, inputs):
    shape = tuple(inputs[0])
    mode = _mode(config)
    if mode == "int":
        return shape
    depth = _bins(config)
    if mode == "one_hot":
        if shape and shape[-1] == 1 and len(shape) > 1:
            return shape[:-1] + (depth,)
        return shape + (depth,)
    if len(shape) >= 2:
        return (shape[0],) + shape[2:] + (depth,)
    return (depth,)


def discretization_validate(config):
    _encoding_mode_validate(config)
    bounds, bins = config.get("bin_boundaries"), config.get("num_bins")
    if bounds is not None and bins is not None:
        raise _bad("num_bins", "give either `bin_boundaries` or `num_bins`, not both")
    if bounds is None and bins is None:
        raise _bad("num_bins", "Discretization needs `bin_boundaries`, or `num_bins` (then adapt() it)",
                   code=codes.E303)
    if isinstance(bins, int) and bins < 0:
        raise _bad("num_bins", f"`num_bins` must be >= 0; received {bins}")


# --------------------------------------------------------------------------- TextVectorization


def text_vectorization_shape(config, inputs):
    shape = tuple(inputs[0])
    mode = _mode(config)
    if mode == "int":
        return (shape[0], config.get("output_sequence_length"))
    if config.get("split", "whitespace") is None:
        if len(shape) <= 1:
            shape = shape + (1,)
    else:
        shape = shape + (None,)
    depth = _lookup_depth(config, "[UNK]")
    return _encode(shape, mode, depth)


def text_vectorization_validate(config):
    mode = _mode(config)
    if mode not in ("int", "multi_hot", "count", "tf_idf"):
        raise _bad("output_mode", "`output_mode` must be \"int\", \"multi_hot\", \"count\" or \"tf_idf\"; received "
                                  f"{fmt_value(config.get('output_mode'))}")
    if mode != "int" and config.get("output_sequence_length") is not None:
        raise _bad("output_sequence_length", "`output_sequence_length` is only used with output_mode=\"int\"")
    if flag(config, "ragged") and mode != "int":
        raise _bad("ragged", "ragged=True needs output_mode=\"int\"")
    if flag(config, "pad_to_max_tokens") and config.get("max_tokens") is None:
        raise _bad("pad_to_max_tokens", "pad_to_max_tokens=True needs `max_tokens`")
    vocab, idf = config.get("vocabulary"), config.get("idf_weights")
    if mode == "tf_idf" and vocab is not None and idf is None:
        raise _bad("idf_weights", "output_mode=\"tf_idf\" with a `vocabulary` needs `idf_weights` too")
    if idf is not None and mode != "tf_idf":
        raise _bad("idf_weights", "`idf_weights` is only used with output_mode=\"tf_idf\"")


# --------------------------------------------------------------------------- Normalization


def _nested_shape(value):
    """The shape of a nested list of numbers (numpy's np.shape), or () for a scalar."""
    shape = []
    while isinstance(value, (list, tuple)):
        shape.append(len(value))
        value = value[0] if value else None
    return tuple(shape)


def _norm_axes(config):
    axis = config.get("axis", -1)
    if axis is None:
        return ()
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _normalization_keep(config, shape):
    rank = len(shape)
    axes = _norm_axes(config)
    if any(norm_axis(a, rank) is None for a in axes):
        raise ShapeError(
            f"axis {fmt_value(config.get('axis'))} is out of range for an input of rank {rank}; received shape "
            f"{fmt(shape)}", f"choose axes between {-rank} and {rank - 1}")
    keep = tuple(sorted(a % rank for a in axes))
    for d in keep:
        if shape[d] is None:
            raise ShapeError(
                f"the axis {d} that Normalization keeps must be defined; received shape {fmt(shape)}",
                "give that axis a fixed size, or normalize over other axes (axis=None for one mean and variance)")
    mean = config.get("mean")
    if mean is not None:
        mshape = _nested_shape(mean)
        for i in range(1, len(mshape) + 1):
            d = keep[-i]
            if mshape[-i] not in (1, shape[d]):
                raise ShapeError(
                    f"`mean` and `variance` of shape {fmt(mshape)} do not broadcast to the kept axes of the input "
                    f"(axis {d} has size {shape[d]}); received shape {fmt(shape)}",
                    "give one value per position of the kept axes, or a single number")
    return keep


def normalization_shape(config, inputs):
    _normalization_keep(config, tuple(inputs[0]))
    return tuple(inputs[0])


def normalization_params(config, inputs):
    shape = tuple(inputs[0])
    keep = _normalization_keep(config, shape)
    if config.get("mean") is not None:
        return 0, 0
    return 0, 2 * prod(shape[d] for d in keep) + 1


def normalization_validate(config):
    mean, var = config.get("mean"), config.get("variance")
    if (mean is None) != (var is None):
        raise _bad("variance" if var is None else "mean", "give both `mean` and `variance`, or neither (then "
                                                          "adapt() the layer)")
    if mean is not None:
        if _nested_shape(mean) != _nested_shape(var):
            raise _bad("variance", f"`mean` and `variance` must have the same shape "
                                   f"({fmt(_nested_shape(mean))} != {fmt(_nested_shape(var))})")
        if len(_nested_shape(mean)) > len(_norm_axes(config)):
            raise _bad("mean", "`mean` has more axes than `axis` keeps")


# --------------------------------------------------------------------------- spectrograms


def mel_shape(config, inputs):
    shape = tuple(inputs[0])
    stride = config.get("sequence_stride", 512)
    bins = config.get("num_mel_bins", 128)
    # Stricter than Keras's symbolic build: another rank fails (or gives another shape) when run.
    check_rank("MelSpectrogram", shape, 2, "batch, samples",
               "give the audio as (batch, samples): drop a channel axis of 1 with `Reshape((samples,))`")
    frames = (shape[1] + stride + 1) // stride if shape[1] is not None else None
    return (shape[0], bins, frames)


def mel_validate(config):
    length, fft = config.get("sequence_length"), config.get("fft_length", 2048)
    if isinstance(length, int) and isinstance(fft, int) and fft < length:
        raise _bad("fft_length", f"`fft_length` ({fft}) must be at least `sequence_length` ({length})")


def _stft(config):
    frame = config.get("frame_length", 256)
    step = config.get("frame_step") or frame // 2
    fft = config.get("fft_length") or 2 ** (frame - 1).bit_length()
    return frame, step, fft


def stft_shape(config, inputs):
    shape = tuple(inputs[0])
    last = config.get("data_format") in (None, "channels_last")
    check_rank("STFTSpectrogram", shape, 3, "batch, samples, channels" if last else "batch, channels, samples",
               "give the audio a channel axis, e.g. `Reshape((samples, 1))`")
    channels, time = (shape[2], shape[1]) if last else (shape[1], shape[2])
    if channels is None:
        raise ShapeError(f"the channel axis of the input must be defined; received shape {fmt(shape)}",
                         "give the audio a fixed number of channels, e.g. `(16000, 1)`")
    frame, step, fft = _stft(config)
    freq = (fft // 2 + 1) * (2 if config.get("mode", "log") == "stft" else 1)
    if time is None:
        frames = None
    elif config.get("padding", "valid") == "valid":
        frames = (time - frame) // step + 1
        if frames <= 0:
            raise ShapeError(
                f"the signal ({time} samples) is shorter than one frame (frame_length={frame}); received shape "
                f"{fmt(shape)}", "use padding=\"same\", a shorter frame_length, or a longer input")
    else:
        frames = (time - 1) // step + 1
    if flag(config, "expand_dims"):
        return (shape[0], frames, freq, channels) if last else (shape[0], channels, frames, freq)
    return (shape[0], frames, freq * channels) if last else (shape[0], freq * channels, frames)


def stft_params(config, inputs):
    stft_shape(config, inputs)
    frame, _, fft = _stft(config)
    kernels = 1 if config.get("mode", "log") in ("real", "imag") else 2
    return kernels * frame * (fft // 2 + 1), 0


def stft_validate(config):
    frame, step, fft = config.get("frame_length", 256), config.get("frame_step"), config.get("fft_length")
    if isinstance(step, int) and isinstance(frame, int) and (step > frame or step < 1):
        raise _bad("frame_step", f"`frame_step` must be between 1 and frame_length ({frame}); received {step}")
    if isinstance(fft, int) and isinstance(frame, int) and fft < frame:
        raise _bad("fft_length", f"`fft_length` ({fft}) must be at least `frame_length` ({frame})")
    modes = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")
    if config.get("mode", "log") not in modes:
        raise _bad("mode", f"`mode` must be one of {', '.join(map(fmt_value, modes))}; received "
                           f"{fmt_value(config.get('mode'))}")
    if config.get("padding", "valid") not in ("valid", "same"):
        raise _bad("padding", f"`padding` must be \"valid\" or \"same\"; received {fmt_value(config.get('padding'))}")


# --------------------------------------------------------------------------- entries

ENTRIES = [
    LayerEntry(name="CategoryEncoding", shape=category_encoding_shape, validate=category_encoding_validate,
               summary="(batch, ...) integer ids -> (batch, ..., num_tokens) floats: multi_hot/count replace the "
               "last axis, one_hot adds one (replacing a last axis of 1)"),
    LayerEntry(name="Discretization", shape=discretization_shape, validate=discretization_validate,
               dtype=indices_dtype("int32"),
               summary="(batch, ...) -> int32 bin indices of the same shape; one_hot adds an axis of the bin "
               "count, multi_hot/count give (batch, d2, ..., bins) as Keras does"),
    LayerEntry(name="Hashing", shape=hashing_shape, validate=hashing_validate, dtype=indices_dtype("int64"),
               summary="(batch, ...) strings or integers -> int64 bins of the same shape; other modes replace "
               "the last axis by num_bins"),
    LayerEntry(name="HashedCrossing", shape=hashed_crossing_shape, validate=hashed_crossing_validate,
               dtype=indices_dtype("int64"),
               call=LIST, min_inputs=2, max_inputs=2,
               summary="(a, b) two features of shape (batch,) or (batch, 1) -> int64 crossed bins of that shape; "
               "one_hot gives (batch, num_bins)"),
    make_lookup("IntegerLookup", -1),
    make_lookup("StringLookup", "[UNK]"),
    LayerEntry(name="TextVectorization", shape=text_vectorization_shape, validate=text_vectorization_validate,
               dtype=indices_dtype("int64"),
               summary="(batch,) or (batch, 1) strings -> (batch, output_sequence_length) int64 token ids "
               "(None when not set); multi_hot/count/tf_idf give the vocabulary size as the last axis"),
    LayerEntry(name="Normalization", shape=normalization_shape, params=normalization_params,
               validate=normalization_validate,
               summary="any shape -> the same shape; the kept `axis` dims must be defined; mean, variance and "
               "count are non-trainable weights unless `mean`/`variance` are given"),
    LayerEntry(name="MelSpectrogram", shape=mel_shape, validate=mel_validate,
               summary="(batch, samples) -> (batch, num_mel_bins, (samples + sequence_stride + 1) // "
               "sequence_stride)"),
    LayerEntry(name="STFTSpectrogram", shape=stft_shape, params=stft_params, validate=stft_validate,
               summary="(batch, samples, channels) -> (batch, frames, freq * channels), freq = fft_length // 2 + 1 "
               "(twice that for mode=\"stft\"); a named `window` such as the default \"hann\" needs SciPy"),
]
