"""What a convolution learned and what it sees: its filters as small images
(``plot_filters``), and every layer's output channels for one image (``plot_feature_maps``).

Both use one colour map centred on 0: orange where a weight or an output is positive, blue
where it is negative, white at zero.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from ..conv import Conv2D
from ..layers import Dense, Flatten
from ..model import Sequential
from ._common import UNIT_CMAP, new_figure

GREY = "Greys"  # the input image: dark ink on white, as the digits are drawn


def _centred(values: np.ndarray) -> Normalize:
    """A colour scale from ``-top`` to ``top``, the largest magnitude in ``values``: zero is
    always white, and two panels of one scale compare."""
    top = float(np.abs(values).max()) or 1.0
    return Normalize(vmin=-top, vmax=top)


def _bare(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def _compact_columns(n: int, widest: int = 8) -> int:
    """Columns for ``n`` panels: the squarest grid with the fewest empty cells, at most
    ``widest`` wide."""
    candidates = range(min(n, math.ceil(math.sqrt(n))), min(n, widest) + 1)
    return min(candidates, key=lambda c: (-n % c, c))


def plot_filters(layer: Conv2D, *, max_filters: int = 64, fig: Figure | None = None,
                 title: str | None = None) -> Figure:
    """A ``Conv2D``'s (or ``Conv1D``'s) filters as small images, on one colour scale centred
    at 0 (orange: positive weight, blue: negative, white: zero), with a colour bar.

    ``layer.W`` is ``(F, C, kh, kw)``. With one input channel the ``F`` filters are laid out in
    a compact grid; with ``C > 1`` there is one row per output channel (filter) and one column
    per input channel (the ``kh x kw`` slice that filter lays on that channel). A ``Conv1D``'s
    ``(F, C, k)`` kernels are drawn one pixel high. At most ``max_filters`` filters are drawn
    (the first ones; the title says so). Returns the ``Figure``; save it with
    ``plotting.save_figure(fig, "filters.png")``.
    """
    if not isinstance(layer, Conv2D):
        raise TypeError(f"plot_filters draws a Conv2D or Conv1D layer, got "
                        f"{type(layer).__name__}; for a network pass one of its layers, "
                        "e.g. model.layers[0]")
    if isinstance(max_filters, bool) or not isinstance(max_filters, int) or max_filters < 1:
        raise ValueError(f"max_filters must be a positive integer, got {max_filters!r}")
    W = np.asarray(layer.W, dtype=np.float64).reshape(
        layer.out_channels, layer.in_channels, *layer.kernel)  # (F, C, kh, kw); Conv1D: kh = 1
    if not np.isfinite(W).all():
        raise ValueError(f"{layer!r} has NaN or infinite weights: nothing to draw (did "
                         "training diverge?)")
    F, C, kh, _ = W.shape
    shown = W[:max_filters]
    n = shown.shape[0]
    if C == 1:
        ncols = _compact_columns(n)
        nrows = math.ceil(n / ncols)
    else:
        nrows, ncols = n, C
    if fig is None:  # square cells for images, low strips for a Conv1D's kernels
        cell_w, cell_h = (0.9, 0.9) if kh > 1 else (0.9, 0.45)
        fig = new_figure(figsize=(max(3.0, cell_w * ncols + 1.2), cell_h * nrows + 0.8))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    norm = _centred(shown)
    image = None
    for row in range(nrows):
        for col in range(ncols):
            ax = axes[row, col]
            f, c = (row * ncols + col, 0) if C == 1 else (row, col)
            if f >= n:
                ax.set_visible(False)
                continue
            image = ax.imshow(shown[f, c], cmap=UNIT_CMAP, norm=norm, interpolation="nearest")
            _bare(ax)
            if C == 1:
                ax.set_title(f"filter {f + 1}", fontsize=8)
            else:
                if col == 0:
                    ax.set_ylabel(f"filter {f + 1}", fontsize=8)
                if row == 0:
                    ax.set_title(f"input {c + 1}", fontsize=8)
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, aspect=30, label="weight")
    more = f" (the first {n} of {F})" if n < F else ""
    fig.suptitle(title or f"{layer!r}: its {F} filters{more}", fontsize=10)
    return fig


def _feature_layers(model: Sequential) -> list[int]:
    """The indices of the layers before the first ``Flatten`` or ``Dense``: those whose outputs
    are still images (or signals)."""
    shown = []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, (Flatten, Dense)):
            break
        shown.append(i)
    if not shown:
        first = model.layers[0] if model.layers else None
        raise ValueError(f"the model starts with {first!r}: there are no feature maps before "
                         "its first Flatten or Dense (plot_feature_maps is for networks that "
                         "start with convolutions)")
    return shown


def _check_image(image, model: Sequential) -> np.ndarray:
    """One sample as an array ``(C, H, W)`` or ``(C, L)`` (a batch of one is unpacked)."""
    image = np.asarray(image)
    if image.dtype.kind not in "biuf":
        raise ValueError(f"image must be numbers, got an array of dtype {image.dtype}")
    first = model.layers[0]
    spatial = first.spatial if isinstance(first, Conv2D) else image.ndim - 1
    if image.ndim == spatial + 2 and image.shape[0] == 1:
        image = image[0]  # a batch of one
    if image.ndim != spatial + 1 or image.ndim not in (2, 3):
        expected = "(C, L)" if spatial == 1 else "(C, H, W)"
        raise ValueError(f"image must be one sample, {expected}, got shape {image.shape}; "
                         "from a batch X pass X[i]")
    if not np.isfinite(image).all():
        raise ValueError("image contains NaN or infinite values")
    return image.astype(np.float64, copy=False)


def plot_feature_maps(model: Sequential, image, *, max_channels: int = 16,
                      fig: Figure | None = None, title: str | None = None) -> Figure:
    """What each layer of a convolutional network sees in one ``image``: the image itself, then
    every layer's output channels, one row per layer, up to the first ``Flatten`` or ``Dense``.

    ``image`` is one sample, ``(C, H, W)`` for a network of ``Conv2D`` layers or ``(C, L)`` for
    ``Conv1D`` (a batch of one, ``(1, C, H, W)``, is taken too); it is passed through the
    network in evaluation mode (``Sequential.activations``). Each row has its own colour scale
    centred at 0 (orange: positive, blue: negative, white: zero; after a ReLU only orange is
    left). Images show at most ``max_channels`` channels per row; a signal ``(C, L)`` shows as
    one strip per layer, a channel per line. Returns the ``Figure``.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    if isinstance(max_channels, bool) or not isinstance(max_channels, int) or max_channels < 1:
        raise ValueError(f"max_channels must be a positive integer, got {max_channels!r}")
    shown = _feature_layers(model)
    image = _check_image(image, model)
    outputs = model.activations(image[np.newaxis])  # a batch of one; the model checks its shape
    maps = [image] + [outputs[i][0] for i in shown]  # each (C, H, W) or (C, L)
    names = ["input"] + [f"{i + 1}: {model.layers[i]!r}" for i in shown]
    if image.ndim == 2:
        return _signal_maps(maps, names, fig, title)
    ncols = min(max(m.shape[0] for m in maps), max_channels)
    nrows = len(maps)
    if fig is None:
        fig = new_figure(figsize=(max(4.0, 1.05 * ncols + 0.4), 1.25 * nrows + 0.6))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for row, (values, name) in enumerate(zip(maps, names)):
        norm = _centred(values[:max_channels])
        for col in range(ncols):
            ax = axes[row, col]
            if col >= min(values.shape[0], max_channels):
                ax.set_visible(False)
                continue
            if row == 0:
                ax.imshow(values[col], cmap=GREY, interpolation="nearest")
            else:
                ax.imshow(values[col], cmap=UNIT_CMAP, norm=norm, interpolation="nearest")
            _bare(ax)
        more = (f"  (first {max_channels} of {values.shape[0]} channels)"
                if values.shape[0] > max_channels else "")
        label = axes[row, 0].text(0.0, 1.06, f"{name}  {'x'.join(map(str, values.shape[1:]))}"
                                  f"{more}", fontsize=8, va="bottom",
                                  transform=axes[row, 0].transAxes)
        label.set_in_layout(False)  # it may run over the empty space above the next panels
    fig.get_layout_engine().set(h_pad=0.22)  # room for those titles between the rows
    fig.suptitle(title or "feature maps: each layer's output channels for one image",
                 fontsize=10)
    return fig


