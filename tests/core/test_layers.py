"""Layers: gradient checks against centred differences, shapes, dtypes, in-place gradients."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scratchnn as snn
from scratchnn.functional import sigmoid
from scratchnn.gradcheck import check_layer

TOL = 1e-6


def away_from_kinks(x: np.ndarray) -> np.ndarray:
    """Push values away from 0, where ReLU-like layers have a kink that finite differences
    cannot see across."""
    return np.where(np.abs(x) < 1e-3, np.sign(x) * 1e-3 + (x == 0) * 1e-3, x)


def make_layer(kind: str, n_in: int, rng) -> snn.Layer:
    return {
        "dense": lambda: snn.Dense(n_in, 3, rng=rng),
        "dense_glorot": lambda: snn.Dense(n_in, 5, rng=rng, init="glorot"),
        "relu": snn.ReLU,
        "leaky_relu": lambda: snn.LeakyReLU(0.1),
        "tanh": snn.Tanh,
        "sigmoid": snn.Sigmoid,
        "identity": snn.Identity,
    }[kind]()


KINDS = ["dense", "dense_glorot", "relu", "leaky_relu", "tanh", "sigmoid", "identity"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_layer_passes_gradcheck(kind):
    rng = np.random.default_rng(0)
    layer = make_layer(kind, 4, rng)
    x = away_from_kinks(rng.standard_normal((6, 4)))
    errors = check_layer(layer, x, rng=1)
    assert set(errors) >= {"x"}
    if kind.startswith("dense"):
        assert set(errors) == {"x", "param0", "param1"}
    assert max(errors.values()) < TOL, errors


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    n=st.integers(1, 7),
    n_in=st.integers(1, 6),
    scale=st.floats(0.1, 5.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_gradcheck_on_generated_shapes_and_values(kind, n, n_in, scale, seed):
    rng = np.random.default_rng(seed)
    layer = make_layer(kind, n_in, rng)
    x = away_from_kinks(scale * rng.standard_normal((n, n_in)))
    errors = check_layer(layer, x, rng=seed)
    assert max(errors.values()) < TOL, errors


def test_dropout_gradient_with_a_fixed_mask():
    rng = np.random.default_rng(0)
    layer = snn.Dropout(0.3, rng=np.random.default_rng(5))
    x = rng.standard_normal((8, 5))
    out = layer.forward(x).copy()
    mask = layer.mask.copy()
    np.testing.assert_array_equal(out, x * mask)
    grad = rng.standard_normal(out.shape)
    # Dropout is linear in x for a fixed mask, so its gradient is exactly the mask.
    np.testing.assert_array_equal(layer.backward(grad), grad * mask)
    assert set(np.unique(mask)) <= {0.0, 1 / 0.7}


def test_dense_shapes_and_forward_formula():
    rng = np.random.default_rng(1)
    layer = snn.Dense(3, 2, rng=rng)
    assert layer.W.shape == (3, 2) and layer.b.shape == (2,)
    layer.b[:] = [0.5, -1.0]
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(layer.forward(x), x @ layer.W + layer.b)


def test_dense_gradients_are_written_in_place():
    rng = np.random.default_rng(2)
    layer = snn.Dense(3, 2, rng=rng)
    dW, db = layer.dW, layer.db
    pairs = layer.parameters()
    x, grad = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    layer.forward(x)
    layer.backward(grad)
    assert layer.dW is dW and layer.db is db
    assert pairs[0][1] is dW and pairs[1][1] is db
    np.testing.assert_allclose(dW, x.T @ grad)
    np.testing.assert_allclose(db, grad.sum(axis=0))


def test_dense_can_skip_the_input_gradient():
    rng = np.random.default_rng(3)
    layer = snn.Dense(3, 2, rng=rng)
    x, grad = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    layer.forward(x)
    assert layer.backward(grad, input_grad=False) is None
    np.testing.assert_allclose(layer.dW, x.T @ grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", KINDS)
def test_dtype_is_kept_through_forward_and_backward(kind, dtype):
    rng = np.random.default_rng(4)
    layer = make_layer(kind, 4, rng)
    if isinstance(layer, snn.Dense):
        layer = snn.Dense(4, 3, rng=rng, dtype=dtype)
    x = rng.standard_normal((6, 4)).astype(dtype)
    out = layer.forward(x)
    assert out.dtype == dtype
    assert layer.backward(np.ones_like(out)).dtype == dtype
    for param, grad in layer.parameters():
        assert param.dtype == dtype and grad.dtype == dtype


def test_he_and_glorot_initialisation_scales():
    rng = np.random.default_rng(5)
    he = snn.Dense(400, 300, rng=rng, init="he").W
    glorot = snn.Dense(400, 300, rng=rng, init="glorot").W
    assert abs(he.std() - np.sqrt(2 / 400)) < 0.01 * np.sqrt(2 / 400) * 5
    limit = np.sqrt(6 / 700)
    assert np.abs(glorot).max() <= limit
    assert abs(glorot.std() - limit / np.sqrt(3)) < 0.02 * limit


def test_same_seed_same_bits_and_no_global_state():
    np.random.seed(123)  # noqa: NPY002 -- global state must not matter
    a = snn.Dense(5, 4, rng=np.random.default_rng(7)).W
    np.random.seed(999)  # noqa: NPY002
    b = snn.Dense(5, 4, rng=np.random.default_rng(7)).W
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != snn.Dense(5, 4, rng=np.random.default_rng(8)).W.tobytes()


@pytest.mark.parametrize("z", [-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4])
def test_sigmoid_and_tanh_are_stable_for_any_input(z):
    x = np.array([[z]])
    with np.errstate(all="raise", under="ignore"):
        s = snn.Sigmoid().forward(x)
        t = snn.Tanh().forward(x)
    expected = 1 / (1 + np.exp(-z)) if z > -700 else 0.0
    np.testing.assert_allclose(s, expected, atol=1e-300)
    assert np.isfinite(t).all()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: snn.Dense(0, 3), "n_in must be a positive integer"),
        (lambda: snn.Dense(2, -1), "n_out must be a positive integer"),
        (lambda: snn.Dense(2, 3, init="zeros"), "unknown init 'zeros'"),
        (lambda: snn.Dense(2, 3, dtype=np.int32), "dtype must be float32 or float64"),
        (lambda: snn.Dense(2, 3, rng="seed"), "rng must be"),
        (lambda: snn.LeakyReLU(1.5), "negative_slope must be in"),
        (lambda: snn.Dropout(1.0), "p must be in"),
        (lambda: snn.activation("swish"), "unknown activation 'swish'"),
    ],
)
def test_bad_layer_arguments_are_refused_clearly(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_dropout_is_identity_in_eval_mode():
    layer = snn.Dropout(0.5, rng=np.random.default_rng(0))
    x = np.arange(12.0).reshape(3, 4)
    layer.eval()
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)


@pytest.mark.parametrize(("rng", "error", "message"), [
    (-1, ValueError, "a seed must be an integer >= 0, got -1"),
    (True, TypeError, "rng must be a numpy Generator"),
    (1.5, TypeError, "rng must be a numpy Generator"),
])
def test_bad_seeds_are_refused_clearly(rng, error, message):
    with pytest.raises(error, match=message):
        snn.Dense(2, 3, rng=rng)
    with pytest.raises(error, match=message):
        snn.fit(snn.mlp([2, 3, 1], rng=0), np.zeros((4, 2)), np.array([0, 1, 0, 1]), rng=rng,
                epochs=1)


# --- the teaching API explains itself: one test per message -------------------------------------


def test_dense_names_the_expected_shape_for_a_1d_input():
    with pytest.raises(ValueError, match=r"^Dense\(2, 4\) expects input of shape \(n, 2\), "
                                         r"got \(5,\)"):
        snn.Dense(2, 4).forward(np.zeros(5))


def test_dense_suggests_reshape_for_one_sample_given_as_a_vector():
    with pytest.raises(ValueError, match=r"got \(2,\); for one sample of 2 features use "
                                         r"x.reshape\(1, -1\)"):
        snn.Dense(2, 4).forward(np.zeros(2))


def test_dense_says_how_many_features_it_takes():
    with pytest.raises(ValueError, match=r"got \(5, 3\): 3 features where the layer takes 2"):
        snn.Dense(2, 4).forward(np.zeros((5, 3)))


def test_dense_accepts_a_list_of_rows():
    out = snn.Dense(2, 1, rng=0).forward([[1.0, 2.0], [3.0, 4.0]])
    assert out.shape == (2, 1)


def test_dense_refuses_non_numbers():
    with pytest.raises(ValueError, match=r"Dense\(2, 4\) expects numbers, got an array of dtype"):
        snn.Dense(2, 4).forward([["a", "b"]])


@pytest.mark.parametrize("layer", [snn.Dense(2, 3), snn.ReLU(), snn.LeakyReLU(), snn.Tanh(),
                                   snn.Sigmoid(), snn.Dropout(0.5)], ids=repr)
def test_backward_before_forward_is_a_runtime_error_that_names_the_layer(layer):
    name = type(layer).__name__
    with pytest.raises(RuntimeError, match=f"^{name}.backward called before forward: call "
                                           r"forward\(x\) first"):
        layer.backward(np.zeros((4, 3)))


@pytest.mark.parametrize("layer", [snn.Dense(2, 3), snn.ReLU(), snn.LeakyReLU(), snn.Tanh(),
                                   snn.Sigmoid(), snn.Dropout(0.5)], ids=repr)
def test_a_gradient_of_the_wrong_shape_is_refused(layer):
    out = layer.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match=rf"^{re.escape(repr(layer))}.backward expects a gradient "
                                         rf"of shape \(4, {out.shape[1]}\) \(the shape of its last "
                                         r"forward output\), got \(4,\)"):
        layer.backward(np.zeros(4))


def test_a_gradient_that_is_not_an_array_is_refused():
    layer = snn.ReLU()
    layer.forward(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"got a list \(not a NumPy array\)"):
        layer.backward([[1.0, 1.0], [1.0, 1.0]])


def test_sequential_passes_the_dense_message_through():
    model = snn.mlp([3, 4, 1], rng=0)
    with pytest.raises(ValueError, match=r"Dense\(3, 4\) expects input of shape \(n, 3\), "
                                         r"got \(10, 2\)"):
        model.forward(np.zeros((10, 2)))


def test_sigmoid_is_exact_in_both_tails():
    z = np.array([-1e4, -50.0, -1.0, 0.0, 1.0, 50.0, 1e4])
    with np.errstate(all="raise"):
        s = sigmoid(z)
    expected = [0.0, 1.9287498479639178e-22, 0.2689414213699951, 0.5, 0.7310585786300049, 1.0,
                1.0]
    np.testing.assert_allclose(s, expected, rtol=1e-15, atol=0)
