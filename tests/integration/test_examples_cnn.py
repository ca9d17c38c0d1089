"""The convolutional examples run as written, on each engine, with few steps."""

import numpy as np

from keras_bridge import backends
from test_examples import ROOT, _example, _fake_mnist


def _use_fake_mnist(tmp_path, monkeypatch, backend):
    from keras_bridge import config
    from keras_bridge.datasets import mnist
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    config.reset()
    config.set_backend(backend)
    digest = _fake_mnist(tmp_path / "datasets", np.random.default_rng(0))
    monkeypatch.setitem(mnist.FILE_HASHES, "mnist.npz", digest)
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", "http://127.0.0.1:9/")  # never contacted


def test_mnist_cnn_example_learns_from_the_cache(backend, tmp_path, monkeypatch, capsys):
    from keras_bridge.callbacks import History
    _use_fake_mnist(tmp_path, monkeypatch, backend)
    history = History()
    loss, accuracy = _example("mnist_cnn")["main"](epochs=2, limit=128, batch_size=16,
                                                   learning_rate=1e-3, verbose=2,
                                                   callbacks=[history])
    assert accuracy > 0.5  # ten classes: chance is 0.1
    losses = history.history["loss"]
    assert len(losses) == 2 and losses[1] < losses[0]
    out = capsys.readouterr().out
    assert "128 train samples" in out and "60 test samples" in out
    # The tutorial's channels_first shapes, as the summary prints them.
    assert "(None, 32, 28, 28)" in out and "(None, 64, 7, 7)" in out
    assert "(None, 3136)" in out and "Total params: 3,274,634" in out


def test_mnist_cnn_example_says_where_to_place_the_file_when_offline(tmp_path):
    import os
    import subprocess
    import sys
    env = {**os.environ, "KERAS_HOME": str(tmp_path)}
    script = str(ROOT / "examples" / "mnist_cnn.py")
    code = ("import runpy, keras_bridge.datasets.mnist as m; "
            "m.ORIGIN_FOLDER = 'http://127.0.0.1:9/'; "
            f"runpy.run_path({script!r}, run_name='__main__')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("MNIST is not available") and "mnist.npz" in lines[0]


def test_residual_inception_example_learns_and_engines_agree(backend, capsys):
    history, (loss, accuracy) = _example("residual_inception")["main"](
        epochs=2, samples=200, batch_size=20, verbose=2)
    assert accuracy > 0.6  # three classes: chance is 1/3
    losses = history.history["loss"]
    assert losses[1] < losses[0]
    out = capsys.readouterr().out
    assert 'Model: "residual_inception"' in out
    assert "concatenate" in out and "add (Add)" in out and "Total params:" in out
    if len(backends.available()) > 1:
        assert "torch and JAX agree" in out
