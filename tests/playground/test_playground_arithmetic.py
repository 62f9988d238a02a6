"""One point's arithmetic (``scratchnn.playground.arithmetic.point_arithmetic``): the forward
pass against plain NumPy, the gradients against finite differences and PyTorch, and training
that goes on exactly as if nobody had looked."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnn.batches import Batches
from scratchnn.functional import sigmoid, softmax
from scratchnn.layers import Dense, activation
from scratchnn.losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from scratchnn.model import Sequential
from scratchnn.optimizers import make_optimizer
from scratchnn.playground.arithmetic import point_arithmetic
from scratchnn.training import train_epochs

ACTIVATIONS = ["tanh", "relu", "sigmoid", "linear"]
NUMPY_ACTIVATIONS = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "sigmoid": sigmoid,
                     "linear": lambda z: z}


def network(sizes, act: str, seed: int = 0) -> Sequential:
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(Dense(sizes[i], sizes[i + 1], rng=rng, init="glorot"))
        if i < len(sizes) - 2:
            layers.append(activation(act))
    model = Sequential(layers)
    for d in model.dense_layers:  # biases that are not zero, so that db is tested too
        d.b[...] = rng.normal(scale=0.3, size=d.b.shape)
    return model


def problem(kind: str):
    """``(loss, n_outputs, target of one point)`` as the playground's session shapes them."""
    if kind == "bce":
        return BinaryCrossEntropy(), 1, np.array([[1.0]])
    if kind == "softmax":
        return SoftmaxCrossEntropy(), 3, np.array([2])
    return MeanSquaredError(), 1, np.array([[0.7]])


def point_loss(model: Sequential, loss, x, target) -> float:
    """The per-point loss by a fresh loss object (the reference for finite differences)."""
    return type(loss)().forward(model.forward(x), target)


