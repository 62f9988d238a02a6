"""What every bridge needs: an optional package imported on demand, and the network to convert."""

from __future__ import annotations

import importlib

from scratchnn.model import Sequential

# optional package -> (the scratchnn extra that installs it, the packages of that extra)
_EXTRAS = {"torch": ("torch", "torch"), "onnx": ("onnx", "onnx onnxruntime skl2onnx"),
           "skl2onnx": ("onnx", "onnx onnxruntime skl2onnx"),
           "onnxruntime": ("onnx", "onnx onnxruntime skl2onnx"),
           "dask_ml": ("dask", "dask[distributed] dask-ml")}


def require(module: str, what: str):
    """Import an optional package, or raise one ``ImportError`` naming the pip command."""
    try:
        return importlib.import_module(module)
    except ImportError:
        extra, packages = _EXTRAS[module]
        raise ImportError(f"{what} needs the optional package {module!r}, which is not "
                          f"installed; install it with: pip install \"scratchnn[{extra}]\" "
                          f"(or: pip install {packages})") from None


def network_of(obj) -> Sequential:
    """The ``Sequential`` itself, or a fitted estimator's ``model_``."""
    if isinstance(obj, Sequential):
        return obj
    if hasattr(obj, "get_params") and hasattr(obj, "fit"):  # a scikit-learn estimator
        model = getattr(obj, "model_", None)
        if not isinstance(model, Sequential):
            raise ValueError(f"this {type(obj).__name__} is not fitted yet; call fit(X, y) "
                             "before converting it")
        return model
    raise TypeError(f"expected a scratchnn Sequential or a fitted scratchnn estimator, got "
                    f"{type(obj).__name__}")
