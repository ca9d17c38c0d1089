"""``keras.preprocessing.sequence``: ``pad_sequences`` and Keras 2's
``TimeseriesGenerator`` (keras-preprocessing's ``sequence.py``), in numpy."""

import json

import numpy as np

from keras_bridge.utils.py_dataset import Sequence
from keras_bridge.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences", "TimeseriesGenerator"]


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
