"""``FeatureLift``: TensorFlow Playground's input features for 2-D data, as a scikit-learn
transformer. Public as ``scratchnn.datasets.FeatureLift``; it lives here so that importing
``scratchnn.datasets`` does not import scikit-learn (over a second) until a lift is used."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

_LIFTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x1": lambda X: X[:, 0],
    "x2": lambda X: X[:, 1],
    "x1^2": lambda X: X[:, 0] ** 2,
    "x2^2": lambda X: X[:, 1] ** 2,
    "x1*x2": lambda X: X[:, 0] * X[:, 1],
    "sin(x1)": lambda X: np.sin(X[:, 0]),
    "sin(x2)": lambda X: np.sin(X[:, 1]),
}
_ALIASES = {"sin": ["sin(x1)", "sin(x2)"], "sin x1": ["sin(x1)"], "sin x2": ["sin(x2)"],
            "x1x2": ["x1*x2"], "x1**2": ["x1^2"], "x2**2": ["x2^2"]}


def _power(name: str, k: int) -> str:
    return "" if k == 0 else name if k == 1 else f"{name}^{k}"


def _monomials(degree: int) -> list[tuple[int, int]]:
    """Exponents ``(a, b)`` of ``x1^a x2^b`` with ``1 <= a + b <= degree``, by degree, then by
    falling power of x1: (1, 0), (0, 1), (2, 0), (1, 1), (0, 2), ..."""
    return [(a, d - a) for d in range(1, degree + 1) for a in range(d, -1, -1)]


def _monomial_name(a: int, b: int) -> str:
    """``x1``, ``x2^2``, ``x1*x2``, ``x1^2*x2``: the same spelling as the named lifts."""
    return "*".join(part for part in (_power("x1", a), _power("x2", b)) if part)


def _expand(features: Sequence[str]) -> list[str]:
    names: list[str] = []
    for feature in features:
        key = feature.strip()
        if key not in _ALIASES:
            key = key.replace(" ", "")
        for name in _ALIASES.get(key, [key]):
            if name not in _LIFTS:
                choices = ", ".join([*_LIFTS, "sin"])
                raise ValueError(f"unknown feature {feature!r}; choose from: {choices}")
            if name not in names:
                names.append(name)
    if not names:
        raise ValueError("FeatureLift needs at least one feature")
    return names


class FeatureLift(TransformerMixin, BaseEstimator):
    """TensorFlow Playground's input features for 2-D data, as a scikit-learn transformer.

    ``FeatureLift(["x1", "x2", "x1^2", "x2^2"]).transform(X)`` maps ``X (n, 2)`` to
    ``(n, 4)``. Available: x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2) ("sin" means both).
    ``FeatureLift(degree=3)`` gives every monomial ``x1^a x2^b`` with ``1 <= a + b <= 3``.
    """

    def __init__(self, features: Sequence[str] | None = ("x1", "x2", "x1^2", "x2^2"),
                 degree: int | None = None):
        self.features = features
        self.degree = degree

    @classmethod
    def polynomial(cls, degree: int) -> FeatureLift:
        """All monomials of ``x1, x2`` up to ``degree`` (no constant term)."""
        return cls(features=None, degree=degree)

    def _check_degree(self) -> int:
        if isinstance(self.degree, bool) or not isinstance(self.degree, (int, np.integer)) or (
                self.degree < 1):
            raise ValueError(f"degree must be an integer >= 1, got {self.degree!r}")
        return int(self.degree)

    def _names(self) -> list[str]:
        if self.degree is not None:
            return [_monomial_name(a, b) for a, b in _monomials(self._check_degree())]
        return _expand(self.features or ())

    def fit(self, X, y=None) -> FeatureLift:
        X = self._check(X)
        self.feature_names_ = self._names()
        self.n_features_in_ = X.shape[1]
        return self

    def _check(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != 2:
            raise ValueError(f"feature lifts need 2-D points, X of shape (n, 2); got {X.shape}")
        return X

    def transform(self, X) -> np.ndarray:
        X = self._check(X)
        if self.degree is not None:
            return np.column_stack([X[:, 0] ** a * X[:, 1] ** b
                                    for a, b in _monomials(self._check_degree())])
        return np.column_stack([_LIFTS[name](X) for name in self._names()])

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(self._names(), dtype=object)
