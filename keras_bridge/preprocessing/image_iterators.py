"""Keras 2's image iterators: the ``Iterator`` base and ``NumpyArrayIterator``
(``ImageDataGenerator.flow``).

An ``Iterator`` is a ``keras_bridge.utils.Sequence`` (``len()`` batches; ``it[i]`` is
batch ``i`` of the current order; ``on_epoch_end()`` draws a new order when shuffling),
so ``fit``/``fit_generator`` take it directly, and, as in Keras 2, also an endless
Python iterator (``next(it)`` wraps around the data, reshuffling at each pass), for
hand-written loops that ``break`` themselves.

Randomness is numpy's global generator, as in Keras 2: with ``seed``, the generator is
reseeded with ``seed + batches seen so far`` before each batch, so a seeded iterator
repeats its order and augmentations.
"""

import os
import warnings

import numpy as np

from keras_bridge.preprocessing.image_io import array_to_img, check_data_format
from keras_bridge.utils.py_dataset import Sequence

__all__ = ["Iterator", "NumpyArrayIterator"]


def _check_size(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"Expected {name} to be a positive integer. Received: "
                         f"{name}={value!r}")
    return int(value)


def validation_split_range(generator, subset):
    """The ``(start, stop)`` fraction of the data ``subset`` covers (validation first,
    as Keras 2), or None without a subset."""
    if subset is None:
        return None
    if subset not in ("training", "validation"):
        raise ValueError("Expected subset 'training' or 'validation'. Received: "
                         f"subset={subset!r}")
    split = generator._validation_split
    if not split:
        raise ValueError(f"subset={subset!r} needs a validation_split in the "
                         "ImageDataGenerator; it has none.")
    return (0, split) if subset == "validation" else (split, 1)


class Iterator(Sequence):
    """Base of the image iterators: subclasses define
    ``_get_batches_of_transformed_samples(index_array)``."""

    def __init__(self, n, batch_size, shuffle, seed):
        self.n = int(n)
        self.batch_size = _check_size(batch_size, "batch_size")
        self.shuffle = shuffle
        self.seed = seed
        self.batch_index = 0
        self.total_batches_seen = 0
        self.index_array = None

    def _set_index_array(self):
        self.index_array = np.random.permutation(self.n) if self.shuffle \
            else np.arange(self.n)

    def _reseed(self):
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)

    def __len__(self):
        return -(-self.n // self.batch_size)

    def __getitem__(self, idx):
        count = len(self)
        if idx < 0:
            idx += count
        if not 0 <= idx < count:
            raise IndexError(f"Asked to retrieve batch {idx}, but the "
                             f"{type(self).__name__} has length {count}.")
        self._reseed()
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        start = self.batch_size * idx
        return self._get_batches_of_transformed_samples(
            self.index_array[start:start + self.batch_size])

    def on_epoch_end(self):
        self._set_index_array()

    def reset(self):
        """Restart the endless iteration at the first batch."""
        self.batch_index = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.n == 0:
            raise StopIteration
        self._reseed()
        if self.batch_index == 0:
            self._set_index_array()
        start = self.batch_index * self.batch_size
        self.batch_index = self.batch_index + 1 if start + self.batch_size < self.n else 0
        self.total_batches_seen += 1
        return self._get_batches_of_transformed_samples(
            self.index_array[start:start + self.batch_size])

    next = __next__  # Keras 2's name

    def _transform(self, image):
        generator = self.image_data_generator
        params = generator.get_random_transform(image.shape)
        return generator.standardize(generator.apply_transform(image, params))

    def _save(self, batch_x, index_array, hash_range):
        """Each image of the batch written to ``save_to_dir``."""
        for image, index in zip(batch_x, index_array):
            img = array_to_img(image, self.data_format, scale=True)
            name = f"{self.save_prefix}_{index}_{np.random.randint(hash_range)}." \
                   f"{self.save_format}"
            img.save(os.path.join(self.save_to_dir, name))

    def _get_batches_of_transformed_samples(self, index_array):
        raise NotImplementedError(f"{type(self).__name__} must define "
                                  "_get_batches_of_transformed_samples(index_array).")


class NumpyArrayIterator(Iterator):
    """Batches of augmented images from arrays.

    Args:
        x: images, rank 4 in ``data_format``; or a tuple ``(images, extra)`` where
            ``extra`` (an array or a list of arrays, aligned with the images) is passed
            through unchanged: batches then hold ``[images, *extra]``.
        y: labels aligned with ``x``, or None (batches are the images only).
        image_data_generator: the ``ImageDataGenerator`` that transforms each image.
        sample_weight: weights aligned with ``x``: batches ``(x, y, sample_weight)``.
        subset: ``'training'`` or ``'validation'``: the part of the arrays after or
            before ``validation_split`` (the first samples are the validation set).
        save_to_dir, save_prefix, save_format: write each yielded image there.
    """

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False,
                 sample_weight=None, seed=None, data_format=None, save_to_dir=None,
                 save_prefix="", save_format="png", subset=None, dtype="float32"):
        self.dtype = dtype
        self.data_format = check_data_format(data_format)
        if isinstance(x, (tuple, list)):
            extra = x[1] if isinstance(x[1], list) else [x[1]]
            x, extra = x[0], [np.asarray(e) for e in extra]
            for e in extra:
                if len(e) != len(x):
                    raise ValueError("All of the arrays in `x` should have the same "
                                     f"length. Received: images of length {len(x)} and an "
                                     f"extra array of length {len(e)}.")
        else:
            extra = []
        for name, other in (("y", y), ("sample_weight", sample_weight)):
            if other is not None and len(other) != len(x):
                raise ValueError(f"`x` (images) and `{name}` should have the same length. "
                                 f"Received: x.shape={np.shape(x)}, "
                                 f"{name}.shape={np.shape(other)}")
        split = validation_split_range(image_data_generator, subset)
        if split is not None:
            cut = int(len(x) * image_data_generator._validation_split)
            if y is not None and not np.array_equal(np.unique(np.asarray(y)[:cut]),
                                                    np.unique(np.asarray(y)[cut:])):
                raise ValueError("Training and validation subsets have different classes "
                                 "after the split. If your arrays are sorted by label, "
                                 "shuffle them first.")
            part = slice(0, cut) if subset == "validation" else slice(cut, None)
            x, extra = x[part], [e[part] for e in extra]
            y = None if y is None else y[part]
            sample_weight = None if sample_weight is None else sample_weight[part]
        self.x = np.asarray(x, dtype=self.dtype)
        if self.x.ndim != 4:
            raise ValueError("Input data in `NumpyArrayIterator` should have rank 4. "
                             f"Received: an array of shape {self.x.shape}")
        channels_axis = 3 if self.data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in (1, 3, 4):
            warnings.warn(f"NumpyArrayIterator expects images in {self.data_format} layout "
                          f"with 1, 3 or 4 channels on axis {channels_axis}. Received: an "
                          f"array of shape {self.x.shape}.", UserWarning, stacklevel=3)
        self.x_misc = extra
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.save_to_dir, self.save_prefix = save_to_dir, save_prefix
        self.save_format = save_format
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            batch_x[i] = self._transform(self.x[j])
        if self.save_to_dir:
            self._save(batch_x, index_array, 10 ** 4)
        inputs = [batch_x] + [e[index_array] for e in self.x_misc] if self.x_misc \
            else batch_x
        if self.y is None:
            return inputs
        if self.sample_weight is None:
            return inputs, self.y[index_array]
        return inputs, self.y[index_array], self.sample_weight[index_array]
