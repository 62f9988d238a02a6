"""``scratchnn train --task regression`` and ``evaluate``, ``predict`` and ``plot`` on the model
it saves, driven as a user drives them (``python -m scratchnn ...``), with the error cases run
in process (``cli.main``) as test_cli.py does.

The training runs start together from one module-scoped fixture (a fresh interpreter each,
about a second of imports plus a few seconds of training) and are checked one by one.
"""

from __future__ import annotations

import csv
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from _csvfiles import read_csv, write_csv
from PIL import Image

from scratchnn import cli, persistence
from scratchnn._prep import Prep


def scores_line(line: str) -> dict[str, float]:
    """``"test R²: 0.9876  MAE: 0.1234  RMSE: 0.2"`` -> ``{"R²": 0.9876, "MAE": ..., ...}``."""
    words = line.split()
    return {words[i].rstrip(":"): float(words[i + 1]) for i in range(len(words) - 1)
            if words[i].endswith(":")}


def houses(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three columns on very different scales and a price around 500 (std about 4): a target
    far from mean 0 / std 1, so a model that forgot to undo the scaling would be far off."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 10.0, 100.0] + [0.0, 50.0, 1000.0]
    y = (3 * X[:, 0] + 0.02 * (X[:, 1] - 50) ** 2 - 0.01 * X[:, 2] + 510
         + 0.3 * rng.standard_normal(n))
    return X.round(5), y  # as written to the CSV files


def write_houses(path: Path, X: np.ndarray, y: np.ndarray) -> Path:
    return write_csv(path, ["rooms", "age", "area", "price"],
                     [[f"{a:.5f}", f"{b:.5f}", f"{c:.5f}", f"{t:.4f}"]
                      for (a, b, c), t in zip(X, y)])


@pytest.fixture(scope="module")
def work(tmp_path_factory, run_cli):
    folder = tmp_path_factory.mktemp("cli_regression")
    X, y = houses(240, seed=0)
    write_houses(folder / "houses.csv", X, y)
    X_new, y_new = houses(60, seed=1)
    write_houses(folder / "houses_new.csv", X_new, y_new)
    write_csv(folder / "new_features.csv", ["area", "rooms", "age"],  # another column order
              [[f"{c:.5f}", f"{a:.5f}", f"{b:.5f}"] for a, b, c in X_new[:20]])
    commands = {
        "csv": ["train", "--data", folder / "houses.csv", "--target", "price", "--task",
                "regression", "--hidden", "16", "--epochs", "200", "--save",
                folder / "houses.npz", "--plot", folder / "houses.png", "--history",
                folder / "history.csv"],
        "plane": ["train", "--dataset", "plane", "--noise", "0.1", "--epochs", "100",
                  "--save", folder / "plane.npz", "--plot", folder / "plane.png"],
        "sine": ["train", "--dataset", "sine", "--hidden", "16,16", "--save",
                 folder / "sine.npz", "--plot", folder / "sine.png"],
        "guess": ["train", "--data", folder / "houses.csv", "--target", "price", "--save",
                  folder / "never.npz"],
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(commands, pool.map(lambda args: run_cli(*args), commands.values())))
    return {"dir": folder, **results, "X_new": X_new, "y_new": y_new}


# --- train ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "minimum"), [("plane", 0.9), ("sine", 0.9), ("csv", 0.9)])
def test_train_reports_r2_mae_and_rmse_last(work, name, minimum):
    result = work[name]
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    *_, train_line, test_line = result.stdout.strip().splitlines()
    assert train_line.startswith("train R²: ") and test_line.startswith("test R²: ")
    train, test = scores_line(train_line), scores_line(test_line)
    assert set(test) == {"R²", "MAE", "RMSE"}
    assert test["R²"] > minimum and train["R²"] > minimum
    assert 0 < test["MAE"] <= test["RMSE"]  # the mean absolute error never exceeds the RMSE


def test_train_summary_names_the_target_and_its_scaling(work):
    out = work["csv"].stdout
    assert "data: " in out and "192 train / 48 test" in out
    assert "target: price, mean 5" in out  # the price is around 510
    assert "network: 3-16-1 relu" in out
    assert "squared error" in out


def test_the_errors_are_in_the_targets_units(work):
    """The price's std is about 4 and its noise 0.3: errors in standardised units would be
    ~10 times smaller than in price units; the report's MAE must be the latter."""
    test = scores_line(work["csv"].stdout.strip().splitlines()[-1])
    assert 0.15 < test["MAE"] < 2.0


def test_the_model_file_records_the_task_and_the_targets_scaling(work):
    _, y = houses(240, seed=0)
    model, header = persistence.load(work["dir"] / "houses.npz", return_header=True)
    meta = header["metadata"]
    assert meta["task"] == "regression"
    assert meta["classes"] == []
    assert meta["target"] == "price"
    assert meta["feature_names"] == ["rooms", "age", "area"]
    scaling = meta["target_scaling"]
    # From the training split (80% of the rows): close to, not equal to, the whole column's.
    assert abs(scaling["mean"] - y.mean()) < 0.5 * y.std()
    assert 0.7 * y.std() < scaling["scale"] < 1.3 * y.std()
    assert model.n_inputs == 3 and model.n_outputs == 1
    assert 0.9 < meta["test_r2"] <= 1


def test_history_records_r2_per_epoch(work):
    header, rows = read_csv(work["dir"] / "history.csv")
    assert header[:3] == ["epoch", "loss", "r2"]
    assert [int(r[0]) for r in rows] == list(range(1, 201))
    assert float(rows[-1][2]) > float(rows[0][2])


# --- predict, evaluate, plot on the saved model --------------------------------------------------


def by_hand(folder: Path, X: np.ndarray) -> np.ndarray:
    """The saved model's predictions without the command line or any estimator: standardise
    with the stored statistics, run the network, undo the target's standardisation."""
    model, header = persistence.load(folder / "houses.npz", return_header=True)
    meta = header["metadata"]
    inputs = (X - meta["standardize"]["mean"]) / meta["standardize"]["scale"]
    scaling = meta["target_scaling"]
    return model.forward(inputs)[:, 0] * scaling["scale"] + scaling["mean"]


def test_predict_writes_values_in_the_targets_units(work, run_cli):
    folder = work["dir"]
    result = run_cli("predict", folder / "houses.npz", folder / "new_features.csv", "-o",
                     folder / "predicted.csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote 20 predictions to {folder / 'predicted.csv'}"
    header, rows = read_csv(folder / "predicted.csv")
    assert header == ["prediction"]
    predicted = np.array([float(r[0]) for r in rows])
    np.testing.assert_allclose(predicted, by_hand(folder, work["X_new"][:20]), rtol=1e-9)
    assert np.mean(np.abs(predicted - work["y_new"][:20])) < 2.0  # prices, not z-scores


def test_predict_ignores_the_target_column_of_a_labelled_file(work, run_cli_inprocess):
    folder = work["dir"]
    code, out, err = run_cli_inprocess("predict", folder / "houses.npz",
                                       folder / "houses_new.csv")
    assert code == 0, err
    header, *rows = list(csv.reader(out.strip().splitlines()))
    assert header == ["prediction"] and len(rows) == 60
    np.testing.assert_allclose([float(r[0]) for r in rows], by_hand(folder, work["X_new"]),
                               rtol=1e-9)


def test_evaluate_reports_r2_mae_rmse_of_a_new_file(work, run_cli_inprocess):
    folder = work["dir"]
    code, out, err = run_cli_inprocess("evaluate", folder / "houses.npz", "--data",
                                       folder / "houses_new.csv", "--target", "price")
    assert code == 0, err
    lines = dict(line.split(": ", 1) for line in out.strip().splitlines())
    predicted, y = by_hand(folder, work["X_new"]), work["y_new"]
    error = predicted - y
    r2 = 1 - np.sum(error**2) / np.sum((y - y.mean()) ** 2)
    assert lines["samples"] == "60"
    # printed to 4 significant digits
    assert float(lines["MAE"]) == pytest.approx(np.mean(np.abs(error)), rel=6e-4)
    assert float(lines["RMSE"]) == pytest.approx(np.sqrt(np.mean(error**2)), rel=6e-4)
    assert float(lines["R²"]) == pytest.approx(r2, abs=1e-4)
    assert out.strip().splitlines()[-1].startswith("R²: ")
    assert r2 > 0.8


def test_evaluate_and_plot_a_dataset_model_on_a_fresh_sample(work, run_cli_inprocess):
    folder = work["dir"]
    code, out, err = run_cli_inprocess("evaluate", folder / "plane.npz", "--dataset",
                                       "plane", "--noise", "0.1", "--task", "regression")
    assert code == 0, err
    assert "plane (400 points, seed 1, noise 0.1)" in out  # training used seed 0
    assert float(out.strip().splitlines()[-1].split(": ")[1]) > 0.9
    code, out, err = run_cli_inprocess("plot", folder / "sine.npz", "--dataset", "sine",
                                       "-o", folder / "sine_again.png")
    assert code == 0, err
    assert out.splitlines()[0] == f"figure: {folder / 'sine_again.png'}"
    assert float(out.strip().splitlines()[-1].split(": ")[1]) > 0.9
    with Image.open(folder / "sine_again.png") as png:
        assert png.format == "PNG" and png.size == (960, 810)


def test_the_figures_are_written(work):
    for name in ("plane", "sine", "houses"):
        with Image.open(work["dir"] / f"{name}.png") as png:
            assert png.format == "PNG"
            assert png.size == (960, 810)  # a 6.4 x 5.4 inch figure at 150 dpi
            png.verify()


def test_the_plane_surface_rises_towards_the_top_right(work):
    """plane's target is 0.6 (x1 + x2): in the figure the surface must be dark (viridis: low)
    at the bottom left of the axes and bright (high) at the top right."""
    with Image.open(work["dir"] / "plane.png") as png:
        pixels = np.asarray(png.convert("L"), dtype=float)
    # Inside the axes (roughly columns 180-800, rows 70-690 of 960 x 810): sample near the
    # corners, away from the points' box (the grid extends 12% beyond it).
    bottom_left = pixels[660:680, 190:210].mean()
    top_right = pixels[75:95, 770:790].mean()
    assert top_right > bottom_left + 80


# --- without --task: a numeric target with many values is refused, with the hint --------------


def test_a_continuous_target_without_task_is_refused_with_a_hint(work):
    result = work["guess"]
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("scratchnn: error: the target 'price' is numeric with ")
    assert "--task regression" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (work["dir"] / "never.npz").exists()


def test_integer_targets_with_few_classes_still_classify(tmp_path, run_cli_inprocess):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    path = write_csv(tmp_path / "three.csv", ["a", "b", "grade"],
                     [[f"{a:.4f}", f"{b:.4f}", int(a > 0) + int(b > 0)] for a, b in X])
    code, out, err = run_cli_inprocess("train", "--data", path, "--target", "grade",
                                       "--epochs", "5", "--save", tmp_path / "three.npz")
    assert code == 0, err
    assert "classes: 0, 1, 2" in out and out.strip().splitlines()[-1].startswith(
        "test accuracy: ")
    _, header = persistence.load(tmp_path / "three.npz", return_header=True)
    assert header["metadata"]["task"] == "classification"


def test_many_integer_values_are_refused_too(tmp_path, run_cli_inprocess):
    path = write_csv(tmp_path / "ages.csv", ["a", "age"], [[i * 0.1, 20 + i] for i in range(30)])
    code, _, err = run_cli_inprocess("train", "--data", path, "--target", "age")
    assert code == 2
    assert "numeric with 30 distinct values" in err and "--task regression" in err


# --- bad input: one line, the right exit code, nothing written ----------------------------------


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    paths = {
        "text": write_csv(folder / "text.csv", ["a", "b", "colour"],
                          [[i, i * 2, "red" if i % 2 else "blue"] for i in range(30)]),
        "nan": write_csv(folder / "nan.csv", ["a", "b", "y"],
                         [[i, i * 2, "nan" if i == 7 else i * 0.5] for i in range(30)]),
        "empty": write_csv(folder / "empty.csv", ["a", "b", "y"],
                           [[i, i * 2, "" if i == 3 else i * 0.5] for i in range(30)]),
        "constant": write_csv(folder / "constant.csv", ["a", "b", "y"],
                              [[i, i * 2, 3.5] for i in range(30)]),
        "labels": write_csv(folder / "labels.csv", ["x1", "x2", "y"],
                            [[i * 0.1, (i % 7) * 0.1, i % 2] for i in range(30)]),
    }
    assert cli.main(["train", "--dataset", "moons", "--n-samples", "60", "--epochs", "3",
                     "--quiet", "--save", str(folder / "moons.npz")]) == 0
    assert cli.main(["train", "--dataset", "plane", "--n-samples", "60", "--epochs", "3",
                     "--quiet", "--save", str(folder / "plane.npz")]) == 0
    return {"dir": folder, **{name: str(path) for name, path in paths.items()},
            "moons": str(folder / "moons.npz"), "plane": str(folder / "plane.npz"),
            "out": str(folder / "out.npz")}


REGRESS = ["--task", "regression"]


@pytest.mark.parametrize(("args", "code", "phrase"), [
    (["train", "--data", "{text}", "--target", "colour", *REGRESS, "--save", "{out}"], 1,
     "text.csv: the target column 'colour' holds text such as 'blue', not numbers"),
    (["train", "--data", "{nan}", "--target", "y", *REGRESS, "--save", "{out}"], 1,
     "nan.csv line 9 (data row 8), column 'y': 'nan' is not a finite number"),
    (["train", "--data", "{empty}", "--target", "y", *REGRESS, "--save", "{out}"], 1,
     "empty.csv line 5 (data row 4), column 'y': missing"),
    (["train", "--data", "{constant}", "--target", "y", *REGRESS, "--save", "{out}"], 1,
     "the target 'y' has the same value (3.5) in every training row"),
    (["evaluate", "{moons}", "--dataset", "moons", *REGRESS], 2,
     "moons.npz is a classification model (classes: 0, 1), not regression"),
    (["evaluate", "{moons}", "--data", "{labels}", "--target", "y", *REGRESS], 2,
     "leave out --task regression"),
    (["predict", "{plane}", "{labels}", "--task", "classification"], 2,
     "plane.npz is a regression model (it predicts numbers), not classification"),
    (["predict", "{plane}", "{labels}", "--proba"], 2, "leave out --proba"),
    (["evaluate", "{plane}", "--dataset", "moons"], 2,
     "--dataset moons is a classification dataset, but"),
    (["evaluate", "{moons}", "--dataset", "sine"], 2, "--dataset sine is a regression dataset"),
    (["train", "--dataset", "plane", "--task", "classification"], 2,
     "--dataset plane is a regression dataset, but --task is classification"),
    (["train", "--dataset", "moons", "--loss", "huber"], 2, "add --task regression"),
    (["train", "--dataset", "plane", "--animate", "{dir}/a.gif", "--save", "{out}"], 2,
     "--animate shows a decision boundary"),
    (["train", "--dataset", "sine", "--features", "x1,x2,x1^2", "--save", "{out}"], 2,
     "--features lifts 2-D points"),
    (["export", "{plane}", "{dir}/plane.onnx"], 2, "export writes classifiers only"),
])
def test_bad_input_gives_one_line_and_writes_nothing(bad, args, code, phrase, run_cli_inprocess):
    got, _, err = run_cli_inprocess(*(a.format(**bad) for a in args))
    assert got == code, err
    assert err.startswith("scratchnn: error: ") and len(err.strip().splitlines()) == 1
    assert phrase in err
    assert not os.path.exists(bad["out"])


# --- losses, an estimator's file, and the metadata ----------------------------------------------


@pytest.mark.parametrize(("loss", "name"), [("huber", "Huber loss"),
                                            ("absolute_error", "absolute error")])
def test_the_robust_losses_train(loss, name, run_cli_inprocess):
    code, out, err = run_cli_inprocess("train", "--dataset", "plane", "--noise", "0.1",
                                       "--loss", loss, "--epochs", "40", "--quiet")
    assert code == 0, err
    assert name in out
    assert scores_line(out.strip().splitlines()[-1])["R²"] > 0.8


def test_an_mlpregressor_file_predicts_through_the_command_line(tmp_path, run_cli_inprocess):
    import scratchnn as snn

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    reg = snn.MLPRegressor(hidden_layer_sizes=(6,), max_iter=300, random_state=0).fit(
        X, 3 * X[:, 0] - X[:, 1] + 2)
    snn.save(reg, tmp_path / "reg.npz")
    path = write_csv(tmp_path / "points.csv", ["x1", "x2"], X[:10].round(6).tolist())
    code, out, err = run_cli_inprocess("predict", tmp_path / "reg.npz", path)
    assert code == 0, err
    values = [float(v) for v in out.split()[1:]]
    np.testing.assert_allclose(values, reg.predict(X[:10].round(6)), rtol=1e-8)


def test_prep_metadata_round_trips_the_target_scaling():
    from scratchnn.model import mlp

    prep = Prep(["a", "b"], [], mean=np.array([1.0, 2.0]), scale=np.array([3.0, 4.0]),
                task="regression", target_mean=510.0, target_scale=4.5)
    model = mlp([2, 3, 1], rng=0)
    again = Prep.from_metadata(prep.metadata(), model, "m.npz")
    assert again.is_regression and again.classes == []
    assert (again.target_mean, again.target_scale) == (510.0, 4.5)
    y = np.array([500.0, 510.0, 519.0])
    np.testing.assert_allclose(again.unscale_target(again.scale_target(y)), y)
    old = {k: v for k, v in prep.metadata().items() if k not in ("task", "target_scaling")}
    old["classes"] = [0, 1]
    assert Prep.from_metadata(old, model, "m.npz").task == "classification"  # older files
