"""Reading tables of numbers and labels from CSV files, for the command line and the playground.

    table = read_table("points.csv")          # header and data rows; checked
    X = table.numeric(["x1", "x2"])           # (n_rows, 2) float64, finite
    labels = read_labels(table, "label")      # [0, 1, "cat", ...]: ints, floats or strings
    classes = sorted_classes(labels)

    for chunk in read_chunks("big.csv", 100_000):   # the same, a slice of rows at a time
        X = chunk.numeric(["x1", "x2"])

Every problem is a ``DataError`` whose message is one line naming the file, the line and the
column where it can, and what to do about it: ``points.csv line 7 (data row 6), column 'x2':
'abc' is not a number; correct it or drop the row``.

How: the header line is read here (at most ``MAX_LINE_BYTES``, so ``/dev/zero`` or a file
without line ends is refused at once), the data by pandas' C parser (imported on first use),
which stores numbers as numbers: memory near the size of the file rather than ten times it.
Anything unusual (a missing value, a stray comma, a word among numbers) sends this module back
to the file with Python's ``csv`` module, row by row, to find the first problem and name its
line: slow, but only on the way to an error message (or for the odd file pandas does not read).
"""

from __future__ import annotations

import csv
import math
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import DataError

MAX_LINE_BYTES = 2**20  # a line longer than this is not a CSV file's (checked before pandas)
SCAN_BLOCK = 2**20  # bytes looked at a time for commas at line ends and long lines
MAX_NAMES_SHOWN = 10  # column names a message lists at most


@dataclass
class Table:
    """A CSV file's header and data rows (``frame``, a pandas DataFrame whose columns are in
    header order: numbers as numbers, text as strings). A chunk of a file read with
    ``read_chunks`` is a ``Table`` too, whose rows start at data row ``first_row`` (from 0)."""

    path: str
    header: list[str]
    frame: object = field(repr=False)
    first_row: int = 0

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def lines(self) -> list[int]:
        """The line number of each data row (found by reading the file again)."""
        stop = self.first_row + self.n_rows
        return [line for i, (_, line) in enumerate(_data_rows(self.path, len(self.header)))
                if self.first_row <= i < stop]

    def column(self, name: str) -> int:
        """The index of column ``name``; an error lists the columns there are."""
        try:
            return self.header.index(name)
        except ValueError:
            raise DataError(f"{self.path} has no column {name!r}; its columns are: "
                            f"{_some(self.header)}") from None

    def numeric(self, columns: Sequence[str]) -> np.ndarray:
        """The named columns as a float array ``(n_rows, len(columns))``; an error names the
        line and column of the first empty, non-numeric or non-finite value."""
        indices = [self.column(name) for name in columns]
        out = np.empty((self.n_rows, len(indices)))
        for j, k in enumerate(indices):
            values = self.frame.iloc[:, k]
            if values.dtype.kind not in "iuf":  # text (or True/False) among the numbers
                return self._numeric_by_row(indices)
            out[:, j] = values.to_numpy()
        if not np.isfinite(out).all():  # empty cells (NaN), or inf
            return self._numeric_by_row(indices)
        return out

    def _numeric_by_row(self, indices: list[int]) -> np.ndarray:
        """``numeric`` the slow way, with Python's ``float``, reading the file row by row: the
        first bad value raises its precise message; values pandas did not take for numbers but
        ``float`` does (``1_000``, integers beyond 64 bits) are returned."""
        out = np.empty((self.n_rows, len(indices)))
        stop = self.first_row + self.n_rows
        for i, (row, line) in enumerate(_data_rows(self.path, len(self.header))):
            if i >= stop:
                break
            for j, k in enumerate(indices):
                value = self._number(row[k], k, i, line)
                if i >= self.first_row:
                    out[i - self.first_row, j] = value
        return out

    def _number(self, cell: str, k: int, i: int, line: int) -> float:
        """The value of data row ``i`` (from 0, at ``line``), column ``k``, as a finite float."""
        text = cell.strip()
        where = f"{self.path} line {line} (data row {i + 1}), column {self.header[k]!r}"
        if not text:
            raise DataError(f"{where}: missing value; fill it in or drop the row")
        try:
            value = float(text)
        except ValueError:
            if not any(_is_number(row[k]) for row, _ in _data_rows(self.path, len(self.header))):
                raise DataError(f"{self.path}: column {self.header[k]!r} holds text such as "
                                f"{text!r}, not numbers; features must be numeric, so drop the "
                                "column or encode it as numbers") from None
            raise DataError(f"{where}: {text!r} is not a number; correct it or drop the "
                            "row") from None
        if not math.isfinite(value):
            raise DataError(f"{where}: {text!r} is not a finite number; correct it or drop "
                            "the row")
        return value


