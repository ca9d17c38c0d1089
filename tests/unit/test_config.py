"""Config resolution (KERAS_BACKEND, keras.json, default), its errors, and
``python -m keras_bridge``."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from keras_bridge import backends
import keras_bridge
from keras_bridge import __main__ as cli
from keras_bridge import config

BOTH = len(backends.available()) == 2
needs_both = pytest.mark.skipif(not BOTH, reason="needs torch and jax installed")
FIRST = backends.available()[0] if backends.available() else None


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty KERAS_HOME, no KERAS_BACKEND, settings forgotten."""
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    config.reset()
    return tmp_path


def write(home, content):
    """Write keras.json (a dict as JSON, a str as is) and return its path."""
    path = home / "keras.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def only(*installed):
    """A stand-in for ``keras_bridge.backends.is_available`` that reports only ``installed``."""
    return lambda name: name in installed


def error_of():
    """The message of the ConfigError that resolving the backend raises."""
    with pytest.raises(config.ConfigError) as info:
        config.backend()
    return str(info.value)


# ---------------------------------------------------------------- resolution order

def test_default_is_first_installed_engine(home):
    assert config.backend() == FIRST
    assert config.backend_source().startswith("default")
    assert config.config_path() == os.path.join(str(home), "keras.json")


@needs_both
def test_default_prefers_torch_then_jax(home, monkeypatch):
    assert config.backend() == "torch"
    monkeypatch.setattr(backends, "is_available", only("jax"))
    config.reset()
    assert config.backend() == "jax"


@needs_both
def test_file_beats_default(home):
    path = write(home, {"backend": "jax"})
    assert config.backend() == "jax"
    assert config.backend_source() == path


@needs_both
def test_variable_beats_file(home, monkeypatch):
    write(home, {"backend": "jax"})
    monkeypatch.setenv("KERAS_BACKEND", " Torch ")  # case and spaces forgiven
    assert config.backend() == "torch"
    assert "KERAS_BACKEND" in config.backend_source()


def test_empty_variable_is_unset(home, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "")
    assert config.backend() == FIRST


