"""Part of Keras 3's ``keras.ops.image``, written once from the engine ops: colour to
grayscale, padding and cropping to a target size, and resizing by nearest or bilinear
interpolation (half-pixel centres, edge samples clamped, as Keras's backends do without
antialias). data_format None means ``config.image_data_format()``."""

from keras_bridge import config
from keras_bridge.ops import dispatch as _o
from keras_bridge.ops.composed import _floating, _maker


def _layout(images, data_format):
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("Expected data_format 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    if _o.ndim(images) not in (3, 4):
        raise ValueError("Invalid images rank: expected rank 3 (single image) or rank 4 "
                         f"(batch of images). Received: images.shape={_o.shape(images)}")
    h_axis = _o.ndim(images) - (3 if data_format == "channels_last" else 2)
    return data_format, h_axis


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


def resize(images, size, interpolation="bilinear", antialias=False,
           crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_mode="constant",
           fill_value=0.0, data_format=None):
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError("Expected interpolation 'bilinear' or 'nearest' (the others are not "
                         f"implemented yet). Received: interpolation={interpolation!r}")
    if antialias or crop_to_aspect_ratio or pad_to_aspect_ratio:
        raise ValueError("antialias, crop_to_aspect_ratio and pad_to_aspect_ratio are not "
                         "implemented yet; pass False.")
    if len(size) != 2:
        raise ValueError(f"Expected size (height, width). Received: size={size}")
    images = _o.convert_to_tensor(images)
    _, h = _layout(images, data_format)
    original = _o.dtype(images)
    x = _floating(images) if interpolation == "bilinear" else images
    x = _resize_axis(x, h, int(size[0]), interpolation)
    x = _resize_axis(x, h + 1, int(size[1]), interpolation)
    return x if interpolation == "nearest" else _o.cast(x, original) if original.startswith(
        "float") or original == "bfloat16" else x


COMPOSED = ["crop_images", "pad_images", "resize", "rgb_to_grayscale"]
