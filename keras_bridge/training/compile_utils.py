"""What ``compile`` sets up: losses, loss weights and metrics paired with outputs.

Pairing follows Keras 2: one loss (or metric list) applies to every output; a list
gives one per output in order; a dict is keyed by output name. Everything numeric here
is written with ``keras_bridge.ops`` so an engine's train step (eager torch, jitted
JAX) calls it unchanged; metric state lives in metric weights updated with ``assign``.
"""

import copy

from keras_bridge import layer_losses
from keras_bridge import losses as losses_module
from keras_bridge import metrics as metrics_module
from keras_bridge import ops
from keras_bridge.metrics.base import host_results, reset_all
from keras_bridge.training.data import weight_for_output


def _per_output(value, output_names, what):
    """``value`` (single, list or dict) as a list aligned with ``output_names``."""
    n = len(output_names)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in output_names]
        if unknown:
            raise ValueError(f"Unknown entries in {what} dictionary: {unknown}. Only expected "
                             f"the model's output names: {output_names}.")
        return [value.get(k) for k in output_names]
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"When passing a list as {what}, it should have one entry per "
                             f"model output. The model has {n} output(s) {output_names}, but "
                             f"{len(value)} {what} were passed.")
        return list(value)
    return [value] * n


def _loss_name(loss):
    return getattr(loss, "name", None) or getattr(loss, "__name__", "loss")


class CompiledLoss:
    """The total loss: sum over outputs of ``loss_weight * loss(y_true, y_pred)``, plus
    regularization terms."""

    def __init__(self, loss, loss_weights, output_names, model_losses=False):
        self.output_names = list(output_names)
        self.model_losses = model_losses  # the model adds its own (Model.add_loss)
        if loss is None and not model_losses:
            raise ValueError("compile() needs a loss, e.g. loss='mse' or "
                             "loss='categorical_crossentropy', unless the model has its own "
                             "losses from model.add_loss(tensor).")
        self.losses = [losses_module.get(l) if l is not None else None
                       for l in _per_output(loss, self.output_names, "loss")]
        if all(l is None for l in self.losses) and not model_losses:
            raise ValueError(f"No loss was given for any output of {self.output_names}.")
        weights = _per_output(loss_weights, self.output_names, "loss_weights") \
            if loss_weights is not None else [1.0] * len(self.output_names)
        self.loss_weights = [1.0 if w is None else float(w) for w in weights]
        self.spec = loss

    @property
    def needs_targets(self):
        """Whether some output has a loss, so training data must hold targets."""
        return any(l is not None for l in self.losses)

    def __call__(self, y_true, y_pred, sample_weight=None, regularization=None):
        """(total scalar, list of per-output scalars) on the engine of ``y_pred``."""
        per_output, total = [], None
        for i, (loss, weight, t, p) in enumerate(zip(self.losses, self.loss_weights, y_true,
                                                     y_pred)):
            if loss is None:
                per_output.append(None)
                continue
            value = loss(t, p, sample_weight=weight_for_output(sample_weight, i))
            per_output.append(value)
            term = value if weight == 1.0 else ops.multiply(value, weight)
            total = term if total is None else ops.add(total, term)
        if regularization is not None:
            total = regularization if total is None else ops.add(total, regularization)
        if total is None:
            raise ValueError("There is no loss to minimize: the model was compiled without a "
                             "loss and added none (self.add_loss in call, or "
                             "model.add_loss(tensor)). Pass compile(loss=...).")
        return total, per_output


def _accuracy_for(loss, y_true_shape, y_pred_shape):
    """Keras's resolution of 'accuracy'/'acc' from the loss and the shapes."""
    loss_name = _loss_name(loss) if loss is not None else ""
    if "sparse_categorical" in loss_name:
        return metrics_module.sparse_categorical_accuracy
    if "binary" in loss_name or y_pred_shape[-1] == 1:
        return metrics_module.binary_accuracy
    if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and
                                                 y_pred_shape[-1] > 1):
        return metrics_module.sparse_categorical_accuracy
    return metrics_module.categorical_accuracy


