"""Keras 3's resampling ``ops.image`` functions: ``map_coordinates``,
``perspective_transform`` and ``elastic_transform`` (all through the one point sampler,
``image_base.sample``), and ``scale_and_translate`` (separable kernel weights, as
``jax.image.scale_and_translate`` defines them)."""

import math

from keras_bridge.ops import dispatch as _o
from keras_bridge.ops.composed import _floating, _maker, _tensors
from keras_bridge.ops.image_base import (FILL_MODES, INTERPOLATIONS, check_choice, layout,
                                         round_half_away, sample)
from keras_bridge.ops.image_filters import gaussian_blur

_FLOATS = ("float16", "bfloat16", "float32", "float64")


@_o.whole_node
def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """``inputs`` read at ``coordinates`` (leading axis: one position per input axis)
    by nearest (order 0, halves away from zero) or linear (order 1) interpolation;
    outside points follow ``fill_mode``. Integer inputs give rounded integer results."""
    inputs = _o.convert_to_tensor(inputs)
    if isinstance(coordinates, (list, tuple)):
        coords = [_tensors(inputs, c)[1] for c in coordinates]
    else:
        coordinates = _tensors(inputs, coordinates)[1]
        if _o.ndim(coordinates) < 2:
            raise ValueError("Invalid coordinates rank: expected at least rank 2. "
                             f"Received: coordinates.shape={_o.shape(coordinates)}")
        coords = [coordinates[i] for i in range(_o.shape(coordinates)[0])]
    if len(coords) != _o.ndim(inputs):
        raise ValueError("First dim of `coordinates` must be the same as the rank of "
                         f"`inputs`. Received inputs with shape: {_o.shape(inputs)} and "
                         f"coordinate leading dim of {len(coords)}")
    if coords and _o.ndim(coords[0]) < 1:
        raise ValueError("Invalid coordinates rank: expected at least rank 2. Received "
                         f"{len(coords)} scalar coordinates")
    check_choice("fill_mode", fill_mode, FILL_MODES)
    check_choice("order", order, (0, 1))
    original = _o.dtype(inputs)
    source = _o.reshape(inputs if original in _FLOATS else _o.cast(inputs, "float32"), (-1,))
    coords = [c if _o.dtype(c) in _FLOATS else _o.cast(c, "float32") for c in coords]
    out = sample(source, tuple(_o.shape(inputs)), coords, order, fill_mode, fill_value)
    if original not in _FLOATS:
        out = _o.cast(round_half_away(out), original)
    return out


def _homography(start, end):
    """The 8 projective coefficients taking each output (end) point to its input
    (start) point: solves the 8x8 linear system of the four correspondences."""
    sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
    zeros, ones = _o.zeros_like(ex), _o.ones_like(ex)
    x_rows = _o.stack([ex, ey, ones, zeros, zeros, zeros, _o.negative(_o.multiply(sx, ex)),
                       _o.negative(_o.multiply(sx, ey))], axis=-1)
    y_rows = _o.stack([zeros, zeros, zeros, ex, ey, ones, _o.negative(_o.multiply(sy, ex)),
                       _o.negative(_o.multiply(sy, ey))], axis=-1)
    system = _o.concatenate([x_rows, y_rows], axis=1)
    return _o.solve(system, _o.concatenate([sx, sy], axis=-1))


