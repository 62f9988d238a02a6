"""Toy datasets (as in TensorFlow Playground) and feature lifts.

``playground(name, ...)`` draws TensorFlow Playground's six data sets exactly as its page does
(its generators, its units: points in about [-6, 6]^2, its noise from 0 to 0.5); the other
generators are the library's own, scaled to about [-1, 1]^2.

Every classification generator returns ``X (n_samples, 2)`` float64 and integer labels
``y (n_samples,)``; the regression generators (``plane``, ``multi_gaussian``, ``sine``) return
float64 targets ``y (n_samples,)``. All take ``n_samples``, ``noise`` and ``random_state`` (a
seed or a ``np.random.Generator``), and are deterministic for a given seed.

Two small real datasets for convolutions, in PyTorch's layout: ``digits_images`` (scikit-learn's
8x8 digits as ``(n, 1, 8, 8)``) and ``mnist1d`` (MNIST-1D, made by its authors' generator, as
``(n, 1, 40)``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .init import as_generator

if TYPE_CHECKING:  # at run time, __getattr__ below imports it on first use
    from ._lift import FeatureLift as FeatureLift


def __getattr__(name: str):
    # FeatureLift is a scikit-learn transformer, and scikit-learn takes over a second to import:
    # it is loaded on first use, so that the data generators (and 'scratchnn datasets') need
    # NumPy alone.
    if name == "FeatureLift":
        from ._lift import FeatureLift

        globals()[name] = FeatureLift
        return FeatureLift
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _check_common(n_samples, noise, min_samples: int = 2) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or (
            n_samples < min_samples):
        raise ValueError(f"n_samples must be an integer >= {min_samples}, got {n_samples!r}")
    if not (isinstance(noise, (int, float, np.floating)) and np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")


def _check_classes(n_classes, n_samples) -> None:
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    if n_samples < n_classes:
        raise ValueError(f"n_samples ({n_samples}) must be at least n_classes ({n_classes}), so "
                         "that every class has a sample")


def _check_seed(random_state) -> None:
    if isinstance(random_state, (bool, np.bool_)) or (
            isinstance(random_state, (int, np.integer)) and random_state < 0):
        raise ValueError(f"random_state must be None, a seed >= 0 or a np.random.Generator, "
                         f"got {random_state!r}")


def _generator(random_state) -> np.random.Generator:
    """``as_generator`` with errors that name ``random_state``."""
    _check_seed(random_state)
    try:
        return as_generator(random_state)
    except TypeError:
        raise TypeError(f"random_state must be None, a seed >= 0 or a np.random.Generator, "
                        f"got {type(random_state).__name__}") from None


def _seed_for_sklearn(random_state) -> int | None:
    """scikit-learn wants an int or a RandomState; derive an int from a Generator."""
    _check_seed(random_state)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    return random_state


def circles(n_samples: int = 1000, noise: float = 0.05, factor: float = 0.5,
            random_state=None) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles (scikit-learn's ``make_circles``); class 1 is the inner one."""
    _check_common(n_samples, noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor (inner radius / outer radius) must be in (0, 1), got {factor!r}")
    from sklearn.datasets import make_circles  # scikit-learn only now: see __getattr__

    return make_circles(n_samples=int(n_samples), noise=noise, factor=factor,
                        random_state=_seed_for_sklearn(random_state))


def moons(n_samples: int = 1000, noise: float = 0.2, random_state=None
          ) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's ``make_moons``)."""
    _check_common(n_samples, noise)
    from sklearn.datasets import make_moons

    return make_moons(n_samples=int(n_samples), noise=noise,
                      random_state=_seed_for_sklearn(random_state))


def spirals(n_samples: int = 600, noise: float = 0.2, n_classes: int = 3, turns: float = 1.0,
            random_state=None) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms (cs231n's spiral), radius up to 1.

    Noise is added to the angle (in radians), as in the classic version."""
    _check_common(n_samples, noise)
    _check_classes(n_classes, n_samples)
    rng = _generator(random_state)
    y = np.arange(n_samples) % n_classes
    radius = np.empty(n_samples)
    for k in range(n_classes):  # radii evenly spread within each arm
        members = y == k
        radius[members] = np.linspace(0.05, 1.0, members.sum())
    angle = (y * 2 * np.pi / n_classes + radius * turns * 2 * np.pi
             + rng.standard_normal(n_samples) * noise)
    X = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    order = rng.permutation(n_samples)
    return X[order], y[order]


def xor(n_samples: int = 400, noise: float = 0.1, random_state=None
        ) -> tuple[np.ndarray, np.ndarray]:
    """Points in [-1, 1]^2 labelled 1 where ``x1 * x2 < 0`` (the XOR of their signs).

    Points are kept a little away from the axes (as TensorFlow Playground does) and Gaussian
    noise of scale ``noise`` is added after labelling."""
    _check_common(n_samples, noise)
    rng = _generator(random_state)
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    X += np.where(X >= 0, 0.05, -0.05)  # a margin around the axes
    y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    return X + noise * rng.standard_normal(X.shape), y


def gaussians(n_samples: int = 400, noise: float = 0.3, n_classes: int = 2, random_state=None
              ) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` Gaussian blobs of standard deviation ``noise``, centres on a circle of
    radius 1."""
    _check_common(n_samples, noise)
    _check_classes(n_classes, n_samples)
    rng = _generator(random_state)
    y = np.arange(n_samples) % n_classes
    angles = 2 * np.pi * np.arange(n_classes) / n_classes + np.pi / 4
    centres = np.column_stack([np.cos(angles), np.sin(angles)])
    X = centres[y] + noise * rng.standard_normal((n_samples, 2))
    order = rng.permutation(n_samples)
    return X[order], y[order]


DATASETS: dict[str, tuple[Callable, str]] = {
    "circles": (circles, "two concentric circles (binary); not linearly separable"),
    "moons": (moons, "two interleaving half moons (binary)"),
    "spirals": (spirals, "three interleaved spiral arms (3 classes)"),
    "xor": (xor, "the four quadrants, labelled by the sign of x1 * x2 (binary)"),
    "gaussians": (gaussians, "two Gaussian blobs (binary); linearly separable"),
}


# --- regression (TensorFlow Playground's two, and a sine) ---------------------------------------
# Playground draws its points in [-6, 6]^2; here they are scaled to [-1, 1]^2 like xor's, and the
# targets keep Playground's formulas. Its noise moves the point at which the target is read
# (the input is noisy, not the target); ``sine`` adds Gaussian noise to the target itself.


def plane(n_samples: int = 400, noise: float = 0.0, random_state=None
          ) -> tuple[np.ndarray, np.ndarray]:
    """Playground's "plane": ``y = 0.6 (x1 + x2)`` (its ``(x + y) / 10`` on [-6, 6]^2), read at
    the point shifted by uniform noise of up to ``noise`` times the range; y in [-1.2, 1.2]."""
    _check_common(n_samples, noise)
    rng = _generator(random_state)
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    shifted = X + noise * rng.uniform(-1, 1, size=X.shape)
    return X, 0.6 * shifted.sum(axis=1)


_PLAYGROUND_GAUSSIANS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1],
                                  [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]], dtype=float)


