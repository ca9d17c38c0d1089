"""``keras.utils.Sequence`` (Keras 2) and its Keras 3 name ``PyDataset``: a dataset of
batches indexed by position, which ``fit``, ``evaluate`` and ``predict`` take as ``x``.

Subclasses define ``__len__`` (the number of batches) and ``__getitem__(index)`` (one
batch: ``(x, y)``, ``(x, y, sample_weight)``, or ``x`` for ``predict``), and may define
``on_epoch_end`` (called after every training epoch, e.g. to reshuffle). Batches are
fetched in this process, one at a time (``workers`` and ``use_multiprocessing`` are
accepted for compatibility and not used).
"""


class Sequence:
    """Base class of indexed batch datasets.

    Example:
        class Batches(Sequence):
            def __init__(self, x, y, batch_size):
                self.x, self.y, self.batch_size = x, y, batch_size
            def __len__(self):
                return -(-len(self.x) // self.batch_size)
            def __getitem__(self, index):
                part = slice(index * self.batch_size, (index + 1) * self.batch_size)
                return self.x[part], self.y[part]
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index), "
                                  "returning one batch.")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__(), the "
                                  "number of batches.")

    def on_epoch_end(self):
        """Called after each training epoch; does nothing unless overridden."""

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]


class PyDataset(Sequence):
    """Keras 3's name for ``Sequence``; its loading options are accepted and ignored."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size
