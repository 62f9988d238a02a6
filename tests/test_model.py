"""Sequential: the parameter layout, forward copies, backward's input gradient."""

import pickle

import numpy as np
import pytest

import scratchnn as snn


def test_parameters_are_windows_of_one_vector_and_optimizers_use_it():
    model = snn.mlp([3, 5, 2], rng=0)
    params = model.parameters()
    assert all(p.base is params[0][0].base for p, _ in params)
    assert all(g.base is params[0][1].base for _, g in params)
    for make in (lambda ps: snn.SGD(ps, lr=0.1), lambda ps: snn.SGD(ps, lr=0.1, momentum=0.9),
                 lambda ps: snn.Adam(ps), lambda ps: snn.RMSprop(ps)):
        optimizer = make(params)
        assert len(optimizer.groups) == 1
        assert optimizer.groups[0][0].size == model.n_parameters() == 3 * 5 + 5 + 5 * 2 + 2


@pytest.mark.parametrize("make", [
    lambda ps: snn.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: snn.Adam(ps, lr=0.01, weight_decay=0.01),
    lambda ps: snn.RMSprop(ps, lr=0.01),
])
def test_the_one_vector_update_equals_the_per_array_update(make):
    rng = np.random.default_rng(1)
    packed = snn.mlp([3, 4, 1], rng=2)
    loose = [(p.copy(), np.empty_like(g)) for p, g in packed.parameters()]  # separate arrays
    opt_packed, opt_loose = make(packed.parameters()), make(loose)
    assert len(opt_packed.groups) == 1 and len(opt_loose.groups) == 4
    for _ in range(3):
        for (_, g), (_, g_loose) in zip(packed.parameters(), loose):
            g[...] = rng.standard_normal(g.shape)
            g_loose[...] = g
        opt_packed.step()
        opt_loose.step()
    for (p, _), (p_loose, _) in zip(packed.parameters(), loose):
        np.testing.assert_array_equal(p, p_loose)


def test_layers_still_see_their_own_weights_after_packing():
    dense = snn.Dense(2, 3, rng=0)
    before = dense.W.copy()
    model = snn.Sequential([dense, snn.ReLU(), snn.Dense(3, 1, rng=1)])
    np.testing.assert_array_equal(dense.W, before)
    dense.W[0, 0] = 7.0  # writes through to the model's parameter vector
    assert model.parameters()[0][0][0, 0] == 7.0


def test_forward_returns_a_copy_unless_asked_not_to():
    model = snn.mlp([2, 3, 1], rng=0)
    X1, X2 = np.ones((4, 2)), np.zeros((4, 2))
    out1 = model.forward(X1)
    kept = out1.copy()
    model.forward(X2)
    np.testing.assert_array_equal(out1, kept)  # not overwritten
    assert model.forward(X1, copy=False) is model.forward(X1, copy=False)


def test_backward_returns_the_input_gradient_only_when_asked():
    rng = np.random.default_rng(3)
    model = snn.mlp([3, 4, 1], "tanh", rng=rng)
    loss = snn.BinaryCrossEntropy()
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 2, size=5)
    loss.forward(model.forward(X), y)
    assert model.backward(loss.backward()) is None
    dW_skipped = model.dense_layers[0].dW.copy()
    loss.forward(model.forward(X), y)
    dX = model.backward(loss.backward(), input_grad=True)
    assert dX.shape == X.shape
    np.testing.assert_array_equal(model.dense_layers[0].dW, dW_skipped)


def test_a_pickled_model_trains_the_same_as_the_original():
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((30, 2)), rng.integers(0, 2, size=30)
    model = snn.mlp([2, 4, 1], rng=5)
    clone = pickle.loads(pickle.dumps(model))
    snn.fit(model, X, y, epochs=20)
    snn.fit(clone, X, y, epochs=20)
    for a, b in zip(model.get_weights(), clone.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_mixed_dtypes_are_not_packed_but_still_train():
    model = snn.Sequential([snn.Dense(2, 3, rng=0), snn.ReLU(),
                            snn.Dense(3, 1, rng=1, dtype=np.float32)])
    optimizer = snn.SGD(model.parameters(), lr=0.1)
    assert len(optimizer.groups) == 4
