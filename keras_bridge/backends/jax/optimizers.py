"""Keras optimizers on JAX: a pure ``update`` built from optax transformations.

Each step builds the algorithm's ``optax.chain`` with this step's values (the learning
rate and the step number are traced arrays from the state, so a jitted step never
recompiles when they change) and applies it. The chain's output is the increment added
to the weights, learning rate included:

===========  ==========================================================  ==================
Keras        optax mechanism                                             why
===========  ==========================================================  ==================
SGD          ``scale(-lr)``, then ``trace(momentum, nesterov)``          the trace of
                                                                         ``-lr*g`` is
                                                                         Keras's velocity
                                                                         ``v = m*v - lr*g``
Adam, AdamW  ``scale_by_adam(eps=epsilon / sqrt(1 - beta_2**t))``,      Keras adds eps to
             ``scale(-lr)``                                              ``sqrt(v)``, optax
                                                                         to ``sqrt(v_hat)``
Adam         ``scale_by_amsgrad(bias_correction_nu=False)``,             Keras keeps the max
(amsgrad)    ``scale(-lr * sqrt(1 - beta_2**t))``                        of the raw ``v``
RMSprop      ``scale_by_rms`` / ``scale_by_stddev`` (centered),          same math (eps in
             ``scale(-lr)``, then ``trace(momentum)``                    the root); the
                                                                         trace holds lr, as
                                                                         Keras's momentum
Adagrad      ``scale_by_rss``, ``scale(-lr)``                            same math
Adadelta     ``scale_by_adadelta``, ``scale(-lr)``                       same math
Adamax       ``scale_by_keras_adamax`` (below), ``scale(-lr)``           optax puts eps in
                                                                         the max of the norm
Nadam        ``scale_by_keras_nadam`` (below), ``scale(-lr)``            optax's Nadam has
                                                                         no 0.96**t schedule
===========  ==========================================================  ==================

Before the chain, as Keras: clipping (``clipvalue``: ``optax.clip``; ``global_clipnorm``:
``optax.clip_by_global_norm``; ``clipnorm``: ``g * c / max(|g|, c)`` per weight), and
after it decoupled weight decay ``w -= w * (weight_decay * lr)`` on the weights, outside
the chain so that SGD's momentum never sees it. The Keras 2 ``decay`` gives
``lr / (1 + decay * iterations)`` inside ``update``.

``amsgrad=True`` needs an optax whose ``scale_by_amsgrad`` has ``bias_correction_nu``
(google-deepmind/optax#1389, in 0.2.8); older optax raises a clear error.
"""

import inspect
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from keras_bridge.backends.contract import (load_state_dict_into, optimizer_state_keys,
                                            state_dict_of)


def make_optimizer(spec, weights):
    """A ``JaxOptimizer`` running ``spec`` (a ``keras_bridge.optimizers.Optimizer``) for
    ``weights`` (``Weight`` objects bound to JAX)."""
    return JaxOptimizer(spec, weights)


class OptState(NamedTuple):
    """The optimizer state, a pytree of arrays.

    Attributes:
        iterations: int32 scalar, steps taken.
        learning_rate: float32 scalar, the base learning rate (before ``decay``).
        inner: The optax chain's state.
    """

    iterations: Any
    learning_rate: Any
    inner: Any


# ---- Keras rules optax has no exact built-in for ---------------------------------------
def _zeros_like(tree):
    return jax.tree.map(jnp.zeros_like, tree)


def _moment(updates, moments, decay, order):
    """Exponential moving average of ``g ** order`` (as optax's ``update_moment``)."""
    return jax.tree.map(lambda g, t: (1 - decay) * g ** order + decay * t, updates, moments)


class ScaleByKerasAdamaxState(NamedTuple):
    momentum: Any
    norm: Any


def scale_by_keras_adamax(beta_1, beta_2, epsilon, step):
    """Keras's Adamax direction ``m / ((1 - beta_1**step) * (u + epsilon))`` with
    ``u = max(beta_2 * u, |g|)``; ``step`` counts from 1."""

    def init_fn(params):
        return ScaleByKerasAdamaxState(_zeros_like(params), _zeros_like(params))

    def update_fn(updates, state, params=None):
        momentum = _moment(updates, state.momentum, beta_1, 1)
        norm = jax.tree.map(lambda g, u: jnp.maximum(beta_2 * u, jnp.abs(g)), updates,
                            state.norm)
        correction = 1 - beta_1 ** step
        updates = jax.tree.map(lambda m, u: m / (correction * (u + epsilon)), momentum, norm)
        return updates, ScaleByKerasAdamaxState(momentum, norm)

    return optax.GradientTransformation(init_fn, update_fn)


