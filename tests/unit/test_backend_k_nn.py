"""K.conv*/pool*/local_conv* on both engines, against direct numpy loops written here."""

import numpy as np
import pytest

from keras_bridge import backends
from keras_bridge import backend as K
from keras_bridge import config, ops

RTOL, ATOL = 1e-5, 1e-5
rng = np.random.default_rng(0)


def check(result, expected, backend):
    assert backends.backend_of_type(type(result)) == backend
    got = ops.convert_to_numpy(result)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


def randn(*shape):
    return rng.standard_normal(shape).astype("float32")


def same_pads(sizes, ksize, strides, dilation):
    """TensorFlow's 'SAME': total max((ceil(n/s)-1)*s + (k-1)*d+1 - n, 0), odd one after."""
    pads = []
    for n, k, s, d in zip(sizes, ksize, strides, dilation):
        total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def np_conv(x, k, strides, dilation, pads):
    """Channels-last convolution by direct sums: x (b, *sp, c), k (*ks, c, f)."""
    rank = k.ndim - 2
    x = np.pad(x, [(0, 0)] + list(pads) + [(0, 0)])
    ks = k.shape[:rank]
    out = [(x.shape[1 + i] - (ks[i] - 1) * dilation[i] - 1) // strides[i] + 1
           for i in range(rank)]
    y = np.zeros((x.shape[0], *out, k.shape[-1]))
    for pos in np.ndindex(*out):
        for off in np.ndindex(*ks):
            idx = tuple(p * s + o * d for p, s, o, d in zip(pos, strides, off, dilation))
            y[(slice(None),) + pos] += x[(slice(None),) + idx] @ k[off]
    return y


def np_depthwise(x, k, strides, dilation, pads):
    """x (b, *sp, c), k (*ks, c, m) -> channel c * m + j."""
    rank = k.ndim - 2
    c, m = k.shape[-2:]
    full = np.zeros(k.shape[:rank] + (c, c * m))
    for ci in range(c):
        full[..., ci, ci * m:(ci + 1) * m] = k[..., ci, :]
    return np_conv(x, full, strides, dilation, pads)


def np_pool(x, pool, strides, pads, mode):
    rank = len(pool)
    fill = -np.inf if mode == "max" else np.nan
    x = np.pad(x.astype("float64"), [(0, 0)] + list(pads) + [(0, 0)], constant_values=fill)
    out = [(x.shape[1 + i] - pool[i]) // strides[i] + 1 for i in range(rank)]
    y = np.zeros((x.shape[0], *out, x.shape[-1]))
    for pos in np.ndindex(*out):
        window = x[(slice(None),) + tuple(slice(p * s, p * s + k)
                                          for p, s, k in zip(pos, strides, pool))]
        window = window.reshape(x.shape[0], -1, x.shape[-1])
        y[(slice(None),) + pos] = (window.max(1) if mode == "max" else np.nanmean(window, 1))
    return y


def first(x):
    """channels_last -> channels_first."""
    return np.moveaxis(x, -1, 1)


@pytest.mark.parametrize("padding,strides,dilation", [
    ("valid", 1, 1), ("same", 2, 1), ("same", 1, 2), ("causal", 1, 2), ("valid", 2, 1)])
def test_conv1d(backend, padding, strides, dilation):
    x, k = randn(2, 9, 3), randn(3, 3, 4)
    if padding == "causal":
        pads = [(2 * dilation, 0)]
    elif padding == "same":
        pads = same_pads((9,), (3,), (strides,), (dilation,))
    else:
        pads = [(0, 0)]
    expected = np_conv(x, k, (strides,), (dilation,), pads)
    check(K.conv1d(x, k, strides=strides, padding=padding, dilation_rate=dilation), expected,
          backend)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding,strides,dilation", [
    ("valid", (1, 1), (1, 1)), ("same", (2, 1), (1, 1)), ("same", (1, 1), (2, 2)),
    ("valid", (2, 2), (1, 1))])
def test_conv2d(backend, data_format, padding, strides, dilation):
    x, k = randn(2, 6, 5, 3), randn(3, 2, 3, 4)
    pads = same_pads((6, 5), (3, 2), strides, dilation) if padding == "same" else [(0, 0)] * 2
    expected = np_conv(x, k, strides, dilation, pads)
    if data_format == "channels_first":
        x, expected = first(x), first(expected)
    check(K.conv2d(x, k, strides=strides, padding=padding, data_format=data_format,
                   dilation_rate=dilation), expected, backend)


def test_conv2d_default_data_format_from_config(backend):
    config.set_image_data_format("channels_first")
    x, k = randn(1, 4, 4, 2), randn(2, 2, 2, 3)
    check(K.conv2d(first(x), k), first(np_conv(x, k, (1, 1), (1, 1), [(0, 0)] * 2)), backend)