class CompiledMetrics:
    """Metric objects per output, and the trackers behind the reported loss values.

    Names follow Keras 2: the string the user gave ('acc', 'accuracy', 'mse'), a
    function's ``__name__``, or a metric object's ``name``; with several outputs each
    is prefixed by its output name ('age_loss', 'income_acc').

    As in Keras 2 and 3, ``metrics`` ignore ``sample_weight`` and ``weighted_metrics``
    use it; a weighted metric whose name a plain one already has is reported as
    ``weighted_<name>`` (Keras 3's rule).
    """

    def __init__(self, metrics, output_names, compiled_loss, weighted_metrics=None):
        self.output_names = list(output_names)
        self.spec, self.weighted_spec = metrics, weighted_metrics
        self.compiled_loss = compiled_loss
        plain = self._entries(metrics, "metrics")
        weighted = self._entries(weighted_metrics, "weighted_metrics")
        # per output: the user's entries, plain then weighted, and which are weighted
        self.requested = [p + w for p, w in zip(plain, weighted)]
        self.uses_weights = [[False] * len(p) + [True] * len(w)
                             for p, w in zip(plain, weighted)]
        self.loss_tracker = metrics_module.Mean(name="loss")
        multi = len(self.output_names) > 1
        self.output_loss_trackers = [
            metrics_module.Mean(name=f"{name}_loss") if multi and loss is not None else None
            for name, loss in zip(self.output_names, compiled_loss.losses)]
        self.metrics = None  # per output: list of Metric, made once shapes are known
        self.container = None  # CompileMetrics over them (Keras 3's model.metrics entry)

    def _entries(self, metrics, argument):
        if metrics is None:
            return [[] for _ in self.output_names]
        if isinstance(metrics, dict):
            unknown = [k for k in metrics if k not in self.output_names]
            if unknown:
                raise ValueError(f"Unknown entries in {argument} dictionary: {unknown}. Only "
                                 f"expected the model's output names: {self.output_names}.")
            return [_as_list(metrics.get(k)) for k in self.output_names]
        if isinstance(metrics, (list, tuple)) and metrics and all(
                isinstance(m, (list, tuple)) for m in metrics):
            if len(metrics) != len(self.output_names):
                raise ValueError(f"When passing a list of lists as {argument}, it should have "
                                 f"one list per output; the model has "
                                 f"{len(self.output_names)} output(s).")
            return [list(m) for m in metrics]
        if not isinstance(metrics, (list, tuple)):
            raise TypeError(f"Expected {argument} to be a list or a dict keyed by output "
                            f"name. Received: {argument}={metrics!r}")
        return [list(metrics) for _ in self.output_names]

    def build(self, y_true_shapes, y_pred_shapes):
        """Make metric objects once shapes are known (for 'accuracy')."""
        if self.metrics is not None:
            return
        if not y_true_shapes and any(self.requested):
            raise ValueError(
                f"compile(metrics={self.spec!r}) compares the outputs with targets, but the "
                "data holds no targets y (the model trains on its own add_loss losses). "
                "Pass y to fit/evaluate, or compile without metrics.")
        multi = len(self.output_names) > 1
        built, plain_names = [], set()
        for i, (entries, weighted) in enumerate(zip(self.requested, self.uses_weights)):
            objs = []
            for entry, uses_weights in zip(entries, weighted):
                if isinstance(entry, metrics_module.Metric) and (
                        multi or any(entry is o for o in objs)):
                    entry = copy.deepcopy(entry)  # one state per output and per use
                metric = self._make(entry, self.compiled_loss.losses[i], y_true_shapes[i],
                                    y_pred_shapes[i])
                metric.name = self._display_name(metric.name, i, uses_weights, plain_names)
                objs.append(metric)
            built.append(objs)
        self.metrics = built
        names = [m.name for m in self.all_metrics()]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"Metric names must be unique; {sorted(duplicates)} repeat.")

    @staticmethod
    def _make(entry, loss, y_true_shape, y_pred_shape):
        if isinstance(entry, str) and entry in ("acc", "accuracy"):
            fn = _accuracy_for(loss, y_true_shape, y_pred_shape)
            return metrics_module.MeanMetricWrapper(fn, name=entry)
        if isinstance(entry, metrics_module.Metric):
            return entry
        resolved = metrics_module.get(entry)
        if not isinstance(resolved, metrics_module.Metric):
            resolved = metrics_module.MeanMetricWrapper(resolved)
        resolved.name = _entry_name(entry, resolved)
        return resolved

    def keras3_metrics(self):
        """``model.metrics`` as Keras 3 lists them: the loss trackers, then one
        ``CompileMetrics`` holding the compiled metrics (when there are any)."""
        out = [self.loss_tracker] + [t for t in self.output_loss_trackers if t is not None]
        if any(self.metrics or ()):
            if self.container is None:
                self.container = CompileMetrics(self)
            out.append(self.container)
        return out

    def all_metrics(self):
        """Every metric in the order Keras 2 reports them."""
        out = [self.loss_tracker] + [t for t in self.output_loss_trackers if t is not None]
        for objs in self.metrics or ():
            out.extend(objs)
        return out

    @property
    def names(self):
        if self.metrics is not None:
            return [m.name for m in self.all_metrics()]
        names = ["loss"] + [t.name for t in self.output_loss_trackers if t is not None]
        plain_names = set()
        for i, (entries, weighted) in enumerate(zip(self.requested, self.uses_weights)):
            names.extend(self._display_name(_entry_name(entry), i, uses_weights, plain_names)
                         for entry, uses_weights in zip(entries, weighted))
        return names

    def _display_name(self, name, index, uses_weights, plain_names):
        """The reported name: prefixed by the output's name when there are several, and
        ``weighted_`` before a weighted metric's name that a plain metric has."""
        multi = len(self.output_names) > 1

        def full(n):
            return f"{self.output_names[index]}_{n}" if multi else n
        if not uses_weights:
            plain_names.add(full(name))
            return full(name)
        return full(f"weighted_{name}") if full(name) in plain_names else full(name)

    def variables(self):
        return [v for m in self.all_metrics() for v in m.variables]

    def update(self, y_true, y_pred, sample_weight, total, per_output):
        """Update every tracker and metric for one batch (engine-neutral ops)."""
        batch_size = ops.shape(y_pred[0])[0]
        self.loss_tracker.update_state(total, sample_weight=batch_size)
        for tracker, value in zip(self.output_loss_trackers, per_output):
            if tracker is not None:
                tracker.update_state(value, sample_weight=batch_size)
        self.update_metrics(y_true, y_pred, sample_weight)

    def update_metrics(self, y_true, y_pred, sample_weight):
        """Update the compiled metrics (per-output lists); only the weighted ones see
        ``sample_weight``."""
        for i, (objs, t, p) in enumerate(zip(self.metrics, y_true, y_pred)):
            weight = weight_for_output(sample_weight, i)
            for metric, uses_weights in zip(objs, self.uses_weights[i]):
                metric.update_state(t, p, sample_weight=weight if uses_weights else None)

    def reset(self):
        reset_all(self.all_metrics())

    def results(self):
        """Host floats of every metric's current result, keyed by name."""
        every = self.all_metrics()
        return dict(zip([m.name for m in every], host_results(every)))


