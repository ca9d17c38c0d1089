"""A torch-bound model where torch code expects an nn.Module (Keras 3's torch guides),
and fit / evaluate / predict on torch DataLoaders (either engine)."""

import warnings

import numpy as np
import pytest

from keras_bridge import config, layers, optimizers
from keras_bridge.models import Sequential
from keras_bridge.utils import PyDataset, set_random_seed

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

RNG = np.random.default_rng(3)
X = RNG.normal(size=(12, 3)).astype(np.float32)
Y = RNG.normal(size=(12, 2)).astype(np.float32)
SW = RNG.uniform(0.5, 2.0, size=12).astype(np.float32)
LR = 0.1


def _dense(seed=1):
    set_random_seed(seed)
    return Sequential([layers.Input((3,)), layers.Dense(2)])


def _numpy_sgd(kernel, bias, steps, batch=4):
    """Plain SGD on the mean squared error, by hand, batches in order."""
    for _ in range(steps):
        for i in range(0, len(X), batch):
            x, y = X[i:i + batch], Y[i:i + batch]
            err = x @ kernel + bias - y
            grad = 2 * err / err.size
            kernel, bias = kernel - LR * x.T @ grad, bias - LR * grad.sum(0)
    return kernel, bias


@pytest.fixture
def on_torch():
    config.set_backend("torch")