def test_conv3d(backend):
    x, k = randn(1, 4, 3, 5, 2), randn(2, 2, 3, 2, 3)
    pads = same_pads((4, 3, 5), (2, 2, 3), (1, 1, 2), (1, 1, 1))
    check(K.conv3d(x, k, strides=(1, 1, 2), padding="same"),
          np_conv(x, k, (1, 1, 2), (1, 1, 1), pads), backend)


def test_conv2d_on_a_variable_kernel(backend):
    x, k = randn(1, 4, 4, 2), randn(3, 3, 2, 2)
    check(K.conv2d(x, K.variable(k), padding="same"),
          np_conv(x, k, (1, 1), (1, 1), same_pads((4, 4), (3, 3), (1, 1), (1, 1))), backend)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_depthwise_conv2d(backend, data_format):
    x, k = randn(2, 5, 5, 3), randn(3, 3, 3, 2)
    pads = same_pads((5, 5), (3, 3), (2, 2), (1, 1))
    expected = np_depthwise(x, k, (2, 2), (1, 1), pads)
    if data_format == "channels_first":
        x, expected = first(x), first(expected)
    check(K.depthwise_conv2d(x, k, strides=(2, 2), padding="same", data_format=data_format),
          expected, backend)


def test_separable_convs(backend):
    x, dk, pk = randn(2, 5, 5, 3), randn(2, 2, 3, 2), randn(1, 1, 6, 4)
    expected = np_depthwise(x, dk, (1, 1), (1, 1), [(0, 0)] * 2) @ pk[0, 0]
    check(K.separable_conv2d(x, dk, pk), expected, backend)
    x1, dk1, pk1 = randn(2, 7, 3), randn(3, 3, 1), randn(1, 3, 2)
    pads = same_pads((7,), (3,), (1,), (2,))
    expected = np_depthwise(x1, dk1, (1,), (2,), pads) @ pk1[0]
    check(K.separable_conv1d(x1, dk1, pk1, padding="same", dilation_rate=2), expected, backend)


def np_conv_transpose(x, k, out_spatial, strides, pads):
    """Scatter form: y[i * s + j - before] += x[i] @ k[j].T, k (kh, kw, filters, in)."""
    y = np.zeros((x.shape[0],) + tuple(out_spatial) + (k.shape[2],))
    for i0, i1 in np.ndindex(*x.shape[1:3]):
        for j0, j1 in np.ndindex(*k.shape[:2]):
            o0 = i0 * strides[0] + j0 - pads[0][0]
            o1 = i1 * strides[1] + j1 - pads[1][0]
            if 0 <= o0 < out_spatial[0] and 0 <= o1 < out_spatial[1]:
                y[:, o0, o1] += x[:, i0, i1] @ k[j0, j1].T
    return y


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding,out", [("valid", (7, 6)), ("valid", (8, 7)),
                                         ("same", (6, 5)), ("same", (5, 5))])
def test_conv2d_transpose(backend, data_format, padding, out):
    x, k = randn(2, 3, 3, 4), randn(3, 2, 5, 4)  # kernel (kh, kw, filters, in)
    pads = same_pads(out, (3, 2), (2, 2), (1, 1)) if padding == "same" else [(0, 0)] * 2
    expected = np_conv_transpose(x, k, out, (2, 2), pads)
    shape = (2,) + out + (5,)
    if data_format == "channels_first":
        x, expected, shape = first(x), first(expected), (2, 5) + out
    check(K.conv2d_transpose(x, k, shape, strides=(2, 2), padding=padding,
                             data_format=data_format), expected, backend)


def test_conv2d_transpose_is_the_adjoint_of_conv2d(backend):
    x, y, k = randn(1, 7, 7, 3), randn(1, 4, 4, 2), randn(3, 3, 3, 2)
    forward = ops.convert_to_numpy(K.conv2d(x, k, strides=(2, 2), padding="same"))
    # The same kernel array: (kh, kw, in, out) for conv2d is (kh, kw, filters, in) for the
    # transpose going back.
    back = ops.convert_to_numpy(K.conv2d_transpose(y, k, (1, 7, 7, 3), strides=(2, 2),
                                                   padding="same"))
    np.testing.assert_allclose((forward * y).sum(), (x * back).sum(), rtol=1e-4)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("pool_mode", ["max", "avg"])
@pytest.mark.parametrize("padding,pool,strides", [
    ("valid", (2, 2), (1, 1)), ("same", (3, 3), (2, 2)), ("same", (2, 3), (1, 1)),
    ("valid", (2, 2), (2, 2))])
def test_pool2d(backend, data_format, pool_mode, padding, pool, strides):
    x = randn(2, 5, 4, 3)
    pads = same_pads((5, 4), pool, strides, (1, 1)) if padding == "same" else [(0, 0)] * 2
    expected = np_pool(x, pool, strides, pads, pool_mode)
    if data_format == "channels_first":
        x, expected = first(x), first(expected)
    check(K.pool2d(x, pool, strides=strides, padding=padding, data_format=data_format,
                   pool_mode=pool_mode), expected, backend)


