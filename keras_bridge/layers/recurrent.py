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
matmul, then a loop runs the recurrence. Here the loop is a Python loop of
``keras_bridge.ops``; the JAX rule runs the same step function under ``lax.scan``
(``backends/jax/rnn_rules.py``) and the torch rule uses torch's fused RNN kernels where
the math is the same (``backends/torch/rnn_rules.py``).
"""

import functools
import warnings

import numpy as np

from keras_bridge import activations, constraints, initializers, ops, regularizers
from keras_bridge.layers.base import InputSpec, Layer

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


def _dtype_name(x):
    return str(x.dtype).rsplit(".", 1)[-1]


def _first_mask(mask):
    """The sequence's mask: with initial states as extra inputs, masks come as a list."""
    if isinstance(mask, (list, tuple)):
        return mask[0] if mask else None
    return mask


def _is_shape_list(shape):
    return isinstance(shape, list) and bool(shape) and isinstance(shape[0], (list, tuple))


# ---- the time loop ------------------------------------------------------------------------
def dropout_mask(like, rate, training):
    """A dropout mask shaped like ``like`` (drawn once per call, used at every step), or
    None outside training."""
    if not training or rate == 0.0:
        return None
    if rate >= 1.0:
        return ops.zeros_like(like)
    return ops.dropout(ops.ones_like(like), rate)


def masked_update(output, new_states, states, mask_t, zero_output):
    """Keras's masked step: where ``mask_t`` is False the states keep their old value and
    the output is the previous output (``states[0]``), or zeros with ``zero_output``."""
    m = ops.expand_dims(mask_t, -1)
    new_states = [ops.where(m, n, s) for n, s in zip(new_states, states)]
    fill = ops.zeros_like(output) if zero_output else states[0]
    return ops.where(m, output, fill), new_states


def python_loop(step, inputs, states, mask, return_sequences, zero_output):
    """Run ``step(x_t, states) -> (output, new_states)`` over axis 1 of ``inputs``.

    Returns:
        ``(final_states, outputs)``: ``outputs`` is ``(batch, timesteps, ...)`` when
        ``return_sequences``, else None.
    """
    outputs = []
    for t in range(int(inputs.shape[1])):
        output, new_states = step(inputs[:, t], states)
        if mask is not None:
            output, new_states = masked_update(output, new_states, states, mask[:, t],
                                               zero_output)
        states = list(new_states)
        if return_sequences:
            outputs.append(output)
    return states, (ops.stack(outputs, axis=1) if return_sequences else None)


