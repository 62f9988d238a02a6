"""Safe model files: ``save`` / ``load`` for a ``Sequential`` or a fitted ``MLPClassifier``.

A model file is an ordinary ``.npz`` archive (a zip of ``.npy`` arrays) written with
``allow_pickle=False``. It holds

* one array per parameter (``dense_0_W``, ``dense_0_b``, ``dense_1_W``, ...), and
* ``__header__``: a ``uint8`` array holding UTF-8 JSON that describes everything else: the
  format name and version, the library version, the layer list (kinds, sizes, parameters),
  the dtype, for an estimator its parameters, classes and training summary, the caller's
  ``metadata``, and a SHA-256 checksum over the rest of the header (canonical JSON) and the
  arrays' names, dtypes, shapes and bytes (format 1, still read, covered the arrays alone).

Why it is safe to load a file from someone else: ``load`` never unpickles (an object array is
refused, not executed) and never runs code; it compares the member list and every member's
declared size, dtype and shape with the header's architecture before it reads any array
data, reads each array with a cap, and rebuilds the model from plain numbers after checking
the checksum and that every weight is finite. Whatever stops it is a ``ModelFileError``
saying what is wrong, so a hostile file costs a few kilobytes of reading, not gigabytes.

Why a crash cannot destroy a saved model: ``save`` writes a temporary file in the same
folder, flushes and ``fsync``s it, then renames it over the target with ``os.replace``
(atomic on POSIX and Windows), with ``scratchnn._files.atomic_write``. A process killed at
any moment leaves the old file or the new one, never half of one; on an error, Ctrl-C or
SIGTERM the temporary file is removed as well.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import math
import os
import reprlib
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ._files import atomic_write
from .errors import ModelFileError
from .layers import ACTIVATIONS, Dense, Dropout, Layer, LeakyReLU
from .model import Sequential

FORMAT_NAME = "scratchnn-model"
FORMAT_VERSION = 2  # 2: the checksum covers the header too; 1 is still read
HEADER_KEY = "__header__"

# Layer kinds a file may contain besides Dense, LeakyReLU and Dropout (which have settings): the
# activations that take no settings, by class name (ReLU, Tanh, Sigmoid, Identity, ...).
_SIMPLE_LAYERS: dict[str, type[Layer]] = {
    cls.__name__: cls for cls in ACTIVATIONS.values()
    if not inspect.signature(cls).parameters}
_FLOAT_DTYPES = ("float32", "float64")

# Limits that let a hostile file be refused after reading a few kilobytes of it.
_HEADER_LIMIT = 4 * 2**20  # bytes of header JSON (save refuses a bigger header)
_NPY_HEADER_LIMIT = 10_000  # bytes of a member's .npy header: NumPy's own default limit
_DEFLATE_MAX_RATIO = 1032  # deflate expands one compressed byte into at most 1032 bytes
_READ_CHUNK = 2**20
# What zipfile raises while reading a damaged member (a bad deflate stream is a zlib.error;
# an unknown compression method a NotImplementedError; an encrypted one a RuntimeError).
_ARCHIVE_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError,
                   RuntimeError)


# --- describing a model as JSON + arrays ----------------------------------------------------


def _describe_layers(model: Sequential) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The architecture (one dict per layer) and the parameter arrays, by name."""
    layers: list[dict] = []
    arrays: dict[str, np.ndarray] = {}
    n_dense = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if isinstance(layer, Dense):
            layers.append({"kind": "Dense", "n_in": layer.n_in, "n_out": layer.n_out})
            arrays[f"dense_{n_dense}_W"] = layer.W
            arrays[f"dense_{n_dense}_b"] = layer.b
            n_dense += 1
        elif isinstance(layer, LeakyReLU):
            layers.append({"kind": "LeakyReLU", "negative_slope": layer.negative_slope})
        elif isinstance(layer, Dropout):
            layers.append({"kind": "Dropout", "p": layer.p})
        elif kind in _SIMPLE_LAYERS and type(layer) is _SIMPLE_LAYERS[kind]:
            layers.append({"kind": kind})
        else:
            supported = ", ".join(["Dense", "LeakyReLU", "Dropout", *_SIMPLE_LAYERS])
            raise TypeError(f"cannot save a layer of type {kind}; model files support: "
                            f"{supported}")
    if n_dense == 0:
        raise ValueError("cannot save a Sequential without a Dense layer: it has no weights")
    return layers, arrays


