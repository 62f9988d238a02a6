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

    def clear(self) -> None:
        self._arrays.clear()
