"""The engine registry's errors, and front-end imports stay
engine-free."""

import subprocess
import sys

import pytest

from keras_bridge import backends


@pytest.fixture(params=backends.names())
def engine(request):
    if not backends.is_available(request.param):
        pytest.skip(f"{request.param} is not installed")
    return backends.get(request.param)


def test_unknown_device_lists_available(engine):
    with pytest.raises(ValueError, match=r"not available to .*Available devices: \[.*'cpu'"):
        engine.resolve_device("cuda:7" if "cuda:7" not in engine.devices() else "tpu:9")


def test_registry_errors_name_the_fix(monkeypatch):
    with pytest.raises(backends.BackendUnavailableError, match="Expected one of"):
        backends.get("tensorflow")
    monkeypatch.setattr(backends, "_loaded", {})
    monkeypatch.setattr(backends.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(backends.BackendUnavailableError, match=r"pip install 'keras-bridge\[jax\]'"):
        backends.get("jax")
    assert backends.available() == ()


def test_front_end_imports_and_summary_do_not_import_engines():
    code = (
        "import sys, keras_bridge as kb\n"
        "from keras_bridge.layers import Dense, Activation, Input, concatenate\n"
        "from keras_bridge.models import Sequential, Model\n"
        "m = Sequential([Dense(32, input_shape=(784,)), Activation('relu'), Dense(10)])\n"
        "a = Input((3,)); b = Input((3,))\n"
        "f = Model([a, b], Dense(1)(concatenate([a, b])))\n"
        "m.get_weights(); f.count_params()\n"
        "assert 'torch' not in sys.modules and 'jax' not in sys.modules, "
        "[k for k in sys.modules if k.startswith(('torch', 'jax'))][:5]\n"
        "print('clean')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "clean" in out.stdout
