"""keras_bridge owns every module it installs: a user's own ``backends`` module or folder
cannot shadow the engines, and the package's module-level import graph stays acyclic
(up to the known cycles listed below)."""

import ast
import os
import subprocess
import sys

import pytest

from support.import_graph import ROOT, cycles, module_level_imports, package_files, resolve

SHADOWS = {
    "module": {"backends.py": "raise ImportError('shadow')\n"},
    "folder": {"backends/__init__.py": "raise ImportError('shadow')\n",
               "backends/contract.py": "raise ImportError('shadow')\n"},
}

PREDICT = """
import sys
import numpy as np
import keras_bridge as keras
from keras_bridge import config

model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
kernel = np.arange(6, dtype="float32").reshape(3, 2) / 10
bias = np.array([0.5, -1.0], "float32")
model.set_weights([kernel, bias])
x = np.arange(12, dtype="float32").reshape(4, 3)
np.testing.assert_allclose(model.predict(x, verbose=0), x @ kernel + bias,
                           rtol=1e-5, atol=1e-6)
assert "backends" not in sys.modules, sys.modules["backends"]
print(config.backend())
"""


@pytest.mark.parametrize("kind", sorted(SHADOWS))
def test_user_backends_in_working_directory_does_not_shadow(kind, backend, tmp_path):
    for name, text in SHADOWS[kind].items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    env = dict(os.environ, KERAS_BACKEND=backend,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                        os.environ.get("PYTHONPATH")])))
    # ``-c`` puts the working directory first on sys.path, ahead of keras_bridge.
    out = subprocess.run([sys.executable, "-c", PREDICT], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [backend]


def import_graph():
    files = package_files()
    graph = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        targets = set()
        for node in module_level_imports(tree):
            targets.update(t for t in resolve(module, node, files)
                           if t in files and t != module)
        graph[module] = targets
    return graph


def test_cycle_finder_sees_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [("a", "b", "c")]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_module_level_imports_exclude_function_bodies():
    tree = ast.parse("import os\nif True:\n    import re\ndef f():\n    import json\n"
                     "class C:\n    import sys\n")
    names = sorted(a.name for n in module_level_imports(tree) for a in n.names)
    assert names == ["os", "re", "sys"]


def test_no_import_cycles():
    graph = import_graph()
    # The walk sees the package, its subpackages and the engines.
    assert {"keras_bridge.config", "keras_bridge.layers"} <= graph["keras_bridge"]
    assert "keras_bridge.backends.contract" in graph["keras_bridge.backends"]
    assert "keras_bridge.backends.torch.lowering" in graph["keras_bridge.backends.torch"]
    found = cycles(graph)
    assert not found, f"module-level import cycles: {found}"
