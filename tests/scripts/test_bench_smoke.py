"""The benchmark script runs end to end at tiny sizes and writes its table and JSON.

No timing is asserted anywhere: times depend on the machine. What is checked is that every
task ran, every contender has times and the numbers docs/speed.md quotes are there.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench.py"
pytestmark = pytest.mark.slow  # every benchmark end to end: part of make test, not test-fast


def test_quick_benchmark_writes_table_and_json(tmp_path):
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]

    report = json.loads((tmp_path / "results.json").read_text())
    assert report["quick"] is True and report["rounds"] == 1
    machine = report["machine"]
    for key in ("cpu", "cores", "numpy", "scikit-learn", "torch", "blas"):
        assert key in machine
    assert set(report["tasks"]) == {"moons", "digits", "throughput", "lbfgs"}
    lbfgs = report["tasks"]["lbfgs"]["results"]
    for name in ("scratchnn.MLPClassifier lbfgs", "scikit-learn MLPClassifier lbfgs"):
        assert len(lbfgs[name]["times"]) == 1 and 0 <= lbfgs[name]["accuracy"] <= 1

    moons = report["tasks"]["moons"]["results"]
    for name in ("NumPy, hand-written", "scratchnn core loop", "scikit-learn MLPClassifier"):
        assert len(moons[name]["times"]) == 1 and moons[name]["median_s"] > 0
        assert 0 <= moons[name]["accuracy"] <= 1
    # The hand-written loop and the teaching loop start from the same weights and do the
    # same math, so they end at the same predictions.
    assert moons["NumPy, hand-written"]["accuracy"] == moons["scratchnn core loop"]["accuracy"]

    digits = report["tasks"]["digits"]["results"]
    assert "scikit-learn MLPClassifier" in digits and "scratchnn.fit" in digits

    throughput = report["tasks"]["throughput"]
    assert throughput["matmul_gflops"] > 0 and throughput["memory"]["peak_bytes"] > 0
    for entry in throughput["results"].values():
        assert entry["samples_per_s"] > 0 and entry["fraction_of_matmul"] > 0

    targets = {row["target"] for row in report["targets"]}
    assert "moons: core loop / hand-written NumPy" in targets
    assert "throughput: peak memory / (data + weights + one batch)" in targets

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
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--no-torch", "--tasks", "moons",
                           "--no-startup", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "results.json").read_text())
    assert "PyTorch" not in report["tasks"]["moons"]["results"]
    assert any("PyTorch left out" in note for note in report["notes"])
