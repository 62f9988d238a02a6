"""A CSV from the page, checked as ``scratchnn train --data`` checks a file: the same reader
(``scratchnn._csv``), the same one-line messages, naming the upload instead of a path.

The playground draws the plane, so an upload has exactly two numeric feature columns and a label
(or, for regression, a numeric target) column: the one named "label", else the last one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass

import numpy as np

from .._csv import read_labels, read_table, sorted_classes
from ..errors import DataError
from .settings import SessionError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UPLOAD_MB = MAX_UPLOAD_BYTES // 2**20
# A message from the page carries an upload's text escaped as JSON: room for twice the text.
MAX_MESSAGE_CHARS = 2 * MAX_UPLOAD_BYTES + 2 * 1024 * 1024
MAX_UPLOAD_ROWS = 5000
MAX_CLASSES = 8


@dataclass
class Upload:
    """A checked CSV: ``X (n, 2)``, the two feature ``columns``, the ``target`` column's name,
    its values (``labels``: class labels, or floats for regression) and the sorted ``classes``
    (empty for regression)."""

    name: str
    columns: list[str]
    target: str
    X: np.ndarray
    labels: list
    classes: list


@contextlib.contextmanager
def _read_csv(name: str, text: str):
    """The CLI's CSV reader, on text from the page: the table while the block runs (the reader
    goes back to the file to name the line of a bad value). A ``DataError`` in the block
    becomes a ``SessionError`` naming the upload, not the temporary file."""
    with tempfile.TemporaryDirectory(prefix="scratchnn-upload-") as folder:
        path = os.path.join(folder, "upload.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        try:
            yield read_table(path)
        except DataError as error:
            raise SessionError(str(error).replace(path, name)) from None


def parse_upload(name, text, problem: str) -> Upload:
    """Check the CSV ``text`` uploaded as ``name`` for ``problem`` ("classification" or
    "regression"); a problem raises ``SessionError`` with a one-line message."""
    if not isinstance(name, str) or not isinstance(text, str):
        raise SessionError("an upload needs a file name and its text")
    name = os.path.basename(name)[:100].encode("utf-8", "replace").decode() or "upload.csv"
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as error:  # a lone surrogate ("\ud800") escaped in the JSON
        raise SessionError(f"{name} is not text: character {error.start + 1} is "
                           f"{text[error.start]!r}, which no file holds") from None
    if size > MAX_UPLOAD_BYTES:
        raise SessionError(f"{name} is larger than {MAX_UPLOAD_MB} MB; upload at most "
                           f"{MAX_UPLOAD_MB} MB")
    with _read_csv(name, text) as table:
        target = "label" if "label" in table.header else table.header[-1]
        columns = [c for c in table.header if c != target]
        if len(columns) != 2:
            raise SessionError(f"{name} has {len(columns)} feature column(s) besides the label "
                               f"{target!r} ({', '.join(columns)}); the playground draws the "
                               "plane, so give exactly 2 numeric columns and a label")
        if table.n_rows > MAX_UPLOAD_ROWS:
            raise SessionError(f"{name} has {table.n_rows} rows; the playground takes at "
                               f"most {MAX_UPLOAD_ROWS}")
        X = table.numeric(columns)
        if problem == "regression":
            labels = _numeric_target(table, target)
            classes = []
        else:
            labels = read_labels(table, target)
            classes = sorted_classes(labels)
    if problem == "classification" and not 2 <= len(classes) <= MAX_CLASSES:
        raise SessionError(f"{name}: the label column {target!r} has {len(classes)} distinct "
                           f"value(s); classification needs 2 to {MAX_CLASSES} classes")
    return Upload(name, columns, target, X, labels, classes)


def _numeric_target(table, target: str) -> list[float]:
    """The regression target's numbers; a column of text is named as the target it is."""
    values = read_labels(table, target)  # ints, floats, or the text of anything else
    if all(isinstance(v, str) for v in values):
        raise DataError(f"{table.path}: the target column {target!r} holds text such as "
                        f"{values[0]!r}, not numbers; regression predicts a number, so the "
                        "target must be numeric (for labels, choose classification)")
    return table.numeric([target])[:, 0].tolist()


def encoded_labels(upload: Upload, problem: str) -> np.ndarray:
    """The targets as the losses take them: class indices ``0..k-1`` into ``upload.classes``,
    or the floats of a regression target; shape ``(n,)``."""
    if problem == "regression":
        return np.asarray(upload.labels, dtype=float)
    index = {c: i for i, c in enumerate(upload.classes)}
    return np.array([index[v] for v in upload.labels])
