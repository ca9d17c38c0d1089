"""Keras 2's ``OrderedEnqueuer`` and ``GeneratorEnqueuer``: the objects a hand-written
loop used to draw batches from a ``Sequence`` or a generator.

Batches are read in this process, one at a time, when ``get()``'s generator is advanced
(as ``fit`` reads them, see README); ``workers``, ``max_queue_size`` and
``use_multiprocessing`` are accepted and unused.
"""

import random


class _Enqueuer:
    def __init__(self, use_multiprocessing=False):
        self.use_multiprocessing = use_multiprocessing
        self._running = False

    def start(self, workers=1, max_queue_size=10):
        self._running = True

    def is_running(self):
        return self._running

    def stop(self, timeout=None):
        self._running = False

    def _check_started(self):
        if not self._running:
            raise RuntimeError(f"{type(self).__name__}.get() was called before start(); "
                               "call enqueuer.start() first.")


class OrderedEnqueuer(_Enqueuer):
    """Batches of a ``Sequence`` in order (shuffled per epoch with ``shuffle``), epoch
    after epoch until ``stop()``; ``on_epoch_end()`` runs after each epoch.

    Args:
        sequence: a ``keras_bridge.utils.Sequence``.
        use_multiprocessing: accepted, unused.
        shuffle: whether to shuffle the batch order of each epoch.
    """

    def __init__(self, sequence, use_multiprocessing=False, shuffle=False):
        super().__init__(use_multiprocessing)
        self.sequence, self.shuffle = sequence, shuffle

    def get(self):
        self._check_started()
        while self._running:
            order = list(range(len(self.sequence)))
            if self.shuffle:
                random.shuffle(order)
            for index in order:
                if not self._running:
                    return
                yield self.sequence[index]
            self.sequence.on_epoch_end()


class GeneratorEnqueuer(_Enqueuer):
    """The items of a generator until it is exhausted or ``stop()`` is called.

    Args:
        generator: any iterator of batches.
        use_multiprocessing, wait_time, seed: accepted, unused.
    """

    def __init__(self, generator, use_multiprocessing=False, wait_time=0.05, seed=None):
        super().__init__(use_multiprocessing)
        self.generator = generator

    def get(self):
        self._check_started()
        for item in self.generator:
            if not self._running:
                return
            yield item


__all__ = ["OrderedEnqueuer", "GeneratorEnqueuer"]
