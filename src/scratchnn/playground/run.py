"""What a session builds and measures, apart from its messages: the network and its loss for
the page's settings, the plane the page draws, the doctor's findings as actions the page can
apply, and the end of each epoch (``EpochRule``: the curve, the doctor, the snapshots).
"""

from __future__ import annotations

import math
import sys

import numpy as np

from ..errors import TrainingDivergedError
from ..layers import Dense, activation
from ..losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from ..metrics import accuracy, r2_score
from ..model import Sequential
from ..training import History
from .settings import BY_NAME, OPTIMIZER_LABELS, Settings

GRID = 50  # the boundary and every neuron's map are GRID x GRID
MAX_HISTORY = 10_000  # epochs the doctor's history keeps at most (then the older half goes)
THUMB = 20  # the features' thumbnails are THUMB x THUMB


def _doctor_class():
    """``scratchnn.doctor.TrainingDoctor`` where this version of the library has it."""
    try:
        from ..doctor import TrainingDoctor
    except ImportError:
        return None
    return TrainingDoctor


def domain(X: np.ndarray, half_width: float = 0.0) -> tuple[float, float, float, float]:
    """A square box around the points, with a margin: ``(x1_min, x1_max, x2_min, x2_max)``.
    ``half_width``: the square ``[-half_width, half_width]^2`` when every point is in it
    (TensorFlow Playground draws its data sets on [-6, 6]^2)."""
    if half_width and np.abs(X).max() <= half_width:
        return (-half_width, half_width, -half_width, half_width)
    low, high = X.min(axis=0), X.max(axis=0)
    centre = (low + high) / 2
    half = math.ceil(max(float((high - low).max()) / 2 * 1.1, 0.5) * 10) / 10
    return (float(centre[0] - half), float(centre[0] + half),
            float(centre[1] - half), float(centre[1] + half))


def grid(box, size: int = GRID) -> np.ndarray:
    """``(size * size, 2)`` points, row by row from the top (largest x2) as a canvas draws."""
    x1 = np.linspace(box[0], box[1], size)
    x2 = np.linspace(box[3], box[2], size)
    g1, g2 = np.meshgrid(x1, x2)
    return np.column_stack([g1.ravel(), g2.ravel()])


def build_model(settings: Settings, n_outputs: int, rng: np.random.Generator) -> Sequential:
    """``Dense`` layers of the page's sizes with its activation between them (He init for ReLU,
    Glorot otherwise), drawn from ``rng``: the same calls the code panel shows."""
    sizes = [len(settings.features), *settings.hidden, n_outputs]
    init = "he" if settings.activation == "relu" else "glorot"
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(Dense(sizes[i], sizes[i + 1], rng=rng, init=init))
        if i < len(sizes) - 2:
            layers.append(activation(settings.activation))
    return Sequential(layers)


def losses_for(settings: Settings, n_outputs: int, y_train, y_test):
    """``(loss, loss for evaluation, y_train, y_test)``: the loss of the problem and the
    targets in the shape it takes (a column for binary cross-entropy and MSE)."""
    if settings.problem == "regression":
        return MeanSquaredError(), MeanSquaredError(), y_train.reshape(-1, 1), y_test.reshape(-1, 1)
    if n_outputs == 1:
        return (BinaryCrossEntropy(), BinaryCrossEntropy(), y_train.reshape(-1, 1).astype(float),
                y_test.reshape(-1, 1) * 1.0)
    return SoftmaxCrossEntropy(), SoftmaxCrossEntropy(), y_train, y_test


def live_settings(settings: Settings) -> dict:
    """The settings that change without a new network (``settings.LIVE``), by name."""
    return {name: getattr(settings, name) for name in
            ("lr", "optimizer", "regularization", "reg_rate", "batch_size")}


def run_label(settings: Settings) -> str:
    """A run as the compare chart names it: ``SGD, lr 0.03, no regularization``."""
    reg = ("no regularization" if settings.regularization == "none" or not settings.reg_rate
           else f"{settings.regularization} {settings.reg_rate:g}")
    return f"{OPTIMIZER_LABELS[settings.optimizer]}, lr {settings.lr:g}, {reg}"


# --- scores --------------------------------------------------------------------------------------


def score(logits: np.ndarray, y: np.ndarray, loss) -> float:
    """Accuracy for classification, R² for regression (``scratchnn.metrics``)."""
    if isinstance(loss, MeanSquaredError):
        return r2_score(y, logits)
    return accuracy(logits, y, loss)


def confusion(logits: np.ndarray, y: np.ndarray, n_classes: int) -> list[list[int]]:
    """``[[count]]``: rows the true class, columns the predicted one."""
    if logits.shape[1] == 1:
        predicted = (logits[:, 0] > 0).astype(int)
        truth = (y.ravel() > 0.5).astype(int)
    else:
        predicted, truth = logits.argmax(axis=1), y.astype(int)
    table = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(table, (truth, predicted), 1)
    return table.tolist()


def finite(value: float) -> float | None:
    """``value`` for JSON: None when it is not a finite number."""
    return float(value) if value is not None and math.isfinite(value) else None


# --- the doctor's advice as actions --------------------------------------------------------------

