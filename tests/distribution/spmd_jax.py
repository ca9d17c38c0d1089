"""Run by test_jax_sharding.py in a subprocess with two virtual CPU devices
(XLA_FLAGS=--xla_force_host_platform_device_count=2): one-device runs against
DataParallel and ModelParallel runs of the same model; prints a JSON report."""

import json
import sys

import numpy as np

import keras_bridge as keras
from keras_bridge import distribution

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from mlp import build_mlp, mlp_data  # noqa: E402

x, y = mlp_data()
report = {"devices": distribution.list_devices()}

reference = build_mlp()
report["initial_prediction"] = reference.predict(x, batch_size=10, verbose=0).tolist()
history = reference.fit(x, y, batch_size=16, epochs=2, verbose=0).history
report["reference_history"] = history
reference_weights = reference.get_weights()
report["reference_evaluate"] = reference.evaluate(x, y, batch_size=10, verbose=0)
report["reference_prediction"] = reference.predict(x, batch_size=10, verbose=0).tolist()

with distribution.DataParallel(devices=distribution.list_devices()).scope():
    model = build_mlp()
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0).history
    report["dp_history"] = history
    report["dp_weight_diff"] = max(float(np.abs(a - b).max())
                                   for a, b in zip(reference_weights, model.get_weights()))
    kernel = model.get_layer("hidden").kernel.slot.array
    report["dp_kernel_spec"] = list(kernel.sharding.spec)
    report["dp_kernel_devices"] = len(kernel.sharding.device_set)
    batch = model._get_program().to_device([x[:16]])[0]
    report["dp_batch_spec"] = list(batch.sharding.spec)
    report["dp_batch_shard_shape"] = list(batch.addressable_shards[0].data.shape)
    # A last batch of 4 is split, 10 % 2 batches too; 64 = 6 * 10 + 4.
    report["dp_prediction"] = model.predict(x, batch_size=10, verbose=0).tolist()
    report["dp_evaluate"] = model.evaluate(x, y, batch_size=10, verbose=0)
    before = model.get_weights()
    try:
        model.fit(x, y, batch_size=15, verbose=0)
    except ValueError as error:
        report["dp_odd_batch_error"] = str(error)
    report["dp_odd_batch_unchanged"] = all(
        np.array_equal(a, b) for a, b in zip(before, model.get_weights()))

mesh = distribution.DeviceMesh((1, 2), ("batch", "model"))
layout_map = distribution.LayoutMap(mesh)
layout_map[".*hid.*/kernel"] = (None, "model")  # a Sequential: "sequential/hidden/..."
layout_map[".*/hidden/bias"] = ("model",)
with distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch").scope():
    model = build_mlp()
    report["mp_prediction"] = model.predict(x, batch_size=10, verbose=0).tolist()
    kernel = model.get_layer("hidden").kernel.slot.array
    report["mp_kernel_spec"] = list(kernel.sharding.spec)
    report["mp_kernel_shard_shape"] = list(kernel.addressable_shards[0].data.shape)
    report["mp_bias_shard_shape"] = list(
        model.get_layer("hidden").bias.slot.array.addressable_shards[0].data.shape)
    report["mp_history"] = model.fit(x, y, batch_size=16, epochs=2, verbose=0).history
    report["mp_weight_diff"] = max(float(np.abs(a - b).max())
                                   for a, b in zip(reference_weights, model.get_weights()))
    report["mp_kernel_spec_after_fit"] = list(
        model.get_layer("hidden").kernel.slot.array.sharding.spec)

print("REPORT " + json.dumps(report))
