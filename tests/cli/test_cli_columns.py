"""Your own CSV file without surprises: ``--drop`` and ``--columns`` choose the input columns
(and the model remembers the choice), a wrong name is answered with the closest one, a column
that looks like a row id (or pandas' index) is named in a warning, and ``evaluate`` and
``predict`` warn when a file's columns or labels are not the model's. In-process runs."""

from __future__ import annotations

import numpy as np
import pytest
from _csvfiles import read_csv, write_csv

from scratchnn import persistence

QUICK = ["--hidden", "6", "--epochs", "30", "--quiet"]
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def flowers(n: int = 90, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).round(4)
    species = np.array(["setosa", "versicolor", "virginica"])
    return X, species[np.digitize(X[:, 0] + X[:, 2], [-0.7, 0.7])].tolist()


@pytest.fixture
def files(tmp_path):
    X, y = flowers()
    rows = [[*x, label] for x, label in zip(X.tolist(), y)]
    paths = {
        "plain": write_csv(tmp_path / "plain.csv", [*FEATURES, "species"], rows),
        "id": write_csv(tmp_path / "with_id.csv", ["ID", *FEATURES, "species"],
                        [[i + 1, *row] for i, row in enumerate(rows)]),
        "counter": write_csv(tmp_path / "counter.csv", ["n", *FEATURES, "species"],
                             [[i + 100, *row] for i, row in enumerate(rows)]),
        # what df.to_csv() writes without index=False: an unnamed first column 0, 1, 2, ...
        "pandas": write_csv(tmp_path / "pandas.csv", ["", *FEATURES, "species"],
                            [[i, *row] for i, row in enumerate(rows)]),
        "renamed": write_csv(tmp_path / "renamed.csv", ["a", "b", "c", "d", "species"], rows),
    }
    unseen = [row[:-1] + (["dahlia"] if i < 7 else [row[-1]]) for i, row in enumerate(rows)]
    paths["unseen"] = write_csv(tmp_path / "unseen.csv", [*FEATURES, "species"], unseen)
    paths["dir"] = tmp_path
    return paths


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def warnings_in(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("scratchnn: warning: ")]


# --- choosing the columns ----------------------------------------------------------------------


def test_drop_leaves_a_column_out_and_the_model_remembers(files, run_cli_inprocess):
    model = files["dir"] / "m.npz"
    code, out, err = run_cli_inprocess("train", "--data", files["id"], "--target", "species",
                                       "--drop", "ID", *QUICK, "--save", model)
    assert code == 0, err
    assert warnings_in(err) == []  # dropped: nothing to warn about
    assert "(90 rows, 4 feature columns)" in out
    _, header = persistence.load(model, return_header=True)
    assert header["metadata"]["feature_names"] == FEATURES
    assert header["metadata"]["ignored_columns"] == ["ID"]
    # evaluate and predict leave ID out by themselves, without being told again
    code, out, err = run_cli_inprocess("evaluate", model, "--data", files["id"], "--target",
                                       "species")
    assert code == 0 and err == "", err
    assert out.strip().splitlines()[-1].startswith("accuracy: ")
    code, out, err = run_cli_inprocess("predict", model, files["id"])
    assert code == 0 and err == "", err
    assert len(out.strip().splitlines()) == 91
    # a file without the ID column is fine too
    code, _, err = run_cli_inprocess("predict", model, files["plain"])
    assert code == 0 and err == "", err


def test_columns_lists_the_inputs_and_other_files_may_have_more(files, run_cli_inprocess):
    model = files["dir"] / "petals.npz"
    code, out, err = run_cli_inprocess("train", "--data", files["plain"], "--target", "species",
                                       "--columns", "petal_width, petal_length", *QUICK,
                                       "--save", model)
    assert code == 0, err
    assert "(90 rows, 2 feature columns)" in out
    _, header = persistence.load(model, return_header=True)
    assert header["metadata"]["feature_names"] == ["petal_width", "petal_length"]
    code, out, err = run_cli_inprocess("predict", model, files["id"], "-o",
                                       files["dir"] / "p.csv")
    assert code == 0 and err == "", err
    assert len(read_csv(files["dir"] / "p.csv")[1]) == 90
    code, out, err = run_cli_inprocess("evaluate", model, "--data", files["counter"],
                                       "--target", "species")
    assert code == 0 and err == "", err


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--drop", "sepal_lenght"], 1, "plain.csv has no column 'sepal_lenght'; its columns are: "
     "sepal_length, sepal_width, petal_length, petal_width, species; did you mean --drop "
     "sepal_length?"),
    (["--columns", "Petal_Width"], 1, "did you mean --columns petal_width?"),
    (["--drop", "sepal_width", "--columns", "petal_width"], 2,
     "--drop and --columns both choose the feature columns: give one of them (--columns lists "
     "the columns to use, --drop the ones to leave out)"),
    (["--drop", "species"], 2, "--drop species: that is the target column, which is never an "
     "input; leave it out of --drop"),
    (["--drop", ","], 2, "--drop: expected comma-separated column names"),
    (["--drop", ",".join(FEATURES)], 1, "has no feature columns besides the target 'species' "
     "once --drop has left some out"),
])
def test_a_wrong_choice_of_columns_is_one_line(files, args, code, message, run_cli_inprocess):
    got, _, err = run_cli_inprocess("train", "--data", files["plain"], "--target", "species",
                                    *args, *QUICK)
    assert got == code, err
    assert message in one_line(err)


