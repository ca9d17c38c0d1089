"""Recurrent layers (SimpleRNN, LSTM, GRU) on both engines, against a numpy step loop
written here.

The reference is Keras 3's cell math (keras/src/layers/rnn/*.py), in float64: LSTM
gates i, f, c, o; GRU gates z, r, h with ``reset_after`` either way; masked steps keep
the states and output the previous output. Nothing is computed by the code under test.
"""

import json

import numpy as np
import pytest

from keras_bridge import backends
from conftest import both_backends
from keras_bridge import Input, Model, config, ops, optimizers, testing
from keras_bridge.layers import GRU, LSTM, RNN, Dense, GRUCell, Layer, LSTMCell, SimpleRNN
from keras_bridge.layers import SimpleRNNCell
from keras_bridge.models import Sequential
from keras_bridge.utils import set_random_seed
from support.layer_checks import rand as _rand
from support.references import np_cell, np_rnn

RTOL, ATOL = 1e-5, 1e-5


# ---- helpers -----------------------------------------------------------------------------
_LAYERS = {"simple": SimpleRNN, "lstm": LSTM, "gru": GRU}


def _tensor(x):
    return backends.get(config.backend()).ops.convert_to_tensor(x)


def _numpy(out):
    if isinstance(out, (list, tuple)):
        return [ops.convert_to_numpy(o) for o in out]
    return ops.convert_to_numpy(out)


def _close(got, want, rtol=RTOL, atol=ATOL):
    got = np.asarray(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _make(kind, units=4, **kwargs):
    """A layer with a random bias (zeros would hide bias mistakes)."""
    kwargs.setdefault("bias_initializer", "random_normal")
    if kind == "lstm":
        kwargs.setdefault("unit_forget_bias", False)
    if kind == "gru_before":
        kind, kwargs["reset_after"] = "gru", False
    return _LAYERS[kind](units, **kwargs)


def _cell_kwargs(layer):
    return {"reset_after": layer.reset_after} if isinstance(layer, GRU) else {}


def _kind(layer):
    return {SimpleRNN: "simple", LSTM: "lstm", GRU: "gru"}[type(layer)]


def _check(layer, x, got, mask=None, initial=None):
    """Compare a return_sequences + return_state call with the numpy loop."""
    seq, states = np_rnn(_kind(layer), x, layer.get_weights()[:3 if layer.use_bias else 2],
                         initial=initial, mask=mask, go_backwards=layer.go_backwards,
                         zero_output=layer.zero_output_for_mask, **_cell_kwargs(layer))
    _close(got[0], seq)
    for g, s in zip(got[1:], states):
        _close(g, s)


# ---- outputs against numpy ---------------------------------------------------------------
@pytest.mark.parametrize("kind", ["simple", "lstm", "gru", "gru_before"])
def test_outputs_match_numpy(backend, kind):
    x = _rand(3, 5, 2)
    layer = _make(kind, return_sequences=True, return_state=True)
    got = _numpy(layer(_tensor(x)))
    assert len(got) == (3 if kind == "lstm" else 2)
    _check(layer, x, got)
    last = _make(kind)  # return_sequences=False: the last output
    last(_tensor(x))
    last.set_weights(layer.get_weights())
    _close(_numpy(last(_tensor(x))), got[0][:, -1])


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_go_backwards_with_initial_state(backend, kind):
    x = _rand(2, 4, 3)
    count = 2 if kind == "lstm" else 1
    initial = [_rand(2, 5, seed=i + 1) for i in range(count)]
    layer = _make(kind, 5, return_sequences=True, return_state=True, go_backwards=True)
    got = _numpy(layer(_tensor(x), initial_state=[_tensor(s) for s in initial]))
    _check(layer, x, got, initial=initial)


def test_activations_and_no_bias(backend):
    x = _rand(2, 3, 2)
    layer = SimpleRNN(3, activation="relu", use_bias=False, return_sequences=True,
                      return_state=True)
    got = _numpy(layer(_tensor(x)))
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel"]
    seq, (h,) = np_rnn("simple", x, layer.get_weights(), activation=lambda v: np.maximum(v, 0))
    _close(got[0], seq)
    layer = LSTM(3, activation="relu", recurrent_activation="sigmoid", use_bias=False,
                 return_sequences=True)
    got = _numpy(layer(_tensor(x)))
    _close(got, np_rnn("lstm", x, layer.get_weights(), activation=lambda v: np.maximum(v, 0))[0])


def test_symbolic_initial_state_in_a_model(backend):
    """The seq2seq pattern: an encoder's states start a decoder (one graph)."""
    enc_in, dec_in = Input(shape=(4, 3)), Input(shape=(2, 3))
    _, h, c = LSTM(5, return_state=True)(enc_in)
    decoder = LSTM(5, return_sequences=True)
    out = decoder(dec_in, initial_state=[h, c])
    assert out.shape == (None, 2, 5)
    model = Model([enc_in, dec_in], out)
    xe, xd = _rand(2, 4, 3), _rand(2, 2, 3, seed=1)
    _, states = np_rnn("lstm", xe, model.layers[2].get_weights())
    want, _ = np_rnn("lstm", xd, decoder.get_weights(), initial=states)
    _close(model.predict([xe, xd], verbose=0), want)


# ---- weights -----------------------------------------------------------------------------
def test_weight_shapes_and_initial_values():
    lstm, gru, gru_before, rnn = LSTM(3), GRU(3), GRU(3, reset_after=False), SimpleRNN(3)
    for layer in (lstm, gru, gru_before, rnn):
        layer(Input(shape=(None, 2)))
    assert [w.shape for w in lstm.weights] == [(2, 12), (3, 12), (12,)]
    assert [w.shape for w in gru.weights] == [(2, 9), (3, 9), (2, 9)]
    assert [w.shape for w in gru_before.weights] == [(2, 9), (3, 9), (9,)]
    assert [w.shape for w in rnn.weights] == [(2, 3), (3, 3), (3,)]
    assert [w.name for w in lstm.weights] == ["kernel", "recurrent_kernel", "bias"]
    np.testing.assert_array_equal(lstm.bias.numpy(), [0] * 3 + [1] * 3 + [0] * 6)  # forget
    recurrent = lstm.recurrent_kernel.numpy()  # orthogonal by default
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(3), atol=1e-5)


