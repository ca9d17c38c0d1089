"""Embedding and the sequence wrappers as torch modules.

- Embedding -> ``F.embedding`` on a parameter that holds Keras's ``(input_dim,
  output_dim)`` matrix as it is (torch's layout is the same). Indices on the CPU are
  checked (a min/max, no device sync): an out-of-range index is a ValueError naming
  the layer. Indices on an accelerator are not read back per step; an out-of-range
  index gives a NaN row there, as JAX does under jit (see
  ``keras_bridge/layers/embedding.py``), instead of torch's device-side assert, which
  would leave the CUDA context unusable.
- TimeDistributed -> the inner layer's module on ``(batch * time, ...)`` (a view for
  contiguous input), reshaped back.
- Bidirectional -> the two inner layers' modules, called directly, and the merge.

TimeDistributed(Dense(32)) on (20, 32) steps measured 1.13x its reference call in a
training step of batch 128 (bench/torch_rules.py). Masking runs its reference call.
"""

import torch
import torch.nn.functional as F
from torch import nn

from keras_bridge.backends import surface
from keras_bridge.backends.torch.storage import adopt, torch_dtype
from keras_bridge.layers.embedding import Embedding, out_of_range_error
from keras_bridge.layers.sequence import Bidirectional, Masking, TimeDistributed

_INDEX_DTYPES = (torch.int32, torch.int64)


class EmbeddingModule(nn.Module):
    """Keras's Embedding on ``F.embedding``."""

    def __init__(self, layer, device):
        super().__init__()
        self.layer = layer  # named in errors
        self.input_dim = layer.input_dim
        weight = layer.embeddings
        self.embeddings = nn.Parameter(torch.empty(
            weight.shape, dtype=torch_dtype(weight.dtype), device=device))
        adopt(weight, self.embeddings)
        # A mixed layer's rows come out in its compute dtype (the same values as
        # looking them up in the cast table, at the cost of the rows only).
        compute = torch_dtype(layer.dtype_policy.compute_dtype)
        self.compute = None if compute == self.embeddings.dtype else compute

    def forward(self, inputs, training=False):
        indices = inputs if inputs.dtype in _INDEX_DTYPES else inputs.to(torch.int64)
        # The range check reads the indices' values, which torch.export cannot trace; an
        # exported model looks rows up as on a GPU (NaN rows for bad indices).
        if indices.device.type == "cpu" and not torch.compiler.is_exporting():
            if indices.numel():
                low, high = torch.aminmax(indices)
                if low < 0 or high >= self.input_dim:
                    raise out_of_range_error(self.layer, inputs.detach().numpy())
            rows = F.embedding(indices, self.embeddings)
        else:
            rows = nan_filled_lookup(indices, self.embeddings)
        return rows if self.compute is None else rows.to(self.compute)


def nan_filled_lookup(indices, embeddings):
    """Rows of ``embeddings``, NaN where an index is out of range (no host sync)."""
    valid = (indices >= 0) & (indices < embeddings.shape[0])
    rows = F.embedding(torch.where(valid, indices, 0), embeddings)
    return torch.where(valid.unsqueeze(-1), rows, float("nan"))


def embedding_rule(layer, device):
    return EmbeddingModule(layer, device)


embedding_rule.computes_mixed = True  # the module casts its rows (forward)


def _bound_module(layer, device):
    layer.bind("torch", device)
    return surface.binding(layer)


class TimeDistributedModule(nn.Module):
    """The inner module on the steps folded into the batch axis."""

    def __init__(self, layer, device):
        super().__init__()
        self.inner = _bound_module(layer.layer, device)
        params = surface.call_parameters(layer.layer)
        self.pass_mask = "mask" in params

    def forward(self, inputs, training=False, mask=None):
        batch, steps = inputs.shape[0], inputs.shape[1]
        kwargs = {"training": training}
        if mask is not None and self.pass_mask:
            kwargs["mask"] = mask.reshape((batch * steps,) + tuple(mask.shape[2:]))
        out = self.inner(inputs.reshape((batch * steps,) + tuple(inputs.shape[2:])), **kwargs)
        if isinstance(out, (list, tuple)):
            return [o.reshape((batch, steps) + tuple(o.shape[1:])) for o in out]
        return out.reshape((batch, steps) + tuple(out.shape[1:]))


def time_distributed_rule(layer, device):
    return TimeDistributedModule(layer, device)


class BidirectionalModule(nn.Module):
    """Both directions' modules and Keras's merge (the backward output of a sequence
    is flipped back in time first). With initial states the directions are called
    through their layers, which place the states as their call expects."""

    def __init__(self, layer, device):
        super().__init__()
        self.layer = layer  # its argument handling (split_inputs, arrange)
        self.forward_module = _bound_module(layer.forward_layer, device)
        self.backward_module = _bound_module(layer.backward_layer, device)
        self.merge_mode = layer.merge_mode
        self.forward_params = surface.call_parameters(layer.forward_layer)
        self.backward_params = surface.call_parameters(layer.backward_layer)

    def _merge(self, y, y_rev):
        mode = self.merge_mode
        if mode == "concat":
            return [torch.cat([y, y_rev], dim=-1)]
        if mode == "sum":
            return [y + y_rev]
        if mode == "ave":
            return [(y + y_rev) / 2]
        if mode == "mul":
            return [y * y_rev]
        return [y, y_rev]

    def forward(self, inputs, training=False, mask=None, initial_state=None):
        layer = self.layer
        inputs, mask, forward_state, backward_state = layer.split_inputs(
            inputs, mask, initial_state)
        directions = ((layer.forward_layer, self.forward_module, self.forward_params,
                       forward_state),
                      (layer.backward_layer, self.backward_module, self.backward_params,
                       backward_state))
        outputs = []
        for sublayer, module, params, state in directions:
            kwargs = layer.sublayer_kwargs(params, training, mask, state)
            if state is None:
                kwargs["training"] = training
                outputs.append(module(inputs, **kwargs))
            else:
                outputs.append(sublayer(inputs, **kwargs))
        return layer.arrange(*outputs, self._merge, lambda y: torch.flip(y, (1,)))


def bidirectional_rule(layer, device):
    return BidirectionalModule(layer, device)


RULES = {Embedding: embedding_rule, TimeDistributed: time_distributed_rule,
         Bidirectional: bidirectional_rule}

# Masking's reference call (a comparison, an any and a multiply) runs: a rule restating
# it measured within 4% of it (bench/torch_rules.py), all of it the generic call's overhead.
OWN_CALL = frozenset({Masking})
