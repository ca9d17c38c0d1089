"""Keras 2's HDF5 files (``.h5``): full models and weights-only files, both directions.

The fixtures ``fixtures/k2_*`` were written by real Keras 3.15.1's legacy HDF5 writer
on JAX (make_keras2_h5_fixtures.py) with the predictions Keras made. A tf.keras 2 file
(``dense/kernel:0`` names, ``batch_input_shape``, ``axis: [1]``, ``Custom>Adam``) is
written here with h5py and checked against numpy math.
"""

import json
import os

import h5py
import numpy as np
import pytest

from keras_bridge import saving
from keras_bridge.layers import LSTM, BatchNormalization, Bidirectional, Dense, Embedding
from keras_bridge.models import Model, Sequential
from keras_bridge.saving import InvalidFileError
from tests.support.layer_checks import assert_close

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
KERAS_MODELS = ["k2_cnn_bn", "k2_rnn", "k2_two_in_two_out"]


def _fixture(name):
    ref = np.load(os.path.join(FIXTURES, f"{name}.npz"))
    xs = [ref[k] for k in sorted(ref.files) if k.startswith("x")]
    ys = [ref[k] for k in sorted(ref.files) if k.startswith("y")]
    return os.path.join(FIXTURES, name), xs, ys


def _assert_predictions(model, xs, ys):
    out = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    for got, want in zip(out if isinstance(out, list) else [out], ys, strict=True):
        assert_close(got, want, rtol=1e-5, atol=1e-6)


def _s(name):
    return name.decode() if isinstance(name, bytes) else str(name)


def _layer_groups(path):
    """{layer name: [arrays in weight_names order]} and layer_names of a weights group."""
    with h5py.File(path, "r") as f:
        group = f if "layer_names" in f.attrs else f["model_weights"]
        names = [_s(n) for n in group.attrs["layer_names"]]
        arrays = {n: [group[n][_s(w)][()]
                      for w in group[n].attrs["weight_names"]] for n in names}
    return names, arrays


def _unchanged(model, before):
    for got, want in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)


# ---- files written by Keras's legacy writer ---------------------------------------------------
@pytest.mark.parametrize("name", KERAS_MODELS)
def test_keras_h5_model_loads_with_keras_predictions(backend, name):
    stem, xs, ys = _fixture(name)
    model = saving.load_model(stem + ".h5")
    assert model.backend_name == backend
    _assert_predictions(model, xs, ys)
    # training_config compiled back; optimizer_weights resume Keras's state (one step).
    _, state = model.optimizer.state_for_saving()
    assert int(state["iterations"]) == 1


@pytest.mark.parametrize("name", KERAS_MODELS)
def test_keras_h5_weights_only_loads_by_order_and_by_name(backend, name):
    stem, xs, ys = _fixture(name)
    config = saving.load_model(stem + ".h5", compile=False).to_json()
    model = saving.model_from_json(config)
    model.load_weights(stem + ".weights_only.h5")
    _assert_predictions(model, xs, ys)
    by_name = saving.model_from_json(config)
    by_name.load_weights(stem + ".weights_only.h5", by_name=True)
    _assert_predictions(by_name, xs, ys)


@pytest.mark.parametrize("name", KERAS_MODELS)
def test_rewritten_h5_has_keras_layer_order_and_values(backend, name, tmp_path):
    """Saving a loaded Keras file writes Keras's layer list, and each layer's weights
    in Keras's order (BatchNormalization gamma, beta, moving_mean, moving_variance;
    LSTM kernel, recurrent_kernel, bias; Bidirectional forward, then backward)."""
    stem, xs, ys = _fixture(name)
    model = saving.load_model(stem + ".h5")
    model.save(tmp_path / "again.h5")
    model.save_weights(tmp_path / "again_w.h5")
    theirs_names, theirs = _layer_groups(stem + ".h5")
    for ours_path in (tmp_path / "again.h5", tmp_path / "again_w.h5"):
        ours_names, ours = _layer_groups(ours_path)
        assert ours_names == theirs_names
        for layer, arrays in theirs.items():
            assert len(ours[layer]) == len(arrays), layer
            for got, want in zip(ours[layer], arrays):
                np.testing.assert_array_equal(got, want, err_msg=layer)
    with h5py.File(tmp_path / "again.h5", "r") as f:
        assert json.loads(f.attrs["model_config"])["class_name"] in ("Sequential",
                                                                     "Functional")
        theirs_opt = h5py.File(stem + ".h5", "r")["optimizer_weights"]
        ours_opt = f["optimizer_weights"]
        assert len(ours_opt.attrs["weight_names"]) == len(theirs_opt.attrs["weight_names"])
        for a, b in zip(ours_opt.attrs["weight_names"], theirs_opt.attrs["weight_names"]):
            np.testing.assert_array_equal(ours_opt[_s(a)][()], theirs_opt[_s(b)][()])
    _assert_predictions(saving.load_model(tmp_path / "again.h5"), xs, ys)


