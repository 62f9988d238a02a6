"""The playground's binary frames (``scratchnn.playground.frames``): the layout the page reads,
the uint8 maps, and a decoder that refuses garbled bytes with a clear error."""

from __future__ import annotations

import json
import math
import struct

import numpy as np
import pytest

from scratchnn.playground.frames import MAX_HEADER, decode, encode, from_u8, to_u8


def arrays_of_every_kind() -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    return [("weights", rng.normal(size=13).astype(np.float32)),  # 13 floats: 52 bytes
            ("boundary", rng.integers(0, 256, 7, dtype=np.uint8)),  # 7 bytes: 1 of padding
            ("neurons", rng.integers(0, 256, 2, dtype=np.uint8)),
            ("more", np.arange(3, dtype=np.float32)),
            ("empty", np.empty(0, np.uint8))]


def header_length(data: bytes) -> int:
    return struct.unpack_from("<I", data, 0)[0]


def test_round_trip_keeps_header_and_arrays_exactly():
    header = {"type": "frame", "epoch": 12, "train_loss": 0.25, "diverged": None,
              "marks": [{"epoch": 3, "text": "lr 0.1 — µ"}], "confusion": [[4, 1], [0, 5]]}
    arrays = arrays_of_every_kind()
    got_header, got = decode(encode(header, arrays))
    assert {k: v for k, v in got_header.items() if k != "arrays"} == header
    assert got_header["arrays"] == [{"name": n, "dtype": "u8" if a.dtype == np.uint8 else "f4",
                                     "length": a.size} for n, a in arrays]
    assert list(got) == [name for name, _ in arrays]
    for name, array in arrays:
        assert got[name].dtype == array.dtype
        np.testing.assert_array_equal(got[name], array)


def test_layout_is_the_plans_byte_for_byte():
    """uint32 LE header length, the UTF-8 JSON header, zero padding to 4, each array at a
    multiple of 4 (f4 little-endian), zero bytes between."""
    data = encode({"epoch": 1}, [("a", np.array([7], np.uint8)), ("w", np.array([1.5, -2.0]))])
    n = header_length(data)
    assert json.loads(data[4:4 + n].decode("utf-8")) == {
        "epoch": 1, "arrays": [{"name": "a", "dtype": "u8", "length": 1},
                               {"name": "w", "dtype": "f4", "length": 2}]}
    start = (4 + n + 3) // 4 * 4
    assert data[4 + n:start] == b"\0" * (start - 4 - n)
    assert data[start] == 7 and data[start + 1:start + 4] == b"\0\0\0"
    assert data[start + 4:] == struct.pack("<2f", 1.5, -2.0)
    assert len(data) == start + 12


def test_every_array_starts_at_a_multiple_of_4():
    """The page views each array in place (a Float32Array needs an offset multiple of 4)."""
    for extra in range(8):  # headers of every length modulo 4
        arrays = [("u", np.ones(k, np.uint8)) for k in range(5)]
        arrays = [(f"{name}{i}", a) for i, (name, a) in enumerate(arrays)]
        arrays.append(("f", np.arange(3.0)))
        data = encode({"pad": "x" * extra}, arrays)
        offset = 4 + header_length(data)
        for _name, array in arrays:
            start = (offset + 3) // 4 * 4
            assert start % 4 == 0
            size = array.size * (1 if array.dtype == np.uint8 else 4)
            wire = np.frombuffer(data, "u1" if array.dtype == np.uint8 else "<f4", array.size,
                                 start)
            np.testing.assert_array_equal(wire, array)
            offset = start + size
        assert offset == len(data)


def test_arrays_of_any_shape_go_flat_and_other_numbers_as_float32():
    grid = np.arange(6, dtype=np.float64).reshape(2, 3)
    _, got = decode(encode({}, [("grid", grid), ("ints", np.array([1, 2], np.int64))]))
    assert got["grid"].dtype == np.float32 and got["grid"].tolist() == [0, 1, 2, 3, 4, 5]
    assert got["ints"].dtype == np.float32 and got["ints"].tolist() == [1.0, 2.0]


