"""``LossFunctionWrapper``, which makes a ``Loss`` of a per-sample function, and the
built-in ``Loss`` classes, one per loss function (``MeanSquaredError``, ``Huber``, ...)."""

from keras_bridge import backend as K
from keras_bridge import ops
from keras_bridge.losses.base import Loss, _on_engine_of, _same_rank
from keras_bridge.losses.probabilistic import (
    binary_crossentropy, categorical_crossentropy, categorical_hinge, hinge, kl_divergence,
    sparse_categorical_crossentropy, squared_hinge)
from keras_bridge.losses.regression import (
    cosine_similarity, huber, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, poisson)


def _function_name(fn):
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) and name.isidentifier() else None


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a function ``fn(y_true, y_pred, **kwargs) -> per-sample losses``.

    This is how a function written with ``keras_bridge.ops`` or ``K`` becomes a loss.

    Args:
        fn: The loss function.
        reduction: As in ``Loss``.
        name: Name of the loss; defaults to ``fn.__name__``.
        **kwargs: Keyword arguments passed to ``fn`` on every call.

    Example:
        def rmse(y_true, y_pred):
            return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))
        loss = losses.LossFunctionWrapper(rmse)
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"Expected fn to be a callable (y_true, y_pred) -> per-sample "
                            f"losses. Received: fn={fn!r}")
        super().__init__(reduction=reduction,
                         name=name or _function_name(fn) or "loss_function_wrapper")
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true, y_pred = _same_rank(_on_engine_of(y_pred, y_true), y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _losses_and_mask(self, y_true, y_pred):
        losses = self.call(y_true, y_pred)
        ignore_class = self._fn_kwargs.get("ignore_class")
        if self.fn is not sparse_categorical_crossentropy or ignore_class is None:
            return losses, None
        valid = ops.not_equal(_on_engine_of(losses, y_true), ignore_class)
        return losses, ops.reshape(valid, K.int_shape(losses))

    def get_config(self):
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is LossFunctionWrapper:  # subclasses fix their function
            config["fn"] = _function_name(self.fn) or repr(self.fn)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is LossFunctionWrapper:
            from keras_bridge.losses.lookup import _function  # lookup imports this module
            config["fn"] = _function(config.get("fn"))
        return cls(**config)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors (``mean_squared_error``)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(mean_squared_error, reduction=reduction, name=name)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors (``mean_absolute_error``)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(mean_absolute_error, reduction=reduction, name=name)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error (``mean_absolute_percentage_error``)."""

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_absolute_percentage_error"):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error (``mean_squared_logarithmic_error``)."""

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_squared_logarithmic_error"):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary crossentropy (``binary_crossentropy``), for 0/1 labels.

    Args:
        from_logits: Whether predictions are logits rather than probabilities.
        label_smoothing: In [0, 1]; labels are squeezed towards 0.5.
        axis: The axis the mean is taken over.
        reduction, name: As in ``Loss``.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy"):
        super().__init__(binary_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy for one-hot labels (``categorical_crossentropy``).

    Args:
        from_logits: Whether predictions are logits rather than probabilities.
        label_smoothing: In [0, 1]; ``s / num_classes`` goes to every class.
        axis: The class axis.
        reduction, name: As in ``Loss``.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy"):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy for integer labels (``sparse_categorical_crossentropy``).

    Args:
        from_logits: Whether predictions are logits rather than probabilities.
        ignore_class: A label left out of the loss and of the mean, or None.
        reduction, name: As in ``Loss``.
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy"):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, ignore_class=ignore_class)


class Hinge(LossFunctionWrapper):
    """Hinge loss (``hinge``), for -1/1 labels (0/1 labels are converted)."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge"):
        super().__init__(hinge, reduction=reduction, name=name)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss (``squared_hinge``), for -1/1 labels (0/1 converted)."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge"):
        super().__init__(squared_hinge, reduction=reduction, name=name)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss (``categorical_hinge``), for one-hot labels."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge"):
        super().__init__(categorical_hinge, reduction=reduction, name=name)


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence (``kl_divergence``)."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence"):
        super().__init__(kl_divergence, reduction=reduction, name=name)


class Poisson(LossFunctionWrapper):
    """Poisson loss (``poisson``)."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson"):
        super().__init__(poisson, reduction=reduction, name=name)


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the error (``log_cosh``)."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh"):
        super().__init__(log_cosh, reduction=reduction, name=name)


class Huber(LossFunctionWrapper):
    """Huber loss (``huber``), quadratic below ``delta`` and linear above.

    Args:
        delta: Where the loss changes from quadratic to linear.
        reduction, name: As in ``Loss``.
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(huber, reduction=reduction, name=name, delta=delta)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity (``cosine_similarity``).

    Args:
        axis: The axis along which the similarity is computed.
        reduction, name: As in ``Loss``.
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity"):
        super().__init__(cosine_similarity, reduction=reduction, name=name, axis=axis)
