"""The network a command works on: read from a model file with its preprocessing, its class
probabilities (with a one-line error for a row it cannot handle), and how a summary names it.
"""

from __future__ import annotations

import numpy as np

from .._prep import Prep
from ..model import Sequential
from .status import CLIError


def load_model(path: str) -> tuple[Sequential, Prep]:
    """The network in a model file (a ``Sequential`` or a fitted ``MLPClassifier``'s or
    ``MLPRegressor``'s) and the preprocessing stored with it."""
    from ..persistence import ModelFileError, load

    try:
        obj, header = load(path, return_header=True)
        model, defaults = _network_of(obj, path)
        return model, Prep.from_metadata(header.get("metadata"), model, path, defaults)
    except FileNotFoundError:
        raise CLIError(f"no such model file: {path}") from None
    except (ModelFileError, ValueError) as error:
        message = str(error)
        if not message.startswith(str(path)):
            message = f"{path}: {message}"
        if "not a scratchnn model file" in message and "truncated" not in message:  # a mix-up
            message += ("; the MODEL.npz argument must be a file written by 'scratchnn train "
                        "--save' or scratchnn.save")
        raise CLIError(message) from None
    except OSError as error:
        raise CLIError(f"cannot read {path}: {error.strerror or error}") from None


def _network_of(obj, path: str) -> tuple[Sequential, dict]:
    """A loaded object's network, and what an estimator knows of its data (classes, column
    names) as defaults for the preprocessing."""
    if isinstance(obj, Sequential):
        return obj, {}
    model = getattr(obj, "model_", None)  # a fitted MLPClassifier: use its network and labels
    if not isinstance(model, Sequential):
        raise CLIError(f"{path} holds a {type(obj).__name__}, not a network the command line "
                       "can use")
    if not hasattr(obj, "classes_"):  # a fitted MLPRegressor: its targets are not scaled
        if model.n_outputs != 1:
            raise CLIError(f"{path} holds a regressor with {model.n_outputs} outputs; the "
                           "command line predicts one target")
        defaults = {"task": "regression"}
    else:
        defaults = {"classes": np.asarray(obj.classes_).tolist() or None}
    names = getattr(obj, "feature_names_in_", None)
    if names is not None:
        defaults["feature_names"] = [str(name) for name in names]
    return model, defaults


def probabilities(model: Sequential, X: np.ndarray, source: str = "the data",
                  first_row: int = 0) -> np.ndarray:
    """Class probabilities ``(n, k)`` for network inputs ``X (n, d)`` (``k = 2`` for a
    single-output network); ``source`` names the rows of ``X`` (the first being data row
    ``first_row + 1``) in the error for a row the network cannot handle."""
    with np.errstate(over="ignore", invalid="ignore"):
        proba = model.predict_proba(X)
    bad = np.flatnonzero(~np.isfinite(proba.reshape(len(X), -1)).all(axis=1))
    if bad.size:
        raise CLIError(f"{source}, data row {first_row + bad[0] + 1}: its values are so large "
                       "that the network's output overflows (no probability can be computed); "
                       "check that row")
    return np.column_stack([1 - proba, proba]) if proba.ndim == 1 else proba


def describe_net(model: Sequential, activation: str) -> str:
    """``"2-8-8-1 relu (105 parameters)"``: the layer widths, the hidden activation."""
    sizes = [model.n_inputs] + [layer.n_out for layer in model.dense_layers]
    kind = activation if len(sizes) > 2 else "no hidden layer"
    return f"{'-'.join(map(str, sizes))} {kind} ({model.n_parameters()} parameters)"
