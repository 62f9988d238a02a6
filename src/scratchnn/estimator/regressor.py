"""``MLPRegressor``: scratchnn's network wearing scikit-learn's regressor interface (one or
several targets; squared, absolute, Huber or Poisson loss)."""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path
from typing import ClassVar

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import validate_data

from .._params import POSITIVE_NUMBER, StrOptions
from ..losses import HuberLoss, Loss, MeanAbsoluteError, PoissonNLLLoss
from ..metrics import r2_score
from ._base import _BaseMLP, _partial_fit_available


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor trained by scratchnn's own backpropagation.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor`: the same parameters, defaults
    and fitted attributes, on :class:`scratchnn.Sequential` (``Dense`` layers with an
    activation between them and an identity output). ``score`` is R²; ``y`` may have several
    columns (a 1-D ``y``, or one column, gives 1-D predictions).

    Parameters
    ----------
    loss : {'squared_error', 'absolute_error', 'huber', 'poisson'}, default='squared_error'
        ``'squared_error'`` is scikit-learn's ``0.5 * mean((y - y_pred)^2)`` (so
        ``loss_curve_`` is comparable with scikit-learn's). scratchnn adds
        ``'absolute_error'`` (:class:`scratchnn.MeanAbsoluteError`), ``'huber'``
        (:class:`scratchnn.HuberLoss` with ``huber_delta``) and ``'poisson'``
        (:class:`scratchnn.PoissonNLLLoss`: the network outputs the log of the rate and
        ``predict`` returns ``exp`` of it; targets must be >= 0). scikit-learn's ``'poisson'``
        is the half deviance, which differs from this one by a constant per sample.
    hidden_layer_sizes : int or tuple of int, default=(100,)
        Units in each hidden layer; an empty tuple gives linear regression.
    activation : str or tuple of str, default='relu'
        Activation of the hidden layers ('identity', 'logistic', 'tanh', 'relu',
        'leaky_relu', 'sigmoid'), or one name per hidden layer.
    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        The weight optimizer; ``'lbfgs'`` is full-batch L-BFGS-B from SciPy.
    alpha, batch_size, learning_rate, learning_rate_init, power_t, max_iter, shuffle, \
