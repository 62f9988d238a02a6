"""Losses: ``forward(logits, y) -> float`` (the mean loss) and ``backward() -> dL/dlogits``.

The losses take *logits* (the raw outputs of the last ``Dense``), not probabilities: folding
the sigmoid or softmax into the loss gives a form that is exact and stable for any logit,
and a gradient that is simply ``probability - target``.
"""

from __future__ import annotations

import numpy as np

from ._workspace import zero_for
from .functional import log_softmax
from .layers import describe_shape


def _normalized_weights(sample_weight, like: np.ndarray) -> np.ndarray | None:
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
        bad = y[~((y >= 0) & (y <= 1))]
        raise ValueError(f"BinaryCrossEntropy: got labels {_span(y)}, need 0 or 1 "
                         f"(soft targets in [0, 1]); found {_listed(bad)} in {_rows(bad.size)}; "
                         "for more classes use SoftmaxCrossEntropy")
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
        bad = y[(y < 0) | (y >= k)]
        raise ValueError(f"SoftmaxCrossEntropy: got labels {y.min()}..{y.max()}, need "
                         f"0..{k - 1}; found {_listed(bad)} in {_rows(bad.size)} (number the "
                         f"classes from 0, and give the network one output per class)")
    return y


def _listed(bad: np.ndarray, most: int = 5) -> str:
    """The distinct offending values of ``bad``, for an error: ``"3"``, ``"-1, 3, 4, ..."``."""
    values = np.unique(bad)
    shown = ", ".join(f"{v:g}" for v in values[:most].tolist())
    return shown + (", ..." if values.size > most else "")


def _span(y: np.ndarray) -> str:
    """``"1..3"``: the smallest and the largest of the finite values (``nan`` if none is)."""
    finite = y[np.isfinite(y)]
    return f"{finite.min():g}..{finite.max():g}" if finite.size else "nan"


def _rows(count: int) -> str:
    return f"{count} row{'s' if count != 1 else ''}"


def _mean(per_element: np.ndarray, w: np.ndarray | None) -> float:
    """The mean of the per-element losses, or their sum weighted by ``w`` (which sums to 1)."""
    if w is None:  # np.add.reduce: the sum without np.mean's Python-level overhead
        return float(np.add.reduce(per_element, axis=None)) / per_element.size
    return float(np.sum(per_element * w))


def _scaled(grad: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """``d(per element)/dz`` -> ``dL/dz``: divided by the element count, or weighted."""
    return grad / grad.size if w is None else grad * w


def _backward_before_forward(loss: Loss) -> RuntimeError:
    return RuntimeError(f"{type(loss).__name__}.backward called before forward: call "
                        "forward(logits, y) first")


class Loss:
    """Base class: remembers what ``backward`` needs from the last ``forward``."""

    def __call__(self, logits: np.ndarray, y: np.ndarray) -> float:
        return self.forward(logits, y)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy with a sigmoid folded in (PyTorch's ``BCEWithLogitsLoss``).

    Shapes: ``logits (n,)`` or ``(n, 1)``; targets ``y`` in [0, 1] (labels 0/1, or soft
    targets), ``(n,)`` or ``(n, 1)``.

    Per sample, ``-[y log p + (1 - y) log(1 - p)]`` with ``p = sigmoid(z)`` equals
    ``log(1 + e^z) - y z = softplus(z) - y z``, and ``softplus(z) = max(z, 0) + log1p(e^-|z|)``
    exponentiates no positive number, so nothing overflows at any logit. Its derivative is
    ``sigmoid(z) - y``.
    """

    z: np.ndarray | None = None  # the logits of the last forward

    def forward(self, logits: np.ndarray, y: np.ndarray, sample_weight=None) -> float:
        z = logits
        self.y = _binary_targets(z, y)  # checked, shaped like z
        self.z, self.w = z, _normalized_weights(sample_weight, z)
        # log(1 + e^z) - y z = max(z, 0) - y z + log1p(e^-|z|). Where a large logit is right,
        # max(z, 0) - y z is exactly 0 and the tiny loss left, log1p(e^-|z|), keeps its digits
        # (softplus(z) - y z would lose them to rounding); per sample first, then the mean.
        relu, log_term = np.maximum(z, zero_for(z)), np.log1p(np.exp(-np.abs(z)))
        self.softplus = relu + log_term  # log(1 + e^z), kept for backward
        return _mean(relu - self.y * z + log_term, self.w)

    def backward(self) -> np.ndarray:
        """``dL/dz = (sigmoid(z) - y) / n`` (or times each sample's weight), shaped like ``z``.

        ``sigmoid`` is the derivative of ``softplus``, and ``log sigmoid(z) = z - softplus(z)``,
        so ``sigmoid(z) = e^(z - softplus(z))`` comes from what forward computed in two steps
        (the exponent is never positive, and it is exact in both tails)."""
        if self.z is None:
            raise _backward_before_forward(self)
        return _scaled(np.exp(self.z - self.softplus) - self.y, self.w)


class SoftmaxCrossEntropy(Loss):
    """Softmax + cross-entropy over classes (PyTorch's ``CrossEntropyLoss``).

    Shapes: ``logits (n, k)``, ``y (n,)`` integer class labels in ``0..k-1``.
    Per sample ``-log softmax(z)[y] = logsumexp(z) - z[y]``, computed by ``log_softmax`` (the
    row maximum subtracted first, so nothing overflows). Its gradient is
    ``softmax(z) - onehot(y)``.
    """

    probs: np.ndarray | None = None  # softmax of the logits of the last forward

    def forward(self, logits: np.ndarray, y: np.ndarray, sample_weight=None) -> float:
        z = logits
        if not (isinstance(z, np.ndarray) and z.ndim == 2):
            raise ValueError(f"SoftmaxCrossEntropy takes logits of shape (n, k), one column per "
                             f"class, got {describe_shape(z)}")
        self.y = _class_labels(y, z.shape)
        self.rows = np.arange(z.shape[0])
        log_probs = log_softmax(z)
        self.probs = np.exp(log_probs)
        self.w = _normalized_weights(sample_weight, z[:, :1])
        return _mean(-log_probs[self.rows, self.y], None if self.w is None else self.w[:, 0])

    def backward(self) -> np.ndarray:
        """``dL/dz = (softmax(z) - onehot(y)) / n`` (or times each sample's weight), ``(n, k)``."""
        if self.probs is None:
            raise _backward_before_forward(self)
        grad = self.probs.copy()
        grad[self.rows, self.y] -= 1
        return grad / grad.shape[0] if self.w is None else grad * self.w


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
        self.diff = logits - y
        return _mean(self.diff * self.diff, None)

    def backward(self) -> np.ndarray:
        """``dL/dz = 2 (z - y) / z.size``, shaped like the predictions."""
        if self.diff is None:
            raise _backward_before_forward(self)
        return 2 * self.diff / self.diff.size


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
    w = _normalized_weights(sample_weight, z.reshape(n, -1)[:, :1])
    return (w / (z.size // n)).reshape((n,) + (1,) * (z.ndim - 1))




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
