"""Sequence data utilities with Keras's names and behaviour: ``pad_sequences``
(keras/src/utils/sequence_utils.py) and ``timeseries_dataset_from_array``
(keras/src/utils/timeseries_dataset_utils.py). Pure numpy; no engine is touched."""

import numpy as np

_SIDES = ("pre", "post")


def _check_side(arg, value):
    if value not in _SIDES:
        raise ValueError(f'{arg.capitalize()} type "{value}" not understood: expected '
                         f"'pre' or 'post'. Received: {arg}={value!r}")


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pads (and truncates) sequences to one length: a list of ``num_samples``
    sequences becomes an array of shape ``(num_samples, maxlen)`` (plus the shape of
    each element, for sequences of vectors).

    Args:
        sequences: list of sequences (lists or arrays of integers, or of equal-shape
            elements).
        maxlen: length of the output; default the length of the longest sequence.
        dtype: dtype of the output (``object`` for variable-length strings).
        padding: 'pre' or 'post': where shorter sequences get ``value``.
        truncating: 'pre' or 'post': where longer sequences lose values.
        value: the padding value.

    Returns:
        numpy array of shape ``(len(sequences), maxlen, *element_shape)``.

    Example:
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
        array([[0, 0, 1],
               [0, 2, 3],
               [4, 5, 6]], dtype=int32)
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2)
        array([[0, 1],
               [2, 3],
               [5, 6]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    _check_side("padding", padding)
    _check_side("truncating", truncating)
    lengths, sample_shape = [], None
    for x in sequences:
        try:
            lengths.append(len(x))
        except TypeError as e:
            raise ValueError(f"`sequences` must be a list of iterables. Found non-iterable: "
                             f"{x!r}") from e
        if sample_shape is None and len(x):
            sample_shape = np.asarray(x).shape[1:]  # from the first non-empty sequence
    sample_shape = sample_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    if isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise ValueError(f"`maxlen` must be a non-negative integer or None. Received: "
                         f"maxlen={maxlen!r}")
    is_text = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_text:
        raise ValueError(f"`dtype` {dtype} is not compatible with `value`'s type: "
                         f"{type(value)}\nYou should set `dtype=object` for variable length "
                         "strings.")
    out = np.full((len(sequences), int(maxlen)) + tuple(sample_shape), value, dtype=dtype)
    for index, seq in enumerate(sequences):
        if not len(seq) or not maxlen:
            continue
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"Shape of sample {kept.shape[1:]} of sequence at position "
                             f"{index} is different from expected shape {sample_shape}")
        if padding == "post":
            out[index, :len(kept)] = kept
        else:
            out[index, -len(kept):] = kept
    return out


def _check_positive(arg, value, data_length=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"`{arg}` must be higher than 0. Received: {arg}={value!r}")
    if data_length is not None and value >= data_length:
        raise ValueError(f"`{arg}` must be lower than the length of the data. Received: "
                         f"{arg}={value}, for data of length {data_length}")


class TimeseriesDataset:
    """What ``timeseries_dataset_from_array`` returns: an iterable of numpy batches,
    re-iterable (one pass per epoch), with ``len()`` the number of batches.

    Each item is ``(inputs, targets)``, or ``inputs`` alone when no targets were given;
    ``inputs`` has shape ``(batch, sequence_length, *data.shape[1:])``. This is not a
    ``tf.data.Dataset``: it has no ``map``/``prefetch``; iterate it, or pass it where
    an iterable of batches is accepted.
    """

    def __init__(self, data, targets, start_positions, sequence_length, sampling_rate,
                 batch_size, shuffle, seed):
        self.data = data
        self.targets = targets
        self.start_positions = start_positions
        self.offsets = np.arange(sequence_length) * sampling_rate
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._rng = np.random.RandomState(seed) if shuffle else None
        self._epochs = 0

    def __len__(self):
        n = len(self.start_positions)
        return n if self.batch_size is None else -(-n // self.batch_size)

    def _item(self, starts):
        x = self.data[starts[..., None] + self.offsets]
        return x if self.targets is None else (x, self.targets[starts])

    def __iter__(self):
        starts = self.start_positions
        if self.shuffle and self._epochs:  # a new order on each later pass, from the seed
            starts = starts[self._rng.permutation(len(starts))]
        self._epochs += 1
        if self.batch_size is None:
            for s in starts:
                yield self._item(np.asarray(s))
            return
        for i in range(0, len(starts), self.batch_size):
            yield self._item(starts[i:i + self.batch_size])


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """Batches of sliding windows over a timeseries, as Keras makes them.

    Window ``i`` starts at ``start_index + i * sequence_stride`` and takes the
    ``sequence_length`` steps ``start, start + sampling_rate, ...``; its target is
    ``targets[start_index + i * sequence_stride]`` (the target of the window's first
    step: pass ``data[:-n]`` and ``targets=data[n:]`` to predict the step after a
    window of ``n``). Windows that would run past ``end_index`` are dropped.

    Args:
        data: array (or list) with time on axis 0.
        targets: targets aligned with ``data``, or None (batches are inputs only).
        sequence_length: steps per window.
        sequence_stride: steps between the starts of consecutive windows.
        sampling_rate: steps between consecutive elements of a window.
        batch_size: windows per batch (the last may be smaller); None for unbatched
            windows.
        shuffle: whether to draw windows in random order instead of in time order.
        seed: seed of that order. Windows are permuted with
            ``np.random.RandomState(seed)``, as Keras's first shuffling stage (Keras then
            also shuffles within a TensorFlow buffer, whose order cannot be reproduced
            without TensorFlow: the same windows come out, in another order). Each
            further pass over the dataset draws a new order from the same generator.
        start_index, end_index: only data in ``[start_index, end_index)`` is used.

    Returns:
        a ``TimeseriesDataset``: an iterable of numpy ``(inputs, targets)`` batches
        (``inputs`` alone without targets). It is not a ``tf.data.Dataset``.

    Example:
        >>> data = np.arange(100)
        >>> ds = timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10)
        >>> x, y = next(iter(ds))
        >>> x[0], y[0]  # steps 0..9, then the target: step 10
    """
    data = np.asarray(data)
    targets = None if targets is None else np.asarray(targets)
    n = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: "
                             f"start_index={start_index}")
        if start_index >= n:
            raise ValueError(f"`start_index` must be lower than the length of the data. "
                             f"Received: start_index={start_index}, for data of length {n}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index}")
        if end_index >= n:
            raise ValueError(f"`end_index` must be lower than the length of the data. "
                             f"Received: end_index={end_index}, for data of length {n}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: "
                             f"end_index={end_index}")
    _check_positive("sampling_rate", sampling_rate, n)
    _check_positive("sequence_stride", sequence_stride, n)
    _check_positive("sequence_length", sequence_length)
    if batch_size is not None:
        _check_positive("batch_size", batch_size)
    start_index = start_index or 0
    end_index = end_index or n
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    start_positions = np.arange(0, max(num_seqs, 0), sequence_stride, dtype=np.int64)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        rng = np.random.RandomState(seed)
        rng.shuffle(start_positions)
    else:
        seed = None
    return TimeseriesDataset(data[start_index:end_index],
                             None if targets is None else targets[start_index:end_index],
                             start_positions, sequence_length, sampling_rate, batch_size,
                             shuffle, seed)
