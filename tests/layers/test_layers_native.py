"""TorchModuleWrapper (torch) and JaxLayer (JAX): they train inside models and match the
same math written in plain torch / plain JAX; each is a clear error on the other engine."""

import numpy as np
import pytest

from keras_bridge import config, layers, optimizers
from keras_bridge.models import Sequential
from keras_bridge.utils import set_random_seed

RNG = np.random.default_rng(5)
X = RNG.normal(size=(8, 3)).astype(np.float32)
Y = RNG.normal(size=(8, 2)).astype(np.float32)
LR = 0.1


# ---- TorchModuleWrapper ----------------------------------------------------------------

def test_torch_module_wrapper_trains_like_plain_torch():
    torch = pytest.importorskip("torch")
    config.set_backend("torch")
    torch.manual_seed(0)
    linear = torch.nn.Linear(3, 4)
    twin = torch.nn.Linear(3, 4)
    twin.load_state_dict(linear.state_dict())
    set_random_seed(1)
    model = Sequential([layers.Input((3,)), layers.TorchModuleWrapper(linear),
                        layers.Dense(2)])
    wrapper, dense = model.layers
    assert [w.shape for w in wrapper.trainable_weights] == [(4, 3), (4,)]
    assert model.count_params() == 16 + 10
    kernel, bias = (torch.tensor(a, requires_grad=True) for a in dense.get_weights())
    model.compile(optimizers.SGD(LR), "mse")
    model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    # the same steps in plain torch
    params = list(twin.parameters()) + [kernel, bias]
    opt = torch.optim.SGD(params, lr=LR)
    for _ in range(2):
        for i in range(0, 8, 4):
            out = twin(torch.tensor(X[i:i + 4])) @ kernel + bias
            loss = torch.nn.functional.mse_loss(out, torch.tensor(Y[i:i + 4]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    # the wrapped module itself was trained: its Parameters are the weights' storage
    np.testing.assert_allclose(linear.weight.detach().numpy(), twin.weight.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(wrapper.get_weights()[1], twin.bias.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dense.get_weights()[0], kernel.detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_torch_module_wrapper_modes_config_and_errors():
    torch = pytest.importorskip("torch")
    config.set_backend("torch")
    drop = layers.TorchModuleWrapper(torch.nn.Dropout(0.5), output_shape=(None, 6))
    x = np.ones((4, 6), np.float32)
    np.testing.assert_array_equal(drop(x, training=False).numpy(), x)  # eval() mode
    assert (drop(x, training=True).numpy() == 0).any()  # train() mode
    wrapper = layers.TorchModuleWrapper(torch.nn.Linear(3, 2), name="lin")
    assert wrapper.compute_output_shape((None, 3)) == (None, 2)  # by running it
    copy = layers.TorchModuleWrapper.from_config(wrapper.get_config())
    assert copy.module is not wrapper.module
    np.testing.assert_array_equal(copy.module.weight.detach().numpy(),
                                  wrapper.module.weight.detach().numpy())
    with pytest.raises(ValueError, match="expects a torch.nn.Module"):
        layers.TorchModuleWrapper(np.ones(3))
    with pytest.raises(ValueError, match="LazyModules are not supported"):
        layers.TorchModuleWrapper(torch.nn.LazyLinear(2))
    model = Sequential([layers.Input((3,)), wrapper])
    with pytest.raises(ValueError, match="does not write into files"):
        model.save("never.keras")
    with pytest.raises(ValueError, match="only supported with the torch backend"):
        model.to_backend("jax").predict(X, verbose=0)
    config.set_backend("jax")
    with pytest.raises(ValueError, match="TorchModuleWrapper is only supported with the "
                                         "torch backend. Current backend: jax"):
        layers.TorchModuleWrapper(torch.nn.Linear(3, 2))


# ---- JaxLayer ----------------------------------------------------------------------------

def _init(rng, inputs):
    return {"w": 0.5 * jax_random().normal(rng, (inputs.shape[-1], 2)),
            "b": np.zeros(2, np.float32)}


def _call(params, inputs):
    return inputs @ params["w"] + params["b"]


def jax_random():
    import jax
    return jax.random


def test_jax_layer_with_init_fn_trains_like_a_jax_loop():
    jax = pytest.importorskip("jax")
    config.set_backend("jax")
    set_random_seed(2)
    layer = layers.JaxLayer(_call, init_fn=_init)
    model = Sequential([layers.Input((3,)), layer])
    assert sorted(w.shape for w in model.trainable_weights) == [(2,), (3, 2)]
    params = {k: jax.numpy.asarray(w.numpy()) for k, w in layer.params.items()}
    model.compile(optimizers.SGD(LR), "mse")
    model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)

    def loss(p, x, y):
        return jax.numpy.mean((_call(p, x) - y) ** 2)

    for _ in range(2):
        for i in range(0, 8, 4):
            grads = jax.grad(loss)(params, X[i:i + 4], Y[i:i + 4])
            params = jax.tree_util.tree_map(lambda p, g: p - LR * g, params, grads)
    for name in ("w", "b"):
        np.testing.assert_allclose(layer.params[name].numpy(), np.asarray(params[name]),
                                   rtol=1e-5, atol=1e-6)
    # the same seed gives the same init_fn key
    set_random_seed(2)
    again = layers.JaxLayer(_call, init_fn=_init)
    again.build((None, 3))
    set_random_seed(2)
    fresh = layers.JaxLayer(_call, init_fn=_init)
    fresh.build((None, 3))
    np.testing.assert_array_equal(again.params["w"].numpy(), fresh.params["w"].numpy())


def test_jax_layer_state_and_rng():
    jax = pytest.importorskip("jax")
    config.set_backend("jax")

    def call(params, state, rng, inputs, training):
        noise = jax.random.normal(rng, inputs.shape) if training else 0.0
        return inputs * params + 0.0 * noise, state + 1.0

    layer = layers.JaxLayer(call, params=np.ones(3, np.float32),
                            state=np.zeros((), np.float32), seed=7)
    assert layer.built and [w.trainable for w in layer.weights] == [True, False, False]
    model = Sequential([layers.Input((3,)), layer])
    model.compile(optimizers.SGD(LR), "mse")
    model.fit(X, X, batch_size=4, epochs=1, verbose=0)  # two steps
    assert layer.state.numpy() == 2.0  # the new state of each step was kept
    np.testing.assert_array_equal(layer.rng_state.numpy(), [7, 2])  # a key per step
    np.testing.assert_allclose(model.predict(X, verbose=0), X, rtol=1e-6)  # w stays 1


def test_jax_layer_argument_checks_and_wrong_engine():
    pytest.importorskip("jax")
    config.set_backend("jax")
    with pytest.raises(ValueError, match="Missing required argument in `call_fn`: `inputs`"):
        layers.JaxLayer(lambda params, x: x, params=np.ones(2))
    with pytest.raises(ValueError, match="Unsupported argument in `call_fn`: `x`"):
        layers.JaxLayer(lambda inputs, x: x)
    with pytest.raises(ValueError, match="cannot all be `None`"):
        layers.JaxLayer(_call)
    config.set_backend("torch")
    with pytest.raises(ValueError, match="JaxLayer is only supported with the jax backend. "
                                         "Current backend: torch"):
        layers.JaxLayer(_call, init_fn=_init)
