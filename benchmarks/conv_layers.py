"""The convolution's fast path against the textbook's loops, on one BLAS thread.

For a few layer shapes: the time of one forward and backward pass of ``Conv2D`` (im2col: the
windows copied into one matrix, then three matrix products) and of ``textbook.conv2d`` +
``textbook.conv2d_backward`` (a loop over the output positions, one small product each), their
ratio, and how many plain matrix products of the forward's size ``(n Ho Wo, C kh kw) @
(C kh kw, F)`` the pass costs (three products are the floor: forward, dW and dx).

    python benchmarks/conv_layers.py
"""

from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

import scratchnn as snn
from scratchnn import textbook as tb

SHAPES = [  # (n, C, H, F, k, stride, padding)
    (64, 1, 28, 8, 3, 1, 0), (64, 8, 13, 16, 3, 1, 0), (64, 3, 32, 16, 3, 1, 1),
    (16, 16, 32, 32, 3, 2, 1)]


def best(f, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    print("| input | layer | loops (ms) | im2col (ms) | ratio | x one matmul |")
    print("|---|---|---:|---:|---:|---:|")
    with threadpool_limits(1):
        for n, C, H, F, k, s, p in SHAPES:
            x = rng.standard_normal((n, C, H, H))
            layer = snn.Conv2D(C, F, k, stride=s, padding=p, rng=0)
            y = layer.forward(x)
            g = rng.standard_normal(y.shape)

            def fast(layer=layer, x=x, g=g):
                layer.forward(x)
                layer.backward(g)

            def loops(layer=layer, x=x, g=g, s=s, p=p):
                tb.conv2d(x, layer.W, layer.b, s, p)
                tb.conv2d_backward(x, layer.W, g, s, p)

            t_fast, t_loops = best(fast, 15), best(loops, 5)
            windows = rng.standard_normal((n * y.shape[2] * y.shape[3], C * k * k))
            filters = rng.standard_normal((C * k * k, F))
            t_matmul = best(lambda a=windows, b=filters: a @ b, 15)
            print(f"| {x.shape} | {layer!r} | {t_loops * 1e3:.1f} | {t_fast * 1e3:.2f} | "
                  f"{t_loops / t_fast:.0f}x | {t_fast / t_matmul:.1f} |")


if __name__ == "__main__":
    main()