def _build_layers(specs: list[dict], dtype: np.dtype) -> Sequential:
    """A ``Sequential`` from validated layer specs, with zero weights of ``dtype``."""
    layers: list[Layer] = []
    for spec in specs:
        kind = spec["kind"]
        if kind == "Dense":
            layers.append(Dense(spec["n_in"], spec["n_out"], rng=0, dtype=dtype))
        elif kind == "LeakyReLU":
            layers.append(LeakyReLU(spec["negative_slope"]))
        elif kind == "Dropout":
            layers.append(Dropout(spec["p"]))
        else:
            layers.append(_SIMPLE_LAYERS[kind]())
    return Sequential(layers)


def _hash_arrays(digest, arrays: dict[str, np.ndarray]) -> None:
    """Feed every array's name, dtype, shape and bytes, in name order, to ``digest``."""
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{list(array.shape)}|".encode())
        digest.update(array.tobytes())


def _array_checksum(arrays: dict[str, np.ndarray]) -> str:
    """Format version 1: SHA-256 over the arrays alone (the header was not covered)."""
    digest = hashlib.sha256()
    _hash_arrays(digest, arrays)
    return digest.hexdigest()


def _canonical_header(header: dict) -> bytes:
    """The header without its ``checksum`` field as canonical JSON: sorted keys, no spaces,
    ASCII. Parsing a file and encoding again gives the same bytes, so both sides agree."""
    content = {key: value for key, value in header.items() if key != "checksum"}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def _checksum(header: dict, arrays: dict[str, np.ndarray]) -> str:
    """The SHA-256 a file of ``header["format_version"]`` stores.

    Version 2 covers the header's content (all of it but the checksum field, as canonical
    JSON) and then the arrays, so an edited class label or layer setting is caught like an
    edited weight; version 1 covered the arrays alone, and its files are checked that way.
    """
    if header.get("format_version") == 1:
        return _array_checksum(arrays)
    canonical = _canonical_header(header)
    digest = hashlib.sha256()
    digest.update(f"header|{len(canonical)}|".encode())
    digest.update(canonical)
    _hash_arrays(digest, arrays)
    return digest.hexdigest()


def _check_metadata(metadata: dict | None) -> dict | None:
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
    try:
        json.dumps(metadata, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"metadata must be JSON-serialisable (dicts with string keys, lists, "
                         f"strings, numbers, bools, None; no NaN): {error}. Convert NumPy "
                         "arrays with .tolist() and NumPy scalars with int()/float()") from None
    return metadata


def _library_version() -> str:
    from . import __version__

    return __version__


def _describe(obj) -> tuple[dict, dict[str, np.ndarray]]:
    """``(header, arrays)`` for a ``Sequential`` or a fitted ``MLPClassifier``."""
    if isinstance(obj, Sequential):
        model, estimator = obj, None
    elif _is_estimator(obj):
        estimator = _describe_estimator(obj)
        model = obj.model_
    else:
        raise TypeError(f"cannot save an object of type {type(obj).__name__}; save a "
                        "scratchnn Sequential or a fitted scratchnn MLPClassifier")
    layers, arrays = _describe_layers(model)
    dtypes = {a.dtype.name for a in arrays.values()}
    if len(dtypes) != 1 or next(iter(dtypes)) not in _FLOAT_DTYPES:
        raise ValueError(f"every parameter must share one dtype, float32 or float64; got "
                         f"{sorted(dtypes)}")
    activations = sorted({spec["kind"] for spec in layers} - {"Dense", "Dropout"})
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "library_version": _library_version(),
        "kind": "Sequential" if estimator is None else type(obj).__name__,
        "dtype": next(iter(dtypes)),
        "architecture": layers,
        "activation": activations[0] if len(activations) == 1 else activations,
        "n_inputs": model.n_inputs,
        "n_outputs": model.n_outputs,
    }
    if estimator is not None:
        header["estimator"] = estimator
    return header, arrays


# --- the estimator part lives in estimator.py (imported lazily: the core needs NumPy alone) ------


_ESTIMATOR_KINDS = ("MLPClassifier", "MLPRegressor")


