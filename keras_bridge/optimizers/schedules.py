"""Learning-rate schedules: the rate as a function of the optimizer's step count
(``optimizer.iterations``, from 0), given as ``learning_rate=`` to any optimizer.

A schedule is evaluated where the step runs: on the host with numpy for torch (whose
optimizer counts steps in Python), and traced into the jitted step for JAX (the count is
a traced integer there). The built-ins therefore compute with ``_math(step)``: numpy
for host numbers, ``keras_bridge.ops`` for engine scalars. A user subclass of
``LearningRateSchedule`` writes ``__call__(self, step)`` with ``keras_bridge.ops``.
"""

import math

import numpy as np

from keras_bridge import ops
from keras_bridge.serialization.core import serialize_keras_object
from keras_bridge.serialization.registration import get_registered_object


def _math(step):
    return np if isinstance(step, (int, float, np.number, np.ndarray)) else ops


def _as_float(step):
    if _math(step) is np:
        return np.float32(step)
    return ops.cast(step, "float32")


def _positive(value, name, owner):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not value > 0:
        raise ValueError(f"{owner}: {name} must be a positive number. Received: "
                         f"{name}={value!r}")
    return value


class LearningRateSchedule:
    """Base class: ``__call__(step)`` gives the learning rate at a step count;
    ``get_config`` / ``from_config`` make it savable with its optimizer."""

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must define __call__(step).")

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} must define get_config() to be "
                                  "saved.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} {self.get_config()}>"


class _RateDecay(LearningRateSchedule):
    """The arguments shared by ExponentialDecay and InverseTimeDecay, and their progress
    ``step / decay_steps`` (rounded down with ``staircase``)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name=None):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive(decay_steps, "decay_steps", type(self).__name__)
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name or type(self).__name__

    def _progress(self, step):
        xp, p = _math(step), _as_float(step) / self.decay_steps
        return xp, xp.floor(p) if self.staircase else p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_RateDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``; with ``staircase``
    the exponent is rounded down (the rate drops every ``decay_steps`` steps)."""

    def __call__(self, step):
        xp, p = self._progress(step)
        return self.initial_learning_rate * xp.power(np.float32(self.decay_rate), p)


class InverseTimeDecay(_RateDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (Keras 2's
    ``decay=`` is ``decay_steps=1``); with ``staircase`` the ratio is rounded down."""

    def __call__(self, step):
        _, p = self._progress(step)
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` up to step ``boundaries[0]`` (inclusive), ``values[1]`` up to
    ``boundaries[1]``, ..., ``values[-1]`` after the last boundary."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay needs one more value than boundaries. "
                             f"Received {len(boundaries)} boundaries and {len(values)} "
                             f"values.")
        if any(later <= earlier for earlier, later in zip(boundaries, boundaries[1:])):
            raise ValueError(f"PiecewiseConstantDecay boundaries must increase. Received: "
                             f"{boundaries}")
        self.boundaries, self.values, self.name = boundaries, values, name

    def __call__(self, step):
        xp, step = _math(step), _as_float(step)
        rate = np.float32(self.values[-1])
        for boundary, value in reversed(list(zip(self.boundaries, self.values))):
            rate = xp.where(step <= boundary, np.float32(value), rate)
        return rate

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` over ``decay_steps``:
    ``(initial - end) * (1 - step / decay_steps) ** power + end``, constant after;
    with ``cycle`` the decay restarts from a longer horizon each time it ends."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                 power=1.0, cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive(decay_steps, "decay_steps", type(self).__name__)
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        xp, step = _math(step), _as_float(step)
        steps = np.float32(self.decay_steps)
        if self.cycle:
            multiplier = xp.where(step == 0, np.float32(1.0), xp.ceil(step / steps))
            steps = steps * multiplier
        else:
            step = xp.minimum(step, steps)
        fraction = 1.0 - step / steps
        return ((self.initial_learning_rate - self.end_learning_rate) *
                xp.power(fraction, np.float32(self.power)) + self.end_learning_rate)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


def _cosine(xp, fraction, alpha):
    return (1.0 - alpha) * (0.5 * (1.0 + xp.cos(np.float32(math.pi) * fraction))) + alpha


class CosineDecay(LearningRateSchedule):
    """Half a cosine from the rate to ``alpha`` times it over ``decay_steps``, then
    constant; with ``warmup_target``, first a linear warm-up over ``warmup_steps`` from
    ``initial_learning_rate`` to ``warmup_target``, which the cosine then starts from."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive(decay_steps, "decay_steps", type(self).__name__)
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        xp, step = _math(step), _as_float(step)
        if self.warmup_target is None:
            fraction = xp.minimum(step, np.float32(self.decay_steps)) / self.decay_steps
            return self.initial_learning_rate * _cosine(xp, fraction, self.alpha)
        warm = self.initial_learning_rate + (self.warmup_target - self.initial_learning_rate) \
            * step / max(self.warmup_steps, 1)
        after = xp.minimum(xp.maximum(step - self.warmup_steps, np.float32(0.0)),
                           np.float32(self.decay_steps)) / self.decay_steps
        return xp.where(step < self.warmup_steps, warm,
                        self.warmup_target * _cosine(xp, after, self.alpha))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay restarted after ``first_decay_steps``, each period ``t_mul`` times
    longer than the last and its peak ``m_mul`` times lower (SGDR)."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = _positive(first_decay_steps, "first_decay_steps",
                                           type(self).__name__)
        self.t_mul, self.m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def __call__(self, step):
        xp = _math(step)
        fraction = _as_float(step) / self.first_decay_steps
        if self.t_mul == 1.0:
            restarts = xp.floor(fraction)
            fraction = fraction - restarts
        else:
            t_mul = np.float32(self.t_mul)
            restarts = xp.floor(xp.log(1.0 - fraction * (1.0 - t_mul)) / np.log(t_mul))
            done = (1.0 - xp.power(t_mul, restarts)) / (1.0 - t_mul)
            fraction = (fraction - done) / xp.power(t_mul, restarts)
        peak = xp.power(np.float32(self.m_mul), restarts)
        cosine = 0.5 * peak * (1.0 + xp.cos(np.float32(math.pi) * fraction))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self.t_mul,
                "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


_SCHEDULES = {cls.__name__: cls for cls in (
    ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay, CosineDecay,
    CosineDecayRestarts)}


def serialize(schedule):
    return serialize_keras_object(schedule)


def deserialize(config, custom_objects=None):
    """A schedule from ``serialize``'s dict: a built-in by class name, else a registered
    or ``custom_objects`` class."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a serialized learning-rate schedule (a dict with "
                         f"'class_name' and 'config'). Received: {config!r}")
    name = config["class_name"]
    cls = _SCHEDULES.get(name) or (custom_objects or {}).get(name)
    if cls is None:
        cls = get_registered_object(config.get("registered_name") or name, custom_objects)
    if cls is None:
        raise ValueError(f"Unknown learning-rate schedule {name!r}. Known: "
                         f"{sorted(_SCHEDULES)}; pass others in custom_objects.")
    return cls.from_config(config.get("config") or {})


__all__ = ["LearningRateSchedule", *_SCHEDULES, "serialize", "deserialize"]
