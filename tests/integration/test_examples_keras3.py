"""The Keras 3 examples: a GAN trained by an overridden train_step (torch style on
torch, JAX style on JAX), and the from-scratch JAX training loop (stateless_call,
stateless_apply, stateless_update_state in one jax.jit step), checked against fit."""

import pathlib
import runpy

import numpy as np

import keras_bridge as keras

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _example(name):
    return runpy.run_path(str(ROOT / "examples" / f"{name}.py"))


def test_gan_example_moves_the_generated_points_to_the_real_ones(backend, capsys):
    module = _example("gan_train_step")
    before, after, history, gan = module["main"](steps=100)
    assert after < before / 2
    assert sorted(history.history) == ["d_loss", "g_loss"]
    assert type(gan).__name__ == ("JaxGAN" if backend == "jax" else "TorchGAN")
    # One latent batch per network per step, drawn from the model's SeedGenerator.
    np.testing.assert_array_equal(gan.seed_generator.state.numpy(), [1337, 200])
    assert f"{backend}: generated mean" in capsys.readouterr().out


def test_jax_training_loop_matches_fit_on_the_same_batches(capsys):
    module = _example("jax_training_loop")
    steps, batch_size = 16, 64  # two epochs of the 512 points, in order
    losses, accuracy, model, state = module["main"](steps=steps, batch_size=batch_size)
    assert losses[-1] < losses[0] / 2 and accuracy > 0.9
    # Reference: the same model, loss and optimizer trained by the native fit step.
    keras.utils.set_random_seed(1337)
    x, y = module["make_data"]()
    reference = module["get_model"]()
    reference.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2),
                      loss=keras.losses.CategoricalCrossentropy(from_logits=True),
                      metrics=[keras.metrics.CategoricalAccuracy()])
    history = reference.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0)
    for got, want in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.mean(losses[8:]), history.history["loss"][1], rtol=1e-4)
    assert "accuracy after training" in capsys.readouterr().out