def test_keras_home_defaults_to_dot_keras(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config.config_path() == os.path.join(str(tmp_path), ".keras", "keras.json")


def test_file_values_are_read(home):
    write(home, {"backend": FIRST, "floatx": "float64", "epsilon": 1,
                 "image_data_format": "channels_first", "unknown_key": [1, 2]})
    assert config.floatx() == "float64"
    assert config.epsilon() == 1.0 and isinstance(config.epsilon(), float)
    assert config.image_data_format() == "channels_first"


def test_missing_keys_keep_defaults(home):
    write(home, {})
    assert (config.floatx(), config.epsilon(), config.image_data_format()) == (
        "float32", 1e-7, "channels_last")
    assert config.backend() == FIRST


def test_settings_are_read_once_until_reset(home):
    assert config.floatx() == "float32"
    write(home, {"floatx": "float16"})
    assert config.floatx() == "float32"
    config.reset()
    assert config.floatx() == "float16"


# ---------------------------------------------------------------- the file is only read

def test_file_never_written(home):
    write(home, {"floatx": "float64", "epsilon": 0.001})
    before = {p: (home / p).read_bytes() for p in os.listdir(home)}
    config.backend()
    config.set_floatx("float16")
    config.set_epsilon(1e-3)
    config.set_image_data_format("channels_first")
    config.set_backend(FIRST)
    assert {p: (home / p).read_bytes() for p in os.listdir(home)} == before
    assert json.loads((home / "keras.json").read_text()) == {"floatx": "float64", "epsilon": 0.001}


def test_missing_home_is_not_created(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("KERAS_HOME", str(missing))
    config.set_floatx("float64")
    config.backend()
    assert not missing.exists() and os.listdir(tmp_path) == []


def test_import_creates_nothing_and_imports_no_engine(tmp_path):
    code = ("import sys, json, keras_bridge\n"
            "from keras_bridge import config\n"
            "config.backend(); config.floatx()\n"
            "print(json.dumps(sorted(m for m in ('torch', 'jax') if m in sys.modules)))\n")
    env = dict(os.environ, KERAS_HOME=str(tmp_path / "home"), HOME=str(tmp_path))
    env.pop("KERAS_BACKEND", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True, cwd=str(tmp_path))
    assert json.loads(out.stdout) == []
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- errors from the file

def test_malformed_json(home):
    path = write(home, '{"backend": "torch",')
    message = error_of()
    assert path in message and "JSON" in message and "Fix or delete" in message
    assert "\n" not in message


def test_non_object_json(home):
    path = write(home, "[1, 2]")
    message = error_of()
    assert path in message and "list" in message and "JSON object" in message


@pytest.mark.parametrize("key, value, accepted", [
    ("epsilon", "abc", "positive number"),
    ("epsilon", -1.0, "positive number"),
    ("epsilon", True, "positive number"),
    ("floatx", "float8", "'float32'"),
    ("image_data_format", "nhwc", "'channels_last'"),
])
def test_wrong_value_in_file(home, key, value, accepted):
    path = write(home, {key: value})
    message = error_of()
    assert path in message and key in message and repr(value) in message
    assert accepted in message


@pytest.mark.parametrize("text, shown", [('{"epsilon": Infinity}', "inf"),
                                         ('{"epsilon": NaN}', "nan"),
                                         ('{"epsilon": 1e999}', "inf"),
                                         ('{"epsilon": 0}', "0")])
def test_epsilon_must_be_finite_and_positive(home, text, shown):
    """Python's json reads Infinity and NaN; either would make every crossentropy NaN."""
    path = write(home, text)
    with pytest.raises(config.ConfigError) as info:
        config.epsilon()
    message = str(info.value)
    assert path in message and f"Received: {shown} " in message
    assert "finite positive number" in message and f"Edit 'epsilon' in {path}" in message
    os.remove(path)
    config.reset()
    with pytest.raises(config.ConfigError, match="set_epsilon"):
        config.set_epsilon(float("inf"))
    assert config.epsilon() == 1e-7  # unchanged


@pytest.mark.parametrize("text", ["[" * 200000, '{"a": ' * 150 + "1" + "}" * 150],
                         ids=["past-the-parser", "past-the-bound"])
def test_deeply_nested_file(home, text):
    path = write(home, text)
    message = error_of()
    assert path in message and "nests" in message and "Fix or delete" in message


def test_unreadable_file(home, monkeypatch):
    path = write(home, "{}")

    def refuse(*args, **kwargs):  # root reads any file, so the refusal is simulated
        raise PermissionError(13, "Permission denied", path)
    monkeypatch.setattr(config, "open", refuse, raising=False)
    message = error_of()
    assert path in message and "PermissionError" in message and "readable" in message
    assert "KERAS_HOME" in message


def test_directory_in_place_of_the_file(home):
    (home / "keras.json").mkdir()
    message = error_of()
    assert str(home / "keras.json") in message and "it is a directory" in message
    assert "remove it" in message


def test_wrong_value_in_file_says_how_to_fix(home):
    path = write(home, {"floatx": "float8"})
    assert f"Edit 'floatx' in {path}" in error_of()


def test_backend_not_a_string_in_file(home):
    path = write(home, {"backend": 123})
    message = error_of()
    assert path in message and "123" in message and "KERAS_BACKEND=torch" in message


def test_unknown_backend_in_file(home):
    path = write(home, {"backend": "trch"})  # a typo is a mistake to fix, not another Keras
    message = error_of()
    assert path in message and "'trch'" in message
    assert "'torch'" in message and "'jax'" in message  # the accepted values
    assert f"Edit 'backend' in {path}" in message  # the fix


# ---------------------------------------------------------------- a file written by Keras

KERAS_WRITTEN = {"floatx": "float32", "epsilon": 1e-07, "backend": "tensorflow",
                 "image_data_format": "channels_last"}


@pytest.mark.parametrize("name", ["tensorflow", "TensorFlow", "theano", "cntk", "numpy"])
def test_other_keras_backend_in_file_is_ignored_with_one_warning(home, name):
    path = write(home, {**KERAS_WRITTEN, "backend": name, "floatx": "float64"})
    with pytest.warns(UserWarning) as record:
        assert config.backend() == FIRST
        assert config.backend_source().startswith("default")
        assert config.backend() == FIRST  # resolved once: no second warning
    assert len(record) == 1
    message = str(record[0].message)
    assert path in message and repr(name) in message and "KERAS_BACKEND" in message
    assert config.floatx() == "float64"  # the file's other settings still apply


@needs_both
def test_variable_beats_a_keras_written_file_without_warning(home, monkeypatch):
    write(home, KERAS_WRITTEN)
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert config.backend() == "jax"  # filterwarnings=error: a warning would fail here


@needs_both
def test_set_backend_works_over_a_keras_written_file(home):
    write(home, KERAS_WRITTEN)
    config.set_backend("jax")
    assert config.backend() == "jax" and config.backend_source() == "set_backend()"


def test_building_models_never_resolves_the_backend(home, monkeypatch):
    write(home, KERAS_WRITTEN)

    def refuse():
        raise AssertionError("the backend was resolved while building")

    monkeypatch.setattr(config, "_resolve_backend", refuse)
    from keras_bridge import Input, Model
    from keras_bridge.layers import Conv2D, Dense, Flatten, LSTM
    from keras_bridge.models import Sequential
    seq = Sequential([Dense(4, input_dim=3), Dense(1)])
    seq.summary(print_fn=lambda line: None)
    x = Input((6, 6, 2))
    model = Model(x, Dense(2)(Flatten()(Conv2D(3, 3)(x))))
    assert model.output_shape == (None, 2) and seq.count_params() == 21
    LSTM(3)(Input((5, 2)))


def test_variable_naming_another_keras_stays_an_error(home, monkeypatch):
    write(home, KERAS_WRITTEN)
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    message = error_of()
    assert "KERAS_BACKEND" in message and "'tensorflow'" in message


# ---------------------------------------------------------------- errors from the variable

@pytest.mark.parametrize("name", ["tensorflow", "theano", "cntk", "trch"])
def test_unsupported_backend_in_variable(home, monkeypatch, name):
    write(home, {"backend": FIRST})  # the variable is checked even when the file is fine
    monkeypatch.setenv("KERAS_BACKEND", name)
    message = error_of()
    assert "KERAS_BACKEND" in message and repr(name) in message
    assert "'torch'" in message and "'jax'" in message
    assert "Set KERAS_BACKEND=torch" in message
    if name != "trch":
        assert "not an engine of this project" in message


@pytest.mark.parametrize("missing", ["torch", "jax"])
def test_engine_not_installed(home, monkeypatch, missing):
    other = "jax" if missing == "torch" else "torch"
    monkeypatch.setattr(backends, "is_available", only(other))
    monkeypatch.setenv("KERAS_BACKEND", missing)
    message = error_of()
    assert "not installed" in message and "KERAS_BACKEND" in message
    assert backends.install_hint(missing) in message


def test_engine_not_installed_from_file(home, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("jax", "jaxlib") else real(name, *a))
    path = write(home, {"backend": "jax"})
    message = error_of()
    assert path in message and "pip install 'keras-bridge[jax]'" in message


def test_neither_engine_installed(home, monkeypatch):
    monkeypatch.setattr(backends, "is_available", only())
    message = error_of()
    for name in backends.names():
        assert backends.install_hint(name) in message


def test_config_error_is_a_value_error():
    assert issubclass(config.ConfigError, ValueError)


# ---------------------------------------------------------------- setters

@needs_both
def test_set_backend(home):
    assert config.backend() == "torch"
    config.set_backend("jax")
    assert config.backend() == "jax" and config.backend_source() == "set_backend()"
    assert keras_bridge.backend.backend() == "jax"


@pytest.mark.parametrize("name", ["tensorflow", "trch", 3])
def test_set_backend_rejects(home, name):
    with pytest.raises(config.ConfigError, match="set_backend") as info:
        config.set_backend(name)
    assert repr(name) in str(info.value) or str(name) in str(info.value)
    assert config.backend() == FIRST


def test_set_backend_not_installed(home, monkeypatch):
    monkeypatch.setattr(backends, "is_available", only(FIRST))
    other = "jax" if FIRST == "torch" else "torch"
    with pytest.raises(config.ConfigError, match="not installed") as info:
        config.set_backend(other)
    assert backends.install_hint(other) in str(info.value)
    assert config.backend() == FIRST


@pytest.mark.parametrize("setter, getter, good, bad", [
    (config.set_floatx, config.floatx, "float64", "float8"),
    (config.set_epsilon, config.epsilon, 1e-5, "abc"),
    (config.set_epsilon, config.epsilon, 1e-5, 0),
    (config.set_image_data_format, config.image_data_format, "channels_first", "nhwc"),
])
def test_setters(home, setter, getter, good, bad):
    default = getter()
    with pytest.raises(config.ConfigError, match=setter.__name__) as info:
        setter(bad)
    assert repr(bad) in str(info.value)
    assert getter() == default  # a rejected value changes nothing
    setter(good)
    assert getter() == good
    config.reset()
    assert getter() == default


# ---------------------------------------------------------------- python -m keras_bridge

def test_main_report(home, capsys, monkeypatch):
    missing = "jax" if FIRST == "torch" else "torch"
    monkeypatch.setattr(backends, "is_available", only(FIRST))
    write(home, {"floatx": "float64"})
    assert cli.main() == 0
    out = capsys.readouterr().out
    assert f"keras_bridge {keras_bridge.__version__}" in out
    assert f"backend: {FIRST}" in out and "default" in out
    assert "floatx: float64" in out and "epsilon: 1e-07" in out
    assert "image_data_format: channels_last" in out
    assert f"jax_compilation_cache: {home / 'jax_cache'}" in out
    assert f"{home / 'keras.json'} (exists)" in out
    assert f"{missing}: not installed" in out and backends.install_hint(missing) in out
    assert f"  {FIRST}: " in out and "devices: " in out


def test_main_config_error(home, capsys):
    write(home, "{oops")
    assert cli.main() == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "keras.json" in captured.err


def _run_main(tmp_path):
    env = dict(os.environ, KERAS_HOME=str(tmp_path))
    env.pop("KERAS_BACKEND", None)
    return subprocess.run([sys.executable, "-m", "keras_bridge"], env=env,
                          capture_output=True, text=True, cwd=str(tmp_path))


def test_python_m_keras_bridge(tmp_path):
    result = _run_main(tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"keras_bridge {keras_bridge.__version__}" in out
    assert f"backend: {FIRST} (from default" in out
    for name in backends.names():
        if backends.is_available(name):
            assert f"  {name}: " in out and "devices: " in out and "cpu" in out
        else:
            assert f"{name}: not installed" in out
    assert f"{tmp_path / 'keras.json'} (not found)" in out
    assert os.listdir(tmp_path) == []


def test_python_m_keras_bridge_broken_file(tmp_path):
    path = write(tmp_path, "not json")
    result = _run_main(tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and path in result.stderr
    assert "Traceback" not in result.stderr


def test_python_m_keras_bridge_with_a_keras_written_file(tmp_path):
    path = write(tmp_path, KERAS_WRITTEN)
    result = _run_main(tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"backend: {FIRST} (from default" in result.stdout
    assert result.stderr.count("UserWarning") == 1 and path in result.stderr
    assert (tmp_path / "keras.json").read_text() == json.dumps(KERAS_WRITTEN)


def test_quickstart_runs_with_a_keras_written_file(tmp_path):
    write(tmp_path, KERAS_WRITTEN)
    env = dict(os.environ, KERAS_HOME=str(tmp_path))
    env.pop("KERAS_BACKEND", None)
    script = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "quickstart.py")
    result = subprocess.run([sys.executable, script], env=env, capture_output=True,
                            text=True, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert 'Model: "quickstart"' in result.stdout
