"""Every installed engine passes the conformance suite (keras_bridge/backends/conformance.py)."""

import pytest

from keras_bridge import backends
from keras_bridge.backends import conformance, contract


@pytest.fixture(params=backends.names())
def engine(request):
    if not backends.is_available(request.param):
        pytest.skip(f"{request.param} is not installed")
    return backends.get(request.param)


@pytest.mark.parametrize("check", conformance.CHECKS, ids=lambda f: f.__name__)
def test_engine_conforms(engine, check):
    check(engine)


def test_check_reports_every_failure_by_name(monkeypatch):
    """A broken engine fails with each broken check named, not just the first."""
    name = backends.available()[0]
    engine = backends.get(name)
    monkeypatch.delattr(engine, "gradients")
    monkeypatch.setattr(engine, "RUNS_OWN_CALL", frozenset())
    with pytest.raises(AssertionError) as info:
        conformance.check(name)
    message = str(info.value)
    assert "check_module_surface" in message and "gradients" in message
    assert "check_rule_table" in message and "check_program" not in message


def test_protocols_state_the_engine_functions():
    assert set(contract.FUNCTIONS) == {
        "version", "devices", "default_device", "resolve_device", "is_tensor", "to_numpy",
        "seed", "bind_layer", "bind_weight", "call_layer", "compute_output_spec",
        "compile_program", "gradients",
        "make_optimizer", "make_trainer", "export", "load_export"}
    assert all(contract.FUNCTIONS.values())
    assert contract.ATTRIBUTES == ("NAME", "CAPABILITIES", "ops", "LOWERING", "RUNS_OWN_CALL")


def test_optimizer_state_names_follow_the_spec():
    from keras_bridge import optimizers
    assert contract.optimizer_state_names(optimizers.SGD()) == ((), ())
    assert contract.optimizer_state_names(optimizers.RMSprop(centered=True)) == (
        ("velocity", "average_gradient"), ())
    assert contract.optimizer_state_names(optimizers.Nadam()) == (
        ("momentum", "velocity"), ("u_product",))
