"""Watching one logged value (``'val_loss'``, ``'val_acc'``, ...): which way is better,
by how much a change counts, and a clear warning when the value is not logged."""

import math
import warnings

# Substrings of metric names where higher is better (Keras's 'auto' mode).
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "fmeasure")


class Monitor:
    """Args:
        monitor: the logs key to watch.
        mode: 'min', 'max', or 'auto' (max for accuracy-like names, else min).
        min_delta: least change that counts as an improvement.
        owner: the callback's class name, for messages.
    """

    def __init__(self, monitor, mode="auto", min_delta=0.0, owner="callback"):
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{owner} mode {mode!r} is unknown; using 'auto'. Expected 'auto', "
                          f"'min' or 'max'.", RuntimeWarning, stacklevel=3)
            mode = "auto"
        self.monitor, self.owner = monitor, owner
        self.higher_is_better = mode == "max" or (
            mode == "auto" and any(k in monitor for k in _HIGHER_IS_BETTER))
        self.min_delta = abs(float(min_delta))

    @property
    def worst(self):
        return -math.inf if self.higher_is_better else math.inf

    def improved(self, current, reference):
        """Whether ``current`` beats ``reference`` by more than ``min_delta``."""
        if self.higher_is_better:
            return current - self.min_delta > reference
        return current + self.min_delta < reference

    def value(self, logs, doing):
        """The watched value in ``logs``, or None with a warning that ``doing`` was
        skipped and which values are logged."""
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"{self.owner}: {doing} needs {self.monitor!r}, which is not in the "
                          f"logs; available: {sorted(logs or {})}. Skipping.", RuntimeWarning,
                          stacklevel=3)
            return None
        return float(value)
