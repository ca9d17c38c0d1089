"""Masking, TimeDistributed and Bidirectional on both engines, against numpy references
written here: Masking's zeroing and mask, TimeDistributed(Dense) as a matmul per step,
and Bidirectional's merges over a small recurrent layer defined here (``TinyRNN``, with
its own numpy step loop), then over the project's LSTM / GRU."""

import json

import numpy as np
import pytest

from keras_bridge import backends
from conftest import both_backends
from keras_bridge import Input, Model, config, ops, saving, testing
from keras_bridge.layers import Bidirectional, Conv2D, Dense, Embedding, Flatten
from keras_bridge.layers import GlobalAveragePooling1D, Layer, Masking, TimeDistributed
from keras_bridge.layers.base import InputSpec
from support.layer_checks import rand as _rand


def _tensor(x):
    return backends.get(config.backend()).ops.convert_to_tensor(x)


def _numpy(out):
    return [ops.convert_to_numpy(o) for o in out] if isinstance(out, list) \
        else ops.convert_to_numpy(out)


# ---- Masking -----------------------------------------------------------------------------
def test_masking_zeroes_masked_steps_and_makes_the_mask(backend):
    x = _rand(2, 4, 3)
    x[0, 1] = 0.5
    x[1, 3] = 0.5
    x[1, 0, 0] = 0.5  # only one feature equals the mask value: a real step
    layer = Masking(mask_value=0.5)
    real = np.any(x != 0.5, axis=-1)
    np.testing.assert_array_equal(_numpy(layer(_tensor(x))), x * real[..., None])
    mask = layer.compute_mask(_tensor(x))
    assert backends.backend_of_type(type(mask)) == backend
    np.testing.assert_array_equal(_numpy(mask), real)
    assert Masking.from_config(layer.get_config()).mask_value == 0.5


def test_masking_mask_reaches_later_layers(backend):
    """GlobalAveragePooling1D after Masking averages the real steps only."""
    x = _rand(3, 5, 2)
    x[0, 3:] = 0.0
    x[2, :2] = 0.0
    inputs = Input(shape=(5, 2))
    model = Model(inputs, GlobalAveragePooling1D()(Masking()(inputs)))
    real = np.any(x != 0, axis=-1)
    expected = (x * real[..., None]).sum(1) / real.sum(1, keepdims=True)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-6, atol=1e-6)


# ---- TimeDistributed ---------------------------------------------------------------------
def test_time_distributed_dense_is_a_matmul_per_step(backend):
    inputs = Input(shape=(3, 4))
    td = TimeDistributed(Dense(5, activation="tanh"))
    out = td(inputs)
    assert out.shape == (None, 3, 5)
    inner = f"{td.name}/{td.layer.name}"  # Keras 3's: the wrapped layer builds in its scope
    assert [w.path for w in td.weights] == [f"{inner}/kernel", f"{inner}/bias"]
    assert td.count_params() == 4 * 5 + 5
    model = Model(inputs, out)
    x = _rand(2, 3, 4)
    kernel, bias = td.get_weights()
    expected = np.tanh(x @ kernel + bias)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_numpy(td(_tensor(x))), expected, rtol=1e-5, atol=1e-6)


def test_time_distributed_conv2d_applies_the_conv_to_each_step(backend):
    conv = Conv2D(3, (3, 3), padding="valid")
    td = TimeDistributed(conv)
    assert td(Input(shape=(4, 6, 6, 2))).shape == (None, 4, 4, 4, 3)
    x = _rand(2, 4, 6, 6, 2)
    got = _numpy(td(_tensor(x)))
    assert got.shape == (2, 4, 4, 4, 3)
    for t in range(4):
        np.testing.assert_allclose(got[:, t], _numpy(conv(_tensor(x[:, t]))), rtol=1e-5,
                                   atol=1e-5)


class ScaleByMask(Layer):
    """Multiplies each step by its mask (records the mask's shape)."""

    supports_masking = True

    def call(self, inputs, mask=None):
        self.seen = None if mask is None else tuple(ops.shape(mask))
        if mask is None:
            return inputs
        return inputs * ops.expand_dims(ops.cast(mask, "float32"), -1)

    def compute_output_shape(self, input_shape):
        return input_shape


