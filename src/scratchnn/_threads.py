"""BLAS threads for the estimators: ``SCRATCHNN_BLAS_THREADS``.

NumPy's matrix products run on a BLAS library (OpenBLAS, MKL, ...) that by default starts one
thread per core. One model alone gains from that; a search that trains several models at
once does not: two trials with two BLAS threads each on two cores make four threads fight for
two cores, and the small products of small networks become many times slower
(``benchmarks/blas_threads.py`` measures it). So a search should give each trial one thread.

Process-based searches mostly do it already (joblib's loky workers get ``cores // n_jobs``
threads, Dask's worker processes start with ``OPENBLAS_NUM_THREADS=1`` and friends, Ray's with
``OMP_NUM_THREADS`` set to the CPUs of the trial). Where they do not (threads of one process,
or a pool with more cores than jobs), set the environment variable ``SCRATCHNN_BLAS_THREADS``
to a positive integer: the estimators' ``fit``, ``partial_fit`` and predictions then run inside
``threadpoolctl.threadpool_limits(n, user_api="blas")`` and restore the previous limit after.

A BLAS library keeps one thread count per process, not per thread: when several threads of a
process train at once, the limit is set by the first one in and restored by the last one out
(a count under a lock), so one trial finishing does not lift the limit under another. (OpenBLAS
0.3.31 was seen to ignore a count set from one thread once another thread had set one: the
last trial out then asks for the old count back and BLAS may keep the limit. For trials that
are threads of one process, the surest way is to set the limit once, in the main thread,
before they start.)
"""

from __future__ import annotations

import functools
import os
import threading
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

ENVIRONMENT_VARIABLE = "SCRATCHNN_BLAS_THREADS"

_lock = threading.Lock()
_active = 0  # how many limited calls are running in this process
_limiter = None  # the threadpool_limits in force while _active > 0


def requested_blas_threads() -> int | None:
    """The number of BLAS threads ``SCRATCHNN_BLAS_THREADS`` asks for, or ``None`` (unset or
    empty: leave BLAS as NumPy set it up). Anything but a positive integer is a ``ValueError``
    that names the variable."""
    text = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{ENVIRONMENT_VARIABLE} must be a positive integer (BLAS threads "
                         f"per training process), got {text!r}; unset it to keep NumPy's "
                         "default")
    return int(text)


@contextmanager
def blas_threads_from_environment():
    """Within the block, at most ``SCRATCHNN_BLAS_THREADS`` BLAS threads (nothing changes when
    the variable is unset). Nested and concurrent blocks share one limit, lifted by the last
    block to leave."""
    global _active, _limiter
    n_threads = requested_blas_threads()
    if n_threads is None:
        yield
        return
    with _lock:
        if _active == 0:
            _limiter = threadpool_limits(n_threads, user_api="blas")
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                _limiter.restore_original_limits()
                _limiter = None


def limits_blas_threads(method):
    """Decorator: run ``method`` inside :func:`blas_threads_from_environment`."""

    @functools.wraps(method)
    def limited(*args, **kwargs):
        with blas_threads_from_environment():
            return method(*args, **kwargs)

    return limited
