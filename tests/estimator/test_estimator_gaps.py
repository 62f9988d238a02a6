"""The gaps found in MLPClassifier against scikit-learn's documented behaviour, each closed,
and the requests scikit-learn's users made that scratchnn answers (class_weight, per-layer
activations, activations(X))."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_multilabel_classification
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.preprocessing import StandardScaler

import scratchnn as snn
from scratchnn import MLPClassifier


def quiet(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y, **kwargs)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_n_iter_no_change_may_be_infinite(iris):
    clf = quiet(MLPClassifier((4,), n_iter_no_change=np.inf, tol=10.0, max_iter=15,
                              random_state=0), *iris)
    assert clf.n_iter_ == 15  # a tol no epoch can meet never stops training


def test_early_stopping_refuses_a_class_with_one_member(iris):
    X, y = iris
    X, y = X[:101], y[:101]  # class 2 has a single member
    with pytest.raises(ValueError, match=r"The least populated classes in y have only 1 "
                                         r"member.*Classes with too few members are: \[2\]"):
        MLPClassifier(early_stopping=True).fit(X, y)
    # a weight of 2 counts as two members, as two repeated rows would
    weights = np.r_[np.ones(100), 2.0]
    quiet(MLPClassifier((4,), early_stopping=True, max_iter=2), X, y, sample_weight=weights)


def test_float32_in_float32_weights_unless_dtype_says_otherwise(iris):
    X, y = iris
    clf = quiet(MLPClassifier((4,), max_iter=3), X.astype(np.float32), y)
    assert clf.coefs_[0].dtype == np.float32 == SklearnMLP((4,), max_iter=3).fit(
        X.astype(np.float32), y).coefs_[0].dtype
    clf = quiet(MLPClassifier((4,), max_iter=3, dtype=np.float64), X.astype(np.float32), y)
    assert clf.coefs_[0].dtype == np.float64
    assert quiet(MLPClassifier((4,), max_iter=3), X, y).coefs_[0].dtype == np.float64


def test_multilabel_indicator_targets_get_independent_sigmoids():
    X, Y = make_multilabel_classification(n_samples=300, n_classes=4, random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = quiet(MLPClassifier((32,), solver="lbfgs", max_iter=300, random_state=0), X, Y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 4
    assert clf.classes_.tolist() == [0, 1, 2, 3]
    assert clf.predict(X).shape == (300, 4) and set(np.unique(clf.predict(X))) <= {0, 1}
    proba = clf.predict_proba(X)
    assert proba.shape == (300, 4) and not np.allclose(proba.sum(axis=1), 1)
    theirs = quiet(SklearnMLP((32,), solver="lbfgs", max_iter=300, random_state=0), X, Y)
    assert abs(clf.score(X, Y) - theirs.score(X, Y)) < 0.1  # subset accuracy, as scikit-learn


def test_class_weight_balanced_and_dict(iris):
    X, y = iris
    keep = np.r_[0:50, 50:60, 100:150]  # class 1 is rare
    X, y = X[keep], y[keep]
    params = dict(hidden_layer_sizes=(8,), solver="lbfgs", alpha=1.0, random_state=0)
    plain = quiet(MLPClassifier(**params), X, y)
    balanced = quiet(MLPClassifier(class_weight="balanced", **params), X, y)
    # 'balanced' equals passing n / (k * count) as sample weights
    counts = np.bincount(y)
    by_weight = quiet(MLPClassifier(**params), X, y, sample_weight=len(y) / (3 * counts[y]))
    np.testing.assert_allclose(balanced.predict_proba(X), by_weight.predict_proba(X), rtol=1e-6)
    assert (balanced.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean())
    heavy = quiet(MLPClassifier(class_weight={1: 50.0}, **params), X, y)
    assert (heavy.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()


def test_activations_and_per_layer_activation_names(iris):
    X, y = iris
    clf = quiet(MLPClassifier((5, 3), activation=("tanh", "relu"), max_iter=5,
                              random_state=0), X, y)
    kinds = [type(layer).__name__ for layer in clf.model_.layers]
    assert kinds == ["Dense", "Tanh", "Dense", "ReLU", "Dense"]
    hidden1, hidden2, logits = clf.activations(X[:7])
    assert hidden1.shape == (7, 5) and np.abs(hidden1).max() < 1  # tanh
    assert hidden2.shape == (7, 3) and hidden2.min() >= 0  # relu
    np.testing.assert_allclose(logits.argmax(axis=1), clf.predict(X[:7]))


def test_a_classifier_with_per_layer_activations_saves_and_loads(iris, tmp_path):
    X, y = iris
    clf = quiet(MLPClassifier((5, 3), activation=("tanh", "relu"), solver="lbfgs",
                              max_iter=20, random_state=0), X, y)
    back = snn.load(snn.save(clf, tmp_path / "clf.npz"))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_gives_the_dense_result(solver, fmt):
    import scipy.sparse as sp

    from scratchnn import MLPRegressor

    X, y = load_iris(return_X_y=True)
    X = X / X.max(axis=0)
    X[X < 0.5] = 0  # mostly zeros
    sparse = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    for make in (lambda: MLPClassifier((8,), solver=solver, max_iter=30, random_state=0),
                 lambda: MLPRegressor(hidden_layer_sizes=(8,), solver=solver, max_iter=30,
                                      random_state=0)):
        dense_fit, sparse_fit = quiet(make(), X, y), quiet(make(), sparse, y)
        np.testing.assert_allclose(sparse_fit.predict(sparse), dense_fit.predict(X),
                                   rtol=1e-9, atol=1e-9)
