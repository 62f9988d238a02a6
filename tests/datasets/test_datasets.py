"""Toy datasets, the stratified split and ``FeatureLift``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from scratchnn import datasets
from scratchnn.datasets import FeatureLift

GENERATORS = {name: generator for name, (generator, _) in datasets.DATASETS.items()}
BINARY = ["circles", "moons", "xor", "gaussians"]


# --- generators ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(GENERATORS))
def test_shapes_and_types(name):
    X, y = GENERATORS[name](n_samples=101, random_state=0)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and np.issubdtype(y.dtype, np.integer)
    assert np.isfinite(X).all()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 400), name=st.sampled_from(["circles", "moons", "spirals", "gaussians"]))
def test_classes_are_balanced_for_any_size(n, name):
    X, y = GENERATORS[name](n_samples=n, random_state=0)
    counts = np.bincount(y)
    assert len(X) == n and counts.sum() == n
    assert len(counts) == (3 if name == "spirals" else 2)
    assert counts.max() - counts.min() <= 1


def test_xor_labels_are_the_sign_of_the_product_and_roughly_balanced():
    X, y = datasets.xor(4000, noise=0.0, random_state=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))
    assert np.abs(X).min() >= 0.05  # the margin around the axes
    # y is Bernoulli(1/2) per point: stay within 5 standard deviations of half.
    assert abs(y.mean() - 0.5) < 5 * np.sqrt(0.25 / 4000)


def test_spirals_have_the_requested_classes_and_radius():
    X, y = datasets.spirals(500, n_classes=5, noise=0.0, random_state=0)
    assert set(np.unique(y)) == set(range(5))
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.min() == pytest.approx(0.05) and radius.max() == pytest.approx(1.0)


def test_gaussians_sit_around_their_centres():
    X, y = datasets.gaussians(4000, noise=0.1, n_classes=4, random_state=0)
    centres = np.array([X[y == k].mean(axis=0) for k in range(4)])
    np.testing.assert_allclose(np.hypot(centres[:, 0], centres[:, 1]), 1.0, atol=0.02)


def test_circles_inner_class_is_one():
    X, y = datasets.circles(400, noise=0.0, factor=0.3, random_state=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 1], 0.3)
    np.testing.assert_allclose(radius[y == 0], 1.0)


@pytest.mark.parametrize("name", list(GENERATORS))
def test_same_seed_same_data_other_seed_other_data(name):
    make = GENERATORS[name]
    X1, y1 = make(n_samples=50, random_state=3)
    X2, y2 = make(n_samples=50, random_state=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make(n_samples=50, random_state=4)
    assert not np.array_equal(X1, X3)
    # A Generator works too, and the same Generator state gives the same data.
    Xa, _ = make(n_samples=50, random_state=np.random.default_rng(9))
    Xb, _ = make(n_samples=50, random_state=np.random.default_rng(9))
    np.testing.assert_array_equal(Xa, Xb)


@pytest.mark.parametrize("name", list(GENERATORS))
@pytest.mark.parametrize("n_samples", [1, 0, -5, 2.5, "100", True])
def test_refuses_too_few_samples(name, n_samples):
    with pytest.raises(ValueError, match="n_samples must be an integer >= 2"):
        GENERATORS[name](n_samples=n_samples)


@pytest.mark.parametrize("name", list(GENERATORS))
@pytest.mark.parametrize("noise", [-0.1, float("nan"), float("inf"), "a lot"])
def test_refuses_bad_noise(name, noise):
    with pytest.raises(ValueError, match="noise must be a number >= 0"):
        GENERATORS[name](n_samples=10, noise=noise)


@pytest.mark.parametrize("name", list(GENERATORS))
@pytest.mark.parametrize("seed", [-1, True])
def test_refuses_a_negative_seed_naming_random_state(name, seed):
    with pytest.raises(ValueError, match=r"random_state must be None, a seed >= 0 or a np\.random"):
        GENERATORS[name](n_samples=10, random_state=seed)


def test_train_test_split_refuses_a_negative_seed_naming_random_state():
    with pytest.raises(ValueError, match="random_state must be None, a seed >= 0"):
        datasets.train_test_split(np.zeros((10, 2)), np.arange(10) % 2, random_state=-3)


@pytest.mark.parametrize("name", ["spirals", "gaussians"])
@pytest.mark.parametrize("n_classes", [1, 0, -2, 2.0, True])
def test_refuses_fewer_than_two_classes(name, n_classes):
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        GENERATORS[name](n_samples=10, n_classes=n_classes)


@pytest.mark.parametrize("name", ["spirals", "gaussians"])
def test_refuses_fewer_samples_than_classes(name):
    with pytest.raises(ValueError, match=r"n_samples \(3\) must be at least n_classes \(4\)"):
        GENERATORS[name](n_samples=3, n_classes=4)


@pytest.mark.parametrize("factor", [0, 1, 1.5, -0.5])
def test_circles_factor_must_be_a_ratio_below_one(factor):
    with pytest.raises(ValueError, match=r"factor .* must be in \(0, 1\)"):
        datasets.circles(factor=factor)


def test_load_by_name():
    X, y = datasets.load("moons", n_samples=30, random_state=0)
    X2, y2 = datasets.moons(n_samples=30, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    with pytest.raises(ValueError, match="unknown dataset 'spiral'; choose one of: circles"):
        datasets.load("spiral")


# --- train_test_split ----------------------------------------------------------------------------


def test_train_test_split_is_stratified():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    X = np.column_stack([np.arange(100.0), y])
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.2,
                                                                 random_state=0)
    assert np.bincount(y_test).tolist() == [10, 6, 4]
    assert np.bincount(y_train).tolist() == [40, 24, 16]
    # Rows stay paired with their labels, and nothing is lost or duplicated.
    np.testing.assert_array_equal(X_train[:, 1], y_train)
    np.testing.assert_array_equal(X_test[:, 1], y_test)
    rows = np.concatenate([X_train[:, 0], X_test[:, 0]])
    np.testing.assert_array_equal(np.sort(rows), np.arange(100))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(10, 300), test_size=st.floats(0.1, 0.5), seed=st.integers(0, 1000))
def test_train_test_split_keeps_class_proportions(n, test_size, seed):
    X, y = datasets.spirals(n, random_state=seed)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=test_size,
                                                                 random_state=seed)
    assert len(X_train) + len(X_test) == n
    assert len(X_test) == max(1, round(test_size * n))
    # Each class gives its share, rounded down or up.
    for k, count in enumerate(np.bincount(y)):
        held = np.sum(y_test == k)
        assert np.floor(test_size * count) <= held <= np.ceil(test_size * count)
        assert held + np.sum(y_train == k) == count


def test_train_test_split_is_deterministic_and_can_skip_stratification():
    X, y = datasets.moons(60, random_state=0)
    a = datasets.train_test_split(X, y, random_state=5)
    b = datasets.train_test_split(X, y, random_state=5)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    _, X_test, _, _ = datasets.train_test_split(X, y, test_size=0.25, stratify=False,
                                                random_state=5)
    assert len(X_test) == 15


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(test_size=0), r"test_size must be a fraction in \(0, 1\)"),
    (dict(test_size=1.0), r"test_size must be a fraction in \(0, 1\)"),
    (dict(y=np.zeros(5)), "X and y have different lengths: 10 and 5"),
])
def test_train_test_split_refuses_nonsense(kwargs, message):
    args = {"X": np.zeros((10, 2)), "y": np.arange(10) % 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        datasets.train_test_split(args.pop("X"), args.pop("y"), **args)


# --- FeatureLift ---------------------------------------------------------------------------------

POINTS = np.array([[1.0, 2.0], [-0.5, 3.0], [0.0, -1.5]])


def test_default_lift_adds_the_squares():
    lift = FeatureLift().fit(POINTS)
    np.testing.assert_array_equal(lift.get_feature_names_out(), ["x1", "x2", "x1^2", "x2^2"])
    x1, x2 = POINTS.T
    np.testing.assert_array_equal(lift.transform(POINTS), np.column_stack([x1, x2, x1**2, x2**2]))
    assert lift.n_features_in_ == 2 and lift.feature_names_ == ["x1", "x2", "x1^2", "x2^2"]


def test_every_named_feature_and_the_aliases():
    x1, x2 = POINTS.T
    lift = FeatureLift(["x1*x2", "sin", "x2", "x1 x2", "x1**2"])
    names = ["x1*x2", "sin(x1)", "sin(x2)", "x2", "x1^2"]  # aliases expand, repeats drop
    np.testing.assert_array_equal(lift.get_feature_names_out(), names)
    np.testing.assert_allclose(lift.fit_transform(POINTS),
                               np.column_stack([x1 * x2, np.sin(x1), np.sin(x2), x2, x1**2]))


def test_polynomial_lift_names_and_values():
    lift = FeatureLift.polynomial(3)
    names = ["x1", "x2", "x1^2", "x1*x2", "x2^2", "x1^3", "x1^2*x2", "x1*x2^2", "x2^3"]
    np.testing.assert_array_equal(lift.get_feature_names_out(), names)
    x1, x2 = POINTS.T
    expected = np.column_stack([x1, x2, x1**2, x1 * x2, x2**2, x1**3, x1**2 * x2, x1 * x2**2,
                                x2**3])
    np.testing.assert_allclose(lift.fit_transform(POINTS), expected)
    # The degree-2 names are spelled like the named lifts, so they mean the same columns.
    quadratic = FeatureLift.polynomial(2)
    named = FeatureLift(list(quadratic.get_feature_names_out()))
    np.testing.assert_array_equal(quadratic.transform(POINTS), named.transform(POINTS))


@settings(max_examples=20, deadline=None)
@given(degree=st.integers(1, 6))
def test_polynomial_lift_has_every_monomial_once(degree):
    lift = FeatureLift.polynomial(degree)
    n_monomials = (degree + 1) * (degree + 2) // 2 - 1  # all of x1^a x2^b with 1 <= a + b <= d
    assert lift.transform(POINTS).shape == (3, n_monomials)
    assert len(set(lift.get_feature_names_out())) == n_monomials


@pytest.mark.parametrize(("lift", "message"), [
    (FeatureLift(["x3"]), "unknown feature 'x3'; choose from: x1, x2"),
    (FeatureLift([]), "needs at least one feature"),
    (FeatureLift(None), "needs at least one feature"),
    (FeatureLift.polynomial(0), "degree must be an integer >= 1, got 0"),
    (FeatureLift.polynomial(2.5), "degree must be an integer >= 1, got 2.5"),
])
def test_lift_refuses_nonsense(lift, message):
    with pytest.raises(ValueError, match=message):
        lift.fit(POINTS)
    with pytest.raises(ValueError, match=message):
        lift.transform(POINTS)


@pytest.mark.parametrize("X", [np.zeros((4, 3)), np.zeros(4), np.zeros((2, 2, 2))])
def test_lift_needs_points_in_the_plane(X):
    with pytest.raises(ValueError, match=r"feature lifts need 2-D points, X of shape \(n, 2\)"):
        FeatureLift().fit_transform(X)


def test_lift_survives_clone_and_get_params():
    lift = FeatureLift(["x1", "sin"], degree=None)
    copy = clone(lift)
    assert copy is not lift and copy.get_params() == lift.get_params()
    np.testing.assert_array_equal(copy.fit_transform(POINTS), lift.fit_transform(POINTS))
    poly = clone(FeatureLift.polynomial(4))
    assert poly.get_params() == {"features": None, "degree": 4}
    poly.set_params(degree=2)
    assert poly.transform(POINTS).shape == (3, 5)


def test_lift_in_a_pipeline_makes_circles_linearly_separable():
    X, y = datasets.circles(400, noise=0.05, random_state=0)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, random_state=0)
    raw = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    lifted = Pipeline([("lift", FeatureLift()), ("scale", StandardScaler()),
                       ("model", LogisticRegression())]).fit(X_train, y_train)
    assert raw.score(X_test, y_test) < 0.7  # a line cannot separate two circles ...
    assert lifted.score(X_test, y_test) >= 0.98  # ... a circle in (x1, x2) is a line in squares
    np.testing.assert_array_equal(lifted[:-1].get_feature_names_out(),
                                  ["x1", "x2", "x1^2", "x2^2"])
    assert clone(lifted).fit(X_train, y_train).score(X_test, y_test) == lifted.score(X_test,
                                                                                     y_test)


def test_lift_speaks_pandas_when_asked():
    pd = pytest.importorskip("pandas")
    frame = FeatureLift(["x1", "x1*x2"]).set_output(transform="pandas").fit_transform(POINTS)
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == ["x1", "x1*x2"]
