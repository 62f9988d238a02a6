"""The tutorials run and print what they show: every notebook in docs/tutorials/ is executed
from a fresh kernel and its text outputs are compared with the stored ones.

A notebook that raises, including one of its own ``assert`` cells that checks a number the
text claims, fails the test; so does a stored output that a fresh run no longer prints (the
reader, and the site, would see a stale one: ``make notebooks`` refreshes them). Text is
compared as printed: numbers agree when they are equal to the digits shown (``0.078`` and
``0.0781`` agree, ``0.078`` and ``0.055`` do not), everything else must match exactly; figures
are not compared. Each notebook runs in a temporary copy of the tutorials folder, so nothing it
writes lands in the repository, and with the kernel of the Python running the tests (the
project's virtual environment), so it imports the scratchnn under test.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

TUTORIALS = Path(__file__).resolve().parents[2] / "docs" / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))
SOURCES = sorted((TUTORIALS / "source").glob("*.py"))

pytestmark = pytest.mark.slow  # about a minute or two in all; still part of `make test`


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A kernel spec that starts this very interpreter (so the venv's scratchnn is used)."""
    from jupyter_client.kernelspec import KernelSpecManager

    root = tmp_path_factory.mktemp("kernels")
    spec_dir = root / "kernels" / "scratchnn-test"
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "scratchnn tests", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    manager = KernelSpecManager(kernel_dirs=[str(root / "kernels")])
    assert "scratchnn-test" in manager.find_kernel_specs()
    return "scratchnn-test", manager


