"""What differs between the two kinds of model the command line trains and uses: a classifier
(class labels; cross-entropy; accuracy) and a regressor (a number; squared error; R², MAE,
RMSE). Both are a ``Task`` with the same methods, so ``train``, ``evaluate``, ``predict``,
``plot`` and ``export`` run the same steps for either.

    scratchnn train --data houses.csv --target price --task regression --plot p.png --save p.npz
    scratchnn evaluate p.npz --data houses_2025.csv --target price
    scratchnn predict p.npz new_houses.csv -o prices.csv

A regressor has one output and no output activation; it learns the target standardised (mean 0,
standard deviation 1 over the training split) with the squared error (``--loss huber`` or
``absolute_error`` mind outliers less). The target's mean and standard deviation are stored in
the model file (``scratchnn._prep.Prep``'s metadata, with the task), so ``predict`` answers in
the target's own units: ``standardise -> lift -> network -> unstandardise``. R² is the fraction
of the target's variance explained (1 is perfect, 0 is no better than predicting the mean); the
mean absolute error and the root-mean-squared error are in the target's units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._csv import DataError, Table, read_labels, sorted_classes
from .._prep import Prep
from ..losses import HuberLoss, Loss, MeanAbsoluteError, MeanSquaredError
from ..metrics import r2_score
from ..model import Sequential
from .data import (
    TrainingData,
    check_2d,
    check_dataset_task,
    dataset_task,
    load_labelled,
    record_source,
    split,
)
from .models import probabilities
from .outputs import axis_names, class_names, plain_axes, write_figure
from .status import CLIError, UsageError

# Without --task, a numeric target with more distinct values than this (or with fractions) is
# refused with a hint: it is more likely a measurement than 21 classes.
MAX_GUESSED_CLASSES = 20

# --loss: the loss object and how the summary names it (scikit-learn's names, as MLPRegressor's)
LOSSES: dict[str, tuple[type[Loss], str]] = {
    "squared_error": (MeanSquaredError, "squared error"),
    "absolute_error": (MeanAbsoluteError, "absolute error"),
    "huber": (HuberLoss, "Huber loss (delta 1 standard deviation)"),
}


class Task:
    """The methods a task has (``Classification`` and ``Regression`` fill them in). ``X`` is
    always the raw columns ``(n, len(prep.feature_names))``; ``prep(X)`` the network's inputs."""

    name: str

    # --- train
    def check_train_options(self, args) -> None:
        """Refuse options this task has no use for, before any data is read."""

    def load_training_data(self, args, rng: np.random.Generator) -> TrainingData:
        """Load ``--dataset`` or ``--data``, check the targets, split, fit the preprocessing."""
        raise NotImplementedError

    def n_outputs(self, prep: Prep) -> int:
        """The network's outputs."""
        raise NotImplementedError

    def loss(self, args) -> tuple[Loss | None, str]:
        """The loss to train with (``None``: ``fit``'s cross-entropy) and how the summary
        names it (``""``: not named)."""
        raise NotImplementedError

    def fit_targets(self, data: TrainingData) -> np.ndarray:
        """What the network learns for ``data.X_train``."""
        raise NotImplementedError

    def training_scores(self, model: Sequential, data: TrainingData) -> tuple:
        """The scores on the training and the test split; the test score goes into the model
        file's metadata."""
        raise NotImplementedError

    def target_line(self, prep: Prep) -> str:
        """The summary's line about the target (the classes, or the target's scaling)."""
        raise NotImplementedError

    def stage_figures(self, args, data: TrainingData, model: Sequential, history, recorder,
                      outputs, title: str) -> None:
        """``--plot`` (and ``--animate``) of a training run, staged in ``outputs``."""
        raise NotImplementedError

    # --- evaluate, plot
    def read_target(self, table: Table, column: str) -> list:
        """The CSV's target column, one value per row."""
        raise NotImplementedError

    def targets(self, prep: Prep, labels: list, description: str) -> np.ndarray:
        """The values of the target column as the scores want them ``(n,)``."""
        raise NotImplementedError

    def score(self, model: Sequential, prep: Prep, X: np.ndarray, y: np.ndarray, source: str):
        """The model's score on ``X, y`` (an object with ``line()`` and ``headline()``)."""
        raise NotImplementedError

    def report_evaluation(self, model: Sequential, prep: Prep, X: np.ndarray, y: np.ndarray,
                          description: str, source: str) -> None:
        """Print ``evaluate``'s report; the last line is the main score."""
        raise NotImplementedError

    def check_plottable(self, prep: Prep) -> None:
        """Refuse ``plot`` for a model this task cannot draw."""

    def draw(self, model: Sequential, prep: Prep, X: np.ndarray, y: np.ndarray, title: str,
             source: str):
        """``plot``'s figure of a sample: the axes to write."""
        raise NotImplementedError

    # --- predict, export
    def describe_model(self, prep: Prep) -> str:
        """``"a regression model (it predicts numbers)"``, for errors."""
        raise NotImplementedError

    def prediction_header(self, args, prep: Prep) -> list[str]:
        """The header of ``predict``'s CSV (refusing options this task has no use for)."""
        raise NotImplementedError

    def prediction_rows(self, args, model: Sequential, prep: Prep, X: np.ndarray,
                        first_row: int) -> list[list]:
        """``predict``'s rows for the data rows ``first_row + 1`` on."""
        raise NotImplementedError

    def check_export(self, path: str) -> None:
        """Refuse ``export`` for a model the ONNX graph cannot hold."""