def test_torch_loop_over_parameters_matches_fit_and_numpy(on_torch):
    model, reference = _dense(), _dense()
    kernel, bias = model.get_weights()
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    for _ in range(2):
        for i in range(0, len(X), 4):
            out = model(torch.tensor(X[i:i + 4]))
            loss = torch.nn.functional.mse_loss(out, torch.tensor(Y[i:i + 4]))
            model.zero_grad()
            loss.backward()
            opt.step()
    reference.compile(optimizers.SGD(LR), "mse")
    reference.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    want_kernel, want_bias = _numpy_sgd(kernel, bias, 2)
    for got, fit_w, want in zip(model.get_weights(), reference.get_weights(),
                                (want_kernel, want_bias)):
        np.testing.assert_allclose(got, fit_w, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_parameters_are_the_engines_storage(on_torch):
    set_random_seed(0)
    model = Sequential([layers.Input((3,)), layers.Dense(2), layers.BatchNormalization(),
                        layers.Dense(1)])
    names = [n for n, _ in model.named_parameters()]
    scope = model.name  # the weights' paths (Keras 3's: a Sequential's scope first)
    assert names == [f"{scope}/{p}" for p in (
        "dense/kernel", "dense/bias", "batch_normalization/gamma", "batch_normalization/beta",
        "dense_1/kernel", "dense_1/bias")]
    assert [n for n, _ in model.named_buffers()] == [
        f"{scope}/batch_normalization/moving_mean",
        f"{scope}/batch_normalization/moving_variance"]
    with torch.no_grad():
        dict(model.named_parameters())[f"{scope}/dense/bias"].fill_(0.25)
    np.testing.assert_array_equal(model.layers[0].bias.numpy(), [0.25, 0.25])
    # state_dict / load_state_dict round trip, and torch's own key check
    state = {k: v.clone() for k, v in model.state_dict().items()}
    model.layers[0].set_weights([np.zeros((3, 2), "f"), np.ones(2, "f")])
    model.load_state_dict(state)
    np.testing.assert_array_equal(model.layers[0].bias.numpy(), [0.25, 0.25])
    with pytest.raises(RuntimeError, match="Missing key"):
        model.load_state_dict({})
    assert model.train() is model and model.eval() is model  # harmless
    np.testing.assert_allclose(model.predict(X[:2], verbose=0),
                               model.predict(X[:2], verbose=0))


def test_a_user_module_holding_a_model_trains_it(on_torch):
    model, reference = _dense(), _dense()

    class Net(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.scale = torch.nn.Parameter(torch.tensor(1.0))

        def forward(self, x):
            return self.inner(x) * self.scale

    net = Net(model)
    assert net.inner is model and isinstance(model, torch.nn.Module)
    assert type(model) is Sequential
    assert len(list(net.parameters())) == 3
    assert set(net.state_dict()) == {"scale", f"inner.{model.name}/dense/kernel",
                                     f"inner.{model.name}/dense/bias"}
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    x, y = torch.tensor(X[:4]), torch.tensor(Y[:4])
    before = model.get_weights()
    loss = torch.nn.functional.mse_loss(net(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    kernel, bias = before
    err = X[:4] @ kernel + bias - Y[:4]
    grad = 2 * err / err.size
    np.testing.assert_allclose(model.get_weights()[0], kernel - LR * X[:4].T @ grad,
                               rtol=1e-5, atol=1e-6)
    net.load_state_dict(net.state_dict())
    net.train()
    net.eval()
    # the model keeps training with fit from where torch left it
    reference.set_weights(model.get_weights())
    model.compile(optimizers.SGD(LR), "mse")
    reference.compile(optimizers.SGD(LR), "mse")
    for m in (model, reference):
        m.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_module_api_on_jax_is_a_clear_error():
    config.set_backend("jax")
    model = _dense()
    for call in (model.parameters, model.state_dict, model.train, model.named_parameters):
        with pytest.raises(ValueError, match="only supported with the torch backend"):
            call()
    assert not isinstance(model, torch.nn.Module)


def _fitted(source, **kwargs):
    model = _dense()
    model.compile(optimizers.SGD(LR), "mse", metrics=["mae"])
    history = model.fit(source, epochs=2, verbose=0, **kwargs)
    return model, history


def test_dataloader_fit_equals_array_fit(backend):
    loader = DataLoader(TensorDataset(torch.tensor(X), torch.tensor(Y), torch.tensor(SW)),
                        batch_size=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model, hist = _fitted(loader, shuffle=False, batch_size=7)  # batch_size ignored
    reference, ref_hist = _fitted(X, y=Y, sample_weight=SW, batch_size=4, shuffle=False)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(hist.history["loss"], ref_hist.history["loss"], rtol=1e-6)
    pairs = DataLoader(TensorDataset(torch.tensor(X), torch.tensor(Y)), batch_size=5)
    np.testing.assert_allclose(model.evaluate(pairs, verbose=0, batch_size=3),
                               model.evaluate(X, Y, batch_size=5, verbose=0), rtol=1e-6)
    only_x = DataLoader(torch.tensor(X), batch_size=5)
    np.testing.assert_allclose(model.predict(only_x, batch_size=3),
                               model.predict(X, verbose=0), rtol=1e-6)


def test_dataloader_with_shuffle_warns_and_y_is_refused(backend):
    loader = DataLoader(TensorDataset(torch.tensor(X), torch.tensor(Y)), batch_size=4)
    with pytest.warns(UserWarning, match="provided as a torch DataLoader"):
        _fitted(loader)  # fit's default shuffle=True, as Keras 3 warns
    model, _ = _fitted(loader, shuffle=False)
    with pytest.raises(ValueError, match="y must not be given"):
        model.fit(loader, Y, shuffle=False, verbose=0)


def test_pydataset_ignores_batch_size(backend):
    class Batches(PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return X[i * 4:(i + 1) * 4], Y[i * 4:(i + 1) * 4]

    model, _ = _fitted(Batches(), shuffle=False, batch_size=5)
    reference, _ = _fitted(X, y=Y, batch_size=4, shuffle=False)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model.predict(Batches(), batch_size=5),
                               model.predict(X, verbose=0), rtol=1e-6)


def test_a_torch_model_still_pickles_and_moves(on_torch):
    """The model answers ``__class__`` with an nn.Module class; pickle and to_backend
    still use its real class."""
    import pickle
    model = _dense()
    list(model.parameters())
    copy = pickle.loads(pickle.dumps(model))
    assert type(copy) is Sequential
    np.testing.assert_allclose(copy.predict(X, verbose=0), model.predict(X, verbose=0))
    moved = model.to_backend("jax")
    assert type(moved) is Sequential and not isinstance(moved, torch.nn.Module)
    np.testing.assert_allclose(moved.predict(X, verbose=0), model.predict(X, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_assigning_the_class_of_a_model_still_works(backend):
    """The nn.Module recognition must not break Python's ``obj.__class__ = Sub``."""
    from keras_bridge import Sequential, layers

    class Sub(Sequential):
        def extra(self):
            return "sub"

    model = Sequential([layers.Input((2,)), layers.Dense(1)])
    model.predict(np.zeros((1, 2), "float32"))
    model.__class__ = Sub
    assert type(model) is Sub and model.extra() == "sub"


def test_to_and_distributed_data_parallel_train_the_model(on_torch, tmp_path):
    # Keras 3's multi-GPU torch guide: model.to(device), then DistributedDataParallel
    # around the model and a torch optimizer over model.parameters(). One process of a
    # gloo group (file rendezvous, no network) stands in for the devices.
    dist = torch.distributed
    model = _dense()
    kernel, bias = model.get_weights()
    assert model.to("cpu") is model and model.cpu() is model
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'rendezvous'}",
                            world_size=1, rank=0)
    ddp = None
    try:
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        opt = torch.optim.SGD(ddp.parameters(), lr=LR)
        for i in range(0, len(X), 4):
            loss = torch.nn.functional.mse_loss(ddp(torch.tensor(X[i:i + 4])),
                                                torch.tensor(Y[i:i + 4]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        # The DDP reducer goes first, while its process group stands: freed after the
        # group was destroyed, gloo's destructor can hang joining its threads (seen in a
        # CI run: the worker waited in ~ProcessGroupGloo).
        del ddp
        dist.destroy_process_group()
    for got, want in zip(model.get_weights(), _numpy_sgd(kernel, bias, 1)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
