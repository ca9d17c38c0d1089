"""scikit-learn estimators around Keras models: Keras 3's ``SKLearnClassifier``,
``SKLearnRegressor`` and ``SKLearnTransformer`` (``sklearn_wrapper``) and Keras 2's
``scikit_learn.KerasClassifier`` / ``KerasRegressor``.

They need scikit-learn (the ``sklearn`` extra), imported on first access of a name
here, so ``keras_bridge`` imports without it.
"""

from keras_bridge.utils.lazy import reexports

_NAMES = {name: "keras_bridge.wrappers.sklearn_wrapper"
          for name in ("SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer")}
_NAMES["scikit_learn"] = "keras_bridge.wrappers.scikit_learn"
__getattr__, __dir__ = reexports(__name__, _NAMES)

__all__ = sorted(_NAMES)
