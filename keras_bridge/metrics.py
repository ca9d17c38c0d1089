"""Metrics, with Keras's names, defaults and formulas.

Two kinds, as in Keras:

- functions ``fn(y_true, y_pred) -> values``, one value per sample
  (``binary_accuracy``, ``sparse_categorical_accuracy``, ``mse``, ...);
- ``Metric`` objects that accumulate over batches and report ``result()``
  (``Mean``, ``Accuracy``, ``Precision``, ``AUC``, ...).

A metric's state is a list of ``Weight``s (``trainable=False``, no owning layer).
``update_state`` changes them only through ``weight.assign(f(weight.value, batch))``,
written with ``keras_bridge.ops``: on torch the assignment writes the tensor in place;
inside a JAX program run under ``keras_bridge.variables.substitute`` the values are the
traced state and the assignments are recorded in ``scope.updates``. Neither
``update_state`` nor ``result`` reads a value back to the host or branches on one, so
both can be traced by ``jax.jit``.

Running averages are weighted by batch size: ``MeanMetricWrapper`` adds
``sum(values * sample_weight)`` to ``total`` and ``sum(sample_weight)`` to ``count``
(one per sample when there are no weights). A function returning one value for the
whole batch (``K.mean(y_pred)``) counts once per sample of the batch, as the Keras 2
training loop did; Keras 3 counts such a value once per batch.

Example:
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
    m.result()   # 0.5, an engine scalar
"""

import functools
import inspect

import numpy as np

import backends
from keras_bridge import backend as K
from keras_bridge import config, context, initializers, ops
from keras_bridge.utils import naming
from keras_bridge.variables import Weight

NEG_INF = -1e10  # Keras's stand-in for "not among the top k" in Precision/Recall


# ---------------------------------------------------------------- helpers

def _convert(*xs, engine=None):
    """Engine tensors for ``xs`` (None kept), all on one engine: that of the first
    engine tensor among them, else ``engine``, else the running/default backend."""
    name = ops.engine_name_of(*xs) or engine
    backend = backends.get(name) if name else ops.backend_for()
    return [None if x is None else backend.ops.convert_to_tensor(_value(x)) for x in xs]


def _value(x):
    return x.value if getattr(type(x), "_kb_is_weight", False) else x


