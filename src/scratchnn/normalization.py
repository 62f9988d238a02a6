"""Normalisation layers: ``BatchNorm1D`` on ``(n, C)``, ``BatchNorm2D`` on ``(n, C, H, W)``, and
``LayerNorm``, with PyTorch's formulas, names and defaults.

Each standardises its input over some axes, ``x_hat = (x - mean) / sqrt(var + eps)``, and then
scales and shifts it by learned ``gamma`` and ``beta``: ``y = gamma * x_hat + beta``. Batch
normalisation takes the mean and variance of each channel over the batch (and over the pixels),
and keeps running averages of them for evaluation mode; layer normalisation takes them over
each sample's own features. ``textbook.batch_norm`` and ``textbook.batch_norm_backward`` write
the same out in full. The arrays ``forward`` and ``backward`` return are new ones.
"""

from __future__ import annotations

import numpy as np

from .layers import Layer, describe_shape


def standardized_backward(d_xhat: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray,
                          axes: tuple[int, ...]) -> np.ndarray:
    """``dL/dx`` for ``x_hat = (x - mean(x)) * inv_std`` with mean and variance taken over
    ``axes``, from ``d_xhat = dL/dx_hat``:
    ``inv_std * (d_xhat - mean(d_xhat) - x_hat * mean(d_xhat * x_hat))``.

    (The mean and the variance depend on every ``x`` they average: the two subtracted means
    are those two paths of the chain rule.)"""
    mean_d = d_xhat.mean(axis=axes, keepdims=True)
    mean_dx = (d_xhat * x_hat).mean(axis=axes, keepdims=True)
    return inv_std * (d_xhat - mean_d - x_hat * mean_dx)


