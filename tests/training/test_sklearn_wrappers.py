"""The scikit-learn wrappers (Keras 3's SKLearn*, Keras 2's KerasClassifier /
KerasRegressor) in scikit-learn's own machinery: Pipeline, cross_val_score, clone,
GridSearchCV, and a subset of sklearn.utils.estimator_checks."""

import sys

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")  # the `sklearn` extra, installed by `test`
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils import estimator_checks  # noqa: E402

import keras_bridge as keras  # noqa: E402
from keras_bridge import layers  # noqa: E402
from keras_bridge.wrappers import (SKLearnClassifier, SKLearnRegressor,  # noqa: E402
                                   SKLearnTransformer)
from keras_bridge.wrappers.scikit_learn import KerasClassifier, KerasRegressor  # noqa: E402


def _blobs(n=48, classes=3):
    """Separable classes: class k centred at 3 * k on every feature."""
    rng = np.random.default_rng(0)
    labels = np.arange(n) % classes
    x = rng.normal(size=(n, 4)) * 0.3 + 3.0 * labels[:, None]
    return x, labels


def mlp(X, y, loss="categorical_crossentropy", activation="softmax", lr=0.05):
    """Keras 3's example builder: input and output sizes from the data."""
    inputs = keras.Input((X.shape[1],))
    hidden = layers.Dense(8, activation="relu")(inputs)
    outputs = layers.Dense(y.shape[1] if y.ndim > 1 else 1, activation=activation)(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(lr), loss)
    return model


def test_pipeline_fit_predict_on_each_engine(backend):
    # The wrappers are engine-neutral code over fit / predict; this one check per engine
    # is enough (each new model costs a JAX compile, so the rest run on the default).
    x, labels = _blobs()
    pipe = make_pipeline(StandardScaler(), SKLearnClassifier(
        mlp, fit_kwargs={"epochs": 40, "batch_size": 48, "verbose": 0})).fit(x, labels)
    assert pipe[-1].model_.backend_name == backend
    assert (pipe.predict(x) == labels).mean() > 0.9


def test_classifier_in_pipeline_and_cross_val_score():
    x, labels = _blobs()
    names = np.array(["cat", "dog", "eel"])[labels]
    clf = SKLearnClassifier(mlp, fit_kwargs={"epochs": 40, "batch_size": 48, "verbose": 0})
    pipe = make_pipeline(StandardScaler(), clf).fit(x, names)
    np.testing.assert_array_equal(clf.classes_, ["cat", "dog", "eel"])
    assert clf.model_.output_shape == (None, 3) and clf.epoch_ == 40
    predicted = pipe.predict(x)
    assert (predicted == names).mean() > 0.9  # the classes are separable
    scores = clf.decision_function(StandardScaler().fit_transform(x))
    np.testing.assert_array_equal(clf.classes_[scores.argmax(axis=1)], predicted)

    scores = cross_val_score(make_pipeline(StandardScaler(), clf), x, names, cv=2)
    assert scores.shape == (2,) and scores.min() > 0.8


def test_regressor_and_transformer():
    x, _ = _blobs(32)
    y = x @ np.array([0.5, -1.0, 0.25, 1.0])
    reg = SKLearnRegressor(mlp, model_kwargs={"loss": "mse", "activation": None},
                           fit_kwargs={"epochs": 2, "verbose": 0})
    reg.fit(x, y)
    predicted = reg.predict(x)
    assert predicted.shape == (32,)
    np.testing.assert_allclose(predicted, reg.model_.predict(x, verbose=0)[:, 0])
    assert cross_val_score(reg, x, y, cv=2).shape == (2,)

    trans = SKLearnTransformer(mlp, model_kwargs={"loss": "mse", "activation": "tanh"},
                               fit_kwargs={"epochs": 1, "verbose": 0})
    out = trans.fit_transform(x, y)
    np.testing.assert_allclose(out, trans.model_.predict(x, verbose=0))
    assert out.shape == (32, 1) and np.abs(out).max() <= 1


def test_model_instance_clone_and_warm_start():
    x, labels = _blobs(24)
    model = mlp(x, np.eye(3)[labels])
    before = [w.copy() for w in model.get_weights()]
    clf = SKLearnClassifier(model, fit_kwargs={"epochs": 1, "verbose": 0})
    clf.fit(x, labels)
    assert clf.model_ is not model and clf.model_.optimizer is not model.optimizer
    for a, b in zip(model.get_weights(), before):  # the given model is not trained
        np.testing.assert_array_equal(a, b)

    twin = clone(clf)
    assert twin.get_params()["fit_kwargs"] == {"epochs": 1, "verbose": 0}
    assert twin.model is model and not hasattr(twin, "model_")

    warm = SKLearnClassifier(model, warm_start=True, fit_kwargs={"verbose": 0})
    warm.fit(x, labels, epochs=1)
    assert warm.model_ is model and model.optimizer.iterations == 1
    warm.fit(x, labels, epochs=1)
    assert warm.model_ is model and model.optimizer.iterations == 2


