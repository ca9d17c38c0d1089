"""Keras 3's saving hooks (get_build_config / build_from_config, get_compile_config /
compile_from_config) and subclassed models in .keras files, on both engines. Keras's own
behaviour for the same files is checked live in test_keras3_live.py."""

import json
import zipfile

import numpy as np
import pytest

from keras_bridge import saving
from keras_bridge.layers import Dense, Layer
from keras_bridge.models import Model, Sequential
from tests.support.models import Tower


class AutoTower(Tower):
    """No get_config: its plain constructor arguments are its config, as in Keras 3."""

    get_config = Model.get_config


class Bare(Model):
    """An __init__ that takes nothing (not even name)."""

    def __init__(self):
        super().__init__()
        self.dense = Dense(2)

    def call(self, inputs):
        return self.dense(inputs)


class NeedsLayer(Model):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def call(self, inputs):
        return self.inner(inputs)


def _config_json(path):
    return json.loads(zipfile.ZipFile(path).read("config.json"))


def test_subclassed_models_save_and_load(backend, tmp_path):
    x = np.linspace(-1, 1, 10, dtype=np.float32).reshape(2, 5)
    for cls, model in ((Tower, Tower(4, name="tower")), (AutoTower, AutoTower(units=5)),
                       (Bare, Bare())):
        model(x)
        if cls is Tower:  # one trained model: its optimizer state comes back too
            model.compile("adam", "mse")
            model.fit(x, np.ones((2, 1)), verbose=0)
        model.save(tmp_path / "m.keras")
        entry = _config_json(tmp_path / "m.keras")
        assert entry["build_config"] == {"input_shape": [None, 5]}
        loaded = saving.load_model(tmp_path / "m.keras", custom_objects={cls.__name__: cls})
        assert type(loaded) is cls
        assert cls is Bare or loaded.name == model.name  # Bare's __init__ takes no name
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
        if cls is Tower:
            assert int(loaded.optimizer.state_for_saving()[1]["iterations"]) == 1
    assert _config_json(tmp_path / "m.keras")["config"] == {}  # Bare takes no argument
    tower_cfg = AutoTower(units=5, name="t").get_config()
    assert tower_cfg == {"name": "t", "trainable": True, "dtype": "float32", "units": 5}


def test_subclassed_model_errors(backend, tmp_path):
    model = NeedsLayer(Dense(2))
    model(np.ones((1, 3), np.float32))
    model.save(tmp_path / "n.keras")
    with pytest.raises(ValueError, match="Unknown layer class 'NeedsLayer'.*custom_objects"):
        saving.load_model(tmp_path / "n.keras")
    with pytest.raises(ValueError, match=r"NeedsLayer.*'inner'.*get_config\(\) must return"):
        saving.load_model(tmp_path / "n.keras", custom_objects={"NeedsLayer": NeedsLayer})
    tower = Tower(2)
    tower(np.ones((1, 3), np.float32))
    tower.save(tmp_path / "t.keras")
    with pytest.raises(ValueError, match=r"build_config.*'input_shape': \[None, 3\]"):
        saving.load_model(tmp_path / "t.keras", custom_objects={"Tower": _BrokenTower})


class _BrokenTower(Tower):
    def call(self, inputs):
        raise RuntimeError("no call")


def test_build_config_hooks(backend):
    dense = Dense(3)
    assert dense.get_build_config() is None
    dense(np.ones((2, 4), np.float32))
    assert dense.get_build_config() == {"input_shape": [2, 4]}  # the shape seen, as Keras
    fresh = Dense(3)
    fresh.build_from_config(dense.get_build_config())
    assert fresh.built and [w.shape for w in fresh.weights] == [(4, 3), (3,)]
    seq = Sequential([Dense(2)])
    seq.build_from_config({"input_shape": [None, 6]})
    assert seq.get_build_config() == {"input_shape": [None, 6]}
    assert seq.layers[0].kernel.shape == (6, 2)
    tower = Tower(2)
    tower.build_from_config({"input_shape": [None, 7]})
    assert tower.hidden.kernel.shape == (7, 2)
    assert tower.get_build_config() == {"input_shape": [None, 7]}


class Table(Layer):
    """State whose size comes from its own build config, not from an input shape."""

    def __init__(self, size=None, **kwargs):
        super().__init__(**kwargs)
        self.size = size

    def build(self, input_shape):
        self.table = self.add_weight(shape=(self.size,), initializer="ones", name="table")

    def call(self, inputs):
        return inputs + self.table

    def get_build_config(self):
        return {"size": self.size}

    def build_from_config(self, config):
        self.size = config["size"]
        self.build(None)
        self.built = True


