"""Keras losses: per-sample loss functions, and ``Loss`` objects that weight and reduce them.
The public surface is listed here.

Each function takes ``(y_true, y_pred)`` and returns one loss per sample, reduced over
the last axis (the class axis for crossentropies), as Keras's loss functions do. They
are written with ``keras_bridge.ops`` only, so they run on torch tensors and JAX arrays
and trace under ``jax.jit``: shapes are static and nothing branches on tensor values.
Numpy input gives the default engine's tensors; ``y_true`` is cast to ``y_pred``'s
dtype, as Keras does.

The math is Keras 2's (tf.keras 2.x), which Keras 3 keeps except for one detail:
binary crossentropy on probabilities adds ``epsilon()`` inside each log after clipping
(Keras 2; Keras 3 only clips), which differs from Keras 3 at the clip bounds. Where the
two differ outside the math:

- A ``Loss`` brings ``y_true`` and ``y_pred`` to the same rank as Keras 3 does, so a
  ``(batch,)`` target next to a ``(batch, 1)`` prediction gives ``(batch,)`` losses
  (Keras 2 squeezed the prediction and reduced to one scalar; the mean is the same).
- A ``sample_weight`` of lower rank than the losses gets trailing axes, so ``(batch,)``
  weights scale every step of ``(batch, steps)`` losses (Keras 2; Keras 3 only aligns
  length-1 axes).
- ``ignore_class`` averages over the valid entries (both); a batch with none gives 0
  (Keras 3; Keras 2 gave NaN).
- Label smoothing and the one-class warning of ``categorical_crossentropy`` read the
  size of ``axis`` (both Keras versions read the last axis whatever ``axis`` is).
- ``huber`` and ``cosine_similarity`` cast ``y_true`` to ``y_pred``'s dtype (Keras 3;
  Keras 2 cast both to floatx for huber and did not cast for cosine_similarity).
- Unnamed ``Loss`` objects are named after their class in snake case (Keras 3).

Example:
    from keras_bridge import losses
    losses.mean_squared_error(y_true, y_pred)      # (batch,)
    losses.get("mse")(y_true, y_pred)               # scalar, mean over the batch
    losses.BinaryCrossentropy(from_logits=True)(y_true, logits, sample_weight=w)
"""

from keras_bridge.losses.base import Loss, Reduction
from keras_bridge.losses.regression import (
    cosine_similarity, huber, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, poisson)
from keras_bridge.losses.probabilistic import (
    binary_crossentropy, categorical_crossentropy, categorical_hinge, hinge, kl_divergence,
    sparse_categorical_crossentropy, squared_hinge)
from keras_bridge.losses.classes import (
    BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, CosineSimilarity, Hinge,
    Huber, KLDivergence, LogCosh, LossFunctionWrapper, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError, Poisson,
    SparseCategoricalCrossentropy, SquaredHinge)
from keras_bridge.losses.lookup import (
    BCE, KLD, MAE, MAPE, MSE, MSLE, bce, huber_loss, kld, kullback_leibler_divergence,
    logcosh, mae, mape, mse, msle)
from keras_bridge.losses.lookup import deserialize, get, serialize
from keras_bridge.losses.lookup import _ALIASES, _CLASSES, _FUNCTIONS  # __all__ lists them

__all__ = (
    [fn.__name__ for fn in _FUNCTIONS] + sorted(_ALIASES)
    + [cls.__name__ for cls in _CLASSES]
    + ["Reduction", "get", "serialize", "deserialize"]
)