def test_weights_read_and_write_in_keras_layout(backend):
    """The torch storage of GRU is in torch's gate order; the Keras view round-trips."""
    layer = GRU(3)
    layer(_tensor(_rand(1, 2, 2)))
    new = [_rand(*w.shape, seed=i + 3) for i, w in enumerate(layer.weights)]
    layer.set_weights(new)
    for got, want in zip(layer.get_weights(), new):
        np.testing.assert_array_equal(got, want)


def test_same_seed_same_weights_on_both_engines():
    got = {}
    for name in backends.available():
        config.set_backend(name)
        set_random_seed(3)
        layer = GRU(3)
        layer(_tensor(_rand(1, 2, 2)))
        got[name] = layer.get_weights()
    for a, b in zip(*got.values()):
        np.testing.assert_array_equal(a, b)


# ---- masking -----------------------------------------------------------------------------
def _mask():
    """Right-padded, left-padded, all real, no real step, and a hole (not one block)."""
    mask = np.ones((5, 6), bool)
    mask[0, 4:] = False
    mask[1, :3] = False
    mask[3, :] = False
    mask[4, 2] = False
    return mask


@pytest.mark.parametrize("kind", ["simple", "lstm", "gru"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_mask_keeps_states_and_repeats_outputs(backend, kind, go_backwards):
    x, mask = _rand(5, 6, 2), _mask()
    layer = _make(kind, 3, return_sequences=True, return_state=True, go_backwards=go_backwards)
    got = _numpy(layer(_tensor(x), mask=_tensor(mask)))
    _check(layer, x, got, mask=mask)
    no_holes = mask[:4]  # one block per sample: torch's packed fused kernel
    got = _numpy(layer(_tensor(x[:4]), mask=_tensor(no_holes)))
    _check(layer, x[:4], got, mask=no_holes)


def test_padded_steps_do_not_change_the_result(backend):
    x = _rand(2, 6, 3)
    x[0, 4:], x[1, :2] = 99.0, -99.0  # padding values that would show if used
    mask = np.ones((2, 6), bool)
    mask[0, 4:], mask[1, :2] = False, False
    layer = LSTM(4)
    got = _numpy(layer(_tensor(x), mask=mask))  # a numpy mask is accepted too
    _close(got[0], _numpy(layer(_tensor(x[:1, :4])))[0])
    _close(got[1], _numpy(layer(_tensor(x[1:, 2:])))[0])


def test_zero_output_for_mask(backend):
    x, mask = _rand(4, 6, 2), _mask()[:4]
    layer = _make("gru", 3, return_sequences=True, return_state=True, zero_output_for_mask=True)
    got = _numpy(layer(_tensor(x), mask=_tensor(mask)))
    _check(layer, x, got, mask=mask)
    assert np.all(got[0][~mask] == 0)


class _ZeroStepMask(Layer):
    """Masks the steps whose features are all zero (like Masking(0.0))."""

    def call(self, inputs):
        return inputs

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, 0.0), axis=-1)


