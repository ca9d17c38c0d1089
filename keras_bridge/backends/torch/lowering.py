"""Layers as torch modules: the rule table, and the generic modules for the rest.

Each built-in layer with a rule becomes the ``torch.nn`` module that does the same
math (Dense -> ``nn.Linear``), so torch's own kernels run. Weights keep one copy, in
the module, in torch's layout; each front-end weight reads and writes it through a
``Slot`` (storage.py) that converts to Keras layout (``nn.Linear.weight`` is
``(out, in)``, Keras's kernel ``(in, out)``). A layer with no rule runs its own ``call``
on parameters registered in Keras layout. Every module here has the same signature,
``forward(inputs, *args, training=False, **kwargs)``. The rule files import only
shared helpers (storage.py, core_rules.py); this module gathers their tables.
"""

import torch
from torch import nn

from keras_bridge import autocast
from keras_bridge.backends import surface
from keras_bridge.backends.torch import activation_rules, conv_rules, core_rules, einsum_rules
from keras_bridge.backends.torch import norm_rules
from keras_bridge.backends.torch import native, regularization_rules, rnn_rules, seq_rules
from keras_bridge.backends.torch.storage import Slot, make_tensor, torch_dtype
# Attention layers run their call: ops.dot_product_attention is the engine's fused
# kernel already, and their EinsumDense projections have a rule (einsum_rules.py).
from keras_bridge.layers.attention import AdditiveAttention, Attention, GroupedQueryAttention
from keras_bridge.layers.attention import MultiHeadAttention
from keras_bridge.layers.core import Flatten, InputLayer, Lambda, Permute, RepeatVector
from keras_bridge.layers.core import Reshape
from keras_bridge.layers.gradients import Gradients
from keras_bridge.layers.merging import Add, Average, Concatenate, Dot, Maximum, Minimum
from keras_bridge.layers.merging import Multiply, Subtract
from keras_bridge.layers.op_layer import OpLayer
from keras_bridge.layers.preprocessing import PREPROCESSING_LAYERS
from keras_bridge.layers.core import Identity
from keras_bridge.layers.normalization import RMSNormalization
from keras_bridge.layers.spectral_normalization import SpectralNormalization
from keras_bridge.layers.reversible_embedding import ReversibleEmbedding
from keras_bridge.layers.pooling import ADAPTIVE_POOLING

_FAMILIES = (core_rules, einsum_rules, activation_rules, conv_rules, norm_rules,
             regularization_rules, rnn_rules, seq_rules, native)

LOWERING = {cls: rule for family in _FAMILIES for cls, rule in family.RULES.items()}

# Built-in layers with no torch rule: their reference call (ops on torch tensors) runs.
RUNS_OWN_CALL = frozenset({InputLayer, Flatten, Reshape, Permute, RepeatVector, Lambda,
                           Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate,
                           Dot, OpLayer, Gradients, Attention,
                           AdditiveAttention, MultiHeadAttention, GroupedQueryAttention,
                           Identity, RMSNormalization, SpectralNormalization,
                           ReversibleEmbedding}).union(
    PREPROCESSING_LAYERS, ADAPTIVE_POOLING).union(
    *(family.OWN_CALL for family in _FAMILIES))


class CallModule(nn.Module):
    """A layer without a rule: its weights as parameters (Keras layout), its ``call``
    as the forward pass, its sub-layers as child modules."""

    def __init__(self, layer, device):
        super().__init__()
        # A plain attribute, never a child module (a torch-bound model passes for an
        # nn.Module: native.py).
        self.__dict__["layer"] = layer
        self.takes_training = surface.takes_training(layer)
        for i, w in enumerate(surface.own_weights(layer)):
            tensor = make_tensor(w, device)
            name = f"w{i}_{w.name}".replace(".", "_").replace("/", "_")
            if isinstance(tensor, nn.Parameter):
                self.register_parameter(name, tensor)
            else:
                self.register_buffer(name, tensor)
            w.bind(Slot(getattr(self, name)))
        for sub in surface.sublayers(layer):
            if sub.built:
                sub.bind("torch", device)
        self.sublayers = nn.ModuleList()
        self.adopt_sublayers()

    def adopt_sublayers(self):
        """Register bound sub-layers' modules (they may be bound during the first call)."""
        known = {id(m) for m in self.sublayers}
        for sub in surface.sublayers(self.layer):
            module = surface.binding(sub)
            if isinstance(module, nn.Module) and id(module) not in known:
                self.sublayers.append(module)
                known.add(id(module))

    def forward(self, inputs, *args, training=False, **kwargs):
        if self.takes_training:
            kwargs["training"] = training
        with autocast.scope_for(self.layer):
            out = self.layer.call(inputs, *args, **kwargs)
        if len(self.sublayers) != len(surface.sublayers(self.layer)):
            self.adopt_sublayers()
        return out


class GraphModule(nn.Module):
    """A functional model: its layers' modules run in graph order, nothing in between.
    The walk is the front end's ``ExecutionPlan`` (models/plan.py), shared with
    ``Model.call``; each step calls the step's layer's module."""

    def __init__(self, model, device):
        super().__init__()
        self.__dict__["model"] = model  # a plain attribute, as CallModule's layer
        modules = []
        for layer in model.layers:
            layer.bind("torch", device)
            modules.append(surface.binding(layer))
        self.blocks = nn.ModuleList(modules)
        self.plan = surface.graph_plan(model)
        self.executor = self.plan.executor(
            [_casting(step, _direct(surface.binding(step.layer))) for step in self.plan.steps],
            always_takes_training=True)
        self.run = self.executor.run  # flat tensors in, flat outputs out
        # Floating inputs become the Input's dtype, as in Keras's functional models.
        self.input_dtypes = [t.dtype for t in model.inputs]

    def forward(self, inputs, training=False):
        plan = self.plan
        flat = [x if not (isinstance(x, torch.Tensor) and autocast.needs_cast(
                    autocast.dtype_name(x), dtype)) else x.to(torch_dtype(dtype))
                for x, dtype in zip(plan.flatten_inputs(inputs), self.input_dtypes)]
        return plan.pack_outputs(self.run(flat, training))


def _direct(module):
    """What the walk calls for a layer's module: its ``forward``, skipping
    ``nn.Module.__call__`` (~2 us of hook bookkeeping per layer, a third of a
    one-sample predict of a small MLP). The layers' modules are the program's own, with
    no hooks on them; the root module (what DDP and torch.compile wrap) is still called."""
    return module.forward if isinstance(module, nn.Module) else module


def _casting(step, module):
    """``module``, or a callable casting its floating inputs to the layer's compute dtype
    first where the graph says a cast is needed (a layer whose policy differs from the
    dtype of the tensors it receives): the walk of a one-dtype model stays a plain
    sequence of module calls. Layers Keras does not autocast get their inputs as given."""
    layer = step.layer
    compute = autocast.compute_dtype(layer)
    if compute is None or not layer.autocast or not any(autocast.needs_cast(str(d), compute)
                                     for d in step.input_dtypes):
        return module

    def call(inputs, *args, **kwargs):
        inputs = autocast.cast_inputs(layer, inputs, lambda x, d: x.to(torch_dtype(d)))
        return module(inputs, *args, **kwargs)
    return call


class SubclassModule(CallModule):
    """A subclassed Model: its ``call`` runs with its layers bound to torch."""
