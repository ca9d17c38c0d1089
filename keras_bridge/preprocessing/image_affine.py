"""Geometric and colour transforms of one image (rank-3 numpy array), Keras 2's
``apply_affine_transform``, ``random_rotation``/``shift``/``shear``/``zoom``, channel and
brightness shifts, and ``flip_axis``.

Affine maps go through ``scipy.ndimage.affine_transform`` (linear interpolation, one
channel at a time), which maps each *output* pixel to the *input* point it reads: a
shift ``tx`` (rows) of +2 moves the picture up by two rows. The matrix is centred on the
image's middle pixel ``((rows - 1) / 2, (cols - 1) / 2)``, so a 90 degree rotation of a
square image is exactly ``np.rot90(x, -1)``. Keras 2.2.4 centred on ``rows / 2 + 0.5``,
one pixel off (fixed upstream in keras-preprocessing #314); rotations and zooms here are
that fix, shifts and flips are unchanged.

The ``random_*`` helpers draw from numpy's global generator, as Keras 2 did.
"""

import numpy as np

from keras_bridge.preprocessing.optional import require

__all__ = ["apply_affine_transform", "transform_matrix_offset_center", "flip_axis",
           "apply_channel_shift", "random_channel_shift", "apply_brightness_shift",
           "random_brightness", "random_rotation", "random_shift", "random_shear",
           "random_zoom", "FILL_MODES"]

FILL_MODES = ("constant", "nearest", "reflect", "wrap")


def check_fill_mode(fill_mode):
    if fill_mode not in FILL_MODES:
        raise ValueError(f"Expected fill_mode one of {list(FILL_MODES)}. Received: "
                         f"fill_mode={fill_mode!r}")
    return fill_mode


def _check_image(x, what):
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"{what} expects one image of rank 3. Received: an array of "
                         f"shape {x.shape}")
    return x


def transform_matrix_offset_center(matrix, x, y):
    """``matrix`` (3x3, homogeneous) applied about the centre of an ``x`` by ``y``
    image instead of its corner."""
    o_x, o_y = float(x) / 2 - 0.5, float(y) / 2 - 0.5
    to_center = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    from_center = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return to_center @ matrix @ from_center


def _affine_matrix(theta, tx, ty, shear, zx, zy):
    """The composed 3x3 map, rotation then shift, shear and zoom (Keras 2's order), or
    None when it is the identity."""
    parts = []
    if theta != 0:
        t = np.deg2rad(theta)
        parts.append([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    if tx != 0 or ty != 0:
        parts.append([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    if shear != 0:
        s = np.deg2rad(shear)
        parts.append([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
    if zx != 1 or zy != 1:
        parts.append([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
    if not parts:
        return None
    matrix = np.eye(3)
    for part in parts:
        matrix = matrix @ np.array(part, dtype=float)
    return matrix


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=0,
                           col_axis=1, channel_axis=2, fill_mode="nearest", cval=0.,
                           order=1):
    """One image moved by an affine map.

    Args:
        x: rank-3 array, one image.
        theta: rotation in degrees. tx, ty: shift along rows and columns, in pixels.
        shear: shear angle in degrees. zx, zy: zoom along rows and columns (< 1 zooms in).
        row_axis, col_axis, channel_axis: the axes of ``x``.
        fill_mode: how points outside the image are filled: ``'constant'`` (``cval``),
            ``'nearest'``, ``'reflect'`` or ``'wrap'``.
        order: spline order of the interpolation (1: linear, as Keras 2).
    """
    x = _check_image(x, "apply_affine_transform()")
    check_fill_mode(fill_mode)
    matrix = _affine_matrix(theta, tx, ty, shear, zx, zy)
    if matrix is None:
        return x
    ndimage = require("scipy.ndimage", "Image transformations (apply_affine_transform)")
    matrix = transform_matrix_offset_center(matrix, x.shape[row_axis], x.shape[col_axis])
    planes = np.moveaxis(x, channel_axis, 0)
    swap = row_axis > col_axis  # each plane's axes as (rows, cols)
    out = []
    for plane in planes:
        plane = plane.T if swap else plane
        moved = ndimage.affine_transform(plane, matrix[:2, :2], matrix[:2, 2], order=order,
                                         mode=fill_mode, cval=cval)
        out.append(moved.T if swap else moved)
    return np.moveaxis(np.stack(out), 0, channel_axis)


def flip_axis(x, axis):
    """``x`` reversed along ``axis``."""
    return np.flip(np.asarray(x), axis)


def apply_channel_shift(x, intensity, channel_axis=0):
    """``intensity`` added to every channel, clipped to the image's own range."""
    x = np.asarray(x)
    low, high = np.min(x), np.max(x)
    return np.clip(x + intensity, low, high).astype(x.dtype, copy=False)


def random_channel_shift(x, intensity_range, channel_axis=0):
    intensity = np.random.uniform(-intensity_range, intensity_range)
    return apply_channel_shift(x, intensity, channel_axis=channel_axis)


def apply_brightness_shift(x, brightness, data_format="channels_last"):
    """Brightness scaled by ``brightness`` through PIL's ``ImageEnhance.Brightness``,
    as Keras 2: the image is first mapped to ``[0, 255]`` uint8 (``array_to_img``), and
    comes back as floats in ``[0, 255]``."""
    from keras_bridge.preprocessing.image_io import array_to_img, img_to_array
    enhance = require("PIL.ImageEnhance", "Brightness shifts (brightness_range)")
    x = np.asarray(x)
    img = array_to_img(x, data_format=data_format, scale=True)
    img = enhance.Brightness(img).enhance(brightness)
    return img_to_array(img, data_format=data_format, dtype=x.dtype)


def random_brightness(x, brightness_range, data_format="channels_last"):
    if len(brightness_range) != 2:
        raise ValueError("Expected brightness_range to be a tuple or list of two floats. "
                         f"Received: {brightness_range!r}")
    return apply_brightness_shift(x, np.random.uniform(*brightness_range), data_format)


def random_rotation(x, rg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                    cval=0.):
    """Rotated by an angle drawn uniformly from ``[-rg, rg]`` degrees."""
    return apply_affine_transform(x, theta=np.random.uniform(-rg, rg), row_axis=row_axis,
                                  col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval)


def random_shift(x, wrg, hrg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                 cval=0.):
    """Shifted by fractions of its size drawn from ``[-hrg, hrg]`` (rows) and
    ``[-wrg, wrg]`` (columns)."""
    tx = np.random.uniform(-hrg, hrg) * x.shape[row_axis]
    ty = np.random.uniform(-wrg, wrg) * x.shape[col_axis]
    return apply_affine_transform(x, tx=tx, ty=ty, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval)


def random_shear(x, intensity, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                 cval=0.):
    """Sheared by an angle drawn from ``[-intensity, intensity]`` degrees."""
    shear = np.random.uniform(-intensity, intensity)
    return apply_affine_transform(x, shear=shear, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval)


def random_zoom(x, zoom_range, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                cval=0.):
    """Zoomed by factors drawn from ``zoom_range = (lower, upper)`` for rows and
    columns independently."""
    if len(zoom_range) != 2:
        raise ValueError("Expected zoom_range to be a tuple or list of two floats. "
                         f"Received: {zoom_range!r}")
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(x, zx=zx, zy=zy, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval)