# ---- a tf.keras 2 file -------------------------------------------------------------------------
def _tf_keras_file(path, rng):
    """What tf.keras 2.x wrote for Dense(3) -> BatchNormalization, compiled with Adam:
    weight names with ':0', batch_input_shape, axis as a list, Custom>Adam, and the
    optimizer's weights in tf.keras's own layout (iteration + m, v: not Keras 3's)."""
    dense = {"name": "dense", "trainable": True, "batch_input_shape": [None, 4],
             "dtype": "float32", "units": 3, "activation": "linear", "use_bias": True,
             "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
             "bias_initializer": {"class_name": "Zeros", "config": {}},
             "kernel_regularizer": None, "bias_regularizer": None,
             "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}
    bn = {"name": "batch_normalization", "trainable": True, "dtype": "float32", "axis": [1],
          "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
          "beta_initializer": {"class_name": "Zeros", "config": {}},
          "gamma_initializer": {"class_name": "Ones", "config": {}},
          "moving_mean_initializer": {"class_name": "Zeros", "config": {}},
          "moving_variance_initializer": {"class_name": "Ones", "config": {}},
          "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
          "gamma_constraint": None}
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4],
                                                "dtype": "float32", "sparse": False,
                                                "ragged": False, "name": "dense_input"}},
        {"class_name": "Dense", "config": dense},
        {"class_name": "BatchNormalization", "config": bn}]}}
    training = {"loss": "mean_squared_error", "metrics": ["mae"], "weighted_metrics": None,
                "loss_weights": None, "optimizer_config": {
                    "class_name": "Custom>Adam", "config": {
                        "name": "Adam", "learning_rate": 0.002, "decay": 0.0, "beta_1": 0.9,
                        "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False,
                        "is_legacy_optimizer": False, "jit_compile": True}}}
    w = {"dense/kernel:0": rng.normal(size=(4, 3)), "dense/bias:0": rng.normal(size=3),
         "batch_normalization/gamma:0": rng.uniform(0.5, 2, 3),
         "batch_normalization/beta:0": rng.normal(size=3),
         "batch_normalization/moving_mean:0": rng.normal(size=3),
         "batch_normalization/moving_variance:0": rng.uniform(0.5, 2, 3)}
    w = {k: v.astype("float32") for k, v in w.items()}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.12.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode()
        f.attrs["training_config"] = json.dumps(training).encode()
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = [b"dense", b"batch_normalization"]
        g.attrs["backend"], g.attrs["keras_version"] = b"tensorflow", b"2.12.0"
        for layer in ("dense", "batch_normalization"):
            names = [k for k in w if k.startswith(layer + "/")]
            g.create_group(layer).attrs["weight_names"] = [n.encode() for n in names]
            for n in names:
                g[layer][n] = w[n]
        o = f.create_group("optimizer_weights")
        names = ["Adam/iter:0"] + [f"Adam/m/{k}" for k in list(w)[:4]] + \
                [f"Adam/v/{k}" for k in list(w)[:4]]
        o.attrs["weight_names"] = [n.encode() for n in names]
        o["Adam/iter:0"] = np.int64(7)
        for n in names[1:]:
            o[n] = np.zeros_like(w[n.split("/", 2)[2]])
    return w


def test_tf_keras_file_loads_with_numpy_predictions(backend, tmp_path):
    w = _tf_keras_file(tmp_path / "tf.h5", np.random.default_rng(0))
    with pytest.warns(UserWarning, match=r"Skipping the optimizer state in .*tf\.h5.*9 "
                                         r"variables"):
        model = saving.load_model(tmp_path / "tf.h5")
    assert model.optimizer.learning_rate == pytest.approx(0.002)
    x = np.random.default_rng(1).normal(size=(5, 4)).astype("float32")
    h = x @ w["dense/kernel:0"] + w["dense/bias:0"]
    want = (h - w["batch_normalization/moving_mean:0"]) / np.sqrt(
        w["batch_normalization/moving_variance:0"] + 1e-3) * \
        w["batch_normalization/gamma:0"] + w["batch_normalization/beta:0"]
    assert_close(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)
    model.fit(x, want, verbose=0)  # compiled from training_config: it trains


