"""MLPClassifier: labels, fitted attributes, the stopping rule, errors, and scikit-learn tooling."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.datasets import load_iris, make_blobs, make_moons
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from scratchnn import MLPClassifier, TrainingDivergedError


@pytest.fixture(scope="module")
def moons():
    return make_moons(200, noise=0.1, random_state=0)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def quiet_fit(clf, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y, **kwargs)


def forward_by_hand(clf, X):
    """The network's logits computed from coefs_/intercepts_ with plain NumPy (ReLU)."""
    a = X
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        a = a @ W + b
        if i < len(clf.coefs_) - 1:
            a = np.maximum(a, 0)
    return a


# --- labels and probabilities ------------------------------------------------------------------


@pytest.mark.parametrize("labels", [np.array(["no", "yes"]), np.array([-1, 1]),
                                    np.array([False, True]), np.array([1.0, 3.0])])
def test_binary_labels_of_any_type(moons, labels):
    X, y01 = moons
    y = labels[y01]
    clf = quiet_fit(MLPClassifier((8,), learning_rate_init=0.05, max_iter=100, random_state=0),
                    X, y)
    assert clf.classes_.tolist() == sorted(labels.tolist())
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"
    predicted = clf.predict(X)
    assert predicted.dtype == y.dtype and set(predicted) <= set(labels)
    assert clf.score(X, y) > 0.85
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], predicted)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-10, atol=1e-12)
    # The probability of the second class is the sigmoid of the network's logit.
    z = forward_by_hand(clf, X)[:, 0]
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-z)), rtol=1e-12)


def test_multiclass_attributes_and_softmax(iris):
    X, y = iris
    clf = quiet_fit(MLPClassifier((12, 7), learning_rate_init=0.01, max_iter=60,
                                  random_state=1), X, y)
    assert [W.shape for W in clf.coefs_] == [(4, 12), (12, 7), (7, 3)]
    assert [b.shape for b in clf.intercepts_] == [(12,), (7,), (3,)]
    assert clf.n_layers_ == 4 and clf.n_outputs_ == 3 and clf.out_activation_ == "softmax"
    assert clf.n_features_in_ == 4 and clf.n_iter_ == 60 == len(clf.loss_curve_)
    assert clf.t_ == 60 * len(X)
    assert clf.loss_ == clf.loss_curve_[-1] and clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.val_loss_curve_ is None
    z = forward_by_hand(clf, X)
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-10)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(expected), rtol=1e-10)
    assert clf.score(X, y) > 0.9


def test_float32_trains_and_predicts_in_float32(iris):
    X, y = iris
    clf = quiet_fit(MLPClassifier((10,), dtype=np.float32, learning_rate_init=0.01,
                                  max_iter=50, random_state=0), X, y)
    assert all(W.dtype == np.float32 for W in clf.coefs_)
    assert clf.predict_proba(X).dtype == np.float32
    ref = quiet_fit(MLPClassifier((10,), learning_rate_init=0.01, max_iter=50, random_state=0),
                    X, y)
    assert np.mean(clf.predict(X) == ref.predict(X)) > 0.97


def test_unfitted_estimator_refuses_to_predict(iris):
    with pytest.raises(NotFittedError):
        MLPClassifier().predict(iris[0])


def test_one_class_is_fitted_and_predicted_as_scikit_learn_does():
    clf = quiet_fit(MLPClassifier((4,), max_iter=5), np.arange(10.0).reshape(5, 2),
                    np.full(5, "only"))
    assert clf.classes_.tolist() == ["only"]
    assert clf.predict(np.zeros((3, 2))).tolist() == ["only"] * 3
    np.testing.assert_array_equal(clf.predict_proba(np.zeros((3, 2))), np.ones((3, 1)))


# --- the training loop -------------------------------------------------------------------------


