"""Layers as torch modules: a table of rules, and the generic module for the rest.

Each built-in layer with a rule becomes the ``torch.nn`` module that does the same
math (Dense -> ``nn.Linear``), so torch's own kernels run. Weights keep one copy, in
the module, in torch's layout; each front-end weight reads and writes it through a
``Slot`` that converts to Keras layout (``nn.Linear.weight`` is ``(out, in)``, Keras's
kernel ``(in, out)``). A layer with no rule runs its own ``call`` on parameters
registered in Keras layout. Every module here has the same signature,
``forward(inputs, *args, training=False, **kwargs)``.
"""

import numpy as np
import torch
from torch import nn

from keras_bridge.backends.torch.tensors import host_to_device
from keras_bridge import layer_losses, logits
from keras_bridge.layers.core import Activation, Dense, Dropout, Flatten, InputLayer
from keras_bridge.layers.core import Lambda, Permute, RepeatVector, Reshape
from keras_bridge.layers.merging import Add, Average, Concatenate, Dot, Maximum, Minimum
from keras_bridge.layers.merging import Multiply, Subtract
from keras_bridge.layers.gradients import Gradients
from keras_bridge.layers.op_layer import OpLayer
from keras_bridge.utils import tree

_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32,
           "float64": torch.float64, "int32": torch.int32, "int64": torch.int64,
           "int8": torch.int8, "uint8": torch.uint8, "int16": torch.int16, "bool": torch.bool}


def torch_dtype(name):
    return _DTYPES[str(name)]


def _transpose(t):
    return t.t()


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
        return self.layout(self.tensor) if self.layout else self.tensor

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


# ---- activations: front-end functions mapped to torch's where the math is the same ----
def activation_fn(fn):
    import torch.nn.functional as F
    table = {"linear": None, "relu": torch.relu, "sigmoid": _sigmoid, "tanh": torch.tanh,
             "softmax": _softmax, "elu": F.elu, "selu": F.selu,
             "softplus": F.softplus, "softsign": F.softsign, "silu": F.silu, "swish": F.silu,
             "exponential": torch.exp, "gelu": F.gelu}
    name = getattr(fn, "__name__", None)
    if name in table and fn is _frontend_activation(name):
        return table[name]
    return fn


def _softmax(x):  # noting the logits for the crossentropy losses, as the front end does
    return logits.note(torch.softmax(x, dim=-1), x, "softmax", -1)


def _sigmoid(x):
    return logits.note(torch.sigmoid(x), x, "sigmoid")


def _frontend_activation(name):
    from keras_bridge import activations
    return getattr(activations, name, None)


# ---- rules ------------------------------------------------------------------------
class DenseModule(nn.Module):
    def __init__(self, linear, activation):
        super().__init__()
        self.linear = linear
        self.activation = activation

    def forward(self, inputs, training=False):
        x = self.linear(inputs)
        return self.activation(x) if self.activation is not None else x


def dense_rule(layer, device):
    in_dim = layer.kernel.shape[0]
    linear = nn.Linear(in_dim, layer.units, bias=layer.use_bias, device=device,
                       dtype=torch_dtype(layer.kernel.dtype))
    adopt(layer.kernel, linear.weight, _transpose)
    if layer.use_bias:
        adopt(layer.bias, linear.bias)
    return DenseModule(linear, activation_fn(layer.activation))


class ActivationModule(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, inputs, training=False):
        return self.fn(inputs) if self.fn is not None else inputs


def activation_rule(layer, device):
    return ActivationModule(activation_fn(layer.activation))


