"""Torch storage of front-end weights: the ``Slot`` a weight reads and writes through,
and the helpers every rule file uses to create or adopt module tensors."""

import numpy as np
import torch
from torch import nn

from keras_bridge.backends.torch.tensors import host_to_device

_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32,
           "float64": torch.float64, "int32": torch.int32, "int64": torch.int64,
           "int8": torch.int8, "uint8": torch.uint8, "int16": torch.int16, "bool": torch.bool}


def torch_dtype(name):
    return _DTYPES[str(name)]


class Slot:
    """Torch storage of one weight. ``layout`` maps storage to Keras layout as a view, so
    reads, writes and gradients go through it; a layout that is not its own inverse (a
    convolution kernel's permutation) also has ``inverse``, Keras -> storage."""

    backend_name = "torch"
    __slots__ = ("tensor", "layout")

    def __init__(self, tensor, layout=None):
        self.tensor = tensor
        self.layout = layout

    def read(self):
        if self.layout is None:
            return self.tensor
        view = self.layout(self.tensor)
        if self.tensor.grad is not None:
            # Keras 3's torch train_step reads ``v.value.grad``: the view carries the
            # gradient ``backward`` left on the storage, in Keras layout.
            view.grad = self.layout(self.tensor.grad)
        return view

    def zero_grad(self, set_to_none=True):
        grad = self.tensor.grad
        if grad is None:
            return
        if set_to_none:
            self.tensor.grad = None
        else:
            grad.zero_()

    def read_numpy(self):
        return self.read().detach().cpu().numpy().copy()

    def write(self, value):
        if not torch.is_tensor(value):
            value = host_to_device(value, "cpu")
        target = self.read()
        if value.dtype != target.dtype or value.device != target.device:
            value = value.to(dtype=target.dtype, device=target.device)
        if value.shape != target.shape:
            value = value.reshape(target.shape)
        with torch.no_grad():
            target.copy_(value)

    def to_storage(self, value):
        """A Keras-layout value in storage layout."""
        if self.layout is None:
            return value
        return getattr(self.layout, "inverse", self.layout)(value)

    def grad_numpy(self):
        grad = self.tensor.grad
        if grad is None:
            return np.zeros(tuple(self.read().shape), dtype=np.float32)
        grad = self.layout(grad) if self.layout else grad
        return grad.detach().cpu().numpy().copy()


def make_tensor(weight, device, layout=None):
    """Engine tensor for ``weight``'s numpy value (in storage layout)."""
    value = host_to_device(weight.unbound_numpy(), device)
    if layout is not None:
        value = Slot(None, layout).to_storage(value).contiguous()
    if weight.kind == "param":
        return nn.Parameter(value, requires_grad=weight.trainable)
    return value


def adopt(weight, tensor, layout=None):
    """Copy ``weight``'s value into an existing module tensor and bind the weight to it."""
    slot = Slot(tensor, layout)
    with torch.no_grad():
        tensor.copy_(slot.to_storage(host_to_device(weight.unbound_numpy(), tensor.device)))
    if isinstance(tensor, nn.Parameter):
        tensor.requires_grad_(weight.trainable)
    weight.bind(slot)
