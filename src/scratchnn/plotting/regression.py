"""What a regressor predicts, drawn according to its number of inputs: a surface over the plane
(two), a curve (one), or predicted against true values (more). The title gives R².
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize

from ..losses import MeanSquaredError
from ..metrics import R2Sums
from ..model import Sequential
from ._common import (
    BOUNDARY_FIGSIZE,
    _as_transform,
    _grid,
    _grid_limits,
    _legend,
    _set_plane_axes,
    new_figure,
)

ValueFunction = Callable[[np.ndarray], np.ndarray]
REGRESSION_CMAP = "viridis"  # perceptually uniform: equal steps of the target look equal


def _value_function(predict, transform) -> ValueFunction:
    """``X (n, d) -> (n,)`` predicted values, from a callable or a one-output ``Sequential``
    (its output is the prediction: an identity output layer); ``transform`` applied first."""
    if isinstance(predict, Sequential):
        model = predict

        def predict(X: np.ndarray) -> np.ndarray:  # the network's output, in eval mode
            was_training = model.training
            model.eval()
            try:
                return model.forward(np.asarray(X, dtype=model.dtype))
            finally:
                model.train(was_training)
    elif not callable(predict):
        raise TypeError("predict must be a callable mapping points (n, d) to values (n,), or a "
                        f"Sequential; got {type(predict).__name__}")
    apply = _as_transform(transform)

    def values(X: np.ndarray) -> np.ndarray:
        out = np.asarray(predict(X if apply is None else apply(X)), dtype=np.float64)
        if out.size != X.shape[0]:
            raise ValueError(f"predict returned shape {out.shape} for {X.shape[0]} points; "
                             "expected one value per point")
        return out.reshape(-1)

    return values


def _check_regression_points(X, y, name: str) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if X.ndim != 2 or y.shape[0] != X.shape[0]:
        raise ValueError(f"{name} has shape {X.shape} but its targets have {y.shape[0]} values; "
                         "expected X (n, d) and y (n,)")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError(f"{name} or its targets contain NaN or infinite values; drop those "
                         "points before drawing")
    return X, y


def _r2(y: np.ndarray, predicted: np.ndarray) -> float:
    """The library's R² (``scratchnn.metrics``) of predictions ``(n,)`` for targets ``(n,)``."""
    sums = R2Sums(MeanSquaredError())
    sums.add(predicted.reshape(-1, 1), y.reshape(-1, 1))
    return sums.value()


def plot_regression(predict, X_train, y_train, X_test=None, y_test=None, *,
                    ax: Axes | None = None, title: str | None = None, transform=None,
                    resolution: int = 200, colorbar: bool = True,
                    feature_names: Sequence[str] | None = None, target_name: str | None = None,
                    point_label: str = "train") -> Axes:
    """Draw what a regressor predicts, with the data.

    Parameters
    ----------
    predict : a callable mapping points ``(n, d)`` to predicted values ``(n,)``, or a
        ``Sequential`` with one output (its output is the prediction).
    X_train, y_train : points ``(n, d)`` and their true values ``(n,)``.
    X_test, y_test : optional test points, drawn as triangles with dark edges.
    transform : applied to the points before ``predict`` (e.g. a ``FeatureLift``).
    resolution : grid points per axis for a surface (``resolution**2`` predictions).
    feature_names : names of the input columns (axis labels; default ``x1``, ``x2``, ...).
    target_name : the target's name (colorbar and axis labels; default ``y``).
    point_label : what to call the first set of points in the legend and title ("train").

    Notes
    -----
    What is drawn depends on the number of inputs ``d``. Two: the predicted surface as a heatmap
    with contour lines, and the points coloured by their true value on the same colour scale,
    so a point that stands out from the background is one the network gets wrong. One: the
    predicted curve over the input's range, with the points. More: the predicted against the
    true value of every point, with the diagonal where a perfect model's points would lie. The
    title gives R². Returns the ``Axes``.
    """
    values = _value_function(predict, transform)
    X_train, y_train = _check_regression_points(X_train, y_train, "X_train")
    sets = [(point_label, X_train, y_train)]
    if X_test is not None:
        if y_test is None:
            raise ValueError("X_test was given without y_test")
        sets.append(("test", *_check_regression_points(X_test, y_test, "X_test")))
    if any(X.shape[1] != X_train.shape[1] for _, X, _ in sets):
        raise ValueError("X_train and X_test must have the same number of columns")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or (
            resolution < 2):
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    d = X_train.shape[1]
    names = ([str(name) for name in feature_names] if feature_names is not None
             else [f"x{i + 1}" for i in range(d)])
    if len(names) != d:
        raise ValueError(f"feature_names must name the {d} input columns, got {len(names)}")
    if ax is None:
        ax = new_figure(figsize=BOUNDARY_FIGSIZE).add_subplot()
    predictions = [values(X) for _, X, _ in sets]
    target = target_name or "y"
    if d == 2:
        _regression_surface(ax, values, sets, int(resolution), colorbar, names, target)
    elif d == 1:
        _regression_curve(ax, values, sets, predictions, names[0], target)
    else:
        _predicted_against_true(ax, sets, predictions, target)
    heading = " · ".join(f"{label} R² {_r2(y, p):.3f}"
                         for (label, _, y), p in zip(sets, predictions))
    ax.set_title(f"{title}\n{heading}" if title else heading, fontsize=11)
    return ax


