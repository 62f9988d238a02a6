"""Helpers for the exercises' tests: fill a stub of the learner's folder with code."""

from __future__ import annotations

import textwrap
from pathlib import Path

from scratchnn.exercises import TASKS, find_task
from scratchnn.exercises.catalog import chapter_of


def stub_line(task_id: str) -> str:
    return f'    raise NotImplementedError("{find_task(task_id).function} is not written yet")\n'


def fill(folder: Path, task_id: str, body: str) -> None:
    """Replace the stub's ``raise NotImplementedError`` of ``task_id`` with ``body``."""
    path = folder / chapter_of(find_task(task_id)).filename
    text = path.read_text(encoding="utf-8")
    line = stub_line(task_id)
    assert text.count(line) == 1, f"the stub of {task_id} is not in {path.name}"
    path.write_text(text.replace(line, textwrap.indent(body, "    ")), encoding="utf-8")


def fill_with_solutions(folder: Path, tasks=TASKS) -> None:
    for task in tasks:
        fill(folder, task.id, task.solution)
