"""predict's short path (data that fits one batch, no bar, no callbacks), the batched
loop and predict_on_batch give the same outputs, from any host array, and leave the
process's SIGINT handler as they found it. After a first call, calls like it take
``models/quick_predict.py``'s path: it must follow everything the general path reads
(weights, compile settings, the graph, a distribution) and leave every other call,
errors included, to the general path."""

import signal

import numpy as np
import pytest

from keras_bridge.layers import Dense, Input
from keras_bridge.models import Sequential


def _model():
    return Sequential([Input((4,)), Dense(6, activation="relu"),
                       Dense(3, activation="softmax")])


def _numpy_forward(model, x):
    w1, b1, w2, b2 = model.get_weights()
    logits = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_one_batch_the_loop_and_predict_on_batch_agree(backend):
    model = _model()
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    want = _numpy_forward(model, x)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x, batch_size=2, verbose=0), want, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x), want, rtol=1e-5, atol=1e-6)
    seen = []
    from keras_bridge.callbacks import LambdaCallback
    hook = LambdaCallback(on_predict_batch_end=lambda batch, logs: seen.append(batch))
    np.testing.assert_allclose(model.predict(x, verbose=0, callbacks=[hook]), want,
                               rtol=1e-5, atol=1e-6)
    assert seen == [0]  # a callback still gets its hooks on one batch


@pytest.mark.parametrize("warm", [False, True], ids=["first-call", "after-a-call"])
@pytest.mark.parametrize("kind", ["big-endian", "read-only", "reversed", "float64"])
def test_predict_takes_any_host_array(backend, kind, warm):
    model = _model()
    base = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
    if warm:
        model.predict(base, verbose=0)
    x = {"big-endian": lambda: base.astype(">f4"),
         "read-only": lambda: np.frombuffer(base.tobytes(), np.float32).reshape(3, 4),
         "reversed": lambda: base[::-1, ::-1],
         "float64": lambda: base.astype(np.float64)}[kind]()
    want = _numpy_forward(model, np.ascontiguousarray(x, np.float32))
    for got in (model.predict(x, verbose=0), model.predict_on_batch(x)):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _close(got, want):
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_later_calls_follow_the_weights_the_graph_and_the_batch_size(backend):
    model = _model()
    x = np.random.default_rng(2).normal(size=(5, 4)).astype(np.float32)
    _close(model.predict(x, verbose=0), _numpy_forward(model, x))
    assert model._quick_predict is not None  # the short path is armed for such calls
    model.set_weights([w * 1.5 for w in model.get_weights()])
    _close(model.predict(x, verbose=0), _numpy_forward(model, x))
    _close(model.predict_on_batch(x[:1]), _numpy_forward(model, x[:1]))
    many = np.concatenate([x] * 10)  # 50 samples: predict's loop, one call for predict_on_batch
    _close(model.predict(many, verbose=0), _numpy_forward(model, many))
    _close(model.predict_on_batch(many), _numpy_forward(model, many))
    with pytest.raises(ValueError, match=r"expected shape \(None, 4\), received shape "
                                         r"\(5, 3\)"):
        model.predict(x[:, :3], verbose=0)
    with pytest.raises(ValueError, match="empty input data"):
        model.predict(x[:0], verbose=0)
    model.add(Dense(2))  # a new graph, a new program
    assert model.predict(x, verbose=0).shape == (5, 2)
    assert model.predict_on_batch(x).shape == (5, 2)


def test_later_calls_follow_compile_settings(backend):
    from keras_bridge.layers import Layer

    class Counting(Layer):  # counts its eager runs (a jitted call runs it once, traced)
        runs = 0

        def call(self, x):
            Counting.runs += 1
            return x * 2.0

    from keras_bridge.models import Model
    inputs = Input((3,))
    model = Model(inputs, Counting()(inputs))
    x = np.ones((2, 3), np.float32)
    model.compile("sgd", "mse")
    _close(model.predict(x, verbose=0), 2 * x)
    model.run_eagerly = True
    before = Counting.runs
    for _ in range(3):
        _close(model.predict(x, verbose=0), 2 * x)
        _close(model.predict_on_batch(x), 2 * x)
    assert Counting.runs - before == 6  # every call ran op by op


