"""Recurrent layers on torch's fused RNN kernels (oneDNN / cuDNN), on every device.

A layer runs on ``torch.lstm`` / ``torch.gru`` / ``torch.rnn_tanh`` / ``torch.rnn_relu``
(the ops behind ``nn.LSTM`` and friends) when they compute Keras's math:

- LSTM: activation tanh, recurrent_activation sigmoid. torch's gate order i, f, g, o is
  Keras's i, f, c, o; Keras's one bias is torch's input bias, the recurrent bias is a
  zero buffer.
- GRU: ``reset_after=True``, tanh / sigmoid. torch's gate order r, z, n differs from
  Keras's z, r, h, so the kernels and the ``(2, 3 * units)`` bias (rows: torch's input
  and recurrent biases) are stored in torch's order and the Keras layout is read through
  a gate permutation (``GateLayout``, with ``inverse``).
- SimpleRNN: activation tanh or relu.

and, per call, when no recurrent dropout is active in training and the mask (if any)
marks one block of real steps per sample (left- or right-padded sequences, also with
``go_backwards``): each sample's real steps are rotated to the front (a gather), the
kernel runs over every step (or, when an LSTM's final cell state is needed, over
``pack_padded_sequence`` lengths), the final state is the output at the last real step,
and Keras's outputs at masked steps (the previous output) are filled in after. Any
other configuration runs the layer's reference ``call`` (a Python loop of torch ops) on
the same parameters, read in Keras layout. Input dropout uses one mask per call before
the fused kernel, as Keras does.
"""

import contextlib
import warnings

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from keras_bridge.backends import surface
from keras_bridge.backends.torch.storage import Slot, adopt, torch_dtype
from keras_bridge.backends.torch.tensors import host_to_device
from keras_bridge import activations, autocast
from keras_bridge.layers.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNN
from keras_bridge.layers.recurrent import SimpleRNNCell, dropout_mask, python_loop
from keras_bridge.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from keras_bridge.layers.cudnn_layers import CuDNNGRU, CuDNNLSTM
from keras_bridge.layers.stacked_cells import StackedRNNCells

_KERNELS = {"lstm": torch.lstm, "gru": torch.gru, "rnn_tanh": torch.rnn_tanh,
            "rnn_relu": torch.rnn_relu}


def fused_kind(layer):
    """The torch kernel computing ``layer``'s math ('lstm', 'gru', 'rnn_tanh',
    'rnn_relu'), or None. A subclass reaches here only when its math is its base's
    (``keras_bridge/backends/rules.py``)."""
    act = layer.activation
    if isinstance(layer, SimpleRNN):
        return {activations.tanh: "rnn_tanh", activations.relu: "rnn_relu"}.get(act)
    if act is not activations.tanh or layer.recurrent_activation is not activations.sigmoid:
        return None
    if isinstance(layer, LSTM):
        return "lstm"
    if isinstance(layer, GRU) and layer.reset_after:
        return "gru"
    return None


def _transpose(t):
    return t.t()


def _swap_gates(t, units, dim):
    """Exchange the first two ``units``-wide gate blocks along ``dim`` (r, z <-> z, r)."""
    first, second, rest = torch.split(t, units, dim=dim)
    return torch.cat([second, first, rest], dim=dim)


class GateLayout:
    """GRU storage in torch's gate order (r, z, n) -> Keras's (z, r, h).

    A kernel is stored ``(3 * units, in)``: the blocks are exchanged along axis 0, then
    transposed. The bias is stored ``(2, 3 * units)``: blocks exchanged along the last
    axis. The result is a copy, not a view, so writes go through ``inverse``
    (``GateSlot``).
    """

    __slots__ = ("units", "transposed")

    def __init__(self, units, transposed):
        self.units, self.transposed = units, transposed

    def __call__(self, tensor):
        if self.transposed:
            return _swap_gates(tensor, self.units, 0).t()
        return _swap_gates(tensor, self.units, -1)

    def inverse(self, value):
        if self.transposed:
            return _swap_gates(value.t(), self.units, 0)
        return _swap_gates(value, self.units, -1)


class GateSlot(Slot):
    """A slot whose Keras layout is a copy of the storage: writes convert to storage."""

    __slots__ = ()

    def write(self, value):
        if not torch.is_tensor(value):
            value = host_to_device(value, "cpu")
        value = value.to(dtype=self.tensor.dtype, device=self.tensor.device)
        with torch.no_grad():
            keras_shape = self.layout(self.tensor).shape
            self.tensor.copy_(self.to_storage(value.reshape(keras_shape)))


def _adopt(weight, tensor, layout):
    if isinstance(layout, GateLayout):
        slot = GateSlot(tensor, layout)
        with torch.no_grad():
            value = host_to_device(weight.unbound_numpy(), tensor.device)
            tensor.copy_(slot.to_storage(value))
        tensor.requires_grad_(weight.trainable)
        weight.bind(slot)
    else:
        adopt(weight, tensor, layout)


