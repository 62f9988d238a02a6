"""Losses: ``forward(logits, y) -> float`` (the mean loss) and ``backward() -> dL/dlogits``.

The losses take *logits* (the raw outputs of the last ``Dense``), not probabilities: folding
the sigmoid or softmax into the loss gives a form that is exact and stable for any logit,
and a gradient that is simply ``probability - target``.
"""

from __future__ import annotations

import numpy as np

from ._workspace import Workspace
from .layers import describe_shape


def _normalised_weights(sample_weight, like: np.ndarray) -> np.ndarray | None:
    """Per-sample weights ``w / sum(w)`` shaped to broadcast over ``like`` (``(n,)`` or
    ``(n, 1)``), or ``None`` for the plain mean. With them the loss is the weighted mean
    ``sum(w_i l_i) / sum(w_i)`` and each sample's gradient is scaled by ``w_i / sum(w)``."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=like.dtype)
    if w.size != like.shape[0]:
        raise ValueError(f"sample_weight has {w.size} values for {like.shape[0]} samples; give "
                         "one weight per sample")
    w = w.reshape((like.shape[0], *like.shape[1:2]))
    total = w.sum()
    if not total > 0:
        raise ValueError("sample_weight must sum to a positive number")
    return w / total


def _targets_like(name: str, y, z: np.ndarray) -> np.ndarray:
    """``y`` as an array shaped like ``z`` (one target per logit), or a ``ValueError``."""
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{name} needs numeric targets, got an array of dtype {y.dtype}")
    if y.size != z.size:
        raise ValueError(f"{name} got logits of shape {z.shape} but targets of shape {y.shape}; "
                         "give one target per logit")
    return y.reshape(z.shape)


def _binary_targets(z: np.ndarray, y) -> np.ndarray:
    """The targets for ``BinaryCrossEntropy``, shaped like ``z``, after checking both."""
    if not (isinstance(z, np.ndarray) and (z.ndim == 1 or (z.ndim == 2 and z.shape[1] == 1))):
        raise ValueError("BinaryCrossEntropy takes one logit per sample, of shape (n,) or (n, 1), "
                         f"got {describe_shape(z)}; for several classes use SoftmaxCrossEntropy")
    if type(y) is not np.ndarray or y.shape != z.shape:
        y = _targets_like("BinaryCrossEntropy", y, z)
    # Labels 0/1 or soft targets in [0, 1]: one min and one max over the targets.
    if y.size and not (np.minimum.reduce(y, axis=None) >= 0
                       and np.maximum.reduce(y, axis=None) <= 1):
        bad = y[~((y >= 0) & (y <= 1))].flat[0]
        raise ValueError(f"BinaryCrossEntropy needs labels 0 or 1, got {bad:g} (soft targets "
                         "must lie in [0, 1]); for more classes use SoftmaxCrossEntropy")
    return y


def _class_labels(y, shape: tuple[int, int]) -> np.ndarray:
    """The labels for ``SoftmaxCrossEntropy``, integers ``0..k-1`` of shape ``(n,)``, after
    checking them against logits of ``shape (n, k)``."""
    n, k = shape
    if type(y) is not np.ndarray or y.shape != (n,):
        y = np.asarray(y)
        if k > 1 and y.shape == (n, k):
            raise ValueError(f"SoftmaxCrossEntropy takes integer class labels of shape ({n},), "
                             f"got shape {y.shape}; if these are one-hot rows, pass "
                             "y.argmax(axis=1)")
        if y.size != n:
            raise ValueError(f"SoftmaxCrossEntropy got logits for {n} samples but {y.size} "
                             f"labels (shape {y.shape}); give one class label per sample")
        y = y.reshape(n)
    if y.dtype.kind not in "iu":
        raise ValueError(f"SoftmaxCrossEntropy needs integer class labels 0..{k - 1}, got an "
                         f"array of dtype {y.dtype}; convert with y.astype(int)")
    if n and (np.minimum.reduce(y) < 0 or np.maximum.reduce(y) >= k):
        bad = y[(y < 0) | (y >= k)][0]
        raise ValueError(f"SoftmaxCrossEntropy: label {bad} is out of range for {k} classes "
                         f"(labels must be 0..{k - 1})")
    return y


def _backward_before_forward(loss: Loss) -> RuntimeError:
    return RuntimeError(f"{type(loss).__name__}.backward called before forward: call "
                        "forward(logits, y) first")


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

    z: np.ndarray | None = None  # the logits of the last forward
    # The targets are checked (shape, 0 <= y <= 1) when a new array comes in: the min and max
    # cost 5% of a small full-batch epoch (T1 in benchmarks/bench.py) when done every time.
    # An array refilled in place with new values is not checked again.
    _last_y = None
    _targets: np.ndarray

    def forward(self, logits: np.ndarray, y: np.ndarray, sample_weight=None) -> float:
        z = logits
        if y is not self._last_y or self._targets.shape != getattr(z, "shape", None):
            self._last_y, self._targets = y, _binary_targets(z, y)  # checked, shaped like z
        y = self._targets
        # Three arrays of z's shape, kept between calls of the same shape (see
        # Workspace.elementwise): the softplus, max(z, 0), and backward's gradient.
        softplus, relu, _, zero = self.ws.elementwise(z)
        # log(1 + e^z) = max(z, 0) + log1p(e^-|z|): no exponent is positive, nothing overflows.
        np.abs(z, out=softplus)
        np.negative(softplus, out=softplus)
        np.exp(softplus, out=softplus)  # e^-|z| in (0, 1]; underflows harmlessly to 0
        np.log1p(softplus, out=softplus)
        softplus += np.maximum(z, zero, out=relu)
        self.z, self.y, self.w = z, y, _normalised_weights(sample_weight, z)
        if self.w is None:  # the mean of log(1 + e^z) - y z
            total = float(np.add.reduce(softplus, axis=None)) - float(np.dot(y.ravel(), z.ravel()))
            return total / z.size
        softplus -= y * z
        return float(np.sum(softplus * self.w))

    def backward(self) -> np.ndarray:
        """``dL/dz = (sigmoid(z) - y) / n`` (or times each sample's weight), shaped like ``z``."""
        if self.z is None:
            raise _backward_before_forward(self)
        # sigmoid(z) as (1 + tanh(z / 2)) / 2: one tanh where stable_sigmoid takes two
        # exponentials. Measured (T1 core loop of benchmarks/bench.py, interleaved runs, 2-core
        # machine): 51.6 against 58.0 us per epoch, 11% less. It is exact at the extremes
        # (0 and 1) and within 1e-16 everywhere, all a gradient needs; probabilities use
        # stable_sigmoid, which also keeps full relative precision in the far negative tail.
        sigmoid = np.multiply(self.z, 0.5, out=self.ws.elementwise(self.z)[2])
        np.tanh(sigmoid, out=sigmoid)
        sigmoid += 1
        sigmoid *= 0.5
        grad = sigmoid
        grad -= self.y
        grad *= 1 / grad.size if self.w is None else self.w
        return grad


class SoftmaxCrossEntropy(Loss):
    """Softmax + cross-entropy over classes (PyTorch's ``CrossEntropyLoss``).

    Shapes: ``logits (n, k)``, ``y (n,)`` integer class labels in ``0..k-1``.
    Per sample, ``logsumexp(z) - z[y]``, with the row maximum subtracted before
    exponentiating so nothing overflows. Its gradient is ``softmax(z) - onehot(y)``.
    """

    probs: np.ndarray | None = None  # softmax of the logits of the last forward

    def forward(self, logits: np.ndarray, y: np.ndarray, sample_weight=None) -> float:
        z = logits
        if not (isinstance(z, np.ndarray) and z.ndim == 2):
            raise ValueError(f"SoftmaxCrossEntropy takes logits of shape (n, k), one column per "
                             f"class, got {describe_shape(z)}")
        y = _class_labels(y, z.shape)
        n = z.shape[0]
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
        """``dL/dz = (softmax(z) - onehot(y)) / n`` (or times each sample's weight), ``(n, k)``."""
        if self.probs is None:
            raise _backward_before_forward(self)
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

    diff: np.ndarray | None = None  # predictions - targets, from the last forward

    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        if not isinstance(logits, np.ndarray):
            raise ValueError(f"MeanSquaredError takes predictions as a NumPy array, got "
                             f"{describe_shape(logits)}")
        if type(y) is not np.ndarray or y.shape != logits.shape:
            y = _targets_like("MeanSquaredError", y, logits)
        diff = self.ws.get("diff", logits.shape, logits.dtype)
        np.subtract(logits, y, out=diff)
        self.diff = diff
        return float(np.dot(diff.ravel(), diff.ravel())) / diff.size

    def backward(self) -> np.ndarray:
        """``dL/dz = 2 (z - y) / z.size``, shaped like the predictions."""
        if self.diff is None:
            raise _backward_before_forward(self)
        grad = self.ws.get("grad", self.diff.shape, self.diff.dtype)
        return np.multiply(self.diff, 2 / self.diff.size, out=grad)


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
