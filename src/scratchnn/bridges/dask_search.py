"""dask-ml's incremental searches on a current Dask: ``patch_dask_ml()``.

``dask_ml.model_selection.HyperbandSearchCV`` and ``IncrementalSearchCV`` train many models a
few ``partial_fit`` calls at a time and drop the worst; scratchnn's estimators have
``partial_fit``, so they take part as they are. One obstacle is not ours: dask-ml 2025.1.0
(the latest release) calls ``dask.persist`` inside the coroutine that runs the search, and Dask
2025.3.0 and later refuse that ("RuntimeError: Attempting to use an asynchronous Client in a
synchronous context of `dask.compute`", https://github.com/dask/dask-ml/issues/1016). Two ways
out: Dask and distributed 2025.2.0 or older, or ``patch_dask_ml()``, which gives that one module
of dask-ml a ``persist`` that asks the running client, as ``dask.persist`` did before.
"""

from __future__ import annotations

import re
import types
from importlib.metadata import version

from ._shared import require

FIRST_REFUSING_DASK = (2025, 3)  # Dask refuses dask.persist inside a running client from here
LAST_AFFECTED_DASK_ML = (2025, 1)  # the dask-ml release that still calls it


def _release(package: str) -> tuple[int, int]:
    """``(year, month)`` of a calendar-versioned package's installed release."""
    numbers = re.match(r"(\d+)\.(\d+)", version(package))
    return (int(numbers.group(1)), int(numbers.group(2))) if numbers else (0, 0)


def _persist_on_the_running_client(*collections):
    """``dask.persist(*collections)`` for dask-ml's coroutine: each argument a Dask collection
    or a dict of them, persisted by the client the search runs on (no blocking wait: the
    client hands back collections backed by futures at once)."""
    from distributed import default_client

    client = default_client()
    persisted = []
    for collection in collections:
        if isinstance(collection, dict):
            keys = list(collection)
            values = client.persist([collection[key] for key in keys]) if keys else []
            persisted.append(dict(zip(keys, values)))
        else:
            persisted.append(client.persist(collection))
    return tuple(persisted)


def patch_dask_ml() -> bool:
    """Let dask-ml's ``HyperbandSearchCV`` and ``IncrementalSearchCV`` run on Dask 2025.3 and
    later; call it once, before the search.

    Returns ``True`` if the patch is in force in ``dask_ml.model_selection._incremental``
    (dask-ml 2025.1 or older with Dask 2025.3 or newer; a second call changes nothing more),
    ``False`` where nothing needs it. Only that module's view of ``dask`` changes (``persist``
    asks the running client, ``delayed`` is Dask's own); Dask itself and every other module
    are left alone.
    Raises ``ImportError`` naming the extra to install if dask-ml is missing.
    """
    require("dask_ml", "patch_dask_ml")
    import dask
    from dask_ml.model_selection import _incremental

    if isinstance(_incremental.dask, types.SimpleNamespace):  # patched by an earlier call
        return True
    if _release("dask") < FIRST_REFUSING_DASK or _release("dask-ml") > LAST_AFFECTED_DASK_ML:
        return False
    _incremental.dask = types.SimpleNamespace(persist=_persist_on_the_running_client,
                                              delayed=dask.delayed)
    return True
