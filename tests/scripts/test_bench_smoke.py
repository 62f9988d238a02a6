"""The benchmark script runs end to end at tiny sizes and writes its table and JSON.

No timing is asserted anywhere: times depend on the machine. What is checked is that every
task ran, every contender has times and the numbers docs/speed.md quotes are there.
"""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench.py"


def test_quick_benchmark_writes_table_and_json(tmp_path):
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]

    report = json.loads((tmp_path / "results.json").read_text())
    assert report["quick"] is True and report["rounds"] == 1
    machine = report["machine"]
    for key in ("cpu", "cores", "numpy", "scikit-learn", "torch", "blas"):
        assert key in machine
    assert set(report["tasks"]) == {"T1", "T3", "T4", "T5"}
    t5 = report["tasks"]["T5"]["results"]
    for name in ("scratchnn.MLPClassifier lbfgs", "scikit-learn MLPClassifier lbfgs"):
        assert len(t5[name]["times"]) == 1 and 0 <= t5[name]["accuracy"] <= 1

    t1 = report["tasks"]["T1"]["results"]
    for name in ("NumPy, hand-written", "scratchnn core loop", "scikit-learn MLPClassifier"):
        assert len(t1[name]["times"]) == 1 and t1[name]["median_s"] > 0
        assert 0 <= t1[name]["accuracy"] <= 1
    # The hand-written loop and the teaching loop start from the same weights and do the
    # same math, so they end at the same predictions.
    assert t1["NumPy, hand-written"]["accuracy"] == t1["scratchnn core loop"]["accuracy"]

    t3 = report["tasks"]["T3"]["results"]
    assert "scikit-learn MLPClassifier" in t3 and "scratchnn.fit" in t3

    t4 = report["tasks"]["T4"]
    assert t4["matmul_gflops"] > 0 and t4["memory"]["peak_bytes"] > 0
    for entry in t4["results"].values():
        assert entry["samples_per_s"] > 0 and entry["fraction_of_matmul"] > 0

    targets = {row["target"] for row in report["targets"]}
    assert "T1 core loop / hand-written NumPy" in targets
    assert "T4 peak memory / (data + weights + one batch)" in targets

    startup = report["startup"]["commands"]
    for name in ("python -c 'import numpy'", "scratchnn --help", "scratchnn datasets"):
        assert startup[name]["median_s"] > 0 and len(startup[name]["times"]) == 2
    assert "start-up: scratchnn --help (seconds)" in targets

    table = (tmp_path / "results.md").read_text()
    assert "| contender | median time |" in table and "**Targets**" in table
    assert "| `scratchnn --help` |" in table
    assert machine["cpu"] in table
    assert "QUICK sizes" in table


def test_benchmark_runs_without_torch(tmp_path):
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--no-torch", "--tasks", "T1",
                           "--no-startup", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "results.json").read_text())
    assert "PyTorch" not in report["tasks"]["T1"]["results"]
    assert any("PyTorch left out" in note for note in report["notes"])
