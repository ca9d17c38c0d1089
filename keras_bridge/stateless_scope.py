"""``keras.StatelessScope``: run code with variables read from a mapping and their
assignments collected instead of stored (Keras 3's way to call stateful code purely).

It is the substitution a pure engine already uses for jitted steps
(``keras_bridge.variables.substitute``), opened by hand: inside, ``variable.value`` reads
the mapped value, and ``assign`` on any variable is recorded, read back with
``get_current_value``, and leaves the variable unchanged.
"""

import contextlib

from keras_bridge import layer_losses, ops
from keras_bridge.variables import Weight, substitute

__all__ = ["StatelessScope"]


class StatelessScope:
    """Context manager: ``state_mapping`` is a list of ``(variable, value)`` pairs.

    Example:
        v = keras.Variable(np.zeros(2))
        with keras.StatelessScope(state_mapping=[(v, np.ones(2))]) as scope:
            v.assign(v + 1)
            new = scope.get_current_value(v)  # [2., 2.]
        v.numpy()  # still [0., 0.]
    """

    def __init__(self, state_mapping=None, collect_losses=False, initialize_variables=True):
        values = {}
        for pair in state_mapping or ():
            if not isinstance(pair, (list, tuple)) or len(pair) != 2 or \
                    not isinstance(pair[0], Weight):
                raise ValueError("Expected state_mapping to be a list of (variable, value) "
                                 f"pairs. Received the entry: {pair!r}")
            variable, value = pair
            if tuple(ops.shape(value)) != variable.shape:
                raise ValueError(f"Expected a value of shape {variable.shape} for variable "
                                 f"{variable.path!r}. Received: shape "
                                 f"{tuple(ops.shape(value))}")
            values[id(variable)] = _on_engine_of(variable, value)
        self._values = values
        self.collect_losses = collect_losses
        self.initialize_variables = initialize_variables
        # Losses layers add inside (add_loss, activity regularizers): kept here with
        # collect_losses, else dropped, as Keras 3; never passed to an enclosing step.
        self.losses = []
        self._stack = None
        self._scope = None

    def __enter__(self):
        stack = contextlib.ExitStack()
        # Assignments to unmapped variables are recorded too (stateless=True).
        self._scope = stack.enter_context(substitute(self._values, stateless=True))
        collected = stack.enter_context(layer_losses.collecting())
        if self.collect_losses:
            self.losses = collected
        self._stack = stack
        return self

    def __exit__(self, *exc):
        return self._stack.__exit__(*exc)

    def get_current_value(self, variable):
        """The variable's value in this scope (its latest assignment), or None."""
        key = id(variable)
        if self._scope is not None and key in self._scope.updates:
            return self._scope.updates[key]
        return self._values.get(key)


def _on_engine_of(variable, value):
    """``value`` as a tensor of the variable's engine and dtype."""
    engine = ops.backend_for(variable)
    return engine.ops.convert_to_tensor(ops.convert_to_numpy(value) if hasattr(
        value, "_kb_is_weight") else value, dtype=variable.dtype)
