"""Image files <-> numpy arrays (Keras 2's ``load_img``, ``img_to_array``,
``array_to_img``, ``save_img``, ``list_pictures``), through Pillow imported on first use.

Arrays are one image of rank 3, ``(rows, cols, channels)`` for ``channels_last`` or
``(channels, rows, cols)`` for ``channels_first`` (default: ``image_data_format()``),
with 1 (grayscale, PIL mode ``L``), 3 (``RGB``) or 4 (``RGBA``) channels.
"""

import os
import re
import warnings

import numpy as np

from keras_bridge import config
from keras_bridge.preprocessing.optional import require

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img", "list_pictures"]

COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
_MODE_OF_CHANNELS = {1: "L", 3: "RGB", 4: "RGBA"}
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pil_image(purpose):
    """The ``PIL.Image`` module, or an ImportError with the install hint."""
    return require("PIL.Image", purpose)


def check_data_format(data_format):
    """``data_format`` checked, ``None`` meaning ``image_data_format()``."""
    if data_format is None:
        return config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("Expected data_format 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    return data_format


def check_color_mode(color_mode):
    if color_mode not in COLOR_MODES:
        raise ValueError(f"Expected color_mode one of {sorted(COLOR_MODES)}. Received: "
                         f"color_mode={color_mode!r}")
    return color_mode


def _resample(image_module, interpolation):
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Expected interpolation one of {list(INTERPOLATIONS)}. "
                         f"Received: interpolation={interpolation!r}")
    methods = getattr(image_module, "Resampling", image_module)
    return getattr(methods, interpolation.upper())


def load_img(path, grayscale=False, color_mode="rgb", target_size=None,
             interpolation="nearest"):
    """The image file at ``path`` as a PIL image in ``color_mode`` (``'rgb'``,
    ``'rgba'`` or ``'grayscale'``), resized to ``target_size = (rows, cols)`` with
    ``interpolation`` when given. ``grayscale=True`` is Keras 2's older spelling of
    ``color_mode='grayscale'``."""
    if grayscale:
        warnings.warn("load_img(grayscale=True) is deprecated; use "
                      "color_mode='grayscale'.", DeprecationWarning, stacklevel=2)
        color_mode = "grayscale"
    check_color_mode(color_mode)
    image_module = pil_image("load_img()")
    if target_size is not None:
        resample = _resample(image_module, interpolation)
    with image_module.open(path) as opened:
        img = opened.convert(COLOR_MODES[color_mode]) if opened.mode != \
            COLOR_MODES[color_mode] else opened.copy()
    if target_size is not None:
        rows, cols = (int(s) for s in target_size)
        if img.size != (cols, rows):  # PIL sizes are (width, height)
            img = img.resize((cols, rows), resample)
    return img


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a rank-3 array in ``data_format`` (grayscale gets a channel axis
    of 1)."""
    data_format = check_data_format(data_format)
    x = np.asarray(img, dtype=dtype or config.floatx())
    if x.ndim == 2:
        x = x[:, :, None]
    elif x.ndim != 3:
        raise ValueError(f"Expected an image of rank 2 or 3. Received: shape {x.shape}")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A rank-3 array as a PIL image (mode from the channel count). ``scale`` maps the
    values to ``[0, 255]`` first (shift the minimum to 0 if negative, divide by the
    maximum); without it values are cast to uint8 as they are."""
    image_module = pil_image("array_to_img()")
    data_format = check_data_format(data_format)
    x = np.array(x, dtype=dtype or config.floatx())
    if x.ndim != 3:
        raise ValueError("Expected image array to have rank 3 (single image). "
                         f"Received: array with shape {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x + max(-np.min(x), 0)
        peak = np.max(x)
        if peak != 0:
            x = x / peak
        x = x * 255
    mode = _MODE_OF_CHANNELS.get(x.shape[2])
    if mode is None:
        raise ValueError("Expected 1, 3 or 4 channels. Received: an image with "
                         f"{x.shape[2]} channels (shape {x.shape}, {data_format}).")
    pixels = x.astype("uint8")
    return image_module.fromarray(pixels[:, :, 0] if mode == "L" else pixels)


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Writes the rank-3 array ``x`` as an image file (format from the extension
    unless ``file_format``); ``kwargs`` go to ``PIL.Image.save``."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format in ("jpg", "jpeg"):
        warnings.warn("The JPG format does not support RGBA images; converting to RGB.",
                      UserWarning, stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def list_pictures(directory, ext="jpg|jpeg|bmp|png|ppm"):
    """Sorted paths of the files under ``directory`` (recursively) whose extension is
    in ``ext`` (Keras 2's ``'a|b'`` pattern, or a tuple), case-insensitive."""
    if isinstance(ext, str):
        ext = tuple(ext.split("|"))
    pattern = re.compile(r"^\w+\.(?:" + "|".join(re.escape(e) for e in ext) + r")$")
    return sorted(os.path.join(root, name)
                  for root, _, files in os.walk(directory) for name in files
                  if pattern.match(name.lower()))
