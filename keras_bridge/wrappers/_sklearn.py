"""The scikit-learn import shared by the wrappers, with the install hint."""

from keras_bridge.utils.optional import require

require("sklearn", "keras_bridge.wrappers (the scikit-learn wrappers)", "sklearn")

from sklearn.base import (BaseEstimator, ClassifierMixin,  # noqa: E402
                          RegressorMixin, TransformerMixin)

__all__ = ["BaseEstimator", "ClassifierMixin", "RegressorMixin", "TransformerMixin"]
