"""The regression datasets: Playground's plane and multi_gaussian, and a noisy sine."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnn import datasets


@pytest.mark.parametrize("name", list(datasets.REGRESSION_DATASETS))
def test_shapes_types_and_determinism(name):
    X, y = datasets.load(name, n_samples=50, random_state=3)
    assert X.dtype == y.dtype == np.float64 and y.shape == (50,) and X.shape[0] == 50
    X2, y2 = datasets.load(name, n_samples=50, random_state=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    with pytest.raises(ValueError, match="noise must be a number >= 0"):
        datasets.load(name, noise=-1.0)


def test_plane_without_noise_is_exactly_linear():
    X, y = datasets.plane(100, random_state=0)
    np.testing.assert_allclose(y, 0.6 * (X[:, 0] + X[:, 1]))
    X, noisy = datasets.plane(100, noise=0.2, random_state=0)
    assert 0 < np.abs(noisy - 0.6 * X.sum(axis=1)).max() <= 0.6 * 2 * 0.2 + 1e-12


def test_multi_gaussian_peaks_at_its_centres_with_playgrounds_signs():
    X, y = datasets.multi_gaussian(4000, random_state=0)
    assert y.min() >= -1 and y.max() <= 1
    # near Playground's (-4, 2.5) bump (sign +) and (0, 2.5) bump (sign -)
    near = np.linalg.norm(6 * X - [-4, 2.5], axis=1) < 0.5
    assert near.any() and (y[near] > 0.7).all()
    near = np.linalg.norm(6 * X - [0, 2.5], axis=1) < 0.5
    assert near.any() and (y[near] < -0.7).all()
    far = np.linalg.norm(6 * X[:, None] - datasets._PLAYGROUND_GAUSSIANS[None, :, :2],
                         axis=2).min(axis=1) > 2
    assert far.any() and (y[far] == 0).all()


def test_sine_is_sin_plus_noise():
    X, y = datasets.sine(2000, noise=0.1, random_state=0)
    assert X.shape == (2000, 1) and np.abs(X).max() <= np.pi
    residual = y - np.sin(X[:, 0])
    assert abs(residual.std() - 0.1) < 0.01 and abs(residual.mean()) < 0.01


def test_an_mlp_regressor_learns_them():
    from scratchnn import MLPRegressor

    for name in datasets.REGRESSION_DATASETS:
        X, y = datasets.load(name, n_samples=400, random_state=0)
        reg = MLPRegressor(hidden_layer_sizes=(16,), activation="tanh", solver="lbfgs",
                           max_iter=2000, random_state=0).fit(X, y)
        assert reg.score(X, y) > 0.9, name  # measured: plane, sine > 0.99; multi_gaussian 0.94
