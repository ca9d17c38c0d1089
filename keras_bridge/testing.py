"""Parity tools: run a model on every installed engine and compare, and a pytest fixture.

Public so users can prove their own models behave the same on torch and JAX.
"""

import numpy as np

from keras_bridge import backends


def backend_fixture():
    """A pytest fixture, parametrized over installed engines, that makes that engine the
    default backend for the test and yields its name.

    Example (in conftest.py):
        from keras_bridge.testing import backend_fixture
        backend = backend_fixture()
    """
    import pytest

    @pytest.fixture(params=backends.names())
    def backend(request):
        name = request.param
        if not backends.is_available(name):
            pytest.skip(f"{name} is not installed")
        from keras_bridge import config
        config.set_backend(name)
        yield name

    return backend


def each_backend():
    """A pytest marker running the test once per installed engine, passing its name as
    ``backend_name`` (use it where a fixture is awkward, e.g. in a user's own tests).

    Example:
        @testing.each_backend()
        def test_my_layer(backend_name): ...
    """
    import pytest
    return pytest.mark.parametrize("backend_name", backends.available())


def _describe_worst(name, got, want, rtol, atol):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        return f"{name}: shapes differ, {got.shape} vs {want.shape}"
    if got.size == 0:
        return None
    excess = np.abs(got - want) - (atol + rtol * np.abs(want))
    bad = np.isnan(got) != np.isnan(want)
    if not (np.nanmax(excess) > 0 or bad.any()):
        return None
    idx = np.unravel_index(int(np.nanargmax(np.where(bad, np.inf, excess))), got.shape)
    diff = abs(got[idx] - want[idx])
    rel = diff / abs(want[idx]) if want[idx] else float("inf")
    mismatched = int(((excess > 0) | bad).sum())
    return (f"{name}: {mismatched} of {got.size} elements differ beyond rtol={rtol}, "
            f"atol={atol}; worst at index {tuple(int(i) for i in idx)}: {got[idx]!r} vs "
            f"{want[idx]!r} (abs diff {diff:.3g}, rel diff {rel:.3g})")


def run_on_backend(model, inputs, backend_name, cotangent_seed=1234):
    """Outputs and gradients of ``sum(outputs * c)`` (``c`` fixed random arrays) for
    ``model``'s copy on ``backend_name``; gradients are keyed by weight path."""
    copy = model.to_backend(backend_name)
    arrays = copy._standardize(inputs)
    copy._ensure_built(arrays)
    program = copy._get_program()
    outputs = program.predict_batch(arrays)
    rng = np.random.default_rng(cotangent_seed)
    cotangents = [rng.standard_normal(o.shape).astype(o.dtype) for o in outputs]
    outputs, grads = program.outputs_and_gradients(arrays, cotangents)
    paths = [w.path for w in copy.trainable_weights]
    return outputs, dict(zip(paths, grads))


def assert_backends_agree(model, inputs, rtol=1e-5, atol=1e-6, grad_rtol=1e-5,
                          grad_atol=1e-6, backend_names=None):
    """Check that ``model`` gives the same outputs and gradients on every engine.

    The model (or the model returned by calling ``model()``, when a function is given)
    is copied to each installed engine with identical weights; outputs are compared,
    and so are the gradients of ``sum(outputs * c)`` for fixed random ``c``, weight by
    weight. A failure names the output or weight and its worst element.

    Args:
        model: a Model, or a function returning one.
        inputs: what ``model.predict`` takes.
        rtol, atol: tolerances for outputs; grad_rtol, grad_atol: for gradients.
        backend_names: engines to compare; default every installed one (at least two
            are needed).

    Returns:
        dict mapping engine name to ``(outputs, gradients_by_weight_path)``.
    """
    from keras_bridge.models import Model
    if not isinstance(model, Model):
        model = model()
    names = list(backend_names or backends.available())
    if len(names) < 2:
        raise ValueError(f"Comparing engines needs at least two installed; found {names}.")
    model._ensure_built(model._standardize(inputs))  # weights exist before copies are made
    results = {name: run_on_backend(model, inputs, name) for name in names}
    ref_name = names[0]
    ref_out, ref_grads = results[ref_name]
    problems = []
    for name in names[1:]:
        outs, grads = results[name]
        for i, (o, r) in enumerate(zip(outs, ref_out)):
            msg = _describe_worst(f"output {i}", o, r, rtol, atol)
            if msg:
                problems.append(f"[{name} vs {ref_name}] {msg}")
        for path, r in ref_grads.items():
            msg = _describe_worst(f"gradient of {path}", grads[path], r, grad_rtol, grad_atol)
            if msg:
                problems.append(f"[{name} vs {ref_name}] {msg}")
    if problems:
        raise AssertionError("Engines disagree:\n" + "\n".join(problems))
    return results
