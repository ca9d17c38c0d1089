"""The Keras 2 symbolic-graph examples (K.function / K.gradients, the add_loss VAE) run
on each engine with few steps."""

import pathlib
import runpy

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _example(name):
    return runpy.run_path(str(ROOT / "examples" / f"{name}.py"))


def test_intermediate_activations_example(backend, capsys):
    model, hidden, loss, importance = _example("keras2_intermediate_activations")["main"](
        epochs=5, samples=512)
    assert model.backend_name == backend
    kernel, bias = model.layers[0].get_weights()
    x = np.random.default_rng(7).random((512, 6)).astype(np.float32)  # the example's data
    np.testing.assert_allclose(hidden, np.maximum(x[:8] @ kernel + bias, 0), rtol=1e-5,
                               atol=1e-6)
    assert loss < 0.6  # trained below chance-level crossentropy (0.69)
    assert set(np.argsort(importance)[-2:]) == {0, 1}  # the label depends on features 0, 1
    assert "Hidden activations of 8 samples: shape (8, 16)" in capsys.readouterr().out


def test_vae_example_trains_on_its_added_loss(backend, capsys):
    history, codes = _example("keras2_vae")["main"](epochs=3, samples=256)
    loss, val_loss = history.history["loss"], history.history["val_loss"]
    assert loss[-1] < loss[0] and val_loss[-1] < val_loss[0]
    assert codes.shape == (64, 2)
    assert "val_loss" in capsys.readouterr().out
