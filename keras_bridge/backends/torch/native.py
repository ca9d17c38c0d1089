"""Torch code meets keras_bridge: a model where torch expects an ``nn.Module``, and a
torch module inside a keras_bridge model (``layers.TorchModuleWrapper``).

Why this shape. Keras 3 makes every layer a ``torch.nn.Module`` subclass
(keras/src/backend/torch/layer.py: ``TorchLayer`` keeps a ``ParameterDict`` of its
variables' values). keras_bridge's front end is engine-free, so a model is not a torch
subclass; instead:

1. **The view.** A bound model's torch face is a ``ModelView``: a plain ``nn.Module``
   whose parameters and buffers are the very tensors the engine stores the weights in
   (each weight's ``Slot`` tensor, storage.py), registered under the weight's path.
   Nothing is copied, so a torch optimizer stepping ``model.parameters()`` changes the
   model's weights, and ``fit`` afterwards continues from them. The view is made on first
   use (binding the model then) and remade when the model's storage changes.
2. **Delegation.** ``Model.parameters()``, ``named_parameters``, ``buffers``,
   ``state_dict`` / ``load_state_dict``, ``train`` / ``eval``, ``apply``, ... (front end:
   keras_bridge/models/native_module.py) call the view's.
3. **Recognition.** ``nn.Module.__setattr__`` registers a child only when
   ``isinstance(value, nn.Module)``. A model on torch answers ``__class__`` with
   ``facing_class(type(model))``, a class deriving from both its own class and
   ``nn.Module`` that is never instantiated: ``isinstance`` holds (Python's check falls
   back to ``__class__``, as ``unittest.mock`` specs rely on) while ``type(model)`` is
   unchanged. A user module holding the model then reaches it through the recursion
   torch does into children (``named_modules``, ``state_dict``, ``_load_from_state_dict``
   and ``_modules`` in ``load_state_dict``, ``train``, ``apply``, ``_apply``), which the
   model answers by delegating to its view.

Values are in storage layout (a Dense kernel is torch's ``(out, in)``), as the
optimizer must see the storage. Engine modules that keep a model (lowering.py) store it
as a plain attribute, so it is never registered as their child.
"""

import functools

import torch
from torch import nn

from keras_bridge.backends.torch.storage import adopt
from keras_bridge.layers.native import TorchModuleWrapper


@functools.lru_cache(maxsize=None)
def facing_class(cls):
    """A never-instantiated subclass of ``cls`` and ``nn.Module``: what a torch-bound
    model of class ``cls`` answers for ``__class__``."""
    return type(cls.__name__, (cls, nn.Module), {"__module__": cls.__module__,
                                                 "__qualname__": cls.__qualname__})


def _storage(model):
    """(name, tensor) of each weight's storage, in ``model.weights`` order, once each."""
    entries, seen, names = [], set(), set()
    for w in model.weights:
        tensor = getattr(w.slot, "tensor", None)
        if tensor is None or id(tensor) in seen:
            continue
        seen.add(id(tensor))
        name = w.path.replace(".", "_")
        base, i = name, 1
        while name in names:
            name, i = f"{base}_{i}", i + 1
        names.add(name)
        entries.append((name, tensor))
    return entries


class ModelView(nn.Module):
    """A bound model's weights as torch parameters (trainable or frozen weights) and
    buffers (state such as BatchNorm statistics), the engine's own tensors."""

    def __init__(self, model, entries):
        super().__init__()
        self.__dict__["model"] = model  # not a child: the model delegates to this view
        self.__dict__["storage_ids"] = [id(t) for _, t in entries]
        for name, tensor in entries:
            if isinstance(tensor, nn.Parameter):
                self.register_parameter(name, tensor)
            else:
                self.register_buffer(name, tensor)

    def forward(self, *args, **kwargs):
        return self.model(*args, **kwargs)

    def extra_repr(self):
        return f"model={self.model.name!r}"


def model_view(model, previous=None):
    """The ``ModelView`` of a torch-bound model: ``previous`` while it still holds the
    model's current storage, else a new one."""
    entries = _storage(model)
    if previous is not None and previous.storage_ids == [id(t) for _, t in entries]:
        return previous
    return ModelView(model, entries)


# ---- layers.TorchModuleWrapper ------------------------------------------------------------

def check_module(module):
    """``module`` if it can be wrapped: an ``nn.Module`` whose parameters exist."""
    if not isinstance(module, nn.Module):
        raise ValueError(f"TorchModuleWrapper expects a torch.nn.Module. Received: "
                         f"module={module!r} of type {type(module).__name__}.")
    if isinstance(module, nn.modules.lazy.LazyModuleMixin) and \
            module.has_uninitialized_params():
        raise ValueError(f"LazyModules are not supported unless they are already "
                         f"initialized (call the module once first). Received "
                         f"uninitialized LazyModule: module={module}")
    return module


def module_parameters(module):
    """(name, numpy value, trainable) of each parameter, in ``parameters()`` order."""
    return [(name.replace(".", "_"), p.detach().cpu().numpy().copy(), p.requires_grad)
            for name, p in module.named_parameters()]


def infer_output_shape(module, input_shape):
    """The module's output shape for ``input_shape`` (None for the batch), found by
    running it on zeros without gradients."""
    def run(fill):
        def zeros(shape):
            return torch.zeros(tuple(fill if d is None else d for d in shape),
                               device=next(module.parameters(), torch.zeros(())).device)
        many = isinstance(input_shape, list) and input_shape and \
            isinstance(input_shape[0], (tuple, list))
        with torch.no_grad():
            out = module(*[zeros(s) for s in input_shape]) if many else \
                module(zeros(input_shape))
        return tuple(out.shape)

    small, large = run(1), run(2)
    return tuple(s if s == l else None for s, l in zip(small, large))


class WrappedModule(nn.Module):
    """A ``TorchModuleWrapper`` on torch: the user's module, whose own parameters are
    its weights' storage (each weight's value is written into it when bound)."""

    def __init__(self, layer, device):
        super().__init__()
        self.module = layer.module.to(device)  # in place: the same Parameters
        params = list(self.module.parameters())
        if len(params) != len(layer.weights):
            raise ValueError(f"TorchModuleWrapper {layer.name!r}: the module has "
                             f"{len(params)} parameters now, {len(layer.weights)} when "
                             f"wrapped; wrap it again after changing it.")
        for weight, param in zip(layer.weights, params):
            adopt(weight, param)

    def forward(self, inputs, *args, training=False, **kwargs):
        self.module.train(bool(training))  # Keras 3: eval() in inference, train() else
        return self.module(inputs, *args, **kwargs)


RULES = {TorchModuleWrapper: WrappedModule}
OWN_CALL = frozenset()
