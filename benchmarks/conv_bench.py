"""A small convolutional network, scratchnn against PyTorch on the same network, in one run.

The network: ``Conv2D(1, 8, 3)``, ReLU, 2x2 max-pooling, ``Conv2D(8, 16, 3)``, ReLU, 2x2
max-pooling, ``Dense(400, 32)``, ReLU, ``Dense(32, 10)``, on 28x28 one-channel images, softmax
cross-entropy, Adam (lr 1e-3), batches of 64, float32 (PyTorch's default), one BLAS thread and
one torch thread. Reported:

- the time of one epoch (``scratchnn.fit`` for one epoch, and PyTorch's usual loop), in
  interleaved rounds (scratchnn, PyTorch, scratchnn, ...), and the median of the per-round
  ratios scratchnn / PyTorch: the goal is at most 1.5;
- the rate of the convolutions' matrix products (forward, ``dW`` and the input gradient of the
  second layer: ``2 n Ho Wo C kh kw F`` FLOPs each) over the time of the convolution layers'
  own forward and backward passes, as a fraction of the rate of one plain float32 matrix
  product of 512 x 512 measured in the same run; the same FLOPs over the whole epoch's time;
- the peak memory of training (tracemalloc, one epoch of ``fit``) for two data set sizes: the
  windows (im2col) are sized by the batch, so the peak does not grow with the data.

Usage: ``python benchmarks/conv_bench.py [--quick] [--rounds N] [--samples N] [--out DIR]``
(writes ``conv_results.json`` and ``conv_results.md`` into ``--out``, default this folder).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # run from a checkout without installing

import scratchnn as snn  # noqa: E402

BATCH, SIDE, CLASSES, LR = 64, 28, 10, 1e-3
CONVS = [(1, 8, 28), (8, 16, 13)]  # (in channels, out channels, input side) of the 3x3 layers


def scratchnn_network(seed: int = 0) -> snn.Sequential:
    rng = np.random.default_rng(seed)
    f32 = np.float32
    return snn.Sequential([
        snn.Conv2D(1, 8, 3, rng=rng, dtype=f32), snn.ReLU(), snn.MaxPool2D(2),    # (n, 8, 13, 13)
        snn.Conv2D(8, 16, 3, rng=rng, dtype=f32), snn.ReLU(), snn.MaxPool2D(2),   # (n, 16, 5, 5)
        snn.Flatten(), snn.Dense(400, 32, rng=rng, dtype=f32), snn.ReLU(),
        snn.Dense(32, CLASSES, rng=rng, dtype=f32)])


def torch_network(torch):
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(400, 32), nn.ReLU(), nn.Linear(32, CLASSES))


def data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random images and labels: the time of an epoch does not depend on what they show."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 1, SIDE, SIDE)).astype(np.float32)
    return X, rng.integers(0, CLASSES, n)


def conv_flops(n: int) -> dict[str, float]:
    """FLOPs of the convolutions' matrix products for ``n`` images: the forward product and
    ``dW`` of both layers, the input gradient of the second only (the first layer's is not
    needed, and neither library computes it)."""
    forward = dw = dx = 0.0
    for i, (C, F, side) in enumerate(CONVS):
        out = side - 2
        product = 2.0 * n * out * out * C * 9 * F
        forward += product
        dw += product
        dx += product if i > 0 else 0.0
    return {"forward": forward, "dW": dw, "dx": dx, "total": forward + dw + dx}


def epoch_scratchnn(model, optimizer, X, y) -> float:
    start = time.perf_counter()
    snn.fit(model, X, y, optimizer=optimizer, epochs=1, batch_size=BATCH, rng=0)
    return time.perf_counter() - start


def epoch_torch(torch, model, optimizer, X, y, generator) -> float:
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    order = torch.randperm(len(X), generator=generator)
    for first in range(0, len(X), BATCH):
        rows = order[first:first + BATCH]
        optimizer.zero_grad()
        loss_fn(model(X[rows]), y[rows]).backward()
        optimizer.step()
    return time.perf_counter() - start


def best_of(f, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_gflops(repeats: int) -> float:
    """The rate of one plain float32 product of 512 x 512 matrices (best of ``repeats``)."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((512, 512)).astype(np.float32) for _ in range(2))
    return 2 * 512**3 / best_of(lambda: a @ b, repeats) / 1e9


def conv_layers_time(model, X: np.ndarray, repeats: int) -> float:
    """The time of the two convolution layers' forward and backward passes on one batch (the
    first without its input gradient, as in training), best of ``repeats``."""
    conv1, conv2 = model.layers[0], model.layers[3]
    x1 = X[:BATCH]
    x2 = np.ascontiguousarray(model.layers[2].forward(model.layers[1].forward(conv1.forward(x1))))
    g1 = np.ones_like(conv1.forward(x1))
    g2 = np.ones_like(conv2.forward(x2))

    def passes():
        conv1.forward(x1)
        conv1.backward(g1, input_grad=False)
        conv2.forward(x2)
        conv2.backward(g2)

    return best_of(passes, repeats)


