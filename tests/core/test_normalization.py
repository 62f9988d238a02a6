"""BatchNorm1D, BatchNorm2D and LayerNorm equal PyTorch's (forward and every gradient, float64, to
1e-10, in training and evaluation mode, running statistics after a few steps) on 15 random
shapes each; the textbook's batch normalisation; gradient checks; Residual; and the running
statistics in ``state_dict``."""

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import textbook as tb
from scratchnn.gradcheck import check_layer

TOL = 1e-10


def batch_shapes(image: bool):
    rng = np.random.default_rng(5 if image else 6)
    shapes = []
    for _ in range(15):
        n, C = int(rng.integers(2, 9)), int(rng.integers(1, 6))
        shapes.append((n, C, int(rng.integers(1, 6)), int(rng.integers(1, 6))) if image
                      else (n, C))
    return shapes


def copy_affine(ours, theirs, torch):
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.gamma))
        theirs.bias.copy_(torch.tensor(ours.beta))


@pytest.mark.parametrize("shape", batch_shapes(False) + batch_shapes(True))
def test_batch_norm_equals_pytorch_in_both_modes(shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(sum(shape))
    C = shape[1]
    momentum = float(rng.uniform(0.05, 0.5))
    ours = (snn.BatchNorm1D if len(shape) == 2 else snn.BatchNorm2D)(C, momentum=momentum)
    theirs = (torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d)(
        C, momentum=momentum, dtype=torch.float64)
    ours.gamma[:], ours.beta[:] = rng.uniform(0.5, 2, C), rng.standard_normal(C)
    copy_affine(ours, theirs, torch)
    for mode in ["train", "train", "train", "eval", "train", "eval"]:
        ours.train(mode == "train"), theirs.train(mode == "train")
        x = rng.standard_normal(shape) * 3 + 1
        upstream = rng.standard_normal(shape)
        xt = torch.tensor(x, requires_grad=True)
        theirs.zero_grad()
        yt = theirs(xt)
        yt.backward(torch.tensor(upstream))
        np.testing.assert_allclose(ours.forward(x), yt.detach().numpy(), rtol=0, atol=TOL)
        np.testing.assert_allclose(ours.backward(upstream), xt.grad.numpy(), rtol=0, atol=TOL)
        np.testing.assert_allclose(ours.dgamma, theirs.weight.grad.numpy(), rtol=0, atol=TOL)
        np.testing.assert_allclose(ours.dbeta, theirs.bias.grad.numpy(), rtol=0, atol=TOL)
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), atol=TOL)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), atol=TOL)


def layer_norm_cases():
    rng = np.random.default_rng(11)
    cases = []
    for _ in range(15):
        k = int(rng.integers(1, 3))
        lead = tuple(int(v) for v in rng.integers(1, 5, int(rng.integers(1, 3))))
        normalized = tuple(int(v) for v in rng.integers(2, 6, k))
        cases.append((lead, normalized))
    return cases


@pytest.mark.parametrize("case", layer_norm_cases())
def test_layer_norm_equals_pytorch(case):
    torch = pytest.importorskip("torch")
    lead, normalized = case
    rng = np.random.default_rng(len(lead) * 10 + sum(normalized))
    ours = snn.LayerNorm(normalized)
    theirs = torch.nn.LayerNorm(normalized, dtype=torch.float64)
    ours.gamma[...] = rng.uniform(0.5, 2, normalized)
    ours.beta[...] = rng.standard_normal(normalized)
    copy_affine(ours, theirs, torch)
    x = rng.standard_normal(lead + normalized) * 2 - 1
    upstream = rng.standard_normal(x.shape)
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.forward(x), yt.detach().numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.backward(upstream), xt.grad.numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.dgamma, theirs.weight.grad.numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.dbeta, theirs.bias.grad.numpy(), rtol=0, atol=TOL)


