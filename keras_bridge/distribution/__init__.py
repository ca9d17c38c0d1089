"""Scale-out on the engines' own runtimes, with Keras 3's ``keras.distribution`` API.

JAX: weights and batches as ``jax.sharding.NamedSharding`` arrays over a ``Mesh``; the
one jitted train step runs as a global-view SPMD program. torch: one process per device
under ``torchrun``; the module in ``DistributedDataParallel`` (gloo on CPU, NCCL on CUDA).
"""

from keras_bridge.distribution.distributions import DataParallel, Distribution, \
    ModelParallel, distribution, set_distribution
from keras_bridge.distribution.layouts import DeviceMesh, LayoutMap, TensorLayout
from keras_bridge.distribution.runtime import barrier, get_device_count, initialize, \
    is_chief, list_devices

__all__ = ["DataParallel", "DeviceMesh", "Distribution", "LayoutMap", "ModelParallel",
           "TensorLayout", "barrier", "distribution", "get_device_count", "initialize",
           "is_chief", "list_devices", "set_distribution"]