def stop_epoch(curve, tol, patience, higher_is_better=False):
    """scikit-learn's rule, replayed on a curve: the epoch at which training stops."""
    best = -np.inf if higher_is_better else np.inf
    count = 0
    for epoch, value in enumerate(curve, start=1):
        improved = value >= best + tol if higher_is_better else value <= best - tol
        count = 0 if improved else count + 1
        best = max(best, value) if higher_is_better else min(best, value)
        if count > patience:
            return epoch
    return None


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_stopping_rule_on_the_training_loss(iris, solver):
    X, y = iris
    clf = MLPClassifier((8,), solver=solver, learning_rate_init=0.01, tol=1e-2,
                        n_iter_no_change=3, max_iter=500, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # it must stop before max_iter
        clf.fit(X, y)
    assert clf.n_iter_ < 500
    assert stop_epoch(clf.loss_curve_, 1e-2, 3) == clf.n_iter_ == len(clf.loss_curve_)


def test_convergence_warning_when_max_iter_ends_training(iris):
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(5\) reached"):
        MLPClassifier((5,), max_iter=5, random_state=0).fit(*iris)


def test_early_stopping_restores_the_best_epoch(iris):
    X, y = iris
    params = dict(hidden_layer_sizes=(6,), learning_rate_init=0.02, early_stopping=True,
                  validation_fraction=0.3, tol=0.0, random_state=3)
    clf = quiet_fit(MLPClassifier(n_iter_no_change=8, max_iter=200, **params), X, y)
    scores = clf.validation_scores_
    assert len(scores) == len(clf.val_loss_curve_) == len(clf.loss_curve_) == clf.n_iter_
    assert clf.best_loss_ is None and clf.best_validation_score_ == max(scores)
    assert stop_epoch(scores, 0.0, 8, higher_is_better=True) in (clf.n_iter_, None)
    assert all(np.isfinite(clf.val_loss_curve_))
    # Training only up to the best epoch gives exactly the weights that were restored: the
    # highest score, and among equal scores the lowest validation loss.
    best_epoch = min(range(len(scores)),
                     key=lambda i: (-scores[i], clf.val_loss_curve_[i])) + 1
    short = quiet_fit(MLPClassifier(n_iter_no_change=1000, max_iter=best_epoch, **params), X, y)
    for a, b in zip(clf.coefs_ + clf.intercepts_, short.coefs_ + short.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_adaptive_learning_rate_divides_by_five_instead_of_stopping(iris):
    X, y = iris
    clf = MLPClassifier((6,), solver="sgd", learning_rate="adaptive", learning_rate_init=0.05,
                        tol=1e-2, n_iter_no_change=2, max_iter=40, random_state=0)
    quiet_fit(clf, X, y)
    triggers = 0
    count, best = 0, np.inf
    for value in clf.loss_curve_:
        count = 0 if value <= best - 1e-2 else count + 1
        best = min(best, value)
        if count > 2:
            triggers, count = triggers + 1, 0
    assert triggers >= 1 and clf.n_iter_ == 40  # it kept going where 'constant' would stop
    assert clf._optimizer.lr == pytest.approx(0.05 / 5**triggers)


def test_invscaling_learning_rate(iris):
    X, y = iris
    clf = quiet_fit(MLPClassifier((6,), solver="sgd", learning_rate="invscaling", power_t=0.5,
                                  learning_rate_init=0.2, max_iter=7, random_state=0), X, y)
    assert clf._optimizer.lr == pytest.approx(0.2 / (7 * 150 + 1) ** 0.5)


def test_n_init_keeps_the_best_restart(moons):
    X, y = moons
    params = dict(hidden_layer_sizes=(2,), learning_rate_init=0.05, max_iter=30, random_state=4)
    one = quiet_fit(MLPClassifier(n_init=1, **params), X, y)
    three = quiet_fit(MLPClassifier(n_init=3, **params), X, y)
    assert three.loss_ <= one.loss_


def test_non_finite_loss_stops_training_with_a_clear_error():
    X = np.array([[1e200, -1e200], [-1e200, 1e200], [1e200, 1e200], [-1e200, -1e200]])
    with pytest.raises(TrainingDivergedError, match="training loss became"):
        MLPClassifier((3,), solver="sgd", learning_rate_init=10.0, random_state=0).fit(
            X, [0, 1, 0, 1])


@pytest.mark.parametrize(("params", "scale", "cause"), [
    ({"solver": "sgd", "learning_rate_init": 1000.0}, 1.0, "learning rate"),
    ({}, 1e200, "learning rate"),  # adam, inputs scaled by 1e200: a loss near 1e199 at once
    ({"solver": "sgd", "alpha": 1e6}, 1.0, "alpha"),
])
def test_a_loss_grown_far_beyond_its_start_raises_naming_the_cause(moons, params, scale, cause):
    X, y = moons
    with pytest.raises(TrainingDivergedError) as caught:
        quiet_fit(MLPClassifier((4,), max_iter=50, random_state=0, **params), X * scale, y)
    assert caught.value.cause == cause
    assert ("alpha (1e+06) is too large" in str(caught.value)) == (cause == "alpha")


def test_a_large_alpha_with_adam_shrinks_the_weights_and_is_not_divergence(moons):
    X, y = moons
    clf = quiet_fit(MLPClassifier((4,), alpha=1e6, max_iter=20, random_state=0), X, y)
    assert clf.loss_curve_[0] > 1e3 and clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_sigmoid_is_another_name_for_logistic(iris):
    X, y = iris
    params = dict(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    named = quiet_fit(MLPClassifier(activation="sigmoid", **params), X, y)
    logistic = quiet_fit(MLPClassifier(activation="logistic", **params), X, y)
    for a, b in zip(named.coefs_ + named.intercepts_, logistic.coefs_ + logistic.intercepts_):
        np.testing.assert_array_equal(a, b)  # same initialisation (Glorot's factor 2), same fit


@pytest.mark.parametrize("params, message", [
    (dict(hidden_layer_sizes=(4, 0)), "hidden_layer_sizes must be"),
    (dict(hidden_layer_sizes="10"), "hidden_layer_sizes must be"),
    (dict(activation="swish"), "activation must be one of"),
    (dict(solver="newton"), "solver must be one of"),
    (dict(learning_rate="cyclic"), "learning_rate must be one of"),
    (dict(alpha=-1.0), "alpha must be >= 0"),
    (dict(batch_size=0), "batch_size must be 'auto' or a positive int"),
    (dict(learning_rate_init=0.0), "learning_rate_init must be a positive number"),
    (dict(max_iter=0), "max_iter must be a positive int"),
    (dict(n_init=1.5), "n_init must be a positive int"),
    (dict(momentum=1.5), r"momentum must be in \[0, 1\)"),
    (dict(validation_fraction=1.0), r"validation_fraction must be in \[0, 1\)"),
    (dict(validation_fraction=0.0, early_stopping=True),
     r"validation_fraction must be in \(0, 1\)"),
    (dict(beta_2=1.0), "beta_2 must be in"),
    (dict(epsilon=0.0), "epsilon must be a positive number"),
    (dict(shuffle="yes"), "shuffle must be True or False"),
    (dict(dtype=np.int32), "dtype must be None, numpy.float32 or numpy.float64"),
    (dict(n_iter_no_change=0), "n_iter_no_change must be a positive integer or numpy.inf"),
    (dict(max_fun=0), "max_fun must be a positive integer"),
    (dict(activation=("relu", "tanh")), "activation has 2 names but there are 1 hidden layers"),
    (dict(activation=("swish",)), "activation must be one of"),
    (dict(class_weight="even"), "class_weight must be None, 'balanced' or a dict"),
    (dict(class_weight={7: 2.0}), r"class_weight names classes \[7\]"),
    (dict(class_weight={0: -1.0}), r"class_weight\[0\] must be a positive number"),
    (dict(random_state="seed"), "random_state must be"),
])
def test_bad_parameters_are_refused_in_fit(iris, params, message):
    clf = MLPClassifier(**params)  # the constructor only stores them
    with pytest.raises(ValueError, match=message):
        clf.fit(*iris)


# --- partial_fit and warm_start -----------------------------------------------------------------


def test_partial_fit(iris):
    X, y = iris
    clf = MLPClassifier((8,), learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert clf.classes_.tolist() == [0, 1, 2] and clf.n_outputs_ == 3
    for _ in range(30):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 31
    assert clf.t_ == 100 + 30 * 150
    assert clf.loss_curve_[-1] < clf.loss_curve_[1]
    with pytest.raises(ValueError, match=r"`y` has classes not in `self.classes_`"):
        clf.partial_fit(X[:3], [0, 1, 7])
    with pytest.raises(ValueError, match="X has 3 features"):
        clf.partial_fit(X[:, :3], y)
    # as scikit-learn: with early stopping the method exists and refuses; with L-BFGS it is absent
    assert hasattr(MLPClassifier(early_stopping=True), "partial_fit")
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")


def test_warm_start_continues_from_the_previous_weights(iris):
    X, y = iris
    clf = quiet_fit(MLPClassifier((8,), max_iter=10, warm_start=True, random_state=0), X, y)
    first_curve = list(clf.loss_curve_)
    quiet_fit(clf, X, y)
    assert clf.loss_curve_[:10] == first_curve and len(clf.loss_curve_) == 20
    assert clf.loss_curve_[10] < first_curve[0]
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same "
                                         "classes as in the previous call to fit"):
        clf.fit(X[y < 2], y[y < 2])


def test_fit_is_deterministic_and_refit_starts_over(iris):
    X, y = iris
    a = quiet_fit(MLPClassifier((8,), max_iter=20, random_state=7), X, y)
    first = [W.copy() for W in a.coefs_]
    quiet_fit(a, X, y)
    for W, W0 in zip(a.coefs_, first):
        np.testing.assert_array_equal(W, W0)


def test_feature_names_from_a_dataframe(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    clf = quiet_fit(MLPClassifier((4,), max_iter=5, random_state=0), frame, y)
    assert clf.feature_names_in_.tolist() == ["sl", "sw", "pl", "pw"]
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


# --- scikit-learn tooling -----------------------------------------------------------------------


def test_pipeline_grid_search_and_cross_validation_in_parallel(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=40, learning_rate_init=0.02,
                                                         random_state=0))
    grid = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(4,), (16,)],
                               "mlpclassifier__alpha": [1e-4, 1e-1]}, cv=3, n_jobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, y)
        assert grid.best_score_ > 0.8 and len(grid.cv_results_["params"]) == 4
        serial = cross_val_score(pipe, X, y, cv=3)
        parallel = cross_val_score(pipe, X, y, cv=3, n_jobs=2)
        with parallel_backend("threading", n_jobs=2):
            threaded = cross_val_score(pipe, X, y, cv=3)
    np.testing.assert_array_equal(serial, parallel)
    np.testing.assert_array_equal(serial, threaded)
    assert serial.mean() > 0.8


