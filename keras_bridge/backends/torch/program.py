"""A bound model on torch: its module, inference and gradients for parity checks."""

import torch

from keras_bridge.backends import surface
from keras_bridge.backends.torch.tensors import host_to_device, using_device


class Program:
    """Runs ``model``'s torch module on ``device``; numpy in, numpy out."""

    def __init__(self, model, device):
        self.model = model
        self.module = surface.binding(model)
        self.device = torch.device(device)
        self.weights = model.weights
        self.jit = False
        self._predict_run = self.run_tensors

    def set_jit(self, jit):
        """Predict eagerly (the default) or ``torch.compile``d (``jit_compile=True``)."""
        if jit != self.jit:
            from keras_bridge.backends.torch.training import compiled
            self.jit = jit
            self._predict_run = compiled(self.run_tensors) if jit else self.run_tensors

    def to_device(self, arrays):
        """Host arrays as tensors on the program's device (what the trainer feeds)."""
        return [host_to_device(a, self.device) for a in arrays]

    def run_tensors(self, tensors, training):
        """The module on device tensors -> list of output tensors, with autograd as the
        caller's mode leaves it (the trainer's forward)."""
        if hasattr(self.module, "run"):
            return self.module.run(tensors, training=training)
        from keras_bridge.utils import tree
        inputs = tensors if len(tensors) > 1 else tensors[0]
        return tree.flatten(self.module(inputs, training=training))

    def forward(self, inputs, training=False):
        with using_device(self.device):
            return self.run_tensors(inputs, training)

    def run_batch(self, arrays, training):
        """Outputs as numpy in either mode, without gradients; state a layer updates in
        training mode (BatchNorm statistics) is put back afterwards."""
        states = [(w, w.slot.read().detach().clone()) for w in self.weights
                  if training and w.kind == "state"]
        try:
            with torch.no_grad(), using_device(self.device):
                outputs = self.run_tensors(self.to_device(arrays), training)
            return [_numpy(o.detach()) for o in outputs]
        finally:
            for w, value in states:
                w.slot.write(value)

    def predict_batch(self, arrays):
        """One input list's outputs (the path of a one-sample predict: kept short)."""
        with torch.inference_mode(), using_device(self.device):
            outputs = self._predict_run([host_to_device(a, self.device) for a in arrays],
                                        False)
        return [_numpy(o) for o in outputs]

    def predict_batches(self, batches):
        """Input lists run back to back, read to the host once: outputs joined along
        the batch axis."""
        with torch.inference_mode(), using_device(self.device):
            parts = [self._predict_run(self.to_device(xs), False) for xs in batches]
            outputs = [p[0] if len(p) == 1 else torch.cat(p) for p in zip(*parts)]
        return [_numpy(o) for o in outputs]

    def outputs_and_gradients(self, arrays, cotangents):
        trainable = [w for w in self.weights if w.trainable]
        tensors = [w.slot.tensor for w in trainable]
        for t in tensors:
            t.grad = None
        with using_device(self.device):
            outputs = self.run_tensors(self.to_device(arrays), False)
            total = sum((o * c).sum() for o, c in zip(outputs, self.to_device(cotangents)))
        total.backward()
        grads = [w.slot.grad_numpy() for w in trainable]
        for t in tensors:
            t.grad = None
        return [_numpy(o.detach()) for o in outputs], grads


def _numpy(tensor):
    """An output on the host: numpy, a bfloat16 one as ml_dtypes' bfloat16 (a mixed
    model's 16-bit output, as JAX gives it; numpy has no bfloat16 of its own)."""
    if tensor.dtype == torch.bfloat16:
        from keras_bridge.backends.torch.ops import convert_to_numpy
        return convert_to_numpy(tensor)
    return tensor.cpu().numpy()
