"""The training data: inputs and targets checked, a stratified split, and the mini-batches of
an epoch (``Batches``), as ``fit``, the estimators and the command line use them.

Shapes: ``X (n_samples, n_features)``; targets ``(n_samples,)`` class labels or
``(n_samples, n_outputs)`` values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from .init import as_generator
from .losses import BinaryCrossEntropy, Loss, SoftmaxCrossEntropy

# --- input checks ------------------------------------------------------------------------------


def check_X(X, n_features: int | None = None, *, name: str = "X", dtype=np.float64):
    """``X`` as a finite 2-D float array of ``dtype`` (a scipy.sparse matrix as CSR: ``Dense``
    multiplies it as it is), or a ``ValueError`` that says why not."""
    if hasattr(X, "tocsr") and hasattr(X, "nnz"):  # scipy.sparse, without importing SciPy
        return _check_sparse(X, n_features, name, dtype)
    try:
        X = np.asarray(X)
        if not np.iscomplexobj(X):
            X = X.astype(dtype, copy=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric: {error}") from None
    _refuse_complex(X, name)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (n_samples, n_features), got "
                         f"shape {X.shape}; reshape a single feature with X.reshape(-1, 1)")
    if X.shape[0] == 0:
        raise ValueError(f"{name} has no samples")
    if not np.isfinite(X).all():
        row, col = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(f"{name} contains NaN or infinite values (first at row {row}, column "
                         f"{col}); remove or impute them before training")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features, but the model expects {n_features}")
    return X


def check_samples(X, *, name: str = "X", dtype=np.float64) -> np.ndarray:
    """``X`` as a finite float array of ``dtype`` holding one sample per row of its first axis,
    each of any shape (images ``(n, C, H, W)``, sequences ``(n, C, L)``), or a ``ValueError``;
    whether the samples' shape suits a network is the network's to say
    (``Sequential.output_shape``)."""
    try:
        X = np.asarray(X)
        if not np.iscomplexobj(X):
            X = X.astype(dtype, copy=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric: {error}") from None
    _refuse_complex(X, name)
    if X.ndim < 2:
        raise ValueError(f"{name} must hold one sample per row (images: (n, C, H, W)), got "
                         f"shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} has no samples")
    if not np.isfinite(X).all():
        position = tuple(int(i) for i in np.argwhere(~np.isfinite(X))[0])
        raise ValueError(f"{name} contains NaN or infinite values (first at index {position}); "
                         "remove or impute them before training")
    return X


def _refuse_complex(X, name: str) -> None:
    if np.iscomplexobj(X):  # NumPy would drop the imaginary parts with only a warning
        raise ValueError(f"{name} holds complex numbers, and a network here computes with real "
                         "ones; pass X.real, np.abs(X), or the real and imaginary parts as "
                         "separate columns")


def _check_sparse(X, n_features: int | None, name: str, dtype):
    """A scipy.sparse ``X`` as CSR of ``dtype`` (rows are cheap to take), checked as above."""
    _refuse_complex(X, name)
    try:
        X = X.tocsr().astype(dtype, copy=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric: {error}") from None
    if X.shape[0] == 0:
        raise ValueError(f"{name} has no samples")
    if not np.isfinite(X.data).all():
        raise ValueError(f"{name} contains NaN or infinite values; remove or impute them "
                         "before training")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features, but the model expects {n_features}")
    return X


def check_targets(y, loss: Loss, n_samples: int, n_outputs: int, dtype) -> np.ndarray:
    """The targets in the form ``loss`` wants, or a ``ValueError``."""
    y = np.asarray(y)
    if y.ndim == 0:
        raise ValueError(f"y must hold one label (or target) per sample, got the scalar {y!r}")
    if y.shape[0] != n_samples:
        raise ValueError(f"X and y have different lengths: {n_samples} samples but {y.shape[0]} "
                         "labels")
    if isinstance(loss, BinaryCrossEntropy):
        if y.ndim > 2 or (y.ndim == 2 and y.shape[1] != 1):
            raise ValueError(f"binary cross-entropy needs labels 0/1 of shape (n,) or (n, 1), got "
                             f"shape {y.shape}; for more classes use SoftmaxCrossEntropy and one "
                             "output per class")
        if not np.isin(y, (0, 1)).all():
            raise ValueError(f"binary cross-entropy needs labels 0/1, got {_offending(y, (0, 1))}"
                             "; for more classes use SoftmaxCrossEntropy and one output per "
                             "class")
        return y.reshape(-1, 1).astype(dtype)
    if isinstance(loss, SoftmaxCrossEntropy):
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.number):
            got = f"shape {y.shape}" if y.ndim != 1 else f"values of dtype {y.dtype}"
            raise ValueError(f"softmax cross-entropy needs integer labels 0..{n_outputs - 1} of "
                             f"shape (n,), got {got}")
        if np.any(y != np.round(y)) or y.min() < 0 or y.max() >= n_outputs:
            raise ValueError(f"softmax cross-entropy needs integer labels 0..{n_outputs - 1}, got "
                             f"{_offending(y, range(n_outputs))}; number the classes from 0, "
                             "and give the network one output per class")
        return y.astype(np.intp)
    y = np.asarray(y, dtype=dtype)
    if y.size != n_samples * n_outputs:
        raise ValueError(f"y has {y.size} values, but the model has {n_outputs} output(s) for "
                         f"each of {n_samples} samples")
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinite values")
    return y.reshape(n_samples, n_outputs)


def _offending(y: np.ndarray, allowed) -> str:
    """``"labels 1..3; found 3 in 3 rows"``: the range of ``y`` and its values outside
    ``allowed`` (the first five), with how many rows hold them."""
    bad = ~np.isin(y, list(allowed))
    values = np.unique(y[bad])
    shown = ", ".join(f"{v:g}" for v in values[:5].tolist()) + (", ..." if values.size > 5 else "")
    finite = y[np.isfinite(y)]
    span = f"{finite.min():g}..{finite.max():g}" if finite.size else "nan"
    count = int(np.count_nonzero(bad))
    return f"labels {span}; found {shown} in {count} row{'s' if count != 1 else ''}"


def stratified_split(y: np.ndarray, fraction: float, rng: np.random.Generator,
                     stratify: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, held_out)``, sorted, with ``round(fraction * n)`` samples held out
    (at least one).

    Stratified (the default), each class gives ``fraction`` of its members, rounded down or up
    so that the total comes out right: the classes whose share has the largest fractional part
    give the extra samples (as scikit-learn's ``StratifiedShuffleSplit``). So even 10 samples
    of 3 classes can hold out 1.
    """
    n = y.shape[0]
    n_out = max(1, round(fraction * n))
    if n_out >= n:
        raise ValueError(f"cannot hold out {fraction:.0%} of {n} samples and keep some for "
                         "training")
    if not stratify:
        order = rng.permutation(n)
        return np.sort(order[n_out:]), np.sort(order[:n_out])
    labels = y.reshape(n, -1)[:, 0]
    classes, counts = np.unique(labels, return_counts=True)
    share = fraction * counts
    take = np.floor(share).astype(np.intp)
    extra = n_out - int(take.sum())  # between 0 and the number of classes
    take[np.argsort(take - share, kind="stable")[:extra]] += 1  # largest remainders first
    held_out = [rng.permutation(np.flatnonzero(labels == value))[:k]
                for value, k in zip(classes, take)]
    held = np.sort(np.concatenate(held_out))
    return np.setdiff1d(np.arange(n), held), held


