"""Accuracy against scikit-learn: 5-fold cross-validated accuracy within 0.02 of its
MLPClassifier with matched settings, for the solvers 'adam' and 'lbfgs', on four classic data
sets (full size)."""

from __future__ import annotations

import warnings

import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from scratchnn import MLPClassifier

SETTINGS = dict(hidden_layer_sizes=(64,), max_iter=500, random_state=0)


@pytest.mark.slow
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("loader", [load_iris, load_wine, load_breast_cancer, load_digits])
def test_cross_validated_accuracy_matches_scikit_learn(loader, solver):
    X, y = loader(return_X_y=True)
    settings = {**SETTINGS, "solver": solver}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = cross_val_score(make_pipeline(StandardScaler(), MLPClassifier(**settings)),
                               X, y, cv=5).mean()
        theirs = cross_val_score(make_pipeline(StandardScaler(), SklearnMLP(**settings)),
                                 X, y, cv=5).mean()
    print(f"{loader.__name__}, {solver}: sklearn {theirs:.4f}, scratchnn {ours:.4f}")
    assert abs(ours - theirs) <= 0.02, (f"{loader.__name__}, {solver}: ours {ours:.4f}, "
                                        f"sklearn {theirs:.4f}")
    assert ours > 0.9
