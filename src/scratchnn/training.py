"""``fit``: gradient descent over epochs and (mini-)batches, with validation, early stopping,
restarts, learning-rate schedules, callbacks and a progress bar.

One step of training is always the same four lines (the teaching loop)::

    value = loss.forward(model.forward(X_batch), y_batch)   # forward: the mean loss
    model.backward(loss.backward())                         # backward: fill dW, db
    optimizer.step()                                        # update W, b in place

Everything else in this module is bookkeeping around those lines.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ._workspace import join_views
from .init import as_generator
from .losses import BinaryCrossEntropy, Loss, MeanSquaredError, SoftmaxCrossEntropy, get_loss
from .model import Sequential
from .optimizers import SGD, LRSchedule, Optimizer

Callback = Callable[[int, "History", Sequential], bool | None]


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite during training."""


@dataclass
class History:
    """What happened during ``fit``, one entry per epoch.

    ``best_epoch`` is the 1-based epoch whose weights were best by the monitored loss
    (``val_loss`` when there is validation data, else ``loss``). With restarts, the lists
    describe the kept run; ``restart_scores`` gives every run's final monitored loss.
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
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

    def rows(self) -> list[dict[str, float]]:
        """One dict per epoch (for a CSV file)."""
        columns = {name: getattr(self, name) for name in
                   ("loss", "val_loss", "accuracy", "val_accuracy", "lr")}
        columns = {name: values for name, values in columns.items() if values}
        return [{"epoch": i + 1, **{name: values[i] for name, values in columns.items()}}
                for i in range(self.epochs)]


# --- input checks ------------------------------------------------------------------------------


def check_X(X, n_features: int | None = None, *, name: str = "X", dtype=np.float64) -> np.ndarray:
    """``X`` as a finite 2-D float array of ``dtype``, or a ``ValueError`` that says why not."""
    try:
        X = np.asarray(X, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric: {error}") from None
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (n_samples, n_features), got "
                         f"shape {X.shape}; reshape a single feature with X.reshape(-1, 1)")
    if X.shape[0] == 0:
        raise ValueError(f"{name} has no samples")
    if not np.isfinite(X).all():
        row, col = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(f"{name} contains NaN or infinite values (first at row {row}, column "
                         f"{col}); remove or impute them before training")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features, but the model expects {n_features}")
    return X


def check_targets(y, loss: Loss, n_samples: int, n_outputs: int, dtype) -> np.ndarray:
    """The targets in the form ``loss`` wants, or a ``ValueError``."""
    y = np.asarray(y)
    if y.ndim == 0:
        raise ValueError(f"y must hold one label (or target) per sample, got the scalar {y!r}")
    if y.shape[0] != n_samples:
        raise ValueError(f"X and y have different lengths: {n_samples} samples but {y.shape[0]} "
                         "labels")
    if isinstance(loss, BinaryCrossEntropy):
        values = np.unique(y)
        if y.ndim > 2 or (y.ndim == 2 and y.shape[1] != 1) or not np.isin(values, (0, 1)).all():
            raise ValueError(f"binary cross-entropy needs labels 0/1 of shape (n,) or (n, 1), got "
                             f"values {values[:5].tolist()} with shape {y.shape}; for more classes "
                             "use SoftmaxCrossEntropy and one output per class")
        return y.reshape(-1, 1).astype(dtype)
    if isinstance(loss, SoftmaxCrossEntropy):
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.number) or (
                np.any(y != np.round(y)) or y.min() < 0 or y.max() >= n_outputs):
            raise ValueError(f"softmax cross-entropy needs integer labels 0..{n_outputs - 1} of "
                             f"shape (n,), got shape {y.shape}")
        return y.astype(np.intp)
    y = np.asarray(y, dtype=dtype)
    if y.size != n_samples * n_outputs:
        raise ValueError(f"y has {y.size} values, but the model has {n_outputs} output(s) for "
                         f"each of {n_samples} samples")
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinite values")
    return y.reshape(n_samples, n_outputs)


def _check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def default_loss(model: Sequential) -> Loss:
    """Binary cross-entropy for one output, softmax cross-entropy for several."""
    return BinaryCrossEntropy() if model.n_outputs == 1 else SoftmaxCrossEntropy()


def accuracy(logits: np.ndarray, y: np.ndarray, loss: Loss) -> float:
    """The fraction of correct predictions (``nan`` for regression losses)."""
    if isinstance(loss, BinaryCrossEntropy):
        return float(np.count_nonzero((logits > 0) == (y > 0.5))) / logits.shape[0]
    if isinstance(loss, SoftmaxCrossEntropy):
        return float(np.count_nonzero(logits.argmax(axis=1) == y)) / logits.shape[0]
    return math.nan


def stratified_split(y: np.ndarray, fraction: float, rng: np.random.Generator,
                     stratify: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, held_out)``, sorted, with ``round(fraction * n)`` samples held out
    (at least one).

    Stratified (the default), each class gives ``fraction`` of its members, rounded down or up
    so that the total comes out right: the classes whose share has the largest fractional part
    give the extra samples (as scikit-learn's ``StratifiedShuffleSplit``). So even 10 samples
    of 3 classes can hold out 1.
    """
    n = y.shape[0]
    n_out = max(1, round(fraction * n))
    if n_out >= n:
        raise ValueError(f"cannot hold out {fraction:.0%} of {n} samples and keep some for "
                         "training")
    if not stratify:
        order = rng.permutation(n)
        return np.sort(order[n_out:]), np.sort(order[:n_out])
    labels = y.reshape(n, -1)[:, 0]
    classes, counts = np.unique(labels, return_counts=True)
    share = fraction * counts
    take = np.floor(share).astype(np.intp)
    extra = n_out - int(take.sum())  # between 0 and the number of classes
    take[np.argsort(take - share, kind="stable")[:extra]] += 1  # largest remainders first
    held_out = [rng.permutation(np.flatnonzero(labels == value))[:k]
                for value, k in zip(classes, take)]
    held = np.sort(np.concatenate(held_out))
    return np.setdiff1d(np.arange(n), held), held


