"""Memory and time of reading big CSV files: what ``scratchnn train --data`` and ``scratchnn
predict`` take, against a plain ``pandas.read_csv`` in the same run.

- **Training-time reading**: a CSV of about ``--csv-mb`` MB (10 feature columns written with 17
  significant digits, an integer label) read as ``train --data`` reads it (the table, the
  feature columns as float64, the labels), in a fresh process; its peak memory is the process's
  high-water mark (``ru_maxrss``) minus its resident size just before reading, and is given as a
  multiple of the file size. The same for ``pandas.read_csv`` + ``to_numpy``. Rounds interleave
  the two; medians are reported.
- **Predict in constant memory**: ``scratchnn predict MODEL FILE -o OUT`` run as a command on a
  small file (``--small-mb``) and on a large one (``--predict-mb``, 1 GB by default; its rows
  are the training file's, repeated), with each process's peak memory (``ru_maxrss`` from
  ``wait4``). Constant memory: the two peaks are about the same.

Goals: reading at most 3 times the file size; 200 MB read in under 5 s; predict on
1 GB in constant memory. Usage: ``python benchmarks/memory.py [--quick] [--out DIR]``; results
go to ``memory.json`` and ``memory.md`` in ``--out`` (default: this folder). Temporary files go
to ``--tmp`` (default: the system's), and are removed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
N_FEATURES = 10

# Run in a fresh process: read FILE as KIND ("scratchnn" or "pandas"), print what it took.
READER = r"""
import json, os, resource, sys, time
import numpy, pandas
from scratchnn._csv import read_labels, read_table

def rss_now():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def high_water():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

kind, path = sys.argv[1], sys.argv[2]
before, high_before = rss_now(), high_water()
start = time.perf_counter()
if kind == "scratchnn":
    table = read_table(path)
    X, y = table.numeric(table.header[:-1]), read_labels(table, table.header[-1])
else:
    frame = pandas.read_csv(path)
    X, y = frame.iloc[:, :-1].to_numpy(numpy.float64), frame.iloc[:, -1].tolist()
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rss_before": before, "high_before": high_before,
                  "high_after": high_water(), "rows": len(X)}))
"""


def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "Agg")
    return env


def write_csv(path: Path, megabytes: float, seed: int = 0) -> int:
    """About ``megabytes`` MB of rows ``x0..x9,label``; returns the number of rows."""
    rng = np.random.default_rng(seed)
    rows = 0
    with open(path, "w") as f:
        f.write(",".join(f"x{i}" for i in range(N_FEATURES)) + ",label\n")
        while f.tell() < megabytes * 1e6:
            n = min(50_000, max(100, int(megabytes * 1e6 / 190)))
            X, y = rng.normal(size=(n, N_FEATURES)), rng.integers(0, 3, n)
            f.write("\n".join(",".join(map(repr, row)) + f",{label}"
                              for row, label in zip(X.tolist(), y.tolist())) + "\n")
            rows += n
    return rows


def repeat_body(source: Path, target: Path, megabytes: float) -> None:
    """``target``: ``source``'s header, then its data rows again and again up to ``megabytes``."""
    with open(source, "rb") as f:
        header, body = f.readline(), f.read()
    with open(target, "wb") as f:
        f.write(header)
        while f.tell() < megabytes * 1e6:
            f.write(body)


def run_reader(kind: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", READER, kind, str(path)], capture_output=True,
                          text=True, env=child_env(), timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} reader failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    result["peak_bytes"] = result["high_after"] - result["rss_before"]
    # the reading raised the high-water mark above what importing had left: a true peak
    result["exact"] = result["high_after"] > result["high_before"]
    return result