def test_a_wrong_case_target_suggests_the_column(files, run_cli_inprocess):
    code, _, err = run_cli_inprocess("train", "--data", files["plain"], "--target", "Species",
                                     *QUICK)
    assert code == 1
    assert one_line(err).endswith("has no column 'Species'; its columns are: sepal_length, "
                                  "sepal_width, petal_length, petal_width, species; did you "
                                  "mean --target species?")
    code, _, err = run_cli_inprocess("evaluate", files["dir"] / "none.npz", "--data",
                                     files["plain"], "--target", "Species")
    assert code == 1  # the model file is read first: no such file


def test_features_given_column_names_points_to_columns(files, run_cli_inprocess):
    code, _, err = run_cli_inprocess("train", "--data", files["plain"], "--target", "species",
                                     "--features", "petal_length", *QUICK)
    assert code == 2
    assert "unknown feature 'petal_length'; choose from: x1, x2, x1^2, x2^2, x1*x2, sin(x1), " \
           "sin(x2), sin (computed from 2-D points; to choose a CSV file's columns, use " \
           "--columns)" in one_line(err)


def test_columns_go_with_a_csv_file(run_cli_inprocess):
    code, _, err = run_cli_inprocess("train", "--dataset", "moons", "--drop", "x1", *QUICK)
    assert code == 2
    assert "--drop chooses columns of a CSV file: it goes with --data" in one_line(err)


# --- columns that look like row ids ------------------------------------------------------------


@pytest.mark.parametrize(("file", "column", "why"), [
    ("id", "ID", "its name"),
    ("counter", "n", "unique integers counting up by one"),
])
def test_a_row_id_is_named_with_the_option_that_drops_it(files, file, column, why,
                                                          run_cli_inprocess):
    code, out, err = run_cli_inprocess("train", "--data", files[file], "--target", "species",
                                       *QUICK)
    assert code == 0, err
    assert warnings_in(err) == [
        f"scratchnn: warning: column '{column}' looks like a row id ({why}), not a measurement; "
        f"the network would learn from it: leave it out with --drop {column}"]
    assert out.strip().splitlines()[-1].startswith("test accuracy: ")


def test_plain_measurements_raise_no_warning(files, run_cli_inprocess):
    code, _, err = run_cli_inprocess("train", "--data", files["plain"], "--target", "species",
                                     *QUICK)
    assert code == 0 and err == "", err


def test_pandas_index_is_recognised(files, run_cli_inprocess):
    code, _, err = run_cli_inprocess("train", "--data", files["pandas"], "--target", "species",
                                     *QUICK)
    assert code == 0, err
    (warning,) = warnings_in(err)
    assert "column 'Unnamed: 0' looks like the row index pandas writes (df.to_csv() without " \
           "index=False)" in warning
    assert "index=False" in warning and "--drop 'Unnamed: 0'" in warning
    code, _, err = run_cli_inprocess("train", "--data", files["pandas"], "--target", "species",
                                     "--drop", "Unnamed: 0", *QUICK)
    assert code == 0 and err == "", err


def test_predict_on_a_file_with_pandas_index_says_how_to_leave_it_out(files, run_cli_inprocess):
    model = files["dir"] / "plain.npz"
    assert run_cli_inprocess("train", "--data", files["plain"], "--target", "species", *QUICK,
                             "--save", model)[0] == 0
    code, _, err = run_cli_inprocess("predict", model, files["pandas"])
    assert code == 1
    assert "(unexpected: Unnamed: 0); 'Unnamed: 0' is the row index pandas writes " \
           "(df.to_csv() without index=False): write the file with index=False, or add " \
           "--drop 'Unnamed: 0'" in one_line(err)
    code, out, err = run_cli_inprocess("predict", model, files["pandas"], "--drop",
                                       "Unnamed: 0")
    assert code == 0 and err == "", err
    assert len(out.strip().splitlines()) == 91
    code, _, err = run_cli_inprocess("predict", model, files["id"])
    assert code == 1 and one_line(err).endswith("; leave the others out with --drop ID")


