"""A deflate bomb with a consistent header: a model file of under a megabyte whose zero weights
(a Dense layer of 2**25 units) inflate to 768 MiB, checksum and all. Every declared size fits
its compressed bytes, so only the memory can refuse it: ``load`` checks the room first and
refuses with a ``ModelFileError``, never a ``MemoryError``."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

import scratchnn as snn
from scratchnn.errors import ModelFileError
from scratchnn.persistence import read_header

MiB = 2**20
UNITS = 2**25
SHAPES = {"dense_0_W": (1, UNITS), "dense_0_b": (UNITS,), "dense_1_W": (UNITS, 1),
          "dense_1_b": (1,)}


def npy_header(shape, descr: str = "<f8") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False,
                                                  "shape": shape})
    return buffer.getvalue()


def deflated_zeros(prefix: bytes, n: int) -> bytes:
    """A raw deflate stream of ``prefix`` then ``n`` zero bytes, built from one repeated
    compressed MiB (after a full flush the compressor starts afresh)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(bytes(MiB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(bytes(n % MiB)) if n % MiB else b""
    return head + block * (n // MiB) + tail + compressor.flush()


def zeros_crc(prefix: bytes, n: int) -> int:
    crc, zero = zlib.crc32(prefix), bytes(MiB)
    for _ in range(n // MiB):
        crc = zlib.crc32(zero, crc)
    return zlib.crc32(bytes(n % MiB), crc)


def checksum(header: dict) -> str:
    """The format's checksum of ``header`` and all-zero arrays of ``SHAPES``, streamed."""
    digest = hashlib.sha256()
    content = {key: value for key, value in header.items() if key != "checksum"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                           allow_nan=False).encode()
    digest.update(f"header|{len(canonical)}|".encode() + canonical)
    zero = bytes(MiB)
    for name in sorted(SHAPES):
        n = int(np.prod(SHAPES[name])) * 8
        digest.update(f"{name}|<f8|{list(SHAPES[name])}|".encode())
        for _ in range(n // MiB):
            digest.update(zero)
        digest.update(bytes(n % MiB))
    return digest.hexdigest()


def write_bomb(path: Path) -> Path:
    """The file: a valid header for Dense 1 -> 2**25 -> 1, its checksum recomputed, and
    deflated zero weights whose declared sizes are exactly right."""
    model = snn.Sequential([snn.Dense(1, 4, rng=0), snn.ReLU(), snn.Dense(4, 1, rng=0)])
    snn.save(model, path)
    with np.load(path) as archive:
        header = json.loads(archive["__header__"].tobytes())
    header["architecture"][0]["n_out"] = header["architecture"][2]["n_in"] = UNITS
    header["checksum"]["value"] = checksum(header)
    text = np.frombuffer(json.dumps(header).encode(), np.uint8)
    members = {"__header__": (npy_header(text.shape, "|u1"), text.tobytes())}
    with zipfile.ZipFile(path, "w") as archive:
        prefix, data = members["__header__"]
        archive.writestr("__header__.npy", prefix + data)
        for name, shape in SHAPES.items():
            prefix, n = npy_header(shape), int(np.prod(shape)) * 8
            raw = deflated_zeros(prefix, n)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.file_size, info.compress_size = len(prefix) + n, len(raw)
            info.CRC = zeros_crc(prefix, n)
            info.header_offset = archive.fp.tell()
            archive.fp.write(info.FileHeader())
            archive.fp.write(raw)
            archive.filelist.append(info)
            archive.NameToInfo[info.filename] = info
            archive.start_dir = archive.fp.tell()
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    return write_bomb(tmp_path_factory.mktemp("bomb") / "bomb.npz")


def test_the_bomb_is_small_and_consistent(bomb):
    assert bomb.stat().st_size < MiB
    header = read_header(bomb)  # its header passes every check
    assert header["architecture"][0]["n_out"] == UNITS
    with zipfile.ZipFile(bomb) as archive:
        declared = sum(info.file_size for info in archive.infolist())
        for info in archive.infolist():  # within deflate's ratio, member by member
            assert info.file_size <= info.compress_size * 1032 + 1032
    assert declared > 768 * MiB  # about a thousand times the file


def test_the_bomb_is_refused_when_the_memory_is_short(bomb, monkeypatch):
    monkeypatch.setattr("scratchnn._memory.available_bytes", lambda: 2 * 2**30)
    with pytest.raises(ModelFileError) as refused:
        snn.load(bomb)
    assert str(refused.value) == (
        f"{bomb}: loading this model needs about 2.4 GB of memory (its arrays declare "
        "805.3 MB), but about 2.1 GB is available; refusing to load it")


def test_the_check_counts_every_array_three_times(tmp_path, monkeypatch):
    model = snn.Sequential([snn.Dense(10, 100, rng=0), snn.ReLU(), snn.Dense(100, 1, rng=0)])
    snn.save(model, tmp_path / "m.npz")
    needed = 3 * 8 * (10 * 100 + 100 + 100 + 1)
    monkeypatch.setattr("scratchnn._memory.available_bytes", lambda: needed)
    assert snn.load(tmp_path / "m.npz").n_inputs == 10
    monkeypatch.setattr("scratchnn._memory.available_bytes", lambda: needed - 1)
    with pytest.raises(ModelFileError, match=r"needs about 28\.8 KB of memory"):
        snn.load(tmp_path / "m.npz")
    monkeypatch.setattr("scratchnn._memory.available_bytes", lambda: None)  # unknown: loads
    assert snn.load(tmp_path / "m.npz").n_inputs == 10


def test_a_memory_error_while_building_is_a_model_file_error(tmp_path, monkeypatch):
    from scratchnn.persistence import format as fmt

    snn.save(snn.Sequential([snn.Dense(2, 3, rng=0)]), tmp_path / "m.npz")

    def no_memory(*args):
        raise MemoryError

    monkeypatch.setattr(fmt, "_build_layers", no_memory)
    with pytest.raises(ModelFileError, match="too large for this computer's memory"):
        snn.load(tmp_path / "m.npz")


@pytest.mark.skipif(sys.platform != "linux", reason="an address-space limit (RLIMIT_AS)")
def test_under_a_memory_cap_the_cli_names_the_file_not_the_network(bomb, tmp_path):
    """A deflate bomb through the command: ``scratchnn predict bomb.npz`` in 1.5 GiB."""
    points = tmp_path / "points.csv"
    points.write_text("x1\n0.5\n")
    code = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, resource.RLIM_INFINITY))
        from scratchnn import cli
        sys.exit(cli.main(["predict", {str(bomb)!r}, {str(points)!r}]))
        """)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "loading this model needs about 2.4 GB of memory" in result.stderr
    assert "MemoryError" not in result.stderr and "Traceback" not in result.stderr
    assert "--hidden" not in result.stderr

