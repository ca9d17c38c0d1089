"""Keras 2's ``keras.utils.generic_utils``: custom-object scopes and Keras object
(de)serialization (from ``keras_bridge.serialization``), Keras 2's ``Progbar``, and
the small helpers Keras 2 code imports from here (``to_list``, ``has_arg``)."""

import inspect

from keras_bridge.serialization import CustomObjectScope, custom_object_scope
from keras_bridge.serialization import deserialize_keras_object, get_custom_objects
from keras_bridge.serialization import serialize_keras_object
from keras_bridge.training import progbar as _progbar


class Progbar(_progbar.Progbar):
    """Keras 2's progress bar for user loops.

    ``update(current, values)`` takes ``values`` as a list of ``(name, value)`` pairs;
    each is shown as its average over the samples seen so far, weighted by the
    progress of each update (``stateful_metrics`` are shown as given). ``add(n,
    values)`` advances by ``n``.

    Args:
        target: total number of steps, or None if unknown.
        width: bar width in characters.
        verbose: 1 (live bar) or 2 (one line at the end); 0 shows nothing.
        interval: least seconds between redraws on a terminal.
        stateful_metrics: names of values not to average.
        unit_name: Keras 3's unit label, accepted (the per-unit time is shown per step).
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step"):
        super().__init__(target, verbose=verbose, width=width, interval=interval)
        self.unit_name = unit_name  # Keras 3's argument; the bar reads 'step' whatever it is
        self.stateful_metrics = set(stateful_metrics or ())
        self._sums = {}  # name -> [weighted sum, weight], in first-seen order
        self._seen_so_far = 0

    def update(self, current, values=None, finalize=None):
        """``finalize`` (Keras 3): draw the final line now, even short of ``target``."""
        step = current - self._seen_so_far
        for name, value in values or ():
            if name in self.stateful_metrics:
                self._sums[name] = [float(value), 1]
            else:
                total = self._sums.setdefault(name, [0.0, 0])
                total[0] += float(value) * step
                total[1] += step
        self._seen_so_far = current
        if self.verbose:
            means = {k: s / max(1, w) for k, (s, w) in self._sums.items()}
            super().update(current, means, finalize=bool(finalize), steps=max(current, 1))

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)


def to_list(x, allow_tuple=False):
    """``x`` as a list: a list as it is, a tuple as a list when ``allow_tuple``, else
    ``[x]``."""
    if isinstance(x, list):
        return x
    if allow_tuple and isinstance(x, tuple):
        return list(x)
    return [x]


def has_arg(fn, name, accept_all=False):
    """Whether ``fn`` takes an argument ``name`` (or any keyword, with ``accept_all``
    and a ``**kwargs`` parameter)."""
    parameters = inspect.signature(fn).parameters
    if accept_all and any(p.kind is inspect.Parameter.VAR_KEYWORD
                          for p in parameters.values()):
        return True
    parameter = parameters.get(name)
    return parameter is not None and parameter.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


__all__ = ["CustomObjectScope", "custom_object_scope", "get_custom_objects",
           "serialize_keras_object", "deserialize_keras_object", "Progbar", "to_list",
           "has_arg"]
