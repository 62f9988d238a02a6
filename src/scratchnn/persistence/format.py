"""Safe model files: ``save`` / ``load`` for a ``Sequential`` or a fitted ``MLPClassifier`` or
``MLPRegressor``, optionally with the optimizer that trains it.

A model file is an ordinary ``.npz`` archive (a zip of ``.npy`` arrays) written with
``allow_pickle=False``. It holds

* one array per parameter (``dense_0_W``, ``dense_0_b``, ``dense_1_W``, ...; the layers
  beyond ``Dense`` by their position, ``layer_0_W``, ``layer_2_running_mean``, and inside a
  residual block ``layer_3_block_0_W``: see ``_layer_table.py``),
* with an optimizer, one array per piece of its state (``optimizer_0_exp_avg``, ...: see
  ``optimizer_state.py``), and
* ``__header__``: a ``uint8`` array holding UTF-8 JSON that describes everything else: the
  format name and version, the library version, the layer list (kinds, sizes, parameters),
  the dtype, for an estimator its parameters, classes and training summary
  (``estimator_state.py``), the optimizer's class, settings and scalar state, the caller's
  ``metadata``, and a SHA-256 checksum over the rest of the header (canonical JSON) and the
  arrays' names, dtypes, shapes and bytes (format 1, still read, covered the arrays alone).

Why it is safe to load a file from someone else: ``load`` never unpickles (an object array is
refused, not executed) and never runs code; it compares the member list and every member's
declared size, dtype and shape with the header's architecture before it reads any array
data, reads each array with a cap, and rebuilds the model from plain numbers after checking
the checksum and that every weight is finite. Whatever stops it is a ``ModelFileError``
saying what is wrong, so a hostile file costs a few kilobytes of reading, not gigabytes (the
bounded reading itself is ``_npz_reader.py``'s).

Why a crash cannot destroy a saved model: ``save`` writes a temporary file in the same
folder, flushes and ``fsync``s it, then renames it over the target with ``os.replace``
(atomic on POSIX and Windows), with ``scratchnn._files.atomic_write``. A process killed at
any moment leaves the old file or the new one, never half of one; on an error, Ctrl-C or
SIGTERM the temporary file is removed as well.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import os
from pathlib import Path

import numpy as np

from .._files import atomic_write
from ..blocks import Residual
from ..errors import ModelFileError
from ..layers import ACTIVATIONS, Dense, Dropout, Layer, LeakyReLU
from ..model import Sequential
from . import _layer_table
from ._npz_reader import (
    HEADER_KEY,
    HEADER_LIMIT,
    _brief,
    _check_members,
    _check_room,
    _cut,
    _members,
    _open,
    _read_arrays,
    _read_header,
)
from .estimator_state import ESTIMATOR_KINDS, describe_estimator, is_estimator, restore_estimator
from .optimizer_state import describe_optimizer, optimizer_shapes, restore_optimizer

FORMAT_NAME = "scratchnn-model"
# 3: the file may hold an optimizer's state; 2: the checksum covers the header too; 1 is still
# read. A file without an optimizer is written as version 2, byte for byte what 2 was.
FORMAT_VERSION = 3
_MODEL_ONLY_VERSION = 2

# Layer kinds a file may contain besides Dense, LeakyReLU and Dropout (which have settings): the
# activations that take no settings, by class name (ReLU, Tanh, Sigmoid, Identity, ...).
_SIMPLE_LAYERS: dict[str, type[Layer]] = {
    cls.__name__: cls for cls in ACTIVATIONS.values()
    if not inspect.signature(cls).parameters}
_FLOAT_DTYPES = ("float32", "float64")


# --- describing a model as JSON + arrays ----------------------------------------------------


def _layer_spec(layer: Layer) -> dict:
    """The header's entry for one layer: its kind and settings."""
    kind = type(layer).__name__
    if isinstance(layer, Dense):
        return {"kind": "Dense", "n_in": layer.n_in, "n_out": layer.n_out}
    if isinstance(layer, LeakyReLU):
        return {"kind": "LeakyReLU", "negative_slope": layer.negative_slope}
    if isinstance(layer, Dropout):
        return {"kind": "Dropout", "p": layer.p}
    if kind in _SIMPLE_LAYERS and type(layer) is _SIMPLE_LAYERS[kind]:
        return {"kind": kind}
    spec = _layer_table.describe(layer, _layer_spec)
    if spec is None:
        supported = ", ".join(["Dense", "LeakyReLU", "Dropout", *_SIMPLE_LAYERS,
                               *_layer_table.KINDS])
        raise TypeError(f"cannot save a layer of type {kind}; model files support: {supported}")
    return spec