def _same_rank(x1, x2, expand_rank_1=True):
    """Keras's ``squeeze_or_expand_to_same_rank``: align ranks differing by a last axis of 1."""
    r1, r2 = ops.ndim(x1), ops.ndim(x2)
    if r1 == r2 + 1 and ops.shape(x1)[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    elif r2 == r1 + 1 and ops.shape(x2)[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


def _check_broadcast(fn_name, y_true, y_pred):
    try:
        np.broadcast_shapes(ops.shape(y_true), ops.shape(y_pred))
    except ValueError:
        raise ValueError(
            f"{fn_name}: y_true and y_pred have incompatible shapes; received "
            f"y_true.shape={ops.shape(y_true)} and y_pred.shape={ops.shape(y_pred)}."
        ) from None


def _as_dtype(x, dtype):
    return x if K.dtype(x) == dtype else ops.cast(x, dtype)


def _divide_no_nan(x1, x2):
    """``x1 / x2``, and 0 where ``x2 == 0``."""
    zero = ops.equal(x2, 0)
    return ops.where(zero, 0.0, ops.divide(x1, ops.where(zero, 1.0, x2)))


def _pairs(x):
    """``(x[:-1], x[1:])`` along the first axis (static indices, jit-friendly)."""
    n = ops.shape(x)[0]
    return ops.take(x, np.arange(n - 1), axis=0), ops.take(x, np.arange(1, n), axis=0)


# ---------------------------------------------------------------- metric functions

def accuracy(y_true, y_pred):
    """How often ``y_pred`` equals ``y_true``, averaged over the last axis."""
    y_true, y_pred = _convert(y_true, y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    y_true, y_pred = _same_rank(y_true, y_pred)
    _check_broadcast("accuracy", y_true, y_pred)
    return ops.mean(ops.cast(ops.equal(y_true, y_pred), config.floatx()), axis=-1)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """How often ``y_pred > threshold`` matches the 0/1 label, averaged over the last axis.

    Args:
        y_true: Labels, 0 or 1, shaped like ``y_pred`` (a last axis of 1 may be missing).
        y_pred: Probabilities (or logits with ``threshold=0``).
        threshold: A prediction above it counts as 1.

    Returns:
        Per-sample values, ``y_pred``'s shape without its last axis.
    """
    y_true, y_pred = _convert(y_true, y_pred)
    y_true, y_pred = _same_rank(y_true, y_pred)
    _check_broadcast("binary_accuracy", y_true, y_pred)
    y_pred = ops.cast(ops.greater(y_pred, threshold), y_true.dtype)
    return ops.mean(ops.cast(ops.equal(y_true, y_pred), config.floatx()), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """Whether the arg-max of ``y_pred`` is the arg-max of the one-hot ``y_true``.

    Raises:
        ValueError: if ``y_true`` is not shaped like ``y_pred`` (integer labels belong
            to ``sparse_categorical_accuracy``).
    """
    y_true, y_pred = _convert(y_true, y_pred)
    if ops.shape(y_true) != ops.shape(y_pred):
        raise ValueError(
            "categorical_accuracy expects one-hot y_true shaped like y_pred; received "
            f"y_true.shape={ops.shape(y_true)} and y_pred.shape={ops.shape(y_pred)}. "
            "For integer labels use sparse_categorical_accuracy."
        )
    matches = ops.equal(ops.argmax(y_true, axis=-1), ops.argmax(y_pred, axis=-1))
    return ops.cast(matches, config.floatx())


def _sparse_labels(fn_name, y_true, y_pred):
    """Integer labels ``(batch,)`` or ``(batch, 1)`` checked against ``y_pred``'s classes."""
    if ops.ndim(y_true) == ops.ndim(y_pred) and ops.shape(y_true)[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    if ops.shape(y_true) != ops.shape(y_pred)[:-1]:
        raise ValueError(
            f"{fn_name} expects integer labels of shape {ops.shape(y_pred)[:-1]} (or with "
            f"a last axis of 1) for y_pred of shape {ops.shape(y_pred)}; received "
            f"y_true.shape={ops.shape(y_true)}. For one-hot labels use the "
            "non-sparse metric."
        )
    return y_true


def sparse_categorical_accuracy(y_true, y_pred):
    """Whether the arg-max of ``y_pred`` equals the integer label.

    Args:
        y_true: Integer labels, shape ``(batch,)`` or ``(batch, 1)``.
        y_pred: Scores (probabilities or logits), shape ``(batch, num_classes)``.

    Returns:
        Per-sample values of shape ``(batch,)``.
    """
    y_true, y_pred = _convert(y_true, y_pred)
    y_true = _sparse_labels("sparse_categorical_accuracy", y_true, y_pred)
    predicted = ops.cast(ops.argmax(y_pred, axis=-1), y_true.dtype)
    return ops.cast(ops.equal(y_true, predicted), config.floatx())


def _in_top_k(targets, predictions, k):
    """Keras's ``in_top_k``: the target's score is beaten by fewer than ``k`` classes
    (ties at the boundary count as in); a NaN score at the target is never in."""
    hit = ops.greater(ops.one_hot(targets, ops.shape(predictions)[-1]), 0.5)
    at_label = ops.sum(ops.where(hit, predictions, 0.0), axis=-1)
    at_label = ops.where(ops.not_equal(at_label, at_label), float("-inf"), at_label)
    beaten_by = ops.sum(ops.cast(ops.greater(predictions, ops.expand_dims(at_label, -1)),
                                 "int32"), axis=-1)
    return ops.cast(ops.less(beaten_by, k), config.floatx())


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Whether the one-hot label's class is among the ``k`` highest scores of ``y_pred``."""
    y_true, y_pred = _convert(y_true, y_pred)
    if ops.shape(y_true) != ops.shape(y_pred):
        raise ValueError(
            "top_k_categorical_accuracy expects one-hot y_true shaped like y_pred; "
            f"received y_true.shape={ops.shape(y_true)} and "
            f"y_pred.shape={ops.shape(y_pred)}. For integer labels use "
            "sparse_top_k_categorical_accuracy."
        )
    return _in_top_k(ops.argmax(y_true, axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Whether the integer label is among the ``k`` highest scores of ``y_pred``."""
    y_true, y_pred = _convert(y_true, y_pred)
    y_true = _sparse_labels("sparse_top_k_categorical_accuracy", y_true, y_pred)
    return _in_top_k(ops.cast(y_true, "int32"), y_pred, k)


def _regression_inputs(fn_name, y_true, y_pred):
    y_true, y_pred = _convert(y_true, y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    y_true, y_pred = _same_rank(y_true, y_pred)
    _check_broadcast(fn_name, y_true, y_pred)
    return y_true, y_pred


def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _regression_inputs("mean_squared_error", y_true, y_pred)
    return ops.mean(ops.square(ops.subtract(y_pred, y_true)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _regression_inputs("mean_absolute_error", y_true, y_pred)
    return ops.mean(ops.abs(ops.subtract(y_pred, y_true)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``."""
    y_true, y_pred = _regression_inputs("mean_absolute_percentage_error", y_true, y_pred)
    scale = ops.maximum(ops.abs(y_true), config.epsilon())
    diff = ops.abs(ops.divide(ops.subtract(y_true, y_pred), scale))
    return ops.multiply(100.0, ops.mean(diff, axis=-1))


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = _regression_inputs("mean_squared_logarithmic_error", y_true, y_pred)
    eps = config.epsilon()
    first = ops.log(ops.add(ops.maximum(y_pred, eps), 1.0))
    second = ops.log(ops.add(ops.maximum(y_true, eps), 1.0))
    return ops.mean(ops.square(ops.subtract(first, second)), axis=-1)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error


# ---------------------------------------------------------------- base class

class Metric:
    """State accumulated over batches, reported by ``result()``.

    Subclasses create their state with ``add_variable`` in ``__init__`` and define
    ``update_state`` (changing state only with ``variable.assign(...)`` computed from
    ``variable.value`` with ``keras_bridge.ops``) and ``result``. The state lives on
    an engine once bound: ``bind(backend_name)``, or automatically on the first
    ``update_state`` (the engine of its tensors, else the default backend).

    Args:
        name: Name of the metric (default: the class name in snake case).
        dtype: dtype of the state and result (default: floatx).
    """

    def __init__(self, name=None, dtype=None):
        self._variables = []
        self._variable_names = []
        self._initial_values = []
        self._backend_name = None
        self._device = None
        self._name = name or naming.to_snake_case(type(self).__name__)
        self.dtype = str(np.dtype(dtype)) if dtype is not None else config.floatx()

    def __init_subclass__(cls, **kwargs):
        # Every update_state binds an unbound metric first, user subclasses included.
        super().__init_subclass__(**kwargs)
        update = cls.__dict__.get("update_state")
        if update is not None and not getattr(update, "_kb_binds", False):
            @functools.wraps(update)
            def update_state(self, *args, **kw):
                if self._backend_name is None:
                    self._bind_like(args + tuple(kw.values()))
                return update(self, *args, **kw)

            update_state._kb_binds = True
            cls.update_state = update_state

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, value):
        self._name = value
        for weight, var_name in zip(self._variables, self._variable_names):
            weight.name = f"{value}/{var_name}"

    @property
    def variables(self):
        """The metric's state, a list of ``Weight``s."""
        return list(self._variables)

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None):
        """Create one piece of state (a non-trainable ``Weight`` named ``metric/name``).

        Args:
            shape: Shape of the variable, e.g. ``()`` or ``(num_thresholds,)``.
            initializer: Initializer name or object; ``reset_state`` restores its value.
            dtype: dtype name (default: the metric's dtype).
            name: Short name, such as 'total'.

        Returns:
            The ``Weight``.
        """
        dtype = dtype or self.dtype
        shape = tuple(int(d) for d in shape)
        var_name = name or f"variable_{len(self._variables)}"
        initial = np.asarray(initializers.get(initializer)(shape, dtype=dtype), dtype=dtype)
        weight = Weight(f"{self.name}/{var_name}", shape, dtype, initial, trainable=False,
                        owner=None)
        self._variables.append(weight)
        self._variable_names.append(var_name)
        self._initial_values.append(initial.copy())
        if self._backend_name is not None:
            backends.get(self._backend_name).bind_weight(weight, self._device)
        return weight

    def add_weight(self, shape=(), initializer="zeros", dtype=None, name=None):
        """Keras 2's spelling of ``add_variable`` (same arguments, shape defaults to ``()``)."""
        return self.add_variable(shape, initializer=initializer, dtype=dtype, name=name)

    def bind(self, backend_name, device=None):
        """Give the state engine storage on ``device`` (default: the device scope in
        effect, else the engine's default device). Returns the metric."""
        if self._backend_name not in (None, backend_name):
            raise RuntimeError(
                f"Metric {self.name!r} is bound to the {self._backend_name} backend and "
                f"cannot also run on {backend_name}. Create a new metric (or "
                f"`Metric.from_config(metric.get_config())`) for {backend_name}.")
        backend = backends.get(backend_name)
        if self._device is None:
            self._device = backend.resolve_device(device or context.requested_device())
        for weight in self._variables:
            if weight.slot is None:
                backend.bind_weight(weight, self._device)
        self._backend_name = backend_name
        return self

    def _bind_like(self, values):
        self.bind(ops.engine_name_of(*values) or ops.backend_for().NAME)

    def _convert(self, *xs):
        return _convert(*xs, engine=self._backend_name)

    def update_state(self, *args, **kwargs):
        """Accumulate statistics from one batch."""
        raise NotImplementedError(f"{type(self).__name__} must define update_state().")

    def result(self):
        """The metric's value from the state accumulated so far (an engine tensor)."""
        raise NotImplementedError(f"{type(self).__name__} must define result().")

    def reset_state(self):
        """Return every variable to its initial value."""
        for weight, initial in zip(self._variables, self._initial_values):
            weight.assign(initial)

    def __call__(self, *args, **kwargs):
        """``update_state(*args, **kwargs)``, then ``result()``."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


# ---------------------------------------------------------------- reductions

def _reduce_to_samplewise(values, sample_weight, reduce_fn):
    """Keras's ``reduce_to_samplewise_values``: per-sample values (already multiplied by
    their weights) and the per-sample weights."""
    if sample_weight is not None:
        values, sample_weight = _same_rank(values, sample_weight)
        weight_ndim, values_ndim = ops.ndim(sample_weight), ops.ndim(values)
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        shape = ops.shape(values)
        try:
            fits = np.broadcast_shapes(ops.shape(sample_weight), shape) == shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"sample_weight of shape {ops.shape(sample_weight)} cannot be broadcast "
                f"to the metric values of shape {shape}."
            )
        sample_weight = ops.broadcast_to(sample_weight, shape)
        values = ops.multiply(values, sample_weight)
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if ops.ndim(values) > 1:
        values = reduce_fn(values, axis=tuple(range(1, ops.ndim(values))))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the values given to ``update_state(values, sample_weight)``."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = self._convert(values, sample_weight)
        values = ops.cast(values, self.dtype)
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, self.dtype)
        values, _ = _reduce_to_samplewise(values, sample_weight, ops.sum)
        self.total.assign(ops.add(self.total.value, ops.sum(values)))

    def result(self):
        return ops.cast(self.total.value, self.dtype)


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state(values, sample_weight)``.

    ``total`` accumulates ``sum(values * sample_weight)`` and ``count`` accumulates
    ``sum(sample_weight)`` (the number of samples without weights); values with more
    axes than the weights are first averaged over the extra axes.
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    def update_state(self, values, sample_weight=None):
        if isinstance(sample_weight, (int, float)) and not isinstance(sample_weight, bool):
            # A number weighs every value alike (the loss tracker's batch size): no tensor
            # for the weight, and two ops when the value is a scalar.
            (values,) = self._convert(values)
            values = _as_dtype(values, self.dtype)
            if ops.ndim(values) == 0:
                self.total.assign(ops.add(self.total.value, ops.multiply(values,
                                                                         sample_weight)))
                self.count.assign(ops.add(self.count.value, float(sample_weight)))
                return
        values, sample_weight = self._convert(values, sample_weight)
        values = _as_dtype(values, self.dtype)
        if sample_weight is not None:
            sample_weight = _as_dtype(sample_weight, self.dtype)
        values, sample_weight = _reduce_to_samplewise(values, sample_weight, ops.mean)
        if sample_weight is not None:
            num_samples = ops.sum(sample_weight)
        else:
            num_samples = float(ops.shape(values)[0]) if ops.ndim(values) else 1.0
        self.total.assign(ops.add(self.total.value, ops.sum(values)))
        self.count.assign(ops.add(self.count.value, num_samples))

    def result(self):
        return _divide_no_nan(self.total.value, self.count.value)


class MeanMetricWrapper(Mean):
    """The running mean of a function ``fn(y_true, y_pred, **fn_kwargs)`` over samples.

    Args:
        fn: Function returning per-sample values (a single value counts for every
            sample of the batch).
        name: Name of the metric (default: the function's name).
        dtype: dtype of the state and result.
        **fn_kwargs: Keyword arguments passed to ``fn``.

    Example:
        def mean_pred(y_true, y_pred):
            return K.mean(y_pred)
        m = MeanMetricWrapper(mean_pred)
    """

    def __init__(self, fn, name=None, dtype=None, **fn_kwargs):
        if not callable(fn):
            raise ValueError(f"MeanMetricWrapper needs a function (y_true, y_pred) -> "
                             f"values. Received: fn={fn!r}")
        super().__init__(name=name or _function_name(fn), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = fn_kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred, sample_weight = self._convert(y_true, y_pred, sample_weight)
        (values,) = self._convert(self._fn(y_true, y_pred, **self._fn_kwargs))
        if ops.ndim(y_pred):  # one value for the batch, or one weight: once per sample
            batch = (ops.shape(y_pred)[0],)
            if not ops.ndim(values):
                values = ops.broadcast_to(values, batch)
            if sample_weight is not None and not ops.ndim(sample_weight):
                sample_weight = ops.broadcast_to(sample_weight, batch)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "fn": _function_name(self._fn),
                **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn")
        return cls(_resolve_function(fn) if isinstance(fn, str) else fn, **config)


def _function_name(fn):
    name = getattr(fn, "__name__", None) or naming.to_snake_case(type(fn).__name__)
    return "lambda" if name == "<lambda>" else name


class _FixedFunction(MeanMetricWrapper):
    """A MeanMetricWrapper of one built-in function; its config is its own arguments."""

    _function = None

    def __init__(self, name=None, dtype=None, **fn_kwargs):
        super().__init__(type(self)._function, name=name, dtype=dtype, **fn_kwargs)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Accuracy(_FixedFunction):
    """How often predictions equal labels (``accuracy``)."""

    _function = staticmethod(accuracy)

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class BinaryAccuracy(_FixedFunction):
    """How often ``y_pred > threshold`` matches the 0/1 labels (``binary_accuracy``).

    Args:
        name: Name of the metric.
        dtype: dtype of the state and result.
        threshold: A prediction above it counts as 1; in (0, 1).
    """

    _function = staticmethod(binary_accuracy)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if threshold is not None and not 0 < threshold < 1:
            raise ValueError("Invalid value for argument `threshold`. Expected a value in "
                             f"interval (0, 1). Received: threshold={threshold}")
        super().__init__(name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(_FixedFunction):
    """How often the arg-max of predictions matches one-hot labels."""

    _function = staticmethod(categorical_accuracy)

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SparseCategoricalAccuracy(_FixedFunction):
    """How often the arg-max of predictions matches integer labels."""

    _function = staticmethod(sparse_categorical_accuracy)

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class TopKCategoricalAccuracy(_FixedFunction):
    """How often the one-hot label is among the ``k`` highest predictions."""

    _function = staticmethod(top_k_categorical_accuracy)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(_FixedFunction):
    """How often the integer label is among the ``k`` highest predictions."""

    _function = staticmethod(sparse_top_k_categorical_accuracy)

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype, k=k)
        self.k = k


class MeanSquaredError(_FixedFunction):
    """The running mean of ``mean_squared_error``."""

    _function = staticmethod(mean_squared_error)

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsoluteError(_FixedFunction):
    """The running mean of ``mean_absolute_error``."""

    _function = staticmethod(mean_absolute_error)

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsolutePercentageError(_FixedFunction):
    """The running mean of ``mean_absolute_percentage_error``."""

    _function = staticmethod(mean_absolute_percentage_error)

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_FixedFunction):
    """The running mean of ``mean_squared_logarithmic_error``."""

    _function = staticmethod(mean_squared_logarithmic_error)

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


# ---------------------------------------------------------------- confusion matrix

def _parse_thresholds(thresholds, default):
    if thresholds is None:
        return [default]
    values = list(np.ravel(np.asarray(thresholds, dtype=object)))
    bad = [t for t in values if t is None or not 0 <= t <= 1]
    if bad:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return [float(t) for t in values]


def _evenly_distributed(thresholds):
    """Keras's ``is_evenly_distributed_thresholds``: ``i / (n - 1)`` for n >= 3."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def _filter_top_k(x, k):
    """Keep the ``k`` largest values along the last axis (lower index first on ties, as
    ``top_k``), set the others to ``NEG_INF``."""
    num = ops.shape(x)[-1]
    x_j, x_m = ops.expand_dims(x, -1), ops.expand_dims(x, -2)  # [..., j, m]
    earlier = np.tril(np.ones((num, num), dtype=bool), -1)  # m < j
    ahead = ops.where(earlier, ops.greater_equal(x_m, x_j), ops.greater(x_m, x_j))
    kept = ops.less(ops.sum(ops.cast(ahead, "int32"), axis=-1), k)
    # Keras writes x * kept + NEG_INF * (1 - kept): the same values for finite x.
    return ops.where(kept, x, NEG_INF)


def _update_confusion(variables, y_true, y_pred, thresholds, evenly, dtype, top_k=None,
                      class_id=None, sample_weight=None):
    """Keras's ``update_confusion_matrix_variables`` for the keys 'tp', 'fp', 'tn', 'fn'.

    At each threshold ``t`` a prediction is positive when ``y_pred > t``. For evenly
    spaced thresholds Keras buckets ``y_pred`` clipped to [0, 1] by
    ``ceil(y_pred * (n - 1)) - 1``; ``y_pred * (n - 1) > i`` is the same test in the
    same float arithmetic, so the counts agree with Keras exactly.
    """
    y_true, y_pred = ops.cast(y_true, dtype), ops.cast(y_pred, dtype)
    y_pred, y_true = _same_rank(y_pred, y_true)
    if ops.shape(y_true) != ops.shape(y_pred):
        raise ValueError(
            f"y_true and y_pred must have the same shape; received "
            f"y_true.shape={ops.shape(y_true)} and y_pred.shape={ops.shape(y_pred)}.")
    if sample_weight is not None:
        sample_weight = ops.expand_dims(ops.cast(sample_weight, dtype), -1)
        _, sample_weight = _same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if ops.ndim(y_pred) == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with "
                             "shape (num_samples, num_classes), found shape: "
                             f"{ops.shape(y_pred)}")
        y_true = ops.take(y_true, [class_id], axis=-1)
        y_pred = ops.take(y_pred, [class_id], axis=-1)

    shape = ops.shape(y_pred)
    label = ops.cast(ops.not_equal(ops.reshape(y_true, (-1,)), 0), dtype)
    y_pred = ops.reshape(y_pred, (1, -1))
    n = len(thresholds)
    if evenly:
        cut = np.arange(n, dtype=dtype)[:, None]
        if thresholds[0] < 0.0 or thresholds[-1] > 1.0:  # epsilon-padded ends
            cut[0] = -1.0
        y_pred = ops.multiply(ops.clip(y_pred, 0.0, 1.0), float(n - 1))
    else:
        cut = np.asarray(thresholds, dtype=dtype)[:, None]
    positive = ops.cast(ops.greater(y_pred, cut), dtype)  # (num_thresholds, num_predictions)

    true_w, false_w = label, ops.subtract(1.0, label)
    if sample_weight is not None:
        weight = ops.reshape(ops.broadcast_to(sample_weight, shape), (-1,))
        true_w, false_w = ops.multiply(true_w, weight), ops.multiply(false_w, weight)
    tp = ops.sum(ops.multiply(positive, true_w), axis=1)
    fp = ops.sum(ops.multiply(positive, false_w), axis=1)
    counts = {"tp": tp, "fp": fp}
    if "fn" in variables:
        counts["fn"] = ops.subtract(ops.sum(true_w), tp)
    if "tn" in variables:
        counts["tn"] = ops.subtract(ops.sum(false_w), fp)
    for key, weight in variables.items():
        weight.assign(ops.add(weight.value, counts[key]))


class _ConfusionMetric(Metric):
    """Precision and Recall: counts at each threshold, a ratio as result."""

    _counts = ()

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = _evenly_distributed(self.thresholds)
        for key, var_name in self._counts:
            setattr(self, var_name, self.add_variable((len(self.thresholds),), name=var_name))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred, sample_weight = self._convert(y_true, y_pred, sample_weight)
        _update_confusion({key: getattr(self, var) for key, var in self._counts},
                          y_true, y_pred, self.thresholds, self._evenly, self.dtype,
                          top_k=self.top_k, class_id=self.class_id,
                          sample_weight=sample_weight)

    def _ratio(self, other):
        tp = self.true_positives.value
        result = _divide_no_nan(tp, ops.add(tp, other.value))
        return ops.reshape(result, ()) if len(self.thresholds) == 1 else result

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_ConfusionMetric):
    """``true_positives / (true_positives + false_positives)``.

    Args:
        thresholds: A prediction above a threshold is positive; one value or a list
            (one result per threshold). Default 0.5, or none when ``top_k`` is set.
        top_k: Count only the ``k`` highest predictions of each sample as positive.
        class_id: Compute the metric for this class (last axis) only.
        name: Name of the metric.
        dtype: dtype of the state and result.
    """

    _counts = (("tp", "true_positives"), ("fp", "false_positives"))

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision",
                 dtype=None):
        super().__init__(thresholds, top_k, class_id, name=name, dtype=dtype)

    def result(self):
        return self._ratio(self.false_positives)


class Recall(_ConfusionMetric):
    """``true_positives / (true_positives + false_negatives)``; arguments as ``Precision``."""

    _counts = (("tp", "true_positives"), ("fn", "false_negatives"))

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall",
                 dtype=None):
        super().__init__(thresholds, top_k, class_id, name=name, dtype=dtype)

    def result(self):
        return self._ratio(self.false_negatives)


class AUC(Metric):
    """Area under the ROC or precision-recall curve, as Keras approximates it.

    Predictions are counted at ``num_thresholds`` thresholds: ``num_thresholds - 2``
    evenly spaced inside (0, 1) and the ends ``-epsilon`` and ``1 + epsilon``. The
    area is a Riemann sum over consecutive thresholds; with 'interpolation', ROC uses
    the trapezoidal rule and PR interpolates true and false positives linearly
    (Davis & Goadrich 2006), as Keras does.

    Args:
        num_thresholds: Number of thresholds, > 1.
        curve: 'ROC' or 'PR'.
        summation_method: 'interpolation', 'minoring' (lower sum) or 'majoring'
            (upper sum).
        name: Name of the metric.
        dtype: dtype of the state and result.
        thresholds: Optional thresholds in [0, 1] used instead of the evenly spaced
            ones (the epsilon ends are added).
        from_logits: Whether predictions are logits (a sigmoid is applied first).
    """

    _CURVES = {"roc": "ROC", "pr": "PR"}
    _SUMMATIONS = ("interpolation", "majoring", "minoring")

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name="auc", dtype=None, thresholds=None, from_logits=False):
        self.curve = self._CURVES.get(str(curve).lower())
        if self.curve is None:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are '
                             '["PR", "ROC"]')
        self.summation_method = str(summation_method).lower()
        if self.summation_method not in self._SUMMATIONS:
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". '
                             f"Expected values are {list(self._SUMMATIONS)}")
        eps = config.epsilon()
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_parse_thresholds(thresholds, None))
            self.num_thresholds = len(inner) + 2
            self._evenly = _evenly_distributed(np.array([0.0] + inner + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = [0.0 - eps] + inner + [1.0 + eps]
        self._from_logits = from_logits
        super().__init__(name=name, dtype=dtype)
        shape = (self.num_thresholds,)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.true_negatives = self.add_variable(shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")

    @property
    def thresholds(self):
        """The thresholds, epsilon-padded ends included."""
        return list(self._thresholds)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred, sample_weight = self._convert(y_true, y_pred, sample_weight)
        if self._from_logits:
            y_pred = ops.sigmoid(y_pred)
        _update_confusion({"tp": self.true_positives, "fp": self.false_positives,
                           "tn": self.true_negatives, "fn": self.false_negatives},
                          y_true, y_pred, self._thresholds, self._evenly, self.dtype,
                          sample_weight=sample_weight)

    def _interpolate_pr_auc(self, tp, fp, fn):
        """Keras's closed form of Davis & Goadrich's interpolation: within each interval
        TP and P = TP + FP vary linearly, so precision is (TP_A + slope (P - P_A)) / P."""
        tp_a, tp_b = _pairs(tp)
        p = ops.add(tp, fp)
        p_a, p_b = _pairs(p)
        dtp = ops.subtract(tp_a, tp_b)
        slope = _divide_no_nan(dtp, ops.maximum(ops.subtract(p_a, p_b), 0.0))
        intercept = ops.subtract(tp_b, ops.multiply(slope, p_b))
        both_positive = ops.logical_and(ops.greater(p_a, 0.0), ops.greater(p_b, 0.0))
        safe_ratio = ops.where(both_positive, _divide_no_nan(p_a, ops.maximum(p_b, 0.0)),
                               1.0)
        _, fn_b = _pairs(fn)
        increments = _divide_no_nan(
            ops.multiply(slope, ops.add(dtp, ops.multiply(intercept, ops.log(safe_ratio)))),
            ops.maximum(ops.add(tp_b, fn_b), 0.0))
        return ops.sum(increments)

    def result(self):
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(tp, fp, fn)
        recall = _divide_no_nan(tp, ops.add(tp, fn))
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, ops.add(fp, tn)), recall
        else:
            x, y = recall, _divide_no_nan(tp, ops.add(tp, fp))
        y_a, y_b = _pairs(y)
        if self.summation_method == "interpolation":
            heights = ops.divide(ops.add(y_a, y_b), 2.0)
        elif self.summation_method == "minoring":
            heights = ops.minimum(y_a, y_b)
        else:
            heights = ops.maximum(y_a, y_b)
        x_a, x_b = _pairs(x)
        return ops.sum(ops.multiply(ops.subtract(x_a, x_b), heights))

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self._thresholds[1:-1]
        return config


# ---------------------------------------------------------------- lookup

_FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mean_squared_error,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error)}
_ALIASES = {"mse": mean_squared_error, "MSE": mean_squared_error,
            "mae": mean_absolute_error, "MAE": mean_absolute_error,
            "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
            "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error}
_CLASSES = {cls.__name__: cls for cls in (
    Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
    SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, Precision, Recall, AUC)}
_CLASS_OF_FUNCTION = {cls._function: cls for cls in _CLASSES.values()
                      if issubclass(cls, _FixedFunction)}
_NOT_LOSS_FUNCTIONS = {"get", "serialize", "deserialize"}


def _loss_functions():
    """Loss functions of ``keras_bridge.losses`` usable as metrics (imported lazily)."""
    try:
        from keras_bridge import losses
    except ImportError:
        return {}
    names = getattr(losses, "__all__", dir(losses))
    found = {}
    for name in names:
        obj = getattr(losses, name, None)
        if (callable(obj) and not inspect.isclass(obj) and not name.startswith("_")
                and name not in _NOT_LOSS_FUNCTIONS):
            found[name] = obj
    return found


def _resolve_function(name):
    fn = _FUNCTIONS.get(name) or _ALIASES.get(name) or _loss_functions().get(name)
    if fn is None:
        raise _unknown(name)
    return fn


def _accepted_names():
    return sorted(set(_CLASSES) | set(_FUNCTIONS) | set(_ALIASES) | set(_loss_functions()))


def _unknown(identifier):
    return ValueError(
        f"Could not interpret metric identifier: {identifier!r}. Expected one of "
        f"{_accepted_names()}, a Metric instance, a config dict, or a function "
        "(y_true, y_pred) -> per-sample values."
    )


def serialize(metric):
    """A metric as saved in a config: ``{'class_name', 'config'}``, or a function's name."""
    if isinstance(metric, Metric):
        return {"class_name": type(metric).__name__, "config": metric.get_config()}
    if callable(metric):
        name = _function_name(metric)
        if name == "lambda":
            raise ValueError(f"Cannot serialize metric {metric!r}: it has no name. Use a "
                             "function defined with `def`.")
        return name
    raise ValueError(f"Cannot serialize metric {metric!r}: expected a Metric or a function.")


def deserialize(config, custom_objects=None):
    """The metric saved as ``config`` by ``serialize`` (a name or a class/config dict)."""
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        if config in custom_objects:
            return get(custom_objects[config])
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise _unknown(config)
    cls = custom_objects.get(config["class_name"]) or _CLASSES.get(config["class_name"])
    if not (inspect.isclass(cls) and issubclass(cls, Metric)):
        raise _unknown(config["class_name"])
    inner = dict(config.get("config") or {})
    if isinstance(inner.get("fn"), str) and inner["fn"] in custom_objects:
        inner["fn"] = custom_objects[inner["fn"]]  # a user's function in a MeanMetricWrapper
    return cls.from_config(inner)


def get(identifier):
    """Resolve a metric to a ``Metric`` instance.

    Args:
        identifier: A name ('binary_accuracy', 'mse', 'AUC', a loss function of
            ``keras_bridge.losses`` ...), a ``Metric`` instance or class, a dict from
            ``serialize``, or a function ``(y_true, y_pred) -> values`` (wrapped in
            ``MeanMetricWrapper`` named after it). None gives None.

    Returns:
        A ``Metric``; a function name gives a metric named as the string given.

    Raises:
        ValueError: for an unknown name or value, listing the accepted names.
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _CLASSES.get(identifier)
        if cls is not None and cls is not MeanMetricWrapper:
            return cls()
        fn = _resolve_function(identifier)
        cls = _CLASS_OF_FUNCTION.get(fn)
        return cls(name=identifier) if cls is not None else \
            MeanMetricWrapper(fn, name=identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier) and not inspect.isclass(identifier):
        return MeanMetricWrapper(identifier)
    raise _unknown(identifier)


__all__ = sorted(_FUNCTIONS) + sorted(_ALIASES) + sorted(_CLASSES) + [
    "Metric", "get", "serialize", "deserialize"]
