"""The ``Metric`` base class, the tensor helpers metrics share, and the running
``Sum``, ``Mean`` and ``MeanMetricWrapper``.

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
"""

import functools

import numpy as np

from keras_bridge import backends
from keras_bridge import backend as K
from keras_bridge import config, context, initializers, ops
from keras_bridge.utils import naming
from keras_bridge.variables import Weight, assign_many, numpy_many


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


def _divide_no_nan(x1, x2, xp=ops):
    """``x1 / x2``, and 0 where ``x2 == 0``; ``xp=np`` on host values."""
    zero = xp.equal(x2, 0)
    return xp.where(zero, 0.0, xp.divide(x1, xp.where(zero, 1.0, x2)))


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
        weight._holder = self
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

    # ---- Keras 3's stateless API (a JAX-style train_step) ----------------------------
    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """``update_state`` on the values ``metric_variables`` (aligned with
        ``variables``) instead of the stored state; returns their new values."""
        from keras_bridge.variables import substitute
        values = list(metric_variables)
        with substitute({id(v): a for v, a in zip(self._variables, values)}) as scope:
            self.update_state(*args, **kwargs)
        return [scope.updates.get(id(v), a) for v, a in zip(self._variables, values)]

    def stateless_result(self, metric_variables):
        """``result()`` computed from the values ``metric_variables``."""
        from keras_bridge.variables import substitute
        with substitute({id(v): a for v, a in zip(self._variables, metric_variables)}):
            return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def reset_all(metrics):
    """``reset_state()`` of each metric, the default resets (initial values) written in
    one transfer per engine rather than one per variable (each ``fit`` epoch)."""
    weights, values = [], []
    for m in metrics:
        if type(m).reset_state is Metric.reset_state:
            weights.extend(m._variables)
            values.extend(m._initial_values)
        else:
            m.reset_state()
    assign_many(weights, values)


def host_results(metrics):
    """Each metric's ``result()`` as a host float. A running mean's (``Mean``'s own
    ``result``) is computed from its state read back with the others in one transfer,
    not with engine ops; any other metric's ``result()`` runs as written."""
    is_mean = [type(m).result is Mean.result for m in metrics]
    state = iter(numpy_many([w for m, mean in zip(metrics, is_mean) if mean
                             for w in (m.total, m.count)]))
    out = []
    for m, mean in zip(metrics, is_mean):
        if mean:
            total, count = next(state), next(state)
            if total.ndim == count.ndim == 0:  # the usual scalars: plain floats
                out.append(float(total) / float(count) if count != 0 else 0.0)
            else:
                out.append(float(_divide_no_nan(total, count, np)))
        else:
            out.append(float(ops.convert_to_numpy(m.result())))
    return out


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
        from keras_bridge.metrics.lookup import _resolve_function  # lookup imports this module
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
