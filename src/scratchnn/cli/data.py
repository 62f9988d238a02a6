"""The data a command works on: a built-in dataset (``--dataset``, with ``--n-samples``,
``--noise``, ``--seed``) or a CSV file (``--data FILE.csv --target COLUMN``), loaded, checked and
split. What the target column holds (class labels or numbers) is the task's to say
(``scratchnn.cli.task``); loading, splitting and the standardisation of CSV columns are shared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._csv import Table, read_labels, read_table
from .._memory import data_estimate
from .._prep import Prep
from .columns import check_column, chosen_columns, model_columns, row_id_warnings
from .status import CLIError, UsageError

ReadTarget = Callable[[Table, str], list]  # (table, column) -> one target per row

# TensorFlow Playground's six data sets (datasets.playground) go by their Playground name after
# this prefix: its "xor" and "circle" are not the library's "xor" and "circles".
PLAYGROUND = "playground-"


@dataclass
class TrainingData:
    """The data of a training run: raw columns split into training and test rows, their
    targets (class indices, or numbers in the target's units), and the preprocessing from raw
    columns to network inputs."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    prep: Prep
    description: str


# --- loading -----------------------------------------------------------------------------------


def check_source_options(args) -> None:
    if args.data is not None and args.target is None:
        raise UsageError("--data needs --target COLUMN, the column that holds the labels")
    if args.dataset is not None and args.target is not None:
        raise UsageError("--target goes with --data, not with --dataset")
    if args.data is not None and (args.n_samples is not None or args.noise is not None):
        raise UsageError("--n-samples and --noise go with --dataset, not with --data")
    for option in ("drop", "columns"):
        if args.dataset is not None and getattr(args, option, None):
            raise UsageError(f"--{option} chooses columns of a CSV file: it goes with --data, "
                             "not with --dataset")


def _dataset_kwargs(args, seed: int) -> dict:
    kwargs: dict = {"random_state": seed}
    if args.n_samples is not None:
        kwargs["n_samples"] = args.n_samples
    if args.noise is not None:
        kwargs["noise"] = args.noise
    return kwargs


def load_labelled(args, seed: int, read_target: ReadTarget = read_labels
                  ) -> tuple[np.ndarray, list, list[str], str]:
    """``(X, labels, feature names, description)`` from ``--dataset`` or ``--data/--target``
    (the columns chosen by ``--drop`` or ``--columns``; those left out are kept in
    ``args.left_out`` for the model file, the warnings about columns that look like row ids in
    ``args.row_id_warnings``); ``read_target(table, column)`` reads the CSV's target column
    (default: class labels)."""
    if args.dataset is not None:
        from .. import datasets

        kwargs = _dataset_kwargs(args, seed)
        if args.n_samples is not None:
            check_memory(data_estimate(args.n_samples, 2), "fewer --n-samples")
        try:
            if args.dataset.startswith(PLAYGROUND):
                X, y = datasets.playground(args.dataset.removeprefix(PLAYGROUND), **kwargs)
            else:
                X, y = datasets.load(args.dataset, **kwargs)
        except ValueError as error:
            raise UsageError(str(error)) from None
        described = ", ".join(f"{k.replace('random_state', 'seed')} {v}"
                              for k, v in kwargs.items() if k != "n_samples")
        names = [f"x{i + 1}" for i in range(X.shape[1])]  # x1, x2 (sine has x1 alone)
        return X, y.tolist(), names, f"{args.dataset} ({len(y)} points, {described})"
    table = read_table(args.data)
    check_column(table, args.target, "--target")
    names, args.left_out = chosen_columns(args, table, args.target)
    if not names:
        raise CLIError(f"{args.data} has no feature columns besides the target {args.target!r}"
                       + (" once --drop has left some out" if args.drop else ""))
    X = table.numeric(names)
    labels = read_target(table, args.target)
    args.row_id_warnings = row_id_warnings(names, X)
    return X, labels, names, f"{args.data} ({len(labels)} rows, {len(names)} feature columns)"


def evaluation_data(args, prep: Prep, read_target: ReadTarget) -> tuple[np.ndarray, list, str]:
    """``(X, labels, description)`` for ``evaluate`` and ``plot``: a fresh sample of the
    dataset (the training seed + 1 unless ``--seed``), or a CSV file with the model's columns
    and the target column (read with ``read_target``)."""
    check_source_options(args)
    check_dataset_task(args, prep.task, f"{args.model} is a model for")
    if args.dataset is not None:
        seed = args.seed if args.seed is not None else int(prep.info.get("seed") or 0) + 1
        X, labels, names, description = load_labelled(args, seed)
        if prep.feature_names != names:
            raise CLIError(f"the model takes the columns {', '.join(prep.feature_names)}, but "
                           f"the dataset gives {', '.join(names)}")
        return X, labels, description
    table = read_table(args.data)
    check_column(table, args.target, "--target")
    X = table.numeric(model_columns(prep, table, args, args.target))
    labels = read_target(table, args.target)
    return X, labels, f"{args.data} ({len(labels)} rows)"


def dataset_names(task: str | None = None) -> list[str]:
    """The names ``--dataset`` takes (those of ``task`` alone if given): the library's
    classification and regression datasets, then Playground's six (``playground-spiral``)."""
    from ..datasets import DATASETS, PLAYGROUND_DATASETS, REGRESSION_DATASETS

    names = [*DATASETS, *REGRESSION_DATASETS, *(PLAYGROUND + name for name in PLAYGROUND_DATASETS)]
    return [name for name in names if task is None or dataset_task(name) == task]


def dataset_task(name: str) -> str:
    """``"regression"`` for the regression datasets (plane, multi_gaussian, sine,
    playground-reg-plane, playground-reg-gauss), else ``"classification"``."""
    from ..datasets import PLAYGROUND_DATASETS, REGRESSION_DATASETS

    if name.startswith(PLAYGROUND):
        return PLAYGROUND_DATASETS[name.removeprefix(PLAYGROUND)][1]
    return "regression" if name in REGRESSION_DATASETS else "classification"


def check_dataset_task(args, task: str, whose: str) -> None:
    """A regression dataset for a regression model or run, a classification one otherwise;
    ``whose`` says where ``task`` comes from, for the error."""
    if args.dataset is None or dataset_task(args.dataset) == task:
        return
    raise UsageError(f"--dataset {args.dataset} is a {dataset_task(args.dataset)} dataset, but "
                     f"{whose} {task}; choose one of: {', '.join(dataset_names(task))} "
                     "(or --data)")


def check_2d(prep: Prep, option: str) -> None:
    """Figures and the feature lift work on 2-D points; refuse anything wider, before training."""
    n = len(prep.feature_names)
    if n == 2:
        return
    columns = f"{n} input column{'s' if n != 1 else ''} ({', '.join(prep.feature_names)})"
    if option == "--features":
        raise UsageError(f"--features lifts 2-D points (x1, x2), but the data has {columns}; "
                         "leave out --features")
    if option == "plot":
        raise UsageError(f"plot draws a decision boundary in the plane, so the model must take 2 "
                         f"input columns; it takes {columns}. 'scratchnn evaluate' reports its "
                         "accuracy instead")
    raise UsageError(f"{option} draws a decision boundary in the plane, so it needs 2 input "
                     f"columns, but the data has {columns}; leave out {option} (or train on 2 "
                     "columns)")


def check_memory(estimate, fix: str) -> None:
    """Refuse a run whose ``estimate`` (``_memory.Estimate``) exceeds the memory available,
    before anything of that size is allocated; ``fix`` is the advice that ends the message."""
    from .._memory import too_large

    problem = too_large(estimate)
    if problem:
        raise UsageError(f"{problem}; use {fix}")


# --- splitting and fitting the preprocessing ---------------------------------------------------


def split(args, X: np.ndarray, y: np.ndarray, rng: np.random.Generator, *, stratify: bool
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``X_train, X_test, y_train, y_test``: ``--test-size`` of the rows held out (of each
    class, with ``stratify``)."""
    from ..datasets import train_test_split

    try:
        return train_test_split(X, y, test_size=args.test_size, random_state=rng,
                                stratify=stratify)
    except ValueError as error:
        raise CLIError(f"cannot split the data: {error}") from None


def record_source(prep: Prep, X_train: np.ndarray, args) -> None:
    """What the model file keeps of where the data came from: for ``--data``, the training
    split's standardisation and the target column; for ``--dataset``, its name and seed."""
    if args.data is not None:
        _standardize(prep, X_train, args.data)
        prep.info["target"] = args.target
        if getattr(args, "left_out", None):
            prep.info["ignored_columns"] = list(args.left_out)
        if getattr(args, "columns", None):  # only these: other files' extra columns too
            prep.info["selected_columns"] = True
    else:
        prep.info.update(dataset=args.dataset, seed=args.seed)


def _standardize(prep: Prep, X_train: np.ndarray, path: str) -> None:
    with np.errstate(over="ignore", invalid="ignore"):
        mean, scale = X_train.mean(axis=0), X_train.std(axis=0)
    huge = [name for name, m, s in zip(prep.feature_names, mean, scale) if not np.isfinite(m + s)]
    if huge:
        raise CLIError(f"{path}: column {huge[0]!r} has values too large to standardise (near "
                       "the float64 limit, 1.8e308); rescale it")
    prep.mean, prep.scale = mean, np.where(scale > 0, scale, 1.0)
