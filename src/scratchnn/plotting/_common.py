"""What the plotting modules share: the colours, new figures and atomic saving, the checks on
the points, the grid over the plane, and the points, axes and legend of a figure in the plane.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import offset_copy

from .._files import atomic_write

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


def save_figure(fig: Figure, path, *, dpi: int = 150) -> None:
    """Save ``fig`` to ``path`` atomically (a temporary file in the same folder, then
    ``os.replace``), so a failure never leaves a half-written file or clobbers an old one.
    The format follows the file's extension (``.png``, ``.svg``, ``.pdf``)."""
    suffix = os.path.splitext(os.fspath(path))[1] or ".png"
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format=suffix.lstrip(".")), suffix)


# --- points in the plane, and the grid over it -------------------------------------------------


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


def _draw_points(ax: Axes, X: np.ndarray, y: np.ndarray, *, marker: str, size: float,
                 edgecolor: str, alpha: float = 1.0, linewidth: float = 0.6) -> None:
    colors = [CLASS_COLORS[c % len(CLASS_COLORS)] for c in y]
    ax.scatter(X[:, 0], X[:, 1], c=colors, marker=marker, s=size, edgecolors=edgecolor,
               linewidths=linewidth, alpha=alpha, zorder=3)


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
