"""Which columns of a CSV file a command uses, and the surprises worth a warning.

    scratchnn train --data flowers.csv --target species --drop id
    scratchnn train --data flowers.csv --target species --columns petal_length,petal_width

- ``--drop COL[,COL...]`` leaves columns out; ``--columns COL[,COL...]`` lists the ones to use
  (one or the other: together they would be two answers to one question). A name that is not a
  column is named with the closest one (``--target Species``: did you mean 'species'?).
- The columns a model was trained without are stored with it (``ignored_columns`` in its
  metadata), so ``evaluate``, ``predict`` and ``plot`` leave them out of a file by themselves.
- ``train`` warns about a column that looks like a row id (a header such as ``id`` or
  ``index``, or unique integers counting up by one): the network would learn from row numbers.
  The index pandas writes (``df.to_csv()`` without ``index=False``: a first column with an
  empty header cell, read as ``Unnamed: 0``) is named as such.
- ``evaluate`` and ``predict`` warn when a file's columns have other names than the model's
  (same number: used by position) or its labels include classes the model never saw.
"""

from __future__ import annotations

import difflib
import shlex
import sys
from collections import Counter

import numpy as np

from .._csv import DataError, Table
from .status import UsageError

ID_NAMES = ("id", "index", "row_id", "rowid")  # headers that say "row number" (any case)
PANDAS_INDEX = "Unnamed: 0"  # how pandas names the unnamed index column df.to_csv() writes
MIN_ID_ROWS = 5  # fewer rows counting up by one is too little to call a column a row id
SHOWN = 6  # names shown of a long list of columns


def warn(message: str) -> None:
    """One line on stderr, ``scratchnn: warning: ...``; the command goes on."""
    print(f"scratchnn: warning: {message}", file=sys.stderr, flush=True)


def listed(names: list[str]) -> str:
    """``"a, b, c"``; a long list shortened to its first ``SHOWN`` names and the count."""
    if len(names) <= SHOWN:
        return ", ".join(names)
    return f"{', '.join(names[:SHOWN])}, ... ({len(names)} in all)"


def closest(name: str, columns: list[str]) -> str | None:
    """The column ``name`` was probably meant to be: the same but for case, else the closest
    spelling (``None`` if nothing is close)."""
    same_but_case = [c for c in columns if c.lower() == name.lower()]
    if same_but_case:
        return same_but_case[0]
    close = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
    return close[0] if close else None


def check_column(table: Table, name: str, option: str) -> None:
    """Refuse ``option name`` (``--target Species``) when ``name`` is not a column of the
    file (a ``DataError``: the file does not have it), naming the closest one."""
    if name in table.header:
        return
    guess = closest(name, table.header)
    hint = f"; did you mean {option} {shlex.quote(guess)}?" if guess else ""
    raise DataError(f"{table.path} has no column {name!r}; its columns are: "
                    f"{listed(table.header)}{hint}")


def chosen_columns(args, table: Table, target: str | None) -> tuple[list[str], list[str]]:
    """``(feature columns, columns left out)`` of a file, by ``--columns`` or ``--drop`` (the
    target is never a feature)."""
    drop, keep = getattr(args, "drop", None), getattr(args, "columns", None)
    if drop and keep:
        raise UsageError("--drop and --columns both choose the feature columns: give one of "
                         "them (--columns lists the columns to use, --drop the ones to leave "
                         "out)")
    option, names = ("--columns", keep) if keep else ("--drop", drop or [])
    for name in names:
        check_column(table, name, option)
        if name == target:
            raise UsageError(f"{option} {name}: that is the target column, which is never an "
                             f"input; leave it out of {option}")
    if keep:
        features = list(keep)
    else:
        features = [c for c in table.header if c != target and c not in names]
    left_out = [c for c in table.header if c != target and c not in features]
    return features, left_out


# --- train: columns that look like row numbers ---------------------------------------------------


