"""Safe model files: ``save`` / ``load`` for a ``Sequential`` or a fitted ``MLPClassifier``.

A model file is an ordinary ``.npz`` archive (a zip of ``.npy`` arrays) written with
``allow_pickle=False``. It holds

* one array per parameter (``dense_0_W``, ``dense_0_b``, ``dense_1_W``, ...), and
* ``__header__``: a ``uint8`` array holding UTF-8 JSON that describes everything else: the
  format name and version, the library version, the layer list (kinds, sizes, parameters),
  the dtype, for an estimator its parameters, classes and training summary, the caller's
  ``metadata``, and a SHA-256 checksum over the arrays' names, dtypes, shapes and bytes.

Why it is safe to load a file from someone else: ``load`` never unpickles (NumPy is told
``allow_pickle=False``, so an object array is refused, not executed) and never runs code; it
rebuilds the model from plain numbers after checking the header, the checksum and every
array's shape against the architecture, and raises ``ModelFileError`` saying what is wrong.

Why a crash cannot destroy a saved model: ``save`` writes a temporary file in the same
folder, flushes and ``fsync``s it, then renames it over the target with ``os.replace``
(atomic on POSIX and Windows). A process killed at any moment leaves the old file or the
new one, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import secrets
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .layers import Dense, Dropout, Identity, Layer, LeakyReLU, ReLU, Sigmoid, Tanh
from .model import Sequential

FORMAT_NAME = "scratchnn-model"
FORMAT_VERSION = 1
HEADER_KEY = "__header__"

# Layer kinds a file may contain, and the scalar settings each one needs.
_SIMPLE_LAYERS: dict[str, type[Layer]] = {
    "ReLU": ReLU, "Tanh": Tanh, "Sigmoid": Sigmoid, "Identity": Identity,
}
_FLOAT_DTYPES = ("float32", "float64")


class ModelFileError(ValueError):
    """A model file is missing, damaged, of an unknown format, or does not fit together."""


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


def _array_checksum(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over every array's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{list(array.shape)}|".encode())
        digest.update(array.tobytes())
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
        "kind": "Sequential" if estimator is None else "MLPClassifier",
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


def _is_estimator(obj) -> bool:
    return type(obj).__name__ == "MLPClassifier" and type(obj).__module__.startswith("scratchnn")


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
    header["checksum"] = {"algorithm": "sha256", "value": _array_checksum(arrays)}
    text = json.dumps(header, allow_nan=False, sort_keys=True)
    members = {HEADER_KEY: np.frombuffer(text.encode("utf-8"), dtype=np.uint8), **arrays}

    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot save to {path}: the folder {folder} does not exist")
    try:
        fd, tmp_name = create_temporary_file(folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:  # name the file asked for, not the temporary one
        raise type(error)(error.errno, f"cannot save to {path}: {error.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, allow_pickle=False, **members)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_folder(folder)
    return path


def create_temporary_file(folder: str | os.PathLike, *, prefix: str = ".tmp-",
                          suffix: str = "") -> tuple[int, str]:
    """A new, empty file with a random name in ``folder``: ``(open descriptor, path)``.

    Unlike ``tempfile.mkstemp`` (mode 0600, owner only) the file gets the usual mode of a new
    file, ``0o666`` minus the process umask, just as ``open(path, "w")`` would give it; the
    kernel applies the umask, so no process-wide ``os.umask`` juggling is needed. Meant for
    write-then-``os.replace``: the rename keeps this mode.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        name = os.path.join(folder, f"{prefix}{secrets.token_hex(8)}{suffix}")
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file in {folder}")  # pragma: no cover


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless to skip where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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


def _open(path: Path):
    """The ``NpzFile`` for ``path``, after the checks that need no parsing."""
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
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise ModelFileError(f"{path} is not a readable .npz archive: {error}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):  # pragma: no cover - is_zipfile above
        raise ModelFileError(f"{path} is a single array, not a scratchnn model file")
    return archive


def _read_array(archive, name: str, path: Path) -> np.ndarray:
    try:
        array = archive[name]
        if not isinstance(array, np.ndarray):  # a zip member that is not a .npy file
            raise ModelFileError(f"{path}: the member {name!r} is not a NumPy array")
        return array
    except ValueError as error:
        if "pickle" in str(error).lower():
            raise ModelFileError(f"{path}: the array {name!r} is an object array, which would "
                                 "need unpickling (and could run code); refusing to load it"
                                 ) from None
        raise ModelFileError(f"{path}: the array {name!r} is damaged: {error}") from None
    except (OSError, zipfile.BadZipFile, EOFError, KeyError) as error:
        raise ModelFileError(f"{path}: the array {name!r} cannot be read (damaged or truncated "
                             f"file): {error}") from None


def _parse_header(raw: np.ndarray, path: Path) -> dict:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelFileError(f"{path}: the header must be a 1-D uint8 array of UTF-8 JSON, got "
                             f"{raw.dtype} with shape {raw.shape}")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{path}: the header is not valid UTF-8 JSON: {error}") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{path}: the header must be a JSON object, got "
                             f"{type(header).__name__}")
    return _validate_header(header, path)


