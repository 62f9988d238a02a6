"""``fit``: gradient descent over epochs and (mini-)batches, with validation, early stopping,
restarts, learning-rate schedules, callbacks and a progress bar.

One step of training is always the same four lines (the teaching loop)::

    value = loss.forward(model.forward(X_batch), y_batch)   # forward: the mean loss
    model.backward(loss.backward())                         # backward: fill dW, db
    optimizer.step()                                        # update W, b in place

``train_epochs`` runs those lines over ``Batches`` epoch after epoch; it is the one training
loop of the library, shared by ``fit`` and by ``MLPClassifier``. What differs between them is
what happens at the end of an epoch (what to record, when to stop, how to change the learning
rate): each hands in its own ``StoppingRule``, as scikit-learn's ``_fit_stochastic`` hands its
rule to ``_update_no_improvement_count`` and Keras hands its rules to callbacks. ``fit``'s is
``FitRule`` (Keras-style patience, schedules, callbacks); the estimators' is ``EpochRule``
in ``scratchnn/estimator/_epoch_rule.py`` (scikit-learn's ``tol`` / ``n_iter_no_change``).

Everything else in this module is bookkeeping around those lines.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ._memory import Estimate, format_bytes, too_large
from ._params import NON_NEGATIVE, POSITIVE_INT, POSITIVE_NUMBER, Interval, Real, validate
from ._workspace import join_views
from .batches import Batches, check_samples, check_targets, check_X, stratified_split
from .errors import TrainingDivergedError
from .init import as_generator
from .losses import (
    BinaryCrossEntropy,
    Loss,
    SoftmaxCrossEntropy,
    get_loss,
)
from .metrics import R2Sums, accuracy
from .model import Sequential
from .optimizers import SGD, LRSchedule, Optimizer
from .penalties import add_l1_penalty, add_l2_penalty, penalty_value

Callback = Callable[[int, "History", Sequential], bool | None]


@dataclass
class History:
    """What happened during ``fit``, one entry per epoch.

    ``loss[i]`` is epoch ``i + 1``'s mean training loss (penalties included): the mean of
    the losses its batches had while it trained, each measured just before that batch's step
    (as Keras' ``loss`` and scikit-learn's ``loss_curve_``), so it trails the weights at the
    end of the epoch by a fraction of an epoch; no extra pass over the data is made for it.
    ``val_loss[i]`` is the validation loss of the weights at the end of epoch ``i + 1``.

    ``best_epoch`` is the 1-based epoch whose weights were best by the monitored loss
    (``val_loss`` when there is validation data, else ``loss``). ``final_loss`` is the
    monitored loss of the weights ``fit`` kept: the last ``val_loss`` (or the best epoch's,
    when its weights were restored); without validation the last ``loss``, except where one
    evaluation over the training data is needed to compare like with like (restarts, or the
    best weights restored), where it is the loss of the kept weights on all training data.
    With restarts, the lists describe the kept run; ``restart_scores`` gives every run's
    ``final_loss``.
    Classification losses record ``accuracy``; regression losses (MSE, Huber, MAE, Poisson)
    record the coefficient of determination ``r2`` instead (averaged over the outputs).
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    r2: list[float] = field(default_factory=list)
    val_r2: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    best_loss: float = math.inf
    final_loss: float = math.nan
    restored_best: bool = False
    stopped_early: bool = False
    interrupted: bool = False
    restart_scores: list[float] = field(default_factory=list)
    best_restart: int = 0

    @property
    def epochs(self) -> int:
        return len(self.loss)

    @property
    def monitor(self) -> list[float]:
        """The monitored loss per epoch: ``val_loss`` if there was validation, else ``loss``."""
        return self.val_loss if self.val_loss else self.loss

    def __repr__(self) -> str:
        """One line: the epochs and the first and last values, not the lists."""
        parts = [f"{self.epochs} epochs"]
        for name in ("loss", "val_loss", "accuracy", "val_accuracy"):
            values = getattr(self, name)
            if values and not math.isnan(values[-1]):
                parts.append(f"{name} {values[0]:.4g} -> {values[-1]:.4g}")
        if self.best_epoch is not None:
            parts.append(f"best_epoch={self.best_epoch}")
        parts += [flag for flag in ("stopped_early", "restored_best", "interrupted")
                  if getattr(self, flag)]
        if len(self.restart_scores) > 1:
            parts.append(f"best of {len(self.restart_scores)} restarts: #{self.best_restart}")
        return f"History({', '.join(parts)})"

    def rows(self) -> list[dict[str, float]]:
        """One dict per epoch (for a CSV file)."""
        columns = {name: getattr(self, name) for name in
                   ("loss", "val_loss", "accuracy", "val_accuracy", "r2", "val_r2", "lr")}
        columns = {name: values for name, values in columns.items() if values}
        return [{"epoch": i + 1, **{name: values[i] for name, values in columns.items()}}
                for i in range(self.epochs)]


