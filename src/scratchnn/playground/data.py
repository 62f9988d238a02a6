"""The data set a link names, made by ``scratchnn.datasets`` (the library's one home for data).

TensorFlow Playground's six come from ``datasets.playground`` under its names, in its units
(points in about [-6, 6]^2) and on its noise scale (0 to 0.5); the two extras keep the library's
own generators (radius about 1), with the noise passed as it is.
"""

from __future__ import annotations

import numpy as np

from .. import datasets as ds
from .settings import BY_NAME, N_SAMPLES, Settings

# A link's data set -> (the generator in scratchnn.datasets, TensorFlow Playground's name or None)
GENERATORS: dict[str, tuple[str, str | None]] = {
    "circles": ("playground", "circle"),
    "xor": ("playground", "xor"),
    "gaussians": ("playground", "gauss"),
    "spiral": ("playground", "spiral"),
    "plane": ("playground", "reg-plane"),
    "multi-gaussian": ("playground", "reg-gauss"),
    "spirals": ("spirals", None),  # the library's three arms
    "moons": ("moons", None),
}
assert set(GENERATORS) == {c.value for c in BY_NAME["dataset"].choices}


def generate(settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """The generated data set of ``settings`` (its ``dataset``, ``noise`` and ``seed``):
    ``X (N_SAMPLES, 2)`` float64 and labels (int, from 0) or float regression targets."""
    generator, name = GENERATORS[settings.dataset]
    if generator == "playground":
        return ds.playground(name, n_samples=N_SAMPLES, noise=settings.noise,
                             random_state=settings.seed)
    return ds.load(generator, n_samples=N_SAMPLES, noise=settings.noise,
                   random_state=settings.seed)
