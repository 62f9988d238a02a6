"""``scratchnn plot MODEL.npz -o FIG.png``: a saved model drawn over a fresh sample of a
dataset or a CSV file: a classifier's decision boundary (2 input columns), a regressor's
predicted surface, curve, or predicted against true values. Prints the figure's name and the
model's score on the sample.

    scratchnn plot s.npz --dataset spirals -o boundary.png
"""

from __future__ import annotations

from .data import evaluation_data
from .models import load_model
from .outputs import check_figure_path, check_output_path, staged_outputs, write_figure
from .status import ExitStatus
from .task import task_of_model


def run(args) -> ExitStatus:
    check_output_path("-o", args.output)
    check_figure_path("-o", args.output)
    model, prep = load_model(args.model)
    task = task_of_model(args, prep)
    task.check_plottable(prep)
    X, labels, description = evaluation_data(args, prep, task.read_target)
    y = task.targets(prep, labels, description)
    source = args.data or args.dataset
    score = task.score(model, prep, X, y, source)
    ax = task.draw(model, prep, X, y, description, source)
    with staged_outputs() as outputs:
        write_figure(outputs, args.output, ax)
    print(f"figure: {args.output}")
    print(score.headline())
    return ExitStatus.OK
