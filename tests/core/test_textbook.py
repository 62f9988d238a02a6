"""The textbook (scratchnn.textbook) is the oracle: the library must compute its numbers.

First the textbook itself is checked against finite differences and closed forms; then
``Sequential`` + losses + optimizers are run side by side with it on random networks for 50
steps, and the losses, gradients and weights must agree to 1e-12 (float64).
"""

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import textbook as tb

STEPS = 50
TOL = 1e-12


def make_data(rng, n: int, n_in: int, n_classes: int):
    X = rng.standard_normal((n, n_in))
    if n_classes == 2:
        return X, rng.integers(0, 2, size=(n, 1)).astype(float)
    return X, rng.integers(0, n_classes, size=n)


def textbook_loss(n_classes: int):
    return tb.binary_cross_entropy if n_classes == 2 else tb.softmax_cross_entropy


# --- the textbook on its own -------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_textbook_gradients_match_finite_differences(activation, n_classes):
    rng = np.random.default_rng(0)
    sizes = [3, 5, 4, n_classes if n_classes > 2 else 1]
    params = tb.init(sizes, rng)
    X, y = make_data(rng, 7, 3, n_classes)
    loss_of = textbook_loss(n_classes)

    def loss_value() -> float:
        return loss_of(tb.forward(params, X, activation)[0], y)[0]

    logits, cache = tb.forward(params, X, activation)
    grads = tb.backward(params, cache, loss_of(logits, y)[1], activation)
    h = 1e-6
    for layer, dlayer in zip(params, grads):
        for p, g in zip(layer, dlayer):
            numeric = np.zeros_like(p)
            for index in np.ndindex(p.shape):
                keep = p[index]
                p[index] = keep + h
                up = loss_value()
                p[index] = keep - h
                down = loss_value()
                p[index] = keep
                numeric[index] = (up - down) / (2 * h)
            np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8)


def test_textbook_losses_match_closed_forms_and_stay_finite_at_huge_logits():
    z = np.array([[1e4], [-1e4], [0.5], [-2.0]])
    y = np.array([[0.0], [0.0], [1.0], [0.3]])
    with np.errstate(all="raise", under="ignore"):
        value, grad = tb.binary_cross_entropy(z, y)
    assert value == pytest.approx(np.mean(np.logaddexp(0, z) - y * z), rel=1e-15)
    np.testing.assert_allclose(grad, (1 / (1 + np.exp(-np.clip(z, -700, 700))) - y) / 4,
                               atol=1e-300)
    zk = np.array([[1e4, 0.0, -1e4], [1.0, 2.0, 3.0]])
    yk = np.array([1, 2])
    with np.errstate(all="raise", under="ignore"):
        value, grad = tb.softmax_cross_entropy(zk, yk)
    lse = np.logaddexp.reduce(zk, axis=1)
    assert value == pytest.approx(np.mean(lse - zk[[0, 1], yk]), rel=1e-15)
    assert grad.sum() == pytest.approx(0, abs=1e-15)  # each row: probabilities sum to 1, minus 1


def test_textbook_sgd_and_adam_match_their_closed_forms():
    p, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    params, grads, state = [(p,)], [(g,)], {}
    tb.sgd_step(params, grads, state, lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(p, [1.0 - 0.1 * (0.5 + 0.9 * 0.5), -2.0 - 0.1 * (0.25 + 0.225)])
    p[:] = [1.0, -2.0]
    tb.adam_step(params, grads, {}, lr=0.01)  # first Adam step: m_hat = g, v_hat = g^2
    np.testing.assert_allclose(p, [1.0 - 0.01 * 0.5 / (0.5 + 1e-8),
                                   -2.0 - 0.01 * 0.25 / (0.25 + 1e-8)], rtol=1e-15)


# --- the library against the textbook ----------------------------------------------------------


def library_optimizer(kind: str, params):
    return {
        "sgd": lambda: snn.SGD(params, lr=0.1),
        "momentum": lambda: snn.SGD(params, lr=0.05, momentum=0.9),
        "nesterov": lambda: snn.SGD(params, lr=0.05, momentum=0.9, nesterov=True),
        "adam": lambda: snn.Adam(params, lr=0.01),
    }[kind]()


def textbook_step(kind: str, params, grads, state) -> None:
    if kind == "adam":
        tb.adam_step(params, grads, state, lr=0.01)
    else:
        lr, momentum = (0.1, 0.0) if kind == "sgd" else (0.05, 0.9)
        tb.sgd_step(params, grads, state, lr, momentum, nesterov=kind == "nesterov")


CASES = [  # sizes of the hidden layers, activation, number of classes, optimizer
    ((), "relu", 2, "sgd"),
    ((4,), "relu", 2, "sgd"),
    ((4,), "relu", 2, "adam"),
    ((8, 3), "tanh", 2, "momentum"),
    ((6,), "sigmoid", 2, "nesterov"),
    ((16, 16, 8), "relu", 3, "adam"),
    ((5,), "tanh", 4, "sgd"),
    ((7, 7), "sigmoid", 3, "adam"),
    ((32,), "relu", 5, "nesterov"),
]


@pytest.mark.parametrize(("hidden", "activation", "n_classes", "optimizer"), CASES)
def test_library_matches_the_textbook_step_by_step(hidden, activation, n_classes, optimizer):
    rng = np.random.default_rng(len(hidden) * 100 + n_classes)
    n_in, n_out = 3, 1 if n_classes == 2 else n_classes
    model = snn.mlp([n_in, *hidden, n_out], activation, rng=rng)
    params = [(W.copy(), b.copy()) for W, b in zip(*[iter(model.get_weights())] * 2)]
    X, y = make_data(rng, 40, n_in, n_classes)
    loss = snn.BinaryCrossEntropy() if n_classes == 2 else snn.SoftmaxCrossEntropy()
    opt, state = library_optimizer(optimizer, model.parameters()), {}
    for step in range(STEPS):
        value = loss.forward(model.forward(X), y)
        model.backward(loss.backward())
        logits, cache = tb.forward(params, X, activation)
        expected, dlogits = textbook_loss(n_classes)(logits, y)
        grads = tb.backward(params, cache, dlogits, activation)
        assert value == pytest.approx(expected, rel=TOL, abs=TOL), f"loss at step {step}"
        library_grads = [g for _, g in model.parameters()]
        for got, want in zip(library_grads, [g for pair in grads for g in pair]):
            np.testing.assert_allclose(got, want, rtol=TOL, atol=TOL, err_msg=f"step {step}")
        opt.step()
        textbook_step(optimizer, params, grads, state)
        for got, want in zip(model.get_weights(), [p for pair in params for p in pair]):
            np.testing.assert_allclose(got, want, rtol=TOL, atol=TOL, err_msg=f"step {step}")
