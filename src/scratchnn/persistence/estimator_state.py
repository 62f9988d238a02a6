"""The estimators in a model file: ``describe_estimator`` turns a fitted ``MLPClassifier`` or
``MLPRegressor`` into the header's ``"estimator"`` section (its parameters, classes and
fitted attributes; the weights are the file's arrays, as for any ``Sequential``), and
``restore_estimator`` builds the estimator back from that section and the loaded network.

The estimator package is imported only when an estimator is restored: scikit-learn is heavy,
and a plain ``Sequential`` needs none of it. The arrow points one way: this module knows the
estimators; they know nothing of files.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ModelFileError
from ..layers import ACTIVATIONS
from ..model import Sequential

ESTIMATOR_KINDS = ("MLPClassifier", "MLPRegressor")


def is_estimator(obj) -> bool:
    """Whether ``obj`` is one of scratchnn's estimators (without importing scikit-learn)."""
    return type(obj).__name__ in ESTIMATOR_KINDS and type(obj).__module__.startswith("scratchnn")


_FITTED_SCALARS = ("n_features_in_", "n_iter_", "t_", "loss_", "best_loss_",
                   "best_validation_score_", "out_activation_", "n_layers_", "n_outputs_")
_FITTED_LISTS = ("loss_curve_", "validation_scores_", "val_loss_curve_")
_FLOAT_DTYPES = {"float32": np.float32, "float64": np.float64}