def default_loss(model: Sequential) -> Loss:
    """Binary cross-entropy for one output, softmax cross-entropy for several."""
    return BinaryCrossEntropy() if model.n_outputs == 1 else SoftmaxCrossEntropy()


def is_classification(loss: Loss) -> bool:
    """True for the losses that take class labels (binary and softmax cross-entropy)."""
    return isinstance(loss, (BinaryCrossEntropy, SoftmaxCrossEntropy))


# --- the training loop -------------------------------------------------------------------------


_EVAL_ROWS = 1024  # evaluate at least this many rows per forward pass


def _evaluate(model: Sequential, loss: Loss, X: np.ndarray, y: np.ndarray, alpha: float,
              batch_size: int = _EVAL_ROWS, l1: float = 0.0) -> tuple[float, float]:
    """``(loss, score)`` of the model on ``(X, y)`` in evaluation mode: the score is the
    accuracy for classification losses, R² for regression losses.

    Works through ``X`` in chunks of ``max(batch_size, 1024)`` rows: the layers then reuse the
    buffers of a training batch instead of allocating activations for the whole data set
    (200,000 x 512 floats would be 400 MB per layer)."""
    was_training = model.training
    model.eval()
    n = X.shape[0]
    rows = max(batch_size, _EVAL_ROWS)
    total = correct = 0.0
    sums = None if is_classification(loss) else R2Sums(loss)
    for start in range(0, n, rows):
        X_chunk, y_chunk = X[start:start + rows], y[start:start + rows]
        logits = model.forward(X_chunk)
        m = X_chunk.shape[0]
        total += loss.forward(logits, y_chunk) * m
        if sums is None:
            correct += accuracy(logits, y_chunk, loss) * m
        else:
            sums.add(logits, y_chunk)
    value = total / n + (penalty_value(model, alpha, l1, n) if alpha or l1 else 0.0)
    model.train(was_training)
    return value, correct / n if sums is None else sums.value()


class _LossLimit:
    """When a batch's loss means the run has diverged: NaN or infinite, or grown more than
    ``GROWTH`` times its start. A run whose loss explodes (SGD at lr 1000 reaches 1e30 within
    an epoch) may settle back to a finite value with every unit dead, and would end at chance
    as if all went well.

    The data term and the L2 term are watched apart, each against its first batch's value (at
    least 1), so that the error can say which one grew. For the classification losses the data
    term's limit is ``GROWTH`` itself: a mean cross-entropy above 1e6 means logits beyond 1e6
    on the wrong side, saturated units and no useful gradient (inputs scaled by 1e200 give a
    loss near 1e199 from the first batch), where a reasonable start is near log(classes)."""

    GROWTH = 1e6

    def __init__(self, loss: Loss):
        self.loss_start = 1.0 if is_classification(loss) else None
        self.penalty_start: float | None = None

    def broken(self, value: float, penalty: float) -> str | None:
        """None while the data term ``value`` and the L2 ``penalty`` are within their limits;
        else what grew: ``"penalty"`` when the L2 term is most of the loss, or ``"loss"``."""
        if self.loss_start is None:
            self.loss_start = max(value, 1.0)
        if self.penalty_start is None:
            self.penalty_start = max(penalty, 1.0)
        # "not x <= limit" is true for NaN too
        if (value <= self.GROWTH * self.loss_start
                and penalty <= self.GROWTH * self.penalty_start):
            return None
        return "penalty" if penalty != 0 and not penalty <= value else "loss"


def _penalty_diverged(value: float, epoch: int, alpha: float) -> TrainingDivergedError:
    error = TrainingDivergedError(
        f"the loss became {value:.4g} at epoch {epoch}, most of it the L2 penalty: alpha "
        f"({alpha:g}) is too large (its pull on the weights overshoots zero, further at every "
        "step); use a smaller alpha")
    error.cause = "alpha"
    return error