def _mask_blocks(mask):
    """For a ``(batch, timesteps)`` mask whose True steps form one block per sample:
    ``(lengths on the host, starts, any block not at step 0)``; None for other masks.
    One device-to-host copy (``pack_padded_sequence`` needs host lengths anyway)."""
    steps = torch.arange(mask.shape[1], device=mask.device)
    lengths = mask.sum(1)
    starts = mask.to(torch.uint8).argmax(1)  # the first True (0 when none)
    block = (steps >= starts[:, None]) & (steps < (starts + lengths)[:, None])
    host = torch.cat([(block == mask).all().view(1).long(), starts.max().view(1),
                      lengths]).cpu()
    if not host[0]:
        return None
    return host[2:], starts, bool(host[1])


def _rotate(x, shift):
    """``out[b, t] = x[b, (t + shift[b]) % T]`` (per-sample rotation along time)."""
    steps = torch.arange(x.shape[1], device=x.device)
    index = (steps[None, :] + shift[:, None]) % x.shape[1]
    return x.gather(1, index[..., None].expand(-1, -1, x.shape[2]))


class RecurrentModule(nn.Module):
    """A SimpleRNN / LSTM / GRU layer: the fused kernel where it computes the layer's
    math, else the layer's reference loop.

    ``fused`` is True when the configuration has a torch kernel; set it to False to run
    the reference loop on the same parameters (tests, benchmarks).
    """

    def __init__(self, layer, device):
        super().__init__()
        self.layer = layer
        self.kind = fused_kind(layer)
        self.fused = self.kind is not None
        units, gates = layer.units, surface.gate_count(layer)
        dtype = torch_dtype(layer.kernel.dtype)
        # A mixed layer (mixed_bfloat16): the kernel runs on its inputs, states and
        # weights cast to the compute dtype (the casts carry the gradients back to the
        # float32 weights), as torch.autocast runs torch.lstm.
        compute = autocast.compute_dtype(layer)
        self.compute = torch_dtype(compute) if layer.dtype_policy.is_mixed else None

        def param(shape):
            return nn.Parameter(torch.empty(shape, dtype=dtype, device=device))

        in_dim = layer.kernel.shape[0]
        if self.kind is None:  # reference loop only: Keras layout as is
            self.kernel = param(layer.kernel.shape)
            self.recurrent_kernel = param(layer.recurrent_kernel.shape)
            self.bias = param(layer.bias.shape) if layer.use_bias else None
            layouts = (None, None, None)
        else:
            self.kernel = param((gates * units, in_dim))
            self.recurrent_kernel = param((gates * units, units))
            self.bias = param(layer.bias.shape) if layer.use_bias else None
            if self.kind == "gru":
                layouts = (GateLayout(units, True), GateLayout(units, True),
                           GateLayout(units, False))
            else:
                layouts = (_transpose, _transpose, None)
                if layer.use_bias:  # torch's recurrent bias: Keras has none
                    self.register_buffer("zero_bias", torch.zeros(gates * units, dtype=dtype,
                                                                  device=device))
        _adopt(layer.kernel, self.kernel, layouts[0])
        _adopt(layer.recurrent_kernel, self.recurrent_kernel, layouts[1])
        if layer.use_bias:
            _adopt(layer.bias, self.bias, layouts[2])
        for i, weight in enumerate(layer.states or ()):
            self.register_buffer(f"state_{i}", torch.empty(weight.shape, dtype=dtype,
                                                           device=device))
            adopt(weight, getattr(self, f"state_{i}"))

    def _params(self):
        params = [self.kernel, self.recurrent_kernel]
        if self.bias is not None:
            params += [self.bias[0], self.bias[1]] if self.kind == "gru" \
                else [self.bias, self.zero_bias]
        return params

    def forward(self, inputs, training=False, mask=None, initial_state=None):
        layer = self.layer
        mask = mask[0] if isinstance(mask, (list, tuple)) else mask
        if mask is not None and not torch.is_tensor(mask):  # numpy, in an eager call
            mask = torch.as_tensor(np.asarray(mask), device=self.kernel.device)
        if not self.fused or (training and layer.recurrent_dropout > 0):
            return self._reference(inputs, mask, training, initial_state)
        if mask is not None:  # in processing order
            steps_mask = mask.to(torch.bool).flip(1) if layer.go_backwards \
                else mask.to(torch.bool)
            blocks = _mask_blocks(steps_mask)
            if blocks is None:  # holes in the mask: not expressible as lengths
                return self._reference(inputs, mask, training, initial_state)
            mask = steps_mask
        sequences, states = layer.prepare(inputs, initial_state)
        x = sequences
        if self.compute is not None:
            x, states = x.to(self.compute), [s.to(self.compute) for s in states]
        if training and layer.dropout > 0:
            x = x * dropout_mask(x[:, :1], layer.dropout, True)
        if layer.go_backwards:
            x = x.flip(1)
        if mask is None:
            final, outputs = self._run(x, states)
        else:
            final, outputs = self._run_masked(x, states, mask, *blocks)
        return layer.finish(final, outputs)

    def _reference(self, inputs, mask, training, initial_state):
        """The layer's reference call on a Python loop (a mixed layer's in its autocast
        scope, as its call runs elsewhere)."""
        with autocast.scope_for(self.layer):
            return self.layer.run(inputs, mask, training, initial_state, python_loop)

    def _call_kernel(self, x, states, batch_sizes=None):
        hx = [s.unsqueeze(0).contiguous() for s in states]
        hx = tuple(hx) if self.kind == "lstm" else hx[0]
        params = self._params()
        if self.compute is not None:
            params = [p.to(self.compute) for p in params]
        args = (params, self.bias is not None, 1, 0.0, torch.is_grad_enabled(), False)
        kernel = _KERNELS[self.kind]
        with warnings.catch_warnings() if x.is_cuda else contextlib.nullcontext():
            if x.is_cuda:
                # cuDNN warns on every call when the weights are not one flat buffer
                # (aten/src/ATen/native/cudnn/RNN.cpp, WEIGHT_FORMAT_WARN) and copies
                # them into one: O(parameters) per call. Ours are one tensor per Keras
                # weight, which the optimizers and layouts need.
                warnings.filterwarnings("ignore", message="RNN module weights are not part")
            if batch_sizes is None:
                result = kernel(x, hx, *args, True)  # batch_first
            else:
                result = kernel(x, batch_sizes, hx, *args)
        return result[0], [h.squeeze(0) for h in result[1:]]

    def _run(self, x, states):
        outputs, final = self._call_kernel(x, states)
        return final, outputs if self.layer.return_sequences else None

    def _run_masked(self, x, states, mask, lengths, starts, rotated):
        """Each sample's real steps form one block: rotate them to the front, run the
        kernel, and fill the masked steps' outputs as Keras does."""
        layer = self.layer
        if rotated:
            x = _rotate(x, starts)
        count = mask.sum(1)
        if self.kind == "lstm" and (layer.return_state or layer.stateful):
            # The final cell state is needed: pack, so the kernel stops at each length.
            packed = pack_padded_sequence(x, lengths.clamp(min=1), batch_first=True,
                                          enforce_sorted=False)
            order, unorder = packed.sorted_indices, packed.unsorted_indices
            data, final = self._call_kernel(packed.data,
                                            [s.index_select(0, order) for s in states],
                                            packed.batch_sizes)
            final = [f.index_select(0, unorder) for f in final]
            outputs = pad_packed_sequence(
                PackedSequence(data, packed.batch_sizes, order, unorder), batch_first=True,
                total_length=x.shape[1])[0] if layer.return_sequences else None
        else:
            # Only h is needed, and it is the output at each sample's last real step:
            # one unpacked run over every step (steps after a block do not change the
            # steps before it), faster than packed sequences on CPU (oneDNN).
            outputs, _ = self._call_kernel(x, states)
            last = (count - 1).clamp(min=0)
            final = [outputs[torch.arange(x.shape[0], device=x.device), last]]
        real = (count > 0)[:, None]  # a sample with no real step keeps its states
        final = [torch.where(real, f, s) for f, s in zip(final, states)]
        if not layer.return_sequences:
            return final, None
        if rotated:
            outputs = _rotate(outputs, -starts)
        if layer.zero_output_for_mask:
            fill = torch.zeros_like(outputs)
        else:  # Keras: a masked step outputs the previous output
            steps = torch.arange(x.shape[1], device=x.device)
            before = (steps[None, :] < starts[:, None])[..., None]
            fill = torch.where(before, states[0][:, None], final[0][:, None])
        return final, torch.where(mask[..., None], outputs, fill)


def recurrent_rule(layer, device):
    return RecurrentModule(layer, device)


recurrent_rule.computes_mixed = True  # RecurrentModule casts to a mixed layer's dtype


RULES = {SimpleRNN: recurrent_rule, LSTM: recurrent_rule, GRU: recurrent_rule}

# The generic RNN runs its reference loop (the cell's ``call`` on torch tensors), and so
# do the cells, the convolutional LSTMs and Keras 2's CuDNN layers (whose two biases the
# fused storage does not hold yet).
OWN_CALL = frozenset({RNN, SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells, ConvLSTM1D,
                      ConvLSTM2D, ConvLSTM3D, CuDNNLSTM, CuDNNGRU})
