"""A scratchnn ``Sequential`` as a ``torch.nn.Sequential`` with the same weights, and back.

Every layer crosses: ``Dense`` <-> ``nn.Linear``, the activations, ``Dropout``, ``Flatten``,
``Conv2D``/``Conv1D`` <-> ``nn.Conv2d``/``nn.Conv1d``, ``MaxPool2D``/``AvgPool2D`` <->
``nn.MaxPool2d``/``nn.AvgPool2d``, ``BatchNorm1D``/``BatchNorm2D`` <-> ``nn.BatchNorm1d``/
``nn.BatchNorm2d`` (running statistics, ``num_batches_tracked``, ``momentum``, ``eps``),
``LayerNorm`` <-> ``nn.LayerNorm``, and ``Residual`` <-> ``TorchResidual``, the small module
(``block(x) + x``) defined here, since PyTorch has none.

PyTorch is optional: it is imported inside ``to_torch`` and ``from_torch`` (a missing one
raises an ``ImportError`` that says what to install). This module is named for what it bridges
to; every import in it is absolute, so ``torch`` always means PyTorch.
"""

from __future__ import annotations

import numpy as np

from scratchnn.blocks import Residual
from scratchnn.bridges._shared import network_of, require
from scratchnn.conv import AvgPool2D, Conv1D, Conv2D, MaxPool2D
from scratchnn.layers import (
    Dense,
    Dropout,
    Flatten,
    Identity,
    Layer,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Tanh,
)
from scratchnn.model import Sequential
from scratchnn.normalization import BatchNorm1D, BatchNorm2D, LayerNorm

__all__ = ["from_torch", "residual_module", "to_torch"]

_residual_class = None  # TorchResidual, made on first use (it needs torch)


def residual_module():
    """``TorchResidual``: the ``torch.nn.Module`` that computes ``block(x) + x``, as scratchnn's
    ``Residual`` (its ``block`` is a ``torch.nn.Sequential``). ``to_torch`` writes a
    ``Residual`` as one; ``from_torch`` reads one back."""
    global _residual_class
    if _residual_class is None:
        torch = require("torch", "residual_module")

        class TorchResidual(torch.nn.Module):
            """``y = block(x) + x``: scratchnn's ``Residual`` in PyTorch."""

            def __init__(self, block):
                super().__init__()
                self.block = block

            def forward(self, x):
                return self.block(x) + x

        _residual_class = TorchResidual
    return _residual_class


def to_torch(model):
    """The network as a ``torch.nn.Sequential`` with the same weights (copies).

    ``model`` is a ``Sequential`` of the layers listed at the top of this module, or a fitted
    ``MLPClassifier`` (its ``model_``, which outputs logits: apply ``torch.sigmoid`` /
    ``torch.softmax`` for probabilities). A layer with no PyTorch equivalent raises a
    ``TypeError`` naming it.

    ``nn.Linear`` stores its weight transposed: scratchnn's ``Dense`` computes
    ``x @ W + b`` with ``W (n_in, n_out)``, PyTorch's ``Linear`` computes
    ``x @ weight.T + bias`` with ``weight (n_out, n_in)``; so ``weight = W.T``. Convolutions
    share PyTorch's layout (``weight = W``), normalisations its names (``weight = gamma``,
    ``bias = beta``). The tensors keep the dtype (float32 / float64), and the module is in
    training mode exactly when the scratchnn model is (an estimator's network comes back in
    eval mode): that decides whether a BatchNorm uses the batch's statistics or its running ones.
    """
    torch = require("torch", "to_torch")
    network = network_of(model)
    module = _sequential_to_torch(torch, network.layers, "")
    training = network.training and isinstance(model, Sequential)
    return module.train(training)


def _sequential_to_torch(torch, layers: list[Layer], where: str):
    return torch.nn.Sequential(*(_layer_to_torch(torch, layer, f"{where}{index}")
                                 for index, layer in enumerate(layers)))


def _tensor(torch, array: np.ndarray):
    return torch.from_numpy(np.array(array, copy=True))