def _diverged(value: float, epoch: int, optimizer: Optimizer) -> TrainingDivergedError:
    return TrainingDivergedError(
        f"the loss became {value:.4g} at epoch {epoch}: the learning rate ({optimizer.lr:g}) is "
        "probably too high; try a smaller one (or standardise the features)")


class BestWeights:
    """A copy of the parameters, and of the buffers (BatchNorm's running statistics), at the
    epoch with the lowest monitored loss so far."""

    def __init__(self, model: Sequential):
        self.params = [p for p, _ in model.parameters()]
        flat = join_views(self.params)  # one copy instead of one per array, when possible
        if flat is not None:
            self.params = [flat]
        self.params += [a for layer in model.layers for _, a in layer.named_buffers()]
        self.saved = [np.empty_like(p) for p in self.params]
        self.epoch: int | None = None
        self.loss = math.inf

    def offer(self, loss: float, epoch: int) -> None:
        """Keep a copy of the current weights if ``loss`` is the lowest offered so far."""
        if loss < self.loss:
            self.loss, self.epoch = loss, epoch
            for saved, p in zip(self.saved, self.params):
                np.copyto(saved, p)

    def restore(self) -> bool:
        """Copy the best weights back into the model; False if there are none yet."""
        if self.epoch is None:
            return False
        for saved, p in zip(self.saved, self.params):
            np.copyto(p, saved)
        return True


# --- the one training loop ---------------------------------------------------------------------


class StoppingRule(Protocol):
    """What a caller of ``train_epochs`` decides: what to do at the end of every epoch (record
    it, validate, change the learning rate) and when to stop; and what error to raise when the
    loss stops being a finite number."""

    def end_epoch(self, epoch: int, loss: float, accuracy: float) -> bool:
        """Called after epoch ``epoch`` (1, 2, ...) with its mean training loss (penalties
        included) and score: the accuracy, or R² for a regression loss (``nan`` if not
        tracked). Return True to stop training."""
        ...

    def diverged(self, value: float, epoch: int) -> Exception | None:
        """The exception to raise when a batch's loss is ``value`` (NaN or infinite, or grown
        far beyond its start); or None to train on (scikit-learn's early stopping records the
        scores that follow and restores the best epoch's weights)."""
        ...


def train_epochs(model: Sequential, loss: Loss, optimizer: Optimizer, batches: Batches,
                 rule: StoppingRule, *, max_epochs: int, alpha: float = 0.0, l1: float = 0.0,
                 track_accuracy: bool = False) -> int:
    """Train ``model`` in place for up to ``max_epochs`` passes over ``batches``, asking
    ``rule.end_epoch`` after each whether to stop; return the number of epochs run.

    Per batch ``(X_b (m, n_in), y_b, w_b)``: the forward pass and the loss (the weighted mean
    with ``w_b``), the backward pass, the L2 (``alpha``) and L1 (``l1``) terms scaled by the
    batch's weight (``m``, or ``sum(w_b)``), and one optimizer step. A NaN or infinite loss
    raises ``rule.diverged(value, epoch)`` before the step that would spread it, and so does a
    loss grown far beyond its start (see ``_LossLimit``); when the L2 term is what grew, the
    ``TrainingDivergedError`` names ``alpha`` instead. A rule whose ``diverged`` returns None
    trains on.
    """
    model.train()
    n = batches.n
    epoch = 0
    r2 = track_accuracy and not is_classification(loss)
    limit = _LossLimit(loss)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is caught via the loss
        while epoch < max_epochs:
            epoch += 1
            total = correct = 0.0
            sums = R2Sums(loss) if r2 else None
            for X_b, y_b, w_b in batches.epoch():
                m = X_b.shape[0]
                logits = model.forward(X_b)
                if w_b is None:
                    value, weight = loss.forward(logits, y_b), m
                else:
                    value, weight = loss.forward(logits, y_b, w_b), float(w_b.sum())
                model.backward(loss.backward())
                penalty = add_l2_penalty(model, alpha, weight) if alpha else 0.0
                if l1:
                    value += add_l1_penalty(model, l1, weight)
                broken = limit.broken(value, penalty)
                if broken:
                    error = rule.diverged(value + penalty, epoch)
                    if error is not None:
                        raise (_penalty_diverged(value + penalty, epoch, alpha)
                               if broken == "penalty" else error)
                value += penalty
                optimizer.step()
                total += value * m
                if sums is not None:
                    sums.add(logits, y_b)
                elif track_accuracy:
                    correct += accuracy(logits, y_b, loss) * m
            score = sums.value() if sums is not None else (
                correct / n if track_accuracy else math.nan)
            if rule.end_epoch(epoch, total / n, score):
                break
    return epoch