# --- the training loop -------------------------------------------------------------------------


def add_l2_penalty(model: Sequential, alpha: float, n_samples: int) -> float:
    """Add scikit-learn's L2 term to every ``Dense``'s ``dW`` (biases are not penalised) and
    return its value: ``0.5 * alpha * sum ||W||^2 / n``, gradient ``alpha * W / n``."""
    scale = alpha / n_samples
    penalty = 0.0
    for layer in model.dense_layers:
        flat = layer.W.ravel()
        penalty += float(np.dot(flat, flat))
        layer.dW += scale * layer.W
    return 0.5 * scale * penalty


def add_l1_penalty(model: Sequential, l1: float, n_samples: int) -> float:
    """Add an L1 term to every ``Dense``'s ``dW`` (biases are not penalised) and return its
    value, scaled like the L2 term: ``l1 * sum |W| / n``, gradient ``l1 * sign(W) / n``.
    L1 pushes small weights to exactly zero (a sparse network); L2 only shrinks them."""
    scale = l1 / n_samples
    penalty = 0.0
    for layer in model.dense_layers:
        penalty += float(np.abs(layer.W).sum())
        layer.dW += scale * np.sign(layer.W)
    return scale * penalty


_EVAL_ROWS = 1024  # evaluate at least this many rows per forward pass


def _evaluate(model: Sequential, loss: Loss, X: np.ndarray, y: np.ndarray, alpha: float,
              batch_size: int = _EVAL_ROWS, l1: float = 0.0) -> tuple[float, float]:
    """``(loss, accuracy)`` of the model on ``(X, y)`` in evaluation mode.

    Works through ``X`` in chunks of ``max(batch_size, 1024)`` rows: the layers then reuse the
    buffers of a training batch instead of allocating activations for the whole data set
    (200,000 x 512 floats would be 400 MB per layer)."""
    was_training = model.training
    model.eval()
    n = X.shape[0]
    rows = max(batch_size, _EVAL_ROWS)
    total = correct = 0.0
    for start in range(0, n, rows):
        X_chunk, y_chunk = X[start:start + rows], y[start:start + rows]
        logits = model.forward(X_chunk)
        m = X_chunk.shape[0]
        total += loss.forward(logits, y_chunk) * m
        correct += accuracy(logits, y_chunk, loss) * m
    value = total / n
    if alpha:
        value += 0.5 * alpha * sum(float(np.sum(d.W * d.W)) for d in model.dense_layers) / n
    if l1:
        value += l1 * sum(float(np.abs(d.W).sum()) for d in model.dense_layers) / n
    model.train(was_training)
    return value, correct / n


def _diverged(value: float, epoch: int, optimizer: Optimizer) -> TrainingDivergedError:
    return TrainingDivergedError(
        f"the loss became {value} at epoch {epoch}: the learning rate ({optimizer.lr:g}) is "
        "probably too high; try a smaller one (or standardise the features)")