@pytest.mark.parametrize("shape", [(6, 3), (4, 2, 3, 5)])
def test_batch_norm_computes_the_textbooks_formulas(shape):
    rng = np.random.default_rng(0)
    layer = (snn.BatchNorm1D if len(shape) == 2 else snn.BatchNorm2D)(shape[1])
    layer.gamma[:], layer.beta[:] = rng.uniform(0.5, 2, shape[1]), rng.standard_normal(shape[1])
    x, dy = rng.standard_normal(shape), rng.standard_normal(shape)
    y, cache = tb.batch_norm(x, layer.gamma, layer.beta)
    np.testing.assert_allclose(layer.forward(x), y, atol=1e-12)
    dx, dgamma, dbeta = tb.batch_norm_backward(dy, cache)
    np.testing.assert_allclose(layer.backward(dy), dx, atol=1e-12)
    np.testing.assert_allclose(layer.dgamma, dgamma, atol=1e-12)
    np.testing.assert_allclose(layer.dbeta, dbeta, atol=1e-12)


@pytest.mark.parametrize("make, shape", [
    (lambda: snn.BatchNorm1D(3), (5, 3)), (lambda: snn.BatchNorm2D(2), (3, 2, 4, 3)),
    (lambda: snn.BatchNorm2D(2).eval(), (3, 2, 4, 3)), (lambda: snn.LayerNorm(4), (3, 4)),
    (lambda: snn.LayerNorm((2, 3)), (2, 5, 2, 3))])
def test_normalisation_layers_pass_the_gradient_check(make, shape):
    layer = make()
    rng = np.random.default_rng(1)
    layer.gamma[...] = rng.uniform(0.5, 2, layer.gamma.shape)
    errors = check_layer(layer, rng.standard_normal(shape), rng=2)
    assert set(errors) == {"x", "param0", "param1"}
    assert max(errors.values()) < 1e-7, errors


def test_batch_norm_contract_and_errors():
    layer = snn.BatchNorm2D(3)
    assert [name for name, _ in layer.named_parameters()] == ["gamma", "beta"]
    assert [name for name, _ in layer.named_buffers()] == ["running_mean", "running_var",
                                                       "num_batches_tracked"]
    with pytest.raises(ValueError, match=r"BatchNorm2D\(3\) expects input of shape "
                                         r"\(n, 3, H, W\), got \(4, 2, 5, 5\)"):
        layer.forward(np.zeros((4, 2, 5, 5)))
    with pytest.raises(ValueError, match="more than one value per channel in training mode"):
        snn.BatchNorm1D(2).forward(np.zeros((1, 2)))
    snn.BatchNorm1D(2).eval().forward(np.zeros((1, 2)))  # one sample is fine in eval mode
    with pytest.raises(ValueError, match="momentum must be in"):
        snn.BatchNorm1D(2, momentum=2)
    with pytest.raises(ValueError, match=r"LayerNorm\(4\) expects input of shape \(n, ..., 4\)"):
        snn.LayerNorm(4).forward(np.zeros((2, 3)))
    assert repr(snn.BatchNorm1D(4, momentum=0.2)) == "BatchNorm1D(4, momentum=0.2)"
    assert repr(snn.LayerNorm((2, 3))) == "LayerNorm((2, 3))"


# --- in a network: state_dict, fit, Residual -----------------------------------------------------


def test_running_statistics_are_in_state_dict_and_load_back():
    model = snn.Sequential([snn.Dense(3, 4, rng=0), snn.BatchNorm1D(4), snn.ReLU(),
                            snn.Dense(4, 2, rng=1)])
    model.forward(np.random.default_rng(0).standard_normal((8, 3)))
    state = model.state_dict()
    assert list(state) == ["0.W", "0.b", "1.gamma", "1.beta", "1.running_mean", "1.running_var",
                           "1.num_batches_tracked", "3.W", "3.b"]
    assert state["1.num_batches_tracked"] == 1 and state["1.num_batches_tracked"].dtype == np.int64
    assert not np.allclose(state["1.running_mean"], 0)
    other = snn.Sequential([snn.Dense(3, 4, rng=5), snn.BatchNorm1D(4), snn.ReLU(),
                            snn.Dense(4, 2, rng=6)])
    other.load_state_dict(state)
    np.testing.assert_array_equal(other[1].running_var, state["1.running_var"])
    with pytest.raises(ValueError, match=r"missing keys \['1.running_mean', '1.running_var'\]"):
        other.load_state_dict({k: v for k, v in state.items() if "running" not in k})


