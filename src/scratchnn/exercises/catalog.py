"""Every exercise, in teaching order, and the chapters (one stub file each) they come in.

From one layer's arithmetic to a whole network and its optimizers, then the same
backpropagation again as a scalar autograd engine. A 2-D convolution's forward and backward
belong after chapter 3 once the library has a convolution layer: a chapter ``conv`` with tasks
built like those of ``networks.py`` (the reference calls the layer's own ``forward`` and
``backward``) goes there.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .arrays import LAYER_TASKS, LOSS_TASKS
from .networks import NETWORK_TASKS, OPTIMIZER_TASKS
from .task import Task
from .values import VALUE_IMPORTS, VALUE_TASKS


@dataclass(frozen=True)
class Chapter:
    """A stub file: ``filename`` in the learner's folder, holding ``tasks`` in order."""

    name: str
    filename: str
    title: str
    tasks: tuple[Task, ...]
    imports: str = "import numpy as np\n"


CHAPTERS = (
    Chapter("layers", "01_layers.py", "A layer and its activations", tuple(LAYER_TASKS)),
    Chapter("losses", "02_losses.py", "Losses and their gradients", tuple(LOSS_TASKS)),
    Chapter("network", "03_network.py", "A whole network", tuple(NETWORK_TASKS)),
    # (a chapter "conv", 2-D convolution forward and backward, goes here; see above)
    Chapter("optimizers", "04_optimizers.py", "Optimizers", tuple(OPTIMIZER_TASKS)),
    Chapter("autograd", "05_autograd.py", "An autograd engine, one Value at a time",
            tuple(VALUE_TASKS), imports=VALUE_IMPORTS),
)

TASKS: tuple[Task, ...] = tuple(task for chapter in CHAPTERS for task in chapter.tasks)


def chapter_of(task: Task) -> Chapter:
    return next(chapter for chapter in CHAPTERS if chapter.name == task.chapter)


def find_task(name: str) -> Task:
    """The task called ``name`` (its id, or its number in the list, from 1), or a
    ``LookupError`` that names the closest id."""
    if name.isdigit() and 1 <= int(name) <= len(TASKS):
        return TASKS[int(name) - 1]
    for task in TASKS:
        if task.id == name:
            return task
    ids = [task.id for task in TASKS]
    close = difflib.get_close_matches(name, ids, n=1)
    suggestion = f"; did you mean {close[0]}?" if close else ""
    raise LookupError(f"no exercise called {name!r}{suggestion} ('scratchnn exercises list' "
                      f"shows all {len(TASKS)}, with their ids)")
