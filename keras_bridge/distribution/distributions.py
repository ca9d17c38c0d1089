"""Distributions (Keras 3's names): which devices a model's weights and batches live on.

A distribution set (``set_distribution`` or ``Distribution.scope()``) when a model is
bound to its engine applies to that model for good; the engine places the weights
(``get_variable_layout``) and splits each batch along ``batch_dim_name``
(``get_data_layout``). ``keras_bridge/distribution/runtime.py`` hands them to the
engine.
"""

import contextlib
import warnings

import numpy as np

from keras_bridge.distribution.layouts import DeviceMesh, LayoutMap, TensorLayout

DEFAULT_BATCH_DIM_NAME = "batch"

_current = None


def distribution():
    """The distribution in effect (None: one device, no distribution)."""
    return _current


def set_distribution(value):
    """Make ``value`` (a ``Distribution`` or None) the distribution for models bound
    from now on. A model already bound keeps the one it was bound under; using it after
    this changed is an error (see ``runtime.check_model``)."""
    global _current
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(f"set_distribution() expects a Distribution or None; received "
                         f"{value!r} of type {type(value).__name__}.")
    _current = value


class Distribution:
    """Base class: a device mesh, the mesh axis batches are split along, and the
    layouts of weights and data."""

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        from keras_bridge.distribution import runtime
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = auto_shard_dataset
        self._num_processes = runtime.num_processes()
        self._process_id = runtime.process_id()

    @property
    def device_mesh(self):
        return self._device_mesh

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self):
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value):
        self._auto_shard_dataset = value

    @property
    def num_processes(self):
        return self._num_processes

    @property
    def num_model_replicas(self):
        """Devices along the batch axis: how many parts each batch is split into."""
        mesh = self._device_mesh
        return mesh.shape[mesh.axis_names.index(self._batch_dim_name)]

    @property
    def num_data_shards(self):
        return min(self.num_model_replicas, self.num_processes)

    @property
    def data_shard_id(self):
        if self.num_model_replicas >= self.num_processes:
            return self._process_id
        return self._process_id // (self.num_processes // self.num_model_replicas)

    def get_data_layout(self, data_shape):
        """Batches are split along their first axis over the batch mesh axis."""
        axes = [None] * len(data_shape)
        axes[0] = self._batch_dim_name
        return TensorLayout(axes, self._device_mesh)

    def get_variable_layout(self, variable):
        return TensorLayout([None] * len(variable.shape), self._device_mesh)

    def get_tensor_layout(self, path):
        return None

    @contextlib.contextmanager
    def scope(self):
        """This distribution in effect inside the ``with`` block, the previous after."""
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"


class DataParallel(Distribution):
    """Every device holds all the weights; each batch is split over the devices.

    Args:
        device_mesh: a ``DeviceMesh`` (its first axis splits the batch), or
        devices: device names for a 1-D mesh; neither: ``list_devices()``.
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is not None:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(f"DataParallel: device_mesh must be a DeviceMesh; received "
                                 f"{device_mesh!r} of type {type(device_mesh).__name__}.")
            if len(device_mesh.shape) != 1:
                warnings.warn(f"DataParallel expects a 1-D mesh; received shape "
                              f"{device_mesh.shape}. Its first axis splits the batch.",
                              stacklevel=2)
        else:
            if devices is None:
                from keras_bridge.distribution.runtime import list_devices
                devices = list_devices()
            devices = np.array(devices)
            device_mesh = DeviceMesh(devices.shape, [DEFAULT_BATCH_DIM_NAME], devices)
        super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)


class ModelParallel(Distribution):
    """Weights split as a ``LayoutMap`` says (others replicated); batches split along
    ``batch_dim_name`` (default: the mesh's first axis)."""

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True,
                 **kwargs):
        kwargs.pop("device_mesh", None)  # Keras 3 ignores it too: the map's mesh is used
        if kwargs:
            raise TypeError(f"ModelParallel() got unexpected arguments {sorted(kwargs)}.")
        if layout_map is None:
            raise ValueError("ModelParallel needs a layout_map argument (a LayoutMap).")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(f"ModelParallel: layout_map must be a LayoutMap; received "
                             f"{layout_map!r} of type {type(layout_map).__name__}.")
        mesh = layout_map.device_mesh
        batch_dim_name = batch_dim_name or mesh.axis_names[0]
        if batch_dim_name not in mesh.axis_names:
            raise ValueError(f"ModelParallel: batch_dim_name {batch_dim_name!r} is not an "
                             f"axis of the mesh; its axes: {list(mesh.axis_names)}.")
        super().__init__(mesh, batch_dim_name, auto_shard_dataset)
        self._layout_map = layout_map

    @property
    def layout_map(self):
        return self._layout_map

    def get_variable_layout(self, variable):
        layout = self._layout_map[variable.path]
        if layout is None:
            return super().get_variable_layout(variable)
        if len(layout.axes) != len(variable.shape):
            raise ValueError(f"LayoutMap gives weight {variable.path!r} of shape "
                             f"{tuple(variable.shape)} the layout {layout.axes}: one axis "
                             f"name (or None) per dimension is expected.")
        return layout

    def get_tensor_layout(self, path):
        return self._layout_map[path]
