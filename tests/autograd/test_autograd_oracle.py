"""The oracle: every hand-written ``backward`` in the library equals the tensor engine's
gradient of the same computation, to 1e-10, on random inputs.

Each layer of ``scratchnn.layers``, ``scratchnn.conv``, ``scratchnn.normalization`` and
``scratchnn.blocks`` and each loss of ``scratchnn.losses`` is written again below with
``Tensor`` operations (the formula of its docstring, not its code). The classes are discovered
from the modules, so a new layer or loss without a Tensor counterpart here fails
``test_every_layer_has_a_tensor_counterpart`` / ``..._loss_...`` by name, and a new module of
layers fails ``test_the_oracle_looks_in_every_module_that_defines_layers``.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import numpy as np
import pytest

import scratchnn
from scratchnn import blocks, conv, layers, losses, normalization
from scratchnn.autograd import Tensor, conv1d, conv2d, windows
from scratchnn.model import Sequential

TOL = {"rtol": 1e-10, "atol": 1e-12}


def classes_in(module, base) -> set[type]:
    """Every public subclass of ``base`` defined in ``module`` (not ``base`` itself; private
    bases such as ``conv._Pool2D`` are never used on their own)."""
    return {obj for obj in vars(module).values()
            if inspect.isclass(obj) and issubclass(obj, base) and obj is not base
            and obj.__module__ == module.__name__ and not obj.__name__.startswith("_")}


LAYER_MODULES = (layers, conv, normalization, blocks)
LAYER_CLASSES = set().union(*(classes_in(m, layers.Layer) for m in LAYER_MODULES)) | set(
    layers.ACTIVATIONS.values()) | {layers.Dense, layers.Dropout}
LOSS_CLASSES = classes_in(losses, losses.Loss) | set(losses.LOSSES.values())


# --- the layers, as Tensor expressions -----------------------------------------------------------

def dense(layer: layers.Dense, x: Tensor, params: dict) -> Tensor:
    params["W"], params["b"] = Tensor(layer.W), Tensor(layer.b)
    return x @ params["W"] + params["b"]


def leaky_relu(layer: layers.LeakyReLU, x: Tensor, params: dict) -> Tensor:
    return x.maximum(x * layer.negative_slope)  # x where x > 0, slope * x below (slope < 1)


def dropout(layer: layers.Dropout, x: Tensor, params: dict) -> Tensor:
    return x if layer.mask is None else x * layer.mask  # the mask the layer's forward drew


def convolution_2d(layer: conv.Conv2D, x: Tensor, params: dict) -> Tensor:
    params["W"], params["b"] = Tensor(layer.W), Tensor(layer.b)
    return conv2d(x, params["W"], params["b"], stride=layer.stride, padding=layer.padding)


def convolution_1d(layer: conv.Conv1D, x: Tensor, params: dict) -> Tensor:
    params["W"], params["b"] = Tensor(layer.W), Tensor(layer.b)
    (_, stride), (_, padding) = layer.stride, layer.padding  # kept as (1, s) and (0, p)
    return conv1d(x, params["W"], params["b"], stride=stride, padding=padding)


def standardized(x: Tensor, mean, var, eps: float) -> Tensor:
    return (x - mean) / (var + eps).sqrt()


def batch_norm(layer, x: Tensor, params: dict) -> Tensor:
    """``gamma * (x - mean) / sqrt(var + eps) + beta`` per channel (axis 1): in training mode
    the mean and (biased) variance over every other axis, which depend on ``x``; in evaluation
    mode the running ones, constants."""
    per_channel = (1, layer.num_features) + (1,) * (x.ndim - 2)
    params["gamma"], params["beta"] = Tensor(layer.gamma), Tensor(layer.beta)
    if layer.training:
        axes = (0, *range(2, x.ndim))
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    else:
        mean = Tensor(layer.running_mean.reshape(per_channel), requires_grad=False)
        var = Tensor(layer.running_var.reshape(per_channel), requires_grad=False)
    x_hat = standardized(x, mean, var, layer.eps)
    return params["gamma"].reshape(per_channel) * x_hat + params["beta"].reshape(per_channel)


def layer_norm(layer: normalization.LayerNorm, x: Tensor, params: dict) -> Tensor:
    """Each sample standardised over its last ``len(normalized_shape)`` axes."""
    axes = tuple(range(x.ndim - len(layer.normalized_shape), x.ndim))
    params["gamma"], params["beta"] = Tensor(layer.gamma), Tensor(layer.beta)
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return params["gamma"] * standardized(x, mean, var, layer.eps) + params["beta"]


def residual(layer: blocks.Residual, x: Tensor, params: dict) -> Tensor:
    """``block(x) + x``, the block's layers each by its own counterpart; their parameters
    named as ``Residual.named_parameters`` names them (``block.0.W``, or ``block.W``)."""
    inner = getattr(layer.block, "layers", None)
    steps = ([(f"block.{i}.", sub) for i, sub in enumerate(inner)] if inner is not None
             else [("block.", layer.block)])
    out = x
    for prefix, sub in steps:
        sub_params = {}
        out = TENSOR_LAYERS[type(sub)](sub, out, sub_params)
        params.update({prefix + name: tensor for name, tensor in sub_params.items()})
    return out + x


TENSOR_LAYERS = {
    layers.Dense: dense,
    layers.ReLU: lambda layer, x, params: x.relu(),
    layers.LeakyReLU: leaky_relu,
    layers.Tanh: lambda layer, x, params: x.tanh(),
    layers.Sigmoid: lambda layer, x, params: x.sigmoid(),
    layers.Identity: lambda layer, x, params: x,
    layers.Dropout: dropout,
    layers.Flatten: lambda layer, x, params: x.reshape(x.shape[0], -1),
    conv.Conv2D: convolution_2d,
    conv.Conv1D: convolution_1d,
    conv.MaxPool2D: lambda layer, x, params: windows(x, layer.kernel, layer.stride).max(
        axis=(4, 5)),
    conv.AvgPool2D: lambda layer, x, params: windows(x, layer.kernel, layer.stride).mean(
        axis=(4, 5)),
    normalization.BatchNorm1D: batch_norm,
    normalization.BatchNorm2D: batch_norm,
    normalization.LayerNorm: layer_norm,
    blocks.Residual: residual,
}


# --- the cases: a layer and its input, both drawn from a seeded generator -------------------------

def features(width: int = 4):
    return lambda rng: rng.normal(size=(6, width))


def images(channels: int, smallest: int = 4):
    """Images ``(n, channels, H, W)`` of a random size: n in 2..3, H and W in smallest..+4."""
    def draw(rng):
        n, (H, W) = rng.integers(2, 4), rng.integers(smallest, smallest + 5, size=2)
        return rng.normal(size=(n, channels, H, W))
    return draw


def sequences(channels: int, shortest: int = 4):
    """Sequences ``(n, channels, L)`` of a random length: n in 2..3, L in shortest..+6."""
    return lambda rng: rng.normal(size=(rng.integers(2, 4), channels,
                                        rng.integers(shortest, shortest + 7)))


def few_values(rng):
    """Images of small integers: many windows hold their largest value twice."""
    return rng.integers(0, 3, size=(2, 2, 7, 7)).astype(float)


def randomised(layer, rng, *names):
    """``layer`` with its arrays ``names`` drawn at random (in place), so that no gradient
    hides behind ``gamma = 1``, ``beta = 0`` or running statistics of 0 and 1."""
    for name in names:
        array = getattr(layer, name)
        array[...] = (rng.uniform(0.5, 2.0, array.shape) if name == "running_var"
                      else rng.normal(size=array.shape))
    return layer


AFFINE, RUNNING = ("gamma", "beta"), ("running_mean", "running_var")

LAYERS = {  # name: (the layer, its input), each made from a generator
    "Dense": (lambda rng: layers.Dense(4, 3, rng=rng), features()),
    "ReLU": (lambda rng: layers.ReLU(), features()),
    "LeakyReLU": (lambda rng: layers.LeakyReLU(0.1), features()),
    "Tanh": (lambda rng: layers.Tanh(), features()),
    "Sigmoid": (lambda rng: layers.Sigmoid(), features()),
    "Identity": (lambda rng: layers.Identity(), features()),
    "Dropout": (lambda rng: layers.Dropout(0.4, rng=rng), features()),
    "Dropout-eval": (lambda rng: layers.Dropout(0.4, rng=rng).eval(), features()),
    "Flatten": (lambda rng: layers.Flatten(), images(2)),
    "Conv2D-3x3": (lambda rng: conv.Conv2D(3, 4, 3, rng=rng), images(3)),
    "Conv2D-3x3-stride2-padding1": (lambda rng: conv.Conv2D(2, 3, 3, stride=2, padding=1,
                                                            rng=rng), images(2)),
    "Conv2D-2x3-stride(2,1)-padding(1,2)": (
        lambda rng: conv.Conv2D(2, 2, (2, 3), stride=(2, 1), padding=(1, 2), rng=rng),
        images(2, smallest=2)),
    "Conv2D-1x1": (lambda rng: conv.Conv2D(3, 2, 1, rng=rng), images(3)),
    "Conv2D-stride-past-kernel": (lambda rng: conv.Conv2D(1, 2, 2, stride=3, padding=1,
                                                          rng=rng), images(1)),
    "Conv1D-3": (lambda rng: conv.Conv1D(3, 4, 3, rng=rng), sequences(3)),
    "Conv1D-4-stride2-padding1": (lambda rng: conv.Conv1D(2, 3, 4, stride=2, padding=1,
                                                          rng=rng), sequences(2)),
    "Conv1D-2-stride3-padding2": (lambda rng: conv.Conv1D(1, 2, 2, stride=3, padding=2,
                                                          rng=rng), sequences(1, shortest=1)),
    "MaxPool2D-2": (lambda rng: conv.MaxPool2D(2), images(3)),
    "MaxPool2D-3-stride2": (lambda rng: conv.MaxPool2D(3, stride=2), images(2, smallest=3)),
    "MaxPool2D-(2,3)-stride1": (lambda rng: conv.MaxPool2D((2, 3), stride=1), images(2)),
    "MaxPool2D-ties": (lambda rng: conv.MaxPool2D(3, stride=2), few_values),
    "AvgPool2D-2": (lambda rng: conv.AvgPool2D(2), images(3)),
    "AvgPool2D-3-stride2": (lambda rng: conv.AvgPool2D(3, stride=2), images(2, smallest=3)),
    "AvgPool2D-(3,2)-stride(1,2)": (lambda rng: conv.AvgPool2D((3, 2), stride=(1, 2)),
                                    images(2, smallest=3)),
    "BatchNorm1D": (lambda rng: randomised(normalization.BatchNorm1D(4), rng, *AFFINE),
                    features()),
    "BatchNorm1D-eval": (lambda rng: randomised(normalization.BatchNorm1D(4, eps=1e-3), rng,
                                                *AFFINE, *RUNNING).eval(), features()),
    "BatchNorm2D": (lambda rng: randomised(normalization.BatchNorm2D(3), rng, *AFFINE),
                    images(3)),
    "BatchNorm2D-eval": (lambda rng: randomised(normalization.BatchNorm2D(3), rng, *AFFINE,
                                                *RUNNING).eval(), images(3)),
    "LayerNorm-(4,)": (lambda rng: randomised(normalization.LayerNorm(4), rng, *AFFINE),
                       features()),
    "LayerNorm-(5,6)-eps": (lambda rng: randomised(normalization.LayerNorm((5, 6), eps=1e-3),
                                                   rng, *AFFINE),
                            lambda rng: rng.normal(size=(3, 2, 5, 6))),
    "Residual-Dense-ReLU": (lambda rng: blocks.Residual(Sequential(
        [layers.Dense(4, 4, rng=rng), layers.ReLU()])), features()),
    "Residual-Conv2D-ReLU": (lambda rng: blocks.Residual(Sequential(
        [conv.Conv2D(2, 2, 3, padding=1, rng=rng), layers.ReLU()])), images(2)),
    "Residual-Conv2D-BatchNorm2D-ReLU": (lambda rng: blocks.Residual(Sequential(
        [conv.Conv2D(2, 2, 3, padding=1, rng=rng),
         randomised(normalization.BatchNorm2D(2), rng, *AFFINE), layers.ReLU()])), images(2)),
    "Residual-one-layer": (lambda rng: blocks.Residual(layers.Dense(4, 4, rng=rng)),
                           features()),
}


def test_the_oracle_looks_in_every_module_that_defines_layers():
    """A module of ``scratchnn`` with a ``Layer`` subclass in it is one of ``LAYER_MODULES``."""
    defining = set()
    for path in sorted(Path(scratchnn.__file__).parent.glob("*.py")):
        if "Layer" in path.read_text(encoding="utf-8"):  # import only the candidates
            module = importlib.import_module(f"scratchnn.{path.stem}")
            if classes_in(module, layers.Layer):
                defining.add(module.__name__)
    assert defining <= {m.__name__ for m in LAYER_MODULES}, (
        f"modules with layers the oracle does not look in: "
        f"{sorted(defining - {m.__name__ for m in LAYER_MODULES})}; add them to LAYER_MODULES")


def test_every_layer_has_a_tensor_counterpart():
    missing = sorted(cls.__name__ for cls in LAYER_CLASSES if cls not in TENSOR_LAYERS)
    assert not missing, (f"layers with no Tensor counterpart in the autograd oracle: {missing}; "
                         "add each to TENSOR_LAYERS and LAYERS in this file")
    tested = {type(make(np.random.default_rng(0))) for make, _ in LAYERS.values()}
    untested = sorted(cls.__name__ for cls in LAYER_CLASSES - tested)
    assert not untested, f"layers with no case in LAYERS: {untested}"


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_layer_backward_equals_the_tensor_engine(name, seed):
    rng = np.random.default_rng(seed)
    make, data = LAYERS[name]
    layer, x = make(rng), data(rng)
    y = layer.forward(x)
    upstream = rng.normal(size=y.shape)
    dx = layer.backward(upstream)

    x_t, params = Tensor(x), {}
    y_t = TENSOR_LAYERS[type(layer)](layer, x_t, params)
    (y_t * upstream).sum().backward()  # d/dy of sum(y * upstream) is upstream

    np.testing.assert_allclose(y, y_t.data, **TOL)
    np.testing.assert_allclose(dx, x_t.grad, **TOL)
    names = [param_name for param_name, _ in layer.named_parameters()]
    assert sorted(params) == sorted(names)  # the counterpart has every parameter, by name
    for param_name, (_, grad) in zip(names, layer.parameters()):
        np.testing.assert_allclose(grad, params[param_name].grad, **TOL, err_msg=param_name)
    if name == "Dropout":
        assert layer.mask is not None and (layer.mask == 0).any()  # a mask was really used
    if name == "MaxPool2D-ties":
        windows_of = windows(x, layer.kernel, layer.stride).data.reshape(*y.shape, -1)
        assert ((windows_of == y[..., np.newaxis]).sum(axis=-1) > 1).any()  # ties really met


def test_the_oracle_catches_a_wrong_backward():
    class LeakyAtZero(layers.ReLU):  # forgets to zero the gradient where x < 0
        def backward(self, grad):
            return grad

    layer, x = LeakyAtZero(), np.random.default_rng(0).normal(size=(5, 4))
    layer.forward(x)
    x_t = Tensor(x)
    x_t.relu().sum().backward()
    assert not np.allclose(layer.backward(np.ones((5, 4))), x_t.grad, **TOL)


def test_the_oracle_catches_a_batch_norm_that_forgets_the_batch_statistics():
    """Treating the batch's mean and variance as constants (the evaluation-mode formula in
    training mode) is the classic mistake; the engine's gradient tells them apart."""
    rng = np.random.default_rng(0)
    layer, x, upstream = normalization.BatchNorm1D(4), rng.normal(size=(6, 4)), rng.normal(
        size=(6, 4))
    layer.forward(x)
    layer.backward(upstream)
    wrong = upstream * layer.gamma * layer.inv_std
    x_t = Tensor(x)
    (batch_norm(layer, x_t, {}) * upstream).sum().backward()
    assert not np.allclose(wrong, x_t.grad, **TOL)


