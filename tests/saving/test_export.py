"""Model.export: each engine's formats run outside the model (onnxruntime,
torch.export.load, jax.export.deserialize) and match predict at two batch sizes."""

import os
import re
import sys

import numpy as np
import pytest

from keras_bridge import backends, layers
from keras_bridge.export import engine_formats, load_exported
from keras_bridge.models import Model, Sequential

SUFFIX = {"onnx": ".onnx", "torch": ".pt2", "stablehlo": ".stablehlo"}
FORMATS = {"torch": ["onnx", "torch"], "jax": ["stablehlo"]}


def _model():
    """Two inputs (an image through Conv2D + BatchNormalization, a vector through Dense)
    and two outputs; BN's moving statistics set away from 0 / 1 so inference mode shows."""
    img, vec = layers.Input((6, 6, 3), name="img"), layers.Input((5,), name="vec")
    x = layers.Flatten()(layers.BatchNormalization()(layers.Conv2D(4, 3)(img)))
    x = layers.Concatenate()([x, layers.Dense(6, activation="relu")(vec)])
    model = Model([img, vec], [layers.Dense(2, name="logits")(x),
                               layers.Dense(1, activation="sigmoid", name="score")(x)])
    rng = np.random.default_rng(1)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32")
                       for w in model.get_weights()])
    return model


def _inputs(n, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(n, 6, 6, 3)).astype("float32"),
            rng.normal(size=(n, 5)).astype("float32")]


def _run_outside(format, path, xs):
    """The file run by its own runtime, not through keras_bridge."""
    if format == "onnx":
        import onnxruntime
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        assert [i.name for i in session.get_inputs()] == ["img", "vec"]
        assert [o.name for o in session.get_outputs()] == ["logits", "score"]
        assert all(isinstance(i.shape[0], str) for i in session.get_inputs())  # dynamic
        return session.run(None, {"img": xs[0], "vec": xs[1]})
    if format == "torch":
        import torch
        module = torch.export.load(path).module()
        return [o.detach().numpy() for o in module(*map(torch.from_numpy, xs))]
    from jax import export
    with open(path, "rb") as f:
        exported = export.deserialize(bytearray(f.read()))
    return [np.asarray(o) for o in exported.call(*xs)]


def test_exports_run_outside_and_match_predict(backend, tmp_path, capsys):
    model = _model()
    assert engine_formats(backends.get(backend)) == FORMATS[backend]
    for format in FORMATS[backend]:
        path = str(tmp_path / f"model{SUFFIX[format]}")
        assert model.export(path, format=format) == path
        assert capsys.readouterr().out == f"Saved artifact at '{path}'.\n"
        reloaded = load_exported(path)
        for n, seed in ((3, 0), (7, 1)):
            xs = _inputs(n, seed)
            expected = model.predict(xs, verbose=0)
            for got in (_run_outside(format, path, xs), reloaded(*xs)):
                assert [g.shape for g in got] == [(n, 2), (n, 1)]
                for g, e in zip(got, expected):
                    np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)


class _Scaled(Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(3)

    def call(self, x):
        return self.dense(x) * 2.0


def test_subclassed_sequential_and_recurrent_models_export(backend, tmp_path):
    format = FORMATS[backend][-1]  # the quicker format where an engine has two
    sub = _Scaled()
    sub.build((None, 4))
    seq = Sequential([layers.Input((4,)), layers.Dense(2, activation="tanh")])
    # The batch stays symbolic through the RNN's zero state and Embedding's lookup.
    rnn = Sequential([layers.Input((4,), dtype="int32"), layers.Embedding(7, 3),
                      layers.LSTM(2)])
    for i, model in enumerate((sub, seq, rnn)):
        path = str(tmp_path / f"m{i}{SUFFIX[format]}")
        model.export(path, format=format, verbose=False)
        for n in (1, 5):
            x = np.random.default_rng(n).normal(size=(n, 4)).astype("float32")
            x = (np.abs(x) * 3).astype("int32") if model is rnn else x
            np.testing.assert_allclose(load_exported(path)(x), model.predict(x, verbose=0),
                                       rtol=1e-5, atol=1e-5)


def test_bad_requests_name_what_is_accepted_and_write_nothing(backend, tmp_path):
    model = Sequential([layers.Input((4,)), layers.Dense(2)])
    valid = FORMATS[backend]
    listed = re.escape(f"{backend} engine exports to formats {valid}")
    with pytest.raises(ValueError, match=rf"Unrecognized export format='keras'.*{listed}"):
        model.export(tmp_path / "m", format="keras")
    with pytest.raises(ValueError, match=r"format='tf_saved_model'\) needs TensorFlow"):
        model.export(tmp_path / "m")  # Keras's default format
    other = "stablehlo" if backend == "torch" else "onnx"
    with pytest.raises(ValueError, match=rf"{listed}.*'{other}'.*to_backend"):
        model.export(tmp_path / "m", format=other)
    with pytest.raises(ValueError, match=r"Unrecognized arguments.*\['colour'\]"):
        model.export(tmp_path / "m", format=valid[0], colour=1)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        model.export(tmp_path / "no" / f"m{SUFFIX[valid[0]]}", format=valid[0])
    with pytest.raises(ValueError, match="has not been built"):
        Sequential([layers.Dense(2)]).export(tmp_path / "m", format=valid[0])
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(not backends.is_available("torch"), reason="torch is not installed")
def test_torch_format_needs_a_pt2_path(tmp_path):
    from keras_bridge import config
    config.set_backend("torch")
    model = Sequential([layers.Input((4,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"must end with '\.pt2'.*'.*model\.pt'"):
        model.export(tmp_path / "model.pt", format="torch")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(not backends.is_available("torch"), reason="torch is not installed")
def test_missing_onnx_gives_the_install_hint(monkeypatch, tmp_path):
    from keras_bridge import config
    config.set_backend("torch")
    model = Sequential([layers.Input((4,)), layers.Dense(2)])
    monkeypatch.setitem(sys.modules, "onnxscript", None)
    with pytest.raises(ImportError, match=r"export\(format='onnx'\) requires onnxscript.*"
                                          r"pip install onnxscript.*keras-bridge\[onnx\]"):
        model.export(tmp_path / "m.onnx", format="onnx")
    assert os.listdir(tmp_path) == []


def test_load_exported_errors(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match=r"Cannot tell the format.*\['\.onnx', '\.pt2', "
                                         r"'\.stablehlo'\].*format="):
        load_exported(tmp_path / "model.bin")
    with pytest.raises(ValueError, match=r"Unrecognized format='keras'; expected one of"):
        load_exported(tmp_path / "model.bin", format="keras")
    with pytest.raises(FileNotFoundError, match="No exported file"):
        load_exported(tmp_path / "model.onnx")
    (tmp_path / "model.onnx").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ImportError, match=r"requires onnxruntime.*pip install onnxruntime.*"
                                          r"keras-bridge\[onnx\]"):
        load_exported(tmp_path / "model.onnx")