def test_later_calls_see_a_distribution_set_after_binding(backend):
    from keras_bridge import distribution
    model = _model()
    x = np.zeros((4, 4), np.float32)
    model.predict(x, verbose=0)
    distribution.set_distribution(distribution.DataParallel(devices=["cpu:0"]))
    try:
        for call in (lambda: model.predict(x, verbose=0), lambda: model.predict_on_batch(x)):
            with pytest.raises(RuntimeError, match="bound to its engine under distribution"):
                call()
    finally:
        distribution.set_distribution(None)


def test_a_copy_on_the_other_engine_predicts_with_its_own_program(backend):
    model = _model()
    x = np.random.default_rng(3).normal(size=(2, 4)).astype(np.float32)
    model.predict(x, verbose=0)
    other = "jax" if backend == "torch" else "torch"
    from keras_bridge import backends
    if other not in backends.available():
        pytest.skip(f"{other} is not installed")
    copy = model.to_backend(other)
    copy.set_weights([w + 1.0 for w in model.get_weights()])
    _close(copy.predict(x, verbose=0), _numpy_forward(copy, x))
    _close(model.predict(x, verbose=0), _numpy_forward(model, x))  # the original unchanged


def test_a_stateful_model_keeps_carrying_its_state(backend):
    from keras_bridge.layers import SimpleRNN
    model = Sequential([Input(batch_shape=(1, 2, 3)),
                        SimpleRNN(4, stateful=True, kernel_initializer="ones",
                                  recurrent_initializer="ones")])
    x = np.full((1, 2, 3), 0.1, np.float32)
    first = model.predict(x, verbose=0)
    second = model.predict(x, verbose=0)
    assert model._quick_predict is None  # inference writes state: the guarded path
    assert model._quick_refused is model._program  # decided once for this program
    assert not np.allclose(first, second)  # the second call started from the first's state
    model.reset_states()
    _close(model.predict_on_batch(x), first)


@pytest.mark.parametrize("handler", [signal.SIG_IGN, signal.SIG_DFL, "default"])
def test_predict_puts_back_the_sigint_handler(backend, handler):
    model = _model()
    x = np.zeros((2, 4), np.float32)
    before = signal.getsignal(signal.SIGINT)
    try:
        if handler != "default":
            signal.signal(signal.SIGINT, handler)
        expected = signal.getsignal(signal.SIGINT)
        model.predict(x, verbose=0)
        model.predict(x, verbose=0)  # the short path too
        model.predict(x, batch_size=1, verbose=0)
        model.predict_on_batch(x)
        assert signal.getsignal(signal.SIGINT) == expected
    finally:
        signal.signal(signal.SIGINT, before)


def test_torch_host_to_device_converts_what_torch_cannot_take():
    torch = pytest.importorskip("torch")
    ml_dtypes = pytest.importorskip("ml_dtypes")
    from keras_bridge.backends.torch.tensors import host_to_device
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    cases = {"bfloat16": x.astype(ml_dtypes.bfloat16), "big-endian": x.astype(">f4"),
             "reversed": x[::-1].copy()[::-1], "0-d": np.float32(2.5)}
    for name, value in cases.items():
        for device in ("cpu", torch.device("cpu")):
            got = host_to_device(value, device)
            assert got.device.type == "cpu", name
            # bfloat16 stays bfloat16 (its bits viewed as torch's); the rest float32
            assert got.dtype == (torch.bfloat16 if name == "bfloat16" else torch.float32)
            np.testing.assert_array_equal(got.float().numpy(), np.asarray(value, np.float32),
                                          err_msg=name)
    assert host_to_device(x, "cpu", torch.float64).dtype == torch.float64