def test_mask_reaches_the_layer_in_a_model(backend):
    x = _rand(3, 5, 2)
    x[0, 3:], x[2, :1] = 0.0, 0.0
    inp = Input(shape=(5, 2))
    seq = LSTM(3, return_sequences=True)(_ZeroStepMask()(inp))
    model = Model(inp, seq)
    mask = np.any(x != 0, -1)
    assert model.layers[-1].compute_mask(None, mask) is mask
    assert LSTM(2).compute_mask(None, mask) is None
    want, _ = np_rnn("lstm", x, model.layers[-1].get_weights(), mask=mask)
    _close(model.predict(x, verbose=0), want)


# ---- torch: fused kernels and the step loop agree ------------------------------------------
@pytest.mark.parametrize("kind,kwargs,fused", [
    ("lstm", {}, "lstm"), ("gru", {}, "gru"), ("simple", {}, "rnn_tanh"),
    ("simple", {"activation": "relu"}, "rnn_relu"), ("lstm", {"use_bias": False}, "lstm"),
    ("gru", {"use_bias": False}, "gru"), ("gru_before", {}, None),
    ("lstm", {"recurrent_activation": "hard_sigmoid"}, None),
    ("simple", {"activation": "sigmoid"}, None),
    ("lstm", {"return_state": False}, "lstm"),  # masked: no packing (c is not needed)
    ("gru", {"return_sequences": False, "go_backwards": True}, "gru")])
