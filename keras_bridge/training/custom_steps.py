"""The fit / evaluate loop's steps for a model that overrides ``train_step`` or
``test_step`` (Keras 3's contract; see ``training/step_methods.py``).

``CustomSteps`` has the engine trainer's interface (``train_step(xs, ys, sw)``,
``test_step``) plus the loop's log source (``reset``, ``results``): an overridden step
gets the batch as engine tensors packed as Keras 3 does (``(x, y)``, or ``(x,)``
without targets, or ``(x, y, sample_weight)``), runs inside the step's scopes (the
losses layers add while it calls the model are what ``compute_loss`` adds), and the
dict it returns is what History, the progress bar and callbacks see. A step left
alone runs the engine's native one. Keras 3's JAX style, ``train_step(self, state,
data) -> (logs, state)`` (state: trainable, non-trainable, optimizer and metrics
variables), ``test_step`` (the same without the optimizer's) and ``predict_step(self,
state, data) -> (outputs, non_trainable)`` (state: trainable, non-trainable), is jitted
by the engine (``compile_stateless_step``) and its state written back after each batch. A style the engine cannot run is an error
before anything is bound, never a silent fallback to the built-in step.
"""

import importlib

import numpy as np

from keras_bridge import backends, layer_losses, logits, ops
from keras_bridge.training.step_methods import STEPS, overridden, takes_state


def uses_custom_steps(model):
    return overridden(model, "train_step") or overridden(model, "test_step")


def check_supported(model):
    """A clear error, before any step, for an override this engine cannot run: never
    silently replace it with the built-in step."""
    for name in STEPS:
        if not overridden(model, name):
            continue
        stateful = takes_state(model, name)
        if model.backend_name != "jax" and stateful:
            raise NotImplementedError(
                f"Model {model.name!r} overrides {name}(self, state, data), Keras 3's JAX "
                f"style, which needs the JAX backend. Expected on {model.backend_name}: "
                f"{name}(self, data). Received: backend={model.backend_name!r}.")
        if name == "train_step" and model.backend_name == "jax" and not stateful:
            raise NotImplementedError(
                f"Model {model.name!r} overrides train_step(self, data), Keras 3's torch "
                f"style (loss.backward()), which cannot differentiate on the JAX backend. "
                f"Expected on JAX: Keras 3's JAX style train_step(self, state, data) "
                f"(stateless_call, optimizer.stateless_apply, "
                f"metric.stateless_update_state), or the torch backend. Received: "
                f"backend='jax'.")


def _jit_stateless(model, method, name, what):
    """``method(state, data) -> (result, new state)`` jitted by the engine
    (``compile_stateless_step``), run in the step's scopes. The engine donates the
    state, so what comes back is checked while tracing (a bad return raises before
    anything runs, leaving the model as it was) and every part is written back."""
    compile_step = importlib.import_module(
        backends.get(model.backend_name).__name__ + ".training").compile_stateless_step

    def step(state, data):
        with logits.recording(), layer_losses.collecting():
            result = method(state, data)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(f"Expected {name}(self, state, data) to return {what}. "
                            f"Received: {type(result).__name__}")
        _check_state(name, state, result[1])
        return result

    return compile_step(step)


def _check_state(name, given, returned):
    """The returned state has the given one's parts, each list as long as given."""
    if not isinstance(returned, (list, tuple)) or len(returned) != len(given):
        raise ValueError(f"Expected {name}(self, state, data) to return a state of "
                         f"{len(given)} parts, as it was given. Received: {returned!r:.80}")
    for part, new in zip(given, returned):
        if isinstance(part, list) and (not isinstance(new, (list, tuple))
                                       or len(new) != len(part)):
            got = len(new) if isinstance(new, (list, tuple)) else type(new).__name__
            raise ValueError(f"Expected {name}(self, state, data) to return one value "
                             f"per variable: {len(part)} values. Received: {got}")


def _values(variables):
    return [v.value for v in variables]


def _write_back(groups):
    """Store a stateless step's returned values: ``(variables, values)`` pairs."""
    for variables, values in groups:
        for var, value in zip(variables, values):
            var.slot.write(value)


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
        # Keras 3's JAX style: {kind: jitted step(state, data) -> (logs, state)}.
        self.stateless = {kind: _jit_stateless(model, getattr(model, f"{kind}_step"),
                                               f"{kind}_step", "(logs, state)")
                          for kind in ("train", "test")
                          if self.custom[kind] and takes_state(model, f"{kind}_step")}
        if self.stateless:
            for metric in model.metrics:
                if metric._backend_name is None:
                    metric.bind(model.backend_name, model._device)
            self.optimizer = model.optimizer  # its engine state made by the native trainer

    def _run_stateless(self, kind, data):
        """One JAX-style step: the state is Keras 3's (trainable, non-trainable,
        [optimizer,] metrics variables); what it returns is written back."""
        model = self.model
        groups = [model.trainable_variables, model.non_trainable_variables,
                  model.metrics_variables]
        state = [_values(g) for g in groups]
        if kind == "train":
            state.insert(2, self.optimizer._stateless_values())
        logs, new = self.stateless[kind](tuple(state), data)
        new = list(new)
        if kind == "train":
            self.optimizer._set_stateless_values(new.pop(2))
        _write_back(zip(groups, new))
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
        if kind in self.stateless:
            self._logs = host_logs(self._run_stateless(kind, self._data(xs, ys,
                                                                        sample_weight)),
                                   f"{kind}_step")
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
        # Keras 3's JAX style: predict_step(state, data) -> (outputs, non-trainable).
        self.stateless = _jit_stateless(model, self._predict_step, "predict_step",
                                        "(outputs, non_trainable_variables)") \
            if takes_state(model, "predict_step") else None

    def _predict_step(self, state, data):
        """The override, returning the (donated) trainable values too, as Keras 3."""
        result = self.model.predict_step(state, data)
        if isinstance(result, tuple) and len(result) == 2:
            return result[0], (state[0], result[1])
        return result

    def _run_stateless(self, data):
        model = self.model
        groups = [model.trainable_variables, model.non_trainable_variables]
        out, new = self.stateless(tuple(_values(g) for g in groups), data)
        _write_back(zip(groups, new))
        return out

    def predict_batch(self, xs):
        from keras_bridge.utils import tree
        x = _pack([self.convert(a) for a in self.program.to_device(xs)])
        if self.stateless is not None:
            out = self._run_stateless((x,))
        else:
            with logits.recording():
                out = self.model.predict_step((x,))
        self.structure = out
        return [np.asarray(ops.convert_to_numpy(o)) for o in tree.flatten(out)]

    def pack(self, outputs):
        from keras_bridge.utils import tree
        return tree.pack_like(self.structure, list(outputs))
