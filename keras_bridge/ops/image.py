"""Keras 3's ``keras.ops.image``, written once from the engine ops. Here: colour
(grayscale, HSV), padding and cropping to a target size, resizing by nearest or bilinear
interpolation (half-pixel centres, edge samples clamped, as Keras's backends do without
antialias) and affine warps; the filters, patches and other warps live in
``image_filters.py``, ``image_patches.py`` and ``image_warps.py``. data_format None
means ``config.image_data_format()``."""

from keras_bridge import config
from keras_bridge.ops import dispatch as _o
from keras_bridge.ops.composed import _floating, _maker, _tensors
from keras_bridge.ops.image_base import FILL_MODES, INTERPOLATIONS, check_choice, sample
from keras_bridge.ops.image_base import layout as _layout


def rgb_to_grayscale(images, data_format=None):
    images = _o.convert_to_tensor(images)
    data_format, _ = _layout(images, data_format)
    channels = -1 if data_format == "channels_last" else -3
    if _o.shape(images)[channels] not in (1, 3):
        raise ValueError("Invalid channel size: expected 3 (RGB) or 1 (Grayscale). "
                         f"Received: images.shape={_o.shape(images)}")
    if _o.shape(images)[channels] == 1:
        return images
    original = _o.dtype(images)
    x = _floating(images)
    weights = _maker(x).convert_to_tensor([0.2989, 0.5870, 0.1140], _o.dtype(x))
    gray = _o.tensordot(x, weights, axes=([_o.ndim(x) + channels], [0]))
    return _o.cast(_o.expand_dims(gray, channels), original)


_EPS = {"float16": 2.0 ** -10, "bfloat16": 2.0 ** -7, "float32": 2.0 ** -23,
        "float64": 2.0 ** -52}  # machine epsilon, below which rgb_to_hsv reads 0


def _three_planes(images, data_format, what):
    """The three colour planes of float images, and the channel axis."""
    images = _o.convert_to_tensor(images)
    data_format, _ = _layout(images, data_format)
    if _o.dtype(images) not in _EPS:
        raise ValueError(f"Invalid images dtype: expected float dtype for {what}. "
                         f"Received: images.dtype={_o.dtype(images)}")
    axis = _o.ndim(images) - 1 if data_format == "channels_last" else _o.ndim(images) - 3
    if _o.shape(images)[axis] != 3:
        raise ValueError(f"Expected images with 3 channels for {what}. Received: "
                         f"images.shape={_o.shape(images)}")
    return images, [_o.take(images, i, axis=axis) for i in range(3)], axis


@_o.whole_node
def rgb_to_hsv(images, data_format=None):
    """Hue, saturation and value in [0, 1] of float RGB images in [0, 1] (hue 0 red,
    1/3 green, 2/3 blue); grey pixels get hue 0."""
    images, _, axis = _three_planes(images, data_format, "rgb_to_hsv")
    eps = _EPS[_o.dtype(images)]
    images = _o.where(_o.less(_o.abs(images), eps), _o.zeros_like(images), images)
    r, g, b = (_o.take(images, i, axis=axis) for i in range(3))
    value = _o.maximum(_o.maximum(r, g), b)
    spread = _o.subtract(value, _o.minimum(_o.minimum(r, g), b))
    positive_value, positive_spread = _o.greater(value, 0.0), _o.greater(spread, 0.0)
    one = _o.ones_like(value)
    saturation = _o.where(positive_value,
                          _o.divide(spread, _o.where(positive_value, value, one)),
                          _o.zeros_like(value))
    norm = _o.divide(1.0, _o.multiply(6.0, _o.where(positive_spread, spread, one)))
    hue = _o.where(_o.equal(value, g), _o.add(_o.multiply(norm, _o.subtract(b, r)), 2.0 / 6.0),
                   _o.add(_o.multiply(norm, _o.subtract(r, g)), 4.0 / 6.0))
    hue = _o.where(_o.equal(value, r), _o.multiply(norm, _o.subtract(g, b)), hue)
    hue = _o.add(_o.where(positive_spread, hue, _o.zeros_like(hue)),
                 _o.cast(_o.less(hue, 0.0), _o.dtype(hue)))  # negative hues wrap to (0, 1)
    return _o.stack([hue, saturation, value], axis=axis)


