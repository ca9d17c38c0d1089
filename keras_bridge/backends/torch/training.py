"""One training or test batch on torch: plain eager torch.

train: forward on the module, loss (the front end's ops on torch tensors), backward,
optimizer step, constraints, metric updates under ``no_grad``. Nothing is read back
to the host here; the loop reads metric values when it prints.
"""

import torch

from keras_bridge.backends.torch.tensors import using_device
from keras_bridge import layer_losses, logits
from keras_bridge.training.compile_utils import regularization_loss


class Trainer:
    def __init__(self, program, compiled):
        self.program = program
        self.compiled = compiled
        model = program.model
        self.device = program.device
        self.optimizer = compiled.engine_optimizer
        self.regularized = [w for w in model.weights if w.regularizer is not None]
        self.constrained = [w for w in model.trainable_weights if w.constraint is not None]
        for w in model.weights:  # freezing is decided per compile, as in Keras
            if isinstance(w.slot.tensor, torch.nn.Parameter):
                w.slot.tensor.requires_grad_(w.trainable)


    def _extra_loss(self, added):
        """Weight regularization plus the losses layers added, or None."""
        reg = regularization_loss(self.regularized) if self.regularized else None
        return layer_losses.total([reg, *added]) if added else reg

    def _weights_to_device(self, sample_weight):
        """None, one array, or one array per output (a list)."""
        if sample_weight is None:
            return None
        if isinstance(sample_weight, list):
            return self.program._to_device(sample_weight)
        return self.program._to_device([sample_weight])[0]

    def train_step(self, xs, ys, sample_weight):
        compiled = self.compiled
        with using_device(self.device):
            xs, ys = self.program._to_device(xs), self.program._to_device(ys)
            sw = self._weights_to_device(sample_weight)
            # Crossentropy of a softmax output from its logits; layers' added losses.
            with logits.recording(), layer_losses.collecting() as added:
                outputs = self.program._run(xs, True)
                total, per_output = compiled.loss(ys, outputs, sw, self._extra_loss(added))
            if self.optimizer.params:  # else a frozen model: Keras only reports the loss
                self.optimizer.zero_grad()
                total.backward()
                self.optimizer.step()
            with torch.no_grad():
                for w in self.constrained:
                    w.assign(w.constraint(w.value))
                compiled.metrics.update(ys, [o.detach() for o in outputs], sw, total.detach(),
                                        [None if v is None else v.detach() for v in per_output])

    def test_step(self, xs, ys, sample_weight):
        compiled = self.compiled
        with torch.no_grad(), using_device(self.device):
            xs, ys = self.program._to_device(xs), self.program._to_device(ys)
            sw = self._weights_to_device(sample_weight)
            with logits.recording(), layer_losses.collecting() as added:
                outputs = self.program._run(xs, False)
                total, per_output = compiled.loss(ys, outputs, sw, self._extra_loss(added))
            compiled.metrics.update(ys, outputs, sw, total, per_output)


def make_trainer(program, compiled):
    return Trainer(program, compiled)