def test_evaluation_uses_the_running_statistics():
    layer = snn.BatchNorm1D(2, momentum=1.0)  # running = the last batch's statistics
    x = np.array([[0.0, 1.0], [2.0, 5.0], [4.0, 9.0]])
    layer.forward(x)
    np.testing.assert_allclose(layer.running_mean, [2, 5])
    np.testing.assert_allclose(layer.running_var, [4, 16])  # unbiased: divided by n - 1
    layer.eval()
    np.testing.assert_allclose(layer.forward(np.array([[2.0, 9.0]])),
                               [[0, 4 / np.sqrt(16 + 1e-5)]])


def test_residual_adds_the_input_and_sums_both_gradient_paths():
    rng = np.random.default_rng(0)
    block = snn.Sequential([snn.Dense(4, 4, rng=rng), snn.Tanh(), snn.Dense(4, 4, rng=rng)])
    layer = snn.Residual(block)
    x = rng.standard_normal((5, 4))
    np.testing.assert_allclose(layer.forward(x), block.forward(x) + x)
    assert layer.parameters() == block.parameters()
    assert [name for name, _ in layer.named_parameters()] == ["block.0.W", "block.0.b",
                                                               "block.2.W", "block.2.b"]
    errors = check_layer(layer, x, rng=1)
    assert max(errors.values()) < 1e-7, errors


def test_a_residual_cnn_passes_check_model():
    rng = np.random.default_rng(0)
    model = snn.Sequential([
        # (a bias right before a BatchNorm has a gradient of exactly 0, which finite differences
        # only see as rounding noise: a Tanh between them keeps every checked gradient nonzero)
        snn.Conv2D(1, 3, 3, padding=1, rng=rng), snn.Tanh(), snn.BatchNorm2D(3),
        snn.Residual(snn.Sequential([snn.Conv2D(3, 3, 3, padding=1, rng=rng), snn.Tanh(),
                                     snn.BatchNorm2D(3)])),
        snn.AvgPool2D(2), snn.Flatten(), snn.Dense(3 * 3 * 3, 4, rng=rng), snn.LayerNorm(4),
        snn.Dense(4, 3, rng=rng)])
    report = snn.check_model(model, snn.SoftmaxCrossEntropy(), rng.standard_normal((5, 1, 6, 7)),
                             np.array([0, 1, 2, 1, 0]))
    assert report.ok, str(report)
    assert "BatchNorm2D (layer 2) gamma" in report and "Residual (layer 3) block.0.W" in report
    lines = []
    model.summary(print_fn=lines.append, input_shape=(1, 6, 7))
    assert "(n, 3, 6, 7)" in lines[0] and "(n, 27)" in lines[0]


def test_a_residual_prints_one_layer_per_line_indented_as_pytorch_nests_modules():
    inner = snn.Residual(snn.Sequential([snn.Dense(4, 4, rng=0), snn.Tanh()]))
    block = snn.Residual(snn.Sequential([snn.Dense(4, 4, rng=0), snn.ReLU(), inner]))
    assert repr(inner) == "Residual(Sequential([\n    Dense(4, 4),\n    Tanh(),\n]))"
    assert repr(snn.Residual(snn.Dense(3, 3, rng=0))) == "Residual(Dense(3, 3))"
    model = snn.Sequential([snn.Dense(2, 4, rng=0), block, snn.Dense(4, 1, rng=0)])
    assert repr(model) == (
        "Sequential([\n"
        "    Dense(2, 4),            # -> (n, 4), 12 parameters\n"
        "    Residual(Sequential([   # -> (n, 4), 40 parameters\n"
        "        Dense(4, 4),\n"
        "        ReLU(),\n"
        "        Residual(Sequential([\n"
        "            Dense(4, 4),\n"
        "            Tanh(),\n"
        "        ])),\n"
        "    ])),\n"
        "    Dense(4, 1),            # -> (n, 1), 5 parameters\n"
        "])  # 57 parameters")
    lines = []
    model.summary(print_fn=lines.append)
    table = lines[0].split("\n")
    assert table[3].split() == ["Residual(Sequential([", "(n,", "4)", "40"]
    assert table[4:11] == ["    Dense(4, 4),", "    ReLU(),", "    Residual(Sequential([",
                           "        Dense(4, 4),", "        Tanh(),", "    ])),", "]))"]
    assert table[11].split() == ["Dense(4,", "1)", "(n,", "1)", "5"]


