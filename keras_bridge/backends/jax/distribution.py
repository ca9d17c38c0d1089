"""keras_bridge.distribution on JAX: meshes, ``NamedSharding`` and ``jax.distributed``.

A distributed model is the same program and the same jitted train step as on one
device; only where its arrays live changes. Weights are placed with the sharding their
``TensorLayout`` names (replicated unless a LayoutMap splits them), the optimizer state
and metric values follow, and each batch is one global array split along the mesh's
batch axis. ``jax.jit`` then compiles the step as one SPMD program over the mesh
(XLA inserts the gradient all-reduce and the cross-device BatchNorm moments), so the
numbers are the one-device numbers. With several processes (``jax.distributed``)
every process holds the same global batch (same shuffling) and puts only its own
devices' part of it on them.
"""

import pickle

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

_GPU = ("gpu", "cuda", "rocm")


def _kind(device):
    return "gpu" if device.platform in _GPU else device.platform


def _devices(device_type):
    if device_type is None:
        return jax.devices()
    try:
        return jax.devices("gpu" if device_type in ("gpu", "cuda") else device_type)
    except RuntimeError:
        return []


def list_devices(device_type=None):
    return [f"{_kind(d)}:{d.id}" for d in _devices(device_type)]


def _device(name):
    kind, _, number = str(name).partition(":")
    kind = "gpu" if kind == "cuda" else kind
    for d in _devices(kind):
        if str(d.id) == (number or "0"):
            return d
    raise ValueError(f"Device {name!r} is not available to jax; available: "
                     f"{list_devices('cpu') + list_devices('gpu')}.")


def initialize(job_addresses, num_processes, process_id):
    """``jax.distributed.initialize`` with the first address as coordinator; nothing
    for one process."""
    if job_addresses is None and num_processes in (None, 1):
        return
    jax.distributed.initialize(coordinator_address=job_addresses.split(",")[0],
                               num_processes=num_processes, process_id=process_id)


def num_processes():
    return jax.process_count()


def process_id():
    return jax.process_index()


def barrier():
    from jax.experimental import multihost_utils
    multihost_utils.sync_global_devices("keras_bridge.distribution.barrier")


def broadcast_object(obj):
    """Process 0's ``obj`` on every process (pickled through a device array)."""
    from jax.experimental import multihost_utils
    data = np.frombuffer(pickle.dumps(obj), np.uint8)
    size = int(multihost_utils.broadcast_one_to_all(np.int32(data.size)))
    padded = np.zeros(size, np.uint8)
    padded[:min(size, data.size)] = data[:size]
    return pickle.loads(np.asarray(multihost_utils.broadcast_one_to_all(padded)).tobytes())


_meshes = {}


def mesh(device_mesh):
    """The ``jax.sharding.Mesh`` of a ``DeviceMesh`` (made once per mesh)."""
    key = id(device_mesh)
    if key not in _meshes:
        devices = np.vectorize(_device, otypes=[object])(device_mesh.devices)
        _meshes[key] = (device_mesh, Mesh(devices, device_mesh.axis_names))
    return _meshes[key][1]


def sharding(layout):
    return NamedSharding(mesh(layout.device_mesh), PartitionSpec(*layout.axes))


def _put(value, where):
    if jax.process_count() == 1:
        return jax.device_put(value, where)
    value = np.asarray(value)
    return jax.make_array_from_callback(value.shape, where, lambda index: value[index])


class Placement:
    """Where a distributed program's batches go: split along the batch mesh axis when
    they divide by its size, else (a last partial predict / evaluate batch) whole on
    every device, which the global-view program computes just the same."""

    def __init__(self, distribution):
        self.mesh = mesh(distribution.device_mesh)
        self.batch_axis_name = distribution.batch_dim_name
        self.parts = distribution.num_model_replicas
        self.replicated = NamedSharding(self.mesh, PartitionSpec())

    def batch_sharding(self, shape, batch_axis):
        if len(shape) <= batch_axis or shape[batch_axis] % self.parts:
            return self.replicated
        spec = [None] * len(shape)
        spec[batch_axis] = self.batch_axis_name
        return NamedSharding(self.mesh, PartitionSpec(*spec))

    def put_batch(self, arrays, batch_axis=0):
        return [_put(a, self.batch_sharding(np.shape(a), batch_axis)) for a in arrays]

    def replicate(self, tree):
        """Leaves not already on this mesh, replicated over it."""
        def place(leaf):
            if isinstance(getattr(leaf, "sharding", None), NamedSharding) and \
                    leaf.sharding.mesh == self.mesh:
                return leaf
            return _put(leaf, self.replicated)
        return jax.tree_util.tree_map(place, tree)


def distribute(program, distribution):
    """Place every weight with its layout's sharding and route batches through the
    distribution's ``Placement``."""
    for weight in program.weights:
        where = sharding(distribution.get_variable_layout(weight))
        weight.slot.array = _put(weight.slot.array, where)
        weight.slot.device = where  # writes (set_weights) keep the placement
    program.placement = Placement(distribution)


def distribute_trainer(trainer, distribution):
    """The same trainer; its optimizer state, metric values and key moved onto the
    program's mesh (the state of a split weight is made split like it by optax)."""
    placement = trainer.program.placement
    trainer.optimizer.state = placement.replicate(trainer.optimizer.state)
    for var in trainer.metric_vars:
        var.slot.array = placement.replicate(var.slot.array)
        var.slot.device = placement.replicated
    trainer.key = placement.replicate(trainer.key)
    return trainer
