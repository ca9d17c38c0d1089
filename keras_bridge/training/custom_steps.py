"""The fit / evaluate loop's steps for a model that overrides ``train_step`` or
``test_step`` (Keras 3's contract; see ``training/step_methods.py``).

``CustomSteps`` has the engine trainer's interface (``train_step(xs, ys, sw)``,
``test_step``) plus the loop's log source (``reset``, ``results``): an overridden step
gets the batch as engine tensors packed as Keras 3 does (``(x, y)``, or ``(x,)``
without targets, or ``(x, y, sample_weight)``), runs inside the step's scopes (the
losses layers add while it calls the model are what ``compute_loss`` adds), and the
dict it returns is what History, the progress bar and callbacks see. A step left
alone runs the engine's native one. Keras 3's JAX style, ``train_step(self, state,
data) -> (logs, state)``, is jitted by the engine (``compile_stateless_step``) and
its state written back after each batch. A style the engine cannot run is an error
before anything is bound, never a silent fallback to the built-in step.
"""

import importlib

import numpy as np

from keras_bridge import backends, layer_losses, logits, ops
from keras_bridge.training.step_methods import overridden, takes_state


def uses_custom_steps(model):
    return overridden(model, "train_step") or overridden(model, "test_step")


def check_supported(model):
    """A clear error, before any step, for an override this engine cannot run: never
    silently replace it with the built-in step."""
    for name in ("test_step", "predict_step"):
        if overridden(model, name) and takes_state(model, name):
            raise NotImplementedError(
                f"Model {model.name!r} overrides {name}(self, state, data) (Keras 3's JAX "
                f"style), which keras_bridge does not run yet. Expected: {name}(self, data), "
                f"which runs eagerly on either backend.")
    if not overridden(model, "train_step"):
        return
    stateful = takes_state(model, "train_step")
    if model.backend_name == "jax" and not stateful:
        raise NotImplementedError(
            f"Model {model.name!r} overrides train_step(self, data), Keras 3's torch style "
            f"(loss.backward()), which cannot differentiate on the JAX backend. Expected "
            f"on JAX: Keras 3's JAX style train_step(self, state, data) (stateless_call, "
            f"optimizer.stateless_apply, metric.stateless_update_state), or the torch "
            f"backend. Received: backend='jax'.")
    if model.backend_name != "jax" and stateful:
        raise NotImplementedError(
            f"Model {model.name!r} overrides train_step(self, state, data), Keras 3's JAX "
            f"style, which needs the JAX backend. Expected on {model.backend_name}: "
            f"train_step(self, data). Received: backend={model.backend_name!r}.")


def _pack(values):
    return values[0] if len(values) == 1 else list(values)


def _log_value(value):
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
            out.update({k: _log_value(v) for k, v in value.items()})
        else:
            out[name] = _log_value(value)
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
        self.stateless = None
        if self.custom["train"] and takes_state(model, "train_step"):
            self._prepare_stateless(native)

    # ---- Keras 3's JAX style: train_step(state, data) -> (logs, state), jitted --------
    def _prepare_stateless(self, native):
        model = self.model
        for metric in model.metrics:
            if metric._backend_name is None:
                metric.bind(model.backend_name, model._device)
        self.optimizer = native.optimizer  # the engine optimizer; its state is initialised
        compile_step = importlib.import_module(
            backends.get(model.backend_name).__name__ + ".training").compile_stateless_step

        def step(state, data):
            with logits.recording(), layer_losses.collecting():
                return model.train_step(state, data)

        self.stateless = compile_step(step)

    def _run_stateless(self, data):
        model = self.model
        trainable, others = model.trainable_variables, model.non_trainable_variables
        metric_vars = model.metrics_variables
        state = ([w.value for w in trainable], [w.value for w in others],
                 self.optimizer.state, [v.value for v in metric_vars])
        result = self.stateless(state, data)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError("Expected train_step(self, state, data) to return (logs, state). "
                            f"Received: {type(result).__name__}")
        logs, (new_trainable, new_others, opt_state, new_metrics) = result
        for group, values in ((trainable, new_trainable), (others, new_others),
                              (metric_vars, new_metrics)):
            for w, v in zip(group, values):
                w.slot.write(v)
        self.optimizer.state = opt_state
        return logs

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
        if kind == "train" and self.stateless is not None:
            self._logs = host_logs(self._run_stateless(self._data(xs, ys, sample_weight)),
                                   "train_step")
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
        check_supported(model)
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
