"""The time loop and the base of every recurrent layer: sequences in, masks, initial and
stateful states, return_sequences / return_state / go_backwards (``_Recurrent``).

The reference call runs the recurrence with ``scan_loop`` (``ops.scan``: ``lax.scan``
on JAX, so JAX needs no rule); ``python_loop``, the same loop written out, is what the
torch rule (``keras_bridge/backends/torch/rnn_rules.py``) falls back to. The layers
themselves are in ``recurrent.py``, their cells in ``rnn_cells.py``; ``recurrent.py``
re-exports every name defined here.
"""

import numpy as np

from keras_bridge import ops
from keras_bridge.autocast import dtype_name
from keras_bridge.layers.base import InputSpec, Layer


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
    new_states = [ops.where(_per_sample(mask_t, s), n, s) for n, s in zip(new_states, states)]
    fill = ops.zeros_like(output) if zero_output else states[0]
    return ops.where(_per_sample(mask_t, output), output, fill), new_states


def _per_sample(mask_t, like):
    """``mask_t`` ``(batch,)`` with trailing axes of size 1 to broadcast against ``like``
    (a state of any rank: ``(batch, units)``, or a ConvLSTM's ``(batch, *spatial, filters)``)."""
    for _ in range(len(like.shape) - 1):
        mask_t = ops.expand_dims(mask_t, -1)
    return mask_t


def python_loop(step, inputs, states, mask, return_sequences, zero_output):
    """Run ``step(x_t, states) -> (output, new_states)`` over axis 1 of ``inputs``.

    Returns:
        ``(final_states, outputs)``: ``outputs`` is ``(batch, timesteps, ...)`` when
        ``return_sequences``, else None.
    """
    outputs = []
    # The steps split off once (``inputs[:, t]`` per step would cost the backward pass a
    # zero tensor of the whole sequence per step on torch).
    steps = ops.unstack(inputs, axis=1) if int(inputs.shape[1]) else []
    for t, x_t in enumerate(steps):
        output, new_states = step(x_t, states)
        if mask is not None:
            output, new_states = masked_update(output, new_states, states, mask[:, t],
                                               zero_output)
        states = list(new_states)
        if return_sequences:
            outputs.append(output)
    return states, (ops.stack(outputs, axis=1) if return_sequences else None)


def scan_loop(step, inputs, states, mask, return_sequences, zero_output, unroll=False):
    """``python_loop``'s contract as one ``ops.scan`` over time: on JAX ``lax.scan`` (one
    traced step, compiled once; ``unroll=True`` traces every step, as Keras unrolls), on
    torch a Python loop of the same steps."""
    perm = (1, 0) + tuple(range(2, len(inputs.shape)))
    xs = ops.transpose(inputs, perm)
    masks = None if mask is None else ops.transpose(mask, (1, 0))

    def body(carry, step_inputs):
        x_t, mask_t = step_inputs
        output, new_states = step(x_t, carry)
        if mask_t is not None:
            output, new_states = masked_update(output, new_states, carry, mask_t,
                                               zero_output)
        return list(new_states), (output if return_sequences else None)

    final, outputs = ops.scan(body, list(states), (xs, masks), unroll=unroll)
    if not return_sequences:
        return final, None
    return final, ops.transpose(outputs, (1, 0) + tuple(range(2, len(outputs.shape))))