def _signal_maps(maps: list[np.ndarray], names: list[str], fig: Figure | None,
                 title: str | None) -> Figure:
    """``plot_feature_maps`` for signals: the input as a curve, then each layer's ``(C, L)``
    output as a strip with one line per channel."""
    if fig is None:
        fig = new_figure(figsize=(7.0, 0.9 + sum(0.9 if i == 0 else 0.25 + 0.14 * m.shape[0]
                                                  for i, m in enumerate(maps))))
    heights = [3.0] + [1.0 + 0.8 * m.shape[0] for m in maps[1:]]
    axes = fig.subplots(len(maps), 1, squeeze=False, height_ratios=heights)[:, 0]
    for i, (ax, values, name) in enumerate(zip(axes, maps, names)):
        if i == 0:
            for channel in values:
                ax.plot(channel, color="#212529", linewidth=1.2)
            ax.set_xlim(-0.5, values.shape[1] - 0.5)
            ax.set_yticks([])
        else:
            ax.imshow(values, cmap=UNIT_CMAP, norm=_centred(values), aspect="auto",
                      interpolation="nearest")
            ax.set_yticks([])
            ax.set_ylabel(f"{values.shape[0]} ch.", fontsize=7)
        ax.set_xticks([])
        ax.set_title(f"{name}  length {values.shape[1]}", fontsize=8, loc="left")
    fig.suptitle(title or "feature maps: each layer's output channels for one signal",
                 fontsize=10)
    return fig
