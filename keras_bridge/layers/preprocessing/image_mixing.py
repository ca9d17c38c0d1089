"""Augmentations that paste into images (Keras 3's): MixUp and CutMix blend each image
(and, given ``{"images": ..., "labels": ...}``, its label) with another of the batch;
RandomErasing fills a random box."""

from keras_bridge import ops
from keras_bridge.layers.preprocessing.image_layer import RandomImageLayer, factor_range
from keras_bridge.layers.preprocessing.image_layer import value_range_of


class _BoxLayer(RandomImageLayer):
    def box(self, images, ratio_w, ratio_h):
        """A random box of each image, ``ratio`` of each side (both (batch,)): a mask
        broadcasting over the channels, and the fraction of the image it covers."""
        h, w = self._hw_axes(4)
        shape = ops.shape(images)
        height, width = shape[h], shape[w]

        def bounds(size, ratio):
            length = ops.multiply(ratio, float(size))
            start = ops.multiply(self.draw((shape[0],)), ops.subtract(float(size), length))
            return start, ops.add(start, length)

        x0, x1 = bounds(width, ratio_w)
        y0, y1 = bounds(height, ratio_h)
        cols = ops.arange(width, dtype=self.compute_dtype)
        rows = ops.arange(height, dtype=self.compute_dtype)

        def inside(grid, lo, hi):  # (batch, size)
            return ops.logical_and(ops.greater_equal(grid[None], lo[:, None]),
                                   ops.less(grid[None], hi[:, None]))

        in_x, in_y = inside(cols, x0, x1), inside(rows, y0, y1)
        mask = ops.logical_and(in_y[:, :, None], in_x[:, None, :])  # (batch, H, W)
        mask = ops.expand_dims(mask, -1 if self.data_format == "channels_last" else 1)
        area = ops.divide(ops.multiply(ops.subtract(x1, x0), ops.subtract(y1, y0)),
                          float(height * width))
        return mask, area


class _MixingLayer(_BoxLayer):
    """Accepts images or a dict holding "images" (and "labels" to mix the same way;
    bounding boxes and segmentation masks are refused: not mixed yet)."""

    _BOXES_AND_MASKS = False

    def call(self, inputs, training=True):
        if not isinstance(inputs, dict):
            return super().call(inputs, training=training)
        if "images" not in inputs:
            raise ValueError(f"Layer {self.name!r} expects a dict with an 'images' entry. "
                             f"Received keys: {sorted(inputs)}")
        self.check_targets(inputs)
        out = dict(inputs)
        images, single = self._as_batch(inputs["images"])
        if training and not single:
            order, weight, images = self.mix(images)
            if "labels" in inputs:
                labels = ops.cast(inputs["labels"], self.compute_dtype)
                weight = ops.reshape(weight, (-1, 1))
                out["labels"] = ops.add(ops.multiply(weight, labels), ops.multiply(
                    ops.subtract(1.0, weight), ops.take(labels, order, axis=0)))
        out["images"] = ops.squeeze(images, 0) if single else images
        return out

    def permutation(self, batch):
        from keras_bridge import random
        return random.shuffle(ops.arange(batch, dtype="int32"), seed=self.generator)

    def transform(self, images):
        return self.mix(images)[2]


class MixUp(_MixingLayer):
    """Blends each image with another of the batch in training: w x + (1 - w) x', w
    drawn per image from Beta(alpha, alpha); labels given in a dict blend alike.

    Args:
        alpha: the Beta distribution's two parameters.
        data_format, seed: as the other image layers.
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.alpha = alpha

    def mix(self, images):
        from keras_bridge import random
        batch = ops.shape(images)[0]
        order = self.permutation(batch)
        weight = random.beta((batch,), self.alpha, self.alpha, dtype=self.compute_dtype,
                             seed=self.generator)
        w = ops.reshape(weight, (-1, 1, 1, 1))
        mixed = ops.add(ops.multiply(w, images),
                        ops.multiply(ops.subtract(1.0, w), ops.take(images, order, axis=0)))
        return order, weight, mixed

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class CutMix(_MixingLayer):
    """Pastes a random box of another image of the batch into each image in training;
    labels given in a dict are mixed by the box's area. The box covers about 1 - w of
    the image, w drawn per image from Beta(a, a), a drawn per call from ``factor``.
    A single image (rank 3) passes through.

    Args:
        factor: a in [0, 1] (draws in [0, a]) or a pair (lower, upper).
        seed, data_format: as the other image layers.
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(factor, (0, 1))

    def mix(self, images):
        from keras_bridge import random
        batch = ops.shape(images)[0]
        alpha = ops.add(self.draw((), *self.factor), 1e-6)
        weight = random.beta((batch,), alpha, alpha, dtype=self.compute_dtype,
                             seed=self.generator)
        ratio = ops.sqrt(ops.subtract(1.0, weight))
        mask, area = self.box(images, ratio, ratio)
        order = self.permutation(batch)
        mixed = ops.where(mask, ops.take(images, order, axis=0), images)
        return order, ops.subtract(1.0, area), mixed

    def call(self, inputs, training=True):
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        if ops.ndim(images) == 3:
            return inputs
        return super().call(inputs, training=training)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomErasing(_BoxLayer):
    """Fills a random box of each image in training, with probability drawn per image
    from ``factor``; each side of the box is sqrt(s) of the image's, s drawn from
    ``scale``. The fill is ``fill_value`` (a number or one per channel) or, when None,
    normal noise times ``value_range[1]``; it is clipped to ``value_range``.

    Args:
        factor: p in [0, 1] (probabilities in [0, p]) or a pair (lower, upper).
        scale: the range of the box's side ratios squared, in [0, 1].
        fill_value: None, a number, or a list of three numbers.
        value_range: the images' [low, high] range.
        seed, data_format: as the other image layers.
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(factor, (0, 1))
        self.scale = factor_range(scale, (0, 1), "scale")
        ok = fill_value is None or (isinstance(fill_value, (int, float))
                                    and not isinstance(fill_value, bool)) or (
            isinstance(fill_value, (tuple, list)) and len(fill_value) == 3)
        if not ok:
            raise ValueError("The `fill_value` argument should be a number (or a list of "
                             f"three numbers). Received: fill_value={fill_value!r}")
        self.fill_value = list(fill_value) if isinstance(fill_value, (tuple, list)) \
            else fill_value
        self.value_range = value_range_of(value_range)

    def fill(self, images):
        if self.fill_value is None:
            from keras_bridge import random
            noise = random.normal(ops.shape(images), dtype=self.compute_dtype,
                                  seed=self.generator)
            fill = ops.multiply(noise, float(self.value_range[1]))
        elif isinstance(self.fill_value, list):
            shape = (1, 1, 1, 3) if self.data_format == "channels_last" else (1, 3, 1, 1)
            fill = ops.reshape(ops.convert_to_tensor(self.fill_value, self.compute_dtype),
                               shape)
        else:
            fill = ops.full((1, 1, 1, 1), float(self.fill_value), self.compute_dtype)
        return ops.clip(fill, *self.value_range)

    def transform(self, images):
        batch = ops.shape(images)[0]
        ratios = ops.sqrt(self.draw((batch, 2), *self.scale))
        mask, _ = self.box(images, ratios[:, 0], ratios[:, 1])
        apply = ops.logical_and(mask, self.chance(batch, self.factor))
        return ops.where(apply, self.fill(images), images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "fill_value": self.fill_value, "value_range": list(self.value_range)}
