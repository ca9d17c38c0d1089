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
from tests.support.models import Tower

pytestmark = pytest.mark.skipif(importlib.util.find_spec("keras") is None,
                                reason="needs the keras package (pip install keras)")

_KERAS_SIDE = textwrap.dedent("""
    import numpy as np
    import keras
    from keras import layers
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


# Runs each (script, folder) in one Keras process: importing Keras and its JAX costs
# seconds, paid once per engine rather than once per file format.
_DRIVER = textwrap.dedent("""
    import sys
    for script, folder in zip(sys.argv[1::2], sys.argv[2::2]):
        exec(script, {"__name__": "__main__", "folder": folder})
""")


def _run_keras(*jobs):
    """Runs each (script, folder) job in one Keras subprocess, in order."""
    env = dict(os.environ, KERAS_HOME=str(jobs[0][1] / "keras_home"), KERAS_BACKEND="jax")
    args = [str(part) for job in jobs for part in job]
    result = subprocess.run([sys.executable, "-c", _DRIVER, *args], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


def _trained_conv_model():
    model = Sequential([Input((6, 6, 2)), Conv2D(3, 3, activation="relu"),
                        BatchNormalization(), Flatten(), Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 6, 6, 2)).astype("float32")
    model.fit(x, np.eye(2)[[0, 1, 1, 0]], verbose=0)
    return model, x


def _save_keras3_files(folder):
    """keras_bridge's .keras and .weights.h5 files (and the extra models) for Keras."""
    folder.mkdir()
    model, x = _trained_conv_model()
    model.save(folder / "bridge.keras")
    model.save_weights(folder / "bridge.weights.h5")
    np.savez(folder / "bridge.npz", x=x)
    return model.predict(x, verbose=0), _save_extra_models(folder)


def _check_keras3_files(folder, expected, extra):
    _check_extra_models(folder, *extra)
    keras_side = np.load(folder / "keras_predictions.npz")
    assert_close(keras_side["full"], expected, rtol=1e-5, atol=1e-6)
    assert_close(keras_side["weights_only"], expected, rtol=1e-5, atol=1e-6)
    assert int(keras_side["iterations"]) == 1  # Keras resumed our optimizer state
    # The reverse: Keras's files in keras_bridge.
    ref = np.load(folder / "keras.npz")
    loaded = saving.load_model(folder / "keras.keras")
    assert isinstance(loaded, Model)
    assert_close(loaded.predict(ref["x"], verbose=0), ref["y"], rtol=1e-5, atol=1e-6)
    a = Input((5,), dtype="int32")
    rebuilt = Model(a, Dense(2)(Bidirectional(LSTM(3))(Embedding(9, 4)(a))))
    rebuilt.load_weights(folder / "keras.weights.h5")
    assert_close(rebuilt.predict(ref["x"], verbose=0), ref["y"], rtol=1e-5, atol=1e-6)


_KERAS_H5_SIDE = textwrap.dedent("""
    import warnings
    import h5py
    import numpy as np
    import keras
    from keras import layers
    from keras.src.legacy.saving import legacy_h5_format
    warnings.simplefilter("ignore")
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



def _save_keras2_h5_files(folder):
    """keras_bridge's Keras 2 HDF5 model and weights files for Keras's legacy loader.
    Keras 3.15.1 cannot compile back its own .h5 with loss="mse" (it looks the alias up
    as a class), so the compiled model uses a full loss name."""
    folder.mkdir()
    model, x = _trained_conv_model()
    model.save(folder / "bridge.h5")
    model.save_weights(folder / "bridge_weights.h5")
    np.savez(folder / "bridge.npz", x=x)
    return model.predict(x, verbose=0)


def _check_keras2_h5_files(folder, expected):
    keras_side = np.load(folder / "keras_predictions.npz")
    assert_close(keras_side["full"], expected, rtol=1e-5, atol=1e-6)
    assert_close(keras_side["weights_only"], expected, rtol=1e-5, atol=1e-6)
    assert int(keras_side["iterations"]) == 1  # Keras resumed our optimizer_weights
    ref = np.load(folder / "keras.npz")
    loaded = saving.load_model(folder / "keras.h5")
    assert_close(loaded.predict(ref["x"], verbose=0), ref["y"], rtol=1e-5, atol=1e-6)
    assert int(loaded.optimizer.state_for_saving()[1]["iterations"]) == 1
    rebuilt = Sequential([Input((5,), dtype="int32"), Embedding(9, 4),
                          Bidirectional(LSTM(3)), Dense(2)])
    rebuilt.load_weights(folder / "keras_weights.h5")
    assert_close(rebuilt.predict(ref["x"], verbose=0), ref["y"], rtol=1e-5, atol=1e-6)


def test_files_move_between_keras_bridge_and_keras(backend, tmp_path):
    """.keras, .weights.h5 and Keras 2's .h5 files, both ways, through one Keras process
    (each format in its own folder)."""
    keras3, h5 = tmp_path / "keras3", tmp_path / "h5"
    keras3_expected = _save_keras3_files(keras3)
    h5_expected = _save_keras2_h5_files(h5)
    _run_keras((_KERAS_SIDE, keras3), (_KERAS_H5_SIDE, h5))
    _check_keras3_files(keras3, *keras3_expected)
    _check_keras2_h5_files(h5, h5_expected)
