"""Third-party engines registered through the ``keras_bridge.backends`` entry-point group.

A fake distribution is simulated by patching ``importlib.metadata.entry_points``; the
engine it names is a small module written to a tmp dir that fulfils the contract's
top-level names without running models.
"""

import importlib.metadata
import sys
import types

import pytest

from keras_bridge import backends, config

FAKE_ENGINE = '''
from keras_bridge.backends import contract

NAME = {name!r}
CAPABILITIES = frozenset()
ops = None
LOWERING = {{}}
RUNS_OWN_CALL = frozenset()
ARRAY_MODULES = ("kb_fake_arrays",)


def _runs_no_models(*args, **kwargs):
    raise NotImplementedError("the registry test engine runs no models")


for _name in contract.FUNCTIONS:
    globals()[_name] = _runs_no_models
'''

MODULES = {
    "kb_fake_engine": FAKE_ENGINE.format(name="fake"),
    "kb_misnamed_engine": FAKE_ENGINE.format(name="other"),
    "kb_partial_engine": "NAME = 'partial'\n",
    "kb_broken_engine": "raise ImportError('kb_broken_engine needs libfoo')\n",
}


@pytest.fixture
def advertise(tmp_path, monkeypatch):
    """advertise(name=value, ...): installed distributions advertise these engines."""
    for module, source in MODULES.items():
        (tmp_path / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(backends, "_loaded", {})
    monkeypatch.setattr(backends, "ENGINE_MODULES", dict(backends.ENGINE_MODULES))

    def install(**points):
        listed = importlib.metadata.EntryPoints(
            importlib.metadata.EntryPoint(name, value, backends.ENTRY_POINT_GROUP)
            for name, value in points.items())
        empty = importlib.metadata.EntryPoints(())
        monkeypatch.setattr(
            importlib.metadata, "entry_points",
            lambda group=None, **kw: listed if group == backends.ENTRY_POINT_GROUP else empty)
        monkeypatch.setattr(backends, "_registry", None)

    yield install
    for module in MODULES:
        sys.modules.pop(module, None)


def test_advertised_engine_is_a_backend_name(advertise, monkeypatch):
    advertise(fake="kb_fake_engine")
    assert backends.names() == ("torch", "jax", "fake")
    assert backends.is_available("fake")
    assert "fake" in backends.available()
    assert "kb_fake_engine" not in sys.modules  # availability imports nothing
    engine = backends.get("fake")
    assert engine.NAME == "fake" and engine.__name__ == "kb_fake_engine"
    assert backends.get("fake") is engine and backends.loaded()["fake"] is engine


def test_advertised_engine_is_selectable(advertise, monkeypatch):
    advertise(fake="kb_fake_engine")
    monkeypatch.setenv("KERAS_BACKEND", "fake")
    config.reset()
    assert config.backend() == "fake"
    monkeypatch.delenv("KERAS_BACKEND")
    config.reset()
    config.set_backend("fake")
    assert config.backend() == "fake"


def test_loaded_engine_owns_its_array_types(advertise, monkeypatch):
    advertise(fake="kb_fake_engine")
    array_type = type("Array", (), {"__module__": "kb_fake_arrays.core"})
    monkeypatch.setitem(sys.modules, "kb_fake_arrays", types.ModuleType("kb_fake_arrays"))
    assert backends.backend_of_type(array_type) is None  # engine not loaded yet
    backends.get("fake")
    assert backends.backend_of_type(array_type) == "fake"


def test_builtin_names_are_not_taken_over(advertise):
    advertise(torch="kb_fake_engine", jax="kb_fake_engine")
    assert backends.names() == ("torch", "jax")
    assert backends.get("torch").__name__ == "keras_bridge.backends.torch"


def test_missing_module_is_unavailable_with_the_fix(advertise, monkeypatch):
    advertise(ghost="kb_not_installed_anywhere.engine")
    assert "ghost" in backends.names()
    assert not backends.is_available("ghost")
    assert "ghost" not in backends.available()
    with pytest.raises(backends.BackendUnavailableError,
                       match=r"needs kb_not_installed_anywhere, which is not installed"):
        backends.get("ghost")
    monkeypatch.setenv("KERAS_BACKEND", "ghost")
    config.reset()
    with pytest.raises(config.ConfigError, match="'ghost' was selected by the KERAS_BACKEND"):
        config.backend()


def test_module_that_fails_to_import(advertise):
    advertise(broken="kb_broken_engine")
    assert backends.is_available("broken")  # found, but importing it fails
    with pytest.raises(backends.BackendUnavailableError,
                       match=r"entry point 'keras_bridge.backends'.*'kb_broken_engine', which "
                             r"failed to import: kb_broken_engine needs libfoo"):
        backends.get("broken")
    assert "broken" not in backends.loaded()


def test_module_that_breaks_the_contract(advertise):
    advertise(partial="kb_partial_engine", misnamed="kb_misnamed_engine")
    with pytest.raises(backends.BackendUnavailableError,
                       match=r"does not fulfil the backend contract.*lacks \['CAPABILITIES'"):
        backends.get("partial")
    with pytest.raises(backends.BackendUnavailableError,
                       match=r"Expected NAME='misnamed'.*Received: a module that has "
                             r"NAME='other'"):
        backends.get("misnamed")


def test_entry_point_naming_an_attribute(advertise):
    advertise(attr="kb_fake_engine:engine")
    assert not backends.is_available("attr")
    with pytest.raises(backends.BackendUnavailableError,
                       match=r"Expected a module path such as 'package.engine'. "
                             r"Received: 'kb_fake_engine:engine'"):
        backends.get("attr")
