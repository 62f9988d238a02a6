"""Speed benchmarks: scratchnn against hand-written NumPy, scikit-learn and PyTorch (CPU).

Tasks (fixed seeds, float64 unless said otherwise):

- moons 2-4-1: ``make_moons(1000, noise=0.2)``, a 2-4-1 ReLU network, full-batch gradient
  descent (lr 0.5, 2000 epochs). Contenders: the best hand-written NumPy loop for this one
  network, scratchnn's teaching loop, ``scratchnn.fit``, ``scratchnn.MLPClassifier``,
  scikit-learn's ``MLPClassifier`` with identical settings, PyTorch.
- digits 64-128-10 SGD: ``load_digits`` standardised, 64-128-10 ReLU + softmax, SGD lr 0.1,
  batch 64, 50 epochs; test accuracy on a stratified quarter held out.
- throughput 32-512-512-1: 200,000 x 32 float32 samples, a 32-512-512-1 ReLU network,
  batch 1024, one epoch; samples/s and GFLOP/s (6 x parameters x samples) as a fraction of
  the float32 matrix-product rate measured in the same run; peak memory of the training
  (tracemalloc) against data + weights + one batch of activations and gradients.
- digits 64-128-10 L-BFGS: the digits network fitted with ``solver='lbfgs'`` (SciPy's
  L-BFGS-B) by scratchnn's and scikit-learn's ``MLPClassifier``.

Contenders are interleaved in one process (a warm-up of each, then rounds A B C A B C ...)
and medians are reported; the targets are medians of per-round ratios, because absolute
times drift on a shared machine while ratios measured side by side do not.

- Start-up: ``scratchnn --help`` and ``scratchnn datasets`` against ``import numpy``, in fresh
  processes (``benchmarks/startup.py``).

Usage: ``python benchmarks/bench.py [--quick] [--rounds N] [--no-torch] [--no-startup]
[--out DIR]``.
For the published numbers run it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset
(``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE make bench``), so that OpenBLAS picks the
kernels for the actual CPU; the BLAS kernel in use is recorded with the results.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # run from a checkout without installing

import startup  # noqa: E402  (benchmarks/startup.py: the command's start-up time)

import scratchnn as snn  # noqa: E402
from scratchnn.training import fit  # noqa: E402

# The benchmarks, by name (``--tasks``): what each measures is in the module docstring.
TASKS = ("moons", "digits", "throughput", "lbfgs")
SKLEARN_ITER_NO_CHANGE = 10**9  # never stop early: every contender runs every epoch


# --- the machine ---------------------------------------------------------------------------------


def blas_info() -> list[dict]:
    """What threadpoolctl reports for the BLAS behind NumPy (library, version, kernel, threads)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keys = ("internal_api", "version", "architecture", "num_threads", "threading_layer")
    found = []
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            path = Path(info.get("filepath", ""))
            owner = next((p for p in ("numpy", "torch", "scipy") if p in str(path)), "?")
            found.append({"used_by": owner, "file": path.name, **{k: info.get(k) for k in keys}})
    return found


def blas_threads() -> int:
    threads = [info["num_threads"] for info in blas_info() if info.get("num_threads")]
    return max(threads) if threads else (os.cpu_count() or 1)


def machine_info(torch_module) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sklearn

    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "torch": torch_module.__version__ if torch_module else None,
        "torch_threads": torch_module.get_num_threads() if torch_module else None,
        "blas": blas_info(),
        "env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                           "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
                if k in os.environ},
    }


def import_torch(disabled: bool):
    """PyTorch if it is installed (and not disabled), with as many threads as NumPy's BLAS."""
    if disabled:
        return None, "disabled with --no-torch"
    try:
        import torch
    except ImportError:
        return None, "torch is not installed (pip install 'scratchnn[bench]')"
    torch.set_num_threads(blas_threads())
    return torch, None