# --- the losses, as Tensor expressions ------------------------------------------------------------

def weighted_mean(per_element: Tensor, sample_weight) -> Tensor:
    """The mean over all elements, or over samples weighted by ``sample_weight`` (n,) of the
    mean over each sample's outputs."""
    if sample_weight is None:
        return per_element.mean()
    n = per_element.shape[0]
    w = np.asarray(sample_weight, dtype=float).reshape((n,) + (1,) * (per_element.ndim - 1))
    return (per_element * w).sum() / (w.sum() * (per_element.data.size // n))


def binary_cross_entropy(loss, z: Tensor, y, sample_weight) -> Tensor:
    p = z.sigmoid()
    y = y.reshape(z.shape)
    return weighted_mean(-(y * p.log() + (1 - y) * (1 - p).log()), sample_weight)


def softmax_cross_entropy(loss, z: Tensor, y, sample_weight) -> Tensor:
    picked = z.log_softmax(axis=1)[np.arange(z.shape[0]), y]
    return weighted_mean(-picked, sample_weight)


def huber(loss, z: Tensor, y, sample_weight) -> Tensor:
    # 0.5 d^2 where |d| <= delta, delta (|d| - delta / 2) beyond: with m = min(|d|, delta),
    # both are 0.5 m^2 + delta (|d| - m)
    a = (z - y.reshape(z.shape)).abs()
    m = -((-a).maximum(-loss.delta))
    return weighted_mean(0.5 * m * m + loss.delta * (a - m), sample_weight)


TENSOR_LOSSES = {
    losses.BinaryCrossEntropy: binary_cross_entropy,
    losses.SoftmaxCrossEntropy: softmax_cross_entropy,
    losses.MeanSquaredError: lambda loss, z, y, w: weighted_mean((z - y.reshape(z.shape)) ** 2,
                                                                 w),
    losses.MeanAbsoluteError: lambda loss, z, y, w: weighted_mean((z - y.reshape(z.shape)).abs(),
                                                                  w),
    losses.HuberLoss: huber,
    losses.PoissonNLLLoss: lambda loss, z, y, w: weighted_mean(z.exp() - y.reshape(z.shape) * z,
                                                               w),
}


def binary_data(rng, shape):
    return rng.normal(scale=2.0, size=shape), rng.integers(0, 2, size=shape[0]).astype(float)


LOSSES = {  # name: (the loss, logits and targets from a generator)
    "BinaryCrossEntropy-(n,1)": (losses.BinaryCrossEntropy, lambda r: binary_data(r, (8, 1))),
    "BinaryCrossEntropy-(n,)": (losses.BinaryCrossEntropy, lambda r: binary_data(r, (8,))),
    "BinaryCrossEntropy-soft": (losses.BinaryCrossEntropy,
                                lambda r: (r.normal(size=(8, 1)), r.random(8))),
    "SoftmaxCrossEntropy": (losses.SoftmaxCrossEntropy,
                            lambda r: (r.normal(scale=2.0, size=(8, 4)), r.integers(0, 4, 8))),
    "MeanSquaredError": (losses.MeanSquaredError,
                         lambda r: (r.normal(size=(8, 2)), r.normal(size=(8, 2)))),
    "MeanAbsoluteError": (losses.MeanAbsoluteError,
                          lambda r: (r.normal(size=(8, 2)), r.normal(size=(8, 2)))),
    "HuberLoss": (lambda: losses.HuberLoss(delta=0.7),
                  lambda r: (r.normal(size=(8, 2)), r.normal(size=(8, 2)))),
    "PoissonNLLLoss": (losses.PoissonNLLLoss,
                       lambda r: (r.normal(size=(8, 2)), r.poisson(2.0, size=(8, 2)) * 1.0)),
}


def takes_sample_weight(loss) -> bool:
    return "sample_weight" in inspect.signature(loss.forward).parameters


def test_every_loss_has_a_tensor_counterpart():
    missing = sorted(cls.__name__ for cls in LOSS_CLASSES if cls not in TENSOR_LOSSES)
    assert not missing, (f"losses with no Tensor counterpart in the autograd oracle: {missing}; "
                         "add each to TENSOR_LOSSES and LOSSES in this file")
    tested = {type(make()) for make, _ in LOSSES.values()}
    assert tested >= LOSS_CLASSES


LOSS_CASES = [(name, weighted) for name, (make, _) in LOSSES.items()
              for weighted in (False, True) if not weighted or takes_sample_weight(make())]


def test_the_weighted_cases_cover_every_loss_that_takes_sample_weight():
    weighted = {name.partition("-")[0] for name, w in LOSS_CASES if w}
    assert weighted == {"BinaryCrossEntropy", "SoftmaxCrossEntropy", "MeanAbsoluteError",
                        "HuberLoss", "PoissonNLLLoss"}


@pytest.mark.parametrize("name, weighted", LOSS_CASES,
                         ids=[f"{n}-{'weighted' if w else 'mean'}" for n, w in LOSS_CASES])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loss_backward_equals_the_tensor_engine(name, weighted, seed):
    make, data = LOSSES[name]
    loss, rng = make(), np.random.default_rng(seed)
    z, y = data(rng)
    sample_weight = rng.uniform(0.1, 3.0, size=z.shape[0]) if weighted else None
    kwargs = {"sample_weight": sample_weight} if weighted else {}
    value = loss.forward(z, y, **kwargs)
    dz = loss.backward()

    z_t = Tensor(z)
    loss_t = TENSOR_LOSSES[type(loss)](loss, z_t, y, sample_weight)
    loss_t.backward()

    assert value == pytest.approx(loss_t.item(), rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(dz, z_t.grad, **TOL)
