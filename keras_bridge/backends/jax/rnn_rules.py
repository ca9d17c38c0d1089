"""Recurrent layers on JAX: their reference calls, traced as is.

The layer's ``run`` (``keras_bridge/layers/rnn_base.py``) projects the inputs of every
step with one matmul and hands the recurrence to ``ops.scan``, which on JAX is
``lax.scan`` over time (one traced step, compiled once; every step traced when
``unroll=True``, as Keras unrolls): the program a hand-written JAX RNN compiles to, so no
rule is needed. Masks, dropout masks and stateful states are the layer's own code: a
stateful layer's ``assign`` of its final states is recorded by the weight substitution
and comes back as the state's new value.
"""

from keras_bridge.layers.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNN
from keras_bridge.layers.recurrent import SimpleRNNCell
from keras_bridge.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from keras_bridge.layers.cudnn_layers import CuDNNGRU, CuDNNLSTM
from keras_bridge.layers.stacked_cells import StackedRNNCells

RULES = {}

# The layers, and the cells (one step each), run their reference calls.
OWN_CALL = frozenset({SimpleRNN, LSTM, GRU, RNN, ConvLSTM1D, ConvLSTM2D, ConvLSTM3D,
                      CuDNNLSTM, CuDNNGRU, SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells})
