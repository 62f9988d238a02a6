"""The CSV reader's bounds: a line too long, a row of far too many fields, a header of a hundred
thousand names. Each is a one-line ``DataError`` (naming the limit, with at most a few names),
found before pandas reads the rows, in a few MB: tracemalloc's peaks, not times."""

from __future__ import annotations

import tracemalloc

import pytest

from scratchnn import _csv
from scratchnn._csv import MAX_LINE_BYTES, read_labels, read_table
from scratchnn.errors import DataError


def peak_bytes(function) -> int:
    """tracemalloc's peak, above what was allocated before, while ``function()`` runs."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        function()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def refused(path) -> str:
    """The message of the DataError reading ``path`` raises."""
    with pytest.raises(DataError) as error:
        read_table(str(path))
    return str(error.value)


@pytest.fixture(autouse=True)
def pandas_loaded():
    pytest.importorskip("pandas")
    import pandas  # noqa: F401 - loaded before a peak is measured, not inside it


def test_a_line_longer_than_the_limit_is_refused_before_pandas_reads(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("x1,x2,label\n1,2,0\n" + "1," * 1_300_000 + "1\n3,4,1\n")  # 2.6 MB line
    messages = []
    peak = peak_bytes(lambda: messages.append(refused(path)))
    assert messages == [f"{path} line 3 is longer than 1 MB, the limit for one row; a CSV file "
                        "has one row per line. Is it really a CSV file?"]
    assert peak < 16 * 2**20  # the file is scanned a block at a time


def test_the_limit_holds_across_the_scans_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(_csv, "SCAN_BLOCK", 7)  # every line crosses blocks
    monkeypatch.setattr(_csv, "MAX_LINE_BYTES", 20)
    (tmp_path / "ok.csv").write_text("x1,x2,label\n" + "1.2345,2.3456,0\n" * 3 + "9,9,1\n")
    assert read_table(str(tmp_path / "ok.csv")).n_rows == 4
    (tmp_path / "long.csv").write_text("x1,x2,label\n1,2,0\n1.234567890,2.345678901,1\n")
    assert "long.csv line 3 is longer than" in refused(tmp_path / "long.csv")
    (tmp_path / "last.csv").write_text("x1,x2,label\n1,2,0\n" + "1" * 21)  # no line end
    assert "last.csv line 3 is longer than" in refused(tmp_path / "last.csv")


def test_a_line_of_the_limits_length_is_read(tmp_path):
    label = "y" * (MAX_LINE_BYTES - len("1,2,"))
    path = tmp_path / "long_label.csv"
    path.write_text(f"x1,x2,label\n1,2,{label}\n3,4,z\n")
    labels = read_labels(read_table(str(path)), "label")
    assert labels == [label, "z"]


def test_a_row_of_far_too_many_fields_is_found_without_pandas(tmp_path):
    path = tmp_path / "fields.csv"
    path.write_text("x1,x2,label\n1,2,0\n" + "1," * 500_000 + "1\n")  # 1 MB, 500,001 fields
    messages = []
    peak = peak_bytes(lambda: messages.append(refused(path)))
    assert messages == [f"{path} line 3: 500001 fields, but the header has 3; look for a stray "
                        "comma or a value with a comma that needs quotes"]
    assert peak < 32 * 2**20  # pandas took 186 MB to split this row


def test_commas_inside_quotes_are_still_fields_of_their_own_row(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text('x1,x2,label\n1,2,"Smith, John, Jr."\n3,4,"Doe, Jane"\n')
    table = read_table(str(path))
    assert read_labels(table, "label") == ["Smith, John, Jr.", "Doe, Jane"]


def test_a_header_of_100k_names_with_repeats_is_one_short_line_at_once(tmp_path):
    path = tmp_path / "names.csv"
    names = [f"c{i % 50_000}" for i in range(100_000)]
    path.write_text(",".join(names) + "\n" + ",".join("1" * 100_000) + "\n")
    messages = []
    peak = peak_bytes(lambda: messages.append(refused(path)))
    (message,) = messages
    assert message == (f"{path}: the header repeats the column name(s) c0, c1, c10, c100, "
                       "c1000, c10000, c10001, c10002, c10003, c10004 and 49990 more; give "
                       "every column its own name")
    assert peak < 32 * 2**20  # refused before pandas builds 100,000 columns


def test_a_missing_column_names_a_few_of_those_there_are(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text(",".join(f"f{i}" for i in range(100)) + "\n" + ",".join("1" * 100) + "\n")
    with pytest.raises(DataError) as error:
        read_table(str(path)).column("label")
    assert str(error.value) == (f"{path} has no column 'label'; its columns are: f0, f1, f2, f3, "
                                "f4, f5, f6, f7, f8, f9 and 90 more")


def test_a_wide_table_is_read_in_memory_near_its_size(tmp_path):
    n = 20_000
    path = tmp_path / "wide_ok.csv"
    path.write_text(",".join(f"c{i}" for i in range(n)) + "\n"
                    + ("\n".join(",".join("1" * n) for _ in range(3))) + "\n")
    X = []
    peak = peak_bytes(lambda: X.append(read_table(str(path)).numeric(["c0", f"c{n - 1}"])))
    assert X[0].shape == (3, 2)
    assert peak < 200 * 2**20  # about 2.4 KB a column: pandas' own cost
