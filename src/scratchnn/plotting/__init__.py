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

One module per family of figures, every public name re-exported here: ``boundary``
(``plot_decision_boundary``, ``model_predict_proba``), ``regression`` (``plot_regression``),
``curves`` (``plot_history``), ``units`` (``plot_hidden_units``, ``hidden_activations``),
``diagnostics`` (``plot_diagnostics``), ``filters`` (``plot_filters``,
``plot_feature_maps``: convolutions), ``animation`` (``TrainingRecorder``,
``animate_training``); ``_common`` holds the colours, the grid and the checks they share.
Importing this package imports matplotlib; ``import scratchnn`` alone does not.
"""

from __future__ import annotations

from ._common import (
    BINARY_CMAP,
    BOUNDARY_FIGSIZE,
    CLASS_COLORS,
    UNIT_CMAP,
    Transform,
    new_figure,
    save_figure,
)
from .animation import TrainingRecorder, animate_training, snapshot_epochs
from .boundary import (
    ProbaFunction,
    model_predict_proba,
    plot_decision_boundary,
    probabilities_from_logits,
)
from .curves import plot_history
from .diagnostics import plot_diagnostics
from .filters import plot_feature_maps, plot_filters
from .regression import REGRESSION_CMAP, ValueFunction, plot_regression
from .units import hidden_activations, plot_hidden_units

__all__ = [
    "BINARY_CMAP", "BOUNDARY_FIGSIZE", "CLASS_COLORS", "REGRESSION_CMAP", "UNIT_CMAP",
    "ProbaFunction", "TrainingRecorder", "Transform", "ValueFunction", "animate_training",
    "hidden_activations", "model_predict_proba", "new_figure", "plot_decision_boundary",
    "plot_diagnostics", "plot_feature_maps", "plot_filters", "plot_hidden_units", "plot_history",
    "plot_regression", "probabilities_from_logits", "save_figure", "snapshot_epochs",
]