@_o.whole_node
def hsv_to_rgb(images, data_format=None):
    """RGB of float HSV images (the inverse of ``rgb_to_hsv``); hue is read modulo 1."""
    _, (hue, saturation, value), axis = _three_planes(images, data_format, "hsv_to_rgb")
    sector = _o.multiply(_o.mod(hue, 1.0), 6.0)
    grey = _o.subtract(1.0, saturation)

    def channel(shape):
        return _o.multiply(value, _o.add(grey, _o.multiply(saturation, _o.clip(shape, 0.0, 1.0))))

    red = channel(_o.subtract(_o.abs(_o.subtract(sector, 3.0)), 1.0))
    green = channel(_o.subtract(2.0, _o.abs(_o.subtract(sector, 2.0))))
    blue = channel(_o.subtract(2.0, _o.abs(_o.subtract(sector, 4.0))))
    return _o.stack([red, green, blue], axis=axis)


def _sides(first, last, target, size, what):
    """(first, last) amounts of one side; exactly two of first, last, target given."""
    if (first is None) + (last is None) + (target is None) != 1:
        raise ValueError(f"Expected exactly two of the {what} amounts and the target size. "
                         f"Received: {first}, {last} and target {target}")
    sign = 1 if what == "padding" else -1
    if first is None:
        first = sign * (target - size) - last
    if last is None:
        last = sign * (target - size) - first
    if first < 0 or last < 0:
        raise ValueError(f"Expected non-negative {what}. Received: {first} and {last} "
                         f"for a side of size {size}")
    return first, last


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    images = _o.convert_to_tensor(images)
    _, h = _layout(images, data_format)
    shape = _o.shape(images)
    top, bottom = _sides(top_padding, bottom_padding, target_height, shape[h], "padding")
    left, right = _sides(left_padding, right_padding, target_width, shape[h + 1], "padding")
    width = [[0, 0]] * _o.ndim(images)
    width[h], width[h + 1] = [top, bottom], [left, right]
    return _o.pad(images, width)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    images = _o.convert_to_tensor(images)
    _, h = _layout(images, data_format)
    shape = _o.shape(images)
    top, bottom = _sides(top_cropping, bottom_cropping, target_height, shape[h], "cropping")
    left, right = _sides(left_cropping, right_cropping, target_width, shape[h + 1], "cropping")
    start = [0] * _o.ndim(images)
    size = list(shape)
    start[h], start[h + 1] = top, left
    size[h], size[h + 1] = shape[h] - top - bottom, shape[h + 1] - left - right
    if size[h] <= 0 or size[h + 1] <= 0:
        raise ValueError(f"Cropping leaves no pixels of images of shape {shape}.")
    return _o.slice(images, start, size)


def _resize_axis(x, axis, out, method):
    n = _o.shape(x)[axis]
    make = _maker(x)
    centres = _o.subtract(_o.multiply(_o.add(make.arange(0, out, 1, "float32"), 0.5), n / out),
                          0.5)
    if method == "nearest":
        index = _o.clip(_o.cast(_o.floor(_o.add(centres, 0.5)), "int32"), 0, n - 1)
        return _o.take(x, index, axis=axis)
    centres = _o.clip(centres, 0.0, float(n - 1))
    low = _o.cast(_o.floor(centres), "int32")
    high = _o.minimum(_o.add(low, 1), n - 1)
    frac = _o.cast(_o.subtract(centres, _o.cast(low, "float32")), _o.dtype(x))
    view = [1] * _o.ndim(x)
    view[axis] = out
    frac = _o.reshape(frac, view)
    a, b = _o.take(x, low, axis=axis), _o.take(x, high, axis=axis)
    return _o.add(a, _o.multiply(_o.subtract(b, a), frac))


def _to_aspect_ratio(images, h, size, crop, fill_value):
    """The centred box of the target's aspect ratio (crop), or the image centred between
    equal bands of ``fill_value`` (pad), that ``resize`` then scales; sizes rounded as
    Keras 3 rounds them."""
    height, width = _o.shape(images)[h], _o.shape(images)[h + 1]
    want_h = int(float(width * size[0]) / size[1])
    want_w = int(float(height * size[1]) / size[0])
    if crop:
        box_h, box_w = max(min(height, want_h), 1), max(min(width, want_w), 1)
        start = [0] * _o.ndim(images)
        shape = list(_o.shape(images))
        start[h], start[h + 1] = int((height - box_h) / 2), int((width - box_w) / 2)
        shape[h], shape[h + 1] = box_h, box_w
        return _o.slice(images, start, shape)
    top, left = int((max(height, want_h) - height) / 2), int((max(width, want_w) - width) / 2)
    width_pad = [[0, 0]] * _o.ndim(images)
    width_pad[h], width_pad[h + 1] = [top, top], [left, left]
    return _o.pad(images, width_pad, constant_values=fill_value)


