"""Model.add_loss with symbolic tensors, compile() without a loss, fit/evaluate without
targets: the Keras 2 variational-autoencoder pattern."""

import numpy as np
import pytest

from keras_bridge import backend as K
from keras_bridge import metrics
from keras_bridge.layers import Dense, Input
from keras_bridge.models import Model, load_model

DIM, LATENT = 6, 2


def _deterministic_vae():
    """Encoder -> z_mean, z_log_var; decoder on z_mean (no sampling noise, so the loss
    has one value); the VAE loss added with add_loss."""
    x = Input((DIM,))
    h = Dense(5, activation="relu", name="h")(x)
    z_mean = Dense(LATENT, name="z_mean")(h)
    z_log_var = Dense(LATENT, name="z_log_var")(h)
    decoded = Dense(DIM, activation="sigmoid", name="decoded")(z_mean)
    model = Model(x, decoded)
    xent = DIM * metrics.binary_crossentropy(x, decoded)
    kl = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
    model.add_loss(K.mean(xent + kl))
    return model


def _numpy_vae_loss(model, x):
    w1, b1, wm, bm, wv, bv, wd, bd = [w for name in ("h", "z_mean", "z_log_var", "decoded")
                                      for w in model.get_layer(name).get_weights()]
    h = np.maximum(x @ w1 + b1, 0)
    z_mean, z_log_var = h @ wm + bm, h @ wv + bv
    p = np.clip(1 / (1 + np.exp(-(z_mean @ wd + bd))), 1e-7, 1 - 1e-7)
    xent = DIM * -(x * np.log(p + 1e-7) + (1 - x) * np.log(1 - p + 1e-7)).mean(-1)
    kl = -0.5 * (1 + z_log_var - z_mean ** 2 - np.exp(z_log_var)).sum(-1)
    return float((xent + kl).mean())


def _binary(n, seed=0):
    return (np.random.default_rng(seed).random((n, DIM)) > 0.5).astype(np.float32)


def test_added_loss_value_matches_numpy(backend):
    model = _deterministic_vae()
    model.compile(optimizer="rmsprop")
    x = _binary(10)
    want = _numpy_vae_loss(model, x)
    np.testing.assert_allclose(model.evaluate(x, verbose=0, batch_size=10), want, rtol=1e-5)
    np.testing.assert_allclose(model.test_on_batch(x), want, rtol=1e-5)
    np.testing.assert_allclose(model.train_on_batch(x), want, rtol=1e-5)  # before the step


def test_vae_pattern_trains_without_targets(backend):
    model = _deterministic_vae()
    model.compile(optimizer="rmsprop")
    x = _binary(64)
    history = model.fit(x, shuffle=True, epochs=6, batch_size=16, verbose=0,
                        validation_data=(x[:16], None))
    loss = history.history["loss"]
    assert loss[-1] < loss[0] and len(history.history["val_loss"]) == 6
    assert model.fit(x, None, epochs=1, verbose=0).history["loss"][0] < loss[0]


def test_batches_without_targets_train_on_the_added_loss(backend):
    """A generator or Sequence of bare x batches: the same steps as the arrays."""
    from keras_bridge.utils import Sequence, set_random_seed
    x = _binary(32)

    class Batches(Sequence):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[8 * i:8 * (i + 1)]

    models = []
    for fit in (lambda m: m.fit(x, batch_size=8, epochs=2, shuffle=False, verbose=0),
                lambda m: m.fit(Batches(), epochs=2, shuffle=False, verbose=0,
                                validation_data=Batches()),
                lambda m: m.fit(((x[8 * (i % 4):8 * (i % 4) + 8],) for i in range(8)),
                                steps_per_epoch=4, epochs=2, verbose=0)):
        set_random_seed(5)
        model = _deterministic_vae()
        model.compile(optimizer="sgd")
        fit(model)
        models.append(model)
    for other in models[1:]:
        for a, b in zip(models[0].get_weights(), other.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(models[1].evaluate(Batches(), verbose=0),
                               _numpy_vae_loss(models[1], x), rtol=1e-5)


def test_added_loss_adds_to_a_compiled_loss(backend):
    x = Input((3,))
    y = Dense(2)(x)
    model = Model(x, y)
    model.add_loss(0.5 * K.sum(K.square(y), axis=-1))  # a per-sample tensor: its mean
    model.compile("sgd", "mse")
    xs = np.random.default_rng(1).random((8, 3)).astype(np.float32)
    ys = np.ones((8, 2), np.float32)
    kernel, bias = model.get_weights()
    z = xs @ kernel + bias
    want = ((z - ys) ** 2).mean() + 0.5 * (z ** 2).sum(-1).mean()
    np.testing.assert_allclose(model.evaluate(xs, ys, verbose=0), want, rtol=1e-5)
    with pytest.raises(ValueError, match="needs targets"):
        model.fit(xs, verbose=0)
    with pytest.raises(ValueError, match=r"needs batches \(x, y\)"):
        model.fit(iter([xs]), steps_per_epoch=1, verbose=0)


def test_added_loss_survives_saving(backend, tmp_path):
    model = _deterministic_vae()
    model.compile(optimizer="rmsprop")
    x = _binary(8)
    path = tmp_path / "vae.keras"
    model.save(path)
    loaded = load_model(path)
    assert len(loaded.losses) == 1
    np.testing.assert_allclose(loaded.evaluate(x, verbose=0),
                               _numpy_vae_loss(model, x), rtol=1e-5)


def test_add_loss_and_compile_errors(backend):
    x, other = Input((3,)), Input((3,))
    model = Model(x, Dense(2)(x))
    with pytest.raises(ValueError, match="needs a loss"):
        model.compile("sgd")
    model.add_loss(K.mean(model.output))
    model.compile("sgd", metrics=["mae"])
    with pytest.raises(ValueError, match=r"compile\(metrics=\['mae'\]\).*no targets"):
        model.fit(np.ones((4, 3), np.float32), verbose=0)
    model.fit(np.ones((4, 3), np.float32), np.ones((4, 2), np.float32), verbose=0)
    with pytest.raises(ValueError, match="Graph disconnected"):
        model.add_loss(K.mean(other))
    assert len(model.losses) == 1


def _subclassed(adds_loss):
    from keras_bridge import Model as Base
    from keras_bridge import ops

    class Net(Base):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = Dense(2)

        def call(self, x):
            y = self.dense(x)
            if adds_loss:
                self.add_loss(ops.mean(ops.square(y)))
            return y

    return Net()


def test_subclassed_model_trains_on_the_loss_its_call_adds(backend):
    """Keras 3: compile() without a loss when call() adds one."""
    model = _subclassed(adds_loss=True)
    model.compile(optimizer="sgd")
    x = np.random.default_rng(2).random((8, 3)).astype(np.float32)
    history = model.fit(x, epochs=3, batch_size=8, verbose=0)
    kernel, bias = model.get_weights()
    want = float(((x @ kernel + bias) ** 2).mean())
    np.testing.assert_allclose(model.evaluate(x, verbose=0), want, rtol=1e-5)
    loss = history.history["loss"]
    assert loss[2] < loss[0]


def test_subclassed_model_without_any_loss_is_an_error(backend):
    model = _subclassed(adds_loss=False)
    model.compile(optimizer="sgd")
    x = np.ones((4, 3), np.float32)
    model.predict(x)
    before = model.get_weights()
    with pytest.raises(ValueError, match="no loss to minimize"):
        model.fit(x, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
