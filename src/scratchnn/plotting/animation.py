"""Animations of training: ``TrainingRecorder`` keeps snapshots of the weights during ``fit``,
``animate_training`` draws the decision boundary and the loss curve at each one into a GIF."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._files import atomic_write
from ..model import Sequential
from ._common import _check_points, _draw_points, _grid, _grid_limits, _legend
from .boundary import (
    ProbaFunction,
    _class_probabilities,
    _draw_field,
    _predicted_labels,
    model_predict_proba,
)
from .curves import _history_namespace

# --- which epochs to keep ----------------------------------------------------------------------


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


# --- the frames and the file -------------------------------------------------------------------


def _accuracy(proba_fn: ProbaFunction, X: np.ndarray, y: np.ndarray) -> float:
    """The share of points ``X (n, 2)`` whose most probable class is their label ``y (n,)``."""
    return float(np.mean(_predicted_labels(_class_probabilities(proba_fn(X), X.shape[0])) == y))


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
