"""Sample weights: the weighted-mean loss of scikit-learn, in the core losses and the estimator."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

import scratchnn as snn
from scratchnn import MLPClassifier


@pytest.mark.parametrize("loss_cls, k", [(snn.BinaryCrossEntropy, 1),
                                         (snn.SoftmaxCrossEntropy, 3)])
def test_weighted_loss_equals_the_loss_of_repeated_samples(loss_cls, k):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(7, k))
    y = rng.integers(0, 2 if k == 1 else 3, 7)
    w = np.array([0, 1, 2, 3, 1, 2, 5])
    target = (lambda t: t.reshape(-1, 1).astype(float)) if k == 1 else (lambda t: t)
    weighted = loss_cls()
    value = weighted.forward(z, target(y), w)
    grad = weighted.backward().copy()
    repeated = loss_cls()
    expected = repeated.forward(np.repeat(z, w, axis=0), target(np.repeat(y, w)))
    grad_rep = repeated.backward()
    summed = np.zeros_like(z)
    np.add.at(summed, np.repeat(np.arange(7), w), grad_rep)
    assert value == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(grad, summed, atol=1e-15)
    # Unit weights are the plain mean.
    plain = loss_cls()
    assert plain.forward(z, target(y)) == pytest.approx(loss_cls().forward(z, target(y),
                                                                           np.ones(7)))


def test_weights_must_sum_to_something():
    with pytest.raises(ValueError, match="sum to a positive number"):
        snn.BinaryCrossEntropy().forward(np.zeros((2, 1)), np.zeros((2, 1)), np.zeros(2))


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("params", [dict(), dict(solver="sgd", learning_rate_init=0.05,
                                                 learning_rate="invscaling"),
                                    dict(early_stopping=True, n_iter_no_change=1000)])
def test_integer_weights_equal_repeated_samples(iris, params):
    X, y = iris
    w = np.random.default_rng(1).integers(0, 4, len(y))
    common = dict(hidden_layer_sizes=(5,), batch_size=1000, max_iter=25, learning_rate_init=0.01,
                  random_state=0)
    common.update(params)
    weighted = MLPClassifier(**common).fit(X, y, sample_weight=w)
    repeated = MLPClassifier(**common).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-7)
    if params.get("early_stopping"):
        np.testing.assert_allclose(weighted.validation_scores_, repeated.validation_scores_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_weights_change_the_fit_and_are_not_modified(iris):
    X, y = iris
    w = np.where(y == 2, 10.0, 1.0)
    w_copy = w.copy()
    common = dict(hidden_layer_sizes=(5,), max_iter=20, learning_rate_init=0.01, random_state=0)
    plain = MLPClassifier(**common).fit(X, y)
    weighted = MLPClassifier(**common).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(w, w_copy)
    # Up-weighting class 2 raises its predicted probability.
    assert weighted.predict_proba(X)[:, 2].mean() > plain.predict_proba(X)[:, 2].mean()


def test_bad_weights_are_refused(iris):
    X, y = iris
    with pytest.raises(ValueError, match="zero"):
        MLPClassifier(max_iter=2).fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match=r"(?i)negative"):
        MLPClassifier(max_iter=2).fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="shape"):
        MLPClassifier(max_iter=2).fit(X, y, sample_weight=np.ones(3))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_samples_seen_count_each_sample_by_its_weight_with_shuffled_minibatches(iris, dtype):
    # A regression test: t_ (and 'invscaling', which reads it) once summed the weights of an
    # uninitialised shuffle buffer instead of the sample weights.
    X, y = iris
    w = np.random.default_rng(1).integers(1, 4, len(y)).astype(float)
    clf = MLPClassifier((5,), solver="sgd", learning_rate="invscaling", learning_rate_init=0.2,
                        batch_size=20, max_iter=3, random_state=0, dtype=dtype)
    clf.fit(X, y, sample_weight=w)
    assert clf.t_ == 3 * w.sum()
    assert clf._optimizer.lr == pytest.approx(0.2 / (3 * w.sum() + 1) ** 0.5)
