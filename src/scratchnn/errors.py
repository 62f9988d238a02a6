"""The exceptions that more than one part of scratchnn raises, in one neutral place.

Each is a ``ValueError`` subclass with a one-line message that names
the problem and the fix, so a face (the command line, the playground, the estimators) can report
it as it is without importing another face.
"""

from __future__ import annotations


class DataError(ValueError):
    """A problem with the user's data (a file, a column, a value): a one-line message that names
    the problem and the fix."""


class ModelFileError(ValueError):
    """A model file is missing, damaged, of an unknown format, or does not fit together."""


class TrainingDivergedError(ValueError, FloatingPointError):
    """The loss became NaN or infinite during training, or grew far beyond its start.
    ``cause`` names the setting to change: ``"learning rate"`` or ``"alpha"``.

    A ``ValueError`` (what scikit-learn's MLPs raise for weights that are no longer finite)
    and a ``FloatingPointError`` (what it is)."""

    cause = "learning rate"


class CommandError(Exception):
    """A problem a command reports as one line and exit code 1 (the command line's commands and
    the playground's server alike): bad data, a missing file, a busy port."""

    exit_code = 1
