"""``MLPClassifier``: scratchnn's core wearing scikit-learn's estimator interface.

The numerics are scratchnn's own (``Sequential``, ``Dense``, the activations, the losses
from logits, ``SGD`` / ``Adam``); scikit-learn provides only the estimator base classes,
input validation and label checks. Names, defaults, fitted attributes and the stopping rule
follow ``sklearn.neural_network.MLPClassifier``, so it can replace it in a ``Pipeline``,
``GridSearchCV`` or ``cross_val_score``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable
from functools import partial
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._params import (
    BOOLEAN,
    NON_NEGATIVE,
    POSITIVE_INT,
    POSITIVE_NUMBER,
    Integral,
    Interval,
    Real,
    StrOptions,
    check,
    validate,
)
from .layers import ACTIVATIONS, Dense, Sigmoid, stable_sigmoid
from .layers import activation as make_activation
from .losses import BinaryCrossEntropy, SoftmaxCrossEntropy
from .model import Sequential
from .optimizers import SGD, Adam, InverseScalingLR
from .persistence import ModelFileError
from .training import Batches, BestWeights, TrainingDivergedError, train_epochs

_MIN_ADAPTIVE_LR = 1e-6  # scikit-learn's: 'adaptive' stops once the rate is this small
_FRACTION = Interval(Real, 0, 1, closed="left")  # in [0, 1)

# What each parameter may be (see scratchnn._params), in scikit-learn's spirit; checked by
# MLPClassifier._validate_params in this order. hidden_layer_sizes, dtype and random_state
# have checks of their own.
_PARAMETER_RULES = {
    "activation": [StrOptions(*ACTIVATIONS)],  # the names scratchnn.layers knows
    "solver": [StrOptions("sgd", "adam")],
    "learning_rate": [StrOptions("constant", "invscaling", "adaptive")],
    "alpha": [NON_NEGATIVE],
    "batch_size": [StrOptions("auto"), POSITIVE_INT],
    "learning_rate_init": [POSITIVE_NUMBER],
    "power_t": [NON_NEGATIVE],
    "max_iter": [POSITIVE_INT],
    "n_iter_no_change": [POSITIVE_INT],
    "n_init": [POSITIVE_INT],
    "tol": [NON_NEGATIVE],
    "momentum": [_FRACTION],
    "validation_fraction": [_FRACTION],  # (0, 1) with early_stopping: checked below
    "beta_1": [_FRACTION],
    "beta_2": [_FRACTION],
    "epsilon": [POSITIVE_NUMBER],
    "shuffle": [BOOLEAN],
    "warm_start": [BOOLEAN],
    "nesterovs_momentum": [BOOLEAN],
    "early_stopping": [BOOLEAN],
    "verbose": [BOOLEAN, Interval(Integral, None, None, closed="neither")],
}


def _partial_fit_available(estimator) -> bool:
    """``partial_fit`` exists only without early stopping (one epoch at a time leaves nothing
    to stop early), as scikit-learn refuses it there too."""
    return not estimator.early_stopping


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron classifier trained by scratchnn's own backpropagation.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier` (solvers ``'sgd'`` and
    ``'adam'``), built on :class:`scratchnn.Sequential`: ``Dense`` layers with an activation
    between them and a linear output read by a loss that takes logits (binary cross-entropy
    with one output for two classes, softmax cross-entropy for more).

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(100,)
        The ``i``-th element is the number of units in the ``i``-th hidden layer. An empty
        tuple gives no hidden layer (logistic regression).
    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'sigmoid'}, default='relu'
        Activation of the hidden layers (any name in ``scratchnn.layers.ACTIVATIONS``).
        ``'leaky_relu'`` (slope 0.01) and ``'sigmoid'`` (another name for ``'logistic'``) are
        scratchnn's additions.
    solver : {'sgd', 'adam'}, default='adam'
        The weight optimizer. ``'lbfgs'`` is not provided.
    alpha : float, default=0.0001
        Strength of the L2 penalty ``0.5 * alpha * ||W||^2 / batch_weight`` (biases are not
        penalised), as in scikit-learn.
    batch_size : int or 'auto', default='auto'
        Size of the minibatches; ``'auto'`` means ``min(200, n_samples)``. Values above the
        number of samples are clipped (with a warning).
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule for ``solver='sgd'`` (ignored by Adam). ``'invscaling'`` uses
        ``learning_rate_init / (t + 1) ** power_t`` with ``t`` the number of samples seen;
        ``'adaptive'`` divides the rate by 5 each time the stopping criterion is met instead of
        stopping, until it falls below 1e-6.
    learning_rate_init : float, default=0.001
        The initial learning rate.
    power_t : float, default=0.5
        Exponent of the ``'invscaling'`` schedule.
    max_iter : int, default=200
        Maximum number of epochs (passes over the training data).
    shuffle : bool, default=True
        Reshuffle the samples each epoch (only matters with more than one batch).
    random_state : int, RandomState instance, Generator or None, default=None
        Seeds the weight initialisation, the shuffling and the validation split.
        Pass an int for reproducible results.
    tol : float, default=1e-4
        Training stops when the training loss (or, with ``early_stopping``, the validation
        accuracy) has not improved by at least ``tol`` for ``n_iter_no_change`` epochs.
    verbose : bool, default=False
        Print the loss (and validation score) after every epoch.
    warm_start : bool, default=False
        Reuse the weights of the previous ``fit`` as the starting point.
    momentum : float, default=0.9
        Momentum of ``solver='sgd'``, in ``[0, 1)``.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with ``solver='sgd'`` and ``momentum > 0``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified; identical rows
        stay on the same side), stop when its accuracy stops improving and restore the weights
        of the best epoch.
    validation_fraction : float, default=0.1
        Fraction of the training data held out with ``early_stopping``, in ``(0, 1)``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates of the first and second moment estimates, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Adam's numerical-stability constant.
    n_iter_no_change : int, default=10
        Number of epochs without an improvement of ``tol`` before stopping.
    n_init : int, default=1
        Train from this many random initialisations and keep the best run (lowest final
        training loss, or highest best validation accuracy with ``early_stopping``). A few
        restarts rescue small networks that get stuck.
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Floating-point type of the weights and the computation. ``float32`` is faster.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    coefs_ : list of ndarray, length n_layers_ - 1
        ``coefs_[i]`` has shape ``(units in layer i, units in layer i + 1)``.
    intercepts_ : list of ndarray, length n_layers_ - 1
        ``intercepts_[i]`` has shape ``(units in layer i + 1,)``.
    model_ : scratchnn.Sequential
        The trained network (its ``Dense`` weights are the arrays in ``coefs_`` and
        ``intercepts_``). It outputs logits: ``predict_proba`` applies the sigmoid/softmax.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` was a DataFrame with string column names.
    n_iter_ : int
        Number of epochs run by the last call of ``fit`` / ``partial_fit``.
    t_ : int or float
        Number of training samples seen over all calls, each counted by its sample weight
        (so ``'invscaling'`` treats a weight of 2 like a repeated sample).
    loss_ : float
        Training loss (including the L2 term) of the last epoch.
    loss_curve_ : list of float
        Training loss after every epoch.
    best_loss_ : float or None
        Lowest training loss reached; ``None`` with ``early_stopping``.
    validation_scores_ : list of float or None
        Validation accuracy after every epoch with ``early_stopping``, else ``None``.
    best_validation_score_ : float or None
        Best validation accuracy with ``early_stopping``, else ``None``.
    val_loss_curve_ : list of float or None
        Validation loss (no L2 term) after every epoch with ``early_stopping``, else ``None``.
    out_activation_ : str
        ``'logistic'`` for two classes, ``'softmax'`` for more.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of outputs: 1 for two classes, else the number of classes.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : the estimator this one mirrors.
    scratchnn.fit : the training loop for a ``Sequential`` without scikit-learn.

    Notes
    -----
    Weights are initialised as in scikit-learn (Glorot uniform, bound
    ``sqrt(6 / (fan_in + fan_out))``, ``sqrt(2 / ...)`` for the logistic activation), but
    drawn from a NumPy ``Generator``, so the numbers differ from scikit-learn's for the same
    ``random_state``. SGD and Adam follow PyTorch's update rules, which match scikit-learn's
    for a constant learning rate (Adam's ``epsilon`` enters after the bias correction).
    Samples with zero weight are dropped before training, so a zero weight is exactly the
    same as leaving the sample out.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from scratchnn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(),
    ...                     MLPClassifier((16,), max_iter=300, random_state=0)).fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, n_init=1,
                 dtype=np.float64):
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
        self.n_init = n_init
        self.dtype = dtype

    # --- public API ------------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X (n_samples, n_features)`` and labels ``y (n_samples,)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels (any sortable, hashable values: ints, strings, {-1, 1}, ...).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights: the loss becomes the weighted mean over samples, as in
            scikit-learn. Zero-weight samples are left out.

        Returns
        -------
        self : MLPClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_partial_fit_available)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over ``(X, y)``, continuing from the current weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
        classes : array-like of shape (n_classes,), default=None
            Every class label that will ever be seen; required on the first call.

        Returns
        -------
        self : MLPClassifier
        """
        if not hasattr(self, "classes_") or not hasattr(self, "model_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit "
                                 "(every label that will ever be seen)")
            self._partial_fit_classes = unique_labels(classes)
        elif classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
            raise ValueError(f"classes={unique_labels(classes).tolist()} is not the same as "
                             f"the first call's classes {self.classes_.tolist()}")
        return self._fit(X, y, sample_weight, incremental=True)

    def predict_proba(self, X):
        """Class probabilities ``(n_samples, n_classes)``, columns ordered as ``classes_``."""
        z = self._logits(X)
        if z.shape[1] == 1:
            p = stable_sigmoid(z[:, 0])
            return np.column_stack([1 - p, p])
        z -= z.max(axis=1, keepdims=True)
        with np.errstate(under="ignore"):
            np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def predict_log_proba(self, X):
        """Log of the class probabilities ``(n_samples, n_classes)``, computed stably from
        the logits (no ``log(0)`` for confident predictions)."""
        z = self._logits(X)
        if z.shape[1] == 1:
            return np.column_stack([-np.logaddexp(0, z[:, 0]), -np.logaddexp(0, -z[:, 0])])
        z -= z.max(axis=1, keepdims=True)
        with np.errstate(under="ignore"):
            z -= np.log(np.exp(z).sum(axis=1, keepdims=True))
        return z

    def predict(self, X):
        """Predicted labels ``(n_samples,)``, values from ``classes_``."""
        z = self._logits(X)
        index = (z[:, 0] > 0).astype(np.intp) if z.shape[1] == 1 else z.argmax(axis=1)
        return self.classes_[index]

    # --- input checks ------------------------------------------------------------------------

    def _validate_params(self) -> None:
        """Check every parameter, raising a ``ValueError`` that names it and the fix."""
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else sizes
        if not isinstance(sizes, Iterable) or isinstance(sizes, str) or not all(
                POSITIVE_INT.accepts(s) for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be a positive int or a tuple of positive "
                             f"ints, got {self.hidden_layer_sizes!r}")
        self._hidden = [int(s) for s in sizes]
        if self.solver == "lbfgs":
            raise ValueError("solver='lbfgs' is not available in scratchnn; use 'adam' or 'sgd'")
        validate(_PARAMETER_RULES, self.get_params(deep=False))
        if self.early_stopping:  # something must be held out
            check("validation_fraction", self.validation_fraction,
                  [Interval(Real, 0, 1, closed="neither")])
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            dtype = None
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be numpy.float32 or numpy.float64, got {self.dtype!r}")
        self._dtype = dtype

    def _random_generator(self) -> np.random.Generator:
        """A ``np.random.Generator`` from ``random_state`` (int, None, RandomState, Generator)."""
        state = self.random_state
        if state is None or isinstance(state, numbers.Integral):
            return np.random.default_rng(None if state is None else int(state))
        if isinstance(state, np.random.Generator):
            return state
        if isinstance(state, np.random.RandomState):
            return np.random.default_rng(state.randint(np.iinfo(np.int32).max))
        raise ValueError(f"random_state must be None, an int, a RandomState or a Generator, "
                         f"got {state!r}")

    def _logits(self, X) -> np.ndarray:
        """Validated ``X (n, n_features_in_)`` -> logits ``(n, n_outputs_)`` (a fresh array)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=self.model_.dtype)
        return self.model_.forward(X)

    # --- training ----------------------------------------------------------------------------

    def _fit(self, X, y, sample_weight, incremental: bool):
        self._validate_params()
        first_pass = not hasattr(self, "model_") or (not self.warm_start and not incremental)
        X, y = validate_data(self, X, y, reset=first_pass, dtype=self._dtype)
        check_classification_targets(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                                 ensure_non_negative=True)
            keep = sample_weight > 0
            if not keep.any():  # (scikit-learn >= 1.8 says so itself; older versions do not)
                raise ValueError("sample_weight is zero for every sample; give at least one "
                                 "sample a positive weight")
            if not keep.all():  # a zero weight means "not there": drop the sample
                X, y, sample_weight = X[keep], y[keep], sample_weight[keep]
        y_index = self._encode_labels(y, first_pass, incremental)
        rng = self._random_generator()
        split = self._validation_split(X, y_index, rng) if self.early_stopping else None

        if not first_pass:
            self._train(X, y_index, sample_weight, rng, incremental, split)
            return self
        best_state, best_score = None, -math.inf
        for _ in range(self.n_init):
            self._initialize(X.shape[1], rng)
            self._train(X, y_index, sample_weight, rng, incremental, split)
            score = self.best_validation_score_ if self.early_stopping else -self.loss_
            if best_state is None or score > best_score:
                best_state, best_score = dict(self.__dict__), score
        self.__dict__.update(best_state)
        return self

    def _encode_labels(self, y: np.ndarray, first_pass: bool, incremental: bool) -> np.ndarray:
        """Set or check ``classes_``; return ``y`` as indices into ``classes_``."""
        present = unique_labels(y)
        if first_pass:
            classes = self.__dict__.pop("_partial_fit_classes", None) if incremental else None
            classes = present if classes is None else classes
            if len(classes) < 2:
                raise ValueError(f"MLPClassifier needs samples of at least 2 classes, got 1 "
                                 f"class: {classes.tolist()}")
            self.classes_ = classes
        elif self.warm_start and not incremental and set(present) != set(self.classes_):
            raise ValueError(f"warm_start needs y with the same classes as the previous fit: "
                             f"got {present.tolist()}, previously {self.classes_.tolist()}")
        missing = np.setdiff1d(present, self.classes_)
        if missing.size:
            raise ValueError(f"y has classes {missing.tolist()} that are not in classes_ "
                             f"{self.classes_.tolist()}; pass every class to the first "
                             "partial_fit call")
        return np.searchsorted(self.classes_, y)

    def _initialize(self, n_features: int, rng: np.random.Generator) -> None:
        """A fresh network and fresh training records."""
        n_classes = len(self.classes_)
        n_out = 1 if n_classes == 2 else n_classes
        sizes = [n_features, *self._hidden, n_out]
        factor = 2.0 if ACTIVATIONS[self.activation] is Sigmoid else 6.0
        init = partial(_glorot_uniform, factor=factor)  # a partial pickles; a closure does not
        layers = []
        for i in range(len(sizes) - 1):
            dense = Dense(sizes[i], sizes[i + 1], rng=rng, init=init, dtype=self._dtype)
            bound = math.sqrt(factor / (sizes[i] + sizes[i + 1]))
            dense.b[...] = rng.uniform(-bound, bound, sizes[i + 1])
            layers.append(dense)
            if i < len(sizes) - 2:
                layers.append(make_activation(self.activation))
        self._set_model(Sequential(layers))
        self.out_activation_ = "logistic" if n_out == 1 else "softmax"
        self.n_layers_ = len(sizes)
        self.n_outputs_ = n_out
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self._no_improvement_count = 0
        self.__dict__.pop("_optimizer", None)
        if self.early_stopping:
            self.validation_scores_, self.val_loss_curve_ = [], []
            self.best_validation_score_, self.best_loss_ = -math.inf, None
        else:
            self.validation_scores_ = self.val_loss_curve_ = self.best_validation_score_ = None
            self.best_loss_ = math.inf

    def _set_model(self, model: Sequential) -> None:
        """Adopt ``model``: ``coefs_`` and ``intercepts_`` are its ``Dense`` arrays."""
        self.model_ = model
        self.coefs_ = [layer.W for layer in model.dense_layers]
        self.intercepts_ = [layer.b for layer in model.dense_layers]

    def _make_optimizer(self):
        params = self.model_.parameters()
        if self.solver == "adam":
            return Adam(params, lr=self.learning_rate_init, betas=(self.beta_1, self.beta_2),
                        eps=self.epsilon)
        return SGD(params, lr=self.learning_rate_init, momentum=self.momentum,
                   nesterov=bool(self.nesterovs_momentum and self.momentum > 0))

    def _validation_split(self, X, y, rng) -> tuple[np.ndarray, np.ndarray]:
        """Row indices ``(train, validation)``: about ``validation_fraction`` of the distinct
        ``(row, label)`` pairs of each class are held out, so a repeated sample never sits on
        both sides (and weighting a sample is the same as repeating it)."""
        keys = np.column_stack([X, y.astype(X.dtype)])
        _, group = np.unique(keys, axis=0, return_inverse=True)
        group = group.ravel()
        n_groups = int(group.max()) + 1
        group_label = np.empty(n_groups, dtype=y.dtype)
        group_label[group] = y
        order = rng.permutation(n_groups)
        held = []
        for label in np.unique(group_label):
            members = order[group_label[order] == label]
            k = min(round(self.validation_fraction * members.size), members.size - 1)
            held.append(members[:k])
        held = np.concatenate(held)
        if held.size == 0:
            sizes = np.bincount(group_label)
            label = int(np.argmax(sizes))
            if sizes[label] < 2:
                raise ValueError("early_stopping needs at least 2 distinct samples of some "
                                 "class to hold one out for validation; add data or set "
                                 "early_stopping=False")
            held = order[group_label[order] == label][:1]
        in_val = np.isin(group, held)
        return np.flatnonzero(~in_val), np.flatnonzero(in_val)

    def _train(self, X, y_index, sample_weight, rng, incremental: bool, split) -> None:
        """Epochs of minibatch training (one with ``incremental``) through the shared loop,
        ``training.train_epochs``, with scikit-learn's end of an epoch (``_EpochRule``).
        ``split`` is ``(train_rows, validation_rows)`` with early stopping, else ``None``."""
        model, dtype = self.model_, self.model_.dtype
        binary = self.n_outputs_ == 1
        loss = BinaryCrossEntropy() if binary else SoftmaxCrossEntropy()
        y = y_index.astype(dtype).reshape(-1, 1) if binary else y_index
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer()
        if not hasattr(self, "_no_improvement_count"):  # e.g. a model loaded from a file
            self._no_improvement_count = 0
        val = None
        if self.early_stopping:
            train_rows, val_rows = split
            w_val = None if sample_weight is None else sample_weight[val_rows]
            val = (X[val_rows], y[val_rows], y_index[val_rows], w_val)
            X, y = X[train_rows], y[train_rows]
            sample_weight = None if sample_weight is None else sample_weight[train_rows]
            if self.validation_scores_ is None:  # warm start after a fit without validation
                self.validation_scores_, self.val_loss_curve_ = [], []
                self.best_validation_score_ = -math.inf
        # Each epoch gathers a shuffled copy once (gather=True); batches are then plain slices.
        batches = Batches(X, y, sample_weight, batch_size=self._batch_size(X.shape[0]),
                          shuffle=self.shuffle, rng=rng, gather=True)
        rule = _EpochRule(self, val, samples_per_epoch=X.shape[0] if sample_weight is None
                          else float(sample_weight.sum()))
        self.n_iter_ = 0
        train_epochs(model, loss, self._optimizer, batches, rule,
                     max_epochs=1 if incremental else self.max_iter, alpha=float(self.alpha))
        if not (incremental or rule.stopped):
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                          "reached and the optimization hasn't converged yet.",
                          ConvergenceWarning, stacklevel=3)
        if val is not None:
            rule.best.restore()

    def _batch_size(self, n: int) -> int:
        """``batch_size`` for ``n`` training samples: ``'auto'`` is ``min(200, n)``; larger
        values are clipped to ``n`` with a warning."""
        if self.batch_size == "auto":
            return min(200, n)
        if self.batch_size > n:
            warnings.warn(f"batch_size={self.batch_size} is larger than the {n} training "
                          "samples; it is clipped to the full batch", stacklevel=4)
        return min(self.batch_size, n)

    def _diverged(self, value: float, epoch: int) -> TrainingDivergedError:
        return TrainingDivergedError(
            f"the training loss became {value} at epoch {epoch}: the learning rate "
            f"({self.learning_rate_init:g}) is probably too high or the features are on very "
            "different scales; lower learning_rate_init or put a StandardScaler before the "
            "classifier")


class _EpochRule:
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

    ``val`` is ``(X_val, y_val, labels_val, weights_val or None)`` or ``None``.
    """

    def __init__(self, est: MLPClassifier, val, *, samples_per_epoch: float):
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
            self.val_loss = BinaryCrossEntropy() if est.n_outputs_ == 1 else SoftmaxCrossEntropy()
        self.stopped = False

    def end_epoch(self, epoch: int, loss: float, accuracy: float) -> bool:
        est = self.est
        est.n_iter_ += 1
        est.loss_ = loss
        est.t_ += self.samples_per_epoch
        est.loss_curve_.append(loss)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
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

    def _validation_improved(self) -> bool:
        est = self.est
        X_val, y_val, labels, weights = self.val
        logits = est.model_.forward(X_val)
        est.val_loss_curve_.append(self.val_loss.forward(logits, y_val))
        predicted = (logits[:, 0] > 0) if logits.shape[1] == 1 else logits.argmax(axis=1)
        correct = (predicted == labels).astype(logits.dtype)
        score = float(np.average(correct, weights=weights))
        est.validation_scores_.append(score)
        if est.verbose:
            print(f"Validation score: {score:.6f}")
        improved = score >= est.best_validation_score_ + est.tol
        est.best_validation_score_ = max(est.best_validation_score_, score)
        self.best.offer(-score, est.n_iter_)
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

    def diverged(self, value: float, epoch: int) -> TrainingDivergedError:
        return self.est._diverged(value, epoch)


