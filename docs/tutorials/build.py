"""Build the tutorial notebooks from their sources and execute them, so every output is real.

Each notebook is written as a plain Python file in ``source/`` in the "percent" format that
Jupyter tools share: ``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell (each of
its lines starts with ``# ``), and ``# %% solution`` a code cell whose source is collapsed in
Jupyter (the exercises' solutions). Run from the repository root::

    python docs/tutorials/build.py            # every notebook
    python docs/tutorials/build.py 03         # the notebooks whose name starts with 03

The executed notebooks (with their outputs) are written next to this file (``make notebooks``).
The tests execute the stored notebooks again and compare what they print with the stored text
(tests/docs/test_notebooks.py), so a notebook that stops running, or whose stored outputs are
stale, fails: rebuild it. Figures that depend on the machine's rounding (BLAS) are printed to
the digits that do not.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "source"
TIMEOUT = 300  # seconds per cell; each notebook is meant to run in well under a minute


def _cell(kind: str, lines: list[str]) -> nbformat.NotebookNode | None:
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return None
    if kind == "markdown":
        text = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines)
        return nbformat.v4.new_markdown_cell(text)
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    if kind == "solution":
        cell.metadata["tags"] = ["solution"]
        cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


def parse(text: str) -> nbformat.NotebookNode:
    """Turn a percent-format source into an (unexecuted) notebook."""
    cells, kind, lines = [], None, []
    for line in text.splitlines():
        if line.startswith("# %%"):
            if kind is not None and (cell := _cell(kind, lines)) is not None:
                cells.append(cell)
            marker = line[4:].strip()
            kind = {"[markdown]": "markdown", "solution": "solution"}.get(marker, "code")
            lines = []
        elif kind is not None:
            lines.append(line)
    if kind is not None and (cell := _cell(kind, lines)) is not None:
        cells.append(cell)
    for number, cell in enumerate(cells, 1):  # stable ids: a rebuild changes only what changed
        cell.id = f"cell-{number}"
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(source: Path) -> tuple[float, float]:
    """Write and execute one notebook; return its wall-clock time and the kernel's CPU time
    in seconds (on a shared machine the first can be several times the second)."""
    nb = parse(source.read_text(encoding="utf-8"))
    start, cpu = time.perf_counter(), _children_cpu()
    NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()
    seconds = time.perf_counter() - start
    cpu = _children_cpu() - cpu  # the kernel is our child process, reaped at shutdown
    for cell in nb.cells:  # execution times would change the file on every build
        cell.metadata.pop("execution", None)
    nbformat.write(nb, HERE / f"{source.stem}.ipynb")
    return seconds, cpu


def main(prefixes: list[str]) -> None:
    # Figures go into the notebooks as PNG outputs, whatever backend the caller's shell chose.
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    sources = sorted(SOURCES.glob("*.py"))
    if prefixes:
        sources = [s for s in sources if any(s.name.startswith(p) for p in prefixes)]
    for source in sources:
        wall, cpu = build(source)
        print(f"{source.stem}: {wall:.1f} s wall clock, {cpu:.1f} s CPU", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