# ---- the sequence layer ---------------------------------------------------------------------
class _Recurrent(Layer):
    """What every recurrent layer shares: sequences in, the time loop, masks, initial
    and stateful states, return_sequences / return_state / go_backwards.

    Subclasses give ``state_size`` (a list of ints), ``output_size``, ``_build_cell``
    and ``_make_step(sequences, states, training) -> (step_inputs, step)``.
    """

    supports_masking = True
    _state_names = ("state_h",)

    _mask_source = False  # passes on (or drops) the mask it is given

    def __init__(self, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.states = None  # state weights of a stateful layer, once built
        self.input_spec = InputSpec(ndim=3)

    # ---- shapes -----------------------------------------------------------------------
    def _sequence_shape(self, input_shape):
        """The shape of the sequences, and of the initial states given as inputs."""
        if _is_shape_list(input_shape):
            return tuple(input_shape[0]), [tuple(s) for s in input_shape[1:]]
        return tuple(input_shape), []

    def _check_state_shapes(self, batch, state_shapes):
        if state_shapes and len(state_shapes) != len(self.state_size):
            raise ValueError(f"Layer {self.name!r} has {len(self.state_size)} state(s) but "
                             f"received {len(state_shapes)} initial state tensor(s).")
        for shape, size in zip(state_shapes, self.state_size):
            known = None not in (batch, shape[0])
            if len(shape) != 2 or shape[-1] not in (None, size) \
                    or (known and shape[0] != batch):
                raise ValueError(
                    f"An initial state of layer {self.name!r} has shape {shape}; expected "
                    f"(batch_size, {size}) = {(batch, size)}.")

    def build(self, input_shape):
        shape, state_shapes = self._sequence_shape(input_shape)
        self._check_state_shapes(shape[0], state_shapes)
        if shape[-1] is None:
            raise ValueError(f"The last dimension (features) of the input to layer "
                             f"{self.name!r} must be known. Received: input_shape={shape}")
        self._build_cell(shape)
        if self.stateful:
            if shape[0] is None:
                raise ValueError(
                    f"Layer {self.name!r} is stateful, so it needs a fixed batch size: "
                    f"received input shape {shape}. Pass batch_size= to Input (or "
                    "batch_input_shape= / batch_size= to the first layer of a Sequential "
                    "model).")
            self.states = [self.add_weight(shape=(shape[0], size), initializer="zeros",
                                           trainable=False, name=name)
                           for size, name in zip(self.state_size, self._state_names)]
        self.input_spec = InputSpec(ndim=3, axes={-1: shape[-1]})
        self.built = True

    def compute_output_shape(self, input_shape):
        shape, state_shapes = self._sequence_shape(input_shape)
        self._check_state_shapes(shape[0], state_shapes)
        batch = shape[0]
        if self.return_sequences:
            output = (batch, shape[1], self.output_size)
        else:
            output = (batch, self.output_size)
        if self.return_state:
            return [output] + [(batch, size) for size in self.state_size]
        return output

    def compute_mask(self, inputs, mask=None):
        mask = _first_mask(mask)
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    # ---- calling ------------------------------------------------------------------------
    def __call__(self, inputs, *args, initial_state=None, **kwargs):
        """``initial_state`` (a tensor or list of tensors) travels as extra inputs, as in
        Keras, so that a symbolic initial state is part of the graph."""
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
                else [initial_state]
            inputs = [inputs, *states]
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs, mask=None, training=None, initial_state=None):
        return self.run(inputs, mask, training, initial_state, python_loop)

    def run(self, inputs, mask, training, initial_state, loop):
        """The layer's computation with ``loop`` (``python_loop`` or an engine's scan)."""
        sequences, states = self.prepare(inputs, initial_state)
        xs, step = self._make_step(sequences, states, training)
        mask = _first_mask(mask)
        if mask is not None:
            mask = ops.cast(mask, "bool")
        if self.go_backwards:
            xs = ops.flip(xs, axis=1)
            mask = ops.flip(mask, axis=1) if mask is not None else None
        final, outputs = loop(step, xs, states, mask, self.return_sequences,
                              self.zero_output_for_mask)
        return self.finish(final, outputs)

    def prepare(self, inputs, initial_state):
        """``(sequences, initial states)`` from the call's arguments."""
        if isinstance(inputs, (list, tuple)):
            sequences, given = inputs[0], list(inputs[1:]) or None
        else:
            sequences = inputs
            given = None if initial_state is None else (
                list(initial_state) if isinstance(initial_state, (list, tuple))
                else [initial_state])
        if len(sequences.shape) != 3:
            raise ValueError(f"Layer {self.name!r} expects inputs of shape (batch, "
                             f"timesteps, features). Received: shape={tuple(sequences.shape)}")
        if _dtype_name(sequences) != self.dtype:
            sequences = ops.cast(sequences, self.dtype)
        batch = int(sequences.shape[0])
        if given is not None:
            self._check_state_shapes(batch, [tuple(s.shape) for s in given])
            states = [ops.cast(s, self.dtype) if _dtype_name(s) != self.dtype else s
                      for s in given]
        elif self.stateful:
            if self.states[0].shape[0] != batch:
                raise ValueError(
                    f"Layer {self.name!r} is stateful with batch size "
                    f"{self.states[0].shape[0]}, but received a batch of {batch} samples. "
                    "Feed batches of exactly that size (drop or pad the last one).")
            # A copy: the stored state is overwritten after this pass, and torch's
            # autograd may keep the tensor read here.
            states = [ops.add(w.value, 0.0) for w in self.states]
        else:
            zeros = ops.zeros_like(sequences[:, 0, :1], dtype=self.dtype)
            states = [ops.repeat(zeros, size, axis=1) for size in self.state_size]
        return sequences, states

    def finish(self, final_states, outputs):
        """Store a stateful layer's states and arrange the outputs as Keras does."""
        if self.stateful:
            for weight, value in zip(self.states, final_states):
                weight.assign(value)
        output = outputs if self.return_sequences else final_states[0]
        if self.return_state:
            return [output, *final_states]
        return output

    def reset_states(self, states=None):
        """Set a stateful layer's states to zeros, or to ``states`` (numpy arrays)."""
        if not self.stateful:
            raise AttributeError(f"Layer {self.name!r} is not stateful; only stateful "
                                 "recurrent layers have states to reset.")
        if self.states is None:
            return
        if states is None:
            values = [np.zeros(w.shape, dtype=w.dtype) for w in self.states]
        else:
            values = [np.asarray(v) for v in (states if isinstance(states, (list, tuple))
                                              else [states])]
            if len(values) != len(self.states) or any(
                    v.shape != w.shape for v, w in zip(values, self.states)):
                raise ValueError(
                    f"Layer {self.name!r} expects states of shapes "
                    f"{[w.shape for w in self.states]}; received "
                    f"{[v.shape for v in values]}. No state was changed.")
        for weight, value in zip(self.states, values):
            weight.assign(value)

    reset_state = reset_states  # Keras 3's name

    def get_config(self):
        return {**super().get_config(), "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask}


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
        units, init = self.units, self.bias_initializer

        def forget_ones(shape, dtype=None):  # i, f, c, o with f = 1, as Keras
            return np.concatenate([np.asarray(init((units,), dtype=dtype)),
                                   np.ones((units,), dtype=dtype),
                                   np.asarray(init((2 * units,), dtype=dtype))])
        return forget_ones

    @property
    def state_size(self):
        return [self.units, self.units]

    def _recur(self, z, states, recurrent_mask):
        h, c = states
        u = self.units
        if recurrent_mask is not None:
            h = ops.multiply(h, recurrent_mask)
        z = ops.add(z, ops.matmul(h, self.recurrent_kernel.value))
        act, gate = self.activation, self.recurrent_activation
        i, f, o = gate(z[:, :u]), gate(z[:, u:2 * u]), gate(z[:, 3 * u:])
        c = ops.add(ops.multiply(f, c), ops.multiply(i, act(z[:, 2 * u:3 * u])))
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

    def _recur(self, z, states, recurrent_mask):
        h_prev = states[0]
        h = h_prev if recurrent_mask is None else ops.multiply(h_prev, recurrent_mask)
        u = self.units
        kernel = self.recurrent_kernel.value
        act, gate = self.activation, self.recurrent_activation
        if self.reset_after:
            inner = ops.matmul(h, kernel)
            if self.use_bias:
                inner = ops.add(inner, self.bias.value[1])
        else:
            inner = ops.matmul(h, kernel[:, :2 * u])
        zt = gate(ops.add(z[:, :u], inner[:, :u]))
        r = gate(ops.add(z[:, u:2 * u], inner[:, u:2 * u]))
        if self.reset_after:
            recurrent_h = ops.multiply(r, inner[:, 2 * u:])
        else:
            recurrent_h = ops.matmul(ops.multiply(r, h), kernel[:, 2 * u:])
        hh = act(ops.add(z[:, 2 * u:], recurrent_h))
        out = ops.add(ops.multiply(zt, h_prev), ops.multiply(ops.subtract(1.0, zt), hh))
        return out, [out]


class _FusedCellLayer(_Recurrent):
    """A recurrent layer that owns its cell's weights (SimpleRNN, LSTM, GRU): the input
    projection of every step is one matmul before the loop."""

    def _build_cell(self, shape):
        self._build_weights(shape[-1])

    def _make_step(self, sequences, states, training):
        input_mask = dropout_mask(sequences[:, :1, :], self.dropout, training)
        recurrent_mask = dropout_mask(states[0], self.recurrent_dropout, training)
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


# ---- cells and the generic RNN ----------------------------------------------------------------
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
        return [ops.zeros((batch_size, size), dtype=self.dtype) for size in self.state_size]

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
        if isinstance(cell, (list, tuple)):
            raise ValueError("RNN with a list of cells (stacked cells) is not supported; "
                             "stack RNN layers instead (return_sequences=True on all but "
                             "the last).")
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
        if isinstance(cell, _Cell):  # one dropout mask per sequence, as Keras
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
            if isinstance(self.cell, _Cell):
                self.cell.sequence_masks = None

    def get_config(self):
        from keras_bridge.saving.serialization import serialize_keras_object
        return {**super().get_config(), "cell": serialize_keras_object(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from keras_bridge.saving.serialization import deserialize_keras_object
        config = dict(config)
        if isinstance(config.get("cell"), dict):
            config["cell"] = deserialize_keras_object(config["cell"], custom_objects)
        return super().from_config(config)
