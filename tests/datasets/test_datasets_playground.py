"""TensorFlow Playground's six data sets (``datasets.playground``): shapes, labels, ranges,
determinism, what noise does, and a statistical comparison with a line-by-line transcription of
Playground's ``dataset.ts`` (``reference`` below, which draws point by point as its page does)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy.stats import ks_2samp

from scratchnn import datasets

NAMES = ["circle", "xor", "gauss", "spiral", "reg-plane", "reg-gauss"]
CLASSIFICATION = ["circle", "xor", "gauss", "spiral"]


# --- Playground's dataset.ts, transcribed (its -1 written as 0) --------------------------------


def _normal(r: random.Random, mean: float, variance: float) -> float:
    while True:  # Marsaglia's polar method, as Playground's normalRandom
        v1, v2 = 2 * r.random() - 1, 2 * r.random() - 1
        s = v1 * v1 + v2 * v2
        if 0 < s <= 1:
            return mean + math.sqrt(variance) * math.sqrt(-2 * math.log(s) / s) * v1


class _Random(random.Random):
    def uniform(self, a, b):  # Playground's randUniform
        return self.random() * (b - a) + a


def _ref_gauss(r: _Random, n: int, noise: float) -> list:
    variance = 0.5 + noise / 0.5 * 3.5
    return [(_normal(r, cx, variance), _normal(r, cx, variance), label)
            for cx, label in ((2, 1), (-2, 0)) for _ in range(math.ceil(n / 2))]


def _ref_circle(r: _Random, n: int, noise: float) -> list:
    points = []
    for low, high in ((0, 2.5), (3.5, 5)):
        for _ in range(math.ceil(n / 2)):
            radius, angle = r.uniform(low, high), r.uniform(0, 2 * math.pi)
            x, y = radius * math.sin(angle), radius * math.cos(angle)
            nx, ny = r.uniform(-5, 5) * noise, r.uniform(-5, 5) * noise
            points.append((x, y, int(math.hypot(x + nx, y + ny) < 2.5)))
    return points


def _ref_xor(r: _Random, n: int, noise: float) -> list:
    points = []
    for _ in range(n):
        x = r.uniform(-5, 5)
        x += 0.3 if x > 0 else -0.3
        y = r.uniform(-5, 5)
        y += 0.3 if y > 0 else -0.3
        nx, ny = r.uniform(-5, 5) * noise, r.uniform(-5, 5) * noise
        points.append((x, y, int((x + nx) * (y + ny) >= 0)))
    return points


def _ref_spiral(r: _Random, n: int, noise: float) -> list:
    points, half = [], n / 2
    for delta, label in ((0, 1), (math.pi, 0)):
        for i in range(math.ceil(half)):
            radius, t = i / half * 5, 1.75 * i / half * 2 * math.pi + delta
            points.append((radius * math.sin(t) + r.uniform(-1, 1) * noise,
                           radius * math.cos(t) + r.uniform(-1, 1) * noise, label))
    return points


def _plane(x: float, y: float) -> float:
    return (x + y) / 10  # d3's linear scale from [-10, 10] to [-1, 1], unclamped


def _bumps(x: float, y: float) -> float:
    best = 0.0
    for cx, cy, sign in [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1),
                         (0, -2.5, 1), (4, -2.5, -1)]:
        value = sign * min(max(1 - math.hypot(x - cx, y - cy) / 2, 0), 1)
        if abs(value) > abs(best):
            best = value
    return best


def _ref_regression(target):
    def draw(r: _Random, n: int, noise: float) -> list:
        points = []
        for _ in range(n):
            x, y = r.uniform(-6, 6), r.uniform(-6, 6)
            nx, ny = r.uniform(-6, 6) * noise, r.uniform(-6, 6) * noise
            points.append((x, y, target(x + nx, y + ny)))
        return points
    return draw


REFERENCE = {"circle": _ref_circle, "xor": _ref_xor, "gauss": _ref_gauss,
             "spiral": _ref_spiral, "reg-plane": _ref_regression(_plane),
             "reg-gauss": _ref_regression(_bumps)}


def reference(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    data = np.array(REFERENCE[name](_Random(seed), n, noise))
    return data[:, :2], data[:, 2]


# --- the basics ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_shapes_types_ranges_and_determinism(name):
    X, y = datasets.playground(name, n_samples=301, noise=0.25, random_state=4)
    assert X.shape == (301, 2) and X.dtype == np.float64 and np.isfinite(X).all()
    assert y.shape == (301,)
    if name in CLASSIFICATION:
        assert y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
    else:
        assert y.dtype == np.float64 and np.abs(y).max() <= 1.2 + 6 * 0.25 * 2 / 10
    X2, y2 = datasets.playground(name, n_samples=301, noise=0.25, random_state=4)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = datasets.playground(name, n_samples=301, noise=0.25, random_state=5)
    assert not np.array_equal(X, X3)
    generator = np.random.default_rng(0)  # a Generator is used as it is, and advanced
    first, _ = datasets.playground(name, n_samples=20, random_state=generator)
    second, _ = datasets.playground(name, n_samples=20, random_state=generator)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("name", NAMES)
def test_points_lie_in_playgrounds_square_and_the_rows_are_shuffled(name):
    X, y = datasets.playground(name, n_samples=2000, noise=0.5 if name != "gauss" else 0,
                               random_state=0)
    assert np.abs(X).max() <= 6
    if name in CLASSIFICATION:  # drawn class by class, then shuffled
        assert 0.3 < y[:200].mean() < 0.7


@pytest.mark.parametrize("name", ["gauss", "spiral"])
@pytest.mark.parametrize("n", [2, 3, 500, 501])
def test_classes_drawn_apart_are_balanced(name, n):
    for noise in (0.0, 0.5):
        _, y = datasets.playground(name, n_samples=n, noise=noise, random_state=0)
        assert len(y) == n and np.bincount(y, minlength=2).tolist() == [n // 2, n - n // 2]


def test_circle_and_xor_are_balanced_without_noise():
    _, y = datasets.playground("circle", n_samples=501, random_state=0)
    assert np.bincount(y).tolist() == [250, 251]
    _, y = datasets.playground("xor", n_samples=4000, random_state=0)
    assert abs(y.mean() - 0.5) < 5 * np.sqrt(0.25 / 4000)  # Bernoulli(1/2) per point


@pytest.mark.parametrize(("kwargs", "error", "fragment"), [
    ({"name": "circles"}, ValueError, "unknown Playground data set 'circles'; choose one of: "
                                      "circle, xor, gauss, spiral, reg-plane, reg-gauss"),
    ({"name": None}, ValueError, "unknown Playground data set None"),
    ({"name": "xor", "n_samples": 1}, ValueError, "n_samples must be an integer >= 2"),
    ({"name": "xor", "n_samples": 10.0}, ValueError, "n_samples must be an integer >= 2"),
    ({"name": "xor", "noise": -0.1}, ValueError, "noise must be a number >= 0"),
    ({"name": "xor", "noise": float("nan")}, ValueError, "noise must be a number >= 0"),
    ({"name": "xor", "random_state": -3}, ValueError, "random_state must be None, a seed >= 0"),
    ({"name": "xor", "random_state": "7"}, TypeError, "random_state must be None, a seed >= 0"),
])
def test_bad_arguments_are_refused_with_a_clear_message(kwargs, error, fragment):
    with pytest.raises(error, match=fragment.replace("(", r"\(")):
        datasets.playground(**kwargs)


# --- each generator, by its formula ------------------------------------------------------------


def test_circle_at_noise_0_is_a_disc_inside_a_ring():
    X, y = datasets.playground("circle", n_samples=4000, noise=0.0, random_state=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius[y == 1].max() < 2.5 and radius[y == 0].min() >= 3.5
    assert radius.max() <= 5
    assert not ((radius > 2.5) & (radius < 3.5)).any()  # the gap
    # the radius, not the area, is uniform: half the disc's points within radius 1.25
    assert abs(np.mean(radius[y == 1] < 1.25) - 0.5) < 0.05


def test_circle_with_noise_labels_by_the_moved_point():
    X, y = datasets.playground("circle", n_samples=4000, noise=0.5, random_state=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert (y[radius > 3.5] == 1).any() and (y[radius < 2.5] == 0).any()
    assert not ((radius > 2.5) & (radius < 3.5)).any()  # the points themselves stay put
    assert 0.1 < y.mean() < 0.45  # a moved point leaves the small disc more often


def test_xor_is_padded_from_the_axes_and_labelled_by_sign():
    X, y = datasets.playground("xor", n_samples=4000, noise=0.0, random_state=0)
    assert np.abs(X).min() >= 0.3 and np.abs(X).max() <= 5.3
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] >= 0).astype(int))
    X, y = datasets.playground("xor", n_samples=4000, noise=0.5, random_state=0)
    agree = np.mean(y == (X[:, 0] * X[:, 1] >= 0))
    assert 0.6 < agree < 0.9  # noise flips labels, near the axes most


@pytest.mark.parametrize(("noise", "variance"), [(0.0, 0.5), (0.25, 2.25), (0.5, 4.0)])
def test_gauss_spreads_with_variance_from_half_to_four(noise, variance):
    X, y = datasets.playground("gauss", n_samples=8000, noise=noise, random_state=0)
    for label, centre in ((1, 2.0), (0, -2.0)):
        points = X[y == label]
        np.testing.assert_allclose(points.mean(axis=0), centre, atol=0.1)
        np.testing.assert_allclose(points.var(axis=0), variance, rtol=0.08)
    assert np.unique(X, axis=0).shape[0] == 8000  # never just two points


def test_spiral_at_noise_0_lies_on_two_arms_of_radius_up_to_5():
    n = 500
    X, y = datasets.playground("spiral", n_samples=n, noise=0.0, random_state=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.max() == pytest.approx(5 * (n / 2 - 1) / (n / 2)) and radius.min() == 0
    for label, turn in ((1, 0.0), (0, np.pi)):
        r = np.sort(radius[y == label])
        np.testing.assert_allclose(r, 5 * np.arange(n // 2) / (n / 2), atol=1e-12)
        # on the arm: angle = 1.75 turns times r / 5, plus the arm's turn
        rows = (y == label) & (radius > 0)
        expected = 1.75 * radius[rows] / 5 * 2 * np.pi + turn
        angle = np.arctan2(X[rows, 0], X[rows, 1])  # Playground's x = r sin t, y = r cos t
        np.testing.assert_allclose(np.angle(np.exp(1j * (angle - expected))), 0, atol=1e-9)


def test_spiral_noise_moves_each_coordinate_by_up_to_the_noise():
    clean, y0 = datasets.playground("spiral", n_samples=4000, noise=0.0, random_state=0)
    noisy, y1 = datasets.playground("spiral", n_samples=4000, noise=0.5, random_state=0)
    # same seed, same order of rows: the shift is noisy - clean
    np.testing.assert_array_equal(y0, y1)
    shift = noisy - clean
    assert np.abs(shift).max() <= 0.5 and np.abs(shift).max() > 0.45
    np.testing.assert_allclose(shift.std(axis=0), 0.5 / np.sqrt(3), rtol=0.05)


def test_reg_plane_is_x1_plus_x2_over_10_read_at_the_moved_point():
    X, y = datasets.playground("reg-plane", n_samples=4000, noise=0.0, random_state=0)
    assert np.abs(X).max() <= 6 and np.abs(X).max() > 5.9
    np.testing.assert_allclose(y, X.sum(axis=1) / 10)
    X, y = datasets.playground("reg-plane", n_samples=8000, noise=0.5, random_state=0)
    residual = y - X.sum(axis=1) / 10  # (noise_x + noise_y) / 10, each uniform in +-6 * 0.5
    assert np.abs(residual).max() <= 0.6 + 1e-12
    np.testing.assert_allclose(residual.var(), 2 * (6 * 0.5) ** 2 / 3 / 100, rtol=0.05)


def test_reg_gauss_is_the_strongest_of_six_bumps():
    X, y = datasets.playground("reg-gauss", n_samples=4000, noise=0.0, random_state=0)
    centres = np.array([[-4, 2.5], [0, 2.5], [4, 2.5], [-4, -2.5], [0, -2.5], [4, -2.5]])
    signs = np.array([1, -1, 1, -1, 1, -1])
    bumps = signs * np.clip(1 - np.linalg.norm(X[:, None] - centres, axis=2) / 2, 0, 1)
    np.testing.assert_allclose(y, bumps[np.arange(len(X)), np.abs(bumps).argmax(axis=1)])
    assert np.abs(y).max() <= 1 and (y == 0).any()


@pytest.mark.parametrize("name", NAMES)
def test_noise_0_and_noise_half_differ(name):
    X0, y0 = datasets.playground(name, n_samples=500, noise=0.0, random_state=1)
    X1, y1 = datasets.playground(name, n_samples=500, noise=0.5, random_state=1)
    assert not (np.array_equal(X0, X1) and np.array_equal(y0, y1))


# --- against Playground, statistically ---------------------------------------------------------


@pytest.mark.parametrize("noise", [0.0, 0.25, 0.5])
@pytest.mark.parametrize("name", NAMES)
def test_same_distribution_as_playgrounds_dataset_ts(name, noise):
    """Two-sample Kolmogorov-Smirnov tests (fixed seeds: the outcome is fixed) of x1, x2, the
    radius and the target, or of each class's radius, x1 and x1 * x2, against the
    transcription; and the same class balance."""
    n = 4000
    X, y = datasets.playground(name, n_samples=n, noise=noise, random_state=11)
    X_ref, y_ref = reference(name, n, noise, seed=11)
    assert X_ref.shape == X.shape
    samples = {"x1": (X[:, 0], X_ref[:, 0]), "x2": (X[:, 1], X_ref[:, 1]),
               "radius": (np.hypot(*X.T), np.hypot(*X_ref.T))}
    if name in CLASSIFICATION:
        for label in (0, 1):
            ours, theirs = X[y == label], X_ref[y_ref == label]
            samples[f"radius of class {label}"] = (np.hypot(*ours.T), np.hypot(*theirs.T))
            samples[f"x1 * x2 of class {label}"] = (ours.prod(axis=1), theirs.prod(axis=1))
            samples[f"x1 of class {label}"] = (ours[:, 0], theirs[:, 0])
        assert abs(y.mean() - y_ref.mean()) < 5 * np.sqrt(0.5 / n)
    else:
        samples["target"] = (y, y_ref)
    for what, (ours, theirs) in samples.items():
        assert ks_2samp(ours, theirs, method="asymp").pvalue > 1e-3, what
