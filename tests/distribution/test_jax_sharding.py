"""keras_bridge.distribution on JAX with two virtual CPU devices, in one subprocess
(spmd_jax.py): DataParallel and ModelParallel training match one device."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from keras_bridge import backends

HERE = pathlib.Path(__file__).resolve().parent

pytestmark = pytest.mark.skipif("jax" not in backends.available(), reason="needs jax")


@pytest.fixture(scope="module")
def report():
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu",
               XLA_FLAGS="--xla_force_host_platform_device_count=2",
               JAX_DEFAULT_MATMUL_PRECISION="highest",
               PYTHONPATH=os.pathsep.join([str(HERE.parents[1]),
                                           os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, str(HERE / "spmd_jax.py")], env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    line = [l for l in done.stdout.splitlines() if l.startswith("REPORT ")][-1]
    return json.loads(line[len("REPORT "):])


def _close_history(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-6)


def test_two_virtual_devices_are_listed(report):
    assert report["devices"] == ["cpu:0", "cpu:1"]


def test_data_parallel_matches_one_device(report):
    # Weights replicated on both devices, each batch of 16 split 8 + 8.
    assert report["dp_kernel_spec"] in ([], [None, None])  # replicated
    assert report["dp_kernel_devices"] == 2
    assert report["dp_batch_spec"][0] == "batch" and not any(report["dp_batch_spec"][1:])
    assert report["dp_batch_shard_shape"] == [8, 6]
    _close_history(report["dp_history"], report["reference_history"])
    assert report["dp_weight_diff"] < 1e-5
    np.testing.assert_allclose(report["dp_prediction"], report["reference_prediction"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(report["dp_evaluate"], report["reference_evaluate"],
                               rtol=1e-5, atol=1e-6)


def test_model_parallel_shards_the_kernel_as_the_layout_map_says(report):
    assert report["mp_kernel_spec"] == [None, "model"]
    assert report["mp_kernel_shard_shape"] == [6, 4]  # (6, 8) split on its last axis
    assert report["mp_bias_shard_shape"] == [4]
    np.testing.assert_allclose(report["mp_prediction"], report["initial_prediction"],
                               rtol=1e-5, atol=1e-6)
    _close_history(report["mp_history"], report["reference_history"])
    assert report["mp_weight_diff"] < 1e-5
    assert report["mp_kernel_spec_after_fit"] == report["mp_kernel_spec"]


def test_a_batch_that_does_not_split_is_an_error(report):
    assert "global batch size must divide by 2; batch_size=15" in \
        report["dp_odd_batch_error"]
    assert report["dp_odd_batch_unchanged"]