# --- fit's end of an epoch: Keras-style rules ---------------------------------------------------


class Patience:
    """Keras' ``EarlyStopping`` rule: an epoch improves when its loss is below the best so far
    by more than ``min_delta``; ``update`` says stop once ``patience`` epochs in a row have
    not improved."""

    def __init__(self, patience: int, min_delta: float = 0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best, self.wait = math.inf, 0

    def update(self, loss: float) -> bool:
        """Record an epoch's loss; True when it is time to stop."""
        self.wait = 0 if loss < self.best - self.min_delta else self.wait + 1
        self.best = min(self.best, loss)
        return self.wait >= self.patience


class FitRule:
    """``fit``'s ``StoppingRule`` for one run: fills ``history``, evaluates the validation data,
    keeps the ``best`` weights by the monitored loss, and stops when ``patience`` (a
    ``Patience``, or None for no early stopping), the ``schedule`` or a callback says so."""

    def __init__(self, model: Sequential, loss: Loss, optimizer: Optimizer, *, val=None,
                 batch_size: int = _EVAL_ROWS, patience: Patience | None = None,
                 schedule: LRSchedule | None = None, callbacks: Sequence[Callback] = (),
                 progress=None):
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.val, self.batch_size = val, batch_size
        self.patience, self.schedule = patience, schedule
        self.callbacks, self.progress = callbacks, progress
        self.history, self.best = History(), BestWeights(model)

    def end_epoch(self, epoch: int, loss: float, accuracy: float) -> bool:
        history = self.history
        classify = is_classification(self.loss)
        history.loss.append(loss)
        (history.accuracy if classify else history.r2).append(accuracy)
        history.lr.append(self.optimizer.lr)
        if self.val is not None:
            val_loss, val_score = _evaluate(self.model, self.loss, *self.val, 0.0,
                                            self.batch_size)
            if not math.isfinite(val_loss):
                raise self.diverged(val_loss, epoch)
            history.val_loss.append(val_loss)
            (history.val_accuracy if classify else history.val_r2).append(val_score)
        monitored = history.monitor[-1]
        stop = self.patience is not None and self.patience.update(monitored)
        self.best.offer(monitored, epoch)
        history.best_epoch, history.best_loss = self.best.epoch, self.best.loss
        if self.schedule is not None:
            self.schedule.step(monitored)
            stop = stop or self.schedule.stop_training
        for callback in self.callbacks:
            stop = bool(callback(epoch, history, self.model)) or stop
        if self.progress is not None:
            shown = {"loss": f"{history.loss[-1]:.4f}"}
            if history.val_loss:
                shown["val_loss"] = f"{history.val_loss[-1]:.4f}"
            self.progress.update(1)
            self.progress.set_postfix(shown, refresh=False)
        history.stopped_early = stop
        return stop

    def diverged(self, value: float, epoch: int) -> TrainingDivergedError:
        return _diverged(value, epoch, self.optimizer)


# --- fit ---------------------------------------------------------------------------------------

# fit's numeric arguments and what each may be (see _params).
_FIT_CONSTRAINTS = {
    "epochs": [POSITIVE_INT],
    "n_init": [POSITIVE_INT],
    "patience": [POSITIVE_INT],
    "lr": [POSITIVE_NUMBER],
    "batch_size": [POSITIVE_INT, None],
    "validation_split": [Interval(Real, 0, 1, closed="left")],
    "alpha": [NON_NEGATIVE],
    "l1": [NON_NEGATIVE],
    "min_delta": [NON_NEGATIVE],
}


def _optimizer_for(model: Sequential, optimizer: Optimizer | None, lr: float,
                   schedule: LRSchedule | None) -> Optimizer:
    """The given optimizer (checked to hold this model's parameters) or ``SGD(lr)``."""
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=lr)
    own = {id(p) for p, _ in model.parameters()}
    if not all(id(p) in own for p, _ in optimizer.params):
        raise ValueError("the optimizer holds parameters that are not this model's; build it "
                         "from this model: Adam(model.parameters(), ...)")
    if schedule is not None and schedule.optimizer is not optimizer:
        raise ValueError("the schedule wraps another optimizer than the one fit uses; pass both: "
                         "fit(..., optimizer=opt, schedule=StepLR(opt, ...))")
    return optimizer