# --- classification ----------------------------------------------------------------------------


@dataclass
class Accuracy:
    """The fraction of rows whose class is predicted right."""

    value: float

    def line(self) -> str:
        return f"accuracy: {self.value:.4f}"

    headline = line


class Classification(Task):
    """Class labels (numbers or text); cross-entropy; one output for two classes, else one
    per class."""

    name = "classification"

    def load_training_data(self, args, rng: np.random.Generator) -> TrainingData:
        X, labels, names, description = load_labelled(args, args.seed)
        classes = sorted_classes(labels)
        prep = Prep(names, classes, features=args.features)
        for option in ("features", "plot", "animate"):
            if getattr(args, option):
                check_2d(prep, f"--{option}")
        _check_class_labels(args, labels, classes)
        y = prep.encode(labels, description)
        X_train, X_test, y_train, y_test = split(args, X, y, rng, stratify=True)
        missing = [classes[k] for k in range(len(classes)) if not np.any(y_train == k)]
        if missing:
            raise CLIError(f"with {len(y)} rows, the training split has no example of class "
                           f"{missing[0]!r}; give at least 2 rows of every class (one to train "
                           "on, one to test on), or a smaller --test-size")
        record_source(prep, X_train, args)
        return TrainingData(X_train, X_test, y_train, y_test, prep, description)

    def n_outputs(self, prep: Prep) -> int:
        return 1 if len(prep.classes) == 2 else len(prep.classes)

    def loss(self, args) -> tuple[Loss | None, str]:
        return None, ""

    def fit_targets(self, data: TrainingData) -> np.ndarray:
        return data.y_train

    def training_scores(self, model: Sequential, data: TrainingData) -> tuple:
        test = self.score(model, data.prep, data.X_test, data.y_test, "the data")
        train = self.score(model, data.prep, data.X_train, data.y_train, "the data")
        data.prep.info["test_accuracy"] = round(test.value, 6)
        return train, test

    def target_line(self, prep: Prep) -> str:
        return f"classes: {', '.join(map(str, prep.classes))}"

    def stage_figures(self, args, data: TrainingData, model: Sequential, history, recorder,
                      outputs, title: str) -> None:
        from .. import plotting

        prep, names = data.prep, class_names(data.prep.classes)
        if args.plot:
            ax = plotting.plot_decision_boundary(model, data.X_train, data.y_train, data.X_test,
                                                 data.y_test, transform=prep, title=title,
                                                 class_names=names,
                                                 feature_names=axis_names(prep), ax=plain_axes())
            write_figure(outputs, args.plot, ax)
        if args.animate:
            outputs.write(args.animate, lambda tmp: plotting.animate_training(
                model, recorder, data.X_train, data.y_train, tmp, history=history,
                X_test=data.X_test, y_test=data.y_test, transform=prep, title=title,
                class_names=names), ".gif")

    def read_target(self, table: Table, column: str) -> list:
        return read_labels(table, column)

    def targets(self, prep: Prep, labels: list, description: str) -> np.ndarray:
        return prep.encode(labels, description)

    def score(self, model: Sequential, prep: Prep, X: np.ndarray, y: np.ndarray,
              source: str) -> Accuracy:
        return Accuracy(float(np.mean(probabilities(model, prep(X), source).argmax(axis=1) == y)))

    def report_evaluation(self, model: Sequential, prep: Prep, X: np.ndarray, y: np.ndarray,
                          description: str, source: str) -> None:
        """The log-loss, the confusion matrix, each class's precision and recall, the
        accuracy."""
        proba = probabilities(model, prep(X), source)
        predicted = proba.argmax(axis=1)
        k = proba.shape[1]
        eps = 1e-15
        log_loss = float(-np.mean(np.log(np.clip(proba[np.arange(len(y)), y], eps, 1.0))))
        confusion = np.zeros((k, k), dtype=int)
        np.add.at(confusion, (y, predicted), 1)

        names = [str(c) for c in prep.classes]
        print(f"data: {description}")
        print(f"samples: {len(y)}")
        print(f"log-loss: {log_loss:.4f}")
        print("confusion matrix (rows: true class, columns: predicted class):")
        width = max(6, *(len(n) for n in names), len(str(confusion.max())))
        print(" " * (width + 2) + " ".join(f"{n:>{width}}" for n in names))
        for name, row in zip(names, confusion):
            print(f"{name:>{width}}  " + " ".join(f"{v:>{width}}" for v in row))
        print(f"{'class':>{width}}  {'precision':>9}  {'recall':>6}  {'support':>7}")
        for c, name in enumerate(names):
            predicted_c, support = confusion[:, c].sum(), confusion[c].sum()
            # n/a: a ratio over no samples (a class absent from the data, or never predicted)
            precision = f"{confusion[c, c] / predicted_c:.4f}" if predicted_c else "n/a"
            recall = f"{confusion[c, c] / support:.4f}" if support else "n/a"
            print(f"{name:>{width}}  {precision:>9}  {recall:>6}  {support:>7d}")
        absent = [name for name, row in zip(names, confusion) if not row.sum()]
        if absent:
            print(f"note: the data has no sample of class {', '.join(absent)} (the model knows "
                  f"{len(names)} classes), so recall is n/a there")
        print(f"accuracy: {np.mean(predicted == y):.4f}")

    def check_plottable(self, prep: Prep) -> None:
        check_2d(prep, "plot")

    def draw(self, model: Sequential, prep: Prep, X: np.ndarray, y: np.ndarray, title: str,
             source: str):
        from .. import plotting

        try:
            return plotting.plot_decision_boundary(
                model, X, y, transform=prep, title=title, class_names=class_names(prep.classes),
                point_label="sample", feature_names=axis_names(prep), ax=plain_axes())
        except ValueError as error:  # e.g. points too far apart to draw
            raise CLIError(f"{source}: cannot draw it: {error}") from None

    def describe_model(self, prep: Prep) -> str:
        return f"a classification model (classes: {', '.join(map(str, prep.classes))})"

    def prediction_header(self, args, prep: Prep) -> list[str]:
        return ["prediction", *(f"p_{c}" for c in prep.classes)] if args.proba else [
            "prediction"]

    def prediction_rows(self, args, model: Sequential, prep: Prep, X: np.ndarray,
                        first_row: int) -> list[list]:
        """The class, and with --proba every class's probability."""
        proba = probabilities(model, prep(X), args.data, first_row=first_row)
        labels = [prep.classes[i] for i in proba.argmax(axis=1)]
        if args.proba:
            return [[label, *(f"{p:.6f}" for p in ps)]
                    for label, ps in zip(labels, proba.tolist())]
        return [[label] for label in labels]


