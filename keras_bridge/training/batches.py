"""Where the batches of ``fit``, ``evaluate`` and ``predict`` come from.

Arrays (``ArrayBatches``) are checked once and cut into batches of ``batch_size``;
the progress bar counts samples. Anything else that yields batches (``BatchSource``):
a ``keras_bridge.utils.Sequence`` (indexed; ``len()`` batches per epoch, shuffled
order when asked, ``on_epoch_end()`` after each epoch), a Python generator or iterator
(continues where the last epoch stopped), or a re-iterable dataset (a new pass each
epoch, e.g. ``timeseries_dataset_from_array``'s); the progress bar counts steps, as
Keras 2's ``fit_generator`` did. A batch is ``(x, y)``, ``(x, y, sample_weight)`` or
``x`` (Keras's unpacking; a list counts as a tuple). A ``torch.utils.data.DataLoader``
is a re-iterable dataset like any other, on either engine: its tensors come to the host
as numpy, batch by batch. Keras 3's sources (a ``PyDataset``, a ``DataLoader``) take
their batch size from themselves, so a ``batch_size=`` given with them is ignored, as
Keras 3 ignores it (silently); Keras 2's ``Sequence`` and generators refuse it, as tf.keras 2
did.
"""

import warnings

import numpy as np

from keras_bridge.training import data
from keras_bridge import backends
from keras_bridge.utils import tree
from keras_bridge.utils.py_dataset import PyDataset, Sequence


def is_source(x):
    """Whether ``x`` yields batches rather than being the data itself."""
    if isinstance(x, Sequence) or hasattr(x, "__next__"):
        return True
    if isinstance(x, (np.ndarray, list, tuple, dict, str, bytes)) or x is None:
        return False
    return hasattr(x, "__iter__") and not hasattr(x, "shape") and not hasattr(x, "__array__")


def is_torch_dataloader(x):
    """Whether ``x`` is a ``torch.utils.data.DataLoader`` (by its class, so torch is
    never imported here)."""
    return any(c.__name__ == "DataLoader" and c.__module__.startswith("torch.utils.data")
               for c in type(x).__mro__)


def sizes_its_own_batches(x):
    """A Keras 3 source (``PyDataset``, ``DataLoader``): ``batch_size=`` is ignored."""
    return isinstance(x, PyDataset) or is_torch_dataloader(x)


def warn_if_shuffle_ignored(x, shuffle):
    """Keras 3's warning: a DataLoader batches (and shuffles) by itself."""
    if shuffle and is_torch_dataloader(x):
        warnings.warn("`shuffle=True` was passed, but will be ignored since the data `x` "
                      "was provided as a torch DataLoader. The DataLoader is expected to "
                      "already be shuffled.", UserWarning, stacklevel=3)


def _host(value):
    """An engine tensor of a batch (a DataLoader's torch tensors) as a numpy array."""
    if value is None or isinstance(value, np.ndarray) or backends.backend_of_type(
            type(value)) is None:
        return value
    return backends.get(backends.backend_of_type(type(value))).to_numpy(value)


def unpack(batch):
    """``(x, y, sample_weight)`` of one batch, Keras's rules."""
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple):
        return batch, None, None
    if not 1 <= len(batch) <= 3:
        raise ValueError(f"A batch must be x, (x,), (x, y) or (x, y, sample_weight); "
                         f"received a tuple of {len(batch)} elements.")
    return batch + (None,) * (3 - len(batch))


