"""Keras 3's patch ``ops.image`` functions: ``extract_patches`` (2-D or 3-D, as a
convolution with an identity kernel, so strides, dilation and padding are the
convolution's), ``extract_patches_3d`` and ``reconstruct_patches`` (the inverse for
non-overlapping patches)."""

from keras_bridge import config
from keras_bridge.ops import dispatch as _o
from keras_bridge.ops.composed import _maker


def _data_format(data_format):
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("Expected data_format 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    return data_format


def _check_size(size):
    if isinstance(size, int):
        return
    if not isinstance(size, (tuple, list)):
        raise TypeError("Invalid `size` argument. Expected an int or a tuple. Received: "
                        f"size={size} of type {type(size).__name__}")
    if len(size) not in (2, 3):
        raise ValueError("Invalid `size` argument. Expected a tuple of length 2 or 3. "
                         f"Received: size={size} with length {len(size)}")


def _patches(images, size, strides, dilation_rate, padding, data_format):
    """Patches of ``len(size)`` spatial dims: each output position holds its patch
    flattened as (*size, channels), row-major."""
    data_format = _data_format(data_format)
    k = len(size)
    if _o.ndim(images) not in (k + 1, k + 2):
        raise ValueError(f"Invalid images rank for {k}-D patches: expected rank {k + 1} "
                         f"(unbatched) or {k + 2} (batched). Received: "
                         f"images.shape={_o.shape(images)}")
    single = _o.ndim(images) == k + 1
    x = _o.expand_dims(images, 0) if single else images
    channels = _o.shape(x)[-1 if data_format == "channels_last" else 1]
    depth = channels
    for s in size:
        depth *= s
    kernel = _o.reshape(_maker(x).eye(depth, dtype=_o.dtype(x)), tuple(size) + (channels, depth))
    out = _o.conv(x, kernel, strides=strides, padding=padding, data_format=data_format,
                  dilation_rate=dilation_rate)
    return _o.squeeze(out, 0) if single else out


@_o.whole_node
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """2-D patches (``size`` an int or a pair) or 3-D ones (a triple); ``strides``
    defaults to ``size`` (non-overlapping)."""
    _check_size(size)
    size = (size, size) if isinstance(size, int) else tuple(size)
    return _patches(_o.convert_to_tensor(images), size, strides or size, dilation_rate,
                    padding, data_format)


@_o.whole_node
def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    """3-D patches of volumes (``size`` an int or a triple)."""
    size = (size,) * 3 if isinstance(size, int) else tuple(size)
    if len(size) != 3:
        raise TypeError("Invalid `size` argument. Expected an int or a tuple of length 3. "
                        f"Received: size={size}")
    strides = size if strides is None else strides
    strides = (strides,) * 3 if isinstance(strides, int) else tuple(strides)
    if len(strides) != 3:
        raise ValueError(f"Invalid `strides` argument. Got: {strides}")
    return _patches(_o.convert_to_tensor(volumes), size, strides, dilation_rate, padding,
                    data_format)


@_o.whole_node
def reconstruct_patches(patches, size, output_size, strides=None, padding="valid",
                        data_format=None):
    """Images from the non-overlapping patches ``extract_patches`` made: each patch
    put back in its place; for padding 'same' the centred ``output_size`` region (the
    extraction's padding removed)."""
    _check_size(size)
    size = (size, size) if isinstance(size, int) else tuple(size)
    k = len(size)
    if not isinstance(output_size, (tuple, list)):
        raise TypeError("Invalid `output_size` argument. Expected a tuple or list. "
                        f"Received: output_size={output_size} of type "
                        f"{type(output_size).__name__}")
    if len(output_size) != k:
        raise ValueError(f"Invalid `output_size`. Expected length {k} for {k}-D patches. "
                         f"Got: output_size={output_size}")
    if padding not in ("same", "valid"):
        raise ValueError(f"Invalid `padding`. Expected 'same' or 'valid'. Got: {padding}")
    strides = size if strides is None else (strides,) * k if isinstance(strides, int) \
        else tuple(strides)
    if tuple(strides) != size:
        raise NotImplementedError("`reconstruct_patches` supports only non-overlapping "
                                  f"patches (strides == size). Got strides={strides} and "
                                  f"size={size}.")
    data_format = _data_format(data_format)
    patches = _o.convert_to_tensor(patches)
    if _o.ndim(patches) not in (k + 1, k + 2):
        raise ValueError(f"`patches` has unexpected rank for {k}-D reconstruction. Expected "
                         f"{k + 1} (unbatched) or {k + 2} (batched). Received shape: "
                         f"{_o.shape(patches)}")
    single = _o.ndim(patches) == k + 1
    x = _o.expand_dims(patches, 0) if single else patches
    if data_format == "channels_first":  # (B, flat, *grid) -> (B, *grid, flat)
        x = _o.transpose(x, (0,) + tuple(range(2, k + 2)) + (1,))
    batch, *grid, flat = _o.shape(x)
    volume = 1
    for s in size:
        volume *= s
    if flat % volume:
        raise ValueError(f"`patches` last dim ({flat}) is not divisible by prod(size) "
                         f"({volume}).")
    channels = flat // volume
    for g, p, o in zip(grid, size, output_size):
        low = g * p - p if padding == "same" else g * p - 1
        if not low < o <= g * p:
            raise ValueError(f"padding={padding!r} requires output_size within "
                             f"({low}, {g * p}] for a grid of {g} patches of {p}. Got "
                             f"output_size={tuple(output_size)}, grid={tuple(grid)}, "
                             f"size={size}.")
    x = _o.reshape(x, (batch, *grid, *size, channels))
    # (B, g1.., p1.., C) -> (B, g1, p1, g2, p2, .., C): each grid axis next to its patch axis
    x = _o.transpose(x, (0,) + tuple(a for i in range(k) for a in (1 + i, 1 + k + i))
                     + (1 + 2 * k,))
    x = _o.reshape(x, (batch, *(g * p for g, p in zip(grid, size)), channels))
    begin = [0] + [(g * p - o) // 2 for g, p, o in zip(grid, size, output_size)] + [0]
    x = _o.slice(x, begin, [batch, *output_size, channels])
    if data_format == "channels_first":
        x = _o.transpose(x, (0, k + 1) + tuple(range(1, k + 1)))
    return _o.squeeze(x, 0) if single else x
