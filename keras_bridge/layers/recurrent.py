"""Recurrent layers: SimpleRNN, LSTM, GRU, their cells, and the generic ``RNN(cell)``.

The math is Keras 3's (keras/src/layers/rnn/*.py). Weights are in Keras layout:
``kernel`` ``(input_dim, k * units)``, ``recurrent_kernel`` ``(units, k * units)``,
``bias`` ``(k * units,)`` (GRU with ``reset_after=True``: ``(2, 3 * units)``, input and
recurrent bias), gates in Keras's order: LSTM i, f, c, o; GRU z, r, h.

Masks follow Keras: at a masked step the states keep their previous value and the
output is the previous output (zeros with ``zero_output_for_mask``); the last output
is the output of the last real step. Dropout masks are drawn once per call and used at
every step (one for the inputs, one for the recurrent state).

One reference ``call`` serves every engine: the input projection of all steps is one
matmul, then ``ops.scan`` runs the recurrence: ``lax.scan`` on JAX (so JAX has no
recurrent rule), a Python loop on torch, whose rule uses torch's fused RNN kernels where
the math is the same (``keras_bridge/backends/torch/rnn_rules.py``).

The code is in three modules: the time loop and the shared base layer in
``rnn_base.py``, the cell math and the cells in ``rnn_cells.py``, and here the layers
(``SimpleRNN``, ``LSTM``, ``GRU``, ``RNN``). Every name of the other two is re-exported
here, so ``from keras_bridge.layers.recurrent import ...`` works as before.
"""

import functools
import warnings

import numpy as np

from keras_bridge import activations, constraints, initializers  # noqa: F401 (re-exported)
from keras_bridge import context, ops, regularizers  # noqa: F401
from keras_bridge.layers.base import InputSpec, Layer  # noqa: F401
from keras_bridge.serialization.core import deserialize_keras_object, serialize_keras_object
from keras_bridge.utils import lazy
# Re-exported: the backends' rnn_rules and tests import these from this module.
from keras_bridge.layers.rnn_base import _Recurrent, _first_mask  # noqa: F401
from keras_bridge.layers.rnn_base import _is_shape_list, dropout_mask  # noqa: F401
from keras_bridge.layers.rnn_base import masked_update, python_loop, scan_loop  # noqa: F401
from keras_bridge.layers.rnn_cells import _Cell, _CellMath, _GRUMath  # noqa: F401
from keras_bridge.layers.rnn_cells import _LSTMMath, _SimpleRNNMath  # noqa: F401
from keras_bridge.layers.rnn_cells import _check_rate, _check_units  # noqa: F401
from keras_bridge.layers.rnn_cells import _serialize  # noqa: F401
from keras_bridge.layers.rnn_cells import GRUCell, LSTMCell, SimpleRNNCell  # noqa: F401

# Keras 1 / Keras 2 argument names -> Keras 3 names.
_LEGACY_NAMES = {"output_dim": "units", "init": "kernel_initializer",
                 "inner_init": "recurrent_initializer",
                 "inner_activation": "recurrent_activation",
                 "W_regularizer": "kernel_regularizer", "U_regularizer": "recurrent_regularizer",
                 "b_regularizer": "bias_regularizer", "W_constraint": "kernel_constraint",
                 "U_constraint": "recurrent_constraint", "b_constraint": "bias_constraint",
                 "dropout_W": "dropout", "dropout_U": "recurrent_dropout"}


def _legacy_arguments(init):
    """Accept the Keras 1/2 spellings of a recurrent layer's arguments, with a warning."""

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        cls = type(self).__name__
        for old, new in _LEGACY_NAMES.items():
            if old in kwargs:
                if new in kwargs:
                    raise TypeError(f"{cls}() got both {new}= and its old name {old}=.")
                warnings.warn(f"{cls}({old}=...) is deprecated; use {new}=...",
                              DeprecationWarning, stacklevel=2)
                kwargs[new] = kwargs.pop(old)
        if "input_dim" in kwargs or "input_length" in kwargs:
            if "input_shape" in kwargs:
                raise TypeError(f"{cls}() got input_shape= and input_dim=/input_length=.")
            warnings.warn(f"{cls}(input_dim=..., input_length=...) is deprecated; use "
                          "input_shape=(timesteps, features).", DeprecationWarning,
                          stacklevel=2)
            kwargs["input_shape"] = (kwargs.pop("input_length", None),
                                     kwargs.pop("input_dim", None))
        kwargs.pop("implementation", None)  # Keras 2/3 accept it; the math is the same
        if "consume_less" in kwargs:
            warnings.warn(f"{cls}(consume_less=...) is a Keras 1 argument with no effect; "
                          "remove it.", DeprecationWarning, stacklevel=2)
            kwargs.pop("consume_less")
        return init(self, *args, **kwargs)

    return wrapper


