"""The model file's table of the layers beyond ``Dense`` and the activations: convolutions,
pooling, ``Flatten``, the normalisations and ``Residual``. For each kind: how its settings are
written (``describe``), checked when read from a file that may come from anyone
(``validate``), which arrays it stores with which shapes (``array_shapes``), and how it is
built again (``build``). ``format.py`` holds the rest of the format and calls these.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..blocks import Residual
from ..conv import AvgPool2D, Conv1D, Conv2D, MaxPool2D
from ..errors import ModelFileError
from ..layers import Flatten, Layer
from ..normalization import BatchNorm1D, BatchNorm2D, LayerNorm
from ._npz_reader import _brief

MAX_DEPTH = 8  # residual blocks inside residual blocks, at most this deep in a file

KINDS = ("Flatten", "Conv2D", "Conv1D", "MaxPool2D", "AvgPool2D", "BatchNorm1D", "BatchNorm2D",
         "LayerNorm", "Residual")
# The parameters (learned by gradient) and buffers (running statistics) each kind stores.
PARAMETERS = {"Conv2D": ("W", "b"), "Conv1D": ("W", "b"), "BatchNorm1D": ("gamma", "beta"),
              "BatchNorm2D": ("gamma", "beta"), "LayerNorm": ("gamma", "beta")}
# (A BatchNorm's num_batches_tracked, an integer, is written in the header instead.)
BUFFERS = {"BatchNorm1D": ("running_mean", "running_var"),
           "BatchNorm2D": ("running_mean", "running_var")}
_BATCH_NORMS = {"BatchNorm1D": BatchNorm1D, "BatchNorm2D": BatchNorm2D}
_POOLS = {"MaxPool2D": MaxPool2D, "AvgPool2D": AvgPool2D}


def describe(layer: Layer, describe_layer: Callable[[Layer], dict]) -> dict | None:
    """The header's entry for ``layer``, or None if it is none of ``KINDS``
    (``describe_layer`` describes the layers inside a residual block)."""
    kind = type(layer).__name__
    if kind not in KINDS:
        return None
    if isinstance(layer, Conv1D):
        return {"kind": kind, "in_channels": layer.in_channels,
                "out_channels": layer.out_channels, "kernel_size": layer.kernel[1],
                "stride": layer.stride[1], "padding": layer.padding[1]}
    if isinstance(layer, Conv2D):
        return {"kind": kind, "in_channels": layer.in_channels,
                "out_channels": layer.out_channels, "kernel_size": list(layer.kernel),
                "stride": list(layer.stride), "padding": list(layer.padding)}
    if kind in _POOLS:
        return {"kind": kind, "kernel_size": list(layer.kernel), "stride": list(layer.stride)}
    if kind in _BATCH_NORMS:
        return {"kind": kind, "num_features": layer.num_features, "momentum": layer.momentum,
                "eps": layer.eps, "num_batches_tracked": int(layer.num_batches_tracked)}
    if isinstance(layer, LayerNorm):
        return {"kind": kind, "normalized_shape": list(layer.normalized_shape), "eps": layer.eps}
    if isinstance(layer, Residual):
        inner = getattr(layer.block, "layers", [layer.block])
        return {"kind": kind, "block": [describe_layer(part) for part in inner]}
    return {"kind": kind}  # Flatten


def build(spec: dict, dtype: np.dtype, build_layers: Callable) -> Layer:
    """The layer a validated ``spec`` describes, with placeholder parameters of ``dtype``."""
    kind = spec["kind"]
    if kind in ("Conv2D", "Conv1D"):
        cls = Conv2D if kind == "Conv2D" else Conv1D
        return cls(spec["in_channels"], spec["out_channels"], spec["kernel_size"],
                   stride=spec["stride"], padding=spec["padding"], rng=0, dtype=dtype)
    if kind in _POOLS:
        return _POOLS[kind](spec["kernel_size"], spec["stride"])
    if kind in _BATCH_NORMS:
        layer = _BATCH_NORMS[kind](spec["num_features"], spec["momentum"], spec["eps"],
                                   dtype=dtype)
        layer.num_batches_tracked[...] = spec.get("num_batches_tracked", 0)  # older files: 0
        return layer
    if kind == "LayerNorm":
        return LayerNorm(spec["normalized_shape"], spec["eps"], dtype=dtype)
    if kind == "Residual":
        return Residual(build_layers(spec["block"], dtype))
    return Flatten()


def array_shapes(spec: dict) -> list[tuple[str, tuple[int, ...], bool]]:
    """``(name, shape, is_parameter)`` of each array a validated ``spec`` stores, parameters
    first, in the layer's ``parameters()`` order (a residual block: see ``format.py``)."""
    kind = spec["kind"]
    if kind == "Conv2D":
        W = (spec["out_channels"], spec["in_channels"], *spec["kernel_size"])
        return [("W", W, True), ("b", (spec["out_channels"],), True)]
    if kind == "Conv1D":
        W = (spec["out_channels"], spec["in_channels"], spec["kernel_size"])
        return [("W", W, True), ("b", (spec["out_channels"],), True)]
    if kind in _BATCH_NORMS:
        C = (spec["num_features"],)
        return [(name, C, name in PARAMETERS[kind]) for name in (*PARAMETERS[kind],
                                                                 *BUFFERS[kind])]
    if kind == "LayerNorm":
        shape = tuple(spec["normalized_shape"])
        return [("gamma", shape, True), ("beta", shape, True)]
    return []


