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
    """Keras 3's name for ``Sequence``, with its constructor. Its loading options
    (``workers``, ``use_multiprocessing``, ``max_queue_size``) are kept and not used; a
    subclass that does not call ``super().__init__()`` gets their defaults."""

    workers = 1
    use_multiprocessing = False
    max_queue_size = 10

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        for name, value in (("workers", workers), ("max_queue_size", max_queue_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"Expected `{name}` to be a non-negative integer. "
                                 f"Received: {name}={value!r}")
        self.workers = workers
        self.use_multiprocessing = bool(use_multiprocessing)
        self.max_queue_size = max_queue_size

    @property
    def num_batches(self):
        """Batches per epoch (Keras 3): ``len(self)``, or None when that is undefined."""
        try:
            return len(self)
        except (NotImplementedError, TypeError):
            return None

    def on_epoch_begin(self):
        """Keras 3's hook before each epoch. Defined so overrides are valid; keras_bridge's
        ``fit`` calls only ``on_epoch_end`` (after every epoch)."""
