"""R² against scikit-learn's MLPRegressor: 5-fold cross-validated R² within 0.02 of it with
matched settings (features and targets standardised in the pipeline), on three data sets."""

from __future__ import annotations

import warnings

import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_linnerud, make_friedman1
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neural_network import MLPRegressor as SklearnMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from scratchnn import MLPRegressor

ADAM = dict(hidden_layer_sizes=(64,), solver="adam", alpha=1.0, max_iter=500, random_state=0)
# linnerud has 20 samples (4 per fold) and 3 targets: a (64,) network only overfits there
SMALL = dict(hidden_layer_sizes=(8,), solver="lbfgs", alpha=30.0, max_iter=500, random_state=0)

CASES = {
    "diabetes": (lambda: load_diabetes(return_X_y=True), ADAM),
    "friedman1": (lambda: make_friedman1(n_samples=1000, random_state=0), ADAM),
    "linnerud": (lambda: load_linnerud(return_X_y=True), SMALL),
}


def cross_validated_r2(regressor, X, y) -> float:
    pipe = make_pipeline(StandardScaler(),
                         TransformedTargetRegressor(regressor, transformer=StandardScaler()))
    folds = KFold(n_splits=5, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter, for both
        return cross_val_score(pipe, X, y, cv=folds, scoring="r2").mean()


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_cross_validated_r2_matches_scikit_learn(name):
    load, settings = CASES[name]
    X, y = load()
    ours = cross_validated_r2(MLPRegressor(**settings), X, y)
    theirs = cross_validated_r2(SklearnMLP(**settings), X, y)
    print(f"{name}: sklearn {theirs:.4f}, scratchnn {ours:.4f}, difference {ours - theirs:+.4f}")
    assert abs(ours - theirs) <= 0.02, f"{name}: ours {ours:.4f}, sklearn {theirs:.4f}"