def _model_arrays(layers: list[Layer], prefix: str = "layer_",
                  top: bool = True) -> list[tuple[str, np.ndarray, bool]]:
    """``(member name, array, is_parameter)`` for every parameter and buffer of ``layers``, in
    ``parameters()`` order: a top-level ``Dense``'s as ``dense_{k}_W``, ``dense_{k}_b`` (k
    counting the Dense layers), any other's as ``{prefix}{position}_{name}``."""
    found: list[tuple[str, np.ndarray, bool]] = []
    n_dense = 0
    for i, layer in enumerate(layers):
        if top and isinstance(layer, Dense):
            found += [(f"dense_{n_dense}_W", layer.W, True), (f"dense_{n_dense}_b", layer.b, True)]
            n_dense += 1
        elif isinstance(layer, Residual):
            inner = getattr(layer.block, "layers", [layer.block])
            found += _model_arrays(inner, f"{prefix}{i}_block_", top=False)
        else:
            found += [(f"{prefix}{i}_{name}", array, True)
                      for name, array in layer.named_parameters()]
            stored = _layer_table.BUFFERS.get(type(layer).__name__, ())
            found += [(f"{prefix}{i}_{name}", array, False)
                      for name, array in layer.named_buffers() if name in stored]
    return found


def _describe_layers(model: Sequential) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The architecture (one dict per layer) and the parameter (and buffer) arrays, by name."""
    layers = [_layer_spec(layer) for layer in model.layers]
    arrays = {name: array for name, array, _ in _model_arrays(model.layers)}
    if not arrays:
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
        elif kind in _SIMPLE_LAYERS:
            layers.append(_SIMPLE_LAYERS[kind]())
        else:
            layers.append(_layer_table.build(spec, dtype, _build_layers))
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
    from .._version import __version__

    return __version__


def _describe(obj) -> tuple[dict, dict[str, np.ndarray]]:
    """``(header, arrays)`` for a ``Sequential`` or a fitted estimator."""
    if isinstance(obj, Sequential):
        model, estimator = obj, None
    elif is_estimator(obj):
        estimator = describe_estimator(obj)
        model = obj.model_
    else:
        raise TypeError(f"cannot save an object of type {type(obj).__name__}; save a "
                        "scratchnn Sequential or a fitted scratchnn MLPClassifier or MLPRegressor")
    layers, arrays = _describe_layers(model)
    dtypes = {a.dtype.name for a in arrays.values()}
    if len(dtypes) != 1 or next(iter(dtypes)) not in _FLOAT_DTYPES:
        raise ValueError(f"every parameter must share one dtype, float32 or float64; got "
                         f"{sorted(dtypes)}")
    activations = sorted({spec["kind"] for spec in layers} & {"LeakyReLU", *_SIMPLE_LAYERS})
    header = {
        "format": FORMAT_NAME,
        "format_version": _MODEL_ONLY_VERSION,
        "library_version": _library_version(),
        "kind": "Sequential" if estimator is None else type(obj).__name__,
        "dtype": next(iter(dtypes)),
        "architecture": layers,
        "activation": activations[0] if len(activations) == 1 else activations,
    }
    if model.takes_rows:
        header["n_inputs"] = model.n_inputs
    else:  # a network on images or sequences: one sample's shape (null: any size)
        header["input_shape"] = None if model.input_shape is None else list(model.input_shape)
    if model.dense_layers:
        header["n_outputs"] = model.n_outputs
    if estimator is not None:
        header["estimator"] = estimator
    return header, arrays


# --- saving ---------------------------------------------------------------------------------


def check_model_path(path: str | os.PathLike, option: str = "") -> None:
    """Refuse a model file name that does not end in ``.npz`` (``model.pkl``, ``model``),
    with the name to use instead; ``option`` (``"--save"``) names the command-line option."""
    path = os.fspath(path)
    if path.lower().endswith(".npz"):
        return
    stem, suffix = os.path.splitext(path)
    was = f"not {suffix}" if suffix else "this name has no suffix"
    where = f"{option} {path}" if option else f"cannot save to {path}"
    fix = f"{option} {stem}.npz" if option else f"{stem}.npz"
    raise ValueError(f"{where}: a model file is a .npz archive ({was}; scratchnn never writes "
                     f"pickles); use {fix}")


def save(obj, path: str | os.PathLike, *, metadata: dict | None = None,
         optimizer=None) -> Path:
    """Write ``obj`` (a ``Sequential`` or a fitted estimator) to ``path`` atomically.

    Parameters
    ----------
    obj : Sequential, MLPClassifier or MLPRegressor
        Dense / ReLU / LeakyReLU / Tanh / Sigmoid / Identity / Dropout layers, and Flatten,
        Conv2D / Conv1D / MaxPool2D / AvgPool2D, BatchNorm1D / BatchNorm2D (with their running
        statistics) / LayerNorm and Residual; float32 or float64.
    path : str or PathLike
        The file to write; its name must end in ``.npz`` (a model file is an ``.npz``
        archive, never a pickle: ``model.pkl`` is refused with a ``ValueError`` that names
        ``model.npz``, rather than renamed, so the file is always where the caller said). An
        existing file is replaced only once the new one is complete on disk.
    metadata : dict, optional
        JSON-serialisable information stored in the header under ``"metadata"`` (feature
        names, preprocessing, ...). Anything else is refused before a byte is written.
    optimizer : SGD, Adam or RMSprop, optional
        The optimizer training ``obj`` (over ``model.parameters()``, for an estimator
        ``obj.model_.parameters()``): its class, settings and ``state_dict()`` are stored, so
        ``load(path, optimizer=True)`` can go on training where this left off. Such a file has
        format version 3; without an optimizer it is a version 2 file, as before.

    Notes
    -----
    Returns the path written. Raises ``TypeError`` / ``ValueError`` for an unsupported or
    unfitted object or bad metadata, and then writes nothing.
    """
    check_model_path(path)
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
    if optimizer is not None:
        model = obj.model_ if is_estimator(obj) else obj
        header["optimizer"], state = describe_optimizer(optimizer, model)
        header["format_version"] = FORMAT_VERSION
        arrays = {**arrays, **state}
    # The checksum is taken over the header as load will parse it (tuples become lists,
    # int keys strings), so both sides hash the same canonical text.
    header = json.loads(json.dumps(header, allow_nan=False))
    header["checksum"] = {"algorithm": "sha256", "value": _checksum(header, arrays)}
    text = json.dumps(header, allow_nan=False, sort_keys=True)
    if len(text) > HEADER_LIMIT:
        raise ValueError(f"the model's header would take {len(text)} bytes of JSON, more than "
                         f"the {HEADER_LIMIT} a model file allows; keep large metadata in a "
                         "file of its own")
    members = {HEADER_KEY: np.frombuffer(text.encode("utf-8"), dtype=np.uint8), **arrays}

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:  # a file object: np.savez would append .npz to a name
            np.savez(f, allow_pickle=False, **members)

    return atomic_write(path, write, verb="save to")


# --- loading --------------------------------------------------------------------------------


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
    if header.get("kind") not in ("Sequential", *ESTIMATOR_KINDS):
        raise ModelFileError(f"{path}: unknown model kind {_brief(header.get('kind'))}")
    if header.get("dtype") not in _FLOAT_DTYPES:
        raise ModelFileError(f"{path}: dtype must be one of {_FLOAT_DTYPES}, got "
                             f"{_brief(header.get('dtype'))}")
    checksum = header.get("checksum")
    if not (isinstance(checksum, dict) and checksum.get("algorithm") == "sha256"
            and isinstance(checksum.get("value"), str)):
        raise ModelFileError(f"{path}: the header has no sha256 checksum")
    if header.get("kind") in ESTIMATOR_KINDS:
        if not isinstance(header.get("estimator"), dict):
            raise ModelFileError(f"{path}: an {header['kind']} file needs an estimator section")
        _validate_classes_dtype(header["estimator"].get("classes"), path)
    _validate_architecture(header.get("architecture"), path)
    if "optimizer" in header:
        if version < 3:
            raise ModelFileError(f"{path}: an optimizer section needs format version 3, but the "
                                 f"header says {version}")
        optimizer_shapes(header["optimizer"], _parameter_shapes(header["architecture"]), path)
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
    _validate_layers(specs, f"{path}: the header's architecture", 0)
    if not _spec_arrays(specs):
        raise ModelFileError(f"{path}: the architecture has no Dense layer")


def _validate_layers(specs, where_list: str, depth: int) -> None:
    """Each layer spec's kind and settings (``ModelFileError`` naming the layer); ``Dense``
    layers one after the other must fit (``n_in`` of one = ``n_out`` of the one before)."""
    if not isinstance(specs, list) or not specs:
        raise ModelFileError(f"{where_list} must be a non-empty list of layers")
    path = where_list.split(": ")[0]
    previous_out = None
    for i, spec in enumerate(specs):
        kind = spec.get("kind") if isinstance(spec, dict) else None
        where = f"{path}: layer {i} ({_brief(kind)})" if depth == 0 else (
            f"{where_list}: layer {i} ({_brief(kind)})")
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
        elif isinstance(kind, str) and kind in _layer_table.KINDS:
            _layer_table.validate(spec, where, _validate_layers, depth)
            previous_out = None  # the next Dense takes what this layer gives: not checked here
        elif not (isinstance(kind, str) and kind in _SIMPLE_LAYERS):
            raise ModelFileError(f"{where.rpartition(' (')[0]} has unknown kind {_brief(kind)}")


def _spec_arrays(specs: list[dict], prefix: str = "layer_",
                 top: bool = True) -> list[tuple[str, tuple[int, ...], bool, int]]:
    """``(member name, shape, is_parameter, layer position)`` of every array the validated
    architecture stores, named and ordered as ``_model_arrays`` names and orders a model's."""
    found: list[tuple[str, tuple[int, ...], bool, int]] = []
    n_dense = 0
    for i, spec in enumerate(specs):
        if top and spec["kind"] == "Dense":
            found += [(f"dense_{n_dense}_W", (spec["n_in"], spec["n_out"]), True, i),
                      (f"dense_{n_dense}_b", (spec["n_out"],), True, i)]
            n_dense += 1
        elif spec["kind"] == "Dense":
            found += [(f"{prefix}{i}_W", (spec["n_in"], spec["n_out"]), True, i),
                      (f"{prefix}{i}_b", (spec["n_out"],), True, i)]
        elif spec["kind"] == "Residual":
            found += [(name, shape, is_param, i) for name, shape, is_param, _ in
                      _spec_arrays(spec["block"], f"{prefix}{i}_block_", top=False)]
        elif spec["kind"] in _layer_table.KINDS:
            found += [(f"{prefix}{i}_{name}", shape, is_param, i)
                      for name, shape, is_param in _layer_table.array_shapes(spec)]
    return found


