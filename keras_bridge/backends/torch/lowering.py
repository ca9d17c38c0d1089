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

from torch import nn

from keras_bridge import layer_losses
from keras_bridge.backends.torch import activation_rules, conv_rules, core_rules, norm_rules
from keras_bridge.backends.torch import regularization_rules, rnn_rules, seq_rules
from keras_bridge.backends.torch.storage import Slot, make_tensor
from keras_bridge.layers.core import Flatten, InputLayer, Lambda, Permute, RepeatVector
from keras_bridge.layers.core import Reshape
from keras_bridge.layers.gradients import Gradients
from keras_bridge.layers.merging import Add, Average, Concatenate, Dot, Maximum, Minimum
from keras_bridge.layers.merging import Multiply, Subtract
from keras_bridge.layers.op_layer import OpLayer
from keras_bridge.utils import tree

_FAMILIES = (core_rules, activation_rules, conv_rules, norm_rules, regularization_rules,
             rnn_rules, seq_rules)

LOWERING = {cls: rule for family in _FAMILIES for cls, rule in family.RULES.items()}

# Built-in layers with no torch rule: their reference call (ops on torch tensors) runs.
RUNS_OWN_CALL = frozenset({InputLayer, Flatten, Reshape, Permute, RepeatVector, Lambda,
                           Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate,
                           Dot, OpLayer, Gradients}).union(
    *(family.OWN_CALL for family in _FAMILIES))


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
