"""The L2 (``alpha``) and L1 (``l1``) penalties of ``fit`` and the estimators: terms added to the
loss that pull the weights towards zero.

They act on the weights that multiply inputs, ``W`` of every ``Dense``, ``Conv2D`` and
``Conv1D`` (inside residual blocks too), as scikit-learn's L2 acts on all its weight matrices;
not on biases, nor on a normalisation's ``gamma`` and ``beta`` (a scale and a shift, which a
penalty would only bias towards a network that outputs nothing). Both are scaled by the
number of samples ``n`` of the batch, as scikit-learn scales its L2 term.
"""

from __future__ import annotations

import numpy as np

from .blocks import Residual
from .conv import Conv2D
from .layers import Dense


def penalised_weights(model) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(W, dW)`` of every ``Dense`` and convolution of ``model`` (a ``Sequential`` or one
    layer), first layer first, those inside residual blocks included."""
    pairs = []
    for layer in getattr(model, "layers", [model]):
        if isinstance(layer, Residual):
            pairs += penalised_weights(layer.block)
        elif isinstance(layer, (Dense, Conv2D)):  # Conv1D is a Conv2D
            pairs.append((layer.W, layer.dW))
    return pairs


def add_l2_penalty(model, alpha: float, n_samples: int) -> float:
    """Add scikit-learn's L2 term to every penalised ``dW`` (see ``penalised_weights``) and
    return its value: ``0.5 * alpha * sum ||W||^2 / n``, gradient ``alpha * W / n``."""
    scale = alpha / n_samples
    penalty = 0.0
    for W, dW in penalised_weights(model):
        flat = W.ravel()
        penalty += float(np.dot(flat, flat))
        dW += scale * W
    return 0.5 * scale * penalty


def add_l1_penalty(model, l1: float, n_samples: int) -> float:
    """Add an L1 term to every penalised ``dW`` and return its value, scaled like the L2 term:
    ``l1 * sum |W| / n``, gradient ``l1 * sign(W) / n``. L1 pushes small weights to exactly
    zero (a sparse network); L2 only shrinks them."""
    scale = l1 / n_samples
    penalty = 0.0
    for W, dW in penalised_weights(model):
        penalty += float(np.abs(W).sum())
        dW += scale * np.sign(W)
    return scale * penalty


def penalty_value(model, alpha: float, l1: float, n_samples: int) -> float:
    """The two terms' value alone (no gradient): ``0.5 alpha sum ||W||^2 / n + l1 sum |W| / n``."""
    weights = [W for W, _ in penalised_weights(model)]
    value = 0.0
    if alpha:
        value += 0.5 * alpha * sum(float(np.sum(W * W)) for W in weights) / n_samples
    if l1:
        value += l1 * sum(float(np.abs(W).sum()) for W in weights) / n_samples
    return value
