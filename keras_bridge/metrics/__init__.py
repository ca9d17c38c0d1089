"""Metrics, with Keras's names, defaults and formulas. The public surface is listed here.

Two kinds, as in Keras:

- functions ``fn(y_true, y_pred) -> values``, one value per sample
  (``binary_accuracy``, ``sparse_categorical_accuracy``, ``mse``, ...);
- ``Metric`` objects that accumulate over batches and report ``result()``
  (``Mean``, ``Accuracy``, ``Precision``, ``AUC``, ...).

How a metric keeps its state, and how running means weigh batches, is told in
``keras_bridge.metrics.base``.

Example:
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
    m.result()   # 0.5, an engine scalar
"""

from keras_bridge.metrics.base import Mean, MeanMetricWrapper, Metric, Sum
from keras_bridge.metrics.accuracy_metrics import (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from keras_bridge.metrics.accuracy_metrics import (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy)
from keras_bridge.metrics.regression import (
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error, MAE, MAPE, MSE, MSLE, mae, mape, mse, msle)
from keras_bridge.metrics.regression import (
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError,
    MeanSquaredLogarithmicError)
from keras_bridge.metrics.confusion import AUC, Precision, Recall
from keras_bridge.metrics.confusion import NEG_INF  # noqa: F401 (tests read it; not in __all__)
from keras_bridge.metrics.lookup import deserialize, get, serialize

__all__ = [
    "accuracy", "binary_accuracy", "categorical_accuracy", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
    "MAE", "MAPE", "MSE", "MSLE", "mae", "mape", "mse", "msle",
    "AUC", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "Mean", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanMetricWrapper", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Precision", "Recall", "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "Sum", "TopKCategoricalAccuracy",
    "Metric", "get", "serialize", "deserialize",
]


def __getattr__(name):
    """Keras 2's ``keras.metrics`` also held the loss functions
    (``metrics.binary_crossentropy(x, x_decoded)``): they are read from
    ``keras_bridge.losses`` on first use (a lazy import, as losses import metrics)."""
    from keras_bridge.metrics.lookup import _loss_functions
    fn = _loss_functions().get(name)
    if fn is None:
        raise AttributeError(f"module 'keras_bridge.metrics' has no attribute {name!r}")
    return fn