def resize(images, size, interpolation="bilinear", antialias=False,
           crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_mode="constant",
           fill_value=0.0, data_format=None):
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError("Expected interpolation 'bilinear' or 'nearest' (the others are not "
                         f"implemented yet). Received: interpolation={interpolation!r}")
    if antialias:
        raise ValueError("antialias=True is not implemented yet; pass False.")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be "
                         "True.")
    if len(size) != 2:
        raise ValueError(f"Expected size (height, width). Received: size={size}")
    images = _o.convert_to_tensor(images)
    _, h = _layout(images, data_format)
    if crop_to_aspect_ratio or pad_to_aspect_ratio:
        images = _to_aspect_ratio(images, h, size, crop_to_aspect_ratio, fill_value)
    original = _o.dtype(images)
    x = _floating(images) if interpolation == "bilinear" else images
    x = _resize_axis(x, h, int(size[0]), interpolation)
    x = _resize_axis(x, h + 1, int(size[1]), interpolation)
    return x if interpolation == "nearest" else _o.cast(x, original) if original.startswith(
        "float") or original == "bfloat16" else x


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Keras 3's ``ops.image.affine_transform``: output pixel (x, y) samples the input at
    ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1, for each
    transform [a0, a1, a2, b0, b1, b2, c0, c1] (one, or one per image); points outside
    the image follow ``fill_mode`` as in ``scipy.ndimage.map_coordinates``."""
    check_choice("interpolation", interpolation, INTERPOLATIONS)
    check_choice("fill_mode", fill_mode, FILL_MODES)
    images = _o.convert_to_tensor(images)
    data_format, h = _layout(images, data_format)
    transform = _floating(_tensors(images, transform)[1])
    if _o.ndim(transform) not in (1, 2) or _o.shape(transform)[-1] != 8:
        raise ValueError("Invalid transform: expected shape (8,) (single transform) or "
                         f"(batch, 8). Received: transform.shape={_o.shape(transform)}")
    single = _o.ndim(images) == 3
    x = _o.expand_dims(images, 0) if single else images
    if data_format == "channels_first":
        x = _o.transpose(x, (0, 2, 3, 1))
    batch, height, width, channels = _o.shape(x)
    original = _o.dtype(x)
    x = _floating(x)
    t = _o.cast(_o.reshape(transform, (-1, 8, 1, 1)), "float32")
    if _o.shape(t)[0] not in (1, batch):
        raise ValueError(f"Expected one transform or one per image ({batch}). Received: "
                         f"transform.shape={_o.shape(transform)}")
    make = _maker(x)
    cols = _o.reshape(make.arange(0, width, 1, "float32"), (1, 1, width))
    rows = _o.reshape(make.arange(0, height, 1, "float32"), (1, height, 1))
    a0, a1, a2, b0, b1, b2, c0, c1 = (t[:, i] for i in range(8))
    k = _o.add(_o.add(_o.multiply(c0, cols), _o.multiply(c1, rows)), 1.0)
    src_x = _o.divide(_o.add(_o.add(_o.multiply(a0, cols), _o.multiply(a1, rows)), a2), k)
    src_y = _o.divide(_o.add(_o.add(_o.multiply(b0, cols), _o.multiply(b1, rows)), b2), k)
    src_x = _o.broadcast_to(src_x, (batch, height, width))
    src_y = _o.broadcast_to(src_y, (batch, height, width))
    flat = _o.reshape(x, (batch * height * width, channels))
    offset = _o.multiply(_o.reshape(make.arange(0, batch, 1, "int32"), (batch, 1, 1)),
                         height * width)
    out = sample(flat, (height, width), [src_y, src_x], INTERPOLATIONS[interpolation],
                 fill_mode, fill_value, offset)
    if original != _o.dtype(out):
        out = _o.cast(out, original)
    if data_format == "channels_first":
        out = _o.transpose(out, (0, 3, 1, 2))
    return _o.squeeze(out, 0) if single else out


# The rest of keras.ops.image, by kind: filters, patches, warps.
from keras_bridge.ops.image_filters import gaussian_blur, sobel_edges, ssim  # noqa: E402
from keras_bridge.ops.image_patches import (  # noqa: E402
    extract_patches, extract_patches_3d, reconstruct_patches)
from keras_bridge.ops.image_warps import (  # noqa: E402
    elastic_transform, map_coordinates, perspective_transform, scale_and_translate)

COMPOSED = ["affine_transform", "crop_images", "elastic_transform", "extract_patches",
            "extract_patches_3d", "gaussian_blur", "hsv_to_rgb", "map_coordinates",
            "pad_images", "perspective_transform", "reconstruct_patches", "resize",
            "rgb_to_grayscale", "rgb_to_hsv", "scale_and_translate", "sobel_edges", "ssim"]