class _BestWeights:
    """A copy of the parameters at the epoch with the lowest monitored loss so far."""

    def __init__(self, model: Sequential):
        self.params = [p for p, _ in model.parameters()]
        flat = join_views(self.params)  # one copy instead of one per array, when possible
        if flat is not None:
            self.params = [flat]
        self.saved = [np.empty_like(p) for p in self.params]
        self.epoch: int | None = None
        self.loss = math.inf

    def offer(self, loss: float, epoch: int) -> None:
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


def _train_one_run(model, loss, optimizer, X, y, val, *, epochs, batch_size, shuffle, rng, alpha,
                   l1, schedule, early_stopping, patience, min_delta, callbacks, progress,
                   history: History, best: _BestWeights) -> None:
    """Train once from the model's current weights, filling ``history`` and ``best``."""
    n = X.shape[0]
    full_batch = batch_size >= n
    epochs_without_improvement = 0
    model.train()
    for epoch in range(1, epochs + 1):
        # One pass over the data, in batches.
        order = rng.permutation(n) if shuffle and not full_batch else None
        loss_sum = correct = 0.0
        for start in range(0, n, batch_size):
            if full_batch:
                X_batch, y_batch = X, y
            elif order is None:
                X_batch, y_batch = X[start:start + batch_size], y[start:start + batch_size]
            else:
                rows = order[start:start + batch_size]
                X_batch, y_batch = X.take(rows, axis=0), y.take(rows, axis=0)
            m = X_batch.shape[0]
            logits = model.forward(X_batch, copy=False)
            value = loss.forward(logits, y_batch)
            model.backward(loss.backward())
            if alpha:
                value += add_l2_penalty(model, alpha, m)
            if l1:
                value += add_l1_penalty(model, l1, m)
            if not math.isfinite(value):
                raise _diverged(value, epoch, optimizer)
            optimizer.step()
            loss_sum += value * m
            correct += accuracy(logits, y_batch, loss) * m
        history.loss.append(loss_sum / n)
        history.accuracy.append(correct / n)
        history.lr.append(optimizer.lr)
        if val is not None:
            val_loss, val_acc = _evaluate(model, loss, val[0], val[1], 0.0, batch_size)
            if not math.isfinite(val_loss):
                raise _diverged(val_loss, epoch, optimizer)
            history.val_loss.append(val_loss)
            history.val_accuracy.append(val_acc)
        monitored = history.monitor[-1]

        if monitored < best.loss - min_delta:
            epochs_without_improvement = 0
        else:
            epochs_without_improvement += 1
        best.offer(monitored, epoch)
        history.best_epoch, history.best_loss = best.epoch, best.loss

        stop = early_stopping and epochs_without_improvement >= patience
        if schedule is not None:
            schedule.step(monitored)
            stop = stop or schedule.stop_training
        for callback in callbacks:
            stop = bool(callback(epoch, history, model)) or stop
        if progress is not None:
            progress.update(1)
            shown = {"loss": f"{history.loss[-1]:.4f}"}
            if history.val_loss:
                shown["val_loss"] = f"{history.val_loss[-1]:.4f}"
            progress.set_postfix(shown, refresh=False)
        if stop:
            history.stopped_early = True
            return


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
    model : Sequential, trained in place (its dtype, float32 or float64, is used throughout).
    X : array (n_samples, n_features). y : labels (n_samples,) or targets.
    loss : a Loss or its name; default binary cross-entropy for one output, else softmax.
    optimizer : default ``SGD(model.parameters(), lr)``.
    epochs : passes over the data. batch_size : default (None) is the full batch.
    shuffle, rng : reshuffle mini-batches each epoch with this Generator (or seed).
    validation_data : ``(X_val, y_val)``; or validation_split, a fraction held out (stratified
        for classification). The monitored loss is ``val_loss`` if either is given, else ``loss``.
    early_stopping : stop after ``patience`` epochs without an improvement of ``min_delta``
        and restore the best weights (``restore_best`` defaults to ``early_stopping``).
    alpha : L2 penalty with scikit-learn's scaling ``0.5 * alpha * ||W||^2 / batch_size``.
    l1 : L1 penalty with the same scaling, ``l1 * sum |W| / batch_size``.
    schedule : an ``LRSchedule`` wrapping ``optimizer``, stepped once per epoch.
    n_init : restarts: train from this many initialisations (the first is the model's current
        weights), keep the run with the lowest final monitored loss.
    callbacks : ``callback(epoch, history, model)`` after every epoch; return True to stop.
    verbose : show a tqdm progress bar with epoch, loss and validation loss.

    Notes
    -----
    Raises ``ValueError`` for bad input (before any training) and ``TrainingDivergedError`` if
    the loss becomes NaN or infinite. Ctrl-C stops training and keeps the best weights so far.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    epochs = _check_positive_int("epochs", epochs)
    n_init = _check_positive_int("n_init", n_init)
    patience = _check_positive_int("patience", patience)
    if isinstance(lr, bool) or not (isinstance(lr, (int, float, np.floating))
                                    and math.isfinite(lr) and lr > 0):
        raise ValueError(f"the learning rate must be a positive number, got {lr!r}")
    if not 0 <= validation_split < 1:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}")
    if not (alpha >= 0 and math.isfinite(alpha)):
        raise ValueError(f"alpha must be >= 0, got {alpha!r}")
    if not (l1 >= 0 and math.isfinite(l1)):
        raise ValueError(f"l1 must be >= 0, got {l1!r}")
    if not (min_delta >= 0 and math.isfinite(min_delta)):
        raise ValueError(f"min_delta must be >= 0, got {min_delta!r}")
    dtype = model.dtype
    loss = default_loss(model) if loss is None else get_loss(loss)
    X = check_X(X, model.n_inputs, dtype=dtype)
    y = check_targets(y, loss, X.shape[0], model.n_outputs, dtype)
    rng = as_generator(rng)
    batch_size = X.shape[0] if batch_size is None else _check_positive_int("batch_size", batch_size)
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=lr)
    own = {id(p) for p, _ in model.parameters()}
    if not all(id(p) in own for p, _ in optimizer.params):
        raise ValueError("the optimizer holds parameters that are not this model's; build it "
                         "from this model: Adam(model.parameters(), ...)")
    if schedule is not None and schedule.optimizer is not optimizer:
        raise ValueError("the schedule wraps another optimizer than the one fit uses; pass both: "
                         "fit(..., optimizer=opt, schedule=StepLR(opt, ...))")

    val = None
    if validation_data is not None:
        X_val, y_val = validation_data
        X_val = check_X(X_val, model.n_inputs, name="X_val", dtype=dtype)
        val = (X_val, check_targets(y_val, loss, X_val.shape[0], model.n_outputs, dtype))
    elif validation_split:
        classify = not isinstance(loss, MeanSquaredError)
        train_rows, val_rows = stratified_split(y, validation_split, rng, stratify=classify)
        val = (X[val_rows], y[val_rows])
        X, y = X[train_rows], y[train_rows]
    restore_best = early_stopping if restore_best is None else restore_best
    val_loss_fn = type(loss)()  # a second instance, so evaluation never disturbs training state

    progress = None
    if verbose:
        from tqdm.auto import tqdm  # imported only when asked for: the core needs NumPy alone

        progress = tqdm(total=epochs * n_init, desc="training", unit="epoch")

    best_history, best_score, best_run_weights = None, math.inf, None
    scores: list[float] = []
    interrupted = False
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is caught via the loss
            for run in range(n_init):
                if run > 0:
                    model.reset_parameters(rng)
                    optimizer.reset()
                    if schedule is not None:
                        schedule.reset()
                history, best = History(), _BestWeights(model)
                try:
                    _train_one_run(
                        model, loss, optimizer, X, y, val, epochs=epochs, batch_size=batch_size,
                        shuffle=shuffle, rng=rng, alpha=alpha, l1=l1, schedule=schedule,
                        early_stopping=early_stopping, patience=patience, min_delta=min_delta,
                        callbacks=callbacks, progress=progress, history=history, best=best)
                except KeyboardInterrupt:
                    interrupted = history.interrupted = True
                except TrainingDivergedError:
                    if best_run_weights is not None:
                        model.set_weights(best_run_weights)  # leave the model usable
                    else:
                        best.restore()
                    raise
                if restore_best or interrupted:
                    history.restored_best = best.restore()
                if val is not None:
                    score = _evaluate(model, val_loss_fn, val[0], val[1], 0.0, batch_size)[0]
                else:
                    score = _evaluate(model, val_loss_fn, X, y, alpha, batch_size, l1)[0]
                if not math.isfinite(score):  # the very last step can still blow up
                    if best_run_weights is not None:
                        model.set_weights(best_run_weights)
                    else:
                        best.restore()
                    raise _diverged(score, history.epochs, optimizer)
                history.final_loss = score
                scores.append(score)
                if best_history is None or score < best_score:
                    best_history, best_score = history, score
                    best_run_weights = model.get_weights()
                    best_history.best_restart = run
                if interrupted:
                    break
    finally:
        if progress is not None:
            progress.close()
    model.set_weights(best_run_weights)
    best_history.restart_scores = scores
    best_history.interrupted = interrupted
    return best_history
