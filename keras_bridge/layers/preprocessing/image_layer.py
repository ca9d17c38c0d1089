"""What Keras 3's image preprocessing layers share: the data format, the height and
width axes, the ``factor`` ranges, and the ``training`` rule.

A random layer's ``call`` takes ``training=True`` as Keras 3's does: it augments when
called directly or in ``fit`` and passes images through in ``predict`` / ``evaluate``
(which call with ``training=False``). Inside a model called as ``model(x)`` with no
``training`` it passes images through on both engines (Keras 3 would augment there:
its layers fall back to their own default). Its draws come from its own ``SeedGenerator``
(``self.generator``), so a given seed gives the same augmentations on every run.
"""

import numbers

from keras_bridge import config, ops
from keras_bridge.layers.base import Layer


def data_format_of(data_format):
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format!r}")
    return data_format


def factor_range(factor, bounds, name="factor", lower_open=False):
    """(lower, upper) from a number f (-|f|, |f|) or a pair, each inside ``bounds``."""
    low, high = bounds
    message = (f"The `{name}` argument should be a number (or a list of two numbers) in "
               f"the range {'(' if lower_open else '['}{low}, {high}]. Received: "
               f"{name}={factor!r}")
    if isinstance(factor, (tuple, list)):
        pair = list(factor)
    elif isinstance(factor, numbers.Real) and not isinstance(factor, bool):
        pair = [-abs(factor), abs(factor)]
    else:
        raise ValueError(message)
    if len(pair) != 2 or not all(isinstance(v, numbers.Real) and not isinstance(v, bool)
                                 for v in pair):
        raise ValueError(message)
    for value in (factor if isinstance(factor, (tuple, list)) else [factor]):
        if value > high or value < low or (lower_open and value == low):
            raise ValueError(message)
    lower, upper = sorted(float(v) for v in pair)
    return max(lower, low), upper


def value_range_of(value_range):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError("The `value_range` argument should be a list of two numbers. "
                         f"Received: value_range={value_range!r}")
    return sorted(value_range)


def rescale(images, source, target):
    """Maps values linearly from the range ``source`` onto ``target``."""
    if list(source) == list(target):
        return images
    scale = (target[1] - target[0]) / (source[1] - source[0])
    return ops.add(ops.multiply(ops.subtract(images, source[0]), scale), target[0])


def choose(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"Unknown `{name}` {value!r}. Expected one of {allowed}.")
    return value


class ImageLayer(Layer):
    """Base of the image layers: rank 3 (one image) or 4 (a batch) inputs."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_of(data_format)

    def _hw_axes(self, ndim):
        """Axes of height and width for an input of rank ``ndim`` (3 or 4)."""
        if ndim not in (3, 4):
            raise ValueError(f"Layer {self.name!r} expects images of rank 3 (one image) or 4 "
                             f"(a batch of images). Received an input of rank {ndim}.")
        h = ndim - 3 if self.data_format == "channels_last" else ndim - 2
        return h, h + 1

    def _as_batch(self, images):
        """(images as a batch of rank 4 in the compute dtype, whether it was one image)."""
        images = ops.cast(images, self.compute_dtype)
        self._hw_axes(ops.ndim(images))
        single = ops.ndim(images) == 3
        return (ops.expand_dims(images, 0) if single else images), single

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class RandomImageLayer(ImageLayer):
    """An augmentation: ``transform(batch)`` in training, the images unchanged otherwise."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        from keras_bridge.random import SeedGenerator  # random's SeedGenerator is a Layer
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def draw(self, shape, low=0.0, high=1.0, dtype=None):
        """Uniform samples in [low, high) from the layer's generator."""
        from keras_bridge import random
        return random.uniform(shape, low, high, dtype=dtype, seed=self.generator)

    def chance(self, batch, probability):
        """(batch, 1, 1, 1) booleans: per image, a uniform threshold below a probability
        drawn from the range ``probability`` (Keras's "apply with probability" rule)."""
        p = self.draw((batch,), *probability)
        return ops.reshape(ops.less(self.draw((batch,)), p), (batch, 1, 1, 1))

    def sign(self, shape):
        """-1 or +1 with equal odds, as Keras's layers flip the direction of a draw."""
        return ops.where(ops.greater(self.draw(shape), 0.5), -1.0, 1.0)

    def call(self, inputs, training=True):
        images, single = self._as_batch(inputs)
        if training:
            images = self.transform(images)
        return ops.squeeze(images, 0) if single else images

    def transform(self, images):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        self._hw_axes(len(input_shape))
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
