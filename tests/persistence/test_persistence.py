"""save / load: round trips, every refused file, no pickle, atomic writes under SIGKILL."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest

import scratchnn as snn
from scratchnn.persistence import FORMAT_VERSION, HEADER_KEY, ModelFileError, read_header
from scratchnn.persistence.format import _checksum


def every_layer_model(dtype, seed=0) -> snn.Sequential:
    rng = np.random.default_rng(seed)
    return snn.Sequential([
        snn.Dense(3, 5, rng=rng, dtype=dtype), snn.ReLU(),
        snn.Dense(5, 4, rng=rng, dtype=dtype), snn.LeakyReLU(0.2), snn.Dropout(0.3, rng=rng),
        snn.Dense(4, 4, rng=rng, dtype=dtype), snn.Tanh(),
        snn.Dense(4, 3, rng=rng, dtype=dtype), snn.Sigmoid(),
        snn.Dense(3, 2, rng=rng, dtype=dtype), snn.Identity(),
    ])


def randomise_biases(model, seed=1):
    rng = np.random.default_rng(seed)
    for layer in model.dense_layers:
        layer.b[...] = rng.normal(size=layer.b.shape)


@pytest.fixture
def saved(tmp_path):
    """A saved float64 model and its path."""
    model = every_layer_model(np.float64)
    path = tmp_path / "model.npz"
    snn.save(model, path)
    return model, path


def rewrite(path, members: dict[str, np.ndarray], allow_pickle=False):
    with open(path, "wb") as f:
        np.savez(f, allow_pickle=allow_pickle, **members)


def members_of(path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def header_array(header: dict) -> np.ndarray:
    return np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)


def resealed(header: dict, members: dict[str, np.ndarray]) -> np.ndarray:
    """The header array with a checksum that fits the edited header: a consistent file, so
    that the checks behind the checksum are what refuses it."""
    arrays = {name: array for name, array in members.items() if name != HEADER_KEY}
    header["checksum"]["value"] = _checksum(header, arrays)
    return header_array(header)


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_every_layer_kind_is_bit_identical(tmp_path, dtype):
    model = every_layer_model(dtype)
    randomise_biases(model)
    X = np.random.default_rng(2).normal(size=(20, 3)).astype(dtype)
    model.eval()
    expected = model.forward(X)
    path = snn.save(model, tmp_path / "m.npz")
    loaded = snn.load(path)
    assert isinstance(loaded, snn.Sequential)
    assert [type(a) for a in loaded.layers] == [type(b) for b in model.layers]
    assert loaded.layers[3].negative_slope == 0.2 and loaded.layers[4].p == 0.3
    assert loaded.dtype == np.dtype(dtype)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    got = loaded.forward(X)
    assert got.dtype == np.dtype(dtype)
    assert np.array_equal(got, expected)


def test_header_describes_the_model_and_keeps_metadata(tmp_path):
    model = every_layer_model(np.float32)
    metadata = {"lift": "squares", "feature_names": ["x1", "x2", "x3"], "classes": [-1, 1]}
    path = snn.save(model, tmp_path / "m.npz", metadata=metadata)
    header = read_header(path)
    assert header["format"] == "scratchnn-model"
    assert header["format_version"] == 2 < FORMAT_VERSION  # no optimizer: still format 2
    assert header["library_version"] == snn.__version__
    assert header["dtype"] == "float32"
    assert header["architecture"][0] == {"kind": "Dense", "n_in": 3, "n_out": 5}
    assert header["architecture"][3] == {"kind": "LeakyReLU", "negative_slope": 0.2}
    assert header["metadata"] == metadata
    loaded, header2 = snn.load(path, return_header=True)
    assert header2 == header
    assert isinstance(loaded, snn.Sequential)


def test_saving_replaces_an_existing_file_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "m.npz"
    snn.save(every_layer_model(np.float64, seed=0), path)
    second = every_layer_model(np.float64, seed=5)
    snn.save(second, path)
    loaded = snn.load(path)
    for a, b in zip(loaded.get_weights(), second.get_weights()):
        assert np.array_equal(a, b)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_saved_files_get_the_usual_mode_of_new_files(tmp_path, umask):
    """Like open(path, "w"): 0o666 minus the umask (not mkstemp's 0600), also when replacing."""
    old = os.umask(umask)
    try:
        (tmp_path / "reference.txt").write_text("x")
        path = tmp_path / "m.npz"
        snn.save(every_layer_model(np.float64), path)
        first = path.stat().st_mode & 0o777
        snn.save(every_layer_model(np.float64, seed=3), path)
        replaced = path.stat().st_mode & 0o777
    finally:
        os.umask(old)
    expected = (tmp_path / "reference.txt").stat().st_mode & 0o777
    assert expected == 0o666 & ~umask
    assert (first, replaced) == (expected, expected)


def test_an_unwritable_folder_is_reported_with_the_target_path(tmp_path, monkeypatch):
    from scratchnn import _files

    def refuse(folder, **kwargs):
        raise PermissionError(13, "Permission denied", os.path.join(folder, ".m.npz.123.tmp"))

    monkeypatch.setattr(_files, "create_temporary_file", refuse)
    with pytest.raises(PermissionError, match=re.escape(
            f"cannot save to {tmp_path / 'm.npz'}: Permission denied")):
        snn.save(every_layer_model(np.float64), tmp_path / "m.npz")


# --- refusing to save --------------------------------------------------------------------------


@pytest.mark.parametrize("metadata", [{"a": np.arange(3)}, {"f": float("nan")}, {"s": {1, 2}}])
def test_non_json_metadata_is_refused_before_writing(tmp_path, metadata):
    path = tmp_path / "m.npz"
    with pytest.raises(ValueError, match="metadata must be JSON-serialisable"):
        snn.save(every_layer_model(np.float64), path, metadata=metadata)
    assert list(tmp_path.iterdir()) == []


def test_unsupported_objects_are_refused_before_writing(tmp_path):
    class Custom(snn.Layer):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="cannot save an object of type dict"):
        snn.save({"W": 1}, tmp_path / "a.npz")
    with pytest.raises(TypeError, match="cannot save a layer of type Custom"):
        snn.save(snn.Sequential([snn.Dense(2, 2), Custom()]), tmp_path / "b.npz")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        snn.save(every_layer_model(np.float64), tmp_path / "nowhere" / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_removes_the_temp_file_and_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    original = every_layer_model(np.float64, seed=0)
    snn.save(original, path)

    def broken_replace(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        snn.save(every_layer_model(np.float64, seed=9), path)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]
    for a, b in zip(snn.load(path).get_weights(), original.get_weights()):
        assert np.array_equal(a, b)


# --- refusing to load --------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file at"):
        snn.load(tmp_path / "absent.npz")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    with pytest.raises(ModelFileError, match="is empty"):
        snn.load(path)


def test_non_zip_file(tmp_path):
    path = tmp_path / "text.npz"
    path.write_text("hello, I am not a model\n")
    with pytest.raises(ModelFileError, match="not a zip"):
        snn.load(path)
    npy = tmp_path / "array.npy"
    np.save(npy, np.zeros(3))
    with pytest.raises(ModelFileError, match="not a zip"):
        snn.load(npy)


@pytest.mark.parametrize(("content", "message"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "it is a PNG image, not a zip"),
    (b"GIF89a" + bytes(100), "it is a GIF image, not a zip"),
    (b"x1,x2\n0.1,0.2\n", "it is a text file (a CSV?), not a zip"),
    (b"\xff\xfe\x00\x01", "it is not a zip/.npz archive"),
])
def test_a_file_of_another_kind_is_named(tmp_path, content, message):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    expected = f"model.npz is not a scratchnn model file: {message}"
    with pytest.raises(ModelFileError, match=re.escape(expected)):
        snn.load(path)