def _entry_name(entry, resolved=None):
    """Keras 2's metric name: a string as given (a class name gives the object's own
    name), a function's ``__name__``, a metric object's ``name``."""
    if isinstance(entry, str):
        if resolved is not None and not isinstance(resolved, metrics_module.MeanMetricWrapper):
            return resolved.name
        if resolved is None and entry[:1].isupper():
            return metrics_module.get(entry).name
        return entry
    if isinstance(entry, metrics_module.Metric):
        return entry.name
    return getattr(entry, "__name__", "metric")


def _as_list(entry):
    if entry is None:
        return []
    return list(entry) if isinstance(entry, (list, tuple)) else [entry]


def regularization_loss(weights):
    """Sum of the weights' regularizer terms, or None when no weight has one."""
    return layer_losses.total(w.regularizer(w.value) for w in weights
                              if w.regularizer is not None)


class CompileMetrics(metrics_module.Metric):
    """The compiled metrics as one metric, as Keras 3's ``model.metrics`` lists them
    (after the loss tracker): ``update_state(y, y_pred)`` routes each output to its
    metrics, ``result()`` is a ``{name: value}`` dict, and the stateless methods work on
    the concatenated variables of the members — so a JAX-style step that keeps the last
    ``stateless_result`` as its logs gets every metric."""

    def __init__(self, compiled):
        super().__init__(name="compile_metrics")
        self._compiled = compiled

    def members(self):
        return [m for objs in self._compiled.metrics or () for m in objs]

    @property
    def variables(self):
        return [v for m in self.members() for v in m.variables]

    def bind(self, backend_name, device=None):
        for metric in self.members():
            metric.bind(backend_name, device)
        self._backend_name, self._device = backend_name, device
        return self

    def _per_output(self, value):
        names = self._compiled.output_names
        if len(names) == 1:
            return [value]
        if isinstance(value, dict):
            return [value[n] for n in names]
        return list(value)

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._compiled.update_metrics(self._per_output(y_true), self._per_output(y_pred),
                                      sample_weight)

    def result(self):
        return {m.name: m.result() for m in self.members()}

    def reset_state(self):
        for metric in self.members():
            metric.reset_state()

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        from keras_bridge.variables import substitute
        own, values = self.variables, list(metric_variables)
        with substitute({id(v): a for v, a in zip(own, values)}) as scope:
            self.update_state(*args, **kwargs)
        return [scope.updates.get(id(v), a) for v, a in zip(own, values)]

    def stateless_result(self, metric_variables):
        from keras_bridge.variables import substitute
        with substitute({id(v): a for v, a in zip(self.variables, metric_variables)}):
            return self.result()