class ArrayBatches:
    """Batches of arrays checked once (``data.standardize``)."""

    counts_samples = True

    def __init__(self, xs, ys, sample_weight, batch_size, shuffle):
        self.xs, self.ys, self.sample_weight = xs, ys, sample_weight
        self.batch_size, self.shuffle = batch_size, shuffle
        self.n = xs[0].shape[0]
        self.target = self.n  # progress is counted in samples
        self.steps = -(-self.n // batch_size)
        self.ran_out = False

    def first(self):
        return self.xs, self.ys

    def epoch(self, rng=None, group=1):
        """(xs, ys, sample_weight, samples) per batch. With ``group`` > 1 (the steps of
        one execution), each run of ``group`` full batches is gathered at once and
        yielded as adjacent slices of that one block, which ``utils.stacking.stack`` joins
        without another copy."""
        indices = data.batch_indices(self.n, self.batch_size, self.shuffle, rng)
        for k in range(0, len(indices), group):
            run = indices[k:k + group]
            if len(run) == group > 1 and not isinstance(run[0], slice) and \
                    len(run[-1]) == self.batch_size:
                taken, b = self._take(np.concatenate(run)), self.batch_size
                for i in range(group):
                    yield _sliced(taken, slice(i * b, (i + 1) * b)) + (b,)
                continue
            for index in run:
                size = len(range(self.n)[index]) if isinstance(index, slice) \
                    else len(index)
                yield self._take(index) + (size,)

    def _take(self, index):
        return (data.take(self.xs, index), data.take(self.ys, index),
                data.take_weights(self.sample_weight, index))

    def end_epoch(self):
        pass


def _sliced(batch, at):
    """``(xs, ys, sample_weight)`` with every array sliced (views)."""
    xs, ys, sw = batch
    return ([a[at] for a in xs], [a[at] for a in ys],
            None if sw is None else [a[at] for a in sw] if isinstance(sw, list) else sw[at])


def _checked_steps(steps, what):
    """A positive step count; a fraction (Keras 2's ``len(x_train) / 32``) counts its
    last partial step, as Keras 2's ``while steps_done < steps_per_epoch`` loop did."""
    if steps is None:
        return None
    ok = not isinstance(steps, bool) and isinstance(steps, (int, float, np.integer,
                                                            np.floating))
    if not ok or not np.isfinite(steps) or steps <= 0:
        raise ValueError(f"{what}(): the number of steps must be a positive number. "
                         f"Received: {steps!r}")
    return int(np.ceil(steps))


class BatchSource:
    """Batches from a Sequence, generator, iterator or re-iterable dataset.

    Args:
        source: what yields the batches.
        model: the model they are for (checked against it batch by batch).
        steps: batches per epoch (None: a Sequence's ``len()``, else until the source
            is exhausted).
        shuffle: visit a Sequence's batches in a new random order each epoch.
        targets: "required" (each batch holds ``y``: fit, evaluate), "optional" (fit or
            evaluate of a model trained on its own ``add_loss`` losses: ``y`` may be
            absent) or "ignored" (predict).
        what: the calling method, for messages.
        class_weight: checked ``{class: weight}`` turned into each batch's sample weights.
    """

    counts_samples = False

    def __init__(self, source, model, steps=None, shuffle=False, targets="required",
                 what="fit", class_weight=None):
        steps = _checked_steps(steps, what)
        self.source, self.model = source, model
        self.targets, self.what = targets, what
        self.class_weight = class_weight  # checked by data.class_weights
        self.indexed = isinstance(source, Sequence)
        if steps is None and (self.indexed or (hasattr(source, "__len__") and
                                               not hasattr(source, "__next__"))):
            steps = len(source)
        self.steps = None if steps is None else int(steps)
        self.target = self.steps  # progress is counted in steps (None: unknown)
        self.shuffle = shuffle and self.indexed
        self._iterator = source if hasattr(source, "__next__") else None
        self._pending = None  # a batch taken from an iterator to learn shapes
        self.ran_out = False

    def _check(self, batch):
        x, y, sample_weight = (tree.map_structure(_host, part) for part in unpack(batch))
        if self.targets == "required" and y is None:
            raise ValueError(f"{self.what}() needs batches (x, y) or (x, y, sample_weight) "
                             f"from {type(self.source).__name__}; a batch held x only.")
        keep = self.targets != "ignored" and y is not None
        xs, ys, sw = data.standardize(self.model, x, y if keep else None,
                                      sample_weight if keep else None)
        if ys is None and self.targets == "optional":
            ys = []  # the model's own losses need no targets
        if self.class_weight is not None:
            if sw is not None:
                raise ValueError(f"{self.what}(): class_weight and sample_weight cannot be "
                                 "used together; a batch held sample weights.")
            sw = data.class_weight_to_sample_weight(ys, self.class_weight)
        return xs, ys, sw

    def first(self):
        """The first batch's (xs, ys), to build the model and its metrics."""
        if self.indexed:
            if len(self.source) == 0:
                raise ValueError(f"{self.what}(): {type(self.source).__name__} has no "
                                 "batches (len() is 0).")
            xs, ys, _ = self._check(self.source[0])
            return xs, ys
        if self._pending is None:
            iterator = self._iterator if self._iterator is not None else iter(self.source)
            try:
                self._pending = (next(iterator), iterator)
            except StopIteration:
                raise ValueError(f"{self.what}(): {type(self.source).__name__} yielded no "
                                 "batches.") from None
        xs, ys, _ = self._check(self._pending[0])
        return xs, ys

    def _raw(self, rng):
        if self.indexed:  # more steps than batches: start another pass, as Keras 2 did
            count, step = len(self.source), 0
            while True:
                order = rng.permutation(count) if self.shuffle else range(count)
                for index in order:
                    if self.steps is not None and step >= self.steps:
                        return
                    yield self.source[int(index)]
                    step += 1
                if self.steps is None or step >= self.steps:
                    return
                self.source.on_epoch_end()
        if self._pending is not None:
            batch, iterator = self._pending
            self._pending = None
            yield batch
            taken = 1
        else:
            iterator = self._iterator if self._iterator is not None else iter(self.source)
            taken = 0
        while self.steps is None or taken < self.steps:
            try:
                batch = next(iterator)
            except StopIteration:
                if taken == 0 or self.steps is not None:
                    self.ran_out = True
                return
            taken += 1
            yield batch

    def epoch(self, rng=None, group=1):
        """(xs, ys, sample_weight, 1) per batch, checked (``group``: unused, the source
        makes its own batches)."""
        for batch in self._raw(rng):
            xs, ys, sw = self._check(batch)
            yield xs, ys, sw, 1

    def end_epoch(self):
        if self.indexed:
            self.source.on_epoch_end()

    def warn_ran_out(self):
        warnings.warn(f"{self.what}(): the input ran out of data"
                      + (f" before {self.steps} steps" if self.steps else "")
                      + "; stopping. Give a generator that yields enough batches (or loops "
                      "forever) for steps_per_epoch * epochs, or a Sequence.", UserWarning,
                      stacklevel=4)