def _expected_shapes(specs: list[dict]) -> dict[str, tuple[int, ...]]:
    """Each parameter (and buffer) array's name and the shape the architecture gives it."""
    return {name: shape for name, shape, _, _ in _spec_arrays(specs)}


def _parameter_shapes(specs: list[dict]) -> list[tuple[int, ...]]:
    """The shape of each parameter in ``model.parameters()`` order (W, then b, per Dense)."""
    return [shape for _, shape, is_param, _ in _spec_arrays(specs) if is_param]


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
    for name, _, _, i in _spec_arrays(specs):
        finite = np.isfinite(arrays[name])
        if not finite.all():
            bad = finite.size - int(np.count_nonzero(finite))
            spec = specs[i]
            if spec["kind"] == "Dense" and name.startswith("dense_"):
                layer = f"Dense {spec['n_in']} -> {spec['n_out']}"
                what = {"W": "weights W", "b": "biases b"}[name.rpartition("_")[2]]
            else:
                layer, what = spec["kind"], f"array {name}"
            return (f"layer {i} ({layer}): its {what} hold{'s' * (what.startswith('array'))} "
                    f"{bad} NaN or infinite value{'s' * (bad != 1)}")
    return None


def _restore(header: dict, model: Sequential, path: Path):
    """The fitted estimator; whatever an edited estimator section raises is a
    ``ModelFileError``."""
    try:
        return restore_estimator(header["estimator"], model)
    except ModelFileError:
        raise
    except (TypeError, ValueError, OverflowError, KeyError, AttributeError, IndexError,
            MemoryError) as error:
        raise ModelFileError(f"{path}: the header's estimator section cannot be used: "
                             f"{_cut(str(error))}") from None