def test_time_distributed_folds_the_mask_for_the_inner_layer(backend):
    ids = np.array([[[1, 0, 2], [0, 0, 3]], [[4, 5, 0], [6, 0, 0]]])
    inputs = Input(shape=(2, 3), dtype="int32")
    emb = Embedding(7, 2, mask_zero=True)
    inner = ScaleByMask()
    model = Model(inputs, TimeDistributed(inner)(emb(inputs)))
    expected = emb.embeddings.numpy()[ids] * (ids != 0)[..., None]
    np.testing.assert_allclose(model.predict(ids), expected, rtol=1e-6)
    assert inner.seen == (4, 3)  # (batch * time, steps of the inner sequences)


def test_time_distributed_config_and_errors():
    td = TimeDistributed(Dense(2, use_bias=False), name="td")
    cfg = td.get_config()
    json.dumps(cfg)
    clone = TimeDistributed.from_config(cfg)
    assert isinstance(clone.layer, Dense) and clone.layer.units == 2 and clone.name == "td"
    with pytest.raises(ValueError, match="expected min_ndim=3"):
        TimeDistributed(Dense(2))(Input(shape=(4,)))
    with pytest.raises(ValueError, match="`keras_bridge.layers.Layer` instance"):
        TimeDistributed("dense")


@both_backends()
def test_time_distributed_agrees_across_engines():
    def make():
        inputs = Input(shape=(3, 4))
        return Model(inputs, TimeDistributed(Dense(2))(TimeDistributed(Dense(5))(inputs)))
    testing.assert_backends_agree(make, _rand(2, 3, 4))


# ---- Bidirectional over a small recurrent layer defined here -----------------------------
@saving.register_keras_serializable(package="test_wrappers")
class TinyRNN(Layer):
    """``h_t = tanh(x_t W + h_{t-1} U)``; masked steps keep ``h``. The interface of a
    Keras recurrent layer: go_backwards, return_sequences, return_state, mask,
    initial_state."""

    def __init__(self, units, go_backwards=False, return_sequences=False,
                 return_state=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.go_backwards = go_backwards
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                name="recurrent_kernel")

    def compute_output_shape(self, input_shape):
        out = (input_shape[0], input_shape[1], self.units) if self.return_sequences \
            else (input_shape[0], self.units)
        return [out, (input_shape[0], self.units)] if self.return_state else out

    def call(self, inputs, mask=None, training=None, initial_state=None):
        batch, steps = ops.shape(inputs)[0], ops.shape(inputs)[1]
        h = initial_state[0] if initial_state else ops.zeros((batch, self.units))
        outputs = []
        for t in (reversed(range(steps)) if self.go_backwards else range(steps)):
            new = ops.tanh(ops.matmul(inputs[:, t], self.kernel)
                           + ops.matmul(h, self.recurrent_kernel))
            h = new if mask is None else ops.where(ops.expand_dims(mask[:, t], -1), new, h)
            outputs.append(h)
        y = ops.stack(outputs, axis=1) if self.return_sequences else h
        return [y, h] if self.return_state else y

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "go_backwards": self.go_backwards,
                "return_sequences": self.return_sequences, "return_state": self.return_state}


def np_tiny_rnn(x, kernel, recurrent, go_backwards, mask=None, h=None):
    """(sequence of outputs in processing order, last state)."""
    h = np.zeros((x.shape[0], kernel.shape[1])) if h is None else h
    outputs = []
    steps = range(x.shape[1])
    for t in (reversed(steps) if go_backwards else steps):
        new = np.tanh(x[:, t] @ kernel + h @ recurrent)
        h = new if mask is None else np.where(mask[:, t, None], new, h)
        outputs.append(h)
    return np.stack(outputs, axis=1), h


def np_bidirectional(bi, x, mask=None, states=(None, None)):
    fk, fr, bk, br = bi.get_weights()
    seq_f, h_f = np_tiny_rnn(x, fk, fr, False, mask, states[0])
    seq_b, h_b = np_tiny_rnn(x, bk, br, True, mask, states[1])
    if bi.return_sequences:
        return seq_f, seq_b[:, ::-1], h_f, h_b
    return h_f, h_b, h_f, h_b


