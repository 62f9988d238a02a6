"""The functions that turn logits into probabilities, each written once and stable for any
input: ``sigmoid``, ``softmax``, ``log_softmax`` (and ``softplus``, ``log_sigmoid``). Every
probability scratchnn reports comes from here.

Shapes: ``sigmoid`` any shape -> the same shape; ``softmax`` and ``log_softmax`` work along the
last axis, ``z (..., k) -> (..., k)``.
"""

from __future__ import annotations

import numpy as np

from ._workspace import zero_for


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + e^-z)``, elementwise, as a new array.

    Written as ``e^min(z, 0) / (1 + e^-|z|)``: for ``z >= 0`` that is ``1 / (1 + e^-z)``, for
    ``z < 0`` it is ``e^z / (1 + e^z)``. No exponent is positive, so nothing overflows, and both
    tails keep full precision: ``sigmoid(-50)`` is 1.9e-22, not 0."""
    z = np.asarray(z)
    with np.errstate(under="ignore"):  # e^-|z| underflows to 0 for |z| > ~745: harmless
        return np.exp(np.minimum(z, 0)) / (1 + np.exp(-np.abs(z)))


def softplus(z: np.ndarray) -> np.ndarray:
    """``log(1 + e^z)``, elementwise and stable, written ``max(z, 0) + log1p(e^-|z|)``: no
    exponent is positive, so nothing overflows (``softplus(800)`` is 800, not inf)."""
    z = np.asarray(z)  # e^-|z| underflows to 0 for |z| > ~745: harmless (NumPy ignores it)
    return np.maximum(z, zero_for(z)) + np.log1p(np.exp(-np.abs(z)))


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """``log(sigmoid(z)) = -log(1 + e^-z) = -softplus(-z)``, elementwise and stable
    (``log_sigmoid(-800)`` is -800, not -inf). ``log(1 - sigmoid(z))`` is ``log_sigmoid(-z)``."""
    return -softplus(-np.asarray(z))


def log_softmax(z: np.ndarray) -> np.ndarray:
    """``z - log(sum_j e^z_j)`` along the last axis: the log-probabilities of the classes.

    The row maximum is subtracted first, which changes nothing but keeps every exponent <= 0."""
    z = np.asarray(z)
    shifted = z - z.max(axis=-1, keepdims=True)
    with np.errstate(under="ignore"):
        return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(z: np.ndarray) -> np.ndarray:
    """``e^z_i / sum_j e^z_j`` along the last axis: each row sums to 1. Stable for any logits
    (the row maximum is subtracted before exponentiating)."""
    e = np.asarray(z) - np.max(z, axis=-1, keepdims=True)  # a new array; row maximum now 0
    with np.errstate(under="ignore"):
        np.exp(e, out=e)  # in place: a large predict_proba holds two arrays of its size, not 3
    e /= e.sum(axis=-1, keepdims=True)
    return e
