"""Every scikit-learn estimator check for MLPRegressor, with no expected failures, for several
configurations (and the classifier with solver='lbfgs')."""

from __future__ import annotations

from _estimator_checks import run_check
from sklearn.utils.estimator_checks import parametrize_with_checks

from scratchnn import MLPRegressor

CONFIGURATIONS = [
    MLPRegressor(),  # scikit-learn's defaults: hidden (100,), adam, max_iter=200
    MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.01, max_iter=60,
                 learning_rate="invscaling", power_t=0.25),
    MLPRegressor(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=100),
    MLPRegressor(hidden_layer_sizes=(8, 6), activation="tanh", early_stopping=True,
                 learning_rate_init=0.01, max_iter=100),
    MLPRegressor(hidden_layer_sizes=(6,), loss="huber", learning_rate_init=0.01, max_iter=80),
]


@parametrize_with_checks(CONFIGURATIONS)
def test_scikit_learn_estimator_checks(estimator, check):
    run_check(estimator, check)
