"""Pictures of what a network learned: decision boundaries, regression surfaces, training
curves, hidden units and animations of training.

Every function draws with matplotlib into an ``Axes`` or ``Figure`` it is given (``ax=`` /
``fig=``) or creates one, and returns it, so the same calls work in a notebook and in a script.
Nothing here opens a window or switches matplotlib's backend: a new figure is a plain
``matplotlib.figure.Figure`` (no pyplot state) unless pyplot is already in use, as in a
notebook, where it comes from ``plt.figure`` and shows up like any other (see ``new_figure``).
Save with ``fig.savefig(path)`` or ``save_figure`` (atomic). Animations are written with Pillow.

Typical use::

    from scratchnn import plotting

    proba = plotting.model_predict_proba(model, transform=lift)      # (n, 2) -> (n,)
    ax = plotting.plot_decision_boundary(proba, X_train, y_train, X_test, y_test)
    ax.figure.savefig("boundary.png")

    recorder = plotting.TrainingRecorder(n_frames=40)
    history = fit(model, X, y, epochs=500, callbacks=[recorder])
    plotting.animate_training(model, recorder, X, y, "training.gif", history=history)
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import SimpleNamespace

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, Normalize, TwoSlopeNorm, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import offset_copy

from ._files import atomic_write
from .layers import Dense, Dropout, stable_sigmoid
from .model import Sequential

ProbaFunction = Callable[[np.ndarray], np.ndarray]
Transform = Callable[[np.ndarray], np.ndarray]

# Class colours for the points: blue and orange for two classes (as in TensorFlow Playground),
# then more. The background uses lighter tints of the same hues, so the points stand out.
CLASS_COLORS = ("#1c5aa6", "#d9480f", "#2b8a3e", "#862e9c", "#c92a2a", "#0b7285", "#5c940d",
                "#a61e4d", "#495057", "#e67700")
BOUNDARY_FIGSIZE = (6.4, 5.4)  # inches: a decision boundary with its colorbar and legend
# A diverging map from a light blue (class 0) through white to a light orange (class 1).
BINARY_CMAP = LinearSegmentedColormap.from_list(
    "scratchnn_binary", ["#6f9fd8", "#b3cdec", "#f8f9fa", "#fbcca6", "#f4955a"])
# Hidden-unit activations: blue for negative, white for zero, orange for positive.
UNIT_CMAP = LinearSegmentedColormap.from_list(
    "scratchnn_units", ["#1f5fa8", "#9cc3e6", "#f7f7f7", "#fdc08a", "#e8590c"])


def new_figure(figsize: tuple[float, float]) -> Figure:
    """A new figure with constrained layout. Where pyplot is in use (a notebook, an interactive
    session: ``matplotlib.pyplot`` has been imported) it comes from ``plt.figure`` so that it is
    shown like any other; otherwise it is a plain ``Figure``, known to no GUI and to no global
    state, ready for ``savefig``. The backend is never changed."""
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize, layout="constrained")
    return Figure(figsize=figsize, layout="constrained")


# --- predictions on a grid ---------------------------------------------------------------------


def _as_transform(transform) -> Transform | None:
    """A callable from ``None``, a callable, or an object with ``.transform`` (FeatureLift)."""
    if transform is None:
        return None
    if hasattr(transform, "transform"):
        return transform.transform
    if callable(transform):
        return transform
    raise TypeError(f"transform must be a callable or have a .transform method, got "
                    f"{type(transform).__name__}")


def probabilities_from_logits(logits: np.ndarray) -> np.ndarray:
    """Logits ``(n, 1)`` -> ``P(class 1)`` of shape ``(n,)`` (a stable sigmoid); logits ``(n, k)``
    -> class probabilities ``(n, k)`` (a softmax with the row maximum subtracted)."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim == 1 or logits.shape[1] == 1:
        return stable_sigmoid(logits.reshape(-1))
    shifted = logits - logits.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


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


def _check_points(X, y, name: str) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2) to be drawn in the plane, got {X.shape}; "
                         "pass the raw 2-D points and give any feature lift as transform=")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinite values; drop those points before "
                         "drawing")
    y = np.asarray(y).reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"{name} has {X.shape[0]} points but its labels have {y.shape[0]}")
    return X, y.astype(np.intp)