def test_reset_parameters_starts_every_layer_afresh_inside_residual_blocks_too():
    rng = np.random.default_rng(0)
    model = snn.Sequential([snn.Dense(3, 4, rng=rng), snn.BatchNorm1D(4), snn.ReLU(),
                            snn.Residual(snn.Sequential([snn.Dense(4, 4, rng=rng),
                                                         snn.LayerNorm(4)])),
                            snn.Dense(4, 1, rng=rng)])
    snn.fit(model, rng.standard_normal((40, 3)), rng.integers(0, 2, 40), lr=0.5, epochs=5)
    trained = model.state_dict()
    model.reset_parameters(np.random.default_rng(1))
    fresh = model.state_dict()
    for key in ("1.gamma", "1.running_var", "3.block.1.gamma"):
        np.testing.assert_array_equal(fresh[key], np.ones(4))
    for key in ("1.beta", "1.running_mean", "3.block.0.b", "3.block.1.beta"):
        np.testing.assert_array_equal(fresh[key], np.zeros(4))
    assert fresh["1.num_batches_tracked"] == 0 and trained["1.num_batches_tracked"] == 5
    for key in ("0.W", "3.block.0.W", "4.W"):  # new draws, the inner block's too
        assert not np.allclose(fresh[key], trained[key]), key


def test_residual_refuses_a_block_that_changes_the_shape():
    layer = snn.Residual(snn.Dense(3, 2, rng=0))
    with pytest.raises(ValueError, match="the two shapes must be equal"):
        layer.forward(np.zeros((4, 3)))
    with pytest.raises(TypeError, match="Residual takes a Sequential or a layer"):
        snn.Residual(3)


def test_batch_norm_helps_fit_train_a_deep_tanh_network():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    layers = [snn.Dense(5, 16, rng=rng), snn.BatchNorm1D(16), snn.Tanh()]
    for _ in range(3):
        layers += [snn.Dense(16, 16, rng=rng), snn.BatchNorm1D(16), snn.Tanh()]
    model = snn.Sequential([*layers, snn.Dense(16, 2, rng=rng)])
    history = snn.fit(model, X, y, optimizer=snn.Adam(model.parameters(), lr=0.01), epochs=60,
                      batch_size=32, rng=0)
    assert history.loss[-1] < 0.3
    assert np.mean(model.predict(X) == y) > 0.9


@pytest.mark.parametrize("momentum", [None, 0.3])
def test_num_batches_tracked_and_the_cumulative_average_equal_pytorch(momentum):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(21)
    ours, theirs = snn.BatchNorm2D(3, momentum=momentum), torch.nn.BatchNorm2d(
        3, momentum=momentum, dtype=torch.float64)
    batches = [rng.standard_normal((4, 3, 2, 5)) * (k + 1) + k for k in range(5)]
    for k, x in enumerate(batches, start=1):
        ours.forward(x), theirs(torch.tensor(x))
        assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == k
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), atol=TOL)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), atol=TOL)
    ours.eval().forward(batches[0])  # evaluation mode counts no batch
    assert int(ours.num_batches_tracked) == 5
    if momentum is None:  # the plain average of the five batches' means
        means = np.mean([x.mean(axis=(0, 2, 3)) for x in batches], axis=0)
        np.testing.assert_allclose(ours.running_mean, means, atol=1e-12)
    assert repr(snn.BatchNorm1D(2, momentum=None)) == "BatchNorm1D(2, momentum=None)"