def test_a_truncated_file_is_called_truncated(saved):
    _, path = saved
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(ModelFileError, match=r"truncated or damaged zip/\.npz archive"):
        snn.load(path)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9, 0.99])
def test_truncated_file(saved, keep):
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ModelFileError):
        snn.load(path)


def test_corrupted_bytes_inside_an_array(saved):
    _, path = saved
    data = bytearray(path.read_bytes())
    # Flip a byte in the middle of the first weight array's data (stored, not compressed).
    offset = data.index(b"dense_0_W.npy") + 200
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError):
        snn.load(path)


def test_missing_header(saved):
    _, path = saved
    members = members_of(path)
    del members[HEADER_KEY]
    rewrite(path, members)
    with pytest.raises(ModelFileError, match="has no '__header__' member"):
        snn.load(path)
    with pytest.raises(ModelFileError, match="has no '__header__' member"):
        read_header(path)


@pytest.mark.parametrize("raw, message", [
    (np.frombuffer(b"{not json", dtype=np.uint8), "not valid UTF-8 JSON"),
    (np.frombuffer(b"\xff\xfe\x00", dtype=np.uint8), "not valid UTF-8 JSON"),
    (np.frombuffer(b"[1, 2]", dtype=np.uint8), "must be a JSON object"),
    (np.zeros(4, dtype=np.float64), "must be a 1-D uint8 array"),
])
def test_malformed_header(saved, raw, message):
    _, path = saved
    members = members_of(path)
    members[HEADER_KEY] = raw
    rewrite(path, members)
    with pytest.raises(ModelFileError, match=message):
        snn.load(path)


