"""Every installed backend fulfils keras_bridge/backends/contract.py, and front-end imports stay
engine-free."""

import inspect
import subprocess
import sys

import pytest

from keras_bridge import backends
from keras_bridge.backends import contract
from keras_bridge import layers


@pytest.fixture(params=backends.names())
def engine(request):
    if not backends.is_available(request.param):
        pytest.skip(f"{request.param} is not installed")
    return backends.get(request.param)


def test_backend_defines_every_contract_name(engine):
    missing = [n for n in (*contract.ATTRIBUTES, *contract.FUNCTIONS) if not hasattr(engine, n)]
    assert not missing, f"{engine.NAME} lacks {missing}"
    for name in contract.FUNCTIONS:
        assert callable(getattr(engine, name))


def test_op_table_is_complete(engine):
    missing = [n for n in contract.OPS if not callable(getattr(engine.ops, n, None))]
    assert not missing, f"{engine.NAME}.ops lacks {missing}"


def test_op_signatures_match_contract(engine):
    for name, (signature, _) in contract.OPS.items():
        params = list(inspect.signature(getattr(engine.ops, name)).parameters)
        declared = [p.strip().split("=")[0].lstrip("*") for p in signature.strip("()").split(",")]
        assert params == declared, f"{engine.NAME}.ops.{name}{params} vs contract {declared}"


def test_capabilities_are_known_names(engine):
    assert engine.NAME in backends.names()
    assert set(engine.CAPABILITIES) <= set(contract.CAPABILITY_NAMES)


def test_every_builtin_layer_has_a_rule_or_runs_its_call(engine):
    for cls in layers.BUILTIN_LAYERS:
        in_rules, own_call = cls in engine.LOWERING, cls in engine.RUNS_OWN_CALL
        assert in_rules != own_call, (
            f"{cls.__name__} must be in exactly one of {engine.NAME}.LOWERING and "
            f"RUNS_OWN_CALL")


def test_devices_and_default(engine):
    devices = engine.devices()
    assert "cpu" in devices
    assert engine.default_device() in devices
    assert engine.resolve_device(None) == engine.default_device()
    assert engine.resolve_device("cpu") == "cpu"
    assert engine.resolve_device("CPU:0") == "cpu"


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