@_o.whole_node
def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    """The projective warp taking ``start_points`` (4 (x, y) corners, or a batch of
    them) to ``end_points``; points from outside the image read ``fill_value``."""
    from keras_bridge.ops.image import affine_transform
    check_choice("interpolation", interpolation, INTERPOLATIONS)
    images = _o.convert_to_tensor(images)
    layout(images, data_format)
    _, start, end = _tensors(images, start_points, end_points)
    for name, points in (("start_points", start), ("end_points", end)):
        if _o.ndim(points) not in (2, 3) or tuple(_o.shape(points)[-2:]) != (4, 2):
            raise ValueError(f"Invalid {name} shape: expected (4, 2) for a single image or "
                             f"(N, 4, 2) for a batch. Received shape: {_o.shape(points)}")
    if tuple(_o.shape(start)) != tuple(_o.shape(end)):
        raise ValueError("start_points and end_points must have the same shape. Received "
                         f"start_points.shape={_o.shape(start)}, "
                         f"end_points.shape={_o.shape(end)}")
    start, end = (_o.cast(_o.reshape(p, (-1, 4, 2)), "float32") for p in (start, end))
    return affine_transform(images, _homography(start, end), interpolation=interpolation,
                            fill_mode="constant", fill_value=fill_value,
                            data_format=data_format)


@_o.whole_node
def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """Each pixel read from its position moved by ``alpha`` times a random normal
    field (standard deviation ``sigma``, one per image, shared by its channels)
    smoothed by a Gaussian of ``sigma`` over int(6 sigma) | 1 taps. The random draws
    are the engine's (an int seed repeats them), not Keras's."""
    check_choice("interpolation", interpolation, INTERPOLATIONS)
    check_choice("fill_mode", fill_mode, FILL_MODES)
    images = _o.convert_to_tensor(images)
    data_format, _ = layout(images, data_format)
    original = _o.dtype(images)
    single = _o.ndim(images) == 3
    x = _floating(_o.expand_dims(images, 0) if single else images)
    if data_format == "channels_first":
        x = _o.transpose(x, (0, 2, 3, 1))
    batch, height, width, _ = _o.shape(x)
    dtype = _o.dtype(x)
    taps = int(6 * sigma) | 1
    noise = _maker(x).random_normal((batch, height, width, 2), dtype=dtype, seed=seed)
    field = gaussian_blur(_o.multiply(noise, sigma), (taps, taps), (sigma, sigma),
                          data_format="channels_last")
    shift_x, shift_y = (_o.multiply(field[..., i], alpha) for i in range(2))
    out = displace(x, shift_y, shift_x, interpolation, fill_mode, fill_value)
    if data_format == "channels_first":
        out = _o.transpose(out, (0, 3, 1, 2))
    out = _o.cast(out, original)
    return _o.squeeze(out, 0) if single else out


def displace(images, shift_y, shift_x, interpolation, fill_mode, fill_value):
    """Each pixel of ``images`` (a float channels_last batch) read from its position
    moved by ``(shift_y, shift_x)`` (each (batch, height, width)); shared by
    ``elastic_transform`` and the RandomElasticTransform layer."""
    batch, height, width, channels = _o.shape(images)
    make = _maker(images)
    dtype = _o.dtype(images)
    cols = _o.reshape(make.arange(0, width, 1, dtype), (1, 1, width))
    rows = _o.reshape(make.arange(0, height, 1, dtype), (1, height, 1))
    offset = _o.multiply(_o.reshape(make.arange(0, batch, 1, "int32"), (batch, 1, 1)),
                         height * width)
    return sample(_o.reshape(images, (batch * height * width, channels)), (height, width),
                  [_o.add(rows, shift_y), _o.add(cols, shift_x)],
                  INTERPOLATIONS[interpolation], fill_mode, fill_value, offset)


def _triangle(x):
    return _o.maximum(_o.subtract(1.0, _o.abs(x)), 0.0)


def _keys_cubic(x):  # x >= 0
    near = _o.add(_o.multiply(_o.multiply(_o.subtract(_o.multiply(1.5, x), 2.5), x), x), 1.0)
    far = _o.add(_o.multiply(_o.subtract(_o.multiply(_o.add(_o.multiply(-0.5, x), 2.5), x),
                                         4.0), x), 2.0)
    out = _o.where(_o.greater_equal(x, 1.0), far, near)
    return _o.where(_o.greater_equal(x, 2.0), _o.zeros_like(x), out)