@pytest.mark.parametrize("change, message", [
    ({"format": "keras"}, "unknown format 'keras'"),
    ({"format_version": FORMAT_VERSION + 1}, "newer than this scratchnn"),
    ({"format_version": "1"}, "not a positive integer"),
    ({"dtype": "int8"}, "dtype must be one of"),
    ({"kind": "Pipeline"}, "unknown model kind"),
    ({"checksum": None}, "no sha256 checksum"),
    ({"architecture": []}, "non-empty list"),
    ({"architecture": [{"kind": "Attention"}]}, "unknown kind 'Attention'"),
    ({"architecture": [{"kind": "Conv2D"}]}, "needs positive integer in_channels and out_channels"),
    ({"architecture": [{"kind": "Dense", "n_in": 3, "n_out": 0}]}, "positive integer n_in"),
    ({"architecture": [{"kind": "Dense", "n_in": 3, "n_out": 5},
                       {"kind": "Dense", "n_in": 4, "n_out": 2}]}, "takes 4 inputs"),
    ({"architecture": [{"kind": "Dense", "n_in": 3, "n_out": 5},
                       {"kind": "Dropout", "p": 1.5}]}, "needs p in"),
])
def test_bad_header_fields(saved, change, message):
    _, path = saved
    members = members_of(path)
    header = json.loads(members[HEADER_KEY].tobytes())
    header.update(change)
    members[HEADER_KEY] = header_array(header)
    rewrite(path, members)
    with pytest.raises(ModelFileError, match=message):
        snn.load(path)


def test_checksum_mismatch(saved):
    _, path = saved
    members = members_of(path)
    members["dense_1_W"] = members["dense_1_W"] + 1e-12
    rewrite(path, members)
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        snn.load(path)


def test_shapes_that_do_not_fit_the_architecture(saved):
    _, path = saved
    members = members_of(path)
    members["dense_0_W"] = members["dense_0_W"].T.copy()
    rewrite(path, members)
    with pytest.raises(ModelFileError, match=r"has shape \(5, 3\), but the architecture needs"):
        snn.load(path)


def test_missing_and_extra_arrays(saved):
    _, path = saved
    members = members_of(path)
    members["surprise"] = members.pop("dense_2_b")
    rewrite(path, members)
    with pytest.raises(ModelFileError, match=r"missing: \['dense_2_b'\]; unexpected: \['surprise'"):
        snn.load(path)


def test_wrong_dtype_array(saved):
    _, path = saved
    members = members_of(path)
    members["dense_0_b"] = members["dense_0_b"].astype(np.float32)
    rewrite(path, members)
    with pytest.raises(ModelFileError, match="has dtype float32, but the header says float64"):
        snn.load(path)