def _validation_set(model: Sequential, loss: Loss, X: np.ndarray, y: np.ndarray,
                    validation_data: tuple | None, validation_split: float,
                    rng: np.random.Generator):
    """``(X_train, y_train, val)``: ``val`` is ``(X_val, y_val)`` checked like ``X`` and
    ``y``, or held out from ``(X, y)`` (stratified for classification), or None."""
    if validation_data is not None:
        X_val, y_val = validation_data
        X_val = _check_inputs(model, X_val, "X_val")
        y_val = check_targets(y_val, loss, X_val.shape[0], model.n_outputs, model.dtype)
        return X, y, (X_val, y_val)
    if validation_split:
        classify = is_classification(loss)
        train_rows, val_rows = stratified_split(y, validation_split, rng, stratify=classify)
        return X[train_rows], y[train_rows], (X[val_rows], y[val_rows])
    return X, y, None


def _check_inputs(model: Sequential, X, name: str) -> np.ndarray:
    """``X`` checked for ``model``: rows ``(n, n_inputs)``, or samples of the shape the network
    takes (images ``(n, C, H, W)``: each layer checks what it is given, and a mismatch names
    the layer)."""
    if model.takes_rows:
        return check_X(X, model.n_inputs, name=name, dtype=model.dtype)
    X = check_samples(X, name=name, dtype=model.dtype)
    try:
        model.output_shape(X.shape[1:])
    except ValueError as error:
        raise ValueError(f"{name} of shape {X.shape} does not fit the model: {error}") from None
    return X


def _refuse_too_large(model: Sequential, X: np.ndarray, batch_size: int | None) -> None:
    """A ``ValueError`` before training when a batch's activations (and their gradients, and
    a convolution's windows) cannot fit in the memory available: a network on images grows
    with the image size, and a full batch of large images is easily more than a machine has."""
    rows = max(X.shape[0] if batch_size is None else min(int(batch_size), X.shape[0]),
               min(_EVAL_ROWS, X.shape[0]))
    per_sample = model.bytes_per_sample(X.shape[1:])
    estimate = Estimate({"activations": 2 * rows * per_sample,  # the outputs and their gradients
                         "network": 6 * model.n_parameters() * model.dtype.itemsize},
                        {"activations": f"{rows:,} samples at a time, "
                                        f"{format_bytes(per_sample)} each"})
    problem = too_large(estimate)
    if problem:
        raise ValueError(f"{problem}; use a smaller batch_size, smaller images or a smaller "
                          "network")


