"""The windows of a convolution or a pooling, laid out for speed: confined here so that
``conv.py`` reads like the textbook.

A convolution is one dot product per (window, filter). Written as loops over the output
positions (``textbook.conv2d``) it makes ``Ho * Wo`` small matrix products; ``im2col`` copies
every window into one row of a matrix ``(n * Ho * Wo, C * kh * kw)`` once, so that the whole
convolution is ONE matrix product with the filters ``(C * kh * kw, F)``, which BLAS runs near
its peak. ``col2im`` is its adjoint: it adds each row's gradient back onto the pixels the
window came from (overlapping windows add up), in ``kh * kw`` strided slices rather than one
Python step per window.

The rows are taken in channels-last order (``n, Ho, Wo`` then ``C, kh, kw``) so that a row is
one window and the product's result ``(n * Ho * Wo, F)`` is the output in ``(n, Ho, Wo, F)``;
one transpose gives PyTorch's ``(n, F, Ho, Wo)``. Measured (one BLAS thread, float64, forward
plus backward of a 3x3 convolution on batches of 16-64 images, ``benchmarks/conv_layers.py``,
``docs/speed.md`` "Convolutions"): 7-14x faster than the loops over output positions.
"""

from __future__ import annotations

import numpy as np


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """The number of window positions along one axis: ``(size + 2 p - k) // s + 1`` (0 or
    less when the kernel does not fit)."""
    return (size + 2 * padding - kernel) // stride + 1


def pad(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """``x (n, C, H, W)`` with ``padding`` rows and columns of zeros around each image (``x``
    itself when there is no padding)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def windows(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Every ``kernel``-sized window of ``x (n, C, H, W)``, ``stride`` apart, as a read-only
    view ``(n, C, Ho, Wo, kh, kw)`` (no copy)."""
    view = np.lib.stride_tricks.sliding_window_view(x, kernel, axis=(2, 3))
    return view[:, :, ::stride[0], ::stride[1]]


def im2col(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
           padding: tuple[int, int]) -> np.ndarray:
    """The windows of ``x (n, C, H, W)`` (after padding), one per row: ``(n * Ho * Wo,
    C * kh * kw)``, a new contiguous array.

    Filled offset by offset: kernel offset ``(i, j)`` is one strided slice of the image,
    copied into column ``(c, i, j)`` of every row at once. Measured 3x faster than copying the
    windows' view (``windows``) in one go, whose innermost run is only ``kw`` numbers long."""
    x = pad(x, padding)
    n, C, H, W = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
    pixels = x.transpose(0, 2, 3, 1)  # (n, H, W, C): a view, channels last like the rows
    cols = np.empty((n, Ho, Wo, C, kh, kw), x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[..., i, j] = pixels[:, i:i + sh * Ho:sh, j:j + sw * Wo:sw]
    return cols.reshape(n * Ho * Wo, C * kh * kw)


def col2im(cols: np.ndarray, x_shape: tuple[int, ...], kernel: tuple[int, int],
           stride: tuple[int, int], padding: tuple[int, int]) -> np.ndarray:
    """The adjoint of ``im2col``: ``cols (n * Ho * Wo, C * kh * kw)`` summed back onto the
    pixels of an array shaped ``x_shape (n, C, H, W)``; a new array.

    The sums are made channels last, as the rows hold them (``(n, H, W, C)``, ``kh kw``
    strided additions), and turned to ``(n, C, H, W)`` by one copy at the end: measured 1.5-2x
    faster than adding into ``(n, C, H, W)`` directly."""
    n, C, H, W = x_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    Ho, Wo = output_size(H, kh, sh, ph), output_size(W, kw, sw, pw)
    grid = cols.reshape(n, Ho, Wo, C, kh, kw)
    sums = np.zeros((n, H + 2 * ph, W + 2 * pw, C), cols.dtype)
    for i in range(kh):  # kernel offset (i, j): one strided slice of the image per offset
        for j in range(kw):
            sums[:, i:i + sh * Ho:sh, j:j + sw * Wo:sw] += grid[..., i, j]
    sums = sums[:, ph:ph + H, pw:pw + W] if ph or pw else sums
    return np.ascontiguousarray(sums.transpose(0, 3, 1, 2))


def scatter_windows(grad_windows: np.ndarray, x_shape: tuple[int, ...],
                    stride: tuple[int, int]) -> np.ndarray:
    """Pooling's ``col2im``: ``grad_windows (n, C, Ho, Wo, kh, kw)``, the gradient of every
    window's entries, summed back onto an array shaped ``x_shape (n, C, H, W)``."""
    *_, Ho, Wo, kh, kw = grad_windows.shape
    sh, sw = stride
    out = np.zeros(x_shape, grad_windows.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i:i + sh * Ho:sh, j:j + sw * Wo:sw] += grad_windows[..., i, j]
    return out


def window_max(view: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each window's largest entry and where it is, for the windows ``view (n, C, Ho, Wo,
    kh, kw)``: ``(largest, where)``, both ``(n, C, Ho, Wo)``, ``where`` counting row by row in
    the window (``0 .. kh kw - 1``, the first on a tie), as ``np.argmax`` over the flattened
    window gives it.

    The entries are first copied offset by offset (``(kh, kw, n, C, Ho, Wo)``, one copy), then
    compared ``kh kw - 1`` times over whole contiguous arrays: measured 5-7x faster than a
    copy of the windows and ``argmax`` over each (2x2 windows). ``where`` only grows (offset
    ``k`` wins over the earlier ones), so a maximum updates it without a masked write (those
    are slow: a random mask defeats the vector units).
    """
    n, C, Ho, Wo, kh, kw = view.shape
    by_offset = np.ascontiguousarray(view.transpose(4, 5, 0, 1, 2, 3))
    by_offset = by_offset.reshape(kh * kw, n, C, Ho, Wo)
    largest = by_offset[0].copy()
    where = np.zeros(largest.shape, np.intp)
    for k in range(1, kh * kw):
        larger = by_offset[k] > largest  # strictly: on a tie the first stays
        np.maximum(where, k * larger, out=where)
        np.maximum(largest, by_offset[k], out=largest)
    return largest, where


def scatter_max(grad: np.ndarray, where: np.ndarray, x_shape: tuple[int, ...],
                kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Max-pooling's ``col2im``: each window's gradient ``grad (n, C, Ho, Wo)`` onto the entry
    ``where`` names (``window_max``), summed back onto an array shaped ``x_shape``."""
    kh, kw = kernel
    picked = np.empty((kh, kw, *grad.shape), grad.dtype)  # offset by offset, as in window_max
    for k in range(kh * kw):
        np.multiply(grad, where == k, out=picked[divmod(k, kw)])
    return scatter_windows(picked.transpose(2, 3, 4, 5, 0, 1), x_shape, stride)