def _layer_to_torch(torch, layer: Layer, where: str):
    """The PyTorch module for one layer (``where``: its position, ``2`` or ``3.block.0``)."""
    nn, kind = torch.nn, type(layer)
    if kind is Dense:
        linear = nn.Linear(layer.n_in, layer.n_out, dtype=getattr(torch, layer.dtype.name))
        return _filled(torch, linear, weight=layer.W.T, bias=layer.b)
    if kind in (Conv2D, Conv1D):
        cls, shape = (nn.Conv2d, tuple) if kind is Conv2D else (nn.Conv1d, lambda p: p[1])
        conv = cls(layer.in_channels, layer.out_channels, shape(layer.kernel),
                   stride=shape(layer.stride), padding=shape(layer.padding),
                   dtype=getattr(torch, layer.dtype.name))
        return _filled(torch, conv, weight=layer.W, bias=layer.b)
    if kind in (BatchNorm1D, BatchNorm2D):
        cls = nn.BatchNorm1d if kind is BatchNorm1D else nn.BatchNorm2d
        norm = cls(layer.num_features, eps=layer.eps, momentum=layer.momentum,
                   dtype=getattr(torch, layer.dtype.name))
        _filled(torch, norm, weight=layer.gamma, bias=layer.beta,
                running_mean=layer.running_mean, running_var=layer.running_var)
        norm.num_batches_tracked.fill_(int(layer.num_batches_tracked))
        return norm
    if kind is LayerNorm:
        norm = nn.LayerNorm(layer.normalized_shape, eps=layer.eps,
                            dtype=getattr(torch, layer.dtype.name))
        return _filled(torch, norm, weight=layer.gamma, bias=layer.beta)
    if kind is Residual:
        inner = getattr(layer.block, "layers", [layer.block])
        return residual_module()(_sequential_to_torch(torch, inner, f"{where}.block."))
    if kind in _TO_TORCH:
        return _TO_TORCH[kind](nn, layer)
    supported = ", ".join(["Dense", "Conv2D", "Conv1D", "BatchNorm1D", "BatchNorm2D",
                           "LayerNorm", "Residual", *(t.__name__ for t in _TO_TORCH)])
    raise TypeError(f"to_torch cannot convert layer {where} ({kind.__name__}); supported: "
                    f"{supported}")


def _filled(torch, module, **arrays):
    """``module`` with each named parameter or buffer overwritten by a copy of the array."""
    with torch.no_grad():
        for name, array in arrays.items():
            getattr(module, name).copy_(_tensor(torch, array))
    return module


_TO_TORCH = {
    ReLU: lambda nn, layer: nn.ReLU(),
    LeakyReLU: lambda nn, layer: nn.LeakyReLU(layer.negative_slope),
    Tanh: lambda nn, layer: nn.Tanh(),
    Sigmoid: lambda nn, layer: nn.Sigmoid(),
    Identity: lambda nn, layer: nn.Identity(),
    Dropout: lambda nn, layer: nn.Dropout(layer.p),
    Flatten: lambda nn, layer: nn.Flatten(),
    MaxPool2D: lambda nn, layer: nn.MaxPool2d(layer.kernel, layer.stride),
    AvgPool2D: lambda nn, layer: nn.AvgPool2d(layer.kernel, layer.stride),
}


def from_torch(module) -> Sequential:
    """A scratchnn ``Sequential`` with the weights of a PyTorch module (copies).

    ``module`` is a ``torch.nn.Sequential`` (nested ones are flattened) or a single layer, made
    of ``nn.Linear`` (``bias=False`` gives a zero bias), ``nn.ReLU``, ``nn.LeakyReLU``,
    ``nn.Tanh``, ``nn.Sigmoid``, ``nn.Identity``, ``nn.Dropout``, ``nn.Flatten`` (from dim 1 to
    the end), ``nn.Conv2d``/``nn.Conv1d`` (any stride and zero padding; no dilation or groups),
    ``nn.MaxPool2d``/``nn.AvgPool2d`` (no padding, no ``ceil_mode``), ``nn.BatchNorm1d`` on
    ``(n, C)``/``nn.BatchNorm2d`` (with running statistics), ``nn.LayerNorm`` and
    ``TorchResidual`` (see ``residual_module``). Weights are float32 or float64. Any other
    layer, or setting scratchnn has no equivalent for, is refused with a ``TypeError`` naming
    it. ``W = weight.T`` for a ``Linear`` (see ``to_torch``); the model is in training mode
    exactly when the module is. A module that could not run (``Linear`` layers whose sizes do
    not chain, a weight of the wrong shape or with NaN values, no layer with weights) is
    refused with a ``ValueError`` naming the layer.
    """
    torch = require("torch", "from_torch")
    layers = _layers_from_torch(torch, module, "")
    if not layers:
        raise ValueError("from_torch: the module has no layers")
    _check_chain(layers)
    return Sequential(layers).train(module.training)


_ELEMENTWISE = (ReLU, LeakyReLU, Tanh, Sigmoid, Identity, Dropout)


