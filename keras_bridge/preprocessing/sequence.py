"""``keras.preprocessing.sequence``: ``pad_sequences``, Keras 2's
``TimeseriesGenerator``, and the word2vec helpers ``skipgrams`` and
``make_sampling_table`` (keras-preprocessing's ``sequence.py``), in numpy."""

import json
import random

import numpy as np

from keras_bridge.utils.py_dataset import Sequence
from keras_bridge.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences", "TimeseriesGenerator", "skipgrams", "make_sampling_table"]

EULER_GAMMA = 0.577  # the rounded constant Keras 2 uses


def make_sampling_table(size, sampling_factor=1e-5):
    """``table[r]``: the probability of keeping a word of frequency rank ``r`` (word2vec's
    subsampling ``min(1, sqrt(f / s) / (f / s))`` with ``s = sampling_factor``), the
    frequency ``f`` of rank ``r`` taken from Zipf's law:
    ``1 / f ~ r * (log r + gamma) + 1/2 - 1 / (12 r)`` (rank 0 treated as rank 1)."""
    rank = np.arange(size, dtype=float)
    rank[:1] = 1
    inverse_frequency = rank * (np.log(rank) + EULER_GAMMA) + 0.5 - 1. / (12. * rank)
    scaled = sampling_factor * inverse_frequency
    return np.minimum(1., scaled / np.sqrt(scaled))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1., shuffle=True,
              categorical=False, sampling_table=None, seed=None):
    """Word pairs of a sequence of word indices, labelled 1 for (word, neighbour within
    ``window_size``) and 0 for (word, random index in ``1 .. vocabulary_size-1``).

    Index 0 is not a word and is skipped. With ``sampling_table``, word ``w`` is a centre
    word with probability ``sampling_table[w]``. ``negative_samples`` negatives per
    positive (their first words are the positives' centre words, shuffled).
    ``categorical`` labels are ``[0, 1]`` (positive) and ``[1, 0]``. Randomness is
    Python's ``random`` module, in Keras 2's order; ``seed`` fixes the final shuffle,
    which keeps couples and labels aligned.

    Returns:
        ``(couples, labels)``: lists of ``[word, context]`` pairs and their labels.
    """
    couples, labels = [], []
    positive, negative = ([0, 1], [1, 0]) if categorical else (1, 0)
    for i, word in enumerate(sequence):
        if not word:
            continue
        if sampling_table is not None and sampling_table[word] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([word, sequence[j]])
                labels.append(positive)
    if negative_samples > 0 and couples:
        count = int(len(labels) * negative_samples)
        words = [pair[0] for pair in couples]
        random.shuffle(words)
        couples += [[words[k % len(words)], random.randint(1, vocabulary_size - 1)]
                    for k in range(count)]
        labels += [negative] * count
    if shuffle:
        if seed is None:
            seed = random.randint(0, 10 ** 7)
        order = list(range(len(couples)))
        random.Random(seed).shuffle(order)
        couples = [couples[k] for k in order]
        labels = [labels[k] for k in order]
    return couples, labels


class TimeseriesGenerator(Sequence):
    """Batches of windows over a timeseries, with Keras 2's indexing.

    Sample ``j`` of the data set ends just before step ``row = start_index + length +
    j * stride``: its input is ``data[row - length:row:sampling_rate]`` and its target
    ``targets[row]`` (the step after the window). Rows go up to ``end_index``
    (inclusive; default the last step). Batch ``i`` holds samples
    ``i * batch_size ...``; ``len()`` is the number of batches.

    A ``keras_bridge.utils.Sequence``: indexed (``gen[i]`` is a batch ``(inputs,
    targets)``), iterable (one pass over the batches), and accepted by ``fit``.

    Args:
        data: indexable (list or array) with time on axis 0.
        targets: indexable aligned with ``data`` (same length).
        length: steps covered by each window (``length / sampling_rate`` elements).
        sampling_rate: step between the elements taken in a window.
        stride: steps between consecutive windows.
        start_index, end_index: the windows' ``row`` stays in
            ``[start_index + length, end_index]``.
        shuffle: draw each batch's rows at random (``np.random.randint``, Keras 2's
            global numpy generator) instead of in order.
        reverse: put each window's steps in reverse order.
        batch_size: windows per batch (the last may be smaller).

    Example:
        >>> data = np.array([[i] for i in range(50)])
        >>> gen = TimeseriesGenerator(data, data, length=10, sampling_rate=2, batch_size=2)
        >>> len(gen)
        20
        >>> x, y = gen[0]  # x: [[[0],[2],[4],[6],[8]], [[1],[3],[5],[7],[9]]], y: [[10],[11]]
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0,
                 end_index=None, shuffle=False, reverse=False, batch_size=128):
        if len(data) != len(targets):
            raise ValueError(f"Data and targets have to be of same length. Data length is "
                             f"{len(data)} while target length is {len(targets)}")
        for arg, value in (("length", length), ("sampling_rate", sampling_rate),
                           ("stride", stride), ("batch_size", batch_size)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or value <= 0:
                raise ValueError(f"`{arg}` must be a positive integer. Received: "
                                 f"{arg}={value!r}")
        self.data = data
        self.targets = targets
        self.length = int(length)
        self.sampling_rate = int(sampling_rate)
        self.stride = int(stride)
        self._start_index_arg = start_index
        self.start_index = start_index + self.length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = int(batch_size)
        if self.start_index > self.end_index:
            raise ValueError(f"`start_index+length={self.start_index} > end_index="
                             f"{self.end_index}` is disallowed, as no part of the sequence "
                             "would be left to be used as current step.")

    def __len__(self):
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def __getitem__(self, index):
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError(f"Batch index {index} is out of range for a "
                             f"TimeseriesGenerator of {count} batches.")
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1,
                                     size=self.batch_size)
        else:
            first = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(first, min(first + self.batch_size * self.stride,
                                        self.end_index + 1), self.stride)
        samples = np.array([self.data[row - self.length:row:self.sampling_rate]
                            for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets

    def get_config(self):
        """The generator's arguments, with data and targets as JSON strings (Keras 2's
        format, except that ``start_index`` is the argument given, so the config
        rebuilds the same generator)."""
        def as_json(values, what):
            if isinstance(values, np.ndarray):
                values = values.tolist()
            try:
                return json.dumps(values)
            except TypeError as e:
                raise TypeError(f"{what} are not JSON serializable: {values!r}") from e

        return {"data": as_json(self.data, "Data"),
                "targets": as_json(self.targets, "Targets"),
                "length": self.length, "sampling_rate": self.sampling_rate,
                "stride": self.stride, "start_index": self._start_index_arg,
                "end_index": self.end_index, "shuffle": self.shuffle,
                "reverse": self.reverse, "batch_size": self.batch_size}

    def to_json(self, **kwargs):
        """``{'class_name': 'TimeseriesGenerator', 'config': get_config()}`` as JSON."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()},
                          **kwargs)
