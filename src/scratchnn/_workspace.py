"""Reusable output arrays: the one place where scratchnn trades a little clarity for speed.

Why: a small network spends most of its time in NumPy's per-call overhead, and a fresh
array per operation roughly doubles the cost of each call. Layers therefore write their
results into arrays that are allocated once per (name, shape, dtype) and reused on every
later call with the same batch size, through NumPy's ``out=`` arguments.

The price: an array returned by a layer's ``forward`` or ``backward`` is overwritten by the
next call with the same shape. ``Sequential.forward`` returns a copy, so user code that
keeps a model's output is safe; code that keeps a single layer's output should copy it.

Besides the buffers, the measured shortcuts live here, each with its reason: ``matmul``
(``np.dot`` rather than ``np.matmul``), ``Workspace.transposed`` (copy small transposed
weights), ``Workspace.zero_for`` (an array of zeros rather than the scalar 0 for
``np.maximum`` / ``np.greater``) and ``join_views`` (update a model's parameters as one vector).
"""

from __future__ import annotations

import numpy as np

_MAX_ARRAYS = 32  # forget old shapes beyond this (e.g. many predict() calls of odd sizes)
_WIDE = 16  # from this many columns on, broadcasting a row of zeros beats a scalar zero
_SMALL = 4096  # weight matrices up to this size are copied when transposed (see transposed)
_SMALL_ARRAY = 65536  # arrays up to this size get a same-shape array of zeros (see zero_for)


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

    def clear(self) -> None:
        """Forget every array (the next ``get`` allocates afresh): see ``Layer.release``."""
        self._arrays.clear()
        self._elementwise_key, self._elementwise = None, ()

    # The arrays of ``elementwise`` for the last (shape, dtype) seen; class defaults, so a fresh
    # or unpickled Workspace keeps none.
    _elementwise_key: tuple | None = None
    _elementwise: tuple = ()

    def elementwise(self, x: np.ndarray) -> tuple:
        """``(out, mask, grad_x, zero)`` for an elementwise layer's (or a loss's) input ``x``:
        three scratch arrays of x's shape and dtype (a ReLU's output, mask and input
        gradient; ``BinaryCrossEntropy``'s softplus, ``max(z, 0)`` and gradient), and
        ``zero_for(x)``.

        Kept for the last shape seen, so that a training loop pays one comparison per call
        instead of four look-ups: on T1's 2-4-1 network (benchmarks/bench.py) a ReLU that did
        so made a whole step 2.4 us shorter, 36.5 against 38.9 us (interleaved, 2-core
        machine)."""
        key = (x.shape, x.dtype)
        if key != self._elementwise_key:
            shape, dtype = x.shape, x.dtype
            self._elementwise = (self.get("out", shape, dtype), self.get("mask", shape, dtype),
                                 self.get("grad_x", shape, dtype), self.zero_for(x))
            self._elementwise_key = key
        return self._elementwise

    def largest(self) -> int:
        """The size in bytes of the largest array held (0 when empty)."""
        return max((a.nbytes for a in self._arrays.values()), default=0)

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

        ``np.maximum`` against a scalar 0 takes a slow, unvectorised path: on a (1000, 4)
        array it costs 2.5 us, against 0.9 us for an array of zeros of the same shape. So
        small arrays get a same-shape array of zeros, wide ones a row of zeros (broadcast
        over the rows, about twice as fast as the scalar); a large narrow array keeps the
        scalar rather than a second array of its size."""
        if x.size <= _SMALL_ARRAY:
            key, shape = ("zeros", x.shape, x.dtype), x.shape
        elif x.shape[-1] >= _WIDE:
            key, shape = ("zeros", x.shape[-1:], x.dtype), x.shape[-1:]
        else:
            return 0
        array = self._arrays.get(key)
        if array is None:
            array = self.get("zeros", shape, x.dtype)
            array.fill(0)
        return array

    def transposed(self, W: np.ndarray) -> np.ndarray:
        """``W.T``, as a contiguous copy when ``W`` is small.

        OpenBLAS multiplies by a small transposed right operand slowly: on a 2-core machine
        ``(1000, 4) @ W.T`` with ``W (2, 4)`` takes 3.2 us, but copying ``W.T`` (8 numbers)
        and multiplying by the copy takes 1.7 us. For large ``W`` the copy would cost more
        than it saves, so the view is returned."""
        if W.size > _SMALL or 1 in W.shape:  # large, or a vector: W.T is fine as it is
            return W.T
        Wt = self.get("transposed", W.shape[::-1], W.dtype)
        np.copyto(Wt, W.T)
        return Wt

    def __getstate__(self) -> dict:
        # Scratch arrays are not part of a model: pickle (or joblib-memmap) an empty cache, so
        # a copy never shares or inherits read-only buffers and allocates its own on first use.
        return {"_arrays": {}}


def join_views(arrays: list[np.ndarray]) -> np.ndarray | None:
    """The one 1-D array that ``arrays`` are consecutive, contiguous windows of, or ``None``.

    ``Sequential`` keeps all its parameters in one vector (and all gradients in another),
    each layer's ``W`` and ``b`` being windows into it. An optimizer that sees this updates
    the whole network in a couple of NumPy calls instead of a couple per array: on a small
    network, per-call overhead is most of the cost of a step."""
    base = arrays[0].base if arrays else None
    if base is None or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    start = position = _offset(arrays[0], base)
    for array in arrays:
        if (array.base is not base or array.dtype != base.dtype
                or not array.flags.c_contiguous or _offset(array, base) != position):
            return None
        position += array.size
    return base[start:position]


def _offset(view: np.ndarray, base: np.ndarray) -> int:
    """Where ``view`` starts in ``base``, in elements."""
    distance = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    return distance // base.itemsize


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``a @ b`` written into ``out``, by ``np.dot`` when all three share a dtype.

    ``np.dot`` hands transposed operands (``x.T``, ``W.T``) to BLAS as they are, with a
    transpose flag; ``np.matmul`` handles small transposed or single-column operands far
    less well. Measured on a 2-core machine: the outer product ``(1000, 1) @ (1, 4)`` takes
    1 us by ``dot`` and 7 us by ``matmul``; ``(1024, 1) @ (1, 512)`` 61 us against 500 us.
    ``np.dot`` cannot cast into ``out``, so mixed dtypes go to ``np.matmul``."""
    if not isinstance(a, np.ndarray):  # a SciPy sparse matrix (the estimators' sparse X)
        np.copyto(out, a @ b)
        return out
    if a.dtype == b.dtype == out.dtype:
        return np.dot(a, b, out=out)
    return np.matmul(a, b, out=out)
