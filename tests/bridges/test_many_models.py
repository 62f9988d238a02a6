"""Many models at once on a Dask cluster: dask-ml's incremental searches over scratchnn's
``MLPClassifier`` (the Hyperband recipe of docs/many-models.md, run as written), one BLAS
thread per worker, and ``patch_dask_ml``. One ``LocalCluster`` (2 workers x 1 thread, loopback)
serves the module; the figures of time are in the docs page, never asserted here."""

from __future__ import annotations

import importlib.util
import re
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest

from scratchnn import MLPClassifier

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask_ml", reason="dask-ml is not installed: pip install 'scratchnn[dask]'")

RECIPE = Path(__file__).resolve().parents[2] / "docs" / "recipes" / "dask_hyperband.py"


def load_recipe():
    """docs/recipes/dask_hyperband.py as a module (its __main__ block does not run)."""
    spec = importlib.util.spec_from_file_location("dask_hyperband_recipe", RECIPE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Port 8787 is already in use": another cluster's
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        client.wait_for_workers(2)
        yield client


def blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


def release(package: str) -> tuple[int, int]:
    year, month = re.match(r"(\d+)\.(\d+)", version(package)).groups()
    return int(year), int(month)


def test_the_cluster_listens_on_loopback_only(client):
    addresses = [client.scheduler.address, *client.scheduler_info()["workers"]]
    assert all(address.startswith("tcp://127.0.0.1:") for address in addresses), addresses


def test_each_worker_runs_its_trials_with_one_blas_thread(client):
    """Dask's worker processes start with one BLAS thread: two trials on two cores do not
    oversubscribe them (benchmarks/blas_threads.py measures what that costs)."""
    import numpy  # noqa: F401  (loads the BLAS library threadpoolctl reports on)

    per_worker = client.run(blas_threads)
    assert len(per_worker) == 2
    # (NumPy's and SciPy's BLAS may both be loaded: each gets one thread)
    assert all(threads and set(threads) == {1} for threads in per_worker.values()), per_worker


def test_patch_dask_ml_is_in_force_exactly_where_dask_refuses_dask_ml(client):
    from scratchnn.bridges import patch_dask_ml

    needed = release("dask") >= (2025, 3) and release("dask-ml") <= (2025, 1)
    assert patch_dask_ml() is needed
    assert patch_dask_ml() is needed  # a second call changes nothing


def test_incremental_search_trains_our_models_on_the_workers(client):
    from dask_ml.model_selection import IncrementalSearchCV

    from scratchnn.bridges import patch_dask_ml

    recipe = load_recipe()
    X_train, X_test, y_train, y_test = recipe.digits()
    patch_dask_ml()
    search = IncrementalSearchCV(
        MLPClassifier(batch_size=64, random_state=0),
        {"hidden_layer_sizes": [16, 32], "learning_rate_init": [1e-2, 3e-2]},
        n_initial_parameters=4, max_iter=4, decay_rate=None, random_state=0)
    with distributed.get_task_stream(client) as tasks:
        search.fit(X_train, y_train, classes=np.arange(10))
    workers = set(client.scheduler_info()["workers"])
    assert tasks.data and {task["worker"] for task in tasks.data} <= workers
    assert len(search.cv_results_["params"]) == 4
    assert isinstance(search.best_estimator_, MLPClassifier)
    assert search.best_params_ in [
        {"hidden_layer_sizes": h, "learning_rate_init": r} for h in (16, 32) for r in (1e-2, 3e-2)]
    # each model saw at most max_iter partial_fit calls, and the best one learned something
    assert max(search.cv_results_["partial_fit_calls"]) <= 4
    assert search.best_estimator_.score(X_test, y_test) > 0.8


@pytest.mark.slow
def test_the_hyperband_recipe_reaches_097_on_digits(client):
    """The recipe of docs/many-models.md, as written, on the fixture's cluster."""
    recipe = load_recipe()
    X_train, X_test, y_train, y_test = recipe.digits()
    result = recipe.search(X_train, y_train)
    assert isinstance(result.best_estimator_, MLPClassifier)
    assert result.metadata_["n_models"] > 10  # a search, not one model
    assert result.best_estimator_.score(X_test, y_test) >= 0.97
