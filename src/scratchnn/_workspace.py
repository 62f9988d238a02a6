"""Reusable output arrays: the one place where scratchnn trades a little clarity for speed.

Why: a small network spends most of its time in NumPy's per-call overhead, and a fresh
array per operation roughly doubles the cost of each call. Layers therefore write their
results into arrays that are allocated once per (name, shape, dtype) and reused on every
later call with the same batch size, through NumPy's ``out=`` arguments.

The price: an array returned by a layer's ``forward`` or ``backward`` is overwritten by the
next call with the same shape. ``Sequential.forward`` returns a copy, so user code that
keeps a model's output is safe; code that keeps a single layer's output should copy it.
"""

from __future__ import annotations

import numpy as np

_MAX_ARRAYS = 32  # forget old shapes beyond this (e.g. many predict() calls of odd sizes)
_WIDE = 16  # from this many columns on, broadcasting a row beats a scalar or a BLAS call


class Workspace:
    """A small cache of preallocated arrays keyed by (name, shape, dtype)."""

    def __init__(self) -> None:
        self._arrays: dict[tuple, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        """An uninitialised array of ``shape`` and ``dtype``, the same one for the same key."""
        key = (name, shape, dtype)
        array = self._arrays.get(key)
        if array is None:
            if len(self._arrays) >= _MAX_ARRAYS:
                self._arrays.clear()
            array = self._arrays[key] = np.empty(shape, dtype)
        return array

    def ones(self, n: int, dtype) -> np.ndarray:
        """A vector of ``n`` ones: ``ones @ g`` sums the rows of a narrow ``g`` faster than
        ``g.sum(axis=0)``, because it is a single BLAS call."""
        key = ("ones", (n,), dtype)
        array = self._arrays.get(key)
        if array is None:
            array = self.get("ones", (n,), dtype)
            array.fill(1)
        return array

    def arange(self, n: int) -> np.ndarray:
        """``0, 1, ..., n - 1`` (row indices for picking one entry per row), made once."""
        key = ("arange", (n,), np.intp)
        array = self._arrays.get(key)
        if array is None:
            array = self.get("arange", (n,), np.intp)
            array[:] = np.arange(n)
        return array

    def zero_for(self, x: np.ndarray):
        """The fastest zero to compare ``x`` with in ``np.maximum(x, zero, out=...)``.

        On wide arrays a scalar 0 takes a slow (unvectorised) path, and a preallocated row
        of zeros, broadcast over the rows, is about twice as fast; on narrow arrays (a few
        columns) broadcasting costs more than it saves, so the scalar stays."""
        n = x.shape[-1]
        if n < _WIDE:
            return 0
        key = ("zeros", (n,), x.dtype)
        array = self._arrays.get(key)
        if array is None:
            array = self.get("zeros", (n,), x.dtype)
            array.fill(0)
        return array

    def clear(self) -> None:
        self._arrays.clear()

    def __getstate__(self) -> dict:
        # Scratch arrays are not part of a model: pickle (or joblib-memmap) an empty cache, so
        # a copy never shares or inherits read-only buffers and allocates its own on first use.
        return {"_arrays": {}}


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``a @ b`` written into ``out``.

    When the inner dimension is 1, the product is an outer product (the gradient flowing back
    out of a layer with a single output): a broadcast ``multiply`` does it several times
    faster than a BLAS call, which is tuned for real matrix products (but not when ``b``
    has only a few columns)."""
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == 1 and b.shape[1] >= _WIDE:
        return np.multiply(a, b, out=out)
    return np.matmul(a, b, out=out)
