"""Hidden units, as TensorFlow Playground shows them: each unit's activation over the plane, a
small heatmap per unit, with the line where its input ``x @ w + b`` crosses zero."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from ..layers import Dense
from ..model import Sequential
from ._common import (
    CLASS_COLORS,
    UNIT_CMAP,
    _as_transform,
    _check_points,
    _grid,
    _grid_limits,
    new_figure,
)
from .boundary import _class_probabilities, _draw_field, model_predict_proba


def _hidden_outputs(model: Sequential, X: np.ndarray, layer: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``(pre, post)`` of hidden layer ``layer`` for ``X (n, n_in)``, each ``(n, units)``, from
    one pass of ``Sequential.activations`` (eval mode: dropout passes its input through).
    ``pre`` is the output of the layer's ``Dense``; ``post`` the output of the last layer before
    the next ``Dense`` (its activation)."""
    dense_at = [i for i, item in enumerate(model.layers) if isinstance(item, Dense)]
    n_dense = len(dense_at)
    if not 0 <= layer < n_dense - 1:
        raise ValueError(f"layer must be a hidden layer index in 0..{n_dense - 2}, got {layer} "
                         f"(the model has {n_dense - 1} hidden layer(s))")
    outputs = model.activations(X)
    return outputs[dense_at[layer]], outputs[dense_at[layer + 1] - 1]


def hidden_activations(model: Sequential, X: np.ndarray, layer: int = 0, *,
                       pre_activation: bool = False) -> np.ndarray:
    """The outputs ``(n, units)`` of hidden layer ``layer`` (0 = the first) after its activation:
    the output of the last layer before the next ``Dense``, in eval mode (no dropout).
    ``pre_activation=True`` gives the ``Dense`` output ``x @ W + b`` before the activation."""
    pre, post = _hidden_outputs(model, X, layer)
    return pre if pre_activation else post


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
    pre, units = _hidden_outputs(model, inputs, layer)
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