def _check_chain(layers: list[Layer]) -> None:
    """Refuse a network that could not run: no layer with weights (nothing says how many
    inputs it takes), or a ``Linear`` whose inputs differ from the outputs of the ``Linear``
    before it (with only elementwise layers between them)."""
    if not any(layer.parameters() for layer in layers):
        kinds = ", ".join(f"layer {i} ({type(layer).__name__})" for i, layer in enumerate(layers))
        raise ValueError(f"from_torch: the module has no Linear layer ({kinds}); scratchnn's "
                         "Sequential needs one to know its inputs and outputs")
    before = None  # (index, Dense) of the last Linear, while only elementwise layers follow it
    for i, layer in enumerate(layers):
        if isinstance(layer, Dense):
            if before is not None and layer.n_in != before[1].n_out:
                raise ValueError(f"from_torch: layer {i} (Linear) takes {layer.n_in} inputs but "
                                 f"layer {before[0]} (Linear) gives {before[1].n_out}; the "
                                 "module could not run forward")
            before = (i, layer)
        elif not isinstance(layer, _ELEMENTWISE):
            before = None


def _layers_from_torch(torch, module, where: str) -> list[Layer]:
    leaves = _flatten(module, torch.nn.Sequential)
    return [_layer_from_torch(torch, leaf, f"{where}{index}") for index, leaf in enumerate(leaves)]


def _flatten(module, sequential_type) -> list:
    """The leaves of nested ``nn.Sequential`` containers, in order."""
    if isinstance(module, sequential_type):
        return [leaf for child in module for leaf in _flatten(child, sequential_type)]
    return [module]


_SUPPORTED = ("Linear, Conv2d, Conv1d, MaxPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, LayerNorm, "
              "Flatten, ReLU, LeakyReLU, Tanh, Sigmoid, Identity, Dropout, TorchResidual")


def _layer_from_torch(torch, leaf, where: str) -> Layer:
    """The scratchnn layer for one PyTorch module (``where``: its position)."""
    nn, kind = torch.nn, type(leaf)
    simple = {nn.ReLU: ReLU, nn.Tanh: Tanh, nn.Sigmoid: Sigmoid, nn.Identity: Identity}
    if kind in simple:
        return simple[kind]()
    if kind is nn.LeakyReLU:
        return LeakyReLU(leaf.negative_slope)
    if kind is nn.Dropout:
        return Dropout(leaf.p)
    if kind is nn.Linear:
        dense = Dense(leaf.in_features, leaf.out_features, dtype=_dtype(torch, leaf, where))
        return _copied(dense, leaf, where, W=leaf.weight, b=leaf.bias)
    if kind is residual_module():
        return Residual(Sequential(_layers_from_torch(torch, leaf.block, f"{where}.block.")))
    readers = {nn.Conv2d: _conv_from_torch, nn.Conv1d: _conv_from_torch,
               nn.MaxPool2d: _pool_from_torch, nn.AvgPool2d: _pool_from_torch,
               nn.BatchNorm1d: _batch_norm_from_torch, nn.BatchNorm2d: _batch_norm_from_torch,
               nn.LayerNorm: _layer_norm_from_torch, nn.Flatten: _flatten_from_torch}
    if kind in readers:
        return readers[kind](torch, leaf, where)
    raise TypeError(f"from_torch cannot convert layer {where} ({kind.__name__}: {leaf}); "
                    f"scratchnn has equivalents only for {_SUPPORTED}")


def _refuse(where: str, leaf, setting: str, fix: str) -> TypeError:
    return TypeError(f"from_torch cannot convert layer {where} ({type(leaf).__name__}: {leaf}): "
                     f"scratchnn has no equivalent of its {setting}; {fix}")


def _dtype(torch, leaf, where: str) -> type:
    """NumPy's float32 or float64 for the module's weights, or a ``TypeError``."""
    dtypes = {torch.float32: np.float32, torch.float64: np.float64}
    first = next(iter(leaf.parameters()), None)
    if first is None:  # a normalisation without learned parameters: its running statistics
        first = next(iter(leaf.buffers()))
    if first.dtype not in dtypes:
        raise TypeError(f"from_torch: layer {where} ({type(leaf).__name__}) has weights of dtype "
                        f"{first.dtype}; scratchnn uses float32 or float64: call .float() or "
                        ".double() on the module first")
    return dtypes[first.dtype]


# scratchnn's array names and PyTorch's (a Dense's W is the transpose of a Linear's weight).
_TORCH_NAMES = {"W": "weight", "b": "bias", "gamma": "weight", "beta": "bias",
                "running_mean": "running_mean", "running_var": "running_var"}


