"""Meshes and layouts (Keras 3's ``keras.distribution`` names): engine-free descriptions
that an engine turns into its own sharding (``jax.sharding.Mesh`` / ``NamedSharding``)."""

import collections.abc
import math
import re

import numpy as np


class DeviceMesh:
    """Devices arranged in a named grid, e.g. ``shape=(2,), axis_names=("batch",)``.

    Args:
        shape: the grid's shape.
        axis_names: one name per axis of ``shape``; layouts refer to them.
        devices: device names (``"cpu:0"``, ``"gpu:1"``); default ``list_devices()``.
    """

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError(f"DeviceMesh needs a non-empty shape and axis_names. Received: "
                             f"shape={shape}, axis_names={axis_names}")
        shape, axis_names = tuple(shape), tuple(axis_names)
        if len(shape) != len(axis_names):
            raise ValueError(f"DeviceMesh: shape and axis_names must have the same length. "
                             f"Received: shape={shape}, axis_names={axis_names}")
        if devices is None:
            from keras_bridge.distribution.runtime import list_devices
            devices = list_devices()
        devices = np.array(devices)
        if math.prod(shape) != devices.size:
            raise ValueError(f"DeviceMesh: shape {shape} needs {math.prod(shape)} devices; "
                             f"received {devices.size}: {devices.reshape(-1).tolist()}")
        self._shape = shape
        self._axis_names = axis_names
        self._devices = devices.reshape(shape)

    @property
    def shape(self):
        return self._shape

    @property
    def axis_names(self):
        return self._axis_names

    @property
    def devices(self):
        """The device names as a numpy array of the mesh's shape."""
        return self._devices

    def __repr__(self):
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """How a tensor is split over a mesh: one mesh axis name (or None: not split) per
    tensor dimension."""

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = None
        if device_mesh is not None:
            self.device_mesh = device_mesh

    @property
    def axes(self):
        return self._axes

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh):
        if self._device_mesh is not None:
            raise ValueError(f"TensorLayout already has the mesh {self._device_mesh}; it "
                             f"cannot be replaced.")
        unknown = sorted(set(a for a in self._axes if a is not None)
                         - set(device_mesh.axis_names))
        if unknown:
            raise ValueError(f"TensorLayout axes {unknown} are not axes of the mesh; valid "
                             f"names: {list(device_mesh.axis_names)}.")
        self._device_mesh = device_mesh

    def __repr__(self):
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"


class LayoutMap(collections.abc.MutableMapping):
    """Weight path -> ``TensorLayout``. Keys are regular expressions matched in full
    against a weight's ``path`` (``"dense/kernel"``) when no key equals it; a tuple of
    axis names is accepted as a value. A path matching several keys is an error."""

    def __init__(self, device_mesh):
        self._layouts = collections.OrderedDict()
        self._device_mesh = device_mesh

    @property
    def device_mesh(self):
        return self._device_mesh

    def __getitem__(self, key):
        if key in self._layouts:
            return self._layouts[key]
        found = [pattern for pattern in self._layouts if re.fullmatch(pattern, key)]
        if len(found) > 1:
            raise ValueError(f"Path {key!r} matches several LayoutMap keys: {found}. Each "
                             f"path may match one key at most.")
        return self._layouts[found[0]] if found else None

    def __setitem__(self, key, layout):
        if key in self._layouts:
            raise ValueError(f"LayoutMap already has the key {key!r} (value "
                             f"{self._layouts[key]}); keys must be unique.")
        if isinstance(layout, (tuple, list)):
            layout = TensorLayout(layout)
        if not isinstance(layout, TensorLayout):
            raise ValueError(f"A LayoutMap value must be a TensorLayout or a tuple of axis "
                             f"names; received {layout!r} of type {type(layout).__name__}.")
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layouts[key] = layout

    def __delitem__(self, key):
        del self._layouts[key]

    def __len__(self):
        return len(self._layouts)

    def __iter__(self):
        return iter(self._layouts)
