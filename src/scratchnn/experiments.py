"""The two classic experiments, as functions (the scripts ``train_circles.py`` and
``train_moons.py`` are thin wrappers that parse arguments and draw the figures).

1. Concentric circles with **no hidden layer** (2 -> 1, sigmoid output, binary cross-entropy,
   gradient descent). A single linear boundary cannot separate a ring from a disc, so on raw
   (x1, x2) the model is at chance. Lifting the inputs to (x1, x2, x1^2, x2^2) makes the
   classes linearly separable — the circle ``x1^2 + x2^2 = r^2`` is a line in the new space.
2. Two moons with **one hidden layer of 4 ReLU units** (2 -> 4 -> 1). This small network often
   lands in a poor basin (dead units, a boundary with too few bends), so we train it from
   several random initialisations and keep the run with the lowest training loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import datasets
from .datasets import FeatureLift
from .functional import sigmoid
from .layers import Dense
from .model import Sequential, mlp
from .training import History, fit


@dataclass
class Result:
    """A trained model with its data split, history and accuracies."""

    model: Sequential
    history: History
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    transform: FeatureLift | None = None
    notes: list[str] = field(default_factory=list)

    def features(self, X: np.ndarray) -> np.ndarray:
        """Raw 2-D points ``(n, 2)`` -> the model's inputs (lifted if a transform is set)."""
        return X if self.transform is None else self.transform.transform(X)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``P(class 1)`` for raw points ``X (n, 2) -> (n,)``."""
        self.model.eval()
        return sigmoid(self.model.forward(self.features(X))[:, 0])

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean((self.predict_proba(X) > 0.5) == y))

    @property
    def train_accuracy(self) -> float:
        return self.accuracy(self.X_train, self.y_train)

    @property
    def test_accuracy(self) -> float:
        return self.accuracy(self.X_test, self.y_test)


def _check_settings(n_samples: int, epochs: int, lr: float) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 10:
        raise ValueError(f"n_samples must be an integer >= 10 (20% are held out for testing), "
                         f"got {n_samples!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
        raise ValueError(f"the learning rate must be a positive number, got {lr!r}")


def run_circles(*, n_samples: int = 1000, noise: float = 0.05, factor: float = 0.5, seed: int = 0,
                epochs: int = 1000, lr: float = 1.0) -> dict[str, Result]:
    """Train the no-hidden-layer network twice: on raw (x1, x2) and on (x1, x2, x1^2, x2^2).

    Returns ``{"raw": Result, "lifted": Result}``; both use the same data and split.
    """
    _check_settings(n_samples, epochs, lr)
    X, y = datasets.circles(n_samples=n_samples, noise=noise, factor=factor, random_state=seed)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, 0.2, random_state=seed)
    results = {}
    for name, transform in (("raw", None), ("lifted", FeatureLift(["x1", "x2", "x1^2", "x2^2"]))):
        rng = np.random.default_rng(seed)
        inputs = X_train if transform is None else transform.fit_transform(X_train)
        model = Sequential([Dense(inputs.shape[1], 1, rng=rng, init="glorot")])  # no hidden layer
        history = fit(model, inputs, y_train, lr=lr, epochs=epochs, rng=rng)
        results[name] = Result(model, history, X_train, X_test, y_train, y_test, transform)
    results["raw"].notes.append(
        "raw (x1, x2): a single straight line cannot separate a ring from the disc inside it, "
        "so the best a no-hidden-layer model can do is about chance")
    results["lifted"].notes.append(
        "lifted (x1, x2, x1^2, x2^2): the circle x1^2 + x2^2 = r^2 is a straight line in this "
        "space, so the same no-hidden-layer model separates the classes")
    return results


def run_moons(*, n_samples: int = 1000, noise: float = 0.2, seed: int = 0, epochs: int = 3000,
              lr: float = 1.0, restarts: int = 10) -> Result:
    """Train 2 -> 4 ReLU -> 1 by full-batch gradient descent from ``restarts`` random
    initialisations and keep the run with the lowest training loss."""
    _check_settings(n_samples, epochs, lr)
    if isinstance(restarts, bool) or not isinstance(restarts, int) or restarts < 1:
        raise ValueError(f"restarts must be a positive integer, got {restarts!r}")
    X, y = datasets.moons(n_samples=n_samples, noise=noise, random_state=seed)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, 0.2, random_state=seed)
    rng = np.random.default_rng(seed)
    model = mlp([2, 4, 1], "relu", rng=rng)
    history = fit(model, X_train, y_train, lr=lr, epochs=epochs, n_init=restarts, rng=rng)
    result = Result(model, history, X_train, X_test, y_train, y_test)
    scores = sorted(history.restart_scores)
    result.notes.append(
        f"trained from {restarts} random initialisations and kept the one with the lowest "
        f"training loss (run {history.best_restart + 1}: {scores[0]:.4f}; the worst run ended "
        f"at {scores[-1]:.4f})")
    return result
