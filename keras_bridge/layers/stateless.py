"""``Layer.stateless_call``: a layer (or model) run on given variable values, with no
side effect (Keras 3's stateless API).

The values replace the stored ones for the call (a ``StatelessScope``): every variable
read sees them, and every assignment (BatchNormalization's moving statistics, a
SeedGenerator's counter) is collected and returned instead of stored. On JAX the call
is pure, so ``jax.jit`` and ``jax.grad`` trace it; on torch it runs eagerly on the given
tensors, so autograd flows back to them. Both engines run the layers' reference calls
(``keras_bridge.ops``), which read the substituted values.
"""

import numpy as np

from keras_bridge import backends, config, context, ops
from keras_bridge.utils import tree


def check_count(layer, what, given, expected):
    """Keras 3's error for a list of values that does not match ``layer``'s ``what``."""
    if len(given) != len(expected):
        raise ValueError(
            f"Argument `{what}` must be a list of tensors corresponding 1:1 to "
            f"{type(layer).__name__}().{what}. Received list with length {len(given)}, "
            f"but expected {len(expected)} variables.")


def _engine(layer, values):
    """The layer's engine: the one it is bound to, else the given values', else the
    configured one."""
    if layer._backend_name is not None:
        return layer._backend_name
    name = ops.engine_name_of(*values)
    return name if name and name != ops.SYMBOLIC else config.backend()


def stateless_call(layer, trainable_variables, non_trainable_variables, args, kwargs,
                   return_losses=False):
    """``(outputs, non_trainable_variables[, losses])`` of ``layer.call(*args,
    **kwargs)`` on the given values; the layer's stored variables are left as they
    were. ``losses``: what the call added (``add_loss``, sub-layers' activity
    regularizers) then the weight regularization of the given trainable values."""
    from keras_bridge.stateless_scope import StatelessScope
    if not layer.built:
        raise ValueError(f"To call stateless_call, {type(layer).__name__} must be built "
                         "(i.e. its variables must have been already created). You can "
                         "build it by calling it on some data.")
    trainable, others = layer.trainable_variables, layer.non_trainable_variables
    trainable_variables = list(trainable_variables)
    non_trainable_variables = list(non_trainable_variables)
    check_count(layer, "trainable_variables", trainable_variables, trainable)
    check_count(layer, "non_trainable_variables", non_trainable_variables, others)
    engine = _engine(layer, trainable_variables + non_trainable_variables)
    layer.bind(engine)
    convert = backends.get(engine).ops.convert_to_tensor
    args, kwargs = tree.map_structure(
        lambda a: convert(a) if isinstance(a, np.ndarray) else a, (args, kwargs))
    mapping = list(zip(trainable, trainable_variables)) + \
        list(zip(others, non_trainable_variables))
    with StatelessScope(mapping, collect_losses=return_losses) as scope, \
            context.running(engine):
        outputs = layer.call(*args, **kwargs)
        if return_losses:
            losses = list(scope.losses) + [w.regularizer(w.value) for w in trainable
                                           if w.regularizer is not None]
    new_values = [scope.get_current_value(v) for v in others]
    if return_losses:
        return outputs, new_values, losses
    return outputs, new_values
