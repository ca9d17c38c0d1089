"""Ctrl-C at any moment of fit / evaluate / predict leaves a whole model: the weights
of before or after the interrupted step, an optimizer state that matches them, and a
model that still predicts and trains (guards.uninterrupted)."""

import os
import subprocess
import sys
import textwrap

# A signal timer (a thread sending SIGINT to the process) lands at random moments of
# repeated fit / evaluate / predict calls. Afterwards the model is replayed: a fresh
# copy from the same start, trained with train_on_batch on the same batches for as many
# steps as each interrupted fit made (the optimizer's iterations tell), must hold the
# very same weights and optimizer state, which proves no step was half applied.
_SCRIPT = textwrap.dedent("""
    import os, signal, sys, threading
    import numpy as np
    import keras_bridge as kb
    from keras_bridge import layers

    kb.config.set_backend(sys.argv[1])
    kb.utils.set_random_seed(0)

    def make():
        model = kb.Sequential([layers.Input((4,)), layers.Dense(8, activation="relu"),
                               layers.BatchNormalization(),
                               layers.Dense(3, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    rng = np.random.default_rng(0)
    x = rng.random((32, 4)).astype("float32")
    y = rng.integers(0, 3, 32)
    model = make()
    start = model.get_weights()
    calls = {"fit": lambda: model.fit(x, y, batch_size=8, epochs=5, verbose=0,
                                      shuffle=False),
             "evaluate": lambda: model.evaluate(x, y, batch_size=8, verbose=0),
             "predict": lambda: model.predict(x, batch_size=8, verbose=0)}
    for call in calls.values():  # compiled before the timers start
        call()
    steps = [model.optimizer.iterations]  # steps of each fit, in order
    interrupted = 0
    for trial in range(12):
        call = calls[("fit", "evaluate", "fit", "predict")[trial % 4]]
        before = model.optimizer.iterations
        timer = threading.Timer(rng.uniform(0.005, 0.1), os.kill,
                                (os.getpid(), signal.SIGINT))
        timer.start()
        try:
            while True:
                call()
                steps.append(model.optimizer.iterations - before)
                before = model.optimizer.iterations
        except KeyboardInterrupt:
            interrupted += 1
        timer.join()
        steps.append(model.optimizer.iterations - before)
        assert np.isfinite(model.predict(x, verbose=0)).all()
    assert interrupted == 12

    replay = make()
    replay.set_weights(start)
    for n in steps:  # each run starts at the first batch: whole epochs, then the rest
        if n >= 4:
            replay.fit(x, y, batch_size=8, epochs=n // 4, verbose=0, shuffle=False)
        for i in range(n % 4):
            replay.train_on_batch(x[i * 8:i * 8 + 8], y[i * 8:i * 8 + 8])
    assert replay.optimizer.iterations == model.optimizer.iterations
    for got, want in zip(model.get_weights(), replay.get_weights()):
        np.testing.assert_array_equal(got, want)
    _, got = model.optimizer.state_for_saving()
    _, want = replay.optimizer.state_for_saving()
    assert sorted(got) == sorted(want)
    for key in got:
        np.testing.assert_array_equal(np.asarray(got[key]), np.asarray(want[key]),
                                      err_msg=key)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    print("ok", sum(steps))
""")


def test_ctrl_c_anywhere_in_fit_evaluate_predict_leaves_a_whole_model(backend):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", _SCRIPT, backend], capture_output=True,
                            text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("ok")