class threads:
    """Run a task with ``n`` threads in NumPy's BLAS (threadpoolctl) and in PyTorch alike.

    The small benchmarks (moons, digits) run single-threaded: their products are too small to
    gain from threads, and on a shared 2-core machine PyTorch's spinning worker threads make tiny
    steps up to 100x slower whenever another process holds a core. Throughput uses every core."""

    def __init__(self, n: int, torch_module):
        self.n, self.torch = n, torch_module

    def __enter__(self):
        try:
            from threadpoolctl import threadpool_limits
            self.limits = threadpool_limits(self.n, user_api="blas")
        except ImportError:
            self.limits = None
        if self.torch is not None:
            self.torch_before = self.torch.get_num_threads()
            self.torch.set_num_threads(self.n)
        return self

    def __exit__(self, *exc):
        if self.limits is not None:
            self.limits.restore_original_limits()
        if self.torch is not None:
            self.torch.set_num_threads(self.torch_before)


def estimator_class():
    try:
        from scratchnn.estimator import MLPClassifier
    except ImportError as error:
        return None, f"scratchnn.MLPClassifier is not available ({error})"
    return MLPClassifier, None


def make_estimator(cls, **params):
    """``cls(**params)``, keeping only the parameters ``cls`` knows (scikit-learn names)."""
    known = set(cls().get_params()) if hasattr(cls, "get_params") else set(params)
    return cls(**{k: v for k, v in params.items() if k in known})


