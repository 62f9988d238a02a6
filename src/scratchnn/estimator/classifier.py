"""``MLPClassifier``: scratchnn's network wearing scikit-learn's classifier interface (binary,
multiclass and multilabel ``y``)."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import validate_data

from .._params import POSITIVE_NUMBER, check
from ..functional import sigmoid, softmax, softplus
from ..losses import BinaryCrossEntropy, Loss, SoftmaxCrossEntropy
from ._base import _BaseMLP, _partial_fit_available


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier trained by scratchnn's own backpropagation.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier` (solvers ``'lbfgs'``,
    ``'sgd'`` and ``'adam'``), built on :class:`scratchnn.Sequential`: ``Dense`` layers with
    an activation between them and a linear output read by a loss that takes logits (binary
    cross-entropy with one output for two classes, softmax cross-entropy for more, independent
    sigmoids for a multilabel indicator ``y``).

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(100,)
        The ``i``-th element is the number of units in the ``i``-th hidden layer. An empty
        tuple gives no hidden layer (logistic regression).
    activation : str or tuple of str, default='relu'
        Activation of the hidden layers (any name in ``scratchnn.layers.ACTIVATIONS``:
        'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'sigmoid'), or one name per
        hidden layer. ``'leaky_relu'`` (slope 0.01), ``'sigmoid'`` (another name for
        ``'logistic'``) and per-layer names are scratchnn's additions.
    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        The weight optimizer. ``'lbfgs'`` (full batch, SciPy's L-BFGS-B) suits small data
        sets: it converges reliably where the stochastic solvers need many epochs.
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
        Maximum number of epochs (passes over the training data); for ``'lbfgs'`` the
        maximum number of iterations.
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
    n_iter_no_change : int or numpy.inf, default=10
        Number of epochs without an improvement of ``tol`` before stopping (``numpy.inf``:
        never stop for that reason).
    max_fun : int, default=15000
        ``'lbfgs'`` only: the maximum number of loss evaluations.
    n_init : int, default=1
        Train from this many random initialisations and keep the best run (lowest final
        training loss, or highest best validation accuracy with ``early_stopping``). A few
        restarts rescue small networks that get stuck.
    dtype : {None, numpy.float64, numpy.float32}, default=None
        Floating-point type of the weights and the computation. ``None`` follows ``X``:
        float32 for float32 data (as scikit-learn), float64 otherwise. ``float32`` is faster.
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into the sample weights: ``{label: weight}``
        (missing labels weigh 1), or ``'balanced'``: ``n_samples / (n_classes * count)``.
        Not for multilabel ``y``. A scratchnn addition (scikit-learn's issue #9113).

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
        Number of epochs run by the last call of ``fit`` / ``partial_fit`` (iterations for
        ``'lbfgs'``).
    t_ : int or float
        Number of training samples seen over all calls, each counted by its sample weight
        (so ``'invscaling'`` treats a weight of 2 like a repeated sample).
    loss_ : float
        Training loss (including the L2 term) of the last epoch.
    loss_curve_ : list of float
        Training loss after every epoch (after every iteration for ``'lbfgs'``).
    best_loss_ : float or None
        Lowest training loss reached; ``None`` with ``early_stopping`` or ``'lbfgs'``.
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

    Threads: the estimator starts no thread of its own. Its matrix products run on NumPy's
    BLAS library, which by default uses one thread per core: good for one model, bad for a
    search that trains several at once (two trials with two threads each on two cores ran a
    small product many times slower here). Set the environment variable
    ``SCRATCHNN_BLAS_THREADS`` to a positive integer ``n`` and ``fit``, ``partial_fit`` and the
    predictions run with at most ``n`` BLAS threads (``threadpoolctl.threadpool_limits``; the
    previous limit comes back after the call). joblib's process workers and Dask's worker
    processes already limit BLAS threads themselves; the docs page "Many models on many
    machines" says which search needs what.

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
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 n_init=1, dtype=None, class_weight=None):
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
        self.class_weight = class_weight

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
        """Class probabilities ``(n_samples, n_classes)``, columns ordered as ``classes_``
        (for a multilabel ``y``: each label's own probability). Each probability is computed
        from the logits on its own (for two classes ``sigmoid(-z)`` and ``sigmoid(z)``, not
        ``1 - p``), so a small one keeps its digits instead of rounding to 0."""
        return self._probabilities(self._logits(X))

    def predict_log_proba(self, X):
        """``log(predict_proba(X))`` ``(n_samples, n_classes)``: the log of the very numbers
        ``predict_proba`` returns, so their order and ties agree (a probability rounded to 1
        has log 0). A probability below the smallest float (about 1e-323) is 0, and its log
        ``-inf``, as in scikit-learn; ``scratchnn.functional.log_softmax`` (or
        ``log_sigmoid``) of the logits, ``activations(X)[-1]``, gives such logs finite."""
        with np.errstate(divide="ignore"):
            return np.log(self._probabilities(self._logits(X)))

    def _probabilities(self, z: np.ndarray) -> np.ndarray:
        """Logits ``(n, n_outputs_)`` -> probabilities ``(n, n_classes)``."""
        if len(self.classes_) == 1:  # fitted on one class: it is certain
            return np.ones((z.shape[0], 1), dtype=z.dtype)
        if self._multilabel:
            return sigmoid(z)
        if z.shape[1] == 1:  # two classes: each column from the logit
            return sigmoid(np.column_stack([-z[:, 0], z[:, 0]]))
        return softmax(z)

    def predict(self, X):
        """Predicted labels ``(n_samples,)``, values from ``classes_`` (a 0/1 indicator
        ``(n_samples, n_labels)`` for a multilabel ``y``)."""
        z = self._logits(X)
        if self._multilabel:
            return (z > 0).astype(np.int64)
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, z.shape[0])
        index = (z[:, 0] > 0).astype(np.intp) if z.shape[1] == 1 else z.argmax(axis=1)
        return self.classes_[index]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = True
        return tags

    # --- what a classifier trains on -------------------------------------------------------

    @property
    def _multilabel(self) -> bool:
        """Fitted on a 2-D 0/1 indicator ``y``: one sigmoid output per label."""
        return self.out_activation_ == "logistic" and self.n_outputs_ > 1

    def _validate_training_data(self, X, y, first_pass: bool):
        X, y = validate_data(self, X, y, reset=first_pass, multi_output=True,
                             dtype=self._fit_dtype(first_pass), accept_sparse=["csr"])
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected; it is "
                          "used as y.ravel()", DataConversionWarning, stacklevel=4)
            y = y.ravel()
        check_classification_targets(y)
        self._y_type = type_of_target(y)
        self._train_dtype = X.dtype
        return X, y

    def _targets(self, y, first_pass: bool, incremental: bool):
        """``(targets for the loss, class index per sample or None)``."""
        dtype = self._train_dtype
        if self._y_type == "multilabel-indicator":
            if first_pass:
                self.classes_ = np.arange(y.shape[1])
            elif y.shape[1] != len(self.classes_) or not self._multilabel:
                raise ValueError(f"y has {y.shape[1]} labels, the fitted classifier "
                                 f"{len(self.classes_)}")
            return y.astype(dtype), None
        if not first_pass and self._multilabel:
            raise ValueError("this classifier was fitted on a multilabel indicator y; pass one "
                             "of the same shape")
        y_index = self._encode_labels(y, first_pass, incremental)
        if len(self.classes_) <= 2:
            return y_index.astype(dtype).reshape(-1, 1), y_index
        return y_index, y_index

    def _n_outputs_for(self, targets) -> int:
        if targets.ndim == 2 and targets.shape[1] > 1:  # multilabel
            return targets.shape[1]
        return 1 if len(self.classes_) <= 2 else len(self.classes_)

    def _out_activation(self, n_out: int) -> str:
        multilabel = self._y_type == "multilabel-indicator"
        return "logistic" if n_out == 1 or multilabel else "softmax"

    def _make_loss(self):
        if self._multilabel:
            return _SummedBinaryCrossEntropy()
        return BinaryCrossEntropy() if self.n_outputs_ == 1 else SoftmaxCrossEntropy()

    def _validation_score(self, logits, targets, weights) -> float:
        """Accuracy (weighted by ``weights``; subset accuracy for multilabel)."""
        if self._multilabel:
            correct = ((logits > 0) == (targets > 0.5)).all(axis=1)
        else:
            predicted = (logits[:, 0] > 0) if logits.shape[1] == 1 else logits.argmax(axis=1)
            labels = targets[:, 0] if targets.ndim == 2 else targets
            correct = predicted == labels
        return float(np.average(correct.astype(logits.dtype), weights=weights))

    def _weight_classes(self, sample_weight, strata):
        """``sample_weight`` (``None``: all 1) times ``class_weight`` of each sample's class."""
        if self.class_weight is None:
            return sample_weight
        if strata is None:
            raise ValueError("class_weight is not supported for multilabel y; pass "
                             "sample_weight instead")
        n_classes = len(self.classes_)
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            counts = np.bincount(strata, minlength=n_classes).astype(np.float64)
            per_class = strata.size / (np.count_nonzero(counts) * np.maximum(counts, 1))
        elif isinstance(self.class_weight, dict):
            unknown = [c for c in self.class_weight if c not in set(self.classes_.tolist())]
            if unknown:
                raise ValueError(f"class_weight names classes {unknown} that are not in y's "
                                 f"classes {self.classes_.tolist()}")
            per_class = np.array([check(f"class_weight[{c!r}]", self.class_weight.get(c, 1.0),
                                        [POSITIVE_NUMBER]) for c in self.classes_.tolist()],
                                 dtype=np.float64)
        else:
            raise ValueError(f"class_weight must be None, 'balanced' or a dict {{label: "
                             f"weight}}, got {self.class_weight!r}")
        weights = per_class[strata].astype(self._train_dtype)
        return weights if sample_weight is None else weights * sample_weight

    def _encode_labels(self, y: np.ndarray, first_pass: bool, incremental: bool) -> np.ndarray:
        """Set or check ``classes_``; return ``y`` as indices into ``classes_``."""
        present = unique_labels(y)
        if first_pass:
            classes = self.__dict__.pop("_partial_fit_classes", None) if incremental else None
            self.classes_ = present if classes is None else classes
        elif self.warm_start and not incremental and set(present) != set(self.classes_):
            raise ValueError("warm_start can only be used where `y` has the same classes as in "
                             f"the previous call to fit. Previously got {self.classes_}, `y` "
                             f"has {present}")
        missing = np.setdiff1d(present, self.classes_)
        if missing.size:
            raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                             f"{self.classes_}. 'y' has {present}.")
        return np.searchsorted(self.classes_, y)


class _SummedBinaryCrossEntropy(Loss):
    """Binary cross-entropy from logits for a multilabel ``y (n, k)`` of 0/1, scaled as
    scikit-learn's: summed over the ``k`` labels, (weighted) mean over samples. Gradient
    ``(sigmoid(z) - y) w_i / sum(w)`` (``w_i = 1`` without weights)."""

    def forward(self, logits: np.ndarray, y: np.ndarray, sample_weight=None) -> float:
        n = logits.shape[0]
        self.z, self.y = logits, y
        self.w = (np.full((n, 1), 1 / n, logits.dtype) if sample_weight is None
                  else (sample_weight / sample_weight.sum()).reshape(-1, 1))
        per_element = softplus(logits) - y * logits
        return float(np.sum(per_element * self.w))

    def backward(self) -> np.ndarray:
        return (sigmoid(self.z) - self.y) * self.w
