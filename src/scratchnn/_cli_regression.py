"""The regression side of the ``scratchnn`` command: ``train --task regression`` (and the
regression datasets), and ``evaluate``, ``predict`` and ``plot`` on a model trained so.

    scratchnn train --data houses.csv --target price --task regression --plot p.png --save p.npz
    scratchnn evaluate p.npz --data houses_2025.csv --target price
    scratchnn predict p.npz new_houses.csv -o prices.csv

The network has one output and no output activation; it learns the target standardised (mean
0, standard deviation 1 over the training split) with the squared error (``--loss huber`` or
``absolute_error`` mind outliers less). The target's mean and standard deviation are stored in
the model file (``_prep.Prep``'s metadata, with the task), so ``predict`` answers in the
target's own units: ``standardise -> lift -> network -> unstandardise``. Scores are R² (the
fraction of the target's variance explained: 1 is perfect, 0 is no better than predicting the
mean), the mean absolute error and the root-mean-squared error, in the target's units.

``cli.py`` owns the command line (options, data loading, checks, output staging, the classifier);
this module holds what differs for regression, and is imported only when a command needs it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ._csv import DataError, Table, read_labels
from ._prep import Prep
from .cli import (
    CLIError,
    UsageError,
    _axis_names,
    _check_2d,
    _check_training_memory,
    _describe_net,
    _evaluation_data,
    _fit_model,
    _load_labelled,
    _outputs,
    _plain_axes,
    _record_source,
    _report_run,
    _stage_model_and_history,
    _Trained,
    _TrainingData,
    _write_figure,
)
from .losses import HuberLoss, Loss, MeanAbsoluteError, MeanSquaredError
from .model import Sequential, mlp

# --loss: the loss object and how the summary names it (scikit-learn's names, as MLPRegressor's)
LOSSES: dict[str, tuple[type[Loss], str]] = {
    "squared_error": (MeanSquaredError, "squared error"),
    "absolute_error": (MeanAbsoluteError, "absolute error"),
    "huber": (HuberLoss, "Huber loss (delta 1 standard deviation)"),
}


# --- reading and scoring -----------------------------------------------------------------------


def read_numeric_target(table: Table, target: str) -> list[float]:
    """The numbers in column ``target``, one per row; an error names the first row whose value
    is missing, not a number or not finite, or says that the column holds text."""
    values = read_labels(table, target)  # ints, floats, or the text of anything else
    if all(isinstance(v, str) for v in values):
        raise DataError(f"{table.path}: the target column {target!r} holds text such as "
                        f"{values[0]!r}, not numbers; a regression model predicts a number, so "
                        "the target must be numeric (to classify, train without --task "
                        "regression)")
    if any(isinstance(v, str) for v in values):
        table.numeric([target])  # raises the error that names the row (e.g. 'nan', 'n/a')
    return [float(v) for v in values]


@dataclass
class Scores:
    """R², mean absolute error and root-mean-squared error of predictions (target's units)."""

    r2: float
    mae: float
    rmse: float

    @classmethod
    def of(cls, y: np.ndarray, predicted: np.ndarray) -> Scores:
        from .training import R2Sums

        sums = R2Sums(MeanSquaredError())
        sums.add(predicted.reshape(-1, 1), y.reshape(-1, 1))
        error = predicted - y
        return cls(sums.value(), float(np.mean(np.abs(error))),
                   float(np.sqrt(np.mean(error**2))))

    def line(self) -> str:
        return f"R²: {self.r2:.4f}  MAE: {_in_units(self.mae)}  RMSE: {_in_units(self.rmse)}"


def _in_units(value: float) -> str:
    """A value in the target's units (an error, a mean): 4 significant digits, whole numbers
    from 10,000 on (never ``1.235e+04``)."""
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"


def predict_values(model: Sequential, prep: Prep, X: np.ndarray, source: str = "the data",
                   first_row: int = 0) -> np.ndarray:
    """Predictions ``(n,)`` in the target's units for raw columns ``X (n, d)``; ``source``
    names the rows (the first being data row ``first_row + 1``) in the error for one whose
    prediction overflows."""
    with np.errstate(over="ignore", invalid="ignore"):  # eval mode, in chunks
        values = prep.unscale_target(model.predict_logits(prep(X)))
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise CLIError(f"{source}, data row {first_row + bad[0] + 1}: its values are so large "
                       "that the network's output overflows (no prediction can be computed); "
                       "check that row")
    return values


# --- scratchnn train --task regression ---------------------------------------------------------


def train_regression(args) -> int:
    """``cmd_train`` for a regression task: load and split, scale the target, train, write the
    outputs, report; the last line printed is the test R²."""
    if args.animate:
        raise UsageError("--animate shows a decision boundary taking shape; it is for "
                         "classification: leave it out with --task regression (--plot draws "
                         "the predicted surface)")
    rng = np.random.default_rng(args.seed)  # one generator: the split, the weights, the batches
    data = _load_regression_data(args, rng)
    _check_training_memory(args, data)
    n_inputs = data.prep(data.X_train[:1]).shape[1]
    model = mlp([n_inputs, *args.hidden, 1], args.activation, rng=rng)  # identity output
    loss_class, loss_name = LOSSES[args.loss or "squared_error"]
    trained = _fit_model(args, model, data.prep(data.X_train),
                         data.prep.scale_target(data.y_train), rng, loss=loss_class())
    scores = [Scores.of(y, predict_values(model, data.prep, X)) for X, y in (
        (data.X_train, data.y_train), (data.X_test, data.y_test))]
    data.prep.info["test_r2"] = round(scores[1].r2, 6)
    with _outputs() as outputs:  # all of them, or (on any failure) none
        _stage_model_and_history(args, data.prep, model, trained.history, outputs)
        if args.plot:
            ax = _draw(model, data.prep, data.X_train, data.y_train, data.X_test, data.y_test,
                       _title(args, model))
            _write_figure(outputs, args.plot, ax)
    _report(args, data, model, trained, loss_name, scores)
    return 0


def _load_regression_data(args, rng: np.random.Generator) -> _TrainingData:
    """Load ``--dataset`` or ``--data`` with a numeric target, split it (not stratified), and
    fit the preprocessing: the columns' standardisation (CSV files) and the target's."""
    X, y, names, description = _load_labelled(args, args.seed, read_numeric_target)
    y = np.asarray(y, dtype=np.float64)
    prep = Prep(names, [], features=args.features, task="regression")
    if args.features:
        _check_2d(prep, "--features")
    from .datasets import train_test_split

    try:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=args.test_size, random_state=rng, stratify=False)
    except ValueError as error:
        raise CLIError(f"cannot split the data: {error}") from None
    if len(y_train) < 2:
        raise CLIError(f"with {len(y)} rows, the training split has {len(y_train)}; give more "
                       "rows (or a smaller --test-size)")
    _record_source(prep, X_train, args)
    _fit_target_scaling(prep, y_train, args.target or "y")
    return _TrainingData(X_train, X_test, y_train, y_test, prep, description)


