"""Pieces shared by the ``ops.image`` modules: the data_format / rank check, and the one
point sampler (nearest or linear, with scipy's fill modes) behind ``affine_transform``,
``perspective_transform``, ``elastic_transform`` and ``map_coordinates``."""

import itertools

from keras_bridge import config
from keras_bridge.ops import dispatch as _o

FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
INTERPOLATIONS = {"nearest": 0, "bilinear": 1}  # name -> spline order


def layout(images, data_format, ranks=(3, 4)):
    """(data_format, axis of the height) of images of one of ``ranks``."""
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("Expected data_format 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    if _o.ndim(images) not in ranks:
        what = " or ".join(str(r) for r in ranks)
        raise ValueError(f"Invalid images rank: expected rank {what} (a single image or a "
                         f"batch of images). Received: images.shape={_o.shape(images)}")
    h_axis = _o.ndim(images) - (3 if data_format == "channels_last" else 2)
    return data_format, h_axis


def check_choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"Invalid value for argument `{name}`. Expected one of "
                         f"{tuple(allowed)}. Received: {name}={value!r}")


def fix_index(index, size, fill_mode):
    """Integer sample indices moved inside [0, size) by the fill mode, as
    ``scipy.ndimage.map_coordinates`` (and so JAX's) defines the modes."""
    if fill_mode == "wrap":
        return _o.mod(index, size)
    if fill_mode == "mirror":  # d c b | a b c d | c b a
        if size == 1:
            return _o.zeros_like(index)
        return _o.abs(_o.subtract(_o.mod(_o.add(index, size - 1), 2 * (size - 1)), size - 1))
    if fill_mode == "reflect":  # c b a | a b c d | d c b (half-sample symmetric)
        period = _o.mod(_o.add(_o.multiply(index, 2), 2 * size + 1), 4 * size)
        return _o.floor_divide(_o.subtract(_o.abs(_o.subtract(period, 2 * size)), 1), 2)
    return _o.clip(index, 0, size - 1)  # nearest; constant: gathered clamped, then masked


def round_half_away(v):
    return _o.multiply(_o.sign(v), _o.floor(_o.add(_o.abs(v), 0.5)))


def _nodes(coordinate, order, dtype):
    """(integer index, weight or None) pairs interpolating along one axis."""
    if order == 0:
        return [(_o.cast(round_half_away(coordinate), "int32"), None)]
    low = _o.floor(coordinate)
    upper = _o.cast(_o.subtract(coordinate, low), dtype)
    low = _o.cast(low, "int32")
    return [(low, _o.subtract(1.0, upper)), (_o.add(low, 1), upper)]


def sample(source, sizes, coords, order, fill_mode, fill_value, offset=None):
    """``source`` read at float positions: its first axis is a grid of ``sizes``
    flattened (row-major), its other axes are carried whole; ``coords`` holds one
    position tensor per grid axis, all of one shape S; ``offset`` (broadcastable to S)
    is added to the flat index (to pick an image of a batch). Returns S + source's other
    axes: the weighted sum of the 2**K (linear) or one (nearest) neighbours, each moved
    inside by ``fill_mode`` or, for 'constant', replaced by ``fill_value`` outside."""
    dtype = _o.dtype(source)
    rest = tuple(_o.shape(source)[1:])
    strides = [1] * len(sizes)
    for i in range(len(sizes) - 2, -1, -1):
        strides[i] = strides[i + 1] * sizes[i + 1]
    per_axis = [_nodes(c, order, dtype) for c in coords]
    out = None
    for corner in itertools.product(*per_axis):
        flat, inside, weight = offset, None, None
        for (index, w), size, stride in zip(corner, sizes, strides):
            term = _o.multiply(fix_index(index, size, fill_mode), stride)
            flat = term if flat is None else _o.add(flat, term)
            if fill_mode == "constant":
                ok = _o.logical_and(_o.greater_equal(index, 0), _o.less(index, size))
                inside = ok if inside is None else _o.logical_and(inside, ok)
            if w is not None:
                weight = w if weight is None else _o.multiply(weight, w)
        point_shape = tuple(_o.shape(flat))
        got = _o.reshape(_o.take(source, _o.reshape(flat, (-1,)), axis=0), point_shape + rest)
        trail = (1,) * len(rest)
        if inside is not None:
            got = _o.where(_o.reshape(inside, point_shape + trail), got,
                           _o.cast(_o.full((), fill_value), dtype))
        if weight is not None:
            got = _o.multiply(got, _o.reshape(weight, point_shape + trail))
        out = got if out is None else _o.add(out, got)
    return out