def _is_estimator(obj) -> bool:
    return type(obj).__name__ in _ESTIMATOR_KINDS and type(obj).__module__.startswith("scratchnn")


def _describe_estimator(est) -> dict:
    from .estimator import describe_estimator

    return describe_estimator(est)


def _restore_estimator(info: Any, model: Sequential):
    from .estimator import restore_estimator

    return restore_estimator(info, model)


# --- saving ---------------------------------------------------------------------------------


def save(obj, path: str | os.PathLike, *, metadata: dict | None = None) -> Path:
    """Write ``obj`` (a ``Sequential`` or a fitted ``MLPClassifier``) to ``path`` atomically.

    Parameters
    ----------
    obj : Sequential or MLPClassifier
        Dense / ReLU / LeakyReLU / Tanh / Sigmoid / Identity / Dropout layers, float32 or
        float64.
    path : str or PathLike
        The file to write (used as given; ``.npz`` is the customary suffix). An existing file
        is replaced only once the new one is complete on disk.
    metadata : dict, optional
        JSON-serialisable information stored in the header under ``"metadata"`` (feature
        names, preprocessing, ...). Anything else is refused before a byte is written.

    Notes
    -----
    Returns the path written. Raises ``TypeError`` / ``ValueError`` for an unsupported or
    unfitted object or bad metadata, and then writes nothing.
    """
    metadata = _check_metadata(metadata)
    header, arrays = _describe(obj)
    if metadata is not None:
        header["metadata"] = metadata
    for name in arrays:
        if name == HEADER_KEY:
            raise ValueError(f"{HEADER_KEY!r} is reserved for the header")
    problem = _non_finite(arrays, header["architecture"])
    if problem:
        raise ValueError(f"cannot save: {problem}; its training diverged (try a smaller "
                         "learning rate, or scale the data), so there is no model worth keeping")
    # The checksum is taken over the header as load will parse it (tuples become lists,
    # int keys strings), so both sides hash the same canonical text.
    header = json.loads(json.dumps(header, allow_nan=False))
    header["checksum"] = {"algorithm": "sha256", "value": _checksum(header, arrays)}
    text = json.dumps(header, allow_nan=False, sort_keys=True)
    if len(text) > _HEADER_LIMIT:
        raise ValueError(f"the model's header would take {len(text)} bytes of JSON, more than "
                         f"the {_HEADER_LIMIT} a model file allows; keep large metadata in a "
                         "file of its own")
    members = {HEADER_KEY: np.frombuffer(text.encode("utf-8"), dtype=np.uint8), **arrays}

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:  # a file object: np.savez would append .npz to a name
            np.savez(f, allow_pickle=False, **members)

    return atomic_write(path, write, verb="save to")


# --- loading --------------------------------------------------------------------------------


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
    """The validated JSON header, read with a cap of ``_HEADER_LIMIT`` bytes."""
    with _npy_member(archive, info, HEADER_KEY, path, _HEADER_LIMIT) as (
            stream, shape, fortran, dtype):
        if dtype != np.uint8 or len(shape) != 1:
            raise ModelFileError(f"{path}: the header must be a 1-D uint8 array of UTF-8 JSON, "
                                 f"got {dtype} with shape {shape}")
        if shape[0] > _HEADER_LIMIT:
            raise ModelFileError(f"{path}: the header declares {shape[0]} bytes of JSON, more "
                                 f"than the {_HEADER_LIMIT} a model file may hold; refusing to "
                                 "read it")
        raw = _read_data(stream, info, shape, fortran, dtype, HEADER_KEY, path)
    return _parse_header(raw.tobytes(), path)


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
    return _validate_header(header, path)


def _cut(text: str) -> str:
    """A message from a parser, cut short: it may quote a hostile header at length."""
    return text if len(text) <= 200 else f"{text[:200]}..."


_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 80


def _brief(value) -> str:
    """``repr`` cut short: a hostile header must not make a message megabytes long."""
    return _SHORT_REPR.repr(value)


