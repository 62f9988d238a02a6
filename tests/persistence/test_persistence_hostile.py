"""Hostile model files: refused in bounded memory, always as ``ModelFileError``; a checksum
that covers the header; no NaN or infinite weights in either direction.

The hostile archives are built byte by byte (a zip bomb is a few MB of repeated deflate
blocks, never 4 GiB of compression work), so every case is quick to make and to refuse.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import tracemalloc
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scratchnn as snn
from scratchnn.persistence import FORMAT_VERSION, HEADER_KEY, ModelFileError

DATA = Path(__file__).parent / "data"
MiB, GiB = 2**20, 2**30
PEAK_LIMIT = 50 * MiB  # generous: a refusal reads kilobytes; the old loader took gigabytes


def small_model(seed: int = 0) -> snn.Sequential:
    rng = np.random.default_rng(seed)
    return snn.Sequential([snn.Dense(2, 4, rng=rng), snn.ReLU(), snn.Dense(4, 1, rng=rng)])


def small_classifier(labels=("no", "yes")) -> tuple[snn.MLPClassifier, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = np.asarray(labels)[(X[:, 0] + X[:, 1] > 0).astype(int)]
    clf = snn.MLPClassifier((3,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 5 epochs do not converge, on purpose
        clf.fit(X, y)
    return clf, X


def members_of(path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def header_of(members: dict[str, np.ndarray]) -> dict:
    return json.loads(members[HEADER_KEY].tobytes())


def checksum(header: dict, arrays: dict[str, np.ndarray]) -> str:
    """The documented checksum, computed here independently of the library: format 1 hashes
    the arrays alone; format 2 the canonical JSON of the header without its checksum field
    first, then the arrays."""
    digest = hashlib.sha256()
    if header["format_version"] >= 2:
        content = {key: value for key, value in header.items() if key != "checksum"}
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"),
                               ensure_ascii=True, allow_nan=False).encode()
        digest.update(f"header|{len(canonical)}|".encode() + canonical)
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{list(array.shape)}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def write_model(path, header: dict, arrays: dict[str, np.ndarray], *, reseal: bool) -> None:
    """A model file of ``header`` and ``arrays``; with ``reseal`` its checksum fits them, as
    if a careless or hostile writer had produced it."""
    header = json.loads(json.dumps(header))
    if reseal:
        header["checksum"]["value"] = checksum(header, arrays)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        np.savez(f, allow_pickle=False, **{HEADER_KEY: np.frombuffer(text, np.uint8)}, **arrays)


def split(members: dict[str, np.ndarray]) -> tuple[dict, dict[str, np.ndarray]]:
    return header_of(members), {k: v for k, v in members.items() if k != HEADER_KEY}


# --- hostile archives, byte by byte -------------------------------------------------------------


def npy_header(shape, descr: str = "<f8") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def deflated_run(prefix: bytes, n: int, byte: bytes = b"\0") -> bytes:
    """A raw deflate stream of ``prefix`` and ``n`` copies of ``byte`` (``n`` a multiple of
    1 MiB). After a full flush the compressor starts afresh, so the compressed form of one
    MiB repeats byte for byte: 4 GiB cost 4096 copies of about a kilobyte."""
    assert n % MiB == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    blocks = [compressor.compress(byte * MiB) + compressor.flush(zlib.Z_FULL_FLUSH)
              for _ in range(2)]
    assert blocks[0] == blocks[1]
    return head + blocks[0] * (n // MiB) + compressor.flush()


def write_zip(path, members: list[tuple]) -> Path:
    """A zip of ``(name, raw, file_size, method)`` members whose raw (already compressed)
    bytes and declared uncompressed size are given as they are, true or not."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, raw, file_size, method in members:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = method
            info.file_size, info.compress_size = file_size, len(raw)
            info.CRC = zlib.crc32(raw) if method == zipfile.ZIP_STORED else 0
            info.header_offset = archive.fp.tell()
            archive.fp.write(info.FileHeader())
            archive.fp.write(raw)
            archive.filelist.append(info)
            archive.NameToInfo[name] = info
            archive.start_dir = archive.fp.tell()
    return Path(path)


def stored_members(path) -> dict[str, tuple]:
    """The members of a saved model, ready for ``write_zip``, by name."""
    with zipfile.ZipFile(path) as archive:
        return {info.filename: (info.filename, archive.read(info), info.file_size,
                                zipfile.ZIP_STORED) for info in archive.infolist()}