def _copied(layer: Layer, leaf, where: str, **tensors) -> Layer:
    """``layer`` with each named array overwritten by a tensor's values (None leaves it as
    initialised: zero biases and betas, unit gammas), after checking each tensor's shape
    (a weight replaced after the layer was made) and that its values are finite."""
    for name, tensor in tensors.items():
        if tensor is None:
            continue
        array = tensor.detach().cpu().numpy()
        target = getattr(layer, name)
        expected = target.shape[::-1] if isinstance(layer, Dense) and name == "W" else target.shape
        torch_name = _TORCH_NAMES[name]
        if array.shape != expected:
            described = (f"Linear({leaf.in_features}, {leaf.out_features})"
                         if isinstance(layer, Dense) else type(leaf).__name__)
            raise ValueError(f"from_torch: layer {where} ({described}) has a {torch_name} of "
                             f"shape {tuple(array.shape)}, expected {expected}; was it replaced "
                             "after the layer was made?")
        if not np.isfinite(array).all():
            raise ValueError(f"from_torch: layer {where} ({type(leaf).__name__}) has a NaN or "
                             f"infinite {torch_name}; train or load finite weights first")
        target[...] = array.T if isinstance(layer, Dense) and name == "W" else array
    return layer


def _conv_from_torch(torch, conv, where: str) -> Conv2D:
    two_d = type(conv) is torch.nn.Conv2d
    if conv.groups != 1:
        raise _refuse(where, conv, f"groups={conv.groups}", "use groups=1")
    if any(d != 1 for d in conv.dilation):
        raise _refuse(where, conv, f"dilation={conv.dilation}", "use dilation=1")
    if conv.padding_mode != "zeros":
        raise _refuse(where, conv, f"padding_mode={conv.padding_mode!r}",
                      "use padding_mode='zeros'")
    padding = conv.padding
    if isinstance(padding, str):  # 'valid' is no padding; 'same' depends on the input
        if padding != "valid":
            raise _refuse(where, conv, f"padding={padding!r}", "give the padding as integers")
        padding = (0,) * len(conv.kernel_size)
    pick = tuple if two_d else (lambda p: p[0])
    layer = (Conv2D if two_d else Conv1D)(
        conv.in_channels, conv.out_channels, pick(conv.kernel_size), stride=pick(conv.stride),
        padding=pick(padding), rng=0, dtype=_dtype(torch, conv, where))
    layer.b[...] = 0
    return _copied(layer, conv, where, W=conv.weight, b=conv.bias)


def _pool_from_torch(torch, pool, where: str) -> Layer:
    settings = {"padding": 0, "ceil_mode": False, "dilation": 1, "return_indices": False,
                "divisor_override": None}
    for name, plain in settings.items():
        value = getattr(pool, name, plain)
        if value != plain and value not in ((plain, plain), [plain, plain]):
            raise _refuse(where, pool, f"{name}={value!r}", f"use {name}={plain!r}")
    cls = MaxPool2D if type(pool) is torch.nn.MaxPool2d else AvgPool2D
    return cls(pool.kernel_size, pool.stride)


def _batch_norm_from_torch(torch, norm, where: str) -> Layer:
    if not norm.track_running_stats or norm.running_mean is None:
        raise _refuse(where, norm, "track_running_stats=False",
                      "use track_running_stats=True (scratchnn's evaluation mode uses them)")
    cls = BatchNorm1D if type(norm) is torch.nn.BatchNorm1d else BatchNorm2D
    layer = cls(norm.num_features, momentum=norm.momentum, eps=norm.eps,
                dtype=_dtype(torch, norm, where))
    layer.num_batches_tracked[...] = int(norm.num_batches_tracked)
    return _copied(layer, norm, where, gamma=norm.weight, beta=norm.bias,
                   running_mean=norm.running_mean,
                   running_var=norm.running_var)


def _layer_norm_from_torch(torch, norm, where: str) -> LayerNorm:
    dtype = np.float64 if norm.weight is None else _dtype(torch, norm, where)
    layer = LayerNorm(tuple(norm.normalized_shape), eps=norm.eps, dtype=dtype)
    return _copied(layer, norm, where, gamma=norm.weight, beta=getattr(norm, "bias", None))


def _flatten_from_torch(torch, flatten, where: str) -> Flatten:
    if flatten.start_dim != 1 or flatten.end_dim != -1:
        raise _refuse(where, flatten, f"start_dim={flatten.start_dim}, end_dim={flatten.end_dim}",
                      "use nn.Flatten() (start_dim=1, end_dim=-1)")
    return Flatten()
