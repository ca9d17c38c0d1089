"""The README's commands and the examples work as written."""

import pathlib
import runpy

import pytest

from keras_bridge import backends

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci in (ROOT / "README.md").read_text()


def test_quickstart_runs_and_compares_engines(backend, capsys):
    runpy.run_path(str(ROOT / "examples" / "quickstart.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert 'Model: "quickstart"' in out and "Total params:" in out
    if len(backends.available()) > 1:
        assert "torch and JAX agree" in out


def _example(name):
    return runpy.run_path(str(ROOT / "examples" / f"{name}.py"))


def test_regression_example_recovers_the_line(backend, capsys):
    with pytest.warns(DeprecationWarning, match="units="):  # the tutorial's output_dim=
        weight, bias = _example("regression")["main"](steps=600)
    assert abs(weight - 0.5) < 0.05 and abs(bias - 2) < 0.05
    assert "test cost" in capsys.readouterr().out


def test_mlp_classifier_example_learns(backend, capsys):
    history, (loss, accuracy) = _example("mlp_classifier")["main"](epochs=2, samples=1200,
                                                                   verbose=2)
    assert accuracy > 0.8
    assert history.history["loss"][1] < history.history["loss"][0]
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "val_accuracy" in out


def _fake_mnist(folder, rng):
    """A small file in mnist.npz's real format: uint8 images of class-dependent bars."""
    import hashlib
    import numpy as np
    labels = rng.integers(0, 10, 300).astype(np.uint8)
    images = (rng.random((300, 28, 28)) * 40).astype(np.uint8)
    for i, label in enumerate(labels):
        images[i, 2 * label:2 * label + 3, :] = 255
    path = folder / "mnist.npz"
    folder.mkdir(parents=True)
    np.savez(path, x_train=images[:240], y_train=labels[:240], x_test=images[240:],
             y_test=labels[240:])
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_mnist_example_trains_from_the_cache(backend, tmp_path, monkeypatch, capsys):
    import numpy as np
    from keras_bridge import config
    from keras_bridge.datasets import mnist
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    config.reset()
    config.set_backend(backend)
    digest = _fake_mnist(tmp_path / "datasets", np.random.default_rng(0))
    monkeypatch.setitem(mnist.FILE_HASHES, "mnist.npz", digest)
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", "http://127.0.0.1:9/")  # never contacted
    loss, accuracy = _example("mnist_mlp")["main"](epochs=3, batch_size=32)
    assert accuracy > 0.9
    assert "240 train samples" in capsys.readouterr().out


def test_mnist_example_says_where_to_place_the_file_when_offline(tmp_path):
    import os
    import subprocess
    import sys
    env = {**os.environ, "KERAS_HOME": str(tmp_path)}
    code = ("import runpy, keras_bridge.datasets.mnist as m; "
            "m.ORIGIN_FOLDER = 'http://127.0.0.1:9/'; "
            f"runpy.run_path({str(ROOT / 'examples' / 'mnist_mlp.py')!r}, run_name='__main__')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("MNIST is not available") and "mnist.npz" in lines[0]
    assert str(tmp_path / "datasets") in lines[0]
    cache = tmp_path / "datasets"
    assert not cache.exists() or not any(cache.iterdir())  # no partial file left


def test_plot_and_tensorboard_example(tmp_path, capsys):
    pytest.importorskip("pydot")
    pytest.importorskip("tensorboardX")
    import os
    picture, logs, history = _example("plot_and_tensorboard")["main"](
        out=str(tmp_path), epochs=2)
    with open(picture, "rb") as f:
        data = f.read()
    if picture.endswith(".dot"):
        source = data.decode()
        assert all(f"<b>{name}</b>" in source for name in ("features", "wide", "narrow",
                                                            "join", "score"))
        assert source.count("->") == 5
    else:
        assert data.startswith(b"\x89PNG")
    assert sorted(os.listdir(logs)) == ["train", "validation"]
    assert len(history.history["loss"]) == 2
    assert "tensorboard --logdir" in capsys.readouterr().out
