"""callbacks.TensorBoard: the event files, read back record by record with
tensorboardX's Event protobuf, hold what History and the model hold, under Keras 3's
folders and tag names."""

import glob
import json
import os
import struct

import numpy as np
import pytest

pytest.importorskip("tensorboardX")  # the `tensorboard` extra, installed by `test`
from tensorboardX.proto.event_pb2 import Event  # noqa: E402

import keras_bridge as keras  # noqa: E402
from keras_bridge import callbacks, layers  # noqa: E402


def read_run(folder):
    """{tag: [(step, value)]} of every summary in the run's event files (TFRecord
    framing: length, its CRC, the Event bytes, their CRC)."""
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*"))):
        with open(path, "rb") as f:
            data, pos = f.read(), 0
        while pos < len(data):
            (length,) = struct.unpack("<Q", data[pos:pos + 8])
            event = Event.FromString(data[pos + 12:pos + 12 + length])
            pos += 12 + length + 4
            for value in event.summary.value:
                kind = value.WhichOneof("value")
                item = {"simple_value": value.simple_value, "histo": value.histo,
                        "image": value.image, "tensor": value.tensor}[kind]
                out.setdefault(value.tag, []).append((event.step, item))
    return out


def _data(n=24):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x.sum(axis=1) > 0).astype("float32")[:, None]


def _model():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="relu",
                                                              name="hidden"),
                              layers.Dense(1, activation="sigmoid", name="out")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    return model


def test_epoch_scalars_histograms_and_graph(backend, tmp_path):
    x, y = _data()
    model = _model()
    board = callbacks.TensorBoard(tmp_path, histogram_freq=1, write_images=True)
    history = model.fit(x, y, batch_size=8, epochs=2, validation_data=(x[:8], y[:8]),
                        verbose=0, callbacks=[board]).history
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train, val = read_run(tmp_path / "train"), read_run(tmp_path / "validation")

    for name in ("loss", "accuracy"):
        got = [(s, v) for s, v in train[f"epoch_{name}"]]
        np.testing.assert_allclose([v for _, v in got], history[name], rtol=1e-6)
        assert [s for s, _ in got] == [0, 1]
        np.testing.assert_allclose([v for _, v in val[f"epoch_{name}"]],
                                   history[f"val_{name}"], rtol=1e-6)
        # After each validation pass, at the optimizer's iteration count (3 batches/epoch).
        assert [s for s, _ in val[f"evaluation_{name}_vs_iterations"]] == [3, 6]
        np.testing.assert_allclose([v for _, v in val[f"evaluation_{name}_vs_iterations"]],
                                   history[f"val_{name}"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in train["epoch_learning_rate"]], [0.01, 0.01])
    assert not any(t.startswith("batch_") for t in train)  # update_freq='epoch'

    # Histograms of the final weights at the last epoch (numpy sums as reference).
    for weight, value in zip(model.weights, model.get_weights()):
        tag = f"{weight.path}/histogram"
        step, histo = train[tag][-1]
        assert [s for s, _ in train[tag]] == [0, 1] and step == 1
        assert histo.num == value.size
        np.testing.assert_allclose([histo.min, histo.max, histo.sum],
                                   [value.min(), value.max(), value.sum()], rtol=1e-5,
                                   atol=1e-6)
        assert (f"{weight.path}/image" in train) == (np.squeeze(value).ndim > 0)
    kernel = model.get_layer("hidden").kernel
    # hidden/kernel (3, 4) is drawn wide side horizontal: height 3, width 4.
    _, image = train[f"{kernel.path}/image"][-1]
    assert (image.height, image.width) == (3, 4)

    (step, tensor), = train["keras"]  # write_graph: the model's config for the Graphs tab
    assert step == 0
    assert json.loads(tensor.string_val[0]) == json.loads(model.to_json())


def test_batch_scalars_every_update_freq(backend, tmp_path):
    x, y = _data(40)
    model = _model()
    seen = {}
    record = callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.setdefault(len(seen) + 1, dict(logs)))
    board = callbacks.TensorBoard(tmp_path, update_freq=2, write_graph=False)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[record, board])
    train = read_run(tmp_path / "train")
    assert sorted(t for t in train if t.startswith("batch_")) == ["batch_accuracy",
                                                                   "batch_loss"]
    steps = [s for s, _ in train["batch_loss"]]
    assert steps == [2, 4, 6, 8, 10]  # 5 batches per epoch, counted across epochs
    np.testing.assert_allclose([v for _, v in train["batch_loss"]],
                               [seen[s]["loss"] for s in steps], rtol=1e-6)
    assert "keras" not in train and not os.path.exists(tmp_path / "validation")

    board = callbacks.TensorBoard(tmp_path / "b", update_freq="batch", write_graph=False)
    model.fit(x[:16], y[:16], batch_size=8, epochs=1, verbose=0, callbacks=[board])
    assert [s for s, _ in read_run(tmp_path / "b" / "train")["batch_loss"]] == [1, 2]


