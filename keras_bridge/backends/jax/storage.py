"""Weights on JAX: each weight's ``Slot`` holds an immutable device array, replaced on
write; ``PackedState`` holds a group of slots' values (a model's metric state) as one
flat vector per dtype while a training loop runs.

Every output of a jitted call costs the host one array object (~1.5 us each on CPU),
a cost paid per step: a step that returned its four metric scalars one by one spends as
much on them as on a small model's gradient bookkeeping. The train step therefore takes
and returns the metric state packed, and the slots point at the pack instead of holding
arrays: a slot read in the middle of training unpacks the group (one call), a host read
(the logs) slices the host copy of the vector, and a write (a reset) puts the slot back
on its own array, so the next step packs the group again.
"""

import jax
import jax.numpy as jnp
import numpy as np


class Slot:
    """JAX storage of one weight: an immutable array, replaced on write (or, while
    ``pack`` is set, the slot's part of a ``PackedState``)."""

    backend_name = "jax"
    __slots__ = ("_array", "device", "kept", "pack")

    def __init__(self, array, device):
        self._array = array
        self.device = device
        self.kept = None  # (host value, its device copy): see write_many
        self.pack = None

    @property
    def array(self):
        if self.pack is not None:
            self.pack.unpack()
        return self._array

    @array.setter
    def array(self, value):
        self._array = value
        self.pack = None

    def read(self):
        return self.array

    def read_numpy(self):
        return Slot.read_numpy_many([self])[0]

    def write(self, value):
        like = self._array
        if isinstance(value, jax.Array):  # stays on the device: no host round trip
            value = value.astype(like.dtype).reshape(like.shape)
        else:
            value = np.asarray(value, dtype=like.dtype).reshape(like.shape)
        self.array = jax.device_put(value, self.device)

    @staticmethod
    def read_numpy_many(slots):
        """Host copies of several slots' values in one transfer (a packed group's from
        the host copy of its vectors)."""
        out = [None] * len(slots)
        loose = [i for i, s in enumerate(slots) if s.pack is None]
        if loose:  # (jax.device_get costs ~10 us even of nothing)
            for i, array in zip(loose, jax.device_get([slots[i]._array for i in loose])):
                out[i] = np.array(array)
        for i, s in enumerate(slots):
            if s.pack is not None:
                out[i] = s.pack.host_value(s)
        return out

    @staticmethod
    def write_many(slots, values):
        """``write`` of host values, one transfer per device. A value written again (the
        same host array: a metric's initial value at each reset) reuses its device copy
        while it is alive (the steps do not donate metric state), so a reset after the
        first costs no transfer."""
        by_device = {}
        for slot, value in zip(slots, values):
            kept = slot.kept
            if kept is not None and kept[0] is value and not kept[1].is_deleted():
                slot.array = kept[1]
                continue
            like = slot._array
            host = np.asarray(value, dtype=like.dtype).reshape(like.shape)
            by_device.setdefault(slot.device, []).append((slot, value, host))
        for device, todo in by_device.items():
            arrays = jax.device_put([host for _, _, host in todo], device)
            for (slot, value, _), array in zip(todo, arrays):
                slot.array = array
                slot.kept = (value, array)


class Layout:
    """How a list of arrays (shapes and dtypes fixed) maps onto one flat vector per
    dtype: ``join`` and ``split`` are the two directions, traceable (they run inside
    the steps) and jitted for use outside them."""

    def __init__(self, arrays):
        shapes = [tuple(a.shape) for a in arrays]
        self.groups = {}  # dtype -> indices of its arrays, in order
        for i, a in enumerate(arrays):
            self.groups.setdefault(np.dtype(a.dtype), []).append(i)
        self.order = list(self.groups)
        # Where each array lies: (its vector, start, stop, shape), worked out once (the
        # logs split the host copy every epoch).
        self.places = [None] * len(arrays)
        for v, d in enumerate(self.order):
            at = 0
            for i in self.groups[d]:
                size = int(np.prod(shapes[i], dtype=np.int64))
                self.places[i] = (v, at, at + size, shapes[i])
                at += size
        self.join_jitted = jax.jit(self.join)
        self.split_jitted = jax.jit(self.split)

    def join(self, arrays):
        return [jnp.concatenate([jnp.ravel(arrays[i]) for i in self.groups[d]])
                for d in self.order]

    def split(self, vectors):
        """The arrays of ``vectors`` (JAX's, traced or not, or numpy's: views)."""
        return [vectors[v][start:stop].reshape(shape) for v, start, stop, shape in self.places]


class PackedState:
    """The current values of ``slots`` as ``vectors`` (``layout``'s), while the slots
    point here: what a training loop passes from step to step."""

    def __init__(self, slots, layout):
        self.slots, self.layout = slots, layout
        self._position = {id(s): i for i, s in enumerate(slots)}
        self.vectors = None
        self._host = None
        self._joined = None  # (the arrays last packed anew, their vectors)

    def take(self):
        """The vectors for the next step: the packed ones while every slot still points
        here, else packed anew from the slots (after a reset or a read). A reset puts
        the same device arrays back each time (``Slot.write_many``), so the pack of
        the last arrays packed anew is kept and reused for them (vectors are never
        donated): ``train_on_batch`` resets every call."""
        if self.vectors is None or any(s.pack is not self for s in self.slots):
            arrays = [s.array for s in self.slots]
            joined = self._joined
            if joined is not None and all(a is b for a, b in zip(arrays, joined[0])):
                self.vectors = joined[1]
            else:
                self.vectors = self.layout.join_jitted(arrays)
                self._joined = (arrays, self.vectors)
        return self.vectors

    def put(self, vectors):
        """The step's new vectors become the slots' values."""
        self.vectors, self._host = vectors, None
        for s in self.slots:
            s.pack = self

    def unpack(self):
        arrays = self.layout.split_jitted(self.vectors)
        for s, a in zip(self.slots, arrays):
            if s.pack is self:
                s._array, s.pack = a, None

    def host_value(self, slot):
        if self._host is None:
            # np.asarray per vector: a packed group is one or two vectors, and
            # jax.device_get's tree walk costs more than their copies (~20 us on CPU).
            self._host = self.layout.split([np.asarray(v) for v in self.vectors])
        return self._host[self._position[id(slot)]].copy()
