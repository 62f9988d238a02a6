"""scratchnn <-> PyTorch for networks on images and sequences: convolutions, pooling,
normalisation, Flatten and residual blocks cross both ways with the same outputs (1e-10 in
float64, 1e-6 in float32, relative to the size of the outputs), in training and evaluation
mode; what has no equivalent is refused with the layer's name."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import bridges

torch = pytest.importorskip("torch")
nn = torch.nn

TOLERANCE = {np.float32: 1e-6, np.float64: 1e-10}


def assert_close(actual, expected, dtype):
    bound = TOLERANCE[dtype] * max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=bound)


def small_cnn(dtype, seed: int = 0) -> snn.Sequential:
    """Every layer kind once: (n, 2, 9, 9) -> (n, 3)."""
    rng = np.random.default_rng(seed)
    model = snn.Sequential([
        snn.Conv2D(2, 4, 3, stride=2, padding=2, rng=rng, dtype=dtype),  # -> (4, 6, 6)
        snn.BatchNorm2D(4, momentum=0.2, dtype=dtype), snn.ReLU(),
        snn.Residual(snn.Sequential([snn.Conv2D(4, 4, (3, 1), padding=(1, 0), rng=rng,
                                                dtype=dtype), snn.Tanh()])),
        snn.MaxPool2D(2),  # -> (4, 3, 3)
        snn.AvgPool2D(2, stride=1),  # -> (4, 2, 2)
        snn.Flatten(), snn.Dense(16, 6, rng=rng, dtype=dtype),
        snn.BatchNorm1D(6, momentum=None, eps=1e-3, dtype=dtype),
        snn.LayerNorm(6, dtype=dtype), snn.LeakyReLU(0.1), snn.Dense(6, 3, rng=rng, dtype=dtype)])
    for layer in [model[0], model[3].block[0], model[7], model[11]]:
        layer.b[...] = rng.normal(size=layer.b.shape)  # biases are zero after init
    for norm in [model[1], model[8], model[9]]:
        norm.gamma[...] = rng.uniform(0.5, 2, norm.gamma.shape)
        norm.beta[...] = rng.normal(size=norm.beta.shape)
    for seed in range(3):  # running statistics away from their initial values
        model.forward(images(dtype, seed + 10))
    return model


def conv1d_net(dtype) -> snn.Sequential:
    rng = np.random.default_rng(3)
    model = snn.Sequential([snn.Conv1D(2, 3, 3, stride=2, padding=1, rng=rng, dtype=dtype),
                            snn.Tanh(), snn.Conv1D(3, 2, 2, rng=rng, dtype=dtype), snn.Flatten(),
                            snn.Dense(6, 2, rng=rng, dtype=dtype)])
    model[0].b[...] = rng.normal(size=3)
    return model


def images(dtype, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(8, 2, 9, 9)).astype(dtype)


def torch_forward(module, X: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.from_numpy(X)).numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_to_torch_gives_the_same_outputs_and_running_statistics(dtype):
    model = small_cnn(dtype)
    module = bridges.to_torch(model.eval())
    assert not module.training
    X = images(dtype, 1)
    out = torch_forward(module, X)
    assert out.dtype == dtype
    assert_close(out, model.forward(X), dtype)
    module.train(), model.train()  # batch statistics, and one more step of the running ones
    assert_close(torch_forward(module, X), model.forward(X), dtype)
    ours, theirs = model.state_dict(), module.state_dict()
    for key in ["1.running_var", "8.running_mean", "8.num_batches_tracked"]:
        assert_close(theirs[key].numpy(), ours[key], dtype)
    assert int(theirs["8.num_batches_tracked"]) == 4


def test_to_torch_module_kinds_and_settings():
    model = small_cnn(np.float64)
    module = bridges.to_torch(model)
    kinds = [type(m).__name__ for m in module]
    assert kinds == ["Conv2d", "BatchNorm2d", "ReLU", "TorchResidual", "MaxPool2d", "AvgPool2d",
                     "Flatten", "Linear", "BatchNorm1d", "LayerNorm", "LeakyReLU", "Linear"]
    assert module[0].stride == (2, 2) and module[0].padding == (2, 2)
    assert module[1].momentum == 0.2 and module[8].momentum is None and module[8].eps == 1e-3
    assert [type(m).__name__ for m in module[3].block] == ["Conv2d", "Tanh"]
    assert module[5].stride == (1, 1) and module[5].kernel_size == (2, 2)
    np.testing.assert_array_equal(module[0].weight.detach().numpy(), model[0].W)  # same layout


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv1d_crosses_both_ways(dtype):
    model = conv1d_net(dtype)
    X = np.random.default_rng(4).normal(size=(5, 2, 7)).astype(dtype)
    module = bridges.to_torch(model)
    assert isinstance(module[0], nn.Conv1d) and module[0].stride == (2,)
    assert_close(torch_forward(module, X), model.forward(X), dtype)
    back = bridges.from_torch(module)
    assert isinstance(back[0], snn.Conv1D) and repr(back[0]) == repr(model[0])
    assert_close(back.forward(X), model.forward(X), dtype)


def torch_cnn(dtype):
    """A PyTorch network with every convertible kind, trained a little so that the running
    statistics and the biases are not their initial values."""
    torch.manual_seed(0)
    TorchResidual = bridges.residual_module()
    module = nn.Sequential(
        nn.Conv2d(2, 4, 3, stride=(2, 1), padding=1), nn.BatchNorm2d(4), nn.ReLU(),
        TorchResidual(nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.Sigmoid())),
        nn.MaxPool2d(2, stride=1), nn.AvgPool2d((2, 3)), nn.Flatten(),
        nn.Linear(4 * 2 * 2, 5), nn.BatchNorm1d(5, momentum=None), nn.LayerNorm(5), nn.Tanh(),
        nn.Sequential(nn.Dropout(0.2), nn.Linear(5, 3, bias=False))).to(
        getattr(torch, np.dtype(dtype).name))
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn_like(p) * 0.3)
        for seed in range(3):
            module(torch.from_numpy(images(dtype, seed)))
    return module


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_from_torch_gives_the_same_outputs_in_both_modes(dtype):
    module = torch_cnn(dtype)
    model = bridges.from_torch(module.eval())
    assert not model.training
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "BatchNorm2D", "ReLU", "Residual", "MaxPool2D", "AvgPool2D",
                     "Flatten", "Dense", "BatchNorm1D", "LayerNorm", "Tanh", "Dropout", "Dense"]
    assert model[8].momentum is None and int(model[8].num_batches_tracked) == 3
    X = images(dtype, 7)
    assert_close(model.forward(X), torch_forward(module, X), dtype)
    model.train(), module.train()
    module[11][0].p = model[11].p = 0.0  # dropout draws differ between the libraries
    assert_close(model.forward(X), torch_forward(module, X), dtype)
    np.testing.assert_allclose(model[1].running_mean, module[1].running_mean.numpy(),
                               rtol=0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_gives_back_identical_arrays(dtype):
    model = small_cnn(dtype)
    back = bridges.from_torch(bridges.to_torch(model))
    assert [repr(layer) for layer in back.layers] == [repr(layer) for layer in model.layers]
    ours, theirs = model.state_dict(), back.state_dict()
    assert list(theirs) == list(ours)
    for key in ours:
        np.testing.assert_array_equal(theirs[key], ours[key], err_msg=key)
        assert theirs[key].dtype == ours[key].dtype
    X = images(dtype, 2)
    np.testing.assert_array_equal(back.eval().forward(X), model.eval().forward(X))


def test_layer_norm_without_affine_and_conv_without_bias():
    module = nn.Sequential(nn.Conv2d(1, 2, 2, bias=False, padding="valid", dtype=torch.float64),
                           nn.Flatten(), nn.LayerNorm(8, elementwise_affine=False))
    model = bridges.from_torch(module)
    np.testing.assert_array_equal(model[0].b, 0)
    np.testing.assert_array_equal(model[2].gamma, 1)
    X = np.random.default_rng(0).normal(size=(3, 1, 3, 3))
    assert_close(model.forward(X), torch_forward(module, X), np.float64)


@pytest.mark.parametrize(("layer", "setting"), [
    (nn.Conv2d(2, 2, 3, dilation=2), r"dilation=\(2, 2\); use dilation=1"),
    (nn.Conv2d(2, 2, 3, groups=2), r"groups=2; use groups=1"),
    (nn.Conv2d(2, 2, 3, padding="same"), r"padding='same'"),
    (nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"), r"padding_mode='reflect'"),
    (nn.Conv1d(2, 2, 3, dilation=3), r"dilation=\(3,\)"),
    (nn.MaxPool2d(2, padding=1), r"padding=1"),
    (nn.MaxPool2d(2, ceil_mode=True), r"ceil_mode=True"),
    (nn.AvgPool2d(2, divisor_override=3), r"divisor_override=3"),
    (nn.BatchNorm2d(2, track_running_stats=False), r"track_running_stats=False"),
    (nn.Flatten(start_dim=2), r"start_dim=2"),
])
def test_settings_without_an_equivalent_are_refused_naming_the_layer(layer, setting):
    module = nn.Sequential(nn.Identity(), nn.Sequential(layer))
    name = type(layer).__name__
    with pytest.raises(TypeError, match=rf"layer 1 \({name}: .*no equivalent of its {setting}"):
        bridges.from_torch(module)


def test_a_layer_inside_a_residual_block_is_named_by_its_path():
    TorchResidual = bridges.residual_module()
    module = nn.Sequential(nn.ReLU(), TorchResidual(nn.Sequential(nn.ReLU(), nn.GELU())))
    with pytest.raises(TypeError, match=r"layer 1\.block\.1 \(GELU"):
        bridges.from_torch(module)