_REGRESSION_MARKERS = {"test": {"marker": "^", "s": 42, "edgecolors": "#212529",
                                "linewidths": 0.9}}
_TRAIN_MARKER = {"marker": "o", "s": 22, "edgecolors": "white", "linewidths": 0.5}


def _regression_surface(ax: Axes, values: ValueFunction, sets, resolution: int,
                        colorbar: bool, names: list[str], target: str) -> None:
    """The predicted surface over the points' box, contour lines, and the points in the colour
    of their true value (one colour scale for both)."""
    limits = _grid_limits(*(X for _, X, _ in sets))
    xs, ys, grid = _grid(limits, resolution)
    surface = values(grid).reshape(ys.size, xs.size)
    everything = np.concatenate([surface.ravel(), *(y for _, _, y in sets)])
    norm = Normalize(float(everything.min()), float(everything.max()))
    image = ax.imshow(surface, origin="lower", extent=(xs[0], xs[-1], ys[0], ys[-1]),
                      cmap=REGRESSION_CMAP, norm=norm, interpolation="bilinear", aspect="auto",
                      alpha=0.85, zorder=0)
    if surface.max() > surface.min():
        lines = ax.contour(xs, ys, surface, levels=8, colors="white", linewidths=0.7,
                           linestyles="solid", alpha=0.8, zorder=1)
        ax.clabel(lines, fontsize=7, fmt="%.3g")
    for label, X, y in sets:
        style = _REGRESSION_MARKERS.get(label, _TRAIN_MARKER)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap=REGRESSION_CMAP, norm=norm, zorder=3,
                   label=label, **style)
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.03, shrink=0.8)
        bar.set_label(f"{target} (background: predicted; points: true)")
    _set_plane_axes(ax, limits, None if names == ["x1", "x2"] else names)
    _legend(ax, [], point_label=sets[0][0], has_test=len(sets) > 1)


def _regression_curve(ax: Axes, values: ValueFunction, sets, predictions, name: str,
                      target: str) -> None:
    """The predicted curve over the input's range and the points (x, true value)."""
    x = np.concatenate([X[:, 0] for _, X, _ in sets])
    span = max(float(x.max() - x.min()), 1e-9)
    grid = np.linspace(x.min() - 0.05 * span, x.max() + 0.05 * span, 400)
    for (label, X, y), color in zip(sets, ("#1c5aa6", "#d9480f")):
        style = _REGRESSION_MARKERS.get(label, _TRAIN_MARKER)
        ax.scatter(X[:, 0], y, color=color, alpha=0.8, zorder=2, label=label,
                   **{**style, "edgecolors": "white" if label != "test" else "#212529"})
    ax.plot(grid, values(grid.reshape(-1, 1)), color="#212529", linewidth=2.0, zorder=3,
            label="prediction")
    ax.set_xlabel("$x_1$" if name == "x1" else name)
    ax.set_ylabel(target)
    ax.grid(alpha=0.25)
    ax.legend(frameon=False, fontsize=8.5)


def _predicted_against_true(ax: Axes, sets, predictions, target: str) -> None:
    """Each point at (true value, predicted value), and the diagonal of perfect predictions."""
    everything = np.concatenate([*(y for _, _, y in sets), *predictions])
    lo, hi = float(everything.min()), float(everything.max())
    pad = 0.05 * max(hi - lo, 1e-9)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="#868e96", linestyle="--",
            linewidth=1.2, zorder=1, label="perfect prediction")
    for (label, _, y), predicted, color in zip(sets, predictions, ("#1c5aa6", "#d9480f")):
        style = _REGRESSION_MARKERS.get(label, _TRAIN_MARKER)
        ax.scatter(y, predicted, color=color, alpha=0.8, zorder=2, label=label,
                   **{**style, "edgecolors": "white" if label != "test" else "#212529"})
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(f"true {target}")
    ax.set_ylabel(f"predicted {target}")
    ax.grid(alpha=0.25)
    ax.legend(frameon=False, fontsize=8.5, loc="upper left")