def _fit_target_scaling(prep: Prep, y_train: np.ndarray, name: str) -> None:
    """The target's mean and standard deviation over the training split, into ``prep``."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = float(np.mean(y_train)), float(np.std(y_train))
    if not np.isfinite(mean + std):
        raise CLIError(f"the target {name!r} has values too large to standardise (near the "
                       "float64 limit, 1.8e308); rescale it")
    if std <= 1e-12 * max(abs(mean), 1e-300):
        raise CLIError(f"the target {name!r} has the same value ({y_train[0]:g}) in every "
                       "training row: there is nothing to learn; choose a target that varies")
    prep.target_mean, prep.target_scale = mean, std


def _title(args, model: Sequential) -> str:
    source = args.dataset or os.path.basename(args.data)
    if args.features:
        source += f" on {', '.join(args.features)}"
    return f"{source}: {_describe_net(model, args.activation).split(' (')[0]}, {args.optimizer}"


def _draw(model: Sequential, prep: Prep, X: np.ndarray, y: np.ndarray, X_test=None, y_test=None,
          title: str = "", point_label: str = "train"):
    """``plotting.plot_regression`` of the model on raw columns, in the target's units: the
    surface (2 columns), the curve (1 column) or predicted against true values (more)."""
    from . import plotting

    try:
        return plotting.plot_regression(
            lambda points: predict_values(model, prep, points), X, y, X_test, y_test,
            title=title, point_label=point_label, feature_names=_axis_names(prep),
            target_name=prep.info.get("target"), ax=_plain_axes())
    except ValueError as error:  # e.g. points too far apart to draw
        raise CLIError(f"cannot draw it: {error}") from None


def _report(args, data: _TrainingData, model: Sequential, trained: _Trained, loss: str,
            scores: list[Scores]) -> None:
    """What was trained and how well; the last line is the test scores, R² first."""
    prep = data.prep
    _report_run(args, data, model, trained,
                f"target: {prep.info.get('target', 'y')}, mean {_in_units(prep.target_mean)}, "
                f"standard deviation {_in_units(prep.target_scale)} (the network learns it "
                "standardised)", loss)
    print(f"train {scores[0].line()}")
    print(f"test {scores[1].line()}")


# --- scratchnn evaluate, predict, plot on a regression model -----------------------------------


def evaluate_regression(args, model: Sequential, prep: Prep) -> int:
    """R², MAE and RMSE of a regression model on a dataset sample or a CSV file; R² last."""
    X, y, description = _evaluation_data(args, prep)
    scores = Scores.of(y, predict_values(model, prep, X, args.data or args.dataset))
    print(f"data: {description}")
    print(f"samples: {len(y)}")
    print(f"MAE: {_in_units(scores.mae)}")
    print(f"RMSE: {_in_units(scores.rmse)}")
    print(f"R²: {scores.r2:.4f}")
    return 0


def plot_regression_model(args, model: Sequential, prep: Prep) -> int:
    """``scratchnn plot`` for a regression model: the surface, curve or scatter of a sample."""
    X, y, description = _evaluation_data(args, prep)
    scores = Scores.of(y, predict_values(model, prep, X, args.data or args.dataset))
    ax = _draw(model, prep, X, y, title=description, point_label="sample")
    with _outputs() as outputs:
        _write_figure(outputs, args.output, ax)
    print(f"figure: {args.output}")
    print(f"R²: {scores.r2:.4f}")
    return 0


__all__ = ["LOSSES", "Scores", "evaluate_regression", "plot_regression_model",
           "predict_values", "read_numeric_target", "train_regression"]
