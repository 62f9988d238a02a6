"""Exercises that check the learner's own code: ``scratchnn exercises list|start|check|hint``.

A learner runs ``scratchnn exercises start my-nn``, which writes one stub file per chapter
(``01_layers.py``, ...): a function to fill in per task, with its docstring, the shapes and a
first hint. ``scratchnn exercises check`` (inside that folder, or with ``--dir``) loads their
files, runs each task's cases and answers as a teacher would: which case failed, its inputs,
the expected and obtained arrays side by side with the largest difference, and a hint.

The expected values are never stored: each task's reference calls the library itself
(``Dense.forward``, ``functional.softmax``, ``Adam.step``, ``autograd.Value``, ...) on the same
inputs, and gradients are compared with finite differences too.

The modules: ``task`` (what a task and a case are), ``arrays``, ``networks`` and ``values`` (the
tasks, by chapter), ``catalog`` (all of them in teaching order), ``folder`` (stub files and the
progress file), ``checker`` (running the learner's code safely and judging it), ``report`` (how
a check speaks), ``commands`` (what each subcommand prints).
"""

from __future__ import annotations

from .catalog import CHAPTERS, TASKS, Chapter, find_task
from .checker import Folder, Result, check_task
from .commands import check, next_hint, start_folder, task_markdown, task_table
from .folder import Progress, find_folder, start, stub_text
from .task import Case, Task, WrongAnswer

__all__ = ["CHAPTERS", "TASKS", "Case", "Chapter", "Folder", "Progress", "Result", "Task",
           "WrongAnswer", "check", "check_task", "find_folder", "find_task", "next_hint",
           "start", "start_folder", "stub_text", "task_markdown", "task_table"]
