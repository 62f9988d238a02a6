"""The learner's folder: the stub files ``start`` writes (one per chapter), a README, and
``progress.json`` (which tasks passed their last check, how many hints were shown). Every file is
written atomically; nothing is ever sent anywhere.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

from .._files import atomic_write
from ..errors import CommandError
from .catalog import CHAPTERS, TASKS, Chapter
from .task import Task

PROGRESS_FILE = "progress.json"
README_FILE = "README.txt"
FORMAT = "scratchnn-exercises"

README = """\
Exercises: build a neural network's pieces yourself, checked against scratchnn.

Each .py file here is a chapter. Open it in your editor and fill in one function at a time
(each raises NotImplementedError until you do). Then, in this folder:

    scratchnn exercises check TASK     check one task, e.g. check dense_forward
    scratchnn exercises check          check every task in order
    scratchnn exercises hint TASK      the next hint for a task
    scratchnn exercises list           every task, a tick for those that passed

A task passes when your function gives the library's own numbers (and, for gradients, the
finite differences' numbers) on random inputs of several shapes. The check tells you which
case failed, with its inputs, the expected and obtained arrays side by side, and a hint.
Your progress is kept in progress.json, here; nothing is sent anywhere.

The chapters:
{chapters}
"""


def stub_text(chapter: Chapter) -> str:
    """The stub file of ``chapter``: a docstring, the imports, then each task's function with
    its docstring (shapes), what it teaches, a first hint, and ``raise NotImplementedError``."""
    number = CHAPTERS.index(chapter) + 1
    first = chapter.tasks[0].id
    header = (f'"""Chapter {number}: {chapter.title}.\n\nWrite each function below, then check '
              f"it:  scratchnn exercises check {first}\n(or every task: scratchnn exercises "
              f"check).  Stuck?  scratchnn exercises hint {first}\n\"\"\"\n")
    parts = [header, chapter.imports]
    for task in chapter.tasks:
        parts.append(_function_stub(task))
    return "\n".join(parts)


def _function_stub(task: Task) -> str:
    number = TASKS.index(task) + 1
    teaches = textwrap.wrap(f"What it teaches: {task.teaches}.", 92)
    hint = textwrap.wrap(f"A first hint: {task.hints[0]}", 92)
    docstring = textwrap.indent(task.docstring, "    ").lstrip()
    return "\n".join([
        "",
        f"# {number}. {task.title}",
        *(f"# {line}" for line in teaches),
        f"def {task.function}{task.signature}:",
        f'    """{docstring}\n    """',
        *(f"    # {line}" for line in hint),
        f"    # Check it: scratchnn exercises check {task.id}",
        f'    raise NotImplementedError("{task.function} is not written yet")',
        "",
    ])


def readme_text() -> str:
    lines = []
    for number, chapter in enumerate(CHAPTERS, 1):
        lines.append(f"  {chapter.filename:<18} chapter {number}: {chapter.title}")
    return README.format(chapters="\n".join(lines))


def start(folder: str | os.PathLike, *, force: bool = False) -> list[Path]:
    """Write the stub files, the README and an empty progress file into ``folder`` (created if
    missing). A file that exists with other content (the learner's edits) is never replaced,
    unless ``force``: then a ``CommandError`` names the files instead. Returns the files
    written."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"{folder} is a file, not a folder; choose a folder for the exercises")
    contents = {chapter.filename: stub_text(chapter) for chapter in CHAPTERS}
    contents[README_FILE] = readme_text()
    edited = [name for name, text in contents.items()
              if (folder / name).exists() and _read(folder / name) != text]
    if edited and not force:
        raise CommandError(
            f"{', '.join(edited)} in {folder} already hold{'s' if len(edited) == 1 else ''} "
            f"other content (your work?) and would be overwritten; go on there with "
            f"'scratchnn exercises check --dir {folder}', choose another folder, or add "
            f"--force to replace them with fresh stubs (what you wrote there is lost)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"cannot create the folder {folder}: {error.strerror}") from None
    written = []
    for name, text in contents.items():
        if not (folder / name).exists() or _read(folder / name) != text:
            written.append(_write_text(folder / name, text))
    if force or not (folder / PROGRESS_FILE).exists():
        Progress(folder).save()
    return written


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _write_text(path: Path, text: str) -> Path:
    try:
        return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    except OSError as error:
        raise CommandError(str(error)) from None


def find_folder(folder: str | os.PathLike | None) -> Path:
    """The exercises folder: ``folder`` if given, else the current one; a ``CommandError`` if
    it holds no stub file."""
    path = Path(folder) if folder is not None else Path.cwd()
    where = f"{path}" if folder is not None else "this folder"
    if not path.is_dir():
        raise CommandError(f"{path} is not a folder; create the exercises with 'scratchnn "
                           f"exercises start {path}'")
    if not any((path / chapter.filename).is_file() for chapter in CHAPTERS):
        raise CommandError(f"no exercise files in {where}; write them with 'scratchnn exercises "
                           "start DIR', then run the check inside DIR (or add --dir DIR)")
    return path


class Progress:
    """``progress.json`` in the learner's folder: ``passed`` (task id -> the last check's
    verdict) and ``hints`` (task id -> how many hints were shown). A missing or unreadable file
    is an empty progress, never an error."""

    def __init__(self, folder: str | os.PathLike):
        self.path = Path(folder) / PROGRESS_FILE
        self.passed: dict[str, bool] = {}
        self.hints: dict[str, int] = {}
        data = _read(self.path) if self.path.exists() else None
        try:
            stored = json.loads(data) if data else {}
        except ValueError:
            stored = {}
        if isinstance(stored, dict):
            ids = {task.id for task in TASKS}
            passed, hints = stored.get("passed"), stored.get("hints")
            for task_id, value in (passed.items() if isinstance(passed, dict) else ()):
                if task_id in ids and isinstance(value, bool):
                    self.passed[task_id] = value
            for task_id, value in (hints.items() if isinstance(hints, dict) else ()):
                if task_id in ids and type(value) is int and value >= 0:
                    self.hints[task_id] = value

    def save(self) -> None:
        data = {"format": FORMAT, "version": 1, "passed": self.passed, "hints": self.hints}
        _write_text(self.path, json.dumps(data, indent=2, sort_keys=True) + "\n")
