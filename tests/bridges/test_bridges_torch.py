"""scratchnn <-> PyTorch: the same network, the same outputs, the same Adam step."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import bridges

torch = pytest.importorskip("torch")
nn = torch.nn

ACTIVATIONS = ["relu", "leaky_relu", "tanh", "logistic", "identity"]
# The tolerances, relative to the size of the outputs (at least 1): the two libraries
# add up the products of a matrix product in different orders, so the last bits differ, and in
# float32 an output of 2.5 is only known to about 2.5 * 6e-8 per rounding.
TOLERANCE = {np.float32: 1e-6, np.float64: 1e-12}


def assert_close(actual, expected, dtype):
    bound = TOLERANCE[dtype] * max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=bound)


def random_network(activation: str, dtype, seed: int) -> snn.Sequential:
    rng = np.random.default_rng(seed)
    sizes = [int(rng.integers(1, 8)), *rng.integers(2, 12, size=int(rng.integers(1, 4))), 3]
    model = snn.mlp(sizes, activation, rng=rng, dtype=dtype)
    for layer in model.dense_layers:  # biases are zero after init: make them count
        layer.b[...] = rng.normal(size=layer.b.shape)
    return model


def torch_forward(module, X: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.from_numpy(X)).numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("seed", range(3))
def test_to_torch_gives_the_same_outputs(activation, dtype, seed):
    model = random_network(activation, dtype, seed)
    X = np.random.default_rng(100 + seed).normal(size=(64, model.n_inputs)).astype(dtype)
    module = bridges.to_torch(model)
    out = torch_forward(module, X)
    assert out.dtype == dtype
    assert_close(out, model.forward(X), dtype)


def test_linear_weight_is_the_transpose_of_dense_W():
    model = snn.mlp([3, 5, 2], rng=0)
    module = bridges.to_torch(model)
    assert isinstance(module[0], nn.Linear) and isinstance(module[1], nn.ReLU)
    assert tuple(module[0].weight.shape) == (5, 3)
    np.testing.assert_array_equal(module[0].weight.detach().numpy(), model.layers[0].W.T)
    np.testing.assert_array_equal(module[2].bias.detach().numpy(), model.layers[2].b)


def test_every_layer_kind_and_the_training_mode_carry_over():
    rng = np.random.default_rng(0)
    model = snn.Sequential([snn.Dense(4, 6, rng=rng), snn.LeakyReLU(0.2), snn.Dropout(0.3),
                            snn.Dense(6, 6, rng=rng), snn.Sigmoid(), snn.Identity(),
                            snn.Dense(6, 2, rng=rng), snn.Tanh()])
    module = bridges.to_torch(model)
    kinds = [type(m).__name__ for m in module]
    assert kinds == ["Linear", "LeakyReLU", "Dropout", "Linear", "Sigmoid", "Identity",
                     "Linear", "Tanh"]
    assert module[1].negative_slope == 0.2 and module[2].p == 0.3
    assert module.training
    assert not bridges.to_torch(model.eval()).training
    X = rng.normal(size=(20, 4))
    np.testing.assert_allclose(torch_forward(bridges.to_torch(model).eval(), X),
                               model.eval().forward(X), rtol=1e-12, atol=1e-12)


def test_a_fitted_classifier_converts_to_its_logits_network():
    from sklearn.datasets import make_blobs

    X, y = make_blobs(120, n_features=3, centers=3, random_state=0)
    clf = snn.MLPClassifier((8,), max_iter=30, random_state=0).fit(X, y)
    module = bridges.to_torch(clf)
    assert not module.training  # an estimator's network is for predictions
    with torch.no_grad():
        proba = torch.softmax(module(torch.from_numpy(X)), dim=1).numpy()
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="not fitted yet"):
        bridges.to_torch(snn.MLPClassifier())


@pytest.mark.parametrize("steps", [1, 5])
def test_adam_steps_in_torch_and_scratchnn_give_the_same_weights(steps):
    rng = np.random.default_rng(3)
    model = snn.mlp([4, 8, 8, 1], "tanh", rng=rng)
    X = rng.normal(size=(32, 4))
    y = (X[:, :1] * X[:, 1:2] > 0).astype(np.float64)
    module = bridges.to_torch(model)  # the same starting weights

    loss = snn.BinaryCrossEntropy()
    optimizer = snn.Adam(model.parameters(), lr=0.01)
    torch_loss = nn.BCEWithLogitsLoss()
    torch_optimizer = torch.optim.Adam(module.parameters(), lr=0.01)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(steps):
        value = loss.forward(model.forward(X), y)
        model.backward(loss.backward())
        optimizer.step()
        torch_optimizer.zero_grad()
        torch_value = torch_loss(module(Xt), yt)
        torch_value.backward()
        torch_optimizer.step()
        assert value == pytest.approx(torch_value.item(), rel=1e-12, abs=1e-12)
    after = bridges.from_torch(module).get_weights()
    for ours, theirs in zip(model.get_weights(), after):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    assert not np.allclose(after[0], snn.mlp([4, 8, 8, 1], "tanh", rng=3).get_weights()[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_gives_back_identical_arrays(dtype):
    rng = np.random.default_rng(1)
    model = snn.Sequential([snn.Dense(3, 7, rng=rng, dtype=dtype), snn.LeakyReLU(0.05),
                            snn.Dropout(0.1), snn.Dense(7, 4, rng=rng, dtype=dtype),
                            snn.Tanh(), snn.Dense(4, 2, rng=rng, dtype=dtype)])
    for layer in model.dense_layers:
        layer.b[...] = rng.normal(size=layer.b.shape)
    back = bridges.from_torch(bridges.to_torch(model))
    assert [type(a) for a in back.layers] == [type(a) for a in model.layers]
    assert back.layers[1].negative_slope == 0.05 and back.layers[2].p == 0.1
    for ours, theirs in zip(model.get_weights(), back.get_weights()):
        assert theirs.dtype == dtype
        np.testing.assert_array_equal(ours, theirs)

    module = nn.Sequential(nn.Linear(5, 4), nn.Sigmoid(), nn.Linear(4, 3)).double()
    again = bridges.to_torch(bridges.from_torch(module))
    for a, b in zip(module.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)


def test_from_torch_flattens_nested_sequentials_and_accepts_linear_without_bias():
    module = nn.Sequential(nn.Sequential(nn.Linear(3, 4, bias=False), nn.ReLU()),
                           nn.Linear(4, 2)).eval()
    model = bridges.from_torch(module)
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "ReLU", "Dense"]
    assert not model.training
    np.testing.assert_array_equal(model.layers[0].b, 0)
    X = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
    np.testing.assert_allclose(model.forward(X), torch_forward(module, X), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("layer", "name"), [(nn.BatchNorm3d(4), "BatchNorm3d"),
                                             (nn.GELU(), "GELU"), (nn.Softmax(dim=1), "Softmax")])
def test_from_torch_refuses_other_layers_and_names_them(layer, name):
    module = nn.Sequential(nn.Linear(3, 4), layer, nn.Linear(4, 1))
    with pytest.raises(TypeError, match=rf"layer 1 \({name}.*equivalents only for Linear"):
        bridges.from_torch(module)


def test_from_torch_refuses_half_precision():
    with pytest.raises(TypeError, match=r"float16.*\.float\(\) or \.double\(\)"):
        bridges.from_torch(nn.Sequential(nn.Linear(2, 1).half()))


def test_to_torch_refuses_a_layer_it_does_not_know():
    class Square(snn.Layer):
        def forward(self, x):
            return x * x

    model = snn.Sequential([snn.Dense(2, 2, rng=0), Square()])
    with pytest.raises(TypeError, match=r"layer 1 \(Square\)"):
        bridges.to_torch(model)


def test_without_torch_one_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes 'import torch' fail
    with pytest.raises(ImportError, match=r"pip install \"scratchnn\[torch\]\".*pip install "
                                          "torch"):
        bridges.to_torch(snn.mlp([2, 1], rng=0))
    with pytest.raises(ImportError, match="from_torch needs"):
        bridges.from_torch(object())


# --- modules that could not run: refused naming the layer ---------------------------------------


def test_from_torch_refuses_linear_layers_that_do_not_chain():
    module = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(4, 1))
    with pytest.raises(ValueError, match=r"layer 2 \(Linear\) takes 4 inputs but layer 0 "
                                         r"\(Linear\) gives 3"):
        bridges.from_torch(module)


@pytest.mark.parametrize("name", ["weight", "bias"])
def test_from_torch_refuses_nan_weights(name):
    module = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():
        getattr(module[2], name)[0] = float("nan")
    with pytest.raises(ValueError, match=rf"layer 2 \(Linear\) has a NaN or infinite {name}"):
        bridges.from_torch(module)


def test_from_torch_refuses_a_replaced_weight_of_the_wrong_shape():
    module = nn.Sequential(nn.Linear(2, 3))
    module[0].weight = nn.Parameter(torch.zeros(5, 5))
    with pytest.raises(ValueError, match=r"layer 0 \(Linear\(2, 3\)\) has a weight of shape "
                                         r"\(5, 5\), expected \(3, 2\)"):
        bridges.from_torch(module)


@pytest.mark.parametrize("module", [nn.ReLU(), nn.Sequential(nn.Tanh(), nn.Identity())])
def test_from_torch_refuses_a_module_without_a_linear_layer(module):
    with pytest.raises(ValueError, match=r"no Linear layer \(layer 0 \("):
        bridges.from_torch(module)