def test_custom_build_config_builds_before_weights_load(backend, tmp_path):
    model = Sequential([Dense(3, input_shape=(2,)), Table(3, name="table")])
    model.layers[1].table.assign(np.array([1.0, 2.0, 3.0], np.float32))
    model.save(tmp_path / "t.keras")
    layer_entry = _config_json(tmp_path / "t.keras")["config"]["layers"][-1]
    assert layer_entry["build_config"] == {"size": 3}
    assert "size" not in layer_entry["config"]  # only the build config says how big it is
    rebuilt = saving.model_from_config(
        {"class_name": "Table", "config": layer_entry["config"],
         "build_config": layer_entry["build_config"]}, custom_objects={"Table": Table})
    assert rebuilt.built and rebuilt.table.shape == (3,)
    loaded = saving.load_model(tmp_path / "t.keras", custom_objects={"Table": Table})
    np.testing.assert_array_equal(loaded.layers[1].table.numpy(), [1.0, 2.0, 3.0])


class OwnCompile(Tower):
    def compile(self, *args, **kwargs):
        super().compile(*args, **kwargs)


def test_compile_config_hooks(backend, tmp_path):
    model = Sequential([Dense(1, input_shape=(2,))])
    assert model.get_compile_config() == {}
    model.compile(optimizer="sgd", loss="mae", metrics=["mse"])
    config = model.get_compile_config()
    assert config["loss"] == "mae" and config["metrics"] == ["mse"]
    assert config["optimizer"]["class_name"] == "SGD"
    assert set(config) >= {"loss_weights", "weighted_metrics", "run_eagerly", "jit_compile",
                           "steps_per_execution"}
    other = Sequential([Dense(1, input_shape=(2,))])
    other.compile_from_config(config)
    assert other.get_compile_config()["loss"] == "mae"
    assert type(other.optimizer).__name__ == "SGD"
    tower = OwnCompile(2)
    tower.compile("adam", "mse")
    tower(np.ones((1, 2), np.float32))
    tower.save(tmp_path / "o.keras")
    with pytest.warns(UserWarning, match="overrides compile"):
        loaded = saving.load_model(tmp_path / "o.keras", custom_objects={"OwnCompile": OwnCompile})
    assert loaded.optimizer is None


def _half_square(y_true, y_pred):
    return ((y_pred - y_true) ** 2) / 2.0


class OwnCompileConfig(Model):
    """Keras 3's guide pattern: compile() with its own signature, saved through
    get_compile_config() / compile_from_config()."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = Dense(1)

    def call(self, inputs):
        return self.dense(inputs)

    def compile(self, optimizer, loss_fn):
        super().compile(optimizer=optimizer, loss=loss_fn)
        self.given = (optimizer, loss_fn)

    def get_compile_config(self):
        return {"opt": self.given[0], "loss_fn": self.given[1], "note": [1, "a"]}

    def compile_from_config(self, config):
        from keras_bridge.saving import deserialize_keras_object
        self.received = config
        self.compile(deserialize_keras_object(config["opt"]),
                     deserialize_keras_object(config["loss_fn"]))


def test_overridden_get_compile_config_is_saved_and_given_back(backend, tmp_path):
    from keras_bridge import optimizers
    from keras_bridge.saving import get_custom_objects, register_keras_serializable
    loss_fn = register_keras_serializable(package="hooks_test")(_half_square)
    try:
        model = OwnCompileConfig()
        model.compile(optimizers.SGD(learning_rate=0.25), loss_fn)
        model(np.ones((1, 2), np.float32))
        model.save(tmp_path / "c.keras")
        saved = _config_json(tmp_path / "c.keras")["compile_config"]
        assert saved["opt"]["class_name"] == "SGD" and saved["note"] == [1, "a"]
        assert saved["loss_fn"]["registered_name"] == "hooks_test>_half_square"
        loaded = saving.load_model(tmp_path / "c.keras",
                                   custom_objects={"OwnCompileConfig": OwnCompileConfig})
        assert loaded.received["note"] == [1, "a"]
        opt, fn = loaded.given
        assert type(opt).__name__ == "SGD" and float(opt.learning_rate) == 0.25
        assert fn is loss_fn
    finally:
        get_custom_objects().pop("hooks_test>_half_square", None)


def test_get_compile_config_must_return_a_dict(backend, tmp_path):
    class BadConfig(OwnCompileConfig):
        def get_compile_config(self):
            return ["not", "a", "dict"]

    model = BadConfig()
    model.compile("sgd", "mse")
    model(np.ones((1, 2), np.float32))
    with pytest.raises(TypeError, match="get_compile_config\\(\\) to return a dict"):
        model.save(tmp_path / "bad.keras")
    assert not (tmp_path / "bad.keras").exists()
