"""Keras 3's scikit-learn wrappers: a compiled Keras model (or a function that makes
one from the data) as a scikit-learn classifier, regressor or transformer, usable in
``Pipeline``, ``cross_val_score``, ``GridSearchCV`` and ``clone``.

Each ``fit`` trains a fresh model: a clone of the given model, compiled as it was, or a
new one from the function ``model(X=X, y=y, **model_kwargs)``; with ``warm_start`` the
given (or last fitted) model trains on. The classifier one-hot encodes the labels, so
the model ends in one unit per class; ``predict`` maps the outputs back to labels.
"""

import numpy as np

from keras_bridge.wrappers._sklearn import (BaseEstimator, ClassifierMixin, RegressorMixin,
                                            TransformerMixin)
from sklearn.pipeline import make_pipeline  # noqa: E402 (after the hint in _sklearn)
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data


class SKLBase(BaseEstimator):
    """What the three wrappers share.

    Args:
        model: a compiled ``Model`` (cloned, with its compile arguments, before each
            fit unless ``warm_start``), or a function ``model(X, y, **model_kwargs)``
            returning a compiled model for that data.
        warm_start: train the given model, then the fitted one, on instead of a fresh
            one at each fit.
        model_kwargs: keyword arguments of the ``model`` function.
        fit_kwargs: keyword arguments of ``Model.fit`` (``epochs``, ``batch_size``,
            ...); those given to ``fit`` itself take precedence.

    Attributes:
        model_: the fitted model.
        history_: ``model_.fit``'s ``History``.
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self):
        # The model is handed over, not copied: fit clones it (Keras 3's rule). Unlike
        # Keras 3.15, fit_kwargs are kept.
        return type(self)(model=self.model, warm_start=self.warm_start,
                          model_kwargs=_copy(self.model_kwargs),
                          fit_kwargs=_copy(self.fit_kwargs))

    @property
    def epoch_(self):
        """The epochs trained by the last fit."""
        history = getattr(self, "history_", None)
        return len(history.epoch) if history is not None else 0

    def fit(self, X, y, **kwargs):
        """Train on ``X`` (n_samples, n_features) and ``y`` (n_samples,) or
        (n_samples, n_outputs); ``kwargs`` go to ``Model.fit``."""
        X, y = validate_data(self, X, y, multi_output=True)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        _check_model(model)
        fit_kwargs = {**(self.fit_kwargs or {}), **kwargs}
        self.history_ = model.fit(X, y, **fit_kwargs)
        self.model_ = model
        return self

    def predict(self, X):
        """The model's predictions for ``X``, as targets (labels for the classifier)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self._reverse_process_target(self.model_.predict(X, verbose=0))

    def _get_model(self, X, y):
        from keras_bridge.models import Model
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            return self.model if self.warm_start else _clone_compiled(self.model)
        if not callable(self.model):
            raise TypeError(f"{type(self).__name__}(model=...) must be a compiled Model or "
                            f"a function model(X, y, **model_kwargs) returning one. "
                            f"Received: {self.model!r}")
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def _process_target(self, y, reset=False):
        """Targets as the model trains on them: 2-d (the classifier one-hot encodes)."""
        _check_target_type(y)
        if reset:
            self._target_encoder = _TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A Keras model as a scikit-learn classifier (binary or multiclass labels).

    The labels are one-hot encoded for training, so the model ends in a
    ``Dense(n_classes, activation="softmax")`` and trains on
    ``categorical_crossentropy``; ``predict`` returns the label of the highest output,
    ``decision_function`` the raw outputs. Arguments as ``SKLBase``.

    Attributes:
        classes_: the labels, sorted.
    """

    def decision_function(self, X):
        """The model's raw outputs for ``X``, one column per class."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X, verbose=0)

    def _process_target(self, y, reset=False):
        kind = _check_target_type(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"SKLearnClassifier supports binary and multiclass targets. "
                             f"Received a target of type {kind!r}.")
        if reset:
            classes = np.unique(y)
            if len(classes) == 1:
                raise ValueError(f"SKLearnClassifier cannot train on one class only "
                                 f"(every label is {classes[0]!r}).")
            self.classes_ = classes
            self._target_encoder = make_pipeline(
                _TargetReshaper(), OneHotEncoder(sparse_output=False)).fit(y)
        return self._target_encoder.transform(y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A Keras model as a scikit-learn regressor; ``predict`` returns the model's
    outputs in the shape of the targets fitted (1-d for 1-d ``y``). Arguments as
    ``SKLBase``."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A Keras model as a scikit-learn transformer: ``transform(X)`` is the model's
    output (for instance an embedding fed to the next step of a pipeline). Arguments as
    ``SKLBase``."""

    def transform(self, X):
        """The model's outputs for ``X``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X, verbose=0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags


class _TargetReshaper(TransformerMixin, BaseEstimator):
    """1-d targets as one column and back (OneHotEncoder takes 2-d input)."""

    def fit(self, y):
        self.ndim_ = y.ndim
        return self

    def transform(self, y):
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        check_is_fitted(self)
        return np.squeeze(y, axis=1) if self.ndim_ == 1 and y.ndim == 2 else y


def _check_target_type(y):
    kind = type_of_target(y)
    if kind == "unknown":
        raise ValueError(f"Unknown label type: {y!r}")
    return kind


def _check_model(model):
    compiled = getattr(model, "_compiled", None)
    if compiled is None or compiled.loss.spec is None or compiled.optimizer is None:
        raise RuntimeError("The wrapped model must be compiled with a loss and an "
                           "optimizer (model.compile(optimizer, loss)) before fit.")


def _clone_compiled(model):
    """A fresh copy of ``model`` (new weights), compiled with its compile arguments, as
    Keras 3's ``clone_model`` does."""
    from keras_bridge.models import clone_model
    from keras_bridge.saving.compile_config import compile_arguments, compile_config
    _check_model(model)
    clone = clone_model(model)
    clone.compile(**compile_arguments(compile_config(model)))
    return clone


def _copy(value):
    return dict(value) if isinstance(value, dict) else value