class ScaleByKerasNadamState(NamedTuple):
    momentum: Any
    velocity: Any
    u_product: Any  # float32 scalar, product of the momentum schedule so far


def scale_by_keras_nadam(beta_1, beta_2, epsilon, step):
    """Keras's Nadam direction, with the momentum schedule
    ``u_t = beta_1 * (1 - 0.5 * 0.96**t)``; ``step`` counts from 1."""

    def init_fn(params):
        return ScaleByKerasNadamState(_zeros_like(params), _zeros_like(params),
                                      jnp.ones((), jnp.float32))

    def update_fn(updates, state, params=None):
        u_t = beta_1 * (1.0 - 0.5 * 0.96 ** step)
        u_next = beta_1 * (1.0 - 0.5 * 0.96 ** (step + 1))
        u_product = state.u_product * u_t
        u_product_next = u_product * u_next
        momentum = _moment(updates, state.momentum, beta_1, 1)
        velocity = _moment(updates, state.velocity, beta_2, 2)
        correction_2 = 1 - beta_2 ** step

        def direction(g, m, v):
            m_hat = u_next * m / (1 - u_product_next) + (1 - u_t) * g / (1 - u_product)
            return m_hat / (jnp.sqrt(v / correction_2) + epsilon)

        updates = jax.tree.map(direction, updates, momentum, velocity)
        return updates, ScaleByKerasNadamState(momentum, velocity, u_product)

    return optax.GradientTransformation(init_fn, update_fn)


def clip_by_norm_each(clipnorm):
    """Keras's ``clipnorm``: each gradient scaled to L2 norm at most ``clipnorm``."""
    return optax.stateless_with_tree_map(
        lambda g, _: g * clipnorm / jnp.maximum(jnp.sqrt(jnp.sum(jnp.square(g))), clipnorm))


def _has_keras_amsgrad():
    return "bias_correction_nu" in inspect.signature(optax.scale_by_amsgrad).parameters


# ---- one chain per Keras algorithm -----------------------------------------------------
def _chain(spec, lr, step):
    """The step's transformation: gradients in, weight increments out.

    ``lr`` is this step's learning rate and ``step`` the step number from 1 (float32).
    The state structure does not depend on their values.
    """
    a = spec.algorithm
    if a == "sgd":
        parts = [optax.scale(-lr)]
        if spec.momentum:
            parts.append(optax.trace(decay=spec.momentum, nesterov=spec.nesterov))
    elif a == "adam":
        correction_2 = 1 - spec.beta_2 ** step
        if spec.amsgrad:
            parts = [optax.scale_by_amsgrad(spec.beta_1, spec.beta_2, eps=spec.epsilon,
                                            bias_correction_nu=False),
                     optax.scale(-lr * jnp.sqrt(correction_2))]
        else:
            parts = [optax.scale_by_adam(spec.beta_1, spec.beta_2,
                                         eps=spec.epsilon / jnp.sqrt(correction_2)),
                     optax.scale(-lr)]
    elif a == "rmsprop":
        # eps sits inside the root in both (optax's default placement).
        scale_by = optax.scale_by_stddev if spec.centered else optax.scale_by_rms
        parts = [scale_by(decay=spec.rho, eps=spec.epsilon), optax.scale(-lr)]
        if spec.momentum > 0:
            parts.append(optax.trace(decay=spec.momentum))
    elif a == "adagrad":
        parts = [optax.scale_by_rss(initial_accumulator_value=spec.initial_accumulator_value,
                                    eps=spec.epsilon), optax.scale(-lr)]
    elif a == "adadelta":
        parts = [optax.scale_by_adadelta(rho=spec.rho, eps=spec.epsilon), optax.scale(-lr)]
    elif a == "adamax":
        parts = [scale_by_keras_adamax(spec.beta_1, spec.beta_2, spec.epsilon, step),
                 optax.scale(-lr)]
    elif a == "nadam":
        parts = [scale_by_keras_nadam(spec.beta_1, spec.beta_2, spec.epsilon, step),
                 optax.scale(-lr)]
    else:
        raise ValueError(f"No JAX rule for optimizer algorithm {a!r}. Known: {sorted(SLOTS)}.")
    return optax.chain(*parts)