# ---- keras_bridge's own files ---------------------------------------------------------------
def _rnn_model(units=3):
    return Sequential([Embedding(9, 4, input_shape=(5,), name="emb"),
                       Bidirectional(LSTM(units), name="bi"),
                       BatchNormalization(name="bn"), Dense(2, name="out")])


def test_h5_round_trip_with_optimizer(backend, tmp_path):
    model = _rnn_model()
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 9, size=(6, 5)).astype("int32")
    model.fit(x, rng.normal(size=(6, 2)).astype("float32"), verbose=0)
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.h5")
    loaded = saving.load_model(tmp_path / "m.h5")
    assert_close(loaded.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-7)
    saved_state = model.optimizer.state_for_saving()[1]
    for key, value in loaded.optimizer.state_for_saving()[1].items():
        np.testing.assert_allclose(value, saved_state[key], err_msg=key)
    model.save_weights(tmp_path / "w.hdf5")
    fresh = _rnn_model()
    fresh.load_weights(tmp_path / "w.hdf5")
    _unchanged(fresh, model.get_weights())
    with h5py.File(tmp_path / "w.hdf5", "r") as f:
        assert [_s(n) for n in f.attrs["layer_names"]] == ["emb", "bi", "bn", "out"]
        names = [_s(n) for n in f["bi"].attrs["weight_names"]]
        # Keras 3's names (its legacy writer uses the paths; checked with Keras 3.15)
        assert names == [f"{model.name}/bi/{side}_lstm/lstm_cell/{w}"
                         for side in ("forward", "backward")
                         for w in ("kernel", "recurrent_kernel", "bias")]
        assert [n.split("/")[-1] for n in names[:3]] == ["kernel", "recurrent_kernel", "bias"]
        assert [_s(n).split("/")[-1] for n in f["bn"].attrs["weight_names"]] == [
            "gamma", "beta", "moving_mean", "moving_variance"]
        assert "model_config" not in f.attrs
    # save_format='h5' is Keras 2's spelling for the same thing.
    model.save(tmp_path / "sf.h5", save_format="h5")
    assert_close(saving.load_model(tmp_path / "sf.h5").predict(x, verbose=0), expected,
                 rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="save_format='h5' does not match"):
        model.save(tmp_path / "m.keras", save_format="h5")


def test_weights_h5_path_in_keras2_layout_loads(backend, tmp_path):
    """tf.keras's save_weights('x.weights.h5') wrote Keras 2's layout; it is recognized
    by its content."""
    model = _rnn_model()
    model.save_weights(tmp_path / "k2.h5")
    os.rename(tmp_path / "k2.h5", tmp_path / "k2.weights.h5")
    fresh = _rnn_model()
    fresh.load_weights(tmp_path / "k2.weights.h5")
    _unchanged(fresh, model.get_weights())


