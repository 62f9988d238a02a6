"""``MLPClassifier`` and ``MLPRegressor``: scratchnn's core wearing scikit-learn's estimator
interface.

The numerics are scratchnn's own (``Sequential``, ``Dense``, the activations, the losses
from logits, ``SGD`` / ``Adam``; L-BFGS is SciPy's ``minimize`` on the flat parameter vector);
scikit-learn provides only the estimator base classes, input validation and label checks.
Names, defaults, fitted attributes and the stopping rule follow ``sklearn.neural_network``, so
either can replace scikit-learn's in a ``Pipeline``, ``GridSearchCV`` or ``cross_val_score``.
Both share ``_BaseMLP``: one network builder, one epoch loop (``training.train_epochs``).
"""

from __future__ import annotations

import contextlib
import math
import numbers
import warnings
from collections.abc import Iterable
from functools import partial
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
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
from ._workspace import join_views
from .layers import ACTIVATIONS, Dense, Sigmoid, stable_sigmoid
from .layers import activation as make_activation
from .losses import (
    BinaryCrossEntropy,
    HuberLoss,
    Loss,
    MeanAbsoluteError,
    PoissonNLLLoss,
    SoftmaxCrossEntropy,
)
from .metrics import r2_score
from .model import Sequential
from .optimizers import SGD, Adam, InverseScalingLR
from .persistence import ModelFileError
from .training import Batches, BestWeights, TrainingDivergedError, add_l2_penalty, train_epochs

_MIN_ADAPTIVE_LR = 1e-6  # scikit-learn's: 'adaptive' stops once the rate is this small
_FRACTION = Interval(Real, 0, 1, closed="left")  # in [0, 1)


class _Infinity:
    """The constraint "``math.inf`` / ``numpy.inf``" (``n_iter_no_change=np.inf``: never stop
    for lack of improvement, as scikit-learn documents)."""

    def accepts(self, value: Any) -> bool:
        return isinstance(value, Real) and not isinstance(value, (bool, np.bool_)) and (
            value == math.inf)

    def __str__(self) -> str:
        return "numpy.inf"


