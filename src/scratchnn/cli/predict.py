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

from .._csv import read_chunks
from .._prep import Prep
from ..model import Sequential
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
    columns = list(first.header)
    target = prep.info.get("target")
    if target in columns and target not in prep.feature_names:
        columns.remove(target)  # a labelled file is fine: its label column is ignored
    prep.check_columns(columns, args.data)
    tables = itertools.chain([first], chunks)
    if args.output:
        written = []
        with staged_outputs() as outputs:
            outputs.write(args.output, lambda tmp: written.append(
                _write_predictions(tmp, header, tables, task, model, prep, args)), ".csv")
        print(f"wrote {written[0]} predictions to {args.output}")
    else:
        _write_predictions(None, header, tables, task, model, prep, args)
    return ExitStatus.OK


def _write_predictions(path: str | None, header: list[str], tables, task: Task,
                       model: Sequential, prep: Prep, args) -> int:
    """Write ``header`` and one row per data row of ``tables`` (chunks of the input) to
    ``path`` (``None``: stdout); return the number of rows."""
    with contextlib.ExitStack() as stack:
        stream = sys.stdout if path is None else stack.enter_context(
            open(path, "w", newline="", encoding="utf-8"))
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(spreadsheet_safe(header))
        n = 0
        for table in tables:
            X = table.numeric(prep.feature_names)
            writer.writerows(map(spreadsheet_safe, task.prediction_rows(args, model, prep, X, n)))
            n += len(X)
    return n
