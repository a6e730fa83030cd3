"""Image preprocessing and augmentation: Resizing, CenterCrop, RandomCrop and the Random*/Aug*
layers that keep the image's shape.

Keras takes a rank-4 input as a batch of images and a rank-3 input as ONE image: a spec
tensor of shape (batch, height, width) (a grey image declared without its channel axis)
is seen as a single image whose height is the batch axis. The rules follow Keras
there (Resizing and the crops then replace the first two axes).

Keras 3.15.1 builds most of these layers on a symbolic input of any rank; the rules
refuse other ranks, which fail on the first real call, and the channel counts that fail
in training (RandomHue and RandomSaturation need RGB; RandomGrayscale RGB or one channel).
Random layers act only in training: in inference they return their input (RandomCrop
too, so its inference output keeps the input's size in Keras 3.15.1).
"""

from __future__ import annotations

from graphspec.catalog.base import LayerEntry, ShapeError
from graphspec.catalog.layers._util import channels_last, fmt, reshape_help


def _image_rank(name, shape):
    if len(shape) not in (3, 4):
        help_ = reshape_help(shape, 4)
        raise ShapeError(
            f"{name} expects a batch of images (batch, height, width, channels) or one image (height, width, "
            f"channels); received shape {fmt(shape)}",
            help_ or "reshape the input to (height, width, channels) first",
        )


def _channels(config, shape):
    return shape[-1] if channels_last(config) else shape[-3]


def make_image_layer(name, channels=None, summary_extra=""):
    """A layer whose output has its input's shape; `channels`: the channel counts it accepts."""

    def shape_rule(config, inputs):
        shape = tuple(inputs[0])
        _image_rank(name, shape)
        c = _channels(config, shape)
        if channels is not None and c is not None and c not in channels:
            want = " or ".join(str(n) for n in channels)
            raise ShapeError(
                f"{name} works on images with {want} channels; received shape {fmt(shape)}",
                "convert the images to RGB first" if 3 in channels else None,
            )
        return shape

    want = ""
    if channels is not None:
        want = f"; {' or '.join(str(n) for n in channels)} channels"
    return LayerEntry(
        name=name,
        shape=shape_rule,
        summary=f"(batch, height, width, channels) or one image (height, width, channels) -> the same "
        f"shape{want}{summary_extra}",
    )


def _size_axes(config, rank):
    """The (height, width) axes that Resizing and CenterCrop replace, as Keras picks them."""
    last = channels_last(config)
    if rank == 4:
        return (1, 2) if last else (2, 3)
    return (0, 1) if last else (1, 2)


def make_resize(name):
    def shape_rule(config, inputs):
        shape = tuple(inputs[0])
        # Keras's CenterCrop refuses other ranks; Resizing builds them and fails when run.
        _image_rank(name, shape)
        out = list(shape)
        h, w = _size_axes(config, len(shape))
        out[h], out[w] = config["height"], config["width"]
        return tuple(out)

    return LayerEntry(
        name=name,
        shape=shape_rule,
        summary="(batch, height, width, channels) -> (batch, height, width, channels) with the given height and "
        "width; a rank-3 input is one image, (height, width, channels)",
    )


def random_crop_shape(config, inputs):
    shape = tuple(inputs[0])
    _image_rank("RandomCrop", shape)
    out = list(shape)
    h, w = (-3, -2) if channels_last(config) else (-2, -1)
    out[h], out[w] = config["height"], config["width"]
    return tuple(out)


_SAME_SHAPE = [
    ("AugMix", None),
    ("AutoContrast", None),
    ("ContrastLimitedAdaptiveHistogramEqualization", None),
    ("RandAugment", None),
    ("RandomBrightness", None),
    ("RandomColorDegeneration", (3,)),
    ("RandomColorJitter", None),
    ("RandomContrast", None),
    ("RandomElasticTransform", None),
    ("RandomErasing", None),
    ("RandomFlip", None),
    ("RandomGaussianBlur", None),
    ("RandomGrayscale", (1, 3)),
    ("RandomHue", (3,)),
    ("RandomInvert", None),
    ("RandomPerspective", None),
    ("RandomPosterization", None),
    ("RandomRotation", None),
    ("RandomSaturation", (3,)),
    ("RandomSharpness", None),
    ("RandomShear", None),
    ("RandomTranslation", None),
    ("RandomZoom", None),
    ("Solarization", None),
]

ENTRIES = [make_resize("Resizing"), make_resize("CenterCrop")] + [
    LayerEntry(
        name="RandomCrop",
        shape=random_crop_shape,
        summary="(batch, height, width, channels) -> (batch, height, width, channels) with the given height and "
        "width (in training; Keras 3.15.1 returns the input unchanged in inference)",
    ),
    make_image_layer("CutMix", summary_extra="; mixes the images of a batch (labels are not mixed: a spec "
                                             "passes no labels)"),
    make_image_layer("MixUp", summary_extra="; mixes the images of a batch (labels are not mixed: a spec "
                                            "passes no labels)"),
] + [make_image_layer(name, channels) for name, channels in _SAME_SHAPE]