# What each parameter may be (see scratchnn._params), in scikit-learn's spirit; checked by
# _validate_params in this order. hidden_layer_sizes, dtype, random_state and class_weight have
# checks of their own; each estimator adds its own rows (_EXTRA_RULES).
_PARAMETER_RULES = {
    "activation": [StrOptions(*ACTIVATIONS)],  # the names scratchnn.layers knows
    "solver": [StrOptions("lbfgs", "sgd", "adam")],
    "learning_rate": [StrOptions("constant", "invscaling", "adaptive")],
    "alpha": [NON_NEGATIVE],
    "batch_size": [StrOptions("auto"), POSITIVE_INT],
    "learning_rate_init": [POSITIVE_NUMBER],
    "power_t": [NON_NEGATIVE],
    "max_iter": [POSITIVE_INT],
    "max_fun": [POSITIVE_INT],
    "n_iter_no_change": [POSITIVE_INT, _Infinity()],
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
    """``partial_fit`` exists for the stochastic solvers only: L-BFGS sees the whole data set
    at once, so there is no "one more epoch" (``hasattr(est, "partial_fit")`` is False), as in
    scikit-learn. With ``early_stopping`` the method exists and raises a ``ValueError``, also as
    in scikit-learn: one epoch at a time cannot hold data out."""
    if estimator.solver == "lbfgs":
        raise AttributeError("partial_fit is only available for stochastic optimizers; "
                             "solver='lbfgs' is not stochastic")
    return True


class _BaseMLP(BaseEstimator):
    """What ``MLPClassifier`` and ``MLPRegressor`` share: parameter checks, the network, the
    stochastic solvers through ``training.train_epochs`` (one epoch loop for the library),
    L-BFGS through ``scipy.optimize.minimize`` on the flat parameter vector, restarts
    (``n_init``), early stopping and the per-layer ``activations``.

    A subclass says what the targets are (``_targets``), which loss reads the network's output
    (``_make_loss``), how validation data is scored (``_validation_score``) and what the output
    activation is called (``_out_activation``).
    """

    _EXTRA_RULES: ClassVar[dict] = {}

    # --- public API ------------------------------------------------------------------------

    def activations(self, X) -> list[np.ndarray]:
        """Every layer's output for ``X (n_samples, n_features)``: one array
        ``(n_samples, units)`` per hidden layer (after its activation), then the network's
        output ``(n_samples, n_outputs_)`` before the output activation (logits / the log-rate
        for ``loss='poisson'``)."""
        check_is_fitted(self)
        out = validate_data(self, X, reset=False, dtype=self.model_.dtype,
                            accept_sparse=["csr", "csc"])
        model, result = self.model_, []
        was_training = model.training
        model.eval()
        try:
            for i, layer in enumerate(model.layers):
                out = layer.forward(out)
                if not isinstance(layer, Dense) or i == len(model.layers) - 1:
                    result.append(out.copy())
        finally:
            model.train(was_training)
            model.release()
        return result

    # --- input checks ------------------------------------------------------------------------

    def _validate_params(self) -> None:
        """Check every parameter, raising a ``ValueError`` that names it and the fix."""
        loss = getattr(self, "loss", "squared_error")
        if isinstance(loss, (numbers.Integral, tuple, list)):  # MLPRegressor((16,)) by habit
            raise ValueError(f"loss must be one of 'squared_error', 'absolute_error', 'huber', "
                             f"'poisson', got {loss!r}; loss is the first positional parameter "
                             f"(as in scikit-learn), so pass hidden_layer_sizes by name: "
                             f"MLPRegressor(hidden_layer_sizes={loss!r})")
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else sizes
        if not isinstance(sizes, Iterable) or isinstance(sizes, str) or not all(
                POSITIVE_INT.accepts(s) for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be a positive int or a tuple of positive "
                             f"ints, got {self.hidden_layer_sizes!r}")
        self._hidden = [int(s) for s in sizes]
        params = self.get_params(deep=False)
        validate(self._EXTRA_RULES, params)
        activation = self.activation
        if isinstance(activation, (tuple, list)):  # one name per hidden layer
            if len(activation) != len(self._hidden):
                raise ValueError(f"activation has {len(activation)} names but there are "
                                 f"{len(self._hidden)} hidden layers; give one per layer or a "
                                 "single name")
            for name in activation:
                check("activation", name, _PARAMETER_RULES["activation"])
            params["activation"] = "relu"  # checked just now
        validate(_PARAMETER_RULES, params)
        if self.early_stopping:  # something must be held out
            check("validation_fraction", self.validation_fraction,
                  [Interval(Real, 0, 1, closed="neither")])
        self._dtype = None
        if self.dtype is not None:
            with contextlib.suppress(TypeError):
                self._dtype = np.dtype(self.dtype)
            if self._dtype not in (np.float32, np.float64):
                raise ValueError(f"dtype must be None, numpy.float32 or numpy.float64, got "
                                 f"{self.dtype!r}")

    def _layer_activations(self) -> list[str]:
        """The activation name of each hidden layer."""
        if isinstance(self.activation, (tuple, list)):
            return list(self.activation)
        return [self.activation] * len(self._hidden)

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
        """Validated ``X (n, n_features_in_)`` -> network output ``(n, n_outputs_)`` (a fresh
        array). Sparse ``X`` (CSR/CSC): the first product is sparse, the rest dense."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=self.model_.dtype,
                          accept_sparse=["csr", "csc"])
        return self.model_.predict_logits(X)  # in chunks: a fixed working set for any n

    def _fit_dtype(self, first_pass: bool):
        """The dtype to train in: ``dtype`` if given; else float32 for float32 ``X`` and float64
        otherwise (as scikit-learn); a network that continues training keeps its own."""
        if self._dtype is not None:
            return self._dtype
        if not first_pass:
            return self.model_.dtype
        return [np.float64, np.float32]

    def _checked_weights(self, sample_weight, X, y):
        """``(X, y, weights or None)`` with zero-weight samples dropped."""
        if sample_weight is None:
            return X, y, None
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                             ensure_non_negative=True)
        keep = sample_weight > 0
        if not keep.any():  # (scikit-learn >= 1.8 says so itself; older versions do not)
            raise ValueError("sample_weight is zero for every sample; give at least one "
                             "sample a positive weight")
        if not keep.all():  # a zero weight means "not there": drop the sample
            X, y, sample_weight = X[keep], y[keep], sample_weight[keep]
        return X, y, sample_weight

    # --- training ----------------------------------------------------------------------------

    def _fit(self, X, y, sample_weight, incremental: bool):
        self._validate_params()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        first_pass = not hasattr(self, "model_") or (not self.warm_start and not incremental)
        X, y = self._validate_training_data(X, y, first_pass)
        X, y, sample_weight = self._checked_weights(sample_weight, X, y)
        targets, strata = self._targets(y, first_pass, incremental)
        rng = self._random_generator()
        split = None
        if self.early_stopping and self.solver != "lbfgs":
            split = self._validation_split(X, targets, strata, sample_weight, rng)
        sample_weight = self._weight_classes(sample_weight, strata)
        if not first_pass:
            self._run(X, targets, sample_weight, rng, incremental, split)
            self.model_.release()
            return self
        best_state, best_score = None, -math.inf
        for _ in range(self.n_init):
            self._initialize(X.shape[1], self._n_outputs_for(targets), rng)
            self._run(X, targets, sample_weight, rng, incremental, split)
            score = self.best_validation_score_ if split is not None else -self.loss_
            if best_state is None or score > best_score:
                best_state, best_score = dict(self.__dict__), score
        self.__dict__.update(best_state)
        self.model_.release()  # the training batches' buffers and last inputs: not kept
        return self

    def _weight_classes(self, sample_weight, strata):
        """The sample weights (``None``: all 1) times the class weights; the classifier's
        ``class_weight`` (this base has none)."""
        return sample_weight

    def _run(self, X, targets, sample_weight, rng, incremental: bool, split) -> None:
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, targets, sample_weight)
        else:
            self._train(X, targets, sample_weight, rng, incremental, split)

    def _initialize(self, n_features: int, n_out: int, rng: np.random.Generator) -> None:
        """A fresh network and fresh training records."""
        sizes = [n_features, *self._hidden, n_out]
        names = self._layer_activations()
        layers = []
        for i in range(len(sizes) - 1):
            # scikit-learn's Glorot factor: 2 before a logistic layer (and for the output
            # layer of a logistic network), 6 otherwise
            name = self.activation if isinstance(self.activation, str) else names[
                min(i, len(names) - 1)]
            factor = 2.0 if ACTIVATIONS[name] is Sigmoid else 6.0
            init = partial(_glorot_uniform, factor=factor)  # a partial pickles; a closure not
            dense = Dense(sizes[i], sizes[i + 1], rng=rng, init=init, dtype=self._train_dtype)
            bound = math.sqrt(factor / (sizes[i] + sizes[i + 1]))
            dense.b[...] = rng.uniform(-bound, bound, sizes[i + 1])
            layers.append(dense)
            if i < len(sizes) - 2:
                layers.append(make_activation(names[i]))
        self._set_model(Sequential(layers))
        self.out_activation_ = self._out_activation(n_out)
        self.n_layers_ = len(sizes)
        self.n_outputs_ = n_out
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self._no_improvement_count = 0
        self.__dict__.pop("_optimizer", None)
        if self.early_stopping and self.solver != "lbfgs":
            self.validation_scores_, self.val_loss_curve_ = [], []
            self.best_validation_score_, self.best_loss_ = -math.inf, None
        else:
            self.validation_scores_ = self.val_loss_curve_ = self.best_validation_score_ = None
            self.best_loss_ = math.inf if self.solver != "lbfgs" else None

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

    def _validation_split(self, X, targets, strata, sample_weight,
                          rng) -> tuple[np.ndarray, np.ndarray]:
        """Row indices ``(train, validation)``: about ``validation_fraction`` of the distinct
        ``(row, target)`` pairs (of each class, when ``strata`` gives classes) are held out, so
        a repeated sample never sits on both sides (and weighting a sample is the same as
        repeating it). A class needs two members (a weight of 2 counts as two), as
        scikit-learn's stratified split."""
        n = X.shape[0]
        if n < 2:
            raise ValueError("early_stopping needs at least 2 samples to hold one out for "
                             "validation, got 1 sample; add data or set early_stopping=False")
        labels = np.zeros(n, np.intp) if strata is None else strata
        if strata is not None:
            counts = np.bincount(strata).astype(np.float64)
            if sample_weight is not None:
                counts = np.maximum(counts, np.bincount(strata, weights=sample_weight))
            if counts[counts > 0].min() < 2:
                few = self.classes_[(counts > 0) & (counts < 2)].tolist()
                raise ValueError("The least populated classes in y have only 1 member, which "
                                 "is too few. The minimum number of groups for any class "
                                 "cannot be less than 2. Classes with too few members are: "
                                 f"{few}; add samples or set early_stopping=False")
        dense = X.toarray() if hasattr(X, "toarray") else X  # sparse X: compare rows densely
        keys = np.column_stack([dense, targets.reshape(n, -1).astype(X.dtype)])
        _, group = np.unique(keys, axis=0, return_inverse=True)
        group = group.ravel()
        n_groups = int(group.max()) + 1
        group_label = np.empty(n_groups, dtype=labels.dtype)
        group_label[group] = labels
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
                raise ValueError(f"early_stopping needs at least 2 distinct samples to hold "
                                 f"one out for validation, got {n_groups} sample"
                                 f"{'s' if n_groups > 1 else ''}; add data or set "
                                 "early_stopping=False")
            held = order[group_label[order] == label][:1]
        in_val = np.isin(group, held)
        return np.flatnonzero(~in_val), np.flatnonzero(in_val)

    def _train(self, X, targets, sample_weight, rng, incremental: bool, split) -> None:
        """Epochs of minibatch training (one with ``incremental``) through the shared loop,
        ``training.train_epochs``, with scikit-learn's end of an epoch (``_EpochRule``).
        ``split`` is ``(train_rows, validation_rows)`` with early stopping, else ``None``."""
        model = self.model_
        loss = self._make_loss()
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer()
        if not hasattr(self, "_no_improvement_count"):  # e.g. a model loaded from a file
            self._no_improvement_count = 0
        val = None
        if split is not None:
            train_rows, val_rows = split
            w_val = None if sample_weight is None else sample_weight[val_rows]
            val = (X[val_rows], targets[val_rows], w_val)
            X, targets = X[train_rows], targets[train_rows]
            sample_weight = None if sample_weight is None else sample_weight[train_rows]
            if self.validation_scores_ is None:  # warm start after a fit without validation
                self.validation_scores_, self.val_loss_curve_ = [], []
                self.best_validation_score_ = -math.inf
        # Each epoch gathers a shuffled copy once (gather=True); batches are then plain slices.
        # A sparse X is indexed batch by batch instead (it has no preallocated copy).
        batches = Batches(X, targets, sample_weight, batch_size=self._batch_size(X.shape[0]),
                          shuffle=self.shuffle, rng=rng, gather=isinstance(X, np.ndarray))
        rule = _EpochRule(self, val, samples_per_epoch=X.shape[0] if sample_weight is None
                          else float(sample_weight.sum()))
        self.n_iter_ = 0
        train_epochs(model, loss, self._optimizer, batches, rule,
                     max_epochs=1 if incremental else self.max_iter, alpha=float(self.alpha))
        if not (incremental or rule.stopped):
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                          "reached and the optimization hasn't converged yet.",
                          ConvergenceWarning, stacklevel=5)
        if val is not None:
            rule.best.restore()

    def _fit_lbfgs(self, X, targets, sample_weight) -> None:
        """Full-batch L-BFGS (``scipy.optimize.minimize(method="L-BFGS-B")``) on the flat
        parameter vector, as scikit-learn's ``_fit_lbfgs``: ``maxiter=max_iter``,
        ``maxfun=max_fun``, ``gtol=tol``. ``loss_curve_`` gets the loss after every iteration.

        ``Sequential`` keeps every parameter in one vector and every gradient in another, so
        the objective is: copy the point into the vector, one forward and one backward pass
        (the same four lines as an epoch of full-batch training), return the gradient vector."""
        from scipy.optimize import minimize  # SciPy only when L-BFGS is asked for

        model, loss, alpha = self.model_, self._make_loss(), float(self.alpha)
        values = join_views([p for p, _ in model.parameters()])
        grads = join_views([g for _, g in model.parameters()])
        weight = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        extra = () if sample_weight is None else (sample_weight,)
        model.train()

        def loss_and_gradient(point: np.ndarray) -> tuple[float, np.ndarray]:
            values[...] = point
            with np.errstate(over="ignore", invalid="ignore"):
                value = loss.forward(model.forward(X, copy=False), targets, *extra)
                model.backward(loss.backward())
                if alpha:
                    value += add_l2_penalty(model, alpha, weight)
            if not math.isfinite(value):  # let the line search step back
                return math.inf, np.zeros_like(point)
            return value, grads.astype(np.float64)

        curve: list[float] = []
        result = minimize(loss_and_gradient, values.astype(np.float64), method="L-BFGS-B",
                          jac=True, callback=lambda intermediate_result: curve.append(
                              float(intermediate_result.fun)),
                          options={"maxiter": self.max_iter, "maxfun": self.max_fun,
                                   "gtol": self.tol})
        if not np.isfinite(result.x).all() or not math.isfinite(result.fun):
            raise self._diverged(result.fun, result.nit)
        values[...] = result.x
        self.n_iter_ = min(int(result.nit), self.max_iter)
        self.loss_ = float(result.fun)
        self.loss_curve_ = curve
        self.t_ = X.shape[0]
        if result.status != 0:
            warnings.warn(f"lbfgs failed to converge after {self.n_iter_} iteration(s) "
                          f"(status={result.status}): {result.message}. Increase max_iter "
                          "(or max_fun), or scale the data", ConvergenceWarning, stacklevel=5)
        if self.verbose:
            print(f"L-BFGS: {self.n_iter_} iterations, loss = {self.loss_:.8f}")

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
            f"the training loss became {value:.4g} at epoch {epoch}: the learning rate "
            f"({self.learning_rate_init:g}) is probably too high or the features are on very "
            f"different scales; lower learning_rate_init or put a StandardScaler before the "
            f"{type(self).__name__}")


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
        (for a multilabel ``y``: each label's own probability)."""
        z = self._logits(X)
        if len(self.classes_) == 1:  # fitted on one class: it is certain
            return np.ones((z.shape[0], 1), dtype=z.dtype)
        if self._multilabel:
            return stable_sigmoid(z)
        if z.shape[1] == 1:
            p = stable_sigmoid(z[:, 0])
            return np.column_stack([1 - p, p])
        z -= z.max(axis=1, keepdims=True)
        with np.errstate(under="ignore"):
            np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def predict_log_proba(self, X):
        """Log of ``predict_proba`` ``(n_samples, n_classes)``, computed stably from the
        logits (no ``log(0)`` for confident predictions)."""
        z = self._logits(X)
        if len(self.classes_) == 1:
            return np.zeros((z.shape[0], 1), dtype=z.dtype)
        if self._multilabel:
            return -np.logaddexp(0, -z)
        if z.shape[1] == 1:
            return np.column_stack([-np.logaddexp(0, z[:, 0]), -np.logaddexp(0, -z[:, 0])])
        z -= z.max(axis=1, keepdims=True)
        with np.errstate(under="ignore"):
            z -= np.log(np.exp(z).sum(axis=1, keepdims=True))
        return z

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
        """R² of the predictions (weighted by ``weights``), as scikit-learn's early stopping."""
        predicted = self._inverse_link(logits)
        if not np.isfinite(predicted).all():
            return -math.inf
        return r2_score(targets, predicted, weights)


class _HalfSquaredError(Loss):
    """scikit-learn's ``squared_loss``: ``0.5 * mean((z - y)^2)`` over all elements (the
    weighted mean over samples of the mean over outputs, with ``sample_weight``). Shapes:
    ``z, y (n, k)``; ``dL/dz = (z - y) / z.size``, or ``(z - y) w_i / (sum(w) k)``."""

    def forward(self, logits: np.ndarray, y: np.ndarray, sample_weight=None) -> float:
        diff = np.subtract(logits, y, out=self.ws.get("diff", logits.shape, logits.dtype))
        self.diff = diff
        if sample_weight is None:
            self.w = None
            return 0.5 * float(np.dot(diff.ravel(), diff.ravel())) / diff.size
        self.w = (sample_weight / sample_weight.sum() / diff.shape[1]).reshape(-1, 1)
        return 0.5 * float(np.sum(diff * diff * self.w))

    def backward(self) -> np.ndarray:
        grad = self.ws.get("grad", self.diff.shape, self.diff.dtype)
        return np.multiply(self.diff, 1 / self.diff.size if self.w is None else self.w, out=grad)


class _SummedBinaryCrossEntropy(Loss):
    """Binary cross-entropy from logits for a multilabel ``y (n, k)`` of 0/1, scaled as
    scikit-learn's: summed over the ``k`` labels, (weighted) mean over samples. Gradient
    ``(sigmoid(z) - y) w_i / sum(w)`` (``w_i = 1`` without weights)."""

    def forward(self, logits: np.ndarray, y: np.ndarray, sample_weight=None) -> float:
        n = logits.shape[0]
        self.z, self.y = logits, y
        self.w = (np.full((n, 1), 1 / n, logits.dtype) if sample_weight is None
                  else (sample_weight / sample_weight.sum()).reshape(-1, 1))
        per_element = np.logaddexp(0, logits) - y * logits
        return float(np.sum(per_element * self.w))

    def backward(self) -> np.ndarray:
        return (stable_sigmoid(self.z) - self.y) * self.w


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

    ``val`` is ``(X_val, targets_val, weights_val or None)`` or ``None``; the estimator
    scores it (``_validation_score``: accuracy for the classifier, R² for the regressor).
    """

    def __init__(self, est: _BaseMLP, val, *, samples_per_epoch: float):
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
        X_val, targets, weights = self.val
        logits = est.model_.forward(X_val)
        est.val_loss_curve_.append(self.val_loss.forward(logits, targets))
        score = est._validation_score(logits, targets, weights)
        est.validation_scores_.append(score)
        # The best epoch: the highest score; among equal scores (accuracy moves in steps), the
        # lowest weighted validation loss, so a tie does not keep a barely-trained network.
        extra = () if weights is None else (weights,)
        key = (-score, self.val_loss.forward(logits, targets, *extra))
        if self.best_key is None or key < self.best_key:
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


def describe_estimator(est: _BaseMLP) -> dict:
    """The JSON-ready ``{"class", "params", "classes", "fitted"}`` of a fitted estimator, for a
    model file's header (``classes`` is ``None`` for a regressor). Raises ``ValueError`` if it
    is not fitted, ``TypeError`` / ``ValueError`` for a parameter a file cannot hold."""
    kind = type(est).__name__
    if not hasattr(est, "model_"):
        raise ValueError(f"this {kind} is not fitted yet: call fit(X, y) before saving it")
    params = {}
    for name, value in est.get_params(deep=False).items():
        if name == "dtype":
            value = None if value is None else np.dtype(value).name
        elif name == "hidden_layer_sizes":
            params[name] = [int(v) for v in np.atleast_1d(value)]
            continue
        elif name == "activation" and isinstance(value, (tuple, list)):
            params[name] = [_json_value(v, "parameter activation") for v in value]
            continue
        elif name == "class_weight" and isinstance(value, dict):
            raise ValueError("a class_weight dict cannot be stored in a model file; fit with "
                             "class_weight='balanced' or explicit sample_weight to save it")
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
    classes = _encode_classes(est.classes_) if hasattr(est, "classes_") else None
    return {"class": kind, "params": params, "classes": classes, "fitted": fitted}


def restore_estimator(info: Any, model: Sequential) -> _BaseMLP:
    """A fitted ``MLPClassifier`` or ``MLPRegressor`` from a header's estimator section
    (``describe_estimator``'s output, read back) and the network rebuilt from the file's
    arrays. Raises ``ModelFileError`` when the two do not fit together."""
    if not (isinstance(info, dict) and isinstance(info.get("params"), dict)
            and isinstance(info.get("fitted"), dict)):
        raise ModelFileError("the header's estimator section is malformed: expected params, "
                             "classes and fitted")
    params = dict(info["params"])
    if params.get("dtype") in _FLOAT_DTYPES:
        params["dtype"] = _FLOAT_DTYPES[params["dtype"]]
    for name in ("hidden_layer_sizes", "activation"):
        if isinstance(params.get(name), list):
            params[name] = tuple(params[name])
    kind = info.get("class", "MLPClassifier")
    if kind not in _ESTIMATORS:
        raise ModelFileError(f"the header's estimator class {kind!r} is not one of "
                             f"{sorted(_ESTIMATORS)}")
    try:
        est = _ESTIMATORS[kind](**params)
    except TypeError as error:
        raise ModelFileError(f"the header's estimator parameters do not fit this version of "
                             f"{kind}: {error}") from None
    fitted = info["fitted"]
    _check_architecture(params, model)
    outputs, what = fitted.get("n_outputs_"), f"{fitted.get('n_outputs_')} outputs"
    if kind == "MLPClassifier":
        est.classes_ = _decode_classes(info.get("classes"))
        n_classes = len(est.classes_)
        multilabel = fitted.get("out_activation_") == "logistic" and (
            isinstance(outputs, int) and outputs > 1)
        outputs = n_classes if multilabel or n_classes > 2 else 1
        what = f"{n_classes} classes"
    if model.n_outputs != outputs or fitted.get("n_features_in_") != model.n_inputs:
        raise ModelFileError(f"the network ({model.n_inputs} inputs, {model.n_outputs} outputs) "
                             f"does not fit the header's {fitted.get('n_features_in_')} features "
                             f"and {what}")
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


_ESTIMATORS = {"MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor}


def _check_architecture(params: dict, model: Sequential) -> None:
    """The layers must be what the estimator's parameters build: Dense layers of
    ``hidden_layer_sizes`` with ``activation`` (one name, or one per layer) between them and
    none after the last."""
    hidden = params.get("hidden_layer_sizes")
    hidden = [hidden] if isinstance(hidden, int) else hidden
    name = params.get("activation")
    sizes = [d.n_out for d in model.dense_layers[:-1]]
    names = list(name) if isinstance(name, (list, tuple)) else [name] * len(sizes)
    layers = [ACTIVATIONS.get(n) if isinstance(n, str) else None for n in names]
    kinds = [type(layer).__name__ for layer in model.layers]
    expected = ["Dense"]
    for layer in layers:
        expected += [None if layer is None else layer.__name__, "Dense"]
    if None in layers or not isinstance(hidden, (list, tuple)) or list(hidden) != sizes or (
            kinds != expected):
        raise ModelFileError(f"the layers {kinds} do not match the estimator's parameters "
                             f"hidden_layer_sizes={hidden!r}, activation={name!r}")
