"""The decision boundary: what a classifier predicts over the plane, with the data on top.

A binary problem shows ``P(class 1)`` as a heatmap with the 0.5 contour; a multiclass one
colours the plane by the predicted class, faded to white where the network is unsure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb

from ..functional import sigmoid, softmax
from ..model import Sequential
from ._common import (
    BINARY_CMAP,
    BOUNDARY_FIGSIZE,
    CLASS_COLORS,
    _as_transform,
    _check_points,
    _draw_points,
    _grid,
    _grid_limits,
    _legend,
    _set_plane_axes,
    new_figure,
)

ProbaFunction = Callable[[np.ndarray], np.ndarray]

# --- probabilities over the plane --------------------------------------------------------------


def probabilities_from_logits(logits: np.ndarray) -> np.ndarray:
    """Logits ``(n, 1)`` -> ``P(class 1)`` of shape ``(n,)`` (a sigmoid); logits ``(n, k)``
    -> class probabilities ``(n, k)`` (a softmax). Both stable for any logits."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim == 1 or logits.shape[1] == 1:
        return sigmoid(logits.reshape(-1))
    return softmax(logits)


def model_predict_proba(model: Sequential, transform=None) -> ProbaFunction:
    """A function mapping points ``X (n, d)`` to probabilities, for ``plot_decision_boundary``.

    The model's logits go through a sigmoid (one output: returns ``(n,)``, ``P(class 1)``) or a
    softmax (``k`` outputs: returns ``(n, k)``). ``transform`` (a callable, or an object with a
    ``.transform`` method such as ``FeatureLift``) is applied to ``X`` first: that is how a model
    trained on lifted features ``(x1, x2, x1^2, x2^2)`` is drawn in the plane ``(x1, x2)``.
    The model is evaluated in eval mode (no dropout) and its mode is restored afterwards.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    apply = _as_transform(transform)

    def predict_proba(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if apply is not None:
            X = apply(X)
        return probabilities_from_logits(model.predict_logits(X))  # eval mode, in chunks

    return predict_proba


def _proba_function(predict_proba, transform) -> ProbaFunction:
    """Accept a ``Sequential`` or any callable; apply ``transform`` (if any) first."""
    if isinstance(predict_proba, Sequential):
        return model_predict_proba(predict_proba, transform)
    if not callable(predict_proba):
        raise TypeError("predict_proba must be a callable mapping points (n, 2) to probabilities, "
                        f"or a Sequential; got {type(predict_proba).__name__}")
    apply = _as_transform(transform)
    if apply is None:
        return predict_proba
    return lambda X: predict_proba(apply(X))


def _class_probabilities(proba: np.ndarray, n: int) -> np.ndarray:
    """Probabilities as ``(n, k)`` with ``k >= 2`` (a binary ``(n,)`` becomes ``[1 - p, p]``)."""
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim == 1 or (proba.ndim == 2 and proba.shape[1] == 1):
        p = proba.reshape(-1)
        proba = np.column_stack([1 - p, p])
    if proba.ndim != 2 or proba.shape[0] != n:
        raise ValueError(f"predict_proba returned shape {proba.shape} for {n} points; expected "
                         f"({n},) or ({n}, n_classes)")
    return proba


def _multiclass_image(proba: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """An RGB image: each pixel in its predicted class's colour, faded towards white where the
    network is unsure (confidence 1/k shows white, confidence 1 the full colour)."""
    k = proba.shape[1]
    colors = np.array([to_rgb(CLASS_COLORS[c % len(CLASS_COLORS)]) for c in range(k)])
    winner = proba.argmax(axis=1)
    confidence = (proba.max(axis=1) - 1 / k) / (1 - 1 / k)  # 0 (a toss-up) .. 1 (certain)
    strength = 0.08 + 0.42 * np.clip(confidence, 0, 1)[:, None]  # light tints: points stay readable
    rgb = 1 - strength * (1 - colors[winner])
    return rgb.reshape(*shape, 3)


# --- the decision boundary ---------------------------------------------------------------------


def _draw_field(ax: Axes, proba: np.ndarray, xs: np.ndarray, ys: np.ndarray, *,
                colorbar: bool) -> list:
    """The probability field ``proba (xs.size * ys.size, k)`` behind the points, and the
    decision boundary on top. Returns the artists drawn (an animation removes them for the next
    frame)."""
    extent = (xs[0], xs[-1], ys[0], ys[-1])
    shape = (ys.size, xs.size)
    k = proba.shape[1]
    if k == 2:
        p1 = proba[:, 1].reshape(shape)
        image = ax.imshow(p1, origin="lower", extent=extent, cmap=BINARY_CMAP, vmin=0, vmax=1,
                          interpolation="bilinear", aspect="auto", zorder=0)
        artists = [image]
        if p1.min() < 0.5 < p1.max():  # else there is no boundary in view
            artists.append(ax.contour(xs, ys, p1, levels=[0.5], colors="#212529",
                                      linewidths=1.6, zorder=1))
        if colorbar:
            bar = ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.03, shrink=0.8)
            bar.set_label("P(class 1)")
            bar.ax.axhline(0.5, color="#212529", linewidth=1.2)
        return artists
    artists = [ax.imshow(_multiclass_image(proba, shape), origin="lower", extent=extent,
                         interpolation="bilinear", aspect="auto", zorder=0)]
    for c in range(k):  # each class's region ends where another class's probability wins
        others = np.delete(proba, c, axis=1).max(axis=1)
        margin = (proba[:, c] - others).reshape(shape)
        if margin.min() < 0 < margin.max():
            artists.append(ax.contour(xs, ys, margin, levels=[0.0], colors="#343a40",
                                      linewidths=1.1, zorder=1))
    return artists


def _predicted_labels(proba: np.ndarray) -> np.ndarray:
    return proba.argmax(axis=1)


def plot_decision_boundary(predict_proba, X_train, y_train, X_test=None, y_test=None, *,
                           ax: Axes | None = None, title: str | None = None, transform=None,
                           resolution: int = 200, colorbar: bool = True, legend: bool = True,
                           class_names: Sequence[str] | None = None,
                           point_label: str = "train",
                           feature_names: Sequence[str] | None = None) -> Axes:
    """Draw what a classifier predicts over the plane, with the data on top.

    Parameters
    ----------
    predict_proba : a callable mapping points ``(n, 2)`` to probabilities, ``(n,)`` =
        ``P(class 1)`` for a binary problem or ``(n, k)``; or a ``Sequential`` (see
        ``model_predict_proba``).
    X_train, y_train : training points ``(n, 2)`` and integer labels ``(n,)``, drawn as circles.
    X_test, y_test : optional test points, drawn as triangles with dark edges; misclassified
        test points are ringed.
    transform : applied to the grid (and the points) before ``predict_proba``, e.g. a
        ``FeatureLift`` for a model trained on lifted features.
    resolution : grid points per axis (``resolution**2`` predictions).
    colorbar, legend : draw them (default True). class_names : legend names of the classes.
    point_label : what to call the first set of points in the legend and title ("train").
    feature_names : the names of the two input columns, for the axis labels (default
        ``x1``, ``x2``). Named columns are usually different quantities (a length and a
        width, say), so they are not drawn to a common scale; ``x1``, ``x2`` are, when their
        ranges are within a factor 3 of each other.

    Notes
    -----
    Binary problems show ``P(class 1)`` as a heatmap on a diverging blue-white-orange map with
    the 0.5 contour (the decision boundary) in black; multiclass problems colour each point of the
    plane by its predicted class, faded to white where the network is unsure. The title gives
    the accuracy. Returns the ``Axes``.
    """
    proba_fn = _proba_function(predict_proba, transform)
    X_train, y_train = _check_points(X_train, y_train, "X_train")
    has_test = X_test is not None
    if has_test:
        if y_test is None:
            raise ValueError("X_test was given without y_test")
        X_test, y_test = _check_points(X_test, y_test, "X_test")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or (
            resolution < 2):
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    if feature_names is not None:
        feature_names = [str(name) for name in feature_names]
        if len(feature_names) != 2:
            raise ValueError(f"feature_names must name the 2 input columns, got "
                             f"{len(feature_names)}: {feature_names}")
    if ax is None:
        ax = new_figure(figsize=BOUNDARY_FIGSIZE).add_subplot()

    limits = _grid_limits(X_train, X_test if has_test else None)
    xs, ys, grid = _grid(limits, int(resolution))
    proba = _class_probabilities(proba_fn(grid), grid.shape[0])
    _draw_field(ax, proba, xs, ys, colorbar=colorbar)
    scores, has_wrong = _draw_data(ax, proba_fn, X_train, y_train, X_test, y_test, point_label)
    heading = " · ".join(scores)
    ax.set_title(f"{title}\n{heading}" if title else heading, fontsize=11)
    _set_plane_axes(ax, limits, feature_names)
    if legend:
        n_classes = max(proba.shape[1], int(y_train.max()) + 1)
        names = list(class_names) if class_names is not None else [
            f"class {c}" for c in range(n_classes)]
        _legend(ax, names[:n_classes], point_label=point_label, has_test=has_test,
                has_wrong=has_wrong)
    return ax


def _draw_data(ax: Axes, proba_fn: ProbaFunction, X_train, y_train, X_test, y_test,
               point_label: str) -> tuple[list[str], bool]:
    """The training points (circles), the test points (triangles, the misclassified ones
    ringed); returns the accuracies as title parts and whether any test point is wrong."""
    train_pred = _predicted_labels(_class_probabilities(proba_fn(X_train), X_train.shape[0]))
    scores = [f"{point_label} accuracy {np.mean(train_pred == y_train):.3f}"]
    _draw_points(ax, X_train, y_train, marker="o", size=22, edgecolor="white", linewidth=0.5)
    if X_test is None:
        return scores, False
    test_pred = _predicted_labels(_class_probabilities(proba_fn(X_test), X_test.shape[0]))
    wrong = test_pred != y_test
    scores.append(f"test accuracy {np.mean(~wrong):.3f}")
    _draw_points(ax, X_test, y_test, marker="^", size=42, edgecolor="#212529", linewidth=0.9)
    if wrong.any():
        ax.scatter(X_test[wrong, 0], X_test[wrong, 1], s=170, facecolors="none",
                   edgecolors="#f8f9fa", linewidths=2.6, zorder=4, gid="misclassified")
        ax.scatter(X_test[wrong, 0], X_test[wrong, 1], s=170, facecolors="none",
                   edgecolors="#c2255c", linewidths=1.4, zorder=5, gid="misclassified")
    return scores, bool(wrong.any())
