"""Big data in bounded memory: inference in chunks, models that let go of their buffers, CSV
files read by pandas' C parser (and streamed by ``scratchnn predict``), and runs too large for
the machine refused up front. Memory is measured with tracemalloc, to which NumPy reports its
allocations: its peaks are deterministic, not timing."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import model as model_module


def _layer_arrays(layer) -> list[np.ndarray]:
    """Every array a layer holds besides its parameters and gradients."""
    params = {id(a) for pair in layer.parameters() for a in pair}
    return [v for v in vars(layer).values() if isinstance(v, np.ndarray) and id(v) not in params]


def _largest_held(model) -> int:
    return max((a.nbytes for layer in model.layers for a in _layer_arrays(layer)), default=0)


def _peak_bytes(function) -> int:
    """tracemalloc's peak, above what was allocated before, while ``function()`` runs."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        function()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@pytest.fixture
def small_budget(monkeypatch):
    """Chunks of about 1 MB, so a test shows chunking with a few MB of data."""
    monkeypatch.setattr(model_module, "INFERENCE_BYTES", 2**20)
    return 2**20


def test_chunk_rows_keeps_the_working_set_at_the_budget():
    model = snn.mlp([8, 256, 256, 3], rng=0)
    rows = model.chunk_rows()
    per_row = 8 * (256 + 256 + 256 + 256 + 3 + 256)
    assert rows % 64 == 0 and rows * per_row <= model_module.INFERENCE_BYTES
    assert (rows + 64) * per_row > model_module.INFERENCE_BYTES
    assert snn.mlp([2, 10**6, 1], rng=0).chunk_rows() == 64  # at least one tile of rows


@pytest.mark.parametrize("sizes", [[5, 32, 32, 1], [5, 16, 4]])
def test_chunked_inference_gives_the_results_of_one_pass(sizes):
    rng = np.random.default_rng(0)
    model = snn.mlp(sizes, "tanh", rng=rng)
    X = rng.normal(size=(5000, sizes[0]))
    whole = model.predict_logits(X, chunk_rows=X.shape[0])
    chunked = model.predict_logits(X, chunk_rows=640)
    assert chunked.shape == whole.shape
    np.testing.assert_allclose(chunked, whole, rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(chunked[:4480], whole[:4480])  # whole chunks: the same bits
    proba = model.predict_proba(X)
    assert proba.shape == ((5000,) if sizes[-1] == 1 else (5000, sizes[-1]))
    labels = (whole[:, 0] > 0).astype(np.intp) if sizes[-1] == 1 else whole.argmax(axis=1)
    np.testing.assert_array_equal(model.predict(X), labels)


def test_predict_leaves_no_array_larger_than_a_chunk(small_budget):
    model = snn.mlp([8, 64, 64, 3], rng=0)
    X = np.random.default_rng(1).normal(size=(30000, 8))
    model.predict(X)
    assert _largest_held(model) <= small_budget
    assert all(layer.x is None for layer in model.layers)  # nor the last input
    model.predict(X[:10])
    assert _largest_held(model) <= 10 * 64 * 8  # small buffers are kept, for the next call


def test_a_small_predict_after_a_large_one_holds_nothing_large():
    """Without any budget patched: 300,000 rows through (256, 256)."""
    rng = np.random.default_rng(0)
    clf = snn.MLPClassifier((64, 64), max_iter=2, random_state=0).fit(
        rng.normal(size=(200, 4)), rng.integers(0, 2, 200))
    assert _largest_held(clf.model_) == 0  # fit lets go of its batches too
    clf.predict_proba(rng.normal(size=(300_000, 4)))
    clf.predict(rng.normal(size=(10, 4)))
    assert _largest_held(clf.model_) <= 10 * 64 * 8  # what 10 rows need


def test_fit_releases_the_training_buffers():
    rng = np.random.default_rng(0)
    model = snn.mlp([2, 32, 1], rng=0)
    X, y = rng.normal(size=(500, 2)), rng.integers(0, 2, 500)
    snn.fit(model, X, y, epochs=2, batch_size=100, rng=0)
    assert _largest_held(model) == 0 and all(layer.x is None for layer in model.layers)
    reg = snn.MLPRegressor(hidden_layer_sizes=(16,), max_iter=3, solver="lbfgs").fit(X, X[:, 0])
    assert _largest_held(reg.model_) == 0


def test_backward_after_release_asks_for_a_forward():
    layer = snn.Dense(2, 3, rng=0)
    layer.forward(np.ones((4, 2)))
    layer.release()
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones((4, 3)))


