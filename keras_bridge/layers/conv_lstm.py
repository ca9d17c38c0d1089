"""Convolutional LSTMs: ConvLSTM1D, ConvLSTM2D, ConvLSTM3D (one mechanism, of rank 1-3).

An LSTM whose input and recurrent transformations are convolutions (Shi et al. 2015),
Keras's formulation: gates i, f, c, o (in that order along the kernels' last axis),
``c_t = f * c_{t-1} + i * activation(x_c + h_c)``, ``h_t = o * activation(c_t)``. The
input convolution has the layer's strides, padding and dilation; the recurrent one is
'same'-padded with stride 1 and no dilation, so the states keep the input convolution's
output size. Weights in Keras layout: ``kernel`` ``(*kernel_size, in, 4 * filters)``,
``recurrent_kernel`` ``(*kernel_size, filters, 4 * filters)``, ``bias``
``(4 * filters,)``.

The layer is a ``_Recurrent`` (``rnn_base.py``): the time loop, masks, initial and
stateful states, return_sequences / return_state / go_backwards are the other RNNs'.
As ``LSTM`` projects every step with one matmul before the loop, the input convolution
of every step is one convolution over ``batch * timesteps`` images; each step then runs
the recurrent convolution. The convolutions are ``ops.conv`` (the engine's own kernel)
on channels-last values. JAX runs the loop under ``lax.scan`` (its recurrent rule);
torch runs this reference call.
"""

from keras_bridge import activations, constraints, initializers, ops, regularizers
from keras_bridge.layers.convolutional import from_channels_last
from keras_bridge.layers.convolutional import legacy_arguments, normalize_data_format
from keras_bridge.layers.convolutional import normalize_padding, normalize_tuple
from keras_bridge.layers.convolutional import output_length, to_channels_last
from keras_bridge.layers.rnn_base import _Recurrent, dropout_mask
from keras_bridge.layers.rnn_cells import _check_rate, _serialize, forget_bias_initializer

# Keras 1 recurrent spellings ConvLSTM2D accepted (the conv ones are convolutional.py's).
_RECURRENT_LEGACY = {"inner_init": "recurrent_initializer",
                     "inner_activation": "recurrent_activation",
                     "U_regularizer": "recurrent_regularizer",
                     "U_constraint": "recurrent_constraint",
                     "dropout_W": "dropout", "dropout_U": "recurrent_dropout"}


def _legacy(cls, kwargs, args):
    import warnings
    args = legacy_arguments(cls, kwargs, args)
    for old, new in _RECURRENT_LEGACY.items():
        if old in kwargs:
            warnings.warn(f"{cls}({old}=...) is deprecated; use {cls}({new}=...).",
                          DeprecationWarning, stacklevel=3)
            args[new] = kwargs.pop(old)
    return args


