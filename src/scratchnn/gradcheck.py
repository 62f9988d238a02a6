"""Numerical gradient checking: compare backpropagation with centred finite differences.

``f'(x) ~ (f(x + eps) - f(x - eps)) / (2 eps)`` has error O(eps^2); in float64 with
``eps = 1e-6`` a correct backward pass agrees to about 1e-9 relative error.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .layers import Layer
from .losses import Loss
from .model import Sequential


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """The gradient of the scalar ``f()`` with respect to the array ``x``, which ``f`` reads.
    Each entry of ``x`` is nudged in place and restored."""
    grad = np.zeros(x.shape, dtype=np.float64)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)  # views: writes reach x
    for i in range(flat_x.size):
        original = flat_x[i]
        flat_x[i] = original + eps
        f_plus = f()
        flat_x[i] = original - eps
        f_minus = f()
        flat_x[i] = original
        flat_grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-3) -> float:
    """``||a - n|| / max(||a|| + ||n||, floor)``: the relative error of the whole arrays.

    The floor keeps near-zero gradients (a dead ReLU, a saturated softmax) from turning the
    finite differences' rounding noise (~1e-10) into a large "relative" error; a real bug still
    shows, since at a threshold of 1e-6 an absolute error above 1e-9 fails."""
    a, n = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), floor))


def check_layer(layer: Layer, x: np.ndarray, *, rng=None, eps: float = 1e-6) -> dict[str, float]:
    """Check a layer's ``backward`` (input and parameter gradients) on input ``x`` (float64).

    Uses the scalar ``sum(forward(x) * G)`` with a fixed random ``G``, whose gradient with
    respect to the output is ``G``. Returns ``{"x": err, "param0": err, ...}``.
    """
    rng = np.random.default_rng(rng)
    x = np.array(x, dtype=np.float64)
    upstream = rng.standard_normal(layer.forward(x).shape)

    def f() -> float:
        return float(np.sum(layer.forward(x) * upstream))

    layer.forward(x)
    analytic_x = np.array(layer.backward(upstream), copy=True)
    errors = {"x": relative_error(analytic_x, numerical_gradient(f, x, eps))}
    for i, (param, grad) in enumerate(layer.parameters()):
        analytic = grad.copy()
        errors[f"param{i}"] = relative_error(analytic, numerical_gradient(f, param, eps))
    return errors


def check_loss(loss: Loss, logits: np.ndarray, y: np.ndarray, *, eps: float = 1e-6) -> float:
    """Relative error between ``loss.backward()`` and the numerical gradient wrt logits."""
    logits = np.array(logits, dtype=np.float64)
    loss.forward(logits, y)
    analytic = loss.backward().copy()
    numeric = numerical_gradient(lambda: loss.forward(logits, y), logits, eps)
    return relative_error(analytic, numeric)


def check_model(model: Sequential, loss: Loss, X: np.ndarray, y: np.ndarray, *,
                eps: float = 1e-6) -> dict[str, float]:
    """Check every parameter gradient and the input gradient of a whole model under ``loss``.
    Returns ``{"X": err, "param0": err, ...}`` in ``model.parameters()`` order."""
    X = np.array(X, dtype=np.float64)

    def f() -> float:
        return loss.forward(model.forward(X), y)

    f()
    analytic_X = np.array(model.backward(loss.backward(), input_grad=True), copy=True)
    analytic_params = [g.copy() for _, g in model.parameters()]
    errors = {"X": relative_error(analytic_X, numerical_gradient(f, X, eps))}
    for i, ((param, _), analytic) in enumerate(zip(model.parameters(), analytic_params)):
        errors[f"param{i}"] = relative_error(analytic, numerical_gradient(f, param, eps))
    return errors
