"""What ``scratchnn exercises list|start|check|hint`` do, as functions that return the text to
print (the command line prints it; a notebook may too)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import CommandError
from .catalog import CHAPTERS, TASKS, find_task
from .checker import PASSED, TIME_LIMIT, TODO, Folder, Result, check_task
from .folder import Progress, find_folder, start
from .report import wrapped

TICK, CROSS, DOT = "✓", "✗", "·"
MARKS = {PASSED: TICK, TODO: DOT}


def task_table(folder: str | os.PathLike | None = None) -> str:
    """Every task in order, by chapter, with a tick for those whose last check passed (read
    from the progress in ``folder``; without one, no ticks)."""
    passed = Progress(folder).passed if folder is not None else {}
    width = max(len(task.id) for task in TASKS)
    lines = []
    for number, chapter in enumerate(CHAPTERS, 1):
        lines.append(f"{chapter.filename}: chapter {number}, {chapter.title}")
        for task in chapter.tasks:
            mark = TICK if passed.get(task.id) else DOT
            lines.append(f"  {mark} {TASKS.index(task) + 1:>2}. {task.id:<{width}}  {task.title}")
    done = sum(bool(passed.get(task.id)) for task in TASKS)
    lines.append(f"{done} of {len(TASKS)} tasks pass." if folder is not None else
                 f"{len(TASKS)} tasks. Start with: scratchnn exercises start DIR")
    return "\n".join(lines)


def task_markdown() -> str:
    """The tasks as a Markdown table (number, id, title, what it teaches, the library code it is
    checked against): the table of the documentation's Exercises page."""
    lines = ["| # | id | task | what it teaches | checked against |",
             "| --- | --- | --- | --- | --- |"]
    for number, task in enumerate(TASKS, 1):
        title = re.sub(r"(__\w+__)", r"`\1`", task.title)  # __add__, not bold "add"
        lines.append(f"| {number} | `{task.id}` | {title} | "
                     f"{task.teaches} | `{task.source}` |")
    return "\n".join(lines)


def start_folder(folder: str | os.PathLike, *, force: bool = False) -> str:
    """Write the stubs into ``folder``; the text that says what was written and what next."""
    written = start(folder, force=force)
    files = ", ".join(chapter.filename for chapter in CHAPTERS)
    if not written:
        return f"{folder} already holds the exercises, unchanged ({files})."
    return (f"wrote {len(written)} file(s) to {folder}: {files}, README.txt\n"
            f"next: open {Path(folder) / CHAPTERS[0].filename} in your editor, write "
            f"{TASKS[0].function}, then run, in {folder}:\n"
            f"    scratchnn exercises check {TASKS[0].id}")


def check(folder: str | os.PathLike | None, task_name: str | None = None, *,
          time_limit: float | None = TIME_LIMIT) -> tuple[str, bool]:
    """Check one task (``task_name``) or every task in order; ``(text, all passed)``. The
    progress file records each verdict."""
    path = find_folder(folder)
    progress = Progress(path)
    learner = Folder(path, time_limit)
    tasks = [find_task(task_name)] if task_name else list(TASKS)
    results = [check_task(task, learner, progress.hints.get(task.id, 1)) for task in tasks]
    for result in results:
        progress.passed[result.task.id] = result.passed
    progress.save()
    return _render(results, single=task_name is not None), all(r.passed for r in results)


def _render(results: list[Result], *, single: bool) -> str:
    width = max(len(result.task.id) for result in results)
    lines: list[str] = []
    explained = False
    for result in results:
        task = result.task
        mark = MARKS.get(result.status, CROSS)
        lines.append(f"{mark} {TASKS.index(task) + 1:>2}. {task.id:<{width}}  "
                     f"{task.title}: {result.summary}")
        if not result.passed and not explained:
            lines += [part for line in result.details for part in wrapped(line)]
            explained = True
    if not single:
        done = sum(result.passed for result in results)
        first = next((result for result in results if not result.passed), None)
        lines.append(f"{done} of {len(results)} tasks pass."
                     + (f" Next: {first.task.id}." if first else " All done!"))
    return "\n".join(lines)


def next_hint(folder: str | os.PathLike | None, task_name: str) -> str:
    """The next hint for a task (the hints shown so far are counted in the progress file; the
    first again without a folder)."""
    task = find_task(task_name)
    try:
        path = find_folder(folder)
    except CommandError:  # no exercises folder here: the first hint, nothing recorded
        if folder is not None:
            raise
        path = None
    progress = Progress(path) if path is not None else None
    shown = progress.hints.get(task.id, 0) if progress is not None else 0
    level = min(shown + 1, len(task.hints))
    text = f"hint {level} of {len(task.hints)} for {task.id}: {task.hints[level - 1]}"
    if level == len(task.hints):
        text += f"\nthat was the last hint; the library does it in {task.source}"
    if progress is not None:
        progress.hints[task.id] = level
        progress.save()
    return text
