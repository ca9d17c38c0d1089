"""Keras 2.2.4's remaining layer names: CuDNNLSTM / CuDNNGRU, StackedRNNCells (and
RNN(list of cells)), the Deconvolution / Atrous aliases, layers.serialize/deserialize.

References: the numpy step loop of test_layers_recurrent (Keras's cell math, written
there), fed with the weights as Keras 2 defines their meaning: CuDNNLSTM's flat bias is
the input bias then the recurrent bias (the LSTM's one bias is their sum); CuDNNGRU's
flat bias is GRU(reset_after=True)'s ``(2, 3 * units)`` bias; a stack feeds each cell's
output to the next, states listed last cell first.
"""

import json

import numpy as np
import pytest

from conftest import both_backends
from keras_bridge import Input, Model, config, ops, optimizers, saving, testing
from keras_bridge import layers
from keras_bridge.layers import GRUCell, LSTMCell, RNN, CuDNNGRU, CuDNNLSTM, Dense
from keras_bridge.layers import StackedRNNCells
from keras_bridge.models import Sequential
from keras_bridge.utils import set_random_seed
from support.layer_checks import assert_close, config_roundtrip, rand, saved_entry_roundtrip
from support.references import np_rnn


def _numpy(out):
    return [ops.convert_to_numpy(o) for o in out] if isinstance(out, (list, tuple)) \
        else ops.convert_to_numpy(out)


# ---- CuDNN layers ------------------------------------------------------------------------
def test_cudnn_lstm_is_an_lstm_with_two_biases(backend):
    layer = CuDNNLSTM(3, return_sequences=True, return_state=True,
                      bias_initializer="random_normal", unit_forget_bias=False)
    x = rand(2, 4, 5)
    got = _numpy(layer(x))
    kernel, recurrent, bias = layer.get_weights()
    assert (kernel.shape, recurrent.shape, bias.shape) == ((5, 12), (3, 12), (24,))
    seq, states = np_rnn("lstm", x, [kernel, recurrent, bias[:12] + bias[12:]])
    assert_close(got[0], seq, atol=1e-5)
    for g, s in zip(got[1:], states):
        assert_close(g, s, atol=1e-5)


def test_cudnn_gru_is_gru_reset_after(backend):
    layer = CuDNNGRU(3, return_sequences=True, go_backwards=True,
                     bias_initializer="random_normal")
    x = rand(2, 4, 5)
    got = _numpy(layer(x))
    kernel, recurrent, bias = layer.get_weights()
    assert bias.shape == (18,)
    want, _ = np_rnn("gru", x, [kernel, recurrent, bias.reshape(2, 9)], go_backwards=True,
                     reset_after=True)
    assert_close(got, want, atol=1e-5)


def test_cudnn_initial_values_config_and_mask_error(backend):
    layer = CuDNNLSTM(2)
    layer.build((None, 3, 4))
    # Keras 2: the forget gate's recurrent bias (entries 5u..6u) starts at 1.
    np.testing.assert_array_equal(layer.bias.numpy(), [0] * 10 + [1] * 2 + [0] * 4)
    cfg = CuDNNGRU(4, stateful=True).get_config()
    assert not {"activation", "recurrent_activation", "dropout", "reset_after"} & set(cfg)
    assert cfg["units"] == 4 and cfg["stateful"] is True
    for make in (lambda: CuDNNLSTM(3, unit_forget_bias=False, go_backwards=True),
                 lambda: CuDNNGRU(2, kernel_regularizer="l2", return_state=True)):
        config_roundtrip(make())
        saved_entry_roundtrip(make())
    with pytest.raises(ValueError, match="does not support masking"):
        CuDNNGRU(2, name="g")(rand(2, 3, 4), mask=np.ones((2, 3), bool))


# ---- stacked cells -----------------------------------------------------------------------
def test_rnn_of_a_list_of_cells_stacks_them(backend):
    cells = [LSTMCell(3, bias_initializer="random_normal", unit_forget_bias=False),
             GRUCell(2, bias_initializer="random_normal")]
    layer = RNN(cells, return_sequences=True, return_state=True)
    assert isinstance(layer.cell, StackedRNNCells)
    x = rand(2, 4, 5)
    seq, h_gru, h_lstm, c_lstm = _numpy(layer(x))
    w = layer.get_weights()
    first, (h1, c1) = np_rnn("lstm", x, w[:3])
    second, (h2,) = np_rnn("gru", first, w[3:], reset_after=True)
    assert_close(seq, second, atol=1e-5)
    for got, want in ((h_gru, h2), (h_lstm, h1), (c_lstm, c1)):
        assert_close(got, want, atol=1e-5)
    assert layer.cell.state_size == [2, 3, 3] and layer.cell.output_size == 2


def test_stacked_cells_dropout_is_drawn_once_per_sequence(backend):
    set_random_seed(1)
    layer = RNN(StackedRNNCells([LSTMCell(3, dropout=0.5), LSTMCell(2,
                                                                     recurrent_dropout=0.5)]))
    x = rand(2, 4, 5)
    inference = _numpy(layer(x))
    w = layer.get_weights()
    want = np_rnn("lstm", np_rnn("lstm", x, w[:3])[0], w[3:])[0][:, -1]
    assert_close(inference, want, atol=1e-5)
    trained = _numpy(layer(x, training=True))
    assert trained.shape == inference.shape and not np.allclose(trained, inference)
    assert all(c.sequence_masks is None for c in layer.cell.cells)