def _glorot_uniform(n_in: int, n_out: int, rng: np.random.Generator, dtype, *,
                    factor: float) -> np.ndarray:
    """scikit-learn's initialisation: U(-b, b) with ``b = sqrt(factor / (n_in + n_out))``."""
    bound = math.sqrt(factor / (n_in + n_out))
    return rng.uniform(-bound, bound, (n_in, n_out)).astype(dtype)


# --- saving and loading (the model-file format itself is scratchnn.persistence's) ---------------
# persistence.save / load call describe_estimator / restore_estimator: the header's "estimator"
# section holds the parameters, the classes and the fitted attributes below; the weights are
# the file's arrays, as for any Sequential.

_FITTED_SCALARS = ("n_features_in_", "n_iter_", "t_", "loss_", "best_loss_",
                   "best_validation_score_", "out_activation_", "n_layers_", "n_outputs_")
_FITTED_LISTS = ("loss_curve_", "validation_scores_", "val_loss_curve_")
_FLOAT_DTYPES = {"float32": np.float32, "float64": np.float64}


def _json_value(value: Any, what: str) -> Any:
    """A NumPy scalar as the matching Python scalar; refuses anything JSON cannot hold."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise ValueError(f"{what} contains the non-finite number {value!r}, which a model "
                             "file cannot store")
        return float(value)
    if isinstance(value, (str, np.str_)):
        return str(value)
    if value is None:
        return None
    raise TypeError(f"{what} contains {value!r} of type {type(value).__name__}; a model file "
                    "stores only ints, floats, strings, bools and None")


def _encode_classes(classes: np.ndarray) -> dict:
    """Class labels as JSON values that keep their type: ints stay ints, strings strings."""
    classes = np.asarray(classes)
    values = [_json_value(c, "classes_") for c in classes.tolist()]
    return {"dtype": classes.dtype.str if classes.dtype != object else "object",
            "values": values}


def _decode_classes(encoded: Any) -> np.ndarray:
    if not (isinstance(encoded, dict) and isinstance(encoded.get("values"), list)
            and isinstance(encoded.get("dtype"), str)):
        raise ModelFileError("the header's classes are malformed: expected "
                             '{"dtype": ..., "values": [...]}')
    values = encoded["values"]
    if not values or not all(isinstance(v, (bool, int, float, str)) for v in values):
        raise ModelFileError("the header's class labels must be a non-empty list of ints, "
                             "floats, strings or bools")
    try:
        dtype = np.dtype(encoded["dtype"]) if encoded["dtype"] != "object" else np.dtype(object)
        if dtype.kind not in "biufUO":
            raise TypeError(dtype)
        return np.array(values, dtype=dtype)
    except (TypeError, ValueError):
        raise ModelFileError(f"the header's classes have an unusable dtype "
                             f"{encoded['dtype']!r}") from None


def describe_estimator(est: MLPClassifier) -> dict:
    """The JSON-ready ``{"params", "classes", "fitted"}`` of a fitted estimator, for a model
    file's header. Raises ``ValueError`` if it is not fitted, ``TypeError`` / ``ValueError``
    for a parameter a file cannot hold."""
    if not hasattr(est, "model_"):
        raise ValueError("this MLPClassifier is not fitted yet: call fit(X, y) before saving it")
    params = {}
    for name, value in est.get_params(deep=False).items():
        if name == "dtype":
            value = np.dtype(value).name
        elif name == "hidden_layer_sizes":
            params[name] = [int(v) for v in np.atleast_1d(value)]
            continue
        elif name == "random_state" and not (value is None or isinstance(value, (int, np.integer))):
            value = None  # a Generator/RandomState cannot be stored; the weights are what matter
        params[name] = _json_value(value, f"parameter {name}")
    fitted: dict[str, Any] = {name: _json_value(getattr(est, name, None), name)
                              for name in _FITTED_SCALARS}
    for name in _FITTED_LISTS:
        values = getattr(est, name, None)
        fitted[name] = None if values is None else [_json_value(v, name) for v in values]
    names = getattr(est, "feature_names_in_", None)
    fitted["feature_names_in_"] = None if names is None else [str(v) for v in names]
    return {"params": params, "classes": _encode_classes(est.classes_), "fitted": fitted}


def restore_estimator(info: Any, model: Sequential) -> MLPClassifier:
    """A fitted ``MLPClassifier`` from a header's estimator section (``describe_estimator``'s
    output, read back) and the network rebuilt from the file's arrays. Raises
    ``ModelFileError`` when the two do not fit together."""
    if not (isinstance(info, dict) and isinstance(info.get("params"), dict)
            and isinstance(info.get("fitted"), dict)):
        raise ModelFileError("the header's estimator section is malformed: expected params, "
                             "classes and fitted")
    params = dict(info["params"])
    if params.get("dtype") in _FLOAT_DTYPES:
        params["dtype"] = _FLOAT_DTYPES[params["dtype"]]
    if isinstance(params.get("hidden_layer_sizes"), list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    try:
        est = MLPClassifier(**params)
    except TypeError as error:
        raise ModelFileError(f"the header's estimator parameters do not fit this version of "
                             f"MLPClassifier: {error}") from None
    classes = _decode_classes(info.get("classes"))
    fitted = info["fitted"]
    _check_architecture(params, model)
    expected_outputs = 1 if len(classes) == 2 else len(classes)
    if model.n_outputs != expected_outputs or fitted.get("n_features_in_") != model.n_inputs:
        raise ModelFileError(f"the network ({model.n_inputs} inputs, {model.n_outputs} outputs) "
                             f"does not fit the header's {fitted.get('n_features_in_')} features "
                             f"and {len(classes)} classes")
    est.classes_ = classes
    for name in (*_FITTED_SCALARS, *_FITTED_LISTS):
        value = fitted.get(name)
        if value is not None or name in ("best_loss_", "validation_scores_",
                                         "best_validation_score_", "val_loss_curve_"):
            setattr(est, name, value)
    names = fitted.get("feature_names_in_")
    if names is not None:
        est.feature_names_in_ = np.array(names, dtype=object)
    est._set_model(model)
    return est


def _check_architecture(params: dict, model: Sequential) -> None:
    """The layers must be what the estimator's parameters build: Dense layers of
    ``hidden_layer_sizes`` with ``activation`` between them and none after the last."""
    hidden = params.get("hidden_layer_sizes")
    hidden = [hidden] if isinstance(hidden, int) else hidden
    name = params.get("activation")
    layer = ACTIVATIONS.get(name) if isinstance(name, str) else None
    kind = None if layer is None else layer.__name__
    sizes = [d.n_out for d in model.dense_layers[:-1]]
    kinds = [type(layer).__name__ for layer in model.layers]
    expected = ["Dense", *([kind, "Dense"] * len(sizes))]
    if kind is None or not isinstance(hidden, (list, tuple)) or list(hidden) != sizes or (
            kinds != expected):
        raise ModelFileError(f"the layers {kinds} do not match the estimator's parameters "
                             f"hidden_layer_sizes={hidden!r}, activation={name!r}")
