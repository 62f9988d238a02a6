"""The Ray Tune recipe of docs/many-models.md (docs/recipes/ray_tune_search.py) runs as
written: a function trainable reporting each epoch with ``tune.report``, ASHA stopping the
trials that fall behind, each trial on one CPU and one BLAS thread. Ray is an optional extra
(``scratchnn[ray]``, not part of ``dev``): without it the test is skipped."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray.tune", reason="Ray Tune is not installed: pip install 'scratchnn[ray]'")

RECIPE = Path(__file__).resolve().parents[2] / "docs" / "recipes" / "ray_tune_search.py"
SRC = Path(importlib.util.find_spec("scratchnn").origin).parents[1]


@pytest.mark.slow
def test_the_ray_tune_recipe_runs_under_asha(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(SRC), "RAY_USAGE_STATS_ENABLED": "0"}
    result = subprocess.run([sys.executable, str(RECIPE)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    trials = re.search(r"^(\d+) trials, (\d+) epochs in all \(ASHA stopped (\d+) early\)$",
                       result.stdout, re.MULTILINE)
    best = re.search(r"^best validation accuracy: ([\d.]+) after (\d+) epochs, "
                     r"(\d+) BLAS thread\(s\)$", result.stdout, re.MULTILINE)
    assert trials and best, result.stdout[-3000:]
    n_trials, epochs, stopped = map(int, trials.groups())
    assert n_trials == 8
    # How many trials ASHA ends early depends on the order in which the concurrent trials reach
    # each rung, so only the bounds are asserted: no trial runs past its 20 epochs.
    assert 0 <= stopped <= n_trials and n_trials <= epochs <= 8 * 20
    assert float(best.group(1)) >= 0.95
    assert best.group(3) == "1"  # one BLAS thread per trial