class _BatchNorm(Layer):
    """What ``BatchNorm1D`` and ``BatchNorm2D`` share; they differ in the axes averaged over."""

    axes: tuple[int, ...] = (0,)  # the axes the statistics are taken over
    x_hat: np.ndarray | None = None  # the last forward's standardised input
    batch_statistics = True  # whether the last forward used the batch's mean and variance

    def __init__(self, num_features: int, momentum: float | None = 0.1, eps: float = 1e-5, *,
                 dtype=np.float64):
        super().__init__()
        name = type(self).__name__
        if not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive integer, got "
                             f"{num_features!r}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{name}: momentum must be in [0, 1] (or None: a cumulative "
                             f"average), got {momentum}")
        if not eps > 0:
            raise ValueError(f"{name}: eps must be positive, got {eps}")
        self.num_features, self.eps = int(num_features), float(eps)
        self.momentum = None if momentum is None else float(momentum)
        # How many training batches the running statistics have seen (PyTorch's buffer).
        self.num_batches_tracked = np.zeros((), np.int64)
        self.dtype = np.dtype(dtype)
        C = self.num_features
        self.gamma, self.beta = np.ones(C, self.dtype), np.zeros(C, self.dtype)
        self.dgamma, self.dbeta = np.zeros(C, self.dtype), np.zeros(C, self.dtype)
        self.running_mean, self.running_var = np.zeros(C, self.dtype), np.ones(C, self.dtype)

    def reset_parameters(self, rng=None) -> None:
        """Back to the start, in place: ``gamma = 1``, ``beta = 0``, running mean 0 and
        variance 1, no batch seen (``rng`` is not used: nothing is drawn)."""
        self.gamma[...], self.beta[...] = 1, 0
        self.running_mean[...], self.running_var[...] = 0, 1
        self.num_batches_tracked[...] = 0

    def _per_channel(self, values: np.ndarray) -> np.ndarray:
        """A ``(C,)`` array shaped to broadcast against the input: ``(1, C)`` or
        ``(1, C, 1, 1)``."""
        return values.reshape((1, -1) + (1,) * (len(self.input_shape) - 1))

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Training mode: standardise with this batch's mean and (biased) variance per channel,
        and move the running statistics a step ``momentum`` towards them (the variance
        unbiased, ``* N / (N - 1)``, as PyTorch; ``momentum=None``: a step ``1 / k`` at the
        ``k``-th batch, so that they are the plain average of every batch's statistics).
        Evaluation mode: use the running ones."""
        x = self._checked_input(x)
        self.batch_statistics = self.training
        if self.training:
            mean = x.mean(axis=self.axes, keepdims=True)
            var = x.var(axis=self.axes, keepdims=True)  # divided by N
            N = x.size // self.num_features  # values per channel
            self.num_batches_tracked += 1
            m = 1 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
            self.running_mean[...] = (1 - m) * self.running_mean + m * mean.ravel()
            self.running_var[...] = (1 - m) * self.running_var + m * var.ravel() * N / (N - 1)
        else:
            mean, var = self._per_channel(self.running_mean), self._per_channel(self.running_var)
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.x_hat = (x - mean) * self.inv_std
        return self._per_channel(self.gamma) * self.x_hat + self._per_channel(self.beta)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """``dL/dy -> dL/dx`` (same shape), after writing ``dgamma = sum(grad * x_hat)`` and
        ``dbeta = sum(grad)`` (per channel) in place. In training mode the batch's mean and
        variance depend on ``x`` too (``standardized_backward``); in evaluation mode they are
        constants and ``dL/dx = grad * gamma / sqrt(running_var + eps)``."""
        x_hat = self.x_hat
        if x_hat is None or getattr(grad, "shape", None) != x_hat.shape:
            raise self._backward_error(grad, None if x_hat is None else x_hat.shape)
        self.dgamma[...] = (grad * x_hat).sum(axis=self.axes)
        self.dbeta[...] = grad.sum(axis=self.axes)
        d_xhat = grad * self._per_channel(self.gamma)
        if not self.batch_statistics:
            return d_xhat * self.inv_std
        return standardized_backward(d_xhat, x_hat, self.inv_std, self.axes)

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(self.gamma, self.dgamma), (self.beta, self.dbeta)]

    def named_parameters(self) -> list[tuple[str, np.ndarray]]:
        return [("gamma", self.gamma), ("beta", self.beta)]

    def named_buffers(self) -> list[tuple[str, np.ndarray]]:
        return [("running_mean", self.running_mean), ("running_var", self.running_var),
                ("num_batches_tracked", self.num_batches_tracked)]

    def release(self) -> None:
        super().release()
        for name in ("x_hat", "inv_std"):
            self.__dict__.pop(name, None)

    def _checked_input(self, x) -> np.ndarray:
        x = np.asarray(x)
        expected = self.input_shape
        if (x.dtype.kind not in "biuf" or x.ndim != len(expected) + 1
                or x.shape[1] != self.num_features):
            raise ValueError(f"{self!r} expects input of shape {self._expected()}, got "
                             f"{describe_shape(x)}")
        if self.training and x.size // self.num_features < 2:
            raise ValueError(f"{self!r} needs more than one value per channel in training mode "
                             f"(got input of shape {x.shape}): use batches of 2 or more samples, "
                             "or call eval() first")
        return x

    def output_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) != len(self.input_shape) or input_shape[0] not in (
                None, self.num_features):
            shape = ", ".join("?" if d is None else str(d) for d in input_shape)
            raise ValueError(f"{self!r} expects input of shape {self._expected()}, got "
                             f"(n, {shape})")
        return tuple(input_shape)

    def __repr__(self) -> str:
        extra = "" if self.momentum == 0.1 else f", momentum={self.momentum}"
        extra += "" if self.eps == 1e-5 else f", eps={self.eps}"
        return f"{type(self).__name__}({self.num_features}{extra})"


class BatchNorm1D(_BatchNorm):
    """Batch normalisation of features: ``x (n, C) -> y (n, C)``.

    ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` with, in training mode, the mean and
    the variance (divided by ``n``) of each column over the batch; ``gamma``, ``beta`` ``(C,)``
    are learned. ``running_mean`` and ``running_var`` follow
    ``running = (1 - momentum) * running + momentum * batch`` (the variance unbiased) and are
    what evaluation mode (``model.eval()``) uses, as PyTorch's ``BatchNorm1d``; with
    ``momentum=None`` they are the cumulative average of every batch's statistics.
    ``num_batches_tracked`` counts the training batches seen (a buffer, as in PyTorch)."""

    axes = (0,)

    @property
    def input_shape(self) -> tuple[int]:
        return (self.num_features,)

    def _expected(self) -> str:
        return f"(n, {self.num_features})"


class BatchNorm2D(_BatchNorm):
    """Batch normalisation of images, per channel: ``x (n, C, H, W) -> y (n, C, H, W)``.

    As ``BatchNorm1D``, with each channel's mean and variance taken over the batch and all
    pixels (``n * H * W`` values), as PyTorch's ``BatchNorm2d``."""

    axes = (0, 2, 3)

    @property
    def input_shape(self) -> tuple[int, None, None]:
        return (self.num_features, None, None)

    def _expected(self) -> str:
        return f"(n, {self.num_features}, H, W)"


class LayerNorm(Layer):
    """Layer normalisation: each sample standardised over its last dimensions,
    ``x (n, ..., *normalized_shape) -> y`` (same shape), as PyTorch's ``LayerNorm``.

    ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` with the mean and the variance (divided
    by their count) of each sample's ``normalized_shape`` values; ``gamma``, ``beta`` are
    learned, shaped ``normalized_shape``. The same in training and evaluation mode."""

    x_hat: np.ndarray | None = None

    def __init__(self, normalized_shape, eps: float = 1e-5, *, dtype=np.float64):
        super().__init__()
        shape = (tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list))
                 else (normalized_shape,))
        if not shape or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool)
                                and d >= 1 for d in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be a positive integer or a tuple "
                             f"of them, got {normalized_shape!r}")
        if not eps > 0:
            raise ValueError(f"LayerNorm: eps must be positive, got {eps}")
        self.normalized_shape, self.eps = tuple(int(d) for d in shape), float(eps)
        self.dtype = np.dtype(dtype)
        self.axes = tuple(range(-len(shape), 0))
        self.gamma = np.ones(self.normalized_shape, self.dtype)
        self.beta = np.zeros(self.normalized_shape, self.dtype)
        self.dgamma, self.dbeta = np.zeros_like(self.gamma), np.zeros_like(self.beta)

    def reset_parameters(self, rng=None) -> None:
        """Back to the start, in place: ``gamma = 1``, ``beta = 0`` (``rng`` is not used)."""
        self.gamma[...], self.beta[...] = 1, 0

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        k = len(self.normalized_shape)
        if x.dtype.kind not in "biuf" or x.ndim < k + 1 or x.shape[-k:] != self.normalized_shape:
            dims = ", ".join(map(str, self.normalized_shape))
            raise ValueError(f"{self!r} expects input of shape (n, ..., {dims}), got "
                             f"{describe_shape(x)}")
        mean = x.mean(axis=self.axes, keepdims=True)
        var = x.var(axis=self.axes, keepdims=True)
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.x_hat = (x - mean) * self.inv_std
        return self.gamma * self.x_hat + self.beta

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """``dL/dy -> dL/dx``, after ``dgamma = sum(grad * x_hat)`` and ``dbeta = sum(grad)``
        over the samples (and any leading axes), in place."""
        x_hat = self.x_hat
        if x_hat is None or getattr(grad, "shape", None) != x_hat.shape:
            raise self._backward_error(grad, None if x_hat is None else x_hat.shape)
        leading = tuple(range(x_hat.ndim - len(self.normalized_shape)))
        self.dgamma[...] = (grad * x_hat).sum(axis=leading)
        self.dbeta[...] = grad.sum(axis=leading)
        return standardized_backward(grad * self.gamma, x_hat, self.inv_std, self.axes)

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(self.gamma, self.dgamma), (self.beta, self.dbeta)]

    def named_parameters(self) -> list[tuple[str, np.ndarray]]:
        return [("gamma", self.gamma), ("beta", self.beta)]

    def release(self) -> None:
        super().release()
        for name in ("x_hat", "inv_std"):
            self.__dict__.pop(name, None)

    def output_shape(self, input_shape: tuple) -> tuple:
        k = len(self.normalized_shape)
        tail = tuple(input_shape[-k:]) if len(input_shape) >= k else None
        if tail is None or any(d is not None and d != e
                               for d, e in zip(tail, self.normalized_shape)):
            shape = ", ".join("?" if d is None else str(d) for d in input_shape)
            raise ValueError(f"{self!r} expects input ending in {self.normalized_shape}, got "
                             f"(n, {shape})")
        return tuple(input_shape)

    def __repr__(self) -> str:
        shape = (self.normalized_shape[0] if len(self.normalized_shape) == 1
                 else self.normalized_shape)
        extra = "" if self.eps == 1e-5 else f", eps={self.eps}"
        return f"LayerNorm({shape}{extra})"
