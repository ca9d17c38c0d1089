"""Files moving between keras_bridge and a real Keras 3, both ways, when ``keras`` is
installed (the ``test`` extra installs it). Keras runs in a subprocess with its own
KERAS_HOME (Keras writes keras.json when imported) and KERAS_BACKEND=jax, so this
process never imports it and ~/.keras is never touched."""

import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from keras_bridge import saving
from keras_bridge.layers import (LSTM, BatchNormalization, Bidirectional, Conv2D, Dense,
                                 Embedding, Flatten, Input, Lambda)
from keras_bridge.models import Model, Sequential
from tests.support.layer_checks import assert_close

pytestmark = pytest.mark.skipif(importlib.util.find_spec("keras") is None,
                                reason="needs the keras package (pip install keras)")

_KERAS_SIDE = textwrap.dedent("""
    import sys
    import numpy as np
    import keras
    from keras import layers
    folder = sys.argv[1]
    # 1. Load what keras_bridge wrote and predict.
    data = np.load(f"{folder}/bridge.npz")
    model = keras.models.load_model(f"{folder}/bridge.keras")
    weights_only = keras.models.model_from_json(model.to_json())
    weights_only.load_weights(f"{folder}/bridge.weights.h5")
    np.savez(f"{folder}/keras_predictions.npz", full=model.predict(data["x"], verbose=0),
             weights_only=weights_only.predict(data["x"], verbose=0),
             iterations=int(model.optimizer.iterations))
    # 2. Write a model for keras_bridge.
    keras.utils.set_random_seed(0)
    a = keras.Input((5,), dtype="int32")
    h = layers.Bidirectional(layers.LSTM(3))(layers.Embedding(9, 4)(a))
    mine = keras.Model(a, layers.Dense(2)(h))
    mine.compile("adam", "mse")
    x = np.random.default_rng(0).integers(0, 9, size=(4, 5)).astype("int32")
    mine.fit(x, np.ones((4, 2)), verbose=0)
    mine.save(f"{folder}/keras.keras")
    mine.save_weights(f"{folder}/keras.weights.h5")
    np.savez(f"{folder}/keras.npz", x=x, y=mine.predict(x, verbose=0))
    # 3. A Lambda (bytecode) and a subclassed model, both ways.
    class Tower(keras.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.hidden, self.head = layers.Dense(units, activation="tanh"), layers.Dense(1)

        def call(self, inputs):
            return self.head(self.hidden(inputs))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    extra = np.load(f"{folder}/bridge_extra.npz")
    lam = keras.models.load_model(f"{folder}/bridge_lambda.keras", safe_mode=False)
    tower = keras.models.load_model(f"{folder}/bridge_tower.keras",
                                    custom_objects={"Tower": Tower})
    np.savez(f"{folder}/keras_extra_predictions.npz", lam=lam.predict(extra["x"], verbose=0),
             tower=tower.predict(extra["x"], verbose=0))
    a = keras.Input((3,))
    lam = keras.Model(a, layers.Lambda(lambda t: t * 3.0 - 1.0)(layers.Dense(2)(a)))
    lam.save(f"{folder}/keras_lambda.keras")
    tower = Tower(5)
    tower.compile("adam", "mse")
    tower.fit(extra["x"], np.ones((4, 1)), verbose=0)
    tower.save(f"{folder}/keras_tower.keras")
    np.savez(f"{folder}/keras_extra.npz", lam=lam.predict(extra["x"], verbose=0),
             tower=tower.predict(extra["x"], verbose=0))
""")


