"""The convolution benchmark: its memory bound (no timing is asserted) and a quick run."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "conv_bench.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("conv_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_training_peak_memory_does_not_grow_with_the_data_set():
    bench = load_bench()
    small, large = bench.peak_memory(128), bench.peak_memory(1024)
    grown_data = large["data_bytes"] - small["data_bytes"]  # 2.8 MB more images
    # The windows (im2col), the activations and their gradients are sized by the batch of 64:
    # eight times the data adds only the epoch's shuffled order (8 bytes a sample).
    assert large["peak_bytes"] - small["peak_bytes"] < 64 * 1024 + 16 * 1024
    assert grown_data > 40 * (large["peak_bytes"] - small["peak_bytes"])
    # and a batch's peak is a few times its largest window matrix, not more
    assert large["peak_bytes"] < 8 * bench.im2col_bytes()


def test_conv_flops_count_the_three_products():
    flops = load_bench().conv_flops(64)
    first, second = 2 * 64 * 26 * 26 * 1 * 9 * 8, 2 * 64 * 11 * 11 * 8 * 9 * 16
    assert flops["forward"] == flops["dW"] == first + second
    assert flops["dx"] == second and flops["total"] == 2 * first + 3 * second


@pytest.mark.slow
def test_quick_conv_benchmark_writes_its_report(tmp_path):
    pytest.importorskip("torch")
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "conv_results.json").read_text())
    assert report["ratio_median"] > 0 and len(report["ratio_per_round"]) == 1
    assert report["conv_fraction_of_matmul"] > 0 and report["matmul_gflops"] > 0
    assert [m["samples"] for m in report["memory"]] == [64, 256]
    assert "scratchnn / PyTorch" in (tmp_path / "conv_results.md").read_text()