@pytest.mark.parametrize("predict", ["sequential", "classifier", "regressor"])
def test_predict_memory_does_not_grow_with_the_rows(small_budget, predict):
    """Besides its input and output, a large predict takes the chunk's buffers: the peak for
    80,000 rows exceeds the one for 20,000 by no more than the larger output."""
    rng = np.random.default_rng(0)
    if predict == "sequential":
        model = snn.mlp([8, 128, 128, 4], rng=0)
        run = model.predict_proba
    elif predict == "classifier":
        run = snn.MLPClassifier((128, 128), max_iter=1, random_state=0).fit(
            rng.normal(size=(100, 8)), rng.integers(0, 4, 100)).predict_proba
    else:
        run = snn.MLPRegressor(hidden_layer_sizes=(128, 128), max_iter=1, random_state=0).fit(
            rng.normal(size=(100, 8)), rng.normal(size=(100, 4))).predict
    small, large = rng.normal(size=(20_000, 8)), rng.normal(size=(80_000, 8))
    run(small[:100])  # warm-up: first-call allocations of NumPy and scikit-learn
    peak_small, peak_large = _peak_bytes(lambda: run(small)), _peak_bytes(lambda: run(large))
    outputs = 60_000 * 4 * 8  # the larger result: 60,000 more rows of 4 float64s
    assert peak_small < 5 * small_budget + 20_000 * 4 * 8 * 3
    assert peak_large - peak_small <= 3 * outputs, (peak_small, peak_large)


# --- runs too large for the machine are refused before they allocate --------------------------


def test_training_estimate_counts_parameters_state_activations_and_data():
    from scratchnn._memory import training_estimate

    estimate = training_estimate(1000, 2, [100_000, 100_000], 1, 32, "adam")
    n_params = 2 * 100_000 + 100_000 + 100_000 * 100_000 + 100_000 + 100_000 + 1
    assert estimate.parts["network"] == n_params * 8 * 6  # weights, grads, 2 copies, m and v
    assert estimate.parts["activations"] == 3 * 1000 * 200_001 * 8
    assert estimate.parts["data"] == 4 * 1000 * 3 * 8
    assert estimate.largest() == "network"
    assert "480.0 GB" in estimate.describe()


@pytest.mark.parametrize(("options", "fix"), [
    (["--hidden", "100000,100000"], "use smaller or fewer --hidden layers"),
    (["--n-samples", "10000000000"], "use fewer --n-samples"),
])
def test_cli_refuses_a_run_larger_than_the_memory_and_says_how_large(capsys, options, fix):
    from scratchnn import cli

    code = cli.main(["train", "--dataset", "moons", "--epochs", "1", "--quiet", *options])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("scratchnn: error: this run would need about ")
    assert " GB of memory (" in err and "is available" in err and fix in err
    assert "MemoryError" not in err and len(err.strip().splitlines()) == 1


# --- CSV files: pandas' C parser, a header line of bounded length, predict in chunks -------------