def test_torch_fused_kernel_matches_step_loop(kind, kwargs, fused):
    torch = pytest.importorskip("torch")
    from keras_bridge.backends.torch.rnn_rules import fused_kind
    config.set_backend("torch")
    layer = _make(kind, 4, **{"return_sequences": True, "return_state": True, **kwargs})
    x, mask = torch.tensor(_rand(4, 6, 3)), torch.tensor(_mask()[:4])
    layer(x)
    module = layer._binding
    assert fused_kind(layer) == fused and module.fused == (fused is not None)
    names = [name for name, _ in module.named_parameters()]
    assert names == ["kernel", "recurrent_kernel"] + (["bias"] if layer.use_bias else [])

    def run(use_fused, **kw):
        module.fused = use_fused and fused is not None
        module.zero_grad()
        outs = module(x, **kw)
        outs = outs if isinstance(outs, list) else [outs]
        sum(((o * (i + 1)) ** 2).sum() for i, o in enumerate(outs)).backward()
        return [o.detach().numpy() for o in outs], [p.grad.numpy().copy()
                                                    for p in module.parameters()]

    for kw in ({}, {"mask": mask}):
        (out_f, grad_f), (out_l, grad_l) = run(True, **kw), run(False, **kw)
        for a, b in zip(out_f + grad_f, out_l + grad_l):
            _close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_torch_mixed_bfloat16_runs_the_fused_kernel_in_bfloat16(kind):
    """Under mixed_bfloat16 the fused module runs the kernel on bfloat16 casts of the
    inputs, states and float32 weights (as torch.autocast runs torch.lstm): bfloat16
    outputs, float32 gradients on the float32 weights, and the reference step loop's
    numbers (which reads the weights through the layer's autocast scope) within
    bfloat16's precision."""
    torch = pytest.importorskip("torch")
    from keras_bridge import mixed_precision
    config.set_backend("torch")
    mixed_precision.set_global_policy("mixed_bfloat16")
    layer = _make(kind, 4, return_sequences=True, return_state=True)
    x = torch.tensor(_rand(4, 6, 3))
    layer(x)
    module = layer._binding
    assert module.fused and module.compute == torch.bfloat16

    def run(use_fused):
        module.fused = use_fused
        module.zero_grad()
        outs = module(x)
        sum(((o.float() * (i + 1)) ** 2).sum() for i, o in enumerate(outs)).backward()
        return outs, [p.grad for p in module.parameters()]

    (out_f, grad_f), (out_l, grad_l) = run(True), run(False)
    assert all(o.dtype == torch.bfloat16 for o in out_f + out_l)  # both: Keras 3's dtype
    assert all(p.dtype == torch.float32 for p in module.parameters())
    assert all(g.dtype == torch.float32 for g in grad_f)
    for a, b in zip(out_f + grad_f, out_l + grad_l):
        _close(a.detach().float().numpy(), b.detach().float().numpy(), rtol=5e-2, atol=5e-2)


def test_torch_lstm_storage_is_torch_layout():
    torch = pytest.importorskip("torch")
    config.set_backend("torch")
    layer = LSTM(3)
    layer(torch.zeros(1, 2, 2))
    module = layer._binding
    assert tuple(module.kernel.shape) == (12, 2)
    assert module.kernel.data_ptr() == layer.kernel.value.data_ptr()  # a view, no copy
    np.testing.assert_array_equal(module.kernel.detach().numpy().T, layer.kernel.numpy())
    assert dict(module.named_buffers())["zero_bias"].abs().sum() == 0


# ---- stateful ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_stateful_carries_states_and_resets(backend, kind):
    x = _rand(2, 6, 3)
    layer = _make(kind, 4, stateful=True, return_sequences=True)
    first = _numpy(layer(_tensor(x[:, :3])))
    second = _numpy(layer(_tensor(x[:, 3:])))
    want, final = np_rnn(kind, x, layer.get_weights()[:3])
    _close(np.concatenate([first, second], 1), want)
    for state, value in zip(layer.states, final):
        _close(state.numpy(), value)
    assert not any(w.trainable for w in layer.states)
    layer.reset_states()
    assert all(np.all(w.numpy() == 0) for w in layer.states)
    _close(_numpy(layer(_tensor(x[:, :3]))), first)
    layer.reset_state(states=[np.ones(w.shape, "float32") for w in layer.states])
    start = [np.ones((2, 4))] * len(layer.states)
    _close(_numpy(layer(_tensor(x[:, :3]))),
           np_rnn(kind, x[:, :3], layer.get_weights()[:3], initial=start)[0])


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple"])
def test_stateful_states_are_variables_not_weights(backend, kind):
    """Keras 3 lists a stateful RNN's states in no weight list: ``get_weights`` of a
    stateful layer is the stateless one's, so weights move between the two (and Keras)."""
    x = _rand(2, 5, 3)
    stateful = _make(kind, 4, stateful=True)
    stateful(_tensor(x))
    plain = _make(kind, 4)
    plain(_tensor(x))
    assert [w.shape for w in stateful.get_weights()] == [w.shape for w in plain.get_weights()]
    assert len(stateful.weights) == 3 and stateful.non_trainable_weights == []
    assert [id(v) for v in stateful.non_trainable_variables] == [id(s) for s in stateful.states]
    stateful.set_weights(plain.get_weights())
    stateful.reset_states()
    _close(_numpy(stateful(_tensor(x))), _numpy(plain(_tensor(x))))
    model = Sequential([Input(batch_shape=(2, 5, 3)), _make(kind, 4, stateful=True)])
    assert model.count_params() == plain.count_params()


