"""torch's EinsumDense rule: matrix-product equations run as ``F.linear`` on the kernel
stored in Keras layout, the others as ``torch.einsum``; both agree with numpy and JAX."""

import numpy as np
import pytest

from conftest import both_backends
from keras_bridge import Input, Model, testing
from keras_bridge.backends import surface
from keras_bridge.layers import EinsumDense, MultiHeadAttention
from keras_bridge.utils import set_random_seed
from support.layer_checks import rand

# (equation, output_shape, bias_axes, input shape, contracted axes on the linear path)
CASES = [
    ("abc,cde->abde", (None, 2, 5), "de", (2, 3, 6), 1),  # MHA query / key / value
    ("abcd,cde->abe", (None, 4), "e", (2, 3, 2, 5), 2),   # MHA output
    ("abc,cde->abde", (None, 2, 5), "d", (2, 3, 6), 1),   # bias (2, 1) broadcast
    ("...b,bc->...c", 4, None, (2, 3, 5), 1),
    ("abc,cd->abd", (3, 4), "b", (2, 3, 6), None),        # bias on an input letter
    ("abc,bcd->abd", (3, 4), "d", (2, 3, 6), None),       # kernel shares a batch letter
]


def _reduce_to(grad, shape):
    """Sum a broadcast gradient back onto ``shape`` (numpy's broadcasting, reversed)."""
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    return grad.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True)


@pytest.mark.parametrize("equation, out_shape, bias_axes, x_shape, contracted", CASES)
def test_torch_rule_values_and_gradients_on_the_stored_kernel(equation, out_shape,
                                                               bias_axes, x_shape, contracted):
    torch = pytest.importorskip("torch")
    set_random_seed(0)
    layer = EinsumDense(equation, out_shape, bias_axes=bias_axes,
                        bias_initializer="random_normal")
    layer.build((None,) + x_shape[1:])
    kernel = layer.kernel.numpy()
    bias = layer.bias.numpy() if bias_axes else 0.0
    layer.bind("torch", "cpu")
    module = surface.binding(layer)
    assert type(module).__name__ == "EinsumDenseModule" and module.contracted == contracted
    x = rand(*x_shape)
    y = module(torch.from_numpy(x))
    want = np.einsum(equation, x.astype(np.float64), kernel) + bias
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-5, atol=1e-6)
    c = rand(*y.shape, seed=3)
    (y * torch.from_numpy(c)).sum().backward()
    # numpy sums no ellipsis away: spell its axes out for the kernel's gradient
    spelled = equation.replace("...", "XYZ"[:len(x_shape) - len(equation.split(",")[0]) + 3])
    (ins, w), out = spelled.split("->")[0].split(","), spelled.split("->")[1]
    want_dk = np.einsum(f"{ins},{out}->{w}", x.astype(np.float64), c)
    np.testing.assert_allclose(module.kernel.grad.numpy(), want_dk, rtol=1e-5, atol=1e-5)
    if bias_axes:
        np.testing.assert_allclose(module.bias.grad.numpy(),
                                   _reduce_to(c.astype(np.float64), bias.shape),
                                   rtol=1e-5, atol=1e-5)
    # The module's parameters are the weights' storage, in Keras layout.
    layer.kernel.assign(np.ones_like(kernel))
    assert tuple(module.kernel.shape) == kernel.shape and float(module.kernel.detach().sum()) == \
        kernel.size


def test_mha_projections_take_the_linear_path():
    pytest.importorskip("torch")
    layer = MultiHeadAttention(2, 4)
    q = Input((3, 6))
    Model(q, layer(q, q)).bind("torch", "cpu")
    paths = {name: surface.binding(getattr(layer, f"{name}_dense")).contracted
             for name in ("query", "key", "value", "output")}
    assert paths == {"query": 1, "key": 1, "value": 1, "output": 2}


@both_backends()
def test_parity_with_jax_outputs_and_gradients():
    set_random_seed(1)
    seq, heads = Input((3, 6)), Input((3, 2, 5))
    outs = [EinsumDense(eq, shape, bias_axes=b, bias_initializer="random_normal")(
                seq if x_shape[-1] == 6 else heads)  # '...b' takes the 4-D input
            for eq, shape, b, x_shape, _ in CASES]
    outs.append(MultiHeadAttention(2, 4, bias_initializer="random_normal")(seq, seq))
    model = Model([seq, heads], outs)
    testing.assert_backends_agree(model, [rand(2, 3, 6, seed=5), rand(2, 3, 2, 5, seed=6)],
                                  rtol=1e-5, atol=1e-6)