def _validate_header(header: dict, path: Path) -> dict:
    fmt = header.get("format")
    if fmt != FORMAT_NAME:
        raise ModelFileError(f"{path}: unknown format {fmt!r}; expected {FORMAT_NAME!r}")
    version = header.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{path}: the header's format_version {version!r} is not a "
                             "positive integer")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path} uses format version {version}, newer than this scratchnn "
                             f"reads ({FORMAT_VERSION}); upgrade scratchnn to load it")
    if header.get("kind") not in ("Sequential", "MLPClassifier"):
        raise ModelFileError(f"{path}: unknown model kind {header.get('kind')!r}")
    if header.get("dtype") not in _FLOAT_DTYPES:
        raise ModelFileError(f"{path}: dtype must be one of {_FLOAT_DTYPES}, got "
                             f"{header.get('dtype')!r}")
    checksum = header.get("checksum")
    if not (isinstance(checksum, dict) and checksum.get("algorithm") == "sha256"
            and isinstance(checksum.get("value"), str)):
        raise ModelFileError(f"{path}: the header has no sha256 checksum")
    if header.get("kind") == "MLPClassifier" and not isinstance(header.get("estimator"), dict):
        raise ModelFileError(f"{path}: an MLPClassifier file needs an estimator section")
    _validate_architecture(header.get("architecture"), path)
    return header


def _is_int(value, low: int = 1) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _validate_architecture(specs, path: Path) -> None:
    if not isinstance(specs, list) or not specs:
        raise ModelFileError(f"{path}: the header's architecture must be a non-empty list of "
                             "layers")
    previous_out = None
    for i, spec in enumerate(specs):
        kind = spec.get("kind") if isinstance(spec, dict) else None
        where = f"{path}: layer {i} ({kind})"
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
                raise ModelFileError(f"{where} needs negative_slope in [0, 1), got {slope!r}")
        elif kind == "Dropout":
            p = spec.get("p")
            if not (_is_number(p) and 0 <= p < 1):
                raise ModelFileError(f"{where} needs p in [0, 1), got {p!r}")
        elif kind not in _SIMPLE_LAYERS:
            raise ModelFileError(f"{path}: layer {i} has unknown kind {kind!r}")
    if previous_out is None:
        raise ModelFileError(f"{path}: the architecture has no Dense layer")


def read_header(path: str | os.PathLike) -> dict:
    """The validated JSON header of a model file (no weights are read).

    Raises ``FileNotFoundError`` for a missing file and ``ModelFileError`` for anything that
    is not a valid scratchnn model file header.
    """
    path = Path(path)
    with _open(path) as archive:
        if HEADER_KEY not in archive.files:
            raise ModelFileError(f"{path} has no {HEADER_KEY!r} member: it is a plain .npz, "
                                 "not a scratchnn model file")
        return _parse_header(_read_array(archive, HEADER_KEY, path), path)


def load(path: str | os.PathLike, *, return_header: bool = False):
    """Read a model file written by ``save``: a ``Sequential`` or a fitted ``MLPClassifier``.

    Never unpickles and never runs code. With ``return_header=True`` returns
    ``(obj, header)``, where ``header["metadata"]`` holds what was passed to ``save``.

    Raises ``FileNotFoundError`` for a missing file and ``ModelFileError`` (a ``ValueError``)
    for an empty, truncated or non-zip file, a missing or malformed header, an unknown format
    or a newer format version, a checksum mismatch, object arrays, or arrays whose shapes do
    not fit the architecture.
    """
    path = Path(path)
    with _open(path) as archive:
        if HEADER_KEY not in archive.files:
            raise ModelFileError(f"{path} has no {HEADER_KEY!r} member: it is a plain .npz, "
                                 "not a scratchnn model file")
        header = _parse_header(_read_array(archive, HEADER_KEY, path), path)
        arrays = {name: _read_array(archive, name, path)
                  for name in archive.files if name != HEADER_KEY}

    dtype = np.dtype(header["dtype"])
    specs = header["architecture"]
    expected: dict[str, tuple[int, ...]] = {}
    dense_specs = [s for s in specs if s["kind"] == "Dense"]
    for i, spec in enumerate(dense_specs):
        expected[f"dense_{i}_W"] = (spec["n_in"], spec["n_out"])
        expected[f"dense_{i}_b"] = (spec["n_out"],)
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise ModelFileError(f"{path}: the arrays do not fit the architecture (missing: "
                             f"{missing or 'none'}; unexpected: {extra or 'none'})")
    for name, shape in expected.items():
        array = arrays[name]
        if array.dtype != dtype:
            raise ModelFileError(f"{path}: array {name!r} has dtype {array.dtype}, but the "
                                 f"header says {dtype}")
        if array.shape != shape:
            raise ModelFileError(f"{path}: array {name!r} has shape {array.shape}, but the "
                                 f"architecture needs {shape}")
    if _array_checksum(arrays) != header["checksum"]["value"]:
        raise ModelFileError(f"{path}: checksum mismatch: the weights were changed or damaged "
                             "after saving")

    model = _build_layers(specs, dtype)
    for i, layer in enumerate(model.dense_layers):
        np.copyto(layer.W, arrays[f"dense_{i}_W"])
        np.copyto(layer.b, arrays[f"dense_{i}_b"])
    model.eval()
    obj = model
    if header["kind"] == "MLPClassifier":
        obj = _restore_estimator(header["estimator"], model)
    return (obj, header) if return_header else obj