def _json_value(value: Any, what: str) -> Any:
    """A NumPy scalar as the matching Python scalar; refuses anything JSON cannot hold."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise ValueError(f"{what} contains the non-finite number {value!r}, which a model "
                             "file cannot store")
        return float(value)
    if isinstance(value, (str, np.str_)):
        return str(value)
    if value is None:
        return None
    raise TypeError(f"{what} contains {value!r} of type {type(value).__name__}; a model file "
                    "stores only ints, floats, strings, bools and None")


def _encode_classes(classes: np.ndarray) -> dict:
    """Class labels as JSON values that keep their type: ints stay ints, strings strings."""
    classes = np.asarray(classes)
    values = [_json_value(c, "classes_") for c in classes.tolist()]
    return {"dtype": classes.dtype.str if classes.dtype != object else "object",
            "values": values}


def _decode_classes(encoded: Any) -> np.ndarray:
    if not (isinstance(encoded, dict) and isinstance(encoded.get("values"), list)
            and isinstance(encoded.get("dtype"), str)):
        raise ModelFileError("the header's classes are malformed: expected "
                             '{"dtype": ..., "values": [...]}')
    values = encoded["values"]
    if not values or not all(isinstance(v, (bool, int, float, str)) for v in values):
        raise ModelFileError("the header's class labels must be a non-empty list of ints, "
                             "floats, strings or bools")
    try:
        dtype = np.dtype(encoded["dtype"]) if encoded["dtype"] != "object" else np.dtype(object)
        if dtype.kind not in "biufUO":
            raise TypeError(dtype)
        return np.array(values, dtype=dtype)
    except (TypeError, ValueError):
        raise ModelFileError(f"the header's classes have an unusable dtype "
                             f"{encoded['dtype']!r}") from None


def describe_estimator(est) -> dict:
    """The JSON-ready ``{"class", "params", "classes", "fitted"}`` of a fitted estimator, for a
    model file's header (``classes`` is ``None`` for a regressor). Raises ``ValueError`` if it
    is not fitted, ``TypeError`` / ``ValueError`` for a parameter a file cannot hold."""
    kind = type(est).__name__
    if not hasattr(est, "model_"):
        raise ValueError(f"this {kind} is not fitted yet: call fit(X, y) before saving it")
    params = {}
    for name, value in est.get_params(deep=False).items():
        if name == "dtype":
            value = None if value is None else np.dtype(value).name
        elif name == "hidden_layer_sizes":
            params[name] = [int(v) for v in np.atleast_1d(value)]
            continue
        elif name == "activation" and isinstance(value, (tuple, list)):
            params[name] = [_json_value(v, "parameter activation") for v in value]
            continue
        elif name == "class_weight" and isinstance(value, dict):
            raise ValueError("a class_weight dict cannot be stored in a model file; fit with "
                             "class_weight='balanced' or explicit sample_weight to save it")
        elif name == "random_state" and not (value is None or isinstance(value, (int, np.integer))):
            value = None  # a Generator/RandomState cannot be stored; the weights are what matter
        params[name] = _json_value(value, f"parameter {name}")
    fitted: dict[str, Any] = {name: _json_value(getattr(est, name, None), name)
                              for name in _FITTED_SCALARS}
    for name in _FITTED_LISTS:
        values = getattr(est, name, None)
        fitted[name] = None if values is None else [_json_value(v, name) for v in values]
    names = getattr(est, "feature_names_in_", None)
    fitted["feature_names_in_"] = None if names is None else [str(v) for v in names]
    classes = _encode_classes(est.classes_) if hasattr(est, "classes_") else None
    return {"class": kind, "params": params, "classes": classes, "fitted": fitted}


def restore_estimator(info: Any, model: Sequential):
    """A fitted ``MLPClassifier`` or ``MLPRegressor`` from a header's estimator section
    (``describe_estimator``'s output, read back) and the network rebuilt from the file's
    arrays. Raises ``ModelFileError`` when the two do not fit together."""
    if not (isinstance(info, dict) and isinstance(info.get("params"), dict)
            and isinstance(info.get("fitted"), dict)):
        raise ModelFileError("the header's estimator section is malformed: expected params, "
                             "classes and fitted")
    params = dict(info["params"])
    if params.get("dtype") in _FLOAT_DTYPES:
        params["dtype"] = _FLOAT_DTYPES[params["dtype"]]
    for name in ("hidden_layer_sizes", "activation"):
        if isinstance(params.get(name), list):
            params[name] = tuple(params[name])
    kind = info.get("class", "MLPClassifier")
    if kind not in ESTIMATOR_KINDS:
        raise ModelFileError(f"the header's estimator class {kind!r} is not one of "
                             f"{list(ESTIMATOR_KINDS)}")
    from .. import estimator  # scikit-learn is loaded only when an estimator is

    try:
        est = getattr(estimator, kind)(**params)
    except TypeError as error:
        raise ModelFileError(f"the header's estimator parameters do not fit this version of "
                             f"{kind}: {error}") from None
    fitted = info["fitted"]
    _check_architecture(params, model)
    outputs, what = fitted.get("n_outputs_"), f"{fitted.get('n_outputs_')} outputs"
    if kind == "MLPClassifier":
        est.classes_ = _decode_classes(info.get("classes"))
        n_classes = len(est.classes_)
        multilabel = fitted.get("out_activation_") == "logistic" and (
            isinstance(outputs, int) and outputs > 1)
        outputs = n_classes if multilabel or n_classes > 2 else 1
        what = f"{n_classes} classes"
    if model.n_outputs != outputs or fitted.get("n_features_in_") != model.n_inputs:
        raise ModelFileError(f"the network ({model.n_inputs} inputs, {model.n_outputs} outputs) "
                             f"does not fit the header's {fitted.get('n_features_in_')} features "
                             f"and {what}")
    for name in (*_FITTED_SCALARS, *_FITTED_LISTS):
        value = fitted.get(name)
        if value is not None or name in ("best_loss_", "validation_scores_",
                                         "best_validation_score_", "val_loss_curve_"):
            setattr(est, name, value)
    names = fitted.get("feature_names_in_")
    if names is not None:
        est.feature_names_in_ = np.array(names, dtype=object)
    # the fitted network, as fit leaves it: coefs_ and intercepts_ are its Dense arrays
    est.model_ = model
    est.coefs_ = [layer.W for layer in model.dense_layers]
    est.intercepts_ = [layer.b for layer in model.dense_layers]
    return est


def _check_architecture(params: dict, model: Sequential) -> None:
    """The layers must be what the estimator's parameters build: Dense layers of
    ``hidden_layer_sizes`` with ``activation`` (one name, or one per layer) between them and
    none after the last."""
    hidden = params.get("hidden_layer_sizes")
    hidden = [hidden] if isinstance(hidden, int) else hidden
    name = params.get("activation")
    sizes = [d.n_out for d in model.dense_layers[:-1]]
    names = list(name) if isinstance(name, (list, tuple)) else [name] * len(sizes)
    layers = [ACTIVATIONS.get(n) if isinstance(n, str) else None for n in names]
    kinds = [type(layer).__name__ for layer in model.layers]
    expected = ["Dense"]
    for layer in layers:
        expected += [None if layer is None else layer.__name__, "Dense"]
    if None in layers or not isinstance(hidden, (list, tuple)) or list(hidden) != sizes or (
            kinds != expected):
        raise ModelFileError(f"the layers {kinds} do not match the estimator's parameters "
                             f"hidden_layer_sizes={hidden!r}, activation={name!r}")
