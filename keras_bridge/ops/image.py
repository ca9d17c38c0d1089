"""Part of Keras 3's ``keras.ops.image``, written once from the engine ops: colour to
grayscale, padding and cropping to a target size, and resizing by nearest or bilinear
interpolation (half-pixel centres, edge samples clamped, as Keras's backends do without
antialias). data_format None means ``config.image_data_format()``."""

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


COMPOSED = ["affine_transform", "crop_images", "pad_images", "resize", "rgb_to_grayscale"]
