"""The oracle: every hand-written ``backward`` in the library equals the tensor engine's
gradient of the same computation, to 1e-10, on random inputs.

Each layer of ``scratchnn.layers`` and each loss of ``scratchnn.losses`` is written again
below with ``Tensor`` operations (the formula of its docstring, not its code). The classes are
discovered from the modules, so a new layer or loss without a Tensor counterpart here fails
``test_every_layer_has_a_tensor_counterpart`` / ``..._loss_...`` by name.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from scratchnn import layers, losses
from scratchnn.autograd import Tensor

TOL = {"rtol": 1e-10, "atol": 1e-12}


def classes_in(module, base) -> set[type]:
    """Every subclass of ``base`` defined in ``module`` (not ``base`` itself)."""
    return {obj for obj in vars(module).values()
            if inspect.isclass(obj) and issubclass(obj, base) and obj is not base
            and obj.__module__ == module.__name__}


LAYER_CLASSES = classes_in(layers, layers.Layer) | set(layers.ACTIVATIONS.values()) | {
    layers.Dense, layers.Dropout}
LOSS_CLASSES = classes_in(losses, losses.Loss) | set(losses.LOSSES.values())


# --- the layers, as Tensor expressions -----------------------------------------------------------

def dense(layer: layers.Dense, x: Tensor, params: dict) -> Tensor:
    params["W"], params["b"] = Tensor(layer.W), Tensor(layer.b)
    return x @ params["W"] + params["b"]


def leaky_relu(layer: layers.LeakyReLU, x: Tensor, params: dict) -> Tensor:
    return x.maximum(x * layer.negative_slope)  # x where x > 0, slope * x below (slope < 1)


def dropout(layer: layers.Dropout, x: Tensor, params: dict) -> Tensor:
    return x if layer.mask is None else x * layer.mask  # the mask the layer's forward drew


TENSOR_LAYERS = {
    layers.Dense: dense,
    layers.ReLU: lambda layer, x, params: x.relu(),
    layers.LeakyReLU: leaky_relu,
    layers.Tanh: lambda layer, x, params: x.tanh(),
    layers.Sigmoid: lambda layer, x, params: x.sigmoid(),
    layers.Identity: lambda layer, x, params: x,
    layers.Dropout: dropout,
    layers.Flatten: lambda layer, x, params: x.reshape(x.shape[0], -1),
}

LAYERS = {
    "Dense": lambda rng: layers.Dense(4, 3, rng=rng),
    "ReLU": lambda rng: layers.ReLU(),
    "LeakyReLU": lambda rng: layers.LeakyReLU(0.1),
    "Tanh": lambda rng: layers.Tanh(),
    "Sigmoid": lambda rng: layers.Sigmoid(),
    "Identity": lambda rng: layers.Identity(),
    "Dropout": lambda rng: layers.Dropout(0.4, rng=rng),
    "Dropout-eval": lambda rng: layers.Dropout(0.4, rng=rng).eval(),
    "Flatten": lambda rng: layers.Flatten(),
}


def test_every_layer_has_a_tensor_counterpart():
    missing = sorted(cls.__name__ for cls in LAYER_CLASSES if cls not in TENSOR_LAYERS)
    assert not missing, (f"layers with no Tensor counterpart in the autograd oracle: {missing}; "
                         "add each to TENSOR_LAYERS and LAYERS in this file")
    tested = {type(make(np.random.default_rng(0))) for make in LAYERS.values()}
    assert tested >= LAYER_CLASSES


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_layer_backward_equals_the_tensor_engine(name, seed):
    rng = np.random.default_rng(seed)
    layer = LAYERS[name](rng)
    x = rng.normal(size=(6, 4))
    upstream = rng.normal(size=(6, 3 if isinstance(layer, layers.Dense) else 4))
    y = layer.forward(x)
    dx = layer.backward(upstream)

    x_t, params = Tensor(x), {}
    y_t = TENSOR_LAYERS[type(layer)](layer, x_t, params)
    (y_t * upstream).sum().backward()  # d/dy of sum(y * upstream) is upstream

    np.testing.assert_allclose(y, y_t.data, **TOL)
    np.testing.assert_allclose(dx, x_t.grad, **TOL)
    if isinstance(layer, layers.Dense):
        np.testing.assert_allclose(layer.dW, params["W"].grad, **TOL)
        np.testing.assert_allclose(layer.db, params["b"].grad, **TOL)
    if name == "Dropout":
        assert layer.mask is not None and (layer.mask == 0).any()  # a mask was really used


def test_the_oracle_catches_a_wrong_backward():
    class LeakyAtZero(layers.ReLU):  # forgets to zero the gradient where x < 0
        def backward(self, grad):
            return grad

    layer, x = LeakyAtZero(), np.random.default_rng(0).normal(size=(5, 4))
    layer.forward(x)
    x_t = Tensor(x)
    x_t.relu().sum().backward()
    assert not np.allclose(layer.backward(np.ones((5, 4))), x_t.grad, **TOL)


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
