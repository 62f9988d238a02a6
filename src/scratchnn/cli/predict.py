"""``scratchnn predict MODEL.npz FILE.csv``: the class (``--proba``: and every class's
probability) or the value of every row of a CSV file whose header names the model's input
columns, as CSV on stdout or in ``-o OUT.csv``.

    scratchnn predict model.npz new_points.csv --proba -o predictions.csv

The file is streamed: read, predicted and written ``PREDICT_CHUNK_ROWS`` rows at a time, so the
memory does not grow with the file. With ``-o`` the output appears only when complete
(atomically); on stdout, rows before a bad row are already printed when its error comes.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import sys
from collections import Counter

from .._csv import DataError, read_chunks, read_labels
from .._prep import Prep
from ..model import Sequential
from .columns import model_columns, warn_unseen
from .models import load_model
from .outputs import check_not_an_input, check_output_path, spreadsheet_safe, staged_outputs
from .status import ExitStatus
from .task import Task, task_of_model

PREDICT_CHUNK_ROWS = 50_000  # predict reads, predicts and writes this many rows at a time


def run(args) -> ExitStatus:
    if args.output:
        check_output_path("-o", args.output)
        check_not_an_input("-o", args.output, [args.model, args.data])
    model, prep = load_model(args.model)
    task = task_of_model(args, prep)
    header = task.prediction_header(args, prep)
    chunks = read_chunks(args.data, PREDICT_CHUNK_ROWS)
    first = next(chunks)
    target = prep.info.get("target")
    if target not in first.header or target in prep.feature_names:
        target = None  # a labelled file is fine: its label column is ignored (and checked)
    columns = model_columns(prep, first, args, target)
    tables = itertools.chain([first], chunks)
    unseen: Counter = Counter()
    if args.output:
        written = []
        with staged_outputs() as outputs:
            outputs.write(args.output, lambda tmp: written.append(_write_predictions(
                tmp, header, tables, task, model, prep, args, columns, (target, unseen))),
                ".csv")
        print(f"wrote {written[0]} predictions to {args.output}")
    else:
        _write_predictions(None, header, tables, task, model, prep, args, columns,
                           (target, unseen))
    if unseen:
        warn_unseen(args.data, unseen, prep.classes)
    return ExitStatus.OK


def _write_predictions(path: str | None, header: list[str], tables, task: Task,
                       model: Sequential, prep: Prep, args, columns: list[str],
                       labels: tuple) -> int:
    """Write ``header`` and one row per data row of ``tables`` (chunks of the input; the
    model's inputs in ``columns``) to ``path`` (``None``: stdout); return the number of rows.
    ``labels`` is ``(target column or None, Counter)``: a classifier's labels that are not
    among its classes are counted there."""
    with contextlib.ExitStack() as stack:
        stream = sys.stdout if path is None else stack.enter_context(
            open(path, "w", newline="", encoding="utf-8"))
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(spreadsheet_safe(header))
        n = 0
        target, unseen = labels
        for table in tables:
            X = table.numeric(columns)
            writer.writerows(map(spreadsheet_safe, task.prediction_rows(args, model, prep, X, n)))
            n += len(X)
            if target is not None and prep.classes:
                unseen.update(_unseen_labels(table, target, prep.classes))
    return n


def _unseen_labels(table, target: str, classes: list) -> list:
    """The labels in ``table``'s column ``target`` that are not among ``classes`` (a missing
    label is not a prediction's business: it is skipped)."""
    try:
        labels = read_labels(table, target)
    except DataError:
        return []
    known = set(classes)
    return [label for label in labels if label not in known]
