"""Argument checks of the convolution and pooling ops, engine-free: both engines'
``conv_ops`` read their arguments through these, so the rules and messages are stated
once. Shapes are tuples of ints."""

import operator

from keras_bridge import config


def positive_tuple(value, rank, name, op):
    """``rank`` positive ints from an int or a sequence of them."""
    try:
        items = (operator.index(value),) * rank if not hasattr(value, "__len__") \
            else tuple(operator.index(v) for v in value)
    except TypeError:
        items = ()
    if len(items) != rank or min(items) < 1:
        raise ValueError(f"ops.{op} expects `{name}` to be a positive int or a tuple of "
                         f"{rank} positive ints. Received: {name}={value!r}")
    return items


def layout(shape, op, padding, data_format):
    """``(rank, padding, channels_last, channels, spatial)`` of an input of ``shape``."""
    rank = len(shape) - 2
    if rank not in (1, 2, 3):
        raise ValueError(f"ops.{op} expects an input of rank 3, 4 or 5. Received: "
                         f"inputs.shape={tuple(shape)}")
    key = padding.lower() if isinstance(padding, str) else padding
    if key not in ("valid", "same"):
        raise ValueError(f"ops.{op} expects padding 'valid' or 'same'. Received: "
                         f"padding={padding!r}")
    data_format = config.image_data_format() if data_format is None else data_format
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"ops.{op} expects data_format 'channels_last' or "
                         f"'channels_first'. Received: data_format={data_format!r}")
    last = data_format == "channels_last"
    channels = shape[-1] if last else shape[1]
    spatial = tuple(shape[1:-1] if last else shape[2:])
    return rank, key, last, channels, spatial


def check_kernel(kernel_shape, rank, channels, op, axis, what):
    """A kernel of rank ``rank + 2`` whose ``axis`` the input's channels are a multiple
    of (``what="divide"``, grouped convolution) or equal to (``"equal"``)."""
    if len(kernel_shape) != rank + 2:
        raise ValueError(f"ops.{op} expects a kernel of rank {rank + 2} for an input of "
                         f"rank {rank + 2}. Received: kernel.shape={tuple(kernel_shape)}")
    n = kernel_shape[axis]
    if (channels % n if what == "divide" else channels != n):
        rule = "divisible by" if what == "divide" else "equal to"
        raise ValueError(f"ops.{op}: the input's {channels} channels must be {rule} the "
                         f"kernel's input channels (kernel.shape[{axis}]={n}). Received: "
                         f"kernel.shape={tuple(kernel_shape)}")


def output_paddings(output_padding, rank):
    """One entry (an int or None) per spatial axis."""
    if output_padding is None:
        return (None,) * rank
    if isinstance(output_padding, int):
        return (output_padding,) * rank
    return tuple(output_padding)