def _write_points(path, n: int, seed: int = 0, bad_row: int | None = None) -> None:
    """``n`` rows of x1,x2,x3 (17 significant digits) and a label 0/1/2."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, 3)), rng.integers(0, 3, n)
    lines = ["x1,x2,x3,label"] + [f"{a!r},{b!r},{c!r},{k}" for (a, b, c), k in
                                  zip(X.tolist(), y.tolist())]
    if bad_row is not None:
        lines[bad_row] = "1.0,oops,2.0,1"
    path.write_text("\n".join(lines) + "\n")


def test_reading_a_csv_does_not_import_pandas_until_a_file_is_read():
    import subprocess
    import sys

    code = ("import sys; from scratchnn import cli; cli.build_parser(); "
            "print('pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip() == "False", done.stderr


def test_read_chunks_gives_the_rows_of_read_table(tmp_path):
    from scratchnn._csv import read_chunks, read_labels, read_table

    path = tmp_path / "p.csv"
    _write_points(path, 2500)
    table = read_table(str(path))
    chunks = list(read_chunks(str(path), 1000))
    assert [c.n_rows for c in chunks] == [1000, 1000, 500]
    assert [c.first_row for c in chunks] == [0, 1000, 2000]
    names = ["x1", "x2", "x3"]
    np.testing.assert_array_equal(np.vstack([c.numeric(names) for c in chunks]),
                                  table.numeric(names))
    labels = [label for c in chunks for label in read_labels(c, "label")]
    assert labels == read_labels(table, "label")
    assert chunks[2].lines[:2] == [2002, 2003]
    # the numbers are Python's float() of the text, to the last bit
    text_rows = path.read_text().splitlines()[1:4]
    assert table.numeric(names)[:3].tolist() == [[float(v) for v in row.split(",")[:3]]
                                                 for row in text_rows]


def test_an_error_in_a_later_chunk_names_its_line(tmp_path):
    from scratchnn._csv import DataError, read_chunks

    path = tmp_path / "p.csv"
    _write_points(path, 3000, bad_row=2500)
    with pytest.raises(DataError, match=r"p.csv line 2501 \(data row 2500\), column 'x2': "
                                        r"'oops' is not a number; correct it or drop the row"):
        for chunk in read_chunks(str(path), 1000):
            chunk.numeric(["x1", "x2", "x3"])


@pytest.mark.parametrize("content", ["device", "no line ends"])
def test_a_device_or_a_file_without_line_ends_is_refused_at_once(tmp_path, content):
    from scratchnn._csv import DataError, read_table

    if content == "device":
        path, message = "/dev/zero", "/dev/zero is not a regular file"
    else:
        path = tmp_path / "one_line.csv"
        path.write_bytes(b"1," * 10_000_000)  # 20 MB, no line end
        path, message = str(path), "no line end in the first 1 MB"

    def attempt():
        with pytest.raises(DataError, match=message):
            read_table(path)

    assert _peak_bytes(attempt) < 4 * 2**20  # a few MB at most, whatever the file


def test_training_time_reading_takes_at_most_three_times_the_file(tmp_path):
    """What ``train --data`` reads (the table, the feature columns, the labels), measured by
    tracemalloc: NumPy's and Python's allocations (pandas' tokenizer works in chunks of its
    own, a constant that ``benchmarks/memory.py`` measures with the rest)."""
    from scratchnn._csv import read_labels, read_table

    path = tmp_path / "big.csv"
    _write_points(path, 100_000)  # about 6 MB
    small = tmp_path / "small.csv"
    _write_points(small, 100)

    def read(p):
        table = read_table(str(p))
        return table.numeric(table.header[:-1]), read_labels(table, "label")

    read(small)  # first-use imports and caches
    size = path.stat().st_size
    peak = _peak_bytes(lambda: read(path))
    assert peak <= 3 * size, peak / size


def test_cli_predict_streams_in_chunks_with_memory_independent_of_rows(tmp_path, monkeypatch,
                                                                       capsys):
    """Chunks of 1,000 rows: the peak for 60,000 rows is that for 20,000 (tracemalloc), the
    output is the library's prediction row for row."""
    import csv

    from scratchnn import _csv, cli
    from scratchnn.cli import predict

    monkeypatch.setattr(predict, "PREDICT_CHUNK_ROWS", 1000)
    monkeypatch.setattr(_csv, "SCAN_BLOCK", 2**16)
    train = tmp_path / "train.csv"
    _write_points(train, 300)
    model_path = tmp_path / "m.npz"
    assert cli.main(["train", "--data", str(train), "--target", "label", "--epochs", "2",
                     "--quiet", "--save", str(model_path)]) == 0
    peaks = {}
    for n in (20_000, 60_000):
        data, out = tmp_path / f"d{n}.csv", tmp_path / f"out{n}.csv"
        _write_points(data, n, seed=1)
        args = ["predict", str(model_path), str(data), "--proba", "-o", str(out)]
        cli.main(args)  # warm-up
        peaks[n] = _peak_bytes(lambda args=args: cli.main(args))
    capsys.readouterr()
    assert peaks[60_000] - peaks[20_000] < 2**20, peaks
    model, prep = cli.load_model(str(model_path))
    with open(tmp_path / "out20000.csv") as f:
        rows = list(csv.reader(f))
    from scratchnn._csv import read_table

    X = read_table(str(tmp_path / "d20000.csv")).numeric(prep.feature_names)
    proba = cli.probabilities(model, prep(X))
    assert len(rows) == 20_001 and rows[0][0] == "prediction"
    assert [int(r[0]) for r in rows[1:]] == [prep.classes[i] for i in proba.argmax(axis=1)]
    np.testing.assert_allclose(np.array([r[1:] for r in rows[1:]], float), proba, atol=1e-6)


