"""EinsumDense: a dense layer whose contraction is an einsum equation (Keras 3's
``keras.layers.EinsumDense``), the projection MultiHeadAttention builds on.

The kernel's shape comes from the equation: each kernel letter takes its size from the
output (``output_shape``, the given sizes after the batch axis) or else from the input.
The bias spans the output from the first letter of ``bias_axes`` on, with size 1 on the
letters it skips (and on axes an ellipsis on the right stands for). As Keras 3, a
VarianceScaling kernel initializer (glorot_uniform, ...) counts its fans over the
kernel's input letters and its output letters, not as a convolution kernel.
"""

import math
import re

import numpy as np

from keras_bridge import activations, constraints, initializers, ops, regularizers
from keras_bridge.layers.base import InputSpec, Layer
from keras_bridge.layers.core import serialize_or_none
from keras_bridge.layers.quantized import Quantizable, int8_contract

_FORMS = (  # (pattern over the equation with '...' as '0', where the ellipsis is)
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$"), None),
    (re.compile(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$"), "left"),
    (re.compile(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$"), "right"),
)


class EinsumShapes:
    """What an equation implies for an input shape: ``kernel``, ``bias`` (or None),
    ``output`` shapes, and the kernel's ``input_axes`` / ``output_axes``."""

    def __init__(self, equation, bias_axes, input_shape, partial_output_shape):
        replaced = equation.replace("...", "0")
        for pattern, ellipsis in _FORMS:
            match = pattern.match(replaced)
            if match:
                break
        else:
            raise ValueError(f"Invalid einsum equation {equation!r}. Equations must be in "
                             "the form [X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")
        in_spec, w_spec, out_spec = match.groups()
        input_shape = tuple(input_shape)
        elided = len(input_shape) - len(in_spec)
        if elided < 0 or (ellipsis is None and elided):
            raise ValueError(f"The einsum equation {equation!r} expects inputs of rank "
                             f"{len(in_spec)}{' or more' if ellipsis else ''}. Received: "
                             f"input_shape={input_shape}")
        output = [input_shape[0], *partial_output_shape]
        if ellipsis == "left":
            output[1:1] = input_shape[1:elided]
            in_dims = {c: input_shape[i + elided] for i, c in enumerate(in_spec)}
            out_at = {c: i + elided for i, c in enumerate(out_spec)}
        else:
            if ellipsis == "right":
                output += input_shape[len(in_spec):]
            in_dims = {c: input_shape[i] for i, c in enumerate(in_spec)}
            out_at = {c: i for i, c in enumerate(out_spec)}
        if len(output) != len(out_spec) + (elided if ellipsis else 0):
            raise ValueError(f"output_shape {tuple(partial_output_shape)} does not fit the "
                             f"output {out_spec!r} of the einsum equation {equation!r}: "
                             f"expected {len(out_spec) - 1} sizes after the batch axis.")
        for c, size in in_dims.items():
            if c in out_at and output[out_at[c]] is not None and output[out_at[c]] != size:
                raise ValueError(f"Input shape and output shape do not match at shared "
                                 f"dimension {c!r}. Input shape is {size}, and output shape "
                                 f"is {output[out_at[c]]}.")
        for c in out_spec:
            if c not in in_spec and c not in w_spec:
                raise ValueError(f"Dimension {c!r} was specified in the output {out_spec!r} "
                                 f"but has no corresponding dim in the input spec "
                                 f"{in_spec!r} or weight spec {w_spec!r}")
        for c in in_spec:  # shared letters take the input's size where output_shape is None
            if c in out_at and output[out_at[c]] is None:
                output[out_at[c]] = in_dims[c]
        self.kernel, self.input_axes, self.output_axes = [], [], []
        for i, c in enumerate(w_spec):
            if c in out_at:
                self.kernel.append(output[out_at[c]])
                self.output_axes.append(i)
            elif c in in_dims:
                self.kernel.append(in_dims[c])
                self.input_axes.append(i)
            else:
                raise ValueError(f"Weight dimension {c!r} did not have a match in either the "
                                 f"input spec {in_spec!r} or the output spec {out_spec!r}. "
                                 "For this layer, the weight must be fully specified.")
        if any(d is None for d in self.kernel):
            raise ValueError(f"The kernel of einsum equation {equation!r} needs known sizes. "
                             f"Received: input_shape={input_shape}, output_shape="
                             f"{tuple(partial_output_shape)}")
        self.kernel = tuple(int(d) for d in self.kernel)
        self.bias = None
        if bias_axes is not None:
            for c in bias_axes:
                if c not in out_spec:
                    raise ValueError(f"Bias dimension {c!r} was requested, but is not part "
                                     f"of the output spec {out_spec!r}")
            first = min(out_spec.index(c) for c in bias_axes)
            self.bias = tuple(output[out_at[c]] if c in bias_axes else 1
                              for c in out_spec[first:])
            if ellipsis == "right":
                self.bias += (1,) * elided
        self.output = tuple(output)


class _FansOverAxes:
    """A VarianceScaling initializer drawn with Keras 3's einsum fans: the values are
    i.i.d., so drawing a (fan_in, fan_out) matrix and laying it out in the kernel's axis
    order gives the distribution of ``input_axes`` / ``output_axes`` fans."""

    def __init__(self, initializer, input_axes, output_axes):
        self.initializer, self.input_axes, self.output_axes = initializer, input_axes, output_axes

    def __call__(self, shape, dtype=None):
        in_sizes = [shape[a] for a in self.input_axes]
        out_sizes = [shape[a] for a in self.output_axes]
        flat = self.initializer((math.prod(in_sizes), math.prod(out_sizes)), dtype=dtype)
        grouped = np.reshape(flat, in_sizes + out_sizes)
        order = list(self.input_axes) + list(self.output_axes)
        return np.transpose(grouped, np.argsort(order))


class Int8Layout:
    """How int8 quantization lays out the scales of an equation without an ellipsis:
    the contracted axes of the inputs (``input_axes``) and of the kernel
    (``kernel_axes``), the kernel scale's shape as Keras 3 stores it (``stored``,
    broadcastable against the output), and the reshapes between the scales and the
    output or the kernel."""

    def __init__(self, equation, kernel_shape):
        if "..." in equation:
            raise NotImplementedError(
                f"int8 quantization of EinsumDense with an ellipsis in its equation "
                f"({equation!r}) is not supported (Keras 3.15.1 cannot quantize it either).")
        ins, self.w_spec = equation.split("->")[0].split(",")
        self.in_spec, self.out_spec = ins, equation.split("->")[1]
        w, out = self.w_spec, self.out_spec
        self.input_axes = tuple(i for i, c in enumerate(ins) if c not in out)
        self.kernel_axes = tuple(i for i, c in enumerate(w) if c not in out)
        kept = [c for c in out if c in w]  # the kernel's letters, in output order
        self.kept_sizes = [kernel_shape[w.index(c)] for c in kept]
        self.to_kernel_order = [kept.index(c) for c in w if c in out]
        self.output_aligned = tuple(kernel_shape[w.index(c)] if c in w else 1 for c in out)
        self.stored = _keras3_scale_shape(w, out, kernel_shape)
        self.grad_equation = f"{out},{w}->{ins}"

    def kernel_scale(self, keepdims_scale):
        """The stored scale from abs_max_quantize's (kernel rank, 1 on kernel_axes)."""
        flat = np.squeeze(keepdims_scale, axis=self.kernel_axes)
        order = np.argsort(self.to_kernel_order)  # kernel order -> output order
        return np.reshape(np.transpose(flat, order), self.stored)

    def scale_to_output(self, scale):
        return ops.reshape(scale, self.output_aligned)

    def scale_to_kernel(self, scale):
        x = ops.transpose(ops.reshape(scale, self.kept_sizes), self.to_kernel_order)
        for axis in self.kernel_axes:
            x = ops.expand_dims(x, axis)
        return x

    def input_scale_to_output(self, scale):
        x = ops.squeeze(scale, axis=self.input_axes)
        kept = [c for c in self.in_spec if c in self.out_spec]
        x = ops.transpose(x, [kept.index(c) for c in self.out_spec if c in kept])
        for i, c in enumerate(self.out_spec):
            if c not in self.in_spec:
                x = ops.expand_dims(x, i)
        return x


def _keras3_scale_shape(w_spec, out_spec, kernel_shape):
    """The kernel scale's shape as Keras 3 (3.15.1) builds it: the kernel's shape with
    the contracted axes set to 1, its output letters in output order, each contracted
    axis moved to an output position the kernel lacks (squeezed when none is left), and
    1 at the output positions still missing."""
    reduced = [i for i, c in enumerate(w_spec) if c not in out_spec]
    free = [i for i, c in enumerate(out_spec) if c not in w_spec]
    order = [w_spec.index(c) for c in out_spec if c in w_spec]
    squeezed, slot = [], 0
    for axis in reduced:
        if free:
            slot = free.pop(0)
        else:
            squeezed.append(axis)
        order.insert(slot, axis)
    shape = [1 if i in reduced else int(kernel_shape[i]) for i in order]
    for position in sorted(free):
        shape.insert(position, 1)
    for position in sorted(squeezed, reverse=True):
        shape.pop(position)
    return tuple(shape)


class EinsumDense(Quantizable, Layer):
    """A dense layer given by an einsum equation: ``einsum(equation, inputs, kernel)
    (+ bias) -> activation``.

    Args:
        equation: ``'ab,bc->ac'``-style, with an optional ellipsis on the left of
            input and output (``'...b,bc->...c'``) or on their right.
        output_shape: the output's sizes after the batch axis (an int for one axis);
            ``None`` entries take the input's size.
        activation: activation of the output (default none).
        bias_axes: output letters the bias spans (None: no bias).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: as in Dense.
        lora_rank, lora_alpha, gptq_unpacked_column_size: Keras 3's LoRA and GPTQ;
            only their defaults are accepted.
        quantization_config: None, or the int8 config a quantized layer saves
            (``quantize("int8")``: int8 kernel + ``kernel_scale``; layers/quantized.py).

    Example:
        layer = EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), bias_axes="de")
        layer(np.zeros((2, 5, 16)))  # shape (2, 5, 4, 8); kernel (16, 4, 8)
    """

    _float_weight_name = "kernel"
    _keras3_quantized_order = ("kernel", "bias", "kernel_scale")

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None,
                 gptq_unpacked_column_size=None, quantization_config=None,
                 activity_regularizer=None, **kwargs):
        for name, value in (("lora_rank", lora_rank), ("lora_alpha", lora_alpha),
                            ("gptq_unpacked_column_size", gptq_unpacked_column_size)):
            if value is not None:
                raise NotImplementedError(f"EinsumDense({name}=...) (LoRA / GPTQ) "
                                          "is not supported by keras_bridge; leave it None.")
        super().__init__(**kwargs)
        if not isinstance(equation, str):
            raise TypeError(f"Expected a string einsum equation. Received: "
                            f"equation={equation!r}")
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) \
            else tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.lora_rank = self.lora_alpha = None
        self.lora_enabled = False
        self.kernel = self.bias = None
        self._init_quantization(quantization_config)

    def _shapes(self, input_shape):
        return EinsumShapes(self.equation, self.bias_axes, input_shape,
                            self.partial_output_shape)

    def build(self, input_shape):
        shapes = self._shapes(input_shape)
        init = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling):
            init = _FansOverAxes(init, shapes.input_axes, shapes.output_axes)
        self._kernel_shape = shapes.kernel
        if self._quantization_mode is not None:
            self._build_quantized()
        else:
            self.kernel = self.add_weight(shape=shapes.kernel, initializer=init,
                                          name="kernel", regularizer=self.kernel_regularizer,
                                          constraint=self.kernel_constraint)
        if shapes.bias is not None:
            self.bias = self.add_weight(shape=shapes.bias, initializer=self.bias_initializer,
                                        name="bias", regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=len(input_shape))
        self.built = True

    def compute_output_shape(self, input_shape):
        return self._shapes(input_shape).output

    def _int8_layout(self):
        return Int8Layout(self.equation, self._kernel_shape)

    def _quantized_shapes(self):
        return [("kernel", self._kernel_shape, "int8"),
                ("kernel_scale", self._int8_layout().stored, self.dtype)]

    def _quantized_weights(self, kernel):
        from keras_bridge.quantizers import abs_max_quantize
        layout = self._int8_layout()
        q, scale = abs_max_quantize(kernel, axis=layout.kernel_axes, to_numpy=True)
        return [("kernel", q), ("kernel_scale", layout.kernel_scale(scale))]

    def quantize(self, mode=None, type_check=True, config=None):
        if self.built and mode == "int8":
            self._int8_layout()  # an equation it cannot lay out fails before any change
        super().quantize(mode, type_check=type_check, config=config)

    def call(self, inputs):
        if self._quantization_mode == "int8":
            layout = self._int8_layout()
            x = int8_contract(
                lambda a, b: ops.einsum(self.equation, a, b),
                lambda up, k: ops.einsum(layout.grad_equation, up, k),
                inputs, self.kernel, self.kernel_scale, layout.input_axes,
                self.compute_dtype, layout.input_scale_to_output, layout.scale_to_output,
                layout.scale_to_kernel)
        else:
            x = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return self.activation(x)

    def get_config(self):
        return {**super().get_config(), "output_shape": self.partial_output_shape,
                "equation": self.equation,
                "activation": activations.serialize(self.activation),
                "bias_axes": self.bias_axes,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": serialize_or_none(self.kernel_regularizer),
                "bias_regularizer": serialize_or_none(self.bias_regularizer),
                "activity_regularizer": serialize_or_none(self.activity_regularizer),
                "kernel_constraint": serialize_or_none(self.kernel_constraint),
                "bias_constraint": serialize_or_none(self.bias_constraint),
                "quantization_config": self.quantization_config}
