"""Hyperband over scratchnn's MLPClassifier on a Dask cluster, on scikit-learn's digits.

Hyperband (dask-ml's HyperbandSearchCV) starts many models, trains each a few `partial_fit`
calls (one epoch over one block of the training data each), keeps the best third, trains those
longer, and so on. Run it as a script: `python dask_hyperband.py`.
"""

import time

import numpy as np
from dask_ml.model_selection import HyperbandSearchCV
from distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from scratchnn import MLPClassifier
from scratchnn.bridges import patch_dask_ml

# Plain ints for the layer sizes: dask-ml stores each parameter's values in one NumPy array,
# which tuples of different lengths, such as (64,) and (64, 64), cannot share.
PARAMETERS = {
    "hidden_layer_sizes": [32, 64, 128],
    "learning_rate_init": [1e-3, 3e-3, 1e-2, 3e-2],
    "alpha": [1e-5, 1e-4, 1e-3, 1e-2],
}


def digits():
    """scikit-learn's 8x8 digits, pixels scaled to [0, 1]: (X_train, X_test, y_train, y_test),
    a quarter held out for the final test."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


def search(X_train, y_train) -> HyperbandSearchCV:
    """Hyperband on the Dask client in use (dask-ml finds it): models of up to 27 calls of
    `partial_fit`, scored on a part of the training data that dask-ml holds out."""
    patch_dask_ml()  # dask-ml 2025.1 on Dask 2025.3 or later; does nothing where not needed
    hyperband = HyperbandSearchCV(MLPClassifier(batch_size=64, random_state=0), PARAMETERS,
                                  max_iter=27, random_state=0)
    return hyperband.fit(X_train, y_train, classes=np.arange(10))


if __name__ == "__main__":  # worker processes import this file again: start nothing there
    X_train, X_test, y_train, y_test = digits()
    # Two workers of one thread each on this machine's loopback; on a real cluster, replace
    # the two lines below by `with Client("tcp://scheduler:8786"):`.
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster):
        start = time.perf_counter()
        result = search(X_train, y_train)
        seconds = time.perf_counter() - start
    print(f"{result.metadata_['n_models']} models, "
          f"{result.metadata_['partial_fit_calls']} partial_fit calls in {seconds:.1f} s")
    print("best parameters:", result.best_params_)
    print(f"best test accuracy: {result.best_estimator_.score(X_test, y_test):.3f}")
