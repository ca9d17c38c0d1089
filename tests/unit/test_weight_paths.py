"""Weight paths as Keras 3 makes them: the scopes open when a layer first builds or is
called (a Sequential's own, a subclassed model's call, a wrapper's, a recurrent layer's
cell), compared with a real Keras 3 when the ``keras`` package is installed (the test
extra installs it). Both sides run in subprocesses with their own KERAS_HOME."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), os.pardir, "support", "weight_paths_models.py")


def _paths(module, tmp_path, backend):
    env = dict(os.environ, KERAS_HOME=str(tmp_path / module), KERAS_BACKEND=backend)
    out = subprocess.run([sys.executable, SCRIPT, module], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def keras_paths(tmp_path_factory):
    """Keras 3's paths, made once (they do not depend on its engine)."""
    return _paths("keras", tmp_path_factory.mktemp("keras3"), "jax")


@pytest.mark.skipif(importlib.util.find_spec("keras") is None,
                    reason="needs the keras package (pip install keras)")
def test_weight_and_optimizer_paths_are_keras_3s(backend, tmp_path, keras_paths):
    theirs = keras_paths
    ours = _paths("keras_bridge", tmp_path, backend)
    assert set(ours) == set(theirs)
    for name in theirs:
        assert ours[name]["weights"] == theirs[name]["weights"], name
        # Keras numbers its optimizers per process ('adam_3'); the rest of each path
        # is the weight's path.
        drop = lambda paths: [p.split("/", 1)[1] for p in paths]  # noqa: E731
        assert drop(ours[name]["opt"]) == drop(theirs[name]["opt"]), name
