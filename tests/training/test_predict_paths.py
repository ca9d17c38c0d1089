"""predict's short path (data that fits one batch, no bar, no callbacks), the batched
loop and predict_on_batch give the same outputs, from any host array, and leave the
process's SIGINT handler as they found it."""

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


@pytest.mark.parametrize("kind", ["big-endian", "read-only", "reversed", "float64"])
def test_predict_takes_any_host_array(backend, kind):
    model = _model()
    base = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
    x = {"big-endian": lambda: base.astype(">f4"),
         "read-only": lambda: np.frombuffer(base.tobytes(), np.float32).reshape(3, 4),
         "reversed": lambda: base[::-1, ::-1],
         "float64": lambda: base.astype(np.float64)}[kind]()
    want = _numpy_forward(model, np.ascontiguousarray(x, np.float32))
    for got in (model.predict(x, verbose=0), model.predict_on_batch(x)):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


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
            np.testing.assert_array_equal(got.numpy(), np.asarray(value, np.float32),
                                          err_msg=name)
    assert host_to_device(x, "cpu", torch.float64).dtype == torch.float64