def _check_class_labels(args, labels: list, classes: list) -> None:
    """At least two classes, and a target that looks like class labels, not a measurement: a
    numeric target with fractions or many values needs ``--task`` (regression, usually)."""
    if len(classes) < 2:
        raise CLIError(f"the labels have a single class ({classes[0]!r}): nothing to learn; "
                       "the target column needs at least 2 different labels")
    numeric = not any(isinstance(c, str) for c in classes)
    if numeric and args.task is None:
        fractions = [c for c in classes if c != int(c)]
        if fractions or len(classes) > MAX_GUESSED_CLASSES:
            what = (f"non-integer values such as {fractions[0]!r}" if fractions else
                    f"{len(classes)} distinct values")
            raise UsageError(f"the target {args.target!r} is numeric with {what}: a quantity to "
                             "predict rather than class labels? Pass --task regression (or "
                             "--task classification to treat each value as a class)")
    if len(classes) > 10 and len(classes) > 0.5 * len(labels):
        hint = "pass --task regression to predict a number" if numeric else (
            f"is {args.target!r} a measurement?")
        raise CLIError(f"the target has {len(classes)} distinct values in {len(labels)} rows, "
                       f"too many for classes (each needs several examples); {hint}")


# --- regression --------------------------------------------------------------------------------


