"""What ``MLPClassifier`` and ``MLPRegressor`` share (``_BaseMLP``): parameter checks, the
network, the stochastic solvers through ``training.train_epochs`` (with scikit-learn's end of
an epoch, ``_epoch_rule.py``), L-BFGS through ``scipy.optimize.minimize``, restarts
(``n_init``), early stopping and the per-layer ``activations``.
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
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .._memory import too_large, training_estimate
from .._params import (
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
from .._threads import limits_blas_threads
from .._workspace import join_views
from ..errors import TrainingDivergedError
from ..layers import ACTIVATIONS, Dense, Sigmoid
from ..layers import activation as make_activation
from ..model import Sequential
from ..optimizers import SGD, Adam
from ..training import Batches, add_l2_penalty, train_epochs
from ._epoch_rule import EpochRule

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
        X = validate_data(self, X, reset=False, dtype=self.model_.dtype,
                          accept_sparse=["csr", "csc"])
        layers, last = self.model_.layers, len(self.model_.layers) - 1
        return [out for i, (layer, out) in enumerate(zip(layers, self.model_.activations(X)))
                if not isinstance(layer, Dense) or i == last]

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

    @limits_blas_threads  # SCRATCHNN_BLAS_THREADS, see the estimators' Notes
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

    @limits_blas_threads  # SCRATCHNN_BLAS_THREADS, see the estimators' Notes
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
        if first_pass:
            self._check_memory(X.shape[0], X.shape[1], self._n_outputs_for(targets))
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

    def _check_memory(self, n_rows: int, n_features: int, n_outputs: int) -> None:
        """Refuse a network that would not fit in the memory available, before any of it is
        allocated (as ``scratchnn train`` does): ``hidden_layer_sizes=(10**9,)`` is a
        ``ValueError`` naming the size, not a ``MemoryError`` halfway through."""
        full_batch = self.solver == "lbfgs" or self.batch_size == "auto"
        batch = n_rows if self.solver == "lbfgs" else (
            min(200, n_rows) if full_batch else self.batch_size)
        itemsize = np.dtype(self._train_dtype).itemsize
        estimate = training_estimate(n_rows, n_features, self._hidden, n_outputs, batch,
                                     self.solver, itemsize)
        estimate.parts.pop("data")  # X is already in memory
        problem = too_large(estimate)
        if problem:
            raise ValueError(f"hidden_layer_sizes={self.hidden_layer_sizes!r}: {problem}; use "
                             "smaller or fewer hidden layers" + (
                                 "" if estimate.largest() == "network" else
                                 " or a smaller batch_size"))

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
        self.__dict__.pop("_optimizer_state", None)
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

    # --- pickling (joblib, GridSearchCV with n_jobs, Dask: all pickle the estimator) --------

    def __getstate__(self) -> dict:
        """The estimator's ``__dict__``, with the optimizer as its class and ``state_dict()``:
        the optimizer updates views of the network's parameters, and pickle would copy those
        apart from the network, so that ``partial_fit`` on the copy would train nothing.
        ``_continued_optimizer`` rebuilds it over the unpickled network when it is needed."""
        state = dict(super().__getstate__())
        optimizer = state.pop("_optimizer", None)
        if optimizer is not None:
            state["_optimizer_state"] = (type(optimizer), optimizer.state_dict())
        return state

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        optimizer = state.pop("_optimizer", None)  # a pickle of an earlier version holds it
        if optimizer is not None:
            state["_optimizer_state"] = (type(optimizer), optimizer.state_dict())
        super().__setstate__(state)

    def _continued_optimizer(self):
        """The optimizer that goes on where the last call stopped: the one in use, or the one
        an unpickled estimator carries as ``(class, state_dict())``, rebuilt over the network;
        a new one if there is neither (a fresh fit, a model loaded from a file)."""
        saved = self.__dict__.pop("_optimizer_state", None)
        if hasattr(self, "_optimizer"):
            return self._optimizer
        if saved is None:
            return self._make_optimizer()
        cls, state = saved
        optimizer = cls(self.model_.parameters(), lr=state["param_groups"][0]["lr"])
        optimizer.load_state_dict(state)
        return optimizer

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
        scikit-learn's stratified split; ``validation_fraction`` of the samples must be at least
        2 and at least the number of classes, as scikit-learn's split needs."""
        n = X.shape[0]
        self._check_validation_size(n if sample_weight is None else max(
            n, float(sample_weight.sum())), 0 if strata is None else np.unique(strata).size)
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
        if held.size == 0:  # repeated rows: hold out one distinct sample of the largest class
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

    def _check_validation_size(self, n: float, n_classes: int) -> None:
        """scikit-learn's rule: ``validation_fraction`` of the ``n`` samples (a weight of 2
        counts as two) must hold at least 2, and at least one per class for a classifier."""
        size, needed = math.ceil(self.validation_fraction * n), max(2, n_classes)
        if size < needed:
            per_class = " (two, and one per class)" if n_classes else ""
            raise ValueError(f"The validation set is too small. Increase 'validation_fraction' "
                             f"or the size of your dataset: validation_fraction="
                             f"{self.validation_fraction:g} of {n:g} samples holds out {size}, "
                             f"and early stopping needs at least {needed}{per_class}")

    def _train(self, X, targets, sample_weight, rng, incremental: bool, split) -> None:
        """Epochs of minibatch training (one with ``incremental``) through the shared loop,
        ``training.train_epochs``, with scikit-learn's end of an epoch (``EpochRule``).
        ``split`` is ``(train_rows, validation_rows)`` with early stopping, else ``None``."""
        model = self.model_
        loss = self._make_loss()
        self._optimizer = self._continued_optimizer() if incremental else self._make_optimizer()
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
        rule = EpochRule(self, val, samples_per_epoch=X.shape[0] if sample_weight is None
                          else float(sample_weight.sum()))
        self.n_iter_ = 0
        try:
            train_epochs(model, loss, self._optimizer, batches, rule,
                         max_epochs=1 if incremental else self.max_iter, alpha=float(self.alpha))
        except TrainingDivergedError as error:
            raise _in_scikit_learn_words(error) from None
        if not (incremental or rule.stopped):
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                          "reached and the optimization hasn't converged yet.",
                          ConvergenceWarning, stacklevel=5)
        if val is not None:
            self._restore_best(rule)

    def _restore_best(self, rule: EpochRule) -> None:
        """Early stopping's end: the best epoch's weights back; a run whose weights stopped
        being finite says so (a warning), or raises if no epoch had finite weights."""
        restored = rule.best.restore()
        if rule.diverged_at is None:
            return
        if not restored:
            raise self._diverged(self.loss_, rule.diverged_at)
        warnings.warn(f"the weights stopped being finite at epoch {rule.diverged_at} (training "
                      f"loss {self.loss_:.4g}); training stopped and the weights of the best "
                      f"epoch ({rule.best.epoch}) were restored. Lower learning_rate_init "
                      f"({self.learning_rate_init:g}) or scale the features",
                      ConvergenceWarning, stacklevel=6)

    def _fit_lbfgs(self, X, targets, sample_weight) -> None:
        """Full-batch L-BFGS (``scipy.optimize.minimize(method="L-BFGS-B")``) on the flat
        parameter vector, as scikit-learn's ``_fit_lbfgs``: ``maxiter=max_iter``,
        ``maxfun=max_fun``, ``gtol=tol``. ``loss_curve_`` gets the loss after every iteration.

        ``Sequential`` keeps every parameter in one vector and every gradient in another, so
        the objective is: copy the point into the vector, one forward and one backward pass
        (the same four lines as an epoch of full-batch training), return the gradient vector
        itself (float64; SciPy copies it before its update, so the next evaluation may
        overwrite it). A float32 network's gradient goes to SciPy as a float64 copy."""
        from scipy.optimize import minimize  # SciPy only when L-BFGS is asked for

        model, loss, alpha = self.model_, self._make_loss(), float(self.alpha)
        values = join_views([p for p, _ in model.parameters()])
        grads = join_views([g for _, g in model.parameters()])
        weight = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        extra = () if sample_weight is None else (sample_weight,)
        model.train()

        def loss_and_gradient(point: np.ndarray) -> tuple[float, np.ndarray]:
            np.copyto(values, point)  # every W and b at once: they are views of this vector
            with np.errstate(over="ignore", invalid="ignore"):
                value = loss.forward(model.forward(X), targets, *extra)
                model.backward(loss.backward())
                if alpha:
                    value += add_l2_penalty(model, alpha, weight)
            if not math.isfinite(value):  # let the line search step back
                return math.inf, np.zeros_like(point)
            return value, grads if grads.dtype == np.float64 else grads.astype(np.float64)

        curve: list[float] = []
        result = minimize(loss_and_gradient, values.astype(np.float64), method="L-BFGS-B",
                          jac=True, callback=lambda intermediate_result: curve.append(
                              float(intermediate_result.fun)),
                          options={"maxiter": self.max_iter, "maxfun": self.max_fun,
                                   "gtol": self.tol})
        if not np.isfinite(result.x).all() or not math.isfinite(result.fun):
            raise self._diverged(result.fun, result.nit)
        np.copyto(values, result.x)
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
            f"{NON_FINITE_WEIGHTS} Here the training loss became {value:.4g} at epoch "
            f"{epoch}: the learning rate ({self.learning_rate_init:g}) is probably too high or "
            f"the features are on very different scales; lower learning_rate_init or put a "
            f"StandardScaler before the {type(self).__name__}")


# scikit-learn's words for a run whose weights stopped being finite (its MLPs raise a
# ValueError with them; code and users match on them). Ours follow with the advice.
NON_FINITE_WEIGHTS = ("Solver produced non-finite parameter weights. The input data may "
                      "contain large values and need to be preprocessed.")


def _in_scikit_learn_words(error: TrainingDivergedError) -> TrainingDivergedError:
    """``error`` with scikit-learn's message first (the L2 term's error from the training
    loop does not have it yet); its ``cause`` kept."""
    if str(error).startswith(NON_FINITE_WEIGHTS):
        return error
    worded = TrainingDivergedError(f"{NON_FINITE_WEIGHTS} Here {error}")
    worded.cause = error.cause
    return worded


def _glorot_uniform(n_in: int, n_out: int, rng: np.random.Generator, dtype, *,
                    factor: float) -> np.ndarray:
    """scikit-learn's initialisation: U(-b, b) with ``b = sqrt(factor / (n_in + n_out))``."""
    bound = math.sqrt(factor / (n_in + n_out))
    return rng.uniform(-bound, bound, (n_in, n_out)).astype(dtype)

