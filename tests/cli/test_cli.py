"""The ``scratchnn`` command, driven as a user drives it: ``python -m scratchnn ...``.

Each run starts a fresh interpreter (about a second of imports), so the error cases are
launched together, a few at a time, by one module-scoped fixture and checked one by one.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from _csvfiles import read_csv, write_csv
from PIL import Image

from scratchnn import cli, persistence

FAST = ["--n-samples", "80", "--epochs", "30"]


# --- a labelled CSV with 3 columns and text labels, and trained models -------------------------


@pytest.fixture(scope="module")
def work(tmp_path_factory, run_cli):
    folder = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    n = 90
    X = rng.normal(size=(n, 3)) * [1.0, 10.0, 0.1] + [0.0, 50.0, 2.0]
    score = X[:, 0] + (X[:, 1] - 50) / 10
    labels = np.where(score > 0.5, "high", np.where(score < -0.5, "low", "mid"))
    rows = [[f"{a:.4f}", f"{b:.4f}", f"{c:.4f}", label] for (a, b, c), label in zip(X, labels)]
    write_csv(folder / "train.csv", ["a", "b", "c", "level"], rows)
    write_csv(folder / "features.csv", ["c", "a", "b"], [[r[2], r[0], r[1]] for r in rows[:25]])

    csv_run = run_cli("train", "--data", folder / "train.csv", "--target", "level", "--hidden", "8",
                      "--epochs", "60", "--save", folder / "csv.npz", "--history",
                      folder / "history.csv")
    moons_run = run_cli("train", "--dataset", "moons", *FAST, "--hidden", "6", "--activation",
                        "tanh", "--optimizer", "momentum", "--features", "x1,x2,x1*x2",
                        "--save", folder / "moons.npz", "--plot", folder / "moons.png",
                        "--animate", folder / "moons.gif")
    return {"dir": folder, "csv_run": csv_run, "moons_run": moons_run}


def test_train_on_a_csv_prints_a_summary_ending_with_the_test_accuracy(work):
    result = work["csv_run"]
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # not a terminal: no progress bar, nothing but the summary
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("test accuracy: ")
    value = last.split(": ")[1]
    assert len(value.split(".")[1]) == 4 and 0.0 <= float(value) <= 1.0
    assert "classes: high, low, mid" in result.stdout


def test_the_saved_model_carries_its_preprocessing(work):
    model, header = persistence.load(work["dir"] / "csv.npz", return_header=True)
    meta = header["metadata"]
    assert meta["feature_names"] == ["a", "b", "c"]
    assert meta["classes"] == ["high", "low", "mid"]
    assert meta["target"] == "level"
    # The scale of column b is about 10, of c about 0.1: standardisation recorded them.
    scale = np.array(meta["standardize"]["scale"])
    assert 5 < scale[1] < 20 and 0.05 < scale[2] < 0.2
    assert model.n_inputs == 3 and model.n_outputs == 3


def test_history_csv_has_one_row_per_epoch(work):
    header, rows = read_csv(work["dir"] / "history.csv")
    assert header[:3] == ["epoch", "loss", "accuracy"]
    assert [int(r[0]) for r in rows] == list(range(1, 61))
    assert all(float(r[1]) > 0 for r in rows)


def test_train_writes_a_png_and_a_gif_of_the_expected_size(work):
    result = work["moons_run"]
    assert result.returncode == 0, result.stderr
    with Image.open(work["dir"] / "moons.png") as png:
        assert png.format == "PNG"
        assert png.size == (960, 810)  # a 6.4 x 5.4 inch figure at 150 dpi
        png.verify()
    with Image.open(work["dir"] / "moons.gif") as gif:
        assert gif.format == "GIF"
        assert gif.n_frames >= 20
        assert gif.size == (688, 320)  # an 8.6 x 4 inch figure at 80 dpi


def test_predict_matches_the_library_row_for_row(work, run_cli):
    folder = work["dir"]
    result = run_cli("predict", folder / "csv.npz", folder / "features.csv", "--proba")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    header, *rows = list(csv.reader(lines))
    assert header == ["prediction", "p_high", "p_low", "p_mid"]

    model, meta = persistence.load(folder / "csv.npz", return_header=True)
    meta = meta["metadata"]
    _, raw = read_csv(folder / "features.csv")  # columns c, a, b: the command reorders by name
    X = np.array([[float(r[1]), float(r[2]), float(r[0])] for r in raw])
    X = (X - meta["standardize"]["mean"]) / meta["standardize"]["scale"]
    logits = model.forward(X)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert len(rows) == len(raw)
    assert [r[0] for r in rows] == [meta["classes"][k] for k in expected.argmax(axis=1)]
    np.testing.assert_allclose([[float(v) for v in r[1:]] for r in rows], expected, atol=1e-6)


def test_predict_applies_the_feature_lift_of_a_dataset_model(work, tmp_path, run_cli):
    from scratchnn.datasets import FeatureLift

    points = np.random.default_rng(5).uniform(-1.5, 2.5, size=(40, 2))
    path = write_csv(tmp_path / "points.csv", ["x1", "x2"], points.tolist())
    result = run_cli("predict", work["dir"] / "moons.npz", path)
    assert result.returncode == 0, result.stderr
    header, *rows = list(csv.reader(result.stdout.strip().splitlines()))
    model, meta = persistence.load(work["dir"] / "moons.npz", return_header=True)
    assert meta["metadata"]["features"] == ["x1", "x2", "x1*x2"]
    points = np.array([[float(v) for v in row] for row in read_csv(path)[1]])  # as written
    logits = model.forward(FeatureLift(["x1", "x2", "x1*x2"]).transform(points))[:, 0]
    assert header == ["prediction"]
    assert [int(r[0]) for r in rows] == (logits > 0).astype(int).tolist()


def test_predict_to_a_file_and_ignoring_the_label_column(work, run_cli):
    folder = work["dir"]
    out = folder / "predictions.csv"
    result = run_cli("predict", folder / "csv.npz", folder / "train.csv", "-o", out)
    assert result.returncode == 0, result.stderr
    header, rows = read_csv(out)
    _, train_rows = read_csv(folder / "train.csv")
    assert header == ["prediction"]
    assert len(rows) == len(train_rows)
    assert {r[0] for r in rows} <= {"high", "low", "mid"}


def test_evaluate_on_a_csv_reports_the_confusion_matrix(work, run_cli):
    folder = work["dir"]
    result = run_cli("evaluate", folder / "csv.npz", "--data", folder / "train.csv", "--target",
                     "level")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "confusion matrix" in out and "precision" in out and "log-loss:" in out
    # The confusion matrix counts every row once.
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("confusion")) + 2
    counts = [list(map(int, line.split()[1:])) for line in lines[start:start + 3]]
    assert sum(map(sum, counts)) == 90
    accuracy = float(lines[-1].split(": ")[1])
    assert accuracy == pytest.approx(sum(counts[i][i] for i in range(3)) / 90, abs=1e-4)


def test_evaluate_and_plot_a_dataset_model(work, run_cli):
    folder = work["dir"]
    result = run_cli("evaluate", folder / "moons.npz", "--dataset", "moons", "--n-samples", "60")
    assert result.returncode == 0, result.stderr
    assert "samples: 60" in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("accuracy: ")
    figure = folder / "boundary.png"
    result = run_cli("plot", folder / "moons.npz", "--dataset", "moons", "--n-samples", "60", "-o",
                     figure)
    assert result.returncode == 0, result.stderr
    with Image.open(figure) as png:
        assert png.format == "PNG" and png.size == (960, 810)


def test_datasets_lists_every_dataset_once(run_cli):
    from scratchnn.datasets import DATASETS, PLAYGROUND_DATASETS, REGRESSION_DATASETS

    result = run_cli("datasets")
    assert result.returncode == 0
    own, playground = result.stdout.strip().split("\n\n")
    assert [line.split()[0] for line in own.splitlines()] == [*DATASETS, *REGRESSION_DATASETS]
    # then a short section for TensorFlow Playground's six, in its units
    heading, rest = playground.split(":\n")
    assert heading.startswith("TensorFlow Playground's six") and "[-6, 6]^2" in heading
    assert [line.split()[0] for line in rest.splitlines()] == [
        f"playground-{name}" for name in PLAYGROUND_DATASETS]
    assert rest.splitlines()[-1].endswith("(regression)")


def test_train_evaluate_and_plot_take_playgrounds_data_sets(run_cli_inprocess, tmp_path):
    model, figure = tmp_path / "circle.npz", tmp_path / "circle.png"
    code, out, err = run_cli_inprocess("train", "--dataset", "playground-circle", "--hidden",
                                       "8", "--epochs", "150", "--n-samples", "200",
                                       "--noise", "0.1", "--save", model)
    assert code == 0, err
    assert out.startswith("data: playground-circle (200 points, seed 0, noise 0.1)")
    code, out, err = run_cli_inprocess("evaluate", model, "--dataset", "playground-circle",
                                       "--n-samples", "200", "--noise", "0.1")
    assert code == 0, err
    assert out.startswith("data: playground-circle (200 points, seed 1, noise 0.1)")
    # a fresh sample of Playground's circle (a ring of radius 3.5 to 5 in its units, where the
    # library's circles have radius 1): the model learned that one
    accuracy = out.strip().splitlines()[-1]
    assert accuracy.startswith("accuracy: ") and float(accuracy.split()[-1]) > 0.9
    code, out, err = run_cli_inprocess("plot", model, "--dataset", "playground-circle",
                                       "-o", figure)
    assert code == 0 and figure.stat().st_size > 0, err


def test_playgrounds_regressions_train_as_regressions(run_cli_inprocess):
    code, out, err = run_cli_inprocess("train", "--dataset", "playground-reg-plane",
                                       "--epochs", "30")
    assert code == 0, err
    assert "test R²" in out
    code, _, err = run_cli_inprocess("train", "--dataset", "playground-reg-gauss",
                                     "--task", "classification")
    assert code == 2
    assert ("--dataset playground-reg-gauss is a regression dataset, but --task is "
            "classification; choose one of: circles, moons, spirals, xor, gaussians, "
            "playground-circle, playground-xor, playground-gauss, playground-spiral") in err
    code, _, err = run_cli_inprocess("train", "--dataset", "playground-moons")
    assert code == 2 and "invalid choice: 'playground-moons'" in err


# --- errors: one line on stderr, the right exit code, nothing overwritten ----------------------

OLD = b"precious old bytes\n"


def _write_inputs(folder: Path) -> None:
    """The input files the error cases read, in ``folder``."""
    write_csv(folder / "good.csv", ["x1", "x2", "y"],
              [[i / 10, (i % 7) / 7, i % 2] for i in range(30)])
    write_csv(folder / "bad_value.csv", ["x1", "x2", "y"],
              [[0.1, 0.2, 0], [0.3, "abc", 1], [0.5, 0.1, 0]])
    write_csv(folder / "missing.csv", ["x1", "x2", "y"],
              [[0.1, 0.2, 0], [0.3, 0.4, 1], ["", 0.1, 0]])
    write_csv(folder / "wide.csv", ["x1", "x2", "x3"], [[0.1, 0.2, 0.3]])
    write_csv(folder / "renamed.csv", ["u"], [[0.1]])  # one column for two: refused
    write_csv(folder / "three.csv", ["x1", "x2", "x3", "y"],
              [[i, i % 3, i % 5, i % 2] for i in range(20)])
    (folder / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (folder / "not_a_model.npz").write_text("hello, I am text\n")


def _error_cases(folder: Path) -> dict[str, tuple[list, int, str, list[Path]]]:
    """name -> (arguments, exit code, a phrase of the message, files that must keep OLD).
    Only builds paths in ``folder``; ``_write_inputs`` creates the files."""
    good, bad_value, missing = folder / "good.csv", folder / "bad_value.csv", folder / "missing.csv"
    wide, renamed, three = folder / "wide.csv", folder / "renamed.csv", folder / "three.csv"
    binary, not_a_model = folder / "binary.csv", folder / "not_a_model.npz"
    model = folder / "model.npz"  # a real model, trained on moons (x1, x2)
    keep = {"save": folder / "keep_save.npz", "out": folder / "keep_out.png"}
    save, out = keep["save"], keep["out"]
    train = ["train", "--dataset", "moons", *FAST, "--save", save]
    return {
        "missing file": (["train", "--data", folder / "nope.csv", "--target", "y", "--save", save],
                         1, "no such file", [save]),
        "unreadable file": (["train", "--data", binary, "--target", "y", "--save", save], 1,
                            "UTF-8", [save]),
        "non-numeric value": (["train", "--data", bad_value, "--target", "y", "--save", save], 1,
                              "line 3 (data row 2), column 'x2': 'abc' is not a number", [save]),
        "missing value": (["train", "--data", missing, "--target", "y", "--save", save], 1,
                          "line 4 (data row 3), column 'x1': missing value", [save]),
        "not a model file": (["predict", not_a_model, good, "-o", out], 1,
                             "not_a_model.npz is not a scratchnn model file: it is a text file",
                             [out]),
        "missing model file": (["evaluate", folder / "nope.npz", "--dataset", "moons"], 1,
                               "no such model file", []),
        "csv too wide": (["predict", model, wide, "-o", out], 1, "the model expects 2: x1, x2",
                         [out]),
        "csv wrong names": (["predict", model, renamed, "-o", out], 1, "missing: x1, x2", [out]),
        "unknown dataset": (["train", "--dataset", "spiral", "--save", save], 2,
                            "choose from 'circles', 'moons'", [save]),
        "unknown activation": ([*train, "--activation", "relu6"], 2, "'tanh'", [save]),
        "unknown optimizer": ([*train, "--optimizer", "adagrad"], 2, "'rmsprop'", [save]),
        "zero learning rate": ([*train, "--lr", "0"], 2, "--lr: must be a positive number",
                               [save]),
        "zero epochs": ([*train, "--epochs", "0"], 2, "--epochs: must be a positive integer",
                        [save]),
        "bad hidden": ([*train, "--hidden", "8,x"], 2, "--hidden: expected comma-separated",
                       [save]),
        "plot of 3 columns": (["train", "--data", three, "--target", "y", "--plot", out,
                               "--save", save], 2,
                              "needs 2 input columns, but the data has 3 input columns (x1, x2, "
                              "x3); leave out --plot", [save, out]),
        "diverges": (["train", "--dataset", "moons", *FAST, "--optimizer", "sgd", "--lr",
                      "1e300", "--save", save, "--plot", out], 1, "training diverged",
                     [save, out]),
    }


@pytest.fixture(scope="module")
def error_runs(tmp_path_factory, work, run_cli):
    """Every error case, each in its own folder (with its own pre-existing outputs), launched
    a few at a time; returns name -> (CompletedProcess, case)."""
    root = tmp_path_factory.mktemp("errors")
    model_src = work["dir"] / "moons.npz"
    cases = {}
    for i, name in enumerate(_error_cases(root)):
        folder = root / f"case{i}"
        folder.mkdir()
        (folder / "model.npz").write_bytes(model_src.read_bytes())
        _write_inputs(folder)
        case = _error_cases(folder)[name]
        for path in case[3]:
            path.write_bytes(OLD)
        cases[name] = case
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = dict(zip(cases, pool.map(lambda c: run_cli(*c[0]), cases.values())))
    return {name: (results[name], cases[name]) for name in cases}


@pytest.mark.parametrize("name", list(_error_cases(Path("inputs"))))
def test_errors_are_one_clear_line_and_touch_nothing(error_runs, name):
    result, (_, code, phrase, kept) = error_runs[name]
    assert result.returncode == code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("scratchnn: error: ")
    assert phrase in lines[0]
    assert "Traceback" not in result.stderr
    for path in kept:
        assert path.read_bytes() == OLD, f"{path.name} was overwritten"
        leftovers = [p.name for p in path.parent.iterdir() if p.name.startswith(".")]
        assert leftovers == [], f"temporary files left behind: {leftovers}"


# --- the same errors, more of them, in-process (no interpreter start-up) ---------------------


@pytest.mark.parametrize(("args", "code", "phrase"), [
    (["predict", "{model}", "{dir}", "-o", "{out}"], 1, "is a folder, not a CSV file"),
    (["train", "--data", "{good}", "--target", "label", "--save", "{model_out}"], 1,
     "no column 'label'; its columns are: x1, x2, y"),
    (["plot", "{model}", "--data", "{renamed}", "--target", "v", "-o", "{out}"], 1,
     "missing: x1, x2"),
    (["train", "--dataset", "moons", "--lr=-0.1", "--save", "{model_out}"], 2,
     "must be a positive number"),
    (["train", "--data", "{good}", "--save", "{model_out}"], 2, "--data needs --target"),
    (["train", "--dataset", "moons", "--target", "y"], 2, "--target goes with --data"),
    (["train", "--dataset", "moons", "--features", "x3"], 2, "unknown feature 'x3'"),
    (["train", "--dataset", "moons", "--save", "{dir}"], 2, "is a folder"),
    (["train", "--dataset", "moons", "--save", "{dir}/no/such/folder/m.npz"], 2,
     "the folder {dir}/no/such/folder does not exist; create it first"),
    (["train", "--dataset", "moons", "--save", "{out}", "--plot", "{out}"], 2,
     "two outputs are the same file, {out}; give each its own name"),
    (["train", "--dataset", "moons", "--save", "{dir}/m.npz", "--history", "{dir}/../{dir.name}"
      "/m.npz"], 2, "two outputs are the same file"),
    (["evaluate", "{model}", "--data", "{alien}", "--target", "y"], 1,
     "alien.csv (2 rows): none of its labels is one of the model's classes (0, 1); is --target "
     "the right column"),
    (["predict", "{csv_model}", "{three}"], 1, "the model expects 3: a, b, c"),
    ([], 2, "required"),
    (["train", "--data", "{continuous}", "--target", "y"], 2, "Pass --task regression"),
    (["train", "--data", "{continuous}", "--target", "y", "--task", "classification"], 1,
     "too many for classes"),
    (["train", "--dataset", "moons", "--save", "{model_out}", "--plot", "{dir}/figure.jpeg2"], 2,
     "must end in an image format"),
    (["plot", "{model}", "--dataset", "moons", "-o", "{dir}/figure.xyz"], 2,
     "must end in an image format"),
    (["predict", "{png}", "{good}", "-o", "{out}"], 1,
     "error: {png} is not a scratchnn model file: it is a PNG image, not a zip/.npz archive; "
     "the MODEL.npz argument must be a file written by 'scratchnn train --save'"),
    (["plot", "{csv_model}", "--dataset", "moons", "-o", "{out}"], 2,
     "the model must take 2 input columns; it takes 3 input columns (a, b, c). 'scratchnn "
     "evaluate' reports its accuracy instead"),
    (["train", "--data", "{three}", "--target", "y", "--features", "x1,x2,x1*x2"], 2,
     "--features lifts 2-D points (x1, x2), but the data has 3 input columns"),
    (["train", "--data", "{oneclass}", "--target", "y", "--save", "{model_out}"], 1,
     "single class (1): nothing to learn; the target column needs at least 2 different labels"),
    (["train", "--data", "{good}", "--target", "y", "--save", "{model_out}"], 1,
     "with 2 rows, the training split has no example of class"),
    (["train", "--data", "{three}", "--target", "y", "--test-size", "0.97"], 1,
     "or a smaller --test-size"),
    (["train", "--data", "{nan}", "--target", "y", "--save", "{model_out}"], 1,
     "line 3 (data row 2), column 'x2': 'nan' is not a finite number; correct it or drop"),
    (["train", "--data", "{huge}", "--target", "y", "--save", "{model_out}"], 1,
     "column 'x1' has values too large to standardise (near the float64 limit, 1.8e308); "
     "rescale it"),
    (["predict", "{csv_model}", "{huge_abc}", "-o", "{out}"], 1,
     "huge_abc.csv, data row 2: its values are so large that the network's output overflows"),
    (["plot", "{model}", "--data", "{huge}", "--target", "y", "-o", "{out}"], 1,
     "huge.csv: cannot draw it: the points span too large a range to draw (x1 from -1.5e+308 "
     "to 1.5e+308, x2 from 0 to 9); rescale them"),
    (["predict", "{model}", "{good}", "-o", "{good}"], 2, "is also an input of this command"),
    (["predict", "{model_copy}", "{good}", "-o", "{dir}/./model_copy.npz"], 2, "is also an input"),
    (["train", "--data", "{good}", "--target", "y", "--history", "{good}"], 2,
     "--history {good} is also an input"),
    (["train", "--dataset", "moons", "--animate", "{out}"], 2, "give a file name ending in .gif"),
    (["train", "--dataset", "moons", "--seed", "-5", "--save", "{model_out}"], 2,
     "--seed: must be a whole number from 0"),
    (["train", "--dataset", "moons", "--epochs", "1e3", "--save", "{model_out}"], 2, "write 1000"),
    (["train", "--dataset", "moons", "--patience", "5", "--save", "{model_out}"], 2,
     "--patience goes with --early-stopping (it counts epochs without improvement on the "
     "validation data); add --early-stopping, or leave out --patience"),
    (["train", "--dataset", "moons", "--optimizer", "sgd", "--alpha", "1000", "--save",
      "{model_out}"], 1, "alpha (1000) is too large (its pull on the weights overshoots zero, "
     "further at every step); use a smaller alpha (--alpha 1000)"),
    (["train", "--data", "{headless}", "--target", "y", "--save", "{model_out}"], 1,
     "headless.csv: the first line holds numbers, not column names; add a header line such as "
     "x1,x2,x3"),
])
def test_more_errors_in_process(tmp_path, work, args, code, phrase, run_cli_inprocess):
    good = write_csv(tmp_path / "good.csv", ["x1", "x2", "y"], [[0.1, 0.2, 0], [0.3, 0.4, 1]])
    good_bytes = good.read_bytes()
    renamed = write_csv(tmp_path / "renamed.csv", ["u", "v"], [[0.1, 0.2]])
    labels = write_csv(tmp_path / "labels.csv", ["x1", "x2", "y"], [[0.1, 0.2, 0], [0, 0, 7]])
    alien = write_csv(tmp_path / "alien.csv", ["x1", "x2", "y"], [[0.1, 0.2, 8], [0, 0, 7]])
    continuous = write_csv(tmp_path / "continuous.csv", ["x", "y"],
                           [[i, i * 0.37] for i in range(30)])
    out = tmp_path / "out.png"
    out.write_bytes(OLD)
    model_out = tmp_path / "out.npz"
    model_out.write_bytes(OLD)
    (tmp_path / "model_copy.npz").write_bytes((work["dir"] / "moons.npz").read_bytes())
    names = {"model": work["dir"] / "moons.npz", "csv_model": work["dir"] / "csv.npz",
             "dir": tmp_path, "good": good, "renamed": renamed, "labels": labels, "out": out,
             "model_out": model_out, "alien": alien,
             "continuous": continuous, "model_copy": tmp_path / "model_copy.npz",
             "png": work["dir"] / "moons.png",
             "three": write_csv(tmp_path / "three.csv", ["x1", "x2", "x3", "y"],
                                [[i, i % 3, i % 5, i % 2] for i in range(20)]),
             "oneclass": write_csv(tmp_path / "one.csv", ["x1", "x2", "y"],
                                   [[i, i % 3, 1] for i in range(20)]),
             "huge": write_csv(tmp_path / "huge.csv", ["x1", "x2", "y"],
                               [[1.5e308 * (-1) ** i, i, i % 2] for i in range(10)]),
             "huge_abc": write_csv(tmp_path / "huge_abc.csv", ["a", "b", "c"],
                                   [[1, 2, 3], [-1.7e308, 1.7e308, 1.7e308]]),
             "nan": write_csv(tmp_path / "nan.csv", ["x1", "x2", "y"],
                              [[0.1, 0.2, 0], [0.3, "nan", 1]]),
             "headless": write_csv(tmp_path / "headless.csv", [0.1, 0.2, "cat"],
                                   [[0.3, 0.4, "dog"], [0.5, 0.6, "cat"]])}
    got, _stdout, stderr = run_cli_inprocess(*(a.format(**names) for a in args))
    assert got == code, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("scratchnn: error: ")
    assert phrase.format(**names) in stderr
    assert out.read_bytes() == OLD and model_out.read_bytes() == OLD
    assert good.read_bytes() == good_bytes
    assert (tmp_path / "model_copy.npz").read_bytes() == (work["dir"] / "moons.npz").read_bytes()


@pytest.mark.parametrize(("args", "message"), [
    (["--verison"], "unknown option --verison; did you mean --version?"),
    (["train", "--datset", "moons"], "unknown option --datset; did you mean --dataset?"),
    (["train", "--datset=moons"], "unknown option --datset; did you mean --dataset?"),
    (["train", "--dataset", "moons", "--epocs", "3"],
     "unknown option --epocs; did you mean --epochs?"),
    (["evaluate", "m.npz", "--dataset", "moons", "--sed", "3"],
     "unknown option --sed; did you mean --seed?"),
    (["predict", "m.npz", "x.csv", "--outptu", "p.csv"],
     "unknown option --outptu; did you mean --output?"),
    (["train", "--dataset", "moons", "--zzzz"], "unknown option --zzzz (see 'scratchnn train "
     "--help')"),
    (["trian", "--dataset", "moons"], "unknown command trian; did you mean train?"),
    (["dataset"], "unknown command dataset; did you mean datasets?"),
])
def test_a_mistyped_option_is_named_with_the_closest_real_one(args, message, run_cli_inprocess):
    code, out, err = run_cli_inprocess(*args)
    assert (code, out, err) == (2, "", f"scratchnn: error: {message}\n")


def test_options_abbreviated_and_negative_values_are_not_mistaken_for_typos(run_cli_inprocess):
    code, out, err = run_cli_inprocess("train", "--dataset", "moons", "--n-sam", "60",
                                       "--epoch", "2", "--quiet")
    assert code == 0, err
    assert "2 epochs" in out
    code, _, err = run_cli_inprocess("train", "--dataset", "moons", "--lr", "-0.5")
    assert code == 2 and "--lr: must be a positive number, got -0.5" in err


def test_evaluate_on_data_without_some_of_the_models_classes_says_so(tmp_path, run_cli_inprocess):
    model = tmp_path / "spirals.npz"
    code, _, err = run_cli_inprocess("train", "--dataset", "spirals", "--n-samples", "90",
                                     "--epochs", "3", "--save", model)
    assert code == 0, err
    code, out, err = run_cli_inprocess("evaluate", model, "--dataset", "moons")
    assert code == 0 and err == ""
    assert "nan" not in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[-5:-2]}
    assert rows["2"][1:] == ["n/a", "0"]  # recall over no sample, support 0
    assert out.splitlines()[-2] == ("note: the data has no sample of class 2 (the model knows 3 "
                                    "classes), so recall is n/a there")
    assert out.splitlines()[-1].startswith("accuracy: ")


# --- in-process: the small parsers -------------------------------------------------------------


def test_parse_hidden():
    assert cli.parse_hidden("16, 16") == [16, 16]
    assert cli.parse_hidden("") == []
    for bad in ("8,", "a", "0", "-3", "8;8"):
        with pytest.raises(Exception, match="comma-separated"):
            cli.parse_hidden(bad)


def test_parse_features_expands_sin():
    assert cli.parse_features("x1^2, x2^2, sin") == ["x1^2", "x2^2", "sin(x1)", "sin(x2)"]


@pytest.mark.filterwarnings("ignore:Stochastic Optimizer")  # a short fit is enough here
def test_predict_uses_a_saved_estimators_own_labels(tmp_path, run_cli_inprocess):
    from scratchnn.datasets import moons
    from scratchnn.estimator import MLPClassifier

    X, y = moons(120, random_state=0)
    estimator = MLPClassifier(hidden_layer_sizes=(6,), max_iter=300, random_state=0)
    estimator.fit(X, np.where(y == 1, "up", "down"))
    persistence.save(estimator, tmp_path / "estimator.npz")
    points = write_csv(tmp_path / "points.csv", ["x1", "x2"], X[:20].tolist())
    code, out, err = run_cli_inprocess("predict", tmp_path / "estimator.npz", points)
    assert code == 0, err
    assert out.splitlines() == ["prediction", *estimator.predict(X[:20]).tolist()]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_outputs_get_the_usual_mode_of_new_files(tmp_path, run_cli_inprocess):
    old = os.umask(0o027)
    try:
        outputs = {option: tmp_path / name for option, name in (
            ("--save", "m.npz"), ("--plot", "m.png"), ("--history", "h.csv"))}
        code, _, err = run_cli_inprocess("train", "--dataset", "moons", *FAST, "--epochs",
                                         "3", *(a for pair in outputs.items() for a in pair))
        predictions = tmp_path / "p.csv"
        points = write_csv(tmp_path / "points.csv", ["x1", "x2"], [[0.0, 0.5]])
        code2, _, err2 = run_cli_inprocess("predict", outputs["--save"], points, "-o",
                                           predictions)
    finally:
        os.umask(old)
    assert (code, code2) == (0, 0), err + err2
    modes = {p.name: p.stat().st_mode & 0o777 for p in [*outputs.values(), predictions]}
    assert modes == dict.fromkeys(modes, 0o640)


# --- Ctrl-C and write failures: one line, nothing written -------------------------------------


def test_ctrl_c_during_training_writes_nothing(tmp_path, monkeypatch, run_cli_inprocess):
    """fit stops at Ctrl-C and keeps the best weights; the command then aborts with 130."""
    from scratchnn.cli import train

    real_fit = train.fit

    def fit_pressing_ctrl_c_at_epoch_3(*args, callbacks=(), **kwargs):
        def press(epoch, history, model):
            if epoch == 3:
                raise KeyboardInterrupt
        return real_fit(*args, callbacks=[*callbacks, press], **kwargs)

    monkeypatch.setattr(train, "fit", fit_pressing_ctrl_c_at_epoch_3)
    save = tmp_path / "m.npz"
    save.write_bytes(OLD)
    code, out, err = run_cli_inprocess("train", "--dataset", "moons", *FAST, "--save", save,
                                       "--history", tmp_path / "h.csv")
    assert code == 130
    assert err.count("\n") == 1 and "interrupted (Ctrl-C) at epoch 3 of 30" in err
    assert "no output was written" in err and out == ""
    assert save.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_a_folder_that_refuses_writes_gets_one_line_naming_the_file(tmp_path, monkeypatch,
                                                                    run_cli_inprocess):
    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", src)

    monkeypatch.setattr(os, "replace", refuse)  # as a read-only folder (root may write anyway)
    out = tmp_path / "m.npz"
    out.write_bytes(OLD)
    code, _, err = run_cli_inprocess("train", "--dataset", "moons", *FAST, "--save", out)
    monkeypatch.undo()
    assert code == 1
    assert err == f"scratchnn: error: cannot write {out}: Permission denied; choose a folder " \
                  "you can write to\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"] and out.read_bytes() == OLD


def test_figures_of_a_csv_model_name_their_axes_after_its_columns(tmp_path, monkeypatch,
                                                                  run_cli_inprocess):
    from scratchnn import plotting

    drawn = []
    real = plotting.plot_decision_boundary

    def spy(*args, **kwargs):
        ax = real(*args, **kwargs)
        drawn.append((ax.get_xlabel(), ax.get_ylabel()))
        return ax

    monkeypatch.setattr(plotting, "plot_decision_boundary", spy)
    animated = []
    real_animate = plotting.animate_training
    monkeypatch.setattr(plotting, "animate_training", lambda *args, **kwargs: animated.append(
        kwargs["class_names"]) or real_animate(*args, **kwargs))
    rows = [[i / 7, (i % 5) * 10, "wide" if i % 5 > 2 else "narrow"] for i in range(40)]
    data = write_csv(tmp_path / "d.csv", ["length", "width", "shape"], rows)
    model = tmp_path / "m.npz"
    code, _, err = run_cli_inprocess("train", "--data", data, "--target", "shape",
                                     "--epochs", "3", "--save", model, "--plot", tmp_path / "t.png",
                                     "--animate", tmp_path / "t.gif")
    assert code == 0, err
    assert animated == [["narrow", "wide"]]  # the GIF's legend
    code, _, err = run_cli_inprocess("plot", model, "--data", data, "--target", "shape",
                                     "-o", tmp_path / "p.png")
    assert code == 0, err
    code, _, err = run_cli_inprocess("train", "--dataset", "moons", *FAST, "--epochs", "3",
                                     "--plot", tmp_path / "moons.png")
    assert code == 0, err
    assert drawn == [("length", "width"), ("length", "width"), ("$x_1$", "$x_2$")]


def test_help_answers_without_importing_scikit_learn_or_matplotlib(cli_env):
    """The heavy libraries are imported where they are used, so --help answers at once."""
    code = ("import sys\nfrom scratchnn import cli\ntry:\n    cli.main(['--help'])\n"
            "except SystemExit:\n    pass\n"
            "print(sorted({'sklearn', 'matplotlib', 'scipy'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=cli_env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "usage: scratchnn" in result.stdout and result.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize("command", ["evaluate", "predict", "plot"])
def test_help_says_what_every_positional_argument_is(command, run_cli_inprocess):
    code, out, _ = run_cli_inprocess(command, "--help")
    assert code == 0
    assert "MODEL.npz             a model file written by 'scratchnn train --save'" in out


def test_a_read_only_folder_is_refused_before_training(tmp_path, monkeypatch, run_cli_inprocess):
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # root could write anyway
    code, out, err = run_cli_inprocess("train", "--dataset", "moons", "--save",
                                       tmp_path / "m.npz")
    assert code == 2 and out == ""
    assert err == f"scratchnn: error: --save {tmp_path / 'm.npz'}: the folder {tmp_path} is not " \
                  "writable; choose a folder you can write to\n"


@pytest.mark.skipif(os.name != "posix", reason="SIGPIPE")
def test_predict_into_a_pipe_closed_early_stops_quietly(work, tmp_path, cli_env):
    """'scratchnn predict ... | head -1': no 'Broken pipe' message, the shell's SIGPIPE code."""
    points = np.random.default_rng(0).normal(size=(20000, 3))
    path = write_csv(tmp_path / "many.csv", ["a", "b", "c"], points.round(3).tolist())
    process = subprocess.Popen(
        [sys.executable, "-m", "scratchnn", "predict", str(work["dir"] / "csv.npz"), str(path),
         "--proba"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env)
    assert process.stdout.readline() == b"prediction,p_high,p_low,p_mid\n"
    process.stdout.close()  # like head -1 exiting
    err = process.stderr.read().decode()
    process.wait(timeout=60)
    assert (process.returncode, err) == (141, "")


def test_version(run_cli_inprocess):
    from scratchnn import __version__

    code, out, _ = run_cli_inprocess("--version")
    assert (code, out) == (0, f"scratchnn {__version__}\n")