# ---- the layers that own their cell's weights --------------------------------------------
class _FusedCellLayer(_Recurrent):
    """A recurrent layer that owns its cell's weights (SimpleRNN, LSTM, GRU): the input
    projection of every step is one matmul before the loop, or, on an engine whose
    compiled scan does better with it there (``scan_step_projection``: JAX), inside the
    loop, step by step (as Keras 3's LSTM computes it)."""

    def _build_cell(self, shape):
        self._build_weights(shape[-1])

    def _make_step(self, sequences, states, training):
        input_mask = dropout_mask(sequences[:, :1, :], self.dropout, training)
        recurrent_mask = dropout_mask(states[0], self.recurrent_dropout, training)
        if "scan_step_projection" in context.active_backend().CAPABILITIES and \
                not self.unroll:
            step_mask = None if input_mask is None else input_mask[:, 0, :]

            def step_projecting(x_t, states):
                return self._recur(self._project(x_t, step_mask), states, recurrent_mask)

            return sequences, step_projecting
        xs = self._project(sequences, input_mask)

        def step(z, states):
            return self._recur(z, states, recurrent_mask)

        return xs, step

    def get_config(self):
        return {**super().get_config(), **self._cell_config(),
                "activity_regularizer": _serialize(regularizers, self.activity_regularizer)}


class SimpleRNN(_SimpleRNNMath, _FusedCellLayer):
    """Fully connected RNN: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel
    + bias)``; the output is ``h``.

    Args:
        units: size of the output and state.
        activation: default 'tanh'.
        use_bias, kernel_initializer ('glorot_uniform'), recurrent_initializer
        ('orthogonal'), bias_initializer ('zeros'), kernel/recurrent/bias regularizers,
        activity_regularizer, kernel/recurrent/bias constraints: as in Keras.
        dropout, recurrent_dropout: fractions of the inputs / state dropped in training.
        seed: accepted for Keras compatibility (masks come from the engine's stream).
        return_sequences: return the output of every step, not only the last.
        return_state: also return the final state(s).
        go_backwards: process the sequence backwards (outputs in that order).
        stateful: each batch starts from the previous batch's final states; needs a
            fixed batch size. ``reset_states()`` zeroes them.
        unroll: JAX only: unroll the loop instead of ``lax.scan``.
        zero_output_for_mask: zeros (not the previous output) at masked steps.

    Example:
        model = Sequential([Input(shape=(28, 28)), SimpleRNN(50), Dense(10)])
    """

    _cell_name = "simple_rnn_cell"

    @_legacy_arguments
    def __init__(self, units=None, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self._init_cell(units, activation, use_bias, kernel_initializer,
                        recurrent_initializer, bias_initializer, kernel_regularizer,
                        recurrent_regularizer, bias_regularizer, kernel_constraint,
                        recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                        seed)
        self.activity_regularizer = regularizers.get(activity_regularizer)


class LSTM(_LSTMMath, _FusedCellLayer):
    """Long Short-Term Memory (Hochreiter 1997), Keras's formulation: gates i, f, c, o
    (in that order in the kernels), ``c_t = f * c_{t-1} + i * activation(c~)``,
    ``h_t = o * activation(c_t)``; states ``[h, c]``.

    Args:
        units, activation ('tanh'), recurrent_activation ('sigmoid'), use_bias,
        kernel_initializer, recurrent_initializer ('orthogonal'), bias_initializer,
        unit_forget_bias (True: the forget gate's bias starts at 1), regularizers,
        constraints, dropout, recurrent_dropout, seed, return_sequences, return_state,
        go_backwards, stateful, unroll, zero_output_for_mask: as ``SimpleRNN`` / Keras.

    Example:
        x = Input(shape=(None, 8))
        seq, h, c = LSTM(16, return_sequences=True, return_state=True)(x)
    """

    _cell_name = "lstm_cell"

    _state_names = ("state_h", "state_c")

    @_legacy_arguments
    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self._init_cell(units, activation, use_bias, kernel_initializer,
                        recurrent_initializer, bias_initializer, kernel_regularizer,
                        recurrent_regularizer, bias_regularizer, kernel_constraint,
                        recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                        seed, recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRU(_GRUMath, _FusedCellLayer):
    """Gated Recurrent Unit (Cho et al. 2014), Keras's formulation: gates z, r, h (in
    that order in the kernels), ``h_t = z * h_{t-1} + (1 - z) * h~``. With
    ``reset_after=True`` (the default, cuDNN's form) the reset gate multiplies the
    recurrent projection and the bias is ``(2, 3 * units)`` (input and recurrent).

    Args:
        units, activation, recurrent_activation, use_bias, initializers, regularizers,
        constraints, dropout, recurrent_dropout, seed, return_sequences, return_state,
        go_backwards, stateful, unroll, zero_output_for_mask: as ``LSTM``.
        reset_after: apply the reset gate after the recurrent matmul (default True).
    """

    _cell_name = "gru_cell"

    @_legacy_arguments
    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, reset_after=True, **kwargs):
        super().__init__(**kwargs)
        self._init_cell(units, activation, use_bias, kernel_initializer,
                        recurrent_initializer, bias_initializer, kernel_regularizer,
                        recurrent_regularizer, bias_regularizer, kernel_constraint,
                        recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                        seed, recurrent_activation)
        self.reset_after = bool(reset_after)
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}

