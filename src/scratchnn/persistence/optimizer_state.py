"""An optimizer in a model file, so training can go on where it stopped: ``save(...,
optimizer=opt)`` stores ``opt.state_dict()``, ``load(..., optimizer=True)`` rebuilds the
optimizer over the loaded model's parameters.

``state_dict()`` has PyTorch's shape: ``{"state": {0: {"momentum_buffer": array}, ...},
"param_groups": [{"lr": 0.1, "momentum": 0.9, ..., "params": [0, 1, 2, 3]}]}``, where ``i``
is the position of a parameter in ``model.parameters()``. In the file, the scalars go to the
header's ``"optimizer"`` section and each array becomes a member ``optimizer_{i}_{key}``,
checked and read like the weights (its shape is the shape of parameter ``i``, its dtype the
model's, its bytes under the checksum)::

    "optimizer": {"class": "Adam",
                  "param_groups": [{"lr": 0.001, "betas": [0.9, 0.999], ..., "params": [0, 1]}],
                  "state": [{"param": 0, "scalars": {"step": 5},
                             "arrays": ["exp_avg", "exp_avg_sq"]}, ...]}

The class is looked up by its lower-case name in ``scratchnn.optimizers.OPTIMIZERS``: a file
names an optimizer, it never says what code to run.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import numpy as np

from .. import optimizers
from ..errors import ModelFileError
from ..model import Sequential
from ._npz_reader import _brief
from .estimator_state import _json_value

_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")  # a state entry's name: momentum_buffer, exp_avg
_MAX_ARRAYS_PER_PARAM = 8  # Adam keeps two; a file may not declare hundreds
_MAX_LIST = 8  # a setting that is a list (Adam's betas) is short


def member_name(param: int, key: str) -> str:
    """The archive member holding state ``key`` of parameter ``param``."""
    return f"optimizer_{param}_{key}"


def _optimizer_class(name: Any):
    """The optimizer class a file names, or ``None``."""
    cls = optimizers.OPTIMIZERS.get(name.lower()) if isinstance(name, str) else None
    return cls if cls is not None and cls.__name__ == name else None


def _setting(value: Any, what: str) -> Any:
    """A setting of a param group as JSON: a scalar, or a list of scalars (betas)."""
    if isinstance(value, (tuple, list)):
        return [_json_value(v, what) for v in value]
    return _json_value(value, what)


# --- saving -----------------------------------------------------------------------------------


def describe_optimizer(optimizer, model: Sequential) -> tuple[dict, dict[str, np.ndarray]]:
    """The header's ``"optimizer"`` section and the state arrays (by member name) of an
    optimizer over ``model.parameters()``. Raises ``TypeError`` for an optimizer a file cannot
    name and ``ValueError`` for state that does not belong to ``model``."""
    kind = type(optimizer).__name__
    if _optimizer_class(kind) is not type(optimizer):
        names = ", ".join(cls.__name__ for cls in optimizers.OPTIMIZERS.values())
        raise TypeError(f"cannot save an optimizer of type {kind}; model files store: {names}")
    params = model.parameters()
    shapes, dtype = [p.shape for p, _ in params], params[0][0].dtype
    own = getattr(optimizer, "params", None)
    if own is not None and (len(own) != len(params) or not all(
            a is p or (a.shape == p.shape and np.may_share_memory(a, p))
            for (a, _), (p, _) in zip(own, params))):
        raise ValueError(f"this {kind} does not update the parameters of the model being "
                         "saved; save the optimizer together with the model it trains")
    state_dict = optimizer.state_dict()
    groups, covered = [], []
    for group in state_dict["param_groups"]:
        indices = [int(i) for i in group["params"]]
        covered += indices
        settings = {key: _setting(value, f"the optimizer setting {key}")
                    for key, value in group.items() if key != "params"}
        groups.append({**settings, "params": indices})
    if sorted(covered) != list(range(len(params))):
        raise ValueError(f"the {kind}'s parameter groups cover the parameters {sorted(covered)},"
                         f" but the model has {len(params)}; save the optimizer together with "
                         "the model it trains")
    state, arrays = [], {}
    for param in sorted(state_dict["state"]):
        i, scalars, keys = int(param), {}, []
        for key, value in state_dict["state"][param].items():
            if not isinstance(value, np.ndarray):
                scalars[key] = _json_value(value, f"the optimizer state {key}")
                continue
            if not _KEY.fullmatch(key) or value.shape != shapes[i] or value.dtype != dtype:
                raise ValueError(f"the optimizer state {key!r} of parameter {i} has shape "
                                 f"{value.shape} and dtype {value.dtype}; a model file needs "
                                 f"the parameter's {shapes[i]} and {dtype}, and a name of "
                                 "lower-case letters, digits and underscores")
            if not np.isfinite(value).all():
                raise ValueError(f"cannot save: the optimizer state {key!r} of parameter {i} "
                                 "holds NaN or infinite values (its training diverged)")
            keys.append(key)
            arrays[member_name(i, key)] = value
        state.append({"param": i, "scalars": scalars, "arrays": keys})
    return {"class": kind, "param_groups": groups, "state": state}, arrays


# --- loading ----------------------------------------------------------------------------------


def _is_index(value: Any, n: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < n


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float))


def _check_groups(groups: Any, n_params: int, where: str) -> None:
    if not (isinstance(groups, list) and 0 < len(groups) <= n_params):
        raise ModelFileError(f"{where}: param_groups must be a list of 1 to {n_params} groups")
    covered: list[int] = []
    for group in groups:
        indices = group.get("params") if isinstance(group, dict) else None
        if not (isinstance(indices, list) and all(_is_index(i, n_params) for i in indices)):
            raise ModelFileError(f"{where}: every param group needs params, a list of "
                                 f"parameter positions below {n_params}")
        covered += indices
        for key, value in group.items():
            ok = _is_scalar(value) or (isinstance(value, list) and len(value) <= _MAX_LIST
                                       and all(_is_scalar(v) for v in value))
            if key != "params" and not (isinstance(key, str) and ok):
                raise ModelFileError(f"{where}: the setting {_brief(key)} is "
                                     f"{_brief(value)}, not a number or a short list of them")
    if sorted(covered) != list(range(n_params)):
        raise ModelFileError(f"{where}: the param groups must name each of the model's "
                             f"{n_params} parameters once")


def optimizer_shapes(section: Any, param_shapes: list[tuple[int, ...]],
                     path) -> dict[str, tuple[int, ...]]:
    """Check the header's ``"optimizer"`` section (untrusted) and return the members it
    declares with the shapes they must have: parameter ``i``'s for ``optimizer_{i}_{key}``."""
    where = f"{path}: the header's optimizer section"
    if not isinstance(section, dict) or _optimizer_class(section.get("class")) is None:
        names = [cls.__name__ for cls in optimizers.OPTIMIZERS.values()]
        kind = section.get("class") if isinstance(section, dict) else section
        raise ModelFileError(f"{where} names the optimizer {_brief(kind)}, not one of {names}")
    n_params = len(param_shapes)
    _check_groups(section.get("param_groups"), n_params, where)
    state = section.get("state")
    if not (isinstance(state, list) and len(state) <= n_params):
        raise ModelFileError(f"{where}: state must be a list of at most {n_params} entries")
    shapes: dict[str, tuple[int, ...]] = {}
    seen: set[int] = set()
    for entry in state:
        param = entry.get("param") if isinstance(entry, dict) else None
        scalars = entry.get("scalars") if isinstance(entry, dict) else None
        keys = entry.get("arrays") if isinstance(entry, dict) else None
        if not _is_index(param, n_params) or param in seen:
            raise ModelFileError(f"{where}: a state entry names the parameter {_brief(param)}, "
                                 f"not a new position below {n_params}")
        seen.add(param)
        if not (isinstance(scalars, dict) and all(
                isinstance(k, str) and _is_scalar(v) for k, v in scalars.items())):
            raise ModelFileError(f"{where}: the scalars of parameter {param} must be numbers")
        if not (isinstance(keys, list) and len(keys) <= _MAX_ARRAYS_PER_PARAM and all(
                isinstance(k, str) and _KEY.fullmatch(k) and k not in scalars for k in keys)
                and len(set(keys)) == len(keys)):
            raise ModelFileError(f"{where}: the arrays of parameter {param} must be at most "
                                 f"{_MAX_ARRAYS_PER_PARAM} distinct lower-case names")
        shapes.update({member_name(param, key): param_shapes[param] for key in keys})
    return shapes


def _as_settings(group: dict) -> dict:
    """A param group as read back: JSON lists become tuples again (Adam's ``betas``)."""
    return {key: tuple(value) if isinstance(value, list) and key != "params" else value
            for key, value in group.items()}


def restore_optimizer(section: dict, arrays: dict[str, np.ndarray], model: Sequential):
    """The optimizer a checked ``"optimizer"`` section describes, rebuilt over
    ``model.parameters()`` with its class, settings and state (arrays copied from the file's
    members ``optimizer_{i}_{key}``)."""
    cls = _optimizer_class(section["class"])
    groups = [_as_settings(group) for group in section["param_groups"]]
    accepted = inspect.signature(cls).parameters
    settings = {key: value for key, value in groups[0].items()
                if key in accepted and key != "params"}
    state = {entry["param"]: {**entry["scalars"], **{
        key: arrays[member_name(entry["param"], key)].copy() for key in entry["arrays"]}}
        for entry in section["state"]}
    optimizer = cls(model.parameters(), **settings)
    optimizer.load_state_dict({"state": state, "param_groups": groups})
    return optimizer
