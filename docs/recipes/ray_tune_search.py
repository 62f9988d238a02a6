"""A Ray Tune search over scratchnn's MLPClassifier on scikit-learn's digits: a function
trainable that reports after every epoch, and ASHA, which stops the trials that fall behind.

Run it as a script: `python ray_tune_search.py`. It starts Ray on this machine (2 CPUs, one per
trial, no dashboard); on a cluster, `ray.init(address="auto")` joins it instead.
"""

import tempfile

import numpy as np
import ray
from ray import tune
from ray.tune.schedulers import ASHAScheduler
from ray.tune.search import BasicVariantGenerator
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_info

from scratchnn import MLPClassifier

MAX_EPOCHS = 20


def digits():
    """scikit-learn's 8x8 digits, pixels scaled to [0, 1]: (X_train, X_test, y_train, y_test)."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


def blas_threads() -> int:
    return max(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")


def train_digits(config: dict) -> None:
    """One trial: an epoch of `partial_fit` at a time, the validation accuracy reported after
    each, so that ASHA can stop the trial early."""
    X_train, _, y_train, _ = digits()
    X_fit, X_val, y_fit, y_val = train_test_split(X_train, y_train, test_size=0.2,
                                                  stratify=y_train, random_state=0)
    clf = MLPClassifier(hidden_layer_sizes=(config["units"],),
                        learning_rate_init=config["learning_rate_init"], alpha=config["alpha"],
                        batch_size=64, random_state=0)
    for epoch in range(1, MAX_EPOCHS + 1):
        clf.partial_fit(X_fit, y_fit, classes=np.arange(10))
        tune.report({"accuracy": clf.score(X_val, y_val), "epoch": epoch,
                     "blas_threads": blas_threads()})


def search(num_samples: int = 8) -> tune.ResultGrid:
    """`num_samples` trials drawn from the space below, one CPU each, under ASHA."""
    space = {
        "units": tune.choice([32, 64, 128]),
        "learning_rate_init": tune.loguniform(1e-3, 3e-2),
        "alpha": tune.loguniform(1e-5, 1e-2),
    }
    asha = ASHAScheduler(max_t=MAX_EPOCHS, grace_period=2, reduction_factor=3,
                         time_attr="epoch")
    tuner = tune.Tuner(
        tune.with_resources(train_digits, {"cpu": 1}),  # Ray gives the trial 1 BLAS thread
        param_space=space,
        tune_config=tune.TuneConfig(metric="accuracy", mode="max", scheduler=asha,
                                    num_samples=num_samples,
                                    search_alg=BasicVariantGenerator(random_state=0)),
        run_config=tune.RunConfig(storage_path=tempfile.mkdtemp(), verbose=0),
    )
    return tuner.fit()


if __name__ == "__main__":
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    results = search()
    best = results.get_best_result()
    epochs = [result.metrics["epoch"] for result in results]
    print(f"{len(epochs)} trials, {sum(epochs)} epochs in all "
          f"(ASHA stopped {sum(e < MAX_EPOCHS for e in epochs)} early)")
    print("best config:", best.config)
    print(f"best validation accuracy: {best.metrics['accuracy']:.3f} after "
          f"{best.metrics['epoch']} epochs, {best.metrics['blas_threads']} BLAS thread(s)")
    ray.shutdown()
