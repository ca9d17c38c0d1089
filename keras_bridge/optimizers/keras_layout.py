"""Keras 3's list of an optimizer's variables, over the engine optimizers' state keys.

Keras 3 numbers an optimizer's variables in creation order: ``iteration``, then
``learning_rate`` (absent with a schedule), then each ``add_optimizer_variables``
call's slots for every trained weight (several names in one call are interleaved per
weight: Adam's m0, v0, m1, v1, ...; separate calls are separate blocks: RMSprop's
velocities, then its momentums), then algorithm-wide variables (Nadam's
``u_product``). A ``LossScaleOptimizer`` lists its own ``iteration`` and
``learning_rate`` (Keras keeps them at 0), ``step_counter`` and ``dynamic_scale``,
then its inner optimizer's list. ``optimizer.variables``, ``stateless_apply`` and the
``.keras`` files' ``optimizer/vars`` all use this order; the engines key the same
entries 'iterations', 'learning_rate', '<i>/<slot>' (``EngineOptimizer.state_keys``).
"""

import numpy as np

# Keras 3.15's slot blocks per algorithm, each block one add_optimizer_variables call.
SLOT_BLOCKS = {
    "sgd": (("momentum",),),
    "adam": (("momentum", "velocity"), ("velocity_hat",)),
    "rmsprop": (("velocity",), ("momentum",), ("average_gradient",)),
    "adagrad": (("accumulator",),),
    "adadelta": (("accumulated_grad", "accumulated_delta_var"),),
    "adamax": (("momentum", "norm"),),
    "nadam": (("momentum", "velocity"),),
}
GLOBALS = {"nadam": ("u_product",)}


# A LossScaleOptimizer's own variables before its inner optimizer's: the state key (None:
# a constant Keras never changes, written as such and ignored on load) and Keras's name.
LOSS_SCALE_VARIABLES = (
    (None, "iteration", np.int32(0)), (None, "learning_rate", np.float32(0.0)),
    ("step_counter", "step_counter", None), ("dynamic_scale", "dynamic_scale", None))


def entries(optimizer, count):
    """``[(state key or None, optimizer name, Keras name or None, constant)]`` of each Keras
    variable in order; a None Keras name means the weight path + slot of ``<i>/<slot>``."""
    inner = getattr(optimizer, "inner_optimizer", None)
    if inner is None:
        return [(key, optimizer.name, None, None)
                for key in _layout(optimizer, _slot_names(optimizer), count)]
    own = [(key, optimizer.name, name, constant) for key, name, constant in LOSS_SCALE_VARIABLES]
    return own + entries(inner, count)


def _layout(optimizer, slots, count):
    """The keras_bridge state key of each Keras variable, in Keras's order."""
    keys = ["iterations"]
    if optimizer.learning_rate_schedule is None:
        keys.append("learning_rate")
    for block in SLOT_BLOCKS.get(optimizer.algorithm, ()):
        block = [s for s in block if s in slots]
        keys.extend(f"{i}/{slot}" for i in range(count) for slot in block)
    keys.extend(GLOBALS.get(optimizer.algorithm, ()))
    return keys


def _slot_names(optimizer):
    from keras_bridge.backends.contract import optimizer_state_names
    return set(optimizer_state_names(optimizer)[0])


def named_entries(optimizer, weights):
    """``[(state key or None, Keras path, constant)]`` of ``optimizer``'s variables in
    Keras's order for the trained ``weights`` (``adam/iteration``,
    ``adam/dense_kernel_momentum``, ...)."""
    out = []
    for key, owner, name, constant in entries(optimizer, len(weights)):
        if name is None and key is not None and "/" in key:
            i, slot = key.split("/", 1)
            name = f"{weights[int(i)].path.replace('/', '_')}_{slot}"
        elif name is None:
            name = "iteration" if key == "iterations" else key
        out.append((key, f"{owner}/{name}", constant))
    return out
