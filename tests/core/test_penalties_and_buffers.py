"""The L2 and L1 penalties act on the weights of convolutions as on those of Dense layers (not
on biases, gamma or beta), and restoring the best epoch restores BatchNorm's running statistics
too."""

import numpy as np
import pytest

import scratchnn as snn
from scratchnn.penalties import add_l1_penalty, add_l2_penalty, penalised_weights
from scratchnn.training import BestWeights


def cnn(seed: int = 0) -> snn.Sequential:
    rng = np.random.default_rng(seed)
    return snn.Sequential([
        snn.Conv2D(1, 3, 3, padding=1, rng=rng), snn.BatchNorm2D(3), snn.ReLU(),
        snn.Residual(snn.Sequential([snn.Conv2D(3, 3, 3, padding=1, rng=rng), snn.Tanh()])),
        snn.MaxPool2D(2), snn.Flatten(), snn.Identity(),
        snn.Dense(12, 4, rng=rng), snn.LayerNorm(4), snn.Dense(4, 2, rng=rng)])


def test_the_penalties_act_on_every_convolution_and_dense_weight_only():
    model = cnn()
    for p, g in model.parameters():  # non-trivial values everywhere
        p[...] = np.random.default_rng(p.size).normal(size=p.shape)
        g[...] = 0
    weighted = [model[0], model[3].block[0], model[7], model[9]]
    assert [W is layer.W for (W, _), layer in zip(penalised_weights(model), weighted)] == [True] * 4
    alpha, n = 0.3, 10
    value = add_l2_penalty(model, alpha, n)
    assert value == pytest.approx(0.5 * alpha / n * sum(np.sum(m.W ** 2) for m in weighted))
    for layer in weighted:
        np.testing.assert_allclose(layer.dW, alpha / n * layer.W)
        np.testing.assert_array_equal(layer.db, 0)
    for norm in (model[1], model[8]):
        np.testing.assert_array_equal(norm.dgamma, 0)
        np.testing.assert_array_equal(norm.dbeta, 0)
    for layer in weighted:
        layer.dW[...] = 0
    value = add_l1_penalty(model, 0.5, n)
    assert value == pytest.approx(0.5 / n * sum(np.abs(m.W).sum() for m in weighted))
    np.testing.assert_allclose(model[0].dW, 0.5 / n * np.sign(model[0].W))
    np.testing.assert_array_equal(model[1].dgamma, 0)
    conv1d = snn.Conv1D(2, 2, 3, rng=0)
    assert penalised_weights(snn.Sequential([conv1d]))[0][0] is conv1d.W


def test_fit_with_alpha_shrinks_the_convolution_weights():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 1, 4, 4)), rng.integers(0, 2, 40)
    norms = []
    for alpha in (0.0, 30.0):
        model = cnn(2)
        history = snn.fit(model, X, y, lr=0.05, epochs=30, alpha=alpha, rng=0)
        norms.append(np.linalg.norm(model[0].W))
    assert norms[1] < 0.5 * norms[0]
    assert history.loss[0] > 0.5 * 30.0 * sum(  # the first loss holds the penalty's value
        np.sum(m.W ** 2) for m in (cnn(2)[0], cnn(2)[3].block[0], cnn(2)[7], cnn(2)[9])) / 40


def test_best_weights_keep_the_running_statistics():
    model = cnn()
    X = np.random.default_rng(3).normal(size=(6, 1, 4, 4))
    model.forward(X)
    best = BestWeights(model)
    best.offer(1.0, epoch=1)
    kept = {k: v for k, v in model.state_dict().items() if "running" in k or "tracked" in k}
    model.forward(X * 3 + 2)  # the running statistics move on
    best.offer(2.0, epoch=2)  # not better: nothing kept
    assert not np.allclose(model[1].running_mean, kept["1.running_mean"])
    assert best.restore()
    for key, value in kept.items():
        np.testing.assert_array_equal(model.state_dict()[key], value, err_msg=key)


def test_restore_best_of_fit_restores_the_buffers_of_the_best_epoch():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(32, 1, 4, 4)), rng.integers(0, 2, 32)
    X_val, y_val = rng.normal(size=(32, 1, 4, 4)) + 1, rng.integers(0, 2, 32)  # noise: over-fits
    model = cnn(5)
    seen = {}

    def record(epoch, history, model):
        seen[epoch] = {k: v for k, v in model.state_dict().items() if "running" in k}

    history = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.05),
                      epochs=25, batch_size=8, validation_data=(X_val, y_val),
                      restore_best=True, callbacks=[record], rng=0)
    assert history.best_epoch < 25  # the best epoch is an early one
    for key, value in seen[history.best_epoch].items():
        np.testing.assert_array_equal(model.state_dict()[key], value, err_msg=key)
    assert not np.array_equal(seen[25]["1.running_mean"], model[1].running_mean)
