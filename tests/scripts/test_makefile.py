"""The Makefile's promises, read with `make -n` (which prints the commands and runs none) in a
copy of the Makefile: `make demo` installs the core alone, `make test` the dev extra, in either
order, and the suite runs on every core, then the serial tests on their own."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


@pytest.fixture
def checkout(tmp_path) -> Path:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def planned(checkout: Path, target: str) -> str:
    done = subprocess.run(["make", "-n", target], cwd=checkout, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def installed(checkout: Path, *stamps: str) -> None:
    """A .venv as the Makefile leaves it: a python, and the stamps of what is installed."""
    python = checkout / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True, exist_ok=True)
    python.touch()
    later = time.time() + 10  # newer than pyproject.toml
    for stamp in stamps:
        (checkout / ".venv" / stamp).touch()
        os.utime(checkout / ".venv" / stamp, (later, later))


def test_demo_on_a_fresh_clone_installs_the_core_alone(checkout):
    plan = planned(checkout, "demo")
    assert "-m venv .venv" in plan
    assert "pip install --quiet -e .\n" in plan and "[dev]" not in plan
    assert "train_circles.py" in plan and "train_moons.py" in plan


def test_test_on_a_fresh_clone_installs_the_dev_extra_and_runs_in_parallel(checkout):
    plan = planned(checkout, "test")
    assert "pip install --quiet -e '.[dev]'" in plan
    assert '-n auto --dist loadgroup -m "not serial"' in plan
    assert "pytest -q -m serial" in plan


def test_test_after_demo_adds_the_dev_extra(checkout):
    installed(checkout, ".installed-core")
    plan = planned(checkout, "test")
    assert "-m venv" not in plan and "pip install --quiet -e '.[dev]'" in plan


def test_demo_after_test_installs_nothing(checkout):
    installed(checkout, ".installed-core", ".installed-dev")
    plan = planned(checkout, "demo")
    assert "pip" not in plan and "train_moons.py" in plan
    assert "pip" not in planned(checkout, "test-fast")


def test_test_fast_leaves_out_the_slow_tests_in_both_runs(checkout):
    installed(checkout, ".installed-core", ".installed-dev")
    plan = planned(checkout, "test-fast")
    assert '-m "not serial and not slow"' in plan and '-m "serial and not slow"' in plan
