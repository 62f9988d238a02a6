"""The measured speed tricks, confined: the one place where scratchnn trades a little clarity
for speed. None of them changes what a public call returns: every array a layer or a loss hands
back is a new one, the caller's to keep.

Why they exist: a small network spends most of its time in NumPy's per-call overhead and in a
few operations that NumPy does slowly on narrow arrays. Each function below replaces one such
operation by an equivalent that measured faster, and says by how much (2-core machine, NumPy
2.4, OpenBLAS, one thread; ``docs/speed.md`` has the whole story):

- ``matmul``: ``np.dot`` rather than ``np.matmul`` (``@``) for transposed or one-column operands;
- ``column_sums``: ``ones @ g`` rather than ``g.sum(axis=0)`` for a bias gradient;
- ``zero_for``: an array of zeros rather than the scalar 0 in ``np.maximum`` / ``np.greater``;
- ``join_views``: all of a model's parameters as one vector, updated in one call per step.
"""

from __future__ import annotations

import numpy as np

_SMALL_ARRAY = 65536  # arrays up to this size get a same-shape array of zeros (see zero_for)
_WIDE = 16  # from this many columns on, a row of zeros broadcast over the rows beats a scalar
_MAX_CACHED = 64  # constants kept (ones and zeros of the shapes seen); older ones are dropped
_constants: dict[tuple, np.ndarray] = {}


def _constant(kind: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    """A read-only array of ones or zeros, made once per (kind, shape, dtype) and shared."""
    key = (kind, shape, np.dtype(dtype))
    array = _constants.get(key)
    if array is None:
        if len(_constants) >= _MAX_CACHED:
            _constants.clear()
        array = np.ones(shape, dtype) if kind == "ones" else np.zeros(shape, dtype)
        array.flags.writeable = False  # shared: nobody may change it
        _constants[key] = array
    return array


def matmul(a, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` (into ``out`` if given), by ``np.dot`` when ``a`` and ``b`` share a dtype.

    ``np.dot`` hands transposed operands (``x.T``, ``W.T``) to BLAS as they are, with a
    transpose flag; ``np.matmul`` handles small transposed or single-column operands far less
    well. Measured: the outer product ``(1000, 1) @ (1, 4)`` takes 2.7 us by ``dot`` and 9.8 us
    by ``matmul``; ``(1024, 1) @ (1, 512)`` 61 us against 500 us."""
    if not isinstance(a, np.ndarray):  # a SciPy sparse matrix (the estimators' sparse X)
        product = np.asarray(a @ b)
        if out is None:
            return product
        np.copyto(out, product)
        return out
    if a.dtype == b.dtype and (out is None or out.dtype == a.dtype):
        return np.dot(a, b, out=out)
    return np.matmul(a, b, out=out)


def column_sums(g: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``g.sum(axis=0)`` for ``g (n, k)``, as the product ``ones(n) @ g`` (into ``out``).

    NumPy sums a narrow array down its columns slowly: ``g.sum(axis=0)`` on ``(1000, 4)``
    measured 26 us, ``ones @ g`` 2.6 us (one BLAS call)."""
    return matmul(_constant("ones", (g.shape[0],), g.dtype), g, out=out)


def zero_for(x: np.ndarray):
    """The fastest zero to compare ``x`` with, in ``np.maximum(x, zero)`` or ``x > zero``.

    ``np.maximum`` against a scalar 0 takes a slow, unvectorised path: on a ``(1000, 4)`` array
    4.2 us, against 2.0 us for an array of zeros of the same shape. So small arrays get a
    shared, read-only array of zeros of their shape, wide ones a row of zeros (broadcast over
    the rows); a large narrow array keeps the scalar rather than a second array of its size."""
    if x.size <= _SMALL_ARRAY:
        return _constant("zeros", x.shape, x.dtype)
    if x.shape[-1] >= _WIDE:
        return _constant("zeros", x.shape[-1:], x.dtype)
    return 0


def join_views(arrays: list[np.ndarray]) -> np.ndarray | None:
    """The one 1-D array that ``arrays`` are consecutive, contiguous windows of, or ``None``.

    ``Sequential`` keeps all its parameters in one vector (and all gradients in another),
    each layer's ``W`` and ``b`` being windows into it. An optimizer that sees this updates
    the whole network in a couple of NumPy calls instead of a couple per array: on a small
    network, per-call overhead is most of the cost of a step."""
    base = arrays[0].base if arrays else None
    if not isinstance(base, np.ndarray) or base.ndim != 1 or not base.flags.c_contiguous:
        # (a joblib memmap's base is an mmap, not an array: no shared vector to update)
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
