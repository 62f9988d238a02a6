"""The training doctor on a digits CNN: per-layer numbers for convolutions and normalisations,
no finding on a healthy run, dead channels found when a convolution's biases start at -5."""

import io

import numpy as np
import pytest

import scratchnn as snn
from scratchnn.doctor import TrainingDoctor

datasets = pytest.importorskip("sklearn.datasets")


@pytest.fixture(scope="module")
def digits():
    data = datasets.load_digits()
    X = (data.images / 16.0).reshape(-1, 1, 8, 8)[:448]
    return X, data.target[:448]


def digits_cnn(seed: int = 0) -> snn.Sequential:
    rng = np.random.default_rng(seed)
    return snn.Sequential([
        snn.Conv2D(1, 8, 3, padding=1, rng=rng), snn.ReLU(), snn.MaxPool2D(2),
        snn.Conv2D(8, 8, 3, padding=1, rng=rng), snn.BatchNorm2D(8), snn.ReLU(),
        snn.Residual(snn.Sequential([snn.Conv2D(8, 8, 3, padding=1, rng=rng)])),
        snn.Flatten(), snn.Dense(128, 10, rng=rng)])


def diagnose(model, X, y, doctor=None, **fit_args):
    doctor = doctor or TrainingDoctor(stream=None)
    snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.01), epochs=8,
            batch_size=64, callbacks=[doctor], rng=0, **fit_args)
    return doctor


def test_a_healthy_cnn_run_has_no_finding_and_per_layer_numbers(digits):
    X, y = digits
    doctor = diagnose(digits_cnn(), X, y)
    assert doctor.findings == [], doctor.report()
    assert doctor.layer_names == ["Conv2D 1", "Conv2D 2", "BatchNorm2D 1", "Conv2D 3", "Dense 1"]
    assert doctor.relu_names == ["Conv2D 1", "BatchNorm2D 1"]
    n = len(doctor.epochs)
    assert doctor.grad_norms.shape == (n, 5) and np.all(doctor.grad_norms > 0)
    ratios = doctor.update_ratios
    assert np.isnan(ratios[0]).all() and np.all(ratios[1:] > 0)  # Conv2D W, BatchNorm gamma
    assert doctor.dead_units.shape == (n, 2) and np.all(doctor.dead_units == 0)
    assert doctor.activation_stds.shape == (n, 2) and np.all(doctor.activation_stds > 0)
    assert np.all(np.isfinite(doctor.activation_means))


@pytest.mark.parametrize("with_X", [False, True])
def test_negative_conv_biases_give_dead_channels(digits, with_X):
    X, y = digits
    model = digits_cnn()
    model[0].b[:] = -5  # every filter's output is negative everywhere: dead from the start
    out = io.StringIO()
    doctor = diagnose(model, X, y, TrainingDoctor(X if with_X else None, stream=out))
    assert "dead_units" in doctor.kinds
    finding = next(f for f in doctor.findings if f.kind == "dead_units")
    assert "Conv2D 1 -> ReLU: channel(s) 0, 1, 2" in finding.message
    assert "(8 of 8)" in finding.message
    assert doctor.dead_units[-1, 0] == 8
    assert "dead units" in out.getvalue()