# Keras slot name -> (index in the chain's state, field, sign): slot = sign * field.
SLOTS = {
    "sgd": lambda spec: {"momentum": (1, "trace", 1.0)} if spec.momentum else {},
    "adam": lambda spec: dict({"momentum": (0, "mu", 1.0), "velocity": (0, "nu", 1.0)},
                              **({"velocity_hat": (0, "nu_max", 1.0)} if spec.amsgrad else {})),
    "rmsprop": lambda spec: dict(
        {"velocity": (0, "nu", 1.0)},
        **({"momentum": (2, "trace", -1.0)} if spec.momentum > 0 else {}),
        **({"average_gradient": (0, "mu", 1.0)} if spec.centered else {})),
    "adagrad": lambda spec: {"accumulator": (0, "sum_of_squares", 1.0)},
    "adadelta": lambda spec: {"accumulated_grad": (0, "e_g", 1.0),
                              "accumulated_delta_var": (0, "e_x", 1.0)},
    "adamax": lambda spec: {"momentum": (0, "momentum", 1.0), "norm": (0, "norm", 1.0)},
    "nadam": lambda spec: {"momentum": (0, "momentum", 1.0), "velocity": (0, "velocity", 1.0)},
}


class _Hyper:
    """The spec's hyper-parameters as plain Python values, read once at binding."""

    _NAMES = ("algorithm", "momentum", "nesterov", "beta_1", "beta_2", "epsilon", "amsgrad",
              "rho", "centered", "initial_accumulator_value")

    def __init__(self, spec):
        for name in self._NAMES:
            setattr(self, name, getattr(spec, name, None))


