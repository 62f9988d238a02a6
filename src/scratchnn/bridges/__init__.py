"""Bridges: the same network in PyTorch and in ONNX.

* ``to_torch(model)`` / ``from_torch(module)`` (in ``bridges/torch.py``): a ``Sequential`` (or
  a fitted estimator's network) as a ``torch.nn.Sequential`` with the same weights, and back;
  ``residual_module()`` is the PyTorch module a ``Residual`` block becomes.
* ``to_onnx(model, path)`` and ``register_skl2onnx()`` (in ``bridges/onnx.py``): an ONNX graph
  with scikit-learn's outputs for a classifier, and a converter for ``skl2onnx.to_onnx``.

PyTorch, onnx, onnxruntime and skl2onnx are optional: they are imported inside the functions
that need them, and a missing one raises one ``ImportError`` that says what to install. The
names below are imported on first use, so ``import scratchnn.bridges`` stays cheap.
Tuning on several machines needs almost no code here: the estimators pickle, so scikit-learn's
searches run on Dask through ``joblib.parallel_config(backend="dask")``, and they have
``partial_fit``, so dask-ml's ``HyperbandSearchCV`` runs them; ``patch_dask_ml()`` (in
``bridges/dask_search.py``) lets dask-ml 2025.1 run on Dask 2025.3 and later (see
docs/many-models.md).
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing

# Every public name, by the module of this package that defines it.
_EXPORTS = {
    "torch": ["from_torch", "residual_module", "to_torch"],
    "onnx": ["DEFAULT_OPSET", "MIN_OPSET", "register_skl2onnx", "to_onnx"],
    "dask_search": ["patch_dask_ml"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

if TYPE_CHECKING:  # what type checkers and editors see; at run time, __getattr__ below
    from scratchnn.bridges.dask_search import patch_dask_ml
    from scratchnn.bridges.onnx import DEFAULT_OPSET, MIN_OPSET, register_skl2onnx, to_onnx
    from scratchnn.bridges.torch import from_torch, residual_module, to_torch

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "from_torch", "patch_dask_ml", "register_skl2onnx",
           "residual_module", "to_onnx", "to_torch"]


def __getattr__(name: str):
    """``to_torch``, ``to_onnx`` and friends, imported from their module on first use."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULE_OF})
