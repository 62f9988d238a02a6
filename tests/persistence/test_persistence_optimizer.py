"""An optimizer in a model file: ``save(..., optimizer=opt)`` and ``load(..., optimizer=True)``
resume a run exactly; its arrays and settings are checked like the weights; a file without an
optimizer stays a format-2 file."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import scratchnn as snn
from scratchnn.persistence import FORMAT_VERSION, HEADER_KEY, ModelFileError
from scratchnn.persistence.format import _checksum

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 3))
Y = (X[:, :1] + X[:, 1:2] > 0).astype(float)

OPTIMIZERS = [
    (snn.SGD, {"lr": 0.1, "momentum": 0.9}),
    (snn.SGD, {"lr": 0.05, "momentum": 0.5, "nesterov": True, "weight_decay": 0.01}),
    (snn.Adam, {"lr": 0.01, "betas": (0.8, 0.99)}),
    (snn.RMSprop, {"lr": 0.01, "alpha": 0.9}),
]


def steps(model: snn.Sequential, optimizer, k: int) -> None:
    loss = snn.BinaryCrossEntropy()
    for _ in range(k):
        loss.forward(model.forward(X), Y)
        model.backward(loss.backward())
        optimizer.step()


def members_of(path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def rewrite(path, edit, *, reseal: bool = True) -> None:
    """Rewrite the file with ``edit(header, arrays)`` applied; with ``reseal`` the checksum
    fits the edit, as a careless or hostile writer would make it."""
    members = members_of(path)
    header = json.loads(members.pop(HEADER_KEY).tobytes())
    edit(header, members)
    if reseal:
        header["checksum"]["value"] = _checksum(header, members)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        np.savez(f, allow_pickle=False, **{HEADER_KEY: np.frombuffer(text, np.uint8)}, **members)


@pytest.fixture
def saved_adam(tmp_path):
    model = snn.mlp([3, 5, 1], rng=0)
    opt = snn.Adam(model.parameters(), lr=0.01)
    steps(model, opt, 3)
    return snn.save(model, tmp_path / "adam.npz", optimizer=opt)


@pytest.mark.parametrize(("cls", "settings"), OPTIMIZERS)
def test_save_after_5_steps_load_and_5_more_equal_10_straight(cls, settings, tmp_path):
    straight = snn.mlp([3, 5, 4, 1], rng=1)
    steps(straight, cls(straight.parameters(), **settings), 10)
    model = snn.mlp([3, 5, 4, 1], rng=1)
    opt = cls(model.parameters(), **settings)
    steps(model, opt, 5)
    path = snn.save(model, tmp_path / "run.npz", optimizer=opt)

    loaded, resumed = snn.load(path, optimizer=True)
    assert type(resumed) is cls
    assert repr(resumed) == repr(opt)  # class and settings
    loaded.train()
    steps(loaded, resumed, 5)
    for (a, _), (b, _) in zip(straight.parameters(), loaded.parameters()):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-12)


def test_the_state_is_stored_as_arrays_and_the_scalars_in_the_header(saved_adam):
    members = members_of(saved_adam)
    header = json.loads(members[HEADER_KEY].tobytes())
    assert header["format_version"] == FORMAT_VERSION == 3
    section = header["optimizer"]
    assert section["class"] == "Adam"
    assert section["param_groups"][0]["betas"] == [0.9, 0.999]
    assert section["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert section["state"][0] == {"param": 0, "scalars": {"step": 3},
                                   "arrays": ["exp_avg", "exp_avg_sq"]}
    assert members["optimizer_0_exp_avg"].shape == (3, 5)
    assert members["optimizer_3_exp_avg_sq"].shape == (1,)


def test_a_file_without_an_optimizer_is_format_2_and_loads_none(tmp_path):
    model = snn.mlp([3, 5, 1], rng=0)
    path = snn.save(model, tmp_path / "m.npz")
    members = members_of(path)
    header = json.loads(members[HEADER_KEY].tobytes())
    assert header["format_version"] == 2 and "optimizer" not in header
    assert set(members) == {HEADER_KEY, "dense_0_W", "dense_0_b", "dense_1_W", "dense_1_b"}
    loaded, optimizer = snn.load(path, optimizer=True)
    assert optimizer is None
    np.testing.assert_array_equal(loaded.forward(X), model.forward(X))
    assert isinstance(snn.load(path), snn.Sequential)  # without optimizer=True: the model alone


def test_return_header_comes_last(saved_adam):
    model, optimizer, header = snn.load(saved_adam, optimizer=True, return_header=True)
    assert isinstance(model, snn.Sequential) and isinstance(optimizer, snn.Adam)
    assert header["optimizer"]["class"] == "Adam"
    model, header = snn.load(saved_adam, return_header=True)
    assert isinstance(model, snn.Sequential) and header["kind"] == "Sequential"


def test_an_optimizer_before_its_first_step_round_trips(tmp_path):
    model = snn.mlp([3, 4, 1], rng=0)
    opt = snn.SGD(model.parameters(), lr=0.3, momentum=0.9)
    path = snn.save(model, tmp_path / "fresh.npz", optimizer=opt)
    _, loaded = snn.load(path, optimizer=True)
    assert loaded.state_dict()["state"] == {}
    assert repr(loaded) == repr(opt)


def test_an_estimator_saves_with_an_optimizer(tmp_path):
    clf = snn.MLPClassifier((4,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 3 epochs do not converge, on purpose
        clf.fit(X, Y.ravel().astype(int))
    opt = snn.Adam(clf.model_.parameters(), lr=0.01)
    steps(clf.model_, opt, 2)
    path = snn.save(clf, tmp_path / "clf.npz", optimizer=opt)
    loaded, resumed = snn.load(path, optimizer=True)
    assert isinstance(loaded, snn.MLPClassifier) and isinstance(resumed, snn.Adam)
    assert resumed.params[0][0] is loaded.model_.parameters()[0][0]


def test_an_optimizer_of_another_model_or_class_is_refused(tmp_path):
    model, other = snn.mlp([3, 5, 1], rng=0), snn.mlp([3, 5, 1], rng=1)
    with pytest.raises(ValueError, match="does not update the parameters of the model"):
        snn.save(model, tmp_path / "m.npz", optimizer=snn.SGD(other.parameters(), lr=0.1))

    class MySGD(snn.SGD):
        pass

    with pytest.raises(TypeError, match="cannot save an optimizer of type MySGD"):
        snn.save(model, tmp_path / "m.npz", optimizer=MySGD(model.parameters(), lr=0.1))
    assert not (tmp_path / "m.npz").exists()


def test_non_finite_optimizer_state_is_refused_both_ways(saved_adam, tmp_path):
    model = snn.mlp([3, 5, 1], rng=0)
    opt = snn.Adam(model.parameters(), lr=0.01)
    steps(model, opt, 1)
    opt.m[0][0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        snn.save(model, tmp_path / "nan.npz", optimizer=opt)

    def plant_nan(header, arrays):
        arrays["optimizer_1_exp_avg"] = np.full_like(arrays["optimizer_1_exp_avg"], np.inf)

    rewrite(saved_adam, plant_nan)
    with pytest.raises(ModelFileError, match="optimizer state 'optimizer_1_exp_avg' holds NaN"):
        snn.load(saved_adam, optimizer=True)


def test_edited_optimizer_state_fails_the_checksum(saved_adam):
    def edit(header, arrays):
        arrays["optimizer_0_exp_avg"] = arrays["optimizer_0_exp_avg"] + 1.0

    rewrite(saved_adam, edit, reseal=False)
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        snn.load(saved_adam, optimizer=True)


def _set(path: list, value):
    def edit(header, arrays):
        target = header["optimizer"]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


@pytest.mark.parametrize(("edit", "message"), [
    (_set(["class"], "os.system"), "names the optimizer 'os.system'"),
    (_set(["class"], "adam"), "names the optimizer 'adam'"),
    (_set(["param_groups"], []), "param_groups must be a list"),
    (_set(["param_groups", 0, "params"], [0, 1, 2]), "name each of the model's 4 parameters"),
    (_set(["param_groups", 0, "params"], [0, 1, 2, 9]), "parameter positions below 4"),
    (_set(["param_groups", 0, "lr"], {"a": 1}), "not a number or a short list"),
    (_set(["param_groups", 0, "betas"], list(range(100))), "not a number or a short list"),
    (_set(["state", 1, "param"], 0), "not a new position below 4"),
    (_set(["state", 0, "arrays"], ["exp_avg", "../../etc"]), "distinct lower-case names"),
    (_set(["state", 0, "arrays"], [f"a{i}" for i in range(9)]), "at most 8"),
    (_set(["state", 0, "scalars"], {"step": "five"}), "must be numbers"),
    (_set(["state", 0, "arrays"], ["exp_avg", "exp_avg_sq", "extra"]), "missing: \\['optim"),
    (_set(["state", 0, "arrays"], ["exp_avg"]), "unexpected: \\['optimizer_0_exp_avg_sq"),
    (_set(["param_groups", 0, "betas"], [0.9, 1.5]), "optimizer section cannot be used"),
    (lambda header, arrays: header.update(format_version=2), "needs format version 3"),
])
def test_a_malformed_optimizer_section_is_refused(saved_adam, edit, message):
    rewrite(saved_adam, edit)
    with pytest.raises(ModelFileError, match=message):
        snn.load(saved_adam, optimizer=True)


def test_a_state_array_of_the_wrong_shape_is_refused_before_it_is_read(saved_adam):
    def edit(header, arrays):
        arrays["optimizer_0_exp_avg"] = np.zeros((3, 6))

    rewrite(saved_adam, edit)
    with pytest.raises(ModelFileError, match="'optimizer_0_exp_avg' has shape \\(3, 6\\)"):
        snn.load(saved_adam, optimizer=True)