@dataclass
class Scores:
    """R², mean absolute error and root-mean-squared error of predictions (target's units)."""

    r2: float
    mae: float
    rmse: float

    @classmethod
    def of(cls, y: np.ndarray, predicted: np.ndarray) -> Scores:
        error = predicted - y
        return cls(r2_score(y, predicted), float(np.mean(np.abs(error))),
                   float(np.sqrt(np.mean(error**2))))

    def line(self) -> str:
        return f"R²: {self.r2:.4f}  MAE: {in_units(self.mae)}  RMSE: {in_units(self.rmse)}"

    def headline(self) -> str:
        return f"R²: {self.r2:.4f}"


def in_units(value: float) -> str:
    """A value in the target's units (an error, a mean): 4 significant digits, whole numbers
    from 10,000 on (never ``1.235e+04``)."""
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"


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


class Regression(Task):
    """A number per row; the squared error (or ``--loss``) on the standardised target; one
    output, in the target's units after ``prep.unscale_target``."""

    name = "regression"

    def check_train_options(self, args) -> None:
        if args.animate:
            raise UsageError("--animate shows a decision boundary taking shape; it is for "
                             "classification: leave it out with --task regression (--plot draws "
                             "the predicted surface)")

    def load_training_data(self, args, rng: np.random.Generator) -> TrainingData:
        """Load with a numeric target, split (not stratified), and fit the preprocessing: the
        columns' standardisation (CSV files) and the target's."""
        X, y, names, description = load_labelled(args, args.seed, read_numeric_target)
        y = np.asarray(y, dtype=np.float64)
        prep = Prep(names, [], features=args.features, task="regression")
        if args.features:
            check_2d(prep, "--features")
        X_train, X_test, y_train, y_test = split(args, X, y, rng, stratify=False)
        if len(y_train) < 2:
            raise CLIError(f"with {len(y)} rows, the training split has {len(y_train)}; give "
                           "more rows (or a smaller --test-size)")
        record_source(prep, X_train, args)
        _fit_target_scaling(prep, y_train, args.target or "y")
        return TrainingData(X_train, X_test, y_train, y_test, prep, description)

    def n_outputs(self, prep: Prep) -> int:
        return 1

    def loss(self, args) -> tuple[Loss | None, str]:
        loss_class, loss_name = LOSSES[args.loss or "squared_error"]
        return loss_class(), loss_name

    def fit_targets(self, data: TrainingData) -> np.ndarray:
        return data.prep.scale_target(data.y_train)

    def training_scores(self, model: Sequential, data: TrainingData) -> tuple:
        train, test = [self.score(model, data.prep, X, y, "the data") for X, y in (
            (data.X_train, data.y_train), (data.X_test, data.y_test))]
        data.prep.info["test_r2"] = round(test.r2, 6)
        return train, test

    def target_line(self, prep: Prep) -> str:
        return (f"target: {prep.info.get('target', 'y')}, mean {in_units(prep.target_mean)}, "
                f"standard deviation {in_units(prep.target_scale)} (the network learns it "
                "standardised)")

    def stage_figures(self, args, data: TrainingData, model: Sequential, history, recorder,
                      outputs, title: str) -> None:
        if args.plot:
            ax = _draw(model, data.prep, data.X_train, data.y_train, data.X_test, data.y_test,
                       title)
            write_figure(outputs, args.plot, ax)

    def read_target(self, table: Table, column: str) -> list:
        return read_numeric_target(table, column)

    def targets(self, prep: Prep, labels: list, description: str) -> np.ndarray:
        return np.asarray(labels, dtype=np.float64)

    def score(self, model: Sequential, prep: Prep, X: np.ndarray, y: np.ndarray,
              source: str) -> Scores:
        return Scores.of(y, predict_values(model, prep, X, source))

    def report_evaluation(self, model: Sequential, prep: Prep, X: np.ndarray, y: np.ndarray,
                          description: str, source: str) -> None:
        """The MAE, the RMSE and R², last."""
        scores = self.score(model, prep, X, y, source)
        print(f"data: {description}")
        print(f"samples: {len(y)}")
        print(f"MAE: {in_units(scores.mae)}")
        print(f"RMSE: {in_units(scores.rmse)}")
        print(f"R²: {scores.r2:.4f}")

    def draw(self, model: Sequential, prep: Prep, X: np.ndarray, y: np.ndarray, title: str,
             source: str):
        return _draw(model, prep, X, y, title=title, point_label="sample")

    def describe_model(self, prep: Prep) -> str:
        return "a regression model (it predicts numbers)"

    def prediction_header(self, args, prep: Prep) -> list[str]:
        if args.proba:
            raise UsageError(f"--proba gives class probabilities, but {args.model} is a "
                             "regression model (it predicts numbers); leave out --proba")
        return ["prediction"]

    def prediction_rows(self, args, model: Sequential, prep: Prep, X: np.ndarray,
                        first_row: int) -> list[list]:
        """The value, in the target's units."""
        return [[f"{v:.10g}"] for v in predict_values(model, prep, X, args.data, first_row)]

    def check_export(self, path: str) -> None:
        raise UsageError(f"{path} is a regression model; export writes classifiers only for "
                         "now (the target's scaling is not part of the ONNX graph)")


