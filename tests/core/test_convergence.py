"""Convergence: the networks learn, measured by accuracy on held-out data.

Every problem is split into training and test data once (stratified, seeded); the model never
sees the test part. The settings below are ordinary choices (mini-batch Adam, batches of 32,
He initialisation); over eight seeds the test accuracies stayed above the thresholds with room
to spare (see "Convergence, measured" in docs/training.md for the values and times).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

import scratchnn as snn
from scratchnn import datasets

pytestmark = pytest.mark.slow


def held_out_accuracy(model: snn.Sequential, X: np.ndarray, y: np.ndarray) -> float:
    """The fraction of ``X``'s samples whose predicted class is ``y``, in eval mode."""
    model.eval()
    logits = model.forward(np.asarray(X, dtype=model.dtype))
    predicted = logits.argmax(axis=1) if logits.shape[1] > 1 else (logits[:, 0] > 0).astype(int)
    return float(np.mean(predicted == y))



def train(sizes, activation, X, y, *, lr, epochs, seed=0, dtype=np.float64):
    model = snn.mlp(sizes, activation, rng=seed, dtype=dtype)
    history = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=lr), epochs=epochs,
                      batch_size=32, rng=seed)
    return model, history


def test_three_spirals():
    X, y = datasets.spirals(900, noise=0.2, n_classes=3, random_state=0)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25,
                                                                 random_state=0)
    model, history = train([2, 64, 64, 3], "relu", X_train, y_train, lr=0.01, epochs=150)
    accuracy = held_out_accuracy(model, X_test, y_test)
    assert accuracy >= 0.95, f"spirals: test accuracy {accuracy:.3f}"
    assert history.accuracy[-1] >= 0.95


def test_xor():
    X, y = datasets.xor(2000, noise=0.05, random_state=0)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.3,
                                                                 random_state=0)
    model, _ = train([2, 8, 1], "tanh", X_train, y_train, lr=0.02, epochs=60)
    accuracy = held_out_accuracy(model, X_test, y_test)
    assert accuracy >= 0.97, f"xor: test accuracy {accuracy:.3f}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_digits(dtype):
    X, y = load_digits(return_X_y=True)  # 1797 images of 8 x 8 pixels, 10 classes
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25,
                                                                 random_state=0)
    scaler = StandardScaler().fit(X_train)  # statistics of the training part only
    model, _ = train([64, 128, 10], "relu", scaler.transform(X_train), y_train, lr=1e-3,
                     epochs=40, dtype=dtype)
    accuracy = held_out_accuracy(model, scaler.transform(X_test), y_test)
    assert accuracy >= 0.96, f"digits ({np.dtype(dtype).name}): test accuracy {accuracy:.3f}"


def test_circles_with_one_hidden_layer_of_eight_on_raw_features():
    X, y = datasets.circles(1000, noise=0.05, random_state=0)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.3,
                                                                 random_state=0)
    model, _ = train([2, 8, 1], "relu", X_train, y_train, lr=0.01, epochs=150)
    accuracy = held_out_accuracy(model, X_test, y_test)
    assert accuracy >= 0.98, f"circles: test accuracy {accuracy:.3f}"


def test_circles_without_a_hidden_layer_stay_at_chance_on_raw_features():
    # The contrast that makes the hidden layer (or the lift x1^2, x2^2) necessary.
    X, y = datasets.circles(1000, noise=0.05, random_state=0)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.3,
                                                                 random_state=0)
    model, _ = train([2, 1], "relu", X_train, y_train, lr=0.01, epochs=30)
    assert held_out_accuracy(model, X_test, y_test) < 0.65
    lift = datasets.FeatureLift(["x1", "x2", "x1^2", "x2^2"])
    lifted, _ = train([4, 1], "relu", lift.fit_transform(X_train), y_train, lr=0.05, epochs=30)
    assert held_out_accuracy(lifted, lift.transform(X_test), y_test) >= 0.98
