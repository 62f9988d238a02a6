"""The image and signal datasets for convolutions: ``digits_images`` and ``mnist1d``."""

from __future__ import annotations

import builtins
import random

import numpy as np
import pytest

from scratchnn import datasets


def test_digits_images_are_one_channel_8x8_in_unit_range():
    X, y = datasets.digits_images()
    assert X.shape == (1797, 1, 8, 8) and X.dtype == np.float64
    assert X.min() == 0.0 and X.max() == 1.0
    assert y.shape == (1797,) and np.issubdtype(y.dtype, np.integer)
    assert set(np.unique(y)) == set(range(10))
    from sklearn.datasets import load_digits

    digits = load_digits()  # the same pixels, divided by 16, in the same order
    np.testing.assert_array_equal(X.reshape(-1, 64) * 16, digits.data)
    np.testing.assert_array_equal(y, digits.target)


def test_digits_images_belong_to_the_caller():
    X, _ = datasets.digits_images()
    X[...] = -1
    assert datasets.digits_images()[0].min() == 0.0


def test_mnist1d_shapes_balance_and_seed():
    pytest.importorskip("mnist1d")
    X, y = datasets.mnist1d(n_samples=200, random_state=3)
    assert X.shape == (200, 1, 40) and X.dtype == np.float64 and np.isfinite(X).all()
    assert y.shape == (200,) and np.bincount(y).tolist() == [20] * 10
    assert abs(X.mean()) < 1e-12 and X.std() == pytest.approx(1.0)  # standardised
    X2, y2 = datasets.mnist1d(n_samples=200, random_state=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = datasets.mnist1d(n_samples=200, random_state=4)
    assert not np.allclose(X, X3)
    # a Generator gives a seed: the same generator state, the same data
    Xa, _ = datasets.mnist1d(n_samples=20, random_state=np.random.default_rng(1))
    Xb, _ = datasets.mnist1d(n_samples=20, random_state=np.random.default_rng(1))
    np.testing.assert_array_equal(Xa, Xb)


def test_mnist1d_leaves_the_global_generators_alone():
    pytest.importorskip("mnist1d")
    numpy_before, python_before = np.random.get_state(), random.getstate()  # noqa: NPY002
    datasets.mnist1d(n_samples=20, random_state=0)
    numpy_after = np.random.get_state()  # noqa: NPY002
    assert random.getstate() == python_before
    assert numpy_after[0] == numpy_before[0] and numpy_after[2:] == numpy_before[2:]
    np.testing.assert_array_equal(numpy_after[1], numpy_before[1])


def test_mnist1d_generates_without_the_network(monkeypatch):
    pytest.importorskip("mnist1d")
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("mnist1d tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    X, _ = datasets.mnist1d(n_samples=30, random_state=0)
    assert X.shape == (30, 1, 40)


@pytest.mark.parametrize("n_samples", [0, 5, 25, 10.0, True, "100"])
def test_mnist1d_rejects_sizes_that_are_not_multiples_of_ten(n_samples):
    with pytest.raises(ValueError, match="multiple of 10"):
        datasets.mnist1d(n_samples=n_samples)


@pytest.mark.parametrize("seed", [-1, True])
def test_mnist1d_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="random_state"):
        datasets.mnist1d(n_samples=10, random_state=seed)


def test_mnist1d_without_its_package_says_how_to_install_it(monkeypatch):
    real_import = builtins.__import__

    def no_mnist1d(name, *args, **kwargs):
        if name == "mnist1d" or name.startswith("mnist1d."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mnist1d)
    with pytest.raises(ImportError, match=r"pip install 'scratchnn\[images\]'") as caught:
        datasets.mnist1d(n_samples=10)
    assert "\n" not in str(caught.value)


@pytest.mark.slow
def test_a_small_cnn_reaches_0985_on_the_digits_images():
    import scratchnn as snn

    X, y = datasets.digits_images()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25,
                                                                 random_state=0)
    rng = np.random.default_rng(0)
    model = snn.Sequential([
        snn.Conv2D(1, 16, 3, padding=1, rng=rng), snn.BatchNorm2D(16), snn.ReLU(),
        snn.MaxPool2D(2),                                                      # (n, 16, 4, 4)
        snn.Conv2D(16, 32, 3, padding=1, rng=rng), snn.BatchNorm2D(32), snn.ReLU(),
        snn.MaxPool2D(2), snn.Flatten(),                                       # (n, 128)
        snn.Dense(128, 10, rng=rng)])
    snn.fit(model, X_train, y_train, optimizer=snn.Adam(model.parameters(), lr=0.01),
            epochs=20, batch_size=32, rng=0)
    assert np.mean(model.predict(X_test) == y_test) >= 0.985
