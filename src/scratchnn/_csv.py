"""Reading tables of numbers and labels from CSV files, for the command line and the playground.

    table = read_table("points.csv")          # header, rows, line numbers; checked
    X = table.numeric(["x1", "x2"])           # (n_rows, 2) float64, finite
    labels = read_labels(table, "label")      # [0, 1, "cat", ...]: ints, floats or strings
    classes = sorted_classes(labels)

Every problem is a ``DataError`` whose message is one line naming the file, the line and the
column where it can, and what to do about it: ``points.csv line 7 (data row 6), column 'x2':
'abc' is not a number; correct it or drop the row``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


class DataError(ValueError):
    """A problem with the user's data (a file, a column, a value): a one-line message that names
    the problem and the fix."""


@dataclass
class Table:
    """A CSV file's header and rows (as strings), with each row's line number for errors."""

    path: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    def column(self, name: str) -> int:
        """The index of column ``name``; an error lists the columns there are."""
        try:
            return self.header.index(name)
        except ValueError:
            raise DataError(f"{self.path} has no column {name!r}; its columns are: "
                            f"{', '.join(self.header)}") from None

    def numeric(self, columns: Sequence[str]) -> np.ndarray:
        """The named columns as a float array ``(n_rows, len(columns))``; an error names the
        line and column of the first empty, non-numeric or non-finite value."""
        indices = [self.column(name) for name in columns]
        out = np.empty((len(self.rows), len(indices)))
        for i in range(len(self.rows)):
            for j, k in enumerate(indices):
                out[i, j] = self._number(i, k)
        return out

    def _number(self, i: int, k: int) -> float:
        """The value of data row ``i`` (from 0), column ``k``, as a finite float."""
        text = self.rows[i][k].strip()
        where = f"{self.path} line {self.lines[i]} (data row {i + 1}), column {self.header[k]!r}"
        if not text:
            raise DataError(f"{where}: missing value; fill it in or drop the row")
        try:
            value = float(text)
        except ValueError:
            if not any(_is_number(other[k]) for other in self.rows):
                raise DataError(f"{self.path}: column {self.header[k]!r} holds text such as "
                                f"{text!r}, not numbers; features must be numeric, so drop the "
                                "column or encode it as numbers") from None
            raise DataError(f"{where}: {text!r} is not a number; correct it or drop the "
                            "row") from None
        if not math.isfinite(value):
            raise DataError(f"{where}: {text!r} is not a finite number; correct it or drop "
                            "the row")
        return value


def _read_rows(path: str) -> tuple[list[list[str]], list[int]]:
    """The non-blank rows of a CSV file and their line numbers (standard library ``csv``)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            rows, lines = [], []
            for row in reader:
                if row and any(cell.strip() for cell in row):
                    rows.append(row)
                    lines.append(reader.line_num)
    except FileNotFoundError:
        raise DataError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise DataError(f"{path} is a folder, not a CSV file") from None
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a UTF-8 text file; is it really a CSV file?") from None
    except csv.Error as error:
        raise DataError(f"{path} is not valid CSV: {error}") from None
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror or error}") from None
    if not rows:
        raise DataError(f"{path} is empty: expected a header line with column names")
    return rows, lines


def _check_separator(path: str, header: list[str]) -> None:
    for separator, name in ((";", "semicolons"), ("\t", "tabs")):
        if len(header) == 1 and separator in header[0]:
            raise DataError(f"{path} seems to be separated by {name}, not commas; save it as a "
                            "comma-separated CSV file (with . as the decimal point)")


def _check_names(path: str, header: list[str], line: int) -> None:
    if not all(header):
        raise DataError(f"{path} line {line}: the header has no name for column "
                        f"{header.index('') + 1}; give every column a name")
    if 2 * sum(map(_is_number, header)) > len(header):  # mostly numbers (0.5,1.2,cat): data
        example = ",".join(f"x{i + 1}" for i in range(len(header)))
        raise DataError(f"{path}: the first line holds numbers, not column names; add a header "
                        f"line such as {example}")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise DataError(f"{path}: the header repeats the column name(s) "
                        f"{', '.join(duplicates)}; give every column its own name")


def read_table(path: str) -> Table:
    """Read a CSV file with a header line; blank lines are skipped, and so is an unnamed, empty
    last column (the trailing comma some spreadsheets write). Raises ``DataError``."""
    rows, lines = _read_rows(path)
    header, header_line = [cell.strip() for cell in rows[0]], lines[0]
    _check_separator(path, header)
    rows, lines = rows[1:], lines[1:]
    if len(header) > 1 and not header[-1] and all(
            len(row) == len(header) - 1 or (len(row) == len(header) and not row[-1].strip())
            for row in rows):
        header = header[:-1]  # trailing commas
        rows = [row[:len(header)] for row in rows]
    for row, line in zip(rows, lines):
        if len(row) != len(header):
            raise DataError(f"{path} line {line}: {len(row)} fields, but the header has "
                            f"{len(header)}; look for a stray comma or a value with a comma "
                            "that needs quotes")
    _check_names(path, header, header_line)
    if not rows:
        raise DataError(f"{path} has a header but no data rows; add rows below the header")
    return Table(path, header, rows, lines)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def label_value(text: str):
    """A class label as read from a CSV: an int or float when it is one, else the string."""
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text  # "nan" or "inf" as a label is a name, not a number
    if number == int(number) and "." not in text and "e" not in text.lower():
        return int(number)
    return number


def read_labels(table: Table, target: str) -> list:
    """The labels in column ``target``, one per row (see ``label_value``); none may be empty."""
    k = table.column(target)
    labels = []
    for i, (row, line) in enumerate(zip(table.rows, table.lines)):
        text = row[k].strip()
        if not text:
            raise DataError(f"{table.path} line {line} (data row {i + 1}), column {target!r}: "
                            "missing label; fill it in or drop the row")
        labels.append(label_value(text))
    return labels


def sorted_classes(labels: list) -> list:
    """The distinct labels in order: numerically when all are numbers, else as text."""
    values = set(labels)
    if all(isinstance(v, (int, float)) for v in values):
        return sorted(values)
    return sorted(values, key=str)