class DropoutModule(nn.Module):
    def __init__(self, rate, noise_shape):
        super().__init__()
        self.rate = rate
        self.noise_shape = noise_shape

    def forward(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate >= 1:
            return torch.zeros_like(inputs)
        if self.noise_shape is None:
            return nn.functional.dropout(inputs, self.rate, training=True)
        shape = [s if n is None else n for s, n in zip(inputs.shape, self.noise_shape)]
        keep = torch.rand(shape, device=inputs.device) >= self.rate
        return inputs * keep.to(inputs.dtype) / (1.0 - self.rate)


def dropout_rule(layer, device):
    return DropoutModule(layer.rate, layer.noise_shape)


LOWERING = {Dense: dense_rule, Activation: activation_rule, Dropout: dropout_rule}

# Built-in layers with no torch rule: their reference call (ops on torch tensors) runs.
RUNS_OWN_CALL = frozenset({InputLayer, Flatten, Reshape, Permute, RepeatVector, Lambda,
                           Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate,
                           Dot, OpLayer, Gradients})


class CallModule(nn.Module):
    """A layer without a rule: its weights as parameters (Keras layout), its ``call``
    as the forward pass, its sub-layers as child modules."""

    def __init__(self, layer, device):
        super().__init__()
        self.layer = layer
        for i, w in enumerate(layer._own_weights):
            tensor = make_tensor(w, device)
            name = f"w{i}_{w.name}".replace(".", "_").replace("/", "_")
            if isinstance(tensor, nn.Parameter):
                self.register_parameter(name, tensor)
            else:
                self.register_buffer(name, tensor)
            w.bind(Slot(getattr(self, name)))
        for sub in layer._layers():
            if sub.built:
                sub.bind("torch", device)
        self.sublayers = nn.ModuleList()
        self.adopt_sublayers()

    def adopt_sublayers(self):
        """Register bound sub-layers' modules (they may be bound during the first call)."""
        known = {id(m) for m in self.sublayers}
        for sub in self.layer._layers():
            module = sub._binding
            if isinstance(module, nn.Module) and id(module) not in known:
                self.sublayers.append(module)
                known.add(id(module))

    def forward(self, inputs, *args, training=False, **kwargs):
        if self.layer._call_has_training:
            kwargs["training"] = training
        out = self.layer.call(inputs, *args, **kwargs)
        if len(self.sublayers) != len(self.layer._layers()):
            self.adopt_sublayers()
        return out


class GraphModule(nn.Module):
    """A functional model: its layers' modules run in graph order, nothing in between."""

    def __init__(self, model, device):
        super().__init__()
        self.model = model
        index, modules = {}, []
        for layer in model.layers:
            layer.bind("torch", device)
            index[id(layer)] = len(modules)
            modules.append(layer._binding)
        self.blocks = nn.ModuleList(modules)
        self._block_list = modules  # plain list: indexing a ModuleList costs per call
        ids = {id(t): i for i, t in enumerate(model.inputs)}
        plan = []
        for node in model._nodes:
            for t in node.output_tensors:
                ids.setdefault(id(t), len(ids))
            args = tree.map_structure(lambda t: _Ref(ids[id(t)]) if hasattr(t, "node")
                                      else t, node.inputs)
            layer = node.layer
            plan.append((index[id(layer)], args, node.args, dict(node.kwargs),
                         [ids[id(t)] for t in node.output_tensors],
                         layer if layer.activity_regularizer is not None else None))
        self.plan = plan
        self.layers = [node.layer for node in model._nodes]  # for masks, in plan order
        self.masks_used = model._uses_masks
        self.output_ids = [ids[id(t)] for t in model.outputs]
        self.loss_ids = [ids[id(t)] for t in model._loss_tensors]  # Model.add_loss
        self.n_values = len(ids)

    def run(self, inputs, training=False):
        if self.masks_used:
            return self._run_with_masks(inputs, training)
        values = list(inputs) + [None] * (self.n_values - len(inputs))
        blocks = self._block_list
        for block, args, extra, kwargs, out_ids, regularized in self.plan:
            x = values[args.i] if type(args) is _Ref else \
                tree.map_structure(lambda r: values[r.i] if type(r) is _Ref else r, args)
            kw = {"training": training, **kwargs}
            out = blocks[block](x, *extra, **kw)
            if len(out_ids) == 1:
                values[out_ids[0]] = out
            else:
                for i, v in zip(out_ids, tree.flatten(out)):
                    values[i] = v
            if regularized is not None:
                layer_losses.add_activity_losses(regularized, tree.flatten(out))
        if self.loss_ids:
            layer_losses.add_model_losses([values[i] for i in self.loss_ids])
        return [values[i] for i in self.output_ids]

    def _run_with_masks(self, inputs, training):
        """The same walk, also carrying each value's mask (graphs with Embedding
        (mask_zero=True), Masking, ...): a layer whose call takes ``mask`` gets its
        inputs' masks, and ``compute_mask`` gives the mask of its outputs."""
        values = list(inputs) + [None] * (self.n_values - len(inputs))
        masks = [None] * self.n_values
        for layer, (block, args, extra, kwargs, out_ids, regularized) in zip(self.layers,
                                                                             self.plan):
            x = tree.map_structure(lambda r: values[r.i] if type(r) is _Ref else r, args)
            mask = tree.map_structure(lambda r: masks[r.i] if type(r) is _Ref else None, args)
            if all(m is None for m in tree.flatten(mask)):
                mask = None
            kw = {"training": training, **kwargs}
            if mask is not None and layer._call_has_mask and "mask" not in kw:
                kw["mask"] = mask
            out = self._block_list[block](x, *extra, **kw)
            for i, v in zip(out_ids, tree.flatten(out)):
                values[i] = v
            if regularized is not None:
                layer_losses.add_activity_losses(regularized, tree.flatten(out))
            out_mask = layer.compute_mask(x, mask)
            if out_mask is not None:
                out_masks = out_mask if isinstance(out_mask, (list, tuple)) \
                    else [out_mask] * len(out_ids)
                for i, m in zip(out_ids, out_masks):
                    masks[i] = m
        if self.loss_ids:
            layer_losses.add_model_losses([values[i] for i in self.loss_ids])
        return [values[i] for i in self.output_ids]

    def forward(self, inputs, training=False):
        flat = self.model._flatten_inputs(inputs)
        return tree.pack_like(self.model._output_struct, self.run(flat, training))


class _Ref:
    """Position of a value in GraphModule's value list."""
    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i


class SubclassModule(CallModule):
    """A subclassed Model: its ``call`` runs with its layers bound to torch."""


# Rules of the other layer families live in their own modules (they use the helpers
# above, so they are merged in once this module is complete).
from keras_bridge.backends.torch import activation_rules, conv_rules, norm_rules  # noqa: E402
from keras_bridge.backends.torch import regularization_rules, rnn_rules, seq_rules  # noqa: E402

for _family in (activation_rules, conv_rules, norm_rules, regularization_rules, rnn_rules,
                seq_rules):
    LOWERING.update(_family.RULES)
    RUNS_OWN_CALL = RUNS_OWN_CALL | _family.OWN_CALL
