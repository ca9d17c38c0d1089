"""A transformer text classifier in the style of Keras's "Text classification with
Transformer" tutorial, on data it makes.

Each sample is a padded sequence of word ids; its label says whether the keyword
(id 3) comes before the stop word (id 4) - a question about order, which a
bag-of-words model cannot answer but attention with position embeddings can. The model
is the tutorial's: token + position embedding, two encoder blocks (MultiHeadAttention,
residual, LayerNormalization, Dense feed-forward, residual, LayerNormalization), global
average pooling, Dense softmax.

Run: python examples/transformer_classifier.py [--epochs 4] [--samples 2000]
"""

import argparse

import numpy as np

from keras_bridge import layers, ops
from keras_bridge.models import Model
from keras_bridge.utils import set_random_seed

VOCAB, MAXLEN = 40, 16


class TokenAndPositionEmbedding(layers.Layer):
    """Word embedding plus a learned embedding of each position."""

    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.maxlen, self.vocab_size, self.embed_dim = maxlen, vocab_size, embed_dim
        self.token_emb = layers.Embedding(vocab_size, embed_dim)
        self.pos_emb = layers.Embedding(maxlen, embed_dim)

    def build(self, input_shape):
        # The sub-layers' weights exist once this layer is built (fit's optimizer is
        # bound to the model's weights before the first step).
        self.token_emb.build(input_shape)
        self.pos_emb.build((input_shape[-1],))
        self.built = True

    def call(self, x):
        positions = ops.arange(0, ops.shape(x)[-1], 1)
        return ops.add(self.token_emb(x), self.pos_emb(positions))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.embed_dim,)

    def get_config(self):
        return {**super().get_config(), "maxlen": self.maxlen,
                "vocab_size": self.vocab_size, "embed_dim": self.embed_dim}


def encoder_block(x, embed_dim, num_heads, ff_dim, rate=0.1):
    attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)(x, x)
    x = layers.LayerNormalization(epsilon=1e-6)(x + layers.Dropout(rate)(attention))
    ff = layers.Dense(ff_dim, activation="relu")(x)
    ff = layers.Dense(embed_dim)(ff)
    return layers.LayerNormalization(epsilon=1e-6)(x + layers.Dropout(rate)(ff))


def build_model(embed_dim=32, num_heads=2, ff_dim=32, blocks=2):
    inputs = layers.Input(shape=(MAXLEN,), dtype="int32")
    x = TokenAndPositionEmbedding(MAXLEN, VOCAB, embed_dim)(inputs)
    for _ in range(blocks):
        x = encoder_block(x, embed_dim, num_heads, ff_dim)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return Model(inputs=inputs, outputs=outputs)


def make_data(samples, seed=0):
    """Sequences of random words (ids 5..) with the keyword 3 and the stop word 4 at two
    random places; label 1 when the keyword comes first. Padded with 0 at the end."""
    rng = np.random.default_rng(seed)
    x = np.zeros((samples, MAXLEN), "int32")
    y = np.zeros(samples, "int32")
    for i in range(samples):
        length = rng.integers(6, MAXLEN + 1)
        x[i, :length] = rng.integers(5, VOCAB, length)
        a, b = rng.choice(length, 2, replace=False)
        x[i, a], x[i, b] = 3, 4
        y[i] = int(a < b)
    return x, y


def main(epochs=4, samples=2000, verbose=1, batch_size=32):
    set_random_seed(0)
    x, y = make_data(samples)
    split = int(samples * 0.8)
    model = build_model()
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x[:split], y[:split], batch_size=batch_size, epochs=epochs,
                        verbose=verbose, validation_data=(x[split:], y[split:]))
    score = model.evaluate(x[split:], y[split:], verbose=0)
    print(f"Test loss: {score[0]:.4f}")
    print(f"Test accuracy: {score[1]:.4f}")
    return history, score, model


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    main(args.epochs, args.samples)