class Batches:
    """The training data ``X (n, n_features)``, targets ``y (n,)`` or ``(n, k)`` and optional
    ``sample_weight (n,)``, cut into batches of ``batch_size`` rows (the last may be smaller).

    With ``shuffle`` the rows are put in a new random order (``rng.permutation``; ``rng`` a
    Generator or a seed) every epoch, unless one batch holds them all. Two ways to gather
    them, with the same numbers:

    * ``gather=False`` takes each batch's rows when it is needed (``X.take``): memory for one
      batch only, the way for large data;
    * ``gather=True`` copies the whole shuffled data once per epoch into arrays allocated here,
      and batches are then plain slices: fewer NumPy calls per batch, the way for small data
      and small batches (``MLPClassifier`` does this), at the cost of a second copy of ``X``.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None, *,
                 batch_size: int, shuffle: bool = True, rng: np.random.Generator | None = None,
                 gather: bool = False):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.n = X.shape[0]
        self.batch_size = min(batch_size, self.n)
        self.shuffle = shuffle and self.batch_size < self.n
        self.rng = as_generator(rng) if self.shuffle else rng
        self.gather = gather and self.shuffle
        if self.gather:  # allocated once, filled every epoch
            self._shuffled = (np.empty_like(X), np.empty_like(y),
                              None if sample_weight is None else np.empty_like(sample_weight))
        # Without shuffling every epoch has the same batches: cut them once, not every epoch
        # (a full-batch epoch of a small network takes ~30 us, a generator ~1 us of that).
        # Only for arrays, whose slices are views; a sparse X's slices would be copies.
        fixed = not self.shuffle and (isinstance(X, np.ndarray) or self.batch_size == self.n)
        self._fixed = list(self._slices(X, y, sample_weight)) if fixed else None

    def epoch(self) -> Iterable[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        """The ``(X_batch, y_batch, weight_batch or None)`` of one pass over the data."""
        if self._fixed is not None:
            return self._fixed
        if not self.shuffle:
            return self._slices(self.X, self.y, self.sample_weight)
        return self._shuffled_batches()

    def _shuffled_batches(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        X, y, w = self.X, self.y, self.sample_weight
        n, size = self.n, self.batch_size
        order = self.rng.permutation(n)
        if not self.gather:
            for start in range(0, n, size):
                rows = order[start:start + size]
                yield (X[rows], y.take(rows, axis=0),  # X[rows]: sparse X too
                       None if w is None else w.take(rows))
            return
        X, y, w = self._shuffled
        np.take(self.X, order, axis=0, out=X)
        np.take(self.y, order, axis=0, out=y)
        if w is not None:
            np.take(self.sample_weight, order, out=w)
        yield from self._slices(X, y, w)

    def _slices(self, X, y, w) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        """Consecutive batches of ``batch_size`` rows (views; the whole arrays for one batch)."""
        n, size = self.n, self.batch_size
        if size == n:
            yield X, y, w
            return
        for start in range(0, n, size):
            stop = start + size
            yield X[start:stop], y[start:stop], None if w is None else w[start:stop]
