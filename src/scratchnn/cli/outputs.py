"""The files a command writes: checked before any work, then written all together, each
atomically (``scratchnn._files.StagedOutputs``: temporary files, then ``os.replace``), so a
failed or interrupted run never damages a file that is already on disk. Plus what the figures
share: plain matplotlib axes, legend and axis names.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
from collections.abc import Iterator
from pathlib import Path

from .._files import StagedOutputs, error_message
from .._prep import Prep
from .status import CLIError, UsageError

# --- checks before any work --------------------------------------------------------------------


def check_output_path(option: str, path: str | None) -> None:
    """Fail before training if an output could never be written."""
    if path is None:
        return
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise UsageError(f"{option} {path} is a folder; give a file name")
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: the folder {folder} does not exist; create it "
                         "first")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{option} {path}: the folder {folder} is not writable; choose a "
                         "folder you can write to")


def same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return os.path.realpath(a) == os.path.realpath(b)


def check_not_an_input(option: str, path: str | None, inputs: list[str | None]) -> None:
    """An output must never replace one of the command's own input files."""
    for source in inputs:
        if path and source and same_file(path, source):
            raise UsageError(f"{option} {path} is also an input of this command and would be "
                             "overwritten; write to another file name")


def check_figure_path(option: str, path: str | None) -> None:
    """The image format comes from the file's extension; refuse one matplotlib cannot write."""
    if path is None:
        return
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = os.path.splitext(path)[1].lstrip(".").lower()
    if suffix not in formats:
        raise UsageError(f"{option} {path}: the file name must end in an image format such as "
                         f".png, .svg or .pdf (supported: {', '.join(sorted(formats))})")


# --- writing -----------------------------------------------------------------------------------


@contextlib.contextmanager
def staged_outputs() -> Iterator[StagedOutputs]:
    """Outputs written together when the block succeeds (else none), with write errors as one
    line naming the file: ``cannot write m.npz: Permission denied; choose a folder ...``."""
    try:
        with StagedOutputs() as outputs:
            yield outputs
    except OSError as error:
        hint = "; choose a folder you can write to" if isinstance(error, PermissionError) else ""
        raise CLIError(f"{error_message(error)}{hint}") from None


# A spreadsheet takes a cell that starts with one of these for a formula (=HYPERLINK(...)).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(row: list) -> list:
    """The cells of a CSV row as a spreadsheet may open them without running anything: text
    that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (a class label such
    as ``=1+1``) gets a leading single quote, as spreadsheet-facing tools do. Numbers stay as
    they are, and so does text that is a plain number (``-1.5``, ``+2e-3``)."""
    return [f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_STARTS)
            and not _PLAIN_NUMBER.fullmatch(cell) else cell for cell in row]


def write_rows(path: str, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(spreadsheet_safe(header))
        writer.writerows(map(spreadsheet_safe, rows))


def write_figure(outputs: StagedOutputs, path: str, ax) -> None:
    suffix = os.path.splitext(path)[1] or ".png"
    outputs.write(path, lambda tmp: ax.figure.savefig(tmp, dpi=150, format=suffix.lstrip(".")),
                  suffix)


# --- figures -----------------------------------------------------------------------------------


def plain_axes():
    """Axes on a plain ``Figure``: written to a file, never shown, never kept by pyplot."""
    from matplotlib.figure import Figure

    from ..plotting import BOUNDARY_FIGSIZE

    return Figure(figsize=BOUNDARY_FIGSIZE, layout="constrained").add_subplot()


def class_names(classes: list) -> list[str]:
    """Legend names: "class 0" for numeric labels, the label itself for text labels."""
    return [c if isinstance(c, str) else f"class {c}" for c in classes]


def axis_names(prep: Prep) -> list[str] | None:
    """A CSV's column names label the figure's axes; the built-in datasets keep x1, x2."""
    return None if prep.feature_names == ["x1", "x2"] else prep.feature_names
