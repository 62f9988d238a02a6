"""Accuracy against scikit-learn: 5-fold cross-validated accuracy within 0.02 of its
MLPClassifier with matched settings, on four classic data sets (full size)."""

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

SETTINGS = dict(hidden_layer_sizes=(64,), solver="adam", max_iter=500, random_state=0)


@pytest.mark.slow
@pytest.mark.parametrize("loader", [load_iris, load_wine, load_breast_cancer, load_digits])
def test_cross_validated_accuracy_matches_scikit_learn(loader):
    X, y = loader(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = cross_val_score(make_pipeline(StandardScaler(), MLPClassifier(**SETTINGS)),
                               X, y, cv=5).mean()
        theirs = cross_val_score(make_pipeline(StandardScaler(), SklearnMLP(**SETTINGS)),
                                 X, y, cv=5).mean()
    assert abs(ours - theirs) <= 0.02, f"{loader.__name__}: ours {ours:.4f}, sklearn {theirs:.4f}"
    assert ours > 0.9
