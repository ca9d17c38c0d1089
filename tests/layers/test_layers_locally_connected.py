"""LocallyConnected1D/2D on both engines, against a numpy reference written here.

The reference is Keras 2's definition (K.local_conv1d / K.local_conv2d): for output
position p (row-major), the input window flattened as ``(*kernel_size, channels)``
('channels_last') or ``(channels, *kernel_size)`` ('channels_first') times
``kernel[p]``; plus ``bias[position]``.
"""

import numpy as np
import pytest

from conftest import both_backends
from keras_bridge import Input, config, ops, optimizers, saving, testing
from keras_bridge.layers import Dense, Flatten, LocallyConnected1D, LocallyConnected2D, Reshape
from keras_bridge.models import Model, Sequential
from keras_bridge.utils import set_random_seed
from support.layer_checks import assert_close, config_roundtrip, rand, run_eager
from support.layer_checks import saved_entry_roundtrip


def np_local1d(x, kernel, bias, k, s):
    out_len = kernel.shape[0]
    y = np.stack([x[:, i * s:i * s + k, :].reshape(len(x), -1) @ kernel[i]
                  for i in range(out_len)], 1)
    return y if bias is None else y + bias


def np_local2d(x, kernel, bias, ks, ss, out, channels_first):
    y = np.zeros((len(x), out[0], out[1], kernel.shape[-1]))
    for i in range(out[0]):
        for j in range(out[1]):
            rows, cols = slice(i * ss[0], i * ss[0] + ks[0]), slice(j * ss[1], j * ss[1] + ks[1])
            patch = x[:, :, rows, cols] if channels_first else x[:, rows, cols, :]
            y[:, i, j] = patch.reshape(len(x), -1) @ kernel[i * out[1] + j]
    if bias is not None:
        y = y + bias
    return np.moveaxis(y, -1, 1) if channels_first else y


def _f64(layer):
    return [np.asarray(w, np.float64) for w in layer.get_weights()] + [None]


@pytest.mark.parametrize("kwargs", [{}, {"strides": 2}, {"use_bias": False,
                                                         "activation": "relu"}])
def test_locally_connected1d_matches_numpy(backend, kwargs):
    layer = LocallyConnected1D(4, 3, bias_initializer="random_normal", **kwargs)
    x = rand(2, 9, 3)
    got = run_eager(layer, x, backend)
    kernel, bias = _f64(layer)[:2]
    out_len = (9 - 3) // layer.strides[0] + 1
    assert kernel.shape == (out_len, 9, 4)
    want = np_local1d(x.astype(np.float64), kernel, bias if layer.use_bias else None, 3,
                      layer.strides[0])
    if layer.use_bias:
        assert bias.shape == (out_len, 4)
    assert_close(got, np.maximum(want, 0) if "activation" in kwargs else want)
    assert layer.compute_output_shape((None, 9, 3)) == (None, out_len, 4)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("strides", [1, (2, 1)])
def test_locally_connected2d_matches_numpy(backend, data_format, strides):
    layer = LocallyConnected2D(3, (2, 3), strides=strides, data_format=data_format,
                               bias_initializer="random_normal")
    x = rand(2, 3, 5, 6) if data_format == "channels_first" else rand(2, 5, 6, 3)
    got = run_eager(layer, x, backend)
    kernel, bias = _f64(layer)[:2]
    s = layer.strides
    out = ((5 - 2) // s[0] + 1, (6 - 3) // s[1] + 1)
    assert kernel.shape == (out[0] * out[1], 2 * 3 * 3, 3) and bias.shape == out + (3,)
    want = np_local2d(x.astype(np.float64), kernel, bias, (2, 3), s, out,
                      data_format == "channels_first")
    assert_close(got, want)
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + want.shape[1:]


@both_backends()
def test_parity_forward_gradients_and_training_step():
    from keras_bridge import backends

    def make():
        set_random_seed(3)
        inp = Input(shape=(6, 5, 2))
        y = LocallyConnected2D(3, 2, bias_initializer="random_normal")(inp)  # (5, 4, 3)
        y = LocallyConnected1D(2, 2, strides=2, kernel_regularizer="l2")(Reshape((20, 3))(y))
        return Model(inp, Dense(1)(Flatten()(y)))

    x = rand(3, 6, 5, 2)
    testing.assert_backends_agree(make, x, atol=1e-5, grad_rtol=1e-4, grad_atol=1e-5)
    y = rand(3, 1, seed=1)
    results = []
    for name in backends.available():
        config.set_backend(name)
        model = make()
        model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
        model.train_on_batch(x, y)
        results.append(model.get_weights())
    for a, b in zip(*results):
        assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_save_and_load_model(backend, tmp_path):
    model = Sequential([Input(shape=(8, 3)),
                        LocallyConnected1D(4, 3, bias_initializer="random_normal",
                                           activation="tanh"),
                        LocallyConnected1D(2, 2, strides=2, kernel_constraint="max_norm")])
    x = rand(2, 8, 3)
    want = model.predict(x, verbose=0)
    model.save(tmp_path / "local.keras")
    loaded = saving.load_model(tmp_path / "local.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-6, atol=1e-6)
    assert [w.shape for w in loaded.get_weights()] == [(6, 9, 4), (6, 4), (3, 8, 2), (3, 2)]


@pytest.mark.parametrize("make", [
    lambda: LocallyConnected1D(3, 2, strides=2, kernel_regularizer="l2", name="l1"),
    lambda: LocallyConnected2D(3, (2, 3), data_format="channels_first", use_bias=False,
                               activation="relu", bias_constraint="non_neg")])
def test_config_roundtrip(make):
    layer = make()
    cfg = config_roundtrip(layer)
    saved_entry_roundtrip(layer)
    assert cfg.get_config()["padding"] == "valid"
    assert cfg.get_config()["implementation"] == 1


def test_defaults_and_keras1_spellings():
    cfg = LocallyConnected2D(2, 3).get_config()
    assert (cfg["strides"], cfg["padding"], cfg["activation"], cfg["use_bias"]) == \
        ((1, 1), "valid", "linear", True)
    assert cfg["kernel_initializer"]["class_name"] == "GlorotUniform"
    with pytest.warns(DeprecationWarning):
        layer = LocallyConnected1D(nb_filter=3, filter_length=2, subsample_length=2)
    assert (layer.filters, layer.kernel_size, layer.strides) == (3, (2,), (2,))


def test_errors(backend):
    with pytest.raises(ValueError, match=r"padding.*must be 'valid'.*Received: padding='same'"):
        LocallyConnected2D(2, 3, padding="same")
    with pytest.raises(ValueError, match="implementation"):
        LocallyConnected1D(2, 3, implementation=2)
    with pytest.raises(ValueError, match="needs `filters`"):
        LocallyConnected1D(2)
    with pytest.raises(ValueError, match=r"'lc'.*fully known"):
        LocallyConnected1D(2, 3, name="lc")(Input(shape=(None, 4)))
    with pytest.raises(ValueError, match=r"too small for layer 'lc2'"):
        LocallyConnected2D(2, 3, name="lc2")(Input(shape=(2, 5, 1)))
    layer = LocallyConnected1D(2, 3, name="lc3")
    layer(Input(shape=(6, 4)))
    with pytest.raises(ValueError, match=r"'lc3'.*axis -1.*value 4"):
        layer(ops.convert_to_tensor(rand(2, 6, 5)))