LOWER_RATE = {"rising_loss", "exploding_gradients", "large_updates", "dead_units", "diverged"}
HIGHER_RATE = {"small_updates", "vanishing_gradients"}
MORE_L2 = {"overfitting", "rising_val_loss"}


def _preset(name: str, value: float, direction: int) -> float | None:
    """The next preset of ``name`` below (``direction -1``) or above (``+1``) ``value``."""
    presets = sorted(float(c.value) for c in BY_NAME[name].choices)
    if direction < 0:
        lower = [p for p in presets if p < value]
        return lower[-1] if lower else None
    higher = [p for p in presets if p > value]
    return higher[0] if higher else None


def action(kind: str, settings: Settings) -> dict | None:
    """What the page may do about a finding of ``kind``: ``{"label", "settings"}`` (partial
    settings to merge into the page's), or None when no setting helps."""
    if kind in LOWER_RATE or kind in HIGHER_RATE:
        direction = -1 if kind in LOWER_RATE else 1
        lr = _preset("lr", settings.lr, direction)
        if lr is None:
            return None
        verb = "Lower" if direction < 0 else "Raise"
        return {"label": f"{verb} the learning rate to {lr:g}", "settings": {"lr": lr}}
    if kind == "diverged_penalty":
        rate = _preset("reg_rate", settings.reg_rate, -1)
        if rate is None:
            return None
        return {"label": f"Lower the regularization rate to {rate:g}",
                "settings": {"reg_rate": rate}}
    if kind in MORE_L2:
        rate = _preset("reg_rate", settings.reg_rate if settings.regularization != "none"
                       else 0.0, 1)
        if rate is None:
            return None
        return {"label": f"Use L2 regularization at rate {rate:g}",
                "settings": {"regularization": "L2", "reg_rate": rate}}
    return None


# --- the end of every epoch -----------------------------------------------------------------------


class EpochRule:
    """The ``StoppingRule`` the session hands to ``train_epochs``: the page asks for one epoch
    at a time, so every epoch ends the call. At its end the session measures the network on
    both splits (``Session.evaluate``) for the curve and records the epoch in ``history`` as
    ``fit`` records it (the test split as validation data) for the training doctor. Beyond
    ``MAX_HISTORY`` epochs the older half of the history goes (``dropped`` counts it) and a new
    doctor looks on, so that a tab training for hours keeps its memory bounded."""

    def __init__(self, session, history: History | None = None):
        self.session = session
        self.history = history or History()
        self.dropped = 0  # epochs forgotten from the start of the history
        self.new_doctor()

    @property
    def length(self) -> int:
        """Epochs recorded in the history, the forgotten ones included (what a snapshot
        keeps, and ``go_back`` takes)."""
        return self.dropped + len(self.history.loss)

    def new_doctor(self) -> None:
        """A doctor that looks at the run from now on (after a live change or a rewind, the
        old findings no longer describe the network)."""
        doctor = _doctor_class()
        self.doctor = None if doctor is None else doctor(X=self.session.inputs_train,
                                                         stream=None)

    def end_epoch(self, epoch: int, loss: float, score: float) -> bool:
        s = self.session
        measured = s.evaluate()
        s.curve.add(s.epoch, measured["train_loss"], measured["test_loss"],
                    measured["train_score"], measured["test_score"])
        if self.doctor is not None:
            self._consult_doctor(loss, score, measured)
        return True

    def diverged(self, value: float, epoch: int) -> TrainingDivergedError:
        return TrainingDivergedError(f"the loss became {value:.4g} at epoch "
                                     f"{self.session.epoch}")

    def go_back(self, epochs: int) -> None:
        """Forget the history after ``epochs`` epochs; a new doctor from there."""
        for values in vars(self.history).values():
            if isinstance(values, list):
                del values[max(0, epochs - self.dropped):]
        self.dropped = min(self.dropped, epochs)
        self.new_doctor()

    def _forget_older_half(self) -> None:
        half = len(self.history.loss) // 2
        for values in vars(self.history).values():
            if isinstance(values, list):
                del values[:half]
        self.dropped += half
        self.new_doctor()  # its own records grow with the run, too

    def _consult_doctor(self, loss: float, score: float, measured: dict) -> None:
        s, h = self.session, self.history
        classify = s.settings.problem == "classification"
        h.loss.append(loss)
        (h.accuracy if classify else h.r2).append(score)
        h.lr.append(s.optimizer.lr)
        h.val_loss.append(measured["test_loss"])
        (h.val_accuracy if classify else h.val_r2).append(measured["test_score"])
        if len(h.loss) > MAX_HISTORY:
            self._forget_older_half()
        try:
            self.doctor(s.epoch, h, s.model)
        except Exception as error:  # a doctor's bug must not stop training: say so, go on
            print(f"scratchnn playground: the training doctor failed and is off for this run "
                  f"({type(error).__name__}: {error})", file=sys.stderr)
            self.doctor = None


def hidden_maps(model: Sequential, every: list[np.ndarray]) -> list[np.ndarray]:
    """The hidden units' activations among ``model.activations``' outputs, layer by layer."""
    return [out for layer, out in zip(model.layers, every) if not isinstance(layer, Dense)]
