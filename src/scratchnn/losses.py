"""Losses: ``forward(logits, y) -> float`` (the mean loss) and ``backward() -> dL/dlogits``.

The losses take *logits* (the raw outputs of the last ``Dense``), not probabilities: folding
the sigmoid or softmax into the loss gives a form that is exact and stable for any logit,
and a gradient that is simply ``probability - target``.
"""

from __future__ import annotations

import numpy as np

from ._workspace import Workspace


def _normalised_weights(sample_weight, like: np.ndarray) -> np.ndarray | None:
    """Per-sample weights ``w / sum(w)`` shaped to broadcast over ``like`` (``(n,)`` or
    ``(n, 1)``), or ``None`` for the plain mean. With them the loss is the weighted mean
    ``sum(w_i l_i) / sum(w_i)`` and each sample's gradient is scaled by ``w_i / sum(w)``."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=like.dtype).reshape((like.shape[0], *like.shape[1:2]))
    total = w.sum()
    if not total > 0:
        raise ValueError("sample_weight must sum to a positive number")
    return w / total


class Loss:
    """Base class: remembers what ``backward`` needs from the last ``forward``."""

    def __init__(self) -> None:
        self.ws = Workspace()

    def __call__(self, logits: np.ndarray, y: np.ndarray) -> float:
        return self.forward(logits, y)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy with a sigmoid folded in (PyTorch's ``BCEWithLogitsLoss``).

    Shapes: ``logits (n,)`` or ``(n, 1)``; targets ``y`` in [0, 1] (labels 0/1, or soft
    targets), ``(n,)`` or ``(n, 1)``.

    Per sample, ``-[y log p + (1 - y) log(1 - p)]`` with ``p = sigmoid(z)`` equals
    ``log(1 + e^z) - y z = max(z, 0) - y z + log1p(e^-|z|)``: no exponential of a positive
    number, so nothing overflows at any logit. Its derivative is ``sigmoid(z) - y``.
    """

    def forward(self, logits: np.ndarray, y: np.ndarray, sample_weight=None) -> float:
        z, ws = logits, self.ws
        shape, dtype = z.shape, z.dtype
        # max(z, 0) = (z + |z|) / 2, so the loss is (1/2 - y) z + |z| / 2 + log1p(e^-|z|):
        # its sum takes three reductions of arrays we need anyway (fewer NumPy calls).
        if getattr(y, "shape", None) != shape:
            y = np.asarray(y).reshape(shape)
        c = np.subtract(0.5, y, out=ws.get("c", shape, dtype))
        e = np.abs(z, out=ws.get("e", shape, dtype))
        np.negative(e, out=e)  # -|z|
        sum_abs = -float(np.add.reduce(e, axis=None))
        np.exp(e, out=e)  # e^-|z| in (0, 1]; underflows harmlessly to 0 for |z| > ~745
        np.log1p(e, out=e)
        self.z, self.c, self.w = z, c, _normalised_weights(sample_weight, z)
        if self.w is None:
            total = float(np.dot(c.ravel(), z.ravel())) + 0.5 * sum_abs + float(
                np.add.reduce(e, axis=None))
            return total / z.size
        per_sample = c * z
        per_sample += 0.5 * np.abs(z)
        per_sample += e
        return float(np.sum(per_sample * self.w))

    def backward(self) -> np.ndarray:
        # sigmoid(z) - y = tanh(z / 2) / 2 + (1/2 - y): stable for any z, and one call
        # (tanh) where the sigmoid by its definition would take several.
        grad = np.multiply(self.z, 0.5, out=self.ws.get("grad", self.z.shape, self.z.dtype))
        np.tanh(grad, out=grad)
        if self.w is None:
            grad *= 0.5
            grad += self.c
            grad *= 1 / grad.size
        else:
            grad *= 0.5
            grad += self.c
            grad *= self.w
        return grad