# --- evaluate and predict on data unlike the training data -------------------------------------


@pytest.fixture
def plain_model(files, run_cli_inprocess):
    model = files["dir"] / "plain.npz"
    code, _, err = run_cli_inprocess("train", "--data", files["plain"], "--target", "species",
                                     *QUICK, "--save", model)
    assert code == 0, err
    return model


def test_renamed_columns_are_used_by_position_with_a_warning(files, plain_model,
                                                             run_cli_inprocess):
    code, out, err = run_cli_inprocess("evaluate", plain_model, "--data", files["renamed"],
                                       "--target", "species")
    assert code == 0, err
    assert warnings_in(err) == [
        f"scratchnn: warning: {files['renamed']} has the columns a, b, c, d, but the model was "
        "trained on sepal_length, sepal_width, petal_length, petal_width; they are used in that "
        "order, by position. Rename the columns if they mean something else"]
    _, same, _ = run_cli_inprocess("evaluate", plain_model, "--data", files["plain"],
                                   "--target", "species")
    assert out.splitlines()[-1] == same.splitlines()[-1]  # the same numbers, by position
    code, out, err = run_cli_inprocess("predict", plain_model, files["renamed"])
    assert code == 0 and len(warnings_in(err)) == 1 and "by position" in err


def test_a_long_list_of_columns_is_shortened(tmp_path, run_cli_inprocess):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 8)).round(3)
    y = (X[:, 0] > 0).astype(int)
    names = [f"f{i}" for i in range(8)]
    write_csv(tmp_path / "wide.csv", [*names, "y"], [[*x, t] for x, t in zip(X.tolist(), y)])
    write_csv(tmp_path / "other.csv", [*(n.upper() for n in names), "y"],
              [[*x, t] for x, t in zip(X.tolist(), y)])
    assert run_cli_inprocess("train", "--data", tmp_path / "wide.csv", "--target", "y", *QUICK,
                             "--save", tmp_path / "w.npz")[0] == 0
    code, _, err = run_cli_inprocess("evaluate", tmp_path / "w.npz", "--data",
                                     tmp_path / "other.csv", "--target", "y")
    assert code == 0
    assert "has the columns F0, F1, F2, F3, F4, F5, ... (8 in all), but the model was trained " \
           "on f0, f1, f2, f3, f4, f5, ... (8 in all)" in one_line(err)


def test_labels_the_model_never_saw_are_named_and_counted(files, plain_model,
                                                          run_cli_inprocess):
    code, out, err = run_cli_inprocess("evaluate", plain_model, "--data", files["unseen"],
                                       "--target", "species")
    assert code == 0, err
    assert warnings_in(err) == [
        f"scratchnn: warning: {files['unseen']}: 7 rows with labels the model never saw "
        "(dahlia; it knows setosa, versicolor, virginica); the scores below are on the other 83 "
        "rows"]
    assert "samples: 83" in out and "scored on the 83 rows of known classes" in out
    code, out, err = run_cli_inprocess("predict", plain_model, files["unseen"])
    assert code == 0
    assert warnings_in(err) == [
        f"scratchnn: warning: {files['unseen']}: 7 rows with labels the model never saw "
        "(dahlia; it knows setosa, versicolor, virginica)"]
    assert len(out.strip().splitlines()) == 91  # every row is still predicted


def test_a_dataset_with_a_class_the_model_never_saw_warns(files, run_cli_inprocess):
    model = files["dir"] / "moons.npz"
    assert run_cli_inprocess("train", "--dataset", "moons", *QUICK, "--save", model)[0] == 0
    code, out, err = run_cli_inprocess("evaluate", model, "--dataset", "spirals")
    assert code == 0
    assert "--dataset spirals: 200 rows with labels the model never saw (2; it knows 0, 1); " \
           "the scores below are on the other 400 rows" in one_line(err)
    assert "samples: 400" in out


# --- the model file's name ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "why", "fix"), [("out.pkl", "not .pkl", "out.npz"),
                                                  ("model", "this name has no suffix",
                                                   "model.npz")])
def test_save_refuses_a_name_that_is_not_npz(files, name, why, fix, run_cli_inprocess):
    target = files["dir"] / name
    code, _, err = run_cli_inprocess("train", "--data", files["plain"], "--target", "species",
                                     *QUICK, "--save", target)
    assert code == 2
    assert one_line(err).endswith(f"a model file is a .npz archive ({why}; scratchnn never "
                                  f"writes pickles); use --save {files['dir'] / fix}")
    assert not target.exists() and not (files["dir"] / fix).exists()
