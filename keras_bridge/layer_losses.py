"""Losses layers add while a training or test step runs: activity regularization
(``activity_regularizer=`` of Dense, Conv, RNN layers) and ``Layer.add_loss``.

The engines' train and test steps open ``collecting()`` around the forward pass; every
layer call made inside it (eager calls, graph nodes, a subclassed model's sub-layers)
adds its terms, and the step adds their sum to the total loss, as Keras 3 does: an
activity regularizer's term is divided by the batch size of the output it penalises (so
its strength does not change with the batch size; Keras 2.2 added it undivided). Under ``jax.jit`` the
terms are tracers of that trace. Outside a step a layer keeps the terms of its last
eager call, for ``layer.losses`` (Keras 3): the outermost call clears them first.
"""

import contextlib

from keras_bridge import ops
from keras_bridge.scopes import StepScope

_collected = StepScope("keras_bridge_layer_losses", default=None)
_in_eager_call = StepScope("keras_bridge_in_eager_call", default=False)


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


def add(value, layer=None):
    """Add ``value`` (summed to a scalar) to the running step's loss; outside a step,
    ``layer`` (if given) keeps it for ``layer.losses`` when the call is a user's eager
    call (not a predict program, whose values may be traced)."""
    losses = _collected.get()
    if losses is not None:
        losses.append(value if not ops.ndim(value) else ops.sum(value))
    elif layer is not None and _in_eager_call.get() and _keeps_values():
        layer._kept_losses.append(value)


def _keeps_values():
    """Not inside a pure program (JAX's jitted predict) or a stateless scope, whose
    values are traced or belong to the caller."""
    from keras_bridge import variables
    return variables._substitution.get() is None


@contextlib.contextmanager
def eager_call(layer):
    """Around an eager call of ``layer``: the outermost such call first clears the losses
    it and its sub-layers kept from their previous call, so ``layer.losses`` holds those
    of the last forward pass (Keras 3)."""
    if _in_eager_call.get():
        yield
        return
    for each in [layer] + layer._sublayers():
        each._kept_losses = []
    token = _in_eager_call.set(True)
    try:
        yield
    finally:
        _in_eager_call.reset(token)


def add_model_losses(values):
    """The values of a model's symbolic losses (``Model.add_loss``), each reduced by
    its mean as Keras does; ignored outside a step."""
    if _collected.get() is None:
        return
    for value in values:
        add(ops.mean(value) if ops.ndim(value) else value)


def add_activity_losses(layer, outputs):
    """``layer.activity_regularizer`` of each of ``outputs`` (a tensor or a flat list)."""
    if _collected.get() is None and not (_in_eager_call.get() and _keeps_values()):
        return
    for output in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
        if output is not None:
            add(per_sample(layer.activity_regularizer(output), output), layer)


def per_sample(term, output):
    """``term`` divided by ``output``'s batch size (0 for an empty batch), as Keras 3
    normalises activity regularization; a scalar output's term is kept."""
    shape = ops.shape(output)
    if not shape:
        return term
    if shape[0] == 0:
        return ops.multiply(term, 0.0)
    return ops.divide(term, float(shape[0]))


def total(values):
    """Sum of ``values`` (tensors, None entries skipped), or None when there are none."""
    result = None
    for v in values:
        if v is not None:
            result = v if result is None else ops.add(result, v)
    return result
