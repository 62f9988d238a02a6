"""The floor of an L-BFGS fit: one loss-and-gradient evaluation, the function both estimators
hand to SciPy, against the matrix products it cannot avoid.

Three contenders, interleaved (one thread, CPU time of this thread, so the machine's load does
not enter): scratchnn's objective, scikit-learn's ``_loss_grad_lbfgs`` (a private method: this
script follows scikit-learn 1.9), and the seven matrix products of one evaluation written into
preallocated arrays and nothing else. Both configurations of the L-BFGS benchmark: 64-128-10 on
the training split, and scikit-learn's default network (64-100-10) on all of digits.

    python benchmarks/lbfgs_floor.py [rounds]
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from itertools import pairwise
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def objectives(hidden: int, X: np.ndarray, y: np.ndarray) -> dict:
    import scipy.optimize
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn.neural_network._multilayer_perceptron import _pack
    from sklearn.preprocessing import LabelBinarizer

    from scratchnn import MLPClassifier

    captured = {}
    minimize = scipy.optimize.minimize

    def spy(fun, x0, **kwargs):  # the objective scratchnn hands to SciPy, and its start
        captured["fun"], captured["x0"] = fun, x0.copy()
        return minimize(fun, x0, **kwargs)

    scipy.optimize.minimize = spy
    try:
        MLPClassifier((hidden,), solver="lbfgs", max_iter=1, random_state=0).fit(X, y)
    finally:
        scipy.optimize.minimize = minimize
    ours, x0 = captured["fun"], captured["x0"]

    sk = SkMLP((hidden,), solver="lbfgs", max_iter=1, random_state=0).fit(X, y)
    Y = LabelBinarizer().fit_transform(y).astype(np.float64)
    n, units = X.shape[0], [X.shape[1], hidden, Y.shape[1]]
    activations = [X] + [np.empty((n, u)) for u in units[1:]]
    deltas = [np.empty_like(a) for a in activations[1:]]
    coef_grads = [np.empty((a, b)) for a, b in pairwise(units)]
    intercept_grads = [np.empty(b) for b in units[1:]]
    sk._coef_indptr, sk._intercept_indptr, start = [], [], 0
    for a, b in pairwise(units):
        sk._coef_indptr.append((start, start + a * b, (a, b)))
        start += a * b
    for b in units[1:]:
        sk._intercept_indptr.append((start, start + b))
        start += b
    packed = _pack(sk.coefs_, sk.intercepts_)

    rng = np.random.default_rng(0)
    W1, W2 = rng.normal(size=(units[0], hidden)), rng.normal(size=(hidden, units[2]))
    H, Z, G = np.empty((n, hidden)), np.empty((n, units[2])), rng.normal(size=(n, units[2]))
    GH, dW1, dW2 = np.empty((n, hidden)), np.empty_like(W1), np.empty_like(W2)
    db1, db2, ones = np.empty(hidden), np.empty(units[2]), np.ones(n)

    def products():  # forward 2, backward 5 (the first layer's input gradient is not needed)
        np.dot(X, W1, out=H)
        np.dot(H, W2, out=Z)
        np.dot(H.T, G, out=dW2)
        np.dot(ones, G, out=db2)
        np.dot(G, W2.T, out=GH)
        np.dot(X.T, GH, out=dW1)
        np.dot(ones, GH, out=db1)

    return {"scratchnn objective": lambda: ours(x0),
            "scikit-learn objective": lambda: sk._loss_grad_lbfgs(
                packed, X, Y, None, activations, deltas, coef_grads, intercept_grads),
            "the 7 matrix products alone": products}


def main(rounds: int) -> None:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    warnings.simplefilter("ignore")
    X, y = load_digits(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    configurations = {"64-128-10, 1347 samples (the L-BFGS benchmark)": (128, X_train, y_train),
                      "64-100-10, 1797 samples (scikit-learn's default)": (100, X, y)}
    with threadpool_limits(1):
        for title, (hidden, X_c, y_c) in configurations.items():
            runs = objectives(hidden, StandardScaler().fit_transform(X_c), y_c)
            times: dict[str, list[float]] = {name: [] for name in runs}
            for run in runs.values():  # warm-up
                run()
            for _ in range(rounds):
                for name, run in runs.items():
                    start = time.thread_time()
                    run()
                    times[name].append(time.thread_time() - start)
            reference = times["scikit-learn objective"]
            print(f"{title}, {rounds} interleaved rounds, CPU time of one thread:")
            for name, values in times.items():
                share = statistics.median(a / b for a, b in zip(values, reference))
                print(f"  {name:28s} {statistics.median(values) * 1e3:6.2f} ms  "
                      f"{share:.2f} of scikit-learn's")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