def _is_int(value, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _is_number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or math.isfinite(value)


def _is_pair(value, low: int) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(_is_int(v, low) for v in value)


def validate(spec: dict, where: str, validate_layers: Callable, depth: int) -> None:
    """Refuse (``ModelFileError``) a ``spec`` of one of ``KINDS`` whose settings are not what
    the layer takes; ``validate_layers(specs, where, depth)`` checks a residual block."""
    kind = spec["kind"]
    if kind in ("Conv2D", "Conv1D"):
        if not (_is_int(spec.get("in_channels"), 1) and _is_int(spec.get("out_channels"), 1)):
            raise ModelFileError(f"{where} needs positive integer in_channels and out_channels")
        check = (lambda v, low: _is_pair(v, low)) if kind == "Conv2D" else _is_int
        for name, low in (("kernel_size", 1), ("stride", 1), ("padding", 0)):
            if not check(spec.get(name), low):
                what = "a pair of integers" if kind == "Conv2D" else "an integer"
                raise ModelFileError(f"{where} needs {name} as {what} >= {low}, got "
                                     f"{_brief(spec.get(name))}")
    elif kind in _POOLS:
        for name in ("kernel_size", "stride"):
            if not _is_pair(spec.get(name), 1):
                raise ModelFileError(f"{where} needs {name} as a pair of positive integers, "
                                     f"got {_brief(spec.get(name))}")
    elif kind in _BATCH_NORMS:
        momentum, eps = spec.get("momentum"), spec.get("eps")
        tracked = spec.get("num_batches_tracked", 0)
        if not (_is_int(spec.get("num_features"), 1) and _is_int(tracked, 0) and tracked < 2**62
                and (momentum is None or (_is_number(momentum) and 0 <= momentum <= 1))
                and _is_number(eps) and eps > 0):
            raise ModelFileError(f"{where} needs a positive integer num_features, momentum in "
                                 "[0, 1] or null, eps > 0 and num_batches_tracked >= 0")
    elif kind == "LayerNorm":
        shape, eps = spec.get("normalized_shape"), spec.get("eps")
        if not (isinstance(shape, list) and 0 < len(shape) <= 8
                and all(_is_int(d, 1) for d in shape) and _is_number(eps) and eps > 0):
            raise ModelFileError(f"{where} needs normalized_shape as a list of positive "
                                 "integers and eps > 0")
    elif kind == "Residual":
        if depth >= MAX_DEPTH:
            raise ModelFileError(f"{where}: residual blocks nest deeper than {MAX_DEPTH}")
        validate_layers(spec.get("block"), f"{where}'s block", depth + 1)