@dataclass
class _Training:
    """Everything ``fit`` needs for its runs, checked: ``run`` trains once from the model's
    current weights, ``restarts`` runs ``n_init`` times and keeps the best."""

    model: Sequential
    loss: Loss
    optimizer: Optimizer
    batches: Batches
    val: tuple | None
    epochs: int
    alpha: float
    l1: float
    schedule: LRSchedule | None
    patience: int | None  # None: no early stopping
    min_delta: float
    restore_best: bool
    callbacks: Sequence[Callback]
    progress: object
    compare_runs: bool = False  # set by restarts(n_init > 1): runs are compared by final_loss

    def run(self) -> History:
        """One run: train, then restore the best weights if asked (or after Ctrl-C) and score
        the result by the monitored loss (``final_loss``)."""
        patience = None if self.patience is None else Patience(self.patience, self.min_delta)
        rule = FitRule(self.model, self.loss, self.optimizer, val=self.val,
                       batch_size=self.batches.batch_size, patience=patience,
                       schedule=self.schedule, callbacks=self.callbacks, progress=self.progress)
        history, best = rule.history, rule.best
        try:
            train_epochs(self.model, self.loss, self.optimizer, self.batches, rule,
                         max_epochs=self.epochs, alpha=self.alpha, l1=self.l1,
                         track_accuracy=True)
        except KeyboardInterrupt:
            history.interrupted = True
        except TrainingDivergedError:
            best.restore()  # leave the model usable
            raise
        if self.restore_best or history.interrupted:
            history.restored_best = best.restore()
        score = self._score(history)
        if not math.isfinite(score):  # the very last step can still blow up
            best.restore()
            raise _diverged(score, history.epochs, self.optimizer)
        history.final_loss = score
        return history

    def _score(self, history: History) -> float:
        """The monitored loss of the kept weights (``history.final_loss``), evaluated only
        where the epochs did not already measure it.

        With validation, the end of every epoch measured the validation loss of that epoch's
        weights: the last one, or the best epoch's after a restore. Without validation and a
        single run, it is the last epoch's mean batch loss (``history.loss[-1]``), after a
        forward pass over one batch checks that the final weights still give a finite loss.
        Restarts, or restored weights, need the training loss of the kept weights themselves
        (restarts compare runs by it): one evaluation over the training data, with the
        penalties, by a second loss instance (no training state touched)."""
        loss, batch_size = type(self.loss)(), self.batches.batch_size
        restored, finished = history.restored_best, bool(history.loss)
        if self.val is not None:
            if finished and (restored or not history.interrupted):
                return history.val_loss[history.best_epoch - 1 if restored else -1]
            return _evaluate(self.model, loss, *self.val, 0.0, batch_size)[0]
        X, y = self.batches.X, self.batches.y
        if finished and not restored and not history.interrupted and not self.compare_runs:
            probe = _evaluate(self.model, loss, X[:batch_size], y[:batch_size], self.alpha,
                              batch_size, self.l1)[0]
            return history.loss[-1] if math.isfinite(probe) else probe
        return _evaluate(self.model, loss, X, y, self.alpha, batch_size, self.l1)[0]

    def restarts(self, n_init: int, rng: np.random.Generator) -> History:
        """``n_init`` runs, each from fresh weights after the first; the model ends with the
        weights and buffers (BatchNorm's running statistics) of the run with the lowest
        ``final_loss``, whose History is returned."""
        self.compare_runs = n_init > 1
        best_history, best_weights = None, None
        scores: list[float] = []
        interrupted = False
        for run in range(n_init):
            if run > 0:
                self.model.reset_parameters(rng)
                self.optimizer.reset()
                if self.schedule is not None:
                    self.schedule.reset()
            try:
                history = self.run()
            except TrainingDivergedError:
                if best_weights is not None:  # an earlier run is better than a broken one
                    self.model.load_state_dict(best_weights)
                raise
            scores.append(history.final_loss)
            if best_history is None or history.final_loss < best_history.final_loss:
                best_history, best_weights = history, self.model.state_dict()
                history.best_restart = run
            interrupted = history.interrupted
            if interrupted:
                break
        self.model.load_state_dict(best_weights)
        best_history.restart_scores = scores
        best_history.interrupted = interrupted
        return best_history


