"""What a layer's or a loss's ``forward``/``backward`` returns belongs to the caller: a later
call never changes it (for every layer and every loss: call twice, the first result stays)."""

import numpy as np
import pytest

import scratchnn as snn

rng = np.random.default_rng(0)

LAYERS = [
    lambda: snn.Dense(3, 4, rng=0),
    lambda: snn.Dense(3, 4, rng=0, dtype=np.float32),
    snn.ReLU, snn.Tanh, snn.Sigmoid, snn.Identity,
    lambda: snn.LeakyReLU(0.1),
    lambda: snn.Dropout(0.5, rng=0),
    lambda: snn.Conv2D(2, 3, 3, padding=1, rng=0),
    lambda: snn.Conv2D(2, 3, 2, stride=2, rng=0, dtype=np.float32),
    lambda: snn.Conv1D(2, 3, 3, rng=0),
    lambda: snn.MaxPool2D(2), lambda: snn.AvgPool2D(2, 1), snn.Flatten,
    lambda: snn.BatchNorm1D(3), lambda: snn.BatchNorm2D(2), lambda: snn.BatchNorm2D(2).eval(),
    lambda: snn.LayerNorm(3),
    lambda: snn.Residual(snn.Sequential([snn.Dense(3, 3, rng=0), snn.Tanh()])),
    lambda: snn.Residual(snn.Conv2D(2, 2, 3, padding=1, rng=0)),
]

# One sample's shape for the layers that take images or sequences (the others take rows of 3).
SAMPLE = {"Conv2D": (2, 6, 5), "Conv1D": (2, 7), "MaxPool2D": (2, 6, 4), "AvgPool2D": (2, 6, 4),
          "Flatten": (2, 3, 2), "BatchNorm2D": (2, 3, 4)}


def _input_for(layer, n=5):
    name = type(layer).__name__
    if name == "Residual" and not hasattr(layer.block, "layers"):
        name = type(layer.block).__name__
    shape = (n, *SAMPLE.get(name, (3,)))
    return rng.normal(size=shape).astype(getattr(layer, "dtype", np.float64))


@pytest.mark.parametrize("make", LAYERS)
def test_a_layers_forward_and_backward_results_stay_as_returned(make):
    layer = make()
    x1, x2 = _input_for(layer), _input_for(layer)
    y1 = layer.forward(x1)
    y1_kept = y1.copy()
    g1 = layer.backward(np.ones_like(y1))
    g1_kept = g1.copy()
    y2 = layer.forward(x2)  # the same shape: the case where a buffer would be reused
    g2 = layer.backward(rng.normal(size=y2.shape).astype(y2.dtype))
    np.testing.assert_array_equal(y1, y1_kept)
    np.testing.assert_array_equal(g1, g1_kept)
    if not isinstance(layer, snn.Identity):  # Identity hands back what it was given
        assert y2 is not y1 and g2 is not g1


def test_the_learners_example():
    relu = snn.ReLU()
    a = relu.forward(np.array([[1.0, -1.0]]))
    relu.forward(np.array([[5.0, 5.0]]))
    np.testing.assert_array_equal(a, [[1.0, 0.0]])


LOSSES = [
    (snn.BinaryCrossEntropy, lambda: (rng.normal(size=(6, 1)), rng.integers(0, 2, (6, 1)))),
    (snn.SoftmaxCrossEntropy, lambda: (rng.normal(size=(6, 3)), rng.integers(0, 3, 6))),
    (snn.MeanSquaredError, lambda: (rng.normal(size=(6, 2)), rng.normal(size=(6, 2)))),
    (snn.MeanAbsoluteError, lambda: (rng.normal(size=(6, 2)), rng.normal(size=(6, 2)))),
    (snn.HuberLoss, lambda: (rng.normal(size=(6, 2)), rng.normal(size=(6, 2)))),
    (snn.PoissonNLLLoss, lambda: (rng.normal(size=(6, 2)), rng.poisson(2.0, (6, 2)))),
]


@pytest.mark.parametrize(("make", "data"), LOSSES)
def test_a_losses_gradient_stays_as_returned(make, data):
    loss = make()
    z1, y1 = data()
    loss.forward(z1, y1)
    g1 = loss.backward()
    kept = g1.copy()
    z2, y2 = data()
    loss.forward(z2, y2)
    g2 = loss.backward()
    np.testing.assert_array_equal(g1, kept)
    assert g2 is not g1


def test_targets_are_checked_on_every_call_even_the_same_array_refilled():
    loss = snn.BinaryCrossEntropy()
    z, y = np.zeros((4, 1)), np.array([[0.0], [1.0], [1.0], [0.0]])
    loss.forward(z, y)
    y[0, 0] = 7.0  # the same array object, now with a value that is no label
    with pytest.raises(ValueError, match=r"got labels 0\.\.7, need 0 or 1 .*found 7 in 1 row"):
        loss.forward(z, y)


def test_sequential_and_predictions_belong_to_the_caller():
    model = snn.mlp([3, 4, 2], rng=0)
    X1, X2 = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    outputs = [model.forward(X1), model.predict_proba(X1), model.predict_logits(X1)]
    acts = model.activations(X1)
    kept = [a.copy() for a in outputs + acts]
    model.forward(X2), model.predict_proba(X2), model.predict_logits(X2), model.activations(X2)
    for a, b in zip(outputs + acts, kept):
        np.testing.assert_array_equal(a, b)
