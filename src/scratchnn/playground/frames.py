"""The playground's binary frames: one WebSocket message carrying a JSON header and arrays.

A frame is what the page draws after an epoch: a few numbers (epoch, losses, scores) and three
arrays (every weight, the output map, every hidden unit's map). As JSON with base64 floats the
largest network's frame was 667 KB; as bytes, with the maps quantised to one byte per value,
it is about a tenth of that, and the page reads the arrays without copying them.

Layout (all offsets from the start of the message)::

    bytes 0-3        n, the header's length in bytes (uint32, little-endian)
    bytes 4-(4+n)    the header: UTF-8 JSON, an object with
                     "arrays": [{"name", "dtype": "u8" | "f4", "length"}, ...]
    zero bytes       up to the next multiple of 4
    the arrays       in the header's order, each starting at a multiple of 4 (zero bytes
                     between them), "f4" as float32 little-endian, "u8" as uint8

Each array starts at a multiple of 4 so that the page can view it in place
(``new Float32Array(buffer, offset, length)`` needs an offset that is a multiple of 4).

Maps travel as uint8: ``q = round((clip(v, -1, 1) + 1) * 127.5)`` stands for
``v = q / 127.5 - 1`` (``to_u8`` and ``from_u8``), within 1/255 of ``v`` in [-1, 1]. A map the
page draws clamps its colours to [-1, 1] anyway, so nothing it shows is lost. NaN, which has no
colour, becomes 128, the middle grey (what 0 becomes).
"""

from __future__ import annotations

import json
import math
import struct

import numpy as np

DTYPES = {"u8": np.dtype("u1"), "f4": np.dtype("<f4")}  # the header's dtype names
MAX_HEADER = 1 << 20  # a header longer than this (1 MB) is refused by decode
NAN_U8 = 128  # what to_u8 makes of NaN: the middle grey, as 0


def _aligned(offset: int) -> int:
    """``offset`` rounded up to a multiple of 4."""
    return (offset + 3) & ~3


# --- u8 maps -----------------------------------------------------------------------------------


def to_u8(values) -> np.ndarray:
    """``values`` (any shape) in [-1, 1] as uint8 codes ``round((v + 1) * 127.5)`` (same shape).

    Values outside [-1, 1] are clipped first (infinities included); NaN becomes 128 (``v = 0``,
    the middle grey). ``from_u8(to_u8(v))`` is within 1/255 of ``clip(v, -1, 1)``."""
    q = np.array(values, dtype=np.float64)  # a copy, changed in place below
    np.clip(q, -1.0, 1.0, out=q)
    q += 1.0
    q *= 127.5
    np.rint(q, out=q)
    q[np.isnan(q)] = NAN_U8
    return q.astype(np.uint8)


def from_u8(q) -> np.ndarray:
    """uint8 codes back to values ``q / 127.5 - 1`` in [-1, 1] (float64, same shape)."""
    q = np.asarray(q)
    if q.dtype != np.uint8:
        raise ValueError(f"from_u8 takes uint8 codes, got an array of dtype {q.dtype}")
    return q / 127.5 - 1.0


# --- the header --------------------------------------------------------------------------------


def _jsonable(value):
    """``value`` with every non-finite float replaced by None (JSON has no NaN), NumPy scalars
    and arrays as Python numbers and lists, tuples as lists."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else None
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"a frame's header holds numbers, strings, lists and objects, got a "
                     f"{type(value).__name__}")


def _header_bytes(header: dict) -> bytes:
    """The header as compact UTF-8 JSON; a non-finite float becomes null."""
    try:  # the usual case: plain Python values, all finite
        text = json.dumps(header, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        text = json.dumps(_jsonable(header), allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


# --- encode and decode -------------------------------------------------------------------------


def _array_entry(name, array) -> tuple[dict, np.ndarray]:
    """``({"name", "dtype", "length"}, the array flat in its wire dtype)``."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"an array's name must be a non-empty string, got {name!r}")
    array = np.asarray(array)
    if array.dtype == np.uint8:
        kind = "u8"
    elif array.dtype.kind in "fiu" and array.dtype != np.uint8:
        kind = "f4"  # every other number travels as float32
    else:
        raise ValueError(f"array {name!r} has dtype {array.dtype}; a frame carries uint8 maps "
                         "and float numbers (sent as float32)")
    flat = np.ascontiguousarray(array, dtype=DTYPES[kind]).reshape(-1)
    return {"name": name, "dtype": kind, "length": int(flat.size)}, flat