def _lanczos(radius):
    def kernel(x):  # x >= 0
        y = _o.multiply(_o.multiply(radius, _o.sin(_o.multiply(math.pi, x))),
                        _o.sin(_o.multiply(math.pi / radius, x)))
        safe = _o.where(_o.not_equal(x, 0.0), _o.multiply(math.pi ** 2, _o.square(x)),
                        _o.ones_like(x))
        out = _o.where(_o.greater(x, 1e-3), _o.divide(y, safe), _o.ones_like(x))
        return _o.where(_o.greater(x, radius), _o.zeros_like(x), out)
    return kernel


_KERNELS = {"linear": _triangle, "bilinear": _triangle, "trilinear": _triangle,
            "triangle": _triangle, "cubic": _keys_cubic, "bicubic": _keys_cubic,
            "tricubic": _keys_cubic, "lanczos3": _lanczos(3.0), "lanczos5": _lanczos(5.0)}


def _weights(like, in_size, out_size, scale, translation, kernel, antialias):
    """(in_size, out_size) weights of input samples for each output sample: the kernel
    at the distance to the output's (half-pixel) source position, widened by 1 / scale
    when antialiasing a downscale, normalised per output; zero for outputs whose
    source lies outside the input."""
    make, dtype = _maker(like), _o.dtype(scale)
    inv = _o.divide(1.0, scale)
    widen = _o.maximum(inv, 1.0) if antialias else 1.0
    source = _o.subtract(_o.subtract(_o.multiply(_o.add(make.arange(0, out_size, 1, dtype),
                                                        0.5), inv),
                                     _o.multiply(translation, inv)), 0.5)
    inputs = _o.expand_dims(make.arange(0, in_size, 1, dtype), 1)
    w = kernel(_o.divide(_o.abs(_o.subtract(_o.expand_dims(source, 0), inputs)), widen))
    total = _o.sum(w, axis=0, keepdims=True)
    w = _o.where(_o.greater(_o.abs(total), 1000.0 * 2.0 ** -23),
                 _o.divide(w, _o.where(_o.not_equal(total, 0.0), total, _o.ones_like(total))),
                 _o.zeros_like(w))
    inside = _o.logical_and(_o.greater_equal(source, -0.5),
                            _o.less_equal(source, in_size - 0.5))
    return _o.where(_o.expand_dims(inside, 0), w, _o.zeros_like(w))


@_o.whole_node
def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """``images`` resampled to ``output_shape``: along each of ``spatial_dims`` the
    input point y maps to y * scale + translation (half-pixel centres); sampled with
    ``method``'s kernel. Integer images give float32 results, as in JAX."""
    check_choice("method", method, _KERNELS)
    images = _o.convert_to_tensor(images)
    _, scale, translation = _tensors(images, scale, translation)
    if len(output_shape) != _o.ndim(images):
        raise ValueError("Expected output_shape with one entry per axis of images "
                         f"({_o.ndim(images)}). Received: output_shape={output_shape}")
    if len(spatial_dims) != _o.shape(scale)[0] or len(spatial_dims) != \
            _o.shape(translation)[0]:
        raise ValueError("Expected one scale and one translation per spatial dim. Received: "
                         f"spatial_dims={spatial_dims}, scale.shape={_o.shape(scale)}, "
                         f"translation.shape={_o.shape(translation)}")
    dtype = "float64" if "float64" in (_o.dtype(scale), _o.dtype(translation)) else "float32"
    scale, translation = _o.cast(scale, dtype), _o.cast(translation, dtype)
    x = images if _o.dtype(images) in _FLOATS else _o.cast(images, "float32")
    for i, d in enumerate(spatial_dims):
        d = d % _o.ndim(x)
        w = _weights(x, _o.shape(images)[d], int(output_shape[d]), scale[i], translation[i],
                     _KERNELS[method], antialias)
        x = _o.tensordot(x, _o.cast(w, _o.dtype(x)), axes=([d], [0]))
        x = _o.transpose(x, tuple(range(d)) + (_o.ndim(x) - 1,)
                         + tuple(range(d, _o.ndim(x) - 1)))
    return x
