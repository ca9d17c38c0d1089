"""Where new torch tensors go.

Ops that create tensors from nothing (numpy input, ``zeros``, random draws) need a
device; they ask ``current_device()``. A scope set with ``using_device`` wins over the
default (CUDA when torch sees a GPU), and is a context variable so that threads and
async tasks each keep their own.
"""

import contextvars
import functools

import numpy as np
import torch

_scoped = contextvars.ContextVar("keras_bridge_torch_device", default=None)


@functools.lru_cache(maxsize=None)
def _default_device():
    # Cached: asking the driver on every tensor creation is measurable overhead.
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def current_device():
    """The torch.device new tensors are placed on."""
    device = _scoped.get()
    return device if device is not None else _default_device()


def _as_device(name):
    if isinstance(name, torch.device):
        return name
    if not isinstance(name, str) or not name:
        raise ValueError(f"Expected a device name such as 'cpu' or 'cuda:0'. Received: {name!r}")
    key = name.strip().lower()
    if key == "gpu" or key.startswith("gpu:"):  # Keras spells CUDA devices 'gpu'
        key = "cuda" + key[3:]
    try:
        return torch.device(key)
    except RuntimeError:
        raise ValueError(
            f"Expected a device name such as 'cpu' or 'cuda:0'. Received: {name!r}"
        ) from None


class using_device:  # noqa: N801 (a function to its callers: ``with using_device(d):``)
    """Place tensors created inside this scope on ``name`` ('cpu', 'cuda:0', 'gpu:0', ...).
    A class rather than a generator: every predict call and train step enters one."""

    __slots__ = ("device", "token")

    def __init__(self, name):
        self.device = _as_device(name)

    def __enter__(self):
        self.token = _scoped.set(self.device)

    def __exit__(self, *exc):
        _scoped.reset(self.token)


def host_to_device(array, device, dtype=None):
    """A torch tensor on ``device`` from numpy data, keeping its shape (0-d included)
    and, unless ``dtype`` says otherwise, its dtype."""
    arr = np.asarray(array)
    # ml_dtypes' bfloat16 (kind "V", as numpy's void) is unknown to torch's from_numpy:
    # its bits go over as int16 and are viewed as torch's bfloat16 (exact, no copy).
    # dtype.name is computed in Python (~2 us): asked only of that kind.
    if arr.dtype.kind == "V" and arr.dtype.name == "bfloat16":
        bits = torch.from_numpy(np.ascontiguousarray(arr).view(np.int16))
        return bits.view(torch.bfloat16).to(device=device, dtype=dtype)
    if not arr.dtype.isnative:  # e.g. big-endian data read from a file
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if not arr.flags.writeable or (arr.ndim and min(arr.strides) < 0):
        arr = np.array(arr)  # torch warns on read-only memory and rejects negative strides
    if dtype is None and (device.type if isinstance(device, torch.device) else device) == "cpu":
        return torch.from_numpy(arr)  # what as_tensor does here, without its argument parsing
    return torch.as_tensor(arr, dtype=dtype, device=device)