def _grid_limits(*arrays: np.ndarray, pad: float = 0.12) -> tuple[float, float, float, float]:
    points = np.concatenate([a for a in arrays if a is not None and len(a)])
    lo, hi = points.min(axis=0), points.max(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        span = np.maximum(hi - lo, 1e-9)
        lo_pad, hi_pad = lo - pad * span, hi + pad * span
    if not (np.isfinite(lo_pad).all() and np.isfinite(hi_pad).all()):
        raise ValueError(f"the points span too large a range to draw (x1 from {lo[0]:g} to "
                         f"{hi[0]:g}, x2 from {lo[1]:g} to {hi[1]:g}); rescale them")
    return float(lo_pad[0]), float(hi_pad[0]), float(lo_pad[1]), float(hi_pad[1])


def _grid(limits, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(xs, ys, points)``: a ``resolution x resolution`` grid over ``limits`` and its points
    as ``(resolution**2, 2)``, rows running over ``x1`` first."""
    x0, x1, y0, y1 = limits
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.column_stack([gx.ravel(), gy.ravel()])


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


def _draw_points(ax: Axes, X: np.ndarray, y: np.ndarray, *, marker: str, size: float,
                 edgecolor: str, alpha: float = 1.0, linewidth: float = 0.6) -> None:
    colors = [CLASS_COLORS[c % len(CLASS_COLORS)] for c in y]
    ax.scatter(X[:, 0], X[:, 1], c=colors, marker=marker, s=size, edgecolors=edgecolor,
               linewidths=linewidth, alpha=alpha, zorder=3)


def _predicted_labels(proba: np.ndarray) -> np.ndarray:
    return proba.argmax(axis=1)


def _accuracy(proba_fn: ProbaFunction, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(_predicted_labels(_class_probabilities(proba_fn(X), X.shape[0])) == y))


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


def _set_plane_axes(ax: Axes, limits, feature_names: list[str] | None) -> None:
    """Limits, axis labels and ticks; ``x1``, ``x2`` share a scale when their ranges are within
    a factor 3 of each other (named columns are usually different quantities, so never)."""
    ax.set_xlim(limits[0], limits[1])
    ax.set_ylim(limits[2], limits[3])
    xlabel, ylabel = feature_names or ("$x_1$", "$x_2$")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
    ratio = (limits[1] - limits[0]) / (limits[3] - limits[2])
    if feature_names is None and 1 / 3 < ratio < 3:
        ax.set_aspect("equal", adjustable="box")


def _legend(ax: Axes, class_names: Sequence[str], *, point_label: str | None = None,
            has_test: bool = False, has_wrong: bool = False, gap: float = 30) -> None:
    """A legend under the axes: one colour square per class, then (with ``point_label``) the
    markers of the training and test points and of the misclassified ones. ``gap``: points
    between the bottom of the axes and the legend (room for the x-axis label)."""
    handles = [Line2D([], [], linestyle="none", marker="s", markersize=8, markeredgecolor="none",
                      markerfacecolor=CLASS_COLORS[c % len(CLASS_COLORS)], label=str(name))
               for c, name in enumerate(class_names)]
    if point_label is not None:
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=6,
                              color="#868e96", markeredgecolor="white", label=point_label))
    if has_test:
        handles.append(Line2D([], [], linestyle="none", marker="^", markersize=7, color="#868e96",
                              markeredgecolor="#212529", label="test"))
    if has_wrong:
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=11,
                              markerfacecolor="none", markeredgecolor="#c2255c",
                              markeredgewidth=1.4, label="misclassified"))
    # Below the axes whatever their height: an offset in points, not a fraction.
    below = offset_copy(ax.transAxes, fig=ax.figure, y=-gap, units="points")
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
              bbox_transform=below, ncol=min(len(handles), 6), fontsize=8.5, frameon=False,
              handletextpad=0.3, columnspacing=1.0)


# --- what a regressor predicts ----------------------------------------------------------------

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
    from .losses import MeanSquaredError
    from .training import R2Sums

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


# --- training curves ---------------------------------------------------------------------------


def _history_namespace(history) -> SimpleNamespace:
    """A ``History`` or a dict of lists as an object with the five lists and ``best_epoch``."""
    if isinstance(history, Mapping):
        get = history.get
    else:
        def get(name, default=None):
            return getattr(history, name, default)
    fields = {name: [float(v) for v in (get(name) or [])]
              for name in ("loss", "val_loss", "accuracy", "val_accuracy", "r2", "val_r2", "lr")}
    if not fields["loss"]:
        raise ValueError("the history has no 'loss' values to plot")
    return SimpleNamespace(**fields, best_epoch=get("best_epoch"),
                           restored_best=bool(get("restored_best", False)))


def plot_history(history, *, ax: Axes | Sequence[Axes] | None = None,
                 title: str | None = None) -> Figure:
    """Training curves: loss (left) and accuracy (right) per epoch, training and validation;
    for a regression loss R² instead of the accuracy.

    ``history`` is a ``History`` from ``fit`` or a dict of lists with keys ``loss``,
    ``val_loss``, ``accuracy``, ``val_accuracy`` or ``r2``, ``val_r2`` (and optionally ``lr``,
    ``best_epoch``).
    A learning rate that changes during training gets a third panel. The best epoch (the one
    whose weights were kept) is marked by a dotted line. ``ax``: one Axes (loss only) or a
    sequence of Axes to draw in. Returns the ``Figure``.
    """
    h = _history_namespace(history)
    panels = ["loss"]
    for score in ("accuracy", "r2"):
        if getattr(h, score) and not all(math.isnan(a) for a in getattr(h, score)):
            panels.append(score)
    if len(h.lr) > 1 and max(h.lr) > min(h.lr) * (1 + 1e-9):
        panels.append("lr")
    if ax is None:
        fig = new_figure(figsize=(4.2 * len(panels), 3.6))
        axes = list(fig.subplots(1, len(panels), squeeze=False)[0])
    else:
        axes = [ax] if isinstance(ax, Axes) else list(ax)
        panels = panels[:len(axes)]
        fig = axes[0].figure
    epochs = np.arange(1, len(h.loss) + 1)
    train_style = {"color": "#1f5fa8", "linewidth": 1.8}
    val_style = {"color": "#e8590c", "linewidth": 1.8}
    for name, axis in zip(panels, axes):
        if name == "lr":
            axis.plot(epochs[:len(h.lr)], h.lr, color="#495057", linewidth=1.6)
            axis.set_yscale("log")
            axis.set_ylabel("learning rate")
        else:
            train, val = getattr(h, name), getattr(h, f"val_{name}")
            axis.plot(epochs[:len(train)], train, label="training", **train_style)
            if val:
                axis.plot(epochs[:len(val)], val, label="validation", **val_style)
            axis.set_ylabel("R²" if name == "r2" else name)
            if name == "loss":
                values = np.array([v for v in train + val if v > 0 and math.isfinite(v)])
                if values.size and values.max() / values.min() > 30:
                    axis.set_yscale("log")
            elif name == "r2":  # R² starts anywhere below 1; show from -1 at most
                axis.set_ylim(max(min(0.0, *(train + val)), -1.0) - 0.02, 1.02)
            else:
                axis.set_ylim(min(0.45, *(train + val)) - 0.02, 1.02)
            axis.legend(frameon=False, fontsize=9)
        if h.best_epoch:
            axis.axvline(h.best_epoch, color="#868e96", linestyle=":", linewidth=1.3)
        axis.set_xlabel("epoch")
        axis.set_xlim(1, max(len(h.loss), 2))
        axis.grid(alpha=0.25)
        axis.spines[["top", "right"]].set_visible(False)
    if h.best_epoch and axes:
        text = (f"best epoch {h.best_epoch} (kept)" if h.restored_best
                else f"lowest loss: epoch {h.best_epoch}")
        right_half = h.best_epoch > 0.6 * len(h.loss)  # write on the side with room
        axes[0].annotate(text, xy=(h.best_epoch, 1), xycoords=("data", "axes fraction"),
                         xytext=(-3 if right_half else 3, -3), textcoords="offset points",
                         ha="right" if right_half else "left", va="top", fontsize=8,
                         color="#495057")
    if title:
        fig.suptitle(title, fontsize=12)
    return fig


# --- hidden units ------------------------------------------------------------------------------


def hidden_activations(model: Sequential, X: np.ndarray, layer: int = 0, *,
                       pre_activation: bool = False) -> np.ndarray:
    """The outputs ``(n, units)`` of hidden layer ``layer`` (0 = the first) after its activation:
    the model's layers run up to (not including) the next ``Dense``. Dropout is skipped.
    ``pre_activation=True`` gives the ``Dense`` output ``x @ W + b`` before the activation."""
    n_dense = len(model.dense_layers)
    if not 0 <= layer < n_dense - 1:
        raise ValueError(f"layer must be a hidden layer index in 0..{n_dense - 2}, got {layer} "
                         f"(the model has {n_dense - 1} hidden layer(s))")
    out = np.asarray(X, dtype=model.dtype)
    dense_seen = -1
    for item in model.layers:
        if isinstance(item, Dense):
            dense_seen += 1
            if dense_seen > layer:
                break
        if isinstance(item, Dropout):
            continue
        out = item.forward(out).copy()  # layers reuse their buffers: keep a copy
        if pre_activation and dense_seen == layer and isinstance(item, Dense):
            break
    return out


def plot_hidden_units(model: Sequential, X, y, *, transform=None, layer: int = 0,
                      resolution: int = 80, ncols: int | None = None, fig: Figure | None = None,
                      show_output: bool = True, title: str | None = None) -> Figure:
    """A small heatmap per hidden unit: its activation over the plane, as TensorFlow Playground
    shows, in a grid, with the data ``X (n, 2)``, ``y (n,)`` faintly on top.

    ``transform`` maps the plane to the model's inputs (e.g. a ``FeatureLift``). ``layer``
    picks the hidden layer (0 = the first). Each unit has its own colour scale, centred on 0:
    orange where the unit is positive, blue where negative, white at zero (a ReLU unit is white
    wherever it is off). With ``show_output`` the last panel is the network's own prediction.
    Returns the ``Figure``.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    X, y = _check_points(X, y, "X")
    apply = _as_transform(transform)
    limits = _grid_limits(X)
    xs, ys, grid = _grid(limits, resolution)
    inputs = apply(grid) if apply is not None else grid
    was_training = model.training
    model.eval()
    try:
        units = hidden_activations(model, inputs, layer)
        pre = hidden_activations(model, inputs, layer, pre_activation=True)
    finally:
        model.train(was_training)
    n_units = units.shape[1]
    n_panels = n_units + (1 if show_output else 0)
    if ncols is None:  # the fewest empty cells, then the squarest grid (at most 6 columns)
        candidates = range(min(n_panels, math.ceil(math.sqrt(n_panels))), min(n_panels, 6) + 1)
        ncols = min(candidates, key=lambda c: (-n_panels % c, c))
    nrows = math.ceil(n_panels / ncols)
    if fig is None:
        aspect = (limits[3] - limits[2]) / (limits[1] - limits[0])  # height / width of a panel
        width = 2.2
        fig = new_figure(figsize=(width * ncols, (width * aspect + 0.35) * nrows + 0.45))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    extent = (xs[0], xs[-1], ys[0], ys[-1])
    point_colors = [CLASS_COLORS[c % len(CLASS_COLORS)] for c in y]
    shape = (ys.size, xs.size)
    for j in range(n_units):
        axis = axes[j]
        values = units[:, j].reshape(shape)
        top = float(np.abs(values).max()) or 1.0
        axis.imshow(values, origin="lower", extent=extent, cmap=UNIT_CMAP,
                    norm=TwoSlopeNorm(vcenter=0.0, vmin=-top, vmax=top), interpolation="bilinear",
                    aspect="auto")
        # Where the unit's input x @ w + b crosses zero: a straight line for the first layer.
        if pre[:, j].min() < 0 < pre[:, j].max():
            axis.contour(xs, ys, pre[:, j].reshape(shape), levels=[0.0], colors="#343a40",
                         linewidths=0.8)
        axis.scatter(X[:, 0], X[:, 1], c=point_colors, s=4, alpha=0.35, linewidths=0)
        low, high = float(values.min()), float(values.max())
        note = "dead: 0 everywhere" if high <= 0 and low >= 0 else f"{low:.2g} to {high:.2g}"
        axis.set_title(f"unit {j + 1}  ({note})", fontsize=9)
    if show_output:
        axis = axes[n_units]
        proba = _class_probabilities(model_predict_proba(model, apply)(grid), grid.shape[0])
        _draw_field(axis, proba, xs, ys, colorbar=False)
        axis.scatter(X[:, 0], X[:, 1], c=point_colors, s=4, alpha=0.5, linewidths=0)
        axis.set_title("network output", fontsize=9, fontweight="bold")
    for axis in axes[:n_panels]:
        axis.set_xlim(limits[0], limits[1])
        axis.set_ylim(limits[2], limits[3])
        axis.set_xticks([])
        axis.set_yticks([])
        axis.set_aspect("equal", adjustable="box")
    for axis in axes[n_panels:]:
        axis.set_visible(False)
    fig.suptitle(title or f"hidden layer {layer + 1}: each unit's activation over the plane",
                 fontsize=11)
    return fig


# --- animation ---------------------------------------------------------------------------------


def snapshot_epochs(total_epochs: int, n_frames: int = 40) -> list[int]:
    """About ``n_frames`` epochs in ``1..total_epochs`` to snapshot, denser early on (where the
    boundary moves fastest) and always including the last epoch."""
    if total_epochs < 1 or n_frames < 1:
        raise ValueError("total_epochs and n_frames must be positive")
    if n_frames >= total_epochs:
        return list(range(1, total_epochs + 1))
    t = np.linspace(0, 1, n_frames)
    chosen = set(np.round(1 + (total_epochs - 1) * t ** 1.6).astype(int).tolist())
    candidate = 1
    while len(chosen) < n_frames:  # collisions at the start: fill with the earliest epochs
        chosen.add(candidate)
        candidate += 1
    return sorted(chosen)


class _Run:
    """The snapshots of one training run, thinned so that at most about ``3 * n_frames`` copies
    of the weights are held however long the run lasts."""

    def __init__(self, n_frames: int, epochs: set[int] | None):
        self.n_frames, self.epochs = n_frames, epochs
        self.early: list[tuple[int, list[np.ndarray]]] = []  # the first epochs, every one
        self.rest: list[tuple[int, list[np.ndarray]]] = []   # then every stride-th epoch
        self.stride = 1
        self.last: tuple[int, list[np.ndarray]] | None = None

    def offer(self, epoch: int, model: Sequential) -> None:
        if self.epochs is not None:  # an explicit list of epochs
            if epoch in self.epochs:
                self.rest.append((epoch, model.get_weights()))
            return
        n_early = self.n_frames // 4
        if epoch <= n_early:
            self.early.append((epoch, model.get_weights()))
            return
        if (epoch - n_early) % self.stride == 0:
            self.rest.append((epoch, model.get_weights()))
            if len(self.rest) > 2 * self.n_frames:  # thin: keep every other one
                self.stride *= 2
                self.rest = [item for item in self.rest if (item[0] - n_early) % self.stride == 0]
        self.last = (epoch, model.get_weights())

    def snapshots(self) -> list[tuple[int, list[np.ndarray]]]:
        if self.epochs is not None:
            return list(self.rest)
        tail = list(self.rest)
        if self.last is not None and (not tail or tail[-1][0] != self.last[0]):
            tail.append(self.last)
        wanted = self.n_frames - len(self.early)
        if len(tail) > wanted > 0:  # evenly spaced, always ending with the last epoch
            picks = np.unique(np.round(np.linspace(0, len(tail) - 1, wanted)).astype(int))
            tail = [tail[i] for i in picks]
        return self.early + tail


class TrainingRecorder:
    """A ``fit`` callback that keeps copies of the weights during training, for
    ``animate_training``.

    ``TrainingRecorder(n_frames=40)`` keeps about ``n_frames`` snapshots spread over however
    many epochs the run lasts (early stopping included): every one of the first
    ``n_frames // 4`` epochs, where the boundary moves fastest, then evenly spaced epochs up to
    the last one, holding at most about ``3 * n_frames`` copies of the weights at any time.
    ``TrainingRecorder(epochs=[...])`` keeps exactly the listed epochs.

    ``fit`` calls ``recorder(epoch, history, model)`` after every epoch (epochs count from 1).
    With restarts (``n_init > 1``) each run is recorded separately and ``snapshots(history)``
    returns the run that ``fit`` kept.

    >>> recorder = TrainingRecorder(n_frames=40)
    >>> history = fit(model, X, y, epochs=300, callbacks=[recorder])   # doctest: +SKIP
    """

    def __init__(self, epochs: Iterable[int] | None = None, *, n_frames: int = 40):
        if isinstance(n_frames, bool) or not isinstance(n_frames, (int, np.integer)) or (
                n_frames < 2):
            raise ValueError(f"n_frames must be an integer >= 2, got {n_frames!r}")
        self.n_frames = int(n_frames)
        self.epochs = None if epochs is None else {int(e) for e in epochs}
        if self.epochs is not None and not self.epochs:
            raise ValueError("TrainingRecorder needs at least one epoch to record")
        self._runs: list[_Run] = []
        self._last_epoch = math.inf

    @classmethod
    def for_epochs(cls, total_epochs: int, n_frames: int = 40) -> TrainingRecorder:
        """Record the epochs ``snapshot_epochs(total_epochs, n_frames)``: about ``n_frames``,
        denser early on (for a run known to last ``total_epochs``)."""
        return cls(snapshot_epochs(total_epochs, n_frames), n_frames=max(2, n_frames))

    def __call__(self, epoch: int, history, model: Sequential) -> bool:
        if epoch <= self._last_epoch:  # a new run (restart) began
            self._runs.append(_Run(self.n_frames, self.epochs))
        self._last_epoch = epoch
        self._runs[-1].offer(epoch, model)
        return False  # never asks fit to stop

    @property
    def runs(self) -> list[list[tuple[int, list[np.ndarray]]]]:
        """The snapshots of every run, ``[[(epoch, weights), ...], ...]``."""
        return [run.snapshots() for run in self._runs]

    def snapshots(self, history=None) -> list[tuple[int, list[np.ndarray]]]:
        """``[(epoch, weights), ...]`` of the kept run (``history.best_restart``), else the last."""
        if not self._runs:
            return []
        run = getattr(history, "best_restart", -1) if history is not None else -1
        return self._runs[run if 0 <= run < len(self._runs) else -1].snapshots()


def _render_rgb(fig: Figure) -> np.ndarray:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def _write_gif(frames: list[np.ndarray], path, durations: list[int]) -> None:
    """Write RGB frames as a looping GIF with one shared palette, atomically (temp + replace)."""
    from PIL import Image

    images = [Image.fromarray(frame) for frame in frames]
    # One adaptive palette from a strip of sampled frames keeps colours steady and files small.
    sample = [*images[:: max(1, len(images) // 6)], images[-1]]
    strip = Image.new("RGB", (images[0].width, images[0].height * len(sample)))
    for i, image in enumerate(sample):
        strip.paste(image, (0, i * images[0].height))
    palette = strip.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    quantized = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    atomic_write(path, lambda tmp: quantized[0].save(
        tmp, format="GIF", save_all=True, append_images=quantized[1:], duration=durations,
        loop=0, optimize=False, disposal=1), ".gif")


def _field_panel(ax: Axes, X_train, y_train, X_test, y_test, limits,
                 class_names: Sequence[str] | None) -> None:
    """The animation's left panel without the field: the points, the limits, the legend."""
    _draw_points(ax, X_train, y_train, marker="o", size=16, edgecolor="white", linewidth=0.3)
    if X_test is not None:
        _draw_points(ax, X_test, y_test, marker="^", size=28, edgecolor="#212529", linewidth=0.6)
    ax.set_xlim(limits[0], limits[1])
    ax.set_ylim(limits[2], limits[3])
    ax.set_xticks([])
    ax.set_yticks([])
    if class_names is not None:
        _legend(ax, class_names, gap=0)


def _loss_panel(ax: Axes, history) -> Callable[[int], None] | None:
    """The animation's right panel: the whole loss curve in grey, and a function that draws
    it in colour up to a given epoch. Without a history the panel is hidden (returns None)."""
    if history is None:
        ax.set_visible(False)
        return None
    h = _history_namespace(history)
    epochs = np.arange(1, len(h.loss) + 1)
    ax.plot(epochs, h.loss, color="#ced4da", linewidth=1.2)
    (loss_line,) = ax.plot([], [], color="#1f5fa8", linewidth=2.0, label="training loss")
    val_line = None
    if h.val_loss:
        ax.plot(epochs[:len(h.val_loss)], h.val_loss, color="#ffd8a8", linewidth=1.2)
        (val_line,) = ax.plot([], [], color="#e8590c", linewidth=2.0, label="validation loss")
    (marker,) = ax.plot([], [], "o", color="#1f5fa8", markersize=5)
    values = [v for v in h.loss + h.val_loss if v > 0 and math.isfinite(v)]
    if values and max(values) / min(values) > 30:
        ax.set_yscale("log")
    ax.set_xlim(1, max(len(h.loss), 2))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.25)
    ax.legend(frameon=False, fontsize=9, loc="upper right")
    ax.spines[["top", "right"]].set_visible(False)

    def show_until(epoch: int) -> None:
        upto = min(epoch, len(h.loss))
        loss_line.set_data(epochs[:upto], h.loss[:upto])
        if val_line is not None:
            val_line.set_data(epochs[:upto], h.val_loss[:upto])
        marker.set_data([upto], [h.loss[upto - 1]])

    return show_until


def animate_training(model: Sequential, recorder: TrainingRecorder | Sequence, X_train, y_train,
                     path, *, history=None, X_test=None, y_test=None, transform=None,
                     resolution: int = 70, fps: int = 10, dpi: int = 80,
                     title: str | None = None,
                     class_names: Sequence[str] | None = None) -> int:
    """Write a GIF of training: the decision boundary (left) and the loss curve (right) at each
    recorded epoch, the epoch in every frame. Returns the number of frames.

    ``recorder`` is the ``TrainingRecorder`` passed to ``fit`` (or a list of
    ``(epoch, weights)`` pairs); ``history`` (from ``fit``) gives the loss curve.
    ``class_names`` adds a legend of the class colours under the boundary. The model's own
    weights are restored afterwards. The last frame is held for a second. The file is written
    atomically (a temporary file, then ``os.replace``).
    """
    snapshots = (recorder.snapshots(history) if isinstance(recorder, TrainingRecorder)
                 else list(recorder))
    if not snapshots:
        raise ValueError("no snapshots to animate: pass the TrainingRecorder to "
                         "fit(callbacks=[...]) before calling animate_training")
    X_train, y_train = _check_points(X_train, y_train, "X_train")
    if X_test is not None:
        X_test, y_test = _check_points(X_test, y_test, "X_test")
    proba_fn = model_predict_proba(model, transform)
    limits = _grid_limits(X_train, X_test)
    xs, ys, grid = _grid(limits, resolution)

    fig = Figure(figsize=(8.6, 4.0), dpi=dpi, layout="constrained")
    ax_field, ax_loss = fig.subplots(1, 2, width_ratios=[1.0, 1.05])
    _field_panel(ax_field, X_train, y_train, X_test, y_test, limits, class_names)
    show_loss_until = _loss_panel(ax_loss, history)
    heading = fig.suptitle("", fontsize=12)

    original = model.get_weights()
    frames: list[np.ndarray] = []
    field: list = []
    try:
        for epoch, weights in snapshots:
            model.set_weights(weights)
            for artist in field:
                artist.remove()
            field = _draw_field(ax_field, _class_probabilities(proba_fn(grid), grid.shape[0]),
                                xs, ys, colorbar=False)
            ax_field.set_aspect("equal", adjustable="box")  # imshow left it "auto"
            scores = [f"train accuracy {_accuracy(proba_fn, X_train, y_train):.3f}"]
            if X_test is not None:
                scores.append(f"test {_accuracy(proba_fn, X_test, y_test):.3f}")
            ax_field.set_title(" · ".join(scores), fontsize=10)
            if show_loss_until is not None:
                show_loss_until(epoch)
            heading.set_text(f"{title + ' · ' if title else ''}epoch {epoch}")
            frames.append(_render_rgb(fig))
    finally:
        model.set_weights(original)
    frame_ms = max(20, round(1000 / fps))
    durations = [frame_ms] * len(frames)
    durations[-1] = max(frame_ms, 1500)
    _write_gif(frames, path, durations)
    return len(frames)


def save_figure(fig: Figure, path, *, dpi: int = 150) -> None:
    """Save ``fig`` to ``path`` atomically (a temporary file in the same folder, then
    ``os.replace``), so a failure never leaves a half-written file or clobbers an old one.
    The format follows the file's extension (``.png``, ``.svg``, ``.pdf``)."""
    suffix = os.path.splitext(os.fspath(path))[1] or ".png"
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format=suffix.lstrip(".")), suffix)


# --- the training doctor's numbers -------------------------------------------------------------


def plot_diagnostics(doctor, *, fig: Figure | None = None, title: str | None = None) -> Figure:
    """What a ``TrainingDoctor`` measured, per epoch it looked: each ``Dense``'s gradient norm
    ``||dW||`` (left, log scale), each one's update-to-weight ratio per epoch (middle, log
    scale, with the healthy ~1e-3 per step dashed) and the dead units of each ReLU layer
    (right, in the colour of the ``Dense`` that feeds it; left out for networks without
    ReLU). Epochs of the doctor's findings are dotted and named in the legend. The epochs are
    on a log scale when they span more than a factor of 10 (the doctor looks often early,
    where most troubles show). Pass the doctor after ``fit(..., callbacks=[doctor])``.
    """
    epochs = np.asarray(getattr(doctor, "epochs", []), dtype=float)
    if epochs.size == 0:
        raise ValueError("the doctor has not looked at any epoch yet; pass it to fit first: "
                         "fit(..., callbacks=[doctor])")
    panels = ["gradients", "updates"] + (["dead"] if doctor.relu_names else [])
    if fig is None:
        fig = new_figure(figsize=(4.2 * len(panels) + 1.8, 3.8))
    axes = list(fig.subplots(1, len(panels), squeeze=False)[0])
    names = doctor.layer_names
    colors = {name: CLASS_COLORS[i % len(CLASS_COLORS)] for i, name in enumerate(names)}
    series = {"gradients": (doctor.grad_norms, names, "gradient norm ||dW||"),
              "updates": (doctor.update_ratios, names, "update ratio ||ΔW|| / ||W|| per epoch"),
              "dead": (doctor.dead_units, doctor.relu_names, "dead units after each Dense")}
    findings = getattr(doctor, "findings", [])
    for name, axis in zip(panels, axes):
        values, labels, ylabel = series[name]
        for j, label in enumerate(labels):
            column = values[:, j]
            if name != "dead":  # zeros (a dead layer) and NaN cannot be drawn on a log scale
                column = np.where(column > 0, column, np.nan)
            axis.plot(epochs, column, color=colors.get(label, "#495057"), linewidth=1.6,
                      label=label)
        _diagnostics_axis(axis, name, values, epochs, ylabel)
        for finding in findings:
            axis.axvline(finding.epoch, color="#c92a2a", linestyle=":", linewidth=1.0)
    handles, labels = axes[0].get_legend_handles_labels()
    if len(names) > 12:  # too many layers to name: keep the marks only
        handles, labels = [], []
    handles.append(Line2D([], [], color="#868e96", linestyle="--", linewidth=1.1))
    labels.append("healthy update,\n~1e-3 per step")
    if findings:
        handles.append(Line2D([], [], color="#c92a2a", linestyle=":", linewidth=1.0))
        labels.append("doctor's findings:\n" + _findings_by_kind(findings))
    fig.legend(handles, labels, loc="outside right center", frameon=False, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=12)
    return fig


def _findings_by_kind(findings) -> str:
    """``'large updates: 3\ndead units: 8, 14'``: each kind once, with the epochs it was seen."""
    epochs: dict[str, list[int]] = {}
    for finding in findings:
        seen = epochs.setdefault(finding.kind.replace("_", " "), [])
        if finding.epoch not in seen:
            seen.append(finding.epoch)
    return "\n".join(f"{kind}: {', '.join(map(str, seen))}" for kind, seen in epochs.items())


def _diagnostics_axis(axis, name: str, values: np.ndarray, epochs: np.ndarray,
                      ylabel: str) -> None:
    """Scales, the healthy-update mark, limits and labels of one ``plot_diagnostics`` panel."""
    if name == "dead":
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_ylim(bottom=0)
    elif np.isfinite(np.where(values > 0, values, np.nan)).any():
        axis.set_yscale("log")
    else:
        axis.text(0.5, 0.5, "zero at every epoch\n(no gradient reaches W)",
                  transform=axis.transAxes, ha="center", va="center", color="#495057")
        axis.set_yticks([])
    if name == "updates" and axis.get_yscale() == "log":
        axis.axhline(1e-3, color="#868e96", linestyle="--", linewidth=1.1)
    if epochs[0] > 0 and epochs[-1] > 10 * epochs[0]:
        axis.set_xscale("log")
    axis.set_xlim(epochs[0], max(epochs[-1], epochs[0] + 1))
    axis.set_xlabel("epoch")
    axis.set_ylabel(ylabel)
    axis.grid(alpha=0.25)
    axis.spines[["top", "right"]].set_visible(False)