@pytest.fixture(scope="module")
def valid(tmp_path_factory) -> dict[str, tuple]:
    path = tmp_path_factory.mktemp("valid") / "model.npz"
    snn.save(small_model(), path)
    return stored_members(path)


@pytest.fixture(scope="module")
def zeros_4gib() -> bytes:
    return deflated_run(b"", 4 * GiB)


def test_the_bombs_are_real():
    """The repeated-block stream inflates to exactly what it claims (checked in full on
    64 MiB; the 4 GiB streams are the same block repeated more often)."""
    prefix = npy_header((64 * MiB,), "|u1")
    raw = deflated_run(prefix, 64 * MiB)
    assert len(raw) < 128 * 1024
    inflater = zlib.decompressobj(-15)
    first = inflater.decompress(raw, MiB)
    assert first.startswith(prefix) and first[len(prefix):].count(0) == len(first) - len(prefix)
    total = len(first) - len(prefix)
    while not inflater.eof:
        chunk = inflater.decompress(inflater.unconsumed_tail, MiB)
        assert chunk.count(0) == len(chunk)
        total += len(chunk)
    assert total == 64 * MiB


def hostile_files(valid: dict[str, tuple], zeros: bytes) -> dict[str, tuple[list, str]]:
    """Each hostile archive (members for ``write_zip``) and the reason it must be refused."""
    header = valid[f"{HEADER_KEY}.npy"]
    weights = [valid[name] for name in valid if name != f"{HEADER_KEY}.npy"]
    W0 = valid["dense_0_W.npy"]
    others = [member for member in weights if member is not W0]
    deflated = zipfile.ZIP_DEFLATED
    huge_json = deflated_run(npy_header((4 * GiB,), "|u1"), 4 * GiB, b" ")
    return {
        "4 GiB of zeros as a non-.npy member": (
            [header, *weights, ("bomb", zeros, 4 * GiB, deflated)],
            r"member 'bomb' is not a NumPy array"),
        "4 GiB of zeros in place of a weight array": (
            [header, ("dense_0_W.npy", zeros, 4 * GiB, deflated), *others],
            r"'dense_0_W' declares 4294967296 bytes, far more than the 64"),
        "the same, declaring a plausible size": (
            [header, ("dense_0_W.npy", zeros, W0[2], deflated), *others],
            r"'dense_0_W' cannot be read \(damaged or truncated file\): Bad CRC-32"),
        "an unexpected .npy member of 4 GiB": (
            [header, *weights, ("dense_7_W.npy",
                                deflated_run(npy_header((GiB // 2,)), 4 * GiB), 4 * GiB + 128,
                                deflated)],
            r"unexpected: \['dense_7_W'\]"),
        "a 3.9 KB member declaring shape (10**12,)": (
            [header, ("dense_0_W.npy", npy_header((10**12,)) + bytes(3900), 4028,
                      zipfile.ZIP_STORED), *others],
            r"'dense_0_W' has shape \(1000000000000,\), but the architecture needs \(2, 4\)"),
        "a weight member declaring 4 GiB it does not hold": (
            [header, ("dense_0_W.npy", W0[1], 4 * GiB, zipfile.ZIP_STORED), *others],
            r"declares 4294967296 bytes"),
        "a 4 GiB JSON header": (
            [("__header__.npy", huge_json, 4 * GiB + 128, deflated), *weights],
            r"'__header__' declares 4294967424 bytes, far more than the 4194304"),
        "a 4 GiB JSON header declaring a small size": (
            [("__header__.npy", huge_json, 100_000, deflated), *weights],
            r"the header declares 4294967296 bytes of JSON, more than the 4194304"),
    }


HOSTILE = ["4 GiB of zeros as a non-.npy member", "4 GiB of zeros in place of a weight array",
           "the same, declaring a plausible size", "an unexpected .npy member of 4 GiB",
           "a 3.9 KB member declaring shape (10**12,)",
           "a weight member declaring 4 GiB it does not hold", "a 4 GiB JSON header",
           "a 4 GiB JSON header declaring a small size"]


def refusal(path) -> tuple[ModelFileError, int]:
    """The error ``load`` refuses ``path`` with, and the peak of memory it traced meanwhile."""
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError) as refused:
            snn.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return refused.value, peak


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_file_is_refused_in_bounded_memory(tmp_path, valid, zeros_4gib, case):
    members, reason = hostile_files(valid, zeros_4gib)[case]
    path = write_zip(tmp_path / "hostile.npz", members)
    assert path.stat().st_size < 5 * MiB
    error, peak = refusal(path)
    assert peak < PEAK_LIMIT, f"{case}: {peak / MiB:.1f} MiB traced"
    assert str(error).startswith(str(path))
    assert re.search(reason, str(error)), str(error)


def test_the_byte_builder_writes_loadable_models(tmp_path, valid):
    """The hand-made archives differ from saved ones only where a test changes them."""
    path = write_zip(tmp_path / "copy.npz", list(valid.values()))
    loaded = snn.load(path)
    for a, b in zip(loaded.get_weights(), small_model().get_weights()):
        assert np.array_equal(a, b)


# --- every failure is a ModelFileError with a reason -----------------------------------------


def test_an_unsupported_compression_method(tmp_path, valid):
    name, raw, size, _ = valid["dense_1_b.npy"]
    members = {**valid, name: (name, raw, size, 9)}  # 9: Deflate64, which zipfile cannot read
    path = write_zip(tmp_path / "deflate64.npz", list(members.values()))
    with pytest.raises(ModelFileError, match="unsupported zip compression method 9"):
        snn.load(path)


def test_a_damaged_deflate_stream(tmp_path, valid):
    name, _, size, _ = valid["dense_0_W.npy"]
    members = {**valid, name: (name, b"\xff" * 64, size, zipfile.ZIP_DEFLATED)}  # bad block
    path = write_zip(tmp_path / "damaged.npz", list(members.values()))
    with pytest.raises(ModelFileError, match=r"'dense_0_W' cannot be read \(damaged or "
                                             r"truncated file\): Error -3"):
        snn.load(path)


def test_a_compressed_model_still_loads(tmp_path):
    """np.savez_compressed members (deflated) are read like stored ones."""
    path = snn.save(small_model(), tmp_path / "m.npz")
    compressed = tmp_path / "compressed.npz"
    np.savez_compressed(compressed, **members_of(path))
    for a, b in zip(snn.load(compressed).get_weights(), small_model().get_weights()):
        assert np.array_equal(a, b)


def test_a_fortran_ordered_array_still_loads(tmp_path):
    path = snn.save(small_model(), tmp_path / "m.npz")
    header, arrays = split(members_of(path))
    arrays["dense_0_W"] = np.asfortranarray(arrays["dense_0_W"])
    write_model(path, header, arrays, reseal=False)
    with zipfile.ZipFile(path) as archive:
        assert b"'fortran_order': True" in archive.read("dense_0_W.npy")[:128]
    for a, b in zip(snn.load(path).get_weights(), small_model().get_weights()):
        assert np.array_equal(a, b)


def test_a_header_nested_100000_levels_deep(tmp_path, valid):
    text = ("[" * 100_000 + "]" * 100_000).encode()
    members = {**valid, "__header__.npy": (
        "__header__.npy", npy_header((len(text),), "|u1") + text,
        len(npy_header((len(text),), "|u1")) + len(text), zipfile.ZIP_STORED)}
    path = write_zip(tmp_path / "deep.npz", list(members.values()))
    with pytest.raises(ModelFileError, match="nested too deeply"):
        snn.load(path)
    with pytest.raises(ModelFileError, match="nested too deeply"):
        snn.persistence.read_header(path)


def edit_architecture_kind(header):
    header["architecture"][0]["kind"] = ["Dense"]


def edit_class_values(header):
    header["estimator"]["classes"] = {"dtype": "<i8", "values": [10**40, 1]}


def edit_activation(header):
    header["estimator"]["params"]["activation"] = {"relu": 1}


def edit_layer_count(header):
    header["estimator"]["fitted"]["n_features_in_"] = {"n": 2}


@pytest.mark.parametrize("edit, reason", [
    (edit_architecture_kind, r"layer 0 has unknown kind \['Dense'\]"),
    (edit_class_values, r"estimator section cannot be used: .*too large"),
    (edit_activation, r"activation"),
    (edit_layer_count, r"does not fit the header's \{'n': 2\} features"),
])
def test_edited_header_values_give_a_model_file_error(tmp_path, edit, reason):
    """Consistent files (the checksum resealed) with values of the wrong type or size:
    these used to escape as TypeError or OverflowError."""
    clf, _ = small_classifier((3, 7))
    path = snn.save(clf, tmp_path / "clf.npz")
    header, arrays = split(members_of(path))
    edit(header)
    write_model(path, header, arrays, reseal=True)
    with pytest.raises(ModelFileError, match=reason):
        snn.load(path)


def test_an_integer_too_large_for_a_float_in_the_header(tmp_path):
    """It used to raise OverflowError from math.isfinite."""
    model = snn.Sequential([snn.Dense(2, 3), snn.LeakyReLU(0.1), snn.Dense(3, 1)])
    path = snn.save(model, tmp_path / "m.npz")
    header, arrays = split(members_of(path))
    header["architecture"][1]["negative_slope"] = 10**400
    write_model(path, header, arrays, reseal=True)
    with pytest.raises(ModelFileError, match=r"layer 1 \('LeakyReLU'\) needs negative_slope in "
                                             r"\[0, 1\), got 1000"):
        snn.load(path)


def test_class_labels_of_a_huge_string_dtype(tmp_path):
    """A dtype far wider than the labels would make NumPy allocate gigabytes."""
    clf, _ = small_classifier(("no", "yes"))
    path = snn.save(clf, tmp_path / "clf.npz")
    header, arrays = split(members_of(path))
    header["estimator"]["classes"]["dtype"] = "<U99999999"
    write_model(path, header, arrays, reseal=True)
    error, peak = refusal(path)
    assert "wider than its labels need" in str(error)
    assert peak < PEAK_LIMIT


def test_a_number_too_large_for_a_float_in_the_header(tmp_path):
    path = snn.save(small_model(), tmp_path / "m.npz")
    header, arrays = split(members_of(path))
    text = json.dumps(header).replace('"format_version": 2', '"format_version": 2, "x": 1e400')
    with open(path, "wb") as f:
        np.savez(f, **{HEADER_KEY: np.frombuffer(text.encode(), np.uint8)}, **arrays)
    with pytest.raises(ModelFileError, match="the number 1e400 is out of range"):
        snn.load(path)


# --- fuzz: random edits of the header and of the bytes --------------------------------------


def _saved_bytes() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        clf, _ = small_classifier(("ant", "bee"))
        sequential = snn.save(small_model(), Path(tmp) / "s.npz")
        np.savez_compressed(Path(tmp) / "deflated.npz", **members_of(sequential))
        return {"Sequential": sequential.read_bytes(),
                "MLPClassifier": snn.save(clf, Path(tmp) / "c.npz").read_bytes(),
                "deflated Sequential": (Path(tmp) / "deflated.npz").read_bytes()}


SAVED: dict[str, bytes] = {}


def saved(kind: str) -> bytes:
    if not SAVED:
        SAVED.update(_saved_bytes())
    return SAVED[kind]


def assert_same_model(obj, original_bytes: bytes, tmp: Path) -> None:
    (tmp / "original.npz").write_bytes(original_bytes)
    original = snn.load(tmp / "original.npz")
    assert type(obj) is type(original)
    if isinstance(obj, snn.MLPClassifier):
        assert obj.get_params() == original.get_params()
        assert obj.classes_.tolist() == original.classes_.tolist()
        obj, original = obj.model_, original.model_
    assert [type(a) for a in obj.layers] == [type(b) for b in original.layers]
    for a, b in zip(obj.get_weights(), original.get_weights()):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def paths_of(value, prefix=()) -> list[tuple]:
    """Every place in a JSON value, as a tuple of keys and indices."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += paths_of(item, (*prefix, i))
    return found


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30)
    | st.sampled_from([0, 1, -1, 2**31, 2**63, 10**300]) | st.floats(allow_nan=False,
                                                                      allow_infinity=False)
    | st.text(max_size=12) | st.sampled_from(["Dense", "ReLU", "float32", "<U5", "|O", "relu"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=8)
DEEP = "\x00deep\x00"


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["Sequential", "MLPClassifier"]), data=st.data(),
       action=st.sampled_from(["replace", "delete", "deep"]), reseal=st.booleans())
def test_fuzz_header_edits_load_the_same_model_or_raise_model_file_error(
        fuzz_dir, kind, data, action, reseal):
    original = saved(kind)
    (fuzz_dir / "in.npz").write_bytes(original)
    header, arrays = split(members_of(fuzz_dir / "in.npz"))
    where = data.draw(st.sampled_from(paths_of(header)), label="where")
    parent = header
    for step in where[:-1]:
        parent = parent[step]
    if action == "delete":
        del parent[where[-1]]
    else:
        parent[where[-1]] = DEEP if action == "deep" else data.draw(JSON_VALUES, label="value")
    if reseal and isinstance(header.get("checksum"), dict) and action != "deep" and isinstance(
            header.get("format_version"), int):
        header["checksum"]["value"] = checksum(header, arrays)
    text = json.dumps(header)
    if action == "deep":
        depth = data.draw(st.sampled_from([50, 900, 5_000, 100_000]), label="depth")
        text = text.replace(json.dumps(DEEP), "[" * depth + "]" * depth)
    path = fuzz_dir / "edited.npz"
    with open(path, "wb") as f:
        np.savez(f, **{HEADER_KEY: np.frombuffer(text.encode(), np.uint8)}, **arrays)
    try:
        obj = snn.load(path)
    except ModelFileError:
        return
    if not reseal:  # without a resealed checksum only a harmless edit can load
        assert_same_model(obj, original, fuzz_dir)
    else:
        assert isinstance(obj, (snn.Sequential, snn.MLPClassifier))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["Sequential", "MLPClassifier", "deflated Sequential"]),
       data=st.data())
def test_fuzz_byte_edits_load_the_same_model_or_raise_model_file_error(fuzz_dir, kind, data):
    original = saved(kind)
    content = bytearray(original)
    how = data.draw(st.sampled_from(["flip", "overwrite", "truncate", "insert"]), label="how")
    offset = data.draw(st.integers(0, len(content) - 1), label="offset")
    if how == "flip":
        for extra in data.draw(st.lists(st.integers(0, 200), min_size=1, max_size=6)):
            content[(offset + extra) % len(content)] ^= data.draw(st.integers(1, 255))
    elif how == "overwrite":
        chunk = data.draw(st.binary(min_size=1, max_size=16), label="chunk")
        content[offset:offset + len(chunk)] = chunk
    elif how == "truncate":
        del content[offset:]
    else:
        content[offset:offset] = data.draw(st.binary(min_size=1, max_size=16), label="chunk")
    path = fuzz_dir / "bytes.npz"
    path.write_bytes(bytes(content))
    try:
        obj = snn.load(path)
    except ModelFileError:
        return
    assert_same_model(obj, original, fuzz_dir)


# --- the checksum covers the header ----------------------------------------------------------


def test_the_checksum_covers_the_canonical_header_and_then_the_arrays(tmp_path):
    clf, _ = small_classifier()
    path = snn.save(clf, tmp_path / "clf.npz", metadata={"b": [1, 2.5, None], "a": "é"})
    header, arrays = split(members_of(path))
    assert header["format_version"] == 2  # a file without an optimizer: format 2, as before
    assert FORMAT_VERSION == 3
    assert header["checksum"] == {"algorithm": "sha256", "value": checksum(header, arrays)}


def test_reversed_class_labels_are_refused(tmp_path):
    clf, _ = small_classifier(("no", "yes"))
    path = snn.save(clf, tmp_path / "clf.npz")
    header, arrays = split(members_of(path))
    assert header["estimator"]["classes"]["values"] == ["no", "yes"]
    header["estimator"]["classes"]["values"] = ["yes", "no"]
    write_model(path, header, arrays, reseal=False)
    with pytest.raises(ModelFileError, match="checksum mismatch: the header or the weights"):
        snn.load(path)


@pytest.mark.parametrize("edit", [
    lambda h: h["architecture"][1].update(kind="Tanh"),
    lambda h: h.update(library_version="9.9"),
    lambda h: h.update(format_version=1),  # a downgrade does not switch the header check off
])
def test_any_edit_of_the_header_is_refused(tmp_path, edit):
    path = snn.save(small_model(), tmp_path / "m.npz")
    header, arrays = split(members_of(path))
    edit(header)
    write_model(path, header, arrays, reseal=False)
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        snn.load(path)


def test_a_file_of_format_version_1_still_loads():
    """tests/persistence/data/model_format_v1.npz was written by scratchnn 0.1.0 (format 1:
    the checksum over the arrays alone), with its predictions on six rows kept in its
    metadata."""
    path = DATA / "model_format_v1.npz"
    clf, header = snn.load(path, return_header=True)
    assert header["format_version"] == 1
    assert isinstance(clf, snn.MLPClassifier)
    assert clf.classes_.tolist() == ["ant", "bee", "cat"]
    stored = members_of(path)
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        assert np.array_equal(W, stored[f"dense_{i}_W"])
        assert np.array_equal(b, stored[f"dense_{i}_b"])
    probe = np.array(header["metadata"]["probe_X"])
    np.testing.assert_array_equal(clf.predict_proba(probe), header["metadata"]["probe_proba"])
    assert clf.predict(probe).tolist() == header["metadata"]["probe_labels"]


def test_a_version_1_file_with_edited_weights_is_still_refused(tmp_path):
    header, arrays = split(members_of(DATA / "model_format_v1.npz"))
    arrays["dense_0_W"] = arrays["dense_0_W"] * 2
    write_model(tmp_path / "v1.npz", header, arrays, reseal=False)
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        snn.load(tmp_path / "v1.npz")


# --- NaN and infinite weights -----------------------------------------------------------------


@pytest.mark.parametrize("where, value, reason", [
    ("W", np.nan, r"layer 2 \(Dense 4 -> 1\): its weights W hold 1 NaN or infinite value;"),
    ("b", np.inf, r"layer 2 \(Dense 4 -> 1\): its biases b hold 1 NaN or infinite value;"),
])
def test_save_refuses_non_finite_parameters_naming_the_layer(tmp_path, where, value, reason):
    model = small_model()
    getattr(model.layers[2], where)[0] = value
    with pytest.raises(ValueError, match=reason + " its training diverged"):
        snn.save(model, tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_a_classifier_with_non_finite_weights(tmp_path):
    clf, _ = small_classifier()
    clf.model_.layers[0].W[1, 2] = -np.inf
    with pytest.raises(ValueError, match=r"layer 0 \(Dense 2 -> 3\): its weights W hold 1 NaN"):
        snn.save(clf, tmp_path / "clf.npz")
    assert list(tmp_path.iterdir()) == []


def nan_model_file(path: Path) -> Path:
    """A model file with NaN weights whose checksum fits (as older versions saved them)."""
    snn.save(small_model(), path)
    header, arrays = split(members_of(path))
    arrays["dense_0_W"] = arrays["dense_0_W"].copy()
    arrays["dense_0_W"][:, 1] = np.nan
    write_model(path, header, arrays, reseal=True)
    return path


def test_load_refuses_non_finite_weights(tmp_path):
    path = nan_model_file(tmp_path / "nan.npz")
    with pytest.raises(ModelFileError, match=r"layer 0 \(Dense 2 -> 4\): its weights W hold 2 "
                                             r"NaN or infinite values: the model in this file is "
                                             r"broken"):
        snn.load(path)


def test_the_cli_says_the_model_is_broken_not_the_data(tmp_path):
    model = nan_model_file(tmp_path / "nan.npz")
    data = tmp_path / "data.csv"
    data.write_text("x1,x2\n0.5,1.0\n-1.0,2.0\n")
    out = tmp_path / "out.csv"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("SCRATCHNN_DEBUG", None)
    result = subprocess.run([sys.executable, "-m", "scratchnn", "predict", str(model),
                             str(data), "-o", str(out)], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 1
    assert "the model in this file is broken" in result.stderr
    assert "data row" not in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_save_refuses_a_header_that_load_would_refuse(tmp_path):
    """The 4 MiB cap on the header holds on both sides: no file is written that cannot load."""
    with pytest.raises(ValueError, match=r"header would take \d+ bytes of JSON, more than the "
                                         r"4194304 a model file allows"):
        snn.save(small_model(), tmp_path / "m.npz", metadata={"notes": "x" * (4 * MiB)})
    assert list(tmp_path.iterdir()) == []
    path = snn.save(small_model(), tmp_path / "m.npz", metadata={"notes": "x" * (3 * MiB)})
    assert len(snn.load(path, return_header=True)[1]["metadata"]["notes"]) == 3 * MiB
