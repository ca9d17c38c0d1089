"""The model and data the distribution tests train: a small MLP with
BatchNormalization and Adam (imported by the subprocess scripts)."""

import numpy as np

import keras_bridge as keras


def build_mlp():
    keras.utils.set_random_seed(1)  # same weights and the same shuffling every time
    model = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(8, activation="relu", name="hidden"),
        keras.layers.BatchNormalization(name="norm"),
        keras.layers.Dense(3, activation="softmax", name="out"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def mlp_data():
    rs = np.random.RandomState(0)
    return rs.randn(64, 6).astype("float32"), rs.randint(0, 3, 64)
