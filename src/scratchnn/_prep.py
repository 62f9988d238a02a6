"""What happens to raw input columns before the network, stored with a model so that the model
can be used again: ``standardise -> lift -> network``; for a regression model also what happens
to the target: ``network output -> unstandardise -> value in the target's units``.

    prep = Prep(["x1", "x2"], classes=[0, 1], features=["x1", "x2", "x1^2", "x2^2"])
    inputs = prep(X)                    # (n, 2) raw columns -> (n, 4) network inputs
    save(model, "m.npz", metadata=prep.metadata())
    prep = Prep.from_metadata(header["metadata"], model, "m.npz")

    prep = Prep(["x1", "x2"], [], task="regression", target_mean=3.0, target_scale=2.0)
    z = prep.scale_target(y)            # (n,) target -> (n,) mean 0, std 1: what the network fits
    y = prep.unscale_target(z)          # (n,) network outputs -> (n,) in the target's units

The command line writes this metadata with every model it trains, and reads it back in
``evaluate``, ``predict`` and ``plot``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._csv import DataError
from .errors import ModelFileError
from .model import Sequential

METADATA_VERSION = 1
TASKS = ("classification", "regression")


@dataclass
class Prep:
    """The input columns' names, the class labels, the standardisation of the columns (mean
    and scale, from the training split) and the feature lift (``FeatureLift`` names). A
    regression model (``task="regression"``) has no classes and one output, the target
    standardised with ``target_mean`` and ``target_scale`` (from the training split)."""

    feature_names: list[str]
    classes: list
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    features: list[str] | None = None
    info: dict = field(default_factory=dict)
    task: str = "classification"
    target_mean: float = 0.0
    target_scale: float = 1.0

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """``X (n, len(feature_names)) -> (n, network inputs)``."""
        X = np.asarray(X, dtype=np.float64)
        # Huge values may overflow to inf here; the caller reports the row whose output is not
        # finite, which names the problem better than a warning would.
        with np.errstate(over="ignore", invalid="ignore"):
            if self.mean is not None:
                X = (X - self.mean) / self.scale
            if self.features:
                from .datasets import FeatureLift  # scikit-learn: only when a lift is used

                X = FeatureLift(self.features).transform(X)
        return X

    @property
    def is_regression(self) -> bool:
        return self.task == "regression"

    def scale_target(self, y: np.ndarray) -> np.ndarray:
        """Targets in their own units ``(n,)`` -> what the network learns, mean 0 and std 1."""
        return (np.asarray(y, dtype=np.float64) - self.target_mean) / self.target_scale

    def unscale_target(self, z: np.ndarray) -> np.ndarray:
        """Network outputs ``(n,)`` (or ``(n, 1)``) -> predictions ``(n,)`` in the target's
        units."""
        return np.asarray(z, dtype=np.float64).reshape(-1) * self.target_scale + self.target_mean

    def encode(self, labels: list, source: str) -> np.ndarray:
        """Labels -> class indices ``(n,)`` into ``classes``; ``source`` names the data in the
        error for a label that is not one of the classes."""
        index = {c: i for i, c in enumerate(self.classes)}
        try:
            return np.array([index[v] for v in labels], dtype=np.intp)
        except KeyError as error:
            known = ", ".join(map(str, self.classes))
            raise DataError(f"{source}: label {error.args[0]!r} is not one of the model's "
                            f"classes ({known})") from None

    def check_columns(self, columns: list[str], path: str) -> None:
        """A CSV file's feature columns must be exactly ``feature_names``, in any order."""
        expected = self.feature_names
        if sorted(columns) == sorted(expected):
            return
        missing = [c for c in expected if c not in columns]
        extra = [c for c in columns if c not in expected]
        detail = "; ".join(part for part in (
            f"missing: {', '.join(missing)}" if missing else "",
            f"unexpected: {', '.join(extra)}" if extra else "") if part)
        raise DataError(f"{path} has {len(columns)} feature column(s) ({', '.join(columns)}), "
                        f"but the model expects {len(expected)}: {', '.join(expected)} "
                        f"({detail})")

    def metadata(self) -> dict:
        """A JSON-ready dict for ``save(..., metadata=...)``."""
        metadata = {
            "scratchnn_cli": METADATA_VERSION,
            "task": self.task,
            "feature_names": list(self.feature_names),
            "classes": list(self.classes),
            "standardize": None if self.mean is None else {
                "mean": self.mean.tolist(), "scale": self.scale.tolist()},
            "features": self.features,
            **self.info,
        }
        if self.is_regression:
            metadata["target_scaling"] = {"mean": float(self.target_mean),
                                          "scale": float(self.target_scale)}
        return metadata

    @classmethod
    def from_metadata(cls, metadata: dict | None, model: Sequential, path: str,
                      defaults: dict | None = None) -> Prep:
        """The preprocessing of a saved model (a model saved without it gets the identity;
        ``defaults`` fills in what the metadata lacks, e.g. an estimator's classes). Raises
        ``ModelFileError`` when the metadata is inconsistent or does not fit the network."""
        metadata = {**(defaults or {}), **(metadata or {})}
        n_out = model.n_outputs
        n_classes = 2 if n_out == 1 else n_out
        try:
            prep = cls._parse(metadata, model.n_inputs, n_classes)
            width = prep(np.zeros((1, len(prep.feature_names)))).shape[1]
        except (TypeError, ValueError, KeyError) as error:
            raise ModelFileError(f"{path}: the model's metadata is inconsistent ({error})"
                                 ) from None
        if prep.is_regression:
            if width != model.n_inputs or n_out != 1:
                raise ModelFileError(f"{path}: the model's metadata does not fit its network "
                                     f"({width} inputs after preprocessing for "
                                     f"{model.n_inputs}, {n_out} outputs for one target)")
            return prep
        if width != model.n_inputs or len(prep.classes) != n_classes:
            raise ModelFileError(f"{path}: the model's metadata does not fit its network "
                                 f"({width} inputs after preprocessing for {model.n_inputs}, "
                                 f"{len(prep.classes)} classes for {n_out} outputs)")
        return prep

    @classmethod
    def _parse(cls, metadata: dict, n_inputs: int, n_classes: int) -> Prep:
        task = metadata.get("task") or "classification"  # files from before regression
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}")
        regression = task == "regression"
        classes = [] if regression else list(metadata.get("classes") or range(n_classes))
        features = metadata.get("features") or None
        names = metadata.get("feature_names")
        if names is None:
            names = ["x1", "x2"] if features else [f"x{i + 1}" for i in range(n_inputs)]
        standardize = metadata.get("standardize")
        mean = scale = None
        if standardize:
            mean = np.asarray(standardize["mean"], dtype=np.float64)
            scale = np.asarray(standardize["scale"], dtype=np.float64)
            if mean.shape != (len(names),) or scale.shape != (len(names),) or (
                    scale <= 0).any():
                raise ValueError("standardisation does not fit the feature names")
        target_mean, target_scale = 0.0, 1.0
        if regression and metadata.get("target_scaling"):
            scaling = metadata["target_scaling"]
            target_mean, target_scale = float(scaling["mean"]), float(scaling["scale"])
            if not (np.isfinite(target_mean) and np.isfinite(target_scale) and target_scale > 0):
                raise ValueError("the target scaling is not a finite mean and a positive scale")
        return cls(list(map(str, names)), classes, mean, scale,
                   list(features) if features else None,
                   {k: v for k, v in metadata.items()
                    if k in ("dataset", "seed", "target", "ignored_columns",
                             "selected_columns")},
                   task, target_mean, target_scale)
