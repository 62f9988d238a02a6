"""The tutorials run: every notebook in docs/tutorials/ is executed from a fresh kernel.

A notebook that raises, including one of its own ``assert`` cells that checks a number the
text claims, fails the test. Each runs in a temporary copy of the tutorials folder, so nothing
a notebook writes lands in the repository, and with the kernel of the Python running the
tests (the project's virtual environment), so it imports the scratchnn under test.
"""

from __future__ import annotations

import json
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
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    errors = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs
              if o.output_type == "error"]
    assert not errors


def _manager_class(spec_manager):
    """A KernelManager class that looks kernels up in our temporary kernel folder."""
    from jupyter_client.manager import AsyncKernelManager

    class Manager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(kernel_spec_manager=spec_manager, **kwargs)

    return Manager
