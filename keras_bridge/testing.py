"""Parity tools: run a model on every installed engine and compare, and a pytest fixture.

Public so users can prove their own models behave the same on torch and JAX.
"""

import numpy as np

import backends


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