MERGES = {"concat": lambda a, b: np.concatenate([a, b], -1), "sum": np.add,
          "mul": np.multiply, "ave": lambda a, b: (a + b) / 2}


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_merge_modes(backend, merge_mode, return_sequences):
    bi = Bidirectional(TinyRNN(3, return_sequences=return_sequences), merge_mode=merge_mode)
    inputs = Input(shape=(4, 2))
    out = bi(inputs)
    steps = (4,) if return_sequences else ()
    units = 6 if merge_mode == "concat" else 3
    shapes = [o.shape for o in out] if isinstance(out, list) else [out.shape]
    assert shapes == [(None, *steps, units)] * (2 if merge_mode is None else 1)
    assert bi.forward_layer.name.startswith("forward_tiny_rnn")
    assert bi.backward_layer.go_backwards and not bi.forward_layer.go_backwards
    x = _rand(2, 4, 2)
    y_f, y_b, _, _ = np_bidirectional(bi, x)
    got = Model(inputs, out).predict(x)
    if merge_mode is None:
        np.testing.assert_allclose(got[0], y_f, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got[1], y_b, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(got, MERGES[merge_mode](y_f, y_b), rtol=1e-5, atol=1e-6)


def test_bidirectional_return_state_and_initial_state(backend):
    bi = Bidirectional(TinyRNN(3, return_sequences=True, return_state=True), merge_mode="sum")
    inputs = Input(shape=(4, 2))
    out = bi(inputs)
    assert [o.shape for o in out] == [(None, 4, 3), (None, 3), (None, 3)]
    x = _rand(2, 4, 2)
    y_f, y_b, h_f, h_b = np_bidirectional(bi, x)
    got = Model(inputs, out).predict(x)
    for g, want in zip(got, [y_f + y_b, h_f, h_b]):
        np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-6)
    # initial states: the first half for the forward layer, the rest for the backward one
    s_f, s_b = _rand(2, 3, seed=1), _rand(2, 3, seed=2)
    got = _numpy(bi(_tensor(x), initial_state=[_tensor(s_f), _tensor(s_b)]))
    y_f, y_b, h_f, h_b = np_bidirectional(bi, x, states=(s_f, s_b))
    for g, want in zip(got, [y_f + y_b, h_f, h_b]):
        np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-6)


def test_bidirectional_passes_the_mask_to_both_directions(backend):
    ids = np.array([[3, 1, 2, 0, 0], [4, 4, 0, 0, 0]])
    inputs = Input(shape=(5,), dtype="int32")
    emb = Embedding(5, 2, mask_zero=True)
    bi = Bidirectional(TinyRNN(3))
    model = Model(inputs, bi(emb(inputs)))
    x = emb.embeddings.numpy()[ids]
    y_f, y_b, _, _ = np_bidirectional(bi, x, mask=ids != 0)
    np.testing.assert_allclose(model.predict(ids), np.concatenate([y_f, y_b], -1),
                               rtol=1e-5, atol=1e-6)


def test_bidirectional_backward_layer_config_and_errors():
    forward = TinyRNN(2, return_sequences=True)
    backward = TinyRNN(2, return_sequences=True, go_backwards=True, name="mine")
    bi = Bidirectional(forward, backward_layer=backward, merge_mode="mul", name="bi")
    assert bi.backward_layer is backward
    bi(Input(shape=(3, 4)))
    assert [w.path for w in bi.weights] == [
        f"bi/{bi.forward_layer.name}/kernel", f"bi/{bi.forward_layer.name}/recurrent_kernel",
        "bi/mine/kernel", "bi/mine/recurrent_kernel"]
    cfg = bi.get_config()
    json.dumps(cfg)
    clone = Bidirectional.from_config(cfg)
    assert clone.get_config()["merge_mode"] == "mul"
    assert clone.forward_layer.name == bi.forward_layer.name
    assert clone.backward_layer.name == "mine" and clone.backward_layer.go_backwards
    with pytest.raises(ValueError, match="different `go_backwards`"):
        Bidirectional(forward, backward_layer=TinyRNN(2, return_sequences=True))
    with pytest.raises(ValueError, match="'return_sequences'"):
        Bidirectional(forward, backward_layer=TinyRNN(2, go_backwards=True))
    with pytest.raises(ValueError, match="Invalid merge mode"):
        Bidirectional(forward, merge_mode="max")
    with pytest.raises(ValueError, match="`go_backwards` attribute"):
        Bidirectional(Dense(2))


