"""Scores of a model's predictions: accuracy, and R² (one formula, used by ``fit``, the
estimators' early stopping, the command line and the plots)."""

from __future__ import annotations

import math

import numpy as np

from .losses import BinaryCrossEntropy, Loss, PoissonNLLLoss, SoftmaxCrossEntropy


def accuracy(logits: np.ndarray, y: np.ndarray, loss: Loss) -> float:
    """The fraction of correct predictions (``nan`` for regression losses). ``logits (n, k)``;
    ``y`` 0/1 of shape ``(n, 1)`` for binary cross-entropy, labels ``(n,)`` for softmax."""
    if isinstance(loss, BinaryCrossEntropy):
        return float(np.count_nonzero((logits > 0) == (y > 0.5))) / logits.shape[0]
    if isinstance(loss, SoftmaxCrossEntropy):
        return float(np.count_nonzero(logits.argmax(axis=1) == y)) / logits.shape[0]
    return math.nan


def _r2_from_sums(ss_res: np.ndarray, ss_tot: np.ndarray) -> float:
    """``1 - ss_res / ss_tot`` per output, averaged over the outputs; as
    ``sklearn.metrics.r2_score``, a constant target (``ss_tot == 0``) scores 1 if predicted
    exactly, else 0."""
    exact = np.where(ss_res == 0, 1.0, 0.0)
    score = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1), exact)
    return float(np.mean(score))


def r2_score(y: np.ndarray, predicted: np.ndarray, sample_weight=None) -> float:
    """R² of ``predicted`` for ``y`` (both ``(n,)`` or ``(n, k)``), weighted by
    ``sample_weight (n,)`` if given, averaged over the outputs.

    ``R² = 1 - sum w (y - predicted)^2 / sum w (y - mean_w(y))^2``: 1 is perfect, 0 is what
    predicting the mean scores. Unlike scikit-learn, a single sample is scored too, so a sample
    of weight 3 counts exactly as three repeated samples."""
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    predicted = np.asarray(predicted, dtype=np.float64).reshape(y.shape)
    w = np.ones((y.shape[0], 1)) if sample_weight is None else (
        np.asarray(sample_weight, dtype=np.float64).reshape(-1, 1))
    mean = (w * y).sum(axis=0) / w.sum()
    ss_tot = (w * (y - mean) ** 2).sum(axis=0)
    # A constant target's computed mean may be off in the last bit: its ss_tot is exactly 0.
    ss_tot[(y == y[:1]).all(axis=0)] = 0.0
    return _r2_from_sums((w * (y - predicted) ** 2).sum(axis=0), ss_tot)


class R2Sums:
    """R² of predictions against targets ``(n, k)``, accumulated batch by batch from sums
    (squared errors, targets, squared targets per output), so an epoch's R² costs no extra
    forward pass. ``value()`` is ``r2_score`` of everything added. For ``PoissonNLLLoss`` the
    network outputs the log of the rate, so the prediction is its exponential."""

    def __init__(self, loss: Loss):
        self.log_link = isinstance(loss, PoissonNLLLoss)
        self.n, self.sse, self.sy, self.syy = 0, 0.0, 0.0, 0.0

    def add(self, logits: np.ndarray, y: np.ndarray) -> None:
        m = logits.shape[0]
        z = logits.reshape(m, -1)
        y = np.asarray(y).reshape(z.shape)
        predicted = np.exp(z) if self.log_link else z
        self.n += m
        self.sse = self.sse + ((predicted - y) ** 2).sum(axis=0)
        self.sy = self.sy + y.sum(axis=0)
        self.syy = self.syy + (y * y).sum(axis=0)

    def value(self) -> float:
        ss_tot = self.syy - self.sy**2 / self.n  # sum (y - mean)^2, from the running sums
        # Rounding leaves a constant target's ss_tot a tiny nonzero number: count it as 0.
        ss_tot = np.where(ss_tot > 1e-12 * np.maximum(self.syy, 1), ss_tot, 0.0)
        return _r2_from_sums(np.asarray(self.sse), ss_tot)
