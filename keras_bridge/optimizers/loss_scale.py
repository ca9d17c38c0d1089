"""``LossScaleOptimizer``: Keras 3's dynamic loss scaling around another optimizer.

float16 gradients underflow to zero where float32 ones would not, so the train step
multiplies the loss by a large scale before differentiating and the optimizer divides
the gradients by it again. When any gradient is not finite (the scale overflowed
float16) the step is skipped: the weights and the inner optimizer's state (its
``iterations`` too) stay as they were, the scale halves and the count of good steps
restarts; after ``dynamic_growth_steps`` finite steps in a row the scale doubles.

The scale and the count are the engine optimizer's state next to the inner one's
(``step_counter``, ``dynamic_scale``, as Keras names them), so they are saved with the
model and, on JAX, live inside the jitted step (the skip is a ``lax.cond`` there; torch
reads one flag back per step to decide, as ``torch.amp.GradScaler`` does). Each engine's
``make_loss_scale_optimizer`` builds it around the inner optimizer's engine optimizer.

``compile`` wraps the optimizer in one (named ``loss_scale_optimizer``) when the model's
dtype policy is ``mixed_float16`` and ``auto_scale_loss`` is True, as Keras 3 does.
"""

import numbers

from keras_bridge.optimizers import Optimizer, engine_optimizers

# Base-optimizer arguments Keras 3's LossScaleOptimizer accepts at these values only (its
# older configs wrote them); anything else belongs on the inner optimizer.
_INNER_ONLY = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
               "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
               "ema_overwrite_frequency": None, "loss_scale_factor": None,
               "gradient_accumulation_steps": None}


class LossScaleOptimizer(Optimizer):
    """Dynamic loss scaling around ``inner_optimizer`` (for float16 training).

    Args:
        inner_optimizer: The ``Optimizer`` that makes the updates.
        initial_scale: Positive float, the first loss scale (default ``2**15``).
        dynamic_growth_steps: Positive int: the scale doubles after this many steps in
            a row with finite gradients (default 2000).
        name: Defaults to ``"loss_scale_optimizer"``.

    ``learning_rate`` and ``iterations`` are the inner optimizer's; ``dynamic_scale``
    and ``step_counter`` read the current scale and count of good steps.
    """

    _default_name = "loss_scale_optimizer"

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer(dynamic=False) is not supported (nor by "
                             "Keras 3): a fixed scale is the inner optimizer's "
                             "loss_scale_factor, which keras_bridge does not support.")
        for key, default in _INNER_ONLY.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise ValueError(f"LossScaleOptimizer does not take {key!r}; set it on the "
                                 "inner_optimizer.")
        if kwargs:
            raise TypeError(f"LossScaleOptimizer() got unexpected keyword argument(s) "
                            f"{sorted(kwargs)}. Accepted: ['dynamic_growth_steps', "
                            "'initial_scale', 'inner_optimizer', 'name'].")
        if not isinstance(inner_optimizer, Optimizer) or \
                isinstance(inner_optimizer, LossScaleOptimizer):
            raise TypeError("Expected inner_optimizer to be a keras_bridge optimizer "
                            "(not a LossScaleOptimizer). Received: "
                            f"inner_optimizer={inner_optimizer!r}")
        ok = isinstance(initial_scale, numbers.Real) and not isinstance(initial_scale, bool) \
            and 0 < initial_scale < float("inf")
        if not ok:
            raise ValueError("Expected initial_scale to be a positive finite number. "
                             f"Received: initial_scale={initial_scale!r}")
        if not isinstance(dynamic_growth_steps, numbers.Integral) or \
                isinstance(dynamic_growth_steps, bool) or dynamic_growth_steps < 1:
            raise ValueError("Expected dynamic_growth_steps to be a positive integer. "
                             f"Received: dynamic_growth_steps={dynamic_growth_steps!r}")
        super().__init__(0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)

    @property
    def algorithm(self):
        """The inner optimizer's update rule (what its state holds)."""
        return self.inner_optimizer.algorithm

    # ---- the inner optimizer's rate and count --------------------------------------------
    @property
    def learning_rate_schedule(self):
        return self.inner_optimizer.learning_rate_schedule

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self):
        """Steps the inner optimizer took (skipped steps do not count), as Keras."""
        return self.inner_optimizer.iterations

    @property
    def dynamic_scale(self):
        """The current loss scale (float)."""
        return self.initial_scale if self._binding is None else self._binding.scale_value

    @property
    def step_counter(self):
        """Finite steps since the scale last changed (int)."""
        return 0 if self._binding is None else self._binding.step_counter_value

    def scale_loss(self, loss):
        """``loss`` times the current scale: what a custom train step differentiates
        before handing the gradients to ``apply`` (which divides them again)."""
        if self._binding is None:
            return loss * self.initial_scale
        return self._binding.scale_loss(loss)

    def _engine_optimizer(self, backend_name, weights):
        inner = self.inner_optimizer.bind(backend_name, weights)
        return engine_optimizers(backend_name).make_loss_scale_optimizer(self, inner)

    # ---- config ----------------------------------------------------------------------------
    def get_config(self):
        from keras_bridge.optimizers import serialize
        from keras_bridge.serialization.registration import registered_name_or_none
        inner = {"module": "keras.optimizers", **serialize(self.inner_optimizer),
                 "registered_name": registered_name_or_none(type(self.inner_optimizer))}
        return {"name": self.name, "inner_optimizer": inner,
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from keras_bridge.optimizers import deserialize
        from keras_bridge.serialization.registration import get_registered_object
        config = dict(config)
        inner = config.pop("inner_optimizer", None)
        if isinstance(inner, dict):
            registered = get_registered_object(inner.get("registered_name"), custom_objects)
            inner = registered.from_config(dict(inner.get("config") or {})) \
                if isinstance(registered, type) else deserialize(inner)
        return cls(inner, **config)

    def __repr__(self):
        return (f"<LossScaleOptimizer name={self.name!r} "
                f"inner_optimizer={self.inner_optimizer!r}>")
