"""Weight initialisers.

Each initialiser draws a ``(n_in, n_out)`` weight matrix from a ``np.random.Generator``,
scaled so that activations keep roughly the same variance from layer to layer.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Initializer = Callable[[int, int, np.random.Generator, np.dtype], np.ndarray]


def he_normal(n_in: int, n_out: int, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """He et al. (2015): N(0, 2 / n_in). Suits ReLU, which zeroes half its inputs."""
    return (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(dtype)


def glorot_uniform(n_in: int, n_out: int, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """Glorot & Bengio (2010): U(-a, a) with a = sqrt(6 / (n_in + n_out)). Suits tanh/sigmoid."""
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out)).astype(dtype)


INITIALIZERS: dict[str, Initializer] = {
    "he": he_normal,
    "glorot": glorot_uniform,
    "xavier": glorot_uniform,
}


def get_initializer(init: str | Initializer) -> Initializer:
    """Look an initialiser up by name (``"he"``, ``"glorot"``) or pass a callable through."""
    if callable(init):
        return init
    try:
        return INITIALIZERS[init]
    except KeyError:
        choices = ", ".join(sorted(INITIALIZERS))
        raise ValueError(f"unknown init {init!r}; choose one of: {choices}") from None


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Turn ``None``, a seed or a Generator into a Generator (never touches global state)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (bool, np.bool_)):
        raise TypeError(f"rng must be a numpy Generator, an int seed >= 0 or None, not {rng!r}")
    if rng is None or isinstance(rng, (int, np.integer)):
        if rng is not None and rng < 0:
            raise ValueError(f"a seed must be an integer >= 0, got {rng}")
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, an int seed >= 0 or None, not "
                    f"{type(rng).__name__}")
