"""Keras 2's CuDNNLSTM and CuDNNGRU, on any device and engine.

Keras 2.2.4 ran them on TensorFlow's cuDNN kernels only. Their math is the LSTM
(tanh / sigmoid) and the GRU with ``reset_after=True`` (tanh / sigmoid) with cuDNN's
two bias vectors, one added to the input projection and one to the recurrent one. The
weights keep Keras 2's layout, so their files load: ``kernel`` ``(in, k * units)``,
``recurrent_kernel`` ``(units, k * units)`` and one flat ``bias`` ``(2 * k * units,)``
(input biases, then recurrent biases), gates i, f, c, o (LSTM) and z, r, h (GRU). Like
Keras 2 they take no activations, dropout or masks (a mask is an error).

They are LSTM / GRU subclasses, so they run on every engine through the RNN machinery
(JAX: ``lax.scan``; torch: the reference loop).
"""

import numpy as np

from keras_bridge.layers.recurrent import GRU, LSTM


class _CuDNN:
    """What both share: no masking, Keras 2's config (no activation or dropout keys)."""

    supports_masking = False
    _dropped = ("activation", "recurrent_activation", "use_bias", "dropout",
                "recurrent_dropout", "seed", "unroll", "zero_output_for_mask", "reset_after")

    def run(self, inputs, mask, training, initial_state, loop):
        if not all(m is None for m in (mask if isinstance(mask, (list, tuple)) else [mask])):
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}) does not support "
                             "masking, as in Keras. Use LSTM / GRU, whose math is the same, "
                             "for masked sequences.")
        return super().run(inputs, None, training, initial_state, loop)

    def compute_mask(self, inputs, mask=None):
        return [None] * (1 + len(self.state_size)) if self.return_state else None

    def get_config(self):
        cfg = super().get_config()
        for key in self._dropped:
            cfg.pop(key, None)
        return cfg


class CuDNNLSTM(_CuDNN, LSTM):
    """Keras 2's cuDNN LSTM: an LSTM with an input and a recurrent bias.

    Args:
        units, kernel_initializer, recurrent_initializer, bias_initializer,
        unit_forget_bias (True: the recurrent forget bias starts at 1, as Keras 2),
        regularizers, constraints, return_sequences, return_state, go_backwards,
        stateful: as ``LSTM``.
    """

    def __init__(self, units=None, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, return_sequences=False,
                 return_state=False, stateful=False, **kwargs):
        super().__init__(units, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                         kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, return_sequences=return_sequences,
                         return_state=return_state, stateful=stateful, **kwargs)

    def _bias_shape(self):
        return (8 * self.units,)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, init = self.units, self.bias_initializer

        def forget_ones(shape, dtype=None):  # Keras 2: ones at the recurrent forget bias
            return np.concatenate([np.asarray(init((5 * units,), dtype=dtype)),
                                   np.ones((units,), dtype=dtype),
                                   np.asarray(init((2 * units,), dtype=dtype))])
        return forget_ones

    def _input_bias(self):
        # The recurrent projection is a plain matmul: both biases go in before the loop.
        u4 = 4 * self.units
        return self.bias.value[:u4] + self.bias.value[u4:]


class CuDNNGRU(_CuDNN, GRU):
    """Keras 2's cuDNN GRU: the GRU with ``reset_after=True`` and sigmoid gates, its
    ``(2, 3 * units)`` bias stored flat as ``(6 * units,)``.

    Args:
        units, kernel_initializer, recurrent_initializer, bias_initializer,
        regularizers, constraints, return_sequences, return_state, go_backwards,
        stateful: as ``GRU``.
    """

    def __init__(self, units=None, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, return_sequences=False, return_state=False,
                 stateful=False, **kwargs):
        super().__init__(units, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, return_sequences=return_sequences,
                         return_state=return_state, stateful=stateful, reset_after=True,
                         **kwargs)

    def _bias_shape(self):
        return (6 * self.units,)

    def _input_bias(self):
        return self.bias.value[:3 * self.units]

    def _recurrent_bias(self):
        return self.bias.value[3 * self.units:]