class JaxOptimizer:
    """A Keras optimizer as a pure JAX update.

    Attributes:
        weights: The bound ``Weight`` objects, in order.
        state: The current ``OptState`` (None before ``init``); the training loop stores
            each step's new state here.
    """

    def __init__(self, spec, weights):
        if spec.algorithm not in SLOTS:
            raise ValueError(f"No JAX rule for optimizer algorithm {spec.algorithm!r}. "
                             f"Known: {sorted(SLOTS)}.")
        if spec.algorithm == "adam" and spec.amsgrad and not _has_keras_amsgrad():
            raise ValueError(
                "Adam(amsgrad=True) on JAX needs optax.scale_by_amsgrad(bias_correction_nu=...)"
                f" (optax 0.2.8 has it); this optax is {optax.__version__}. Upgrade optax.")
        self.weights = list(weights)
        self.state = None
        self._hyper = _Hyper(spec)
        self._learning_rate = float(spec.learning_rate)
        self._schedule = spec.learning_rate_schedule  # traced into the step
        self._decay = float(spec.decay or 0.0)
        self._weight_decay = float(spec.weight_decay or 0.0)
        self._clipnorm = spec.clipnorm or 0.0
        self._clipvalue = spec.clipvalue or 0.0
        self._global_clipnorm = spec.global_clipnorm or 0.0
        self._slots = SLOTS[spec.algorithm](spec)
        self._keys = optimizer_state_keys(spec, len(self.weights))

    # ---- pure part -----------------------------------------------------------------------
    def init(self, params=None):
        """The initial state for ``params`` (list of arrays; default: the weights' values).
        Also stored in ``self.state``."""
        self.state = self._initial_state(params)
        return self.state

    def _initial_state(self, params=None):
        params = [w.value for w in self.weights] if params is None else list(params)
        where = getattr(params[0], "sharding", None) if params else None
        def init(values):  # the chain made inside: its constants are traced, not run
            return _chain(self._hyper, 1.0, 1.0).init(values)

        if isinstance(where, jax.sharding.NamedSharding):
            # A distribution: optax's eager init makes a split weight's state split like
            # it (a jitted one would leave the placement to XLA).
            inner = init(params)
        else:
            # One jitted call rather than an eager op per weight shape: each of those
            # compiles on its own (~25 ms apiece on CPU, most of the setup of a first
            # fit whose train step comes from the persistent cache).
            inner = jax.jit(init)(params)
        scalars = (np.zeros((), np.int32), np.asarray(self._learning_rate, np.float32))
        # On the weights' device, where the learning_rate setter puts new values too.
        if isinstance(where, jax.sharding.NamedSharding):  # a distribution: replicated
            where = jax.sharding.NamedSharding(where.mesh, jax.sharding.PartitionSpec())
        iterations, learning_rate = (jax.device_put(x, where) for x in scalars)
        return OptState(iterations, learning_rate, inner)

    def update(self, grads, state, params):
        """One Keras step: ``(new_params, new_state)`` from lists of arrays. Pure and
        jittable; nothing here is read from ``self`` except the fixed hyper-parameters."""
        grads, params = list(grads), list(params)
        lr = state.learning_rate if self._schedule is None \
            else jnp.asarray(self._schedule(state.iterations), jnp.float32)
        if self._decay:
            lr = lr / (1.0 + self._decay * state.iterations.astype(jnp.float32))
        step = (state.iterations + 1).astype(jnp.float32)
        grads = self._clip(grads)
        updates, inner = _chain(self._hyper, lr, step).update(grads, state.inner, params)
        if self._weight_decay:
            params = [p - p * (self._weight_decay * lr).astype(p.dtype) for p in params]
        new_params = optax.apply_updates(params, updates)
        return new_params, OptState(state.iterations + 1, state.learning_rate, inner)

    def apply(self, grads, weights):
        """Keras 3's eager ``optimizer.apply`` on the stored weights (outside a jitted
        step): missing gradients count as zeros."""
        apply_eagerly(self, grads, weights)

    def loss_scale(self, state):
        """The factor the train step multiplies the loss by: none here."""
        return None

    def _clip(self, grads):
        if self._clipnorm > 0:
            clip = clip_by_norm_each(self._clipnorm)
        elif self._global_clipnorm > 0:
            clip = optax.clip_by_global_norm(self._global_clipnorm)
        elif self._clipvalue > 0:
            clip = optax.clip(self._clipvalue)
        else:
            return grads
        return clip.update(grads, optax.EmptyState())[0]

    # ---- host-side helpers -----------------------------------------------------------------
    @property
    def learning_rate(self):
        if self.state is None:
            return self._learning_rate
        value = np.asarray(self.state.learning_rate)
        # The float last set, unless the state now holds another value (e.g. loaded).
        return self._learning_rate if value == np.float32(self._learning_rate) else float(value)

    @learning_rate.setter
    def learning_rate(self, value):
        value = float(value)
        if not value >= 0:
            raise ValueError(f"Expected a non-negative learning rate. Received: {value!r}")
        self._learning_rate = value
        if self.state is not None:
            old = self.state.learning_rate
            new = jax.device_put(np.asarray(value, np.float32), old.sharding)
            self.state = self.state._replace(learning_rate=new)

    @property
    def iterations(self):
        return 0 if self.state is None else int(self.state.iterations)

    # ---- the state by key (contract.EngineOptimizer) --------------------------------------
    def state_keys(self):
        return self._keys

    def current_state(self):
        """The state, or the initial one (not stored) before ``init``."""
        return self.state if self.state is not None else self._initial_state()

    def state_entry(self, state, key):
        """The value of ``key`` (a ``state_keys`` name) in ``state``, in Keras's layout.
        Pure: also used on traced states by ``stateless_update``."""
        if key in ("iterations", "learning_rate"):
            return getattr(state, key)
        if key == "u_product":
            return state.inner[0].u_product
        i, name = key.split("/", 1)
        index, field, sign = self._slots[name]
        value = getattr(state.inner[index], field)[int(i)]
        return value if sign == 1.0 else value * sign

    def state_with(self, state, values):
        """``state`` with the entries of ``values`` (``{key: value}``, Keras's layout)
        replaced, each in the dtype and placement of the value it replaces. Pure.
        ``iterations`` sets optax's own step counts too. Each slot list is rebuilt once."""
        iterations, learning_rate = state.iterations, state.learning_rate
        inner = list(state.inner)
        slots = {}  # (index in the chain, field) -> {weight index: new value}
        for key, value in values.items():
            if key == "iterations":
                iterations = _put(value, iterations)
                for index, part in enumerate(inner):
                    if "count" in getattr(part, "_fields", ()):  # optax's own step counts
                        inner[index] = part._replace(count=_put(value, part.count))
            elif key == "learning_rate":
                learning_rate = _put(value, learning_rate)
            elif key == "u_product":
                inner[0] = inner[0]._replace(u_product=_put(value, inner[0].u_product))
            else:
                i, name = key.split("/", 1)
                index, field, sign = self._slots[name]
                slots.setdefault((index, field), {})[int(i)] = \
                    value if sign == 1.0 else value * sign
        for (index, field), new in slots.items():
            old = getattr(inner[index], field)
            inner[index] = inner[index]._replace(**{field: [
                _put(new[i], o) if i in new else o for i, o in enumerate(old)]})
        return OptState(iterations, learning_rate, tuple(inner))

    def read_state(self, key):
        if key == "learning_rate":  # the float last set, as the torch backend keeps it
            return np.asarray(self.learning_rate, dtype=np.float64)
        value = np.asarray(self.state_entry(self.current_state(), key))
        return value.astype(np.int64) if key == "iterations" else value

    def write_state(self, values):
        self.state = self.state_with(self.current_state(), values)
        if "learning_rate" in values:
            self._learning_rate = float(np.asarray(values["learning_rate"]))

    def state_dict(self):
        return state_dict_of(self)

    def load_state_dict(self, values):
        load_state_dict_into(self, values)

    def stateless_update(self, grads, keras_values, params, keys):
        """``stateless_apply``'s work: ``keras_values`` is the state as Keras lists it
        (``keys[i]`` names entry i; None for a constant, passed through). Pure."""
        state = self.state_with(self.current_state(),
                                {k: v for k, v in zip(keys, keras_values) if k is not None})
        new_params, new_state = self.update(grads, state, params)
        return new_params, [v if k is None else self.state_entry(new_state, k)
                            for k, v in zip(keys, keras_values)]