class _ConvLSTM(_Recurrent):
    """N-D convolutional LSTM over sequences of ``rank``-D images
    ``(batch, timesteps, *spatial, channels)`` ('channels_last') or
    ``(batch, timesteps, channels, *spatial)`` ('channels_first').

    Args:
        filters: output channels (of ``h`` and ``c``).
        kernel_size, strides, dilation_rate: int or tuple of ``rank`` ints, of the input
            convolution; strides > 1 exclude dilation_rate > 1.
        padding: 'valid' or 'same' (of the input convolution).
        data_format: 'channels_last' or 'channels_first'; default
            ``config.image_data_format()``.
        activation: default 'tanh'.
        recurrent_activation: default 'sigmoid' (Keras 3; Keras 2.2.4's ConvLSTM2D used
            'hard_sigmoid' — pass it to get Keras 2's math).
        use_bias, kernel_initializer ('glorot_uniform'), recurrent_initializer
        ('orthogonal'), bias_initializer ('zeros'), unit_forget_bias (True: the forget
        gate's bias starts at 1), kernel/recurrent/bias/activity regularizers,
        kernel/recurrent/bias constraints: as in Keras.
        dropout, recurrent_dropout: fractions of the inputs / state dropped in training
            (one mask per sequence, shared by the four gates).
        seed: accepted for Keras compatibility (masks come from the engine's stream).
        return_sequences, return_state, go_backwards, stateful, unroll,
        zero_output_for_mask: as ``LSTM``.

    The spatial size of the input must be known when the layer is built.
    """

    _cell_name = "conv_lstm_cell"

    rank = None
    _state_names = ("state_h", "state_c")

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation="tanh",
                 recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, **kwargs):
        cls = type(self).__name__
        args = _legacy(cls, kwargs, locals())
        super().__init__(return_sequences=args["return_sequences"],
                         return_state=args["return_state"],
                         go_backwards=args["go_backwards"], stateful=args["stateful"],
                         **kwargs)
        rank = self.rank
        if args["filters"] is None or args["kernel_size"] is None:
            raise ValueError(f"{cls} needs `filters` (a positive integer) and `kernel_size` "
                             f"(an int or a tuple of {rank} ints). Received: "
                             f"filters={args['filters']!r}, "
                             f"kernel_size={args['kernel_size']!r}")
        self.filters = normalize_tuple(args["filters"], 1, "filters", cls)[0]
        self.kernel_size = normalize_tuple(args["kernel_size"], rank, "kernel_size", cls)
        self.strides = normalize_tuple(args["strides"], rank, "strides", cls)
        self.dilation_rate = normalize_tuple(args["dilation_rate"], rank, "dilation_rate", cls)
        self.padding = normalize_padding(args["padding"], cls)
        self.data_format = normalize_data_format(args["data_format"], cls)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{cls} does not support strides > 1 together with "
                             f"dilation_rate > 1. Received: strides={self.strides}, "
                             f"dilation_rate={self.dilation_rate}")
        self.activation = activations.get(args["activation"])
        self.recurrent_activation = activations.get(args["recurrent_activation"])
        self.use_bias = bool(args["use_bias"])
        self.unit_forget_bias = bool(args["unit_forget_bias"])
        for kind in ("kernel", "recurrent", "bias"):
            setattr(self, f"{kind}_initializer",
                    initializers.get(args[f"{kind}_initializer"]))
            setattr(self, f"{kind}_regularizer",
                    regularizers.get(args[f"{kind}_regularizer"]))
            setattr(self, f"{kind}_constraint", constraints.get(args[f"{kind}_constraint"]))
        self.activity_regularizer = regularizers.get(args["activity_regularizer"])
        self.dropout = _check_rate(cls, "dropout", args["dropout"])
        self.recurrent_dropout = _check_rate(cls, "recurrent_dropout",
                                             args["recurrent_dropout"])
        self.seed = seed

    # ---- shapes (of the sequences: batch, timesteps, then one image) --------------------
    _input_ndim = property(lambda self: self.rank + 3)

    @property
    def _feature_axis(self):
        return -1 if self.data_format == "channels_last" else 2

    @property
    def state_size(self):
        return [self.filters, self.filters]

    @property
    def output_size(self):
        return self.filters

    def _spatial(self, shape):
        return tuple(shape[2:-1] if self.data_format == "channels_last" else shape[3:])

    def _out_spatial(self, shape):
        return tuple(output_length(n, k, s, d, self.padding) for n, k, s, d in zip(
            self._spatial(shape), self.kernel_size, self.strides, self.dilation_rate))

    def _image(self, spatial):
        """Per-sample shape of an image of ``filters`` channels."""
        if self.data_format == "channels_last":
            return tuple(spatial) + (self.filters,)
        return (self.filters,) + tuple(spatial)

    def _state_dims(self, shape):
        dims = self._image(self._out_spatial(shape))
        return [dims, dims]

    def _output_dims(self, shape):
        return self._image(self._out_spatial(shape))

    def _build_cell(self, shape):
        spatial = self._spatial(shape)
        if None in spatial:
            raise ValueError(f"{type(self).__name__} layer {self.name!r} needs a known "
                             f"spatial size. Received: input_shape={tuple(shape)}")
        out = self._out_spatial(shape)
        if any(o <= 0 for o in out):
            raise ValueError(
                f"Input of shape {tuple(shape)} is too small for layer {self.name!r} "
                f"({type(self).__name__}): spatial size {spatial} with kernel_size "
                f"{self.kernel_size}, strides {self.strides}, dilation_rate "
                f"{self.dilation_rate} and padding {self.padding!r} gives {out}.")
        channels, width = shape[self._feature_axis], 4 * self.filters
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels, width), name="kernel",
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, width), name="recurrent_kernel",
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        init = forget_bias_initializer(self.bias_initializer, self.filters) \
            if self.unit_forget_bias else self.bias_initializer
        self.bias = self.add_weight(
            shape=(width,), name="bias", initializer=init,
            regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None

    def _zero_states(self, sequences):
        shape = (int(sequences.shape[0]),) + self._image(self._out_spatial(sequences.shape))
        return [ops.zeros(shape, dtype=self.compute_dtype) for _ in range(2)]

    # ---- the computation --------------------------------------------------------------
    def _make_step(self, sequences, states, training):
        shape = tuple(sequences.shape)
        steps = int(shape[1])
        input_mask = dropout_mask(sequences[:, :1], self.dropout, training)
        if input_mask is not None:
            sequences = ops.multiply(sequences, input_mask)
        # The input convolution of every step at once, channels-last.
        images = to_channels_last(ops.reshape(sequences, (-1,) + shape[2:]), self.data_format)
        z = ops.conv(images, self.kernel.value, self.strides, self.padding, "channels_last",
                     self.dilation_rate)
        if self.use_bias:
            z = ops.add(z, self.bias.value)
        out_spatial = tuple(z.shape[1:-1])
        xs = ops.reshape(z, (-1, steps) + out_spatial + (4 * self.filters,))
        recurrent_mask = dropout_mask(states[0], self.recurrent_dropout, training)
        fmt = self.data_format
        act, gate = self.activation, self.recurrent_activation

        def step(z_t, states):
            h, c = states
            if recurrent_mask is not None:
                h = ops.multiply(h, recurrent_mask)
            h = to_channels_last(h, fmt)
            z_t = ops.add(z_t, ops.conv(h, self.recurrent_kernel.value, 1, "same",
                                        "channels_last"))
            zi, zf, zc, zo = ops.split(z_t, 4, axis=-1)  # one split: see rnn_cells
            i, g, o = gate(zi), gate(zf), gate(zo)
            c = ops.add(ops.multiply(g, to_channels_last(c, fmt)), ops.multiply(i, act(zc)))
            h = ops.multiply(o, act(c))
            h, c = from_channels_last(h, fmt), from_channels_last(c, fmt)
            return h, [h, c]

        return xs, step

    def get_config(self):
        cfg = {"filters": self.filters, "kernel_size": self.kernel_size,
               "strides": self.strides, "padding": self.padding,
               "data_format": self.data_format, "dilation_rate": self.dilation_rate,
               "activation": activations.serialize(self.activation),
               "recurrent_activation": activations.serialize(self.recurrent_activation),
               "use_bias": self.use_bias, "unit_forget_bias": self.unit_forget_bias}
        for kind in ("kernel", "recurrent", "bias"):
            cfg[f"{kind}_initializer"] = _serialize(
                initializers, getattr(self, f"{kind}_initializer"))
            cfg[f"{kind}_regularizer"] = _serialize(
                regularizers, getattr(self, f"{kind}_regularizer"))
            cfg[f"{kind}_constraint"] = _serialize(
                constraints, getattr(self, f"{kind}_constraint"))
        cfg["activity_regularizer"] = _serialize(regularizers, self.activity_regularizer)
        cfg.update(dropout=self.dropout, recurrent_dropout=self.recurrent_dropout,
                   seed=self.seed)
        return {**super().get_config(), **cfg}


class ConvLSTM1D(_ConvLSTM):
    __doc__ = _ConvLSTM.__doc__ + """
    Example:
        y = ConvLSTM1D(8, 3, padding="same")(Input(shape=(5, 16, 2)))  # (None, 16, 8)
    """
    rank = 1


class ConvLSTM2D(_ConvLSTM):
    __doc__ = _ConvLSTM.__doc__ + """
    Example:
        x = Input(shape=(10, 32, 32, 1))  # 10 frames of 32x32 images
        y = ConvLSTM2D(16, (3, 3), padding="same", return_sequences=True)(x)
        # (None, 10, 32, 32, 16)
    """
    rank = 2


class ConvLSTM3D(_ConvLSTM):
    __doc__ = _ConvLSTM.__doc__
    rank = 3
