"""Model files with convolutions, pooling, normalisation and residual blocks: a bit-identical
round trip of settings, parameters and BatchNorm's running statistics (with the optimizer too),
and the hostile-file rules for the new layer kinds (settings checked, arrays checked against the
architecture before they are read)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import scratchnn as snn
from scratchnn.persistence import HEADER_KEY, ModelFileError
from scratchnn.persistence.format import _checksum


def cnn(dtype=np.float64, seed=0) -> snn.Sequential:
    rng = np.random.default_rng(seed)
    return snn.Sequential([
        snn.Conv2D(1, 4, 3, padding=1, rng=rng, dtype=dtype), snn.Tanh(),
        snn.BatchNorm2D(4, momentum=0.3, dtype=dtype),
        snn.Residual(snn.Sequential([snn.Conv2D(4, 4, (3, 1), padding=(1, 0), rng=rng,
                                                dtype=dtype), snn.ReLU()])),
        snn.MaxPool2D(2), snn.AvgPool2D((2, 1), stride=1), snn.Flatten(),
        snn.Dense(4 * 3 * 4, 6, rng=rng, dtype=dtype), snn.BatchNorm1D(6, eps=1e-3, dtype=dtype),
        snn.LayerNorm(6, dtype=dtype), snn.Dense(6, 3, rng=rng, dtype=dtype)])


def trained(model: snn.Sequential, steps: int = 3):
    """A few Adam steps, so the biases, gammas, betas and running statistics are not their
    initial values; returns the optimizer."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((8, 1, 8, 8)).astype(model.dtype)
    y = rng.integers(0, 3, 8)
    loss, opt = snn.SoftmaxCrossEntropy(), snn.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        loss.forward(model.forward(X), y)
        model.backward(loss.backward())
        opt.step()
    return opt, X


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_cnn_round_trips_bit_identically_with_its_running_statistics(tmp_path, dtype):
    model = cnn(dtype)
    opt, X = trained(model)
    path = snn.save(model, tmp_path / "cnn.npz", optimizer=opt)
    loaded, loaded_opt, header = snn.load(path, optimizer=True, return_header=True)
    assert [repr(layer) for layer in loaded.layers] == [repr(layer) for layer in model.layers]
    state, loaded_state = model.state_dict(), loaded.state_dict()
    assert list(loaded_state) == list(state)
    assert "2.running_mean" in state and "3.block.0.W" in state
    for key, value in state.items():
        counter = key.endswith("num_batches_tracked")  # an integer, as in PyTorch
        assert loaded_state[key].dtype == (np.int64 if counter else dtype)
        np.testing.assert_array_equal(loaded_state[key], value, err_msg=key)
    model.eval()
    np.testing.assert_array_equal(loaded.predict_logits(X), model.predict_logits(X))
    assert header["input_shape"] == [1, None, None] and "n_inputs" not in header
    assert header["architecture"][3]["block"][0]["kernel_size"] == [3, 1]
    # the optimizer goes on where it left off: one more identical step on both
    for m, o in ((model, opt), (loaded, loaded_opt)):
        m.train()
        loss = snn.SoftmaxCrossEntropy()
        loss.forward(m.forward(X), np.arange(8) % 3)
        m.backward(loss.backward())
        o.step()
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key], value, err_msg=key)


def test_conv1d_and_a_bare_residual_layer_round_trip(tmp_path):
    model = snn.Sequential([snn.Conv1D(2, 3, 3, stride=2, padding=1, rng=0), snn.ReLU(),
                            snn.Residual(snn.Conv1D(3, 3, 3, padding=1, rng=1)), snn.Flatten(),
                            snn.Dense(15, 1, rng=2)])
    X = np.random.default_rng(0).standard_normal((4, 2, 10))
    loaded = snn.load(snn.save(model, tmp_path / "seq.npz"))
    assert repr(loaded.layers[0]) == "Conv1D(2, 3, 3, stride=2, padding=1)"
    np.testing.assert_array_equal(loaded.predict_logits(X), model.predict_logits(X))


# --- hostile files ------------------------------------------------------------------------------


