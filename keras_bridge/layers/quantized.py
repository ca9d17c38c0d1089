"""int8 quantization of Dense, EinsumDense and Embedding (Keras 3's ``quantize``).

``layer.quantize("int8")`` replaces the layer's float matrix by an int8 one and a float
scale (``abs_max_quantize`` on the host, per output channel; per row for Embedding),
non-trainable, named as Keras 3 names them (``kernel`` + ``kernel_scale``,
``embeddings`` + ``embeddings_scale``), and sets the policy ``"int8_from_<dtype>"``.
A layer made with that policy (``from_config`` of a quantized layer) builds those
weights directly, so a saved quantized model loads back. The quantized call is the
layer's reference ``call`` (engine rules for the float layer are skipped:
``backends/rules.py``): Dense and EinsumDense also quantize their inputs per sample
(absmax over the contracted axes), contract the int8 values exactly in int32, and
divide by both scales; the gradient reaches the inputs through the dequantized kernel,
as Keras 3's custom gradient defines it.
"""

from keras_bridge import ops
from keras_bridge.dtype_policies import QUANTIZATION_MODES
from keras_bridge.quantizers import SUPPORTED_MODES, check_quantization_config, \
    int8_config_entry


def check_quantize_args(layer, mode):
    """Keras 3's checks before quantizing ``layer`` to ``mode``, plus keras_bridge's
    supported modes."""
    if mode not in QUANTIZATION_MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
                         f"Received: mode={mode!r}")
    if not layer.built:
        raise ValueError(f"Cannot quantize a layer that isn't yet built. Layer "
                         f"'{layer.name}' (of type '{type(layer).__name__}') is not built "
                         "yet.")
    if layer.quantization_mode is not None:
        raise ValueError(f"Layer '{layer.name}' is already quantized with "
                         f"dtype_policy='{layer.dtype_policy.name}'. Received: mode={mode}")
    if mode not in SUPPORTED_MODES:
        raise NotImplementedError(
            f"Quantization mode {mode!r} is not supported by keras_bridge; the supported "
            f"mode is {SUPPORTED_MODES[0]!r} (quantize('int8')).")
    if layer.compute_dtype == "float16":
        raise ValueError(f"Quantization mode='{mode}' doesn't work well with "
                         "compute_dtype='float16'. Consider loading model/layer with "
                         "another dtype policy before calling `quantize()`.")


def resolve_mode(mode, config):
    """Keras 3 accepts the mode as ``config`` too (``quantize(config="int8")``)."""
    if isinstance(config, str):
        return config
    if config is not None:
        raise NotImplementedError("quantize(config=...) with a QuantizationConfig is not "
                                  "supported by keras_bridge; use quantize('int8').")
    return mode


def unbind(layer):
    """Take ``layer``'s weights back from its engine (as numpy) so that it can change
    them and bind again; returns ``(engine, device)`` it was bound to (or None's)."""
    for w in layer._own_weights:
        if w.slot is not None:
            value = w.numpy()
            w.slot = None
            w._numpy = value
    bound = (layer._backend_name, layer._device)
    layer._backend_name = layer._binding = None
    return bound


class Quantizable:
    """Mixed into the layers that quantize. A layer provides ``_float_weight_name``,
    ``_quantized_weights(float_array) -> [(name, array)]`` (the int8 matrix first) and
    ``_quantized_shapes() -> [(name, shape, dtype)]``, and computes in ``call`` with
    the weights ``_quantized_call`` reads."""

    _can_build_quantized = True
    # The order Keras 3 saves a quantized layer's variables in (save_own_variables).
    _keras3_quantized_order = ()

    def _init_quantization(self, quantization_config):
        self.quantization_config = check_quantization_config(
            quantization_config, f"{type(self).__name__} {self.name!r}")
        if self.quantization_config is None and self._quantization_mode is not None:
            self.quantization_config = int8_config_entry()

    def quantize(self, mode=None, type_check=True, config=None):
        """Quantize this built layer's weights (``mode="int8"``), in place."""
        if type_check and "_float_weight_name" not in vars(type(self)):  # a subclass
            raise NotImplementedError(f"Layer {type(self).__name__} does not have a "
                                      "`quantize` method implemented.")
        mode = resolve_mode(mode, config)
        check_quantize_args(self, mode)
        engine, device = unbind(self)
        old = getattr(self, self._float_weight_name)
        arrays = self._quantized_weights(old.numpy())
        self._own_weights.remove(old)
        for name, array in arrays:
            weight = self.add_weight(shape=array.shape, initializer="zeros",
                                     dtype=array.dtype.name, trainable=False, name=name)
            weight.assign(array)
            setattr(self, name, weight)
        self._quantization_mode = mode
        self.quantization_config = int8_config_entry()
        if engine is not None:
            self.bind(engine, device)

    def _build_quantized(self):
        """Make the quantized weights (zeros; loading fills them) in place of the float
        matrix, for a layer made with an int8 policy."""
        for name, shape, dtype in self._quantized_shapes():
            setattr(self, name, self.add_weight(shape=shape, initializer="zeros",
                                                dtype=dtype, trainable=False, name=name))

    def _keras_own_weights(self):
        """Once quantized, the order Keras 3 saves the layer in (Dense: kernel, bias,
        kernel_scale); before, the float layer's."""
        if self._quantization_mode is None:
            return super()._keras_own_weights()
        return [getattr(self, n) for n in self._keras3_quantized_order
                if getattr(self, n, None) is not None]

    def _quantized_config(self, config):
        if self.quantization_config is None:
            return config
        return {**config, "quantization_config": self.quantization_config}


# ---- the int8 math, shared by Dense and EinsumDense ------------------------------------
def _same(x):
    return x


def int8_contract(contract, grad_contract, inputs, kernel, kernel_scale, input_axes,
                  compute_dtype, input_scale_to_output=_same, scale_to_output=_same,
                  scale_to_kernel=_same):
    """``contract(q_inputs, q_kernel) / (inputs_scale * kernel_scale)``, the inputs
    quantized by absmax over ``input_axes``; the ``*_to_*`` functions lay the scales
    out against the output or the kernel. The int8 contraction runs exactly, in int32.
    The gradient goes to ``inputs`` only: ``grad_contract(upstream, kernel /
    kernel_scale)``, Keras 3's custom gradient (kernel and scale are constants)."""
    from keras_bridge.quantizers import abs_max_quantize

    @ops.custom_gradient
    def forward(x, q_kernel, scale):
        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            float_kernel = ops.divide(ops.cast(q_kernel, compute_dtype),
                                      scale_to_kernel(scale))
            return grad_contract(upstream, float_kernel), None, None

        q_x, x_scale = abs_max_quantize(x, input_axes)
        y = ops.cast(contract(ops.cast(q_x, "int32"), ops.cast(q_kernel, "int32")),
                     compute_dtype)
        return ops.divide(y, ops.multiply(input_scale_to_output(x_scale),
                                          scale_to_output(scale))), grad

    return forward(inputs, kernel, kernel_scale)
