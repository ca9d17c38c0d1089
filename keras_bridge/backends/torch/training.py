"""One training or test batch on torch: plain eager torch.

The step policy (scopes, regularization, the compiled loss, constraints, metrics) is the
front end's ``keras_bridge.training.step.StepPolicy``; this module only differentiates
and applies it: the module's forward inside ``policy.loss``, ``zero_grad`` +
``backward`` + ``optimizer.step()``, the constrained values assigned and the metrics
updated under ``no_grad``. Nothing is read back to the host here; the loop reads metric
values when it prints, so one execution of ``steps_per_execution`` batches is the single
steps in a row (``training/execution.py``).

With ``policy.jit`` (``compile(jit_compile=True)``) the optimizer's update rule is
``torch.compile``d (``TorchOptimizer.compile_update``: its multi-tensor ops fused), and
on an accelerator so are the forward pass and the loss, as one function (TorchInductor;
autograd runs its compiled backward): the whole step, as Keras 3 compiles it. On the
CPU the forward pass stays eager: there TorchInductor's code for it measured slower
than eager torch (0.87-0.94x on bench/train_mlp.py's MLP, its dropout RNG above all),
while the compiled update is faster (1.10x for the whole step).
It traces into one graph for a Dense model: the step's scopes are ``StepScope``s and
the losses' shape arithmetic stays in Python ints (tests/training/test_execution.py
counts the breaks).
"""

import logging
import warnings

import torch

from keras_bridge.backends.torch.tensors import using_device


class Trainer:
    def __init__(self, program, policy):
        self.program = program
        self.policy = policy
        self.device = program.device
        self.optimizer = policy.optimizer
        self.constrained = policy.constrained
        for w in program.model.weights:  # freezing is decided per compile, as in Keras
            if isinstance(w.slot.tensor, torch.nn.Parameter):
                w.slot.tensor.requires_grad_(w.trainable)
        self._forward = program.run_tensors  # distribution.py puts DDP's call here
        self._loss = compiled(self._forward_and_loss) \
            if policy.jit and compiles_forward(self.device) else self._forward_and_loss
        if policy.jit:
            self.optimizer.compile_update(compiled)

    def _forward_and_loss(self, xs, ys, sw, training):
        return self.policy.loss(lambda: self._forward(xs, training), ys, sw)

    def _weights_to_device(self, sample_weight):
        """None, one array, or one array per output (a list)."""
        if sample_weight is None:
            return None
        if isinstance(sample_weight, list):
            return self.program.to_device(sample_weight)
        return self.program.to_device([sample_weight])[0]

    def train_step(self, xs, ys, sample_weight):
        policy, program = self.policy, self.program
        with using_device(self.device):
            xs, ys = program.to_device(xs), program.to_device(ys)
            sw = self._weights_to_device(sample_weight)
            outputs, total, per_output = self._loss(xs, ys, sw, True)
            if self.optimizer.params:  # else a frozen model: Keras only reports the loss
                self.optimizer.zero_grad()
                # A LossScaleOptimizer's scale (else unchanged); its step unscales.
                self.optimizer.scale_loss(total).backward()
                self.optimizer.step()
            with torch.no_grad():
                if self.constrained:
                    new = policy.constrain([w.value for w in self.constrained])
                    for w, v in zip(self.constrained, new):
                        w.assign(v)
                policy.update_metrics(ys, [o.detach() for o in outputs], sw, total.detach(),
                                      [None if v is None else v.detach() for v in per_output])

    def test_step(self, xs, ys, sample_weight):
        policy, program = self.policy, self.program
        with torch.no_grad(), using_device(self.device):
            xs, ys = program.to_device(xs), program.to_device(ys)
            sw = self._weights_to_device(sample_weight)
            outputs, total, per_output = self._loss(xs, ys, sw, False)
            policy.update_metrics(ys, outputs, sw, total, per_output)


def compiles_forward(device):
    """Whether ``jit_compile=True`` compiles the forward pass on ``device`` (see the
    module docstring): everywhere but the CPU."""
    return torch.device(device).type != "cpu"


class _QuietProfilerNote(logging.Filter):
    """Drops dynamo's note that it ignores ``torch.optim``'s profiler ``record_function``
    around ``step`` (logged when the update is compiled; nothing of the user's)."""

    def filter(self, record):
        return not str(record.msg).startswith("Profiler record function")


logging.getLogger("torch._dynamo.variables.ctx_manager").addFilter(_QuietProfilerNote())


def compiled(fn):
    """``torch.compile(fn)`` (TorchInductor, which needs a C++ compiler at the first
    call). A second batch size (the last partial batch) makes dynamo recompile once with
    a dynamic batch axis rather than once per size."""
    with warnings.catch_warnings():  # inductor's first import warns about torch.jit
        warnings.simplefilter("ignore", DeprecationWarning)
        run = torch.compile(fn)

    def call(*args):
        # While tracing, dynamo reads ``.grad`` of the tensors a graph break hands on
        # (non-leaf activations), which warns; nothing of the user's is wrong.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The .grad attribute of a Tensor",
                                    UserWarning)
            return run(*args)
    return call


def make_trainer(program, policy):
    return Trainer(program, policy)
