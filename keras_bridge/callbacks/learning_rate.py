"""Callbacks that set the optimizer's learning rate between epochs; each adds the rate
to the epoch's logs as 'lr' (Keras 2's key), so ``History`` records it."""

import inspect

import numpy as np

from keras_bridge.callbacks.base import Callback
from keras_bridge.callbacks.monitor import Monitor


def _set_rate(model, value, owner):
    if model.optimizer is None:
        raise RuntimeError(f"{owner} needs a compiled model (model.optimizer is None).")
    model.optimizer.learning_rate = value


class LearningRateScheduler(Callback):
    """At the start of each epoch, ``learning_rate = schedule(epoch, learning_rate)``
    (Keras 2's one-argument ``schedule(epoch)`` is accepted too).

    Args:
        schedule: function of the epoch index (from 0) and the current rate.
        verbose: 1 prints each new rate.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler needs a function schedule(epoch, lr). "
                            f"Received: {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose
        self._takes_rate = _positional_count(schedule) >= 2

    def on_epoch_begin(self, epoch, logs=None):
        rate = float(self.model.optimizer.learning_rate)
        rate = self.schedule(epoch, rate) if self._takes_rate else self.schedule(epoch)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.number)) \
                or not np.isfinite(rate):
            raise ValueError(f"The schedule of LearningRateScheduler must return a finite "
                             f"float; for epoch {epoch} it returned {rate!r}.")
        _set_rate(self.model, float(rate), "LearningRateScheduler")
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{float(rate)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = float(self.model.optimizer.learning_rate)


def _positional_count(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 2
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return 2
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` once ``monitor`` has not improved for
    ``patience`` epochs, then wait ``cooldown`` epochs; never below ``min_lr``.

    Args:
        monitor: logs key to watch (default 'val_loss').
        factor: the multiplier, below 1.
        patience: epochs without improvement before reducing.
        verbose: 1 prints each reduction.
        mode: 'auto', 'min' or 'max'.
        min_delta: least change that counts as an improvement.
        cooldown: epochs after a reduction before counting again.
        min_lr: the rate's lower bound.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:  # Keras 2.1's name of min_delta
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected arguments {sorted(kwargs)}.")
        if not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau needs 0 <= factor < 1 (the rate is "
                             f"multiplied by it). Received: factor={factor!r}")
        self.watch = Monitor(monitor, mode, min_delta, "ReduceLROnPlateau")
        self.monitor = monitor
        self.factor, self.patience, self.verbose = float(factor), int(patience), verbose
        self.cooldown, self.min_lr = int(cooldown), float(min_lr)

    def on_train_begin(self, logs=None):
        self.best = self.watch.worst
        self.wait = 0
        self.cooldown_counter = 0

    def on_epoch_end(self, epoch, logs=None):
        rate = float(self.model.optimizer.learning_rate)
        if logs is not None:
            logs["lr"] = rate
        current = self.watch.value(logs, "reducing the learning rate")
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.watch.improved(current, self.best):
            self.best, self.wait = current, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience and rate > np.float32(self.min_lr):
                new_rate = max(rate * self.factor, self.min_lr)
                _set_rate(self.model, new_rate, "ReduceLROnPlateau")
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                          f"to {new_rate}.")
                self.cooldown_counter, self.wait = self.cooldown, 0
