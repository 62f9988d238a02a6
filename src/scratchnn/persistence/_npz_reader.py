"""The bounded reader for ``.npz`` files that may come from anyone: a model file is read
member by member, and every size it declares is checked before a byte of it is read.

A hostile file costs a few kilobytes of reading, not gigabytes: the member list is checked
first (``.npy`` members only, each once, stored or deflated, within the file's bytes); a
member that declares more than its caller allows, or more than its compressed bytes could
expand to, is refused before decompression; an array is read in chunks of exactly the bytes
its ``.npy`` header declares; object arrays (which would need unpickling) are refused; the
JSON header is capped at ``HEADER_LIMIT`` bytes and may hold no NaN, infinity or number out of
range. Whatever stops the reader is a ``ModelFileError`` that says what is wrong.
"""

from __future__ import annotations

import contextlib
import json
import math
import reprlib
import stat
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import ModelFileError

HEADER_KEY = "__header__"  # the member holding the JSON header, as UTF-8 bytes

# Limits that let a hostile file be refused after reading a few kilobytes of it.
HEADER_LIMIT = 4 * 2**20  # bytes of header JSON (save refuses a bigger header)
_NPY_HEADER_LIMIT = 10_000  # bytes of a member's .npy header: NumPy's own default limit
_DEFLATE_MAX_RATIO = 1032  # deflate expands one compressed byte into at most 1032 bytes
_READ_CHUNK = 2**20
# What zipfile raises while reading a damaged member (a bad deflate stream is a zlib.error;
# an unknown compression method a NotImplementedError; an encrypted one a RuntimeError).
_ARCHIVE_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError,
                   RuntimeError)


_SIGNATURES = ((b"\x89PNG", "a PNG image"), (b"GIF8", "a GIF image"), (b"\xff\xd8\xff",
               "a JPEG image"), (b"%PDF", "a PDF document"), (b"<?xml", "an XML/SVG file"),
               (b"<svg", "an SVG image"), (b"\x93NUMPY", "a single .npy array"),
               (b"\x80", "a Python pickle"))


def _what_it_is(path: Path) -> str:
    """A short guess at what a file that is not a zip archive holds, for error messages."""
    with open(path, "rb") as f:
        start = f.read(512)
    if start.startswith(b"PK\x03\x04"):
        return ("it is a truncated or damaged zip/.npz archive (an interrupted copy or "
                "download?); save the model again")
    kind = next((kind for signature, kind in _SIGNATURES if start.startswith(signature)), None)
    if kind is None:
        try:
            start.decode("utf-8")
            kind = "a text file (a CSV?)"
        except UnicodeDecodeError:
            return "it is not a zip/.npz archive"
    return f"it is {kind}, not a zip/.npz archive"


def _open(path: Path) -> zipfile.ZipFile:
    """The zip archive at ``path``, after the checks that need no parsing."""
    if not path.exists():
        raise FileNotFoundError(f"no model file at {path}")
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder, not a model file")
    if not stat.S_ISREG(path.stat().st_mode):  # before any open: a named pipe's waits for ever
        raise ModelFileError(f"{path} is not a regular file (a device, a pipe or a socket); "
                             "save the model to a file first")
    if path.stat().st_size == 0:
        raise ModelFileError(f"{path} is empty (0 bytes), not a model file; perhaps a copy "
                             "or a download of it was interrupted")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path} is not a scratchnn model file: {_what_it_is(path)}")
    try:
        return zipfile.ZipFile(path)
    except (*_ARCHIVE_ERRORS, ValueError) as error:
        raise ModelFileError(f"{path} is not a readable .npz archive: {error}") from None


def _members(archive: zipfile.ZipFile, path: Path) -> dict[str, zipfile.ZipInfo]:
    """The archive's members by array name (``.npy`` dropped), checked before any is read:
    ``.npy`` members only, each once, stored or deflated, within the file's bytes."""
    infos = archive.infolist()
    if f"{HEADER_KEY}.npy" not in {info.filename for info in infos}:
        raise ModelFileError(f"{path} has no {HEADER_KEY!r} member: it is a plain .npz, "
                             "not a scratchnn model file")
    size = path.stat().st_size
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename.removesuffix(".npy")
        where = f"{path}: the member {_brief(name)}"
        if name == info.filename:
            raise ModelFileError(f"{where} is not a NumPy array (no .npy name); a model file "
                                 "holds only its header and its weight arrays")
        if name in members:
            raise ModelFileError(f"{where} appears twice in the archive")
        if info.flag_bits & 0x1:
            raise ModelFileError(f"{where} is encrypted; model files never are")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ModelFileError(f"{where} uses the unsupported zip compression method "
                                 f"{info.compress_type}; model files are stored or deflated")
        if info.header_offset + info.compress_size > size:
            raise ModelFileError(f"{where} claims more bytes than the file holds: the file is "
                                 "truncated or damaged")
        members[name] = info
    return members