def test_decoded_arrays_belong_to_the_caller():
    data = bytearray(encode({}, [("w", np.ones(2, np.float32))]))
    _, got = decode(data)
    data[-4:] = struct.pack("<f", 9.0)
    got["w"][0] = 5.0  # writable, and the bytes do not change under it
    assert got["w"].tolist() == [5.0, 1.0]


def test_encode_does_not_change_the_header():
    header = {"epoch": 2, "loss": math.nan}
    encode(header, [("w", np.ones(1))])
    assert list(header) == ["epoch", "loss"] and math.isnan(header["loss"])


def test_non_finite_header_floats_are_sent_as_null():
    """JSON has no NaN: a diverged run's loss, arithmetic or score reaches the page as null
    (the strict JSON.parse of the page would refuse NaN)."""
    header = {"train_loss": math.nan, "test_loss": math.inf, "score": np.float32("-inf"),
              "arithmetic": {"loss": np.nan, "layers": [{"z": [1.0, np.nan]}],
                             "grads": np.array([[np.inf, 2.0]])},
              "epoch": np.int64(3), "playing": np.bool_(True), "fine": 0.5}
    data = encode(header, [])
    text = data[4:4 + header_length(data)].decode("utf-8")
    assert "NaN" not in text and "Infinity" not in text
    got, _ = decode(data)
    assert got["train_loss"] is None and got["test_loss"] is None and got["score"] is None
    assert got["arithmetic"] == {"loss": None, "layers": [{"z": [1.0, None]}],
                                 "grads": [[None, 2.0]]}
    assert got["epoch"] == 3 and got["playing"] is True and got["fine"] == 0.5


@pytest.mark.parametrize("header, arrays, words", [
    ([1], [], "must be a dict"),
    ({"arrays": []}, [], "must not hold"),
    ({}, [("", np.ones(1))], "non-empty string"),
    ({}, [("a", np.ones(1)), ("a", np.ones(1))], "must differ"),
    ({}, [("a", np.array(["x"]))], "dtype"),
    ({"x": object()}, [], "got a object"),
    ({"x": "y" * MAX_HEADER}, [], "at most"),
])
def test_encode_refuses_what_is_not_a_frame(header, arrays, words):
    with pytest.raises(ValueError, match=words):
        encode(header, arrays)


# --- uint8 maps --------------------------------------------------------------------------------


def test_u8_quantisation_error_is_at_most_1_over_255_in_range():
    v = np.linspace(-1, 1, 100_001)
    q = to_u8(v)
    assert q.dtype == np.uint8 and q.shape == v.shape
    assert np.abs(from_u8(q) - v).max() <= 1 / 255 + 1e-12
    assert to_u8(-1.0) == 0 and to_u8(1.0) == 255 and to_u8(0.0) == 128
    np.testing.assert_array_equal(to_u8(from_u8(np.arange(256, dtype=np.uint8))),
                                  np.arange(256))  # every code comes back as itself


def test_u8_clips_values_outside_the_range():
    q = to_u8(np.array([-7.0, -1.5, 1.0001, 3.0, np.inf, -np.inf]))
    assert q.tolist() == [0, 0, 255, 255, 255, 0]


def test_u8_nan_is_the_middle_grey_as_zero():
    q = to_u8(np.array([[np.nan, 0.0], [1.0, np.nan]], np.float32))
    assert q.tolist() == [[128, 128], [255, 128]]


def test_from_u8_wants_codes():
    with pytest.raises(ValueError, match="uint8"):
        from_u8(np.array([0.5]))


# --- hostile bytes -----------------------------------------------------------------------------


def frame_with(header_text: bytes, tail: bytes = b"", claimed: int | None = None) -> bytes:
    n = len(header_text) if claimed is None else claimed
    pad = b"\0" * ((-(4 + len(header_text))) % 4)
    return struct.pack("<I", n) + header_text + pad + tail


GOOD = encode({"epoch": 1}, [("w", np.ones(3, np.float32)), ("m", np.ones(5, np.uint8))])


