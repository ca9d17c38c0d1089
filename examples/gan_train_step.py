"""A small GAN with an overridden ``train_step``, as Keras 3's "customizing what happens
in fit()" guides write it, on keras_bridge.

The generator learns to place 2-D points where the real ones are (around (2, 2)); the
discriminator tells real points from generated ones. ``fit`` runs the override each
batch. The model, the losses, the metrics and the sampling are backend-neutral Keras 3
code; the step is written in each engine's Keras 3 style:

- torch (the guide's torch version): ``self.zero_grad()``, ``loss.backward()``,
  ``optimizer.apply(grads, weights)`` under ``torch.no_grad()``;
- JAX (the JAX version's contract): a pure ``train_step(self, state, data)`` with
  ``stateless_call`` on each network, ``jax.value_and_grad`` and
  ``optimizer.stateless_apply``, the latent points drawn in a ``StatelessScope``.

One optimizer (plain SGD) updates both networks in the JAX step: each update gets the
other network's gradients as zeros, which leave SGD's weights as they are.

Run: python examples/gan_train_step.py [--steps 300]  (KERAS_BACKEND=torch or jax)
"""

import argparse

import numpy as np

import keras_bridge as keras
from keras_bridge import ops

LATENT = 4
CENTRE = np.array([2.0, 2.0], "float32")


def real_points(n, seed=0):
    rng = np.random.default_rng(seed)
    return (CENTRE + rng.normal(0, 0.2, (n, 2))).astype("float32")


def make_networks():
    discriminator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(16, "relu"),
                                      keras.layers.Dense(1)], name="discriminator")
    generator = keras.Sequential([keras.Input((LATENT,)), keras.layers.Dense(16, "relu"),
                                  keras.layers.Dense(2)], name="generator")
    return discriminator, generator


class GAN(keras.Model):
    """The backend-neutral part: networks, loss, trackers, latent sampling."""

    def __init__(self, discriminator, generator):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.seed_generator = keras.random.SeedGenerator(1337)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, latent, training=False):
        return self.generator(latent, training=training)

    def labels(self, batch_size):
        """1 for generated points, 0 for real ones (the guide's convention)."""
        return ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], 0)

    def sample(self, batch_size):
        return keras.random.normal((batch_size, LATENT), seed=self.seed_generator)


class TorchGAN(GAN):
    """Keras 3's torch-style step."""

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    def train_step(self, data):
        import torch
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        batch_size = ops.shape(real)[0]
        # Discriminator: real vs generated (a detached batch).
        generated = self.generator(self.sample(batch_size)).detach()
        self.zero_grad()
        predictions = self.discriminator(ops.concatenate([generated, real], 0))
        d_loss = self.loss_fn(self.labels(batch_size), predictions)
        d_loss.backward()
        weights = self.discriminator.trainable_weights
        with torch.no_grad():
            self.d_optimizer.apply([w.value.grad for w in weights], weights)
        # Generator: make the discriminator call its points real (label 0).
        self.zero_grad()
        predictions = self.discriminator(self.generator(self.sample(batch_size)))
        g_loss = self.loss_fn(ops.zeros((batch_size, 1)), predictions)
        g_loss.backward()
        weights = self.generator.trainable_weights
        with torch.no_grad():
            self.g_optimizer.apply([w.value.grad for w in weights], weights)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(),
                "g_loss": self.g_loss_tracker.result()}


class JaxGAN(GAN):
    """Keras 3's JAX-style step: pure, jitted by fit."""

    def compile(self, optimizer):
        super().compile(optimizer=optimizer)

    def _split(self, trainable):
        n = len(self.discriminator.trainable_variables)
        return list(trainable[:n]), list(trainable[n:])

    def _latent(self, seed_state, batch_size):
        with keras.StatelessScope([(self.seed_generator.state, seed_state)]) as scope:
            latent = self.sample(batch_size)
        return latent, scope.get_current_value(self.seed_generator.state)

    def train_step(self, state, data):
        import jax
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        trainable, non_trainable, optimizer_variables, metrics_variables = state
        (seed_state,) = non_trainable  # the networks hold no other state
        batch_size = real.shape[0]
        d_vars, g_vars = self._split(trainable)
        latent, seed_state = self._latent(seed_state, batch_size)

        def d_loss_fn(d_vars):
            generated, _ = self.generator.stateless_call(g_vars, [], latent)
            points = ops.concatenate([generated, real], 0)
            predictions, _ = self.discriminator.stateless_call(d_vars, [], points)
            return self.loss_fn(self.labels(batch_size), predictions)

        d_loss, d_grads = jax.value_and_grad(d_loss_fn)(d_vars)
        zeros = [ops.zeros_like(v) for v in g_vars]
        trainable, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, d_grads + zeros, trainable)
        d_vars, g_vars = self._split(trainable)
        latent, seed_state = self._latent(seed_state, batch_size)

        def g_loss_fn(g_vars):
            generated, _ = self.generator.stateless_call(g_vars, [], latent)
            predictions, _ = self.discriminator.stateless_call(d_vars, [], generated)
            return self.loss_fn(ops.zeros((batch_size, 1)), predictions)

        g_loss, g_grads = jax.value_and_grad(g_loss_fn)(g_vars)
        zeros = [ops.zeros_like(v) for v in d_vars]
        trainable, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, zeros + g_grads, trainable)
        d_state, g_state = metrics_variables[:2], metrics_variables[2:]
        d_state = self.d_loss_tracker.stateless_update_state(d_state, d_loss)
        g_state = self.g_loss_tracker.stateless_update_state(g_state, g_loss)
        logs = {"d_loss": self.d_loss_tracker.stateless_result(d_state),
                "g_loss": self.g_loss_tracker.stateless_result(g_state)}
        return logs, (trainable, [seed_state], optimizer_variables, d_state + g_state)


def distance_to_real(gan, n=256):
    latent = np.random.default_rng(1).normal(size=(n, LATENT)).astype("float32")
    return float(np.linalg.norm(gan.predict(latent, verbose=0).mean(0) - CENTRE))


def main(steps=300, batch_size=32, learning_rate=0.05, verbose=0):
    keras.utils.set_random_seed(42)
    discriminator, generator = make_networks()
    if keras.config.backend() == "jax":
        gan = JaxGAN(discriminator, generator)
        gan.compile(keras.optimizers.SGD(learning_rate))
    else:
        gan = TorchGAN(discriminator, generator)
        gan.compile(keras.optimizers.SGD(learning_rate), keras.optimizers.SGD(learning_rate))
    before = distance_to_real(gan)
    history = gan.fit(real_points(steps * batch_size), batch_size=batch_size, epochs=1,
                      shuffle=False, verbose=verbose)
    after = distance_to_real(gan)
    print(f"{keras.config.backend()}: generated mean is {before:.3f} from the real one "
          f"before training, {after:.3f} after; last losses "
          f"d={history.history['d_loss'][-1]:.3f} g={history.history['g_loss'][-1]:.3f}")
    return before, after, history, gan


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    main(parser.parse_args().steps, verbose=1)
