"""Start-up time of the ``scratchnn`` command: ``scratchnn --help`` and ``scratchnn datasets``
against ``python -c 'import numpy'``, the floor (Python and NumPy alone).

Each run is a fresh process (``python -m scratchnn ...``, the same code as the installed
command); the three commands are interleaved (a warm-up of each, then rounds A B C A B C ...).
Reported: the median wall time of each, and the median over rounds of each command's time
divided by that round's ``import numpy`` time, a ratio that holds on a busy machine where the
seconds do not. The goal: both commands answer in under 0.4 s.

Usage: ``python benchmarks/startup.py [--rounds N]``; ``benchmarks/bench.py`` runs it too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"  # this checkout's scratchnn, installed or not
FLOOR = "python -c 'import numpy'"
COMMANDS = {
    FLOOR: ["-c", "import numpy"],
    "scratchnn --help": ["-m", "scratchnn", "--help"],
    "scratchnn datasets": ["-m", "scratchnn", "datasets"],
}
GOAL_S = 0.4


def run_once(args: list[str], env: dict) -> float:
    """Wall time of one fresh ``python args`` process, in seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def measure(rounds: int = 20) -> dict:
    """``{"rounds", "goal_s", "commands": {name: {"times", "median_s", "over_numpy"}}}``;
    ``over_numpy`` is the median of per-round ratios to the ``import numpy`` floor."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])}
    for args in COMMANDS.values():  # warm-up: the files into the page cache, .pyc written
        run_once(args, env)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(rounds):
        for name, args in COMMANDS.items():
            times[name].append(run_once(args, env))
    result = {}
    for name, values in times.items():
        ratios = [t / floor for t, floor in zip(values, times[FLOOR])]
        result[name] = {"times": values, "median_s": statistics.median(values),
                        "over_numpy": statistics.median(ratios)}
    return {"rounds": rounds, "goal_s": GOAL_S, "commands": result}


def markdown(report: dict) -> str:
    """A table: median seconds and the ratio to ``import numpy`` of each command."""
    lines = [f"Start-up, {report['rounds']} interleaved rounds of fresh processes (medians):", "",
             "| command | median time | time / import numpy |", "| --- | --- | --- |"]
    for name, entry in report["commands"].items():
        lines.append(f"| `{name}` | {entry['median_s']:.3f} s | {entry['over_numpy']:.2f} |")
    return "\n".join(lines) + "\n"


def summary(report: dict) -> str:
    """The one-line figure: ``scratchnn --help 0.21 s (1.9 x import numpy), ...``."""
    parts = [f"{name} {entry['median_s']:.2f} s ({entry['over_numpy']:.1f} x import numpy)"
             for name, entry in report["commands"].items() if name != FLOOR]
    floor = report["commands"][FLOOR]["median_s"]
    return f"{', '.join(parts)}; import numpy alone {floor:.2f} s (goal: under {GOAL_S} s)"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="timed rounds (default 20)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    report = measure(args.rounds)
    print(markdown(report))
    print(summary(report))
    return report


if __name__ == "__main__":
    main()
