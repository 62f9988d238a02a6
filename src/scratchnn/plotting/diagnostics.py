"""What a network's doctor measured, per epoch: gradient norms, update ratios, dead units."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ._common import CLASS_COLORS, new_figure

# What the doctor counts (doctor.dead_units): a ReLU's outputs that are zero for every point;
# after a convolution, its channels that are zero at every point and position.
_DEAD_LABEL = "dead ReLU units\n(channels in a CNN)"


def plot_diagnostics(doctor, *, fig: Figure | None = None, title: str | None = None) -> Figure:
    """What a ``TrainingDoctor`` measured, per epoch it looked: the gradient norm ``||dW||``
    of each layer with weights (``Dense``, ``Conv2D``, a normalisation; left, log scale), its
    update-to-weight ratio per epoch (middle, log scale, with the healthy ~1e-3 per step
    dashed) and the dead units of each ReLU, its outputs that were zero for every point of the
    last forward pass, counted per channel after a convolution (right, in the colour of the
    layer that feeds it; left out for networks without ReLU). Epochs of the doctor's findings
    are dotted and named in the legend. The epochs are on a log scale when they span more than
    a factor of 10 (the doctor looks often early, where most troubles show). Pass the doctor
    after ``fit(..., callbacks=[doctor])``.
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
              "dead": (doctor.dead_units, doctor.relu_names, _DEAD_LABEL)}
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