@pytest.mark.parametrize("data, words", [
    ("text", "is bytes"),
    (b"", "4-byte length"),
    (b"\x01\x00", "4-byte length"),
    (struct.pack("<I", 0xFFFFFFFF) + b"{}", "claims 4294967295"),
    (struct.pack("<I", 10) + b"{}", "claims 10"),
    (frame_with(b"\xff\xfe{}"), "not UTF-8 JSON"),
    (frame_with(b"{\"arrays\": [}"), "not UTF-8 JSON"),
    (frame_with(b"[" * 100_000 + b"]" * 100_000), "not UTF-8 JSON|must be a JSON object"),
    (frame_with(b"[]"), "must be a JSON object"),
    (frame_with(b"{}"), "must list its arrays"),
    (frame_with(b"{\"arrays\": {}}"), "must list its arrays"),
    (frame_with(b"{\"arrays\": [1]}"), "array entry"),
    (frame_with(b"{\"arrays\": [{\"name\": \"a\", \"dtype\": \"f8\", \"length\": 1}]}"),
     "array entry"),
    (frame_with(b"{\"arrays\": [{\"name\": \"a\", \"dtype\": \"u8\", \"length\": -1}]}"),
     "array entry"),
    (frame_with(b"{\"arrays\": [{\"name\": \"a\", \"dtype\": \"u8\", \"length\": 1.0}]}"),
     "array entry"),
    (frame_with(b"{\"arrays\": [{\"name\": \"a\", \"dtype\": \"u8\", \"length\": true}]}"),
     "array entry"),
    (frame_with(b"{\"arrays\": [{\"name\": 3, \"dtype\": \"u8\", \"length\": 1}]}"),
     "array entry"),
    (frame_with(b"{\"arrays\": [{\"name\": \"a\", \"dtype\": \"u8\", \"length\": 0},"
                b"{\"name\": \"a\", \"dtype\": \"u8\", \"length\": 0}]}"), "twice"),
    (frame_with(b"{\"arrays\": [{\"name\": \"a\", \"dtype\": \"f4\", \"length\": 4000000000}]}",
                b"\0" * 8), "needs bytes"),
    (GOOD[:-1], "needs bytes"),
    (GOOD + b"\0" * 4, "after its last array"),
    (GOOD + b"\x01", "after its last array"),
])
def test_decode_refuses_garbled_bytes_with_a_clear_error(data, words):
    with pytest.raises(ValueError, match=words):
        decode(data)


def test_decode_refuses_non_zero_padding():
    for extra in range(4):  # a header whose length leaves padding after it
        data = encode({"pad": "x" * extra}, [("m", np.ones(5, np.uint8)), ("w", np.ones(1))])
        n = header_length(data)
        if (4 + n) % 4:
            break
    after_m = (4 + n + 3) // 4 * 4 + 5  # three bytes of padding between "m" and "w"
    for where in (4 + n, after_m):
        bad = bytearray(data)
        bad[where] = 0x20
        with pytest.raises(ValueError, match="padding"):
            decode(bytes(bad))


def test_decode_accepts_trailing_zero_padding_to_4_and_views():
    assert decode(GOOD + b"\0")[1]["m"].tolist() == [1] * 5
    header, arrays = decode(memoryview(GOOD))
    assert header["epoch"] == 1 and arrays["w"].tolist() == [1.0] * 3


def test_decode_of_every_cut_and_every_flipped_byte_is_a_frame_or_a_value_error():
    """Garbled bytes of a real frame: never another exception, never a hang."""
    data = encode({"epoch": 3, "loss": 0.5}, arrays_of_every_kind())
    rng = np.random.default_rng(1)
    variants = [data[:k] for k in range(len(data))]
    for _ in range(300):
        garbled = bytearray(data)
        for i in rng.integers(0, len(data), 3):
            garbled[i] = rng.integers(0, 256)
        variants.append(bytes(garbled))
    for variant in variants:
        try:
            header, arrays = decode(variant)
        except ValueError:
            continue
        assert isinstance(header, dict) and all(isinstance(a, np.ndarray)
                                                for a in arrays.values())
