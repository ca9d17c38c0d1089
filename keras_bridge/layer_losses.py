"""Losses layers add while a training or test step runs: activity regularization
(``activity_regularizer=`` of Dense, Conv, RNN layers) and ``Layer.add_loss``.

The engines' train and test steps open ``collecting()`` around the forward pass; every
layer call made inside it (eager calls, graph nodes, a subclassed model's sub-layers)
adds its terms, and the step adds their sum to the total loss, as Keras 3 does (each
regularizer term as computed, not divided by the batch size). Under ``jax.jit`` the
terms are tracers of that trace. Outside a step nothing is collected.
"""

import contextlib
import contextvars

from keras_bridge import ops

_collected = contextvars.ContextVar("keras_bridge_layer_losses", default=None)


@contextlib.contextmanager
def collecting():
    """Collect the losses added inside this scope; yields their list."""
    losses = []
    token = _collected.set(losses)
    try:
        yield losses
    finally:
        _collected.reset(token)


def active():
    return _collected.get() is not None


def pending():
    """The losses collected so far by the running step (empty outside one): what a
    custom step's ``compute_loss`` adds to its total."""
    return list(_collected.get() or ())


def add(value):
    """Add ``value`` (summed to a scalar) to the running step's loss; ignored outside
    a step."""
    losses = _collected.get()
    if losses is not None:
        losses.append(value if not ops.ndim(value) else ops.sum(value))


def add_model_losses(values):
    """The values of a model's symbolic losses (``Model.add_loss``), each reduced by
    its mean as Keras does; ignored outside a step."""
    if _collected.get() is None:
        return
    for value in values:
        add(ops.mean(value) if ops.ndim(value) else value)


def add_activity_losses(layer, outputs):
    """``layer.activity_regularizer`` of each of ``outputs`` (a tensor or a flat list)."""
    if _collected.get() is None:
        return
    for output in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
        if output is not None:
            add(layer.activity_regularizer(output))


def total(values):
    """Sum of ``values`` (tensors, None entries skipped), or None when there are none."""
    result = None
    for v in values:
        if v is not None:
            result = v if result is None else ops.add(result, v)
    return result