def peak_memory(n: int) -> dict:
    """Peak traced memory of one epoch of ``fit`` on ``n`` images (the data made before
    tracing starts, and a first epoch run untraced, so only training's own memory counts)."""
    X, y = data(n)
    model = scratchnn_network()
    optimizer = snn.Adam(model.parameters(), lr=LR)
    snn.fit(model, X[:2 * BATCH], y[:2 * BATCH], optimizer=optimizer, epochs=1,
            batch_size=BATCH, rng=0)
    tracemalloc.start()
    try:
        snn.fit(model, X, y, optimizer=optimizer, epochs=1, batch_size=BATCH, rng=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {"samples": n, "data_bytes": int(X.nbytes), "peak_bytes": int(peak)}


def im2col_bytes() -> int:
    """The largest window matrix of a batch: the first layer's ``(64 * 26 * 26, 9)`` float32."""
    return max(BATCH * (side - 2) ** 2 * C * 9 * 4 for C, _, side in CONVS)


def run(args) -> dict:
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    X, y = data(args.samples)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    ours = scratchnn_network()
    ours_opt = snn.Adam(ours.parameters(), lr=LR)
    theirs = torch_network(torch)
    theirs_opt = torch.optim.Adam(theirs.parameters(), lr=LR)
    generator = torch.Generator().manual_seed(0)
    with threadpool_limits(1):
        epoch_scratchnn(ours, ours_opt, X[:4 * BATCH], y[:4 * BATCH])  # warm-up
        epoch_torch(torch, theirs, theirs_opt, Xt[:4 * BATCH], yt[:4 * BATCH], generator)
        mine, torch_times, gflops, conv_times = [], [], [], []
        for _ in range(args.rounds):  # interleaved: A B (matmul, convs) A B ...
            mine.append(epoch_scratchnn(ours, ours_opt, X, y))
            torch_times.append(epoch_torch(torch, theirs, theirs_opt, Xt, yt, generator))
            gflops.append(matmul_gflops(5 if args.quick else 20))
            conv_times.append(conv_layers_time(ours, X, 3 if args.quick else 10))
        small, large = (args.samples // 4, args.samples)
        memory = [peak_memory(small), peak_memory(large)]
    ratios = [a / b for a, b in zip(mine, torch_times)]
    flops = conv_flops(BATCH)
    matmul = statistics.median(gflops)
    conv_rate = flops["total"] / statistics.median(conv_times) / 1e9
    epoch_rate = conv_flops(args.samples)["total"] / statistics.median(mine) / 1e9
    return {
        "samples": args.samples, "rounds": args.rounds, "quick": args.quick,
        "load_average": os.getloadavg(), "cores": os.cpu_count(),
        "numpy": np.__version__, "torch": torch.__version__,
        "scratchnn_epoch_s": mine, "torch_epoch_s": torch_times,
        "ratio_per_round": ratios, "ratio_median": statistics.median(ratios),
        "matmul_gflops": matmul, "conv_layers_batch_s": statistics.median(conv_times),
        "conv_gflops": conv_rate, "conv_fraction_of_matmul": conv_rate / matmul,
        "epoch_conv_gflops": epoch_rate, "epoch_conv_fraction_of_matmul": epoch_rate / matmul,
        "memory": memory, "im2col_batch_bytes": im2col_bytes(),
    }


def table(report: dict) -> str:
    mb = 1e6
    memory = report["memory"]
    goal = "met" if report["ratio_median"] <= 1.5 else "missed"
    lines = [
        f"Conv network, {report['samples']} images of 28x28, batch 64, Adam, float32, one "
        f"thread each; {report['rounds']} interleaved rounds; load average "
        f"{', '.join(f'{v:.1f}' for v in report['load_average'])} on {report['cores']} cores"
        + (" (QUICK sizes)" if report["quick"] else ""),
        "",
        "| measure | value |",
        "|---|---:|",
        f"| scratchnn epoch, median (s) | {statistics.median(report['scratchnn_epoch_s']):.2f} |",
        f"| PyTorch epoch, median (s) | {statistics.median(report['torch_epoch_s']):.2f} |",
        f"| scratchnn / PyTorch, median of rounds (goal <= 1.5: {goal}) | "
        f"{report['ratio_median']:.2f} |",
        f"| plain 512x512 float32 matmul (GFLOP/s) | {report['matmul_gflops']:.1f} |",
        f"| convolution layers alone (GFLOP/s, fraction of matmul) | "
        f"{report['conv_gflops']:.2f} ({report['conv_fraction_of_matmul']:.1%}) |",
        f"| convolution FLOPs over the whole epoch (GFLOP/s, fraction) | "
        f"{report['epoch_conv_gflops']:.2f} ({report['epoch_conv_fraction_of_matmul']:.1%}) |",
        f"| peak memory of an epoch, {memory[0]['samples']} images (MB) | "
        f"{memory[0]['peak_bytes'] / mb:.1f} |",
        f"| peak memory of an epoch, {memory[1]['samples']} images (MB) | "
        f"{memory[1]['peak_bytes'] / mb:.1f} |",
        f"| data of {memory[1]['samples']} images (MB) | {memory[1]['data_bytes'] / mb:.1f} |",
        f"| largest window matrix of a batch (MB) | {report['im2col_batch_bytes'] / mb:.2f} |",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.samples = 1, 256
    try:
        import torch  # noqa: F401
    except ImportError:
        print("conv_bench needs PyTorch: pip install 'scratchnn[bench]'", file=sys.stderr)
        return 1
    report = run(args)
    text = table(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "conv_results.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "conv_results.md").write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
