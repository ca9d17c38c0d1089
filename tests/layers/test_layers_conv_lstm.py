"""ConvLSTM1D/2D/3D on both engines, against a numpy reference written here.

The reference is Keras's ConvLSTM math (keras/src/layers/rnn/conv_lstm.py), in float64:
gates i, f, c, o along the kernels' last axis, the input convolution with the layer's
strides / padding / dilation, the recurrent one 'same' with stride 1. Convolutions are
explicit loops over output positions; 'same' pads ``max((ceil(n / s) - 1) * s + k' - n,
0)`` with the odd entry after, as Keras.
"""

import itertools

import numpy as np
import pytest

from conftest import both_backends
from keras_bridge import Input, Model, config, ops, optimizers, saving, testing
from keras_bridge.layers import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D, Dense, Flatten, Layer
from keras_bridge.models import Sequential
from keras_bridge.utils import set_random_seed
from support.layer_checks import config_roundtrip, rand, saved_entry_roundtrip

RTOL, ATOL = 1e-5, 1e-5
_CLASSES = {1: ConvLSTM1D, 2: ConvLSTM2D, 3: ConvLSTM3D}


# ---- numpy reference ----------------------------------------------------------------------
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_conv(x, kernel, strides, padding, dilation):
    """Channels-last N-D convolution of ``x`` (batch, *spatial, in) with a
    (*k, in, out) kernel, by explicit loops over output positions."""
    rank = kernel.ndim - 2
    pads = [(0, 0)]
    for n, k, s, d in zip(x.shape[1:-1], kernel.shape[:rank], strides, dilation):
        extent = (k - 1) * d + 1
        total = max((-(-n // s) - 1) * s + extent - n, 0) if padding == "same" else 0
        pads.append((total // 2, total - total // 2))
    x = np.pad(x, pads + [(0, 0)])
    out_sizes = [(n - (k - 1) * d - 1) // s + 1 for n, k, s, d in
                 zip(x.shape[1:-1], kernel.shape[:rank], strides, dilation)]
    out = np.zeros((x.shape[0], *out_sizes, kernel.shape[-1]))
    for pos in itertools.product(*(range(o) for o in out_sizes)):
        index = tuple(slice(p * s, p * s + (k - 1) * d + 1, d) for p, s, k, d in
                      zip(pos, strides, kernel.shape[:rank], dilation))
        patch = x[(slice(None),) + index]  # (batch, *k, in)
        out[(slice(None),) + pos] = np.tensordot(patch, kernel, axes=rank + 1)
    return out


def np_conv_lstm(x, weights, strides=None, padding="valid", dilation=None,
                 channels_first=False, initial=None, mask=None, go_backwards=False,
                 recurrent_activation=_sigmoid):
    """The whole sequence: (outputs (batch, time, *image), final [h, c])."""
    kernel, recurrent = (np.asarray(w, np.float64) for w in weights[:2])
    bias = np.asarray(weights[2], np.float64) if len(weights) > 2 else 0.0
    rank = kernel.ndim - 2
    strides, dilation = strides or (1,) * rank, dilation or (1,) * rank
    x = np.asarray(x, np.float64)
    if channels_first:  # work channels-last, give back channels-first
        x = np.moveaxis(x, 2, -1)
    f = recurrent.shape[-2]
    first = np_conv(x[:, 0], kernel, strides, padding, dilation)
    if initial is None:
        h = c = np.zeros(first.shape[:-1] + (f,))
    else:
        h, c = (np.moveaxis(s, 1, -1) if channels_first else s for s in initial)
    outputs = []
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    for t in order:
        z = np_conv(x[:, t], kernel, strides, padding, dilation) + bias \
            + np_conv(h, recurrent, (1,) * rank, "same", (1,) * rank)
        i, g, cc, o = (z[..., k * f:(k + 1) * f] for k in range(4))
        new_c = recurrent_activation(g) * c + recurrent_activation(i) * np.tanh(cc)
        new_h = recurrent_activation(o) * np.tanh(new_c)
        if mask is not None:
            m = mask[:, t].reshape((-1,) + (1,) * (rank + 1))
            new_h, new_c = np.where(m, new_h, h), np.where(m, new_c, c)
        h, c = new_h, new_c
        outputs.append(h)
    seq, states = np.stack(outputs, 1), [h, c]
    if channels_first:
        seq, states = np.moveaxis(seq, -1, 2), [np.moveaxis(s, -1, 1) for s in states]
    return seq, states


# ---- helpers -----------------------------------------------------------------------------
def _numpy(out):
    if isinstance(out, (list, tuple)):
        return [ops.convert_to_numpy(o) for o in out]
    return ops.convert_to_numpy(out)


def _close(got, want, rtol=RTOL, atol=ATOL):
    got = np.asarray(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _make(rank, filters=3, kernel_size=3, **kwargs):
    """A layer with a random bias (zeros would hide bias mistakes)."""
    kwargs.setdefault("bias_initializer", "random_normal")
    kwargs.setdefault("unit_forget_bias", False)
    return _CLASSES[rank](filters, kernel_size, **kwargs)


def _geometry(layer):
    return {"strides": layer.strides, "padding": layer.padding,
            "dilation": layer.dilation_rate,
            "channels_first": layer.data_format == "channels_first"}


# ---- outputs against numpy ---------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    {"padding": "same"},
    {"padding": "valid", "strides": 2},
    {"padding": "same", "kernel_size": (2, 3), "dilation_rate": (1, 2)},
    {"padding": "same", "data_format": "channels_first", "go_backwards": True}])
def test_conv_lstm2d_matches_numpy(backend, kwargs):
    kwargs = dict(kwargs)
    ksize = kwargs.pop("kernel_size", 3)
    layer = _make(2, 3, ksize, return_sequences=True, return_state=True, **kwargs)
    x = rand(2, 3, 2, 5, 6) if layer.data_format == "channels_first" else rand(2, 3, 5, 6, 2)
    got = _numpy(layer(x))
    assert len(got) == 3
    seq, states = np_conv_lstm(x, layer.get_weights(), go_backwards=layer.go_backwards,
                               **_geometry(layer))
    _close(got[0], seq)
    for g, s in zip(got[1:], states):
        _close(g, s)
    assert tuple(got[0].shape) == layer.compute_output_shape((2,) + x.shape[1:])[0]
    last = _CLASSES[2].from_config({**layer.get_config(), "return_sequences": False,
                                    "return_state": False})
    last.build(x.shape)
    last.set_weights(layer.get_weights())
    _close(_numpy(last(x)), seq[:, -1])


@pytest.mark.parametrize("rank", [1, 3])
def test_conv_lstm1d_and_3d_match_numpy(backend, rank):
    layer = _make(rank, 2, 2, padding="same", return_sequences=True)
    x = rand(2, 3, *([4] * rank), 2)
    got = _numpy(layer(x))
    _close(got, np_conv_lstm(x, layer.get_weights(), **_geometry(layer))[0])


def test_no_bias_hard_sigmoid_initial_state_and_mask(backend):
    """Keras 2.2.4's recurrent_activation, without bias, from given states, masked steps
    keeping the states."""
    layer = ConvLSTM2D(2, 3, padding="same", use_bias=False, return_sequences=True,
                       recurrent_activation="hard_sigmoid")
    x = rand(2, 4, 4, 4, 1)
    h0, c0 = rand(2, 4, 4, 2, seed=1), rand(2, 4, 4, 2, seed=2)
    mask = np.array([[True, True, False, True], [True, False, False, False]])
    got = _numpy(layer(x, initial_state=[h0, c0], mask=mask))

    def hard_sigmoid(v):  # Keras 3's: relu6(x + 3) / 6
        return np.clip(v / 6.0 + 0.5, 0.0, 1.0)
    seq, _ = np_conv_lstm(x, layer.get_weights(), padding="same", initial=[h0, c0],
                          mask=mask, recurrent_activation=hard_sigmoid)
    _close(got, seq)
    assert len(layer.get_weights()) == 2


class _ZeroFrameMask(Layer):
    """Masks the frames that are all zero."""

    def call(self, inputs):
        return inputs

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(ops.reshape(inputs, inputs.shape[:2] + (-1,)), 0.0),
                       axis=-1)


def test_mask_reaches_the_layer_in_a_model(backend):
    x = rand(2, 4, 3, 3, 1)
    x[0, 2:] = 0.0
    inp = Input(shape=(4, 3, 3, 1))
    layer = _make(2, 2, 2, padding="same")
    model = Model(inp, layer(_ZeroFrameMask()(inp)))
    want = np_conv_lstm(x, layer.get_weights(), padding="same",
                        mask=np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool))[0][:, -1]
    _close(model.predict(x, verbose=0), want)
    _close(want[0], np_conv_lstm(x[:1, :2], layer.get_weights(), padding="same")[0][0, -1])


def test_weight_shapes_names_and_initial_values():
    layer = ConvLSTM2D(4, (3, 2))
    layer.build((None, 5, 6, 7, 3))
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert [w.shape for w in layer.get_weights()] == [(3, 2, 3, 16), (3, 2, 4, 16), (16,)]
    np.testing.assert_array_equal(layer.bias.numpy(), [0] * 4 + [1] * 4 + [0] * 8)
    recurrent = layer.recurrent_kernel.numpy().reshape(-1, 16)  # orthogonal columns
    np.testing.assert_allclose(recurrent.T @ recurrent, np.eye(16), atol=1e-5)
    assert layer.compute_output_shape((None, 5, 6, 7, 3)) == (None, 4, 6, 4)
    assert ConvLSTM2D(4, 3, data_format="channels_first", return_sequences=True,
                      return_state=True, strides=2).compute_output_shape(
        (None, 5, 3, 9, 8)) == [(None, 5, 4, 4, 3), (None, 4, 4, 3), (None, 4, 4, 3)]


# ---- stateful ----------------------------------------------------------------------------
def test_stateful_carries_states_and_resets(backend):
    x = rand(2, 4, 3, 3, 1)
    layer = _make(2, 2, 2, padding="same", stateful=True, return_sequences=True)
    first = _numpy(layer(x[:, :2]))
    second = _numpy(layer(x[:, 2:]))
    want, final = np_conv_lstm(x, layer.get_weights(), padding="same")
    _close(np.concatenate([first, second], 1), want)
    for state, value in zip(layer.states, final):
        _close(state.numpy(), value)
    assert [w.shape for w in layer.states] == [(2, 3, 3, 2)] * 2
    layer.reset_states()
    assert all(np.all(w.numpy() == 0) for w in layer.states)
    _close(_numpy(layer(x[:, :2])), first)
    with pytest.raises(ValueError, match="expects states of shapes"):
        layer.reset_states(states=[np.zeros((2, 3, 3))] * 2)


def test_stateful_model_predict_carries_and_model_resets(backend):
    model = Sequential([ConvLSTM2D(2, 2, padding="same", stateful=True,
                                   input_shape=(2, 3, 3, 1), batch_size=1), Flatten()])
    x = np.ones((1, 2, 3, 3, 1), np.float32)
    first = model.predict(x, verbose=0)
    assert not np.allclose(model.predict(x, verbose=0), first)
    model.reset_states()
    np.testing.assert_allclose(model.predict(x, verbose=0), first, rtol=1e-6)


# ---- dropout -----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{"dropout": 0.5}, {"recurrent_dropout": 0.5}])
def test_dropout_in_training_only(backend, kwargs):
    set_random_seed(1)
    x = rand(2, 3, 4, 4, 2)
    layer = ConvLSTM2D(3, 3, padding="same", **kwargs)
    inference = _numpy(layer(x))
    _close(inference, np_conv_lstm(x, layer.get_weights(), padding="same")[0][:, -1])
    trained = _numpy(layer(x, training=True))
    assert trained.shape == inference.shape and not np.allclose(trained, inference)


# ---- torch and JAX agree -----------------------------------------------------------------
@both_backends()
def test_parity_forward_and_gradients():
    set_random_seed(0)
    inp = Input(shape=(3, 5, 4, 2))
    seq = ConvLSTM2D(3, 3, padding="same", return_sequences=True,
                     bias_initializer="random_normal")(inp)
    outs = [ConvLSTM2D(2, 2, strides=2, go_backwards=True)(seq),
            ConvLSTM2D(2, 3, return_state=True)(_ZeroFrameMask()(seq))[2]]
    x = rand(2, 3, 5, 4, 2)
    x[1, 2:] = 0.0
    testing.assert_backends_agree(Model(inp, outs), x, atol=1e-5, grad_rtol=1e-4,
                                  grad_atol=1e-5)


@both_backends()
def test_parity_training_step():
    """One Adam step leaves the same weights on both engines, and they moved."""
    from keras_bridge import backends
    x, y = rand(2, 3, 4, 4, 1), rand(2, 2, 2, 2, seed=1)
    results = []
    for name in backends.available():
        config.set_backend(name)
        set_random_seed(2)
        model = Sequential([Input(shape=(3, 4, 4, 1)),
                            ConvLSTM2D(2, 3, kernel_constraint="max_norm")])
        before = model.get_weights()
        model.compile(optimizer=optimizers.Adam(learning_rate=0.1), loss="mse")
        model.train_on_batch(x, y)
        results.append(model.get_weights())
        assert not np.allclose(results[-1][0], before[0])
    for a, b in zip(*results):
        _close(a, b, rtol=1e-4, atol=1e-5)


# ---- saving, config, legacy spellings, errors ---------------------------------------------
def test_save_and_load_model(backend, tmp_path):
    model = Sequential([Input(shape=(3, 4, 4, 2)),
                        ConvLSTM2D(2, 3, padding="same", return_sequences=True,
                                   bias_initializer="random_normal"),
                        ConvLSTM2D(2, 2), Flatten(), Dense(1)])
    x = rand(2, 3, 4, 4, 2)
    want = model.predict(x, verbose=0)
    model.save(tmp_path / "convlstm.keras")
    loaded = saving.load_model(tmp_path / "convlstm.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-6, atol=1e-6)
    assert loaded.layers[0].get_config() == model.layers[0].get_config()


@pytest.mark.parametrize("make", [
    lambda: ConvLSTM1D(3, 2, strides=2, recurrent_regularizer="l2", go_backwards=True),
    lambda: ConvLSTM2D(3, (2, 3), padding="same", data_format="channels_first",
                       dropout=0.1, stateful=True, kernel_constraint="non_neg"),
    lambda: ConvLSTM3D(2, 2, dilation_rate=2, use_bias=False, return_state=True,
                       activation="relu", unit_forget_bias=False)])
def test_config_roundtrip(make):
    layer = make()
    config_roundtrip(layer)
    saved_entry_roundtrip(layer)


def test_defaults_follow_keras():
    cfg = ConvLSTM2D(2, 3).get_config()
    assert (cfg["activation"], cfg["recurrent_activation"]) == ("tanh", "sigmoid")
    assert cfg["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert cfg["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert (cfg["strides"], cfg["padding"], cfg["dilation_rate"]) == ((1, 1), "valid", (1, 1))
    assert cfg["unit_forget_bias"] is True and cfg["return_sequences"] is False
    assert cfg["data_format"] == "channels_last" and cfg["kernel_size"] == (3, 3)


def test_keras1_spellings_warn():
    with pytest.warns(DeprecationWarning):
        layer = ConvLSTM2D(nb_filter=3, nb_row=2, nb_col=2, border_mode="same",
                           inner_activation="hard_sigmoid", dropout_U=0.2)
    assert (layer.filters, layer.kernel_size, layer.padding) == (3, (2, 2), "same")
    assert layer.recurrent_dropout == 0.2
    assert layer.get_config()["recurrent_activation"] == "hard_sigmoid"


def test_errors(backend):
    with pytest.raises(ValueError, match="needs `filters`"):
        ConvLSTM2D(3)
    with pytest.raises(ValueError, match="filters"):
        ConvLSTM2D(0, 3)
    with pytest.raises(ValueError, match="padding"):
        ConvLSTM2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="strides > 1 together with dilation_rate > 1"):
        ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="dropout"):
        ConvLSTM2D(2, 3, dropout=2.0)
    with pytest.raises(ValueError, match=r"'c'.*expected ndim=5, found ndim=4"):
        ConvLSTM2D(2, 3, name="c")(Input(shape=(3, 4, 4)))
    with pytest.raises(ValueError, match=r"'c2'.*known spatial size"):
        ConvLSTM2D(2, 3, name="c2")(Input(shape=(3, None, 4, 1)))
    with pytest.raises(ValueError, match=r"too small for layer 'c3'"):
        ConvLSTM2D(2, 3, name="c3")(Input(shape=(3, 2, 4, 1)))
    with pytest.raises(ValueError, match=r"initial state.*expected \(batch_size, 2, 2, 2\)"):
        ConvLSTM2D(2, 3)(Input(shape=(3, 4, 4, 1)),
                         initial_state=[Input(shape=(4, 4, 2)), Input(shape=(4, 4, 2))])
    layer = ConvLSTM2D(2, 3, name="c4")
    layer(Input(shape=(3, 4, 4, 1)))
    with pytest.raises(ValueError, match=r"'c4'.*axis -1.*value 1"):
        layer(rand(2, 3, 4, 4, 2))
