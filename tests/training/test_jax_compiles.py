"""What JAX compiles for a model, and what it keeps: each step compiled once per batch
shape and reused across fit / evaluate / predict calls, and JAX's persistent cache in
$KERAS_HOME/jax_cache serving a second process. About the JAX engine only."""

import contextlib
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from keras_bridge import backends, config

pytestmark = pytest.mark.skipif(not backends.is_available("jax"),
                                reason="jax is not installed")


@contextlib.contextmanager
def backend_compiles():
    """The function names of the executables JAX compiled or loaded from its persistent
    cache inside the block: each one is a miss of the jitted function's own cache."""
    import jax
    names = []

    def listen(event, duration, **tags):
        if event == "/jax/core/compile/backend_compile_duration":
            names.append(tags.get("fun_name"))

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        yield names
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)


def test_steps_compile_once_per_batch_shape_across_calls():
    from keras_bridge.layers import Dense
    from keras_bridge.models import Sequential
    config.set_backend("jax")
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile("adam", "mse", metrics=["mae"])
    x, y = np.ones((70, 3), np.float32), np.ones((70, 2), np.float32)
    with backend_compiles() as first:  # batches of 32, 32, 6; validation 32, 8
        model.fit(x, y, batch_size=32, epochs=2, verbose=0, validation_data=(x[:40], y[:40]))
    # One train step per batch shape: none again for the second step (its optimizer
    # state and key, once made outside jit, come back from the first one committed).
    assert first.count("jit(_train_one)") == 2
    assert first.count("jit(_test_one)") == 2
    with backend_compiles() as later:  # new weights and learning rate are data
        model.set_weights(model.get_weights())
        model.optimizer.learning_rate = 0.5
        model.fit(x, y, batch_size=32, epochs=1, verbose=0, validation_data=(x[:40], y[:40]))
        model.evaluate(x[:40], y[:40], batch_size=32, verbose=0)
        model.predict(x, batch_size=32, verbose=0)
        model.predict(x, batch_size=32, verbose=0)
    assert [n for n in later if n in ("jit(_train_one)", "jit(_test_one)")] == []
    assert later.count("jit(_predict_fn)") == 2  # 32 and 6, the second predict reuses them


# ---------------------------------------------------------------- the persistent cache
def _settings(current=None, environ=(), switch_on=True, bounded=True):
    from keras_bridge.backends.jax import compile_cache
    values = {**compile_cache._DEFAULTS, **(current or {})}
    return compile_cache.settings(values, dict.fromkeys(environ, "x"), switch_on, "/home",
                                  bounded)


def test_cache_goes_to_keras_home_with_thresholds():
    assert _settings() == {"jax_compilation_cache_dir": os.path.join("/home", "jax_cache"),
                           "jax_persistent_cache_min_compile_time_secs": 0.1,
                           "jax_compilation_cache_max_size": 2 * 1024 ** 3}
    # Without filelock JAX cannot bound the folder: no bound asked for.
    assert "jax_compilation_cache_max_size" not in _settings(bounded=False)


def test_users_jax_cache_settings_win():
    assert _settings(switch_on=False) == {}
    assert _settings({"jax_compilation_cache_dir": "/mine"}) == {}
    assert _settings(environ=["JAX_COMPILATION_CACHE_DIR"]) == {}
    assert _settings({"jax_enable_compilation_cache": False}) == {}
    chosen = _settings({"jax_persistent_cache_min_compile_time_secs": 5.0},
                       ["JAX_COMPILATION_CACHE_MAX_SIZE"])
    assert list(chosen) == ["jax_compilation_cache_dir"]


def test_switch_from_variable_and_keras_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_JAX_COMPILATION_CACHE", raising=False)
    config.reset()
    assert config.jax_compilation_cache() is True
    (tmp_path / "keras.json").write_text(json.dumps({"jax_compilation_cache": False}))
    config.reset()
    assert config.jax_compilation_cache() is False
    from keras_bridge import __main__ as cli
    cli.main()
    assert "jax_compilation_cache: off" in capsys.readouterr().out
    monkeypatch.setenv("KERAS_JAX_COMPILATION_CACHE", "1")  # the variable wins
    config.reset()
    assert config.jax_compilation_cache() is True
    monkeypatch.setenv("KERAS_JAX_COMPILATION_CACHE", "maybe")
    config.reset()
    with pytest.raises(config.ConfigError, match="KERAS_JAX_COMPILATION_CACHE to be 1 or 0"):
        config.jax_compilation_cache()
    monkeypatch.delenv("KERAS_JAX_COMPILATION_CACHE")
    (tmp_path / "keras.json").write_text(json.dumps({"jax_compilation_cache": "no"}))
    config.reset()
    with pytest.raises(config.ConfigError, match="jax_compilation_cache to be true or false"):
        config.floatx()


_TRAIN = textwrap.dedent("""
    import jax
    import numpy as np
    events = []
    jax.monitoring.register_event_listener(lambda event, **tags: events.append(event))
    from keras_bridge import config
    from keras_bridge.layers import Dense
    from keras_bridge.models import Sequential
    config.set_backend("jax")
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile("adam", "mse")
    model.fit(np.ones((8, 3), np.float32), np.ones((8, 2), np.float32), verbose=0)
    print(jax.config.jax_compilation_cache_dir,
          *(events.count("/jax/compilation_cache/" + e) for e in ("cache_hits", "cache_misses")))
""")


def test_second_process_loads_the_train_step_from_keras_home(tmp_path):
    # No compile-time threshold: on a fast machine this tiny step compiles under it.
    env = {**os.environ, "KERAS_HOME": str(tmp_path), "OMP_NUM_THREADS": "1",
           "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0"}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    env.pop("KERAS_JAX_COMPILATION_CACHE", None)
    runs = []
    for _ in range(2):
        result = subprocess.run([sys.executable, "-c", _TRAIN], capture_output=True,
                                text=True, timeout=120, env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        runs.append(result.stdout.split())
    folder = str(tmp_path / "jax_cache")
    (first_dir, first_hits, first_misses), (second_dir, second_hits, second_misses) = runs
    assert first_dir == second_dir == folder
    assert first_hits == "0" and int(first_misses) > 0  # compiled, and written
    assert any(name.startswith("jit__train_one-") for name in os.listdir(folder))
    # The second process compiles nothing: the train step and every small op it needs
    # come from the cache.
    assert int(second_hits) == int(first_misses) and second_misses == "0"
