"""``TrainingDoctor``: watches a run of ``fit`` and says, in plain English, what is going wrong.

It is a ``fit`` callback (``fit(..., callbacks=[doctor])``): after every epoch it reads what
the model and the ``History`` already hold, with no extra forward or backward pass:

- the **first loss**, against the loss of a network that starts out unsure (``ln 2`` for one
  sigmoid output, ``ln K`` for ``K`` softmax outputs);
- **dead ReLU units**: a unit whose output was zero for every point of the last forward pass,
  epoch after epoch (after a convolution: a channel, zero at every pixel of every image);
- **vanishing or exploding gradients**: each layer's gradient norm ``||dW||``, the first
  layer's against the last layer's, and each against the layer's weights ``||W||`` (the layers
  with weights: ``Dense``, ``Conv2D``/``Conv1D``, and the normalisations, whose ``gamma`` plays
  the part of ``W``; inside residual blocks too);
- the **update-to-weight ratio** ``||W_now - W_before|| / ||W_now||`` over one epoch, which is
  about 1e-3 per step in a healthy run (the rule of thumb of Stanford's CS231n notes);
- a **loss that rises** for several epochs in a row;
- **over-fitting**: training accuracy far above validation accuracy; or, by the losses, the
  validation loss rising well above its lowest while the training loss goes on falling.

Each finding is a ``Finding(kind, epoch, message)``, printed once when it is first seen and
kept in ``doctor.findings``. The per-epoch numbers behind them (``doctor.epochs``,
``grad_norms``, ``update_ratios``, ``dead_units``) are what ``plotting.plot_diagnostics``
draws. NumPy only.
"""

from __future__ import annotations

import math
import sys
import textwrap
from dataclasses import dataclass
from itertools import pairwise
from typing import TextIO

import numpy as np

from ._workspace import join_views
from .blocks import Residual
from .conv import Conv2D
from .layers import Dense, Layer, ReLU
from .model import Sequential
from .normalization import BatchNorm1D, BatchNorm2D, LayerNorm