class PlantedPayload:
    """Unpickling this creates a folder: the proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_planted_pickle_payload_never_runs(saved, tmp_path):
    _, path = saved
    marker = tmp_path / "pwned"
    members = members_of(path)
    members["dense_0_W"] = np.array([PlantedPayload(marker)], dtype=object)
    rewrite(path, members, allow_pickle=True)
    # The payload is real: unpickling it (what a careless loader would do) creates the marker.
    with np.load(path, allow_pickle=True) as archive:
        archive["dense_0_W"]
    assert marker.exists()
    os.rmdir(marker)

    with pytest.raises(ModelFileError, match="object array"):
        snn.load(path)
    assert not marker.exists()


def test_pickled_header_is_refused_without_running(saved, tmp_path):
    _, path = saved
    marker = tmp_path / "pwned"
    members = members_of(path)
    members[HEADER_KEY] = np.array([PlantedPayload(marker)], dtype=object)
    rewrite(path, members, allow_pickle=True)
    with pytest.raises(ModelFileError, match="object array"):
        read_header(path)
    with pytest.raises(ModelFileError, match="object array"):
        snn.load(path)
    assert not marker.exists()


def test_zip_with_foreign_member_names_is_refused(tmp_path):
    path = tmp_path / "foreign.npz"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("readme.txt", "hi")
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ModelFileError, match="has no '__header__' member"):
        snn.load(path)


# --- atomic saving under SIGKILL ----------------------------------------------------------------

SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    import scratchnn as snn

    path = sys.argv[1]
    models = []
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        models.append(snn.Sequential([snn.Dense(300, 300, rng=rng), snn.Tanh(),
                                      snn.Dense(300, 2, rng=rng)]))
    snn.save(models[0], path)
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        snn.save(models[i % 2], path, metadata={"i": i})
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_during_repeated_saves_leaves_a_loadable_file(tmp_path):
    path = tmp_path / "m.npz"
    script = tmp_path / "saver.py"
    script.write_text(SAVER)
    expected = []
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        expected.append(snn.Sequential([snn.Dense(300, 300, rng=rng), snn.Tanh(),
                                        snn.Dense(300, 2, rng=rng)]).get_weights())
    delays = np.random.default_rng(0).uniform(0.01, 0.3, size=4)
    for delay in delays:
        proc = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE,
                                text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(delay)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        loaded = snn.load(path)
        weights = loaded.get_weights()
        assert any(all(np.array_equal(a, b) for a, b in zip(weights, w)) for w in expected)
        # Leftover temporary files (a SIGKILL allows no cleanup) never replace the model.
        for leftover in tmp_path.glob(".m.npz.*.tmp"):
            leftover.unlink()


# --- the estimator ------------------------------------------------------------------------------


def fitted_classifier(labels, n_classes, dtype=np.float64, **params):
    from sklearn.datasets import make_blobs

    X, y = make_blobs(120, centers=n_classes, n_features=3, random_state=0)
    clf = snn.MLPClassifier((6, 4), max_iter=15, learning_rate_init=0.01, random_state=0,
                            dtype=dtype, **params)
    with pytest.warns(Warning):  # ConvergenceWarning: 15 epochs are not enough, on purpose
        clf.fit(X, np.asarray(labels)[y])
    return clf, X


@pytest.mark.parametrize("labels, dtype", [
    (["cat", "dog"], np.float64),
    ([-1, 1], np.float32),
    ([False, True], np.float64),
    ([1.0, 2.0, 3.0], np.float64),
    (["a", "b", "c", "d"], np.float32),
    ([3, 10, 42], np.float64),
])
def test_estimator_round_trip_is_bit_identical(tmp_path, labels, dtype):
    params = {"solver": "sgd", "activation": "tanh"} if len(labels) == 3 else {}
    clf, X = fitted_classifier(labels, len(labels), dtype, **params)
    path = snn.save(clf, tmp_path / "clf.npz", metadata={"note": "test"})
    loaded, header = snn.load(path, return_header=True)
    assert type(loaded) is snn.MLPClassifier
    assert header["kind"] == "MLPClassifier" and header["metadata"] == {"note": "test"}
    assert loaded.get_params() == clf.get_params()
    assert loaded.classes_.dtype == clf.classes_.dtype
    assert loaded.classes_.tolist() == clf.classes_.tolist()
    assert [type(c) for c in loaded.classes_.tolist()] == [type(c) for c in clf.classes_.tolist()]
    for name in ("n_features_in_", "n_iter_", "t_", "loss_", "best_loss_", "loss_curve_",
                 "out_activation_", "n_layers_", "n_outputs_", "validation_scores_"):
        assert getattr(loaded, name) == getattr(clf, name), name
    for a, b in zip(loaded.coefs_ + loaded.intercepts_, clf.coefs_ + clf.intercepts_):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    # A loaded estimator can keep training.
    loaded.partial_fit(X[:10], clf.predict(X[:10]))
    assert loaded.n_iter_ == 1


def test_estimator_with_early_stopping_and_feature_names(tmp_path):
    pd = pytest.importorskip("pandas")
    clf, X = fitted_classifier([0, 1], 2, early_stopping=True)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    with pytest.warns(Warning):
        clf.fit(frame, clf.predict(X))
    loaded = snn.load(snn.save(clf, tmp_path / "clf.npz"))
    assert loaded.feature_names_in_.tolist() == ["a", "b", "c"]
    assert loaded.validation_scores_ == clf.validation_scores_
    assert loaded.val_loss_curve_ == clf.val_loss_curve_
    assert loaded.best_validation_score_ == clf.best_validation_score_
    np.testing.assert_array_equal(loaded.predict_proba(frame), clf.predict_proba(frame))


def test_unfitted_estimator_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not fitted yet"):
        snn.save(snn.MLPClassifier(), tmp_path / "clf.npz")
    assert list(tmp_path.iterdir()) == []


def test_estimator_header_that_does_not_fit_the_weights(tmp_path):
    clf, _ = fitted_classifier(["x", "y", "z"], 3)
    path = snn.save(clf, tmp_path / "clf.npz")
    members = members_of(path)
    header = json.loads(members[HEADER_KEY].tobytes())
    header["estimator"]["classes"]["values"] = ["x", "y"]
    members[HEADER_KEY] = resealed(header, members)
    rewrite(path, members)
    with pytest.raises(ModelFileError, match="does not fit the header's 3 features and 2 classes"):
        snn.load(path)


@pytest.mark.parametrize("change", [{"activation": "tanh"}, {"hidden_layer_sizes": [6, 5]}])
def test_estimator_parameters_that_do_not_match_the_layers(tmp_path, change):
    clf, _ = fitted_classifier([0, 1], 2)
    path = snn.save(clf, tmp_path / "clf.npz")
    members = members_of(path)
    header = json.loads(members[HEADER_KEY].tobytes())
    header["estimator"]["params"].update(change)
    members[HEADER_KEY] = resealed(header, members)
    rewrite(path, members)
    with pytest.raises(ModelFileError, match="do not match the estimator's parameters"):
        snn.load(path)


def test_zip_member_that_is_not_an_array(saved):
    _, path = saved
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("extra", b"plain bytes, not .npy")
    with pytest.raises(ModelFileError, match="'extra' is not a NumPy array"):
        snn.load(path)


# --- the file's name ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "why", "fix"), [
    ("model.pkl", "not .pkl", "model.npz"),
    ("model.pickle", "not .pickle", "model.npz"),
    ("model", "this name has no suffix", "model.npz"),
    ("model.npz.bak", "not .bak", "model.npz.npz"),
])
def test_save_refuses_a_name_that_is_not_npz_and_writes_nothing(tmp_path, name, why, fix):
    target = tmp_path / name
    with pytest.raises(ValueError, match=re.escape(
            f"cannot save to {target}: a model file is a .npz archive ({why}; scratchnn never "
            f"writes pickles); use {tmp_path / fix}")):
        snn.save(every_layer_model(np.float64), target)
    assert list(tmp_path.iterdir()) == []


def test_save_takes_any_case_of_npz(tmp_path):
    path = snn.save(every_layer_model(np.float64), tmp_path / "MODEL.NPZ")
    assert isinstance(snn.load(path), snn.Sequential)