class Tower(Model):
    """The subclassed model the Keras side defines too (same attributes)."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden, self.head = Dense(units, activation="tanh"), Dense(1)

    def call(self, inputs):
        return self.head(self.hidden(inputs))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def _save_extra_models(folder):
    """A Lambda holding a lambda, and a trained subclassed model, for Keras."""
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    lam = Sequential([Input((3,)), Dense(2), Lambda(lambda t: t * 2.0 + 1.0)])
    lam.save(folder / "bridge_lambda.keras")
    tower = Tower(4)
    tower.compile("adam", "mse")
    tower.fit(x, np.ones((4, 1)), verbose=0)
    tower.save(folder / "bridge_tower.keras")
    np.savez(folder / "bridge_extra.npz", x=x)
    return x, lam.predict(x, verbose=0), tower.predict(x, verbose=0)


def _check_extra_models(folder, x, lam_expected, tower_expected):
    keras_side = np.load(folder / "keras_extra_predictions.npz")
    assert_close(keras_side["lam"], lam_expected, rtol=1e-5, atol=1e-6)
    assert_close(keras_side["tower"], tower_expected, rtol=1e-5, atol=1e-6)
    ref = np.load(folder / "keras_extra.npz")
    with pytest.raises(ValueError, match="'lambda'.*safe_mode=False"):
        saving.load_model(folder / "keras_lambda.keras")
    lam = saving.load_model(folder / "keras_lambda.keras", safe_mode=False)
    assert_close(lam.predict(x, verbose=0), ref["lam"], rtol=1e-5, atol=1e-6)
    tower = saving.load_model(folder / "keras_tower.keras", custom_objects={"Tower": Tower})
    assert tower.units == 5
    assert_close(tower.predict(x, verbose=0), ref["tower"], rtol=1e-5, atol=1e-6)


def _run_keras(folder, script=_KERAS_SIDE):
    env = dict(os.environ, KERAS_HOME=str(folder / "keras_home"), KERAS_BACKEND="jax")
    result = subprocess.run([sys.executable, "-c", script, str(folder)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


def test_files_move_between_keras_bridge_and_keras(backend, tmp_path):
    model = Sequential([Input((6, 6, 2)), Conv2D(3, 3, activation="relu"),
                        BatchNormalization(), Flatten(), Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 6, 6, 2)).astype("float32")
    model.fit(x, np.eye(2)[[0, 1, 1, 0]], verbose=0)
    model.save(tmp_path / "bridge.keras")
    model.save_weights(tmp_path / "bridge.weights.h5")
    expected = model.predict(x, verbose=0)
    np.savez(tmp_path / "bridge.npz", x=x)
    extra = _save_extra_models(tmp_path)
    _run_keras(tmp_path)
    _check_extra_models(tmp_path, *extra)
    keras_side = np.load(tmp_path / "keras_predictions.npz")
    assert_close(keras_side["full"], expected, rtol=1e-5, atol=1e-6)
    assert_close(keras_side["weights_only"], expected, rtol=1e-5, atol=1e-6)
    assert int(keras_side["iterations"]) == 1  # Keras resumed our optimizer state
    # The reverse: Keras's files in keras_bridge.
    ref = np.load(tmp_path / "keras.npz")
    loaded = saving.load_model(tmp_path / "keras.keras")
    assert isinstance(loaded, Model)
    assert_close(loaded.predict(ref["x"], verbose=0), ref["y"], rtol=1e-5, atol=1e-6)
    a = Input((5,), dtype="int32")
    rebuilt = Model(a, Dense(2)(Bidirectional(LSTM(3))(Embedding(9, 4)(a))))
    rebuilt.load_weights(tmp_path / "keras.weights.h5")
    assert_close(rebuilt.predict(ref["x"], verbose=0), ref["y"], rtol=1e-5, atol=1e-6)


_KERAS_H5_SIDE = textwrap.dedent("""
    import sys
    import warnings
    import h5py
    import numpy as np
    import keras
    from keras import layers
    from keras.src.legacy.saving import legacy_h5_format
    warnings.simplefilter("ignore")
    folder = sys.argv[1]
    # 1. Keras 2's HDF5 files written by keras_bridge, through Keras's legacy loader.
    data = np.load(f"{folder}/bridge.npz")
    model = keras.models.load_model(f"{folder}/bridge.h5")
    weights_only = keras.models.model_from_json(model.to_json())
    weights_only.load_weights(f"{folder}/bridge_weights.h5")
    np.savez(f"{folder}/keras_predictions.npz", full=model.predict(data["x"], verbose=0),
             weights_only=weights_only.predict(data["x"], verbose=0),
             iterations=int(model.optimizer.iterations))
    # 2. Keras's legacy writer, for keras_bridge.
    keras.utils.set_random_seed(0)
    mine = keras.Sequential([keras.Input((5,), dtype="int32"), layers.Embedding(9, 4),
                             layers.Bidirectional(layers.LSTM(3)), layers.Dense(2)])
    mine.compile("adam", "categorical_crossentropy")
    x = np.random.default_rng(0).integers(0, 9, size=(4, 5)).astype("int32")
    mine.fit(x, np.eye(2)[[0, 1, 1, 0]], verbose=0)
    mine.save(f"{folder}/keras.h5")
    with h5py.File(f"{folder}/keras_weights.h5", "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, mine)
    np.savez(f"{folder}/keras.npz", x=x, y=mine.predict(x, verbose=0))
""")


def test_keras2_h5_files_move_between_keras_bridge_and_keras(backend, tmp_path):
    # Keras 3.15.1 cannot compile back its own .h5 with loss="mse" (it looks the alias up
    # as a class), so the compiled model uses a full loss name.
    model = Sequential([Input((6, 6, 2)), Conv2D(3, 3, activation="relu"),
                        BatchNormalization(), Flatten(), Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 6, 6, 2)).astype("float32")
    model.fit(x, np.eye(2)[[0, 1, 1, 0]], verbose=0)
    model.save(tmp_path / "bridge.h5")
    model.save_weights(tmp_path / "bridge_weights.h5")
    expected = model.predict(x, verbose=0)
    np.savez(tmp_path / "bridge.npz", x=x)
    _run_keras(tmp_path, _KERAS_H5_SIDE)
    keras_side = np.load(tmp_path / "keras_predictions.npz")
    assert_close(keras_side["full"], expected, rtol=1e-5, atol=1e-6)
    assert_close(keras_side["weights_only"], expected, rtol=1e-5, atol=1e-6)
    assert int(keras_side["iterations"]) == 1  # Keras resumed our optimizer_weights
    ref = np.load(tmp_path / "keras.npz")
    loaded = saving.load_model(tmp_path / "keras.h5")
    assert_close(loaded.predict(ref["x"], verbose=0), ref["y"], rtol=1e-5, atol=1e-6)
    assert int(loaded.optimizer.state_for_saving()[1]["iterations"]) == 1
    rebuilt = Sequential([Input((5,), dtype="int32"), Embedding(9, 4),
                          Bidirectional(LSTM(3)), Dense(2)])
    rebuilt.load_weights(tmp_path / "keras_weights.h5")
    assert_close(rebuilt.predict(ref["x"], verbose=0), ref["y"], rtol=1e-5, atol=1e-6)