KINDS = ("first_loss", "dead_units", "vanishing_gradients", "exploding_gradients",
         "large_updates", "small_updates", "rising_loss", "overfitting", "rising_val_loss")


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b`` elementwise, NaN where ``b`` is 0 (without a warning)."""
    return np.divide(a, b, out=np.full(a.shape, np.nan), where=b > 0)


@dataclass(frozen=True)
class Finding:
    """One diagnosis: what (``kind``, one of ``doctor.KINDS``), when (the 1-based ``epoch``
    it was first seen) and what to try (``message``, plain English)."""

    kind: str
    epoch: int
    message: str

    def __str__(self) -> str:
        return f"[doctor] epoch {self.epoch}, {self.kind.replace('_', ' ')}: {self.message}"

    def wrapped(self, width: int = 92) -> str:
        """``str(finding)`` folded into lines of at most ``width`` characters, for a terminal."""
        return textwrap.fill(str(self), width, subsequent_indent="    ")


class TrainingDoctor:
    """A ``fit`` callback that diagnoses a sick run and says what to try.

    Parameters
    ----------
    X : the training inputs ``(n_samples, n_features)``, optional. With them, dead units are
        confirmed on every training point (one extra forward pass, only when some unit looks
        dead). Without them, a unit counts as dead when it was zero for every point of the
        last ``patience`` epochs' final forward passes (in full-batch training: the whole
        training set; with validation: the validation set), provided those saw at least
        ``min_rows`` (100) points.
    dead_share : report a ReLU layer when at least this share of its units (0.25) is dead; a
        single dead unit among many is common and harmless.
    patience : for how many looks in a row (see ``every``) a symptom must last before it is
        reported (dead units, gradients, small updates, a rising loss, over-fitting); 5.
    stream : where findings are printed as they appear (default ``sys.stdout``); ``None``
        collects them silently in ``findings``.
    vanishing, exploding : report vanishing gradients when ``||dW||`` of the first ``Dense``
        stays below ``vanishing`` (1e-3) times that of the last one; exploding ones when it
        stays above ``exploding`` (1e3) times that of the last one, or when some layer's
        ``||dW||`` stays above ``exploding / 10`` (100) times its ``||W||``.
    large_updates, small_updates : report when one epoch changes some layer's weights by more
        than ``large_updates`` (1.0, i.e. 100%) of their size, or when every layer changes by
        less than ``small_updates`` (1e-5) per epoch, ``patience`` epochs in a row, while the
        loss has not fallen by a tenth.
    overfit_gap : report when training accuracy exceeds validation accuracy by more than this
        (0.15).
    overfit_rise : report when the validation loss has stayed more than this fraction (0.25)
        above its lowest for ``patience`` epochs, at least ``patience`` epochs after that
        lowest, while the training loss fell below what it was then and below the validation
        loss by as much (``rising_val_loss``: the over-fitting that accuracy alone can miss).
    warmup, every : the doctor looks after each of the first ``warmup`` epochs (20), where
        most troubles show, then after every ``every``-th (20), so that it costs little even
        when an epoch takes microseconds. ``patience`` counts looks, not epochs (a rising
        loss and over-fitting are judged on every epoch of ``History``, at each look).

    Notes
    -----
    After ``fit``: ``findings`` (a list of ``Finding``), ``kinds`` (their kinds), ``epochs``
    and, per epoch, ``grad_norms`` ``(n_epochs, n_layers)``, ``update_ratios`` (same shape,
    NaN at epoch 1), ``dead_units``, ``activation_means`` and ``activation_stds``
    ``(n_epochs, n_relu)`` as arrays; ``layer_names`` (``Dense 1``, ``Conv2D 1``,
    ``BatchNorm2D 1``, ...) and ``relu_names`` (the layer before each ReLU).
    With restarts (``n_init``) the numbers describe the last run; findings are kept from all.
    """

    def __init__(self, X=None, *, patience: int = 5, stream: TextIO | None = sys.stdout,
                 dead_share: float = 0.25, min_rows: int = 100, vanishing: float = 1e-3,
                 exploding: float = 1e3, large_updates: float = 1.0,
                 small_updates: float = 1e-5, overfit_gap: float = 0.15,
                 overfit_rise: float = 0.25, warmup: int = 20, every: int = 20):
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"TrainingDoctor: patience must be a positive integer, got "
                             f"{patience!r}")
        for name, value in (("warmup", warmup), ("every", every)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainingDoctor: {name} must be a positive integer, got "
                                 f"{value!r}")
        self.warmup, self.every = warmup, every
        if X is not None:
            X = np.asarray(X)
            if X.ndim < 2 or X.shape[0] == 0:
                raise ValueError("TrainingDoctor: X must be the training inputs, shape "
                                 f"(n_samples, n_features) or (n_samples, C, H, W), got shape "
                                 f"{X.shape}")
        self.X = X
        self.patience = patience
        self.stream = stream
        self.dead_share, self.min_rows = float(dead_share), int(min_rows)
        self.vanishing, self.exploding = float(vanishing), float(exploding)
        self.large_updates, self.small_updates = float(large_updates), float(small_updates)
        self.overfit_gap, self.overfit_rise = float(overfit_gap), float(overfit_rise)
        self.findings: list[Finding] = []
        self._reported: set[tuple[str, str]] = set()
        self._reset_run()

    # --- what fit calls -------------------------------------------------------------------

    def __call__(self, epoch: int, history, model: Sequential) -> None:
        if epoch == 1 or self._dense is None:  # a new run (fit's restarts start again at 1)
            self._start_run(model)
        if epoch > self.warmup and epoch % self.every:
            if (epoch + 1) % self.every == 0:  # the "before" of the next look's update ratio
                np.copyto(self._before, self._flat("W", "b"))
            return None
        self.epochs.append(epoch)
        self._measure(model)
        self._check_first_loss(epoch, history, model)
        self._check_dead_units(epoch, model)
        self._check_gradients(epoch)
        self._check_updates(epoch, history)
        self._check_rising_loss(epoch, history)
        self._check_overfitting(epoch, history)
        self._check_rising_val_loss(epoch, history)
        return None  # the doctor never stops training

    # --- per-epoch numbers ----------------------------------------------------------------

    def _reset_run(self) -> None:
        self._dense: list[Layer] | None = None  # every layer with weights (see _weighted)
        self._relus: list[tuple[str, ReLU]] = []
        self.layer_names: list[str] = []
        self.relu_names: list[str] = []
        self.epochs: list[int] = []
        self._grad_norms: list[np.ndarray] = []
        self._grad_ratios: list[float] = []  # ||dW|| of the first Dense / of the last
        self._grad_to_weight: list[float] = []  # the largest ||dW|| / ||W|| of a layer
        self._update_ratios: list[np.ndarray] = []
        self._dead: list[np.ndarray] = []
        self._act_means: list[np.ndarray] = []  # each ReLU's input: mean and spread
        self._act_stds: list[np.ndarray] = []
        self._streaks: list[np.ndarray | None] = []  # epochs in a row each unit was dead
        self._masks: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._rows: list[list[int]] = []  # rows of each ReLU's last forward pass, per epoch

    def _start_run(self, model: Sequential) -> None:
        self._reset_run()
        self._dense, self._relus = [], []
        _walk(model.layers, self._dense, self._relus, {}, None)
        self.layer_names = [name for name, _ in self._dense]
        self._dense = [layer for _, layer in self._dense]
        self.relu_names = [where for where, _ in self._relus]
        self._streaks = [None] * len(self._relus)
        self._views: dict[tuple[str, str], np.ndarray | None] = {}
        # Every W and b (and dW, db) as one vector, so that the per-layer norms take a few
        # NumPy calls whatever the depth: fit calls the doctor every epoch.
        arrays = [a for d in self._dense for a in _arrays(d, "W", "b")]
        self._starts = np.cumsum([0] + [a.size for a in arrays[:-1]])
        before = self._flat("W", "b")
        self._before, self._buffer = before.copy(), np.empty_like(before)

    def _flat(self, weights: str, biases: str) -> np.ndarray:
        """Every layer's ``weights`` and ``biases`` arrays (a normalisation's ``gamma`` and
        ``beta``) as one vector: a view when the model keeps them in one (``Sequential`` does
        for a network of ``Dense`` layers; found once per run), else a copy."""
        key = (weights, biases)
        if key not in self._views:
            arrays = [a for d in self._dense for a in _arrays(d, *key)]
            self._views[key] = join_views(arrays)
        view = self._views[key]
        if view is not None:
            return view
        return np.concatenate([a.ravel() for d in self._dense for a in _arrays(d, *key)])

    def _layer_norms(self, squares: np.ndarray) -> np.ndarray:
        """Per ``Dense``: the square root of the sum of ``squares`` over its ``W`` entries."""
        return np.sqrt(np.add.reduceat(squares, self._starts)[::2])

    def _measure(self, model: Sequential) -> None:
        """Record each layer's gradient norm and update ratio, and each ReLU's dead units."""
        values, grads, buffer, before = (self._flat("W", "b"), self._flat("dW", "db"),
                                         self._buffer, self._before)
        norms = self._layer_norms(np.multiply(grads, grads, out=buffer))
        sizes = self._layer_norms(np.multiply(values, values, out=buffer))
        self._grad_norms.append(norms)
        self._grad_to_weight.append(float(np.fmax.reduce(_divide(norms, sizes))))
        first, last = norms[0], norms[-1]
        self._grad_ratios.append(first / last if first > 0 and last > 0 else math.nan)
        if len(self.epochs) == 1:
            ratios = np.full(norms.size, np.nan)
        else:
            moved = np.subtract(values, before, out=buffer)
            ratios = _divide(self._layer_norms(np.multiply(moved, moved, out=buffer)), sizes)
        self._update_ratios.append(ratios)
        np.copyto(before, values)
        dead, rows = np.full(len(self._relus), np.nan), []
        means, stds = np.full(len(self._relus), np.nan), np.full(len(self._relus), np.nan)
        for j, (_, relu) in enumerate(self._relus):
            x = getattr(relu, "x", None)  # the input of the last forward pass
            if x is None or x.ndim < 2 or x.shape[0] == 0:
                self._streaks[j] = None
                rows.append(0)
                continue
            means[j], stds[j] = float(x.mean()), float(x.std())
            zero = self._never_positive(x) if x.ndim == 2 else _channels_never_positive(x)
            streak = self._streaks[j]
            self._streaks[j] = zero.astype(np.intp) if streak is None else (streak + 1) * zero
            dead[j] = np.count_nonzero(zero)
            rows.append(x.shape[0])
        self._dead.append(dead)
        self._act_means.append(means)
        self._act_stds.append(stds)
        self._rows.append(rows)

    def _never_positive(self, x: np.ndarray) -> np.ndarray:
        """``(units,)`` bool: columns of ``x`` with no positive entry (where ReLU gives 0 for
        every row). Counted as ``ones @ (x > 0)``: on a narrow array such as 1000 x 4 that is
        ten times faster than ``x.max(axis=0)``, and fit calls the doctor every epoch."""
        key = (x.shape, x.dtype)
        if key not in self._masks:  # buffers, once per shape
            self._masks[key] = (np.empty(x.shape, x.dtype), np.ones(x.shape[0], x.dtype))
        mask, ones = self._masks[key]
        np.greater(x, 0, out=mask)
        return ones @ mask == 0

    @property
    def grad_norms(self) -> np.ndarray:
        """``(n_epochs, n_layers)``: ``||dW||`` of each layer with weights after each epoch."""
        return np.array(self._grad_norms).reshape(len(self.epochs), len(self.layer_names))

    @property
    def update_ratios(self) -> np.ndarray:
        """``(n_epochs, n_layers)``: ``||W_e - W_(e-1)|| / ||W_e||`` (NaN at epoch 1)."""
        return np.array(self._update_ratios).reshape(len(self.epochs), len(self.layer_names))

    @property
    def dead_units(self) -> np.ndarray:
        """``(n_epochs, n_relu)``: how many units of each ReLU were zero for every point of
        the last forward pass (NaN where the layer had not run)."""
        return np.array(self._dead).reshape(len(self.epochs), len(self.relu_names))

    @property
    def activation_means(self) -> np.ndarray:
        """``(n_epochs, n_relu)``: the mean of each ReLU's input in the last forward pass."""
        return np.array(self._act_means).reshape(len(self.epochs), len(self.relu_names))

    @property
    def activation_stds(self) -> np.ndarray:
        """``(n_epochs, n_relu)``: the standard deviation of each ReLU's input (a spread that
        shrinks layer after layer is the picture of vanishing signals)."""
        return np.array(self._act_stds).reshape(len(self.epochs), len(self.relu_names))

    @property
    def kinds(self) -> list[str]:
        return [finding.kind for finding in self.findings]

    # --- reporting ------------------------------------------------------------------------

    def _report(self, kind: str, epoch: int, message: str, where: str = "") -> None:
        """Record (and print) a finding, once per kind and place."""
        if (kind, where) in self._reported:
            return
        self._reported.add((kind, where))
        finding = Finding(kind, epoch, message)
        self.findings.append(finding)
        if self.stream is not None:
            print(finding.wrapped(), file=self.stream, flush=True)

    def report(self) -> str:
        """Every finding, one per line; or a line saying that nothing looked wrong."""
        if not self.findings:
            return "[doctor] nothing looked wrong"
        return "\n".join(finding.wrapped() for finding in self.findings)

    def __repr__(self) -> str:
        return (f"TrainingDoctor({len(self.findings)} finding(s) in {len(self.epochs)} "
                f"epoch(s): {', '.join(self.kinds) or 'none'})")

    # --- the checks -----------------------------------------------------------------------

    def _lasting(self, rows: list, test) -> bool:
        """True if ``test(row)`` holds for each of the last ``patience`` looks."""
        if len(rows) < self.patience:
            return False
        return all(test(rows[i]) for i in range(len(rows) - self.patience, len(rows)))

    def _check_first_loss(self, epoch: int, history, model: Sequential) -> None:
        if epoch != 1 or not history.loss or not history.accuracy:
            return
        if not math.isfinite(history.accuracy[0]):  # a regression loss: no expected value
            return
        k = max(model.n_outputs, 2)
        expected, first = math.log(k), history.loss[0]
        if first > 2 * expected:
            name = "ln 2" if k == 2 else f"ln {k}"
            self._report("first_loss", epoch, (
                f"the first epoch's loss is {first:.3g}, far above {name} = {expected:.3f}, "
                "the loss of a network that starts out unsure. It starts confident and wrong: "
                "the initial weights or biases are too large, or the inputs are not scaled. "
                "Try standardising the inputs, He or Glorot initialisation, and zero biases."))

    def _check_dead_units(self, epoch: int, model: Sequential) -> None:
        for j, (where, relu) in enumerate(self._relus):
            streak = self._streaks[j]
            if streak is None or ("dead_units", where) in self._reported:
                continue
            dead = streak >= self.patience
            if np.count_nonzero(dead) < max(1, self.dead_share * dead.size):
                continue
            if self.X is not None:  # confirm on every training point
                dead &= self._dead_on_X(model, j)
                if np.count_nonzero(dead) < max(1, self.dead_share * dead.size):
                    continue
                points = f"every one of the {self.X.shape[0]} training points"
            elif sum(r[j] for r in self._rows[-self.patience:]) < self.min_rows:
                continue  # a small last batch: too few points to tell
            else:
                points = (f"every point of each epoch's last forward pass ({relu.x.shape[0]} "
                          f"points), {self.patience} epochs in a row")
            units = np.flatnonzero(dead)
            listed = ", ".join(map(str, units[:10])) + (", ..." if units.size > 10 else "")
            what = "channel(s)" if relu.x.ndim > 2 else "unit(s)"
            self._report("dead_units", epoch, (
                f"{where} -> ReLU: {what} {listed} ({units.size} of {dead.size}) output zero "
                f"for {points}; a dead unit gets no gradient and never learns again. Try a "
                "smaller learning rate, biases that start at 0 (not negative), LeakyReLU "
                "instead of ReLU, or restarts (fit's n_init)."), where)

    def _dead_on_X(self, model: Sequential, j: int) -> np.ndarray:
        """Which units of the ``j``-th ReLU are zero for every row of ``X`` (one forward pass
        in evaluation mode)."""
        was_training = model.training
        model.eval()
        try:
            model.forward(self.X)
        finally:
            model.train(was_training)
        x = self._relus[j][1].x
        return ~(x > 0).any(axis=0) if x.ndim == 2 else _channels_never_positive(x)

    def _check_gradients(self, epoch: int) -> None:
        # NaN (an exactly zero gradient: a dead layer, reported above) fails both tests.
        ratios = self._grad_ratios if len(self.layer_names) > 1 else []
        first, last = self.layer_names[0], self.layer_names[-1]
        if self._lasting(ratios, lambda r: r < self.vanishing):
            self._report("vanishing_gradients", epoch, (
                f"the gradient reaching {first} is {ratios[-1]:.1e} times that of {last}: "
                "the early layers barely learn (vanishing gradients). Sigmoid and tanh "
                "squash the gradient at every layer; try ReLU with He initialisation, fewer "
                "layers, or Adam."))
        elif self._lasting(ratios, lambda r: r > self.exploding):
            self._report("exploding_gradients", epoch, (
                f"the gradient reaching {first} is {ratios[-1]:.1e} times that of {last}: "
                "it grows at every layer on the way back (exploding gradients). Try smaller "
                "initial weights (He or Glorot), fewer layers, or a smaller learning rate."))
        elif self._lasting(self._grad_to_weight, lambda r: r > self.exploding / 10):
            self._report("exploding_gradients", epoch, (
                f"a layer's gradient is {self._grad_to_weight[-1]:.0f} times as large as its "
                "weights (exploding gradients): one step of gradient descent would throw the "
                "weights far away. Try smaller initial weights (He or Glorot), standardised "
                "inputs, or a smaller learning rate."))

    def _check_updates(self, epoch: int, history) -> None:
        rows = self._update_ratios[max(1, len(self._update_ratios) - self.patience):]
        if rows and np.fmax.reduce(rows[-1]) > self.large_updates:
            worst = int(np.nanargmax(rows[-1]))
            self._report("large_updates", epoch, (
                f"one epoch changed the weights of {self.layer_names[worst]} by "
                f"{rows[-1][worst]:.0%} of their size (a healthy step changes them by about "
                "0.1%): the learning rate is too high, so training jumps around instead of "
                "descending. Try a learning rate 10 times smaller."))
        # Tiny updates because units are dead or gradients vanish have another cause.
        other_cause = {"dead_units", "vanishing_gradients"} & set(self.kinds)
        still_high = len(history.loss) > 1 and history.loss[-1] > 0.9 * history.loss[0]
        if still_high and not other_cause and self._lasting(
                rows, lambda r: 0 < np.fmax.reduce(r) < self.small_updates):
            self._report("small_updates", epoch, (
                f"each epoch changes the weights by at most {np.fmax.reduce(rows[-1]):.1e} of "
                "their size and the loss has hardly moved: the learning rate is too low. Try "
                "one 10 to 100 times larger."))

    def _check_rising_loss(self, epoch: int, history) -> None:
        loss = history.loss
        window = loss[-(self.patience + 1):]
        if len(window) <= self.patience or not all(map(math.isfinite, window)):
            return
        if all(b > a for a, b in pairwise(window)) and window[-1] > 1.01 * window[0]:
            self._report("rising_loss", epoch, (
                f"the training loss rose for {self.patience} epochs in a row, from "
                f"{window[0]:.4g} to {window[-1]:.4g}: the steps overshoot. Try a smaller "
                "learning rate, or a schedule that lowers it (StepLR, ReduceLROnPlateau)."))

    def _check_overfitting(self, epoch: int, history) -> None:
        train, val = history.accuracy, history.val_accuracy
        if not val or len(val) != len(train):
            return
        gaps = [a - b for a, b in zip(train[-self.patience:], val[-self.patience:])]
        if self._lasting(gaps, lambda g: g > self.overfit_gap):
            self._report("overfitting", epoch, (
                f"training accuracy is {train[-1]:.2f} but validation accuracy only "
                f"{val[-1]:.2f}: the network learns the training points by heart "
                "(over-fitting). Try more data, an L2 penalty (alpha), Dropout, a smaller "
                "network, or early stopping."))

    def _check_rising_val_loss(self, epoch: int, history) -> None:
        """Over-fitting by the losses, as a textbook defines it: the validation loss climbs
        while the training loss falls (it can climb while validation accuracy holds: the
        network grows confident on the points it gets wrong)."""
        val, train = history.val_loss, history.loss
        if len(val) <= self.patience or len(val) != len(train) or not all(
                map(math.isfinite, val)):
            return
        best = int(np.argmin(val))
        high = val[best] * (1 + self.overfit_rise)
        if len(val) - 1 - best < self.patience or not all(
                value > high for value in val[-self.patience:]):
            return
        # ... while the training loss fell, to well below the validation loss (a validation
        # loss that wanders around the training loss is noise, not a network learning by heart)
        if train[-1] >= train[best] or train[-1] * (1 + self.overfit_rise) >= val[-1]:
            return
        self._report("rising_val_loss", epoch, (
            f"the validation loss was lowest at epoch {best + 1} ({val[best]:.3g}) and has "
            f"risen to {val[-1]:.3g}, while the training loss fell from {train[best]:.3g} to "
            f"{train[-1]:.3g}: the network learns the training points by heart (over-fitting). "
            f"Try early stopping (fit's early_stopping=True keeps the weights of the best "
            f"epoch, here {best + 1}), an L2 penalty (alpha), or more data."))


