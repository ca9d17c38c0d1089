import atexit
import os
import sys
import shutil
import tempfile

# The suite never reads the user's Keras settings: a machine where Keras ran has
# ~/.keras/keras.json saying "tensorflow", and KERAS_BACKEND may be set for other work.
# Set before keras_bridge is imported; subprocesses of tests inherit it.
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="keras_bridge_tests_home_")
atexit.register(shutil.rmtree, os.environ["KERAS_HOME"], True)
os.environ.pop("KERAS_BACKEND", None)

import pytest  # noqa: E402

from keras_bridge import backends  # noqa: E402
from keras_bridge import testing  # noqa: E402

# Numerics pinned for parity: full float32 matmuls on JAX, no TF32 on CUDA.
os.environ.setdefault("JAX_DEFAULT_MATMUL_PRECISION", "highest")
# torch's idle OpenMP threads spin by default; on a small CI machine they fight the test
# process for the cores (set before torch is imported).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Under pytest-xdist each worker is one process per core: one compute thread each, so
# workers do not oversubscribe the cores.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")

backend = testing.backend_fixture()

# The loopback HTTP server and KERAS_HOME fixtures (``server``, ``home``) of the download
# tests.
pytest_plugins = ["support.loopback"]


def _jax_x64():
    jax = sys.modules.get("jax")
    return jax is not None and bool(jax.config.jax_enable_x64)


@pytest.fixture(autouse=True)
def _fresh_state():
    """Each test starts with default config, fresh layer names and seed 0, and leaves
    JAX's process-wide x64 flag as it found it (a float64 weight turns it on)."""
    from keras_bridge import config
    from keras_bridge.backend import clear_session
    config.reset()
    clear_session()
    x64 = _jax_x64()
    yield
    config.reset()
    if _jax_x64() != x64:
        sys.modules["jax"].config.update("jax_enable_x64", x64)
        from keras_bridge.backends.jax import precision
        precision.forget()


def both_backends():
    """Skip unless both engines are installed (for cross-engine parity tests)."""
    installed = backends.available()
    return pytest.mark.skipif(len(installed) < 2, reason="needs torch and jax installed")