class SoftmaxCrossEntropy(Loss):
    """Softmax + cross-entropy over classes (PyTorch's ``CrossEntropyLoss``).

    Shapes: ``logits (n, k)``, ``y (n,)`` integer class labels in ``0..k-1``.
    Per sample, ``logsumexp(z) - z[y]``, with the row maximum subtracted before
    exponentiating so nothing overflows. Its gradient is ``softmax(z) - onehot(y)``.
    """

    def forward(self, logits: np.ndarray, y: np.ndarray, sample_weight=None) -> float:
        z = logits
        n = z.shape[0]
        y = np.asarray(y).reshape(n)
        ws = self.ws
        row = ws.get("row", (n, 1), z.dtype)  # one number per sample, reused below
        np.maximum.reduce(z, axis=1, keepdims=True, out=row)  # the row maximum
        shifted = np.subtract(z, row, out=ws.get("shifted", z.shape, z.dtype))  # row max is 0
        probs = ws.get("probs", z.shape, z.dtype)
        np.exp(shifted, out=probs)  # tiny probabilities underflow harmlessly to 0
        np.add.reduce(probs, axis=1, keepdims=True, out=row)  # row sums, in [1, k]
        probs /= row
        log_sums = np.log(row, out=row)[:, 0]
        rows = ws.arange(n)
        self.probs, self.y, self.rows = probs, y, rows
        self.w = _normalised_weights(sample_weight, z[:, :1])
        if self.w is None:
            return float(np.add.reduce(log_sums) - np.add.reduce(shifted[rows, y])) / n
        per_sample = log_sums - shifted[rows, y]
        return float(per_sample @ self.w[:, 0])

    def backward(self) -> np.ndarray:
        grad = self.ws.get("grad", self.probs.shape, self.probs.dtype)
        if self.w is None:  # (softmax - onehot) / n
            scale = 1 / self.probs.shape[0]
            np.multiply(self.probs, scale, out=grad)
            grad[self.rows, self.y] -= scale
            return grad
        np.copyto(grad, self.probs)
        grad[self.rows, self.y] -= 1
        grad *= self.w
        return grad


class MeanSquaredError(Loss):
    """Mean squared error over all elements (PyTorch's ``MSELoss``).

    Shapes: ``predictions (n, k)`` and ``y`` of the same size (``(n,)`` is fine for k = 1).
    ``L = mean((z - y)^2)``; ``dL/dz = 2 (z - y) / z.size``.
    """

    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        diff = self.ws.get("diff", logits.shape, logits.dtype)
        np.subtract(logits, np.asarray(y).reshape(logits.shape), out=diff)
        self.diff = diff
        return float(np.dot(diff.ravel(), diff.ravel())) / diff.size

    def backward(self) -> np.ndarray:
        grad = np.multiply(self.diff, 2 / self.diff.size, out=self.ws.get("grad", self.diff.shape,
                                                                       self.diff.dtype))
        return grad


LOSSES: dict[str, type[Loss]] = {
    "binary_cross_entropy": BinaryCrossEntropy,
    "bce": BinaryCrossEntropy,
    "softmax_cross_entropy": SoftmaxCrossEntropy,
    "cross_entropy": SoftmaxCrossEntropy,
    "mse": MeanSquaredError,
}


def get_loss(loss: str | Loss) -> Loss:
    """A loss object by name (``"bce"``, ``"cross_entropy"``, ``"mse"``) or passed through."""
    if isinstance(loss, Loss):
        return loss
    try:
        return LOSSES[loss]()
    except (KeyError, TypeError):
        choices = ", ".join(LOSSES)
        raise ValueError(f"unknown loss {loss!r}; choose one of: {choices}") from None


# --- regression losses beyond the squared error ------------------------------------------------


