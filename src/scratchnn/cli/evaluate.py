"""``scratchnn evaluate MODEL.npz``: a saved model's scores on a fresh sample of a dataset or a
labelled CSV file (classification: log-loss, confusion matrix, precision and recall, accuracy;
regression: MAE, RMSE, R²). The last line printed is the main score.

    scratchnn evaluate model.npz --data test.csv --target label
    scratchnn evaluate spirals.npz --dataset spirals --seed 7
"""

from __future__ import annotations

from .data import evaluation_data
from .models import load_model
from .status import ExitStatus
from .task import task_of_model


def run(args) -> ExitStatus:
    model, prep = load_model(args.model)
    task = task_of_model(args, prep)
    X, labels, description = evaluation_data(args, prep, task.read_target)
    y = task.targets(prep, labels, description)
    task.report_evaluation(model, prep, X, y, description, args.data or args.dataset)
    return ExitStatus.OK
