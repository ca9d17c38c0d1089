"""Optimizers: Keras 3's names, arguments, defaults and update rules, run by the engine.

An optimizer here is a *spec*: checked hyper-parameters and a config. ``bind`` hands
it to a backend (``keras_bridge/backends/<engine>/optimizers.py``), which builds the engine's own
optimizer (``torch.optim`` on torch, optax on JAX) computing Keras's update math;
from then on ``learning_rate`` and ``iterations`` are read and written through it.

Every optimizer applies, in Keras's order: gradient clipping (``clipvalue``
elementwise, ``clipnorm`` per weight, or ``global_clipnorm`` over all weights; at most
one), decoupled weight decay ``w -= w * weight_decay * lr`` (when ``weight_decay``
is set), then its update rule. Keras 2 spellings are accepted with a
``DeprecationWarning``: ``lr=`` for ``learning_rate=``, and ``decay=`` (time-based
decay, ``lr_t = learning_rate / (1 + decay * iterations)``, ``iterations`` counted
before the step).

Example:

    >>> opt = keras_bridge.optimizers.get("adam")
    >>> opt.learning_rate
    0.001
    >>> opt.learning_rate = 1e-4  # takes effect on the next step, also after binding
"""

import importlib
import math
import numbers
import sys
import warnings

import numpy as np

from keras_bridge.optimizers import keras_layout, schedules, variable_view
from keras_bridge.optimizers.saved_state import SavedState