# ---- the sequence layer ---------------------------------------------------------------------
class _Recurrent(Layer):
    """What every recurrent layer shares: sequences in, the time loop, masks, initial
    and stateful states, return_sequences / return_state / go_backwards.

    Subclasses give ``state_size`` (a list of ints), ``output_size``, ``_build_cell``
    and ``_make_step(sequences, states, training) -> (step_inputs, step)``. A layer whose
    steps are not vectors (ConvLSTM) also sets ``_input_ndim`` and overrides the per-step
    shapes ``_state_dims`` / ``_output_dims``, ``_feature_axis`` and ``_zero_states``.
    """

    _cell_name = None  # Keras 3's name of the cell layer whose weights this layer holds

    supports_masking = True
    _state_names = ("state_h",)
    _input_ndim = 3  # (batch, timesteps, features)
    _feature_axis = -1  # of the sequences: must be known to build

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
        self.input_spec = InputSpec(ndim=self._input_ndim)

    # ---- shapes -----------------------------------------------------------------------
    def _sequence_shape(self, input_shape):
        """The shape of the sequences, and of the initial states given as inputs."""
        if _is_shape_list(input_shape):
            return tuple(input_shape[0]), [tuple(s) for s in input_shape[1:]]
        return tuple(input_shape), []

    def _state_dims(self, shape):
        """Per state, its shape without the batch axis, for sequences of ``shape``."""
        return [(size,) for size in self.state_size]

    def _output_dims(self, shape):
        """The shape of one step's output without the batch axis."""
        return (self.output_size,)

    def _check_state_shapes(self, batch, state_shapes, shape):
        dims = self._state_dims(shape)
        if state_shapes and len(state_shapes) != len(dims):
            raise ValueError(f"Layer {self.name!r} has {len(dims)} state(s) but "
                             f"received {len(state_shapes)} initial state tensor(s).")
        for given, want in zip(state_shapes, dims):
            known = None not in (batch, given[0])
            if len(given) != len(want) + 1 or (known and given[0] != batch) or any(
                    g not in (None, w) for g, w in zip(given[1:], want)):
                text = ", ".join(str(w) for w in want)
                raise ValueError(
                    f"An initial state of layer {self.name!r} has shape {given}; expected "
                    f"(batch_size, {text}) = {(batch,) + tuple(want)}.")

    def build(self, input_shape):
        shape, state_shapes = self._sequence_shape(input_shape)
        self._check_state_shapes(shape[0], state_shapes, shape)
        if shape[self._feature_axis] is None:
            raise ValueError(f"The features (channels) dimension of the input to layer "
                             f"{self.name!r} must be known. Received: input_shape={shape}")
        self._weight_subscope = self._cell_name  # Keras 3's cell layer, in the paths
        try:
            self._build_cell(shape)
        finally:
            self._weight_subscope = None
        if self.stateful:
            if shape[0] is None:
                raise ValueError(
                    f"Layer {self.name!r} is stateful, so it needs a fixed batch size: "
                    f"received input shape {shape}. Pass batch_size= to Input (or "
                    "batch_input_shape= / batch_size= to the first layer of a Sequential "
                    "model).")
            self.states = [self.add_weight(shape=(shape[0],) + tuple(dims),
                                           initializer="zeros", trainable=False, name=name)
                           for dims, name in zip(self._state_dims(shape), self._state_names)]
            for state in self.states:  # carried between batches, not a weight (Keras 3)
                state._is_state = True
        self.input_spec = InputSpec(ndim=self._input_ndim,
                                    axes={self._feature_axis: shape[self._feature_axis]})
        self.built = True

    def compute_output_shape(self, input_shape):
        shape, state_shapes = self._sequence_shape(input_shape)
        self._check_state_shapes(shape[0], state_shapes, shape)
        batch = shape[0]
        step = tuple(self._output_dims(shape))
        output = (batch, shape[1]) + step if self.return_sequences else (batch,) + step
        if self.return_state:
            return [output] + [(batch,) + tuple(d) for d in self._state_dims(shape)]
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
        return self.run(inputs, mask, training, initial_state, self._scan_loop)

    def _scan_loop(self, *args):
        return scan_loop(*args, unroll=bool(self.unroll))

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
        if len(sequences.shape) != self._input_ndim:
            raise ValueError(f"Layer {self.name!r} expects inputs of rank "
                             f"{self._input_ndim} (batch, timesteps, ...). Received: "
                             f"shape={tuple(sequences.shape)}")
        dtype = self.compute_dtype  # a mixed layer computes in 16 bits, as Keras 3's
        if dtype_name(sequences) != dtype:
            sequences = ops.cast(sequences, dtype)
        batch = sequences.shape[0]  # symbolic in an export trace: no int()
        if given is not None:
            self._check_state_shapes(batch, [tuple(s.shape) for s in given],
                                     tuple(sequences.shape))
            states = [ops.cast(s, dtype) if dtype_name(s) != dtype else s
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
            states = self._zero_states(sequences)
        return sequences, states

    def _zero_states(self, sequences):
        zeros = ops.zeros_like(sequences[:, 0, :1], dtype=self.compute_dtype)
        return [ops.repeat(zeros, size, axis=1) for size in self.state_size]

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