def quiet_fit(clf, X, y):
    """``clf.fit(X, y)`` without the ConvergenceWarning that max_iter reached (as asked)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clf.fit(X, y)


# --- timing --------------------------------------------------------------------------------------


Contender = Callable[[], dict]  # runs once, returns extra results such as {"accuracy": 0.97}


def interleave(contenders: dict[str, Contender], rounds: int) -> dict[str, dict]:
    """Warm every contender up once, then time ``rounds`` rounds of A B C ...

    Returns ``{name: {"times": [...], "median_s": ..., **last results}}``."""
    results: dict[str, dict] = {name: {"times": []} for name in contenders}
    for name, run in contenders.items():  # warm-up: imports, caches, first-call costs
        results[name].update(run())
    for _ in range(rounds):
        for name, run in contenders.items():
            gc.collect()
            start = time.perf_counter()
            extra = run()
            results[name]["times"].append(time.perf_counter() - start)
            results[name].update(extra)
    for entry in results.values():
        entry["median_s"] = statistics.median(entry["times"])
    return results


def ratio(results: dict, a: str, b: str) -> float | None:
    """The median over rounds of time(a) / time(b), or None when either is missing."""
    if a not in results or b not in results:
        return None
    return statistics.median(ta / tb for ta, tb in zip(results[a]["times"], results[b]["times"]))


# --- moons, 2-4-1, full batch --------------------------------------------------------------------


def numpy_moons_loop(X, y, params, lr: float, epochs: int) -> np.ndarray:
    """The fastest plain NumPy loop we could write for a 2-4-1 ReLU network with a logistic
    output and binary cross-entropy, full batch, plain gradient descent (float64).

    The same math as scratchnn, one step at a time, with every array allocated up front and
    every operation writing into it (``out=``); all parameters in one vector (one update for
    all), a same-shape array of zeros for ReLU (``np.maximum`` against a scalar is slow), and
    what depends on the labels alone computed once. Loss per sample:
    ``(1/2 - y) z + |z| / 2 + log1p(e^-|z|)``; its gradient ``tanh(z / 2) / 2 + 1/2 - y``.
    Returns the final logits."""
    n, h_size = X.shape[0], params[0].shape[1]
    sizes = [p.size for p in params]
    flat, flat_grad = np.concatenate([p.ravel() for p in params]), np.zeros(sum(sizes))
    bounds = np.cumsum([0, *sizes])
    W1, b1, W2, b2 = (flat[a:b].reshape(p.shape) for a, b, p in zip(bounds, bounds[1:], params))
    dW1, db1, dW2, db2 = (flat_grad[a:b].reshape(p.shape)
                          for a, b, p in zip(bounds, bounds[1:], params))
    c = 0.5 - y.reshape(n, 1)  # labels only: computed once
    c_flat, c_over_n = c.ravel(), c / n
    ones, zeros = np.ones(n), np.zeros((n, h_size))
    h, a, mask, gh = (np.empty((n, h_size)) for _ in range(4))
    z, e, g = (np.empty((n, 1)) for _ in range(3))
    step = np.empty_like(flat)
    for _ in range(epochs):
        np.dot(X, W1, out=h)  # forward (np.dot: BLAS takes transposed operands as they are)
        h += b1
        np.maximum(h, zeros, out=a)
        np.dot(a, W2, out=z)
        z += b2
        np.abs(z, out=e)  # loss
        np.negative(e, out=e)
        sum_abs = -np.add.reduce(e, axis=None)
        np.exp(e, out=e)
        np.log1p(e, out=e)
        loss = (np.dot(c_flat, z.ravel()) + 0.5 * sum_abs  # noqa: F841
                + np.add.reduce(e, axis=None)) / n
        np.multiply(z, 0.5, out=g)  # dL/dz = (tanh(z / 2) / 2 + 1/2 - y) / n
        np.tanh(g, out=g)
        g *= 0.5 / n
        g += c_over_n
        np.dot(a.T, g, out=dW2)  # backward
        np.dot(ones, g, out=db2)
        np.dot(g, W2.T, out=gh)
        np.greater(h, zeros, out=mask)
        gh *= mask
        np.dot(X.T, gh, out=dW1)
        np.dot(ones, gh, out=db1)
        np.multiply(flat_grad, lr, out=step)  # gradient descent, all parameters at once
        flat -= step
    return np.maximum(X @ W1 + b1, 0) @ W2 + b2


def bench_moons(args, torch) -> dict:
    from sklearn.datasets import make_moons
    from sklearn.neural_network import MLPClassifier as SkMLP

    n, epochs, lr = (200, 30, 0.5) if args.quick else (1000, 2000, 0.5)
    X, y = make_moons(n, noise=0.2, random_state=0)
    y_col = y.reshape(-1, 1).astype(np.float64)
    init = snn.mlp([2, 4, 1], rng=0)  # one set of initial weights for the loops
    params0 = [p.copy() for p, _ in init.parameters()]

    def acc_bce(logits) -> dict:
        return {"accuracy": float(np.mean((np.ravel(logits) > 0) == (y == 1)))}

    def core_loop() -> dict:
        model = snn.Sequential([snn.Dense(2, 4), snn.ReLU(), snn.Dense(4, 1)])
        model.set_weights(params0)
        loss = snn.BinaryCrossEntropy()
        opt = snn.SGD(model.parameters(), lr=lr)
        for _ in range(epochs):  # the teaching loop, verbatim
            loss.forward(model.forward(X), y_col)
            model.backward(loss.backward())
            opt.step()
        return acc_bce(model.forward(X))

    def scratchnn_fit() -> dict:
        model = snn.Sequential([snn.Dense(2, 4), snn.ReLU(), snn.Dense(4, 1)])
        model.set_weights(params0)
        fit(model, X, y, lr=lr, epochs=epochs)
        return acc_bce(model.forward(X))

    contenders: dict[str, Contender] = {
        "NumPy, hand-written": lambda: acc_bce(numpy_moons_loop(X, y_col, params0, lr, epochs)),
        "scratchnn core loop": core_loop,
        "scratchnn.fit": scratchnn_fit,
    }
    est, note = estimator_class()
    notes = [note] if note else []
    if est is not None:
        def ours() -> dict:
            clf = make_estimator(est, hidden_layer_sizes=(4,), activation="relu", solver="sgd",
                                 learning_rate_init=lr, batch_size=n, max_iter=epochs,
                                 momentum=0.0, alpha=0.0, tol=0.0, shuffle=False,
                                 n_iter_no_change=SKLEARN_ITER_NO_CHANGE, random_state=0)
            quiet_fit(clf, X, y)
            return {"accuracy": float(clf.score(X, y))}
        contenders["scratchnn.MLPClassifier"] = ours

    def sklearn() -> dict:
        clf = SkMLP(hidden_layer_sizes=(4,), activation="relu", solver="sgd", batch_size=n,
                    momentum=0.0, alpha=0.0, tol=0.0, n_iter_no_change=SKLEARN_ITER_NO_CHANGE,
                    shuffle=False, learning_rate_init=lr, max_iter=epochs, random_state=0)
        quiet_fit(clf, X, y)
        return {"accuracy": float(clf.score(X, y))}
    contenders["scikit-learn MLPClassifier"] = sklearn

    if torch is not None:
        def pytorch() -> dict:
            Xt, yt = torch.from_numpy(X), torch.from_numpy(y_col)
            model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(),
                                        torch.nn.Linear(4, 1)).double()
            with torch.no_grad():
                for p, w in zip(model.parameters(), params0):
                    p.copy_(torch.from_numpy(w.T.copy() if w.ndim == 2 else w))
            loss_fn = torch.nn.BCEWithLogitsLoss()
            opt = torch.optim.SGD(model.parameters(), lr=lr)
            for _ in range(epochs):
                opt.zero_grad()
                loss_fn(model(Xt), yt).backward()
                opt.step()
            with torch.no_grad():
                return acc_bce(model(Xt).numpy())
        contenders["PyTorch"] = pytorch

    with threads(1, torch):
        results = interleave(contenders, args.rounds)
    return {"task": "moons 2-4-1", "threads": 1,
            "setup": f"make_moons({n}, noise=0.2), 2-4-1 ReLU, full batch, "
            f"lr {lr}, {epochs} epochs, float64", "reference": "scikit-learn MLPClassifier",
            "accuracy_kind": "training accuracy", "results": results, "notes": notes}


# --- digits, 64-128-10, mini-batches -------------------------------------------------------------


def bench_digits(args, torch) -> dict:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn.preprocessing import StandardScaler

    epochs, lr, batch = (2 if args.quick else 50), 0.1, 64
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    def test_acc(logits) -> dict:
        return {"accuracy": float(np.mean(np.argmax(logits, axis=1) == y_test))}

    def scratchnn_fit() -> dict:
        model = snn.mlp([64, 128, 10], rng=0)
        fit(model, X_train, y_train, lr=lr, epochs=epochs, batch_size=batch, rng=0)
        return test_acc(model.forward(X_test))

    contenders: dict[str, Contender] = {"scratchnn.fit": scratchnn_fit}
    est, note = estimator_class()
    notes = [note] if note else []
    if est is not None:
        def ours() -> dict:
            clf = make_estimator(est, hidden_layer_sizes=(128,), activation="relu", solver="sgd",
                                 learning_rate_init=lr, batch_size=batch, max_iter=epochs,
                                 momentum=0.0, alpha=0.0, tol=0.0, shuffle=True,
                                 n_iter_no_change=SKLEARN_ITER_NO_CHANGE, random_state=0)
            quiet_fit(clf, X_train, y_train)
            return {"accuracy": float(clf.score(X_test, y_test))}
        contenders["scratchnn.MLPClassifier"] = ours

    def sklearn() -> dict:
        clf = SkMLP(hidden_layer_sizes=(128,), activation="relu", solver="sgd", batch_size=batch,
                    momentum=0.0, alpha=0.0, tol=0.0, n_iter_no_change=SKLEARN_ITER_NO_CHANGE,
                    learning_rate_init=lr, max_iter=epochs, random_state=0)
        quiet_fit(clf, X_train, y_train)
        return {"accuracy": float(clf.score(X_test, y_test))}
    contenders["scikit-learn MLPClassifier"] = sklearn

    if torch is not None:
        def pytorch() -> dict:
            torch.manual_seed(0)
            Xt, yt = torch.from_numpy(X_train), torch.from_numpy(y_train)
            model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(),
                                        torch.nn.Linear(128, 10)).double()
            loss_fn = torch.nn.CrossEntropyLoss()
            opt = torch.optim.SGD(model.parameters(), lr=lr)
            gen = torch.Generator().manual_seed(0)
            for _ in range(epochs):
                order = torch.randperm(len(Xt), generator=gen)
                for start in range(0, len(Xt), batch):
                    rows = order[start:start + batch]
                    opt.zero_grad()
                    loss_fn(model(Xt[rows]), yt[rows]).backward()
                    opt.step()
            with torch.no_grad():
                return test_acc(model(torch.from_numpy(X_test)).numpy())
        contenders["PyTorch"] = pytorch

    with threads(1, torch):
        results = interleave(contenders, args.rounds)
    return {"task": "digits 64-128-10 SGD", "threads": 1,
            "setup": f"load_digits standardised ({len(X_train)} train / "
            f"{len(X_test)} test), 64-128-10 ReLU + softmax, SGD lr {lr}, batch {batch}, "
            f"{epochs} epochs, float64", "reference": "scikit-learn MLPClassifier",
            "accuracy_kind": "test accuracy", "results": results, "notes": notes}


# --- digits, 64-128-10, L-BFGS -------------------------------------------------------------------


def bench_lbfgs(args, torch) -> dict:
    """Time to fit with solver='lbfgs' (full batch, SciPy's L-BFGS-B for both), same split;
    and scikit-learn's default network (100 ReLU units, max_iter=200) on all of digits,
    standardised, in the same interleaved rounds."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn.preprocessing import StandardScaler

    max_iter = 5 if args.quick else 200
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    X_all = StandardScaler().fit_transform(X)
    params = dict(hidden_layer_sizes=(128,), activation="relu", solver="lbfgs",
                  max_iter=max_iter, random_state=0)
    default = dict(solver="lbfgs", max_iter=max_iter, random_state=0)  # hidden (100,)

    def run(cls, params=params, data=(X_train, y_train, X_test, y_test)) -> Contender:
        def contender() -> dict:
            clf = quiet_fit(cls(**params), data[0], data[1])
            return {"accuracy": float(clf.score(data[2], data[3])), "n_iter": int(clf.n_iter_)}
        return contender

    contenders: dict[str, Contender] = {}
    est, note = estimator_class()
    if est is not None:
        contenders["scratchnn.MLPClassifier lbfgs"] = run(est)
    contenders["scikit-learn MLPClassifier lbfgs"] = run(SkMLP)
    everything = (X_all, y, X_all, y)  # scikit-learn's default network, all of digits
    if est is not None:
        contenders[DEFAULT_OURS] = run(est, default, everything)
    contenders[DEFAULT_THEIRS] = run(SkMLP, default, everything)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with threads(1, torch):
        results = interleave(contenders, args.rounds)
    loads = [load, os.getloadavg()[0] if hasattr(os, "getloadavg") else None]
    return {"task": "digits 64-128-10 L-BFGS", "threads": 1,
            "setup": f"load_digits standardised ({len(X_train)} train / {len(X_test)} test), "
            f"64-128-10 ReLU + softmax, solver='lbfgs', max_iter={max_iter}, alpha 1e-4, "
            f"float64; and scikit-learn's default network, 64-100-10, on all {len(X)} samples "
            "(training accuracy)",
            "reference": "scikit-learn MLPClassifier lbfgs", "accuracy_kind": "test accuracy",
            "load_average_1min": loads,
            "results": results, "notes": [note] if note else []}


DEFAULT_OURS = "scratchnn.MLPClassifier lbfgs, default network"
DEFAULT_THEIRS = "scikit-learn MLPClassifier lbfgs, default network"


# --- throughput of a large network in float32 ----------------------------------------------------


def matmul_gflops(repeats: int) -> float:
    """The float32 rate of a 1024x512 by 512x512 product (the shape of the throughput
    network's big layer)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 512), dtype=np.float32)
    b = rng.standard_normal((512, 512), dtype=np.float32)
    out = np.empty((1024, 512), np.float32)
    np.matmul(a, b, out=out)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - start)
    return 2 * 1024 * 512 * 512 / statistics.median(times) / 1e9


def throughput_data(n: int, n_features: int):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, n_features), dtype=np.float32)
    y = (X[:, 0] * X[:, 1] + X[:, 2] > 0).astype(np.float32)
    return X, y


def throughput_memory(sizes, n: int, batch: int) -> dict:
    """Peak memory of ``scratchnn.fit`` (tracemalloc: every NumPy buffer, data included)
    against what training cannot do without: the data, the weights and their gradients, and
    one batch of activations and of their gradients."""
    gc.collect()
    tracemalloc.start()
    X, y = throughput_data(n, sizes[0])
    model = snn.mlp(sizes, rng=0, dtype=np.float32)
    fit(model, X, y, lr=0.01, epochs=1, batch_size=batch, rng=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n_params = model.n_parameters()
    widths = sum(layer.n_out for layer in model.dense_layers) + sum(sizes[1:-1])  # Dense + ReLU
    parts = {"data": X.nbytes + y.nbytes, "weights_and_gradients": 2 * 4 * n_params,
             "one_batch_activations_and_gradients": 2 * 4 * batch * (sizes[0] + widths)}
    budget = sum(parts.values())
    return {"peak_bytes": peak, "budget_bytes": budget, "budget_parts": parts,
            "peak_over_budget": peak / budget, "method": "tracemalloc peak (NumPy reports every "
            "array buffer to it), traced from before the data is created to the end of fit"}


def bench_throughput(args, torch) -> dict:
    n, sizes, batch = (4096 if args.quick else 200_000), [32, 512, 512, 1], 1024
    X, y = throughput_data(n, sizes[0])
    n_params = snn.mlp(sizes, dtype=np.float32).n_parameters()
    flops = 6 * n_params * n

    def scratchnn_fit() -> dict:
        model = snn.mlp(sizes, rng=0, dtype=np.float32)
        fit(model, X, y, lr=0.01, epochs=1, batch_size=batch, rng=0)
        return {}

    def core_loop() -> dict:
        model = snn.mlp(sizes, rng=0, dtype=np.float32)
        loss = snn.BinaryCrossEntropy()
        opt = snn.SGD(model.parameters(), lr=0.01)
        order = np.random.default_rng(0).permutation(n)
        for start in range(0, n, batch):  # the teaching loop over shuffled mini-batches
            rows = order[start:start + batch]
            loss.forward(model.forward(X[rows]), y_col[rows])
            model.backward(loss.backward(), input_grad=False)
            opt.step()
        return {}

    y_col = y.reshape(-1, 1)
    contenders: dict[str, Contender] = {"scratchnn core loop": core_loop,
                                        "scratchnn.fit": scratchnn_fit}
    if torch is not None:
        def pytorch() -> dict:
            torch.manual_seed(0)
            Xt, yt = torch.from_numpy(X), torch.from_numpy(y.reshape(-1, 1))
            layers = []
            for i, (a, b) in enumerate(itertools.pairwise(sizes)):
                layers.append(torch.nn.Linear(a, b))
                if i < len(sizes) - 2:
                    layers.append(torch.nn.ReLU())
            model = torch.nn.Sequential(*layers)
            loss_fn = torch.nn.BCEWithLogitsLoss()
            opt = torch.optim.SGD(model.parameters(), lr=0.01)
            order = torch.randperm(n, generator=torch.Generator().manual_seed(0))
            for start in range(0, n, batch):
                rows = order[start:start + batch]
                opt.zero_grad()
                loss_fn(model(Xt[rows]), yt[rows]).backward()
                opt.step()
            return {}
        contenders["PyTorch"] = pytorch

    # The matrix-product rate is measured in every round, next to the contenders, so that
    # each round's fraction compares numbers taken under the same load.
    rates: list[float] = []
    repeats = 3 if args.quick else 30

    def reference() -> dict:
        rates.append(matmul_gflops(repeats))
        return {}

    n_threads = args.throughput_threads or blas_threads()
    with threads(n_threads, torch):
        results = interleave({"matmul": reference, **contenders}, args.rounds)
    del results["matmul"]
    rates = rates[1:]  # the warm-up's rate is not paired with a timed round
    matmul_rate = statistics.median(rates)
    for entry in results.values():
        entry["samples_per_s"] = n / entry["median_s"]
        entry["gflops"] = flops / entry["median_s"] / 1e9
        entry["fraction_of_matmul"] = statistics.median(
            flops / t / 1e9 / rate for t, rate in zip(entry["times"], rates))
    return {"task": "throughput 32-512-512-1", "setup": f"{n:,} x {sizes[0]} float32, "
            f"{'-'.join(map(str, sizes))} ReLU, batch {batch}, one epoch, SGD lr 0.01",
            "reference": "scratchnn.fit", "threads": n_threads, "n_parameters": n_params,
            "flops": flops,
            "matmul_gflops": matmul_rate, "matmul_gflops_samples": rates,
            "memory": throughput_memory(sizes, n, batch), "results": results, "notes": []}


# --- report --------------------------------------------------------------------------------------


def targets(tasks: dict) -> list[dict]:
    moons, digits, throughput, lbfgs = (tasks.get(k) for k in TASKS)
    rows = []

    def add(name, value, op, goal, extra=""):
        met = None if value is None else (value <= goal if op == "<=" else value >= goal)
        rows.append({"target": name, "value": value, "goal": f"{op} {goal}", "met": met,
                     "extra": extra})

    if moons:
        r = moons["results"]
        add("moons: scratchnn.MLPClassifier / hand-written NumPy",
            ratio(r, "scratchnn.MLPClassifier", "NumPy, hand-written"), "<=", 1.3,
            "" if ratio(r, "scratchnn.MLPClassifier", "scikit-learn MLPClassifier") is None else
            f"{ratio(r, 'scratchnn.MLPClassifier', 'scikit-learn MLPClassifier'):.3f} of "
            "scikit-learn's time")
        add("moons: core loop / hand-written NumPy",
            ratio(r, "scratchnn core loop", "NumPy, hand-written"), "<=", 1.3)
    if digits:
        r = digits["results"]
        acc = r.get("scratchnn.MLPClassifier", {}).get("accuracy")
        value = ratio(r, "scratchnn.MLPClassifier", "scikit-learn MLPClassifier")
        add("digits SGD: scratchnn.MLPClassifier / scikit-learn", value, "<=", 0.40,
            "" if acc is None else f"test accuracy {acc:.3f} (goal >= 0.95)")
        if value is not None and acc is not None and acc < 0.95:
            rows[-1]["met"] = False
    if lbfgs:
        r = lbfgs["results"]
        ours, theirs = (r.get(name, {}).get("accuracy") for name in
                        ("scratchnn.MLPClassifier lbfgs", "scikit-learn MLPClassifier lbfgs"))
        add("digits L-BFGS: scratchnn lbfgs / scikit-learn lbfgs",
            ratio(r, "scratchnn.MLPClassifier lbfgs", "scikit-learn MLPClassifier lbfgs"), "<=",
            0.5, "" if ours is None else f"test accuracy {ours:.3f} vs {theirs:.3f}")
        if DEFAULT_THEIRS in r:
            ours, theirs = (r.get(name, {}).get("accuracy") for name in
                            (DEFAULT_OURS, DEFAULT_THEIRS))
            add("lbfgs, default network (64-100-10, all digits) / scikit-learn",
                ratio(r, DEFAULT_OURS, DEFAULT_THEIRS), "<=", 0.5,
                "" if ours is None else f"training accuracy {ours:.3f} vs {theirs:.3f}")
    if throughput:
        add("throughput: scratchnn.fit / core loop", ratio(throughput["results"], "scratchnn.fit",
                                                   "scratchnn core loop"), "<=", 1.10)
        add("throughput: GFLOP/s / matmul GFLOP/s (scratchnn core loop)",
            throughput["results"]["scratchnn core loop"]["fraction_of_matmul"], ">=", 0.70,
            f"scratchnn.fit: {throughput['results']['scratchnn.fit']['fraction_of_matmul']:.3f}")
        add("throughput: peak memory / (data + weights + one batch)",
            throughput["memory"]["peak_over_budget"], "<=", 1.5)
    return rows


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def task_table(task: dict) -> list[str]:
    r, ref = task["results"], task["reference"]
    large = "matmul_gflops" in task  # the throughput benchmark
    head = ["contender", "median time", f"time / {ref}"]
    head += ["samples/s", "GFLOP/s", "of matmul rate"] if large else [task["accuracy_kind"]]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name, entry in r.items():
        rel = ratio(r, name, ref)
        row = [name, fmt_time(entry["median_s"]), "—" if rel is None else f"{rel:.3f}"]
        if large:
            row += [f"{entry['samples_per_s']:,.0f}", f"{entry['gflops']:.1f}",
                    f"{entry['fraction_of_matmul']:.2f}"]
        else:
            row.append(f"{entry['accuracy']:.3f}")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def markdown(report: dict) -> str:
    m = report["machine"]
    blas = "; ".join(f"{b['used_by']}: {b['internal_api']} {b['version']} ({b['architecture']} "
                     "kernel)" for b in m["blas"]) or "unknown"
    out = ["<!-- written by benchmarks/bench.py; do not edit by hand -->", "",
           f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, NumPy {m['numpy']}, "
           f"scikit-learn {m['scikit-learn']}, PyTorch {m['torch'] or 'not installed'}"
           + (f" ({m['torch_threads']} threads)" if m["torch"] else "") + f"; BLAS: {blas}.",
           f"Rounds: {report['rounds']} (interleaved, after a warm-up; times are medians, "
           "ratios are medians of per-round ratios)" + (" — QUICK sizes, not a real run" if
           report["quick"] else "") + ".", ""]
    for task in report["tasks"].values():
        out += [f"**{task['task']}** — {task['setup']}; {task['threads']} thread(s) for "
                "NumPy's BLAS and PyTorch alike", ""]
        out += task_table(task)
        if "matmul_gflops" in task:
            mem = task["memory"]
            out += ["", f"float32 matrix product (1024x512 by 512x512), measured in every round: "
                    f"{task['matmul_gflops']:.1f} GFLOP/s (median); the last column is the "
                    "median over rounds of GFLOP/s / that round's rate. Peak memory of training "
                    f"{mem['peak_bytes'] / 2**20:.1f} MiB against "
                    f"{mem['budget_bytes'] / 2**20:.1f} MiB for data + weights and gradients + "
                    f"one batch of activations and gradients ({mem['method']})."]
        loads = task.get("load_average_1min")
        if loads and None not in loads:
            out += ["", f"1-minute load average of the machine: {loads[0]:.1f} before the "
                    f"rounds, {loads[1]:.1f} after."]
        for note in task["notes"]:
            out += ["", f"Note: {note}"]
        out.append("")
    if "startup" in report:
        out += [startup.markdown(report["startup"])]
    out += ["**Targets**", "", "| target | value | goal | met |", "| --- | --- | --- | --- |"]
    for row in report["targets"]:
        value = "—" if row["value"] is None else f"{row['value']:.3f}"
        met = {True: "yes", False: "no", None: "not measured"}[row["met"]]
        extra = f" ({row['extra']})" if row["extra"] else ""
        out.append(f"| {row['target']} | {value}{extra} | {row['goal']} | {met} |")
    for note in report["notes"]:
        out += ["", f"Note: {note}"]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round (a smoke test)")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds (default 5)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--tasks", default=",".join(TASKS),
                        help=f"comma-separated subset of {','.join(TASKS)}")
    parser.add_argument("--throughput-threads", type=int, default=None,
                        help="threads for the throughput benchmark (default: as many as "
                             "NumPy's BLAS uses)")
    parser.add_argument("--no-startup", action="store_true",
                        help="leave out the start-up times (benchmarks/startup.py)")
    parser.add_argument("--out", type=Path, default=HERE, help="where results.json/.md go")
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 1 if args.quick else 5
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    torch, torch_note = import_torch(args.no_torch)
    report = {"machine": machine_info(torch), "rounds": args.rounds, "quick": args.quick,
              "notes": [f"PyTorch left out: {torch_note}"] if torch_note else [], "tasks": {}}
    report["notes"].append("Threads: moons and digits run with one thread for NumPy's BLAS "
                           "(threadpoolctl) and for PyTorch (torch.set_num_threads), "
                           f"throughput with {args.throughput_threads or blas_threads()} for "
                           "both; see `threads` in bench.py for why.")
    runners = dict(zip(TASKS, (bench_moons, bench_digits, bench_throughput, bench_lbfgs)))
    for key in [k.strip().lower() for k in args.tasks.split(",") if k.strip()]:
        if key not in runners:
            parser.error(f"unknown task {key!r}; choose from {', '.join(runners)}")
        print(f"running {key} ...", file=sys.stderr, flush=True)
        report["tasks"][key] = runners[key](args, torch)
    report["targets"] = targets(report["tasks"])
    if not args.no_startup:
        print("running start-up ...", file=sys.stderr, flush=True)
        report["startup"] = startup.measure(2 if args.quick else 20)
        for name in ("scratchnn --help", "scratchnn datasets"):
            seconds = report["startup"]["commands"][name]["median_s"]
            report["targets"].append({"target": f"start-up: {name} (seconds)", "value": seconds,
                                      "goal": f"<= {startup.GOAL_S}",
                                      "met": seconds <= startup.GOAL_S, "extra": ""})

    text = markdown(report)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "results.md").write_text(text)
    return report


if __name__ == "__main__":
    main()
