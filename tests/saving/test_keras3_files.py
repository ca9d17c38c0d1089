"""Keras 3's files: ``.keras`` (config.json + model.weights.h5) and ``.weights.h5``.

The fixtures under fixtures/ were written by real Keras 3.15.1 on JAX
(make_keras3_fixtures.py) with the predictions Keras made; keras_npz.keras by
keras_bridge before it wrote Keras's layout (make_npz_keras_fixture.py).
"""

import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

from keras_bridge import saving
from keras_bridge.layers import BatchNormalization, Dense
from keras_bridge.models import Sequential
from keras_bridge.saving import InvalidFileError
from tests.support.layer_checks import assert_close

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
KERAS_MODELS = ["cnn_bn", "rnn", "two_in_two_out"]


def _fixture(name):
    ref = np.load(os.path.join(FIXTURES, f"{name}.npz"))
    xs = [ref[k] for k in sorted(ref.files) if k.startswith("x")]
    ys = [ref[k] for k in sorted(ref.files) if k.startswith("y")]
    return os.path.join(FIXTURES, name), xs, ys


def _predict(model, xs):
    out = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    return out if isinstance(out, list) else [out]


def _assert_predictions(model, xs, ys):
    for got, want in zip(_predict(model, xs), ys, strict=True):
        assert_close(got, want, rtol=1e-5, atol=1e-6)


