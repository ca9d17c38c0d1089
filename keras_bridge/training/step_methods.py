"""Keras 3's overridable step API on ``Model``: ``train_step`` / ``test_step`` /
``predict_step``, ``compute_loss``, ``compute_metrics``, ``metrics``, ``reset_metrics``.

The built-in steps stay the engines' native ones (a torch loop, a jitted JAX step):
``fit`` only routes batches through Python methods when a subclass overrides one
(``overridden``), and then ``training/custom_steps.py`` calls the override per batch.
The default methods here run that same native step on one batch, so
``super().train_step(data)`` inside an override does what ``fit`` would have done.
"""

import inspect

import numpy as np

from keras_bridge import layer_losses, ops
from keras_bridge.training.compile_utils import regularization_loss

STEPS = ("train_step", "test_step", "predict_step")


def overridden(model, name):
    """Whether ``type(model)`` replaces ``Model``'s step ``name`` (a class attribute
    comparison: free, so the default path pays nothing)."""
    return getattr(type(model), name) is not getattr(StepMethods, name)


def takes_state(model, name):
    """Whether the override has Keras 3's JAX signature ``(self, state, data)``."""
    params = [p for p in inspect.signature(getattr(model, name)).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(params) >= 2


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch ``x``, ``(x,)``, ``(x, y)`` or
    ``(x, y, sample_weight)`` (missing parts None), as Keras 3's utility."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if not 1 <= len(data) <= 3:
        raise ValueError(f"Expected data to be x, (x,), (x, y) or (x, y, sample_weight). "
                         f"Received: a tuple of {len(data)} elements.")
    return tuple(data) + (None,) * (3 - len(data))


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _weight_list(sample_weight):
    if sample_weight is None or not isinstance(sample_weight, (list, tuple)):
        return sample_weight
    return list(sample_weight)


def _attribute_metrics(model):
    """Metrics the model holds as attributes (``self.loss_tracker = Mean(...)``), in
    assignment order; the compiled ones are reached through ``_compiled``."""
    from keras_bridge.metrics import Metric
    found = []
    for value in vars(model).values():
        items = value if isinstance(value, (list, tuple)) else [value]
        found.extend(v for v in items if isinstance(v, Metric))
    return found


class StepMethods:
    """Keras 3's per-batch methods, mixed into ``Model`` through ``Trainer``."""

    # ---- metrics ---------------------------------------------------------------------
    @property
    def metrics(self):
        """Compiled metrics as Keras 3 lists them (the loss tracker, then one
        ``compile_metrics`` metric whose result is a dict), then metrics made as
        attributes of the model. A model compiled without a loss whose steps are
        overridden has no compiled loss tracker (its step tracks its own loss)."""
        compiled = []
        if self._compiled is not None:
            built = self._compiled.metrics.metrics is not None
            compiled = self._compiled.metrics.keras3_metrics() if built else []
            if self._compiled.loss.spec is None and (overridden(self, "train_step")
                                                    or overridden(self, "test_step")):
                tracker = self._compiled.metrics.loss_tracker
                compiled = [m for m in compiled if m is not tracker]
        seen = {id(m) for m in compiled}
        return compiled + [m for m in _attribute_metrics(self) if id(m) not in seen]

    def reset_metrics(self):
        """Reset every metric in ``self.metrics``."""
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self):
        """``{name: result}`` of ``self.metrics`` (engine tensors)."""
        out = {}
        for metric in self.metrics:
            if metric._backend_name is None:  # never updated: zeros on the model's engine
                metric.bind(self.backend_name, self._device)
            result = metric.result()
            if isinstance(result, dict):
                out.update(result)
            else:
                out[metric.name] = result
        return out

    # ---- loss and metrics of one batch -------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of ``(y, y_pred)`` plus the model's own losses: weight
        regularization and the losses layers added while the running step called the
        model (activity regularizers, ``add_loss``), as Keras 3."""
        del x, training
        self._require_compiled("computing its loss")
        extra = regularization_loss([w for w in self.weights if w.regularizer is not None])
        extra = layer_losses.total([extra, *layer_losses.pending()])
        total, _ = self._compiled.loss(_as_list(y), _as_list(y_pred),
                                       _weight_list(sample_weight), extra)
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics (not the loss trackers, which the step updates)
        and return ``get_metrics_result()``."""
        del x
        self._require_compiled("computing its metrics")
        compiled = self._compiled.metrics
        if compiled.metrics is None:
            ys, preds = _as_list(y), _as_list(y_pred)
            compiled.build([tuple(ops.shape(t)) for t in ys],
                           [tuple(ops.shape(p)) for p in preds])
        for i, (objs, t, p) in enumerate(zip(compiled.metrics, _as_list(y),
                                             _as_list(y_pred))):
            sw = _weight_list(sample_weight)
            sw = sw[i] if isinstance(sw, list) else sw
            for metric in objs:
                metric.update_state(t, p, sample_weight=sw)
        return self.get_metrics_result()

    # ---- the steps ---------------------------------------------------------------------
    def train_step(self, data):
        """One optimizer step on ``data`` (``x``, ``(x, y)`` or ``(x, y, sample_weight)``);
        returns the logs ``{name: value}``. The default is the engine's native step."""
        return self._native_step("train", data)

    def test_step(self, data):
        """Loss and metrics of ``data`` without training; returns the logs."""
        return self._native_step("test", data)

    def predict_step(self, data):
        """The model's outputs for the batch ``data`` (``x`` or a tuple ``(x, ...)``)."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _native_step(self, kind, data):
        self._require_compiled("training it" if kind == "train" else "evaluating it")
        x, y, sw = unpack_x_y_sample_weight(data)
        xs = [_host(a) for a in _as_list(x)]
        ys = [_host(a) for a in _as_list(y)]
        sw = None if sw is None else ([_host(a) for a in sw] if isinstance(sw, (list, tuple))
                                      else _host(sw))
        self._ensure_built(xs)  # (unstandardized: the index check runs here)
        steps = self._get_trainer(xs, ys)
        native = getattr(steps, "native", steps)
        getattr(native, f"{kind}_step")(xs, ys, sw)
        return {m.name: m.result() for m in self._compiled.metrics.all_metrics()}

    # ---- Keras 3's stateless API (a JAX-style train_step(self, state, data)) ----------
    # (trainable_variables, non_trainable_variables and stateless_call are Layer's.)
    @property
    def metrics_variables(self):
        return [v for m in self.metrics for v in m.variables]

    def stateless_compute_loss(self, trainable_variables, non_trainable_variables,
                               metrics_variables, x=None, y=None, y_pred=None,
                               sample_weight=None, training=True):
        """``compute_loss`` on given variable values, without side effects (Keras 3):
        the weight regularization reads the given trainable values (so ``jax.grad``
        sees it), and what the loss computation assigns is returned, not stored.
        Returns ``(loss, (trainable_variables, non_trainable_variables,
        metrics_variables))``."""
        from keras_bridge.layers.stateless import check_count
        from keras_bridge.stateless_scope import StatelessScope
        groups = [(self.trainable_variables, list(trainable_variables), "trainable"),
                  (self.non_trainable_variables, list(non_trainable_variables),
                   "non_trainable"),
                  (self.metrics_variables, list(metrics_variables), "metrics")]
        mapping = []
        for variables, values, what in groups:
            check_count(self, f"{what}_variables", values, variables)
            mapping.extend(zip(variables, values))
        with StatelessScope(state_mapping=mapping) as scope:
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred,
                                     sample_weight=sample_weight, training=training)
        return loss, (groups[0][1],
                      [scope.get_current_value(v) for v in self.non_trainable_variables],
                      [scope.get_current_value(v) for v in self.metrics_variables])

    def zero_grad(self, set_to_none=True):
        """Clear the gradients ``loss.backward()`` left on the weights (torch; JAX keeps
        none, so nothing to do)."""
        for weight in self.weights:
            clear = getattr(weight.slot, "zero_grad", None)
            if clear is not None:
                clear(set_to_none)


def _host(value):
    """A batch element as a numpy array (engine tensors come back to the host)."""
    if isinstance(value, np.ndarray):
        return value
    return np.asarray(ops.convert_to_numpy(value))