def _element_weights(sample_weight, z: np.ndarray) -> np.ndarray | None:
    """Weights that turn a sum over every element of ``z (n, k)`` into the weighted mean over
    samples of the mean over outputs: ``w_i / (sum(w) k)``, shaped ``(n, 1)`` (``(n,)`` for a
    1-D ``z``); ``None`` for the plain mean over all elements."""
    if sample_weight is None:
        return None
    n = z.shape[0]
    w = _normalised_weights(sample_weight, z.reshape(n, -1)[:, :1])
    return (w / (z.size // n)).reshape((n,) + (1,) * (z.ndim - 1))


def _mean(per_element: np.ndarray, w: np.ndarray | None) -> float:
    return float(per_element.mean()) if w is None else float(np.sum(per_element * w))


def _scaled(grad: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """``d(per element)/dz`` -> ``dL/dz``: divided by the element count, or weighted."""
    if w is None:
        grad *= 1 / grad.size
    else:
        grad *= w
    return grad


class MeanAbsoluteError(Loss):
    """Mean absolute error over all elements (PyTorch's ``L1Loss``).

    Shapes: ``predictions (n, k)`` and ``y`` of the same size. ``L = mean(|z - y|)``;
    ``dL/dz = sign(z - y) / z.size`` (0 where ``z == y``). Optional ``sample_weight (n,)``
    gives the weighted mean over samples.
    """

    def forward(self, logits: np.ndarray, y: np.ndarray, sample_weight=None) -> float:
        self.diff = logits - np.asarray(y).reshape(logits.shape)
        self.w = _element_weights(sample_weight, logits)
        return _mean(np.abs(self.diff), self.w)

    def backward(self) -> np.ndarray:
        return _scaled(np.sign(self.diff), self.w)


class HuberLoss(Loss):
    """Huber loss (PyTorch's ``HuberLoss``): squared for small errors, linear for large ones.

    Shapes as ``MeanAbsoluteError``. Per element, with ``d = z - y``:
    ``0.5 d^2`` if ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``; its derivative is
    ``clip(d, -delta, delta)``. The mean over all elements (or weighted over samples).
    """

    def __init__(self, delta: float = 1.0) -> None:
        super().__init__()
        if not (isinstance(delta, (int, float)) and not isinstance(delta, bool) and delta > 0
                and np.isfinite(delta)):
            raise ValueError(f"delta must be a positive number, got {delta!r}")
        self.delta = float(delta)

    def forward(self, logits: np.ndarray, y: np.ndarray, sample_weight=None) -> float:
        d = self.diff = logits - np.asarray(y).reshape(logits.shape)
        a = np.abs(d)
        per_element = np.where(a <= self.delta, 0.5 * d * d, self.delta * (a - 0.5 * self.delta))
        self.w = _element_weights(sample_weight, logits)
        return _mean(per_element, self.w)

    def backward(self) -> np.ndarray:
        return _scaled(np.clip(self.diff, -self.delta, self.delta), self.w)

    def __repr__(self) -> str:
        return f"HuberLoss(delta={self.delta:g})"


class PoissonNLLLoss(Loss):
    """Poisson negative log-likelihood with a log link (PyTorch's ``PoissonNLLLoss`` with
    ``log_input=True``, ``full=False``): the network's output ``z`` is the log of the rate.

    Shapes as ``MeanAbsoluteError``; targets are counts (or any non-negative numbers).
    Per element ``exp(z) - y z`` (the NLL without its constant ``log(y!)``); derivative
    ``exp(z) - y``. Predict the rate with ``exp(z)``.
    """

    def forward(self, logits: np.ndarray, y: np.ndarray, sample_weight=None) -> float:
        y = np.asarray(y).reshape(logits.shape)
        self.rate, self.y = np.exp(logits), y
        self.w = _element_weights(sample_weight, logits)
        return _mean(self.rate - y * logits, self.w)

    def backward(self) -> np.ndarray:
        return _scaled(self.rate - self.y, self.w)


LOSSES.update({
    "mae": MeanAbsoluteError,
    "l1": MeanAbsoluteError,
    "huber": HuberLoss,
    "poisson": PoissonNLLLoss,
})