def _arrays(layer: Layer, weights: str, biases: str) -> tuple[np.ndarray, np.ndarray]:
    """A layer's ``W`` and ``b`` (or ``dW``, ``db``); a normalisation's ``gamma`` and ``beta``
    (or their gradients), which play the same parts."""
    if isinstance(layer, (BatchNorm1D, BatchNorm2D, LayerNorm)):
        names = {"W": "gamma", "b": "beta", "dW": "dgamma", "db": "dbeta"}
        weights, biases = names[weights], names[biases]
    return getattr(layer, weights), getattr(layer, biases)


_WATCHED = (Dense, Conv2D, BatchNorm1D, BatchNorm2D, LayerNorm)  # the layers with per-layer numbers


def _walk(layers, found: list, relus: list, counts: dict, last: str | None) -> str | None:
    """Append ``(name, layer)`` to ``found`` for every layer with weights (``Dense 1``,
    ``Conv2D 1``, ``BatchNorm2D 1``, ...; inside residual blocks too) and ``(name, relu)`` to
    ``relus`` for every ReLU after one, named by the last such layer before it."""
    for layer in layers:
        if isinstance(layer, Residual):
            last = _walk(getattr(layer.block, "layers", [layer.block]), found, relus, counts,
                         last)
        elif isinstance(layer, _WATCHED):
            kind = type(layer).__name__
            counts[kind] = counts.get(kind, 0) + 1
            last = f"{kind} {counts[kind]}"
            found.append((last, layer))
        elif isinstance(layer, ReLU) and last is not None:
            relus.append((last, layer))
    return last


def _channels_never_positive(x: np.ndarray) -> np.ndarray:
    """``(C,)`` bool for ``x (n, C, ...)``: the channels with no positive entry anywhere (the
    dead units of a ReLU after a convolution: a filter whose output is never positive)."""
    return x.max(axis=(0, *range(2, x.ndim))) <= 0
