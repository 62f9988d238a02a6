"""The whole algorithm in the plainest NumPy: read this file first (the dense network, then a
convolution and batch normalisation, at the end).

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


# --- convolution and batch normalisation --------------------------------------------------------


def conv2d(x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int = 1,
           padding: int = 0) -> np.ndarray:
    """A 2-D convolution ``x (n, C, H, W) -> y (n, F, Ho, Wo)`` with filters ``W (F, C, k, k)``
    and biases ``b (F,)``: at each output position ``(i, j)`` the ``k x k`` window of every
    channel starting at ``(i s, j s)`` of the zero-padded image, times each filter, summed:

        y[:, f, i, j] = b[f] + sum over c, u, v of  window[:, c, u, v] * W[f, c, u, v]

    ``Ho = (H + 2 padding - k) // s + 1`` (``Wo`` likewise). PyTorch's ``Conv2d``."""
    F, _, k, _ = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    Ho, Wo = (xp.shape[2] - k) // stride + 1, (xp.shape[3] - k) // stride + 1
    y = np.empty((x.shape[0], F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            y[:, :, i, j] = np.einsum("ncuv,fcuv->nf", window, W) + b
    return y


def conv2d_backward(x: np.ndarray, W: np.ndarray, dy: np.ndarray, stride: int = 1,
                    padding: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(dx, dW, db)`` for ``y = conv2d(x, W, b)`` given ``dy = dL/dy (n, F, Ho, Wo)``: each
    output position sends its gradient back to the window it came from (``dx``, overlapping
    windows adding up) and to the filters (``dW``: the window times ``dy``); ``db`` sums
    ``dy`` over samples and positions."""
    _, _, k, _ = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp, dW = np.zeros_like(xp), np.zeros_like(W)
    for i in range(dy.shape[2]):
        for j in range(dy.shape[3]):
            rows, cols = slice(i * stride, i * stride + k), slice(j * stride, j * stride + k)
            dW += np.einsum("ncuv,nf->fcuv", xp[:, :, rows, cols], dy[:, :, i, j])
            dxp[:, :, rows, cols] += np.einsum("nf,fcuv->ncuv", dy[:, :, i, j], W)
    H, W_ = x.shape[2], x.shape[3]
    return dxp[:, :, padding:padding + H, padding:padding + W_], dW, dy.sum(axis=(0, 2, 3))


def batch_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
               eps: float = 1e-5) -> tuple[np.ndarray, tuple]:
    """Batch normalisation in training mode of ``x (n, C)`` or ``x (n, C, H, W)``: each channel
    standardised with its mean and variance over the batch (and the pixels), then scaled by
    ``gamma (C,)`` and shifted by ``beta (C,)``:

        x_hat = (x - mean) / sqrt(var + eps),    y = gamma * x_hat + beta

    Returns ``y`` and the cache ``batch_norm_backward`` needs."""
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    shape = (1, -1) + (1,) * (x.ndim - 2)  # a (C,) array shaped to broadcast over x
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)  # divided by N, not N - 1
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma.reshape(shape) * x_hat + beta.reshape(shape), (x_hat, var, gamma, eps, axes)


def batch_norm_backward(dy: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
    """``(dx, dgamma, dbeta)`` of ``batch_norm`` from ``dy = dL/dy``. With ``N`` values per
    channel and ``d_xhat = dy * gamma``, the chain rule through ``x_hat``, the variance and
    the mean (each of which every ``x`` of the channel changes) gives

        dx = (N d_xhat - sum(d_xhat) - x_hat * sum(d_xhat * x_hat)) / (N sqrt(var + eps))

    and ``dgamma = sum(dy * x_hat)``, ``dbeta = sum(dy)``, the sums over the batch (and the
    pixels), per channel."""
    x_hat, var, gamma, eps, axes = cache
    N = x_hat.size // x_hat.shape[1]
    d_xhat = dy * gamma.reshape((1, -1) + (1,) * (dy.ndim - 2))
    dx = (N * d_xhat - d_xhat.sum(axis=axes, keepdims=True)
          - x_hat * (d_xhat * x_hat).sum(axis=axes, keepdims=True)) / (N * np.sqrt(var + eps))
    return dx, (dy * x_hat).sum(axis=axes), dy.sum(axis=axes)


def _pairs(params: Params, grads: Params) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(W1, dW1), (b1, db1), (W2, dW2), ...``: each parameter with its gradient."""
    return [(p, g) for layer, dlayer in zip(params, grads) for p, g in zip(layer, dlayer)]
