"""BLAS threads per trial when several trials run at once: a ``(128, 784) @ (784, 128)``
product (a batch of 128 MNIST-sized rows through a 128-unit layer), timed in two trials that run
together, each trial allowed 1 or 2 BLAS threads (``threadpoolctl.threadpool_limits``).

Two layouts, as parallel searches use them:

* ``processes``: each trial in its own process (joblib's loky workers, Dask workers with
  ``processes=True``, Ray's workers);
* ``threads``: both trials as threads of one process (Dask with ``processes=False``, joblib's
  ``threading`` backend). BLAS libraries keep one thread-count setting per process, so here the
  setting is made once for the process.

Each trial times ``--repeats`` products; the trials start together (a barrier) so that they
overlap. Reported, in microseconds per product: one trial alone (the reference), then for each
layout and thread count the median and the mean of the slower trial (the mean counts the
stalls of threads that wait for a core, which is what an oversubscribed search pays), and the
ratio of the means, 2 threads over 1. The figures depend on what else the machine runs: say
what it was (the first line prints the load average).

Usage: ``python benchmarks/blas_threads.py [--repeats N] [--dtype float64|float32]``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import threading
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

SHAPE = (128, 784, 128)  # (rows, inputs, units)


def time_products(n_threads: int, repeats: int, dtype: str, barrier) -> tuple[float, float]:
    """Median and mean seconds of one product over ``repeats``, after waiting at ``barrier``
    (the mean counts the slow outliers, which are what an oversubscribed search suffers)."""
    rng = np.random.default_rng(0)
    rows, inputs, units = SHAPE
    a = rng.normal(size=(rows, inputs)).astype(dtype)
    b = rng.normal(size=(inputs, units)).astype(dtype)
    times = []
    with threadpool_limits(n_threads, user_api="blas"):
        a @ b  # warm-up: the BLAS thread pool starts here
        barrier.wait()
        for _ in range(repeats):
            start = time.perf_counter()
            a @ b
            times.append(time.perf_counter() - start)
    return statistics.median(times), statistics.fmean(times)


def _process_trial(n_threads, repeats, dtype, barrier, results) -> None:
    results.put(time_products(n_threads, repeats, dtype, barrier))


def in_processes(n_trials: int, n_threads: int, repeats: int, dtype: str) -> list[tuple]:
    """Each trial in its own (spawned) process."""
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(n_trials), ctx.Queue()
    workers = [ctx.Process(target=_process_trial,
                           args=(n_threads, repeats, dtype, barrier, results))
               for _ in range(n_trials)]
    for worker in workers:
        worker.start()
    out = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    return out


def in_threads(n_trials: int, n_threads: int, repeats: int, dtype: str) -> list[tuple]:
    """All trials as threads of this process, the BLAS setting made once for the process."""
    barrier, out = threading.Barrier(n_trials), []
    with threadpool_limits(n_threads, user_api="blas"):
        threads = [threading.Thread(
            target=lambda: out.append(time_products(n_threads, repeats, dtype, barrier)))
            for _ in range(n_trials)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=500)
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    args = parser.parse_args()
    blas = [(i["internal_api"], i["version"], i["num_threads"])
            for i in threadpool_info() if i["user_api"] == "blas"]
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, BLAS {blas}, "
          f"{args.dtype}, product {SHAPE[0]}x{SHAPE[1]} @ {SHAPE[1]}x{SHAPE[2]}, "
          f"{args.repeats} products per trial")
    median, mean = in_processes(1, 1, args.repeats, args.dtype)[0]
    print(f"one trial alone, 1 thread: median {median * 1e6:6.0f} us, mean {mean * 1e6:6.0f} us")
    for name, run in (("processes", in_processes), ("threads", in_threads)):
        means = {}
        for n_threads in (1, 2):
            # the slower trial sets the pace of a search
            median, mean = max(run(2, n_threads, args.repeats, args.dtype), key=lambda t: t[1])
            means[n_threads] = mean
            print(f"two trials as {name:9s}, {n_threads} BLAS thread(s) each: "
                  f"median {median * 1e6:6.0f} us, mean {mean * 1e6:6.0f} us")
        print(f"  -> mean with 2 threads / mean with 1: {means[2] / means[1]:.2f} ({name})")


if __name__ == "__main__":
    main()
