"""A scratchnn ``Sequential`` as a ``torch.nn.Sequential`` with the same weights, and back.

PyTorch is optional: it is imported inside ``to_torch`` and ``from_torch`` (a missing one
raises an ``ImportError`` that says what to install). This module is named for what it bridges
to; every import in it is absolute, so ``torch`` always means PyTorch.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from scratchnn.bridges._shared import network_of, require
from scratchnn.layers import Dense, Dropout, Identity, Layer, LeakyReLU, ReLU, Sigmoid, Tanh
from scratchnn.model import Sequential

__all__ = ["from_torch", "to_torch"]


def to_torch(model):
    """The network as a ``torch.nn.Sequential`` with the same weights (copies).

    ``model`` is a ``Sequential`` of ``Dense``, ``ReLU``, ``LeakyReLU``, ``Tanh``, ``Sigmoid``,
    ``Identity`` and ``Dropout`` layers, or a fitted ``MLPClassifier`` (its ``model_``, which
    outputs logits: apply ``torch.sigmoid`` / ``torch.softmax`` for probabilities).

    ``nn.Linear`` stores its weight transposed: scratchnn's ``Dense`` computes
    ``x @ W + b`` with ``W (n_in, n_out)``, PyTorch's ``Linear`` computes
    ``x @ weight.T + bias`` with ``weight (n_out, n_in)``; so ``weight = W.T``. The tensors
    keep the dtype (float32 / float64), and the module is in training mode exactly when the
    scratchnn model is (an estimator's network comes back in eval mode).
    """
    torch = require("torch", "to_torch")
    network = network_of(model)
    modules = []
    for index, layer in enumerate(network.layers):
        if isinstance(layer, Dense):
            dtype = getattr(torch, layer.dtype.name)
            linear = torch.nn.Linear(layer.n_in, layer.n_out, dtype=dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(layer.W.T)))
                linear.bias.copy_(torch.from_numpy(layer.b.copy()))
            modules.append(linear)
        elif type(layer) in _TO_TORCH:
            modules.append(_TO_TORCH[type(layer)](torch.nn, layer))
        else:
            raise TypeError(f"to_torch cannot convert layer {index} ({type(layer).__name__}); "
                            f"supported: Dense, {', '.join(t.__name__ for t in _TO_TORCH)}")
    module = torch.nn.Sequential(*modules)
    training = network.training and isinstance(model, Sequential)
    return module.train(training)


_TO_TORCH = {
    ReLU: lambda nn, layer: nn.ReLU(),
    LeakyReLU: lambda nn, layer: nn.LeakyReLU(layer.negative_slope),
    Tanh: lambda nn, layer: nn.Tanh(),
    Sigmoid: lambda nn, layer: nn.Sigmoid(),
    Identity: lambda nn, layer: nn.Identity(),
    Dropout: lambda nn, layer: nn.Dropout(layer.p),
}


def from_torch(module) -> Sequential:
    """A scratchnn ``Sequential`` with the weights of a PyTorch module (copies).

    ``module`` is a ``torch.nn.Sequential`` (nested ones are flattened) or a single layer, made
    of ``nn.Linear`` (float32 or float64; ``bias=False`` gives a zero bias), ``nn.ReLU``,
    ``nn.LeakyReLU``, ``nn.Tanh``, ``nn.Sigmoid``, ``nn.Identity`` and ``nn.Dropout``. Any other
    layer is refused with a ``TypeError`` naming it. ``W = weight.T`` (see ``to_torch``).
    A module that could not run (``Linear`` layers whose sizes do not chain, a weight of the
    wrong shape or with NaN values, no ``Linear`` at all) is refused with a ``ValueError``
    naming the layer.
    """
    torch = require("torch", "from_torch")
    nn = torch.nn
    simple = {nn.ReLU: ReLU, nn.Tanh: Tanh, nn.Sigmoid: Sigmoid, nn.Identity: Identity}
    leaves = _flatten(module, nn.Sequential)
    layers: list[Layer] = []
    for index, leaf in enumerate(leaves):
        kind = type(leaf)
        if kind is nn.Linear:
            layers.append(_dense_from_linear(leaf, index, torch))
        elif kind in simple:
            layers.append(simple[kind]())
        elif kind is nn.LeakyReLU:
            layers.append(LeakyReLU(leaf.negative_slope))
        elif kind is nn.Dropout:
            layers.append(Dropout(leaf.p))
        else:
            supported = ", ".join(["Linear", "LeakyReLU", "Dropout", *(t.__name__ for t in simple)])
            raise TypeError(f"from_torch cannot convert layer {index} ({kind.__name__}: "
                            f"{leaf}); scratchnn has equivalents only for {supported}")
    if not layers:
        raise ValueError("from_torch: the module has no layers")
    _check_chain(layers, leaves)
    return Sequential(layers).train(module.training)


def _check_chain(layers: list[Layer], leaves: list) -> None:
    """Refuse a network that could not run: no ``Linear`` layer (nothing says how many inputs
    it takes), or a ``Linear`` whose inputs differ from the outputs of the one before."""
    dense = [(i, layer) for i, layer in enumerate(layers) if isinstance(layer, Dense)]
    if not dense:
        kinds = ", ".join(f"layer {i} ({type(leaf).__name__})" for i, leaf in enumerate(leaves))
        raise ValueError(f"from_torch: the module has no Linear layer ({kinds}); scratchnn's "
                         "Sequential needs one to know its inputs and outputs")
    for (i, before), (j, after) in pairwise(dense):
        if after.n_in != before.n_out:
            raise ValueError(f"from_torch: layer {j} (Linear) takes {after.n_in} inputs but "
                             f"layer {i} (Linear) gives {before.n_out}; the module could not "
                             "run forward")


def _flatten(module, sequential_type) -> list:
    """The leaves of nested ``nn.Sequential`` containers, in order."""
    if isinstance(module, sequential_type):
        return [leaf for child in module for leaf in _flatten(child, sequential_type)]
    return [module]


def _dense_from_linear(linear, index: int, torch) -> Dense:
    """A ``Dense`` with ``W = weight.T`` and ``b = bias`` (zero when the ``Linear`` has none)."""
    dtypes = {torch.float32: np.float32, torch.float64: np.float64}
    if linear.weight.dtype not in dtypes:
        raise TypeError(f"from_torch: layer {index} (Linear) has weights of dtype "
                        f"{linear.weight.dtype}; scratchnn uses float32 or float64: call "
                        ".float() or .double() on the module first")
    weight = linear.weight.detach().cpu().numpy()
    bias = None if linear.bias is None else linear.bias.detach().cpu().numpy()
    expected = {"weight": (linear.out_features, linear.in_features),
                "bias": (linear.out_features,)}
    for name, array in (("weight", weight), ("bias", bias)):
        if array is None:
            continue
        if array.shape != expected[name]:
            raise ValueError(f"from_torch: layer {index} (Linear({linear.in_features}, "
                             f"{linear.out_features})) has a {name} of shape "
                             f"{tuple(array.shape)}, expected {expected[name]}; was it "
                             "replaced after the layer was made?")
        if not np.isfinite(array).all():
            raise ValueError(f"from_torch: layer {index} (Linear) has a NaN or infinite "
                             f"{name}; train or load finite weights first")
    dense = Dense(linear.in_features, linear.out_features, dtype=dtypes[linear.weight.dtype])
    dense.W[...] = weight.T
    dense.b[...] = 0 if bias is None else bias
    return dense
