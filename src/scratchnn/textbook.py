"""The whole algorithm in the plainest NumPy: read this file first.

A network is a list of ``(W, b)`` pairs, ``W (n_in, n_out)`` and ``b (n_out,)``, with one
activation between every two layers and none after the last: the loss takes the logits.
Everything here allocates new arrays and says what it computes; the rest of scratchnn
(``Dense``, the losses, the optimizers) computes the same numbers faster, and the tests check
that it does, to 1e-12, against this file.

    params = init(sizes=[2, 4, 1], rng=np.random.default_rng(0))
    state = {}
    for epoch in range(2000):
        logits, cache = forward(params, X, "relu")
        value, dlogits = binary_cross_entropy(logits, y)     # y: (n, 1) of 0/1
        grads = backward(params, cache, dlogits, "relu")
        sgd_step(params, grads, state, lr=0.5)
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

Params = list[tuple[np.ndarray, np.ndarray]]


def init(sizes: list[int], rng: np.random.Generator) -> Params:
    """He initialisation: ``W ~ N(0, 2 / n_in)``, ``b = 0``, for each pair of sizes."""
    return [(rng.normal(0, np.sqrt(2 / n_in), (n_in, n_out)), np.zeros(n_out))
            for n_in, n_out in pairwise(sizes)]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + e^-z)``, written with ``e = e^-|z|`` so that no exponent is positive."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


# Each activation f, and its derivative written with f's input z and output a = f(z).
ACTIVATIONS = {
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(z.dtype)),
    "tanh": (np.tanh, lambda z, a: 1 - a**2),
    "sigmoid": (sigmoid, lambda z, a: a * (1 - a)),
}


def forward(params: Params, X: np.ndarray, activation: str) -> tuple[np.ndarray, list]:
    """``X (n, n_in) -> logits (n, n_out)``, and the cache that ``backward`` needs: for each
    layer its input ``a`` and its output before the activation ``z = a @ W + b``."""
    f, _ = ACTIVATIONS[activation]
    a, cache = X, []
    for i, (W, b) in enumerate(params):
        z = a @ W + b
        cache.append((a, z))
        a = z if i == len(params) - 1 else f(z)
    return a, cache


def backward(params: Params, cache: list, dlogits: np.ndarray, activation: str) -> Params:
    """The chain rule, last layer first. ``dlogits (n, n_out)`` is ``dL/dlogits``; returns
    ``(dW, db)`` for every layer, in the order of ``params``.

    For a layer ``z = a @ W + b`` with ``dz = dL/dz``: ``dW = a^T dz``, ``db = sum of dz over
    the rows``, ``da = dz W^T``; then through the activation before it,
    ``dz_previous = da * f'(z_previous)``."""
    _, f_prime = ACTIVATIONS[activation]
    grads = []
    dz = dlogits
    for i in reversed(range(len(params))):
        W, _ = params[i]
        a, _ = cache[i]
        grads.append((a.T @ dz, dz.sum(axis=0)))
        if i > 0:
            z_previous = cache[i - 1][1]
            dz = (dz @ W.T) * f_prime(z_previous, a)  # a = f(z_previous), the layer's input
    return grads[::-1]


def binary_cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean binary cross-entropy of logits ``z (n, 1)`` against targets ``y (n, 1)`` in
    [0, 1], and its gradient ``dL/dz (n, 1)``.

    ``-[y log p + (1 - y) log(1 - p)]`` with ``p = sigmoid(z)`` is ``log(1 + e^z) - y z``,
    which is ``max(z, 0) - y z + log1p(e^-|z|)`` (no positive exponent); ``dL/dz = p - y``."""
    n = z.shape[0]
    loss = np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))
    return float(loss), (sigmoid(z) - y) / n


def softmax_cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of logits ``z (n, k)`` against integer labels ``y (n,)`` in
    ``0..k-1``, and its gradient ``dL/dz (n, k)``.

    Per sample ``log(sum_j e^z_j) - z_y``; subtracting the row maximum first changes nothing
    but keeps every exponent <= 0. ``dL/dz = softmax(z) - onehot(y)``."""
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    sums = exp.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = np.mean(np.log(sums[:, 0]) - shifted[rows, y])
    dz = exp / sums
    dz[rows, y] -= 1
    return float(loss), dz / n


def sgd_step(params: Params, grads: Params, state: dict, lr: float, momentum: float = 0.0,
             nesterov: bool = False) -> None:
    """Update every ``W`` and ``b`` in place (PyTorch's SGD). Without momentum ``p -= lr g``.
    With momentum ``m``: the velocity is ``v = g`` on the first step, ``v = m v + g`` after;
    then ``p -= lr v``, or with Nesterov ``p -= lr (g + m v)``. ``state`` keeps ``v``."""
    for i, (p, g) in enumerate(_pairs(params, grads)):
        if momentum:
            v = g.copy() if i not in state else momentum * state[i] + g
            state[i] = v
            g = g + momentum * v if nesterov else v
        p -= lr * g


def adam_step(params: Params, grads: Params, state: dict, lr: float = 1e-3,
              betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
    """Update every ``W`` and ``b`` in place (Adam, as in PyTorch). With ``t`` the step number
    (from 1): ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2`` (both from 0), and
    ``p -= lr * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - b1^t)``,
    ``v_hat = v / (1 - b2^t)``. ``state`` keeps ``t``, ``m`` and ``v``."""
    b1, b2 = betas
    t = state["t"] = state.get("t", 0) + 1
    for i, (p, g) in enumerate(_pairs(params, grads)):
        m = state[i, "m"] = b1 * state.get((i, "m"), 0) + (1 - b1) * g
        v = state[i, "v"] = b2 * state.get((i, "v"), 0) + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        p -= lr * m_hat / (np.sqrt(v_hat) + eps)


def _pairs(params: Params, grads: Params) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(W1, dW1), (b1, db1), (W2, dW2), ...``: each parameter with its gradient."""
    return [(p, g) for layer, dlayer in zip(params, grads) for p, g in zip(layer, dlayer)]
