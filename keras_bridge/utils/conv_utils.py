"""Keras 2's ``keras.utils.conv_utils``: the argument and output-length helpers custom
convolution layers import."""

from keras_bridge.layers import convolutional as _conv

_PADDINGS = ("valid", "same", "causal", "full")


def normalize_tuple(value, n, name):
    """``value`` (an int or an iterable of ``n`` ints) as a tuple of ``n`` ints."""
    return _conv.normalize_tuple(value, n, name, "conv_utils.normalize_tuple",
                                 allow_zero=True)


def normalize_padding(value):
    """``value`` lower-cased, checked to be 'valid', 'same', 'causal' or 'full'."""
    return _conv.normalize_padding(value, "conv_utils.normalize_padding", _PADDINGS)


def conv_output_length(input_length, filter_size, padding, stride, dilation=1):
    """The length of a convolution's output along one axis (None for an unknown
    ``input_length``), Keras's rule for each padding."""
    if input_length is None:
        return None
    padding = normalize_padding(padding)
    span = (filter_size - 1) * dilation + 1
    length = {"same": input_length, "causal": input_length,
              "valid": input_length - span + 1, "full": input_length + span - 1}[padding]
    return (length + stride - 1) // stride


__all__ = ["normalize_tuple", "normalize_padding", "conv_output_length"]