def test_cli_predict_error_in_a_later_chunk_writes_no_file(tmp_path, monkeypatch, capsys):
    from scratchnn import cli
    from scratchnn.cli import predict

    monkeypatch.setattr(predict, "PREDICT_CHUNK_ROWS", 1000)
    train, data, out = tmp_path / "train.csv", tmp_path / "d.csv", tmp_path / "out.csv"
    _write_points(train, 300)
    _write_points(data, 3000, bad_row=2500)
    model_path = tmp_path / "m.npz"
    assert cli.main(["train", "--data", str(train), "--target", "label", "--epochs", "2",
                     "--quiet", "--save", str(model_path)]) == 0
    capsys.readouterr()
    assert cli.main(["predict", str(model_path), str(data), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "d.csv line 2501 (data row 2500), column 'x2': 'oops' is not a number" in err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == [
        "d.csv", "m.npz", "train.csv"]


@pytest.mark.slow  # the benchmark end to end: part of make test, not test-fast
def test_memory_benchmark_runs_at_small_sizes_and_reports_its_goals(tmp_path):
    """benchmarks/memory.py end to end with --quick (no figure is asserted: they depend on the
    machine)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "memory.py"
    done = subprocess.run([sys.executable, str(script), "--quick", "--out", str(tmp_path),
                           "--tmp", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "memory.json").read_text())
    for kind in ("scratchnn", "pandas"):
        assert report["reading"]["results"][kind]["peak_bytes"] > 0
    assert report["predict"]["large"]["rows"] > report["predict"]["small"]["rows"] > 0
    assert {row["goal"].split(",")[0] for row in report["goals"]} >= {
        "training-time reading", "predict peak memory"}
    assert "QUICK sizes" in (tmp_path / "memory.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["memory.json", "memory.md"]


_CELLS = ["1", "2.5", " 3", "4 ", "", " ", "abc", "nan", "inf", "-1e3", "1_000", '"5"', "True",
          "007", "2.0", "99999999999999999999", "NA", '"a,b"', "0", "-3.25", "0.1"]


def _outcome(path: str):
    """What reading ``path`` gives: the header, three numeric selections, the labels of the
    last column; or the message of the first error."""
    from scratchnn._csv import DataError, read_labels, read_table

    try:
        table = read_table(path)
    except DataError as error:
        return str(error)
    names, result = table.header, [table.header]
    for columns in ([names[0]], names[:-1] or names, names):
        try:
            result.append(table.numeric(columns).tolist())
        except DataError as error:
            result.append(str(error))
    try:
        result.append(read_labels(table, names[-1]))
    except DataError as error:
        result.append(str(error))
    return result


def test_pandas_reads_every_file_as_the_row_by_row_rules_do(tmp_path, monkeypatch):
    """Small random files (ragged rows, trailing commas, blank lines, text, missing values,
    CRLF): read through pandas, and through the csv module alone (the rules of the messages),
    they give the same data and the same errors."""
    import random

    from scratchnn import _csv

    rnd = random.Random(0)
    path = str(tmp_path / "t.csv")
    for _ in range(300):
        n_columns = rnd.randint(1, 3)
        header = [rnd.choice(["a", "", "1", "h0"]) if rnd.random() < 0.1 else f"h{i}"
                  for i in range(n_columns)]
        lines = [",".join(header) + ("," if rnd.random() < 0.1 else "")]
        for _ in range(rnd.randint(0, 5)):
            n = n_columns + (rnd.choice([-1, 1]) if rnd.random() < 0.1 else 0)
            cells = [rnd.choice(_CELLS) if rnd.random() < 0.3 else rnd.choice(_CELLS[-4:])
                     for _ in range(n)]
            lines.append("" if rnd.random() < 0.05 else
                         ",".join(cells) + ("," if rnd.random() < 0.08 else ""))
        end = rnd.choice(["\n", "\r\n"])
        text = end.join(lines) + (end if rnd.random() < 0.8 else "")
        with open(path, "w", newline="") as f:
            f.write(text)
        fast = _outcome(path)
        with monkeypatch.context() as patch:  # as for a file pandas cannot read
            patch.setattr(_csv, "_read_header", lambda f, path: ([], False))
            by_row = _outcome(path)
        assert fast == by_row, text
