"""Keras 2's ``keras.wrappers.scikit_learn``: ``KerasClassifier`` and ``KerasRegressor``
around a function ``build_fn`` that returns a compiled model.

The keyword arguments given to the wrapper (``sk_params``) are both the estimator's
parameters (``get_params`` / ``set_params``, so ``GridSearchCV`` can tune them) and
the arguments handed on: each goes to ``build_fn``, ``fit``, ``predict`` or
``evaluate`` where that function takes it (``epochs=2, batch_size=8, units=16``).
A new model is built at each ``fit``.

Unlike Keras 2, the classes are scikit-learn estimators (``BaseEstimator`` and the
classifier / regressor mixins), so current scikit-learn recognises them, and
``KerasClassifier.predict`` returns one label per sample (1-d) for a one-unit model too.
"""

import copy
import types

import numpy as np

from keras_bridge.wrappers._sklearn import BaseEstimator, ClassifierMixin, RegressorMixin


def _fit_api():
    """The functions whose arguments ``sk_params`` may name (Keras 2's list)."""
    from keras_bridge.models import Sequential
    return {"fit": Sequential.fit, "predict": Sequential.predict,
            "predict_classes": Sequential.predict_classes,
            "evaluate": Sequential.evaluate}


class BaseWrapper(BaseEstimator):
    """Shared by the two wrappers.

    Args:
        build_fn: a function (or an object with ``__call__``) returning a compiled
            model; its arguments are taken from ``sk_params``. None: the subclass's own
            ``__call__``.
        **sk_params: arguments of ``build_fn``, ``fit``, ``predict`` and ``evaluate``.

    Raises:
        ValueError: a parameter that none of them takes.
    """

    def __init__(self, build_fn=None, **sk_params):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def _builder(self):
        if self.build_fn is None:
            return self.__call__, self.__call__
        if isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            return self.build_fn, self.build_fn
        return self.build_fn, self.build_fn.__call__

    def check_params(self, params):
        """Raise ValueError for a parameter that no function here takes."""
        from keras_bridge.utils.generic_utils import has_arg
        legal = list(_fit_api().values()) + [self._builder()[1]]
        for name in params:
            if not any(has_arg(fn, name) for fn in legal):
                raise ValueError(f"{name} is not a legal parameter: none of build_fn, "
                                 "fit, predict, predict_classes or evaluate takes it.")

    def get_params(self, deep=True):
        """``build_fn`` and the ``sk_params``."""
        return {**self.sk_params, "build_fn": self.build_fn}

    def set_params(self, **params):
        """Change parameters (checked as in the constructor); returns ``self``."""
        if "build_fn" in params:
            self.build_fn = params.pop("build_fn")
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn, override=None):
        """The ``sk_params`` that ``fn`` takes, updated with ``override``."""
        from keras_bridge.utils.generic_utils import has_arg
        found = {name: value for name, value in self.sk_params.items() if has_arg(fn, name)}
        found.update(override or {})
        return found

    def _quiet_args(self, method, kwargs):
        """Arguments of ``method`` from ``sk_params`` and ``kwargs``; no progress bar
        unless one of them asks for it."""
        return {"verbose": 0, **self.filter_sk_params(_fit_api()[method], kwargs)}

    def fit(self, x, y, **kwargs):
        """Build a new model with ``build_fn`` and train it; returns its ``History``.
        ``kwargs`` override the ``fit`` arguments from ``sk_params``."""
        build, signature = self._builder()
        self.model = build(**self.filter_sk_params(signature))
        if _is_categorical_crossentropy(self.model) and np.ndim(y) != 2:
            from keras_bridge.utils import to_categorical
            y = to_categorical(y)
        fit_args = copy.deepcopy(self.filter_sk_params(_fit_api()["fit"]))
        fit_args.update(kwargs)
        return self.model.fit(x, y, **fit_args)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags


class KerasClassifier(ClassifierMixin, BaseWrapper):
    """Keras 2's scikit-learn classifier: labels of any kind (mapped to 0..n-1, one-hot
    for a ``categorical_crossentropy`` model), or one-hot targets.

    Attributes:
        classes_, n_classes_: the labels seen by ``fit`` and their count.
    """

    def fit(self, x, y, **kwargs):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            self.classes_, y = np.unique(y.ravel(), return_inverse=True)
        else:
            raise ValueError(f"Invalid shape for y: {y.shape}; expected (n_samples,) labels "
                             f"or (n_samples, n_classes) one-hot targets.")
        self.n_classes_ = len(self.classes_)
        return super().fit(x, y, **kwargs)

    def predict(self, x, **kwargs):
        """The label of each sample: the arg-max of the outputs, or output > 0.5 for
        one unit."""
        kwargs = self._quiet_args("predict", kwargs)
        proba = self.model.predict(x, **kwargs)
        classes = proba.argmax(axis=-1) if proba.shape[-1] > 1 else \
            (proba[..., 0] > 0.5).astype("int32")
        return self.classes_[classes]

    def predict_proba(self, x, **kwargs):
        """Class probabilities, (n_samples, n_classes); a one-unit model's output p
        gives the columns (1 - p, p)."""
        kwargs = self._quiet_args("predict", kwargs)
        probs = self.model.predict(x, **kwargs)
        if probs.shape[1] == 1:
            probs = np.hstack([1 - probs, probs])
        return probs

    def score(self, x, y, **kwargs):
        """The model's accuracy on ``(x, y)`` (it must be compiled with
        ``metrics=["accuracy"]``)."""
        y = np.searchsorted(self.classes_, y)
        kwargs = self._quiet_args("evaluate", kwargs)
        if _is_categorical_crossentropy(self.model) and np.ndim(y) != 2:
            from keras_bridge.utils import to_categorical
            y = to_categorical(y, self.n_classes_)
        outputs = self.model.evaluate(x, y, **kwargs)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        for name, output in zip(self.model.metrics_names, outputs):
            if name in ("accuracy", "acc"):
                return output
        raise ValueError("The model is not configured to compute accuracy. You should "
                         "pass `metrics=['accuracy']` to the `model.compile()` method.")


class KerasRegressor(RegressorMixin, BaseWrapper):
    """Keras 2's scikit-learn regressor; ``score`` is minus the loss."""

    def predict(self, x, **kwargs):
        """The model's outputs, squeezed (1-d for one output unit)."""
        kwargs = self._quiet_args("predict", kwargs)
        return np.squeeze(self.model.predict(x, **kwargs))

    def score(self, x, y, **kwargs):
        """Minus the model's loss on ``(x, y)`` (greater is better, as scikit-learn
        expects)."""
        kwargs = self._quiet_args("evaluate", kwargs)
        loss = self.model.evaluate(x, y, **kwargs)
        return -loss[0] if isinstance(loss, list) else -loss


def _is_categorical_crossentropy(model):
    spec = model._compiled.loss.spec if getattr(model, "_compiled", None) else None
    name = spec if isinstance(spec, str) else \
        getattr(spec, "__name__", None) or type(spec).__name__
    return name in ("categorical_crossentropy", "CategoricalCrossentropy")
