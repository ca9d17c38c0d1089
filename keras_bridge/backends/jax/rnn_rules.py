"""Recurrent layers on JAX: the reference step function under ``lax.scan``.

The layer's ``run`` (``keras_bridge/layers/rnn_base.py``) projects the inputs of every
step with one matmul and hands the recurrence to a loop; here that loop is
``lax.scan`` over time (one traced step, compiled once), or the reference Python loop
when ``unroll=True`` (every step traced, as Keras unrolls). Masks, dropout masks and
stateful states are the layer's own code: a stateful layer's ``assign`` of its final
states is recorded by the weight substitution and comes back as the state's new value.
"""

import jax.numpy as jnp
from jax import lax

from keras_bridge.layers.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNN
from keras_bridge.layers.recurrent import SimpleRNNCell, masked_update, python_loop
from keras_bridge.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from keras_bridge.layers.cudnn_layers import CuDNNGRU, CuDNNLSTM
from keras_bridge.layers.stacked_cells import StackedRNNCells


def scan_loop(step, inputs, states, mask, return_sequences, zero_output):
    """``python_loop``'s contract with ``lax.scan``: ``(final_states, outputs or None)``."""
    xs = jnp.swapaxes(inputs, 0, 1)
    masks = None if mask is None else jnp.swapaxes(mask, 0, 1)

    def body(carry, step_inputs):
        x_t, mask_t = step_inputs
        output, new_states = step(x_t, carry)
        if mask_t is not None:
            output, new_states = masked_update(output, new_states, carry, mask_t,
                                               zero_output)
        return list(new_states), (output if return_sequences else None)

    final, outputs = lax.scan(body, list(states), (xs, masks))
    return final, (jnp.swapaxes(outputs, 0, 1) if return_sequences else None)


def recurrent_rule(layer, inputs, mask=None, training=None, initial_state=None):
    loop = python_loop if layer.unroll else scan_loop
    return layer.run(inputs, mask, training, initial_state, loop)


RULES = {cls: recurrent_rule for cls in (SimpleRNN, LSTM, GRU, RNN, ConvLSTM1D, ConvLSTM2D,
                                         ConvLSTM3D, CuDNNLSTM, CuDNNGRU)}

# A cell is one step: its reference call traces as is.
OWN_CALL = frozenset({SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells})