@contextlib.contextmanager
def _reading(name: str, path: Path):
    """Turn what a damaged archive raises while ``name`` is read into a ``ModelFileError``."""
    try:
        yield
    except MemoryError:
        raise ModelFileError(f"{path}: the array {name!r} is too large for this computer's "
                             "memory") from None
    except _ARCHIVE_ERRORS as error:
        raise ModelFileError(f"{path}: the array {name!r} cannot be read (damaged or truncated "
                             f"file): {error}") from None


def _check_declared_size(info: zipfile.ZipInfo, name: str, path: Path, max_data: int) -> None:
    """Refuse, before a byte is decompressed, a member that declares more than ``max_data``
    bytes of data, or more than its compressed bytes could ever expand to."""
    if info.file_size > max_data + _NPY_HEADER_LIMIT + 16:  # 16: magic, version, length field
        raise ModelFileError(f"{path}: the member {name!r} declares {info.file_size} bytes, "
                             f"far more than the {max_data} bytes of data it may hold; refusing "
                             "to read it")
    ratio = _DEFLATE_MAX_RATIO if info.compress_type == zipfile.ZIP_DEFLATED else 1
    if info.file_size > info.compress_size * ratio + _DEFLATE_MAX_RATIO * (ratio > 1):
        raise ModelFileError(f"{path}: the member {name!r} declares {info.file_size} bytes, "
                             f"which its {info.compress_size} compressed bytes cannot hold: the "
                             "file is damaged")


# Loading holds each parameter array three times at most: as read from the file, as the
# layer's weights, and the layer's gradient of the same shape (allocated with the layer).
_COPIES_WHILE_LOADING = 3


def _check_room(expected: dict[str, tuple[int, ...]], dtype: np.dtype, path: Path) -> None:
    """Refuse, before anything is allocated, a file whose arrays would not fit in the memory
    this process can still get: a deflate bomb with a consistent header (a 784 KB file of
    zero weights for a layer of 2**25 units) declares sizes its compressed bytes can hold,
    and only the memory can say no."""
    from .._memory import available_bytes, format_bytes

    declared = sum(math.prod(shape) for shape in expected.values()) * dtype.itemsize
    needed = declared * _COPIES_WHILE_LOADING
    available = available_bytes()
    if available is not None and needed > available:
        raise ModelFileError(f"{path}: loading this model needs about {format_bytes(needed)} "
                             f"of memory (its arrays declare {format_bytes(declared)}), but "
                             f"about {format_bytes(available)} is available; refusing to load "
                             "it")


def _npy_header(stream, name: str, path: Path) -> tuple[tuple[int, ...], bool, np.dtype]:
    """``(shape, fortran_order, dtype)`` from the ``.npy`` header at the start of ``stream``;
    reads that header alone (at most ``_NPY_HEADER_LIMIT`` bytes), never the data."""
    readers = {(1, 0): np.lib.format.read_array_header_1_0,
               (2, 0): np.lib.format.read_array_header_2_0}
    try:
        version = np.lib.format.read_magic(stream)
        if version not in readers:
            raise ValueError(f".npy format version {version} is not one NumPy writes for "
                             "numbers")
        shape, fortran, dtype = readers[version](stream, max_header_size=_NPY_HEADER_LIMIT)
        if any(n < 0 for n in shape):
            raise ValueError(f"negative dimension in shape {shape}")
    except (ValueError, SyntaxError, TypeError) as error:
        raise ModelFileError(f"{path}: the member {name!r} is not a NumPy array: "
                             f"{_cut(str(error))}") from None
    if dtype.hasobject:
        raise ModelFileError(f"{path}: the array {name!r} is an object array, which would need "
                             "unpickling (and could run code); refusing to load it")
    return shape, fortran, dtype


@contextlib.contextmanager
def _npy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, path: Path,
                max_data: int):
    """The member's stream, positioned at its data, with ``(shape, fortran_order, dtype)``
    from its ``.npy`` header; refused first if it declares more than ``max_data`` bytes."""
    _check_declared_size(info, name, path, max_data)
    with _reading(name, path), archive.open(info) as stream:
        yield (stream, *_npy_header(stream, name, path))


def _data_size(stream, info: zipfile.ZipInfo, shape, dtype: np.dtype, name: str,
               path: Path) -> int:
    """The data's byte count, after checking the member declares exactly header + data."""
    nbytes = math.prod(shape) * dtype.itemsize
    if info.file_size != stream.tell() + nbytes:
        raise ModelFileError(f"{path}: the member {name!r} declares {info.file_size} bytes, but "
                             f"its .npy header describes {stream.tell() + nbytes}: the file is "
                             "damaged")
    return nbytes


