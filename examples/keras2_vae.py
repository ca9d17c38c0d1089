"""Keras 2's variational autoencoder: the loss is added to the model with ``add_loss``
and the model is trained without targets.

encoder -> (z_mean, z_log_var) -> Lambda sampling -> decoder; the loss is the
reconstruction crossentropy plus the KL divergence of the latent distribution from a
unit normal, written with K functions on symbolic tensors, as the Keras 2 example does.
The data are small random binary "images" made of a few prototypes with flipped bits,
so the example needs no download.

Runs on the configured backend (KERAS_BACKEND=torch or jax).

Run: python examples/keras2_vae.py [--epochs 10]
"""

import argparse

import numpy as np

from keras_bridge import backend as K
from keras_bridge import metrics, ops
from keras_bridge.layers import Dense, Input, Lambda
from keras_bridge.models import Model
from keras_bridge.utils import set_random_seed

original_dim, intermediate_dim, latent_dim = 64, 32, 2


def sampling(args):
    z_mean, z_log_var = args
    epsilon = ops.random_normal((K.shape(z_mean)[0], latent_dim))
    return z_mean + K.exp(z_log_var / 2) * epsilon


def make_data(rng, samples):
    prototypes = rng.random((4, original_dim)) > 0.5
    picks = prototypes[rng.integers(0, 4, samples)]
    flips = rng.random((samples, original_dim)) < 0.05
    return (picks ^ flips).astype(np.float32)


def main(epochs=10, samples=512, batch_size=32):
    set_random_seed(3)
    rng = np.random.default_rng(3)
    data = make_data(rng, samples + samples // 4)
    x_train, x_test = data[:samples], data[samples:]

    x = Input(shape=(original_dim,))
    h = Dense(intermediate_dim, activation="relu")(x)
    z_mean = Dense(latent_dim)(h)
    z_log_var = Dense(latent_dim)(h)
    z = Lambda(sampling, output_shape=(latent_dim,))([z_mean, z_log_var])
    decoder_h = Dense(intermediate_dim, activation="relu")
    decoder_mean = Dense(original_dim, activation="sigmoid")
    x_decoded_mean = decoder_mean(decoder_h(z))

    vae = Model(x, x_decoded_mean)
    xent_loss = original_dim * metrics.binary_crossentropy(x, x_decoded_mean)
    kl_loss = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
    vae.add_loss(K.mean(xent_loss + kl_loss))
    vae.compile(optimizer="rmsprop")
    history = vae.fit(x_train, shuffle=True, epochs=epochs, batch_size=batch_size,
                      validation_data=(x_test, None), verbose=2)

    encoder = Model(x, z_mean)
    codes = encoder.predict(x_test, batch_size=batch_size)
    print(f"Trained on {vae.backend_name}; latent codes of the test set: {codes.shape}")
    return history, codes


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    main(parser.parse_args().epochs)
