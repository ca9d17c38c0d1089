"""Watching one logged value (``'val_loss'``, ``'val_acc'``, ...): which way is better,
by how much a change counts, and a clear warning when the value is not logged.

Keras 2 logged ``metrics=['accuracy']`` as ``acc`` (``val_acc``); Keras 3 logs it as
given (``accuracy``). Code written for either spelling is common, so a watched key, and a
``ModelCheckpoint`` path field, is also found under the other one (``with_accuracy_aliases``).
"""

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
        value = with_accuracy_aliases(logs).get(self.monitor)
        if value is None:
            warnings.warn(f"{self.owner}: {doing} needs {self.monitor!r}, which is not in the "
                          f"logs; available: {sorted(logs or {})}. Skipping.", RuntimeWarning,
                          stacklevel=3)
            return None
        return float(value)


def accuracy_alias(key):
    """The other spelling of an accuracy key ('val_acc' <-> 'val_accuracy'), or None."""
    for short, long in (("acc", "accuracy"),):
        if key == short or key.endswith("_" + short):
            return key[:len(key) - len(short)] + long
        if key == long or key.endswith("_" + long):
            return key[:len(key) - len(long)] + short
    return None


def with_accuracy_aliases(logs):
    """``logs`` plus each accuracy value under its other spelling, where that key is not
    logged already (a copy; the logs themselves are left as they are)."""
    out = dict(logs or {})
    for key, value in list(out.items()):
        alias = accuracy_alias(key)
        if alias is not None and alias not in out:
            out[alias] = value
    return out