def test_pool2d_default_strides_are_one(backend):
    x = randn(1, 4, 4, 1)
    check(K.pool2d(x, (2, 2)), np_pool(x, (2, 2), (1, 1), [(0, 0)] * 2, "max"), backend)


@pytest.mark.parametrize("pool_mode", ["max", "avg"])
def test_pool3d(backend, pool_mode):
    x = randn(1, 4, 3, 5, 2)
    pads = same_pads((4, 3, 5), (2, 2, 2), (2, 1, 2), (1, 1, 1))
    check(K.pool3d(x, (2, 2, 2), strides=(2, 1, 2), padding="same", pool_mode=pool_mode),
          np_pool(x, (2, 2, 2), (2, 1, 2), pads, pool_mode), backend)


def test_local_conv1d(backend):
    x, kernel_size, stride = randn(2, 7, 3), 3, 2
    out = (7 - kernel_size) // stride + 1
    kernel = randn(out, kernel_size * 3, 4)
    expected = np.stack([x[:, i * stride:i * stride + kernel_size, :].reshape(2, -1) @ kernel[i]
                         for i in range(out)], axis=1)
    check(K.local_conv1d(x, kernel, (kernel_size,), (stride,)), expected, backend)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_local_conv2d(backend, data_format):
    x, ks, st = randn(2, 5, 4, 3), (2, 2), (2, 1)
    rows, cols = (5 - 2) // 2 + 1, (4 - 2) // 1 + 1
    kernel = randn(rows * cols, 2 * 2 * 3, 4)
    xin = first(x) if data_format == "channels_first" else x
    expected = np.zeros((2, rows, cols, 4), "float32")
    for i in range(rows):
        for j in range(cols):
            rs, cs = slice(i * st[0], i * st[0] + ks[0]), slice(j * st[1], j * st[1] + ks[1])
            # Keras's feature order: the patch as laid out in the input, flattened.
            patch = xin[:, :, rs, cs] if data_format == "channels_first" else xin[:, rs, cs, :]
            expected[:, i, j] = patch.reshape(2, -1) @ kernel[i * cols + j]
    if data_format == "channels_first":
        expected = first(expected)
    check(K.local_conv2d(xin, kernel, ks, st, (rows, cols), data_format=data_format),
          expected, backend)


def test_conv2d_gradients_agree_across_engines():
    pytest.importorskip("torch")
    pytest.importorskip("jax")
    import jax
    import torch
    x, k = randn(2, 5, 5, 3), randn(3, 3, 3, 2)
    config.set_backend("torch")
    kt = torch.tensor(k, requires_grad=True)
    (K.sum(K.square(K.conv2d(x, kt, strides=(2, 2), padding="same")))).backward()
    config.set_backend("jax")
    gj = jax.grad(lambda kk: K.sum(K.square(K.conv2d(x, kk, strides=(2, 2),
                                                     padding="same"))))(k)
    np.testing.assert_allclose(kt.grad.numpy(), np.asarray(gj), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("call,match", [
    (lambda: K.conv2d(randn(1, 4, 4, 3), randn(2, 2, 2, 1)), "input channels"),
    (lambda: K.conv2d(randn(1, 4, 4, 3), randn(2, 2, 3, 1), padding="full"), "padding"),
    (lambda: K.conv2d(randn(1, 4, 4, 3), randn(2, 2, 3, 1), padding="causal"), "padding"),
    (lambda: K.conv1d(randn(1, 3, 4), randn(2, 3, 1), padding="causal",
                      data_format="channels_first"), "causal"),
    (lambda: K.conv2d(randn(4, 4, 3), randn(2, 2, 3, 1)), "rank 4"),
    (lambda: K.conv2d(randn(1, 4, 4, 3), randn(2, 2, 3, 1), strides=2, dilation_rate=2),
     "dilation"),
    (lambda: K.conv2d(randn(1, 4, 4, 3), randn(2, 2, 3, 1), data_format="nhwc"),
     "data_format"),
    (lambda: K.pool2d(randn(1, 4, 4, 3), (2, 2), pool_mode="min"), "pool_mode"),
    (lambda: K.conv2d_transpose(randn(1, 3, 3, 2), randn(2, 2, 4, 2), (1, 9, 9, 4),
                                strides=(2, 2)), "output_shape"),
    (lambda: K.conv2d_transpose(randn(1, 3, 3, 2), randn(2, 2, 4, 3), (1, 6, 6, 4),
                                strides=(2, 2)), r"kernel.shape\[-1\]=3"),
    (lambda: K.local_conv1d(randn(1, 5, 2), randn(3, 5, 1), (2,), (1,)), "kernel of shape"),
    (lambda: K.local_conv2d(randn(1, 4, 4, 2), randn(9, 8, 1), (2, 2), (1, 1), (2, 2)),
     "output_shape"),
])
def test_errors(backend, call, match):
    with pytest.raises(ValueError, match=match):
        call()
