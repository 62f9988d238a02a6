"""Writing and reading small CSV files in the tests, with the csv module (not the code under
test)."""

from __future__ import annotations

import csv
from pathlib import Path


def write_csv(path: Path, header, rows) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)``, every field as text."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]