# ---- the generic RNN ---------------------------------------------------------------------
def _draws_sequence_masks(cell):
    """Built-in cells (and stacks of them) take dropout masks drawn once per sequence."""
    from keras_bridge.layers.stacked_cells import StackedRNNCells
    return isinstance(cell, (_Cell, StackedRNNCells))


class RNN(_Recurrent):
    """A recurrent layer around any cell: a layer (or object) with
    ``call(inputs, states[, training])`` returning ``(output, new_states)`` and a
    ``state_size`` (int or list of ints); optional ``output_size``.

    Args:
        cell: the cell, e.g. ``LSTMCell(32)`` or your own layer.
        return_sequences, return_state, go_backwards, stateful, unroll,
        zero_output_for_mask: as ``SimpleRNN``.

    Example:
        class MinimalRNNCell(Layer):
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.units = self.state_size = units
            def build(self, input_shape):
                self.kernel = self.add_weight(shape=(input_shape[-1], self.units))
                self.recurrent_kernel = self.add_weight(shape=(self.units, self.units))
            def call(self, inputs, states):
                output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
                return output, [output]

        y = RNN(MinimalRNNCell(32))(Input(shape=(None, 5)))
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):  # as Keras: the list runs as one cell
            from keras_bridge.layers.stacked_cells import StackedRNNCells
            cell = StackedRNNCells(cell)
        if not callable(getattr(cell, "call", None)):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: "
                             f"cell={cell!r}")
        size = getattr(cell, "state_size", None)
        if not (isinstance(size, (int, np.integer)) or (
                isinstance(size, (list, tuple)) and size
                and all(isinstance(s, (int, np.integer)) for s in size))):
            raise ValueError(f"The RNN cell should have a `state_size` attribute (an int, or "
                             f"a list of ints, one per state). Received: cell={cell!r}")
        super().__init__(return_sequences, return_state, go_backwards, stateful, unroll,
                         zero_output_for_mask, **kwargs)
        self.cell = cell
        self._state_names = tuple(f"state_{i}" for i in range(len(self.state_size)))

    @property
    def state_size(self):
        size = self.cell.state_size
        return [int(s) for s in size] if isinstance(size, (list, tuple)) else [int(size)]

    @property
    def output_size(self):
        return int(getattr(self.cell, "output_size", None) or self.state_size[0])

    def _build_cell(self, shape):
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._maybe_build((shape[0],) + tuple(shape[2:]))

    def _make_step(self, sequences, states, training):
        cell = self.cell
        kwargs = {"training": training} if getattr(cell, "_call_has_training", False) else {}
        if _draws_sequence_masks(cell):  # one dropout mask per sequence, as Keras
            cell.sequence_masks = cell.dropout_masks(sequences[:, 0], states[0], training)

        def step(x_t, states):
            output, new_states = cell.call(x_t, list(states), **kwargs)
            new_states = list(new_states) if isinstance(new_states, (list, tuple)) \
                else [new_states]
            return output, new_states

        return sequences, step

    def run(self, inputs, mask, training, initial_state, loop):
        try:
            return super().run(inputs, mask, training, initial_state, loop)
        finally:
            if _draws_sequence_masks(self.cell):
                self.cell.sequence_masks = None

    def get_config(self):
        return {**super().get_config(), "cell": serialize_keras_object(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("cell"), dict):
            config["cell"] = deserialize_keras_object(config["cell"], custom_objects)
        return super().from_config(config)


# Keras 2's keras.layers.recurrent also held StackedRNNCells, taken from
# keras_bridge.layers on first access (keras_bridge/utils/lazy.py).
__getattr__, __dir__ = lazy.reexports(__name__, {"StackedRNNCells": "keras_bridge.layers"})