def multi_gaussian(n_samples: int = 400, noise: float = 0.0, random_state=None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Playground's "multi gaussian": six bumps of alternating sign on a 3 x 2 grid; the target
    is the strongest bump's ``sign * max(0, 1 - distance / 2)`` (distances in Playground's
    [-6, 6] units), in [-1, 1]; input noise as ``plane``."""
    _check_common(n_samples, noise)
    rng = _generator(random_state)
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    shifted = 6 * (X + noise * rng.uniform(-1, 1, size=X.shape))
    centres, signs = _PLAYGROUND_GAUSSIANS[:, :2], _PLAYGROUND_GAUSSIANS[:, 2]
    distance = np.linalg.norm(shifted[:, None, :] - centres[None], axis=2)  # (n, 6)
    bumps = signs * np.clip(1 - distance / 2, 0, 1)
    strongest = np.abs(bumps).argmax(axis=1)
    return X, bumps[np.arange(n_samples), strongest]


def sine(n_samples: int = 200, noise: float = 0.1, random_state=None
         ) -> tuple[np.ndarray, np.ndarray]:
    """A noisy sine: ``x`` uniform in [-pi, pi] as ``X (n_samples, 1)``, ``y = sin(x)`` plus
    Gaussian noise of standard deviation ``noise``."""
    _check_common(n_samples, noise)
    rng = _generator(random_state)
    X = rng.uniform(-np.pi, np.pi, size=(n_samples, 1))
    return X, np.sin(X[:, 0]) + noise * rng.standard_normal(n_samples)


REGRESSION_DATASETS: dict[str, tuple[Callable, str]] = {
    "plane": (plane, "a tilted plane, y = 0.6 (x1 + x2) (regression)"),
    "multi_gaussian": (multi_gaussian, "six bumps of alternating sign (regression)"),
    "sine": (sine, "a noisy sine of one input (regression)"),
}


# --- TensorFlow Playground's six, in its units -----------------------------------------------
# Each follows the generator of the same name in TensorFlow Playground's ``dataset.ts``: points in
# its square [-6, 6]^2 (give or take the noise), its ``noise`` (the page's slider / 100: 0 to
# 0.5), its labels (its -1 is 0 here). Where Playground labels a point by its *noisy* position
# (circle, xor, the regressions), the point is kept where it was drawn and only its label moves.


def _tf_gauss(rng, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Two round Gaussians centred at (2, 2) (class 1) and (-2, -2) (class 0); the variance of
    each coordinate grows from 0.5 at noise 0 to 4 at noise 0.5."""
    variance = 0.5 + noise * (4 - 0.5) / 0.5
    y = (np.arange(n) < (n + 1) // 2).astype(np.int64)
    centres = np.where(y[:, None] == 1, 2.0, -2.0)
    return centres + np.sqrt(variance) * rng.standard_normal((n, 2)), y


def _tf_circle(rng, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Half the points in a disc of radius 2.5, half in the ring from 3.5 to 5 (the radius, not
    the area, is uniform); a point is class 1 if its noisy copy lies within radius 2.5."""
    inside = np.arange(n) < (n + 1) // 2
    radius = np.where(inside, rng.uniform(0, 2.5, n), rng.uniform(3.5, 5, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    moved = X + noise * rng.uniform(-5, 5, size=(n, 2))
    return X, (np.linalg.norm(moved, axis=1) < 2.5).astype(np.int64)


def _tf_xor(rng, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in [-5, 5]^2, pushed 0.3 away from the axes; class 1 where the noisy
    copy's coordinates have the same sign (``x1 * x2 >= 0``)."""
    X = rng.uniform(-5, 5, size=(n, 2))
    X += np.where(X > 0, 0.3, -0.3)  # Playground's padding
    moved = X + noise * rng.uniform(-5, 5, size=(n, 2))
    return X, (moved[:, 0] * moved[:, 1] >= 0).astype(np.int64)


def _tf_spiral(rng, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Two arms of 1.75 turns, radius growing from 0 to 5, the second turned by pi (class 0);
    each coordinate moves by up to ``noise`` (uniform, in the data's own units)."""
    per_arm = np.array([(n + 1) // 2, n // 2])
    label = np.repeat([1, 0], per_arm)
    step = np.concatenate([np.arange(k) / (n / 2) for k in per_arm])  # Playground's i / (n / 2)
    radius = 5 * step
    angle = 1.75 * step * 2 * np.pi + np.pi * (label == 0)
    X = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    return X + noise * rng.uniform(-1, 1, size=(n, 2)), label.astype(np.int64)


def _tf_plane(rng, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """``plane`` in Playground's units: ``y = (x1 + x2) / 10`` read at the noisy point, points in
    [-6, 6]^2 (y within +-1.2 at noise 0: Playground does not clip it)."""
    X, y = plane(n, noise=noise, random_state=rng)
    return 6 * X, y


def _tf_multi_gaussian(rng, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """``multi_gaussian`` in Playground's units (points in [-6, 6]^2, y in [-1, 1])."""
    X, y = multi_gaussian(n, noise=noise, random_state=rng)
    return 6 * X, y


PLAYGROUND_DATASETS: dict[str, tuple[Callable, str, str]] = {
    "circle": (_tf_circle, "classification", "a disc (class 1) inside a ring"),
    "xor": (_tf_xor, "classification", "the quadrants: class 1 where x1 and x2 share a sign"),
    "gauss": (_tf_gauss, "classification", "two Gaussian clusters at (2, 2) and (-2, -2)"),
    "spiral": (_tf_spiral, "classification", "two interleaved spiral arms"),
    "reg-plane": (_tf_plane, "regression", "a tilted plane, y = (x1 + x2) / 10"),
    "reg-gauss": (_tf_multi_gaussian, "regression", "six bumps of alternating sign"),
}


def playground(name: str, n_samples: int = 500, noise: float = 0.0, random_state=None
               ) -> tuple[np.ndarray, np.ndarray]:
    """One of TensorFlow Playground's six data sets, drawn as its ``dataset.ts`` draws it.

    ``name`` is Playground's: ``circle``, ``xor``, ``gauss``, ``spiral`` (classification) or
    ``reg-plane``, ``reg-gauss`` (regression); see ``PLAYGROUND_DATASETS``. ``noise`` is on
    Playground's scale, 0 to 0.5 (its slider's 0 to 50, divided by 100, as its page does).
    Returns ``X (n_samples, 2)`` float64 in Playground's units (about [-6, 6]^2) and ``y
    (n_samples,)``: labels 0/1 (int64; Playground's -1 is 0, and the first half, rounded up, is
    drawn as class 1 wherever the classes are drawn apart), or float64 targets. The rows are
    shuffled; the same seed gives the same data.
    """
    if not isinstance(name, str) or name not in PLAYGROUND_DATASETS:
        raise ValueError(f"unknown Playground data set {name!r}; choose one of: "
                         f"{', '.join(PLAYGROUND_DATASETS)}")
    _check_common(n_samples, noise)
    rng = _generator(random_state)
    X, y = PLAYGROUND_DATASETS[name][0](rng, int(n_samples), float(noise))
    order = rng.permutation(int(n_samples))
    return X[order], y[order]


def load(name: str, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """A dataset by name (see ``DATASETS`` and ``REGRESSION_DATASETS``), with the generator's
    keyword arguments."""
    try:
        generator = {**DATASETS, **REGRESSION_DATASETS}[name][0]
    except (KeyError, TypeError):
        choices = ", ".join([*DATASETS, *REGRESSION_DATASETS])
        raise ValueError(f"unknown dataset {name!r}; choose one of: {choices}") from None
    return generator(**kwargs)


def train_test_split(X: np.ndarray, y: np.ndarray, test_size: float = 0.2, random_state=None,
                     stratify: bool = True) -> tuple[np.ndarray, ...]:
    """Split into ``X_train, X_test, y_train, y_test`` with ``test_size`` of each class held out
    (stratified by ``y`` unless ``stratify=False``)."""
    X, y = np.asarray(X), np.asarray(y)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y have different lengths: {X.shape[0]} and {y.shape[0]}")
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be a fraction in (0, 1), got {test_size!r}")
    from .batches import stratified_split

    train, test = stratified_split(y, test_size, _generator(random_state), stratify=stratify)
    return X[train], X[test], y[train], y[test]


# --- images and signals for convolutions ---------------------------------------------------------

MNIST1D_MISSING = ("mnist1d needs the package of the same name, which generates the data "
                   "locally: pip install 'scratchnn[images]'")


def digits_images() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits as images: ``X (1797, 1, 8, 8)`` float64 in [0, 1] (the
    16 grey levels divided by 16) and the digits ``y (1797,)``, int. The layout is PyTorch's
    ``(n, channels, height, width)``, ready for ``Conv2D(1, ...)``; ``X.reshape(len(X), -1)``
    gives the 64 pixels a ``Dense`` layer takes."""
    from sklearn.datasets import load_digits  # here: scikit-learn is slow to import

    digits = load_digits()
    X = (digits.images / 16.0).reshape(-1, 1, 8, 8)
    return X, digits.target.astype(np.intp)


def mnist1d(n_samples: int = 5000, random_state=42) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-1D (Greydanus and Steinbach): ten 1-D templates of the digits, each padded,
    stretched, shifted, sheared and made noisy, then sampled at 40 points. The data set made to
    show why convolution matters: a digit's shape can sit anywhere along the signal.

    Returns ``X (n_samples, 1, 40)`` float64 (standardised over the whole set, as the authors
    do) and ``y (n_samples,)``, int, ``n_samples // 10`` of each digit (``n_samples`` a multiple
    of 10), shuffled. The defaults (5000 samples, seed 42) are the authors' settings; they train
    on the first 4000 and test on the last 1000.

    The samples are generated here by the ``mnist1d`` package's own ``make_dataset`` (nothing
    is downloaded); that package is an optional extra (``pip install 'scratchnn[images]'``).
    It draws from NumPy's and Python's global generators: their states are restored after, so
    calling this changes no one else's random numbers. ``random_state`` is a seed ``>= 0`` or
    a ``np.random.Generator`` (a seed is drawn from it).
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or (
            n_samples < 10 or n_samples % 10):
        raise ValueError(f"n_samples must be a multiple of 10 (one tenth per digit), at least 10, "
                         f"got {n_samples!r}")
    _check_seed(random_state)
    if random_state is None or isinstance(random_state, np.random.Generator):
        seed = int(as_generator(random_state).integers(2**31 - 1))
    elif isinstance(random_state, (int, np.integer)):
        seed = int(random_state)
    else:
        raise TypeError(f"random_state must be None, a seed >= 0 or a np.random.Generator, "
                        f"got {type(random_state).__name__}")
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError:
        raise ImportError(MNIST1D_MISSING) from None
    import random

    args = get_dataset_args()
    args.num_samples, args.seed = int(n_samples), seed
    numpy_state, python_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        data = make_dataset(args)  # seeds and draws from the global generators
    finally:
        np.random.set_state(numpy_state)  # noqa: NPY002 (the package's own generator)
        random.setstate(python_state)
    X = np.concatenate([data["x"], data["x_test"]]).astype(np.float64)
    y = np.concatenate([data["y"], data["y_test"]]).astype(np.intp)
    return X[:, np.newaxis, :], y
