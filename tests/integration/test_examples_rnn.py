"""The recurrent examples run as written, on each engine, with few steps, and learn."""

import numpy as np

from test_examples import _example, _fake_mnist


def _use_fake_mnist(tmp_path, monkeypatch, backend):
    from keras_bridge import config
    from keras_bridge.datasets import mnist
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    config.reset()
    config.set_backend(backend)
    digest = _fake_mnist(tmp_path / "datasets", np.random.default_rng(0))
    monkeypatch.setitem(mnist.FILE_HASHES, "mnist.npz", digest)
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", "http://127.0.0.1:9/")  # never contacted


def test_rnn_mnist_example_learns_with_train_on_batch(backend, tmp_path, monkeypatch,
                                                      capsys):
    _use_fake_mnist(tmp_path, monkeypatch, backend)
    costs, (loss, accuracy) = _example("rnn_mnist")["main"](steps=60)
    assert len(costs) == 61
    assert np.mean(costs[-5:]) < 0.5 * np.mean(costs[:5])
    assert accuracy > 0.5  # ten classes: chance is 0.1
    out = capsys.readouterr().out
    assert "240 train samples" in out and "60 test samples" in out
    assert f"Training on {backend}" in out and "(None, 50)" in out


def test_stateful_example_learns_and_carries_state(backend, capsys):
    module = _example("stateful_rnn")
    losses, model = module["main"](epochs=3, batches=8)
    assert losses[-1] < 0.7 * losses[0]
    assert "epoch 3/3" in capsys.readouterr().out
    get_batch = module["get_batch"]
    first, second = get_batch(0)[0], get_batch(module["TIME_STEPS"])[0]
    rnn = model.layers[0]
    assert rnn.stateful and rnn.states[0].shape == (50, 20)

    model.reset_states()
    assert not np.any(rnn.states[0].numpy())
    p_first = model.predict(first, batch_size=50, verbose=0)
    assert np.any(rnn.states[0].numpy())                    # predict left a state
    p_second_carried = model.predict(second, batch_size=50, verbose=0)
    model.reset_states()
    p_second_fresh = model.predict(second, batch_size=50, verbose=0)
    assert np.abs(p_second_carried - p_second_fresh).max() > 1e-3
    # The carried state helps: the second window continues the first one.
    cos = get_batch(module["TIME_STEPS"])[1]
    assert np.mean((p_second_carried - cos) ** 2) < np.mean((p_second_fresh - cos) ** 2)
    model.reset_states()
    np.testing.assert_allclose(model.predict(first, batch_size=50, verbose=0), p_first,
                               atol=1e-6)


def test_qa_example_learns_on_both_models(backend, capsys):
    qa_history, shared_history, shared = _example("qa_two_inputs")["main"](
        epochs=2, samples=1200, verbose=0)
    qa_losses = qa_history.history["loss"]
    assert qa_losses[1] < qa_losses[0]
    assert qa_history.history["val_accuracy"][-1] > 0.15    # ten answers: chance is 0.1
    shared_losses = shared_history.history["loss"]
    assert shared_losses[1] < shared_losses[0]
    out = capsys.readouterr().out
    assert 'Model: "question_answering"' in out and 'Model: "shared_lstm"' in out
    assert "The shared LSTM holds 3 weights" in out


def test_shared_lstm_has_one_set_of_weights_trained_by_both_inputs(backend):
    module = _example("qa_two_inputs")
    model, lstm = module["build_shared_model"]()
    assert [layer for layer in model.layers if layer is lstm] == [lstm]
    kernel, recurrent_kernel, bias = lstm.weights
    assert len(model.weights) == 3 + 2                      # the LSTM's 3 + Dense's 2
    assert len({id(w) for w in model.weights}) == len(model.weights)
    for mine in lstm.weights:                               # each held once, by identity
        assert sum(w is mine for w in model.weights) == 1
    assert model.count_params() == lstm.count_params() + 16 * 2 + 1

    # Input a uses only the first half of the features, input b only the second half, so
    # kernel rows 0-3 get gradient only through path a and rows 4-7 only through path b.
    features, length = module["FEATURES"], module["SEQUENCE_LENGTH"]
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, (32, length, features)).astype("float32")
    b = rng.normal(0, 1, (32, length, features)).astype("float32")
    a[..., features // 2:] = 0
    b[..., :features // 2] = 0
    y = rng.integers(0, 2, (32, 1)).astype("float32")

    def rows_changed(x):
        """Which halves of the kernel's rows one training step on a fresh model moves
        (fresh, so that no optimizer momentum from an earlier step moves a row)."""
        model, lstm = module["build_shared_model"]()
        kernel = lstm.weights[0]
        before = kernel.numpy().copy()
        model.train_on_batch(x, y)
        assert lstm.weights[0] is kernel and model.weights[0] is kernel  # updated in place
        for mine, models in zip(lstm.get_weights(), model.get_weights()[:3]):
            np.testing.assert_array_equal(mine, models)
        changed = np.abs(kernel.numpy() - before).max(axis=1) > 0
        return changed[:features // 2].tolist(), changed[features // 2:].tolist()

    half = features // 2
    # Both inputs train the one kernel; the controls show each path moves only its rows.
    assert rows_changed([a, b]) == ([True] * half, [True] * half)
    assert rows_changed([a, np.zeros_like(b)]) == ([True] * half, [False] * half)
    assert rows_changed([np.zeros_like(a), b]) == ([False] * half, [True] * half)