def test_nine_notebooks_in_reading_order():
    names = [nb.stem for nb in NOTEBOOKS]
    assert [name[:3] for name in names] == [f"{i:02d}_" for i in range(9)], names
    # every notebook has its source, and the other way round
    assert names == [source.stem for source in SOURCES]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_notebook_is_stored_executed_and_well_formed(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert nb.cells[0].cell_type == "markdown" and "What you will learn" in nb.cells[0].source
    assert all(cell.execution_count is not None for cell in code), "stored without outputs"
    assert not [o for cell in code for o in cell.outputs if o.output_type == "error"]
    figures = [o for cell in code for o in cell.outputs if "image/png" in o.get("data", {})]
    assert figures, "every tutorial draws its figures in the notebook"
    assert any("assert " in cell.source for cell in code), "claims are checked by asserts"
    solutions = [cell for cell in code if "solution" in cell.metadata.get("tags", [])]
    assert 2 <= len(solutions) <= 3, "two or three exercises, each with a solution cell"
    assert "## Exercises" in "".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_notebook_runs(path, kernel, tmp_path, monkeypatch):
    name, manager = kernel
    workdir = tmp_path / "tutorials"
    shutil.copytree(TUTORIALS, workdir, ignore=shutil.ignore_patterns("source", "*.py"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(workdir / path.name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name=name,
                                     kernel_manager_class=_manager_class(manager),
                                     resources={"metadata": {"path": str(workdir)}})
    stored = [text_outputs(cell) for cell in nb.cells]
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    errors = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs
              if o.output_type == "error"]
    assert not errors
    stale = [stale_output(index, old, text_outputs(cell))
             for index, (old, cell) in enumerate(zip(stored, nb.cells))]
    stale = [message for message in stale if message]
    assert not stale, (f"{path.name}: stored outputs differ from a fresh run (refresh them with "
                       "`make notebooks`):\n" + "\n".join(stale))


def test_stored_notebooks_are_built_from_their_sources():
    """The stored cells are what docs/tutorials/build.py makes of the source today."""
    sys.path.insert(0, str(TUTORIALS))
    try:
        from build import parse
    finally:
        sys.path.remove(str(TUTORIALS))
    for source, path in zip(SOURCES, NOTEBOOKS):
        built = parse(source.read_text(encoding="utf-8")).cells
        stored = nbformat.read(path, as_version=4).cells
        assert [(c.id, c.cell_type, c.source, c.metadata) for c in stored] == [
            (c.id, c.cell_type, c.source, c.metadata) for c in built], (
            f"{path.name} is older than {source.name}: rebuild it with `make notebooks`")


# --- comparing text outputs as printed ------------------------------------------------------------

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def text_outputs(cell) -> str:
    """A code cell's printed text: its streams (stdout, then stderr) and the ``text/plain`` of
    its results, except the placeholder text of a figure (``<Figure size ...>``)."""
    if cell.cell_type != "code":
        return ""
    parts = {"stdout": [], "stderr": [], "result": []}
    for output in cell.outputs:
        if output.output_type == "stream":
            parts[output.name].append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            data = output.get("data", {})
            if "text/plain" in data and "image/png" not in data:
                parts["result"].append(data["text/plain"])
    return "".join("".join(texts) for texts in parts.values())


def _last_digit(token: str) -> float:
    """The value of the last printed digit: 1 for ``42``, 0.001 for ``0.055``, 1e11 for
    ``3.042e+14``."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** ((int(exponent) if exponent else 0) - decimals)


def numbers_agree(old: str, new: str) -> bool:
    """Two printed numbers are the same number to the digits the coarser one shows."""
    a, b = float(old), float(new)
    if not (math.isfinite(a) and math.isfinite(b)):
        return old == new
    return abs(a - b) <= max(_last_digit(old), _last_digit(new)) / 2 * (1 + 1e-9)


def texts_agree(old: str, new: str) -> bool:
    """The same text around the numbers, and the same numbers as printed."""
    old_numbers, new_numbers = NUMBER.findall(old), NUMBER.findall(new)
    return (NUMBER.split(old) == NUMBER.split(new) and len(old_numbers) == len(new_numbers)
            and all(numbers_agree(a, b) for a, b in zip(old_numbers, new_numbers)))


def stale_output(index: int, old: str, new: str) -> str:
    """Empty when cell ``index`` prints what is stored, else the first line that differs."""
    if texts_agree(old, new):
        return ""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for line, (a, b) in enumerate(zip(old_lines, new_lines)):
        if not texts_agree(a, b):
            return f"  cell {index}, line {line + 1}: stored {a!r}, fresh {b!r}"
    return (f"  cell {index}: stored {len(old_lines)} line(s), fresh {len(new_lines)}: "
            f"stored {old[-200:]!r}, fresh {new[-200:]!r}")


@pytest.mark.parametrize(("old", "new"), [
    ("loss 0.078, accuracy 0.973", "loss 0.078, accuracy 0.973"),
    ("loss 0.078", "loss 0.0781"),  # agree to the digits the stored text shows
    ("loss became 3.042e+14 at epoch 2", "loss became 3.0424e+14 at epoch 2"),
    ("[[ 0.7435 -0.632 ]]", "[[ 0.7435 -0.632 ]]"),
    ("0.5", "0.45"),  # the difference is half a unit of the coarser one's last digit
])
def test_printed_texts_that_agree(old, new):
    assert texts_agree(old, new) and texts_agree(new, old)


@pytest.mark.parametrize(("old", "new"), [
    ("loss 0.055, accuracy 0.979", "loss 0.078, accuracy 0.973"),
    ("42 dead units", "40 dead units"),
    ("loss became nan at epoch 4", "loss became 3.042e+14 at epoch 2"),
    ("{'X': '3.0e-10', 'param0': '3.0e-10'}", "{'X': '3.0e-10', 'Dense 1 W': '3.0e-10'}"),
    ("dW1: largest difference 1.4e-17", "dW1: largest difference 2.8e-17"),
    ("0.1", "0.2"),
    ("accuracy 0.97", "accuracy 0.97 (test)"),
    ("3 rows", "3 rows\n"),
])
def test_printed_texts_that_differ(old, new):
    assert not texts_agree(old, new) and not texts_agree(new, old)


def test_a_stale_output_names_the_cell_and_the_line():
    message = stale_output(8, "epoch 1\nloss 0.055\n", "epoch 1\nloss 0.078\n")
    assert message == "  cell 8, line 2: stored 'loss 0.055', fresh 'loss 0.078'"
    assert stale_output(3, "same 1.0\n", "same 1.00\n") == ""


def _manager_class(spec_manager):
    """A KernelManager class that looks kernels up in our temporary kernel folder."""
    from jupyter_client.manager import AsyncKernelManager

    class Manager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(kernel_spec_manager=spec_manager, **kwargs)

    return Manager
