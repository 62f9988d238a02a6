"""A scikit-learn search over scratchnn models on a Dask cluster gives the serial result."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnn import MLPClassifier

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask")


def search():
    from sklearn.model_selection import GridSearchCV

    grid = {"hidden_layer_sizes": [(4,), (16,)], "alpha": [1e-4, 1.0],
            "activation": ["relu", "tanh"]}
    return GridSearchCV(MLPClassifier(max_iter=60, learning_rate_init=0.02, random_state=0),
                        grid, cv=3, n_jobs=-1)


def test_grid_search_on_a_local_cluster_equals_the_serial_search():
    import joblib
    from sklearn.datasets import make_moons

    X, y = make_moons(200, noise=0.25, random_state=0)
    serial = search().set_params(n_jobs=None).fit(X, y)

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        workers = set(client.scheduler_info()["workers"])
        assert len(workers) == 2
        with distributed.get_task_stream(client) as tasks, joblib.parallel_config(
                backend="dask"):
            on_dask = search().fit(X, y)
    # the fits ran as tasks in the cluster's worker processes, not in this one
    assert tasks.data, "no task ran on the cluster"
    assert {task["worker"] for task in tasks.data} <= workers

    assert on_dask.best_params_ == serial.best_params_
    np.testing.assert_array_equal(on_dask.cv_results_["mean_test_score"],
                                  serial.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(on_dask.predict(X), serial.predict(X))