def row_id_warnings(names: list[str], X: np.ndarray) -> list[str]:
    """A warning for each column of ``X (n, len(names))`` that looks like a row id, with the
    option that leaves it out (``train`` prints them once the data passed its checks, so that
    an error stays one line)."""
    warnings = []
    for j, name in enumerate(names):
        drop = f"--drop {shlex.quote(name)}"
        if name == PANDAS_INDEX:
            warnings.append(f"column {name!r} looks like the row index pandas writes "
                            "(df.to_csv() without index=False), not a measurement; write the "
                            f"file with index=False, or leave the column out with {drop}")
        elif name.lower() in ID_NAMES or _counts_up(X[:, j]):
            why = "its name" if name.lower() in ID_NAMES else "unique integers counting up by one"
            warnings.append(f"column {name!r} looks like a row id ({why}), not a measurement; "
                            f"the network would learn from it: leave it out with {drop}")
    return warnings


def _counts_up(values: np.ndarray) -> bool:
    """Whole numbers going up by exactly one from row to row (0, 1, 2, ... or 17, 18, ...)."""
    with np.errstate(over="ignore", invalid="ignore"):  # huge values: not counting up by one
        return (values.size >= MIN_ID_ROWS and bool(np.all(values == np.round(values)))
                and bool(np.all(np.diff(values) == 1)))


# --- evaluate, predict: a file that is not like the training data ---------------------------------


def model_columns(prep, table: Table, args, target: str | None) -> list[str]:
    """The columns of ``table`` to read as the model's inputs, in the model's order: by name
    when the file has the model's columns (after ``--drop``/``--columns`` and the columns the
    model was trained without), else by position, with a warning, when there are as many;
    otherwise the error that lists what is missing."""
    columns, _ = chosen_columns(args, table, target)
    expected = prep.feature_names
    ignored = set(prep.info.get("ignored_columns") or ()) - set(expected)
    if prep.info.get("selected_columns"):  # trained with --columns: those, whatever else
        ignored |= set(columns) - set(expected)
    columns = [c for c in columns if c not in ignored]
    if sorted(columns) == sorted(expected):
        return list(expected)
    if len(columns) == len(expected):
        warn(f"{table.path} has the columns {listed(columns)}, but the model was trained on "
             f"{listed(expected)}; they are used in that order, by position. Rename the "
             "columns if they mean something else")
        return columns
    try:
        prep.check_columns(columns, table.path)  # raises: what is missing, what is unexpected
    except DataError as error:
        raise DataError(f"{error}{_extra_hint(columns, expected)}") from None
    return list(expected)


def _extra_hint(columns: list[str], expected: list[str]) -> str:
    """How to leave out the columns a model does not take: pandas' index, or ``--drop``."""
    extra = [c for c in columns if c not in expected]
    if PANDAS_INDEX in extra:
        return (f"; {PANDAS_INDEX!r} is the row index pandas writes (df.to_csv() without "
                "index=False): write the file with index=False, or add --drop 'Unnamed: 0'")
    if extra and all(c in columns for c in expected):
        return f"; leave the others out with --drop {shlex.quote(','.join(extra))}"
    return ""


def split_unseen(prep, labels: list, source: str) -> np.ndarray:
    """Which rows (a boolean mask) hold a label among the model's classes; a warning names the
    labels it never saw and how many rows hold them (none when no row is left to score: that
    is the caller's error)."""
    known = set(prep.classes)
    seen = np.array([label in known for label in labels], dtype=bool)
    if seen.any() and not seen.all():
        unseen = Counter(label for label, ok in zip(labels, seen) if not ok)
        warn_unseen(source, unseen, prep.classes, int(seen.sum()))
    return seen


def warn_unseen(source: str, unseen: Counter, classes: list, scored: int | None = None) -> None:
    """The warning for labels that are not among the model's ``classes`` (``unseen``: how many
    rows hold each)."""
    distinct = sorted(str(label) for label in unseen)
    count = sum(unseen.values())
    rows = f"{count} row{'s' if count != 1 else ''}"
    then = "" if scored is None else f"; the scores below are on the other {scored} rows"
    warn(f"{source}: {rows} with labels the model never saw ({listed(distinct)}; it knows "
         f"{listed([str(c) for c in classes])}){then}")
