"""What a scikit-learn user meets in practice, each behaviour next to scikit-learn's own MLP
where it has one: a pickled estimator trains on, divergence with early stopping is recorded,
probabilities agree with their logarithms, labels announced by ``classes=`` are learned, the
messages users match on, and estimators refused before they allocate a huge network."""

from __future__ import annotations

import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnClassifier
from sklearn.neural_network import MLPRegressor as SklearnRegressor
from sklearn.preprocessing import StandardScaler

from scratchnn import MLPClassifier, MLPRegressor, TrainingDivergedError

NON_FINITE = ("Solver produced non-finite parameter weights. The input data may contain large "
              "values and need to be preprocessed.")


def quiet(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


# --- a pickled estimator trains on ---------------------------------------------------------


@pytest.mark.parametrize("mlp", [MLPRegressor, SklearnRegressor])
def test_a_regressor_loaded_by_joblib_learns_a_new_target_with_partial_fit(mlp, tmp_path):
    reg = quiet(mlp(hidden_layer_sizes=(42,), random_state=42, learning_rate_init=0.01),
                [[2]], [4])
    saved = reg.predict([[2]])[0]
    assert saved > 4  # adam's 200 steps from a small start
    joblib.dump(reg, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    for _ in range(200):
        loaded.partial_fit([[2]], [1])
    assert loaded.predict([[2]])[0] == pytest.approx(1, abs=0.01)
    assert reg.predict([[2]])[0] == saved  # the original is untouched


# --- divergence ------------------------------------------------------------------------------


def diverging(mlp, early_stopping):
    return mlp(hidden_layer_sizes=100, activation="identity", solver="sgd",
               learning_rate_init=1, max_iter=20, early_stopping=early_stopping,
               random_state=0)


@pytest.mark.parametrize("mlp", [MLPRegressor, SklearnRegressor])
def test_with_early_stopping_an_overflowing_run_finishes_with_nan_as_its_last_score(mlp):
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with np.errstate(all="ignore"):  # scikit-learn's own run overflows loudly
            reg = diverging(mlp, True).fit(X, y)
    assert np.isnan(reg.validation_scores_[-1])
    assert np.isfinite(reg.validation_scores_[0])
    assert reg.best_validation_score_ == max(s for s in reg.validation_scores_ if s == s)
    # the best epoch's weights are restored: finite, and they predict
    assert all(np.isfinite(W).all() for W in reg.coefs_)
    assert np.isfinite(reg.predict(X)).all()


def test_our_run_says_the_weights_diverged_and_which_epoch_it_restored():
    X, y = load_iris(return_X_y=True)
    with pytest.warns(ConvergenceWarning, match=r"stopped being finite at epoch \d+.*best "
                                                r"epoch \(1\)"):
        reg = diverging(MLPRegressor, True).fit(X, y)
    assert len(reg.validation_scores_) < 20  # nothing is learned from non-finite weights


@pytest.mark.parametrize("mlp", [MLPRegressor, SklearnRegressor])
def test_without_early_stopping_divergence_is_scikit_learns_value_error(mlp):
    X, y = load_iris(return_X_y=True)
    with np.errstate(all="ignore"), pytest.raises(ValueError) as caught:
        diverging(mlp, False).fit(X, y)
    assert str(caught.value).startswith(NON_FINITE)
    if mlp is MLPRegressor:  # ours: still a TrainingDivergedError, with advice after the text
        assert isinstance(caught.value, TrainingDivergedError)
        assert isinstance(caught.value, FloatingPointError)
        assert "lower learning_rate_init" in str(caught.value)


def test_an_l2_term_that_diverges_is_worded_as_scikit_learn_and_names_alpha():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="alpha") as caught:
        quiet(MLPClassifier((4,), solver="sgd", alpha=1e6, max_iter=50, random_state=0),
              StandardScaler().fit_transform(X), y)
    assert str(caught.value).startswith(NON_FINITE) and caught.value.cause == "alpha"


# --- probabilities and their logarithms ------------------------------------------------------


def test_binary_probabilities_are_each_computed_from_the_logit():
    X, y = load_iris(return_X_y=True)
    X, y = StandardScaler().fit_transform(X[:100]), y[:100]  # two separable classes
    clf = quiet(MLPClassifier((20,), solver="lbfgs", random_state=0), X * 30, y)
    z = clf.activations(X * 30)[-1][:, 0]
    assert np.abs(z).max() > 40  # confident: 1 - sigmoid(z) would round to 0 here
    proba = clf.predict_proba(X * 30)
    assert (proba > 0).all()
    np.testing.assert_allclose(proba[:, 0], np.exp(-np.logaddexp(0, z)), rtol=1e-12)
    np.testing.assert_array_equal(clf.predict_log_proba(X * 30), np.log(proba))


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_multilabel_log_probabilities_rank_the_labels_as_the_probabilities(solver):
    X, Y = make_multilabel_classification(n_samples=50, random_state=0)
    clf = quiet(MLPClassifier(solver=solver, random_state=0), X, Y)
    proba, log_proba = clf.predict_proba(X), clf.predict_log_proba(X)
    np.testing.assert_array_equal(log_proba, np.log(proba))
    np.testing.assert_array_equal(log_proba.argmax(axis=1), proba.argmax(axis=1))


# --- classes announced before they are seen --------------------------------------------------


@pytest.mark.parametrize("mlp", [MLPClassifier, SklearnClassifier])
def test_a_label_announced_by_classes_and_seen_later_is_learned(mlp):
    X, y = [[1], [2], [3], [4]], ["a", "b", "c", "d"]
    clf = mlp(hidden_layer_sizes=(20,), learning_rate_init=0.01, random_state=0)
    clf.partial_fit(X[:3], y[:3], classes=["a", "b", "c", "d"])
    before = clf.predict_proba([[4]])[0, 3]
    clf.partial_fit(X[3:], y[3:])  # the first time "d" is seen
    assert clf.predict_proba([[4]])[0, 3] > before  # "d" is the fourth output
    for _ in range(300):
        clf.partial_fit(X[:3], y[:3])
        clf.partial_fit(X[3:], y[3:])
    assert clf.score(X, y) == 1.0
    assert clf.classes_.tolist() == ["a", "b", "c", "d"]


# --- messages users match on -----------------------------------------------------------------


@pytest.mark.parametrize(("labels", "shown"), [
    (["False"] * 19 + ["True"], "['True']"),
    ([3] * 19 + [7], "[7]"),  # the label, not its index (1)
])
def test_a_one_member_class_is_named_as_the_user_wrote_it(labels, shown):
    X = np.arange(20.0).reshape(-1, 1)
    with pytest.raises(ValueError, match="least populated classes") as caught:
        MLPClassifier(early_stopping=True, max_iter=5).fit(X, labels)
    assert f"Classes with too few members are: {shown}" in str(caught.value)


@pytest.mark.parametrize(("mlp", "n"), [(MLPRegressor, 1), (MLPRegressor, 2),
                                        (MLPRegressor, 5), (SklearnRegressor, 2),
                                        (SklearnRegressor, 5)])
def test_a_regressors_validation_set_too_small_for_r2_is_refused(mlp, n):
    X = np.arange(float(n)).reshape(-1, 1)  # 0.1 of n holds out one sample: R² needs two
    with pytest.raises(ValueError, match="The validation set is too small"):
        mlp(early_stopping=True, max_iter=5).fit(X, X.ravel())
    X = np.arange(4.0).reshape(-1, 1)  # 0.5 of 4 holds out two
    quiet(mlp(early_stopping=True, max_iter=5, validation_fraction=0.5), X, X.ravel())


@pytest.mark.parametrize("mlp", [MLPClassifier, SklearnClassifier])
def test_a_classifiers_validation_set_needs_one_sample_per_class(mlp):
    X = np.arange(20.0).reshape(-1, 1)
    y = np.arange(20) % 2  # 0.1 of 20 holds out 2 samples: enough for the 2 classes
    quiet(mlp(early_stopping=True, max_iter=5), X, y)
    with pytest.raises(ValueError, match=r"(The validation set is too small|test_size)"):
        mlp(early_stopping=True, max_iter=5).fit(X[:10], y[:10])  # one for 2 classes


def test_our_too_small_message_says_what_was_held_out_and_what_is_needed():
    X = np.arange(20.0).reshape(-1, 1)
    with pytest.raises(ValueError, match=r"^The validation set is too small\. Increase "
                                         r"'validation_fraction' or the size of your dataset: "
                                         r"validation_fraction=0\.1 of 20 samples holds out 2, "
                                         r"and early stopping needs at least 3"):
        MLPClassifier(early_stopping=True).fit(X, np.arange(20) % 3)


@pytest.mark.parametrize("mlp", [MLPClassifier, SklearnClassifier, MLPRegressor,
                                 SklearnRegressor])
def test_lbfgs_stopped_by_max_fun_warns_that_it_did_not_converge(mlp):
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16, y[:300]
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        est = mlp(solver="lbfgs", max_fun=5, max_iter=150, random_state=0).fit(X, y)
    assert est.n_iter_ <= 5


# --- networks too large for the machine --------------------------------------------------------


@pytest.mark.parametrize("mlp", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_network_too_large_for_memory_is_refused_before_it_is_allocated(mlp, solver):
    X, y = np.random.default_rng(0).normal(size=(50, 4)), np.arange(50) % 2
    with pytest.raises(ValueError, match=r"^hidden_layer_sizes=\(1000000000,\): this run would "
                                         r"need about .* of memory .*6,000,000,001 parameters"
                                         r".* is available; use smaller or fewer hidden"):
        mlp(hidden_layer_sizes=(10**9,), solver=solver).fit(X, y)
    assert not hasattr(mlp(), "model_")
