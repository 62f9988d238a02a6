"""scikit-learn's end of an epoch for the estimators: the ``StoppingRule`` handed to
``training.train_epochs`` (fitted attributes, validation scores, the stopping rule and the
'sgd' learning-rate schedules)."""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import TrainingDivergedError
from ..optimizers import InverseScalingLR
from ..training import BestWeights

_MIN_ADAPTIVE_LR = 1e-6  # scikit-learn's: 'adaptive' stops once the rate is this small


class EpochRule:
    """The estimator's ``StoppingRule`` (see ``training.train_epochs``): the end of an epoch as
    in scikit-learn's ``_fit_stochastic``.

    It updates the fitted attributes (``n_iter_``, ``t_``, ``loss_``, ``loss_curve_``, ...),
    scores the validation data with early stopping (accuracy, weighted by the held-out sample
    weights; the best epoch's weights are kept in ``best``), applies scikit-learn's rule
    (``_update_no_improvement_count``: an epoch improves when the training loss falls by at
    least ``tol`` below the best, or the validation score rises by at least ``tol`` above it;
    more than ``n_iter_no_change`` epochs in a row without improvement end training), and the
    'sgd' learning-rate schedules: 'invscaling' sets ``lr_0 / (t_ + 1) ** power_t`` after each
    epoch, with ``t_`` the samples seen over every call, and 'adaptive' divides the rate by 5
    instead of stopping, until it falls below 1e-6.

    ``est`` is the ``MLPClassifier`` or ``MLPRegressor`` being fitted. ``val`` is
    ``(X_val, targets_val, weights_val or None)`` or ``None``; the estimator
    scores it (``_validation_score``: accuracy for the classifier, R² for the regressor).

    A loss that overflows raises (``diverged``), except with validation data: then, as in
    scikit-learn, training goes on and the scores record it (R² becomes ``nan``); once the
    weights are no longer finite the run stops (``diverged_at`` is that epoch) and the caller
    restores the best epoch's weights.
    """

    def __init__(self, est: BaseEstimator, val, *, samples_per_epoch: float):
        self.est, self.val, self.samples_per_epoch = est, val, samples_per_epoch
        self.optimizer = est._optimizer
        sgd = est.solver == "sgd"
        self.adaptive = sgd and est.learning_rate == "adaptive"
        self.schedule = None
        if sgd and est.learning_rate == "invscaling":
            self.schedule = InverseScalingLR(self.optimizer, est.power_t)
            self.schedule.base_lr = est.learning_rate_init  # t_ counts samples over every call
        if val is not None:
            self.best = BestWeights(est.model_)
            self.val_loss = est._make_loss()
            self.best_key: tuple[float, float] | None = None
        self.stopped = False
        self.diverged_at: int | None = None

    def end_epoch(self, epoch: int, loss: float, accuracy: float) -> bool:
        est = self.est
        est.n_iter_ += 1
        est.loss_ = loss
        est.t_ += self.samples_per_epoch
        est.loss_curve_.append(loss)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
        if self.val is not None and not self._finite_weights():
            self._validation_improved(finite=False)  # recorded: nan for the regressor
            self.diverged_at, self.stopped = epoch, True
            return True
        improved = self._validation_improved() if self.val is not None else (
            self._loss_improved(loss))
        est._no_improvement_count = 0 if improved else est._no_improvement_count + 1
        if self.schedule is not None:
            self.optimizer.lr = self.schedule.lr_at(est.t_)  # lr_0 / (t + 1) ** power_t
        if est._no_improvement_count > est.n_iter_no_change:
            self.stopped = self._plateau()
        return self.stopped

    def _loss_improved(self, loss: float) -> bool:
        est = self.est
        if est.best_loss_ is None:  # warm start after a fit with validation
            est.best_loss_ = math.inf
        improved = loss <= est.best_loss_ - est.tol
        est.best_loss_ = min(est.best_loss_, loss)
        return improved

    def _finite_weights(self) -> bool:
        return all(np.isfinite(p).all() for p in self.best.params)

    def _validation_improved(self, finite: bool = True) -> bool:
        est = self.est
        X_val, targets, weights = self.val
        logits = est.model_.forward(X_val)
        est.val_loss_curve_.append(self.val_loss.forward(logits, targets))
        score = est._validation_score(logits, targets, weights)
        est.validation_scores_.append(score)
        # The best epoch: the highest score; among equal scores (accuracy moves in steps), the
        # lowest weighted validation loss, so a tie does not keep a barely-trained network.
        extra = () if weights is None else (weights,)
        key = (-score, self.val_loss.forward(logits, targets, *extra))
        if finite and (self.best_key is None or key < self.best_key):
            self.best_key, self.best.loss = key, math.inf
            self.best.offer(-score, est.n_iter_)
        if est.verbose:
            print(f"Validation score: {score:.6f}")
        improved = score >= est.best_validation_score_ + est.tol
        est.best_validation_score_ = max(est.best_validation_score_, score)
        return improved

    def _plateau(self) -> bool:
        """No improvement for too long: lower the rate ('adaptive') or stop (True)."""
        est = self.est
        what = "Validation score" if self.val is not None else "Training loss"
        message = (f"{what} did not improve more than tol={est.tol:f} for "
                   f"{est.n_iter_no_change} consecutive epochs.")
        if self.adaptive and self.optimizer.lr > _MIN_ADAPTIVE_LR:
            self.optimizer.lr /= 5
            est._no_improvement_count = 0
            if est.verbose:
                print(f"{message} Setting learning rate to {self.optimizer.lr:f}")
            return False
        if est.verbose:
            print(f"{message} Stopping.")
        return True

    def diverged(self, value: float, epoch: int) -> TrainingDivergedError | None:
        """The error to raise; None with validation data (train on, as scikit-learn)."""
        return None if self.val is not None else self.est._diverged(value, epoch)