def members_of(path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def rewrite_resealed(path, header: dict, members: dict[str, np.ndarray]) -> None:
    """Write the edited file with a checksum that fits it, so that what refuses it is the check
    behind the checksum."""
    arrays = {name: array for name, array in members.items() if name != HEADER_KEY}
    header["checksum"]["value"] = _checksum(header, arrays)
    members = {**arrays, HEADER_KEY: np.frombuffer(json.dumps(header).encode(), np.uint8)}
    with open(path, "wb") as f:
        np.savez(f, allow_pickle=False, **members)


@pytest.fixture
def saved_cnn(tmp_path):
    model = cnn()
    trained(model, steps=1)
    path = snn.save(model, tmp_path / "cnn.npz")
    members = members_of(path)
    return path, members, json.loads(members[HEADER_KEY].tobytes())


@pytest.mark.parametrize(("layer", "change", "message"), [
    (0, {"kernel_size": [3, 0]}, r"layer 0 \('Conv2D'\) needs kernel_size as a pair of integers"),
    (0, {"padding": [-1, 0]}, r"needs padding as a pair of integers >= 0"),
    (0, {"in_channels": True}, r"needs positive integer in_channels and out_channels"),
    (2, {"momentum": 5}, r"layer 2 \('BatchNorm2D'\) needs a positive integer num_features, "
                         r"momentum in \[0, 1\]"),
    (2, {"eps": -1}, r"eps > 0"),
    (2, {"num_batches_tracked": -1}, r"num_batches_tracked >= 0"),
    (2, {"num_batches_tracked": 2.5}, r"num_batches_tracked >= 0"),
    (4, {"stride": "2"}, r"layer 4 \('MaxPool2D'\) needs stride as a pair of positive integers"),
    (9, {"normalized_shape": []}, r"layer 9 \('LayerNorm'\) needs normalized_shape"),
    (3, {"block": []}, r"layer 3 \('Residual'\)'s block must be a non-empty list of layers"),
    (3, {"block": [{"kind": "Attention"}]}, r"block: layer 0 has unknown kind 'Attention'"),
])
def test_bad_settings_of_the_new_layers_are_refused(saved_cnn, layer, change, message):
    path, members, header = saved_cnn
    header["architecture"][layer].update(change)
    rewrite_resealed(path, header, members)
    with pytest.raises(ModelFileError, match=message):
        snn.load(path)


def test_arrays_must_fit_the_architecture(saved_cnn):
    path, members, header = saved_cnn
    header["architecture"][0]["out_channels"] = 5  # the file's W is (4, 1, 3, 3)
    rewrite_resealed(path, header, members)
    with pytest.raises(ModelFileError, match=r"'layer_0_W' has shape \(4, 1, 3, 3\), but the "
                                             r"architecture needs \(5, 1, 3, 3\)"):
        snn.load(path)


def test_missing_running_statistics_are_refused(saved_cnn):
    path, members, header = saved_cnn
    del members["layer_2_running_var"]
    rewrite_resealed(path, header, members)
    with pytest.raises(ModelFileError, match=r"missing: \['layer_2_running_var'\]"):
        snn.load(path)


def test_residual_blocks_nested_too_deep_are_refused(saved_cnn):
    path, members, header = saved_cnn
    spec = {"kind": "ReLU"}
    for _ in range(12):
        spec = {"kind": "Residual", "block": [spec]}
    header["architecture"].insert(1, spec)
    rewrite_resealed(path, header, members)
    with pytest.raises(ModelFileError, match="residual blocks nest deeper than 8"):
        snn.load(path)


def test_non_finite_running_statistics_are_refused_both_ways(tmp_path, saved_cnn):
    model = cnn()
    model.layers[2].running_var[1] = np.nan
    with pytest.raises(ValueError, match=r"layer 2 \(BatchNorm2D\): its array "
                                         r"layer_2_running_var holds 1 NaN or infinite value"):
        snn.save(model, tmp_path / "broken.npz")
    path, members, header = saved_cnn
    members["layer_0_W"] = np.full_like(members["layer_0_W"], np.inf)
    rewrite_resealed(path, header, members)
    with pytest.raises(ModelFileError, match=r"layer 0 \(Conv2D\): its array layer_0_W holds 36"):
        snn.load(path)


def test_momentum_none_and_the_batch_count_round_trip(tmp_path):
    model = snn.Sequential([snn.Dense(3, 4, rng=0), snn.BatchNorm1D(4, momentum=None),
                            snn.Dense(4, 2, rng=1)])
    for seed in range(3):
        model.forward(np.random.default_rng(seed).standard_normal((6, 3)))
    loaded = snn.load(snn.save(model, tmp_path / "bn.npz"))
    assert loaded[1].momentum is None and int(loaded[1].num_batches_tracked) == 3
    loaded.train().forward(np.ones((2, 3)))  # the next step is the fourth batch's: a 1/4 step
    assert int(loaded[1].num_batches_tracked) == 4


def test_a_file_without_the_batch_count_loads_with_zero(saved_cnn):
    path, members, header = saved_cnn
    del header["architecture"][2]["num_batches_tracked"]
    rewrite_resealed(path, header, members)
    assert int(snn.load(path)[2].num_batches_tracked) == 0
