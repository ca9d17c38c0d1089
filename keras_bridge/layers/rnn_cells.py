"""Recurrent cells: the math of one step shared by a layer and its cell (``_CellMath``
and its SimpleRNN / LSTM / GRU kinds), and the cells ``SimpleRNNCell``, ``LSTMCell``,
``GRUCell`` for ``RNN(cell)``.

Weights are in Keras layout and gate order (see ``recurrent.py``); ``recurrent.py``
re-exports every name defined here.
"""

import numpy as np

from keras_bridge import activations, constraints, initializers, ops, regularizers
from keras_bridge.layers.base import Layer
from keras_bridge.layers.rnn_base import dropout_mask


def _serialize(module, obj):
    return None if obj is None else module.serialize(obj)


def _check_units(cls, units):
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
        raise ValueError(f"Received an invalid value for argument `units` of {cls}, "
                         f"expected a positive integer. Received: units={units!r}")
    return int(units)


def _check_rate(cls, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not 0.0 <= value <= 1.0:
        raise ValueError(f"Expected a float between 0 and 1 for `{name}` of {cls}. "
                         f"Received: {name}={value!r}")
    return float(value)


def forget_bias_initializer(init, units):
    """An LSTM bias initializer (gates i, f, c, o): ``init`` with the forget gate's
    ``units`` entries set to 1, as Keras's ``unit_forget_bias``."""

    def forget_ones(shape, dtype=None):
        return np.concatenate([np.asarray(init((units,), dtype=dtype)),
                               np.ones((units,), dtype=dtype),
                               np.asarray(init((2 * units,), dtype=dtype))])
    return forget_ones


# ---- cell math: shared by a layer and its cell ---------------------------------------------
class _CellMath:
    """Arguments, weights and config of one recurrent cell kind.

    ``_gates`` is the number of ``units``-wide blocks of the kernels (SimpleRNN 1, GRU 3,
    LSTM 4).
    """

    _gates = 1

    def _init_cell(self, units, activation, use_bias, kernel_initializer,
                   recurrent_initializer, bias_initializer, kernel_regularizer,
                   recurrent_regularizer, bias_regularizer, kernel_constraint,
                   recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed,
                   recurrent_activation=None):
        cls = type(self).__name__
        self.units = _check_units(cls, units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation) \
            if recurrent_activation is not None or self._gates > 1 else None
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _check_rate(cls, "dropout", dropout)
        self.recurrent_dropout = _check_rate(cls, "recurrent_dropout", recurrent_dropout)
        self.seed = seed

    @property
    def state_size(self):
        return [self.units]

    @property
    def output_size(self):
        return self.units

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def _build_weights(self, input_dim):
        width = self._gates * self.units
        self.kernel = self.add_weight(shape=(input_dim, width), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(self.units, width),
                                                name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = self.add_weight(shape=self._bias_shape(), name="bias",
                                    initializer=self._bias_initializer(),
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def _input_bias(self):
        return self.bias.value if self.use_bias else None

    def _project(self, x, input_mask):
        """``x @ kernel + input bias`` (``x``: one step or every step), after the input
        dropout mask."""
        if input_mask is not None:
            x = ops.multiply(x, input_mask)
        z = ops.matmul(x, self.kernel.value)
        bias = self._input_bias()
        return ops.add(z, bias) if bias is not None else z

    def _cell_config(self):
        cfg = {"units": self.units, "activation": activations.serialize(self.activation),
               "use_bias": self.use_bias,
               "kernel_initializer": _serialize(initializers, self.kernel_initializer),
               "recurrent_initializer": _serialize(initializers, self.recurrent_initializer),
               "bias_initializer": _serialize(initializers, self.bias_initializer),
               "kernel_regularizer": _serialize(regularizers, self.kernel_regularizer),
               "recurrent_regularizer": _serialize(regularizers, self.recurrent_regularizer),
               "bias_regularizer": _serialize(regularizers, self.bias_regularizer),
               "kernel_constraint": _serialize(constraints, self.kernel_constraint),
               "recurrent_constraint": _serialize(constraints, self.recurrent_constraint),
               "bias_constraint": _serialize(constraints, self.bias_constraint),
               "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
               "seed": self.seed}
        if self.recurrent_activation is not None:
            cfg["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        return cfg


class _SimpleRNNMath(_CellMath):
    _gates = 1

    def _recur(self, z, states, recurrent_mask):
        h = states[0]
        if recurrent_mask is not None:
            h = ops.multiply(h, recurrent_mask)
        out = self.activation(ops.add(z, ops.matmul(h, self.recurrent_kernel.value)))
        return out, [out]


class _LSTMMath(_CellMath):
    _gates = 4

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        return forget_bias_initializer(self.bias_initializer, self.units)

    @property
    def state_size(self):
        return [self.units, self.units]

    def _recur(self, z, states, recurrent_mask):
        h, c = states
        if recurrent_mask is not None:
            h = ops.multiply(h, recurrent_mask)
        z = ops.add(z, ops.matmul(h, self.recurrent_kernel.value))
        act, gate = self.activation, self.recurrent_activation
        # One split, not four slices: the gradient of a split is one concatenation, of
        # each slice a zero-padded copy of z summed in (XLA: 15 us a step of this LSTM).
        zi, zf, zc, zo = ops.split(z, 4, axis=-1)
        i, f, o = gate(zi), gate(zf), gate(zo)
        c = ops.add(ops.multiply(f, c), ops.multiply(i, act(zc)))
        h = ops.multiply(o, act(c))
        return h, [h, c]


class _GRUMath(_CellMath):
    _gates = 3

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        if not self.use_bias:
            return None
        return self.bias.value[0] if self.reset_after else self.bias.value

    def _recurrent_bias(self):  # with reset_after: added to the recurrent projection
        return self.bias.value[1]

    def _recur(self, z, states, recurrent_mask):
        h_prev = states[0]
        h = h_prev if recurrent_mask is None else ops.multiply(h_prev, recurrent_mask)
        u = self.units
        kernel = self.recurrent_kernel.value
        act, gate = self.activation, self.recurrent_activation
        if self.reset_after:
            inner = ops.matmul(h, kernel)
            if self.use_bias:
                inner = ops.add(inner, self._recurrent_bias())
        else:
            inner = ops.matmul(h, kernel[:, :2 * u])
        zz, zr, zh = ops.split(z, 3, axis=-1)  # one split: see _LSTMMath
        inner = ops.split(inner, 3 if self.reset_after else 2, axis=-1)
        zt = gate(ops.add(zz, inner[0]))
        r = gate(ops.add(zr, inner[1]))
        if self.reset_after:
            recurrent_h = ops.multiply(r, inner[2])
        else:
            recurrent_h = ops.matmul(ops.multiply(r, h), kernel[:, 2 * u:])
        hh = act(ops.add(zh, recurrent_h))
        out = ops.add(ops.multiply(zt, h_prev), ops.multiply(ops.subtract(1.0, zt), hh))
        return out, [out]


# ---- cells -------------------------------------------------------------------------------
class _Cell(Layer):
    """One step of a recurrent layer: ``call(inputs, states, training=None)`` returns
    ``(output, new_states)`` for ``inputs`` of shape ``(batch, features)``.

    Wrapped in ``RNN`` the dropout masks are drawn once per sequence (as Keras's
    ``DropoutRNNCell``); a cell called on its own draws them per call.
    """

    def __init__(self, units, activation, use_bias, kernel_initializer,
                 recurrent_initializer, bias_initializer, kernel_regularizer,
                 recurrent_regularizer, bias_regularizer, kernel_constraint,
                 recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed,
                 recurrent_activation=None, **kwargs):
        super().__init__(**kwargs)
        self._init_cell(units, activation, use_bias, kernel_initializer,
                        recurrent_initializer, bias_initializer, kernel_regularizer,
                        recurrent_regularizer, bias_regularizer, kernel_constraint,
                        recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                        seed, recurrent_activation)
        self.sequence_masks = None  # (input mask, recurrent mask), set by RNN per call

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"The last dimension of the input to cell {self.name!r} must "
                             f"be known. Received: input_shape={tuple(input_shape)}")
        self._build_weights(input_shape[-1])
        self.built = True

    def dropout_masks(self, inputs, state, training):
        return (dropout_mask(inputs, self.dropout, training),
                dropout_mask(state, self.recurrent_dropout, training))

    def call(self, inputs, states, training=None):
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        masks = self.sequence_masks or self.dropout_masks(inputs, states[0], training)
        return self._recur(self._project(inputs, masks[0]), states, masks[1])

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, size), dtype=self.compute_dtype) for size in self.state_size]

    def get_config(self):
        return {**super().get_config(), **self._cell_config()}


class SimpleRNNCell(_SimpleRNNMath, _Cell):
    """The step of ``SimpleRNN``; same arguments (no sequence arguments)."""

    def __init__(self, units=None, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer,
                         recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                         seed, **kwargs)


class LSTMCell(_LSTMMath, _Cell):
    """The step of ``LSTM``; states ``[h, c]``."""

    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(units, activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer,
                         recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                         seed, recurrent_activation, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRUCell(_GRUMath, _Cell):
    """The step of ``GRU`` (``reset_after`` as there)."""

    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, reset_after=True, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(units, activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer,
                         recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                         seed, recurrent_activation, **kwargs)
        self.reset_after = bool(reset_after)

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}