def _validate_header(header: dict, path: Path) -> dict:
    fmt = header.get("format")
    if fmt != FORMAT_NAME:
        raise ModelFileError(f"{path}: unknown format {_brief(fmt)}; expected {FORMAT_NAME!r}")
    version = header.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{path}: the header's format_version {_brief(version)} is not a "
                             "positive integer")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path} uses format version {version}, newer than this scratchnn "
                             f"reads ({FORMAT_VERSION}); upgrade scratchnn to load it")
    if header.get("kind") not in ("Sequential", *_ESTIMATOR_KINDS):
        raise ModelFileError(f"{path}: unknown model kind {_brief(header.get('kind'))}")
    if header.get("dtype") not in _FLOAT_DTYPES:
        raise ModelFileError(f"{path}: dtype must be one of {_FLOAT_DTYPES}, got "
                             f"{_brief(header.get('dtype'))}")
    checksum = header.get("checksum")
    if not (isinstance(checksum, dict) and checksum.get("algorithm") == "sha256"
            and isinstance(checksum.get("value"), str)):
        raise ModelFileError(f"{path}: the header has no sha256 checksum")
    if header.get("kind") in _ESTIMATOR_KINDS:
        if not isinstance(header.get("estimator"), dict):
            raise ModelFileError(f"{path}: an {header['kind']} file needs an estimator section")
        _validate_classes_dtype(header["estimator"].get("classes"), path)
    _validate_architecture(header.get("architecture"), path)
    return header


def _validate_classes_dtype(classes, path: Path) -> None:
    """Refuse a class-label dtype wider than the labels need (``<U999999999`` would make
    NumPy allocate gigabytes for two labels); other faults are left to the estimator."""
    if not (isinstance(classes, dict) and isinstance(classes.get("dtype"), str)
            and isinstance(classes.get("values"), list)):
        return
    try:
        itemsize = np.dtype(classes["dtype"]).itemsize
    except (TypeError, ValueError):
        return
    longest = max((len(str(v)) for v in classes["values"]), default=0)
    if itemsize > max(16, 4 * longest):  # 4 bytes a character in NumPy's "<U" strings
        raise ModelFileError(f"{path}: the header's class-label dtype "
                             f"{_brief(classes['dtype'])} is wider than its labels need")


def _is_int(value, low: int = 1) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _is_number(value) -> bool:
    """A finite int or float (an int too large for a float is finite: no OverflowError)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or math.isfinite(value)


def _validate_architecture(specs, path: Path) -> None:
    if not isinstance(specs, list) or not specs:
        raise ModelFileError(f"{path}: the header's architecture must be a non-empty list of "
                             "layers")
    previous_out = None
    for i, spec in enumerate(specs):
        kind = spec.get("kind") if isinstance(spec, dict) else None
        where = f"{path}: layer {i} ({_brief(kind)})"
        if kind == "Dense":
            if not (_is_int(spec.get("n_in")) and _is_int(spec.get("n_out"))):
                raise ModelFileError(f"{where} needs positive integer n_in and n_out")
            if previous_out is not None and spec["n_in"] != previous_out:
                raise ModelFileError(f"{where} takes {spec['n_in']} inputs but the layer before "
                                     f"gives {previous_out}")
            previous_out = spec["n_out"]
        elif kind == "LeakyReLU":
            slope = spec.get("negative_slope")
            if not (_is_number(slope) and 0 <= slope < 1):
                raise ModelFileError(f"{where} needs negative_slope in [0, 1), got "
                                     f"{_brief(slope)}")
        elif kind == "Dropout":
            p = spec.get("p")
            if not (_is_number(p) and 0 <= p < 1):
                raise ModelFileError(f"{where} needs p in [0, 1), got {_brief(p)}")
        elif not (isinstance(kind, str) and kind in _SIMPLE_LAYERS):
            raise ModelFileError(f"{path}: layer {i} has unknown kind {_brief(kind)}")
    if previous_out is None:
        raise ModelFileError(f"{path}: the architecture has no Dense layer")


def _expected_shapes(specs: list[dict]) -> dict[str, tuple[int, ...]]:
    """Each parameter array's name and the shape the architecture gives it."""
    expected: dict[str, tuple[int, ...]] = {}
    dense_specs = [spec for spec in specs if spec["kind"] == "Dense"]
    for i, spec in enumerate(dense_specs):
        expected[f"dense_{i}_W"] = (spec["n_in"], spec["n_out"])
        expected[f"dense_{i}_b"] = (spec["n_out"],)
    return expected


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


