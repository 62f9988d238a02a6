"""The regression losses beyond MSE: HuberLoss, MeanAbsoluteError, PoissonNLLLoss.

Closed forms against PyTorch's definitions, gradients against finite differences, and sample
weights as a weighted mean over samples."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnn as snn
from scratchnn.gradcheck import check_loss
from scratchnn.losses import get_loss


def data(shape=(7, 3), seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape), rng.normal(size=shape)


def test_mean_absolute_error_closed_form_and_gradient():
    z, y = data()
    loss = snn.MeanAbsoluteError()
    assert loss.forward(z, y) == pytest.approx(np.abs(z - y).mean(), rel=1e-12)
    np.testing.assert_allclose(loss.backward(), np.sign(z - y) / z.size)
    assert check_loss(snn.MeanAbsoluteError(), z, y) < 1e-7  # no element sits at the kink


@pytest.mark.parametrize("delta", [0.3, 1.0, 5.0])
def test_huber_closed_form_and_gradient(delta):
    z, y = data()
    d = z - y
    expected = np.where(np.abs(d) <= delta, 0.5 * d**2, delta * (np.abs(d) - 0.5 * delta))
    loss = snn.HuberLoss(delta)
    assert loss.forward(z, y) == pytest.approx(expected.mean(), rel=1e-12)
    np.testing.assert_allclose(loss.backward(), np.clip(d, -delta, delta) / z.size)
    assert check_loss(snn.HuberLoss(delta), z, y) < 1e-6


def test_huber_is_half_squared_error_for_small_errors_and_refuses_a_bad_delta():
    z, y = data()
    assert snn.HuberLoss(100.0).forward(z, y) == pytest.approx(0.5 * ((z - y) ** 2).mean())
    with pytest.raises(ValueError, match="delta must be a positive number"):
        snn.HuberLoss(0.0)


def test_poisson_nll_closed_form_and_gradient():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(9, 2))
    y = rng.poisson(2.0, size=(9, 2)).astype(float)
    loss = snn.PoissonNLLLoss()
    assert loss.forward(z, y) == pytest.approx((np.exp(z) - y * z).mean(), rel=1e-12)
    np.testing.assert_allclose(loss.backward(), (np.exp(z) - y) / z.size)
    assert check_loss(snn.PoissonNLLLoss(), z, y) < 1e-7


@pytest.mark.parametrize("make", [snn.MeanAbsoluteError, lambda: snn.HuberLoss(0.5),
                                  snn.PoissonNLLLoss])
def test_integer_sample_weights_equal_repeated_rows(make):
    z, y = data((6, 2), seed=3)
    y = np.abs(y)  # Poisson wants non-negative targets
    w = np.array([1, 0, 2, 3, 1, 1])
    weighted = make()
    value = weighted.forward(z, y, w)
    grad = weighted.backward().copy()
    repeated = make()
    assert value == pytest.approx(repeated.forward(np.repeat(z, w, 0), np.repeat(y, w, 0)))
    rows = repeated.backward()
    # each row's gradient, summed over its copies, is the weighted row's gradient
    np.testing.assert_allclose(grad, _sum_copies(rows, w), rtol=1e-12, atol=1e-15)


def _sum_copies(rows, w):
    out = np.zeros((len(w), rows.shape[1]))
    np.add.at(out, np.repeat(np.arange(len(w)), w), rows)
    return out


def test_losses_are_in_the_table():
    assert isinstance(get_loss("huber"), snn.HuberLoss)
    assert isinstance(get_loss("mae"), snn.MeanAbsoluteError)
    assert isinstance(get_loss("poisson"), snn.PoissonNLLLoss)
