"""The measured speed tricks of ``_workspace`` compute exactly what the plain NumPy they replace
computes, and none of them hands out an array that a later call changes."""

import numpy as np
import pytest

from scratchnn._workspace import column_sums, join_views, matmul, zero_for

rng = np.random.default_rng(0)


@pytest.mark.parametrize(("a", "b"), [
    (rng.normal(size=(7, 3)), rng.normal(size=(3, 4))),
    (rng.normal(size=(3, 7)).T, rng.normal(size=(3, 4))),  # a transposed operand
    (rng.normal(size=(7, 1)), rng.normal(size=(4, 1)).T),  # an outer product
    (rng.normal(size=(7, 3)).astype(np.float32), rng.normal(size=(3, 4))),  # mixed dtypes
])
def test_matmul_is_the_product(a, b):
    np.testing.assert_allclose(matmul(a, b), a @ b, rtol=1e-6 if a.dtype == np.float32 else 1e-14)
    out = np.empty((a.shape[0], b.shape[1]), np.result_type(a, b))
    assert matmul(a, b, out=out) is out
    np.testing.assert_allclose(out, a @ b, rtol=1e-6 if a.dtype == np.float32 else 1e-14)


def test_matmul_takes_a_sparse_left_operand():
    sparse = pytest.importorskip("scipy.sparse")
    a = sparse.random(6, 5, density=0.4, random_state=0, format="csr")
    b = rng.normal(size=(5, 3))
    np.testing.assert_allclose(matmul(a, b), a.toarray() @ b, rtol=0, atol=1e-14)


@pytest.mark.parametrize("shape", [(1000, 4), (3, 1), (1, 7)])
def test_column_sums_are_the_sums(shape):
    g = rng.normal(size=shape)
    np.testing.assert_allclose(column_sums(g), g.sum(axis=0), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("shape", [(1000, 4), (100_000, 32), (100_000, 2)])
def test_zero_for_compares_like_zero_and_cannot_be_changed(shape):
    x = rng.normal(size=shape)
    zero = zero_for(x)
    np.testing.assert_array_equal(np.maximum(x, zero), np.maximum(x, 0))
    np.testing.assert_array_equal(x > zero, x > 0)
    if isinstance(zero, np.ndarray):
        with pytest.raises(ValueError, match="read-only"):
            zero[...] = 1


def test_join_views_finds_the_shared_vector_or_none():
    flat = np.arange(10.0)
    parts = [flat[0:6].reshape(2, 3), flat[6:10]]
    joined = join_views(parts)
    assert joined is not None and np.shares_memory(joined, flat) and joined.size == 10
    assert join_views([flat[0:6], flat[7:10]]) is None  # a gap
    assert join_views([np.ones(3), np.ones(2)]) is None  # separate arrays


def test_join_views_of_memory_maps_is_none(tmp_path):
    """Arrays unpickled by joblib are memory maps whose base is an ``mmap``, not an array."""
    maps = []
    for i, size in enumerate((6, 4)):
        path = tmp_path / f"part{i}.npy"
        np.save(path, np.arange(float(size)))
        maps.append(np.load(path, mmap_mode="r"))
    assert not isinstance(maps[0].base, np.ndarray)
    assert join_views(maps) is None
