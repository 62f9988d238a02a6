"""``scratchnn evaluate MODEL.npz``: a saved model's scores on a fresh sample of a dataset or a
labelled CSV file (classification: log-loss, confusion matrix, precision and recall, accuracy;
regression: MAE, RMSE, R²). The last line printed is the main score.

    scratchnn evaluate model.npz --data test.csv --target label
    scratchnn evaluate spirals.npz --dataset spirals --seed 7
"""

from __future__ import annotations

from .columns import split_unseen
from .data import evaluation_data
from .models import load_model
from .status import CLIError, ExitStatus
from .task import task_of_model


def run(args) -> ExitStatus:
    model, prep = load_model(args.model)
    task = task_of_model(args, prep)
    X, labels, description = evaluation_data(args, prep, task.read_target)
    if task.name == "classification":  # rows of classes the model never saw: a warning
        known = split_unseen(prep, labels, args.data or f"--dataset {args.dataset}")
        if not known.any():
            raise CLIError(f"{description}: none of its labels is one of the model's classes "
                           f"({', '.join(map(str, prep.classes))}); is --target the right "
                           "column, and the model the right one?")
        X, labels = X[known], [label for label, ok in zip(labels, known) if ok]
        if not known.all():
            description += f"; scored on the {len(labels)} rows of known classes"
    y = task.targets(prep, labels, description)
    task.report_evaluation(model, prep, X, y, description, args.data or args.dataset)
    return ExitStatus.OK