def _verify_checksum(header: dict, arrays: dict[str, np.ndarray], path: Path) -> None:
    try:
        actual = _checksum(header, arrays)
    except (RecursionError, ValueError, TypeError) as error:
        raise ModelFileError(f"{path}: the header cannot be checked: {_cut(str(error))}"
                             ) from None
    if actual != header["checksum"]["value"]:
        raise ModelFileError(f"{path}: checksum mismatch: the header or the weights were "
                             "changed or damaged after saving")


def _non_finite(arrays: dict[str, np.ndarray], specs: list[dict]) -> str | None:
    """Where the first NaN or infinite parameter sits, naming its layer; None if none."""
    positions = [i for i, spec in enumerate(specs) if spec["kind"] == "Dense"]
    for k, i in enumerate(positions):
        for suffix, what in (("W", "weights W"), ("b", "biases b")):
            finite = np.isfinite(arrays[f"dense_{k}_{suffix}"])
            if not finite.all():
                bad = finite.size - int(np.count_nonzero(finite))
                return (f"layer {i} (Dense {specs[i]['n_in']} -> {specs[i]['n_out']}): its "
                        f"{what} hold {bad} NaN or infinite value{'s' * (bad != 1)}")
    return None


def _restore(header: dict, model: Sequential, path: Path):
    """The fitted estimator; whatever an edited estimator section raises is a
    ``ModelFileError``."""
    try:
        return _restore_estimator(header["estimator"], model)
    except ModelFileError:
        raise
    except (TypeError, ValueError, OverflowError, KeyError, AttributeError, IndexError,
            MemoryError) as error:
        raise ModelFileError(f"{path}: the header's estimator section cannot be used: "
                             f"{_cut(str(error))}") from None


def read_header(path: str | os.PathLike) -> dict:
    """The validated JSON header of a model file (no weights are read, so the checksum,
    which covers the weights too, is not checked here; ``load`` checks it).

    Raises ``FileNotFoundError`` for a missing file and ``ModelFileError`` for anything that
    is not a valid scratchnn model file header.
    """
    path = Path(path)
    with _open(path) as archive:
        return _read_header(archive, _members(archive, path)[HEADER_KEY], path)


def load(path: str | os.PathLike, *, return_header: bool = False):
    """Read a model file written by ``save``: a ``Sequential`` or a fitted ``MLPClassifier``.

    Never unpickles and never runs code. With ``return_header=True`` returns
    ``(obj, header)``, where ``header["metadata"]`` holds what was passed to ``save``.

    Memory stays bounded by what the file describes: the member list, every member's
    declared size, dtype and shape are checked against the header's architecture before any
    array data is read, the header is capped at ``_HEADER_LIMIT`` bytes, and each array is
    read with a cap of exactly the bytes its shape needs.

    Raises ``FileNotFoundError`` for a missing file and ``ModelFileError`` (a ``ValueError``)
    for anything else that stops it: an empty, truncated, damaged or non-zip file, a missing
    or malformed header, an unknown format or a newer format version, a checksum mismatch
    (header or weights edited), object arrays, arrays that do not fit the architecture,
    NaN or infinite weights, or an estimator section that does not fit.
    """
    path = Path(path)
    with _open(path) as archive:
        members = _members(archive, path)
        header = _read_header(archive, members[HEADER_KEY], path)
        dtype = np.dtype(header["dtype"])
        specs = header["architecture"]
        expected = _expected_shapes(specs)
        _check_members(archive, members, expected, dtype, path)
        arrays = _read_arrays(archive, members, expected, path)
    _verify_checksum(header, arrays, path)
    problem = _non_finite(arrays, specs)
    if problem:
        raise ModelFileError(f"{path}: {problem}: the model in this file is broken (it was "
                             "saved after its training diverged); retrain it and save it again")

    model = _build_layers(specs, dtype)
    for i, layer in enumerate(model.dense_layers):
        np.copyto(layer.W, arrays[f"dense_{i}_W"])
        np.copyto(layer.b, arrays[f"dense_{i}_b"])
    model.eval()
    obj = model
    if header["kind"] in _ESTIMATOR_KINDS:
        obj = _restore(header, model, path)
    return (obj, header) if return_header else obj
