"""SpectralNormalization (Miyato et al., 2018): a wrapper that divides its layer's kernel
by the kernel's largest singular value, estimated by power iteration, as Keras 3.

In training the call computes ``kernel / sigma`` and ``vector_u`` from the current kernel
and assigns both (Keras 3's update), then runs the wrapped layer on the new kernel; in
inference it runs the layer unchanged. The power iteration is outside the gradient
(``stop_gradient`` on u and v), so in a pure call the gradient flows through
``kernel / sigma`` only. As in Keras 3, a pure call (JAX's train step,
``stateless_call``) returns the new ``vector_u`` but drops the assignment to the
trainable kernel, while an eager or torch call stores it.
"""

import numbers

from keras_bridge import initializers, ops
from keras_bridge.layers.base import InputSpec, trainable_first
from keras_bridge.layers.sequence import Wrapper


def _unit(v):
    """``v / ||v||`` over all entries (Keras's ``normalize(v, axis=None)``)."""
    return ops.normalize(v, axis=None)


class SpectralNormalization(Wrapper):
    """Normalizes the spectral norm of the wrapped layer's ``kernel`` (or, for
    ``Embedding``, ``embeddings``) to 1 in training.

    Args:
        layer: the layer to wrap; it must have a ``kernel`` or ``embeddings`` weight.
        power_iterations: int > 0, power-iteration steps per training call (default 1).

    Weights: the wrapped layer's, and ``vector_u`` (1, kernel.shape[-1]),
    non-trainable, drawn from ``TruncatedNormal(stddev=0.02)``; ``weights`` lists the
    kernel first, then ``vector_u``, then the layer's other weights (Keras 3's order).
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or \
                not isinstance(power_iterations, numbers.Integral) or power_iterations <= 0:
            raise ValueError("`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations!r}`")
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(f"{type(self.layer).__name__} object has no attribute "
                             "'kernel' nor 'embeddings'")
        self._kernel = kernel  # not an attribute name Keras's walk would see as a layer
        self.kernel_shape = tuple(kernel.shape)
        self.vector_u = self.add_weight(
            shape=(1, self.kernel_shape[-1]), initializer=initializers.TruncatedNormal(
                stddev=0.02), trainable=False, name="vector_u", dtype=kernel.dtype)
        self.built = True

    @property
    def kernel(self):
        return self._kernel

    def _keras_own_weights(self):
        return trainable_first([self._kernel] + list(self._own_weights))

    def _collect(self, with_seeds):
        found = super()._collect(with_seeds)
        if not self.built:
            return found
        return [self._kernel] + [w for w in found if w is not self._kernel]

    def normalized_weights(self):
        """(new ``vector_u``, ``kernel / sigma``) from the current kernel."""
        weights = ops.reshape(self._kernel.value, (-1, self.kernel_shape[-1]))
        u = self.vector_u.value
        for _ in range(self.power_iterations):
            v = _unit(ops.matmul(u, ops.transpose(weights)))
            u = _unit(ops.matmul(v, weights))
        u, v = ops.stop_gradient(u), ops.stop_gradient(v)
        sigma = ops.matmul(ops.matmul(v, weights), ops.transpose(u))
        kernel = ops.reshape(ops.divide(self._kernel.value, sigma), self.kernel_shape)
        return ops.cast(u, self.vector_u.dtype), ops.cast(kernel, self._kernel.dtype)

    def call(self, inputs, training=False):
        if training:
            all_zero = ops.all(ops.equal(self._kernel.value, 0))
            new_u, new_kernel = ops.cond(
                all_zero, lambda: (self.vector_u.value, self._kernel.value),
                self.normalized_weights)
            self.vector_u.assign(new_u)
            self._kernel.assign(new_kernel)
        return ops.cast(self.layer(inputs), inputs.dtype)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