def _read_data(stream, info: zipfile.ZipInfo, shape, fortran: bool, dtype: np.dtype,
               name: str, path: Path) -> np.ndarray:
    """The array after the ``.npy`` header, read with a cap: exactly the bytes the header
    declares, in chunks, and refused if the stream yields one more."""
    nbytes = _data_size(stream, info, shape, dtype, name, path)
    data = np.empty(nbytes, dtype=np.uint8)
    view, filled = memoryview(data), 0
    while filled < nbytes:
        chunk = stream.read(min(_READ_CHUNK, nbytes - filled))
        if not chunk:
            raise ModelFileError(f"{path}: the array {name!r} is truncated ({filled} of "
                                 f"{nbytes} bytes)")
        view[filled:filled + len(chunk)] = chunk
        filled += len(chunk)
    if stream.read(1):
        raise ModelFileError(f"{path}: the member {name!r} holds more data than its .npy "
                             "header declares")
    if fortran:
        return data.view(dtype).reshape(shape[::-1]).T
    return data.view(dtype).reshape(shape)


def _read_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> dict:
    """The JSON header as a dict, read with a cap of ``HEADER_LIMIT`` bytes (what it says is
    checked by the caller)."""
    with _npy_member(archive, info, HEADER_KEY, path, HEADER_LIMIT) as (
            stream, shape, fortran, dtype):
        if dtype != np.uint8 or len(shape) != 1:
            raise ModelFileError(f"{path}: the header must be a 1-D uint8 array of UTF-8 JSON, "
                                 f"got {dtype} with shape {shape}")
        if shape[0] > HEADER_LIMIT:
            raise ModelFileError(f"{path}: the header declares {shape[0]} bytes of JSON, more "
                                 f"than the {HEADER_LIMIT} a model file may hold; refusing to "
                                 "read it")
        raw = _read_data(stream, info, shape, fortran, dtype, HEADER_KEY, path)
    return _parse_header(raw.tobytes(), path)


def _check_members(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo],
                   expected: dict[str, tuple[int, ...]], dtype: np.dtype, path: Path) -> None:
    """Every member's name, declared size, dtype and shape against the architecture, from
    the zip directory and the ``.npy`` headers alone: no array data is read."""
    present = set(members) - {HEADER_KEY}
    missing = sorted(set(expected) - present)
    extra = sorted(present - set(expected))
    if missing or extra:
        raise ModelFileError(f"{path}: the arrays do not fit the architecture (missing: "
                             f"{_brief(missing) if missing else 'none'}; unexpected: "
                             f"{_brief(extra) if extra else 'none'})")
    for name, shape in expected.items():
        info = members[name]
        # 8 bytes an element: room for a float64 array where float32 is expected, so that
        # the message can name the dtype; the exact size is checked once the dtype is known.
        with _npy_member(archive, info, name, path, 8 * math.prod(shape)) as (
                stream, got_shape, _, got_dtype):
            if got_dtype != dtype:
                raise ModelFileError(f"{path}: array {name!r} has dtype {got_dtype}, but the "
                                     f"header says {dtype}")
            if got_shape != shape:
                raise ModelFileError(f"{path}: array {name!r} has shape {got_shape}, but the "
                                     f"architecture needs {shape}")
            _data_size(stream, info, got_shape, got_dtype, name, path)


def _read_arrays(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo],
                 expected: dict[str, tuple[int, ...]], path: Path) -> dict[str, np.ndarray]:
    """The parameter arrays, each read with a cap (after ``_check_members``)."""
    arrays = {}
    for name, shape in expected.items():
        info = members[name]
        with _npy_member(archive, info, name, path, 8 * math.prod(shape)) as (
                stream, got_shape, fortran, dtype):
            arrays[name] = _read_data(stream, info, got_shape, fortran, dtype, name, path)
    return arrays


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {_cut(text)} is out of range")
    return value


def _no_constant(text: str):
    raise ValueError(f"{text} is not allowed in a model header")


def _parse_header(raw: bytes, path: Path) -> dict:
    try:
        header = json.loads(raw.decode("utf-8"), parse_float=_finite_float,
                            parse_constant=_no_constant)
    except RecursionError:
        raise ModelFileError(f"{path}: the header is nested too deeply to be a model header"
                             ) from None
    except ValueError as error:  # also UnicodeDecodeError, JSONDecodeError, huge integers
        raise ModelFileError(f"{path}: the header is not valid UTF-8 JSON: "
                             f"{_cut(str(error))}") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{path}: the header must be a JSON object, got "
                             f"{type(header).__name__}")
    return header


def _cut(text: str) -> str:
    """A message from a parser, cut short: it may quote a hostile header at length."""
    return text if len(text) <= 200 else f"{text[:200]}..."


_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 80


def _brief(value) -> str:
    """``repr`` cut short: a hostile header must not make a message megabytes long."""
    return _SHORT_REPR.repr(value)
