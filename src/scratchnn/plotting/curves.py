"""Training curves: the loss, the accuracy or R², and a changing learning rate, per epoch."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import SimpleNamespace

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._common import new_figure


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