def _put(value, like):
    """``value`` with the dtype and shape of ``like``, placed where ``like`` is (traced
    values are only cast: their placement is the trace's; device arrays stay on device;
    a value that already fits is returned as it is)."""
    if isinstance(value, jax.Array) and value.dtype == like.dtype and \
            value.shape == like.shape and (isinstance(value, jax.core.Tracer) or
                                           isinstance(like, jax.core.Tracer) or
                                           value.sharding == like.sharding):
        return value
    if isinstance(like, jax.core.Tracer) or isinstance(value, jax.core.Tracer):
        return jnp.asarray(value).astype(like.dtype).reshape(like.shape)
    if not isinstance(value, jax.Array):
        value = np.asarray(value, dtype=like.dtype)
    value = value.astype(like.dtype).reshape(like.shape)
    if getattr(value, "sharding", None) == like.sharding:
        return value
    return jax.device_put(value, like.sharding)


def apply_eagerly(optimizer, grads, weights):
    """One ``optimizer.update`` on the stored weights of ``weights`` (a JAX engine
    optimizer: ``weights``, ``state``, ``init``, ``update``); missing gradients count as
    zeros and their weights are not written."""
    if optimizer.state is None:
        optimizer.init()
    given = {id(w): g for w, g in zip(weights, grads)}
    values = [w.value for w in optimizer.weights]
    full = [jnp.zeros_like(v) if given.get(id(w)) is None else
            jnp.asarray(given[id(w)], v.dtype).reshape(v.shape)
            for w, v in zip(optimizer.weights, values)]
    new, optimizer.state = optimizer.update(full, optimizer.state, values)
    for w, v in zip(optimizer.weights, new):
        if id(w) in given:
            w.slot.write(v)


# ---- dynamic loss scaling (keras_bridge/optimizers/loss_scale.py) -----------------------
class LossScaleState(NamedTuple):
    """A ``LossScaleOptimizer``'s state: its own two scalars, then the inner state.

    Attributes:
        step_counter: int32 scalar, finite steps since the scale last changed.
        dynamic_scale: float32 scalar, the loss scale.
        inner: The inner optimizer's ``OptState``.
    """

    step_counter: Any
    dynamic_scale: Any
    inner: Any


def make_loss_scale_optimizer(spec, inner):
    """A ``JaxLossScaleOptimizer`` running ``spec`` (a ``LossScaleOptimizer``) around
    ``inner`` (its inner optimizer's ``JaxOptimizer``)."""
    return JaxLossScaleOptimizer(spec, inner)