def _restore_optimizer(header: dict, arrays: dict[str, np.ndarray], model: Sequential,
                       path: Path):
    """The optimizer of the file over ``model.parameters()`` (``None`` if the file has none);
    settings or state the optimizer refuses make a ``ModelFileError``."""
    if "optimizer" not in header:
        return None
    try:
        return restore_optimizer(header["optimizer"], arrays, model)
    except (TypeError, ValueError, OverflowError, KeyError, AttributeError, IndexError) as error:
        raise ModelFileError(f"{path}: the header's optimizer section cannot be used: "
                             f"{_cut(str(error))}") from None


def read_header(path: str | os.PathLike) -> dict:
    """The validated JSON header of a model file (no weights are read, so the checksum,
    which covers the weights too, is not checked here; ``load`` checks it).

    Raises ``FileNotFoundError`` for a missing file and ``ModelFileError`` for anything that
    is not a valid scratchnn model file header.
    """
    path = Path(path)
    with _open(path) as archive:
        return _validate_header(_read_header(archive, _members(archive, path)[HEADER_KEY],
                                             path), path)


def load(path: str | os.PathLike, *, optimizer: bool = False, return_header: bool = False):
    """Read a model file written by ``save``: a ``Sequential`` or a fitted estimator.

    Never unpickles and never runs code. With ``optimizer=True`` returns ``(obj, optimizer)``:
    the optimizer saved with the model, rebuilt over the loaded ``model.parameters()`` with
    its class, settings and state (``None`` when the file holds none). With
    ``return_header=True`` the header comes last (``(obj, header)`` or
    ``(obj, optimizer, header)``); ``header["metadata"]`` holds what was passed to ``save``.

    Memory stays bounded by what the file describes: the member list, every member's
    declared size, dtype and shape are checked against the header's architecture before any
    array data is read, the header is capped at ``HEADER_LIMIT`` bytes, and each array is
    read with a cap of exactly the bytes its shape needs.

    Raises ``FileNotFoundError`` for a missing file and ``ModelFileError`` (a ``ValueError``)
    for anything else that stops it: an empty, truncated, damaged or non-zip file, a missing
    or malformed header, an unknown format or a newer format version, a checksum mismatch
    (header or weights edited), object arrays, arrays that do not fit the architecture,
    NaN or infinite weights or optimizer state, or an estimator or optimizer section that
    does not fit.
    """
    path = Path(path)
    with _open(path) as archive:
        members = _members(archive, path)
        header = _validate_header(_read_header(archive, members[HEADER_KEY], path), path)
        dtype = np.dtype(header["dtype"])
        specs = header["architecture"]
        expected = _expected_shapes(specs)
        state = {}
        if "optimizer" in header:
            state = optimizer_shapes(header["optimizer"], _parameter_shapes(specs), path)
            expected = {**expected, **state}
        _check_room(expected, dtype, path)
        _check_members(archive, members, expected, dtype, path)
        arrays = _read_arrays(archive, members, expected, path)
    _verify_checksum(header, arrays, path)
    problem = _non_finite(arrays, specs) or next(
        (f"the optimizer state {name!r} holds NaN or infinite values" for name in state
         if not np.isfinite(arrays[name]).all()), None)
    if problem:
        raise ModelFileError(f"{path}: {problem}: the model in this file is broken (it was "
                             "saved after its training diverged); retrain it and save it again")

    try:
        model = _build_layers(specs, dtype)
    except MemoryError:  # the room was there when checked, and is no longer
        raise ModelFileError(f"{path}: the model is too large for this computer's memory"
                             ) from None
    for name, array, _ in _model_arrays(model.layers):
        np.copyto(array, arrays[name])
    model.eval()
    obj = model
    if header["kind"] in ESTIMATOR_KINDS:
        obj = _restore(header, model, path)
    result = (obj,)
    if optimizer:
        result += (_restore_optimizer(header, arrays, model, path),)
    if return_header:
        result += (header,)
    return result if len(result) > 1 else obj
