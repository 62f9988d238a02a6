"""The command line against hostile files: a named pipe where a data or model file should be
(refused at once, never waited on), and class labels that a spreadsheet would run as formulas
(written with a leading quote)."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest

from scratchnn import persistence
from scratchnn.cli.outputs import spreadsheet_safe

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A model, a data file, and a named pipe with nothing ever written into it."""
    from scratchnn.datasets import moons
    from scratchnn.estimator import MLPClassifier

    folder = tmp_path_factory.mktemp("hostile")
    X, y = moons(60, random_state=0)
    estimator = MLPClassifier(hidden_layer_sizes=(4,), max_iter=50, random_state=0).fit(X, y)
    persistence.save(estimator, folder / "model.npz")
    write_csv(folder / "data.csv", ["x1", "x2", "label"],
              [[*x, int(t)] for x, t in zip(X.tolist(), y)])
    os.mkfifo(folder / "pipe")
    return folder


@pytest.mark.parametrize(("args", "what"), [
    (["train", "--data", "{pipe}", "--target", "label", "--epochs", "1"], "data"),
    (["evaluate", "{model}", "--data", "{pipe}", "--target", "label"], "data"),
    (["predict", "{model}", "{pipe}"], "data"),
    (["plot", "{model}", "--data", "{pipe}", "--target", "label", "-o", "{out}"], "data"),
    (["predict", "{pipe}", "{data}"], "model"),
    (["evaluate", "{pipe}", "--data", "{data}", "--target", "label"], "model"),
    (["plot", "{pipe}", "--dataset", "moons", "-o", "{out}"], "model"),
    (["export", "{pipe}", "{onnx}"], "model"),
])
def test_a_named_pipe_is_refused_before_it_is_opened(files, run_cli, args, what):
    names = {"pipe": files / "pipe", "model": files / "model.npz", "data": files / "data.csv",
             "out": files / "out.png", "onnx": files / "out.onnx"}
    result = run_cli(*(a.format(**names) for a in args), timeout=120)  # a hang fails here
    assert result.returncode != 0
    expected = ("save the data to a CSV file first" if what == "data"
                else "save the model to a file first")
    assert f"{files / 'pipe'} is not a regular file (a device, a pipe or a socket)" in (
        result.stderr)
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not (files / "out.png").exists() and not (files / "out.onnx").exists()


def test_the_readers_check_before_opening(files, monkeypatch):
    """No open() of the pipe at all (it would wait for a writer for ever)."""
    import builtins

    from scratchnn._csv import read_table
    from scratchnn.errors import DataError, ModelFileError

    real_open = builtins.open
    opened = []

    def spy(path, *args, **kwargs):
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    with pytest.raises(DataError, match="not a regular file"):
        read_table(str(files / "pipe"))
    with pytest.raises(ModelFileError, match="not a regular file"):
        persistence.load(files / "pipe")
    assert str(files / "pipe") not in opened


# --- formulas ---------------------------------------------------------------------------------


def test_text_that_a_spreadsheet_would_run_gets_a_quote():
    row = ["=1+1", "=HYPERLINK(\"http://example.com\",\"x\")", "@SUM(A1:A2)", "+cmd", "-cmd",
           "\tx", "\rx", "plain", "p_=1+1", "", "-1.5", "+2e-3", "-.5", "1e5", -1.5, 7]
    assert spreadsheet_safe(row) == [
        "'=1+1", "'=HYPERLINK(\"http://example.com\",\"x\")", "'@SUM(A1:A2)", "'+cmd", "'-cmd",
        "'\tx", "'\rx", "plain", "p_=1+1", "", "-1.5", "+2e-3", "-.5", "1e5", -1.5, 7]


def test_predict_neutralises_formula_labels_in_rows_and_the_proba_header(tmp_path,
                                                                         run_cli_inprocess):
    from scratchnn.datasets import moons
    from scratchnn.estimator import MLPClassifier

    X, y = moons(80, random_state=0)
    labels = np.array(["=1+1", "@SUM(1+1)", "-2+3"])[y + (X[:, 0] > 1.5)]
    estimator = MLPClassifier(hidden_layer_sizes=(6,), max_iter=200, random_state=0)
    estimator.fit(X, labels)
    persistence.save(estimator, tmp_path / "formulas.npz")
    points = write_csv(tmp_path / "points.csv", ["x1", "x2"], X.tolist())
    out = tmp_path / "predictions.csv"
    code, _, err = run_cli_inprocess("predict", tmp_path / "formulas.npz", points, "--proba",
                                     "-o", out)
    assert code == 0, err
    with open(out, newline="") as f:
        header, *rows = list(csv.reader(f))
    assert header == ["prediction", "p_-2+3", "p_=1+1", "p_@SUM(1+1)"]
    expected = ["'" + label for label in estimator.predict(X)]
    assert [r[0] for r in rows] == expected
    assert {r[0] for r in rows} <= {"'=1+1", "'@SUM(1+1)", "'-2+3"}
    assert all(float(p) >= 0 for r in rows for p in r[1:])


def test_negative_predictions_stay_numbers(tmp_path, run_cli_inprocess):
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(60, 2))
    data = write_csv(tmp_path / "heights.csv", ["u", "v", "height"],
                     [[p, q, p - q - 3] for p, q in X])
    code, _, err = run_cli_inprocess("train", "--data", data, "--target", "height", "--task",
                                     "regression", "--epochs", "5", "--save",
                                     tmp_path / "r.npz")
    assert code == 0, err
    code, out, err = run_cli_inprocess("predict", tmp_path / "r.npz", data)
    assert code == 0, err
    values = out.splitlines()[1:]
    assert any(v.startswith("-") for v in values)
    assert all(not v.startswith("'") for v in values)
    assert all(np.isfinite(float(v)) for v in values)
