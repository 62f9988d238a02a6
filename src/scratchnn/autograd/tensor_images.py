"""Tensor operations on images ``(n, C, H, W)``: ``pad``, ``windows`` and, made of them and
``einsum``, ``conv2d`` and ``conv1d``.

A convolution is a sum over the windows of the image::

    y[s, f, i, j] = b[f] + sum over c, u, v of  W[f, c, u, v] * xpad[s, c, i*sh + u, j*sw + v]

so two new operations are enough: ``pad`` (zeros around each image) and ``windows`` (every
``kh x kw`` window, ``stride`` apart, as two more axes). The sum itself is ``einsum``, whose
backward ``tensor.py`` writes once for all. Pooling is ``windows`` followed by ``max`` or
``mean`` over the two window axes.

    x, W, b = Tensor(rng.normal(size=(2, 3, 8, 8))), Tensor(rng.normal(size=(4, 3, 3, 3))), ...
    y = conv2d(x, W, b, stride=1, padding=1)            # (2, 4, 8, 8)
    pooled = windows(y, (2, 2), (2, 2)).max(axis=(4, 5))  # (2, 4, 4, 4)
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor, add_grad, as_tensor, einsum


def pad(x, widths) -> Tensor:
    """``x`` with zeros around it: ``widths`` gives ``(before, after)`` for each axis, as
    ``np.pad`` (``((0, 0), (0, 0), (1, 1), (1, 1))`` pads an image batch by one pixel). The
    zeros are constants, so the gradient is the slice of ``out.grad`` where ``x`` sits."""
    x = as_tensor(x)
    widths = [tuple(int(w) for w in pair) for pair in widths]
    if len(widths) != x.ndim or any(len(p) != 2 or min(p) < 0 for p in widths):
        raise ValueError(f"pad takes one (before, after) pair of integers >= 0 per axis, "
                         f"{x.ndim} for shape {x.shape}; got {widths}")
    out = x._result(np.pad(x.data, widths), (x,), "pad")
    where_x = tuple(slice(before, before + size) for (before, _), size in zip(widths, x.shape))

    def _backward():
        add_grad(x, out.grad[where_x])

    out._backward = _backward
    return out


def windows(x, kernel_size: tuple[int, int], stride: tuple[int, int]) -> Tensor:
    """Every ``kernel_size`` window of ``x (..., H, W)``, ``stride`` apart:
    ``(..., Ho, Wo, kh, kw)`` with ``Ho = (H - kh) // sh + 1`` (``Wo`` likewise), so that
    ``out[..., i, j, u, v] = x[..., i sh + u, j sw + v]``.

    Overlapping windows share pixels, so the backward adds each window's gradient back onto
    the pixels it came from: one strided slice of the image per kernel offset ``(u, v)``."""
    x = as_tensor(x)
    (kh, kw), (sh, sw) = kernel_size, stride
    if x.ndim < 2 or kh > x.shape[-2] or kw > x.shape[-1] or min(kh, kw, sh, sw) < 1:
        raise ValueError(f"windows: a {kh}x{kw} kernel with stride {sh}x{sw} does not fit "
                         f"an input of shape {x.shape}; use a smaller kernel or more padding")
    view = np.lib.stride_tricks.sliding_window_view(x.data, (kh, kw), axis=(-2, -1))
    out = x._result(view[..., ::sh, ::sw, :, :], (x,), "windows")  # a view, no copy
    Ho, Wo = out.shape[-4:-2]

    def _backward():
        grad = np.zeros_like(x.data)
        for u in range(kh):
            for v in range(kw):  # window (i, j)'s entry (u, v) is pixel (i sh + u, j sw + v)
                grad[..., u:u + sh * Ho:sh, v:v + sw * Wo:sw] += out.grad[..., u, v]
        add_grad(x, grad)

    out._backward = _backward
    return out


def _pair(value) -> tuple[int, int]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def conv2d(x, W, b=None, stride=1, padding=0) -> Tensor:
    """A 2-D convolution in PyTorch's layout: ``x (n, C, H, W)``, filters ``W (F, C, kh, kw)``,
    ``b (F,)`` or None -> ``(n, F, Ho, Wo)``, ``Ho = (H + 2 ph - kh) // sh + 1``.
    ``stride`` and ``padding`` are an int or a pair."""
    x, W = as_tensor(x), as_tensor(W)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    padded = pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    patches = windows(padded, W.shape[2:], (sh, sw))  # (n, C, Ho, Wo, kh, kw)
    y = einsum("ncijuv,fcuv->nfij", patches, W)  # one dot product per window and filter
    return y if b is None else y + as_tensor(b).reshape(1, -1, 1, 1)


def conv1d(x, W, b=None, stride: int = 1, padding: int = 0) -> Tensor:
    """A 1-D convolution: ``x (n, C, L)``, ``W (F, C, k)``, ``b (F,)`` or None ->
    ``(n, F, Lo)``, ``Lo = (L + 2 p - k) // s + 1``: ``conv2d`` on images one pixel high."""
    x, W = as_tensor(x), as_tensor(W)
    n, C, L = x.shape
    F, _, k = W.shape
    y = conv2d(x.reshape(n, C, 1, L), W.reshape(F, C, 1, k), b, stride=(1, stride),
               padding=(0, padding))
    return y.reshape(n, F, y.shape[-1])