def _h5_tree(source):
    """{dataset path: array} of an HDF5 file (a path or bytes)."""
    out = {}
    with h5py.File(io.BytesIO(source) if isinstance(source, bytes) else source, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
    return out


def _config(name):
    with zipfile.ZipFile(os.path.join(FIXTURES, f"{name}.keras")) as zf:
        return zf.read("config.json").decode()


# ---- files written by Keras 3 ----------------------------------------------------------------
@pytest.mark.parametrize("name", KERAS_MODELS)
def test_keras3_model_file_loads_with_keras_predictions(backend, name):
    stem, xs, ys = _fixture(name)
    model = saving.load_model(stem + ".keras")
    assert model.backend_name == backend
    _assert_predictions(model, xs, ys)
    # Compiled from compile_config, the optimizer resuming Keras's state (one step).
    assert model.optimizer is not None
    _, state = model.optimizer.state_for_saving()
    assert int(state["iterations"]) == 1


@pytest.mark.parametrize("name", KERAS_MODELS)
def test_keras3_weights_file_loads_with_keras_predictions(backend, name):
    stem, xs, ys = _fixture(name)
    model = saving.model_from_json(_config(name))
    model.load_weights(stem + ".weights.h5")
    _assert_predictions(model, xs, ys)


@pytest.mark.parametrize("name", KERAS_MODELS)
def test_rewritten_keras3_file_has_keras_paths_and_values(backend, name, tmp_path):
    """Saving a loaded Keras file writes what Keras wrote: every dataset at the same
    path with the same value (layers' and the optimizer's variables)."""
    stem, _, _ = _fixture(name)
    model = saving.load_model(stem + ".keras")
    model.save_weights(tmp_path / "again.weights.h5")
    theirs, ours = _h5_tree(stem + ".weights.h5"), _h5_tree(str(tmp_path / "again.weights.h5"))
    assert sorted(ours) == sorted(theirs)
    for path, value in theirs.items():
        np.testing.assert_array_equal(ours[path], value, err_msg=path)
    model.save(tmp_path / "again.keras")
    with zipfile.ZipFile(tmp_path / "again.keras") as zf:
        assert zf.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert sorted(_h5_tree(zf.read("model.weights.h5"))) == sorted(theirs)
        config = json.loads(zf.read("config.json"))
    layer = config["config"]["layers"][1]
    assert layer["module"] == "keras.layers"
    assert config["compile_config"]["optimizer"]["module"] == "keras.optimizers"


# ---- keras_bridge's own files ------------------------------------------------------------------
def _bn_model(units=3):
    return Sequential([Dense(units, activation="relu", input_shape=(4,), name="hidden"),
                       BatchNormalization(), Dense(2, name="out")])


def _trained_bn_model():
    model = _bn_model()
    rng = np.random.default_rng(0)
    model.compile(optimizer="adam", loss="mse")
    model.fit(rng.normal(size=(8, 4)).astype("float32"),
              rng.normal(size=(8, 2)).astype("float32"), verbose=0)
    return model


def test_keras_and_weights_h5_round_trip(backend, tmp_path):
    model = _trained_bn_model()
    x = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras")
    assert_close(loaded.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-7)
    saved_state = model.optimizer.state_for_saving()[1]
    for key, value in loaded.optimizer.state_for_saving()[1].items():
        np.testing.assert_allclose(value, saved_state[key], err_msg=key)
    model.save_weights(tmp_path / "m.weights.h5")
    fresh = _bn_model()
    fresh.load_weights(tmp_path / "m.weights.h5")
    for got, want in zip(fresh.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    tree = _h5_tree(str(tmp_path / "m.weights.h5"))
    # Keras's paths; BatchNormalization's moving statistics after gamma and beta;
    # Adam's iterations, learning rate, then (momentum, velocity) per weight.
    assert np.shape(tree["layers/batch_normalization/vars/2"]) == (3,)
    assert sorted(k for k in tree if k.startswith("layers/")) == sorted(
        [f"layers/dense/vars/{i}" for i in range(2)]
        + [f"layers/dense_1/vars/{i}" for i in range(2)]
        + [f"layers/batch_normalization/vars/{i}" for i in range(4)])
    assert len([k for k in tree if k.startswith("optimizer/")]) == 2 + 2 * 6
    np.testing.assert_array_equal(tree["optimizer/vars/2"], saved_state["0/momentum"])
    np.testing.assert_array_equal(tree["optimizer/vars/3"], saved_state["0/velocity"])


def test_npz_era_keras_file_still_loads(backend):
    stem, xs, ys = _fixture("keras_bridge_npz")
    model = saving.load_model(stem + ".keras")
    _assert_predictions(model, xs, ys)
    assert model.optimizer.state_for_saving() is not None
    target = saving.model_from_json(model.to_json())
    target.load_weights(stem + ".keras")
    _assert_predictions(target, xs, ys)


# ---- bad files ----------------------------------------------------------------------------------
def _unchanged(model, before):
    for got, want in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)


def test_truncated_files_change_nothing(backend, tmp_path):
    source = _trained_bn_model()
    source.save(tmp_path / "m.keras")
    source.save_weights(tmp_path / "m.weights.h5")
    target = _bn_model()
    before = target.get_weights()
    for name in ("m.weights.h5", "m.keras"):
        data = (tmp_path / name).read_bytes()
        cut_name = "cut." + name.split(".", 1)[1]
        for cut in (4, 100, len(data) // 2, len(data) - 10):
            (tmp_path / cut_name).write_bytes(data[:cut])
            with pytest.raises(InvalidFileError, match=cut_name.replace(".", r"\.")):
                target.load_weights(tmp_path / cut_name)
            if name.endswith(".keras"):
                with pytest.raises(InvalidFileError, match=r"cut\.keras"):
                    saving.load_model(tmp_path / cut_name)
    _unchanged(target, before)


def test_zip_without_config_and_foreign_h5(tmp_path):
    with zipfile.ZipFile(tmp_path / "noconfig.keras", "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        zf.writestr("model.weights.h5", b"")
    with pytest.raises(InvalidFileError, match=r"noconfig\.keras.*no member 'config\.json'"):
        saving.load_model(tmp_path / "noconfig.keras")
    target = _bn_model()
    before = target.get_weights()
    (tmp_path / "text.weights.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(InvalidFileError, match=r"text\.weights\.h5.*not an HDF5 file"):
        target.load_weights(tmp_path / "text.weights.h5")
    with h5py.File(tmp_path / "link.weights.h5", "w") as f:
        f["data"] = np.ones(3)
        f["layers/dense/vars/0"] = h5py.SoftLink("/data")
    with pytest.raises(InvalidFileError, match=r"link\.weights\.h5.*SoftLink"):
        target.load_weights(tmp_path / "link.weights.h5")
    with h5py.File(tmp_path / "strings.weights.h5", "w") as f:
        f["layers/dense/vars/0"] = np.array([b"abc"])
    with pytest.raises(InvalidFileError, match=r"strings\.weights\.h5.*dtype"):
        target.load_weights(tmp_path / "strings.weights.h5")
    _unchanged(target, before)


def test_weights_of_another_architecture_change_nothing(backend, tmp_path):
    nobias = Sequential([Dense(3, use_bias=False, input_shape=(4,)), BatchNormalization(),
                         Dense(2)])
    nobias.save_weights(tmp_path / "nobias.weights.h5")
    _bn_model(units=5).save_weights(tmp_path / "wider.weights.h5")
    target = _bn_model()
    before = target.get_weights()
    with pytest.raises(ValueError, match=r"(?s)No weight was changed.*layer 'hidden' "
                                         r"\(Dense\) at 'layers/dense': the file holds 1 "
                                         r"variables, the model has 2"):
        target.load_weights(tmp_path / "nobias.weights.h5")
    with pytest.raises(ValueError, match=r"variable 0 \(kernel\) has shape \(4, 5\) in the "
                                         r"file, the model expects \(4, 3\)"):
        target.load_weights(tmp_path / "wider.weights.h5")
    _unchanged(target, before)
    # skip_mismatch loads the layers that fit (BatchNormalization, the last Dense).
    with pytest.warns(UserWarning, match="skip_mismatch=True.*'layers/dense'"):
        target.load_weights(tmp_path / "nobias.weights.h5", skip_mismatch=True)
    _unchanged(target.layers[0], before[:2])
    for i in (1, 2):
        _unchanged(target.layers[i], nobias.layers[i].get_weights())
    with pytest.raises(ValueError, match="by_name"):
        target.load_weights(tmp_path / "nobias.weights.h5", by_name=True)