def test_by_name_and_skip_mismatch(backend, tmp_path):
    source = Sequential([Dense(3, input_shape=(4,), name="a"), Dense(2, name="b"),
                         Dense(5, name="c")])
    source.save_weights(tmp_path / "w.h5")
    # by_name: layers matched by name whatever their order; others left as they are.
    inp = Dense(3, input_shape=(4,), name="a")
    target = Sequential([inp, Dense(2, name="b"), Dense(7, name="other")])
    before_other = target.layers[2].get_weights()
    target.load_weights(tmp_path / "w.h5", by_name=True)
    _unchanged(target.layers[0], source.layers[0].get_weights())
    _unchanged(target.layers[1], source.layers[1].get_weights())
    _unchanged(target.layers[2], before_other)
    # Topological order: layer 'other' has a kernel of another shape.
    fresh = Sequential([Dense(3, input_shape=(4,), name="x"), Dense(2, name="y"),
                        Dense(6, name="z")])
    before = fresh.get_weights()
    with pytest.raises(ValueError, match=r"(?s)w\.h5.*No weight was changed.*layer #2 "
                                         r"\('z' in the model, 'c' in the file.*shape "
                                         r"\(2, 5\), the model expects \(2, 6\)"):
        fresh.load_weights(tmp_path / "w.h5")
    _unchanged(fresh, before)
    with pytest.warns(UserWarning, match=r"skip_mismatch=True.*'z'"):
        fresh.load_weights(tmp_path / "w.h5", skip_mismatch=True)
    _unchanged(fresh.layers[0], source.layers[0].get_weights())
    _unchanged(fresh.layers[1], source.layers[1].get_weights())
    _unchanged(fresh.layers[2], before[4:])  # kernel and bias both of another shape
    # by_name with a weight-count mismatch: an error, or skipped with skip_mismatch.
    nobias = Sequential([Dense(3, input_shape=(4,), name="a", use_bias=False)])
    with pytest.raises(ValueError, match=r"layer #0 'a' \(Dense\) has 1 weight\(s\) in the "
                                         r"model, 2 in the file"):
        nobias.load_weights(tmp_path / "w.h5", by_name=True)
    with pytest.warns(UserWarning, match="skip_mismatch"):
        nobias.load_weights(tmp_path / "w.h5", by_name=True, skip_mismatch=True)
    # Layer count mismatch by order.
    short = Sequential([Dense(3, input_shape=(4,))])
    with pytest.raises(ValueError, match=r"layer count mismatch. The model has 1 layers "
                                         r"with weights \['dense'\], the file 3"):
        short.load_weights(tmp_path / "w.h5")


# ---- bad files ----------------------------------------------------------------------------------
def test_bad_h5_files_raise_invalid_file_error_and_change_nothing(backend, tmp_path):
    model = _rnn_model()
    model.save(tmp_path / "m.h5")
    model.save_weights(tmp_path / "w.h5")
    target = _rnn_model()
    before = target.get_weights()
    data = (tmp_path / "m.h5").read_bytes()
    for cut in (0, 4, 100, len(data) // 2, len(data) - 10):
        (tmp_path / "cut.h5").write_bytes(data[:cut])
        with pytest.raises(InvalidFileError, match=r"cut\.h5"):
            saving.load_model(tmp_path / "cut.h5")
        with pytest.raises(InvalidFileError, match=r"cut\.h5"):
            target.load_weights(tmp_path / "cut.h5")
    with pytest.raises(InvalidFileError, match=r"w\.h5.*no 'model_config'.*load_weights"):
        saving.load_model(tmp_path / "w.h5")
    # The weights no longer fit the model_config: a layer dropped from layer_names.
    with h5py.File(tmp_path / "m.h5", "r+") as f:
        group = f["model_weights"]
        group.attrs["layer_names"] = group.attrs["layer_names"][:-1]
    with pytest.raises(InvalidFileError, match=r"m\.h5.*does not fit together.*layer count "
                                               r"mismatch"):
        saving.load_model(tmp_path / "m.h5")
    # A listed weight missing from its layer group.
    with h5py.File(tmp_path / "w.h5", "r+") as f:
        del f["bn"][_s(f["bn"].attrs["weight_names"][2])]
    with pytest.raises(InvalidFileError, match=r"w\.h5.*lists weight .*moving_mean.*"
                                               r"incomplete"):
        target.load_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f["data"] = np.ones(3)
    with pytest.raises(InvalidFileError, match=r"foreign\.h5.*not a Keras 2 HDF5"):
        target.load_weights(tmp_path / "foreign.h5")
    with h5py.File(tmp_path / "badjson.h5", "w") as f:
        f.attrs["model_config"] = b"{not json"
        f.create_group("model_weights").attrs["layer_names"] = np.asarray([])
    with pytest.raises(InvalidFileError, match=r"model_config attribute of .*badjson\.h5.*JSON"):
        saving.load_model(tmp_path / "badjson.h5")
    _unchanged(target, before)


def test_h5_writes_are_atomic(backend, tmp_path):
    model = _rnn_model()
    model.save(tmp_path / "m.h5")
    original = (tmp_path / "m.h5").read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(tmp_path / "m.h5", overwrite=False)

    class Sub(Model):  # no get_config: save fails before the file is touched
        def __init__(self):
            super().__init__()
            self.d = Dense(2)

        def call(self, x):
            return self.d(x)

    sub = Sub()
    sub(np.zeros((1, 3), "float32"))
    with pytest.raises(NotImplementedError):
        sub.save(tmp_path / "m.h5")
    assert (tmp_path / "m.h5").read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.h5"]
