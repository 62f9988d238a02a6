"""Reading CSV files for the command line and the playground: what is read, and the one-line
message for each thing that can be wrong with a file."""

from __future__ import annotations

import re

import pytest
from _csvfiles import write_csv

from scratchnn._csv import DataError, read_chunks, read_labels, read_table, sorted_classes


def test_text_labels_and_numeric_labels_keep_their_type(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["x", "y"], [[1, "2"], [2, "10"], [3, "cat"]])
    table = read_table(str(path))
    assert read_labels(table, "y") == [2, 10, "cat"]
    assert sorted_classes([10, 2, 2]) == [2, 10]


@pytest.mark.parametrize("text", ["x1,x2,\n0.1,0.2,\n\n0.3,0.4,\n", "x1,x2,\n0.1,0.2\n0.3,0.4\n"])
def test_read_table_drops_the_empty_column_of_trailing_commas(tmp_path, text):
    path = tmp_path / "t.csv"
    path.write_text(text)
    table = read_table(str(path))
    assert table.header == ["x1", "x2"]
    assert table.numeric(["x1", "x2"]).tolist() == [[0.1, 0.2], [0.3, 0.4]]
    assert table.lines == ([2, 4] if "\n\n" in text else [2, 3])


@pytest.mark.parametrize(("text", "message"), [
    ("", "t.csv is empty: expected a header line"),
    ("\n \n", "t.csv is empty: expected a header line"),
    ("x1,x2\n", "t.csv has a header but no data rows; add rows below the header"),
    ("0.1,0.2\n0.3,0.4\n", "the first line holds numbers, not column names; add a header line "
     "such as x1,x2"),
    ("0.5,1.2,cat\n0.3,0.4,dog\n", "t.csv: the first line holds numbers, not column names; add a "
     "header line such as x1,x2,x3"),
    ("x1,,x2\n1,2,3\n", "t.csv line 1: the header has no name for column 2; give every column"),
    ("x1,x2\n0.1,0.2,\n", "t.csv line 2: 3 fields, but the header has 2; look for a stray comma"),
    ("x1,x1\n1,2\n", "repeats the column name(s) x1; give every column its own name"),
    ("a;b;y\n1,5;2,3;0\n", "t.csv seems to be separated by semicolons, not commas; save it as"),
    ("a\tb\ty\n1\t2\t0\n", "t.csv seems to be separated by tabs, not commas"),
])
def test_read_table_errors_say_what_to_fix(tmp_path, text, message):
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=re.escape(message)):
        read_table(str(path))


@pytest.mark.parametrize("chunked", [False, True])
def test_the_unnamed_first_column_pandas_writes_is_read_as_pandas_names_it(tmp_path, chunked):
    # df.to_csv() without index=False: an empty first header cell over the row numbers
    import pandas as pd

    path = tmp_path / "t.csv"
    pd.DataFrame({"x1": [0.5, 0.25, 2.0], "y": ["a", "b", "a"]}).to_csv(path)
    assert path.read_text().splitlines()[0] == ",x1,y"
    table = next(read_chunks(str(path), 2)) if chunked else read_table(str(path))
    assert table.header == ["Unnamed: 0", "x1", "y"]
    assert table.header == list(pd.read_csv(path).columns)
    assert table.numeric(["Unnamed: 0", "x1"])[:2].tolist() == [[0, 0.5], [1, 0.25]]


def test_an_unnamed_column_elsewhere_is_still_refused(tmp_path):
    for text, column in (("x1,,y\n1,2,0\n", 2), (",,y\n1,2,0\n", 1)):
        path = tmp_path / "t.csv"
        path.write_text(text)
        with pytest.raises(DataError, match=f"has no name for column {column}"):
            read_table(str(path))


def test_a_text_column_is_named_as_such_and_a_stray_word_by_its_row(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["size", "color", "y"],
                     [[1, "red", 0], [2, "blue", 1], ["n/a", "red", 0]])
    table = read_table(str(path))
    with pytest.raises(DataError, match=re.escape(
            "column 'color' holds text such as 'red', not numbers; features must be numeric, "
            "so drop the column or encode it as numbers")):
        table.numeric(["size", "color"])
    with pytest.raises(DataError, match=re.escape(
            "line 4 (data row 3), column 'size': 'n/a' is not a number; correct it or drop")):
        table.numeric(["size"])
