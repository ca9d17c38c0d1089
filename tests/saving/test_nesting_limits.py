"""Configs nested absurdly deep (keras_bridge/bounded_json.py): a saved model's config
or model JSON is refused with InvalidFileError / ValueError naming the file, never a
RecursionError, on both engines. (keras.json: tests/unit/test_config.py.)"""

import io
import json
import zipfile

import numpy as np
import pytest

from keras_bridge import saving
from keras_bridge.bounded_json import MAX_DEPTH, nesting_depth
from keras_bridge.layers import Dense, Input
from keras_bridge.models import Sequential, model_from_json
from keras_bridge.saving import InvalidFileError


def _with_deep_regularizer(text, levels):
    """The model config JSON ``text`` with its kernel_regularizer nested ``levels``
    times in itself (written as text: ``json.dumps`` could not write it either)."""
    config = json.loads(text)
    stack = [config]
    while stack:
        value = stack.pop()
        if isinstance(value, dict) and "kernel_regularizer" in value:
            value["kernel_regularizer"] = "@"
            break
        stack.extend(value.values() if isinstance(value, dict) else
                     value if isinstance(value, list) else [])
    deep = '{"class_name": "L2", "config": {"l2": ' * levels + "0.01" + "}}" * levels
    return json.dumps(config).replace('"@"', deep)


def _model():
    model = Sequential([Input((3,)), Dense(2, kernel_regularizer="l2", name="d")])
    model.compile("sgd", "mse")
    return model


@pytest.mark.parametrize("levels", [300, 950])  # past deserializing / parsing in Python
def test_deep_config_in_a_keras_file(backend, tmp_path, levels):
    model = _model()
    path = tmp_path / "m.keras"
    model.save(path)
    original = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(original)) as src:
        members = {name: src.read(name) for name in src.namelist()}
    members["config.json"] = _with_deep_regularizer(members["config.json"], levels)
    deep = tmp_path / "deep.keras"
    with zipfile.ZipFile(deep, "w") as dst:
        for name, data in members.items():
            dst.writestr(name, data)
    with pytest.raises(InvalidFileError) as info:
        saving.load_model(deep)
    message = str(info.value)
    assert str(deep) in message and "config.json" in message and "nests" in message
    assert path.read_bytes() == original
    loaded = saving.load_model(path)  # the good file still loads and runs
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_deep_config_in_an_h5_file_and_model_json(backend, tmp_path):
    model = _model()
    path = tmp_path / "m.h5"
    model.save(path)
    import h5py
    text = _with_deep_regularizer(model.to_json(), 300)
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = text
    with pytest.raises(InvalidFileError, match=f"model_config attribute of '{path}'.*nests"):
        saving.load_model(path)
    with pytest.raises(ValueError, match="nests"):
        model_from_json(text)


def test_depth_is_measured_without_recursion():
    assert nesting_depth(0) == 0 and nesting_depth([]) == 1
    assert nesting_depth({"a": [1, {"b": []}], "c": 2}) == 4
    value = []
    for _ in range(50000):  # far deeper than Python could recurse
        value = [value]
    assert nesting_depth(value) == 50001 > MAX_DEPTH