def fit(model: Sequential, X, y, *, loss: Loss | str | None = None,
        optimizer: Optimizer | None = None, lr: float = 0.1, epochs: int = 100,
        batch_size: int | None = None, shuffle: bool = True, rng=None,
        validation_data: tuple | None = None, validation_split: float = 0.0,
        early_stopping: bool = False, patience: int = 10, min_delta: float = 0.0,
        restore_best: bool | None = None, alpha: float = 0.0, l1: float = 0.0,
        schedule: LRSchedule | None = None,
        n_init: int = 1, callbacks: Sequence[Callback] = (), verbose: bool = False) -> History:
    """Train ``model`` in place by gradient descent and return its ``History``.

    Parameters
    ----------
    model : Sequential
        The network, trained in place (its dtype, float32 or float64, is used throughout).
    X : array of shape (n_samples, n_features)
        The inputs; a scipy.sparse matrix is multiplied as it is by the first layer.
    y : array of shape (n_samples,) or (n_samples, n_outputs)
        Class labels (0/1, or ``0..k-1`` for ``k`` outputs), or regression targets.
    loss : Loss or str, optional
        A loss or its name; default binary cross-entropy for one output, else softmax
        cross-entropy.
    optimizer : Optimizer, optional
        Default ``SGD(model.parameters(), lr)``.
    lr : float, default 0.1
        The learning rate of the default optimizer.
    epochs : int, default 100
        Passes over the data.
    batch_size : int, optional
        Rows per step; default (None) is the full batch.
    shuffle : bool, default True
        Reshuffle the mini-batches every epoch.
    rng : numpy.random.Generator or int, optional
        The randomness of shuffling, the validation split and restarts.
    validation_data : tuple, optional
        ``(X_val, y_val)``; the monitored loss is then ``val_loss``.
    validation_split : float, default 0.0
        A fraction of ``X`` held out for validation (stratified for classification), used
        when ``validation_data`` is not given.
    early_stopping : bool, default False
        Stop after ``patience`` epochs without an improvement of ``min_delta`` in the
        monitored loss, and restore the best weights.
    patience : int, default 10
        Epochs without improvement before early stopping stops.
    min_delta : float, default 0.0
        The smallest decrease of the monitored loss that counts as an improvement.
    restore_best : bool, optional
        Restore the weights of the best epoch at the end; defaults to ``early_stopping``.
    alpha : float, default 0.0
        L2 penalty with scikit-learn's scaling ``0.5 * alpha * ||W||^2 / batch_size``, on the
        weights ``W`` of every ``Dense`` and convolution (not biases, nor BatchNorm's ``gamma``
        and ``beta``; see ``scratchnn.penalties``).
    l1 : float, default 0.0
        L1 penalty on the same weights with the same scaling, ``l1 * sum |W| / batch_size``.
    schedule : LRSchedule, optional
        A schedule wrapping ``optimizer``, stepped once per epoch.
    n_init : int, default 1
        Restarts: train from this many initialisations (the first is the model's current
        weights) and keep the run with the lowest final monitored loss.
    callbacks : sequence of callables, default ()
        ``callback(epoch, history, model)`` after every epoch; return True to stop.
    verbose : bool, default False
        Show a tqdm progress bar with epoch, loss and validation loss.

    Returns
    -------
    History : one entry per epoch. ``history.loss`` holds each epoch's mean training loss
        (penalties included) as measured by its batches during the epoch, each just before
        its step; ``history.val_loss`` the validation loss at the end of each epoch;
        ``history.final_loss`` the monitored loss of the kept weights (see ``History``).
        The training data is evaluated once more after training only for restarts or when
        the best weights are restored without validation data.

    Notes
    -----
    ``X`` may be a scipy.sparse matrix (the first layer multiplies it as it is); complex ``X``
    is refused. Raises ``ValueError`` for bad input (before any training) and
    ``TrainingDivergedError`` if the loss becomes NaN or infinite or grows far beyond its start
    (its ``cause`` says whether to lower the learning rate or ``alpha``). Ctrl-C stops training
    and keeps the best weights so far.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    validate(_FIT_CONSTRAINTS, {"epochs": epochs, "n_init": n_init, "patience": patience,
                                "lr": lr, "batch_size": batch_size,
                                "validation_split": validation_split, "alpha": alpha, "l1": l1,
                                "min_delta": min_delta})
    loss = default_loss(model) if loss is None else get_loss(loss)
    X = _check_inputs(model, X, "X")
    y = check_targets(y, loss, X.shape[0], model.n_outputs, model.dtype)
    if not model.takes_rows:
        _refuse_too_large(model, X, batch_size)
    rng = as_generator(rng)
    optimizer = _optimizer_for(model, optimizer, lr, schedule)
    X, y, val = _validation_set(model, loss, X, y, validation_data, validation_split, rng)
    batches = Batches(X, y, batch_size=X.shape[0] if batch_size is None else int(batch_size),
                      shuffle=shuffle, rng=rng)
    progress = None
    if verbose:
        from tqdm.auto import tqdm  # imported only when asked for: the core needs NumPy alone

        progress = tqdm(total=epochs * n_init, desc="training", unit="epoch")
    training = _Training(
        model, loss, optimizer, batches, val, epochs=int(epochs), alpha=alpha, l1=l1,
        schedule=schedule, patience=int(patience) if early_stopping else None,
        min_delta=min_delta, restore_best=early_stopping if restore_best is None else restore_best,
        callbacks=callbacks, progress=progress)
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is caught via the loss
            return training.restarts(int(n_init), rng)
    finally:
        model.release()  # the batches' buffers and last inputs: a trained model holds neither
        if progress is not None:
            progress.close()