def test_wrapper_errors():
    x, labels = _blobs(12)
    uncompiled = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
    with pytest.raises(RuntimeError, match="must be compiled with a loss and an optimizer"):
        SKLearnRegressor(uncompiled).fit(x, labels.astype(float))
    with pytest.raises(ValueError, match="one class only"):
        SKLearnClassifier(mlp).fit(x, np.zeros(12))
    with pytest.raises(ValueError, match="binary and multiclass.*'continuous'"):
        SKLearnClassifier(mlp).fit(x, x[:, 0])
    with pytest.raises(TypeError, match="must be a compiled Model or a function"):
        SKLearnRegressor(3).fit(x, labels.astype(float))
    with pytest.raises(sklearn.exceptions.NotFittedError):
        SKLearnClassifier(mlp).predict(x)


# Checks of scikit-learn's API contract that hold for any model (the statistical ones,
# e.g. check_classifiers_train, need many epochs per fit and are left out).
_CHECKS = ["check_get_params_invariance", "check_set_params", "check_no_attributes_set_in_init",
           "check_estimators_unfitted", "check_dont_overwrite_parameters",
           "check_n_features_in", "check_fit2d_predict1d", "check_estimators_overwrite_params",
           "check_fit_check_is_fitted"]


@pytest.mark.parametrize("make", [
    lambda: SKLearnClassifier(mlp, fit_kwargs={"epochs": 1, "verbose": 0}),
    lambda: SKLearnRegressor(mlp, model_kwargs={"loss": "mse", "activation": None},
                             fit_kwargs={"epochs": 1, "verbose": 0})],
    ids=["classifier", "regressor"])
def test_estimator_checks_subset(make):
    estimator = make()
    for check in _CHECKS:
        getattr(estimator_checks, check)(type(estimator).__name__, estimator)


# ---- Keras 2 --------------------------------------------------------------------------
def build(units=8, loss="categorical_crossentropy", activation="softmax", outputs=3):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(units, activation="relu"),
                              layers.Dense(outputs, activation=activation)])
    model.compile(keras.optimizers.Adam(0.05), loss, metrics=["accuracy"])
    return model


def test_keras2_classifier():
    x, labels = _blobs()
    names = np.array(["a", "b", "c"])[labels]
    clf = KerasClassifier(build_fn=build, units=8, epochs=40, batch_size=48, verbose=0)
    assert clf.get_params() == {"build_fn": build, "units": 8, "epochs": 40,
                                "batch_size": 48, "verbose": 0}
    pipe = make_pipeline(StandardScaler(), clf).fit(x, names)
    np.testing.assert_array_equal(clf.classes_, ["a", "b", "c"])
    assert clf.n_classes_ == 3
    assert (pipe.predict(x) == names).mean() > 0.9
    proba = pipe.predict_proba(x)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], pipe.predict(x))
    assert pipe.score(x, names) > 0.9  # the model's accuracy metric

    assert cross_val_score(clone(clf), x, names, cv=2).min() > 0.7

    binary = KerasClassifier(build, loss="binary_crossentropy", activation="sigmoid",
                             outputs=1, epochs=1, verbose=0)
    binary.fit(x[labels < 2], labels[labels < 2])
    assert binary.predict(x).shape == (48,)
    p = binary.predict_proba(x)
    assert p.shape == (48, 2)
    np.testing.assert_allclose(p[:, 0], 1 - p[:, 1])


def test_keras2_regressor_grid_search_and_params():
    x, _ = _blobs(24)
    y = x.sum(axis=1)
    reg = KerasRegressor(build, loss="mse", activation=None, outputs=1, epochs=1,
                         verbose=0)
    search = GridSearchCV(reg, {"units": [2, 4]}, cv=2).fit(x, y)
    assert search.best_params_["units"] in (2, 4)
    assert search.best_estimator_.predict(x).shape == (24,)
    model = search.best_estimator_.model
    assert search.best_estimator_.score(x, y) == pytest.approx(
        -model.evaluate(x, y, verbose=0)[0], rel=1e-6)
    assert clone(reg).get_params() == reg.get_params()

    with pytest.raises(ValueError, match="colour is not a legal parameter"):
        KerasRegressor(build, colour="red")
    with pytest.raises(ValueError, match="nope is not a legal parameter"):
        reg.set_params(nope=1)
    assert reg.set_params(units=3).sk_params["units"] == 3
    with pytest.raises(ValueError, match="not configured to compute accuracy"):
        clf = KerasClassifier(build, epochs=1, verbose=0)
        clf.fit(x, np.arange(24) % 3)
        clf.model.compile("sgd", "categorical_crossentropy")  # no accuracy metric
        clf.score(x, np.arange(24) % 3)


def test_missing_sklearn_names_the_package(monkeypatch):
    for name in [n for n in sys.modules if n.startswith("keras_bridge.wrappers.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sklearn", None)
    import keras_bridge.wrappers as wrappers
    for name in ("SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"):
        monkeypatch.delattr(wrappers, name, raising=False)
    with pytest.raises(ImportError, match=r"requires scikit-learn.*pip install scikit-learn"
                                          r".*keras-bridge\[sklearn\]"):
        wrappers.SKLearnClassifier  # noqa: B018
    with pytest.raises(ImportError, match="requires scikit-learn"):
        import keras_bridge.wrappers.scikit_learn  # noqa: F401