def test_z_and_a_match_a_hand_numpy_forward():
    model = network([3, 5, 4, 3], "tanh")
    x = np.array([[0.4, -1.2, 2.0]])
    result = point_arithmetic(model, SoftmaxCrossEntropy(), x, np.array([1]))
    a = x
    expected = []
    dense = model.dense_layers
    for i, d in enumerate(dense):
        z = a @ d.W + d.b
        a = softmax(z) if i == len(dense) - 1 else np.tanh(z)
        expected.append((z[0], a[0]))
    assert len(result["layers"]) == len(dense)
    for got, (z, a) in zip(result["layers"], expected):
        np.testing.assert_allclose(got["z"], z, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(got["a"], a, rtol=1e-12, atol=1e-15)
    assert result["inputs"] == x[0].tolist() and result["target"] == 1
    probs = expected[-1][1]
    assert result["loss"] == pytest.approx(-np.log(probs[1]), rel=1e-12)


@pytest.mark.parametrize("kind, shown", [
    ("bce", lambda z: sigmoid(z)), ("softmax", lambda z: softmax(z)), ("mse", lambda z: z)])
def test_the_last_layers_a_is_what_the_page_shows(kind, shown):
    loss, n_out, target = problem(kind)
    model = network([2, 4, n_out], "relu")
    x = np.array([[0.3, -0.8]])
    result = point_arithmetic(model, loss, x, target)
    logits = model.forward(x)
    np.testing.assert_allclose(result["layers"][-1]["z"], logits[0], rtol=1e-12)
    np.testing.assert_allclose(result["layers"][-1]["a"], shown(logits)[0], rtol=1e-12)
    assert result["target"] == (2 if kind == "softmax" else float(target[0, 0]))
    assert isinstance(result["target"], int if kind == "softmax" else float)


@pytest.mark.parametrize("kind", ["bce", "softmax", "mse"])
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_gradients_match_finite_differences_of_the_points_loss(kind, act):
    loss, n_out, target = problem(kind)
    model = network([3, 4, 3, n_out], act, seed=1)
    x = np.array([[0.5, -0.7, 1.1]])
    result = point_arithmetic(model, loss, x, target)
    assert result["loss"] == pytest.approx(point_loss(model, loss, x, target), rel=1e-13)
    h = 1e-6
    for d, grads in zip(model.dense_layers, result["grads"]):
        for name, param in (("W", d.W), ("b", d.b)):
            numeric = np.empty_like(param)
            for index in np.ndindex(param.shape):
                keep = param[index]
                param[index] = keep + h
                up = point_loss(model, loss, x, target)
                param[index] = keep - h
                down = point_loss(model, loss, x, target)
                param[index] = keep
                numeric[index] = (up - down) / (2 * h)
            got = np.array(grads[name])
            assert got.shape == param.shape
            np.testing.assert_allclose(got, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("kind", ["bce", "softmax", "mse"])
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_gradients_match_pytorch(kind, act):
    torch = pytest.importorskip("torch")
    loss, n_out, target = problem(kind)
    model = network([7, 8, 8, n_out], act, seed=2)
    x = np.array([[0.5, -0.7, 1.1, 0.25, -0.4, 0.9, -1.3]])
    result = point_arithmetic(model, loss, x, target)

    params = [(torch.tensor(d.W, requires_grad=True), torch.tensor(d.b, requires_grad=True))
              for d in model.dense_layers]
    torch_act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid,
                 "linear": lambda t: t}[act]
    out = torch.tensor(x)
    for i, (W, b) in enumerate(params):
        out = out @ W + b
        if i < len(params) - 1:
            out = torch_act(out)
    if kind == "bce":
        value = torch.nn.functional.binary_cross_entropy_with_logits(out, torch.tensor(target))
    elif kind == "softmax":
        value = torch.nn.functional.cross_entropy(out, torch.tensor(target))
    else:
        value = torch.nn.functional.mse_loss(out, torch.tensor(target))
    value.backward()
    assert result["loss"] == pytest.approx(value.item(), rel=1e-12)
    for (W, b), grads in zip(params, result["grads"]):
        np.testing.assert_allclose(grads["W"], W.grad.numpy(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(grads["b"], b.grad.numpy(), rtol=1e-10, atol=1e-14)


def layer_state(model: Sequential, loss) -> list:
    """Every attribute of every layer and of the loss: the objects and their bytes."""
    state = []
    for owner in [*model.layers, loss]:
        for name, value in sorted(vars(owner).items()):
            data = value.tobytes() if isinstance(value, np.ndarray) else repr(value)
            state.append((id(owner), name, id(value), data))
    return state


def test_nothing_of_the_model_or_the_loss_changes():
    """Not the gradients, not what the last forward kept (the doctor reads a ReLU's input), not
    the loss's memory of its last batch."""
    model = network([2, 6, 6, 1], "relu")
    loss = BinaryCrossEntropy()
    X = np.random.default_rng(3).normal(size=(10, 2))
    loss.forward(model.forward(X), (X[:, :1] > 0) * 1.0)
    model.backward(loss.backward())
    before = layer_state(model, loss)
    point_arithmetic(model, loss, np.array([[0.1, 0.2]]), np.array([[0.0]]))
    assert layer_state(model, loss) == before
    assert model.training


@pytest.mark.parametrize("optimizer, kind", [("sgd", "bce"), ("adam", "softmax"),
                                             ("momentum", "mse")])
def test_a_run_with_inspection_between_epochs_equals_one_without_to_the_bit(optimizer, kind):
    class EveryEpoch:
        def __init__(self, look):
            self.look = look

        def end_epoch(self, epoch, loss, score):
            self.look()
            return True

        def diverged(self, value, epoch):
            return None

    def run(inspect: bool) -> list[np.ndarray]:
        loss, n_out, _ = problem(kind)
        rng = np.random.default_rng(7)
        model = network([3, 8, 8, n_out], "relu", seed=7)
        X = rng.normal(size=(60, 3))
        y = {"bce": (X[:, :1] > 0) * 1.0, "softmax": np.argmax(X, axis=1),
             "mse": X[:, :1] * X[:, 1:2]}[kind]
        opt = make_optimizer(optimizer, model.parameters(), 0.05)
        batches = Batches(X, y, batch_size=8, shuffle=True, rng=rng)

        def look():
            if inspect:
                point_arithmetic(model, loss, X[4:5], y[4:5])

        for _ in range(4):
            train_epochs(model, loss, opt, batches, EveryEpoch(look), max_epochs=1, alpha=1e-3)
        return [a.copy() for d in model.dense_layers for a in (d.W, d.b, d.dW, d.db)] + [
            np.array(opt.state_dict().__repr__())]

    for plain, inspected in zip(run(False), run(True)):
        assert plain.tobytes() == inspected.tobytes()


def test_a_diverged_network_gives_nan_not_an_error():
    model = network([2, 3, 1], "linear")
    for d in model.dense_layers:
        d.W[...] = 1e200
    result = point_arithmetic(model, MeanSquaredError(), np.array([[1e200, 1e200]]),
                              np.array([[0.0]]))
    assert not np.isfinite(result["loss"])


@pytest.mark.parametrize("row", [np.array([0.1, 0.2]), np.ones((2, 2))])
def test_one_point_only(row):
    with pytest.raises(ValueError, match=r"shape \(1, n_features\)"):
        point_arithmetic(network([2, 2, 1], "tanh"), BinaryCrossEntropy(), row,
                         np.array([[1.0]]))