random_state, tol, verbose, warm_start, momentum, nesterovs_momentum, validation_fraction, \
beta_1, beta_2, epsilon, n_iter_no_change, max_fun, n_init, dtype
        As for :class:`scratchnn.MLPClassifier`.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (identical samples stay on the
        same side), stop when its R² stops improving by ``tol`` and restore the best weights.
    huber_delta : float, default=1.0
        Where ``loss='huber'`` turns from squared to linear (PyTorch's ``delta``).

    Attributes
    ----------
    coefs_, intercepts_, model_, n_features_in_, feature_names_in_, n_iter_, t_, loss_, \
loss_curve_, best_loss_, n_layers_
        As for :class:`scratchnn.MLPClassifier`.
    validation_scores_ : list of float or None
        Validation R² after every epoch with ``early_stopping``, else ``None``.
    best_validation_score_ : float or None
        Best validation R² with ``early_stopping``, else ``None``.
    val_loss_curve_ : list of float or None
        Validation loss (no L2 term) after every epoch with ``early_stopping``, else ``None``.
    n_outputs_ : int
        Number of targets.
    out_activation_ : str
        ``'identity'`` (``'exp'`` for ``loss='poisson'``).

    Notes
    -----
    Threads: as :class:`scratchnn.MLPClassifier`, no thread of its own; the environment
    variable ``SCRATCHNN_BLAS_THREADS=n`` limits the BLAS threads of ``fit``, ``partial_fit``
    and ``predict`` to ``n`` (1 for searches that train several models at once).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from scratchnn import MLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(16,),
    ...                     solver="lbfgs", alpha=1.0, random_state=0)).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _EXTRA_RULES: ClassVar[dict] = {
        "loss": [StrOptions("squared_error", "absolute_error", "huber", "poisson")],
        "huber_delta": [POSITIVE_NUMBER],
    }

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 n_init=1, dtype=None, huber_delta=1.0):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.n_init = n_init
        self.dtype = dtype
        self.huber_delta = huber_delta

    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X (n_samples, n_features)`` and targets ``y (n_samples,)`` or
        ``(n_samples, n_targets)``; ``sample_weight (n_samples,)`` weighs the loss.

        Returns
        -------
        self : MLPRegressor
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_partial_fit_available)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current weights.

        Returns
        -------
        self : MLPRegressor
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predictions ``(n_samples,)`` for one target, else ``(n_samples, n_outputs_)``."""
        out = self._inverse_link(self._logits(X))
        return out.ravel() if out.shape[1] == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.target_tags.positive_only = self.loss == "poisson"
        tags.input_tags.sparse = True
        return tags

    # --- what a regressor trains on --------------------------------------------------------

    def _inverse_link(self, z: np.ndarray) -> np.ndarray:
        """Network output -> prediction: ``exp`` for Poisson (the log link), else itself."""
        if self.loss == "poisson":
            with np.errstate(over="ignore"):
                return np.exp(z)
        return z

    def _validate_training_data(self, X, y, first_pass: bool):
        X, y = validate_data(self, X, y, reset=first_pass, multi_output=True, y_numeric=True,
                             dtype=self._fit_dtype(first_pass), accept_sparse=["csr"])
        self._train_dtype = X.dtype
        return X, y

    def _targets(self, y, first_pass: bool, incremental: bool):
        """``(targets (n, n_outputs), None)``: regression has no classes to stratify on."""
        y = np.asarray(y, dtype=self._train_dtype)
        y = y.reshape(y.shape[0], -1)
        if not first_pass and y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y.shape[1]} targets, but the regressor was fitted on "
                             f"{self.n_outputs_}")
        if self.loss == "poisson" and (y < 0).any():
            raise ValueError("loss='poisson' needs non-negative targets (counts or rates); "
                             "use another loss for targets below zero")
        if first_pass and self.loss != "poisson" and self.solver != "lbfgs":
            _warn_if_far_from_unit_scale(y)
        return y, None

    def _n_outputs_for(self, targets) -> int:
        return targets.shape[1]

    def _out_activation(self, n_out: int) -> str:
        return "exp" if self.loss == "poisson" else "identity"

    def _make_loss(self):
        if self.loss == "absolute_error":
            return MeanAbsoluteError()
        if self.loss == "huber":
            return HuberLoss(float(self.huber_delta))
        if self.loss == "poisson":
            return PoissonNLLLoss()
        return _HalfSquaredError()

    def _validation_score(self, logits, targets, weights) -> float:
        """R² of the predictions (weighted by ``weights``), as scikit-learn's early stopping:
        ``nan`` when a prediction is not finite (the weights diverged)."""
        predicted = self._inverse_link(logits)
        if not np.isfinite(predicted).all():
            return math.nan
        return r2_score(targets, predicted, weights)


# Targets whose mean or standard deviation exceeds this are "far from unit scale".
FAR_FROM_UNIT = 10.0


def _warn_if_far_from_unit_scale(y: np.ndarray) -> None:
    """Warn (once per ``fit``) when targets ``y (n, k)`` are far from unit scale.

    The network's output starts near 0 with a spread near 1, and with 'adam' or 'sgd' the
    weights move by about the learning rate per step: targets such as diabetes' (mean 152,
    standard deviation 77) take thousands of epochs to reach, and a network stopped earlier
    scores an R² below 0 (about -3.6 at the defaults). ('lbfgs' takes steps of any size, so
    it is not warned about.) scikit-learn's ``MLPRegressor`` does not scale the targets either;
    this one keeps its behaviour (and its parity) and says what to do instead of scaling in
    secret: a ``TransformedTargetRegressor`` scales and unscales the targets for any regressor.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = np.mean(y, axis=0), np.std(y, axis=0)
    size = np.maximum(np.abs(mean), std)
    if not np.isfinite(size).all() or size.max() <= FAR_FROM_UNIT:
        return
    j = int(np.argmax(size))
    which = f"target {j} has" if y.shape[1] > 1 else "targets have"
    warnings.warn(f"MLPRegressor: the {which} mean {mean[j]:.4g} and standard deviation "
                  f"{std[j]:.4g}, far from unit scale; the network starts near 0 and learns "
                  "such targets slowly (R² can stay below 0). Scale them: "
                  "TransformedTargetRegressor(regressor=MLPRegressor(...), "
                  "transformer=StandardScaler()) from sklearn.compose, or fit on "
                  "(y - y.mean()) / y.std()", UserWarning, stacklevel=_user_frame())


def _user_frame() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside scratchnn (the
    user's ``fit``), however many of the library's own frames lie between."""
    package = str(Path(__file__).resolve().parents[1])
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


class _HalfSquaredError(Loss):
    """scikit-learn's ``squared_loss``: ``0.5 * mean((z - y)^2)`` over all elements (the
    weighted mean over samples of the mean over outputs, with ``sample_weight``). Shapes:
    ``z, y (n, k)``; ``dL/dz = (z - y) / z.size``, or ``(z - y) w_i / (sum(w) k)``."""

    def forward(self, logits: np.ndarray, y: np.ndarray, sample_weight=None) -> float:
        self.diff = logits - y
        if sample_weight is None:
            self.w = None
            return 0.5 * float(np.dot(self.diff.ravel(), self.diff.ravel())) / self.diff.size
        self.w = (sample_weight / sample_weight.sum() / self.diff.shape[1]).reshape(-1, 1)
        return 0.5 * float(np.sum(self.diff * self.diff * self.w))

    def backward(self) -> np.ndarray:
        return self.diff / self.diff.size if self.w is None else self.diff * self.w