def test_bidirectional_weights_argument_and_inner_input_shape():
    values = [np.full((4, 2), 0.1), np.eye(2), np.full((4, 2), -0.1), 2 * np.eye(2)]
    bi = Bidirectional(TinyRNN(2, input_shape=(3, 4)), weights=values)
    assert bi._batch_input_shape == (None, 3, 4)
    bi(Input(shape=(3, 4)))
    for got, want in zip(bi.get_weights(), values):
        np.testing.assert_array_equal(got, want.astype("float32"))


@both_backends()
def test_bidirectional_agrees_across_engines():
    def make():
        inputs = Input(shape=(4, 2))
        y = Bidirectional(TinyRNN(3, return_sequences=True), merge_mode="ave")(inputs)
        return Model(inputs, Dense(1)(Flatten()(y)))
    testing.assert_backends_agree(make, _rand(3, 4, 2))


# ---- Bidirectional over the project's recurrent layers -----------------------------------
def _recurrent():
    return pytest.importorskip("keras_bridge.layers.recurrent")


@pytest.mark.parametrize("kind,merge_mode", [("LSTM", "concat"), ("GRU", "sum")])
def test_bidirectional_over_lstm_and_gru(backend, kind, merge_mode):
    """The wrapper's output is the merge of the forward layer's output and the backward
    layer's reversed output, each computed here by a standalone layer with the same
    weights."""
    cls = getattr(_recurrent(), kind)
    bi = Bidirectional(cls(3, return_sequences=True), merge_mode=merge_mode)
    inputs = Input(shape=(5, 2))
    model = Model(inputs, bi(inputs))
    x = _rand(2, 5, 2)
    forward = cls(3, return_sequences=True)
    backward = cls(3, return_sequences=True, go_backwards=True)
    y_f = Model(inputs, forward(inputs))
    y_b = Model(inputs, backward(inputs))
    n = len(bi.forward_layer.weights)
    forward.set_weights(bi.get_weights()[:n])
    backward.set_weights(bi.get_weights()[n:])
    want = MERGES[merge_mode](y_f.predict(x), y_b.predict(x)[:, ::-1])
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-5, atol=1e-6)


def test_bidirectional_lstm_ignores_padded_steps(backend):
    """With Embedding(mask_zero=True), post-padding changes nothing in either direction."""
    lstm = _recurrent().LSTM
    inputs = Input(shape=(6,), dtype="int32")
    emb = Embedding(8, 3, mask_zero=True)
    bi = Bidirectional(lstm(4), merge_mode="concat")
    model = Model(inputs, bi(emb(inputs)))
    short = Input(shape=(3,), dtype="int32")
    unpadded = Model(short, bi(emb(short)))
    ids = np.array([[5, 1, 7, 0, 0, 0], [2, 2, 3, 0, 0, 0]])
    np.testing.assert_allclose(model.predict(ids), unpadded.predict(ids[:, :3]), rtol=1e-5,
                               atol=1e-6)


@both_backends()
def test_bidirectional_lstm_agrees_across_engines():
    lstm = _recurrent().LSTM

    def make():
        inputs = Input(shape=(4, 3))
        y = Bidirectional(lstm(3, return_sequences=True))(inputs)
        return Model(inputs, TimeDistributed(Dense(1))(y))
    testing.assert_backends_agree(make, _rand(2, 4, 3), rtol=1e-5, atol=1e-5,
                                  grad_rtol=1e-4, grad_atol=1e-5)


def test_model_with_wrappers_saves_and_loads(tmp_path):
    inputs = Input(shape=(5,), dtype="int32")
    x = Embedding(9, 3, mask_zero=True)(inputs)
    x = Bidirectional(TinyRNN(2, return_sequences=True), merge_mode="sum")(x)
    model = Model(inputs, TimeDistributed(Dense(1))(Masking()(x)))
    ids = np.array([[1, 2, 3, 0, 0], [8, 7, 6, 5, 4]])
    want = model.predict(ids)
    model.save(tmp_path / "model.keras")
    loaded = saving.load_model(tmp_path / "model.keras")
    assert [type(l).__name__ for l in loaded.layers] == [
        "InputLayer", "Embedding", "Bidirectional", "Masking", "TimeDistributed"]
    np.testing.assert_allclose(loaded.predict(ids), want, rtol=1e-6, atol=1e-7)
