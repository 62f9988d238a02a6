"""MLPRegressor: scikit-learn's MLPRegressor on scratchnn's core (see test_regressor_checks.py
for scikit-learn's own estimator checks, test_regressor_parity.py for the R² parity)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_regression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import scratchnn as snn
from scratchnn import MLPRegressor


def net(*hidden, **params):
    """``MLPRegressor`` with these hidden layer sizes (``loss`` is its first positional
    parameter, as in scikit-learn)."""
    return MLPRegressor(hidden_layer_sizes=hidden, **params)


def quiet_fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y, **kwargs)


@pytest.fixture(scope="module")
def linear():
    X, y = make_regression(n_samples=200, n_features=4, noise=1.0, random_state=0)
    return StandardScaler().fit_transform(X), y / y.std()


def test_defaults_and_fitted_attributes_follow_scikit_learn(linear):
    X, y = linear
    from sklearn.neural_network import MLPRegressor as Reference

    ours = MLPRegressor().get_params()
    theirs = Reference().get_params()
    assert {k: ours[k] for k in theirs} == theirs
    reg = quiet_fit(net(16, learning_rate_init=0.01, random_state=0), X, y)
    assert reg.out_activation_ == "identity" and reg.n_outputs_ == 1 and reg.n_layers_ == 3
    assert [W.shape for W in reg.coefs_] == [(4, 16), (16, 1)]
    assert reg.predict(X).shape == (200,)
    assert reg.score(X, y) > 0.98
    assert len(reg.loss_curve_) == reg.n_iter_ and reg.loss_ == reg.loss_curve_[-1]


def test_loss_curve_is_scikit_learns_half_squared_error(linear):
    X, y = linear
    reg = quiet_fit(net(8, alpha=0.0, max_iter=1, batch_size=200, shuffle=False,
                                 random_state=0), X, y)
    # one full-batch Adam step: the recorded loss is the one before the step
    fresh = quiet_fit(net(8, alpha=0.0, max_iter=1, batch_size=200, shuffle=False,
                                   random_state=0, learning_rate_init=1e-12), X, y)
    predicted = fresh.predict(X)
    assert reg.loss_curve_[0] == pytest.approx(0.5 * np.mean((predicted - y) ** 2), rel=1e-9)


def test_multi_output_targets(linear):
    X, y = linear
    Y = np.column_stack([y, -2 * y, y**2 / 4])
    reg = quiet_fit(net(32, solver="lbfgs", random_state=0), X, Y)
    assert reg.n_outputs_ == 3 and reg.predict(X).shape == (200, 3)
    assert reg.score(X, Y) > 0.95
    # a single column stays 2-D in y but predictions are 1-D, as scikit-learn's
    one = quiet_fit(net(4, max_iter=5, random_state=0), X, y.reshape(-1, 1))
    assert one.predict(X).shape == (200,)


def test_early_stopping_validates_on_r2_and_restores_the_best_epoch(linear):
    X, y = linear
    reg = quiet_fit(net(8, early_stopping=True, learning_rate_init=0.01,
                                 max_iter=300, random_state=0), X, y)
    scores = reg.validation_scores_
    assert len(scores) == len(reg.val_loss_curve_) == reg.n_iter_
    assert reg.best_validation_score_ == max(scores) > 0.9 and reg.best_loss_ is None


def test_partial_fit_and_warm_start(linear):
    X, y = linear
    reg = net(8, learning_rate_init=0.01, random_state=0)
    for _ in range(20):
        reg.partial_fit(X, y)
    assert reg.n_iter_ == 1 and len(reg.loss_curve_) == 20
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]
    with pytest.raises(ValueError, match="y has 2 targets, but the regressor was fitted on 1"):
        reg.partial_fit(X, np.column_stack([y, y]))
    warm = quiet_fit(net(8, max_iter=5, warm_start=True, random_state=0), X, y)
    first = list(warm.loss_curve_)
    quiet_fit(warm, X, y)
    assert warm.loss_curve_[:5] == first and len(warm.loss_curve_) == 10
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        MLPRegressor(early_stopping=True).partial_fit(X, y)
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")


def test_integer_sample_weights_equal_repeated_samples(linear):
    X, y = linear
    X, y = X[:40], y[:40]
    w = np.random.default_rng(0).integers(0, 4, 40)
    params = dict(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=50, random_state=0)
    weighted = quiet_fit(MLPRegressor(**params), X, y, sample_weight=w)
    repeated = quiet_fit(MLPRegressor(**params), np.repeat(X, w, 0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("loss", ["absolute_error", "huber", "squared_error"])
def test_robust_losses_fit_a_line_with_outliers(loss):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (300, 1))
    y = 2 * X[:, 0] + rng.normal(0, 0.05, 300)
    y[:15] += 30  # gross outliers
    reg = quiet_fit(MLPRegressor(loss=loss, hidden_layer_sizes=(), solver="lbfgs",
                                 alpha=0.0, random_state=0), X, y)
    slope = reg.coefs_[0][0, 0]
    if loss == "squared_error":
        assert reg.intercepts_[0][0] > 1  # pulled up by the outliers
    else:
        assert slope == pytest.approx(2, abs=0.1) and abs(reg.intercepts_[0][0]) < 0.3


def test_poisson_loss_predicts_rates_with_a_log_link():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (2000, 2))
    rate = np.exp(0.5 + X[:, 0] - 0.5 * X[:, 1])
    y = rng.poisson(rate).astype(float)
    reg = quiet_fit(MLPRegressor(loss="poisson", hidden_layer_sizes=(), solver="lbfgs",
                                 alpha=0.0, random_state=0), X, y)
    assert reg.out_activation_ == "exp"
    np.testing.assert_allclose(reg.coefs_[0][:, 0], [1.0, -0.5], atol=0.1)
    assert np.all(reg.predict(X) > 0)
    with pytest.raises(ValueError, match="loss='poisson' needs non-negative targets"):
        MLPRegressor(loss="poisson").fit(X, y - 5)


@pytest.mark.parametrize("params, message", [
    (dict(loss="quantile"), "loss must be one of"),
    (dict(loss=(16,)), r"pass hidden_layer_sizes by name: MLPRegressor\(hidden_layer_sizes="),
    (dict(huber_delta=0.0), "huber_delta must be a positive number"),
    (dict(solver="newton"), "solver must be one of"),
    (dict(max_fun=0), "max_fun must be a positive integer"),
])
def test_bad_parameters_are_refused(linear, params, message):
    with pytest.raises(ValueError, match=message):
        MLPRegressor(**params).fit(*linear)


def test_works_in_pipeline_grid_search_cross_val_and_transformed_target(linear):
    X, y = linear
    y = 100 * y + 500  # far from 0 and unit scale: TransformedTargetRegressor standardises it
    pipe = make_pipeline(StandardScaler(), net(8, solver="lbfgs", random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.min() > 0.9
    grid = GridSearchCV(MLPRegressor(solver="lbfgs", random_state=0),
                        {"hidden_layer_sizes": [(2,), (8,)]}, cv=3).fit(X, y / 100 - 5)
    assert grid.best_params_["hidden_layer_sizes"] in [(2,), (8,)]
    ttr = TransformedTargetRegressor(net(8, solver="lbfgs", random_state=0),
                                     transformer=StandardScaler()).fit(X, y)
    assert ttr.score(X, y) > 0.95


def test_save_and_load_round_trip(linear, tmp_path):
    X, y = linear
    Y = np.column_stack([y, y / 2])
    reg = quiet_fit(net(5, 3, activation=("tanh", "relu"), max_iter=20,
                                 random_state=0), X, Y)
    path = snn.save(reg, tmp_path / "reg.npz")
    back = snn.load(path)
    assert type(back) is MLPRegressor and back.get_params() == reg.get_params()
    np.testing.assert_array_equal(back.predict(X), reg.predict(X))
    assert back.loss_curve_ == reg.loss_curve_ and back.n_outputs_ == 2


def test_float32_data_gives_float32_weights(linear):
    X, y = linear
    reg = quiet_fit(net(4, max_iter=3, random_state=0), X.astype(np.float32), y)
    assert reg.coefs_[0].dtype == np.float32 and reg.predict(X).dtype == np.float32


def test_activations_returns_every_layer(linear):
    X, y = linear
    reg = quiet_fit(net(5, 3, max_iter=3, random_state=0), X, y)
    layers = reg.activations(X[:10])
    assert [a.shape for a in layers] == [(10, 5), (10, 3), (10, 1)]
    assert (layers[0] >= 0).all()  # after the ReLU
    np.testing.assert_allclose(layers[-1][:, 0], reg.predict(X[:10]))


# --- targets far from unit scale ----------------------------------------------------------------


def diabetes_split():
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    X, y = load_diabetes(return_X_y=True)
    return train_test_split(X, y, random_state=0)


def test_raw_diabetes_targets_warn_once_with_the_fix():
    X_train, X_test, y_train, y_test = diabetes_split()  # targets: mean 152, std 77
    reg = make_pipeline(StandardScaler(), net(16, max_iter=50, random_state=0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reg.fit(X_train, y_train)
    scale = [w for w in caught if "far from unit scale" in str(w.message)]
    assert len(scale) == 1  # once per fit, not once per epoch
    message = str(scale[0].message)
    assert "the targets have mean 151.9 and standard deviation 79.08" in message
    assert "TransformedTargetRegressor" in message and "StandardScaler()" in message
    assert reg.score(X_test, y_test) < 0  # what the warning is about
    with pytest.warns(UserWarning, match="far from unit scale") as record:
        quiet_fit_keep_scale_warning(net(4, max_iter=5, random_state=0), X_train, y_train)
    assert record[0].filename == __file__  # it points at the caller's fit


def test_lbfgs_reaches_any_scale_and_is_not_warned_about():
    X_train, X_test, y_train, y_test = diabetes_split()
    reg = make_pipeline(StandardScaler(), net(8, solver="lbfgs", alpha=10.0, random_state=0))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*far from unit scale")
        warnings.simplefilter("ignore", category=snn_convergence_warning())
        reg.fit(X_train, y_train)
    assert reg.score(X_test, y_test) > 0.15  # raw targets reached (adam at 50 epochs: below 0)


def test_scaled_targets_do_not_warn_and_score_well():
    X_train, X_test, y_train, y_test = diabetes_split()
    reg = TransformedTargetRegressor(
        make_pipeline(StandardScaler(), net(16, alpha=1.0, max_iter=1000, random_state=0)),
        transformer=StandardScaler())
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*far from unit scale")
        warnings.simplefilter("ignore", category=snn_convergence_warning())
        reg.fit(X_train, y_train)
    assert reg.score(X_test, y_test) > 0.3


def snn_convergence_warning():
    from sklearn.exceptions import ConvergenceWarning

    return ConvergenceWarning


def test_partial_fit_warns_on_the_first_call_alone():
    X_train, _, y_train, _ = diabetes_split()
    reg = net(8, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            reg.partial_fit(X_train, y_train)
    assert sum("far from unit scale" in str(w.message) for w in caught) == 1


def test_a_target_column_far_from_unit_scale_is_named():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    y = np.column_stack([X[:, 0], 1000 + 50 * X[:, 1]])
    with pytest.warns(UserWarning, match=r"the target 1 has mean 1\d\d\d(\.\d)? and standard "):
        quiet_fit_keep_scale_warning(net(4, max_iter=5, random_state=0), X, y)


def quiet_fit_keep_scale_warning(est, X, y):
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)