def test_a_pickled_estimator_predicts_and_trains_on_as_the_original(iris):
    """pickle and joblib (GridSearchCV with n_jobs, Dask) copy an estimator as any
    scikit-learn estimator: its __dict__, with the network and the optimizer's state."""
    X, y = iris
    clf = quiet_fit(MLPClassifier((8,), max_iter=5, random_state=0), X, y)
    copy = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))
    for est in (clf, copy):
        est.partial_fit(X, y)
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))


def test_blobs_with_many_classes_and_minibatches():
    X, y = make_blobs(400, centers=5, random_state=0)
    clf = quiet_fit(MLPClassifier((16,), batch_size=32, learning_rate_init=0.01, max_iter=30,
                                  random_state=0), X, y)
    assert clf.score(X, y) > 0.9


def test_warm_start_may_switch_early_stopping_on_and_off(iris):
    X, y = iris
    clf = quiet_fit(MLPClassifier((4,), max_iter=5, warm_start=True, random_state=0), X, y)
    quiet_fit(clf.set_params(early_stopping=True, n_iter_no_change=100), X, y)
    assert len(clf.validation_scores_) == 5 and len(clf.loss_curve_) == 10
    quiet_fit(clf.set_params(early_stopping=False), X, y)
    assert np.isfinite(clf.best_loss_) and len(clf.loss_curve_) == 15
