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

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._available_if import available_if
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .layers import Dense, stable_sigmoid
from .layers import activation as make_activation
from .losses import BinaryCrossEntropy, SoftmaxCrossEntropy
from .model import Sequential
from .optimizers import SGD, Adam, InverseScalingLR
from .training import TrainingDivergedError, _BestWeights, add_l2_penalty

_ACTIVATIONS = ("identity", "logistic", "tanh", "relu", "leaky_relu")
_SOLVERS = ("sgd", "adam")
_LEARNING_RATES = ("constant", "invscaling", "adaptive")
_MIN_ADAPTIVE_LR = 1e-6  # scikit-learn's: 'adaptive' stops once the rate is this small


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
    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu'}, default='relu'
        Activation of the hidden layers. ``'leaky_relu'`` (slope 0.01) is scratchnn's
        addition.
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
                isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0
                for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be a positive int or a tuple of positive "
                             f"ints, got {self.hidden_layer_sizes!r}")
        self._hidden = [int(s) for s in sizes]
        _choice("activation", self.activation, _ACTIVATIONS)
        if self.solver == "lbfgs":
            raise ValueError("solver='lbfgs' is not available in scratchnn; use 'adam' or 'sgd'")
        _choice("solver", self.solver, _SOLVERS)
        _choice("learning_rate", self.learning_rate, _LEARNING_RATES)
        _number("alpha", self.alpha, low=0)
        if not (self.batch_size == "auto" or (isinstance(self.batch_size, numbers.Integral)
                                              and not isinstance(self.batch_size, bool)
                                              and self.batch_size >= 1)):
            raise ValueError(f"batch_size must be 'auto' or a positive int, got "
                             f"{self.batch_size!r}")
        _number("learning_rate_init", self.learning_rate_init, low=0, strict=True)
        _number("power_t", self.power_t, low=0)
        _integer("max_iter", self.max_iter)
        _integer("n_iter_no_change", self.n_iter_no_change)
        _integer("n_init", self.n_init)
        _number("tol", self.tol, low=0)
        _number("momentum", self.momentum, low=0, high=1)
        _number("validation_fraction", self.validation_fraction, low=0, high=1,
                strict=bool(self.early_stopping))  # 0 is fine when nothing is held out
        _number("beta_1", self.beta_1, low=0, high=1)
        _number("beta_2", self.beta_2, low=0, high=1)
        _number("epsilon", self.epsilon, low=0, strict=True)
        for name in ("shuffle", "warm_start", "nesterovs_momentum", "early_stopping"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if not isinstance(self.verbose, (bool, np.bool_, numbers.Integral)):
            raise ValueError(f"verbose must be a bool or an int, got {self.verbose!r}")
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
        factor = 2.0 if self.activation == "logistic" else 6.0
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
        """Epochs of minibatch training, with scikit-learn's stopping rule. ``split`` is
        ``(train_rows, validation_rows)`` with early stopping, else ``None``."""
        model, dtype = self.model_, self.model_.dtype
        binary = self.n_outputs_ == 1
        loss = BinaryCrossEntropy() if binary else SoftmaxCrossEntropy()
        y = y_index.astype(dtype).reshape(-1, 1) if binary else y_index
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer()
        optimizer = self._optimizer
        if not hasattr(self, "_no_improvement_count"):  # e.g. a model loaded from a file
            self._no_improvement_count = 0
        sgd = self.solver == "sgd"
        schedule = None
        if sgd and self.learning_rate == "invscaling":
            schedule = InverseScalingLR(optimizer, self.power_t)
            schedule.base_lr = self.learning_rate_init  # t_ counts samples over every call

        early = self.early_stopping
        if early:
            train_rows, val_rows = split
            X_val, y_val = X[val_rows], y[val_rows]
            w_val = None if sample_weight is None else sample_weight[val_rows]
            val_index = y_index[val_rows]
            X, y = X[train_rows], y[train_rows]
            sample_weight = None if sample_weight is None else sample_weight[train_rows]
            val_loss = BinaryCrossEntropy() if binary else SoftmaxCrossEntropy()
            best = _BestWeights(model)
            if self.validation_scores_ is None:  # warm start after a fit without validation
                self.validation_scores_, self.val_loss_curve_ = [], []
                self.best_validation_score_ = -math.inf
        n = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn(f"batch_size={self.batch_size} is larger than the {n} training "
                              "samples; it is clipped to the full batch", stacklevel=3)
            batch_size = min(self.batch_size, n)
        shuffle = self.shuffle and batch_size < n
        if shuffle:  # each epoch gathers a shuffled copy once; batches are then plain slices
            X_all, y_all, w_all = X, y, sample_weight
            X, y = np.empty_like(X_all), np.empty_like(y_all)
            sample_weight = None if w_all is None else np.empty_like(w_all)
        starts = range(0, n, batch_size)
        total_weight = None if sample_weight is None else float(sample_weight.sum())
        alpha = float(self.alpha)

        self.n_iter_ = 0
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is caught via the loss
            for _ in range(self.max_iter):
                if shuffle:
                    order = rng.permutation(n)
                    np.take(X_all, order, axis=0, out=X)
                    np.take(y_all, order, axis=0, out=y)
                    if w_all is not None:
                        np.take(w_all, order, out=sample_weight)
                total = 0.0
                for start in starts:
                    stop = start + batch_size
                    X_batch, y_batch = X[start:stop], y[start:stop]
                    logits = model.forward(X_batch)
                    if sample_weight is None:
                        value = loss.forward(logits, y_batch)
                        weight = X_batch.shape[0]
                    else:
                        w_batch = sample_weight[start:stop]
                        value = loss.forward(logits, y_batch, w_batch)
                        weight = float(w_batch.sum())
                    model.backward(loss.backward(), input_grad=False)
                    if alpha:
                        value += add_l2_penalty(model, alpha, weight)
                    if not math.isfinite(value):
                        raise self._diverged(value)
                    optimizer.step()
                    total += value * X_batch.shape[0]

                self.n_iter_ += 1
                self.loss_ = total / n
                self.t_ += n if sample_weight is None else total_weight
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
                if early:
                    logits = model.forward(X_val)
                    self.val_loss_curve_.append(val_loss.forward(logits, y_val))
                    predicted = (logits[:, 0] > 0) if binary else logits.argmax(axis=1)
                    correct = (predicted == val_index).astype(dtype)
                    score = float(np.average(correct, weights=w_val))
                    self.validation_scores_.append(score)
                    if self.verbose:
                        print(f"Validation score: {score:.6f}")
                    improved = score >= self.best_validation_score_ + self.tol
                    self.best_validation_score_ = max(self.best_validation_score_, score)
                    best.offer(-score, self.n_iter_)
                else:
                    if self.best_loss_ is None:  # warm start after a fit with validation
                        self.best_loss_ = math.inf
                    improved = self.loss_ <= self.best_loss_ - self.tol
                    self.best_loss_ = min(self.best_loss_, self.loss_)
                self._no_improvement_count = 0 if improved else self._no_improvement_count + 1
                if schedule is not None:
                    optimizer.lr = schedule.lr_at(self.t_)  # lr_0 / (t + 1) ** power_t

                if self._no_improvement_count > self.n_iter_no_change:
                    what = "Validation score" if early else "Training loss"
                    message = (f"{what} did not improve more than tol={self.tol:f} for "
                               f"{self.n_iter_no_change} consecutive epochs.")
                    if sgd and self.learning_rate == "adaptive" and (
                            optimizer.lr > _MIN_ADAPTIVE_LR):
                        optimizer.lr /= 5
                        self._no_improvement_count = 0
                        if self.verbose:
                            print(f"{message} Setting learning rate to {optimizer.lr:f}")
                    else:
                        if self.verbose:
                            print(f"{message} Stopping.")
                        break
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                                  "reached and the optimization hasn't converged yet.",
                                  ConvergenceWarning, stacklevel=3)
        if early:
            best.restore()

    def _diverged(self, value: float) -> TrainingDivergedError:
        return TrainingDivergedError(
            f"the training loss became {value} at epoch {self.n_iter_ + 1}: the learning rate "
            f"({self.learning_rate_init:g}) is probably too high or the features are on very "
            "different scales; lower learning_rate_init or put a StandardScaler before the "
            "classifier")


def _glorot_uniform(n_in: int, n_out: int, rng: np.random.Generator, dtype, *,
                    factor: float) -> np.ndarray:
    """scikit-learn's initialisation: U(-b, b) with ``b = sqrt(factor / (n_in + n_out))``."""
    bound = math.sqrt(factor / (n_in + n_out))
    return rng.uniform(-bound, bound, (n_in, n_out)).astype(dtype)


def _choice(name: str, value, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


def _number(name: str, value, *, low: float, high: float | None = None,
            strict: bool = False) -> None:
    """``value`` must be a real number ``>= low`` (``> low`` if ``strict``) and ``< high``."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if strict else value >= low) and (high is None or value < high)
    if not ok:
        bound = f"in {'(' if strict else '['}{low}, {high})" if high is not None else (
            f"{'>' if strict else '>='} {low}")
        raise ValueError(f"{name} must be a number {bound}, got {value!r}")


def _integer(name: str, value) -> None:
    if not (isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1):
        raise ValueError(f"{name} must be a positive int, got {value!r}")