class JaxLossScaleOptimizer:
    """Dynamic loss scaling as a pure update around a ``JaxOptimizer``.

    ``state`` is a ``LossScaleState``; its ``inner`` part is the inner optimizer's own
    ``state``, so the inner learning rate, iterations and saved slots are read and set
    through it unchanged.
    """

    def __init__(self, spec, inner):
        self.inner = inner
        self.weights = inner.weights
        self._initial_scale = float(spec.initial_scale)
        self._growth_steps = int(spec.dynamic_growth_steps)
        self._own = None  # (step_counter, dynamic_scale) arrays, once initialised

    @property
    def state(self):
        if self._own is None or self.inner.state is None:
            return None
        return LossScaleState(*self._own, self.inner.state)

    @state.setter
    def state(self, value):
        self._own = None if value is None else (value.step_counter, value.dynamic_scale)
        self.inner.state = None if value is None else value.inner

    def init(self, params=None):
        inner = self.inner.init(params)
        where = inner.iterations.sharding  # the scalars sit where the inner ones do
        self._own = (jax.device_put(np.zeros((), np.int32), where),
                     jax.device_put(np.asarray(self._initial_scale, np.float32), where))
        return self.state

    def loss_scale(self, state):
        return state.dynamic_scale

    def update(self, grads, state, params):
        """Unscale, then the inner update if every gradient is finite (else the old
        values), and the scale's own step. Pure and jittable."""
        scale = state.dynamic_scale
        grads = [g / scale.astype(g.dtype) for g in grads]
        finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(g)) for g in grads])) \
            if grads else jnp.asarray(True)
        params, inner = jax.lax.cond(
            finite, lambda: tuple(self.inner.update(grads, state.inner, params)),
            lambda: (list(params), state.inner))
        grow = finite & (state.step_counter == self._growth_steps - 1)
        counter = jnp.where(finite & ~grow, state.step_counter + 1, 0).astype(jnp.int32)
        scale = jnp.where(grow, scale * 2.0, jnp.where(finite, scale, scale * 0.5))
        return params, LossScaleState(counter, scale, inner)

    def apply(self, grads, weights):
        apply_eagerly(self, grads, weights)

    def scale_loss(self, loss):
        if self.state is None:
            return loss * self._initial_scale
        return loss * self._own[1]

    # ---- host-side helpers -----------------------------------------------------------------
    @property
    def scale_value(self):
        return self._initial_scale if self._own is None else float(self._own[1])

    @property
    def step_counter_value(self):
        return 0 if self._own is None else int(self._own[0])

    @property
    def learning_rate(self):
        return self.inner.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner.learning_rate = value

    @property
    def iterations(self):
        return self.inner.iterations

    # ---- the state by key: its own two, then the inner optimizer's ----------------------
    def state_keys(self):
        return self.inner.state_keys() + list(LOSS_SCALE_KEYS)

    def current_state(self):
        if self.state is not None:
            return self.state
        inner = self.inner.current_state()
        where = inner.iterations.sharding
        return LossScaleState(jax.device_put(np.zeros((), np.int32), where),
                              jax.device_put(np.asarray(self._initial_scale, np.float32), where),
                              inner)

    def state_entry(self, state, key):
        if key in LOSS_SCALE_KEYS:
            return getattr(state, key)
        return self.inner.state_entry(state.inner, key)

    def state_with(self, state, values):
        own = {k: _put(values[k], getattr(state, k)) for k in LOSS_SCALE_KEYS if k in values}
        inner = self.inner.state_with(
            state.inner, {k: v for k, v in values.items() if k not in LOSS_SCALE_KEYS})
        return state._replace(inner=inner, **own)

    def read_state(self, key):
        if key in LOSS_SCALE_KEYS:
            return np.asarray(self.state_entry(self.current_state(), key))
        return self.inner.read_state(key)

    def write_state(self, values):
        if self.state is None:
            self.init()
        own = {k: v for k, v in values.items() if k in LOSS_SCALE_KEYS}
        inner = {k: v for k, v in values.items() if k not in LOSS_SCALE_KEYS}
        if inner:
            self.inner.write_state(inner)
        if own:
            self.state = self.state_with(self.state, own)

    def state_dict(self):
        return state_dict_of(self)

    def load_state_dict(self, values):
        load_state_dict_into(self, values)

    stateless_update = JaxOptimizer.stateless_update


LOSS_SCALE_KEYS = ("step_counter", "dynamic_scale")