# --- the file and its header -------------------------------------------------------------------


def _open(path: str):
    """The file, opened for reading bytes; only a regular file (a device such as /dev/zero, or
    a pipe, could not be read twice, nor its size known). Checked before it is opened too:
    opening a named pipe waits, for ever, for something to write into it."""
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISDIR(mode):  # a folder has its own message, below
            _check_regular(path, mode)
        f = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    except FileNotFoundError:
        raise DataError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise DataError(f"{path} is a folder, not a CSV file") from None
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        _check_regular(path, os.fstat(f.fileno()).st_mode)  # the file opened is one too
    except DataError:
        f.close()
        raise
    return f


def _check_regular(path: str, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise DataError(f"{path} is not a regular file (a device, a pipe or a socket); save the "
                        "data to a CSV file first")


def _read_header(f, path: str) -> tuple[list[str], bool]:
    """The header cells (the first non-blank line), ``f`` left at the first data line; and
    whether pandas can read on from there (not for old Mac line ends, ``\\r`` alone)."""
    seen = 0
    while True:
        raw = f.readline(MAX_LINE_BYTES + 1)
        seen += len(raw)
        if not raw:
            raise DataError(f"{path} is empty: expected a header line with column names")
        if len(raw) > MAX_LINE_BYTES or seen > MAX_LINE_BYTES:
            raise DataError(f"{path}: no line end in the first {MAX_LINE_BYTES // 2**20} MB; a "
                            "CSV file has one row per line, starting with a header line of "
                            "column names. Is it really a CSV file?")
        try:
            text = raw.decode("utf-8-sig" if seen == len(raw) else "utf-8")
        except UnicodeDecodeError:
            raise DataError(f"{path} is not a UTF-8 text file; is it really a CSV file?"
                            ) from None
        if "\r" in text.rstrip("\r\n") or text.endswith("\r"):
            return [], False
        try:
            cells = next(csv.reader([text]), [])
        except csv.Error:
            return [], False
        if any(cell.strip() for cell in cells):
            return [cell.strip() for cell in cells], True


def _check_separator(path: str, header: list[str]) -> None:
    for separator, name in ((";", "semicolons"), ("\t", "tabs")):
        if len(header) == 1 and separator in header[0]:
            raise DataError(f"{path} seems to be separated by {name}, not commas; save it as a "
                            "comma-separated CSV file (with . as the decimal point)")


def _name_pandas_index(header: list[str]) -> list[str]:
    """The header with an empty first cell named ``Unnamed: 0``, as pandas names it: the row
    index that ``df.to_csv()`` writes without ``index=False`` (the command line warns about
    it, and ``--drop 'Unnamed: 0'`` leaves it out)."""
    if len(header) > 1 and not header[0] and header[1] and "Unnamed: 0" not in header:
        return ["Unnamed: 0", *header[1:]]
    return header


def _check_names(path: str, header: list[str], line: int) -> None:
    if not all(header):
        raise DataError(f"{path} line {line}: the header has no name for column "
                        f"{header.index('') + 1}; give every column a name")
    if 2 * sum(map(_is_number, header)) > len(header):  # mostly numbers (0.5,1.2,cat): data
        example = ",".join(f"x{i + 1}" for i in range(len(header)))
        raise DataError(f"{path}: the first line holds numbers, not column names; add a header "
                        f"line such as {example}")
    _check_repeats(path, header)


def _check_repeats(path: str, header: list[str]) -> None:
    """A name given twice is an error (in one pass: a header may name 100,000 columns)."""
    seen, repeated = set(), set()
    for name in header:
        if name:  # an unnamed column has its own message
            (repeated if name in seen else seen).add(name)
    if repeated:
        raise DataError(f"{path}: the header repeats the column name(s) "
                        f"{_some(sorted(repeated))}; give every column its own name")


def _some(names: Sequence[str]) -> str:
    """The names, comma-separated, the first ``MAX_NAMES_SHOWN`` of them: a message stays a
    line, however many columns a file has."""
    shown = ", ".join(names[:MAX_NAMES_SHOWN])
    more = len(names) - MAX_NAMES_SHOWN
    return shown if more <= 0 else f"{shown} and {more} more"


# --- reading row by row (Python's csv module): the exact rules, and the line numbers -----------


def _csv_rows(path: str) -> Iterator[tuple[list[str], int]]:
    """The non-blank rows of a CSV file (the header first) and their line numbers."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            for row in reader:
                if row and any(cell.strip() for cell in row):
                    yield row, reader.line_num
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a UTF-8 text file; is it really a CSV file?") from None
    except csv.Error as error:
        raise DataError(f"{path} is not valid CSV: {error}") from None
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror or error}") from None


def _data_rows(path: str, width: int | None = None) -> Iterator[tuple[list[str], int]]:
    """The data rows (after the header) with their line numbers; each cut to ``width`` fields
    if given (the empty field of a trailing comma goes)."""
    rows = _csv_rows(path)
    next(rows, None)
    for row, line in rows:
        yield (row if width is None else row[:width]), line


def _check_rows(path: str, header: list[str]) -> list[str]:
    """Read the file row by row and raise the error for the first row whose number of fields
    does not match the header; return the header, without its unnamed last column when every
    row fits that reading (the trailing comma some spreadsheets write)."""
    if len(header) > 1 and not header[-1] and all(
            len(row) == len(header) - 1 or (len(row) == len(header) and not row[-1].strip())
            for row, _ in _data_rows(path)):
        return header[:-1]
    for row, line in _data_rows(path):
        if len(row) != len(header):
            raise DataError(f"{path} line {line}: {len(row)} fields, but the header has "
                            f"{len(header)}; look for a stray comma or a value with a comma "
                            "that needs quotes")
    return header


# --- reading with pandas ---------------------------------------------------------------------


def _pandas_options(n_columns: int) -> dict:
    """``read_csv`` as this module reads: no header (read here), columns by position, an empty
    field is missing (NaN) and every other text is kept as it is ("NA", "null" are words)."""
    # One more column than the header names: pandas would quietly drop an empty extra field
    # ("1,2," under a header of two), which the row-by-row rules count as a stray comma.
    options = {"header": None, "names": [f"c{i}" for i in range(n_columns + 1)],
               "index_col": False, "skipinitialspace": True, "keep_default_na": False,
               "na_values": [""], "engine": "c", "encoding": "utf-8", "skip_blank_lines": True}
    import pandas as pd

    if int(pd.__version__.split(".")[0]) < 3:
        # pandas 2's default float parser can miss the last bit (0.10490011715303971 read as
        # ...397); "round_trip" is Python's own, exact like float(). pandas 3 is exact by
        # default and deprecates the option. (pandas 3 needs Python 3.11.)
        options["float_precision"] = "round_trip"
    return options


def _scan_lines(path: str, width: int) -> bool:
    """Look at every line before pandas does; True if the row-by-row rules must check the rows.

    A line longer than ``MAX_LINE_BYTES`` is a ``DataError`` naming the line and the limit,
    and a line with more commas than a row of ``width`` fields has sends the reader to the
    rules: pandas would first take a single row of millions of fields apart (gigabytes).
    So does a line that ends with a comma (then perhaps a few spaces): pandas reads ``1,2,``
    under a header of two names as ``1,2``, where the rules count a third, empty field. The
    rules (``_check_rows``) decide: a comma may be inside quotes, or the header may end with
    one too. The bytes are scanned ``SCAN_BLOCK`` at a time (a few tenths of a second for
    200 MB, a few MB of memory)."""
    tail, check, lines = b"", False, 0
    run, run_commas = 0, 0  # bytes and commas since the last line end
    with open(path, "rb") as f:
        while True:
            chunk = f.read(SCAN_BLOCK)
            # the end of the file ends a line
            check = check or _comma_at_a_line_end(tail + (chunk or b"\n"))
            data = np.frombuffer(chunk, np.uint8)
            ends = np.flatnonzero((data == ord("\n")) | (data == ord("\r")))
            starts = np.concatenate([[-run - 1], ends])  # where each line of the chunk began
            lengths = np.append(np.diff(starts) - 1, len(data) - 1 - starts[-1])
            if lengths.max() > MAX_LINE_BYTES:
                begin = max(int(starts[np.argmax(lengths)]) + 1, 0)  # of the longest line
                line = lines + 1 + int(np.count_nonzero(data[:begin] == ord("\n")))
                raise DataError(f"{path} line {line} is longer than {MAX_LINE_BYTES // 2**20} "
                                "MB, the limit for one row; a CSV file has one row per line. "
                                "Is it really a CSV file?")
            commas = np.diff(np.searchsorted(np.flatnonzero(data == ord(",")),
                                             np.concatenate([[0], ends, [len(data)]])))
            commas[0] += run_commas
            check = check or bool(commas.max() >= width)
            lines += int(np.count_nonzero(data == ord("\n")))
            run, run_commas = int(lengths[-1]), int(commas[-1])
            if not chunk:
                return check
            tail = chunk[-6:]


def _comma_at_a_line_end(data: bytes) -> bool:
    data = np.frombuffer(data, np.uint8)
    space = (data == ord(" ")) | (data == ord("\t")) | (data == ord("\r"))
    reaches_end = data == ord("\n")  # a line end, after nothing but (at most 4) spaces
    for _ in range(4):
        reaches_end[:-1] |= space[:-1] & reaches_end[1:]
    return bool(((data[:-1] == ord(",")) & reaches_end[1:]).any())


def _blank(values) -> np.ndarray:
    """Which fields of a column (a pandas Series) are missing: NaN, or text of spaces alone
    (pandas gives a missing field of a text column as ``""``). Each distinct text is looked at
    once."""
    if values.dtype.kind in "iufb":
        return values.isna().to_numpy()
    codes, uniques = values.factorize()
    blank = np.array([str(u).strip() == "" for u in uniques] + [True], dtype=bool)
    return blank[codes]  # code -1 (NaN) takes the last entry


def _missing(frame) -> np.ndarray:
    """``_blank`` of every column, ``(rows, columns)``: the numeric columns in one call (a
    file may have 100,000 of them), each text column on its own."""
    numeric = np.array([dtype.kind in "iufb" for dtype in frame.dtypes], dtype=bool)
    missing = np.empty(frame.shape, dtype=bool)
    if numeric.any():
        missing[:, numeric] = frame.iloc[:, np.flatnonzero(numeric)].isna().to_numpy()
    for k in np.flatnonzero(~numeric):
        missing[:, k] = _blank(frame.iloc[:, k])
    return missing


class _Reader:
    """Reads a file's data rows into Tables (all at once, or ``rows`` at a time) with the
    exact rules of ``_check_rows``: pandas reads, ``_check_rows`` explains what pandas
    could not read, or the missing fields behind a NaN."""

    def __init__(self, path: str):
        self.path = path
        with _open(path) as f:
            header, readable = _read_header(f, path)
        self.pandas_can_read = readable
        if not readable:  # a line end pandas does not know: the header by the csv module
            check = _scan_lines(path, 0)  # no line too long, before the csv module reads one
            first = next(_csv_rows(path), None)
            if first is None:
                raise DataError(f"{path} is empty: expected a header line with column names")
            header = [cell.strip() for cell in first[0]]
        else:
            check = _scan_lines(path, len(header))
        _check_separator(path, header)
        header = _name_pandas_index(header)
        _check_repeats(path, header)  # before pandas builds a column for every name
        self.raw_header, self.header = header, header
        self.checked = False
        self.row = 0
        if readable and check:
            self._check()

    def tables(self, rows: int | None) -> Iterator[Table]:
        if not self.pandas_can_read:
            yield self._table(self._frame_by_row())
            return
        import pandas as pd

        options = _pandas_options(len(self.raw_header))
        try:
            with _open(self.path) as f:
                _read_header(f, self.path)
                if rows is None:
                    frames = [pd.read_csv(f, **options)]
                else:
                    frames = pd.read_csv(f, chunksize=rows, **options)
                empty = True
                for frame in frames:
                    empty = False
                    yield self._table(self._cleaned(frame))
                if empty:  # no chunk at all: as an empty one, "a header but no data rows"
                    yield self._table(pd.DataFrame())
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
            if isinstance(error, DataError):
                raise
            if self.row:  # a later chunk: find the row by reading the file again
                self._check()
                raise DataError(f"{self.path} is not valid CSV: {error}") from None
            yield self._table(self._frame_by_row())

    def _cleaned(self, frame):
        """Drop blank rows (every field empty); drop the unnamed, empty last column of trailing
        commas; when a field is still missing, check the rows' lengths (whose error names the
        line) before anything else is reported."""
        missing = _missing(frame)
        if not missing[:, -1].all():  # more fields than the header has
            self._check()
        blank = missing.all(axis=1)
        frame, missing = frame.iloc[:, :-1], missing[:, :-1]
        if blank.any():
            frame, missing = frame[~blank], missing[~blank]
        if len(self.raw_header) > 1 and not self.raw_header[-1] and missing[:, -1].all():
            frame, missing = frame.iloc[:, :-1], missing[:, :-1]
            self.header = self.raw_header[:-1]
        if missing.any():
            self._check()
        return frame

    def _check(self) -> None:
        if not self.checked:
            self.header = _check_rows(self.path, self.raw_header)
            self.checked = True

    def _frame_by_row(self):
        """All data rows as strings, read by the csv module: for files pandas cannot read."""
        import pandas as pd

        self._check()
        rows = [[cell if cell.strip() else None for cell in row]  # None: missing, as NaN
                for row, _ in _data_rows(self.path, len(self.header))]
        return pd.DataFrame(rows, columns=[f"c{i}" for i in range(len(self.header))],
                            dtype=object)

    def _table(self, frame) -> Table:
        line = next(_csv_rows(self.path))[1] if not all(self.header) else 1
        _check_names(self.path, self.header, line)
        if self.row == 0 and len(frame) == 0:
            raise DataError(f"{self.path} has a header but no data rows; add rows below the "
                            "header")
        table = Table(self.path, list(self.header), frame, self.row)
        self.row += len(frame)
        return table


def read_table(path: str) -> Table:
    """Read a CSV file with a header line; blank lines are skipped, and so is an unnamed, empty
    last column (the trailing comma some spreadsheets write). Raises ``DataError``."""
    return next(_Reader(path).tables(None))


def read_chunks(path: str, rows: int) -> Iterator[Table]:
    """``read_table`` ``rows`` data rows at a time (the last chunk may be shorter): memory for
    one chunk, whatever the size of the file. A problem is raised when its chunk is read."""
    return _Reader(path).tables(rows)


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
    values = table.frame.iloc[:, k]
    kind = values.dtype.kind
    if kind in "iu":  # whole numbers, as pandas read them: the labels are those ints
        return values.tolist()
    if kind == "f" and values.notna().all():
        numbers = values.to_numpy()
        if np.isfinite(numbers).all() and (numbers != np.round(numbers)).all():
            return numbers.tolist()  # no whole number: every label is the float of its text
    if kind not in "fb" and not _blank(values).any():  # text: each distinct one converted once
        codes, uniques = values.factorize()
        labels = np.array([label_value(str(u).strip()) for u in uniques], dtype=object)
        return labels[codes].tolist()
    # decimals (is "2.0" the float 2.0 or "2" the int 2?), True/False, or a missing label:
    # back to the text of each field
    labels = []
    stop = table.first_row + table.n_rows
    for i, (row, line) in enumerate(_data_rows(table.path, len(table.header))):
        if i >= stop:
            break
        text = row[k].strip()
        if not text:
            raise DataError(f"{table.path} line {line} (data row {i + 1}), column {target!r}: "
                            "missing label; fill it in or drop the row")
        if i >= table.first_row:
            labels.append(label_value(text))
    return labels


def sorted_classes(labels: list) -> list:
    """The distinct labels in order: numerically when all are numbers, else as text."""
    values = set(labels)
    if all(isinstance(v, (int, float)) for v in values):
        return sorted(values)
    return sorted(values, key=str)
