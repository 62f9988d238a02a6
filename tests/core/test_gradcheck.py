"""Whole models against centred differences, and the checker itself."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scratchnn as snn
from scratchnn.gradcheck import check_model, numerical_gradient, relative_error


def test_numerical_gradient_of_a_known_function():
    x = np.array([1.0, -2.0, 0.5])
    grad = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * np.array([1.0, -2.0, 0.5]) ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, -2.0, 0.5])  # restored


def test_the_checker_catches_a_wrong_backward():
    class BrokenTanh(snn.Tanh):
        def backward(self, grad):
            return grad * (1 - self.y)  # wrong: should be 1 - y^2

    x = np.random.default_rng(0).standard_normal((4, 3))
    assert snn.check_layer(BrokenTanh(), x)["x"] > 1e-3
    assert snn.check_layer(snn.Tanh(), x)["x"] < 1e-8


def test_relative_error_is_zero_for_equal_arrays_and_symmetric():
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.5])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, b) == relative_error(b, a) > 0


ACTS = ["relu", "leaky_relu", "tanh", "logistic", "identity"]


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("n_out", [1, 3])
def test_whole_models_pass_gradcheck(activation, n_out):
    rng = np.random.default_rng(1)
    model = snn.mlp([3, 5, 4, n_out], activation, rng=rng)
    X = rng.standard_normal((6, 3))
    if n_out == 1:
        loss, y = snn.BinaryCrossEntropy(), rng.integers(0, 2, size=6)
    else:
        loss, y = snn.SoftmaxCrossEntropy(), rng.integers(0, n_out, size=6)
    errors = check_model(model, loss, X, y)
    assert len(errors) == 1 + 6
    assert max(errors.values()) < 1e-6, errors


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4),
       activation=st.sampled_from(["tanh", "logistic", "leaky_relu", "relu"]),
       n=st.integers(1, 6), seed=st.integers(0, 2**32 - 1),
       loss_name=st.sampled_from(["mse", "softmax", "bce"]))
def test_random_models_pass_gradcheck(sizes, activation, n, seed, loss_name):
    rng = np.random.default_rng(seed)
    if loss_name == "bce":
        sizes[-1] = 1
        loss, y = snn.BinaryCrossEntropy(), rng.integers(0, 2, size=n)
    elif loss_name == "softmax":
        sizes[-1] = max(sizes[-1], 2)
        loss, y = snn.SoftmaxCrossEntropy(), rng.integers(0, sizes[-1], size=n)
    else:
        loss, y = snn.MeanSquaredError(), rng.standard_normal((n, sizes[-1]))
    model = snn.mlp(sizes, activation, rng=rng)
    for layer in model.dense_layers:
        # Biases start at zero; behind a dead ReLU a unit's input would then sit exactly on
        # the next ReLU's kink, where finite differences see half a slope. Random biases
        # move it off (a unit within eps of a kink has probability ~1e-6 here).
        layer.b[:] = 0.5 * rng.standard_normal(layer.b.shape)
    X = rng.standard_normal((n, sizes[0]))
    errors = check_model(model, loss, X, y)
    assert max(errors.values()) < 1e-6, errors


def test_model_with_dropout_in_eval_mode_passes_gradcheck():
    rng = np.random.default_rng(3)
    model = snn.Sequential([snn.Dense(3, 4, rng=rng), snn.Tanh(),
                            snn.Dropout(0.5, rng=rng), snn.Dense(4, 1, rng=rng)]).eval()
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 2, size=5)
    assert max(check_model(model, snn.BinaryCrossEntropy(), X, y).values()) < 1e-6


# --- the report ------------------------------------------------------------------------------


def test_check_model_names_every_array_by_layer_and_gives_verdicts():
    rng = np.random.default_rng(0)
    model = snn.mlp([2, 4, 3, 1], "tanh", rng=rng)
    X, y = rng.standard_normal((5, 2)), rng.integers(0, 2, size=5)
    report = check_model(model, snn.BinaryCrossEntropy(), X, y)
    assert list(report) == ["X", "Dense 1 W", "Dense 1 b", "Dense 2 W", "Dense 2 b",
                            "Dense 3 W", "Dense 3 b"]
    assert [c.verdict for c in report.checks] == ["good"] * 7
    assert report.ok
    assert report["Dense 2 b"] == report.checks[4].error < 1e-7
    text = str(report)
    assert text.splitlines()[0].split() == ["array", "relative", "error", "verdict"]
    assert "Dense 3 W" in text and text.splitlines()[-1].startswith("ok: 7 good")
    assert repr(report).startswith("GradCheckReport(ok=True, 7 arrays, worst ")
    with pytest.raises(KeyError, match="the checked arrays are: X, Dense 1 W"):
        report["param0"]


def test_a_wrong_backward_is_named_and_judged_wrong():
    class BrokenTanh(snn.Tanh):
        def backward(self, grad):
            return grad * (1 - self.y)  # wrong: should be 1 - y^2

    rng = np.random.default_rng(1)
    model = snn.Sequential([snn.Dense(3, 4, rng=rng), BrokenTanh(), snn.Dense(4, 1, rng=rng)])
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, size=6)
    report = check_model(model, snn.BinaryCrossEntropy(), X, y)
    verdicts = {c.name: c.verdict for c in report.checks}
    # The gradient is wrong below the broken layer, right above it.
    assert verdicts == {"X": "wrong", "Dense 1 W": "wrong", "Dense 1 b": "wrong",
                        "Dense 2 W": "good", "Dense 2 b": "good"}
    assert not report.ok and report.worst.verdict == "wrong"
    assert "NOT ok: 2 good, 3 wrong" in str(report)


@pytest.mark.parametrize(("error", "expected"), [
    (0.0, "good"), (9.9e-8, "good"), (1e-7, "check"), (1e-4, "check"), (1e-2, "check"),
    (1.01e-2, "wrong"), (float("nan"), "wrong"),
])
def test_verdict_bands_follow_cs231n(error, expected):
    from scratchnn.gradcheck import verdict

    assert verdict(error) == expected
