"""The fit / evaluate loop's steps for a model that overrides ``train_step`` or
``test_step`` (Keras 3's contract; see ``training/step_methods.py``).

``CustomSteps`` has the engine trainer's interface (``train_step(xs, ys, sw)``,
``test_step``) plus the loop's log source (``reset``, ``results``): an overridden step
gets the batch as engine tensors packed as Keras 3 does (``(x, y)``, or ``(x,)``
without targets, or ``(x, y, sample_weight)``), runs inside the step's scopes (the
losses layers add while it calls the model are what ``compute_loss`` adds), and the
dict it returns is what History, the progress bar and callbacks see. A step left
alone runs the engine's native one.
"""

import numpy as np

from keras_bridge import backends, layer_losses, logits, ops
from keras_bridge.training.step_methods import overridden, takes_state


def uses_custom_steps(model):
    return overridden(model, "train_step") or overridden(model, "test_step")


def check_supported(model):
    """A clear error, before any step, for an override this engine cannot run: never
    silently replace it with the built-in step."""
    if model.backend_name != "jax" or not overridden(model, "train_step"):
        return
    style = "train_step(self, state, data) (Keras 3's JAX style)" \
        if takes_state(model, "train_step") else \
        "train_step(self, data) (Keras 3's torch style: loss.backward())"
    raise NotImplementedError(
        f"Model {model.name!r} overrides {style}, which keras_bridge cannot run on the JAX "
        f"backend yet. Expected: the torch backend for an overridden train_step, or no "
        f"override on JAX (test_step(self, data) and predict_step(self, data) overrides do "
        f"run on JAX). Received: backend='jax'.")


def _pack(values):
    return values[0] if len(values) == 1 else list(values)


def _float(value):
    return float(ops.convert_to_numpy(value))


def host_logs(logs, what):
    """A step's logs as host floats (a nested dict of results is flattened, as Keras 3's
    ``get_metrics_result``)."""
    if not isinstance(logs, dict):
        raise TypeError(f"Expected {what} to return a dict of logs, e.g. "
                        f"{{'loss': loss}}. Received: {type(logs).__name__}")
    out = {}
    for name, value in logs.items():
        if isinstance(value, dict):
            out.update({k: _float(v) for k, v in value.items()})
        else:
            out[name] = _float(value)
    return out


class CustomSteps:
    def __init__(self, model, native, program):
        check_supported(model)
        self.model = model
        self.native = native
        self.program = program
        self.convert = backends.get(model.backend_name).ops.convert_to_tensor
        self.custom = {"train": overridden(model, "train_step"),
                       "test": overridden(model, "test_step")}
        self._logs = None

    def _data(self, xs, ys, sample_weight):
        x = _pack([self.convert(a) for a in self.program.to_device(xs)])
        if not ys:
            return (x,)
        y = _pack([self.convert(a) for a in self.program.to_device(ys)])
        if sample_weight is None:
            return x, y
        if isinstance(sample_weight, list):
            sw = [None if w is None else self.convert(w)
                  for w in self.program.to_device(sample_weight)]
        else:
            sw = self.convert(self.program.to_device([sample_weight])[0])
        return x, y, sw

    def _run(self, kind, xs, ys, sample_weight):
        if not self.custom[kind]:
            getattr(self.native, f"{kind}_step")(xs, ys, sample_weight)
            self._logs = None
            return
        step = getattr(self.model, f"{kind}_step")
        data = self._data(xs, ys, sample_weight)
        with logits.recording(), layer_losses.collecting():
            logs = step(data)
        self._logs = host_logs(logs, f"{kind}_step")

    def train_step(self, xs, ys, sample_weight):
        self._run("train", xs, ys, sample_weight)

    def test_step(self, xs, ys, sample_weight):
        self._run("test", xs, ys, sample_weight)

    # ---- the loop's log source ------------------------------------------------------
    def reset(self):
        """Keras 3 resets ``model.metrics`` (``reset_metrics``, overridable) at each epoch
        and evaluation start."""
        self.model.reset_metrics()
        self._logs = None

    def results(self):
        """The last overridden step's logs; after a native step (or none yet) the
        results of ``model.metrics``."""
        if self._logs is not None:
            return dict(self._logs)
        return host_logs(self.model.get_metrics_result(), "get_metrics_result")


class PredictSteps:
    """``predict`` for a model overriding ``predict_step``: each batch goes to the
    override as ``(x,)`` of engine tensors, its outputs (any structure) come back as
    numpy and are joined along the batch axis in that structure."""

    def __init__(self, model, program):
        self.model = model
        self.program = program
        self.convert = backends.get(model.backend_name).ops.convert_to_tensor
        self.structure = None

    def predict_batch(self, xs):
        from keras_bridge.utils import tree
        x = _pack([self.convert(a) for a in self.program.to_device(xs)])
        with logits.recording():
            out = self.model.predict_step((x,))
        self.structure = out
        return [np.asarray(ops.convert_to_numpy(o)) for o in tree.flatten(out)]

    def pack(self, outputs):
        from keras_bridge.utils import tree
        return tree.pack_like(self.structure, list(outputs))