def encode(header: dict, arrays: list[tuple[str, np.ndarray]]) -> bytes:
    """One binary frame: ``header`` (a dict; this function adds its ``"arrays"`` list) and
    ``arrays``, ``(name, array)`` pairs in order. uint8 arrays are sent as ``"u8"``, any other
    numbers as float32 (``"f4"``); arrays of any shape are sent flat (row-major). A float in
    the header that is not finite (NaN, infinity) is sent as null. ``header`` is not changed."""
    if not isinstance(header, dict):
        raise ValueError(f"a frame's header must be a dict, got a {type(header).__name__}")
    if "arrays" in header:
        raise ValueError("a frame's header must not hold \"arrays\": encode lists the arrays")
    entries, flats = [], []
    for name, array in arrays:
        entry, flat = _array_entry(name, array)
        entries.append(entry)
        flats.append(flat)
    if len({e["name"] for e in entries}) != len(entries):
        raise ValueError(f"a frame's array names must differ, got {[e['name'] for e in entries]}")
    head = _header_bytes({**header, "arrays": entries})
    if len(head) > MAX_HEADER:
        raise ValueError(f"a frame's header is {len(head)} bytes; at most {MAX_HEADER} fit")
    parts = [struct.pack("<I", len(head)), head]
    offset = 4 + len(head)
    for flat in flats:
        start = _aligned(offset)
        parts.append(b"\0" * (start - offset))
        parts.append(flat.tobytes())
        offset = start + flat.nbytes
    return b"".join(parts)


def _parsed_header(data: memoryview) -> tuple[dict, int]:
    """``(header, where it ends)`` of ``data``, checked: a JSON object whose ``arrays`` list is
    well formed."""
    if len(data) < 4:
        raise ValueError(f"a frame starts with its header's 4-byte length; got {len(data)} bytes")
    (n,) = struct.unpack_from("<I", data, 0)
    if n > MAX_HEADER or n > len(data) - 4:
        raise ValueError(f"a frame's header claims {n} bytes, but the frame has "
                         f"{len(data) - 4} after the length (and a header has at most "
                         f"{MAX_HEADER})")
    try:
        header = json.loads(bytes(data[4:4 + n]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"a frame's header is not UTF-8 JSON: {str(error)[:80]}") from None
    if not isinstance(header, dict):
        raise ValueError(f"a frame's header must be a JSON object, got {type(header).__name__}")
    entries = header.get("arrays")
    if not isinstance(entries, list):
        raise ValueError("a frame's header must list its arrays: \"arrays\": [{name, dtype, "
                         "length}, ...]")
    names = set()
    for entry in entries:
        if not (isinstance(entry, dict) and isinstance(entry.get("name"), str)
                and entry.get("dtype") in DTYPES and type(entry.get("length")) is int
                and entry["length"] >= 0):
            raise ValueError(f"a frame's array entry must be {{\"name\": str, \"dtype\": \"u8\" "
                             f"or \"f4\", \"length\": int >= 0}}, got {str(entry)[:80]}")
        if entry["name"] in names:
            raise ValueError(f"a frame names array {entry['name'][:40]!r} twice")
        names.add(entry["name"])
    return header, 4 + n


def _zero(data: memoryview, start: int, stop: int) -> bool:
    """True when bytes ``start`` to ``stop`` of ``data`` are all zero."""
    return not np.frombuffer(data, np.uint8, stop - start, start).any()


def decode(data) -> tuple[dict, dict[str, np.ndarray]]:
    """``(header, {name: array})`` of a frame made by ``encode`` (bytes, bytearray or
    memoryview). The arrays are new 1-D arrays (uint8 or float32), the caller's to keep; the
    header keeps its ``"arrays"`` list.

    Anything that is not such a frame (cut short, too long, a header that lies about the
    sizes, non-zero padding) raises ``ValueError`` saying what is wrong. The work and memory
    are bounded by the frame's own size: no length in a header is trusted before it is
    checked against the bytes there are."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"a frame is bytes, got a {type(data).__name__}")
    data = memoryview(data).cast("B")
    header, offset = _parsed_header(data)
    arrays = {}
    for entry in header["arrays"]:
        start = _aligned(offset)
        dtype = DTYPES[entry["dtype"]]
        stop = start + entry["length"] * dtype.itemsize
        if stop > len(data):
            raise ValueError(f"a frame's array {entry['name'][:40]!r} needs bytes {start} to "
                             f"{stop}, but the frame has {len(data)}")
        if not _zero(data, offset, start):
            raise ValueError(f"a frame's padding before array {entry['name'][:40]!r} must be "
                             "zero bytes")
        arrays[entry["name"]] = np.frombuffer(data, dtype, entry["length"], start).copy()
        offset = stop
    if len(data) - offset > 3 or not _zero(data, offset, len(data)):
        raise ValueError(f"a frame has {len(data) - offset} bytes after its last array; its "
                         "header lists fewer arrays than it carries")
    return header, arrays
