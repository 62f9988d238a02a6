"""``scratchnn export MODEL.npz OUT.onnx``, driven from the shell as a user drives it."""

from __future__ import annotations

import csv
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from _csvfiles import read_csv

from scratchnn import cli

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

@pytest.fixture(scope="module")
def folder(tmp_path_factory, run_cli) -> Path:
    """Two trained models: text labels and standardised CSV columns; a dataset with lifted
    features. Plus the points to predict."""
    folder = tmp_path_factory.mktemp("export")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3)) * [1.0, 10.0, 0.1] + [0.0, 50.0, 2.0]
    score = X[:, 0] + (X[:, 1] - 50) / 10
    labels = np.where(score > 0.5, "high", np.where(score < -0.5, "low", "mid"))
    with open(folder / "train.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["a", "b", "c", "level"])
        writer.writerows([[f"{a:.5f}", f"{b:.5f}", f"{c:.5f}", y]
                          for (a, b, c), y in zip(X, labels)])
    points = rng.normal(size=(50, 2)) * 1.5
    with open(folder / "points.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["x1", "x2"])
        writer.writerows([[f"{a:.6f}", f"{b:.6f}"] for a, b in points])
    runs = [("train", "--data", "train.csv", "--target", "level", "--hidden", "6",
             "--epochs", "40", "--quiet", "--save", "table.npz"),
            ("train", "--dataset", "circles", "--features", "x1,x2,x1^2,x2^2,x1*x2,sin",
             "--hidden", "4", "--activation", "tanh", "--epochs", "40", "--quiet", "--save",
             "circles.npz")]
    with ThreadPoolExecutor(len(runs)) as pool:
        for result in pool.map(lambda args: run_cli(*args, cwd=folder), runs):
            assert result.returncode == 0, result.stderr
    return folder


@pytest.mark.parametrize(("model", "data"), [("table.npz", "train.csv"),
                                             ("circles.npz", "points.csv")])
def test_export_predicts_as_scratchnn_predict(folder, model, data, run_cli):
    out = model.replace(".npz", ".onnx")
    expected = f"expected_{model}.csv"
    with ThreadPoolExecutor(2) as pool:
        exporting = pool.submit(run_cli, "export", model, out, cwd=folder)
        predicting = pool.submit(run_cli, "predict", model, data, "--proba", "-o", expected,
                                 cwd=folder)
        result, predicted = exporting.result(), predicting.result()
    assert result.returncode == 0, result.stderr
    assert predicted.returncode == 0, predicted.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1] == f"onnx: {out}"
    proto = onnx.load(str(folder / out))
    onnx.checker.check_model(proto, full_check=True)

    header, rows = read_csv(folder / expected)
    expected_labels = [row[0] for row in rows]
    expected_proba = np.array([[float(v) for v in row[1:]] for row in rows])

    names = {p.key: p.value for p in proto.metadata_props}["feature_names"].split(",")
    data_header, data_rows = read_csv(folder / data)
    columns = [data_header.index(name) for name in names]
    X = np.array([[float(row[j]) for j in columns] for row in data_rows])
    assert result.stdout.startswith(f"input: X, float32, {len(names)} columns ")
    session = ort.InferenceSession(str(folder / out), providers=["CPUExecutionProvider"])
    labels, proba = session.run(None, {"X": X.astype(np.float32)})  # float32 by default
    assert proba.dtype == np.float32
    assert header[1:] == [f"p_{label}" for label in (["high", "low", "mid"]
                                                     if model == "table.npz" else (0, 1))]
    # predict prints 6 decimals (5e-7); float32 weights and inputs add a few 1e-7 more
    np.testing.assert_allclose(proba, expected_proba, rtol=0, atol=5e-6)
    top = np.sort(expected_proba, axis=1)
    clear = top[:, -1] - top[:, -2] > 1e-5  # rows not on the boundary, at float32 precision
    assert clear.mean() > 0.9
    assert [str(label) for label, c in zip(labels, clear) if c] == [
        label for label, c in zip(expected_labels, clear) if c]


def one_line_error_text(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("scratchnn: error: ")
    return lines[0]


def one_line_error(result) -> str:
    return one_line_error_text(result.stderr)


def test_export_bad_files_from_the_shell_are_one_line_and_exit_1(folder, run_cli):
    (folder / "notes.txt").write_text("not a model\n")
    cases = [(("export", "nothing.npz", "x.onnx"), "no such model file: nothing.npz"),
             (("export", "notes.txt", "x.onnx"), "notes.txt is not a scratchnn model file")]
    with ThreadPoolExecutor(len(cases)) as pool:
        results = list(pool.map(lambda case: run_cli(*case[0], cwd=folder), cases))
    for (args, message), result in zip(cases, results):
        assert result.returncode == 1, (args, result.stderr)
        assert message in one_line_error(result), (args, result.stderr)
    assert not (folder / "x.onnx").exists()


@pytest.mark.parametrize(("args", "message"), [
    (("table.npz", "no/such/folder/x.onnx"), "the folder no/such/folder does not exist; create"),
    (("table.npz", "table.npz"), "is also an input of this command"),
    (("table.npz", "x.onnx", "--opset", "7"), "opset must be an integer from 13"),
])
def test_export_bad_command_lines_exit_2(folder, monkeypatch, capsys, args, message):
    monkeypatch.chdir(folder)
    assert cli.main(["export", *args]) == 2
    assert message in one_line_error_text(capsys.readouterr().err)
    assert not (folder / "x.onnx").exists()


def test_export_needs_both_paths(folder, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["export", str(folder / "table.npz")])
    assert exit_.value.code == 2
    assert "required: OUT.onnx" in one_line_error_text(capsys.readouterr().err)


def test_export_without_onnx_says_what_to_install(folder, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "onnx", None)
    monkeypatch.chdir(folder)
    assert cli.main(["export", "table.npz", "y.onnx"]) == 1
    assert 'pip install "scratchnn[onnx]"' in one_line_error_text(capsys.readouterr().err)
    assert not (folder / "y.onnx").exists()


def test_export_of_a_saved_estimator_keeps_its_labels(tmp_path, monkeypatch, capsys):
    import scratchnn as snn

    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    y = np.array(["red", "green", "blue"])[np.digitize(X[:, 0] - X[:, 2], [-0.5, 0.5])]
    clf = snn.MLPClassifier((5,), max_iter=50, random_state=0).fit(X, y)
    snn.save(clf, tmp_path / "clf.npz")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["export", "clf.npz", "clf.onnx", "--dtype", "float64"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("input: X, float64, 3 columns (x1, x2, x3)\n")
    assert "3 classes: blue, green, red" in out
    session = ort.InferenceSession(str(tmp_path / "clf.onnx"),
                                   providers=["CPUExecutionProvider"])
    labels, proba = session.run(None, {"X": X})
    np.testing.assert_array_equal(labels, clf.predict(X))
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-12)
    with pytest.raises(Exception, match=r"(?i)float"):  # doubles refuse a float32 input
        session.run(None, {"X": X.astype(np.float32)})


def test_export_writes_a_float32_input_by_default(tmp_path, monkeypatch, capsys):
    import scratchnn as snn

    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 2))
    clf = snn.MLPClassifier((6,), max_iter=60, random_state=0).fit(X, (X[:, 0] > X[:, 1]) * 1)
    snn.save(clf, tmp_path / "clf.npz")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["export", "clf.npz", "clf.onnx"]) == 0
    assert capsys.readouterr().out.startswith("input: X, float32, 2 columns (x1, x2)\n")
    proto = onnx.load(str(tmp_path / "clf.onnx"))
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    session = ort.InferenceSession(str(tmp_path / "clf.onnx"),
                                   providers=["CPUExecutionProvider"])
    labels, proba = session.run(None, {"X": X.astype(np.float32)})
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-5)
    assert np.mean(labels == clf.predict(X)) > 0.97