# Keras 3 arguments this project accepts only at their default value, so that Keras
# configs load; any other value is an error that says so.
_KERAS_ONLY_DEFAULTS = {"use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                        "loss_scale_factor": None, "gradient_accumulation_steps": None}


class _Default(float):
    """A signature default that can be told apart from the same value passed by the
    caller (to detect ``lr=`` given together with ``learning_rate=``)."""

    __repr__ = float.__repr__


def _number(value, name, low=0.0, high=None, high_open=False, allow_none=False):
    """``value`` as a float in [low, high] (or [low, high) when high_open)."""
    if value is None and allow_none:
        return None
    ok = (isinstance(value, numbers.Real) and not isinstance(value, bool)
          and math.isfinite(value) and value >= low
          and (high is None or (value < high if high_open else value <= high)))
    if not ok:
        if high is None:
            expected = "a non-negative number" if low == 0 else f"a number >= {low}"
        else:
            expected = f"a number in [{low:g}, {high:g}{')' if high_open else ']'}"
        if allow_none:
            expected += " or None"
        raise ValueError(f"Expected {name} to be {expected}. Received: {name}={value!r}")
    return float(value)


def _caller_level():
    """``stacklevel`` that points a warning at the first frame outside this module."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame, level = frame.f_back, level + 1
    return level


def _learning_rate(value, name="learning_rate"):
    if isinstance(value, schedules.LearningRateSchedule):
        return value
    if isinstance(value, dict) and "class_name" in value:  # a saved schedule
        return schedules.deserialize(value)
    if callable(value):
        raise TypeError(
            f"{name} must be a float or a keras_bridge.optimizers.schedules."
            f"LearningRateSchedule. Received: {name}={value!r}. Subclass LearningRateSchedule "
            "(with get_config) for a custom schedule, or set optimizer.learning_rate between "
            "epochs.")
    return _number(value, name)


def _epsilon(value):
    """Keras 2 passed ``epsilon=None`` to mean the backend fuzz factor."""
    if value is None:
        from keras_bridge import config
        return float(config.epsilon())
    return _number(value, "epsilon")


# Keras 3 optimizer config keys at the value that turns their feature off.
_KERAS3_NO_OP_KEYS = {"use_ema": False, "ema_momentum": None, "ema_overwrite_frequency": None,
                      "loss_scale_factor": None, "gradient_accumulation_steps": None}


def _value(x):
    """A weight's or optimizer variable's value; anything else as given."""
    return x.value if getattr(type(x), "_kb_is_weight", False) else x


def engine_optimizers(backend_name):
    """The ``optimizers`` module of an engine (``keras_bridge/backends/<engine>``)."""
    from keras_bridge import backends
    return importlib.import_module(backends.get(backend_name).__name__ + ".optimizers")


class Optimizer:
    """Base class of the optimizers: checked hyper-parameters, config, and the binding.

    Args:
        learning_rate: Non-negative float. Readable and settable at any time through
            the ``learning_rate`` property.
        weight_decay: None, or a non-negative float: each step first does
            ``w -= w * weight_decay * learning_rate`` on every weight with a gradient.
        clipnorm: Clip each weight's gradient to this L2 norm.
        clipvalue: Clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Clip all gradients together to this global L2 norm.
            At most one of ``clipnorm``, ``clipvalue`` and ``global_clipnorm``.
        name: Name of the optimizer (Keras's default for each class).
        **kwargs: Keras 2's ``lr`` and ``decay`` (deprecated); Keras 3's ``use_ema``,
            ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor`` and
            ``gradient_accumulation_steps`` at their defaults only.

    Attributes:
        algorithm: Name of the update rule ('sgd', 'adam', ...), read by backends.
        decay: Keras 2 time-based decay (0.0 unless ``decay=`` was given).
    """

    algorithm = None
    _default_name = "optimizer"
    _hyperparameters = ()  # names of the subclass's own config entries

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        cls = type(self).__name__
        if "lr" in kwargs:
            lr = kwargs.pop("lr")
            if not isinstance(learning_rate, _Default):
                raise TypeError(f"{cls}() got both learning_rate={learning_rate!r} and its "
                                f"deprecated alias lr={lr!r}; pass only learning_rate.")
            warnings.warn(f"{cls}(lr=...) is deprecated; use {cls}(learning_rate=...).",
                          DeprecationWarning, stacklevel=_caller_level())
            learning_rate = lr
        self.decay = 0.0
        if "decay" in kwargs:
            warnings.warn(
                f"{cls}(decay=...) is deprecated. It is still applied here (Keras 2 "
                "time-based decay, lr / (1 + decay * iterations)); Keras 3 spells it "
                "learning_rate=keras.optimizers.schedules.InverseTimeDecay(lr, "
                "decay_steps=1, decay_rate=decay), or set optimizer.learning_rate between "
                "epochs.",
                DeprecationWarning, stacklevel=_caller_level())
            self.decay = _number(kwargs.pop("decay"), "decay")
        for key, default in _KERAS_ONLY_DEFAULTS.items():
            if key in kwargs:
                value = kwargs.pop(key)
                if value != default:
                    raise ValueError(f"{cls}({key}={value!r}) is not supported by "
                                     f"keras_bridge; only {key}={default!r} is.")
        if kwargs:
            accepted = sorted(self._hyperparameters + (
                "learning_rate", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm",
                "name"))
            raise TypeError(f"{cls}() got unexpected keyword argument(s) {sorted(kwargs)}. "
                            f"Accepted: {accepted}.")
        self._learning_rate = _learning_rate(learning_rate)
        if self.decay and isinstance(self._learning_rate, schedules.LearningRateSchedule):
            raise ValueError(f"{cls}: decay= and a learning-rate schedule cannot be combined; "
                             "the schedule alone sets the rate.")
        self.weight_decay = _number(weight_decay, "weight_decay", allow_none=True)
        self.clipnorm = _number(clipnorm, "clipnorm", allow_none=True)
        self.clipvalue = _number(clipvalue, "clipvalue", allow_none=True)
        self.global_clipnorm = _number(global_clipnorm, "global_clipnorm", allow_none=True)
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        given = ", ".join(f"{k}={v!r}" for k, v in clips.items() if v is not None)
        if given.count("=") > 1:
            raise ValueError("Only one of clipnorm, clipvalue and global_clipnorm can be set. "
                             f"Received: {given}")
        self.name = self._default_name if name is None else str(name)
        self._binding = None  # the engine optimizer, once bound
        self._backend_name = None
        self._weights = None
        self._saved_state = None  # a SavedState to load when bound

    # ---- learning rate and step count -------------------------------------------------
    @property
    def learning_rate_schedule(self):
        """The ``LearningRateSchedule`` given as ``learning_rate``, or None."""
        rate = self._learning_rate
        return rate if isinstance(rate, schedules.LearningRateSchedule) else None

    @property
    def learning_rate(self):
        """The learning rate (float); before ``decay`` is applied, as Keras 2. With a
        schedule, its value at the current step."""
        schedule = self.learning_rate_schedule
        if schedule is not None:
            return float(schedule(self.iterations))
        if self._binding is not None:
            return self._binding.learning_rate
        saved = self._saved_state  # a loaded state's, which training will start from
        if saved is not None and "learning_rate" in saved.arrays:
            return float(saved.arrays["learning_rate"])
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if self.learning_rate_schedule is not None:
            raise TypeError(f"Optimizer {self.name!r} follows a learning-rate schedule "
                            f"({type(self._learning_rate).__name__}); its rate cannot be set. "
                            "Make the optimizer with a float learning_rate to set it.")
        value = _learning_rate(value)
        if isinstance(value, schedules.LearningRateSchedule):
            raise TypeError("A schedule can only be given when the optimizer is made: "
                            "Optimizer(learning_rate=schedule).")
        if self._binding is not None:
            self._binding.learning_rate = value
        else:
            self._learning_rate = value
            saved = self._saved_state
            if saved is not None and "learning_rate" in saved.arrays:
                saved.write("learning_rate", value)

    @property
    def lr(self):
        warnings.warn("optimizer.lr is deprecated; use optimizer.learning_rate.",
                      DeprecationWarning, stacklevel=2)
        return self.learning_rate

    @lr.setter
    def lr(self, value):
        warnings.warn("optimizer.lr is deprecated; use optimizer.learning_rate.",
                      DeprecationWarning, stacklevel=2)
        self.learning_rate = value

    @property
    def iterations(self):
        """Number of steps taken (before binding: a loaded state's, else 0)."""
        if self._binding is not None:
            return self._binding.iterations
        saved = self._saved_state
        return int(saved.arrays.get("iterations", 0)) if saved is not None else 0

    # ---- binding ------------------------------------------------------------------------
    def bind(self, backend_name, weights):
        """Build the engine optimizer for ``weights`` (trainable, bound to that engine).

        Args:
            backend_name: Registry name of the engine ('torch', 'jax').
            weights: List of ``Weight`` objects, in the order the engine optimizer
                will see their gradients and values.

        Returns:
            The engine optimizer (``keras_bridge.backends.<engine>.optimizers.make_optimizer``'s
            result). Binding again to the same engine and the same weights returns it
            unchanged; any other rebinding is an error.
        """
        weights = list(weights)
        if self._binding is not None:
            if backend_name != self._backend_name:
                raise ValueError(
                    f"Optimizer {self.name!r} is bound to the {self._backend_name!r} backend "
                    f"and cannot be bound to {backend_name!r}. Make a new one with "
                    f"{type(self).__name__}.from_config(optimizer.get_config())."
                )
            if len(weights) != len(self._weights) or any(
                    a is not b for a, b in zip(weights, self._weights)):
                raise ValueError(
                    f"Optimizer {self.name!r} is already bound to {len(self._weights)} "
                    "other weights; an optimizer can only update the weights it was first "
                    "bound to. Make a new optimizer for these weights."
                )
            return self._binding
        if self.algorithm is None:
            raise TypeError(f"{type(self).__name__} has no update rule; use a subclass such "
                            "as SGD or Adam.")
        for w in weights:
            if w.backend_name != backend_name:
                raise ValueError(f"Weight {w.path!r} is bound to {w.backend_name!r}, not to "
                                 f"{backend_name!r}; bind its layer before the optimizer.")
        self._binding = self._engine_optimizer(backend_name, weights)
        self._backend_name = backend_name
        self._weights = weights
        saved, self._saved_state = self._saved_state, None
        if saved is not None:
            self._binding.load_state_dict(saved.values_for(weights))
        return self._binding

    def _engine_optimizer(self, backend_name, weights):
        """The engine's optimizer running this spec (``bind``'s work once checked)."""
        return engine_optimizers(backend_name).make_optimizer(self, weights)

    def build(self, variables):
        """Keras 3's ``optimizer.build(model.trainable_variables)``: create the state for
        ``variables`` (bound to their engine), so ``variables`` / ``stateless_apply`` can
        be used by a hand-written training loop."""
        variables = list(variables)
        engines = {v.backend_name for v in variables}
        if engines == {None} and all(getattr(v, "owner", None) is not None
                                     for v in variables):
            # A built model's variables before any call (Keras 3 builds a Functional
            # model at construction): bind their layers to the default engine now.
            from keras_bridge import config
            default = config.backend()
            for layer in {id(v.owner): v.owner for v in variables}.values():
                layer.bind(default)
            engines = {v.backend_name for v in variables}
        if not variables or None in engines or len(engines) > 1:
            raise ValueError(f"Expected optimizer.build() to receive the variables of a "
                             f"model bound to one engine (call the model on data first). "
                             f"Received: {len(variables)} variables on {sorted(map(str, engines))}")
        binding = self.bind(engines.pop(), variables)
        if getattr(binding, "state", False) is None:  # a pure engine's state: made now
            binding.init()

    # ---- Keras 3's eager update (custom train steps) ------------------------------------
    def apply(self, grads, trainable_variables=None):
        """One step from ``grads`` (engine tensors in Keras layout, None to skip a
        weight) for ``trainable_variables`` (default: the weights the optimizer is bound
        to). Binds the optimizer to those weights on first use, as Keras 3 builds it.

        Example, inside a torch-style ``train_step``:
            gradients = [v.value.grad for v in self.trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, self.trainable_weights)
        """
        grads = list(grads)
        if trainable_variables is None:
            if self._binding is None:
                raise ValueError(f"Optimizer {self.name!r} is not bound to any weights yet; "
                                 "pass trainable_variables to apply().")
            variables = list(self._weights)
        else:
            variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(f"Expected one gradient per variable. Received: {len(grads)} "
                             f"gradients for {len(variables)} variables.")
        if self._binding is None:
            if not variables:
                return
            self.bind(variables[0].backend_name, variables)
        known = {id(w) for w in self._weights}
        for w in variables:
            if id(w) not in known:
                raise ValueError(f"Weight {w.path!r} is not one of the {len(self._weights)} "
                                 f"weights optimizer {self.name!r} is bound to.")
        self._binding.apply(grads, variables)

    def scale_loss(self, loss):
        """Keras 3's hook a train step applies to the loss before differentiating it:
        unchanged here (``loss_scale_factor`` is always None); ``LossScaleOptimizer``
        multiplies by its current scale."""
        return loss

    @property
    def variables(self):
        """Keras 3's list of the optimizer's variables (``iteration``, ``learning_rate``,
        then the slots of each trained weight in Keras's order), each a view of the
        engine optimizer's state: reading gives the current value, ``assign`` sets it.
        Before ``build`` / training, only ``iteration`` and ``learning_rate``, unless a
        loaded state waits (``load_model``): then its variables, as Keras 3 lists them."""
        if self._binding is not None:
            return variable_view.views(self, self._bound_entries(), self._weights)
        saved = self._saved_state
        if saved is not None and all(w is not None for w in saved.weights):
            return variable_view.views(self, keras_layout.named_entries(self, saved.weights),
                                       saved.weights)
        return [v for v in variable_view.views(self, keras_layout.named_entries(self, []), [])
                if v._key in (None, "iterations", "learning_rate")]

    def _bound_entries(self):
        """``keras_layout.named_entries`` over the bound weights: fixed once bound (the
        weights, the names and the schedule do not change), so made once; a JAX-style
        train step reads it every step."""
        entries = self.__dict__.get("_entries")
        if entries is None:
            entries = self._entries = keras_layout.named_entries(self, self._weights)
        return entries

    def _read_state(self, key):
        """One state entry as numpy (``variables``' reads)."""
        if self._binding is not None:
            return self._binding.read_state(key)
        saved = self._saved_state
        if saved is not None and key in saved.arrays:
            return np.array(saved.arrays[key])  # a copy: reads never change the state
        if key == "iterations":
            return np.asarray(0)
        if key == "learning_rate":
            return np.asarray(self.learning_rate)
        raise ValueError(f"Optimizer {self.name!r} has no state {key!r} before it is built.")

    def _write_state(self, key, value):
        saved = self._saved_state
        if self._binding is not None:
            self._binding.write_state({key: value})
        elif key == "learning_rate":
            self.learning_rate = float(value)
        elif saved is not None and key in saved.arrays:  # loaded when training binds it
            saved.write(key, value)
        else:
            raise ValueError(f"Optimizer {self.name!r} is not built yet, so its {key!r} "
                             "cannot be set: call optimizer.build(model.trainable_variables) "
                             "first.")

    def _state_keys(self):
        """The engine state key of each of ``variables`` (None: a constant)."""
        return [key for key, _, _ in self._bound_entries()]

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """Keras 3's pure update: ``(new trainable values, new optimizer variables)``
        from values, without touching the stored weights or state (JAX; traced inside
        a jitted step). ``optimizer_variables`` are the values of ``variables``, in its
        order (the views themselves, their values, or what the last call returned)."""
        if self._binding is None or not hasattr(self._binding, "stateless_update"):
            raise NotImplementedError(
                f"Optimizer.stateless_apply needs a bound optimizer on the JAX backend. "
                f"Received: an optimizer bound to {self._backend_name!r}.")
        keys = self._state_keys()
        values = list(optimizer_variables)
        if len(values) != len(keys):
            raise ValueError(
                f"Expected optimizer_variables to hold the {len(keys)} values of "
                f"optimizer.variables, in its order. Received: {len(values)} values.")
        return self._binding.stateless_update(list(map(_value, grads)),
                                              list(map(_value, values)),
                                              list(map(_value, trainable_variables)), keys)

    def _stateless_values(self):
        """The engine state as ``stateless_apply`` takes it (a JAX-style train step's
        ``optimizer_variables``), engine arrays in ``variables``' order."""
        binding = self._binding
        state = binding.current_state()
        return [np.asarray(constant) if key is None else binding.state_entry(state, key)
                for key, _, constant in self._bound_entries()]

    def _set_stateless_values(self, values):
        """Store what a JAX-style train step returned as its ``optimizer_variables``."""
        binding = self._binding
        binding.state = binding.state_with(
            binding.current_state(),
            {k: v for k, v in zip(self._state_keys(), values) if k is not None})

    def apply_gradients(self, grads_and_vars):
        """``apply`` for pairs ``(gradient, variable)`` (Keras 2 / tf.keras spelling)."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    # ---- saved state --------------------------------------------------------------------
    def restore_state(self, weights, arrays, where):
        """Resume from a saved state when the engine optimizer is made (``bind``).

        Args:
            weights: The weight that each index ``i`` of the state's ``'<i>/<slot>'``
                arrays belongs to (None for one the model lacks).
            arrays: The engine optimizer's ``state_dict()`` values as numpy arrays.
            where: Where the state came from (a file member, a model), for errors.
        """
        if self._binding is not None:
            raise ValueError(f"Optimizer {self.name!r} is already bound; a saved state can "
                             "only be restored into an optimizer before training starts.")
        self._saved_state = SavedState(weights, arrays, where)

    def state_for_saving(self):
        """``(weights, arrays)``: the state to save (the engine optimizer's, or a restored
        one not yet loaded), or None before any training."""
        if self._saved_state is not None:
            return self._saved_state.weights, self._saved_state.arrays
        if self._binding is None:
            return None
        return list(self._binding.weights), dict(self._binding.state_dict())

    # ---- config -------------------------------------------------------------------------
    def _set_moment_rates(self, beta_1, beta_2, epsilon):
        """The checked decay rates and epsilon of the Adam family."""
        self.beta_1 = _number(beta_1, "beta_1", high=1.0, high_open=True)
        self.beta_2 = _number(beta_2, "beta_2", high=1.0, high_open=True)
        self.epsilon = _epsilon(epsilon)

    def get_config(self):
        """Plain-value config; ``from_config`` rebuilds an unbound optimizer from it."""
        schedule = self.learning_rate_schedule
        rate = schedules.serialize(schedule) if schedule is not None \
            else float(self.learning_rate)
        config = {"name": self.name, "learning_rate": rate,
                  "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                  "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue}
        config.update({key: getattr(self, key) for key in self._hyperparameters})
        if self.decay:
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config):
        """An optimizer from ``get_config``'s dict (Keras 3 configs load too)."""
        config = dict(config)
        config.pop("is_legacy_optimizer", None)  # written by tf.keras 2.11+
        for key, off in _KERAS3_NO_OP_KEYS.items():  # written by Keras 3, feature off
            if key in config and (config[key] == off or key == "ema_momentum"
                                  and not config.get("use_ema")):
                config.pop(key)
        decay = config.pop("decay", None)  # a saved Keras 2 decay restores without a warning
        optimizer = cls(**config)
        if decay:
            optimizer.decay = _number(decay, "decay")
        return optimizer

    def __repr__(self):
        rate = self.learning_rate_schedule or self.learning_rate
        return f"<{type(self).__name__} name={self.name!r} learning_rate={rate!r}>"


class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum.

    Update with ``momentum == 0``: ``w -= learning_rate * g``. Otherwise
    ``v = momentum * v - learning_rate * g`` then ``w += v``, or with ``nesterov``
    ``w += momentum * v - learning_rate * g``.

    Args:
        learning_rate: Float, defaults to 0.01.
        momentum: Float in [0, 1], defaults to 0.0.
        nesterov: Whether to use Nesterov momentum, defaults to False.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.
    """

    algorithm = "sgd"
    _default_name = "SGD"
    _hyperparameters = ("momentum", "nesterov")

    def __init__(self, learning_rate=_Default(0.01), momentum=0.0, nesterov=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        self.momentum = _number(momentum, "momentum", high=1.0)
        self.nesterov = bool(nesterov)


class Adam(Optimizer):
    """Adam: adaptive moment estimation.

    ``m = b1 * m + (1 - b1) * g``, ``v = b2 * v + (1 - b2) * g**2`` (with
    ``amsgrad``, ``v_hat = max(v_hat, v)`` replaces ``v`` below), then
    ``w -= lr * sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + epsilon)``, t = step
    number from 1.

    Args:
        learning_rate: Float, defaults to 0.001.
        beta_1, beta_2: Decay rates in [0, 1) of the first and second moments.
        epsilon: Added to ``sqrt(v)`` (Keras's placement), defaults to 1e-7.
        amsgrad: Whether to use the AMSGrad variant, defaults to False.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.
    """

    algorithm = "adam"
    _default_name = "adam"
    _hyperparameters = ("beta_1", "beta_2", "epsilon", "amsgrad")

    def __init__(self, learning_rate=_Default(0.001), beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        self._set_moment_rates(beta_1, beta_2, epsilon)
        self.amsgrad = bool(amsgrad)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``Adam`` whose
    ``weight_decay`` defaults to 0.004 and may not be None.

    Args:
        learning_rate: Float, defaults to 0.001.
        weight_decay: Non-negative float, defaults to 0.004.
        beta_1, beta_2, epsilon, amsgrad: as ``Adam``.
        clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.
    """

    _default_name = "adamw"

    def __init__(self, learning_rate=_Default(0.001), weight_decay=0.004, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW needs a float weight_decay. Received: weight_decay=None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay,
                         clipnorm, clipvalue, global_clipnorm, name, **kwargs)


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a moving root mean square.

    ``v = rho * v + (1 - rho) * g**2``; with ``centered``, ``a = rho * a + (1 - rho) * g``
    and ``d = sqrt(v - a**2 + epsilon)``, else ``d = sqrt(v + epsilon)`` (epsilon inside
    the root, as Keras); ``inc = lr * g / d``; with momentum ``m = momentum * m + inc``
    and ``w -= m``, else ``w -= inc``.

    Args:
        learning_rate: Float, defaults to 0.001.
        rho: Decay rate in [0, 1], defaults to 0.9.
        momentum: Float in [0, 1], defaults to 0.0.
        epsilon: Defaults to 1e-7.
        centered: Whether to normalize by the estimated variance, defaults to False.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.
    """

    algorithm = "rmsprop"
    _default_name = "rmsprop"
    _hyperparameters = ("rho", "momentum", "epsilon", "centered")

    def __init__(self, learning_rate=_Default(0.001), rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        self.rho = _number(rho, "rho", high=1.0)
        self.momentum = _number(momentum, "momentum", high=1.0)
        self.epsilon = _epsilon(epsilon)
        self.centered = bool(centered)


class Adagrad(Optimizer):
    """Adagrad: ``acc += g**2``, ``w -= lr * g / sqrt(acc + epsilon)``.

    Args:
        learning_rate: Float, defaults to 0.001.
        initial_accumulator_value: Non-negative starting value of ``acc``, defaults to 0.1.
        epsilon: Defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.
    """

    algorithm = "adagrad"
    _default_name = "adagrad"
    _hyperparameters = ("initial_accumulator_value", "epsilon")

    def __init__(self, learning_rate=_Default(0.001), initial_accumulator_value=0.1,
                 epsilon=1e-7, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        self.initial_accumulator_value = _number(initial_accumulator_value,
                                                 "initial_accumulator_value")
        self.epsilon = _epsilon(epsilon)


class Adadelta(Optimizer):
    """Adadelta: ``ag = rho * ag + (1 - rho) * g**2``,
    ``dw = -sqrt(ad + epsilon) / sqrt(ag + epsilon) * g``,
    ``ad = rho * ad + (1 - rho) * dw**2``, ``w += lr * dw``.

    Args:
        learning_rate: Float, defaults to 0.001 (1.0 matches the paper).
        rho: Decay rate in [0, 1], defaults to 0.95.
        epsilon: Defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.
    """

    algorithm = "adadelta"
    _default_name = "adadelta"
    _hyperparameters = ("rho", "epsilon")

    def __init__(self, learning_rate=_Default(0.001), rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        self.rho = _number(rho, "rho", high=1.0)
        self.epsilon = _epsilon(epsilon)


class Adamax(Optimizer):
    """Adamax, Adam with the infinity norm: ``m = b1 * m + (1 - b1) * g``,
    ``u = max(b2 * u, |g|)``, ``w -= lr * m / ((1 - b1**t) * (u + epsilon))``.

    Args:
        learning_rate: Float, defaults to 0.001.
        beta_1, beta_2: Decay rates in [0, 1).
        epsilon: Defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.
    """

    algorithm = "adamax"
    _default_name = "adamax"
    _hyperparameters = ("beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate=_Default(0.001), beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        self._set_moment_rates(beta_1, beta_2, epsilon)


class Nadam(Optimizer):
    """Nadam, Adam with Nesterov momentum and Keras's momentum schedule
    ``u_t = b1 * (1 - 0.5 * 0.96**t)``:
    ``m_hat = u_{t+1} * m / (1 - prod_{i<=t+1} u_i) + (1 - u_t) * g / (1 - prod_{i<=t} u_i)``,
    ``w -= lr * m_hat / (sqrt(v / (1 - b2**t)) + epsilon)``.

    Args:
        learning_rate: Float, defaults to 0.001.
        beta_1, beta_2: Decay rates in [0, 1).
        epsilon: Defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.
    """

    algorithm = "nadam"
    _default_name = "nadam"
    _hyperparameters = ("beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate=_Default(0.001), beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        self._set_moment_rates(beta_1, beta_2, epsilon)


_CLASSES = (SGD, Adam, RMSprop, Adagrad, Adadelta, Adamax, Nadam, AdamW)
_BY_NAME = {cls.__name__.lower(): cls for cls in _CLASSES}


def _unknown(identifier):
    return ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. Expected one of "
        f"{sorted(_BY_NAME)} (any case, class names too), a dict "
        "{'class_name': ..., 'config': ...} from serialize(), or an Optimizer instance."
    )


def serialize(optimizer):
    """``{'class_name': ..., 'config': ...}`` for an Optimizer."""
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"Only Optimizer instances can be serialized. Received: {optimizer!r}")
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config):
    """An Optimizer from ``serialize``'s dict."""
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise _unknown(config)
    name = config["class_name"].lower()
    if name == "lossscaleoptimizer":
        from keras_bridge.optimizers.loss_scale import LossScaleOptimizer as cls
    else:
        cls = _BY_NAME.get(name)
    if cls is None:
        raise _unknown(config["class_name"])
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier):
    """Resolve an optimizer from a name, a config dict, a class or an instance.

    Args:
        identifier: 'sgd', 'adam', 'rmsprop', 'adagrad', 'adadelta', 'adamax', 'nadam',
            'adamw' (case-insensitive; 'RMSprop' works), a dict from ``serialize``, an
            Optimizer subclass, or an Optimizer instance (returned as is).

    Returns:
        An Optimizer.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.strip().lower())
        if cls is None:
            raise _unknown(identifier)
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer) \
            and identifier.algorithm is not None:
        return identifier()
    raise _unknown(identifier)


# ---- Keras 2.2's lower-case names ------------------------------------------------------
# Only standalone Keras 2.2 had ``optimizers.adadelta(...)`` and friends, so code calling
# them expects Keras 2.2's defaults where Keras 3 changed them: Adadelta's learning rate
# 1.0 (Keras 3: 0.001), Adagrad's 0.01 with accumulators starting at 0 (Keras 3: 0.001,
# 0.1), Adamax's and Nadam's 0.002 (Keras 3: 0.001). The classes, and names given to
# ``compile`` ('adadelta'), keep Keras 3's defaults. Each returns an instance of the class;
# ``lr=`` and ``decay=`` warn as they do there.
_KERAS2_DEFAULTS = {
    SGD: {}, RMSprop: {}, Adam: {},
    Adagrad: {"learning_rate": 0.01, "initial_accumulator_value": 0.0},
    Adadelta: {"learning_rate": 1.0},
    Adamax: {"learning_rate": 0.002},
    Nadam: {"learning_rate": 0.002},
}


def _keras2_alias(cls):
    defaults = _KERAS2_DEFAULTS[cls]

    def make(*args, **kwargs):
        for key, value in defaults.items():
            given = key in kwargs or (key == "learning_rate" and ("lr" in kwargs or args))
            if not given:
                kwargs[key] = value
        return cls(*args, **kwargs)

    name = cls.__name__.lower()
    make.__name__ = make.__qualname__ = name
    changed = ", ".join(f"{k}={v}" for k, v in defaults.items()) or "none"
    make.__doc__ = (f"Keras 2.2's ``optimizers.{name}``: a ``{cls.__name__}`` with Keras "
                    f"2.2's defaults (differing from Keras 3's: {changed}).")
    return make


sgd = _keras2_alias(SGD)
rmsprop = _keras2_alias(RMSprop)
adagrad = _keras2_alias(Adagrad)
adadelta = _keras2_alias(Adadelta)
adam = _keras2_alias(Adam)
adamax = _keras2_alias(Adamax)
nadam = _keras2_alias(Nadam)


def __getattr__(name):
    # LossScaleOptimizer subclasses Optimizer in its own module, which imports this one:
    # loaded on first use, so neither imports the other at module level.
    if name == "LossScaleOptimizer":
        from keras_bridge.optimizers.loss_scale import LossScaleOptimizer
        return LossScaleOptimizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Optimizer", "LossScaleOptimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad",
           "Adadelta", "Adamax", "Nadam", "get", "serialize", "deserialize",
           "sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam"]