def test_stacked_cells_config_and_errors():
    layer = RNN([LSTMCell(2), GRUCell(3, reset_after=False)], return_sequences=True)
    cfg = layer.get_config()
    json.dumps(cfg)
    clone = RNN.from_config(cfg)
    assert [type(c) for c in clone.cell.cells] == [LSTMCell, GRUCell]
    assert clone.cell.cells[1].reset_after is False
    stack = StackedRNNCells([LSTMCell(2), LSTMCell(4)])
    assert type(StackedRNNCells.from_config(stack.get_config())) is StackedRNNCells
    with pytest.raises(ValueError, match="non-empty list of cells"):
        StackedRNNCells([])
    with pytest.raises(ValueError, match="`call` method and a `state_size`"):
        StackedRNNCells([LSTMCell(2), Dense(2)])


# ---- parity, training, saving --------------------------------------------------------------
@both_backends()
def test_parity_forward_gradients_and_training_step():
    from keras_bridge import backends

    def make():
        set_random_seed(4)
        inp = Input(shape=(5, 3))
        seq = CuDNNLSTM(4, return_sequences=True, bias_initializer="random_normal")(inp)
        seq = RNN([LSTMCell(3), GRUCell(3)], return_sequences=True)(seq)
        return Model(inp, CuDNNGRU(2, bias_initializer="random_normal")(seq))

    x = rand(3, 5, 3)
    testing.assert_backends_agree(make, x, atol=1e-5, grad_rtol=1e-4, grad_atol=1e-5)
    y, results = rand(3, 2, seed=1), []
    for name in backends.available():
        config.set_backend(name)
        model = make()
        model.compile(optimizer=optimizers.Adam(learning_rate=0.05), loss="mse")
        model.train_on_batch(x, y)
        results.append(model.get_weights())
    for a, b in zip(*results):
        assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_save_and_load_model(backend, tmp_path):
    model = Sequential([Input(shape=(4, 3)), CuDNNGRU(3, return_sequences=True),
                        RNN([LSTMCell(2), LSTMCell(2)]), Dense(1)])
    x = rand(2, 4, 3)
    want = model.predict(x, verbose=0)
    model.save(tmp_path / "k2.keras")
    loaded = saving.load_model(tmp_path / "k2.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-6, atol=1e-6)


# ---- aliases and serialize ------------------------------------------------------------------
def test_keras2_aliases():
    assert layers.Deconvolution2D is layers.Deconv2D is layers.Conv2DTranspose
    assert layers.Deconvolution3D is layers.Deconv3D is layers.Conv3DTranspose
    with pytest.warns(DeprecationWarning, match="AtrousConvolution2D is deprecated"):
        conv = layers.AtrousConvolution2D(4, 3, atrous_rate=2)
    assert type(conv) is layers.Conv2D and conv.dilation_rate == (2, 2)
    with pytest.warns(DeprecationWarning):
        assert layers.AtrousConv1D(2, 3).dilation_rate == (1,)


def test_layers_serialize_and_deserialize():
    entry = layers.serialize(Dense(3, activation="relu", name="d"))
    assert entry["class_name"] == "Dense" and entry["config"]["units"] == 3
    clone = layers.deserialize(json.loads(json.dumps(entry)))
    assert type(clone) is Dense and clone.get_config() == Dense.from_config(
        entry["config"]).get_config()
    keras2 = layers.deserialize({"class_name": "CuDNNLSTM", "config": {"units": 5}})
    assert type(keras2) is CuDNNLSTM and keras2.units == 5
    with pytest.raises(ValueError, match="NoSuchLayer"):
        layers.deserialize({"class_name": "NoSuchLayer", "config": {}})


# ---- Wrapper ------------------------------------------------------------------------------
class _Doubled(layers.Wrapper):
    """A user wrapper in Keras 2's style: twice the wrapped layer's output."""

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def call(self, inputs):
        return ops.multiply(self.layer(inputs), 2.0)


def test_wrapper_base_class(backend, tmp_path):
    assert isinstance(layers.TimeDistributed(Dense(2)), layers.Wrapper)
    inp = Input(shape=(3,))
    wrapper = _Doubled(Dense(2, bias_initializer="random_normal"))
    model = Model(inp, wrapper(inp))
    x = rand(4, 3)
    kernel, bias = wrapper.get_weights()
    assert_close(model.predict(x, verbose=0), 2 * (x @ kernel + bias))
    assert [w.shape for w in model.trainable_weights] == [(3, 2), (2,)]
    clone = _Doubled.from_config(json.loads(json.dumps(wrapper.get_config())))
    assert type(clone.layer) is Dense and clone.layer.units == 2
    model.save(tmp_path / "w.keras")
    loaded = saving.load_model(tmp_path / "w.keras", custom_objects={"_Doubled": _Doubled})
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match=r"initialize `_Doubled`.*Received: layer=3"):
        _Doubled(3)