def _fit_target_scaling(prep: Prep, y_train: np.ndarray, name: str) -> None:
    """The target's mean and standard deviation over the training split, into ``prep``."""
    with np.errstate(over="ignore", invalid="ignore"):
        peak = float(np.max(np.abs(y_train)))
        # targets below 1 in size are measured in units of their largest value: the squares of
        # tiny (subnormal, ~1e-310) values would round to 0 and their spread with them
        unit = peak if 0 < peak < 1 else 1.0
        mean = float(np.mean(y_train / unit)) * unit
        std = float(np.std(y_train / unit)) * unit
    if not np.isfinite(mean + std):
        raise CLIError(f"the target {name!r} has values too large to standardise (near the "
                       "float64 limit, 1.8e308); rescale it")
    if std <= 1e-12 * abs(mean):
        raise CLIError(f"the target {name!r} has the same value ({y_train[0]:g}) in every "
                       "training row: there is nothing to learn; choose a target that varies")
    prep.target_mean, prep.target_scale = mean, std


def _draw(model: Sequential, prep: Prep, X: np.ndarray, y: np.ndarray, X_test=None, y_test=None,
          title: str = "", point_label: str = "train"):
    """``plotting.plot_regression`` of the model on raw columns, in the target's units: the
    surface (2 columns), the curve (1 column) or predicted against true values (more)."""
    from .. import plotting

    try:
        return plotting.plot_regression(
            lambda points: predict_values(model, prep, points), X, y, X_test, y_test,
            title=title, point_label=point_label, feature_names=axis_names(prep),
            target_name=prep.info.get("target"), ax=plain_axes())
    except ValueError as error:  # e.g. points too far apart to draw
        raise CLIError(f"cannot draw it: {error}") from None


# --- which task ---------------------------------------------------------------------------------

TASKS: dict[str, Task] = {"classification": Classification(), "regression": Regression()}


def task_of(prep: Prep) -> Task:
    """The task a model file records."""
    return TASKS[prep.task]


def task_of_model(args, prep: Prep) -> Task:
    """The task a model file records; ``--task``, if given, must agree."""
    task = task_of(prep)
    if args.task is not None and args.task != task.name:
        raise UsageError(f"{args.model} is {task.describe_model(prep)}, not {args.task}; leave "
                         f"out --task {args.task} (the model file records its task), or train a "
                         f"model with --task {args.task}")
    return task


def task_for_training(args) -> Task:
    """``--task``, else the dataset's kind (regression for plane, multi_gaussian, sine), else
    classification (a CSV target that looks like a measurement is refused later, with a hint)."""
    if args.loss is not None and args.task != "regression" and (
            args.dataset is None or dataset_task(args.dataset) != "regression"):
        raise UsageError(f"--loss {args.loss} is a regression loss; add --task regression (a "
                         "classifier always uses cross-entropy)")
    if args.task is not None:
        check_dataset_task(args, args.task, "--task is")
        return TASKS[args.task]
    return TASKS[dataset_task(args.dataset) if args.dataset is not None else "classification"]