def test_evaluate_logs_to_validation(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    board = callbacks.TensorBoard(tmp_path, write_graph=False)
    loss, _ = model.evaluate(x, y, verbose=0, callbacks=[board])
    (step, value), = read_run(tmp_path / "validation")["evaluation_loss_vs_iterations"]
    assert step == 3 and value == pytest.approx(loss, rel=1e-6)


def test_embeddings_and_steps_per_second(tmp_path):
    model = keras.Sequential([keras.Input((2,), dtype="int32"),
                              layers.Embedding(5, 2, name="emb"), layers.Flatten(),
                              layers.Dense(1)])
    model.compile("sgd", "mse")
    board = callbacks.TensorBoard(tmp_path, embeddings_freq=1,
                                  embeddings_metadata={"emb": "meta.tsv"},
                                  write_steps_per_second=True, write_graph=False)
    x = np.array([[0, 1], [2, 3]], "int32")
    model.fit(x, np.zeros((2, 1), "float32"), epochs=1, verbose=0, callbacks=[board])
    config = (tmp_path / "projector_config.pbtxt").read_text()
    assert 'metadata_path: "meta.tsv"' in config and config.count("embeddings {") == 1
    saved = tmp_path / "train" / "keras_embedding.ckpt-0.weights.h5"
    other = keras.models.clone_model(model)
    other.load_weights(saved)
    np.testing.assert_array_equal(other.get_layer("emb").get_weights()[0],
                                  model.get_layer("emb").get_weights()[0])
    (_, rate), = read_run(tmp_path / "train")["epoch_steps_per_second"]
    assert rate > 0

    bad = callbacks.TensorBoard(tmp_path / "bad", embeddings_freq=1,
                                embeddings_metadata={"nope": "m.tsv"})
    with pytest.raises(ValueError, match=r"not Embedding layers of the model: \['nope'\]"):
        model.fit(x, np.zeros((2, 1), "float32"), verbose=0, callbacks=[bad])


def test_arguments(tmp_path):
    with pytest.warns(UserWarning, match="profiling is not supported.*jax.profiler"):
        board = callbacks.TensorBoard(tmp_path, profile_batch=(2, 4))
    assert board.profile_batch == (2, 4)
    callbacks.TensorBoard(tmp_path, profile_batch="0")  # Keras's string form, off
    for bad in (-1, (3, 2), "a,b", 1.5):
        with pytest.raises(ValueError, match="profile_batch must be"):
            callbacks.TensorBoard(tmp_path, profile_batch=bad)
    for bad in (0, "step", True):
        with pytest.raises(ValueError, match="update_freq must be"):
            callbacks.TensorBoard(tmp_path, update_freq=bad)
    with pytest.raises(ValueError, match="histogram_freq must be a non-negative"):
        callbacks.TensorBoard(tmp_path, histogram_freq=-1)
    with pytest.warns(DeprecationWarning, match=r"write_grads=.*Keras 2 argument"):
        callbacks.TensorBoard(tmp_path, write_grads=True)
    with pytest.raises(TypeError, match="unexpected arguments.*'colour'"):
        callbacks.TensorBoard(tmp_path, colour=1)
    assert not os.listdir(tmp_path)  # nothing is written before training


def test_missing_writer_names_the_package(monkeypatch, tmp_path):
    # Both libraries made unimportable for the loader's own imports only: a None in
    # sys.modules would also break the logger thread of a writer an earlier test left
    # (tensorboardX imports lazily there), an error pytest then pins on a later test.
    import importlib
    real = importlib.import_module

    def missing(name, *args):
        if name in ("tensorboardX", "torch.utils.tensorboard"):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", missing)
    with pytest.raises(ImportError, match=r"callbacks.TensorBoard requires tensorboardX.*"
                                          r"pip install tensorboardX.*keras-bridge\[tensorboard\]"):
        callbacks.TensorBoard(tmp_path)