def run_command(args: list[str]) -> tuple[float, int]:
    """``(seconds, peak bytes)`` of ``python -m scratchnn ARGS`` (``ru_maxrss`` via wait4)."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "scratchnn", *args], env=child_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode()
    process.stderr.close()
    if process.returncode != 0:
        raise RuntimeError(f"scratchnn {' '.join(args)} failed: {stderr[-2000:]}")
    return seconds, usage.ru_maxrss * 1024


def reading(folder: Path, megabytes: float, rounds: int) -> dict:
    path = folder / "read.csv"
    rows = write_csv(path, megabytes)
    size = path.stat().st_size
    runs: dict[str, list[dict]] = {"scratchnn": [], "pandas": []}
    for _ in range(rounds):
        for kind in runs:  # interleaved: A B A B ...
            runs[kind].append(run_reader(kind, path))
    out = {"file_bytes": size, "rows": rows, "results": {}}
    for kind, results in runs.items():
        peak = statistics.median(r["peak_bytes"] for r in results)
        out["results"][kind] = {
            "seconds": statistics.median(r["seconds"] for r in results),
            "peak_bytes": peak, "peak_over_file": peak / size,
            "exact": all(r["exact"] for r in results), "runs": results}
    path.unlink()
    return out


def predicting(folder: Path, small_mb: float, large_mb: float) -> dict:
    train, small, large = folder / "train.csv", folder / "small.csv", folder / "large.csv"
    write_csv(train, 0.2, seed=1)
    model, out = folder / "model.npz", folder / "predictions.csv"
    run_command(["train", "--data", str(train), "--target", "label", "--hidden", "32,32",
                 "--epochs", "2", "--quiet", "--save", str(model)])
    source = folder / "rows.csv"
    write_csv(source, min(small_mb, large_mb, 50), seed=2)
    result = {}
    for name, path, megabytes in (("small", small, small_mb), ("large", large, large_mb)):
        repeat_body(source, path, megabytes)
        seconds, peak = run_command(["predict", str(model), str(path), "-o", str(out)])
        with open(out, "rb") as f:
            n_rows = sum(1 for _ in f) - 1
        result[name] = {"file_bytes": path.stat().st_size, "rows": n_rows, "seconds": seconds,
                        "peak_bytes": peak}
        path.unlink()
        out.unlink()
    result["peak_large_over_small"] = result["large"]["peak_bytes"] / result["small"]["peak_bytes"]
    return result


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 1e7 else f"{n / 1e6:.1f} MB"


def goals(report: dict) -> list[dict]:
    read, predict = report["reading"]["results"]["scratchnn"], report["predict"]
    size_mb = report["reading"]["file_bytes"] / 1e6
    rows = [
        {"goal": "training-time reading, peak memory / file size", "value": read["peak_over_file"],
         "target": "<= 3", "met": read["peak_over_file"] <= 3},
        {"goal": f"time to read the {size_mb:.0f} MB file (s)", "value": read["seconds"],
         "target": "< 5 (for 200 MB)", "met": read["seconds"] < 5 if size_mb >= 190 else None},
        {"goal": f"predict peak memory, {mb(predict['large']['file_bytes'])} file / "
                 f"{mb(predict['small']['file_bytes'])} file",
         "value": predict["peak_large_over_small"], "target": "about 1 (constant; 1 GB file)",
         "met": predict["peak_large_over_small"] <= 1.1
         if predict["large"]["file_bytes"] >= 0.95e9 else None},
    ]
    return rows


def markdown(report: dict) -> str:
    read, predict = report["reading"], report["predict"]
    lines = ["<!-- written by benchmarks/memory.py; do not edit by hand -->", "",
             f"Machine: {report['machine']}. Rounds: {report['rounds']} (interleaved; medians)"
             + (" — QUICK sizes, not a real run" if report["quick"] else "") + ".", "",
             f"**Reading a {mb(read['file_bytes'])} CSV** ({read['rows']:,} rows, "
             f"{N_FEATURES} float columns and a label) as `train --data` does, in a fresh "
             "process: peak memory above the process's size before reading.", "",
             "| reader | time | peak memory | peak / file size |", "| --- | --- | --- | --- |"]
    for kind, r in read["results"].items():
        name = "scratchnn (`read_table` + `numeric` + `read_labels`)" if kind == "scratchnn" \
            else "`pandas.read_csv` + `to_numpy`"
        exact = "" if r["exact"] else " (at most: below the import high-water mark)"
        lines.append(f"| {name} | {r['seconds']:.2f} s | {mb(r['peak_bytes'])}{exact} | "
                     f"{r['peak_over_file']:.2f} |")
    lines += ["", "**`scratchnn predict MODEL FILE -o OUT`** (a 10-32-32-3 network), peak memory "
              "of the whole process:", "", "| file | rows | time | peak memory |",
              "| --- | --- | --- | --- |"]
    for name in ("small", "large"):
        r = predict[name]
        lines.append(f"| {mb(r['file_bytes'])} | {r['rows']:,} | {r['seconds']:.1f} s | "
                     f"{mb(r['peak_bytes'])} |")
    lines += ["", "| goal | value | target | met |", "| --- | --- | --- | --- |"]
    for row in report["goals"]:
        met = {True: "yes", False: "no", None: "not measured at this size"}[row["met"]]
        lines.append(f"| {row['goal']} | {row['value']:.2f} | {row['target']} | {met} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small files, one round (a smoke "
                        "test)")
    parser.add_argument("--csv-mb", type=float, default=None, help="file to read (default 200)")
    parser.add_argument("--small-mb", type=float, default=None,
                        help="small file to predict (default 20)")
    parser.add_argument("--predict-mb", type=float, default=None,
                        help="large file to predict (default 1000)")
    parser.add_argument("--rounds", type=int, default=None, help="reading rounds (default 3)")
    parser.add_argument("--out", type=Path, default=HERE, help="where memory.json/.md go")
    parser.add_argument("--tmp", type=Path, default=None, help="folder for the big files")
    args = parser.parse_args(argv)
    quick = args.quick
    csv_mb = args.csv_mb or (4 if quick else 200)
    small_mb, large_mb = args.small_mb or (2 if quick else 20), args.predict_mb or (
        8 if quick else 1000)
    rounds = args.rounds or (1 if quick else 3)
    report = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} "
                         f"cores; Python {platform.python_version()}, NumPy {np.__version__}",
              "quick": quick, "rounds": rounds}
    with tempfile.TemporaryDirectory(prefix="scratchnn-memory-", dir=args.tmp) as folder:
        print(f"reading a {csv_mb:g} MB CSV ...", file=sys.stderr, flush=True)
        report["reading"] = reading(Path(folder), csv_mb, rounds)
        print(f"predicting on {small_mb:g} MB and {large_mb:g} MB ...", file=sys.stderr,
              flush=True)
        report["predict"] = predicting(Path(folder), small_mb, large_mb)
    report["goals"] = goals(report)
    text = markdown(report)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "memory.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "memory.md").write_text(text)
    return report


if __name__ == "__main__":
    main()
