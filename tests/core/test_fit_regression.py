"""fit with regression losses: History records R² (not accuracy), on training and validation
data, for MSE, Huber, MAE and Poisson."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import r2_score

import scratchnn as snn
from scratchnn.training import R2Sums


def test_r2_sums_over_batches_equal_scikit_learns_r2():
    rng = np.random.default_rng(0)
    y, z = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    sums = R2Sums(snn.MeanSquaredError())
    for start in range(0, 50, 7):
        sums.add(z[start:start + 7], y[start:start + 7])
    assert sums.value() == pytest.approx(r2_score(y, z), rel=1e-12)
    poisson = R2Sums(snn.PoissonNLLLoss())
    poisson.add(z, np.abs(y))
    assert poisson.value() == pytest.approx(r2_score(np.abs(y), np.exp(z)), rel=1e-12)


@pytest.mark.parametrize("loss", ["mse", "huber", "mae"])
def test_fit_records_r2_for_regression_losses(loss):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 2))
    y = (np.sin(2 * X[:, :1]) + X[:, 1:] ** 2)
    model = snn.mlp([2, 16, 1], "tanh", rng=0)
    history = snn.fit(model, X, y, loss=loss, optimizer=snn.Adam(model.parameters(), lr=0.02),
                      epochs=300, batch_size=50, rng=0, validation_split=0.2)
    assert len(history.r2) == len(history.val_r2) == 300
    assert history.accuracy == [] and history.val_accuracy == []
    assert history.r2[-1] > 0.9 and history.val_r2[-1] > 0.9
    assert history.r2[-1] > history.r2[0]
    assert "r2" in history.rows()[0] and "val_r2" in history.rows()[0]


def test_classification_still_records_accuracy():
    from scratchnn import datasets

    X, y = datasets.moons(200, random_state=0)
    model = snn.mlp([2, 8, 1], "tanh", rng=0)
    history = snn.fit(model, X, y, lr=0.5, epochs=50)
    assert len(history.accuracy) == 50 and history.r2 == []