def test_stateful_in_training_and_sequential_tutorial(backend):
    """The stateful regressor's shape: batch_input_shape=, output_dim=, training steps
    carry the states across batches (no gradient through the previous batch)."""
    with pytest.warns(DeprecationWarning):
        rnn = SimpleRNN(batch_input_shape=(2, 3, 1), output_dim=4, return_sequences=True,
                        stateful=True)
    model = Sequential([rnn, Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
    x, y = _rand(2, 6, 1), _rand(2, 6, 1, seed=1)
    model.train_on_batch(x[:, :3], y[:, :3])
    _, (h,) = np_rnn("simple", x[:, :3], rnn.get_weights()[:3])
    _close(rnn.states[0].numpy(), h)
    model.train_on_batch(x[:, 3:], y[:, 3:])
    _close(rnn.states[0].numpy(), np_rnn("simple", x, rnn.get_weights()[:3])[1][0])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    model.train_on_batch(x[:, :3], y[:, :3])  # weights move; the graph still trains


def test_stateful_errors(backend):
    with pytest.raises(ValueError, match=r"'rnn'.*stateful.*fixed batch size"):
        LSTM(2, stateful=True, name="rnn")(Input(shape=(3, 2)))
    layer = GRU(2, stateful=True, name="g")
    layer(Input(batch_shape=(2, 3, 2)))
    with pytest.raises(ValueError, match=r"'g' is stateful with batch size 2.*3 samples"):
        layer(_tensor(_rand(3, 3, 2)))
    with pytest.raises(AttributeError, match="not stateful"):
        GRU(2).reset_states()
    with pytest.raises(ValueError, match="expects states of shapes"):
        layer.reset_states(states=[np.zeros((3, 2))])


# ---- dropout -----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{"dropout": 0.5}, {"recurrent_dropout": 0.5}])
def test_dropout_in_training_only(backend, kwargs):
    set_random_seed(1)
    x = _rand(3, 4, 5)
    layer = LSTM(6, **kwargs)
    inference = _numpy(layer(_tensor(x)))
    _close(inference, np_rnn("lstm", x, layer.get_weights())[0][:, -1])
    _close(_numpy(layer(_tensor(x), training=False)), inference)
    trained = _numpy(layer(_tensor(x), training=True))
    assert trained.shape == inference.shape and not np.allclose(trained, inference)


# ---- torch and JAX agree -----------------------------------------------------------------
@both_backends()
def test_parity_forward_and_gradients():
    set_random_seed(0)
    inp = Input(shape=(5, 3))
    seq = LSTM(4, return_sequences=True, bias_initializer="random_normal")(inp)
    outs = [GRU(3, bias_initializer="random_normal")(seq),
            GRU(3, reset_after=False, go_backwards=True)(seq),
            SimpleRNN(2, return_sequences=True, unroll=True)(seq),
            LSTM(2, return_state=True)(_ZeroStepMask()(seq))[2]]
    x = _rand(4, 5, 3)
    x[1, 3:] = 0.0
    testing.assert_backends_agree(Model(inp, outs), x, atol=1e-5, grad_rtol=1e-4,
                                  grad_atol=1e-5)


@both_backends()
def test_parity_training_step():
    """One SGD step leaves the same weights (torch's gate-permuted GRU storage included)."""
    x, y = _rand(4, 5, 2), _rand(4, 3, seed=1)
    results = []
    for name in backends.available():
        config.set_backend(name)
        set_random_seed(2)
        inp = Input(shape=(5, 2))
        seq = LSTM(4, return_sequences=True)(inp)
        model = Model(inp, GRU(3, kernel_constraint="max_norm")(seq))
        model.compile(optimizer=optimizers.Adam(learning_rate=0.1), loss="mse")
        model.train_on_batch(x, y)
        results.append(model.get_weights())
    for a, b in zip(*results):
        _close(a, b, rtol=1e-4, atol=1e-5)


# ---- cells and RNN(cell) -----------------------------------------------------------------
_CELLS = {"simple": SimpleRNNCell, "lstm": LSTMCell, "gru": GRUCell}


@pytest.mark.parametrize("kind", ["simple", "lstm", "gru"])
def test_rnn_of_a_cell_is_the_layer(backend, kind):
    x = _rand(2, 4, 2)
    cell = _CELLS[kind](3, bias_initializer="random_normal")
    layer = RNN(cell, return_sequences=True, return_state=True, go_backwards=True)
    got = _numpy(layer(_tensor(x)))
    assert [w.path for w in layer.weights] == [f"{layer.name}/{cell.name}/{n}" for n in
                                               ("kernel", "recurrent_kernel", "bias")]
    seq, states = np_rnn(kind, x, cell.get_weights(), go_backwards=True)
    _close(got[0], seq)
    for g, s in zip(got[1:], states):
        _close(g, s)
    zeros = [_tensor(np.zeros((2, 3), "float32"))] * len(states)  # one step on its own
    out, new = cell(_tensor(x[:, 0]), zeros)
    want, want_states = np_cell(kind, x[:, 0].astype(np.float64), [np.zeros((2, 3))] * 2,
                                *[np.asarray(w, np.float64) for w in cell.get_weights()])
    _close(_numpy(out), want)
    _close(_numpy(new[-1]), want_states[-1])


class MinimalRNNCell(Layer):
    """The cell of Keras's RNN docstring."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        output = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
        return output, [output]


def test_rnn_of_a_user_cell_with_mask(backend):
    x, mask = _rand(5, 6, 2), _mask()
    layer = RNN(MinimalRNNCell(3), return_sequences=True)
    got = _numpy(layer(_tensor(x), mask=_tensor(mask)))
    kernel, recurrent = layer.get_weights()
    want, _ = np_rnn("simple", x, [kernel, recurrent], mask=mask, activation=lambda v: v)
    _close(got, want)


def test_rnn_config_and_errors():
    layer = RNN(GRUCell(2, reset_after=False, dropout=0.1), return_sequences=True)
    cfg = layer.get_config()
    json.dumps(cfg)
    clone = RNN.from_config(cfg)
    assert isinstance(clone.cell, GRUCell) and clone.cell.reset_after is False
    assert clone.get_config()["cell"]["config"]["dropout"] == 0.1
    assert LSTMCell(2).get_config()["unit_forget_bias"] is True
    with pytest.raises(ValueError, match="state_size"):
        RNN(Dense(2))
    from keras_bridge.layers import StackedRNNCells
    assert isinstance(RNN([LSTMCell(2), LSTMCell(2)]).cell, StackedRNNCells)  # as Keras


@both_backends()
def test_parity_rnn_of_cells_with_dropout_off():
    set_random_seed(1)
    inp = Input(shape=(4, 2))
    seq = RNN(LSTMCell(3), return_sequences=True)(inp)
    out = RNN(MinimalRNNCell(2), unroll=True)(RNN(GRUCell(3), return_sequences=True)(seq))
    testing.assert_backends_agree(Model(inp, out), _rand(3, 4, 2), atol=1e-5,
                                  grad_rtol=1e-4, grad_atol=1e-5)


def test_cell_dropout_mask_is_one_per_sequence(backend):
    """Inside RNN the input dropout mask is drawn once: a constant input sequence gives
    the same projected input at every step, so with zero recurrent weights every step's
    output is the same."""
    cell = SimpleRNNCell(4, dropout=0.5, recurrent_initializer="zeros")
    layer = RNN(cell, return_sequences=True)
    x = np.ones((2, 5, 6), "float32")
    got = _numpy(layer(_tensor(x), training=True))
    np.testing.assert_allclose(got, np.repeat(got[:, :1], 5, axis=1), rtol=1e-6)
    assert not np.allclose(got, _numpy(layer(_tensor(x))))
    assert cell.sequence_masks is None


# ---- config, legacy spellings, errors ------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: SimpleRNN(3, activation="relu", dropout=0.1, return_sequences=True, name="r"),
    lambda: LSTM(3, unit_forget_bias=False, recurrent_regularizer="l2", go_backwards=True),
    lambda: GRU(3, reset_after=False, stateful=True, unroll=True, kernel_constraint="non_neg")],
    ids=["SimpleRNN", "LSTM", "GRU"])
def test_config_roundtrip(make):
    layer = make()
    cfg = layer.get_config()
    json.dumps(cfg)
    clone = type(layer).from_config(cfg)
    assert clone.get_config() == cfg


def test_defaults_follow_keras():
    cfg = LSTM(2).get_config()
    assert (cfg["activation"], cfg["recurrent_activation"]) == ("tanh", "sigmoid")
    assert cfg["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert cfg["unit_forget_bias"] is True and cfg["return_sequences"] is False
    assert GRU(2).reset_after is True
    assert SimpleRNN(2).get_config()["activation"] == "tanh"


def test_keras1_spellings_warn():
    with pytest.warns(DeprecationWarning, match="output_dim"):
        layer = LSTM(output_dim=3)
    assert layer.units == 3
    with pytest.warns(DeprecationWarning):
        layer = GRU(3, inner_activation="hard_sigmoid", dropout_U=0.2, input_dim=2,
                    input_length=4)
    assert layer.recurrent_dropout == 0.2 and layer._batch_input_shape == (None, 4, 2)
    assert layer.get_config()["recurrent_activation"] == "hard_sigmoid"
    LSTM(2, implementation=1)  # Keras 2/3 accept it silently


def test_errors(backend):
    with pytest.raises(ValueError, match="units"):
        LSTM(0)
    with pytest.raises(ValueError, match="dropout"):
        GRU(2, dropout=1.5)
    with pytest.raises(ValueError, match=r"'lstm_x'.*expected ndim=3, found ndim=2"):
        LSTM(2, name="lstm_x")(Input(shape=(4,)))
    layer = SimpleRNN(2, name="s")
    layer(Input(shape=(3, 4)))
    with pytest.raises(ValueError, match=r"'s'.*expected ndim=3, found ndim=2"):
        layer(_tensor(_rand(2, 4)))
    with pytest.raises(ValueError, match=r"'s'.*axis -1.*value 4"):
        layer(_tensor(_rand(2, 3, 5)))
    with pytest.raises(ValueError, match="has 2 state"):
        LSTM(2)(Input(shape=(3, 4)), initial_state=[Input(shape=(2,))])
    with pytest.raises(ValueError, match=r"initial state.*expected \(batch_size, 2\)"):
        GRU(2)(Input(shape=(3, 4)), initial_state=[Input(shape=(3,))])


def test_model_reset_states_and_evaluate_carry_state(backend):
    """The stateful carry survives predict and evaluate on every engine, and
    model.reset_states() clears it."""
    from keras_bridge.layers import SimpleRNN
    from keras_bridge.models import Sequential
    model = Sequential([SimpleRNN(3, stateful=True, input_shape=(2, 1), batch_size=1,
                                  kernel_initializer="ones", recurrent_initializer="ones")])
    model.compile("sgd", "mse")
    x = np.ones((1, 2, 1), np.float32)
    first = model.predict(x)
    second = model.predict(x)
    assert not np.allclose(first, second)  # the state carried over
    model.reset_states()
    np.testing.assert_allclose(model.predict(x), first, rtol=1e-6)
    model.reset_states()
    model.evaluate(x, np.zeros((1, 3), np.float32), verbose=0)
    np.testing.assert_allclose(model.predict(x), second, rtol=1e-6)
